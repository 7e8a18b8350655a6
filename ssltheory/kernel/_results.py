"""Result types of the kernel-regime closed forms (spec/kernel.md, public names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FeatureSolution", "KernelSolution"]


@dataclass(frozen=True)
class KernelSolution:
    """Minimum-norm optimal map :math:`f(x) = C k_x` of a kernel-regime SSL loss.

    Attributes
    ----------
    coef : array, shape (n_components, n_samples)
        :math:`C`; new points map to ``coef @ k_cross`` and the induced kernel is
        ``induced_kernel(coef, k_cross, k_cross2)``.
    embedding : array, shape (n_samples, n_components)
        :math:`Z^\\top`: the training representations (signs: largest entry of each column
        positive; order: most invariant first for VIC, largest first for SC).
    train_gram : array, shape (n_samples, n_samples)
        :math:`M = Z^\\top Z`, the induced kernel on the training views (unique where the
        solution is; compare this, never raw columns).
    eigenvalues : array, shape (n_components,)
        Eigenvalues of the solved :math:`r\\times r` problem at the kept positions (ascending
        :math:`\\mu_k` for VIC, descending :math:`\\theta_k` for SC).
    rank : int
        :math:`r`, the number of kernel eigenvalues kept
        (:math:`\\lambda > \\mathrm{rtol}\\,\\lambda_{\\max}`).
    loss : float
        The objective at the optimum, regularisers included.
    graph_tie : bool
        True when the graph spectrum was tied at the cut (resolved by the kernel tie-break,
        spec §3.6, or reported by a ``DegenerateSpectrumWarning``).
    condition : float
        :math:`\\lambda_{\\max}/\\lambda_r`: condition number of :math:`K` on its kept range (K13).
    """

    coef: Any
    embedding: Any
    train_gram: Any
    eigenvalues: Any
    rank: int
    loss: float
    graph_tie: bool
    condition: float


@dataclass(frozen=True)
class FeatureSolution:
    """Minimum-norm optimal linear map :math:`f(x) = W^\\top \\phi(x)` on explicit features.

    The kernel-regime problem for the linear kernel :math:`k(x,x') = \\phi(x)^\\top\\phi(x')`
    (e.g. Nyström features, spec §3.9).

    Attributes
    ----------
    weights : array, shape (n_features, n_components)
        :math:`W`; new points map to ``features_new @ weights``.
    embedding : array, shape (n_samples, n_components), or None
        Training representations ``features @ weights``; ``None`` from
        :func:`linear_ssl_solve_from_statistics`, which never sees the rows.
    eigenvalues : array, shape (n_components,)
        As in :class:`KernelSolution`.
    rank : int
        Numerical rank of the feature matrix.
    loss : float
        The objective at the optimum, regularisers included.
    graph_tie : bool
        As in :class:`KernelSolution`.
    condition : float
        :math:`s_{\\max}^2/s_r^2` of the kept singular values of the features.
    """

    weights: Any
    embedding: Any
    eigenvalues: Any
    rank: int
    loss: float
    graph_tie: bool
    condition: float

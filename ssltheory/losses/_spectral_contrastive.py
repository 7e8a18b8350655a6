"""Spectral contrastive loss (HaoChen et al. 2021) in graph form (spec/spectral.md §2.5, D8)."""

from __future__ import annotations

from typing import Any

from ssltheory import _backend
from ssltheory.losses._base import Loss, LossValue, check_convention, prepare

__all__ = ["SpectralContrastiveLoss", "spectral_contrastive_loss"]

_WEIGHTINGS = ("degree", "none")


class SpectralContrastiveLoss(Loss):
    r"""Spectral contrastive loss on a relation graph, with its exact gradient.

    .. math::

        \mathcal L_{\rm SC}(F)=-2\sum_{i,j}w_{ij}f_i^\top f_j+\sum_{i,j}w_iw_j(f_i^\top f_j)^2,

    ``weighting="degree"``: :math:`w_{ij}=G_{ij}/\mathrm{vol}`, :math:`w_i=d_i/\mathrm{vol}`; then
    :math:`\mathcal L=\lVert UU^\top-\bar A\rVert_F^2-\lVert\bar A\rVert_F^2`, :math:`U=D_w^{1/2}F`.
    ``weighting="none"``: :math:`w_{ij}=G_{ij}`, :math:`w_i=1`, and
    :math:`\mathcal L=\lVert FF^\top-G\rVert_F^2-\lVert G\rVert_F^2`. The diagonal of ``graph`` is
    used as given (self-pairs are positives, spec D2).

    Parameters
    ----------
    weighting : {"degree", "none"}
        Default ``"degree"`` (HaoChen et al. 2021).
    convention : {"paper"}
        No training library defines this loss; only ``"paper"`` is accepted.

    Raises
    ------
    ValueError
        ``weighting="degree"`` on a graph with no edge (zero volume), another convention.

    Notes
    -----
    Spec §2.5, D8. Cost :math:`O(N^2K+NK^2)`: the second term is
    :math:`\lVert F^\top D_wF\rVert_F^2`. Gradient :math:`-4WF+4D_wF(F^\top D_wF)`.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> F = np.array([[1.0], [1.0]])  # u_i = f_i / sqrt(2): UU^T = J/2, ||J/2 - A||^2 - ||A||^2 = -1
    >>> print(float(spectral_contrastive_loss(F, G)))
    -1.0
    """

    _diagonal = "keep"

    def __init__(self, *, weighting: str = "degree", convention: str = "paper") -> None:
        if weighting not in _WEIGHTINGS:
            raise ValueError(f"weighting must be 'degree' or 'none', received {weighting!r}")
        if convention != "paper":
            check_convention(convention)
            raise ValueError(
                f"convention={convention!r} is not available for the spectral contrastive loss: no "
                "training library (reference, solo-learn, lightly) defines it; use convention='paper'"
            )
        self.weighting = weighting
        self.convention = convention

    def value_and_grad(self, embedding: Any, graph: Any, /) -> LossValue:
        xp, f, g = prepare(embedding, graph, diagonal="keep", min_rows=1)
        if self.weighting == "degree":
            deg = xp.sum(g, axis=1)
            vol = xp.sum(deg)
            if float(vol) <= 0:
                raise ValueError("graph must have at least one edge for weighting='degree' (zero volume)")
            wmat = g / vol
            w = deg / vol
        else:
            wmat = g
            w = xp.ones((g.shape[0],), dtype=g.dtype, device=_backend.device(g))
        wf = wmat @ f
        m = f.mT @ (w[:, None] * f)  # F^T D_w F
        value = -2 * xp.sum(f * wf) + xp.sum(m * m)
        grad = -4 * wf + 4 * w[:, None] * (f @ m)
        return LossValue(value, grad)


def spectral_contrastive_loss(embedding: Any, graph: Any, /, **params: Any) -> Any:
    r"""Spectral contrastive loss value; keyword arguments as :class:`SpectralContrastiveLoss`.

    .. math::

        \mathcal L=-2\sum_{ij}w_{ij}f_i^\top f_j+\sum_{ij}w_iw_j(f_i^\top f_j)^2

    Parameters
    ----------
    embedding : array, shape (n_samples, n_components)
        :math:`Z`; integer input is promoted to float64.
    graph : array, shape (n_samples, n_samples)
        Relation graph :math:`G` (spec D2).
    **params
        weighting, convention (see :class:`SpectralContrastiveLoss`).

    Returns
    -------
    array
        0-d array of the embedding's namespace, device and dtype.

    Raises
    ------
    ValueError, TypeError
        As :class:`SpectralContrastiveLoss`.

    Notes
    -----
    Same as ``SpectralContrastiveLoss(**params)(embedding, graph)``; the exact gradient comes from
    :meth:`SpectralContrastiveLoss.value_and_grad`.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> print(float(spectral_contrastive_loss(np.array([[0.5], [0.5]]), G, weighting="none")))
    -0.75
    """
    return SpectralContrastiveLoss(**params)(embedding, graph)

"""W-MSE (whitened MSE) in graph form (spec/spectral.md §2.5, §4.2d, D2–D3)."""

from __future__ import annotations

from typing import Any

from ssltheory import _linalg, _validation
from ssltheory.losses._base import Loss, LossValue, check_convention, prepare

__all__ = ["WMSELoss", "wmse_loss"]


class WMSELoss(Loss):
    r"""W-MSE on a relation graph (whitened invariance), with its exact gradient.

    .. math::

        \hat Z=HZ\,\mathrm{Cov}(Z)^{-1/2},\qquad
        \mathcal L=\frac1N\sum_{i,j}G_{ij}\lVert\hat z_i-\hat z_j\rVert^2
        =\frac2N\mathrm{Tr}\big(Z^\top LZ\,\mathrm{Cov}(Z)^{-1}\big),

    :math:`\mathrm{Cov}(Z)=Z^\top HZ/M`, :math:`M=N-\mathrm{ddof}`. The value does not depend on
    the whitening chosen (ZCA, Cholesky): only :math:`\mathrm{Cov}^{-1}` enters. The diagonal of
    ``graph`` cancels (spec D2).

    Parameters
    ----------
    ddof : int
        Covariance normaliser :math:`M=N-\mathrm{ddof}`, default 1 (spec D3).
    convention : {"paper"}
        No training library in loss_conventions.md defines W-MSE; only ``"paper"`` is accepted.

    Raises
    ------
    ValueError
        ``n_components > n_samples - 1`` or a singular covariance (whitening undefined), another
        convention.

    Notes
    -----
    Spec §4.2d. Cost :math:`O(N^2K+NK^2+K^3)`. With :math:`A=Z^\top LZ`, :math:`C=\mathrm{Cov}(Z)`:
    :math:`\nabla_Z=\frac4N\big(LZC^{-1}-\frac1M HZC^{-1}AC^{-1}\big)`. Invariant to
    :math:`Z\to ZT+\mathbf 1m^\top` for any invertible :math:`T`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> Z = np.random.default_rng(0).standard_normal((8, 2))
    >>> out = WMSELoss().value_and_grad(Z, augmentation_graph(4, 2))
    >>> out.grad.shape
    (8, 2)
    """

    _diagonal = "ignore"

    def __init__(self, *, ddof: int = 1, convention: str = "paper") -> None:
        if convention != "paper":
            check_convention(convention)
            raise ValueError(
                f"convention={convention!r} is not available for W-MSE: no training library "
                "(reference, solo-learn, lightly) defines it; use convention='paper'"
            )
        self.ddof = _validation.check_int(ddof, name="ddof", minimum=0)
        self.convention = convention

    def value_and_grad(self, embedding: Any, graph: Any, /) -> LossValue:
        xp, z, g = prepare(embedding, graph, diagonal="ignore")
        n, k = z.shape
        m = n - self.ddof
        if k > n - 1 or m <= 0:
            raise ValueError(
                f"embedding must have n_components <= n_samples - 1 and n_samples > ddof for W-MSE "
                f"(the centred covariance must be invertible), received shape {tuple(z.shape)}"
            )
        zc = z - xp.mean(z, axis=0, keepdims=True)
        cov = zc.mT @ zc / m
        evals, evecs = _linalg.eigh_ascending(cov, xp=xp)
        tol = k * _validation.eps(z.dtype, xp=xp) * float(xp.max(xp.abs(evals)))
        if not float(evals[0]) > tol:
            raise ValueError(
                "embedding has a singular covariance (rank-deficient centred columns): the whitening "
                f"Cov(Z)^(-1/2) of W-MSE is undefined (smallest eigenvalue {float(evals[0]):.3g})"
            )
        cinv = (evecs / evals[None, :]) @ evecs.mT
        lz = xp.sum(g, axis=1, keepdims=True) * z - g @ z  # L Z (the diagonal cancels)
        a = z.mT @ lz
        value = (2.0 / n) * xp.sum(a * cinv)
        grad = (4.0 / n) * (lz @ cinv - (zc @ (cinv @ a @ cinv)) / m)
        return LossValue(value, grad)


def wmse_loss(embedding: Any, graph: Any, /, **params: Any) -> Any:
    r"""W-MSE loss value; keyword arguments as :class:`WMSELoss`.

    .. math::

        \mathcal L=\frac2N\mathrm{Tr}\big(Z^\top LZ\,\mathrm{Cov}(Z)^{-1}\big)

    Parameters
    ----------
    embedding : array, shape (n_samples, n_components)
        :math:`Z`; integer input is promoted to float64.
    graph : array, shape (n_samples, n_samples)
        Relation graph :math:`G` (spec D2).
    **params
        ddof, convention (see :class:`WMSELoss`).

    Returns
    -------
    array
        0-d array of the embedding's namespace, device and dtype.

    Raises
    ------
    ValueError, TypeError
        As :class:`WMSELoss`.

    Notes
    -----
    Same as ``WMSELoss(**params)(embedding, graph)``; the exact gradient comes from
    :meth:`WMSELoss.value_and_grad`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> Z = np.array([[1.0], [-1.0], [1.0], [-1.0]])  # perfectly invariant: zero loss
    >>> print(float(wmse_loss(Z, augmentation_graph(2, 2))))
    0.0
    """
    return WMSELoss(**params)(embedding, graph)

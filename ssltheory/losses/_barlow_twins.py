"""Barlow Twins in graph form (spec/spectral.md §2.4, D7; loss_conventions.md)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ssltheory import _backend, _validation
from ssltheory.losses._base import Loss, LossValue, check_convention, pair_indices, prepare, scatter_rows

__all__ = ["BarlowTwinsLoss", "barlow_twins_loss"]

_DEFAULT_REDUNDANCY = {"paper": 1.0, "reference": 0.0051, "solo_learn": 5e-3, "lightly": 5e-3}
_BN_EPS = 1e-5  # torch.nn.BatchNorm1d default eps (reference, solo-learn)
_SOLO_SCALE = 0.025  # solo-learn barlow_loss_func scale_loss


class BarlowTwinsLoss(Loss):
    r"""Barlow Twins on a relation graph, with its exact gradient.

    ``convention="paper"`` (default), matrix form of the left/right listing (spec §2.4):

    .. math::

        C_{kl}=\frac{(Z^\top GZ)_{kl}}{\sqrt{d_kd_l}+\varepsilon},\quad d_k=(Z^\top D_GZ)_{kk},\qquad
        \mathcal L=\sum_k(C_{kk}-1)^2+\alpha\sum_{k\ne l}C_{kl}^2 .

    With ``center=True`` :math:`Z` is first replaced by :math:`Z-\mathbf 1\mu^\top`,
    :math:`\mu=Z^\top G\mathbf 1/\mathrm{vol}` (degree-weighted column mean).

    Library conventions (two-view pairing graph, branches :math:`x=Z[\text{left}]`,
    :math:`y=Z[\text{right}]`, :math:`B` pairs), :math:`c=\hat x^\top\hat y/B` with each column
    standardised, :math:`\mathcal L=s\,[\sum_k(c_{kk}-1)^2+\alpha\sum_{k\ne l}c_{kl}^2]`:
    ``"reference"`` (facebookresearch/barlowtwins: ``BatchNorm1d(affine=False)``, biased variance,
    eps :math:`10^{-5}`, :math:`s=1`, default :math:`\alpha=0.0051`), ``"solo_learn"`` (same
    normalisation, :math:`s=0.025`, :math:`\alpha=0.005`), ``"lightly"`` (unbiased std, no eps,
    :math:`s=1`, :math:`\alpha=0.005`: lightly before 1.4.17 only; lightly 1.4.17-1.5.19
    batch-normalises the stacked :math:`2B` rows jointly and lightly 1.5.20 on each branch
    separately, see :func:`~ssltheory.losses.library_loss` and :func:`~ssltheory.losses.to_paper`).

    Parameters
    ----------
    redundancy_weight : float, optional
        :math:`\alpha` of §2.4 (Zbontar et al. :math:`\lambda`, ``lambd``); default 1.0 (paper)
        or the library's default listed above.
    eps : float
        :math:`\varepsilon` of the paper convention, default 1e-12.
    center : bool
        Paper convention only: degree-weighted centring (batch-norm style), default False.
    convention : {"paper", "reference", "solo_learn", "lightly"}

    Raises
    ------
    ValueError
        Non-zero diagonal of ``graph`` (spec D2), ``center=True`` on a graph with no edge, a
        non-pairing graph for a library convention, bad hyper-parameters.

    Notes
    -----
    Spec §2.4, D7; ``proofs_checks/test_barlow_twins_matrix_form.py``. Cost :math:`O(N^2K+NK^2)`.
    Gradient (paper): with :math:`W=\partial\mathcal L/\partial C`,
    :math:`\delta_{kl}=\sqrt{d_kd_l}+\varepsilon`, :math:`B=W/\delta`, :math:`E=-W\odot C/\delta`,
    :math:`s_k=\sqrt{d_k}`:
    :math:`\nabla_Z=2GZB+2D_GZ\,\mathrm{diag}((Es)_k/s_k)`. Invariant to column scalings (either
    sign) and permutations, not to rotations (spec §3).

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> Z = np.tile(np.eye(2), (2, 1))  # two pairs, each view equal to its partner: C = I
    >>> print(float(BarlowTwinsLoss().value_and_grad(Z, augmentation_graph(2, 2)).value) < 1e-10)
    True
    """

    _diagonal = "reject"

    def __init__(
        self,
        *,
        redundancy_weight: float | None = None,
        eps: float = 1e-12,
        center: bool = False,
        convention: str = "paper",
    ) -> None:
        self.convention = check_convention(convention)
        if redundancy_weight is None:
            redundancy_weight = _DEFAULT_REDUNDANCY[convention]
        self.redundancy_weight = _validation.check_positive(
            redundancy_weight, name="redundancy_weight", strict=False
        )
        self.eps = _validation.check_positive(eps, name="eps", strict=False)
        if not isinstance(center, bool):
            raise TypeError(f"center must be a bool, received {type(center).__name__} {center!r}")
        if center and convention != "paper":
            raise ValueError(
                f"center=True is a paper-convention option; convention={convention!r} already "
                "standardises each branch"
            )
        self.center = center

    def value_and_grad(self, embedding: Any, graph: Any, /) -> LossValue:
        xp, z, g = prepare(embedding, graph, diagonal="reject")
        if self.convention == "paper":
            return self._paper(z, g, xp=xp)
        return self._library(z, g, xp=xp)

    def _paper(self, z: Any, g: Any, *, xp: ModuleType) -> LossValue:
        k = z.shape[1]
        deg = xp.sum(g, axis=1)
        if self.center:
            vol = xp.sum(deg)
            if float(vol) <= 0:
                raise ValueError("graph must have at least one edge for center=True (zero volume)")
            mu = (deg[None, :] @ z) / vol
            z = z - mu
        gz = g @ z
        p = z.mT @ gz
        d = xp.sum(deg[:, None] * z * z, axis=0)
        s = xp.sqrt(d)
        den = s[:, None] * s[None, :] + self.eps
        c = p / den
        eye = xp.eye(k, dtype=z.dtype, device=_backend.device(z))
        off = c * (1 - eye)
        diag = xp.linalg.diagonal(c)
        value = xp.sum((diag - 1) ** 2) + self.redundancy_weight * xp.sum(off**2)
        w = 2 * self.redundancy_weight * off + eye * (2 * (diag - 1))[None, :]
        b = w / den
        e = -w * c / den
        es = e @ s
        safe = xp.where(s > 0, s, xp.ones_like(s))
        ratio = xp.where(s > 0, es / safe, xp.zeros_like(s))
        grad = 2 * (gz @ b) + 2 * deg[:, None] * z * ratio[None, :]
        if self.center:
            grad = grad - (deg / xp.sum(deg))[:, None] * xp.sum(grad, axis=0, keepdims=True)
        return LossValue(value, grad)

    def _library(self, z: Any, g: Any, *, xp: ModuleType) -> LossValue:
        left, right = pair_indices(g, xp=xp)
        x = xp.take(z, left, axis=0)
        y = xp.take(z, right, axis=0)
        bsz, k = x.shape
        if bsz < 2:
            raise ValueError(f"the library conventions need at least 2 pairs, received {bsz}")
        if self.convention == "lightly":
            ddof_m, bn_eps = bsz - 1, 0.0
        else:
            ddof_m, bn_eps = bsz, _BN_EPS
        scale = _SOLO_SCALE if self.convention == "solo_learn" else 1.0
        xh, xc, xs = _standardize(x, m=ddof_m, eps=bn_eps, xp=xp)
        yh, yc, ys = _standardize(y, m=ddof_m, eps=bn_eps, xp=xp)
        c = xh.mT @ yh / bsz
        eye = xp.eye(k, dtype=z.dtype, device=_backend.device(z))
        off = c * (1 - eye)
        diag = xp.linalg.diagonal(c)
        lam = self.redundancy_weight
        value = scale * (xp.sum((diag - 1) ** 2) + lam * xp.sum(off**2))
        w = scale * (2 * lam * off + eye * (2 * (diag - 1))[None, :])
        gxh = yh @ w.mT / bsz
        gyh = xh @ w / bsz
        gx = _standardize_backward(gxh, xc, xs, m=ddof_m, xp=xp)
        gy = _standardize_backward(gyh, yc, ys, m=ddof_m, xp=xp)
        grad = xp.zeros_like(z)
        grad = scatter_rows(grad, left, gx, xp=xp)
        grad = scatter_rows(grad, right, gy, xp=xp)
        return LossValue(value, grad)


def _standardize(x: Any, *, m: int, eps: float, xp: ModuleType) -> tuple[Any, Any, Any]:
    """``(x - mean)/sqrt(sum((x - mean)^2)/m + eps)`` per column; returns (x̂, x_c, σ)."""
    xc = x - xp.mean(x, axis=0, keepdims=True)
    var = xp.sum(xc**2, axis=0) / m
    sd = xp.sqrt(var + eps)
    if not bool(xp.all(sd > 0)):
        raise ValueError("embedding has a constant column within a branch: its standard deviation is zero")
    return xc / sd, xc, sd


def _standardize_backward(gh: Any, xc: Any, sd: Any, *, m: int, xp: ModuleType) -> Any:
    """Gradient through :func:`_standardize`: ``(g - mean g)/σ - x_c Σ(g x_c)/(m σ³)``."""
    gm = gh - xp.mean(gh, axis=0, keepdims=True)
    proj = xp.sum(gh * xc, axis=0)
    return gm / sd - xc * (proj / (m * sd**3))[None, :]


def barlow_twins_loss(embedding: Any, graph: Any, /, **params: Any) -> Any:
    r"""Barlow Twins loss value; keyword arguments as :class:`BarlowTwinsLoss`.

    .. math::

        \mathcal L=\sum_k(C_{kk}-1)^2+\alpha\sum_{k\ne l}C_{kl}^2,\quad
        C_{kl}=\frac{(Z^\top GZ)_{kl}}{\sqrt{d_kd_l}+\varepsilon}

    Parameters
    ----------
    embedding : array, shape (n_samples, n_components)
        :math:`Z`; integer input is promoted to float64.
    graph : array, shape (n_samples, n_samples)
        Relation graph :math:`G` (spec D2).
    **params
        redundancy_weight, eps, center, convention (see :class:`BarlowTwinsLoss`).

    Returns
    -------
    array
        0-d array of the embedding's namespace, device and dtype.

    Raises
    ------
    ValueError, TypeError
        As :class:`BarlowTwinsLoss`.

    Notes
    -----
    Same as ``BarlowTwinsLoss(**params)(embedding, graph)``; the exact gradient comes from
    :meth:`BarlowTwinsLoss.value_and_grad`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> Z = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])  # C = [[0, 1], [1, 0]]: 2 + 2
    >>> print(round(float(barlow_twins_loss(Z, augmentation_graph(2, 2))), 6))
    4.0
    """
    return BarlowTwinsLoss(**params)(embedding, graph)

"""VICReg in graph form (spec/spectral.md §2.2, D3–D5; loss_conventions.md)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ssltheory import _backend, _validation
from ssltheory.losses._base import Loss, LossValue, check_convention, pair_indices, prepare, scatter_rows

__all__ = ["VICRegLoss", "convert_vicreg_weights", "variance_term", "vicreg_loss"]

_PENALTIES = ("square", "squared_hinge", "hinge")
_LIBRARY_EPS = 1e-4  # `sqrt(var + 1e-4)` in the official VICReg code, solo-learn and lightly


def variance_term(d: Any, *, penalty: str, floor: float, eps: float, xp: ModuleType) -> tuple[Any, Any]:
    """``(Σ_k v(d_k), v'(d))`` for the diagonal ``d`` of Cov: the one definition of the penalties.

    ``"square"`` (1 − d)², ``"squared_hinge"`` max(0, 1 − d)², ``"hinge"``
    1 − √(clamp(d, floor, 1 − eps) + eps), with the sub-gradient PyTorch uses at the kinks.
    Shared by :class:`VICRegLoss`, ``compare_to_theory`` and ``TheoryTracker``.
    """
    if penalty == "square":
        return xp.sum((1 - d) ** 2), -2 * (1 - d)
    if penalty == "squared_hinge":
        h = xp.clip(1 - d, min=0.0)
        return xp.sum(h**2), -2 * h
    top = 1.0 - eps
    root = xp.sqrt(xp.clip(d, min=floor, max=top) + eps)
    inside = (d >= floor) & (d <= top)
    return xp.sum(1 - root), xp.where(inside, -0.5 / root, xp.zeros_like(d))


class VICRegLoss(Loss):
    r"""VICReg on a relation graph, with its exact gradient.

    ``convention="paper"`` (default; Balestriero & LeCun 2022, §2.2), with
    :math:`C=\mathrm{Cov}(Z)=Z^\top HZ/M`, :math:`M=N-\mathrm{ddof}`:

    .. math::

        \mathcal L = \alpha\sum_k v(C_{kk}) + \beta\sum_{k\ne l}C_{kl}^2
                     + \frac{\gamma}{N}\sum_{i,j}G_{ij}\lVert z_i-z_j\rVert^2,

    with :math:`v(c)=(1-c)^2` (``"square"``), :math:`\max(0,1-c)^2` (``"squared_hinge"``) or
    :math:`1-\sqrt{\mathrm{clamp}(c,\,\text{floor},\,1-\epsilon)+\epsilon}` (``"hinge"``, the
    paper's listing; :math:`=(1-\sqrt{\max(c,\text{floor})+\epsilon})_+`). The
    invariance term equals :math:`\frac{2\gamma}{N}\mathrm{Tr}(Z^\top LZ)`; the diagonal of ``graph``
    cancels (spec D2).

    Library conventions (``"reference"`` = facebookresearch/vicreg, ``"solo_learn"``,
    ``"lightly"``) need a two-view pairing graph: branches :math:`x=Z[\text{left}]`,
    :math:`y=Z[\text{right}]` (``B`` pairs), and

    .. math::

        \mathcal L = \gamma\,\frac{\lVert x-y\rVert_F^2}{BK}
          + \alpha\,s\Big[\overline{(1-\sigma_x)_+}+\overline{(1-\sigma_y)_+}\Big]
          + \beta\,\frac{\sum_{k\ne l}(C^x_{kl})^2+\sum_{k\ne l}(C^y_{kl})^2}{K},

    :math:`\sigma=\sqrt{\mathrm{var}_{\rm unbiased}+10^{-4}}`, :math:`C^x=x_c^\top x_c/(B-1)`,
    :math:`s=1/2` for ``"reference"`` and ``"lightly"``, :math:`s=1` for ``"solo_learn"``.

    Parameters
    ----------
    variance_weight : float
        :math:`\alpha` (Bardes et al. :math:`\mu`, ``std_coeff``), default 1.0.
    covariance_weight : float
        :math:`\beta` (:math:`\nu`, ``cov_coeff``), default 1.0.
    invariance_weight : float
        :math:`\gamma` (:math:`\lambda`, ``sim_coeff``), default 1.0.
    variance_penalty : {"square", "squared_hinge", "hinge"}, optional
        Paper convention only; default ``"square"`` (the one with a closed form).
    ddof : int
        Covariance normaliser :math:`M=N-\mathrm{ddof}` (paper convention), default 1.
    variance_floor : float
        Lower clamp of the variance in ``"hinge"``, default 1e-6.
    variance_eps : float
        :math:`\epsilon\ge0` inside the square root of ``"hinge"``, default 0 (the paper's listing);
        the libraries use :math:`10^{-4}` (:func:`to_paper` passes theirs). Paper convention and
        ``"hinge"`` only; ``variance_floor + variance_eps < 1``.
    convention : {"paper", "reference", "solo_learn", "lightly"}

    Notes
    -----
    Cost :math:`O(NK^2 + N^2K)` with a dense graph. Gradients: with :math:`S=\partial\mathcal L/\partial C`,
    :math:`\nabla_Z = \frac{2}{M}HZS + \frac{4\gamma}{N}LZ` (paper). Checked against central
    finite differences and PyTorch autograd in ``tests/test_losses.py``; the clamp and hinges
    use the sub-gradient PyTorch uses at their kinks.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> G = augmentation_graph(4, 2)
    >>> Z = np.random.default_rng(0).standard_normal((8, 3))
    >>> out = VICRegLoss(variance_weight=2.0).value_and_grad(Z, G)
    >>> out.grad.shape
    (8, 3)
    """

    def __init__(
        self,
        *,
        variance_weight: float = 1.0,
        covariance_weight: float = 1.0,
        invariance_weight: float = 1.0,
        variance_penalty: str | None = None,
        ddof: int = 1,
        variance_floor: float = 1e-6,
        variance_eps: float = 0.0,
        convention: str = "paper",
    ) -> None:
        self.variance_weight = _validation.check_positive(
            variance_weight, name="variance_weight", strict=False
        )
        self.covariance_weight = _validation.check_positive(
            covariance_weight, name="covariance_weight", strict=False
        )
        self.invariance_weight = _validation.check_positive(
            invariance_weight, name="invariance_weight", strict=False
        )
        self.convention = check_convention(convention)
        if variance_penalty is None:
            variance_penalty = "square" if convention == "paper" else "hinge"
        if variance_penalty not in _PENALTIES:
            raise ValueError(
                f"variance_penalty must be one of {', '.join(map(repr, _PENALTIES))}, "
                f"received {variance_penalty!r}"
            )
        if convention != "paper" and variance_penalty != "hinge":
            raise ValueError(
                f"convention={convention!r} fixes the variance term to the library's hinge on the std; "
                f"variance_penalty={variance_penalty!r} is only available with convention='paper'"
            )
        self.variance_penalty = variance_penalty
        self.ddof = _validation.check_int(ddof, name="ddof", minimum=0)
        self.variance_floor, self.variance_eps = _validation.check_hinge_params(variance_floor, variance_eps)
        if self.variance_eps != 0.0 and (convention != "paper" or variance_penalty != "hinge"):
            raise ValueError(
                "variance_eps applies to convention='paper' with variance_penalty='hinge' only (the "
                "library conventions fix their own eps), received "
                f"variance_eps={self.variance_eps}, convention={convention!r}, "
                f"variance_penalty={variance_penalty!r}"
            )

    def value_and_grad(self, embedding: Any, graph: Any, /) -> LossValue:
        xp, z, g = prepare(embedding, graph, diagonal="ignore")
        if self.convention == "paper":
            return self._paper(z, g, xp=xp)
        return self._library(z, g, xp=xp)

    # ------------------------------------------------------------------ paper
    def _paper(self, z: Any, g: Any, *, xp: ModuleType) -> LossValue:
        n, k = z.shape
        m = n - self.ddof
        if m <= 0:
            raise ValueError(f"embedding must have more than ddof={self.ddof} rows, received {n}")
        a, b, c = self.variance_weight, self.covariance_weight, self.invariance_weight
        zc = z - xp.mean(z, axis=0, keepdims=True)
        cov = zc.mT @ zc / m
        d = xp.linalg.diagonal(cov)
        eye = xp.eye(k, dtype=z.dtype, device=_backend.device(z))
        off = cov * (1 - eye)
        var_term, dvar = variance_term(
            d, penalty=self.variance_penalty, floor=self.variance_floor, eps=self.variance_eps, xp=xp
        )
        lz = xp.sum(g, axis=1, keepdims=True) * z - g @ z  # L Z (the diagonal of G cancels)
        inv_term = 2.0 * xp.sum(z * lz) / n
        value = a * var_term + b * xp.sum(off**2) + c * inv_term
        s = 2 * b * off + eye * (a * dvar)[None, :]
        grad = (2.0 / m) * (zc @ s) + (4.0 * c / n) * lz
        return LossValue(value, grad)

    # ------------------------------------------------------------------ libraries
    def _library(self, z: Any, g: Any, *, xp: ModuleType) -> LossValue:
        left, right = pair_indices(g, xp=xp)
        x = xp.take(z, left, axis=0)
        y = xp.take(z, right, axis=0)
        bsz, k = x.shape
        if bsz < 2:
            raise ValueError(f"the library conventions need at least 2 pairs, received {bsz}")
        scale = 1.0 if self.convention == "solo_learn" else 0.5
        a, b, c = self.variance_weight, self.covariance_weight, self.invariance_weight
        diff = x - y
        repr_term = xp.sum(diff**2) / (bsz * k)
        gx = (2.0 * c / (bsz * k)) * diff
        gy = -gx
        value = c * repr_term
        eye = xp.eye(k, dtype=z.dtype, device=_backend.device(z))
        for branch, grad_ref in ((x, "x"), (y, "y")):
            bc = branch - xp.mean(branch, axis=0, keepdims=True)
            var = xp.sum(bc**2, axis=0) / (bsz - 1)
            std = xp.sqrt(var + _LIBRARY_EPS)
            hinge = xp.clip(1 - std, min=0.0)
            cov = bc.mT @ bc / (bsz - 1)
            off = cov * (1 - eye)
            value = value + a * scale * xp.mean(hinge) + b * xp.sum(off**2) / k
            # d/dvar of mean(relu(1 − sqrt(var + eps))) = −1{std<1}/(2 K std); dvar/dx = 2 x_c/(B−1)
            dstd = xp.where(std < 1, -xp.ones_like(std), xp.zeros_like(std)) / k
            dvar = a * scale * dstd / (2 * std)
            gb = (2.0 / (bsz - 1)) * bc * dvar[None, :] + (2.0 / (bsz - 1)) * (bc @ (2 * b * off / k))
            if grad_ref == "x":
                gx = gx + gb
            else:
                gy = gy + gb
        grad = xp.zeros_like(z)
        grad = scatter_rows(grad, left, gx, xp=xp)
        grad = scatter_rows(grad, right, gy, xp=xp)
        return LossValue(value, grad)


def vicreg_loss(embedding: Any, graph: Any, /, **weights: Any) -> Any:
    r"""VICReg loss value; keyword arguments as :class:`VICRegLoss`.

    .. math::

        \mathcal L=\alpha\sum_kv(C_{kk})+\beta\sum_{k\ne l}C_{kl}^2
                   +\frac{\gamma}{N}\sum_{ij}G_{ij}\lVert z_i-z_j\rVert^2

    Parameters
    ----------
    embedding : array, shape (n_samples, n_components)
        :math:`Z`; integer input is promoted to float64.
    graph : array, shape (n_samples, n_samples)
        Relation graph :math:`G` (spec D2).
    **params
        variance_weight, covariance_weight, invariance_weight, variance_penalty, ddof,
        variance_floor, variance_eps, convention (see :class:`VICRegLoss`).

    Returns
    -------
    array
        0-d array of the embedding's namespace, device and dtype.

    Raises
    ------
    ValueError, TypeError
        As :class:`VICRegLoss`.

    Notes
    -----
    Same as ``VICRegLoss(**params)(embedding, graph)``; the exact gradient comes from
    :meth:`VICRegLoss.value_and_grad`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> Z = np.tile(np.eye(2), (2, 1))  # two originals, both views identical: 10/9 by hand
    >>> print(round(float(vicreg_loss(Z, augmentation_graph(2, 2))), 6))
    1.111111
    """
    return VICRegLoss(**weights)(embedding, graph)


_VARIANCE_SCALE = {"reference": 0.5, "solo_learn": 1.0, "lightly": 0.5}


def convert_vicreg_weights(
    *,
    variance_weight: float,
    covariance_weight: float,
    invariance_weight: float,
    n_components: int,
    from_convention: str,
    to_convention: str,
) -> dict[str, float]:
    r"""Convert VICReg weights between conventions (the closed-form solvers use ``"paper"``).

    On a two-view pairing graph (:math:`N=2B`, :math:`K` components), with :math:`s=1/2`
    (``"reference"``, ``"lightly"``) or :math:`s=1` (``"solo_learn"``):

    .. math::

        \gamma_{\rm paper}=\frac{\gamma_{\rm lib}}{K},\qquad
        \beta_{\rm paper}=\frac{2\beta_{\rm lib}}{K},\qquad
        \alpha_{\rm paper}=\frac{2s\,\alpha_{\rm lib}}{K}.

    The invariance conversion is exact for every batch:
    :math:`\frac{\gamma}{N}\sum_{ij}G_{ij}\lVert z_i-z_j\rVert^2=\frac{\gamma}{B}\lVert x-y\rVert_F^2`
    and the library term is :math:`\gamma_{\rm lib}\lVert x-y\rVert_F^2/(BK)`. The covariance
    and variance conversions are exact when both branches have the same column means and the
    same covariance (e.g. ``y`` a row permutation of ``x``) **and** the paper loss uses
    ``ddof=2`` over the stacked :math:`2B` rows (then the stacked covariance equals each
    branch's :math:`(B-1)`-normalised covariance) and ``variance_penalty="hinge"``; the variance
    terms then differ only through the library's :math:`+10^{-4}` inside the square root (at most
    :math:`\alpha_{\rm paper}K\cdot10^{-4}/(2\sqrt{v_{\min}})`) and the clamps at variance 1 and
    ``variance_floor``. The ``"square"`` penalty of the closed forms is a different function of
    the variance: only its weight is converted.

    Parameters
    ----------
    variance_weight, covariance_weight, invariance_weight : float
        Weights in ``from_convention`` (library: ``std_coeff``, ``cov_coeff``, ``sim_coeff``).
    n_components : int
        :math:`K`, the embedding dimension (the libraries average over it).
    from_convention, to_convention : {"paper", "reference", "solo_learn", "lightly"}

    Returns
    -------
    dict
        ``{"variance_weight", "covariance_weight", "invariance_weight"}`` in ``to_convention``.

    Raises
    ------
    ValueError
        Unknown convention, negative weight, ``n_components < 1``.

    Notes
    -----
    Spec §8 item 7, loss_conventions.md. Checked in ``tests/test_losses.py`` by evaluating both
    losses on a batch with identical per-branch statistics.

    Examples
    --------
    >>> w = convert_vicreg_weights(variance_weight=25.0, covariance_weight=1.0, invariance_weight=25.0,
    ...                            n_components=8, from_convention="reference", to_convention="paper")
    >>> {k: round(v, 4) for k, v in w.items()}
    {'variance_weight': 3.125, 'covariance_weight': 0.25, 'invariance_weight': 3.125}
    """
    check_convention(from_convention)
    check_convention(to_convention)
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    a = _validation.check_positive(variance_weight, name="variance_weight", strict=False)
    b = _validation.check_positive(covariance_weight, name="covariance_weight", strict=False)
    c = _validation.check_positive(invariance_weight, name="invariance_weight", strict=False)

    def to_paper_factors(conv: str) -> tuple[float, float, float]:
        if conv == "paper":
            return 1.0, 1.0, 1.0
        return 2.0 * _VARIANCE_SCALE[conv] / k, 2.0 / k, 1.0 / k

    fa, fb, fc = to_paper_factors(from_convention)
    ta, tb, tc = to_paper_factors(to_convention)
    return {
        "variance_weight": a * fa / ta,
        "covariance_weight": b * fb / tb,
        "invariance_weight": c * fc / tc,
    }

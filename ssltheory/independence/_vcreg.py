"""VCReg / VICReg loss evaluators and the covariance decomposition of Theorem A (spec §2, §4.1)."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend, _validation

__all__ = [
    "CovDecomposition",
    "VCRegTerms",
    "VICRegTerms",
    "convert_vicreg_weights",
    "covariance_decomposition",
    "vcreg_loss",
    "vicreg_loss",
]

_CONVENTIONS = ("paper", "reference")


@dataclass(frozen=True)
class VCRegTerms:
    """VCReg terms (weighted) and the covariance matrix of the first branch.

    Attributes
    ----------
    variance, covariance, total : float
    cov : array (D, D)
        :math:`C(Z)` with the requested ddof.
    """

    variance: float
    covariance: float
    total: float
    cov: Any


@dataclass(frozen=True)
class VICRegTerms:
    """VICReg terms (weighted): invariance, variance, covariance and their sum."""

    invariance: float
    variance: float
    covariance: float
    total: float


@dataclass(frozen=True)
class CovDecomposition:
    """Theorem A's split of the off-diagonal covariance mass of a block-structured embedding.

    Attributes
    ----------
    pair_matrix : array (K, K)
        :math:`T_{kl}=\\|C_{kl}\\|_F^2` (equal to :math:`\\mathrm{HSIC}_{RF}(h^{(k)},h^{(l)})`).
    cross_block : float
        :math:`\\sum_{k\\ne l}T_{kl}` (pairwise HSIC part).
    within_block : float
        Off-diagonal mass inside the diagonal blocks (marginal part, :math:`\\ge0`).
    total_offdiag : float
        :math:`\\sum_{j\\ne l}C_{jl}^2 = D\\,c(Z)`.
    """

    pair_matrix: Any
    cross_block: float
    within_block: float
    total_offdiag: float


def _covariance(z: Any, *, xp: ModuleType, ddof: int) -> Any:
    zc = z - xp.mean(z, axis=0, keepdims=True)
    return zc.mT @ zc / float(z.shape[0] - ddof)


def _v_c(z: Any, *, xp: ModuleType, gamma: float, eps: float, ddof: int) -> tuple[float, float, Any]:
    c = _covariance(z, xp=xp, ddof=ddof)
    d = xp.linalg.diagonal(c)
    v = float(xp.mean(xp.clip(gamma - xp.sqrt(d + eps), min=0.0)))
    off = float(xp.sum(c * c)) - float(xp.sum(d * d))
    return v, off / z.shape[1], c


def _check_embedding(z: Any, *, xp: ModuleType, name: str, ddof: int) -> Any:
    z = _validation.check_array(z, xp=xp, name=name, ndim=2, min_rows=ddof + 1)
    if z.shape[0] - ddof < 1 or z.shape[0] < 2:
        raise ValueError(
            f"{name} needs at least 2 samples (and more than ddof={ddof}), received {z.shape[0]}"
        )
    return z


def _check_common(convention: Any, ddof: Any, weights: dict[str, Any]) -> int:
    if convention not in _CONVENTIONS:
        raise ValueError(f"convention must be 'paper' or 'reference', received {convention!r}")
    for name, w in weights.items():
        _validation.check_positive(w, name=name, strict=False)
    return _validation.check_int(ddof, name="ddof", minimum=0, maximum=1)


def vcreg_loss(
    Z: Any,
    Zp: Any = None,
    /,
    *,
    mu: float = 25.0,
    nu: float = 1.0,
    gamma: float = 1.0,
    eps: float = 1e-4,
    ddof: int = 1,
    convention: str = "paper",
) -> VCRegTerms:
    r"""Variance–covariance regularisation of one or two embedding branches (spec §2).

    .. math::

        C=\tfrac1{N-\mathrm{ddof}}Z^\top H_NZ,\quad
        v(Z)=\tfrac1D\sum_j\max(0,\gamma-\sqrt{C_{jj}+\varepsilon}),\quad
        c(Z)=\tfrac1D\sum_{j\ne l}C_{jl}^2,

    ``"paper"``: :math:`\mu[v(Z)+v(Z')]+\nu[c(Z)+c(Z')]`; ``"reference"`` (official code): the
    variance term is halved, :math:`\tfrac\mu2[v(Z)+v(Z')]`. One branch: drop the primed terms.

    Parameters
    ----------
    Z, Zp : arrays of shape (N, D); ``Zp`` optional
    mu, nu : float
        Variance and covariance weights (:math:`\mu`, :math:`\nu`).
    gamma, eps : float
        Hinge target and the :math:`\varepsilon` under the square root.
    ddof : {0, 1}
    convention : {"paper", "reference"}

    Returns
    -------
    VCRegTerms

    Raises
    ------
    ValueError
        Non-2-D or non-finite input, shapes that differ, negative weights, bad convention.

    Notes
    -----
    spec/independence.md §2, D5–D6. Cost :math:`O(ND^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.random.default_rng(0).standard_normal((100, 4))
    >>> t = vcreg_loss(Z)
    >>> abs(t.total - (t.variance + t.covariance)) < 1e-12
    True
    """
    xp = _backend.get_namespace(Z, Zp)
    ddof = _check_common(convention, ddof, {"mu": mu, "nu": nu, "gamma": gamma, "eps": eps})
    Z = _check_embedding(Z, xp=xp, name="Z", ddof=ddof)
    v, c, cov = _v_c(Z, xp=xp, gamma=gamma, eps=eps, ddof=ddof)
    if Zp is not None:
        Zp = _check_embedding(Zp, xp=xp, name="Zp", ddof=ddof)
        _validation.check_same_shape(Z, Zp, names=("Z", "Zp"))
        vp, cp, _ = _v_c(Zp, xp=xp, gamma=gamma, eps=eps, ddof=ddof)
        v, c = v + vp, c + cp
    var_w = mu if convention == "paper" else mu / 2.0
    variance, cov_term = var_w * v, nu * c
    return VCRegTerms(variance=variance, covariance=cov_term, total=variance + cov_term, cov=cov)


def vicreg_loss(
    Z: Any,
    Zp: Any,
    /,
    *,
    lam: float = 25.0,
    mu: float = 25.0,
    nu: float = 1.0,
    gamma: float = 1.0,
    eps: float = 1e-4,
    ddof: int = 1,
    convention: str = "paper",
) -> VICRegTerms:
    r"""VICReg loss of two embedding branches (Bardes, Ponce, LeCun 2022; spec §2).

    .. math::

        L=\lambda\,s(Z,Z')+\mu[v(Z)+v(Z')]+\nu[c(Z)+c(Z')],\qquad
        s(Z,Z')=\tfrac1N\sum_n\lVert z_n-z'_n\rVert^2\quad(\text{"paper"}),

    ``"reference"`` (facebookresearch/vicreg): invariance :math:`\lambda s/D` (``mse_loss``) and
    variance :math:`\tfrac\mu2[v(Z)+v(Z')]`, i.e. the paper with :math:`\lambda\to\lambda/D`,
    :math:`\mu\to\mu/2` (:func:`convert_vicreg_weights`).

    Parameters
    ----------
    Z, Zp : arrays of shape (N, D)
    lam, mu, nu : float
        Invariance, variance and covariance weights (:math:`\lambda,\mu,\nu`).
    gamma, eps : float
    ddof : {0, 1}
    convention : {"paper", "reference"}

    Returns
    -------
    VICRegTerms

    Raises
    ------
    ValueError
        Shapes that differ, non-finite input, negative weights, bad convention.

    Notes
    -----
    spec/independence.md §2, D6. Data parallelism (all-gathered batches) is out of scope.
    Cost :math:`O(ND^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.random.default_rng(0).standard_normal((64, 8))
    >>> a = vicreg_loss(Z, Z + 0.1, convention="reference").total
    >>> w = convert_vicreg_weights(lam=25.0, mu=25.0, nu=1.0, n_dims=8)
    >>> abs(a - vicreg_loss(Z, Z + 0.1, **w).total) < 1e-12
    True
    """
    xp = _backend.get_namespace(Z, Zp)
    ddof = _check_common(convention, ddof, {"lam": lam, "mu": mu, "nu": nu, "gamma": gamma, "eps": eps})
    Z = _check_embedding(Z, xp=xp, name="Z", ddof=ddof)
    Zp = _check_embedding(Zp, xp=xp, name="Zp", ddof=ddof)
    _validation.check_same_shape(Z, Zp, names=("Z", "Zp"))
    d = Z - Zp
    s = float(xp.sum(d * d)) / Z.shape[0]
    inv = lam * s if convention == "paper" else lam * s / Z.shape[1]
    vc = vcreg_loss(Z, Zp, mu=mu, nu=nu, gamma=gamma, eps=eps, ddof=ddof, convention=convention)
    return VICRegTerms(
        invariance=inv,
        variance=vc.variance,
        covariance=vc.covariance,
        total=inv + vc.variance + vc.covariance,
    )


def convert_vicreg_weights(
    *, lam: float, mu: float, nu: float, n_dims: int, source: str = "reference", target: str = "paper"
) -> dict[str, float]:
    r"""Weights giving the same VICReg loss in another convention (spec §2).

    .. math::

        L_{\rm reference}(\lambda,\mu,\nu)=L_{\rm paper}(\lambda/D,\ \mu/2,\ \nu).

    Parameters
    ----------
    lam, mu, nu : float
        Weights in the ``source`` convention.
    n_dims : int
        Embedding dimension :math:`D`.
    source, target : {"paper", "reference"}

    Returns
    -------
    dict
        ``{"lam", "mu", "nu", "convention"}`` for ``target``, ready to pass to :func:`vicreg_loss`.

    Raises
    ------
    ValueError
        Unknown convention, negative weight, ``n_dims < 1``.

    Notes
    -----
    spec/independence.md §2. Cost :math:`O(1)`.

    Examples
    --------
    >>> convert_vicreg_weights(lam=25.0, mu=25.0, nu=1.0, n_dims=5)
    {'lam': 5.0, 'mu': 12.5, 'nu': 1.0, 'convention': 'paper'}
    """
    for name, c in (("source", source), ("target", target)):
        if c not in _CONVENTIONS:
            raise ValueError(f"{name} must be 'paper' or 'reference', received {c!r}")
    for name, w in (("lam", lam), ("mu", mu), ("nu", nu)):
        _validation.check_positive(w, name=name, strict=False)
    d = _validation.check_int(n_dims, name="n_dims", minimum=1)
    lam, mu, nu = float(lam), float(mu), float(nu)
    if source == "reference" and target == "paper":
        lam, mu = lam / d, mu / 2.0
    elif source == "paper" and target == "reference":
        lam, mu = lam * d, mu * 2.0
    return {"lam": lam, "mu": mu, "nu": nu, "convention": target}


def covariance_decomposition(Z: Any, /, n_blocks: int, block_size: int, *, ddof: int = 1) -> CovDecomposition:
    r"""Split the off-diagonal covariance of a block-structured embedding (Theorem A, spec §4.1).

    With :math:`Z=[\Phi_1,\dots,\Phi_K]` (blocks of ``block_size`` columns) and
    :math:`C=\frac1aZ^\top H_NZ`, :math:`a=N-\mathrm{ddof}`:

    .. math::

        D\,c(Z)=\sum_{j\ne l}C_{jl}^2=\underbrace{\sum_{k\ne l}\|C_{kl}\|_F^2}_{\text{cross-block}}
        +\underbrace{\sum_k\sum_{m\ne m'}(C_{kk})_{mm'}^2}_{\text{within-block}\ \ge0},
        \qquad \|C_{kl}\|_F^2=\tfrac1{a^2}\operatorname{tr}(\hat K_kH_N\hat K_lH_N).

    Parameters
    ----------
    Z : array of shape (N, n_blocks * block_size)
        E.g. the output of a separable :class:`RandomFeatureProjector`.
    n_blocks, block_size : int
        :math:`K` and :math:`M`.
    ddof : {0, 1}

    Returns
    -------
    CovDecomposition

    Raises
    ------
    ValueError
        ``Z``'s width is not ``n_blocks * block_size``, non-finite input, fewer than 2 rows.

    Notes
    -----
    spec/independence.md §4.1, §10; symbolic proof in ``proofs_checks/test_hsic_covariance_identity.py``.
    Cost :math:`O(NK^2M^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.random.default_rng(0).standard_normal((50, 6))
    >>> dec = covariance_decomposition(Z, 3, 2)
    >>> abs(dec.cross_block + dec.within_block - dec.total_offdiag) < 1e-12
    True
    """
    xp = _backend.get_namespace(Z)
    K = _validation.check_int(n_blocks, name="n_blocks", minimum=1)
    M = _validation.check_int(block_size, name="block_size", minimum=1)
    ddof = _validation.check_int(ddof, name="ddof", minimum=0, maximum=1)
    Z = _check_embedding(Z, xp=xp, name="Z", ddof=ddof)
    if Z.shape[1] != K * M:
        raise ValueError(
            f"Z must have n_blocks * block_size = {K * M} columns, received shape {tuple(Z.shape)}"
        )
    c = _covariance(Z, xp=xp, ddof=ddof)
    t = xp.sum(xp.reshape(c * c, (K, M, K, M)), axis=(1, 3))
    cross = float(xp.sum(t)) - float(xp.sum(xp.linalg.diagonal(t)))
    d = xp.linalg.diagonal(c)
    total = float(xp.sum(c * c)) - float(xp.sum(d * d))
    within = float(xp.sum(xp.linalg.diagonal(t))) - float(xp.sum(d * d))
    return CovDecomposition(pair_matrix=t, cross_block=cross, within_block=within, total_offdiag=total)

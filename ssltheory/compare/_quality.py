r"""Representation-quality metrics with stated formulas, and what a random representation gives.

RankMe (Garrido et al. 2023), LiDAR (Thilak et al. 2023), α-ReQ (Agrawal et al. 2022), alignment
and uniformity (Wang & Isola 2020), the probe-error certificate of the spectral contrastive loss
(HaoChen et al. 2021), and two reference values no tool gives: RankMe of an isotropic Gaussian
matrix from the Marchenko–Pastur law, and uniformity of the uniform distribution on the sphere.

Scalar metrics come back as Python floats (one device synchronisation per call); the arrays are
processed on their own backend and device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation

__all__ = [  # noqa: RUF022 (plain sorted() order, as tests/test_public_api.py checks)
    "ProbeErrorBound",
    "RANKME_VARIANTS",
    "alignment",
    "alpha_req",
    "lidar",
    "rankme",
    "rankme_reference",
    "spectral_contrastive_probe_bound",
    "uniformity",
    "uniformity_reference",
]

#: RankMe variants: (centred, spectrum power on the singular values, default eps, max values kept)
RANKME_VARIANTS: dict[str, tuple[bool, int, float, int | None]] = {
    "paper": (False, 1, 1e-7, None),
    "stable_pretraining": (False, 1, 1e-5, None),
    "reptrix": (True, 2, 1e-7, 2048),
}


# ----------------------------------------------------------------------------- private kernels
def _check_variant(variant: str) -> tuple[bool, int, float, int | None]:
    if variant not in RANKME_VARIANTS:
        raise ValueError(
            f"variant must be one of {', '.join(map(repr, RANKME_VARIANTS))}, received {variant!r}"
        )
    return RANKME_VARIANTS[variant]


def _check_eps(eps: Any, default: float) -> float:
    if eps is None:
        return default
    return _validation.check_positive(eps, name="eps", strict=False)


def _entropy_rank(values: Any, *, eps: float, n_total: int, xp: ModuleType, total: Any = None) -> float:
    r"""``exp(-Σ p log p)``, ``p_k = v_k / total + eps`` over ``n_total`` values, of which those not
    in ``values`` are exact zeros (each contributes ``-eps log eps``). ``0 log 0 = 0``. NaN if the
    total is not positive."""
    values = xp.clip(values, min=0.0)
    s = xp.sum(values) if total is None else total
    s = float(s)
    if not s > 0.0 or not math.isfinite(s):
        return math.nan
    p = values / s + eps
    safe = xp.where(p > 0, p, xp.ones_like(p))
    h = -float(xp.sum(xp.where(p > 0, p * xp.log(safe), xp.zeros_like(p))))
    extra = n_total - values.shape[0]
    if extra > 0 and eps > 0:
        h -= extra * eps * math.log(eps)
    return math.exp(h)


def _rankme_from_spectrum(
    sq_singular: Any, n_total: int, *, variant: str, eps: float, xp: ModuleType
) -> float:
    """RankMe from the squared singular values (any order) of the (centred, per variant) matrix."""
    _, power, _, keep = RANKME_VARIANTS[variant]
    sq = xp.clip(sq_singular, min=0.0)
    values = xp.sqrt(sq) if power == 1 else sq
    total = xp.sum(values)
    if keep is not None and values.shape[0] > keep:
        values = xp.flip(xp.sort(values), axis=0)[:keep]
        n_total = min(n_total, keep)
    return _entropy_rank(values, eps=eps, n_total=n_total, xp=xp, total=total)


def _lidar_from_scatter(sb: Any, sw: Any, *, delta: float, eps: float, xp: ModuleType) -> float:
    """LiDAR from the between/within-class covariances (K × K): eigenvalues of (Σ_w + δI)⁻¹Σ_b."""
    w, _ = _linalg.generalized_eigh(sb, sw, xp=xp, ridge=delta)
    return _entropy_rank(w, eps=eps, n_total=w.shape[0], xp=xp)


def _check_embedding(embedding: Any, *, name: str = "embedding", min_rows: int = 1) -> tuple[ModuleType, Any]:
    xp = _backend.get_namespace(embedding)
    z = _validation.check_array(embedding, xp=xp, name=name, ndim=2, min_rows=min_rows)
    if z.shape[1] < 1:
        raise ValueError(f"{name} must have at least one column, received shape {tuple(z.shape)}")
    return xp, z


def _normalize_rows(z: Any, *, xp: ModuleType) -> Any:
    norms = xp.linalg.vector_norm(z, axis=1, keepdims=True)
    return z / xp.clip(norms, min=1e-12)  # F.normalize's eps, as in Wang & Isola's code


def _covariance_spectrum(z: Any, *, xp: ModuleType, ddof: int = 1) -> Any:
    """Eigenvalues (descending, clipped at 0) of ``Cov(z)``, from the smaller Gram matrix."""
    n, d = z.shape
    zc = z - xp.mean(z, axis=0, keepdims=True)
    gram = zc @ zc.mT if n < d else zc.mT @ zc
    w = xp.linalg.eigvalsh(_linalg.symmetrize(gram, xp=xp)) / (n - ddof)
    return xp.clip(xp.flip(w, axis=0), min=0.0)


def _powerlaw_exponent(
    values: Any, *, fit_range: tuple[int, int | None], weighting: str, xp: ModuleType
) -> float:
    """Least-squares slope of ``log λ_k`` against ``-log k`` over ranks ``[lo, hi)`` (1-based)."""
    lo, hi = fit_range
    top = float(values[0]) if values.shape[0] else 0.0
    if not top > 0:
        return math.nan
    tol = max(values.shape[0], 1) * float(xp.finfo(values.dtype).eps) * top
    n_pos = int(xp.sum(xp.astype(values > tol, xp.int64)))
    hi = n_pos + 1 if hi is None else min(hi, n_pos + 1)
    if hi - lo < 2:
        return math.nan
    lam = values[lo - 1 : hi - 1]
    ranks = xp.arange(lo, hi, dtype=values.dtype, device=_backend.device(values))
    x = -xp.log(ranks)
    y = xp.log(lam)
    w = 1.0 / ranks if weighting == "inverse_rank" else xp.ones_like(ranks)
    w = w / xp.sum(w)
    xm, ym = xp.sum(w * x), xp.sum(w * y)
    return float(xp.sum(w * (x - xm) * (y - ym)) / xp.sum(w * (x - xm) ** 2))


def _check_groups(groups: Any, n: int, *, xp: ModuleType) -> tuple[Any, int]:
    """Compact integer labels ``0..C-1`` of shape (n,) and the number of classes."""
    try:
        gxp = _backend.get_namespace(groups)
    except TypeError as exc:
        raise TypeError(f"groups must be an integer array of the embedding's library: {exc}") from exc
    if gxp is not xp and _backend.backend_name(gxp) != _backend.backend_name(xp):
        raise TypeError("groups must come from the same array library as embedding")
    if groups.ndim != 1 or groups.shape[0] != n:
        raise ValueError(f"groups must have shape (n_samples,) = ({n},), received {tuple(groups.shape)}")
    if not xp.isdtype(groups.dtype, "integral"):
        raise TypeError(f"groups must have an integer dtype, received {groups.dtype}")
    values, _, inverse, _ = _backend.unique_all(groups, xp=xp)
    return inverse, int(values.shape[0])


# ----------------------------------------------------------------------------- public metrics
def rankme(embedding: Any, /, *, eps: float | None = None, variant: str = "paper") -> float:
    r"""RankMe: the exponential of the entropy of the normalised singular values of ``Z``.

    .. math::

        p_k = \frac{\sigma_k(Z)}{\lVert\sigma(Z)\rVert_1} + \epsilon,\qquad
        \mathrm{RankMe}(Z) = \exp\Big(-\sum_{k=1}^{\min(N,K)} p_k\log p_k\Big).

    ``variant="paper"`` is Garrido et al.'s definition: :math:`Z` is used as given (**no
    centring**), :math:`\epsilon=10^{-7}`. The tools disagree on the same matrix (isotropic
    Gaussian, :math:`N=K=2048`: paper 1650, ``"stable_pretraining"`` 1899, ``"reptrix"`` 1243):

    - ``"stable_pretraining"``: the RankMe callback of stable-SSL / stable-pretraining,
      ``p = s / s.sum() + 1e-5``: the same formula with :math:`\epsilon=10^{-5}`, which adds
      :math:`\approx-\epsilon\sum_k\log p_k` to the entropy (large at large :math:`K`);
    - ``"reptrix"``: ``reptrix.rankme.get_rankme``: centres the columns and normalises the
      **eigenvalues of the covariance** (:math:`\sigma_k^2` of the centred matrix, through
      scikit-learn's ``PCA.explained_variance_ratio_``) instead of the singular values, keeping
      at most 2048 of them (normalised by the total variance), :math:`\epsilon=10^{-7}`.

    Parameters
    ----------
    embedding : array, shape (n_samples, n_features)
        :math:`Z`, any array-API backend; integers are promoted to float64.
    eps : float, optional
        :math:`\epsilon\ge0`; default the variant's own constant (above).
    variant : {"paper", "stable_pretraining", "reptrix"}

    Returns
    -------
    float
        Between 1 and :math:`\min(N, K)` (up to the :math:`\epsilon` shift).

    Raises
    ------
    ValueError
        ``embedding`` not 2-D, non-finite or zero; unknown ``variant``; negative ``eps``.

    See Also
    --------
    rankme_reference : the value an isotropic Gaussian matrix of the same shape gives.

    Notes
    -----
    Cost: one SVD, :math:`O(NK\min(N,K))`. The variants were read from the tools' source
    (stable-pretraining ``callbacks/rankme.py`` and its JAX port; reptrix ``rankme.py`` and
    ``utils.get_eigenspectrum``); later stable-pretraining forks centre first (1898.6 instead of
    1899.1 on the Gaussian above) or use ``s + 1e-8`` before normalising (1647.4): those are not
    reproduced here.

    References
    ----------
    Q. Garrido, R. Balestriero, L. Najman, Y. LeCun, *RankMe: Assessing the Downstream
    Performance of Pretrained Self-Supervised Representations by Their Rank*, ICML 2023,
    arXiv:2210.02885.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.diag([1.0, 1.0, 0.0])  # two equal singular values: RankMe = 2
    >>> round(rankme(z, eps=0.0), 6)
    2.0
    """
    xp, z = _check_embedding(embedding)
    centred, _, default_eps, _ = _check_variant(variant)
    eps = _check_eps(eps, default_eps)
    if centred:
        z = z - xp.mean(z, axis=0, keepdims=True)
    s = xp.linalg.svdvals(z)
    value = _rankme_from_spectrum(s**2, s.shape[0], variant=variant, eps=eps, xp=xp)
    if math.isnan(value):
        raise ValueError("embedding is zero (after centring, for this variant): RankMe is undefined")
    return value


def rankme_reference(
    n_samples: int, n_features: int, /, *, eps: float | None = None, variant: str = "paper"
) -> float:
    r"""RankMe an isotropic Gaussian :math:`N\times K` matrix gives, from the Marchenko–Pastur law.

    With :math:`m=\min(N,K)`, :math:`n=\max(N,K)`, :math:`c=m/n`, the eigenvalues :math:`x` of
    :math:`Z^\top Z/n` (or :math:`ZZ^\top/n`) follow, as :math:`m\to\infty`, the Marchenko–Pastur
    density :math:`f_c(x)=\sqrt{(b-x)(x-a)}/(2\pi cx)` on :math:`[a,b]=[(1\mp\sqrt c)^2]`. The
    singular values are :math:`\sqrt{nx}`; with :math:`s(x)=\sqrt x` (paper) or :math:`x`
    (reptrix) and :math:`\mu=\int s f_c`, the normalised spectrum is :math:`p(x)=s(x)/(m\mu)` and

    .. math::

        \log\mathrm{RankMe}\ \approx\ -m\int_a^b\big(p(x)+\epsilon\big)\log\big(p(x)+\epsilon\big)
        f_c(x)\,dx,

    (at :math:`\epsilon=0`: :math:`\mathrm{RankMe}/m\to\mu\,e^{-\mathbb E[s\log s]/\mu}`, 0.8050
    at :math:`c=1`). The integral is computed by adaptive quadrature in :math:`\theta`,
    :math:`x=1+c+2\sqrt c\cos\theta`, where :math:`f_c\,dx=\frac{2\sin^2\theta}{\pi x}d\theta`
    is smooth.

    Parameters
    ----------
    n_samples, n_features : int
        :math:`N\ge2`, :math:`K\ge1`.
    eps, variant
        As in :func:`rankme`. Centred variants (``"reptrix"``) use :math:`N-1` rows (a centred
        Gaussian matrix is a Gaussian matrix with one row fewer) and keep the top 2048 values.

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        Non-integer or too small sizes; unknown ``variant``.

    Notes
    -----
    Agreement: :math:`N=K=2048`, the paper's definition: one draw 1650.2, this reference
    1651.1. The finite-size bias is negative and shrinks with :math:`m` (means of 50 draws:
    :math:`-0.3` at :math:`N=K=200`, :math:`-0.03` at :math:`100\times400`), larger at
    :math:`c=1` where the density diverges at the hard edge 0. The other variants at
    :math:`N=K=2048`: ``"stable_pretraining"`` 1900.1 (one draw 1899.1), ``"reptrix"`` 1243.8
    (1242.8).

    References
    ----------
    V. A. Marchenko, L. A. Pastur, *Distribution of eigenvalues for some sets of random
    matrices*, Math. USSR-Sbornik 1 (1967). RankMe: arXiv:2210.02885.

    Examples
    --------
    >>> round(rankme_reference(2048, 2048) / 2048, 3)
    0.806
    """
    from scipy import integrate, optimize

    n_samples = _validation.check_int(n_samples, name="n_samples", minimum=2)
    n_features = _validation.check_int(n_features, name="n_features", minimum=1)
    centred, power, default_eps, keep = _check_variant(variant)
    eps = _check_eps(eps, default_eps)
    rows = n_samples - 1 if centred else n_samples
    m, n = min(rows, n_features), max(rows, n_features)
    n_values = min(n_samples, n_features) if centred else m  # reptrix keeps min(N, K) PCA values
    c = m / n
    rc = math.sqrt(c)

    def x(t: float) -> float:
        return max(1.0 + c + 2.0 * rc * math.cos(t), 0.0)

    def weight(t: float) -> float:
        xt = x(t)
        if xt <= 0.0:  # c = 1 at θ = π only (a single point: its value does not matter)
            return 0.0
        return 2.0 * math.sin(t) ** 2 / (math.pi * xt)

    def s(t: float) -> float:
        return x(t) ** (0.5 if power == 1 else 1.0)

    opts = {"limit": 400, "epsabs": 1e-13, "epsrel": 1e-12}
    mu = integrate.quad(lambda t: s(t) * weight(t), 0.0, math.pi, **opts)[0]
    upper = math.pi
    if keep is not None and m > keep:  # only the top `keep` eigenvalues (θ from 0: largest x)
        frac = keep / m
        upper = optimize.brentq(
            lambda u: integrate.quad(weight, 0.0, u, **opts)[0] - frac, 1e-12, math.pi - 1e-12, xtol=1e-14
        )
        n_values = keep

    def h(t: float) -> float:
        p = s(t) / (m * mu) + eps
        return -p * math.log(p) * weight(t) if p > 0 else 0.0

    entropy = m * integrate.quad(h, 0.0, upper, **opts)[0]
    extra = n_values - (m if upper == math.pi else keep)
    if extra > 0 and eps > 0:
        entropy -= extra * eps * math.log(eps)
    return math.exp(entropy)


def lidar(embedding: Any, groups: Any, /, *, delta: float = 1e-4, eps: float = 1e-7) -> float:
    r"""LiDAR: the effective rank of the LDA matrix whose classes are the views of one sample.

    With classes :math:`c=1..C` (all views of one sample), class means :math:`\mu_c`, their mean
    :math:`\bar\mu`, and :math:`N` rows in all,

    .. math::

        \Sigma_b=\frac1{C-1}\sum_c(\mu_c-\bar\mu)(\mu_c-\bar\mu)^\top,\quad
        \Sigma_w=\frac1{N-C}\sum_c\sum_{i\in c}(z_i-\mu_c)(z_i-\mu_c)^\top+\delta I,

    :math:`\lambda` the eigenvalues of :math:`\Sigma_w^{-1/2}\Sigma_b\Sigma_w^{-1/2}` (those of
    :math:`\Sigma_w^{-1}\Sigma_b`), :math:`p_k=\lambda_k/\lVert\lambda\rVert_1+\epsilon`,
    :math:`\mathrm{LiDAR}=\exp(-\sum_k p_k\log p_k)`.

    Parameters
    ----------
    embedding : array, shape (n_samples, n_features)
        :math:`Z` (all views of all samples, in any order).
    groups : integer array, shape (n_samples,)
        The sample each row is a view of (the LDA class).
    delta : float, default 1e-4
        :math:`\delta\ge0`, the ridge on :math:`\Sigma_w` (``delta`` of stable-pretraining's LiDAR).
        With ``delta=0``, :math:`\Sigma_w` must be invertible (:math:`N-C\ge K` and generic data).
    eps : float, default 1e-7
        :math:`\epsilon\ge0` (reptrix's constant).

    Returns
    -------
    float
        Between 1 and :math:`\min(C-1,K)` (up to the :math:`\epsilon` shift).

    Raises
    ------
    ValueError
        Fewer than 2 classes or no class with 2 rows; bad shapes; non-finite input; ``delta=0``
        with a singular :math:`\Sigma_w`.
    TypeError
        Non-integer ``groups``.

    Notes
    -----
    **Invariance.** For :math:`z\mapsto Az+b`, :math:`\Sigma_b\mapsto A\Sigma_bA^\top` and the
    scatter part of :math:`\Sigma_w` likewise, so with :math:`\delta=0` the eigenvalues of
    :math:`\Sigma_w^{-1}\Sigma_b` (hence LiDAR) are exactly invariant under every invertible
    :math:`A`. With :math:`\delta>0`, :math:`(AS_wA^\top+\delta I)^{-1}A\Sigma_bA^\top` is similar
    to :math:`(S_w+\delta A^{-1}A^{-\top})^{-1}\Sigma_b`: exact for orthogonal :math:`A` (and
    translations), otherwise a perturbation of relative size
    :math:`\approx\delta\lVert A^{-1}\rVert^2/\lambda_{\min}(S_w)`. reptrix's ``get_lidar`` is not
    invariant even at :math:`\delta\to0`: it does not take the eigenvalues of the LiDAR matrix but
    runs PCA on it (centring its rows, then normalising squared singular values); as stored it also
    calls ``torch.matrix_power(Σ, -0.5)``, which accepts only integer exponents. The
    classes-from-labels variant of stable-pretraining's JAX port matches this definition
    (:math:`1/(N-C)` and :math:`1/(C-1)`). Unequal class sizes: :math:`\bar\mu` is the unweighted
    mean of the class means. Cost :math:`O(NK^2+K^3)`.

    References
    ----------
    V. Thilak, C. Huang, O. Saremi, L. Dinh, H. Goh, P. Nakkiran, J. M. Susskind, E. Littwin,
    *LiDAR: Sensing Linear Probing Performance in Joint Embedding SSL Architectures*, ICLR 2024,
    arXiv:2312.04000.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> centers = rng.standard_normal((20, 3)) * 10
    >>> z = np.repeat(centers, 4, axis=0) + rng.standard_normal((80, 3))
    >>> 2.5 < lidar(z, np.repeat(np.arange(20), 4)) <= 3.0
    True
    """
    xp, z = _check_embedding(embedding)
    delta = _validation.check_positive(delta, name="delta", strict=False)
    eps = _validation.check_positive(eps, name="eps", strict=False)
    n = z.shape[0]
    inverse, c = _check_groups(groups, n, xp=xp)
    if c < 2:
        raise ValueError(f"groups must name at least 2 classes (samples), received {c}")
    if n <= c:
        raise ValueError(f"LiDAR needs a class with at least 2 rows (views): {n} rows in {c} classes")
    dev = _backend.device(z)
    onehot = xp.astype(inverse[:, None] == xp.arange(c, device=dev)[None, :], z.dtype)  # (N, C)
    counts = xp.sum(onehot, axis=0)
    means = (onehot.mT @ z) / counts[:, None]
    mc = means - xp.mean(means, axis=0, keepdims=True)
    sb = mc.mT @ mc / (c - 1)
    within = z - onehot @ means
    sw = within.mT @ within / (n - c)
    try:
        value = _lidar_from_scatter(sb, sw, delta=delta, eps=eps, xp=xp)
    except Exception as exc:  # Cholesky of a singular Σ_w (numpy.linalg.LinAlgError or the backend's)
        raise ValueError(
            f"the within-class covariance is singular (delta={delta}): use delta > 0 or more views"
        ) from exc
    if math.isnan(value):
        raise ValueError("the between-class covariance is zero: LiDAR is undefined")
    return value


def alpha_req(
    embedding: Any,
    /,
    *,
    fit_range: tuple[int, int | None] = (1, None),
    weighting: str = "uniform",
    ddof: int = 1,
) -> float:
    r"""α-ReQ: the power-law decay exponent of the covariance eigenvalues.

    With :math:`\lambda_1\ge\lambda_2\ge\dots` the eigenvalues of :math:`\mathrm{Cov}(Z)`, fit
    :math:`\log\lambda_k\approx b-\alpha\log k` by (weighted) least squares over the ranks in
    ``fit_range``:

    .. math::

        \alpha=-\frac{\sum_kw_k(\ell_k-\bar\ell)(y_k-\bar y)}{\sum_kw_k(\ell_k-\bar\ell)^2},
        \qquad \ell_k=\log k,\ y_k=\log\lambda_k.

    Parameters
    ----------
    embedding : array, shape (n_samples, n_features)
    fit_range : (int, int or None), default (1, None)
        1-based ranks ``[lo, hi)``; ``None``: up to the last eigenvalue above
        :math:`\max(N,K)\,\epsilon\,\lambda_1`. reptrix fits ranks 6–100 (``np.arange(5, 100)``).
    weighting : {"uniform", "inverse_rank"}
        ``"inverse_rank"``: :math:`w_k=1/k` (reptrix, after Stringer et al. 2019).
    ddof : int, default 1

    Returns
    -------
    float
        :math:`\alpha` (NaN when fewer than two positive eigenvalues fall in the range).

    Raises
    ------
    ValueError
        Bad ``fit_range``/``weighting``, bad shapes, non-finite input.

    References
    ----------
    K. K. Agrawal, A. K. Mondal, A. Ghosh, B. A. Richards, *α-ReQ: Assessing Representation
    Quality in Self-Supervised Learning by measuring eigenspectrum decay*, NeurIPS 2022; preprint
    arXiv:2202.05808 (as *Investigating power laws in deep representation learning*).

    Examples
    --------
    >>> import numpy as np
    >>> q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((200, 10)))
    >>> z = q * np.sqrt(np.arange(1, 11) ** -1.5)  # covariance eigenvalues ∝ k^-1.5
    >>> round(alpha_req(z), 6)
    1.5
    """
    xp, z = _check_embedding(embedding, min_rows=2)
    if weighting not in ("uniform", "inverse_rank"):
        raise ValueError(f"weighting must be 'uniform' or 'inverse_rank', received {weighting!r}")
    if not (isinstance(fit_range, tuple) and len(fit_range) == 2):
        raise ValueError(f"fit_range must be a pair (lo, hi), received {fit_range!r}")
    lo = _validation.check_int(fit_range[0], name="fit_range[0]", minimum=1)
    hi = fit_range[1]
    if hi is not None:
        hi = _validation.check_int(hi, name="fit_range[1]", minimum=lo + 2)
    ddof = _validation.check_int(ddof, name="ddof", minimum=0, maximum=z.shape[0] - 1)
    values = _covariance_spectrum(z, xp=xp, ddof=ddof)
    return _powerlaw_exponent(values, fit_range=(lo, hi), weighting=weighting, xp=xp)


def alignment(z1: Any, z2: Any, /, *, alpha: float = 2.0) -> float:
    r"""Alignment of positive pairs on the unit sphere (Wang & Isola 2020).

    .. math::

        \mathcal L_{\rm align}=\frac1N\sum_{i=1}^N\lVert\hat z^{(1)}_i-\hat z^{(2)}_i\rVert_2^\alpha,
        \qquad \hat z=z/\max(\lVert z\rVert_2,10^{-12}).

    Parameters
    ----------
    z1, z2 : array, shape (n_samples, n_features)
        Two views, row :math:`i` of each a positive pair.
    alpha : float, default 2

    Returns
    -------
    float
        In :math:`[0,2^\alpha]`; 0 for perfectly aligned pairs.

    Raises
    ------
    ValueError
        Different shapes, non-finite input, ``alpha <= 0``.

    References
    ----------
    T. Wang, P. Isola, *Understanding Contrastive Representation Learning through Alignment and
    Uniformity on the Hypersphere*, ICML 2020, arXiv:2005.10242.

    Examples
    --------
    >>> import numpy as np
    >>> alignment(np.array([[1.0, 0.0]]), np.array([[0.0, 3.0]]))  # ‖e1 - e2‖² = 2
    2.0...
    """
    xp = _backend.get_namespace(z1, z2)
    a = _validation.check_array(z1, xp=xp, name="z1", ndim=2)
    b = _validation.check_array(z2, xp=xp, name="z2", ndim=2)
    _validation.check_same_shape(a, b, names=("z1", "z2"))
    alpha = _validation.check_positive(alpha, name="alpha")
    d = xp.linalg.vector_norm(_normalize_rows(a, xp=xp) - _normalize_rows(b, xp=xp), axis=1)
    return float(xp.mean(d**alpha))


def uniformity(embedding: Any, /, *, t: float = 2.0) -> float:
    r"""Uniformity on the unit sphere (Wang & Isola 2020): log of the mean Gaussian potential.

    .. math::

        \mathcal L_{\rm uniform}=\log\frac{2}{N(N-1)}\sum_{i<j}e^{-t\lVert\hat z_i-\hat z_j\rVert_2^2},
        \qquad \hat z=z/\max(\lVert z\rVert_2,10^{-12}),

    over all pairs of distinct rows (``torch.pdist(x).pow(2).mul(-t).exp().mean().log()`` in the
    authors' code).

    Parameters
    ----------
    embedding : array, shape (n_samples, n_features)
        :math:`N\ge2` rows.
    t : float, default 2

    Returns
    -------
    float
        :math:`\le0`; lower is more uniform. See :func:`uniformity_reference`.

    Raises
    ------
    ValueError
        Fewer than 2 rows, non-finite input, ``t <= 0``.

    References
    ----------
    arXiv:2005.10242.

    Examples
    --------
    >>> import numpy as np
    >>> round(uniformity(np.array([[1.0, 0.0], [-1.0, 0.0]])), 6)  # one pair at distance² 4: -2t·2
    -8.0
    """
    xp, z = _check_embedding(embedding, min_rows=2)
    t = _validation.check_positive(t, name="t")
    u = _normalize_rows(z, xp=xp)
    g = u @ u.mT
    n = g.shape[0]
    sq = xp.clip(xp.linalg.diagonal(g)[:, None] + xp.linalg.diagonal(g)[None, :] - 2 * g, min=0.0)
    idx = xp.arange(n, device=_backend.device(z))
    off = idx[:, None] != idx[None, :]
    total = xp.sum(xp.where(off, xp.exp(-t * sq), xp.zeros_like(sq)))
    return math.log(float(total) / (n * (n - 1)))


def uniformity_reference(n_features: int, /, *, t: float = 2.0) -> float:
    r"""Uniformity of the uniform distribution on the sphere :math:`S^{K-1}`, in closed form.

    For independent uniform :math:`x,y\in S^{K-1}`, :math:`\lVert x-y\rVert^2=2-2u` with
    :math:`u=\langle x,y\rangle` of density :math:`\propto(1-u^2)^{(K-3)/2}`, whose moment
    generating function is :math:`\mathbb E\,e^{su}={}_0F_1(;K/2;s^2/4)=\Gamma(K/2)(s/2)^{1-K/2}
    I_{K/2-1}(s)`. With :math:`s=2t`:

    .. math::

        \log\mathbb E\,e^{-t\lVert x-y\rVert^2}=-2t+\log{}_0F_1\!\big(;\tfrac K2;t^2\big)
        =-2t+\log\Gamma(\tfrac K2)+(1-\tfrac K2)\log t+\log I_{K/2-1}(2t).

    (:math:`K=2`: :math:`-2t+\log I_0(2t)`; :math:`K=3`: :math:`\log\frac{1-e^{-4t}}{4t}`;
    :math:`K\to\infty`: :math:`-2t+t^2\cdot2/K+O(K^{-2})`.)

    Parameters
    ----------
    n_features : int
        :math:`K\ge1` (:math:`K=1`: the two points :math:`\pm1`, :math:`\log\frac{1+e^{-4t}}2`).
    t : float, default 2

    Returns
    -------
    float
        The population value; a batch of :math:`N` uniform points scatters around it by
        :math:`O(1/N)` (the U-statistic is unbiased for :math:`e^{\text{value}}`).

    Raises
    ------
    TypeError, ValueError
        Non-integer or non-positive ``n_features``, ``t <= 0``.

    References
    ----------
    arXiv:2005.10242 (the metric); the moment generating function of a coordinate of a uniform
    point on the sphere (e.g. Watson, *Statistics on Spheres*, 1983).

    Examples
    --------
    >>> import math
    >>> round(uniformity_reference(3, t=2.0) - math.log((1 - math.exp(-8)) / 8), 12)
    0.0
    """
    from scipy import special

    k = _validation.check_int(n_features, name="n_features", minimum=1)
    t = _validation.check_positive(t, name="t")
    return -2.0 * t + math.log(float(special.hyp0f1(k / 2.0, t * t)))


# ----------------------------------------------------------------------------- probe certificate
@dataclass(frozen=True)
class ProbeErrorBound:
    r"""The computable part of HaoChen et al.'s linear-probe guarantee (see
    :func:`spectral_contrastive_probe_bound`).

    Attributes
    ----------
    error_bound : float
        :math:`2\phi/\lambda_{k+1}`: bound on the degree-weighted misclassification rate of the
        best least-squares linear probe (argmax) on the optimal embedding; :math:`\ge1` is vacuous.
    squared_error_bound : float
        :math:`\phi/\lambda_{k+1}`: bound on that probe's weighted squared error.
    label_disagreement : float
        :math:`\phi=\sum_{ij}w_{ij}\mathbf 1[y_i\ne y_j]`, :math:`w_{ij}=G_{ij}/\mathrm{vol}`.
    eigenvalue : float
        :math:`\lambda_{k+1}` of :math:`L_{\rm sym}` (ascending).
    n_components : int
        :math:`k` used (at most the requested one: the number of positive top eigenvalues of
        :math:`D^{-1/2}GD^{-1/2}`, the columns the optimum keeps).
    """

    error_bound: float
    squared_error_bound: float
    label_disagreement: float
    eigenvalue: float
    n_components: int


def spectral_contrastive_probe_bound(graph: Any, labels: Any, /, *, n_components: int) -> ProbeErrorBound:
    r"""Probe-error certificate of the spectral contrastive loss on a relation graph.

    With :math:`w_{ij}=G_{ij}/\mathrm{vol}`, :math:`w_i=d_i/\mathrm{vol}`,
    :math:`L_{\rm sym}=I-D^{-1/2}GD^{-1/2}` with eigenvalues :math:`\lambda_1\le\lambda_2\le\dots`,
    the optimum :math:`F^*` of the spectral contrastive loss with :math:`k` columns spans
    :math:`D^{-1/2}\,\mathrm{span}(u_1..u_k)`. For labels :math:`y` (one-hot :math:`Y`) the best
    linear probe :math:`B` satisfies

    .. math::

        \min_B\sum_iw_i\lVert Bf^*_i-y_i\rVert^2=\lVert(I-P_k)D_w^{1/2}Y\rVert_F^2
        \le\frac{\mathrm{tr}(Y^\top(D_w-W)Y)}{\lambda_{k+1}}=\frac{\phi}{\lambda_{k+1}},\qquad
        \phi=\sum_{ij}w_{ij}\mathbf 1[y_i\ne y_j],

    and a wrong argmax costs at least :math:`1/2` of squared error, so the weighted
    misclassification rate is at most :math:`2\phi/\lambda_{k+1}` (HaoChen et al.'s bound with
    the label disagreement :math:`\phi^{\hat y}`).

    Parameters
    ----------
    graph : array, shape (n_samples, n_samples)
        Dense symmetric non-negative graph (its diagonal counts, as self-augmentation weight);
        every node needs a positive degree.
    labels : integer array, shape (n_samples,)
    n_components : int
        :math:`1\le k\le N-1`.

    Returns
    -------
    ProbeErrorBound

    Raises
    ------
    ValueError
        Invalid graph, a node of degree 0, bad shapes, ``n_components`` out of range.
    TypeError
        Non-integer ``labels``.

    Notes
    -----
    What is computable from a batch, and what it bounds: the transductive error on the rows of
    ``graph`` of the best linear probe on the **exact optimum** of the spectral contrastive loss
    on that graph (not a trained network's error, and not a population error). The paper's
    remaining steps (:math:`\phi^{\hat y}\le2\alpha` under :math:`\alpha`-consistency of the
    labels, and the higher-order Cheeger lower bound on :math:`\lambda_{k+1}`) need the population
    augmentation graph and are not computed. If fewer than :math:`k` top eigenvalues of
    :math:`D^{-1/2}GD^{-1/2}` are positive, the optimum keeps only those columns and :math:`k` is
    reduced accordingly; :math:`\lambda_{k+1}=0` gives ``inf``. Cost :math:`O(N^3)` (dense eigh).
    The inequality (not its constant's optimality) is checked in ``tests/test_quality.py``
    against the actual probe error computed from a dense eigendecomposition.

    References
    ----------
    J. Z. HaoChen, C. Wei, A. Gaidon, T. Ma, *Provable Guarantees for Self-Supervised Deep
    Learning with Spectral Contrastive Loss*, NeurIPS 2021, arXiv:2106.04156.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.kron(np.eye(2), np.ones((3, 3))) + 0.01  # two clusters, weakly linked
    >>> b = spectral_contrastive_probe_bound(g, np.repeat([0, 1], 3), n_components=2)
    >>> b.error_bound < 0.05
    True
    """
    xp = _backend.get_namespace(graph)
    g = _validation.check_graph(graph, xp=xp, diagonal="keep")
    if _backend.is_sparse(g):
        g = xp.asarray(g.toarray())
    n = g.shape[0]
    k = _validation.check_n_components(n_components, maximum=n - 1, reason="one eigenvalue must follow")
    inverse, _ = _check_groups(labels, n, xp=xp)
    deg = xp.sum(g, axis=1)
    if bool(xp.any(deg <= 0)):
        raise ValueError(f"graph has a node of degree 0 (node {int(xp.argmin(deg))}); D must be invertible")
    vol = float(xp.sum(deg))
    inv_sqrt = 1.0 / xp.sqrt(deg)
    lam = xp.linalg.eigvalsh(
        _linalg.symmetrize(
            xp.eye(n, dtype=g.dtype, device=_backend.device(g)) - g * inv_sqrt[:, None] * inv_sqrt[None, :],
            xp=xp,
        )
    )
    k_eff = min(k, int(xp.sum(xp.astype(lam < 1.0, xp.int64))))
    eig = max(float(lam[k_eff]), 0.0)
    disagree = inverse[:, None] != inverse[None, :]
    phi = float(xp.sum(xp.where(disagree, g, xp.zeros_like(g)))) / vol
    sq = math.inf if eig <= 0 else phi / eig
    return ProbeErrorBound(
        error_bound=2.0 * sq,
        squared_error_bound=sq,
        label_disagreement=phi,
        eigenvalue=eig,
        n_components=k_eff,
    )

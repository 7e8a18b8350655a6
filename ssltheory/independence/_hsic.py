"""HSIC estimators: biased, unbiased, normalised, random-feature, pairwise and dHSIC (spec §3, §6.1)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend, _validation
from ssltheory.independence import _features as _ft
from ssltheory.independence import _kernels as _k

__all__ = ["PairwiseHSICResult", "dhsic", "hsic", "pairwise_hsic", "rf_hsic"]

_ESTIMATORS = ("biased", "unbiased")
_CHUNK_ELEMENTS = 2**24  # ≈ 128 MB of float64: all K Grams in one pass (and test=True) up to this
_BLOCK_ELEMENTS = 2**22  # ≈ 32 MB (K, b, n) row blocks beyond it (measured 2× faster than 128 MB)


@dataclass(frozen=True)
class PairwiseHSICResult:
    """HSIC of every pair of columns of an embedding.

    Attributes
    ----------
    matrix : array (K, K)
        ``matrix[k, l]`` = HSIC of columns k and l; the diagonal holds the self-HSIC.
    mean_offdiag : float
        Mean of the off-diagonal entries (the pairwise-independence summary).
    pvalues : array (K, K) or None
        Permutation p-values (``test=True``); the diagonal is NaN.
    """

    matrix: Any
    mean_offdiag: float
    pvalues: Any = None


# --------------------------------------------------------------------------- private estimators
def _hsic_biased(k: Any, g: Any, *, xp: ModuleType, ddof: int = 0) -> Any:
    """``Σ (HKH) ∘ L / (n-ddof)²`` (a 0-d array)."""
    n = k.shape[0]
    return xp.sum(_k._center(k, xp=xp) * g) / float((n - ddof) ** 2)


def _hsic_unbiased(k: Any, g: Any, *, xp: ModuleType) -> Any:
    """Song et al. (2012) unbiased estimator (a 0-d array); needs n >= 4."""
    n = k.shape[0]
    eye = xp.eye(n, dtype=xp.bool, device=_backend.device(k))
    zero = xp.zeros((), dtype=k.dtype, device=_backend.device(k))
    kt, lt = xp.where(eye, zero, k), xp.where(eye, zero, g)
    rk, rl = xp.sum(kt, axis=1), xp.sum(lt, axis=1)
    term1 = xp.sum(kt * lt)
    term2 = xp.sum(rk) * xp.sum(rl) / float((n - 1) * (n - 2))
    term3 = 2.0 / (n - 2) * xp.sum(rk * rl)
    return (term1 + term2 - term3) / float(n * (n - 3))


def _check_estimator(estimator: Any, ddof: Any, n: int) -> int:
    if estimator not in _ESTIMATORS:
        raise ValueError(f"estimator must be 'biased' or 'unbiased', received {estimator!r}")
    ddof = _validation.check_int(ddof, name="ddof", minimum=0, maximum=1)
    if estimator == "unbiased":
        if ddof:
            raise ValueError(
                "ddof applies to the biased estimator only; use ddof=0 with estimator='unbiased'"
            )
        if n < 4:
            raise ValueError(f"estimator='unbiased' needs at least 4 samples, received n={n}")
    return ddof


def _hsic_value(k: Any, g: Any, *, xp: ModuleType, estimator: str, ddof: int) -> Any:
    if estimator == "unbiased":
        return _hsic_unbiased(k, g, xp=xp)
    return _hsic_biased(k, g, xp=xp, ddof=ddof)


def _prepare_pair(
    x: Any, y: Any, *, kernel: str, bandwidth: Any, estimator: str, ddof: int
) -> tuple[ModuleType, Any, Any, tuple[float, float], int]:
    """Namespace, Gram matrices, bandwidths and the checked ddof of a pair (shared validation)."""
    xp = _backend.get_namespace(x, y)
    kernel = _k._check_kernel(kernel)
    nx, ny = x.shape[0], y.shape[0]
    if nx != ny:
        raise ValueError(f"x and y must have the same number of samples, received {nx} and {ny}")
    ddof = _check_estimator(estimator, ddof, nx)
    kx, sx = _k._kernel_and_sigma(x, xp=xp, name="x", kernel=kernel, bandwidth=bandwidth)
    ky, sy = _k._kernel_and_sigma(y, xp=xp, name="y", kernel=kernel, bandwidth=bandwidth)
    return xp, kx, ky, (sx, sy), ddof


def _normalizer(kx: Any, ky: Any, *, xp: ModuleType, estimator: str, ddof: int) -> float:
    """``sqrt(HSIC(x,x) HSIC(y,y))``; raises if a variable is constant (zero self-HSIC)."""
    hx = float(_hsic_value(kx, kx, xp=xp, estimator=estimator, ddof=ddof))
    hy = float(_hsic_value(ky, ky, xp=xp, estimator=estimator, ddof=ddof))
    for name, h in (("x", hx), ("y", hy)):
        if not h > 0:
            raise ValueError(
                f"normalize=True needs HSIC({name}, {name}) > 0, received {h:.3g}: {name} is constant "
                "(or its kernel is degenerate)"
            )
    return math.sqrt(hx * hy)


# --------------------------------------------------------------------------- public
def hsic(
    x: Any,
    y: Any,
    /,
    *,
    kernel: str = "gaussian",
    bandwidth: Any = "median",
    estimator: str = "biased",
    ddof: int = 0,
    normalize: bool = False,
) -> float:
    r"""Hilbert–Schmidt independence criterion of two variables (raw, spec D2).

    .. math::

        \mathrm{HSIC}_b=\frac{1}{(n-\mathrm{ddof})^2}\operatorname{tr}(KHLH),\qquad
        \mathrm{HSIC}_u=\frac{1}{n(n-3)}\Big[\operatorname{tr}(\tilde K\tilde L)
        +\frac{\mathbf 1^\top\tilde K\mathbf 1\,\mathbf 1^\top\tilde L\mathbf 1}{(n-1)(n-2)}
        -\frac{2}{n-2}\mathbf 1^\top\tilde K\tilde L\mathbf 1\Big],

    :math:`H=I-\mathbf 1\mathbf 1^\top/n`, :math:`\tilde K` = ``K`` with zero diagonal;
    ``normalize=True`` returns :math:`\mathrm{HSIC}(x,y)/\sqrt{\mathrm{HSIC}(x,x)\mathrm{HSIC}(y,y)}`.

    Parameters
    ----------
    x, y : arrays of shape (n,) or (n, p) (or (n, n) Grams with ``kernel="precomputed"``)
    kernel : {"gaussian", "laplacian", "linear", "precomputed"}
        ``"linear"`` gives :math:`\|\widehat{\mathrm{Cov}}(x,y)\|_F^2` (ddof 0).
    bandwidth : {"median", "gretton", "causal_learn"} or float
        σ rule applied to each variable separately (D3).
    estimator : {"biased", "unbiased"}
        The unbiased estimator may be negative; it is never clamped.
    ddof : {0, 1}
        Biased estimator only: divide by :math:`(n-1)^2` with ``ddof=1`` (Gretton 2005).
    normalize : bool

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Different sample counts, fewer than 4 samples for the unbiased estimator, non-positive
        bandwidth, non-finite input, constant variable with ``normalize=True``.

    Notes
    -----
    spec/independence.md §3.1, §6.1, D2–D3; proofs in ``proofs_checks/test_hsic_*.py``.
    Cost :math:`O(n^2p)` time and :math:`O(n^2)` memory.

    Examples
    --------
    >>> import numpy as np
    >>> u = np.random.default_rng(0).uniform(-1, 1, 300)
    >>> v = np.random.default_rng(1).permutation(u**2)
    >>> dep, ind = hsic(u, u**2, normalize=True), hsic(u, v, normalize=True)
    >>> dep > 0.2 > 0.02 > ind
    True
    """
    xp, kx, ky, _, ddof = _prepare_pair(
        x, y, kernel=kernel, bandwidth=bandwidth, estimator=estimator, ddof=ddof
    )
    value = float(_hsic_value(kx, ky, xp=xp, estimator=estimator, ddof=ddof))
    if normalize:
        value /= _normalizer(kx, ky, xp=xp, estimator=estimator, ddof=ddof)
    return value


def _column_grams(xt: Any, rows: slice, kernel: str, *, xp: ModuleType) -> Any:
    """Rows ``rows`` of the Gram matrices of every row of the scaled ``xt`` (K, n): shape (K, b, n).

    ``xt`` is ``Hᵀ`` divided per column by ``√2 σ_k`` (Gaussian) or ``σ_k`` (Laplacian), so a block
    is one contiguous subtraction and one ``exp`` (no transpose copies).
    """
    diff = xt[:, rows, None] - xt[:, None, :]  # (K, b, n)
    if kernel == "gaussian":
        return xp.exp(-(diff * diff))
    return xp.exp(-xp.abs(diff))


def _pairwise_gram(
    x: Any, *, xp: ModuleType, kernel: str, sigmas: Any, estimator: str = "biased", block_size: Any = None
) -> tuple[Any, Any]:
    """``T = Gc Gᵀ / n²`` (or HSIC_u) over row blocks; returns T and, when it fits one block, the Grams.

    ``block_size`` rows per block (``None``: one block if ``K n² ≤ _CHUNK_ELEMENTS``, else
    ``_BLOCK_ELEMENTS // (n K)`` rows, a (K, b, n) block of at most ``_BLOCK_ELEMENTS`` entries).
    Biased: two passes (row means, then the centred
    products of each block with ONE ``(K, b n) @ (b n, K)`` matmul).  Unbiased: one pass
    (uncentred products and row sums, the Song et al. formula with unit Gram diagonals).
    """
    n, K = x.shape
    if block_size is None:
        budget = min(_BLOCK_ELEMENTS, _CHUNK_ELEMENTS)
        b = n if K * n * n <= _CHUNK_ELEMENTS else max(1, min(n, budget // (n * K)))
    else:
        b = min(n, block_size)
    scale = sigmas * math.sqrt(2.0) if kernel == "gaussian" else sigmas
    # (K, n) C-contiguous (stack, not a transposed view), scaled per column; see _column_grams
    x = xp.stack([x[:, k] for k in range(K)], axis=0) / scale[:, None]
    chunks = [slice(i, min(n, i + b)) for i in range(0, n, b)]
    if estimator == "unbiased":
        s = xp.zeros((K, K), dtype=x.dtype, device=_backend.device(x))
        sums, grams = [], None
        for c in chunks:
            g = _column_grams(x, c, kernel, xp=xp)
            flat = xp.reshape(g, (K, g.shape[1] * n))
            s = s + flat @ flat.mT
            sums.append(xp.sum(g, axis=2))
            grams = g if len(chunks) == 1 else None
        # K̃ = K − I (unit diagonal): tr(K̃L̃) = S − n, row sums r − 1, 1ᵀK̃1 = Σr − n
        r = xp.concat(sums, axis=1) - 1.0
        tot = xp.sum(r, axis=1)
        term2 = tot[:, None] * tot[None, :] / float((n - 1) * (n - 2))
        term3 = 2.0 / (n - 2) * (r @ r.mT)
        return (s - float(n) + term2 - term3) / float(n * (n - 3)), grams
    if len(chunks) == 1:
        g = _column_grams(x, chunks[0], kernel, xp=xp)
        gc = _k._center(g, xp=xp)
        flat = xp.reshape(g, (K, n * n))
        return xp.reshape(gc, (K, n * n)) @ flat.mT / float(n * n), g
    # pass 1: row sums (= column sums, the Grams are symmetric); pass 2: centred products
    sums = xp.concat([xp.sum(_column_grams(x, c, kernel, xp=xp), axis=2) for c in chunks], axis=1)
    means = sums / float(n)
    grand = xp.mean(means, axis=1)
    t = xp.zeros((K, K), dtype=x.dtype, device=_backend.device(x))
    for c in chunks:
        g = _column_grams(x, c, kernel, xp=xp)
        gc = g - means[:, c, None] - means[:, None, :] + grand[:, None, None]
        width = g.shape[1] * n
        t = t + xp.reshape(gc, (K, width)) @ xp.reshape(g, (K, width)).mT
    return t / float(n * n), None


# ``pairwise_hsic(method="rff")`` streams rows in chunks of at most this many feature entries
_RFF_CHUNK_ELEMENTS = 1 << 22


def _pairwise_rff(
    x: Any, *, xp: ModuleType, n_features: int, family: str, sigmas: np.ndarray, seed: Any
) -> Any:
    n, K = x.shape
    rng = np.random.default_rng(seed)
    w, b = _ft._draw_params(rng, 1, n_features, family, 1.0, K)
    w = w[:, 0, :] / sigmas[:, None]
    dev = _backend.device(x)
    w_x = xp.asarray(w, dtype=x.dtype, device=dev)[None, :, :]
    b_x = xp.asarray(b, dtype=x.dtype, device=dev)[None, :, :]

    def features(rows: slice) -> Any:
        u = x[rows, :, None] * w_x
        phi = _ft._feature_map(u, b_x, family, "kernel", n_features, xp=xp)
        return xp.reshape(phi, (u.shape[0], -1))

    step = max(1, _RFF_CHUNK_ELEMENTS // (K * n_features))
    if n <= step:
        phi = features(slice(0, n))
        phi = phi - xp.mean(phi, axis=0, keepdims=True)
        c = phi.mT @ phi / float(n)
    else:
        # row chunks (memory O(step·K·M) instead of O(nKM)); moments about the first chunk's
        # mean, then C = S/n − δδᵀ with δ = mean − shift (small: no cancellation)
        shift = xp.mean(features(slice(0, step)), axis=0, keepdims=True)
        c, tot = None, None
        for start in range(0, n, step):
            phi = features(slice(start, min(n, start + step))) - shift
            part, col = phi.mT @ phi, xp.sum(phi, axis=0)
            c, tot = (part, col) if c is None else (c + part, tot + col)
        delta = tot / float(n)
        c = c / float(n) - delta[:, None] * delta[None, :]
    m = c.shape[0] // K
    return xp.sum(xp.reshape(c * c, (K, m, K, m)), axis=(1, 3))


def pairwise_hsic(
    H: Any,
    /,
    *,
    method: str = "gram",
    n_features: int = 256,
    normalize: bool = False,
    test: bool = False,
    kernel: str = "gaussian",
    bandwidth: Any = "median",
    family: str = "rff",
    n_permutations: int = 1000,
    seed: Any = 0,
    estimator: str = "biased",
    block_size: Any = None,
) -> PairwiseHSICResult:
    r"""HSIC of every pair of columns of ``H`` in one vectorised pass (no loop over pairs).

    .. math::

        T_{kl}=\frac1{n^2}\sum_{ij}(HK_kH)_{ij}(K_l)_{ij}=\mathrm{HSIC}_b(h^{(k)},h^{(l)}),
        \qquad T = G_cG^\top/n^2,

    with rows of :math:`G` the flattened Grams :math:`K_k` and of :math:`G_c` the flattened
    :math:`HK_kH` (``method="gram"``), or Theorem A with kernel-scaled random features,
    :math:`T_{kl}=\|\frac1n\Phi_k^\top H\Phi_l\|_F^2` (``method="rff"``).

    Parameters
    ----------
    H : array of shape (n_samples, K)
    method : {"gram", "rff"}
    n_features : int
        Random features per column (``"rff"``).
    normalize : bool
        Return :math:`T_{kl}/\sqrt{T_{kk}T_{ll}}` (a constant column raises ``ValueError``).
    test : bool
        Permutation p-values for every pair (``"gram"``; :math:`O(BK^2n^2)`; the same permutation
        of the second argument is shared by all pairs of one replicate).
    kernel : {"gaussian", "laplacian", "linear"}
    bandwidth : {"median", "gretton", "causal_learn"} or float
        Per column (D3); for ``"rff"`` the frequencies are :math:`N(0,\sigma_k^{-2})`.
    family : {"rff", "rff_paired", "relu"}
    n_permutations : int
    seed : int or numpy.random.Generator
        Random features and permutations.
    estimator : {"biased", "unbiased"}
        ``"unbiased"`` (Song et al. 2012, :math:`n\ge4`) needs ``method="gram"``, a Gaussian or
        Laplacian kernel and ``test=False``.
    block_size : int or None
        Rows per block of the exact ``"gram"`` route. ``None``: a single block (all Grams in
        memory) when :math:`Kn^2\le2^{24}` (128 MiB in float64), else
        :math:`b=\lfloor 2^{22}/(nK)\rfloor`, i.e. blocks of :math:`Kbn\le2^{22}` Gram entries
        (32 MiB, peak ≈ 6× that in temporaries). The result does not depend on it beyond rounding.

    Returns
    -------
    PairwiseHSICResult

    Raises
    ------
    ValueError
        Bad method/kernel/estimator/block_size, non-2-D or non-finite ``H``, fewer than 2 rows
        (4 for ``"unbiased"``), constant column with ``normalize=True``.

    Notes
    -----
    spec/independence.md §6.1. Cost ``"gram"``: :math:`O(K^2n^2)` time, :math:`O(Kn^2)` memory,
    blocked over rows (two passes: Gram row means, then one :math:`(K,bn)\times(bn,K)` matmul
    per block of centred Gram rows) beyond :math:`2^{24}` entries, so memory is
    :math:`O(Kbn)` (:math:`K=64`, :math:`n=10^4`: 6-row blocks, < 0.3 GB instead of 51 GB);
    ``"unbiased"`` needs one pass only. ``"rff"``: :math:`O(nK^2M^2)`. With ``"rff"`` the
    off-diagonal entries are unbiased (independent draws per column, §4.2) but the diagonal reuses
    one draw in both arguments and is biased upwards by :math:`O(1/M)`.

    Examples
    --------
    >>> import numpy as np
    >>> u = np.random.default_rng(0).uniform(-1, 1, 200)
    >>> res = pairwise_hsic(np.stack([u, u**2, np.random.default_rng(1).uniform(size=200)], axis=1))
    >>> bool(res.matrix[0, 1] > 10 * res.matrix[0, 2])
    True
    """
    xp = _backend.get_namespace(H)
    H = _validation.check_array(H, xp=xp, name="H", ndim=2, min_rows=2)
    n, K = H.shape
    if method not in ("gram", "rff"):
        raise ValueError(f"method must be 'gram' or 'rff', received {method!r}")
    kernel = _k._check_kernel(kernel)
    if kernel == "precomputed":
        raise ValueError(
            "pairwise_hsic computes the Grams of H's columns; kernel='precomputed' is not supported"
        )
    if test and method != "gram":
        raise ValueError("test=True needs method='gram'")
    if estimator not in _ESTIMATORS:
        raise ValueError(f"estimator must be 'biased' or 'unbiased', received {estimator!r}")
    if estimator == "unbiased":
        if method != "gram" or kernel == "linear" or test:
            raise ValueError(
                "estimator='unbiased' needs method='gram', a gaussian or laplacian kernel and test=False"
            )
        if n < 4:
            raise ValueError(f"estimator='unbiased' needs at least 4 samples, received n={n}")
    if block_size is not None:
        block_size = _validation.check_int(block_size, name="block_size", minimum=1)
    if kernel != "linear":
        cols = []
        sig = []
        for k in range(K):
            ck, sk = _k._resolve_bandwidth(H[:, k : k + 1], bandwidth, xp=xp, name=f"H[:, {k}]")
            cols.append(ck)
            sig.append(sk)
        H = xp.concat(cols, axis=1)
        sigmas = np.asarray(sig)
    grams = None
    if method == "rff":
        n_features = _validation.check_int(n_features, name="n_features", minimum=1)
        _ft._check_family(family)
        if kernel != "gaussian":
            raise ValueError("method='rff' approximates the Gaussian kernel; use kernel='gaussian'")
        t = _pairwise_rff(H, xp=xp, n_features=n_features, family=family, sigmas=sigmas, seed=seed)
    elif kernel == "linear":
        hc = H - xp.mean(H, axis=0, keepdims=True)
        c = hc.mT @ hc / float(n)
        t = c * c
    else:
        s = xp.asarray(sigmas, dtype=H.dtype, device=_backend.device(H))
        t, grams = _pairwise_gram(
            H, xp=xp, kernel=kernel, sigmas=s, estimator=estimator, block_size=block_size
        )
    t = (t + t.mT) / 2.0
    if normalize:
        d = xp.linalg.diagonal(t)
        if bool(xp.any(d <= 0)):
            col = int(xp.argmax(xp.astype(d <= 0, xp.int8)))
            raise ValueError(f"normalize=True needs non-constant columns, but H[:, {col}] is constant")
        t = t / xp.sqrt(d[:, None] * d[None, :])
    pvalues = None
    if test:
        if kernel == "linear":
            hc = H - xp.mean(H, axis=0, keepdims=True)
            grams = xp.permute_dims(hc, (1, 0))[:, :, None] * xp.permute_dims(hc, (1, 0))[:, None, :]
        if grams is None:
            raise ValueError(
                f"test=True needs the {K} Gram matrices in memory; n={n} is too large, subsample H"
            )
        n_permutations = _validation.check_int(n_permutations, name="n_permutations", minimum=1)
        pvalues = _pairwise_pvalues(grams, n_permutations, seed, xp=xp)
    eye = np.eye(K, dtype=bool)
    t_host = _backend.to_numpy(t)
    mean_off = float(t_host[~eye].mean()) if K > 1 else math.nan
    return PairwiseHSICResult(matrix=t, mean_offdiag=mean_off, pvalues=pvalues)


def _pairwise_pvalues(grams: Any, n_perm: int, seed: Any, *, xp: ModuleType) -> Any:
    from ssltheory.independence._stattests import _permutation_batches, _permuted_flat

    K, n, _ = grams.shape
    gc = xp.reshape(_k._center(grams, xp=xp), (K, n * n))
    flat = xp.reshape(grams, (K, n * n))
    t0 = gc @ flat.mT
    count = xp.zeros((K, K), dtype=xp.int64, device=_backend.device(grams))
    for perms in _permutation_batches(n, n_perm, seed, per_batch=max(1, _CHUNK_ELEMENTS // (K * n * n))):
        for p in perms:
            gp = _permuted_flat(flat, p, xp=xp)  # (K, n²)
            count = count + xp.astype(gc @ gp.mT >= t0 - 1e-12 * xp.abs(t0), xp.int64)
    pv = (1.0 + xp.astype(count, grams.dtype)) / float(n_perm + 1)
    eye = xp.eye(K, dtype=xp.bool, device=_backend.device(grams))
    return xp.where(eye, xp.asarray(math.nan, dtype=grams.dtype, device=_backend.device(grams)), pv)


def _dhsic_grams(*xs: Any, bandwidth: Any) -> tuple[ModuleType, list[Any], list[float]]:
    """Validated Gram matrices and bandwidths of the variables of dHSIC."""
    if len(xs) < 2:
        raise ValueError(f"dhsic needs at least 2 variables, received {len(xs)}")
    xp = _backend.get_namespace(*xs)
    ns = {x.shape[0] for x in xs}
    if len(ns) != 1:
        raise ValueError(
            f"all variables must have the same number of samples, received {[x.shape[0] for x in xs]}"
        )
    grams, sigmas = [], []
    for j, x in enumerate(xs):
        kj, sj = _k._kernel_and_sigma(x, xp=xp, name=f"xs[{j}]", kernel="gaussian", bandwidth=bandwidth)
        grams.append(kj)
        sigmas.append(sj)
    return xp, grams, sigmas


def _dhsic_value(grams: list[Any], *, xp: ModuleType) -> Any:
    """dHSIC V-statistic of Gram matrices (spec §6.1)."""
    n = grams[0].shape[0]
    t1 = grams[0]
    t2 = xp.sum(grams[0]) / float(n * n)
    t3 = xp.sum(grams[0], axis=1) / float(n)
    for g in grams[1:]:
        t1 = t1 * g
        t2 = t2 * (xp.sum(g) / float(n * n))
        t3 = t3 * (xp.sum(g, axis=1) / float(n))
    return xp.sum(t1) / float(n * n) + t2 - 2.0 * xp.sum(t3) / float(n)


def dhsic(*xs: Any, bandwidth: Any = "median") -> float:
    r"""dHSIC: the joint-independence criterion of several variables (Pfister et al. 2018).

    .. math::

        \mathrm{dHSIC}=\frac1{n^2}\sum_{a,b}\prod_jK^j_{ab}+\prod_j\Big[\frac1{n^2}\sum_{a,b}K^j_{ab}\Big]
        -\frac2n\sum_a\prod_j\Big[\frac1n\sum_bK^j_{ab}\Big].

    It is 0 iff the variables are jointly independent (characteristic kernels); for two variables
    it equals :math:`\mathrm{HSIC}_b`.

    Parameters
    ----------
    *xs : arrays of shape (n,) or (n, p_j), at least 2
    bandwidth : {"median", "gretton", "causal_learn"} or float
        Gaussian σ rule, applied to each variable separately.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Fewer than 2 variables, different sample counts, non-finite input, bad bandwidth.

    Notes
    -----
    spec/independence.md §3.1, §6.1, §10. Cost :math:`O(dn^2p)`.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.random.default_rng(0).standard_normal((2, 50))
    >>> abs(dhsic(x, y) - hsic(x, y)) < 1e-12
    True
    """
    xp, grams, _ = _dhsic_grams(*xs, bandwidth=bandwidth)
    return float(_dhsic_value(grams, xp=xp))


def rf_hsic(
    x: Any,
    y: Any,
    /,
    *,
    n_features: int = 256,
    family: str = "rff",
    bandwidth: Any = 1.0,
    ddof: int = 0,
    seed: Any = 0,
) -> float:
    r"""Random-feature (linear-time) HSIC estimate.

    .. math::

        \mathrm{HSIC}_{RF}=\Big\|\tfrac1{n-\mathrm{ddof}}\Phi_x^\top H\Phi_y\Big\|_F^2
        =\tfrac1{(n-\mathrm{ddof})^2}\operatorname{tr}(\hat K_xH\hat K_yH),\qquad\hat K=\Phi\Phi^\top,

    with kernel-scaled random features (D4), drawn independently for ``x`` and ``y``, so that
    :math:`\mathbb E_\theta\mathrm{HSIC}_{RF}=\mathrm{HSIC}_b` of the limit kernel exactly (§4.2).

    Parameters
    ----------
    x, y : arrays of shape (n,) or (n, p)
    n_features : int
        :math:`M` per variable.
    family : {"rff", "rff_paired", "relu"}
        ``"rff"``/``"rff_paired"`` approximate the Gaussian kernel of width ``bandwidth``.
    bandwidth : float or {"median", "gretton", "causal_learn"}
        σ per variable (default 1).
    ddof : {0, 1}
    seed : int or numpy.random.Generator

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Mismatched sample counts, non-finite input, bad sizes, family or bandwidth.

    Notes
    -----
    spec §3.2, §4.2 (Theorem B: RMS error :math:`O(M^{-1/2})`). Cost :math:`O(nM(p+\min(n,M)))`.

    Examples
    --------
    >>> import numpy as np
    >>> u = np.random.default_rng(0).standard_normal(300)
    >>> exact = hsic(u, u**2, bandwidth=1.0)
    >>> abs(rf_hsic(u, u**2, n_features=4096) - exact) < 0.1 * exact
    True
    """
    xp = _backend.get_namespace(x, y)
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"x and y must have the same number of samples, received {x.shape[0]} and {y.shape[0]}"
        )
    n_features = _validation.check_int(n_features, name="n_features", minimum=1)
    family = _ft._check_family(family)
    if family == "rff_paired" and n_features % 2:
        raise ValueError(f"n_features must be even for family='rff_paired', received {n_features}")
    ddof = _validation.check_int(ddof, name="ddof", minimum=0, maximum=1)
    rng = np.random.default_rng(seed)
    phis = []
    for name, v in (("x", x), ("y", y)):
        v = _k._as_samples(v, xp=xp, name=name)
        v, sigma = _k._resolve_bandwidth(v, bandwidth, xp=xp, name=name)
        w, b = _ft._draw_params(rng, v.shape[1], n_features, family, sigma, 1)
        dev = _backend.device(v)
        u = v @ xp.asarray(w[0], dtype=v.dtype, device=dev)
        phi = _ft._feature_map(
            u, xp.asarray(b[0], dtype=v.dtype, device=dev), family, "kernel", n_features, xp=xp
        )
        phis.append(phi - xp.mean(phi, axis=0, keepdims=True))
    n = x.shape[0]
    if n < phis[0].shape[1]:
        # ‖Φxᵀ Φy‖_F² = tr(Φx Φxᵀ Φy Φyᵀ): the two n×n Grams cost O(n²M) instead of O(nM²)
        gx, gy = phis[0] @ phis[0].mT, phis[1] @ phis[1].mT
        return float(xp.sum(gx * gy)) / float(n - ddof) ** 2
    c = phis[0].mT @ phis[1] / float(n - ddof)
    return float(xp.sum(c * c))

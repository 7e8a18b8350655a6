"""Independence tests: permutation and gamma-approximation HSIC tests, dHSIC test (spec §6.2, D7)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend, _validation
from ssltheory.independence import _hsic as _h
from ssltheory.independence import _kernels as _k

__all__ = ["HSICResult", "dhsic_test", "hsic_test"]

_BATCH_ELEMENTS = 2**22
_ROWCOL_MIN_N = 256  # below: one flat gather per batch beats a loop (measured: flat faster at n ≤ 200)


@dataclass(frozen=True)
class HSICResult:
    """Outcome of an independence test.

    Attributes
    ----------
    statistic : float
        The estimator's value (HSIC, nHSIC or dHSIC), never negated (D8).
    pvalue : float
    method : str
        ``"permutation"``, ``"gamma"`` or ``"rf_permutation"`` (:func:`rf_hsic_test`).
    estimator : str
        ``"biased"``, ``"unbiased"`` or ``"dhsic"``.
    n : int
        Sample count.
    bandwidths : tuple of float
        σ of each variable (NaN for linear/precomputed kernels).
    n_permutations : int or None
    reject : bool
        ``pvalue < alpha``.
    null_mean, null_var : float or None
        Mean and variance of the statistic under the null (permutation sample, or the gamma
        approximation's moments).
    """

    statistic: float
    pvalue: float
    method: str
    estimator: str
    n: int
    bandwidths: tuple[float, ...]
    n_permutations: int | None
    reject: bool
    null_mean: float | None = None
    null_var: float | None = None


# --------------------------------------------------------------------------- permutation machinery
def _permutation_batches(n: int, n_perm: int, seed: Any, *, per_batch: int) -> Iterator[np.ndarray]:
    """Batches ``(b, n)`` of seeded random permutations (host NumPy), ``n_perm`` in total."""
    rng = np.random.default_rng(seed)
    done = 0
    per_batch = max(1, per_batch)
    while done < n_perm:
        b = min(per_batch, n_perm - done)
        yield rng.permuted(np.tile(np.arange(n), (b, 1)), axis=1)
        done += b


def _flat_index(perms: np.ndarray) -> np.ndarray:
    """Indices into a flattened (n, n) matrix giving ``M[π][:, π]`` for each row π of ``perms``."""
    n = perms.shape[1]
    return (perms[:, :, None] * n + perms[:, None, :]).reshape(perms.shape[0], n * n)


def _permuted_flat(flat: Any, perm: np.ndarray, *, xp: ModuleType) -> Any:
    """``flat`` (..., n²) holding (n, n) matrices, with rows and columns permuted by ``perm``."""
    idx = xp.asarray(_flat_index(perm[None, :])[0], device=_backend.device(flat))
    return xp.take(flat, idx, axis=-1)


def _take_batch(mat: Any, perms: np.ndarray, *, xp: ModuleType) -> Any:
    """(b, n²): the (n, n) matrix ``mat`` with rows and columns permuted by each row of ``perms``."""
    n = mat.shape[0]
    idx = _flat_index(perms)
    out = xp.take(xp.reshape(mat, (n * n,)), xp.asarray(idx.reshape(-1), device=_backend.device(mat)), axis=0)
    return xp.reshape(out, (idx.shape[0], n * n))


def _permuted_dots(mats: list[Any], perms: list[np.ndarray], weight: Any, *, xp: ModuleType) -> Any:
    """(b,): ``Σ_ij weight_ij · Π_k mats[k][π_k(i), π_k(j)]`` for each row of the ``perms[k]`` (b, n).

    For n ≥ ``_ROWCOL_MIN_N`` each permuted matrix is two axis gathers (whole rows, then columns
    of the row-contiguous copy) reduced at once: cache-friendly, and neither a (b, n²) index nor
    a (b, n²) gathered batch is built (measured ~2x faster at n = 600). For smaller n one flat
    gather per batch has fewer calls.
    """
    n = weight.shape[0]
    if n < _ROWCOL_MIN_N:
        prod = None
        for mat, pm in zip(mats, perms, strict=True):
            g = _take_batch(mat, pm, xp=xp)
            prod = g if prod is None else prod * g
        return prod @ xp.reshape(weight, (n * n,))
    dev = _backend.device(weight)
    out = []
    for r in range(perms[0].shape[0]):
        prod = None
        for mat, pm in zip(mats, perms, strict=True):
            pi = xp.asarray(pm[r, :], device=dev)
            g = xp.take(xp.take(mat, pi, axis=0), pi, axis=1)
            prod = g if prod is None else prod * g
        # an elementwise product and sum, not a BLAS dot: one tiny multithreaded BLAS call per
        # permutation spin-waits (measured 10x slower with 2 BLAS threads on 2 cores)
        out.append(xp.sum(prod * weight))
    return xp.stack(out)


def _perm_stats(
    kx: Any, ky: Any, *, xp: ModuleType, estimator: str, ddof: int, n_perm: int, seed: Any
) -> Any:
    """HSIC of ``(x, y_π)`` for ``n_perm`` permutations π, vectorised by batches; shape (n_perm,)."""
    n = kx.shape[0]
    per_batch = max(1, _BATCH_ELEMENTS // (n * n))
    stats = []
    if estimator == "biased":
        kc_mat = _k._center(kx, xp=xp)
        for perms in _permutation_batches(n, n_perm, seed, per_batch=per_batch):
            stats.append(_permuted_dots([ky], [perms], kc_mat, xp=xp) / float((n - ddof) ** 2))
        return xp.concat(stats)
    eye = xp.eye(n, dtype=xp.bool, device=_backend.device(kx))
    zero = xp.zeros((), dtype=kx.dtype, device=_backend.device(kx))
    kt, lt = xp.where(eye, zero, kx), xp.where(eye, zero, ky)
    rk, rl = xp.sum(kt, axis=1), xp.sum(lt, axis=1)
    const = xp.sum(rk) * xp.sum(rl) / float((n - 1) * (n - 2))
    for perms in _permutation_batches(n, n_perm, seed, per_batch=per_batch):
        t1 = _permuted_dots([lt], [perms], kt, xp=xp)
        rlp = xp.reshape(xp.take(rl, xp.asarray(perms.reshape(-1), device=_backend.device(rl))), perms.shape)
        t3 = 2.0 / (n - 2) * (rlp @ rk)
        stats.append((t1 + const - t3) / float(n * (n - 3)))
    return xp.concat(stats)


def _pvalue(null: Any, observed: Any, *, xp: ModuleType) -> float:
    # permutations reproducing the observed pairing give the observed value up to rounding:
    # count them as ">=" (a relative slack of 1e-12 ≫ the O(n² eps) rounding of the sums)
    slack = 1e-12 * abs(float(observed))
    count = int(xp.sum(xp.astype(null >= observed - slack, xp.int64)))
    return (1.0 + count) / (null.shape[0] + 1.0)


def _gamma(kx: Any, ky: Any, *, xp: ModuleType) -> tuple[float, float, float]:
    """p-value, null mean and variance of HSIC_b (Gretton et al. 2008, spec §6.2)."""
    from scipy.stats import gamma as gamma_dist

    n = kx.shape[0]
    for name, g in (("x", kx), ("y", ky)):
        diag = xp.linalg.diagonal(g)
        if float(xp.max(xp.abs(diag - 1.0))) > 1e-10:
            raise ValueError(
                f"method='gamma' needs k(a, a) = 1 (Gaussian or Laplacian kernel); the kernel of {name} "
                "has another diagonal"
            )
    kc, lc = _k._center(kx, xp=xp), _k._center(ky, xp=xp)
    prod = kc * lc
    t = float(xp.sum(prod)) / n
    mx = (float(xp.sum(kx)) - n) / (n * (n - 1))
    my = (float(xp.sum(ky)) - n) / (n * (n - 1))
    mean = (1.0 + mx * my - mx - my) / n
    q = prod * prod
    var = (
        2.0
        * (n - 4)
        * (n - 5)
        / (n * (n - 1) * (n - 2) * (n - 3))
        * (float(xp.sum(q)) - float(xp.sum(xp.linalg.diagonal(q))))
        / (n * (n - 1))
    )
    if not (mean > 0 and var > 0):
        raise ValueError(
            "method='gamma' is undefined here: a variable is constant (its Gram matrix is all ones), "
            "so the null moments vanish"
        )
    p = float(gamma_dist.sf(t, mean * mean / var, scale=n * var / mean))
    return p, mean, var


def hsic_test(
    x: Any,
    y: Any,
    /,
    *,
    method: str = "permutation",
    n_permutations: int = 1000,
    seed: Any = 0,
    alpha: float = 0.05,
    **hsic_kw: Any,
) -> HSICResult:
    r"""Test :math:`H_0: x\perp y` with HSIC.

    .. math::

        p_{\rm perm}=\frac{1+\#\{b:\mathrm{HSIC}(x,y_{\pi_b})\ge\mathrm{HSIC}(x,y)\}}{B+1},\qquad
        p_\Gamma = 1-F_{\Gamma(E^2/V,\;nV/E)}(n\,\mathrm{HSIC}_b).

    Parameters
    ----------
    x, y : arrays of shape (n,) or (n, p)
    method : {"permutation", "gamma"}
        ``"gamma"``: Gretton et al. (2008), needs :math:`k(a,a)=1` and the biased estimator.
    n_permutations : int
        :math:`B` (permutation test).
    seed : int or numpy.random.Generator
        Seed of the permutations (vectorised in batches).
    alpha : float
        Level for ``reject``.
    **hsic_kw
        ``kernel``, ``bandwidth``, ``estimator``, ``ddof``, ``normalize`` of :func:`hsic`.

    Returns
    -------
    HSICResult

    Raises
    ------
    ValueError
        Bad method or options, mismatched sample counts, too few samples, non-finite input,
        a gamma test on a kernel with :math:`k(a,a)\ne1` or a constant variable.

    Notes
    -----
    spec/independence.md §6.2, D7. The normalised statistic has the same permutation p-value as
    the raw one (its denominator is permutation-invariant). Cost :math:`O(Bn^2)` (permutation),
    :math:`O(n^2)` (gamma).

    Examples
    --------
    >>> import numpy as np
    >>> u = np.random.default_rng(0).uniform(-1, 1, 200)
    >>> hsic_test(u, u**2, n_permutations=200).pvalue < 0.01
    True
    """
    unknown = set(hsic_kw) - {"kernel", "bandwidth", "estimator", "ddof", "normalize"}
    if unknown:
        raise TypeError(f"hsic_test got unexpected keyword argument(s) {sorted(unknown)}")
    kernel = hsic_kw.get("kernel", "gaussian")
    bandwidth = hsic_kw.get("bandwidth", "median")
    estimator = hsic_kw.get("estimator", "biased")
    normalize = bool(hsic_kw.get("normalize", False))
    alpha = _validation.check_positive(alpha, name="alpha")
    if alpha >= 1:
        raise ValueError(f"alpha must be in (0, 1), received {alpha}")
    xp, kx, ky, sigmas, ddof = _h._prepare_pair(
        x, y, kernel=kernel, bandwidth=bandwidth, estimator=estimator, ddof=hsic_kw.get("ddof", 0)
    )
    n = kx.shape[0]
    raw = _h._hsic_value(kx, ky, xp=xp, estimator=estimator, ddof=ddof)
    scale = _h._normalizer(kx, ky, xp=xp, estimator=estimator, ddof=ddof) if normalize else 1.0
    if method == "permutation":
        n_permutations = _validation.check_int(n_permutations, name="n_permutations", minimum=1)
        null = _perm_stats(kx, ky, xp=xp, estimator=estimator, ddof=ddof, n_perm=n_permutations, seed=seed)
        p = _pvalue(null, raw, xp=xp)
        null_mean = float(xp.mean(null)) / scale
        null_var = float(xp.var(null)) / scale**2
    elif method == "gamma":
        if estimator != "biased" or ddof != 0:
            raise ValueError("method='gamma' needs the biased estimator with ddof=0")
        p, null_mean, null_var = _gamma(kx, ky, xp=xp)
        null_mean, null_var = null_mean / scale, null_var / scale**2
        n_permutations = None
    else:
        raise ValueError(f"method must be 'permutation' or 'gamma', received {method!r}")
    return HSICResult(
        statistic=float(raw) / scale,
        pvalue=p,
        method=method,
        estimator=estimator,
        n=n,
        bandwidths=tuple(float(s) for s in sigmas),
        n_permutations=n_permutations,
        reject=bool(p < alpha),
        null_mean=null_mean,
        null_var=null_var,
    )


def dhsic_test(
    *xs: Any, n_permutations: int = 1000, seed: Any = 0, alpha: float = 0.05, bandwidth: Any = "median"
) -> HSICResult:
    r"""Permutation test of joint independence with dHSIC.

    .. math::

        p=\frac{1+\#\{b:\mathrm{dHSIC}(x^1,x^2_{\pi^2_b},\dots,x^d_{\pi^d_b})\ge\mathrm{dHSIC}\}}{B+1},

    every variable but the first permuted independently (Pfister et al. 2018).

    Parameters
    ----------
    *xs : arrays of shape (n,) or (n, p_j), at least 2
    n_permutations : int
    seed : int or numpy.random.Generator
    alpha : float
    bandwidth : {"median", "gretton", "causal_learn"} or float

    Returns
    -------
    HSICResult
        ``estimator="dhsic"``.

    Raises
    ------
    ValueError
        Fewer than 2 variables, mismatched sample counts, non-finite input.

    Notes
    -----
    spec/independence.md §6.2, D7. Cost :math:`O(Bdn^2)`.

    Examples
    --------
    >>> from ssltheory.independence import make_pairwise_not_mutual
    >>> h = make_pairwise_not_mutual(400, seed=0)
    >>> dhsic_test(h[:, 0], h[:, 1], h[:, 2], n_permutations=200).pvalue < 0.05
    True
    """
    xp, grams, sigmas = _h._dhsic_grams(*xs, bandwidth=bandwidth)
    n_permutations = _validation.check_int(n_permutations, name="n_permutations", minimum=1)
    alpha = _validation.check_positive(alpha, name="alpha")
    if alpha >= 1:
        raise ValueError(f"alpha must be in (0, 1), received {alpha}")
    n = grams[0].shape[0]
    observed = _h._dhsic_value(grams, xp=xp)
    t2 = 1.0
    for g in grams:
        t2 *= float(xp.sum(g)) / (n * n)
    rows = [xp.sum(g, axis=1) / float(n) for g in grams]
    rng = np.random.default_rng(seed)
    per_batch = max(1, _BATCH_ELEMENTS // (n * n))
    stats = []
    done = 0
    while done < n_permutations:
        b = min(per_batch, n_permutations - done)
        t3 = xp.ones((b, n), dtype=grams[0].dtype, device=_backend.device(grams[0])) * rows[0]
        perm_list = []
        for j in range(1, len(grams)):
            perms = rng.permuted(np.tile(np.arange(n), (b, 1)), axis=1)
            perm_list.append(perms)
            idx = xp.asarray(perms.reshape(-1), device=_backend.device(rows[j]))
            t3 = t3 * xp.reshape(xp.take(rows[j], idx), (b, n))
        t1 = _permuted_dots(grams[1:], perm_list, grams[0], xp=xp)
        stats.append(t1 / float(n * n) + t2 - 2.0 * xp.sum(t3, axis=1) / float(n))
        done += b
    null = xp.concat(stats)
    p = _pvalue(null, observed, xp=xp)
    return HSICResult(
        statistic=float(observed),
        pvalue=p,
        method="permutation",
        estimator="dhsic",
        n=n,
        bandwidths=tuple(float(s) for s in sigmas),
        n_permutations=n_permutations,
        reject=bool(p < alpha),
        null_mean=float(xp.mean(null)),
        null_var=float(xp.var(null)),
    )

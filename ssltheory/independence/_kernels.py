"""Kernels and bandwidth rules for HSIC (spec/independence.md D3, §6.3, §10)."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend, _validation

__all__ = ["gram", "median_bandwidth"]

_KERNELS = ("gaussian", "laplacian", "linear", "precomputed")
_RULES = ("median", "gretton", "causal_learn")
_MAX_MEDIAN_ROWS = 2000


# --------------------------------------------------------------------------- private kernels
def _as_samples(x: Any, *, xp: ModuleType, name: str, min_rows: int = 2) -> Any:
    """Validate ``x`` as ``(n,)`` or ``(n, p)`` data and return it as a floating ``(n, p)`` array."""
    if getattr(x, "ndim", None) not in (1, 2):
        raise ValueError(
            f"{name} must be a 1-D (n_samples,) or 2-D (n_samples, n_features) array, "
            f"received shape {tuple(getattr(x, 'shape', ()))}"
        )
    x = _validation.check_array(x, xp=xp, name=name, min_rows=min_rows)
    if x.ndim == 1:
        x = xp.reshape(x, (-1, 1))
    return x


def _sqdist(a: Any, b: Any, *, xp: ModuleType) -> Any:
    """Squared Euclidean distances between the rows of ``a`` (m, p) and ``b`` (n, p), clipped at 0."""
    if a.shape[1] <= 8:  # direct differences: exact zeros on duplicates, no cancellation
        diff = a[:, None, :] - b[None, :, :]
        return xp.sum(diff * diff, axis=2)
    sa = xp.sum(a * a, axis=1)
    sb = xp.sum(b * b, axis=1)
    return xp.clip(sa[:, None] + sb[None, :] - 2.0 * (a @ b.mT), min=0.0)


def _median_of_first(values: Any, start: int, count: int, *, xp: ModuleType, sqrt: bool = False) -> float:
    """Median of the order statistics ``start … start+count-1`` of a 1-D array (0 if ``count`` is 0).

    ``sqrt=True``: median of the square roots (the two middle values are rooted before averaging).
    """
    if count == 0:
        return 0.0
    lo, hi = start + (count - 1) // 2, start + count // 2
    a, b = _backend._order_statistics(values, [lo, hi], xp=xp)
    if sqrt:
        a, b = math.sqrt(a), math.sqrt(b)
    return 0.5 * (a + b)


def _subsample_rows(x: Any, *, xp: ModuleType, max_samples: int, seed: Any) -> Any:
    """At most ``max_samples`` rows of ``x``, drawn without replacement from a host generator."""
    n = x.shape[0]
    if n <= max_samples:
        return x
    idx = np.sort(np.random.default_rng(seed).choice(n, max_samples, replace=False))
    return xp.take(x, xp.asarray(idx, device=_backend.device(x)), axis=0)


def _offdiag_sq(x: Any, *, xp: ModuleType, d2: Any = None) -> tuple[Any, int]:
    """Flattened squared distances with the diagonal set to +inf (so it orders last), and the
    number ``m(m-1)`` of off-diagonal entries (each pair appears twice: same median as i<j).
    ``d2``: the squared distances of ``x`` when the caller already has them."""
    m = x.shape[0]
    if d2 is None:
        d2 = _sqdist(x, x, xp=xp)
    eye = xp.eye(m, dtype=xp.bool, device=_backend.device(x))
    d2 = xp.where(eye, xp.asarray(math.inf, dtype=d2.dtype, device=_backend.device(x)), d2)
    return xp.reshape(d2, (-1,)), m * (m - 1)


def _median_sigma(x: Any, *, xp: ModuleType, max_samples: int = _MAX_MEDIAN_ROWS, seed: Any = 0) -> float:
    """The median rule (D3): median off-diagonal distance, 1.0 if it is 0."""
    rows = _subsample_rows(x, xp=xp, max_samples=max_samples, seed=seed)
    d2, count = _offdiag_sq(rows, xp=xp)
    med = _median_of_first(d2, 0, count, xp=xp, sqrt=True)  # √ is monotone: same order as d²
    return med if med > 0 else 1.0


def _positive_median(x: Any, *, xp: ModuleType, seed: Any, sqrt: bool) -> float:
    rows = _subsample_rows(x, xp=xp, max_samples=_MAX_MEDIAN_ROWS, seed=seed)
    d2, count = _offdiag_sq(rows, xp=xp)
    n_pos = int(xp.sum(xp.astype((d2 > 0) & (d2 < math.inf), xp.int64)))
    # zeros order first, the positive off-diagonal entries are positions count-n_pos … count-1
    return _median_of_first(d2, count - n_pos, n_pos, xp=xp, sqrt=sqrt)


def _zscore(x: Any, *, xp: ModuleType, name: str) -> Any:
    """Columns centred and divided by their std (ddof 1); a constant column raises ``ValueError``."""
    xc = x - xp.mean(x, axis=0, keepdims=True)
    std = xp.sqrt(xp.sum(xc * xc, axis=0) / (x.shape[0] - 1))
    if bool(xp.any(std == 0)):
        col = int(xp.argmax(xp.astype(std == 0, xp.int8)))
        raise ValueError(f"{name} has a constant column ({col}); bandwidth='causal_learn' z-scores it")
    return xc / std


def _resolve_bandwidth(x: Any, bandwidth: Any, *, xp: ModuleType, name: str) -> tuple[Any, float]:
    """Apply a bandwidth rule (D3): returns the (possibly z-scored) data and the Gaussian σ."""
    if isinstance(bandwidth, str):
        if bandwidth == "median":
            return x, _median_sigma(x, xp=xp)
        if bandwidth == "gretton":
            med = _positive_median(x, xp=xp, seed=0, sqrt=False)
            return x, math.sqrt(0.5 * med) if med > 0 else 1.0
        if bandwidth == "causal_learn":
            x = _zscore(x, xp=xp, name=name)
            med = _positive_median(x, xp=xp, seed=0, sqrt=True)
            return x, math.sqrt(2.0) * med if med > 0 else 1.0
        raise ValueError(
            f"bandwidth must be one of {', '.join(map(repr, _RULES))} or a positive float, "
            f"received {bandwidth!r}"
        )
    return x, _validation.check_positive(bandwidth, name="bandwidth")


def _check_kernel(kernel: Any) -> str:
    if kernel not in _KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(map(repr, _KERNELS))}, received {kernel!r}")
    return kernel


def _gram_matrix(x: Any, kernel: str, sigma: float, *, xp: ModuleType) -> Any:
    """Gram matrix of rows of ``x`` (n, p) for a resolved kernel and σ."""
    if kernel == "linear":
        return x @ x.mT
    d2 = _sqdist(x, x, xp=xp)
    if kernel == "gaussian":
        return xp.exp(-d2 / (2.0 * sigma * sigma))
    return xp.exp(-xp.sqrt(d2) / sigma)  # laplacian


def _center(k: Any, *, xp: ModuleType) -> Any:
    """``H K H`` for a symmetric ``K`` (``H = I - 11ᵀ/n``), also batched over leading axes."""
    r = xp.mean(k, axis=-1, keepdims=True)
    return k - r - xp.matrix_transpose(r) + xp.mean(r, axis=-2, keepdims=True)


def _kernel_and_sigma(x: Any, *, xp: ModuleType, name: str, kernel: str, bandwidth: Any) -> tuple[Any, float]:
    """Gram matrix and σ (nan for linear/precomputed) of one variable."""
    if kernel == "precomputed":
        if x.ndim != 2 or x.shape[0] != x.shape[1]:
            raise ValueError(
                f"{name} must be a square (n, n) Gram matrix for kernel='precomputed', received shape "
                f"{tuple(x.shape)}"
            )
        return _validation.check_array(x, xp=xp, name=name), math.nan
    x = _as_samples(x, xp=xp, name=name)
    if kernel == "linear":
        return _gram_matrix(x, kernel, math.nan, xp=xp), math.nan
    if isinstance(bandwidth, str) and bandwidth == "median" and x.shape[0] <= _MAX_MEDIAN_ROWS:
        # the median rule sees every row: one distance matrix serves the rule and the Gram
        d2 = _sqdist(x, x, xp=xp)
        flat, count = _offdiag_sq(x, xp=xp, d2=d2)
        med = _median_of_first(flat, 0, count, xp=xp, sqrt=True)
        sigma = med if med > 0 else 1.0
        if kernel == "gaussian":
            return xp.exp(-d2 / (2.0 * sigma * sigma)), sigma
        return xp.exp(-xp.sqrt(d2) / sigma), sigma
    x, sigma = _resolve_bandwidth(x, bandwidth, xp=xp, name=name)
    return _gram_matrix(x, kernel, sigma, xp=xp), sigma


# --------------------------------------------------------------------------- public
def median_bandwidth(x: Any, /, *, max_samples: int = _MAX_MEDIAN_ROWS, seed: Any = 0) -> float:
    r"""The median heuristic: median off-diagonal pairwise Euclidean distance of the rows of ``x``.

    .. math::

        \sigma = \operatorname{median}\{\lVert x_i - x_j\rVert : i<j\},

    replaced by 1 when the median is 0 (spec/independence.md D3). For more than ``max_samples``
    rows, the median is taken on ``max_samples`` rows drawn without replacement with ``seed``.

    Parameters
    ----------
    x : array of shape (n_samples,) or (n_samples, n_features)
    max_samples : int
        Rows used at most (default 2000).
    seed : int or numpy.random.Generator
        Seed of the row subsample.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``x`` has fewer than 2 rows, is not 1-D/2-D, or is not finite.

    Notes
    -----
    Spec §10 recipe. Cost :math:`O(m^2 p + m^2\log m)` with :math:`m=\min(n,\text{max_samples})`.

    Examples
    --------
    >>> import numpy as np
    >>> median_bandwidth(np.array([0.0, 1.0, 3.0]))
    2.0
    """
    xp = _backend.get_namespace(x)
    x = _as_samples(x, xp=xp, name="x")
    max_samples = _validation.check_int(max_samples, name="max_samples", minimum=2)
    return _median_sigma(x, xp=xp, max_samples=max_samples, seed=seed)


def gram(x: Any, /, *, kernel: str = "gaussian", bandwidth: Any = "median") -> Any:
    r"""Gram matrix of a kernel on the rows of ``x``.

    .. math::

        K_{ij} = e^{-\lVert x_i-x_j\rVert^2/(2\sigma^2)}\ (\text{gaussian}),\quad
        e^{-\lVert x_i-x_j\rVert/\sigma}\ (\text{laplacian}),\quad x_i^\top x_j\ (\text{linear}).

    Parameters
    ----------
    x : array of shape (n_samples,) or (n_samples, n_features)
    kernel : {"gaussian", "laplacian", "linear"}
    bandwidth : {"median", "gretton", "causal_learn"} or float
        σ rule (spec D3): ``"median"`` median distance; ``"gretton"``
        :math:`\sigma^2=\frac12\mathrm{median}(d^2>0)`; ``"causal_learn"`` z-scores ``x`` (ddof 1)
        and uses :math:`\sigma=\sqrt2\,\mathrm{median}(d>0)`; a float is a fixed σ.

    Returns
    -------
    array of shape (n_samples, n_samples), same namespace and device as ``x``.

    Raises
    ------
    ValueError
        Unknown kernel or rule, non-positive bandwidth, non-finite input, fewer than 2 rows.

    Notes
    -----
    spec/independence.md D3, §6.3. Cost :math:`O(n^2p)`.

    Examples
    --------
    >>> import numpy as np
    >>> K = gram(np.array([0.0, 1.0]), bandwidth=1.0)
    >>> round(float(K[0, 1]), 6)
    0.606531
    """
    xp = _backend.get_namespace(x)
    kernel = _check_kernel(kernel)
    if kernel == "precomputed":
        raise ValueError("gram computes a Gram matrix; kernel='precomputed' is meaningless here")
    return _kernel_and_sigma(x, xp=xp, name="x", kernel=kernel, bandwidth=bandwidth)[0]

"""Base kernels on any array-API backend: linear, polynomial, RBF, Laplacian; median bandwidth.

spec/kernel.md K10. Every kernel takes the data positionally (``x`` and optionally ``y``), returns
the Gram matrix on the inputs' backend and device, and promotes integer input to float64. With
``y=None`` the Gram matrix of ``x`` with itself is returned exactly symmetric.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from ssltheory import _backend, _validation

__all__ = ["laplacian_kernel", "linear_kernel", "median_bandwidth", "polynomial_kernel", "rbf_kernel"]

# largest number of elements of one chunk of pairwise |x_i - y_j| in the Laplacian kernel
_CHUNK_ELEMENTS = 5_000_000


def _pair(x: Any, y: Any, *, name: str = "x") -> tuple[ModuleType, Any, Any]:
    """Namespace and validated 2-D float arrays ``x``, ``y`` (``y = x`` when ``None``)."""
    xp = _backend.get_namespace(x, y)
    x = _validation.check_array(x, xp=xp, name=name, ndim=2)
    if y is None:
        return xp, x, None
    y = _validation.check_array(y, xp=xp, name="y", ndim=2)
    if y.shape[1] != x.shape[1]:
        raise ValueError(
            f"x and y must have the same number of features, received {x.shape[1]} and {y.shape[1]}"
        )
    dtype = xp.result_type(x.dtype, y.dtype)
    return xp, xp.astype(x, dtype), xp.astype(y, dtype)


def _sq_distances(x: Any, y: Any, *, xp: ModuleType) -> Any:
    """Squared Euclidean distances ``‖x_i - y_j‖²`` (``y=None``: of ``x`` with itself, zero diagonal)."""
    xx = xp.sum(x * x, axis=1)
    if y is None:
        d2 = xx[:, None] + xx[None, :] - 2.0 * (x @ x.mT)
        d2 = (d2 + d2.mT) / 2
        n = x.shape[0]
        idx = xp.arange(n, device=_backend.device(x))
        d2 = xp.where(idx[:, None] == idx[None, :], xp.zeros_like(d2), d2)
    else:  # in-place updates of the product: one (n_x, n_y) temporary instead of three
        yy = xp.sum(y * y, axis=1)
        d2 = x @ y.mT
        d2 *= -2.0
        d2 += xx[:, None]
        d2 += yy[None, :]
    d2[d2 < 0.0] = 0.0  # rounding: in place (a boolean mask, not a copy of the matrix)
    return d2


def linear_kernel(x: Any, y: Any = None, /) -> Any:
    r"""Linear kernel (Gram matrix of inner products).

    .. math::

        k(x, y) = x^\top y .

    Parameters
    ----------
    x : array, shape (n_samples_x, n_features)
        Data of any array-API backend; integer input is promoted to float64.
    y : array, shape (n_samples_y, n_features), optional
        Second set of points (same backend); ``None`` uses ``x``.

    Returns
    -------
    gram : array, shape (n_samples_x, n_samples_y)
        On the inputs' backend and device.

    Raises
    ------
    ValueError
        If an input is not 2-D, is empty or not finite, or the feature counts differ.
    TypeError
        If an input is not an array or the two come from different array libraries.

    Notes
    -----
    spec/kernel.md K10, §3.9 (linear kernel ⇒ Locality Preserving Projections). Cost
    :math:`O(N_x N_y p)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.kernel import linear_kernel
    >>> print(linear_kernel(np.array([[1, 2], [3, 4]])))
    [[ 5. 11.]
     [11. 25.]]
    """
    _, x, y = _pair(x, y)
    if y is None:
        g = x @ x.mT
        return (g + g.mT) / 2
    return x @ y.mT


def polynomial_kernel(
    x: Any, y: Any = None, /, *, degree: int = 3, gamma: float | None = None, coef0: float = 1.0
) -> Any:
    r"""Polynomial kernel, scikit-learn's convention.

    .. math::

        k(x, y) = (\gamma\, x^\top y + c_0)^{p} .

    Parameters
    ----------
    x : array, shape (n_samples_x, n_features)
    y : array, shape (n_samples_y, n_features), optional
    degree : int, default 3
        The power :math:`p \ge 1`.
    gamma : float, optional
        Scale :math:`\gamma > 0`; default ``1 / n_features``.
    coef0 : float, default 1.0
        Offset :math:`c_0 \ge 0` (non-negative so that the kernel is positive semi-definite).

    Returns
    -------
    gram : array, shape (n_samples_x, n_samples_y)

    Raises
    ------
    ValueError
        Bad shapes, non-finite data, ``degree < 1``, ``gamma <= 0`` or ``coef0 < 0``.

    Notes
    -----
    spec/kernel.md K10. Equals :func:`sklearn.metrics.pairwise.polynomial_kernel`. Cost
    :math:`O(N_x N_y p)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.kernel import polynomial_kernel
    >>> print(polynomial_kernel(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]), degree=2, gamma=1.0))
    [[4.]]
    """
    _, x, y = _pair(x, y)
    degree = _validation.check_int(degree, name="degree", minimum=1)
    gamma = 1.0 / x.shape[1] if gamma is None else _validation.check_positive(gamma, name="gamma")
    coef0 = _validation.check_positive(coef0, name="coef0", strict=False)
    g = linear_kernel(x) if y is None else x @ y.mT
    return (gamma * g + coef0) ** degree


def rbf_kernel(x: Any, y: Any = None, /, *, bandwidth: float) -> Any:
    r"""Gaussian (RBF) kernel with bandwidth :math:`\sigma`.

    .. math::

        k(x, y) = \exp\!\Big(-\frac{\lVert x - y\rVert^2}{2\sigma^2}\Big)

    (scikit-learn's ``gamma`` is :math:`1/(2\sigma^2)`).

    Parameters
    ----------
    x : array, shape (n_samples_x, n_features)
    y : array, shape (n_samples_y, n_features), optional
    bandwidth : float
        :math:`\sigma > 0`, e.g. :func:`median_bandwidth` of the training views.

    Returns
    -------
    gram : array, shape (n_samples_x, n_samples_y)
        Entries in :math:`(0, 1]`; exactly symmetric with unit diagonal when ``y`` is ``None``.

    Raises
    ------
    ValueError
        Bad shapes, non-finite data or ``bandwidth <= 0``.

    Notes
    -----
    spec/kernel.md K10. Squared distances are computed as
    :math:`\lVert x\rVert^2 + \lVert y\rVert^2 - 2x^\top y` (clipped at 0). Cost :math:`O(N_x N_y p)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.kernel import rbf_kernel
    >>> k = rbf_kernel(np.array([[0.0], [1.0]]), bandwidth=1.0)
    >>> round(float(k[0, 1]), 6) == round(float(np.exp(-0.5)), 6)
    True
    """
    xp, x, y = _pair(x, y)
    sigma = _validation.check_positive(bandwidth, name="bandwidth")
    d2 = _sq_distances(x, y, xp=xp)
    d2 *= -1.0 / (2.0 * sigma * sigma)
    return _backend.exp_inplace(d2, xp=xp)


def laplacian_kernel(x: Any, y: Any = None, /, *, bandwidth: float) -> Any:
    r"""Laplacian kernel (L1 distance) with bandwidth :math:`\sigma`.

    .. math::

        k(x, y) = \exp\!\Big(-\frac{\lVert x - y\rVert_1}{\sigma}\Big)

    (scikit-learn's ``gamma`` is :math:`1/\sigma`).

    Parameters
    ----------
    x : array, shape (n_samples_x, n_features)
    y : array, shape (n_samples_y, n_features), optional
    bandwidth : float
        :math:`\sigma > 0`.

    Returns
    -------
    gram : array, shape (n_samples_x, n_samples_y)

    Raises
    ------
    ValueError
        Bad shapes, non-finite data or ``bandwidth <= 0``.

    Notes
    -----
    spec/kernel.md K10. Pairwise L1 distances are accumulated in row chunks of at most
    :math:`5\cdot10^6` differences. Cost :math:`O(N_x N_y p)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.kernel import laplacian_kernel
    >>> k = laplacian_kernel(np.array([[0.0, 0.0]]), np.array([[1.0, -1.0]]), bandwidth=2.0)
    >>> round(float(k[0, 0]), 6) == round(float(np.exp(-1.0)), 6)
    True
    """
    xp, x, y = _pair(x, y)
    sigma = _validation.check_positive(bandwidth, name="bandwidth")
    other = x if y is None else y
    per_row = max(1, other.shape[0] * x.shape[1])
    step = max(1, _CHUNK_ELEMENTS // per_row)
    chunks = []
    for start in range(0, x.shape[0], step):
        block = x[start : min(start + step, x.shape[0]), :]
        chunks.append(xp.sum(xp.abs(block[:, None, :] - other[None, :, :]), axis=2))
    dist = xp.concat(chunks, axis=0)
    if y is None:
        dist = (dist + dist.mT) / 2
    return xp.exp(-dist / sigma)


def median_bandwidth(x: Any, /) -> float:
    r"""Median heuristic: the median pairwise Euclidean distance between distinct rows.

    .. math::

        \sigma = \operatorname{median}\{\lVert x_i - x_j\rVert : i < j\}

    (Euclidean, not squared; the average of the two middle values for an even count, as
    :func:`numpy.median`).

    Parameters
    ----------
    x : array, shape (n_samples, n_features)
        At least two rows.

    Returns
    -------
    bandwidth : float

    Raises
    ------
    ValueError
        If ``x`` has fewer than two rows, is not finite, or the median distance is 0 (more
        than half of the pairs coincide): pass an explicit bandwidth instead.

    Notes
    -----
    spec/kernel.md K10. Cost :math:`O(N^2 p)` time (selection, not a sort, on NumPy/CuPy) and
    :math:`O(N^2)` memory: for large :math:`N` call it on a subsample (the estimator uses at
    most 2,000 evenly spaced rows).

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.kernel import median_bandwidth
    >>> median_bandwidth(np.array([[0.0], [1.0], [3.0]]))
    2.0
    """
    xp = _backend.get_namespace(x)
    x = _validation.check_array(x, xp=xp, name="x", ndim=2, min_rows=2)
    n = x.shape[0]
    d = xp.sqrt(_sq_distances(x, None, xp=xp))
    idx = xp.arange(n, device=_backend.device(x))
    upper = d[idx[:, None] < idx[None, :]]
    m = upper.shape[0]
    mid = m // 2
    # the backend's order statistics: O(m) selection on NumPy/CuPy, a sort elsewhere
    lo_hi = _backend._order_statistics(upper, [mid] if m % 2 else [mid - 1, mid], xp=xp)
    value = lo_hi[0] if m % 2 else 0.5 * (lo_hi[0] + lo_hi[1])
    if not value > 0.0 or not math.isfinite(value):
        raise ValueError(
            f"median_bandwidth: the median pairwise distance of x is {value}, more than half of the "
            "pairs of rows coincide; pass an explicit positive bandwidth instead"
        )
    return value

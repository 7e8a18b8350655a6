"""Relation-graph builders: augmentation graph, label graph, k-nearest-neighbour graph.

Each builder returns the paper's :math:`G` (spec/spectral.md §2.1): symmetric, non-negative,
**zero diagonal** unless ``self_loops=True`` asks for :math:`\\bar G = G + I` (D2). Dense graphs
are arrays of the caller's backend and device; ``sparse=True`` gives a CSR matrix (SciPy for
NumPy, ``cupyx.scipy.sparse`` for CuPy, ``NotImplementedError`` for other backends).
"""

from __future__ import annotations

import math
import warnings
from types import ModuleType
from typing import Any

from ssltheory import _backend, _validation

__all__ = ["augmentation_graph", "knn_graph", "label_graph"]

# Largest number of elements held by one chunk of pairwise differences in knn_graph.
_CHUNK_ELEMENTS = 10_000_000

_SYMMETRIZE = ("or", "and", "mean")


# ----------------------------------------------------------------------------- private helpers
def _check_dtype(dtype: Any, *, xp: ModuleType) -> Any:
    """``dtype`` (``None`` → float64) as a real floating dtype of ``xp``; ``TypeError`` otherwise.

    The dtype is resolved by ``xp`` itself (an empty array is created with it), so ``"float32"``
    works where the library accepts it and a dtype of another library is rejected cleanly.
    """
    if dtype is None:
        return xp.float64
    try:
        with warnings.catch_warnings():
            # array-api-strict warns before rejecting a dtype of another library: keep only the error
            warnings.simplefilter("ignore")
            resolved = xp.zeros((0,), dtype=dtype).dtype
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"dtype must be a real floating dtype of {_backend.backend_name(xp)}, received {dtype!r}"
        ) from exc
    if not xp.isdtype(resolved, "real floating"):
        raise TypeError(f"dtype must be a real floating dtype (float32, float64), received {dtype!r}")
    return resolved


def _diagonal_mask(n: int, *, xp: ModuleType, device: Any) -> Any:
    """Boolean ``(n, n)`` array, True on the diagonal."""
    idx = xp.arange(n, device=device)
    return idx[:, None] == idx[None, :]


def _dense_from_mask(mask: Any, *, self_loops: bool, dtype: Any, xp: ModuleType) -> Any:
    """Float graph from a boolean relation ``mask`` (reflexive): diagonal 1 or 0 per ``self_loops``."""
    n = mask.shape[0]
    if not self_loops:
        mask = mask & ~_diagonal_mask(n, xp=xp, device=_backend.device(mask))
    return xp.astype(mask, dtype)


def _sparse_from_pairs(rows: Any, cols: Any, n: int, *, self_loops: bool, dtype: Any, xp: ModuleType) -> Any:
    """CSR graph with unit weights at ``(rows, cols)`` (pairs ``i == j`` dropped unless ``self_loops``)."""
    if not self_loops:
        keep = rows != cols
        rows, cols = rows[keep], cols[keep]
    data = xp.ones(rows.shape, dtype=dtype, device=_backend.device(rows))
    return _backend.sparse_coo(data, rows, cols, (n, n), xp=xp)


# ----------------------------------------------------------------------------- public functions
def augmentation_graph(
    n_samples: int,
    n_views: int,
    *,
    self_loops: bool = False,
    sparse: bool = False,
    dtype: Any = None,
    device: Any = None,
    xp: ModuleType | None = None,
) -> Any:
    r"""Augmentation graph: ``n_views`` views of each of ``n_samples`` originals, view-major.

    With :math:`N'` = ``n_samples``, :math:`V` = ``n_views`` and :math:`N = VN'` rows stacked
    view by view (row :math:`i` is view :math:`\lfloor i/N'\rfloor` of original
    :math:`i \bmod N'`),

    .. math::

        G_{ij} = \mathbf 1\{\, i \equiv j \pmod{N'},\ i \ne j \,\},
        \qquad \bar G = G + I \quad (\texttt{self\_loops=True}).

    The views of one original form a :math:`V`-clique; :math:`G` is :math:`(V-1)`-regular.

    Parameters
    ----------
    n_samples : int
        Number of original samples :math:`N' \ge 1`.
    n_views : int
        Number of views per sample :math:`V \ge 1` (``1`` gives the empty graph).
    self_loops : bool, default False
        Return :math:`\bar G = G + I` instead of the zero-diagonal :math:`G`.
    sparse : bool, default False
        Return a CSR sparse matrix (SciPy for NumPy, ``cupyx.scipy.sparse`` for CuPy).
    dtype : real floating dtype of ``xp``, optional
        Default ``float64``.
    device : device of ``xp``, optional
        Device to create the graph on; default: the namespace's default device.
    xp : array namespace, optional
        Array library to build with; default NumPy (``array_api_compat.numpy``).

    Returns
    -------
    graph : array or sparse matrix, shape (n_views * n_samples, n_views * n_samples)
        The 0/1 graph, symmetric, with ``n_views - 1`` ones per row (``n_views`` with
        ``self_loops``).

    Raises
    ------
    TypeError
        If ``n_samples`` or ``n_views`` is not an integer, or ``dtype`` is not real floating.
    ValueError
        If ``n_samples < 1`` or ``n_views < 1``.
    NotImplementedError
        If ``sparse=True`` with a backend other than NumPy or CuPy.

    See Also
    --------
    label_graph : ``augmentation_graph(n, v)`` equals ``label_graph(arange(n * v) % n)``.
    graph_laplacian : its spectrum is :math:`\{0^{(\times N')}, V^{(\times N'(V-1))}\}`.

    Notes
    -----
    spec/spectral.md §2.1 (layout, the paper's builder), D2 (zero diagonal), §3 (spectrum).
    Cost: :math:`O(N^2)` time and memory dense, :math:`O(NV)` sparse.

    Examples
    --------
    >>> from ssltheory.graphs import augmentation_graph
    >>> G = augmentation_graph(3, 2)
    >>> print(G.astype(int))
    [[0 0 0 1 0 0]
     [0 0 0 0 1 0]
     [0 0 0 0 0 1]
     [1 0 0 0 0 0]
     [0 1 0 0 0 0]
     [0 0 1 0 0 0]]
    >>> augmentation_graph(3, 2, sparse=True).nnz
    6
    """
    n_samples = _validation.check_int(n_samples, name="n_samples", minimum=1)
    n_views = _validation.check_int(n_views, name="n_views", minimum=1)
    if xp is None:
        import array_api_compat.numpy as xp
    else:  # normalise a raw library module (numpy, torch ...) to its array-API namespace
        xp = _backend.get_namespace(xp.zeros((0,)))
    dtype = _check_dtype(dtype, xp=xp)
    n = n_views * n_samples
    if sparse:
        _backend.sparse_module(xp)  # NotImplementedError early for backends without sparse matrices
        node = xp.arange(n, device=device)
        # the paper's builder: i repeated V-1 times, j = (i + k N') mod N for k = 1..V-1
        shifts = xp.arange(1, n_views, device=device)
        rows = xp.repeat(node, n_views - 1)
        cols = (rows + xp.tile(shifts, (n,)) * n_samples) % n
        if self_loops:
            rows = xp.concat([rows, node])
            cols = xp.concat([cols, node])
        # every (i, i) pair present is a requested self-loop: keep all pairs
        return _sparse_from_pairs(rows, cols, n, self_loops=True, dtype=dtype, xp=xp)
    original = xp.arange(n, device=device) % n_samples
    same = original[:, None] == original[None, :]
    return _dense_from_mask(same, self_loops=self_loops, dtype=dtype, xp=xp)


def label_graph(labels: Any, /, *, self_loops: bool = False, sparse: bool = False, dtype: Any = None) -> Any:
    r"""Label graph: connect every pair of distinct samples that share a label.

    .. math::

        G_{ij} = \mathbf 1\{\, y_i = y_j,\ i \ne j \,\},
        \qquad \bar G = G + I = YY^\top \quad (\texttt{self\_loops=True}),

    with :math:`Y \in \{0,1\}^{N\times C}` the one-hot label matrix.

    Parameters
    ----------
    labels : array, shape (n_samples,)
        Labels :math:`y_i` of any real dtype (integer, boolean or floating; no NaN), any
        array-API backend.
    self_loops : bool, default False
        Return :math:`\bar G = G + I` instead of the zero-diagonal :math:`G`.
    sparse : bool, default False
        Return a CSR sparse matrix (SciPy for NumPy, ``cupyx.scipy.sparse`` for CuPy) with
        :math:`\sum_c n_c(n_c-1)` stored entries (plus :math:`N` with ``self_loops``).
    dtype : real floating dtype, optional
        Dtype of the graph; default ``float64`` (whatever the labels' dtype).

    Returns
    -------
    graph : array or sparse matrix, shape (n_samples, n_samples)
        The 0/1 graph on the labels' backend and device: a disjoint union of cliques, one per
        class.

    Raises
    ------
    TypeError
        If ``labels`` is not an array (e.g. a list), has a complex dtype, or ``dtype`` is not
        real floating.
    ValueError
        If ``labels`` is not 1-D, is empty, or contains NaN or inf.
    NotImplementedError
        If ``sparse=True`` with a backend other than NumPy or CuPy.

    See Also
    --------
    augmentation_graph : the label graph of ``arange(n_views * n_samples) % n_samples``.

    Notes
    -----
    spec/spectral.md §2.1 (label graph), D2; §3: with class sizes :math:`n_c`, the Laplacian
    spectrum is :math:`\{0^{(\times C)}\} \cup \{n_c^{(\times (n_c-1))}\}_c`.
    Cost: :math:`O(N^2)` dense; :math:`O(N\log N + \sum_c n_c^2)` sparse.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import label_graph
    >>> print(label_graph(np.array([0, 1, 0, 1, 1])).astype(int))
    [[0 0 1 0 0]
     [0 0 0 1 1]
     [1 0 0 0 0]
     [0 1 0 0 1]
     [0 1 0 1 0]]
    """
    xp = _backend.get_namespace(labels)
    if _backend.is_sparse(labels):
        raise TypeError("labels must be a dense 1-D array, received a sparse matrix")
    if labels.ndim != 1:
        raise ValueError(
            f"labels must be a 1-D array of shape (n_samples,), received shape {tuple(labels.shape)}"
        )
    if labels.shape[0] == 0:
        raise ValueError("labels must contain at least one sample, received shape (0,)")
    ldtype = labels.dtype
    if not (
        xp.isdtype(ldtype, "bool") or xp.isdtype(ldtype, "integral") or xp.isdtype(ldtype, "real floating")
    ):
        raise TypeError(f"labels must have a real (integer, boolean or floating) dtype, received {ldtype}")
    if xp.isdtype(ldtype, "real floating"):
        bad = ~xp.isfinite(labels)
        if bool(xp.any(bad)):
            first = int(xp.argmax(xp.astype(bad, xp.int8)))
            raise ValueError(
                f"labels must be finite (NaN and inf are not classes), but labels[{first}] is "
                f"{float(labels[first])}"
            )
    dtype = _check_dtype(dtype, xp=xp)
    n = labels.shape[0]
    if not sparse:
        same = labels[:, None] == labels[None, :]
        return _dense_from_mask(same, self_loops=self_loops, dtype=dtype, xp=xp)
    _backend.sparse_module(xp)  # NotImplementedError early for backends without sparse matrices
    dev = _backend.device(labels)
    # group equal labels: a stable sort makes each class a contiguous run [start, start + size)
    order = xp.argsort(labels, stable=True)
    ordered = xp.take(labels, order)
    is_start = xp.concat([xp.ones((1,), dtype=xp.bool, device=dev), ordered[1:] != ordered[:-1]])
    group = xp.cumulative_sum(xp.astype(is_start, xp.int64)) - 1  # class id of each sorted position
    starts = xp.nonzero(is_start)[0]
    sizes = xp.concat([starts[1:], xp.asarray([n], dtype=starts.dtype, device=dev)]) - starts
    size_at = xp.take(sizes, group)
    start_at = xp.take(starts, group)
    # sorted position p pairs with the size_at[p] positions of its class
    rows = xp.repeat(order, size_at)
    offsets = xp.cumulative_sum(size_at) - size_at  # exclusive prefix sums
    within = xp.arange(rows.shape[0], device=dev) - xp.repeat(offsets, size_at)
    cols = xp.take(order, xp.repeat(start_at, size_at) + within)
    return _sparse_from_pairs(rows, cols, n, self_loops=self_loops, dtype=dtype, xp=xp)


def _knn_chunks(x: Any, n_neighbors: int, *, xp: ModuleType, dense: bool) -> list[Any]:
    """Per row chunk: the dense 0/1 rows of ``B`` (``dense``) or the neighbour indices (else).

    Squared distances are formed from direct differences, so equal distances are bit-for-bit
    equal and ties are broken only by the stable sort (lower index first). If the squared
    distances could overflow, ``x`` is first scaled by a power of two (exact: ties are kept), so
    that every distance is finite and the excluded self-pair (set to ``inf``) sorts last.
    """
    n, d = x.shape
    dev = _backend.device(x)
    if n * d:
        largest = float(xp.max(xp.abs(x)))
        # |x_if - x_jf|² summed over d features is at most 4·d·max|x|²
        if largest > 0 and 2 * math.log2(largest) + math.log2(4 * d) >= math.log2(
            float(xp.finfo(x.dtype).max)
        ):
            x = x * math.ldexp(1.0, -math.frexp(largest)[1])  # now max|x| < 1
    chunk = max(1, _CHUNK_ELEMENTS // max(1, n * d))
    cols = xp.arange(n, device=dev)
    pieces = []
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        diff = x[start:stop, None, :] - x[None, :, :]  # (c, n, d)
        dist = xp.sum(diff * diff, axis=-1)  # (c, n) squared distances
        is_self = xp.arange(start, stop, device=dev)[:, None] == cols[None, :]
        dist = xp.where(is_self, xp.asarray(xp.inf, dtype=dist.dtype, device=dev), dist)
        order = xp.argsort(dist, axis=1, stable=True)  # by (distance, index)
        if not dense:
            pieces.append(order[:, :n_neighbors])
            continue
        # j is a neighbour iff (dist_j, j) <= (dist_k, k) lexicographically, k the k-th neighbour
        kth = order[:, n_neighbors - 1 : n_neighbors]
        kth_dist = xp.take_along_axis(dist, kth, axis=1)
        chosen = (dist < kth_dist) | ((dist == kth_dist) & (cols[None, :] <= kth))
        pieces.append(xp.astype(chosen & ~is_self, x.dtype))
    return pieces


def knn_graph(x: Any, /, *, n_neighbors: int, symmetrize: str = "or", sparse: bool = False) -> Any:
    r"""Symmetrised k-nearest-neighbour graph of the rows of ``x`` (Euclidean distance).

    With :math:`B_{ij} = 1` iff :math:`j \ne i` is among the ``n_neighbors`` nearest rows to
    :math:`x_i` (ties: lower index first),

    .. math::

        G = \max(B, B^\top)\ (\texttt{"or"}),\qquad
        G = \min(B, B^\top)\ (\texttt{"and"}),\qquad
        G = \tfrac12 (B + B^\top)\ (\texttt{"mean"}).

    Parameters
    ----------
    x : array, shape (n_samples, n_features)
        Points, any array-API backend; integer and boolean inputs are promoted to float64.
    n_neighbors : int
        Neighbours per point, ``1 <= n_neighbors <= n_samples - 1`` (the point itself excluded).
    symmetrize : {"or", "and", "mean"}, default "or"
        How the directed relation :math:`B` is made symmetric.
    sparse : bool, default False
        Return a CSR sparse matrix (SciPy for NumPy, ``cupyx.scipy.sparse`` for CuPy).

    Returns
    -------
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Symmetric graph with zero diagonal, in ``x``'s floating dtype, on its backend and
        device. Entries are 0/1 (``"or"``, ``"and"``) or 0/½/1 (``"mean"``).

    Raises
    ------
    TypeError
        If ``x`` is not an array, is sparse or complex, or ``n_neighbors`` is not an integer.
    ValueError
        If ``x`` is not 2-D or not finite, ``n_neighbors`` is out of range, or ``symmetrize``
        is unknown.
    NotImplementedError
        If ``sparse=True`` with a backend other than NumPy or CuPy.

    See Also
    --------
    sklearn.neighbors.kneighbors_graph : the directed :math:`B` (``include_self=False``), with
        its own tie-breaking.

    Notes
    -----
    spec/spectral.md D10 (NNCLR positives, §2.1). Squared distances are computed from direct
    differences :math:`\sum_f (x_{if}-x_{jf})^2`, not from
    :math:`\lVert x_i\rVert^2+\lVert x_j\rVert^2-2x_i^\top x_j`, so that equal distances stay
    exactly equal and ties are resolved by index alone; rows are processed in chunks holding at
    most about :math:`10^7` differences. Cost: :math:`O(N^2 D + N^2\log N)` time,
    :math:`O(N^2)` memory dense (:math:`O(Nk)` plus one chunk sparse).

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import knn_graph
    >>> x = np.array([[0.0], [1.0], [3.0], [7.0]])
    >>> print(knn_graph(x, n_neighbors=1).astype(int))
    [[0 1 0 0]
     [1 0 1 0]
     [0 1 0 1]
     [0 0 1 0]]
    >>> print(knn_graph(x, n_neighbors=1, symmetrize="and").astype(int))
    [[0 1 0 0]
     [1 0 0 0]
     [0 0 0 0]
     [0 0 0 0]]
    """
    xp = _backend.get_namespace(x)
    x = _validation.check_array(x, xp=xp, name="x", ndim=2)
    n = x.shape[0]
    n_neighbors = _validation.check_int(n_neighbors, name="n_neighbors", minimum=1)
    if n_neighbors > n - 1:
        raise ValueError(
            f"n_neighbors must satisfy 1 <= n_neighbors <= n_samples - 1 = {n - 1} (a point is not "
            f"its own neighbour), received {n_neighbors}"
        )
    if symmetrize not in _SYMMETRIZE:
        raise ValueError(f"symmetrize must be one of 'or', 'and', 'mean', received {symmetrize!r}")
    if sparse:
        _backend.sparse_module(xp)  # NotImplementedError early for backends without sparse matrices
        neighbours = xp.concat(_knn_chunks(x, n_neighbors, xp=xp, dense=False), axis=0)  # (n, k)
        rows = xp.repeat(xp.arange(n, device=_backend.device(x)), n_neighbors)
        cols = xp.reshape(neighbours, (-1,))
        b = _sparse_from_pairs(rows, cols, n, self_loops=True, dtype=x.dtype, xp=xp)
        if symmetrize == "or":
            g = b.maximum(b.T)
        elif symmetrize == "and":
            g = b.minimum(b.T)
        else:
            g = (b + b.T) * 0.5
        g = g.tocsr()
        g.eliminate_zeros()
        return g
    b = xp.concat(_knn_chunks(x, n_neighbors, xp=xp, dense=True), axis=0)
    if symmetrize == "or":
        return xp.maximum(b, b.mT)
    if symmetrize == "and":
        return xp.minimum(b, b.mT)
    return (b + b.mT) / 2

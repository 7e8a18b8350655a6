r"""Graph Laplacians, degrees and the normalised adjacency (spec/spectral.md D9, §2.1, §3).

Dense graphs of any array-API backend stay on their backend and device; SciPy and
``cupyx.scipy`` sparse matrices give CSR matrices of the same kind (a SciPy ``csr_array`` for a
sparse array input, a ``csr_matrix`` for a sparse matrix input).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ssltheory import _backend, _validation

__all__ = ["degree", "graph_laplacian", "normalized_adjacency"]

_NORMALIZATIONS = (None, "symmetric", "random_walk")


# ----------------------------------------------------------------------------- private helpers
def _inverse(d: Any, *, power: float, xp: ModuleType) -> Any:
    """``d**(-power)`` where ``d > 0`` and 0 where ``d == 0`` (no division by zero is evaluated)."""
    positive = d > 0
    safe = xp.where(positive, d, xp.ones((), dtype=d.dtype, device=_backend.device(d)))
    inv = 1.0 / xp.sqrt(safe) if power == 0.5 else 1.0 / safe
    return xp.where(positive, inv, xp.zeros((), dtype=d.dtype, device=_backend.device(d)))


def _diagonal_mask(n: int, *, xp: ModuleType, device: Any) -> Any:
    idx = xp.arange(n, device=device)
    return idx[:, None] == idx[None, :]


def _sparse_parts(graph: Any, *, xp: ModuleType, drop_diagonal: bool) -> tuple[Any, Any, Any]:
    """``(rows, cols, weights)`` of a CSR graph's stored entries (off-diagonal only if asked)."""
    coo = graph.tocoo()
    rows, cols, w = coo.row, coo.col, coo.data
    if drop_diagonal:
        keep = rows != cols
        rows, cols, w = rows[keep], cols[keep], w[keep]
    return rows, cols, w


def _sparse_like(graph: Any, data: Any, rows: Any, cols: Any) -> Any:
    """CSR matrix of ``graph``'s own class (SciPy matrix/array, cupyx) from COO triplets."""
    out = type(graph)((data, (rows, cols)), shape=graph.shape)
    out.eliminate_zeros()
    return out


def _sparse_degree(rows: Any, cols: Any, w: Any, graph: Any, *, xp: ModuleType) -> Any:
    """Row sums of the graph with entries ``(rows, cols, w)``: a dense 1-D array."""
    g = type(graph)((w, (rows, cols)), shape=graph.shape)
    ones = xp.ones((graph.shape[0],), dtype=w.dtype, device=_backend.device(w))
    return xp.reshape(xp.asarray(g @ ones), (-1,))


# ----------------------------------------------------------------------------- public functions
def degree(graph: Any, /) -> Any:
    r"""Degree vector :math:`d = G\mathbf 1` of a relation graph, diagonal included.

    .. math::

        d_i = \sum_{j=1}^N G_{ij}.

    Parameters
    ----------
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Symmetric, non-negative, finite graph (dense array of any array-API backend, or a SciPy
        / ``cupyx.scipy`` sparse matrix). Integer and boolean graphs are promoted to float64.

    Returns
    -------
    degrees : array, shape (n_samples,)
        Dense 1-D array on the graph's backend and device, in its floating dtype.

    Raises
    ------
    TypeError
        If ``graph`` is not an array or sparse matrix, or has a complex dtype.
    ValueError
        If ``graph`` is not square, not symmetric, negative or not finite.

    See Also
    --------
    graph_laplacian : uses the degrees of the graph **without** its diagonal, so that
        :math:`L = D - G` is unchanged by self-loops.

    Notes
    -----
    spec/spectral.md §2.1 (:math:`D_G = \mathrm{diag}(G\mathbf 1)`). The diagonal is counted
    as given: for :math:`\bar G = G + I` every degree is one more than for :math:`G`.
    Cost: :math:`O(N^2)` dense, :math:`O(\mathrm{nnz})` sparse.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import degree, label_graph
    >>> print(degree(label_graph(np.array([0, 0, 0, 1, 1]))))
    [2. 2. 2. 1. 1.]
    """
    xp = _backend.get_namespace(graph)
    graph = _validation.check_graph(graph, xp=xp, diagonal="ignore")
    if _backend.is_sparse(graph):
        ones = xp.ones((graph.shape[0],), dtype=graph.dtype, device=_backend.device(graph))
        return xp.reshape(xp.asarray(graph @ ones), (-1,))
    return xp.sum(graph, axis=1)


def normalized_adjacency(graph: Any, /) -> Any:
    r"""Normalised adjacency :math:`\bar A = D_G^{-1/2} G D_G^{-1/2}`, zero-degree rows set to 0.

    .. math::

        \bar A_{ij} = \frac{G_{ij}}{\sqrt{d_i d_j}}, \qquad d = G\mathbf 1,
        \qquad \bar A_{ij} = 0 \text{ if } d_i = 0 \text{ or } d_j = 0 .

    Parameters
    ----------
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Symmetric, non-negative, finite graph (dense array of any array-API backend, or a SciPy
        / ``cupyx.scipy`` sparse matrix). Integer and boolean graphs are promoted to float64.

    Returns
    -------
    adjacency : array or sparse matrix, shape (n_samples, n_samples)
        Symmetric matrix (exactly, when ``graph`` is) with spectrum in :math:`[-1, 1]`, on the
        graph's backend and device, in its floating dtype; sparse (CSR) when ``graph`` is sparse.

    Raises
    ------
    TypeError
        If ``graph`` is not an array or sparse matrix, or has a complex dtype.
    ValueError
        If ``graph`` is not square, not symmetric, negative or not finite.

    See Also
    --------
    degree : the :math:`d` used here (diagonal included).
    graph_laplacian : ``normalization="symmetric"`` gives :math:`I - \bar A` for a zero-diagonal
        graph without isolated nodes.

    Notes
    -----
    spec/spectral.md §2.1 (:math:`\bar A`), §3 (augmentation graph:
    :math:`\mathrm{spec}(\bar A) = \{1^{(\times N')}, (-\tfrac{1}{V-1})^{(\times N'(V-1))}\}`).
    The diagonal is used **as given** (it enters both :math:`G` and :math:`d`), unlike
    :func:`graph_laplacian`, which drops it. Cost: :math:`O(N^2)` dense,
    :math:`O(\mathrm{nnz})` sparse.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph, normalized_adjacency
    >>> a = normalized_adjacency(augmentation_graph(2, 3))
    >>> print(np.round(np.linalg.eigvalsh(a), 6) + 0.0)
    [-0.5 -0.5 -0.5 -0.5  1.   1. ]
    """
    xp = _backend.get_namespace(graph)
    graph = _validation.check_graph(graph, xp=xp, diagonal="ignore")
    if _backend.is_sparse(graph):
        rows, cols, w = _sparse_parts(graph, xp=xp, drop_diagonal=False)
        inv = _inverse(_sparse_degree(rows, cols, w, graph, xp=xp), power=0.5, xp=xp)
        data = w * (xp.take(inv, xp.astype(rows, xp.int64)) * xp.take(inv, xp.astype(cols, xp.int64)))
        return _sparse_like(graph, data, rows, cols)
    inv = _inverse(xp.sum(graph, axis=1), power=0.5, xp=xp)
    return graph * (inv[:, None] * inv[None, :])  # d_i^-½ d_j^-½ first: exactly symmetric


def graph_laplacian(graph: Any, /, *, normalization: str | None = None) -> Any:
    r"""Graph Laplacian: combinatorial, symmetric-normalised or random-walk (spec D9).

    With :math:`G_0` the graph with its diagonal removed, :math:`d = G_0\mathbf 1`,
    :math:`D = \mathrm{diag}(d)` and :math:`D^{-p}` taken entrywise with :math:`0^{-p} := 0`,

    .. math::

        L = D - G_0 \ (\texttt{None}),\qquad
        L_{\rm sym} = I' - D^{-1/2} G_0 D^{-1/2} \ (\texttt{"symmetric"}),\qquad
        L_{\rm rw} = I' - D^{-1} G_0 \ (\texttt{"random\_walk"}),

    where :math:`I' = \mathrm{diag}(\mathbf 1\{d_i > 0\})`: an isolated node (degree 0) gets
    :math:`L_{ii} = 0`, as in :func:`scipy.sparse.csgraph.laplacian`.

    Parameters
    ----------
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Symmetric, non-negative, finite graph (dense array of any array-API backend, or a SciPy
        / ``cupyx.scipy`` sparse matrix). Integer and boolean graphs are promoted to float64.
        Its diagonal is ignored (spec D2).
    normalization : {None, "symmetric", "random_walk"}, default None
        Which Laplacian to return.

    Returns
    -------
    laplacian : array or sparse matrix, shape (n_samples, n_samples)
        On the graph's backend and device, in its floating dtype; sparse (CSR, same SciPy kind
        or cupyx) when ``graph`` is sparse. Symmetric for ``None`` and ``"symmetric"`` (exactly,
        bit for bit, when ``graph`` is); the random-walk Laplacian is not symmetric for
        non-regular graphs.

    Raises
    ------
    TypeError
        If ``graph`` is not an array or sparse matrix, or has a complex dtype.
    ValueError
        If ``graph`` is not square, not symmetric, negative or not finite, or ``normalization``
        is not one of the three choices.

    See Also
    --------
    degree : row sums of the graph as given (diagonal included).
    normalized_adjacency : :math:`D_G^{-1/2} G D_G^{-1/2}` with the diagonal kept.
    scipy.sparse.csgraph.laplacian : the NumPy reference (``normed=True`` for ``"symmetric"``).

    Notes
    -----
    spec/spectral.md D9, D2 (the diagonal cancels in :math:`D - G`, so it is dropped before
    degrees are formed, which is what SciPy does too), §3: :math:`L \succeq 0`,
    :math:`L\mathbf 1 = 0`, the multiplicity of the eigenvalue 0 is the number of connected
    components; :math:`\mathrm{spec}(L_{\rm sym}) \subset [0, 2]`, and
    :math:`L_{\rm rw}\mathbf 1 = 0` (isolated nodes included, thanks to :math:`L_{ii} = 0`).
    Isolated nodes follow SciPy: their row and column of every Laplacian are zero, so each
    contributes one zero eigenvalue, consistent with being a component of its own.
    Cost: :math:`O(N^2)` dense, :math:`O(\mathrm{nnz} + N)` sparse.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import graph_laplacian
    >>> g = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]])
    >>> print(graph_laplacian(g).astype(int))
    [[ 1 -1  0  0]
     [-1  2 -1  0]
     [ 0 -1  1  0]
     [ 0  0  0  0]]
    >>> print(np.round(graph_laplacian(g, normalization="random_walk"), 2) + 0.0)
    [[ 1.  -1.   0.   0. ]
     [-0.5  1.  -0.5  0. ]
     [ 0.  -1.   1.   0. ]
     [ 0.   0.   0.   0. ]]
    """
    xp = _backend.get_namespace(graph)
    if normalization not in _NORMALIZATIONS:
        raise ValueError(
            f"normalization must be None, 'symmetric' or 'random_walk', received {normalization!r}"
        )
    graph = _validation.check_graph(graph, xp=xp, diagonal="ignore")
    n = graph.shape[0]
    if _backend.is_sparse(graph):
        rows, cols, w = _sparse_parts(graph, xp=xp, drop_diagonal=True)
        d = _sparse_degree(rows, cols, w, graph, xp=xp)
        if normalization == "symmetric":
            inv = _inverse(d, power=0.5, xp=xp)
            off = w * (xp.take(inv, xp.astype(rows, xp.int64)) * xp.take(inv, xp.astype(cols, xp.int64)))
        elif normalization == "random_walk":
            off = w * xp.take(_inverse(d, power=1.0, xp=xp), xp.astype(rows, xp.int64))
        else:
            off = w
        diag = d if normalization is None else xp.astype(d > 0, d.dtype)
        idx = xp.arange(n, dtype=rows.dtype, device=_backend.device(rows))
        return _sparse_like(graph, xp.concat([-off, diag]), xp.concat([rows, idx]), xp.concat([cols, idx]))
    mask = _diagonal_mask(n, xp=xp, device=_backend.device(graph))
    g0 = xp.where(mask, xp.zeros((), dtype=graph.dtype, device=_backend.device(graph)), graph)
    d = xp.sum(g0, axis=1)
    if normalization is None:
        return xp.where(mask, d[:, None], -g0)
    if normalization == "symmetric":
        inv = _inverse(d, power=0.5, xp=xp)
        a = g0 * (inv[:, None] * inv[None, :])  # d_i^-½ d_j^-½ first: exactly symmetric
    else:
        a = _inverse(d, power=1.0, xp=xp)[:, None] * g0
    return xp.where(mask, xp.astype(d > 0, d.dtype)[:, None], -a)

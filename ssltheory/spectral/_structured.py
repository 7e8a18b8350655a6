r"""Graphs whose Laplacian spectrum is known in closed form: unions of constant-weight cliques.

Augmentation graphs (``V``-cliques) and label graphs (one clique per class) are disjoint unions of
cliques; a clique of ``n_c`` nodes and edge weight ``w_c`` has Laplacian block
:math:`w_c(n_cI-\mathbf 1\mathbf 1^\top)`, so (spec/spectral.md §3)

.. math::

    \mathrm{spec}(L)=\{0^{(\times C)}\}\cup\{(w_cn_c)^{(\times(n_c-1))}\}_c .

Eigenvectors on :math:`\mathbf 1^\perp`: Helmert contrasts between components (eigenvalue 0) and
Helmert contrasts inside each clique (eigenvalue :math:`w_cn_c`). No eigensolver is needed.

Detection costs one pass over the graph: label every node by the smallest index of its closed
neighbourhood (for a clique union, the first node of its component), then check that edges join
only equal labels, that every node is adjacent to all other members of its label group, and that
the weights are constant inside each group. Private module; used by
:mod:`ssltheory.spectral._vicreg`.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any, NamedTuple

from ssltheory import _backend

__all__ = [
    "CliqueUnion",
    "clique_union_adjacency_top",
    "clique_union_laplacian_pairs",
    "detect_clique_union",
]


class CliqueUnion(NamedTuple):
    """Components of a clique-union graph, numbered by their first node (ascending)."""

    component: Any  # (N,) int: component id of every node
    counts: Any  # (C,) sizes n_c
    weights: Any  # (C,) edge weight w_c (0 for isolated nodes)


def _from_labels(label: Any, w_node: Any, rowcount: Any, *, xp: ModuleType) -> CliqueUnion | None:
    first, _, component, counts = _backend.unique_all(label, xp=xp)
    size = xp.take(counts, xp.reshape(component, (-1,)), axis=0)
    if not bool(xp.all(rowcount == size - 1)):
        return None
    weights = xp.take(w_node, first, axis=0)
    return CliqueUnion(component=xp.reshape(component, (-1,)), counts=counts, weights=weights)


def detect_clique_union(g: Any, *, xp: ModuleType) -> CliqueUnion | None:
    """The clique-union structure of ``g`` (dense or sparse, diagonal ignored), or ``None``."""
    n = g.shape[0]
    if _backend.is_sparse(g):
        sp = _backend.sparse_module(xp)
        off = (g - sp.diags(g.diagonal())).tocsr()
        off.eliminate_zeros()
        off.sort_indices()
        indptr = xp.asarray(off.indptr)
        indices = xp.asarray(off.indices)
        data = xp.asarray(off.data)
        nodes = xp.arange(n, dtype=indices.dtype, device=_backend.device(indices))
        rowcount = xp.astype(indptr[1:] - indptr[:-1], indices.dtype)
        nonempty = rowcount > 0
        if data.shape[0] == 0:
            return None  # no edge: nothing to exploit
        head = xp.clip(indptr[:-1], max=data.shape[0] - 1)
        label = xp.where(nonempty, xp.minimum(xp.take(indices, head, axis=0), nodes), nodes)
        w_node = xp.where(nonempty, xp.take(data, head, axis=0), xp.zeros_like(data[:1]))
        coo = off.tocoo()
        rows, cols = xp.asarray(coo.row), xp.asarray(coo.col)
        if not bool(xp.all(xp.take(label, rows, axis=0) == xp.take(label, cols, axis=0))):
            return None
        if not bool(xp.all(xp.asarray(coo.data) == xp.take(w_node, rows, axis=0))):
            return None
        return _from_labels(label, w_node, rowcount, xp=xp)
    idx = xp.arange(n, device=_backend.device(g))
    eye = idx[:, None] == idx[None, :]
    off = xp.where(eye, xp.zeros_like(g), g)
    pattern = off != 0
    closed = pattern | eye
    label = xp.argmax(xp.astype(closed, xp.int8), axis=1)
    if not bool(xp.all(closed == (label[:, None] == label[None, :]))):
        return None
    w_node = xp.max(off, axis=1)
    if not bool(xp.all(~pattern | (off == w_node[:, None]))):
        return None
    rowcount = xp.sum(xp.astype(pattern, label.dtype), axis=1)
    return _from_labels(label, w_node, rowcount, xp=xp)


def clique_union_laplacian_pairs(s: CliqueUnion, k: int, *, dtype: Any, xp: ModuleType) -> tuple[Any, Any]:
    """The ``k <= N - 1`` smallest eigenpairs of :math:`L` on :math:`\\mathbf 1^\\perp`, ascending.

    Columns: first the ``C - 1`` between-component Helmert contrasts (eigenvalue 0), then the
    within-clique Helmert contrasts ordered by eigenvalue :math:`w_cn_c` (stable in the component
    number, then in the node order). Cost :math:`O(Nk + N\\log N)`.
    """
    comp, counts, weights = s.component, s.counts, s.weights
    n = comp.shape[0]
    dev = _backend.device(comp)
    n_comp = counts.shape[0]
    n_f = xp.astype(counts, dtype)
    cols: list[Any] = []
    vals: list[Any] = []
    k0 = min(k, n_comp - 1)
    if k0 > 0:
        jj = xp.arange(k0, dtype=comp.dtype, device=dev)
        prefix = xp.cumulative_sum(n_f)[:k0]  # size of components 0..j
        nxt = n_f[1 : k0 + 1]  # size of component j + 1
        zero = xp.zeros((n, k0), dtype=dtype, device=dev)
        col = xp.where(
            comp[:, None] <= jj[None, :],
            zero + 1.0 / prefix[None, :],
            xp.where(comp[:, None] == jj[None, :] + 1, zero - 1.0 / nxt[None, :], zero),
        )
        cols.append(col / xp.sqrt(1.0 / prefix + 1.0 / nxt)[None, :])
        vals.append(xp.zeros((k0,), dtype=dtype, device=dev))
    k1 = k - k0
    if k1 > 0:
        inf = xp.full(n_f.shape, math.inf, dtype=dtype, device=dev)
        mu = xp.where(counts >= 2, xp.astype(weights, dtype) * n_f, inf)
        order = xp.argsort(mu, stable=True)
        mult = xp.take(counts - 1, order, axis=0)
        cum = xp.cumulative_sum(mult)
        t = xp.arange(k1, dtype=cum.dtype, device=dev)
        p = xp.searchsorted(cum, t, side="right")
        comp_t = xp.take(order, p, axis=0)
        m = xp.astype(t - (xp.take(cum, p, axis=0) - xp.take(mult, p, axis=0)) + 1, dtype)
        perm = xp.argsort(comp, stable=True)
        position = xp.argsort(perm)
        start = xp.cumulative_sum(counts) - counts
        rank = xp.astype(position - xp.take(start, comp, axis=0), dtype)  # order inside the clique
        member = comp[:, None] == comp_t[None, :]
        zero = xp.zeros((n, k1), dtype=dtype, device=dev)
        col = xp.where(
            member & (rank[:, None] < m[None, :]),
            zero + 1.0 / m[None, :],
            xp.where(member & (rank[:, None] == m[None, :]), zero - 1.0, zero),
        )
        cols.append(col / xp.sqrt(1.0 / m + 1.0)[None, :])
        vals.append(xp.take(mu, comp_t, axis=0))
    return xp.concat(vals), xp.astype(xp.concat(cols, axis=1), dtype)


def clique_union_adjacency_top(
    s: CliqueUnion, k: int, *, normalized: bool, dtype: Any, xp: ModuleType
) -> tuple[Any, Any] | None:
    """The ``k`` largest eigenpairs (descending) of :math:`\\bar A` or :math:`G`, or ``None``.

    Only when ``k`` does not exceed the number of cliques with at least 2 nodes: then every pair is
    a normalised clique indicator :math:`\\mathbf 1_c/\\sqrt{n_c}`, eigenvalue 1
    (:math:`\\bar A=D_G^{-1/2}GD_G^{-1/2}`, ``normalized=True``) or :math:`w_c(n_c-1)` (:math:`G`),
    ordered by decreasing eigenvalue, then by first node. Cost :math:`O(Nk)`.
    """
    comp, counts, weights = s.component, s.counts, s.weights
    dev = _backend.device(comp)
    n_f = xp.astype(counts, dtype)
    real = counts >= 2
    if int(xp.sum(xp.astype(real, xp.int64))) < k:
        return None
    value = xp.ones_like(n_f) if normalized else xp.astype(weights, dtype) * (n_f - 1.0)
    value = xp.where(real, value, xp.full(n_f.shape, -math.inf, dtype=dtype, device=dev))
    order = xp.argsort(-value, stable=True)[:k]
    member = comp[:, None] == order[None, :]
    zero = xp.zeros((comp.shape[0], k), dtype=dtype, device=dev)
    vec = xp.where(member, zero + 1.0 / xp.sqrt(xp.take(n_f, order, axis=0))[None, :], zero)
    return xp.take(value, order, axis=0), vec

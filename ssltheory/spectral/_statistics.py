r"""Linear closed forms from streamed sufficient statistics (spec/spectral.md §4.3, §4.6; issue 8).

The linear closed forms (VICReg/LPP, graph CCA, linear BarlowTwins) depend on the data only
through :math:`D\times D` matrices: :math:`X^\top X`, :math:`X^\top HX`, :math:`X^\top LX`,
:math:`X^\top GX`, :math:`X^\top D_GX`. :func:`graph_statistics` computes them in one pass over
row chunks of :math:`X` without forming :math:`G` (clique unions from group labels) or with one
sparse product per chunk (explicit graphs), for NumPy, CuPy, any array-API library and Dask
arrays (lazy per-block tasks; only the :math:`D\times D` results are materialised, by a single
``dask.compute``). The ``*_from_statistics`` solvers then run the existing closed forms on them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation
from ssltheory.spectral._barlow_twins import _cca_from_moments
from ssltheory.spectral._linear import _vicreg_linear_solve
from ssltheory.spectral._results import LinearSolution
from ssltheory.spectral._vicreg import _check_ddof, _check_penalty, _check_weights

__all__ = [
    "GraphStatistics",
    "barlow_twins_linear_weights_from_statistics",
    "graph_cca_from_statistics",
    "graph_statistics",
    "vicreg_linear_weights_from_statistics",
]

_DEFAULT_CHUNK_BYTES = 2**22  # 4 MiB row chunks: the centred chunk stays in cache while it is reused


@dataclass(frozen=True)
class GraphStatistics:
    r"""Sufficient statistics of data :math:`X` on a relation graph :math:`G` (all :math:`D\times D`).

    Attributes
    ----------
    n_samples : int
        :math:`N`.
    mean : array, shape (n_features,)
        :math:`\bar x = X^\top\mathbf 1/N`.
    second_moment : array, shape (n_features, n_features)
        :math:`X^\top X`.
    scatter : array, shape (n_features, n_features)
        :math:`X^\top HX`, :math:`H=I-\mathbf 1\mathbf 1^\top/N` (centred; ``ddof`` is applied by
        the solvers).
    adjacency : array, shape (n_features, n_features)
        :math:`X^\top GX` (the diagonal of :math:`G` counts as given).
    degree : array, shape (n_features, n_features)
        :math:`X^\top D_GX`, :math:`D_G=\mathrm{diag}(G\mathbf 1)`.
    laplacian : array, shape (n_features, n_features)
        :math:`X^\top LX`, :math:`L=D_G-G` (independent of the diagonal of :math:`G`).
    self_loop_weight : float
        :math:`\mathrm{tr}\,G` (zero for graphs given by ``groups``).
    """

    n_samples: int
    mean: Any
    second_moment: Any
    scatter: Any
    adjacency: Any
    degree: Any
    laplacian: Any
    self_loop_weight: float


# ----------------------------------------------------------------------------- helpers
def _dask_array_module() -> ModuleType | None:
    return sys.modules.get("dask.array")


def _is_dask(x: Any) -> bool:
    da = _dask_array_module()
    return da is not None and isinstance(x, da.Array)


def _outer(a: Any, b: Any) -> Any:
    return a[:, None] * b[None, :]


def _sym(a: Any) -> Any:
    return (a + a.mT) / 2


def _chunk_moments(
    a: Any, c: Any, deg: Any, gx: Any, *, xp: ModuleType, nonnegative_degree: bool = False
) -> list[Any]:
    """Moments of one shifted chunk ``A = X_b − c``: ``[AᵀA, ΣA, Aᵀdiag(d)A, Aᵀd, Σd, Aᵀ(G_b X_s)]``.

    ``deg`` is None for a regular graph (degree form derived from ``AᵀA`` later); ``gx`` (the rows
    ``G_b X`` of the unshifted product) is None on the groups route.
    """
    ones = xp.ones((a.shape[0],), dtype=a.dtype, device=_backend.device(a))
    out = [a.mT @ a, ones @ a]  # column sums as a matrix-vector product (NumPy: ~5x faster than sum)
    if deg is None:
        out += [None, None, None]
    else:
        if nonnegative_degree:  # AᵀDA = WᵀW with W = D^½A: a symmetric rank-k update, half the flops
            w = a * xp.sqrt(deg)[:, None]
            weighted = w.mT @ w
        else:  # degrees of an unvalidated (Dask) graph may be negative
            weighted = (a * deg[:, None]).mT @ a
        out += [weighted, a.mT @ deg, xp.sum(deg)]
    out.append(None if gx is None else a.mT @ (gx - deg[:, None] * c[None, :]))
    return out


def _add(p: list[Any], q: list[Any]) -> list[Any]:
    return [v if u is None else u if v is None else u + v for u, v in zip(p, q, strict=True)]


def _finalize(
    n: int,
    c: Any,
    parts: list[Any],
    gx_s: Any,
    regular_degree: float | None,
    trace: float,
    *,
    laplacian: Any = None,
) -> GraphStatistics:
    """Unshift the accumulated moments (exact algebra) and assemble the statistics.

    ``laplacian`` (shift-free) replaces ``dx_s − gx_s`` when the caller has it directly.
    """
    a_s, s, dx_s, u, vol = parts[:5]
    if regular_degree is not None:  # D = δ I: Aᵀ D A = δ AᵀA, Aᵀ d = δ Σa, 1ᵀd = n δ
        dx_s, u, vol = regular_degree * a_s, regular_degree * s, regular_degree * n
    cc = _outer(c, c)
    corr = _outer(u, c) + _outer(c, u) + vol * cc  # (A + 1cᵀ)ᵀ M (A + 1cᵀ) − AᵀMA for M = G or D
    return GraphStatistics(
        n_samples=n,
        mean=c + s / n,
        second_moment=_sym(a_s + _outer(s, c) + _outer(c, s) + n * cc),
        scatter=_sym(a_s - _outer(s, s) / n),
        adjacency=_sym(gx_s + corr),
        degree=_sym(dx_s + corr),
        laplacian=_sym(dx_s - gx_s if laplacian is None else laplacian),
        self_loop_weight=float(trace),
    )


def _check_groups(groups: Any, n: int, *, xp: ModuleType) -> Any:
    if _backend.is_sparse(groups) or getattr(groups, "ndim", None) != 1:
        raise ValueError(
            f"groups must be a 1-D integer array of shape (n_samples,) = ({n},), received "
            f"{type(groups).__name__} of shape {tuple(getattr(groups, 'shape', ()))}"
        )
    if groups.shape[0] != n:
        raise ValueError(f"groups must have shape (n_samples,) = ({n},), received {tuple(groups.shape)}")
    if not xp.isdtype(groups.dtype, "integral"):
        raise TypeError(f"groups must be an integer array (one label per row), received dtype {groups.dtype}")
    return groups


def _chunk_rows(n: int, d: int, chunk_size: Any) -> int:
    if chunk_size is None:
        return max(1, min(n, _DEFAULT_CHUNK_BYTES // (8 * max(d, 1))))
    return _validation.check_int(chunk_size, name="chunk_size", minimum=1)


# ----------------------------------------------------------------------------- in-memory route
def _statistics_in_memory(x: Any, graph: Any, groups: Any, chunk: int, *, xp: ModuleType) -> GraphStatistics:
    n = x.shape[0]
    dev = _backend.device(x)
    c = xp.mean(x[: min(chunk, n), :], axis=0)  # shift: exact algebra, kills the mean's cancellation
    if not bool(xp.all(xp.isfinite(c))):
        _raise_non_finite(x, chunk, xp=xp)
    regular = None
    trace = 0.0
    if groups is not None:
        inverse, counts = _compact_labels(groups, xp=xp)
        n_groups = counts.shape[0]
        counts_f = xp.astype(counts, x.dtype)
        if float(xp.min(counts_f)) == float(xp.max(counts_f)):
            regular = float(counts_f[0]) - 1.0
            if regular == 1.0:  # two rows per group (two views): one Gram of N rows in total
                first, second = _pairs(inverse, n_groups, xp=xp)
                return _statistics_pairs(x, first, second, c, chunk, xp=xp)
        else:
            deg_all = xp.take(counts_f, inverse) - 1.0
    else:
        ones = xp.ones((n,), dtype=x.dtype, device=dev)
        deg_all = xp.asarray(graph @ ones)
        deg_all = xp.reshape(deg_all, (n,))
        if _backend.is_sparse(graph):
            trace = float(graph.diagonal().sum())
        else:
            trace = float(xp.sum(xp.linalg.diagonal(graph)))
    parts = None
    # NumPy: the shifted chunk goes into one reused buffer (no allocation per chunk)
    buf = xp.empty((min(chunk, n), x.shape[1]), dtype=x.dtype) if _backend.is_numpy(xp) else None
    with _quiet():
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            xb = x[start:stop, :]
            if buf is None:
                a = xb - c
            else:
                a = buf[: stop - start]
                xp.subtract(xb, c, out=a)
            deg = None if regular is not None else deg_all[start:stop]
            gx = None
            if graph is not None:
                gx = xp.asarray(graph[start:stop, :] @ x)
                deg = deg_all[start:stop]
            p = _chunk_moments(a, c, deg, gx, xp=xp, nonnegative_degree=True)  # validated graph / groups
            parts = p if parts is None else _add(parts, p)
    # finiteness from the accumulated diagonal (Σ (x_ij − c_j)² is finite iff every entry is and
    # nothing overflows): no extra pass over X; the offending rows are located only on failure
    if not bool(xp.all(xp.isfinite(xp.linalg.diagonal(parts[0])))):
        _raise_non_finite(x, chunk, xp=xp)
    if groups is not None:
        s_g = _backend._segment_sum(x, inverse, n_groups, xp=xp) - counts_f[:, None] * c[None, :]
        gx_s = s_g.mT @ s_g - parts[0]  # Σ_g s_g s_gᵀ − XᵀX (shifted rows)
    else:
        gx_s = parts[5]
    return _finalize(n, c, parts, gx_s, regular, trace)


def _quiet() -> Any:
    """Silence NumPy's floating-point warnings while accumulating: non-finite sums are detected from
    the accumulated diagonal right after, and raise a ValueError naming the rows."""
    import numpy as np

    return np.errstate(over="ignore", invalid="ignore")


def _raise_non_finite(x: Any, chunk: int, *, xp: ModuleType) -> None:
    """Name the first chunk of rows holding NaN/inf (called only once a statistic came out non-finite)."""
    n = x.shape[0]
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        if not bool(xp.all(xp.isfinite(x[start:stop, :]))):
            raise ValueError(f"x must be finite, but rows {start}..{stop - 1} contain NaN or inf")
    raise ValueError(
        "x must be finite: its second moment is not (entries so large that their products overflow)"
    )


def _compact_labels(groups: Any, *, xp: ModuleType) -> tuple[Any, Any]:
    """``(inverse, counts)`` of integer labels: ``inverse`` numbers the distinct labels ``0..M-1`` in
    increasing order (as ``unique_all``), ``counts`` their sizes.

    NumPy with a compact label range (``max − min < 2N``, any offset or sign): ``bincount`` and a
    cumulative-sum relabelling, O(N + range) instead of a sort. Otherwise ``unique_all``.
    """
    n = groups.shape[0]
    if _backend.is_numpy(xp) and n:
        import numpy as np

        lo, hi = int(groups.min()), int(groups.max())
        if hi - lo < 2 * n and hi < 2**63:  # uint64 above int64's range: sort instead
            # true values in [0, 2N): exact; already 0-based intp labels are used without a copy
            g = groups if lo == 0 and groups.dtype == np.intp else groups.astype(np.int64) - np.int64(lo)
            counts = np.bincount(g, minlength=hi - lo + 1)
            present = counts > 0
            if bool(present.all()):
                return g.astype(np.intp, copy=False), counts  # labels lo..hi all present
            remap = np.cumsum(present) - 1
            return remap[g], counts[present]
    _, _, inverse, counts = _backend.unique_all(groups, xp=xp)
    return inverse, counts


def _pairs(inverse: Any, n_groups: int, *, xp: ModuleType) -> tuple[Any, Any]:
    """Row selectors ``(first, second)`` of the two rows of each group (every group has two rows).

    A selector is a ``(start, step)`` slice or an index array. Detected in O(N): "tiled" (the views
    stacked, ``[view 1 of all; view 2 of all]``) and "repeated" (the two views adjacent); any other
    order pairs rows by first occurrence (NumPy, O(N)) or by a stable argsort (other backends).
    """
    m = n_groups
    if bool(xp.all(inverse[m:] == inverse[:m])):
        return (0, 1), (m, 1)
    if bool(xp.all(inverse[1::2] == inverse[0::2])):
        return (0, 2), (1, 2)
    if _backend.is_numpy(xp):
        import numpy as np

        rows = np.arange(2 * m)
        first = np.full(m, 2 * m)
        np.minimum.at(first, inverse, rows)
        second = np.flatnonzero(first[inverse] != rows)  # increasing: a streaming read of X
        return first[inverse[second]], second
    order = xp.argsort(inverse, stable=True)
    return order[0::2], order[1::2]


def _take_rows(x: Any, sel: Any, lo: int, hi: int, *, xp: ModuleType) -> Any:
    """Rows ``lo..hi-1`` of a selector from :func:`_pairs` (a strided view or a gather)."""
    if isinstance(sel, tuple):
        start, step = sel
        # rows start + step·[lo, hi); the stop stays inside the array (array-API slices must)
        return x[start + lo * step : start + (hi - 1) * step + 1 : step, :]
    return xp.take(x, sel[lo:hi], axis=0)


def _statistics_pairs(
    x: Any, first: Any, second: Any, c: Any, chunk: int, *, xp: ModuleType
) -> GraphStatistics:
    r"""Two rows per group: with :math:`s=a_1+a_2`, :math:`\delta=x_1-x_2` per group (:math:`a=x-c`),

    :math:`A^\top A=\tfrac12(S^\top S+\Delta^\top\Delta)`, :math:`\sum_gs_gs_g^\top-A^\top A=
    \tfrac12(S^\top S-\Delta^\top\Delta)`, :math:`X^\top LX=\Delta^\top\Delta` (free of the shift):
    two Grams of :math:`N/2` rows, i.e. the flops of one :math:`X^\top X`, instead of 1.5 of them.
    """
    m = x.shape[0] // 2
    h = max(1, chunk // 2)
    with _quiet():
        if _backend.is_numpy(xp):
            # buffers of ~512 KiB (chunk/8 rows) measured fastest at D = 16..128 (L2-resident)
            ss, dd, total = _pair_sums_numpy(x, first, second, c, max(1, min(chunk // 8, m)))
        else:
            ss = dd = total = None
            for lo in range(0, m, h):
                hi = min(lo + h, m)
                x1 = _take_rows(x, first, lo, hi, xp=xp)
                x2 = _take_rows(x, second, lo, hi, xp=xp)
                s = (x1 - c) + (x2 - c)
                dl = x1 - x2
                p_ss, p_dd, p_sum = s.mT @ s, dl.mT @ dl, xp.sum(s, axis=0)
                ss, dd, total = (p_ss, p_dd, p_sum) if ss is None else (ss + p_ss, dd + p_dd, total + p_sum)
    if not bool(xp.all(xp.isfinite(xp.linalg.diagonal(ss + dd)))):
        _raise_non_finite(x, chunk, xp=xp)
    a_s = (ss + dd) / 2
    parts = [a_s, total, None, None, None, None]
    return _finalize(2 * m, c, parts, (ss - dd) / 2, 1.0, 0.0, laplacian=dd)


def _pair_sums_numpy(x: Any, first: Any, second: Any, c: Any, h: int) -> tuple[Any, Any, Any]:
    """NumPy kernel of :func:`_statistics_pairs`: ``(SᵀS, ΔᵀΔ, ΣS)`` with reused buffers of ``h``
    pairs (no allocation per chunk; every elementwise step works in cache, ``aᵀa`` is a syrk).

    ``δ = x₁ − x₂`` is formed before the shift (exact for close rows). Rows that are not one
    contiguous range (adjacent views, any order) are first copied into contiguous buffers
    (``copyto`` of a streamed block / ``take``): NumPy's arithmetic on row-strided views runs ~4x
    slower than on contiguous ones, and strided reads from memory ~1.5x slower than a block copy.
    """
    import numpy as np

    m, d = x.shape[0] // 2, x.shape[1]
    adjacent = isinstance(first, tuple) and first[1] == 2
    pair_buf = np.empty((h, 2, d), dtype=x.dtype) if adjacent else None
    b1, b2, b3 = (np.empty((h, d), dtype=x.dtype) for _ in range(3))
    ss, dd = np.zeros((d, d), dtype=x.dtype), np.zeros((d, d), dtype=x.dtype)
    total = np.zeros(d, dtype=x.dtype)
    ones = np.ones(h, dtype=x.dtype)  # column sums as a gemv: ~6x faster than sum(axis=0) at small D
    for lo in range(0, m, h):
        hi = min(lo + h, m)
        k = hi - lo
        if adjacent:  # one streaming copy of the 2k rows, then de-interleaved in cache
            np.copyto(pair_buf[:k], x[2 * lo : 2 * hi].reshape(k, 2, d))
            x1, x2 = b1[:k], b2[:k]
            np.copyto(x1, pair_buf[:k, 0, :])
            np.copyto(x2, pair_buf[:k, 1, :])
        elif isinstance(first, tuple):  # stacked views: two contiguous row ranges, used in place
            x1, x2 = _take_rows(x, first, lo, hi, xp=np), _take_rows(x, second, lo, hi, xp=np)
        else:
            x1, x2 = b1[:k], b2[:k]
            np.take(x, first[lo:hi], axis=0, out=x1)
            np.take(x, second[lo:hi], axis=0, out=x2)
        s, a2, dl = b1[:k], b2[:k], b3[:k]
        np.subtract(x1, x2, out=dl)  # δ = x₁ − x₂, before any shift
        np.subtract(x2, c, out=a2)
        np.subtract(x1, c, out=s)
        s += a2  # s = (x₁ − c) + (x₂ − c)
        ss += s.T @ s
        dd += dl.T @ dl
        total += ones[:k] @ s
    return ss, dd, total


# ----------------------------------------------------------------------------- dask route
def _block_task(xb: Any, c: Any, deg: Any, gx: Any, group_spec: Any) -> list[Any]:
    """All partial sums of one Dask block, in one task (the block is shifted once).

    ``[AᵀA, Σa, AᵀDA, Aᵀd, Σd, AᵀG_bX_s, inside, straddle]``: ``inside`` = Σ s_g s_gᵀ over groups
    lying in this block, ``straddle`` = this block's partial sums of the straddling groups;
    ``group_spec`` holds host ``(rows, ids, n_ids)`` for both (block-local rows), or None.
    """
    xp = _backend.get_namespace(xb)
    dev = _backend.device(xb)
    if deg is not None:
        deg = xp.asarray(deg, dtype=xb.dtype, device=dev)
    a = xb - c
    out = _chunk_moments(a, c, deg, gx, xp=xp)
    if group_spec is None:
        return [*out, None, None]
    sums = []
    for rows, ids, n_ids in group_spec:
        if not n_ids:
            sums.append(None)
            continue
        sub = a if rows.shape[0] == a.shape[0] else xp.take(a, xp.asarray(rows, device=dev), axis=0)
        sums.append(_backend._segment_sum(sub, xp.asarray(ids, device=dev), n_ids, xp=xp))
    inside = None if sums[0] is None else sums[0].mT @ sums[0]
    return [*out, inside, sums[1]]


def _groups_gx(parts: list[Any]) -> Any:
    """Σ_g s_g s_gᵀ − AᵀA from the reduced block sums (inside-block terms plus straddling groups)."""
    a_s, inside, straddle = parts[0], parts[6], parts[7]
    total = -a_s
    if inside is not None:
        total = total + inside
    if straddle is not None:
        total = total + straddle.mT @ straddle
    return total


def _sum_list(items: list[Any]) -> Any:
    out = items[0]
    for it in items[1:]:
        out = _add(out, it) if isinstance(out, list) else (None if out is None else out + it)
    return out


def _tree(items: list[Any], fn: Any) -> Any:
    import dask

    while len(items) > 1:
        items = [
            dask.delayed(fn)(items[i : i + 2]) if i + 1 < len(items) else items[i]
            for i in range(0, len(items), 2)
        ]
    return items[0]


def _first_block_mean(xb: Any) -> Any:
    xp = _backend.get_namespace(xb)
    return xp.mean(xb, axis=0)


def _statistics_dask(x: Any, graph: Any, groups: Any) -> GraphStatistics:
    import dask
    import numpy as np

    da = _dask_array_module()
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-D array of shape (n_samples, n_features), received shape {x.shape}")
    x = x.rechunk({1: -1})
    if not (np.issubdtype(x.dtype, np.floating)):
        x = x.astype(np.float64)
    n, _ = x.shape
    row_chunks = x.chunks[0]
    bounds = np.concatenate([[0], np.cumsum(row_chunks)])
    blocks = list(x.to_delayed()[:, 0])
    c = dask.delayed(_first_block_mean)(blocks[0])
    regular = None
    trace: Any = 0.0
    deg_blocks: list[Any] = [None] * len(blocks)
    gx_blocks: list[Any] = [None] * len(blocks)
    group_specs = None
    if groups is not None:
        labels = _backend.to_numpy(groups.compute() if _is_dask(groups) else groups)
        _check_groups(labels, n, xp=np)
        inverse, counts = _compact_labels(labels, xp=np)
        if counts.min() == counts.max():
            regular = float(counts[0]) - 1.0
        else:
            deg = counts[inverse].astype(np.float64) - 1.0
            deg_blocks = [deg[bounds[b] : bounds[b + 1]] for b in range(len(blocks))]
        block_of_row = np.repeat(np.arange(len(blocks)), row_chunks)
        first = np.full(counts.shape[0], len(blocks))
        last = np.full(counts.shape[0], -1)
        np.minimum.at(first, inverse, block_of_row)
        np.maximum.at(last, inverse, block_of_row)
        straddles = first != last
        straddle_index = np.cumsum(straddles) - 1
        n_straddle = int(straddles.sum())
        group_specs: list[Any] = [None] * len(blocks)
        for b in range(len(blocks)):
            inv_b = inverse[bounds[b] : bounds[b + 1]]
            inside_b = ~straddles[inv_b]
            rows_in = np.nonzero(inside_b)[0]
            loc, n_loc = _compact_labels(inv_b[rows_in], xp=np)
            rows_str = np.nonzero(~inside_b)[0]
            inside = (rows_in, loc, int(n_loc.shape[0]))
            straddle = (rows_str, straddle_index[inv_b[rows_str]], n_straddle if rows_str.size else 0)
            group_specs[b] = (inside, straddle)
    else:
        if _is_dask(graph):
            g = graph.rechunk((row_chunks, row_chunks))
            gblocks = g.to_delayed()
            deg_all = g.sum(axis=1).rechunk((row_chunks,)).to_delayed()
            deg_blocks = list(deg_all)
            trace = da.diagonal(g).sum()
            for b in range(len(blocks)):
                terms = [dask.delayed(_matmul)(gblocks[b, j], blocks[j]) for j in range(len(blocks))]
                gx_blocks[b] = _tree(terms, _sum_list)
        else:
            gnp = graph
            if not _backend.is_sparse(gnp):
                gnp = _backend.to_numpy(gnp) if not isinstance(gnp, np.ndarray) else gnp
            deg_host = np.asarray(gnp @ np.ones(n)).reshape(-1)
            trace = float(gnp.diagonal().sum())
            deg_blocks = [deg_host[bounds[b] : bounds[b + 1]] for b in range(len(blocks))]
            for b in range(len(blocks)):
                terms = []
                for j in range(len(blocks)):
                    sub = gnp[bounds[b] : bounds[b + 1], bounds[j] : bounds[j + 1]]
                    nnz = sub.nnz if _backend.is_sparse(sub) else int(np.count_nonzero(sub))
                    if nnz:
                        terms.append(dask.delayed(_matmul)(sub, blocks[j]))
                gx_blocks[b] = _tree(terms, _sum_list) if terms else dask.delayed(_zeros_like)(blocks[b])
    specs = group_specs if group_specs is not None else [None] * len(blocks)
    tasks = [
        dask.delayed(_block_task)(blk, c, deg_blocks[b], gx_blocks[b], specs[b])
        for b, blk in enumerate(blocks)
    ]
    parts = _tree(tasks, _sum_list)
    gx_s = dask.delayed(_groups_gx if group_specs is not None else _item_5)(parts)
    c_v, parts_v, gx_v, trace_v = dask.compute(c, parts, gx_s, trace)
    return _finalize(n, c_v, parts_v, gx_v, regular, float(trace_v))


def _item_5(parts: list[Any]) -> Any:
    return parts[5]


def _matmul(g: Any, xb: Any) -> Any:
    xp = _backend.get_namespace(xb)
    if _backend.is_sparse(g):
        return xp.asarray(g @ xb)
    g = xp.asarray(g, device=_backend.device(xb))
    return g @ xb


def _zeros_like(xb: Any) -> Any:
    xp = _backend.get_namespace(xb)
    return xp.zeros(xb.shape, dtype=xb.dtype, device=_backend.device(xb))


# ----------------------------------------------------------------------------- public
def graph_statistics(
    x: Any, /, *, graph: Any = None, groups: Any = None, chunk_size: int | None = None
) -> GraphStatistics:
    r"""Sufficient statistics :math:`X^\top X, X^\top HX, X^\top GX, X^\top D_GX, X^\top LX` in one pass.

    .. math::

        X^\top GX=\sum_b X_b^\top (G_{b,:}X),\qquad
        X^\top GX=\sum_g s_gs_g^\top-X^\top X\ \ \text{for}\ G_{ij}=1\{g_i=g_j,\ i\ne j\},

    with :math:`s_g=\sum_{i\in g}x_i` (clique unions: augmentation views sharing an original, or
    label graphs; degrees :math:`n_g-1`), :math:`X^\top D_GX=\sum_b X_b^\top\mathrm{diag}(d_b)X_b`,
    :math:`L=D_G-G`. Rows are shifted by :math:`c` (the mean of the first chunk) before
    accumulation and the shift is undone exactly: :math:`(X-\mathbf 1c^\top)^\top M(X-\mathbf
    1c^\top)` expands to :math:`X^\top MX` minus rank-two terms, so :math:`X^\top HX` and
    :math:`X^\top LX` are free of the cancellation of :math:`X^\top X-N\bar x\bar x^\top`.

    Parameters
    ----------
    x : array, shape (n_samples, n_features)
        Data :math:`X` (NumPy, CuPy, any array-API array, or a ``dask.array.Array`` chunked along
        rows); integer input is promoted to float64.
    graph : array or sparse matrix, shape (n_samples, n_samples), optional
        Explicit symmetric non-negative graph (dense, SciPy / ``cupyx`` sparse; with Dask ``x``:
        SciPy sparse / NumPy, or a Dask array). Exactly one of ``graph`` and ``groups``.
    groups : integer array, shape (n_samples,), optional
        A label per row: :math:`G_{ij}=1` for :math:`i\ne j` with the same label (never formed).
    chunk_size : int, optional
        Rows per chunk for in-memory arrays (default: about 4 MiB of rows). Dask uses its chunks.

    Returns
    -------
    GraphStatistics
        In ``x``'s floating dtype, on ``x``'s namespace and device (for Dask: the chunk library,
        materialised by one ``dask.compute``).

    Raises
    ------
    ValueError
        ``x`` not 2-D or non-finite; both or neither of ``graph``/``groups``; shape mismatch;
        invalid graph (see :func:`ssltheory.graphs.graph_laplacian`); ``chunk_size < 1``.
    TypeError
        Non-integer ``groups``; arrays from different libraries.

    Notes
    -----
    spec/spectral.md §4.3, §4.6 (the statistics of the linear closed forms); backends.md §4
    route 1. Cost :math:`O(ND^2)` (about two :math:`X^\top X` products; one when the degree is
    constant) plus :math:`O(\mathrm{nnz}(G)D)`, memory :math:`O(\text{chunk}\cdot D+D^2)`; the
    groups route adds one sparse one-hot product :math:`S=E^\top X` (:math:`O(ND)`, memory
    :math:`O(\#\text{groups}\,D)`). Labels with a compact range (``max − min < 2N``) are numbered
    in :math:`O(N)` (NumPy; otherwise a sort). Two rows per group (two views; stacked, adjacent or
    in any order) take a faster exact route: with :math:`s=a_1+a_2`, :math:`\delta=x_1-x_2` per
    group, :math:`A^\top A=\frac12(S^\top S+\Delta^\top\Delta)`, :math:`\sum_gs_gs_g^\top-A^\top
    A=\frac12(S^\top S-\Delta^\top\Delta)`, :math:`X^\top LX=\Delta^\top\Delta`: the flops of one
    :math:`X^\top X` in all, no one-hot product (about 1.0-1.5 :math:`X^\top X` at :math:`D\ge64`
    for stacked or adjacent views, benchmarks/bench_statistics.py). On Dask, groups lying inside
    one block contribute a :math:`D\times D` term per block; only groups straddling blocks carry
    partial sums (:math:`O(\#\text{straddling}\,D)` per task), so keep the views of an original in
    one chunk. Rounding: :math:`X^\top LX` for clique unions is :math:`\sum_g(n_gQ_g-s_gs_g^\top)`,
    accurate to :math:`O(\epsilon\,n_g\lVert x-c\rVert^2)` per group, relative to the within-group
    scatter; with two rows per group it is :math:`\Delta^\top\Delta`, accurate to
    :math:`O(\epsilon)` relative to itself however close the views are.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import graph_laplacian, label_graph
    >>> rng = np.random.default_rng(0)
    >>> x, labels = rng.standard_normal((12, 3)), np.repeat(np.arange(4), 3)
    >>> stats = graph_statistics(x, groups=labels, chunk_size=5)
    >>> dense = x.T @ graph_laplacian(label_graph(labels)) @ x
    >>> bool(np.allclose(stats.laplacian, dense))
    True
    """
    if (graph is None) == (groups is None):
        raise ValueError(
            "graph_statistics needs exactly one of graph= (a relation graph) or groups= (labels)"
        )
    if _is_dask(x):
        if graph is not None:
            if not _is_dask(graph):
                xp_g = _backend.get_namespace(graph)
                graph = _validation.check_graph(graph, xp=xp_g, diagonal="keep")
            if graph.shape != (x.shape[0], x.shape[0]):
                raise ValueError(
                    f"graph must be (n_samples, n_samples) = ({x.shape[0]}, {x.shape[0]}) to match x, "
                    f"received {tuple(graph.shape)}"
                )
        stats = _statistics_dask(x, graph, groups)
        _check_finite_result(stats, xp=_backend.get_namespace(stats.scatter))
        return stats
    xp = _backend.get_namespace(x, graph, groups)
    # finiteness is checked chunk by chunk while the chunk is in cache (no extra pass over X)
    x = _validation.check_array(x, xp=xp, name="x", ndim=2, finite=False)
    n, d = x.shape
    if groups is not None:
        groups = _check_groups(groups, n, xp=xp)
    else:
        graph = _validation.check_graph(graph, xp=xp, diagonal="keep")
        if graph.shape[0] != n:
            raise ValueError(
                f"graph must be (n_samples, n_samples) = ({n}, {n}) to match x, received {tuple(graph.shape)}"
            )
        if not _backend.is_sparse(graph) and graph.dtype != x.dtype:
            graph = xp.astype(graph, x.dtype)
    stats = _statistics_in_memory(x, graph, groups, _chunk_rows(n, d, chunk_size), xp=xp)
    _check_finite_result(stats, xp=xp)
    return stats


def _check_finite_result(stats: GraphStatistics, *, xp: ModuleType) -> None:
    for name in ("second_moment", "adjacency", "degree"):
        if not bool(xp.all(xp.isfinite(getattr(stats, name)))):
            raise ValueError(
                f"x must be finite: its {name} statistic is not (a NaN/inf entry in x, or entries so "
                "large that their products overflow)"
            )


_MATRIX_FIELDS = ("second_moment", "scatter", "adjacency", "degree", "laplacian")


def _check_stats(stats: Any) -> ModuleType:
    """Namespace of a :class:`GraphStatistics` whose fields are consistent (shapes, finite,
    ``n_samples >= 1``), for the solvers that take statistics instead of rows."""
    if not isinstance(stats, GraphStatistics):
        raise TypeError(
            f"stats must be a GraphStatistics (from ssltheory.spectral.graph_statistics), received "
            f"{type(stats).__name__}"
        )
    xp = _backend.get_namespace(stats.mean, *(getattr(stats, f) for f in _MATRIX_FIELDS))
    _validation.check_int(stats.n_samples, name="stats.n_samples", minimum=1)
    moment = stats.second_moment
    if moment.ndim != 2 or moment.shape[0] != moment.shape[1] or moment.shape[0] == 0:
        raise ValueError(
            f"stats.second_moment must be a square (n_features, n_features) matrix, received shape "
            f"{tuple(moment.shape)}"
        )
    p = moment.shape[0]
    for name in (*_MATRIX_FIELDS, "mean"):
        field = getattr(stats, name)
        shape = (p,) if name == "mean" else (p, p)
        if tuple(field.shape) != shape:
            raise ValueError(
                f"stats.{name} must have shape {shape} to match stats.second_moment, received "
                f"{tuple(field.shape)}"
            )
        _validation.check_finite(field, xp=xp, name=f"stats.{name}")
    _check_realisable(stats, xp=xp)
    return xp


def _check_realisable(stats: GraphStatistics, *, xp: ModuleType) -> None:
    r"""Refuse statistics that no data and non-negative graph can produce.

    Every matrix is symmetric; :math:`X^\top X`, :math:`X^\top HX`, :math:`X^\top D_GX` and
    :math:`X^\top LX` are positive semi-definite (:math:`L` is, for :math:`G\ge0`);
    :math:`X^\top HX=X^\top X-N\bar x\bar x^\top` and :math:`X^\top LX=X^\top D_GX-X^\top GX`.
    Tolerance :math:`4\sqrt\epsilon` times the largest entry of the matrices involved (the
    rounding of accumulated sums is far below; an asymmetric or indefinite input is not).
    """
    tol = _validation.default_tol(stats.second_moment.dtype, xp=xp)

    def scale(*mats: Any) -> float:
        return max([1e-300] + [float(xp.max(xp.abs(m))) for m in mats])

    for name in _MATRIX_FIELDS:
        _validation.check_symmetric(
            getattr(stats, name),
            xp=xp,
            name=f"stats.{name}",
            hint="it is X^T M X for a symmetric M, so no data produces it: build it with graph_statistics",
        )
    for name in ("second_moment", "scatter", "degree", "laplacian"):
        m = getattr(stats, name)
        low = float(xp.min(xp.linalg.eigvalsh(m)))
        if low < -tol * scale(m) * m.shape[0]:
            raise ValueError(
                f"stats.{name} must be positive semi-definite (smallest eigenvalue {low:.3g}); no data "
                "and non-negative graph produce these statistics: build them with graph_statistics"
            )
    n = stats.n_samples
    centred = stats.second_moment - n * (stats.mean[:, None] * stats.mean[None, :])
    if float(xp.max(xp.abs(stats.scatter - centred))) > tol * scale(stats.second_moment, stats.scatter):
        raise ValueError(
            "stats.scatter must equal stats.second_moment - n_samples * outer(stats.mean, stats.mean) "
            "(X^T H X = X^T X - N x_bar x_bar^T): the fields are inconsistent"
        )
    lap = stats.degree - stats.adjacency
    if float(xp.max(xp.abs(stats.laplacian - lap))) > tol * scale(stats.degree, stats.adjacency):
        raise ValueError(
            "stats.laplacian must equal stats.degree - stats.adjacency (X^T L X = X^T D X - X^T G X): "
            "the fields are inconsistent"
        )


def vicreg_linear_weights_from_statistics(
    stats: GraphStatistics,
    /,
    *,
    n_components: int,
    variance_weight: float = 1.0,
    covariance_weight: float = 1.0,
    invariance_weight: float = 1.0,
    variance_penalty: str = "square",
    ddof: int = 1,
    variance_floor: float = 1e-6,
    variance_eps: float = 0.0,
    rtol: float | None = None,
    tie_tol: float | None = None,
) -> LinearSolution:
    r"""Optimal linear VICReg weights from :class:`GraphStatistics` (no pass over the data).

    .. math::

        X^\top LX\,w_k=\mu_k\,X^\top HX\,w_k,\qquad
        W^*=[w_1\dots w_K]\,\mathrm{diag}(\sqrt{c_k})\,R,

    with :math:`\Sigma_X=X^\top HX/M`, :math:`S_L=X^\top LX/M`, :math:`M=N-\mathrm{ddof}`: the
    solve step of :func:`~ssltheory.spectral.vicreg_linear_weights` on streamed statistics.

    Parameters
    ----------
    stats : GraphStatistics
        From :func:`graph_statistics` (any backend; Dask statistics are already materialised).
    n_components, variance_weight, covariance_weight, invariance_weight, variance_penalty, ddof
        As in :func:`~ssltheory.spectral.vicreg_linear_weights`.
    variance_floor, variance_eps, rtol, tie_tol
        As in :func:`~ssltheory.spectral.vicreg_linear_weights` (``rtol`` default :math:`N\epsilon`).

    Returns
    -------
    LinearSolution
        Equal to ``vicreg_linear_weights(x, graph, ...)`` up to rounding (same :math:`\mu`,
        :math:`c`, loss, subspace).

    Raises
    ------
    TypeError
        ``stats`` is not a :class:`GraphStatistics`, or wrongly typed parameters.
    ValueError
        As :func:`~ssltheory.spectral.vicreg_linear_weights` (penalty, weights, ``ddof``, ``rtol``).

    Warns
    -----
    DegenerateSpectrumWarning
        :math:`\mu_k=\mu_{k+1}` within ``tie_tol`` at the last direction with :math:`c_k>0`.
    NotConvergedWarning
        Hinge with :math:`\alpha<8\beta`: not certified globally optimal.

    Notes
    -----
    spec/spectral.md §4.3. Cost :math:`O(D^3)`; the data cost is in :func:`graph_statistics`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import label_graph
    >>> from ssltheory.spectral import vicreg_linear_weights
    >>> rng = np.random.default_rng(0)
    >>> x, labels = rng.standard_normal((40, 4)), np.repeat(np.arange(10), 4)
    >>> stats = graph_statistics(x, groups=labels)
    >>> a = vicreg_linear_weights_from_statistics(stats, n_components=2, invariance_weight=0.01)
    >>> b = vicreg_linear_weights(x, label_graph(labels), n_components=2, invariance_weight=0.01)
    >>> bool(abs(a.loss - b.loss) < 1e-10)
    True
    """
    xp = _check_stats(stats)
    n = stats.n_samples
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    alpha, beta, gamma = _check_weights(variance_weight, covariance_weight, invariance_weight)
    penalty = _check_penalty(variance_penalty, variance_floor, variance_eps)
    ddof = _check_ddof(ddof, n)
    if rtol is None:
        rtol = n * float(xp.finfo(stats.scatter.dtype).eps)
    rtol = _validation.check_positive(rtol, name="rtol", strict=False)
    if rtol >= 1.0:
        raise ValueError(f"rtol must be in [0, 1), received {rtol}")
    m = n - ddof
    return _vicreg_linear_solve(
        stats.scatter / m,
        stats.laplacian / m,
        k,
        alpha=alpha,
        beta=beta,
        gamma_p=gamma * m / n,
        penalty=penalty,
        rtol=rtol,
        tie_tol=tie_tol,
        xp=xp,
        stacklevel=4,
    )


def graph_cca_from_statistics(
    stats: GraphStatistics, /, *, n_components: int, tie_tol: float | None = None
) -> LinearSolution:
    r"""Graph CCA from :class:`GraphStatistics`: generalised eigenvectors of :math:`(X^\top GX, X^\top D_GX)`.

    .. math::

        X^\top GX\,w_k=\rho_k\,X^\top D_GX\,w_k,\qquad \rho_1\ge\rho_2\ge\dots,\qquad
        W^\top X^\top D_GXW=I .

    Parameters
    ----------
    stats : GraphStatistics
        From :func:`graph_statistics` (the diagonal of :math:`G` counts, as in
        :func:`~ssltheory.spectral.graph_cca`).
    n_components : int
        :math:`K\le\mathrm{rank}(X^\top D_GX)`.
    tie_tol : float, optional
        Tie tolerance (spec D12).

    Returns
    -------
    LinearSolution
        As :func:`~ssltheory.spectral.graph_cca` (loss :math:`\sum_k(1-\rho_k)^2`).

    Raises
    ------
    TypeError
        ``stats`` is not a :class:`GraphStatistics`.
    ValueError
        ``n_components`` above the rank of :math:`X^\top D_GX`.

    Warns
    -----
    DegenerateSpectrumWarning
        If :math:`\rho_K` is tied with :math:`\rho_{K+1}`.

    Notes
    -----
    spec/spectral.md §4.6. Cost :math:`O(D^3)`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> base = rng.standard_normal((20, 3))
    >>> x = np.concatenate([base, base + 0.1 * rng.standard_normal((20, 3))])
    >>> stats = graph_statistics(x, groups=np.tile(np.arange(20), 2))
    >>> sol = graph_cca_from_statistics(stats, n_components=2)
    >>> bool(np.all(sol.eigenvalues < 1)) and bool(sol.eigenvalues[0] > 0.99)
    True
    """
    xp = _check_stats(stats)
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    w, rho, tied, _ = _cca_from_moments(
        stats.degree, stats.adjacency, k, n_samples=stats.n_samples, xp=xp, tie_tol=tie_tol, stacklevel=4
    )
    loss = float(xp.sum((1.0 - rho) ** 2))
    scales = xp.ones((k,), dtype=w.dtype, device=_backend.device(w))
    return LinearSolution(weights=w, eigenvalues=rho, scales=scales, rank=k, loss=loss, tied=tied)


def barlow_twins_linear_weights_from_statistics(
    stats: GraphStatistics,
    /,
    *,
    n_components: int,
    redundancy_weight: float = 1.0,
    eps: float = 1e-12,
    tie_tol: float | None = None,
) -> LinearSolution:
    r"""Optimal linear BarlowTwins weights from :class:`GraphStatistics`.

    Closed form for :math:`K=1` or when all :math:`\rho_k=1`:

    .. math::

        w^*=\arg\max_w\frac{w^\top X^\top GXw}{w^\top X^\top D_GXw},\qquad
        \mathcal L=\sum_k\big(1-\rho_k/(1+\varepsilon)\big)^2 .

    Parameters
    ----------
    stats : GraphStatistics
        From :func:`graph_statistics` of a graph with zero diagonal (``groups`` always are).
    n_components, redundancy_weight, eps, tie_tol
        As in :func:`~ssltheory.spectral.barlow_twins_linear_weights`.

    Returns
    -------
    LinearSolution
        As :func:`~ssltheory.spectral.barlow_twins_linear_weights`.

    Raises
    ------
    TypeError
        ``stats`` is not a :class:`GraphStatistics`.
    ValueError
        ``stats.self_loop_weight > 0`` (self-pairs are not allowed), :math:`K>1` with some
        :math:`\rho_k<1-\mathrm{tol}`, invalid parameters.

    Warns
    -----
    DegenerateSpectrumWarning
        If :math:`\rho_K` is tied with :math:`\rho_{K+1}`.

    Notes
    -----
    spec/spectral.md §4.6. Cost :math:`O(D^3)`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> base = rng.standard_normal((20, 3))
    >>> x = np.concatenate([base, base + 0.1 * rng.standard_normal((20, 3))])
    >>> stats = graph_statistics(x, groups=np.tile(np.arange(20), 2))
    >>> sol = barlow_twins_linear_weights_from_statistics(stats, n_components=1)
    >>> bool(abs(sol.loss - (1 - sol.eigenvalues[0]) ** 2) < 1e-12)
    True
    """
    xp = _check_stats(stats)
    if stats.self_loop_weight > 0:
        raise ValueError(
            "stats must come from a graph with a zero diagonal for BarlowTwins (self-pairs are not "
            f"allowed), but its self-loop weight is {stats.self_loop_weight}"
        )
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    _validation.check_positive(redundancy_weight, name="redundancy_weight")
    eps = _validation.check_positive(eps, name="eps", strict=False)
    w, rho, tied, rho_all = _cca_from_moments(
        stats.degree, stats.adjacency, k, n_samples=stats.n_samples, xp=xp, tie_tol=tie_tol, stacklevel=4
    )
    if k > 1:
        tol = _linalg.tie_tolerance(rho_all, xp=xp, tie_tol=tie_tol)
        low = float(rho[k - 1])
        if low < 1.0 - tol:
            raise ValueError(
                f"barlow_twins_linear_weights_from_statistics has a closed form only for n_components = 1 "
                f"or when the top n_components canonical correlations all equal 1 (within {tol:.3g}); "
                f"here rho_{k} = {low:.6g}: use graph_cca_from_statistics (spec/spectral.md §4.6)"
            )
    loss = float(xp.sum((1.0 - rho / (1.0 + eps)) ** 2))
    scales = xp.ones((k,), dtype=w.dtype, device=_backend.device(w))
    return LinearSolution(weights=w, eigenvalues=rho, scales=scales, rank=k, loss=loss, tied=tied)

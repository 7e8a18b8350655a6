"""Exact partition of a CPA net in 2D (or a 2D slice) by incremental polygon splitting (§4.3, §4.4).

The partition is a variable-size geometric object: the small folded weights are copied to the
host and the polygons, segments and maps are NumPy float64 arrays (documented backend exception,
spec D10). Per-point functions elsewhere in ``ssltheory.splines`` stay on the input's backend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import array_api_compat.numpy as npx
import numpy as np

from ssltheory import _backend
from ssltheory._validation import check_int
from ssltheory.splines._folding import FoldedNet, _as_folded, _forward_pre
from ssltheory.splines._partition import _count_distinct_rows

__all__ = [
    "Partition2D",
    "count_codes_on_grid",
    "enumerate_regions_2d",
    "margin_2d",
    "segment_distance_2d",
]


@dataclass(frozen=True)
class Partition2D:
    """The exact partition of a box in the plane (host NumPy arrays).

    Attributes
    ----------
    polygons : tuple of arrays (n_vertices, 2)
        Convex regions (counter-clockwise), in plane coordinates.
    codes : bool array (n_regions, n_units)
        Activation code of each region (all hidden units, layer by layer).
    areas : array (n_regions,)
    region_maps : tuple (matrix (n_regions, n_out, 2), offset (n_regions, n_out))
        The affine map of the net output (logits with a readout, else last features) per region.
    segments : array (S, 2, 2)
        The partition boundary inside the box (box edges excluded), as segments.
    segment_layer, segment_unit : int arrays (S,)
        The unit :math:`(\\ell, k)` whose folded hyperplane each segment belongs to.
    decision_segments : array (T, 2, 2)
    decision_classes : int array (T, 2)
        The two classes on either side (``(0, 1)`` for one logit).
    box : array (2, 2)
        ``[[x_min, x_max], [y_min, y_max]]``.
    n_regions : int
    network : FoldedNet
        The host copy of the (sliced) folded net, used by :func:`margin_2d`.
    """

    polygons: tuple[np.ndarray, ...]
    codes: np.ndarray
    areas: np.ndarray
    region_maps: tuple[np.ndarray, np.ndarray]
    segments: np.ndarray
    segment_layer: np.ndarray
    segment_unit: np.ndarray
    decision_segments: np.ndarray
    decision_classes: np.ndarray
    box: np.ndarray
    n_regions: int
    network: FoldedNet


def _area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _split(p: np.ndarray, g: np.ndarray, e: float, tol: float) -> tuple[list, list, list] | None:
    """Split convex polygon ``p`` by ``g·x + e = 0``; ``None`` if it lies on one side (within tol)."""
    gn = math.hypot(float(g[0]), float(g[1]))
    if gn == 0.0:
        return None
    v = (p @ g + e) / gn
    if bool(np.all(v >= -tol)) or bool(np.all(v <= tol)):
        return None
    pos, neg, chord = [], [], []
    nv = p.shape[0]
    for i in range(nv):
        a, va = p[i], v[i]
        b, vb = p[(i + 1) % nv], v[(i + 1) % nv]
        if va > tol:
            pos.append(a)
        elif va < -tol:
            neg.append(a)
        else:
            pos.append(a)
            neg.append(a)
            chord.append(a)
        if va * vb < 0 and abs(va) > tol and abs(vb) > tol:
            q = a + va / (va - vb) * (b - a)
            pos.append(q)
            neg.append(q)
            chord.append(q)
    return pos, neg, chord


def _side(p: np.ndarray, g: np.ndarray, e: float) -> bool:
    return float(np.mean(p, axis=0) @ g + e) > 0


def _check_box(box: Any) -> np.ndarray:
    b = np.asarray(box, dtype=np.float64)
    if b.shape != (2, 2) or not np.all(np.isfinite(b)) or not np.all(b[:, 1] > b[:, 0]):
        raise ValueError(
            f"box must be ((x_min, x_max), (y_min, y_max)) with finite min < max, received {box!r}"
        )
    return b


def _host_net(folded: FoldedNet, plane: Any) -> FoldedNet:
    w = [np.asarray(_backend.to_numpy(a), dtype=np.float64) for a in folded.weights]
    c = [np.asarray(_backend.to_numpy(a), dtype=np.float64) for a in folded.biases]
    m = [np.asarray(_backend.to_numpy(a), dtype=bool) for a in folded.unit_mask]
    r = None if folded.readout_weight is None else np.asarray(_backend.to_numpy(folded.readout_weight), float)
    rb = None if folded.readout_bias is None else np.asarray(_backend.to_numpy(folded.readout_bias), float)
    if plane is None:
        if w[0].shape[1] != 2:
            raise ValueError(
                f"the net's input dimension is {w[0].shape[1]}: pass plane=(origin, basis) to enumerate "
                "a 2D slice"
            )
    else:
        origin, basis = (np.asarray(_backend.to_numpy(a), dtype=np.float64) for a in plane)
        d0 = w[0].shape[1]
        if origin.shape != (d0,) or basis.shape != (d0, 2):
            raise ValueError(
                f"plane must be (origin of shape ({d0},), basis of shape ({d0}, 2)), received "
                f"{origin.shape} and {basis.shape}"
            )
        if not np.allclose(basis.T @ basis, np.eye(2), atol=1e-10, rtol=0):
            raise ValueError("plane basis must have orthonormal columns (basis.T @ basis = I)")
        c[0] = c[0] + w[0] @ origin
        w[0] = w[0] @ basis
    return FoldedNet(tuple(w), tuple(c), tuple(m), folded.negative_slope, r, rb)


def enumerate_regions_2d(
    folded: FoldedNet,
    /,
    *,
    box: Any,
    plane: Any = None,
    decision_boundary: bool = False,
    vertex_tol: float = 1e-12,
    area_tol: float = 1e-14,
) -> Partition2D:
    r"""Exact regions of the partition inside a box in the plane (spec §4.3, D9, D10).

    .. math::

        \Omega \cap \mathrm{box} = \{\omega_q \cap \mathrm{box} \ne \emptyset\},\qquad
        \omega_q = \{x : [h_{\ell,k}(x) > 0] = q_{\ell,k}\ \forall \ell, k\}

    Each region of layers :math:`< \ell` is split by the layer-ℓ hyperplanes
    :math:`G_\ell[k] x + e_\ell[k] = 0`, on which the net is affine.

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    box : ((x_min, x_max), (y_min, y_max))
        Closed axis-aligned box in plane coordinates.
    plane : (origin (D_0,), basis (D_0, 2)), optional
        A 2D slice :math:`x = o + B u` (orthonormal columns); required when :math:`D_0 \ne 2`.
    decision_boundary : bool
        Also compute the decision segments (needs a readout).
    vertex_tol, area_tol : float
        Relative to diam(box) and area(box) (so counts are invariant under :math:`x \mapsto
        \lambda x + v`).

    Returns
    -------
    Partition2D
        Host NumPy arrays.

    Raises
    ------
    ValueError
        Bad box, plane not orthonormal, input dimension ≠ 2 without a plane, decision boundary
        without a readout.

    Notes
    -----
    spec/splines.md §4.3, §4.4 (the output of SplineCam, Humayun et al. CVPR 2023, implemented
    from the spec's text). A hyperplane through existing vertices only records no segment
    (measure zero). Cost :math:`O(\#\text{regions} \times \text{units})` per layer.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, enumerate_regions_2d
    >>> net = random_spline_net([2, 6], rng=np.random.default_rng(0), bias="normal")
    >>> part = enumerate_regions_2d(net, box=((-100, 100), (-100, 100)))
    >>> part.n_regions, round(float(part.areas.sum()))
    (22, 40000)
    """
    folded = _as_folded(folded)
    box = _check_box(box)
    net = _host_net(folded, plane)
    if decision_boundary and net.readout_weight is None:
        raise ValueError("decision_boundary=True needs a net with a readout")
    vertex_tol = float(vertex_tol)
    area_tol = float(area_tol)
    diam = math.hypot(box[0, 1] - box[0, 0], box[1, 1] - box[1, 0])
    box_area = (box[0, 1] - box[0, 0]) * (box[1, 1] - box[1, 0])
    tol = vertex_tol * diam
    amin = area_tol * box_area
    poly = np.array(
        [[box[0, 0], box[1, 0]], [box[0, 1], box[1, 0]], [box[0, 1], box[1, 1]], [box[0, 0], box[1, 1]]]
    )
    eta = net.negative_slope
    regions = [(poly, np.eye(2), np.zeros(2), [])]
    segs, seg_layer, seg_unit = [], [], []
    for ell, (w, c, mask) in enumerate(zip(net.weights, net.biases, net.unit_mask, strict=True)):
        units = [k for k in range(w.shape[0]) if mask[k]]
        new = []
        for p, a, b, code in regions:
            g = w @ a
            e = w @ b + c
            pieces = [p]
            for k in units:
                nxt = []
                for q in pieces:
                    res = _split(q, g[k], float(e[k]), tol)
                    if res is None:
                        nxt.append(q)
                        continue
                    pos, neg, chord = res
                    for part in (pos, neg):
                        if len(part) >= 3:
                            arr = np.array(part)
                            if _area(arr) > amin:
                                nxt.append(arr)
                    if len(chord) >= 2:
                        segs.append(np.array([chord[0], chord[-1]]))
                        seg_layer.append(ell)
                        seg_unit.append(k)
                pieces = nxt
            for q in pieces:
                h = g @ np.mean(q, axis=0) + e
                act = h > 0
                qv = np.where(act, 1.0, eta)
                new.append((q, qv[:, None] * g, qv * e, [*code, act]))
        regions = new
    polygons = tuple(r[0] for r in regions)
    n_units = sum(w.shape[0] for w in net.weights)
    codes = np.array([np.concatenate(r[3]) for r in regions], dtype=bool).reshape(len(regions), n_units)
    mats = np.array([r[1] for r in regions])
    offs = np.array([r[2] for r in regions])
    if net.readout_weight is not None:
        mats = net.readout_weight @ mats
        offs = offs @ net.readout_weight.T
        if net.readout_bias is not None:
            offs = offs + net.readout_bias
    dsegs, dcls = [], []
    if decision_boundary:
        for p, fa, fb in zip(polygons, mats, offs, strict=True):
            _decision_segments(p, fa, fb, tol, amin, dsegs, dcls)
    return Partition2D(
        polygons=polygons,
        codes=codes,
        areas=np.array([_area(p) for p in polygons]),
        region_maps=(mats, offs),
        segments=np.array(segs, dtype=np.float64).reshape(-1, 2, 2),
        segment_layer=np.array(seg_layer, dtype=np.int64),
        segment_unit=np.array(seg_unit, dtype=np.int64),
        decision_segments=np.array(dsegs, dtype=np.float64).reshape(-1, 2, 2),
        decision_classes=np.array(dcls, dtype=np.int64).reshape(-1, 2),
        box=box,
        n_regions=len(polygons),
        network=net,
    )


def _clip(p: np.ndarray, g: np.ndarray, e: float, tol: float, amin: float) -> np.ndarray | None:
    res = _split(p, g, e, tol)
    if res is None:
        gn = math.hypot(float(g[0]), float(g[1]))
        if gn == 0.0:
            return p if e >= 0 else None
        return p if bool(np.all((p @ g + e) / gn >= -tol)) else None
    pos = np.array(res[0])
    return pos if pos.shape[0] >= 3 and _area(pos) > amin else None


def _decision_segments(
    p: np.ndarray, fa: np.ndarray, fb: np.ndarray, tol: float, amin: float, out: list, cls: list
) -> None:
    n_classes = fa.shape[0]
    if n_classes == 1:
        res = _split(p, fa[0], float(fb[0]), tol)
        if res is not None and len(res[2]) >= 2:
            out.append(np.array([res[2][0], res[2][-1]]))
            cls.append((0, 1))
        return
    for i in range(n_classes):
        cell = p
        for j in range(n_classes):
            if j != i and cell is not None:
                cell = _clip(cell, fa[i] - fa[j], float(fb[i] - fb[j]), tol, amin)
        if cell is None:
            continue
        nv = cell.shape[0]
        for j in range(i + 1, n_classes):
            g = fa[i] - fa[j]
            gn = math.hypot(float(g[0]), float(g[1]))
            if gn == 0.0:
                continue
            v = np.abs(cell @ g + fb[i] - fb[j]) / gn
            for s in range(nv):
                t = (s + 1) % nv
                if v[s] <= tol and v[t] <= tol:
                    out.append(np.array([cell[s], cell[t]]))
                    cls.append((i, j))


def _point_segment_distance(x: np.ndarray, segs: np.ndarray, chunk: int = 2048) -> np.ndarray:
    out = np.full(x.shape[0], np.inf)
    if segs.shape[0] == 0:
        return out
    a = segs[:, 0, :]
    d = segs[:, 1, :] - a
    dd = np.einsum("sd,sd->s", d, d)
    dd = np.where(dd > 0, dd, 1.0)
    for s in range(0, x.shape[0], chunk):
        p = x[s : s + chunk, None, :] - a[None, :, :]
        t = np.clip(np.einsum("nsd,sd->ns", p, d) / dd, 0.0, 1.0)
        r = p - t[:, :, None] * d[None, :, :]
        out[s : s + chunk] = np.sqrt(np.min(np.einsum("nsd,nsd->ns", r, r), axis=1))
    return out


def segment_distance_2d(partition: Partition2D, X: Any, /, *, which: Any = "partition") -> np.ndarray:
    r"""Exact distance from points to (a part of) the partition boundary inside the box.

    .. math::

        d(x, S) = \min_{[a,b] \in S}\ \min_{t \in [0,1]} \|x - a - t(b-a)\|_2

    Parameters
    ----------
    partition : Partition2D
    X : array, shape (n_samples, 2)
        Points in plane coordinates (any backend; copied to the host).
    which : "partition", "decision", int or (int, int)
        All partition segments, the decision segments, one layer's segments, or one unit's.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        ``inf`` when the selection is empty. Only boundaries inside the box are seen.

    Raises
    ------
    ValueError
        ``X`` not of shape (n, 2), or an unknown ``which``.

    Notes
    -----
    spec/splines.md §4.3, T11: equals Dist-1 for points closer to the partition than to the box
    edge. Cost :math:`O(n S)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import HiddenLayer, SplineNet, enumerate_regions_2d, segment_distance_2d
    >>> part = enumerate_regions_2d(SplineNet([HiddenLayer(np.eye(2))]), box=((-1, 1), (-1, 1)))
    >>> segment_distance_2d(part, np.array([[0.5, 0.25]])).tolist()
    [0.25]
    """
    x = np.asarray(_backend.to_numpy(X), dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"X must have shape (n_samples, 2) (plane coordinates), received {x.shape}")
    if isinstance(which, str):
        if which == "partition":
            segs = partition.segments
        elif which == "decision":
            segs = partition.decision_segments
        else:
            raise ValueError(
                f"which must be 'partition', 'decision', a layer or (layer, unit), received {which!r}"
            )
    elif isinstance(which, Sequence) and len(which) == 2:
        sel = (partition.segment_layer == int(which[0])) & (partition.segment_unit == int(which[1]))
        segs = partition.segments[sel]
    else:
        layer = check_int(which, name="which", minimum=0)
        segs = partition.segments[partition.segment_layer == layer]
    return _point_segment_distance(x, segs)


def margin_2d(partition: Partition2D, X: Any, y: Any, /) -> Any:
    r"""Exact signed margin in 2D: distance to the decision segments, + iff correct (D16, §4.4).

    .. math::

        \mathrm{margin}(x) = \pm\, d(x, \{f_i = f_j\} \cap \text{box})

    Parameters
    ----------
    partition : Partition2D
        Built with ``decision_boundary=True``.
    X : array, shape (n_samples, 2)
    y : integer array, shape (n_samples,)

    Returns
    -------
    Margin
        Host NumPy arrays; ``exact`` is True everywhere (the boundary outside the box is not
        seen: keep the box around the data).

    Raises
    ------
    ValueError
        Bad shapes or labels.

    Notes
    -----
    spec/splines.md D16, §4.4. Cost :math:`O(n T)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import HiddenLayer, SplineNet, enumerate_regions_2d, margin_2d
    >>> net = SplineNet([HiddenLayer(np.eye(2), np.array([5.0, 5.0]))], readout_weight=np.array([[1.0, 0.0]]),
    ...                 readout_bias=np.array([-5.0]))
    >>> part = enumerate_regions_2d(net, box=((-2, 2), (-2, 2)), decision_boundary=True)
    >>> margin_2d(part, np.array([[0.5, 0.0], [0.5, 1.0]]), np.array([1, 0])).distance.tolist()
    [0.5, -0.5]
    """
    from ssltheory.splines._distance import Margin

    x = np.asarray(_backend.to_numpy(X), dtype=np.float64)
    yy = np.asarray(_backend.to_numpy(y))
    if x.ndim != 2 or x.shape[1] != 2 or yy.shape != (x.shape[0],) or yy.dtype.kind not in "iu":
        raise ValueError(f"X must be (n, 2) and y integer (n,), received {x.shape} and {yy.shape} {yy.dtype}")
    net = partition.network
    if net.readout_weight is None:
        raise ValueError("the partition has no readout: build it from a net with a readout")
    z = _forward_pre(net, x, xp=npx)[-1]
    z = np.where(z > 0, z, net.negative_slope * z)
    f = z @ net.readout_weight.T + (0.0 if net.readout_bias is None else net.readout_bias)
    pred = (f[:, 0] > 0).astype(np.int64) if f.shape[1] == 1 else np.argmax(f, axis=1)
    d = _point_segment_distance(x, partition.decision_segments)
    correct = pred == yy
    return Margin(np.where(correct, d, -d), correct, np.ones(x.shape[0], dtype=bool))


def count_codes_on_grid(folded: FoldedNet, /, *, box: Any, resolution: int, plane: Any = None) -> int:
    r"""Number of distinct activation codes on a regular grid: a lower bound on the regions (D9).

    .. math::

        \#\{\mathrm{code}(x_{ij}) : x_{ij} \text{ cell centres of a } r \times r \text{ grid}\}
        \le \#\text{regions in the box}

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    box : ((x_min, x_max), (y_min, y_max))
    resolution : int
        Points per axis.
    plane : (origin, basis), optional
        As in :func:`enumerate_regions_2d`.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        Bad ``box``, ``resolution`` or ``plane``.

    Notes
    -----
    spec/splines.md D9, §4.3. Codes are computed on the weights' backend in chunks of
    :math:`2^{18}` points. Cost :math:`O(r^2 \sum_\ell D_\ell D_{\ell+1})`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, count_codes_on_grid
    >>> net = random_spline_net([2, 6], rng=np.random.default_rng(0), bias="normal")
    >>> count_codes_on_grid(net, box=((-50, 50), (-50, 50)), resolution=400) <= 22
    True
    """
    folded = _as_folded(folded)
    b = _check_box(box)
    res = check_int(resolution, name="resolution", minimum=1)
    xp = _backend.get_namespace(*folded.arrays())
    dev = _backend.device(folded.weights[0])
    w0, c0 = folded.weights[0], folded.biases[0]
    if plane is not None:
        origin = xp.asarray(plane[0], dtype=w0.dtype, device=dev)
        basis = xp.asarray(plane[1], dtype=w0.dtype, device=dev)
        if tuple(basis.shape) != (folded.input_dim, 2):
            raise ValueError(f"plane basis must have shape ({folded.input_dim}, 2)")
        c0 = c0 + w0 @ origin
        w0 = w0 @ basis
    elif folded.input_dim != 2:
        raise ValueError(f"the net's input dimension is {folded.input_dim}: pass plane=(origin, basis)")
    net = FoldedNet(
        (w0, *folded.weights[1:]), (c0, *folded.biases[1:]), folded.unit_mask, folded.negative_slope
    )
    xs = (np.arange(res) + 0.5) / res * (b[0, 1] - b[0, 0]) + b[0, 0]
    ys = (np.arange(res) + 0.5) / res * (b[1, 1] - b[1, 0]) + b[1, 0]
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    chunks = []
    step = 2**18
    for s in range(0, pts.shape[0], step):
        x = xp.asarray(pts[s : s + step], dtype=w0.dtype, device=dev)
        pre = _forward_pre(net, x, xp=xp)
        chunks.append(xp.concat([h > 0 for h in pre], axis=1))
    return _count_distinct_rows(xp.concat(chunks, axis=0), xp=xp)

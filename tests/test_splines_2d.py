"""Exact 2D partitions cross-validated against dense-grid codes and brute-force distances (§4.3, T11, T12)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import _backend
from ssltheory.splines import (
    HiddenLayer,
    SplineNet,
    bn_statistics,
    count_codes_on_grid,
    distance_to_boundary,
    distance_to_unit_boundary,
    enumerate_regions_2d,
    first_order_margin,
    fold_batch_norm,
    forward,
    margin_2d,
    random_spline_net,
    region_codes,
    segment_distance_2d,
    zaslavsky_count,
)

EPS = float(np.finfo(np.float64).eps)
BOX = ((-3.0, 3.0), (-3.0, 3.0))


def _grid(box, res):
    b = np.asarray(box)
    xs = (np.arange(res) + 0.5) / res * (b[0, 1] - b[0, 0]) + b[0, 0]
    ys = (np.arange(res) + 0.5) / res * (b[1, 1] - b[1, 0]) + b[1, 0]
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def _inside(poly, pts, tol=0.0):
    """Points inside a convex counter-clockwise polygon (all edge cross products >= -tol)."""
    a = poly
    b = np.roll(poly, -1, axis=0)
    cross = (b[None, :, 0] - a[None, :, 0]) * (pts[:, None, 1] - a[None, :, 1]) - (
        b[None, :, 1] - a[None, :, 1]
    ) * (pts[:, None, 0] - a[None, :, 0])
    return np.all(cross >= -tol, axis=1)


def _drawn_net(seed, depth, width, eta, arm):
    rng = np.random.default_rng(seed)
    net = random_spline_net(
        [2] + [width] * depth,
        negative_slope=eta,
        bias="normal" if arm == "random" else "zero",
        batch_norm=arm == "bn",
        rng=rng,
    )
    if arm != "bn":
        return net
    batch = rng.standard_normal((12, 2)) * rng.uniform(0.3, 2.0) + rng.uniform(-2, 2, 2)
    return fold_batch_norm(net, bn_statistics(net, batch))


nets = st.builds(
    _drawn_net,
    seed=st.integers(0, 2**31 - 1),
    depth=st.integers(1, 3),
    width=st.integers(2, 5),
    eta=st.sampled_from([0.0, 0.1, -1.0, 0.5]),
    arm=st.sampled_from(["zero", "random", "bn"]),
)


@settings(max_examples=15)
@given(net=nets)
def test_enumeration_agrees_with_grid_codes(net):
    part = enumerate_regions_2d(net, box=BOX)
    box_area = 36.0
    # areas sum to the box area (polygon arithmetic on O(1) coordinates: 1e3·eps·area)
    assert abs(part.areas.sum() - box_area) <= 1e3 * EPS * box_area * part.n_regions
    # distinct pieces have distinct codes (ω_q ∩ box is convex)
    assert len({c.tobytes() for c in part.codes}) == part.n_regions
    pts = _grid(BOX, 60)
    codes = _backend.to_numpy(region_codes(net, pts).codes)
    enumerated = {c.tobytes() for c in part.codes}
    # every sampled code belongs to an enumerated region …
    assert {c.tobytes() for c in codes} <= enumerated
    # … and the point lies inside the polygon carrying that code (away from the edges)
    d = _backend.to_numpy(distance_to_boundary(net, pts).distance)
    index = {c.tobytes(): i for i, c in enumerate(part.codes)}
    for i in np.flatnonzero(d > 1e-6)[::7]:
        poly = part.polygons[index[codes[i].tobytes()]]
        assert _inside(poly, pts[i : i + 1], tol=-1e-12)[0]
    # grid count is a lower bound on the exact count
    assert count_codes_on_grid(net, box=BOX, resolution=60) <= part.n_regions


@settings(max_examples=15)
@given(net=nets, seed=st.integers(0, 2**31 - 1))
def test_exact_distance_equals_polygon_distance(net, seed):
    part = enumerate_regions_2d(net, box=BOX)
    X = np.random.default_rng(seed).uniform(-2.5, 2.5, (40, 2))
    d1 = _backend.to_numpy(distance_to_boundary(net, X).distance)
    seg = segment_distance_2d(part, X)
    edge = np.min(np.abs(np.concatenate([X - (-3.0), 3.0 - X], axis=1)), axis=1)
    ok = d1 < edge  # else the nearest boundary may lie outside the box (T11)
    # T11: abs tol 1e-10·diam(box)
    assert np.all(np.abs(d1[ok] - seg[ok]) <= 1e-10 * np.hypot(6, 6))
    # segments never come closer than Dist-1 (every segment is on ∂Ω)
    assert np.all(seg >= d1 - 1e-10 * np.hypot(6, 6))
    # Dist-2: exact cases equal the distance to the unit's labelled segments
    for layer, unit in {(int(a), int(b)) for a, b in zip(part.segment_layer, part.segment_unit, strict=True)}:
        u = distance_to_unit_boundary(net, X, layer=layer, unit=unit)
        exact = _backend.to_numpy(u.exact) & (_backend.to_numpy(u.first_order) < edge)
        su = segment_distance_2d(part, X, which=(layer, unit))
        fo = _backend.to_numpy(u.first_order)
        assert np.all(np.abs(fo[exact] - su[exact]) <= 1e-10 * np.hypot(6, 6))
        inexact = ~_backend.to_numpy(u.exact)
        assert np.all(su[inexact] >= _backend.to_numpy(u.inradius)[inexact] - 1e-10 * np.hypot(6, 6))


def test_bn_layer_is_central_and_random_offsets_give_zaslavsky_count(rng):
    k = 6
    w = rng.standard_normal((k, 2))
    X = rng.standard_normal((30, 2)) + np.array([1.0, -0.5])
    bn = SplineNet([HiddenLayer(w, None, True)])
    folded = fold_batch_norm(bn, bn_statistics(bn, X))
    part = enumerate_regions_2d(folded, box=((-10, 10), (-10, 10)))
    assert part.n_regions == 2 * k == zaslavsky_count(k, 2, central=True).total
    g = X.mean(0)
    # g is a vertex of every piece (all hyperplanes pass through it): distance ~ rounding
    assert all(np.min(np.linalg.norm(p - g, axis=1)) < 1e-9 for p in part.polygons)
    rnd = SplineNet([HiddenLayer(w, rng.standard_normal(k))])
    pts = np.array(
        [np.linalg.solve(w[[i, j]], -rnd.layers[0].bias[[i, j]]) for i in range(k) for j in range(i)]
    )
    half = np.abs(pts).max() + 1
    part = enumerate_regions_2d(rnd, box=((-half, half), (-half, half)))
    assert part.n_regions == zaslavsky_count(k, 2).total == 1 + k + k * (k - 1) // 2


def test_decision_boundary_and_exact_margin():
    rng = np.random.default_rng(1)  # a net whose decision boundary crosses the box (checked below)
    net = random_spline_net([2, 6, 6], negative_slope=0.1, n_classes=3, bias="normal", rng=rng)
    part = enumerate_regions_2d(net, box=BOX, decision_boundary=True)
    X = rng.uniform(-2.5, 2.5, (200, 2))
    y = rng.integers(0, 3, 200)
    m2 = margin_2d(part, X, y)
    m1 = first_order_margin(net, X, y)
    assert np.array_equal(m2.correct, _backend.to_numpy(m1.correct))
    exact = _backend.to_numpy(m1.exact)
    edge = np.min(np.abs(np.concatenate([X + 3, 3 - X], axis=1)), axis=1)
    ok = exact & (np.abs(m2.distance) < edge)
    assert ok.sum() > 10
    # first-order margin is exact where flagged (T11's tolerance)
    assert np.all(np.abs(m2.distance[ok] - _backend.to_numpy(m1.distance)[ok]) <= 1e-10 * np.hypot(6, 6))
    # a dense grid's argmax changes exactly across the decision segments
    pts = _grid(BOX, 80)
    logits = _backend.to_numpy(forward(net, pts).logits)
    d = segment_distance_2d(part, pts, which="decision")
    # points whose nearest decision segment is farther than a grid step keep their class around them
    step = 6 / 80
    far = d > 2 * step
    shifted = _backend.to_numpy(forward(net, pts + step).logits)
    assert np.all(np.argmax(logits, 1)[far] == np.argmax(shifted, 1)[far])


def test_slice_of_higher_dimensional_net(rng):
    net = random_spline_net([4, 5, 5], negative_slope=0.1, bias="normal", rng=rng)
    q, _ = np.linalg.qr(rng.standard_normal((4, 2)))
    o = rng.standard_normal(4)
    part = enumerate_regions_2d(net, box=BOX, plane=(o, q))
    U = rng.uniform(-2.5, 2.5, (50, 2))
    lifted = o + U @ q.T
    d_in = segment_distance_2d(part, U)
    d1 = _backend.to_numpy(distance_to_boundary(net, lifted).distance)
    # T11 slices: the in-slice distance is >= Dist-1 at the lifted point
    assert np.all(d_in >= d1 - 1e-10 * np.hypot(6, 6))
    with pytest.raises(ValueError, match="orthonormal"):
        enumerate_regions_2d(net, box=BOX, plane=(o, 2 * q))
    with pytest.raises(ValueError, match="plane"):
        enumerate_regions_2d(net, box=BOX)


def test_enumeration_is_translation_scale_invariant_and_validates_box(rng):
    net = random_spline_net([2, 5, 5], negative_slope=0.1, bias="normal", rng=rng)
    base = enumerate_regions_2d(net, box=BOX)
    lam, v = 3.0, np.array([2.0, -1.0])
    w0 = net.layers[0].weight / lam
    c0 = net.layers[0].bias - w0 @ v
    moved = SplineNet((HiddenLayer(w0, c0), net.layers[1]), net.negative_slope)
    part = enumerate_regions_2d(moved, box=((-9 + 2, 9 + 2), (-9 - 1, 9 - 1)))
    assert part.n_regions == base.n_regions
    with pytest.raises(ValueError, match="box must be"):
        enumerate_regions_2d(net, box=((1, 0), (0, 1)))

"""ssltheory.splines per-layer geometry: Dist-3, windows (Dist-4), centring, power diagram, pivot set."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ssltheory import _backend
from ssltheory.splines import (
    bn_statistics,
    distance_to_unit_boundary,
    first_layer_pivot,
    fold_batch_norm,
    forward,
    hyperplane_meets_window,
    layer_partition,
    layer_space_distance,
    power_diagram,
    random_spline_net,
    region_codes,
    unit_hyperplanes,
)
from ssltheory.testing import assert_close

EPS = float(np.finfo(np.float64).eps)


def test_layer_space_distance_matches_definitions(xp, rng):
    net = random_spline_net([3, 5, 4, 3], negative_slope=0.1, bias="normal", rng=rng, like=xp.asarray([0.0]))
    X = xp.asarray(rng.standard_normal((25, 3)))
    feats = forward(net, X).features
    for layer in range(3):
        d = layer_space_distance(net, X, layer=layer)
        z = X if layer == 0 else feats[layer - 1]
        w = net.layers[layer].weight
        h = z @ w.mT + net.layers[layer].bias
        direct = xp.abs(h) / xp.linalg.vector_norm(w, axis=1)
        # O(D) dot products: 1e2·eps relative
        assert_close(d.layer_space, direct, rtol=1e2 * EPS, atol=1e2 * EPS)
        for k in range(w.shape[0]):
            fo = distance_to_unit_boundary(net, X, layer=layer, unit=k).first_order
            assert_close(d.input_first_order[:, k], fo, rtol=1e2 * EPS, atol=1e2 * EPS)
        # Dist-3 inequality d_in ≥ d_layer / ‖A‖₂ (up to rounding)
        bound = d.layer_space / d.spectral_norm[:, None]
        assert bool(xp.all(d.input_first_order >= bound * (1 - 1e3 * EPS)))


def test_hyperplane_meets_window_by_cube_vertices(xp, rng):
    net = random_spline_net([3, 8], bias="normal", rng=rng, like=xp.asarray([0.0]))
    hp = unit_hyperplanes(net, 0)
    centres = rng.uniform(-2, 2, (40, 3))
    radius = 0.7
    meets = _backend.to_numpy(hyperplane_meets_window(hp, xp.asarray(centres), radius=radius))
    normals, offsets = _backend.to_numpy(hp.normals), _backend.to_numpy(hp.offsets)
    corners = np.array(list(itertools.product([-1, 1], repeat=3))) * radius
    for i, c in enumerate(centres):
        vals = (c + corners) @ normals.T - offsets  # (8, K): a plane meets a cube iff signs differ
        brute = (vals.min(0) <= 0) & (vals.max(0) >= 0)
        assert np.array_equal(meets[i], brute)
    # Euclidean ball: distance to the plane <= radius
    ball = _backend.to_numpy(hyperplane_meets_window(hp, xp.asarray(centres), radius=radius, norm=2))
    assert np.array_equal(ball, np.abs(centres @ normals.T - offsets) <= radius)
    with pytest.raises(ValueError, match="norm must be"):
        hyperplane_meets_window(hp, xp.asarray(centres), radius=1.0, norm=1)


def test_layer_partition_bn_is_centred_random_is_not(xp, rng):
    like = xp.asarray([0.0])
    X = xp.asarray(rng.standard_normal((40, 2)) + 3)
    bn = random_spline_net([2, 6], batch_norm=True, rng=np.random.default_rng(4), like=like)
    lp = layer_partition(fold_batch_norm(bn, bn_statistics(bn, X)), 0, X)
    assert lp.is_centred
    # the common point is the batch centroid (R3): pinv solve of a 6×2 system, 1e3·eps·|g|
    assert_close(lp.common_point, xp.mean(X, axis=0), rtol=1e-10, atol=1e-10)
    rnd = random_spline_net([2, 6], bias="normal", rng=np.random.default_rng(4), like=like)
    assert not layer_partition(rnd, 0, X).is_centred
    codes = layer_partition(rnd, 0, X).codes
    assert bool(xp.all(codes == region_codes(rnd, X).codes))


def test_power_diagram_reproduces_codes(xp, rng):
    net = random_spline_net([3, 5, 4], negative_slope=0.2, bias="normal", rng=rng, like=xp.asarray([0.0]))
    pd = power_diagram(net, 1)
    Z = forward(net, xp.asarray(rng.standard_normal((60, 3)))).features[0]
    score = xp.sum((Z[:, None, :] - pd.centroids[None, :, :]) ** 2, axis=2) - pd.radii_sq
    cell = xp.argmin(score, axis=1)
    expected = (Z @ net.layers[1].weight.mT + net.layers[1].bias) > 0
    assert bool(xp.all(xp.take(pd.codes, cell, axis=0) == expected))
    big = random_spline_net([2, 17], rng=rng)
    with pytest.raises(ValueError, match="K must be <= 16"):
        power_diagram(big, 0)


@pytest.mark.parametrize(("sizes", "eta"), [([3, 3, 4], 0.1), ([4, 2, 3], 0.0), ([3, 3, 2], -1.0)])
def test_first_layer_pivot_maps_to_the_layer_centroid(sizes, eta):
    rng = np.random.default_rng(9)
    net = random_spline_net(sizes, negative_slope=eta, batch_norm=True, rng=rng)
    X = rng.standard_normal((50, sizes[0])) + 1
    piv = first_layer_pivot(net, X)
    folded = fold_batch_norm(net, bn_statistics(net, X))
    # the centroid of the layer-1 features is g1, and every pivot point maps onto it
    np.testing.assert_allclose(forward(folded, X).features[0].mean(0), piv.centroid_g1, rtol=0, atol=1e-12)
    pts = [piv.particular] + [piv.particular + 2.5 * v for v in piv.null_basis.T]
    z1 = forward(folded, np.array(pts)).features[0]
    # a pinv solve of a small well-conditioned system: 1e-9 absolute on O(1) features
    np.testing.assert_allclose(z1, np.broadcast_to(piv.centroid_g1, z1.shape), rtol=0, atol=1e-9)
    assert piv.null_basis.shape[1] == sizes[0] - sizes[1]
    with pytest.raises(ValueError, match="layer 0 has BatchNorm"):
        first_layer_pivot(random_spline_net(sizes, rng=rng), X)

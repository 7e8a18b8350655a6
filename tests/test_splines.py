"""ssltheory.splines: network model, BN folding, codes, affine maps, exact distances, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import _backend
from ssltheory.splines import (
    DegenerateUnitWarning,
    FoldedNet,
    HiddenLayer,
    SplineNet,
    activation_slope,
    bn_statistics,
    crossing_fraction,
    distance_to_boundary,
    distance_to_unit_boundary,
    first_order_margin,
    fold_batch_norm,
    forward,
    local_affine_maps,
    local_complexity,
    random_orthonormal_directions,
    random_spline_net,
    region_codes,
    unit_hyperplanes,
    update_running_statistics,
    zaslavsky_count,
)
from ssltheory.testing import assert_close

EPS = float(np.finfo(np.float64).eps)


def _net(xp, rng, sizes=(3, 5, 4), *, bn=False, eta=0.1, bias="normal", n_classes=None, seed=None):
    g = np.random.default_rng(seed) if seed is not None else rng
    like = xp.asarray([0.0])
    return random_spline_net(
        sizes, negative_slope=eta, batch_norm=bn, bias=bias, n_classes=n_classes, rng=g, like=like
    )


def _bn_direct(net, X):
    """Train-mode BN forward written from the definition (NumPy, independent of folding)."""
    z = X
    pre = []
    for layer in net.layers:
        w = _backend.to_numpy(layer.weight)
        c = _backend.to_numpy(layer.bias)
        p = z @ w.T + c
        if layer.batch_norm:
            gamma = 1.0 if layer.gamma is None else _backend.to_numpy(layer.gamma)
            beta = 0.0 if layer.beta is None else _backend.to_numpy(layer.beta)
            p = gamma * (p - p.mean(0)) / np.sqrt(p.var(0)) + beta
        pre.append(p)
        z = np.where(p > 0, p, net.negative_slope * p)
    return pre


# --------------------------------------------------------------------------- model and activation
def test_activation_slope_names_and_errors():
    assert activation_slope("relu") == 0.0
    assert activation_slope("leaky_relu") == 0.01
    assert activation_slope("abs") == -1.0
    with pytest.raises(ValueError, match="activation must be one of"):
        activation_slope("tanh")
    with pytest.raises(ValueError, match="< 1"):
        activation_slope(1.0)
    with pytest.raises(TypeError, match="activation must be"):
        activation_slope([0.1])


def test_spline_net_rejects_bad_input():
    w = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"layers\[1\]\.weight must have 3 columns"):
        SplineNet([HiddenLayer(w), HiddenLayer(np.ones((2, 2)))])
    with pytest.raises(ValueError, match=r"layers\[0\]\.weight must be finite"):
        SplineNet([HiddenLayer(np.array([[np.nan, 1.0]]))])
    with pytest.raises(ValueError, match="negative_slope"):
        SplineNet([HiddenLayer(w)], negative_slope=1.5)
    with pytest.raises(ValueError, match="readout_weight must have shape"):
        SplineNet([HiddenLayer(w)], readout_weight=np.ones((2, 5)))
    net = SplineNet([HiddenLayer(w)])
    with pytest.raises(ValueError, match="must have 2 features"):
        forward(net, np.ones((4, 3)))
    with pytest.raises(ValueError, match="at least 1 row"):
        forward(net, np.ones((0, 2)))


def test_batch_statistics_need_two_rows_and_bn_nets_need_folding():
    net = random_spline_net([2, 3], batch_norm=True, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least 2 row"):
        bn_statistics(net, np.ones((1, 2)))
    with pytest.raises(ValueError, match="at least 2 row"):
        bn_statistics(net, np.ones((0, 2)))
    with pytest.raises(TypeError, match="fold its statistics first"):
        forward(net, np.ones((3, 2)))
    with pytest.raises(ValueError, match="pass its statistics"):
        fold_batch_norm(net)


# --------------------------------------------------------------------------- folding (T1, T2)
def test_folding_matches_direct_batch_norm(xp, rng):
    net = _net(xp, rng, (3, 6, 5, 4), bn=True)
    X = rng.standard_normal((40, 3)) * 2 + 1
    folded = fold_batch_norm(net, bn_statistics(net, xp.asarray(X)))
    pre = forward(folded, xp.asarray(X)).pre_activations
    ref = _bn_direct(net, X)
    for h, r in zip(pre, ref, strict=True):
        # a few matmuls of O(1) entries and one division by σ ~ O(1): 1e3·eps is generous
        assert_close(h, xp.asarray(r), rtol=0, atol=1e3 * EPS * (1 + np.max(np.abs(r))))
    # the preceding bias cancels in batch mode (T2)
    shifted = SplineNet(
        tuple(HiddenLayer(la.weight, la.bias + 7.0, la.batch_norm, la.gamma, la.beta) for la in net.layers),
        net.negative_slope,
    )
    f2 = fold_batch_norm(shifted, bn_statistics(shifted, xp.asarray(X)))
    for a, b in zip(f2.biases, folded.biases, strict=True):
        assert_close(a, b, rtol=0, atol=1e3 * EPS * 8)


def test_folding_with_gamma_beta_and_running_statistics(xp, rng):
    w = rng.standard_normal((4, 3))
    c, gamma, beta = rng.standard_normal(4), rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    a = xp.asarray
    net = SplineNet([HiddenLayer(a(w), a(c), True, a(gamma), a(beta))], negative_slope=0.2)
    running = None
    for _ in range(3):
        batch = bn_statistics(net, a(rng.standard_normal((16, 3))), eps=1e-5)
        running = update_running_statistics(running, batch)
    folded = fold_batch_norm(net, running)
    Y = rng.standard_normal((10, 3))
    mu, var = (_backend.to_numpy(v) for v in (running.mean[0], running.var[0]))
    direct = gamma * (Y @ w.T + c - mu) / np.sqrt(var + 1e-5) + beta
    assert_close(forward(folded, a(Y)).pre_activations[0], a(direct), rtol=0, atol=1e3 * EPS * 10)


def test_running_update_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3))
    net = SplineNet([HiddenLayer(w, np.zeros(4), True)])
    bn = torch.nn.BatchNorm1d(4, eps=1e-5, momentum=0.1, affine=False, dtype=torch.float64)
    running = None
    for _ in range(4):
        X = rng.standard_normal((12, 3))
        bn.train()
        out = bn(torch.from_numpy(X @ w.T)).detach().numpy()
        stats = bn_statistics(net, X, eps=1e-5)
        h = forward(fold_batch_norm(net, stats), X).pre_activations[0]
        np.testing.assert_allclose(h, out, rtol=0, atol=1e-10)  # float64, O(1) values
        running = update_running_statistics(running, stats)
    np.testing.assert_allclose(running.mean[0], bn.running_mean.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(running.var[0], bn.running_var.numpy(), rtol=1e-12, atol=1e-14)


def test_degenerate_units_are_masked_with_a_warning(xp):
    w = xp.asarray([[1.0, 0.0], [0.0, 1.0]])
    net = SplineNet([HiddenLayer(w, None, True, xp.asarray([1.0, 0.0]), xp.asarray([0.0, 0.3]))])
    X = xp.asarray([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])  # second unit also has zero variance
    with pytest.warns(DegenerateUnitWarning, match=r"units \[1\]"):
        folded = fold_batch_norm(net, bn_statistics(net, X))
    assert [bool(m) for m in folded.unit_mask[0]] == [True, False]
    assert float(folded.biases[0][1]) == 0.3
    assert [bool(m) for m in unit_hyperplanes(folded, 0).mask] == [True, False]
    # only unit 0 (the line x = mean x = 1) bounds the regions: distance |0.3 − 1| = 0.7
    d = distance_to_boundary(folded, xp.asarray([[0.3, 5.0]]))
    assert abs(float(d.distance[0]) - 0.7) <= 16 * EPS
    assert int(d.unit[0]) == 0


# --------------------------------------------------------------------------- codes and affine maps
def test_affine_maps_reproduce_forward_and_gradients(xp, rng):
    net = _net(xp, rng, (4, 6, 5, 3), n_classes=3)
    X = xp.asarray(rng.standard_normal((30, 4)))
    maps = local_affine_maps(net, X, chunk_size=7)
    out = xp.sum(maps.matrix * X[:, None, :], axis=2) + maps.offset
    assert_close(out, forward(net, X).logits, rtol=0, atol=1e3 * EPS * 10)
    # finite differences inside the region (step far below the distance to the boundary)
    d = distance_to_boundary(net, X).distance
    x0 = _backend.to_numpy(X)[0]
    step = float(d[0]) * 1e-3
    xn = np.stack([x0 + step * e for e in np.eye(4)] + [x0])
    f = _backend.to_numpy(forward(net, xp.asarray(xn)).logits)
    fd = (f[:4] - f[4]) / step  # exact up to rounding: the net is affine on the region
    assert_close(fd.T, _backend.to_numpy(maps.matrix)[0], rtol=1e-6, atol=1e-6 * np.abs(fd).max())


def test_region_codes_and_distinct_count(xp, rng):
    net = _net(xp, rng, (2, 3), bias="normal")
    X = xp.asarray(rng.uniform(-6, 6, (400, 2)))
    rc = region_codes(net, X)
    codes = _backend.to_numpy(rc.codes)
    assert rc.n_distinct == len({row.tobytes() for row in codes})  # independent count
    assert rc.n_distinct <= zaslavsky_count(3, 2).total
    assert rc.layer_slices == (slice(0, 3),)


def test_unit_hyperplanes_bn_pass_through_centroid(xp, rng):
    net = _net(xp, rng, (3, 5, 4), bn=True)
    X = xp.asarray(rng.standard_normal((50, 3)) + 2)
    folded = fold_batch_norm(net, bn_statistics(net, X))
    z = X
    for layer in range(2):
        hp = unit_hyperplanes(folded, layer)
        g = xp.mean(z, axis=0)
        # d(g) = n·g − o = 0 up to rounding of an O(‖g‖) dot product
        assert_close(
            hp.normals @ g - hp.offsets,
            xp.zeros(hp.offsets.shape[0], dtype=xp.float64),
            rtol=0,
            atol=1e2 * EPS * (1 + float(xp.max(xp.abs(g)))),
        )
        z = forward(folded, X).features[layer]


# --------------------------------------------------------------------------- distances (Dist-1, Dist-2)
@settings(max_examples=10)
@given(seed=st.integers(0, 2**31 - 1), eta=st.sampled_from([0.0, 0.1, -1.0]))
def test_distance_to_boundary_is_exact_in_any_dimension(xp, seed, eta):
    rng = np.random.default_rng(seed)
    net = _net(xp, rng, (5, 6, 5, 4), eta=eta)
    X = rng.standard_normal((20, 5))
    res = distance_to_boundary(net, xp.asarray(X))
    d = _backend.to_numpy(res.distance)
    codes0 = _backend.to_numpy(region_codes(net, xp.asarray(X)).codes)
    dirs = rng.standard_normal((20, 16, 5))
    dirs /= np.linalg.norm(dirs, axis=2, keepdims=True)
    # inside: every point strictly within the radius keeps the code (ball ⊂ region)
    inner = X[:, None, :] + 0.999 * d[:, None, None] * dirs
    ci = _backend.to_numpy(region_codes(net, xp.asarray(inner.reshape(-1, 5))).codes).reshape(20, 16, -1)
    assert np.all(ci == codes0[:, None, :])
    # the radius is attained: the foot of the nearest unit's hyperplane is on the boundary,
    # and just beyond it the code changes
    maps = _grad_of_unit(net, xp, X, res)
    beyond = X + 1.001 * d[:, None] * maps
    cb = _backend.to_numpy(region_codes(net, xp.asarray(beyond)).codes)
    assert np.all(np.any(cb != codes0, axis=1))


def _grad_of_unit(net, xp, X, res):
    """Unit direction from x towards the nearest unit's hyperplane (via finite-free affine maps)."""
    from ssltheory.splines._partition import _affine_chunk

    folded = fold_batch_norm(net)
    hs, gs, _, _ = _affine_chunk(folded, xp.asarray(X), xp=xp)
    layer, unit = _backend.to_numpy(res.layer), _backend.to_numpy(res.unit)
    out = np.zeros_like(X)
    for i in range(X.shape[0]):
        g = _backend.to_numpy(gs[layer[i]])[i, unit[i]]
        h = float(_backend.to_numpy(hs[layer[i]])[i, unit[i]])
        out[i] = -np.sign(h) * g / np.linalg.norm(g)
    return out


def test_distance_to_unit_boundary_and_margin(xp, rng):
    net = _net(xp, rng, (2, 5, 5), n_classes=3)
    X = xp.asarray(rng.uniform(-3, 3, (50, 2)))
    full = distance_to_boundary(net, X)
    for layer in range(2):
        for unit in range(5):
            u = distance_to_unit_boundary(net, X, layer=layer, unit=unit)
            # the unit's first-order distance is never below the region in-radius (min over units)
            assert bool(xp.all(u.first_order >= full.distance))
    y = xp.asarray(rng.integers(0, 3, 50))
    m = first_order_margin(net, X, y)
    logits = forward(net, X).logits
    assert bool(xp.all(m.correct == (xp.argmax(logits, axis=1) == y)))
    assert bool(xp.all((m.distance > 0) == m.correct))
    with pytest.raises(ValueError, match="no readout"):
        first_order_margin(_net(xp, rng, (2, 3)), X, y)


def test_crossing_fraction_bn_vs_baselines(xp, rng):
    X = xp.asarray(rng.standard_normal((60, 2)) * 0.3 + 3)
    bn = _net(xp, rng, (2, 6, 6, 6), bn=True, seed=5)
    zero = _net(xp, rng, (2, 6, 6, 6), bias="zero", seed=5)
    fr = crossing_fraction(fold_batch_norm(bn, bn_statistics(bn, X)), X)
    assert_close(fr, xp.ones(3, dtype=xp.float64), rtol=0, atol=0)  # exact property (R5)
    assert float(xp.min(crossing_fraction(zero, X))) <= 1.0


def test_local_complexity_counts_units_crossing_the_cross_polytope(xp):
    net = SplineNet([HiddenLayer(xp.asarray([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))])
    X = xp.asarray([[0.05, 0.5], [0.05, 0.05], [3.0, 3.0]])
    lc = local_complexity(net, X, radius=0.1)
    # by hand: point 0 is within 0.1 of x=0 only; point 1 of x=0, y=0 and of x+y=0 (vertex
    # (-0.05,0.05)... x+y = 0 at (−0.05, 0.05)); point 2 of none
    assert [int(v) for v in lc.total] == [1, 3, 0]
    v = random_orthonormal_directions(2, 2, rng=np.random.default_rng(0), like=X)
    assert_close(v @ v.mT, xp.eye(2, dtype=xp.float64), rtol=0, atol=10 * EPS)


def test_zaslavsky_counts():
    # closed forms written out: 1 + 6 + 15 regions, C(5, 2) bounded (spec R5)
    assert (zaslavsky_count(6, 2).total, zaslavsky_count(6, 2).bounded) == (22, 10)
    assert zaslavsky_count(6, 2, central=True).total == 12
    assert zaslavsky_count(2, 3, central=True).total == 4
    assert zaslavsky_count(0, 2).total == 1


def test_namespace_and_dtype_preserved(xp, rng):
    net = _net(xp, rng, (2, 4, 3), n_classes=2)
    X = xp.asarray(rng.standard_normal((5, 2)))
    for out in (
        forward(net, X).logits,
        distance_to_boundary(net, X).distance,
        local_complexity(net, X, radius=0.1).total,
        local_affine_maps(net, X).matrix,
    ):
        assert _backend.get_namespace(out) is _backend.get_namespace(X)
    assert forward(net, X).logits.dtype == xp.float64
    Xi = xp.asarray([[1, 2], [3, 4]])
    assert forward(net, Xi).logits.dtype == xp.float64  # integer input promoted
    assert isinstance(fold_batch_norm(net), FoldedNet)


# --------------------------------------------------------------------------- nets adapter
def test_adapter_reproduces_nets_mlp_in_train_and_eval_mode(xp, rng):
    from ssltheory.nets import MLP

    mlp = MLP([3, 6, 5, 2], activation="leaky_relu", negative_slope=0.2, batchnorm=True).init(rng, xp=xp)
    X = xp.asarray(rng.standard_normal((20, 3)))
    from ssltheory.splines import running_statistics_from_mlp, spline_net_from_mlp

    net = spline_net_from_mlp(mlp)
    train_out = mlp.forward(X, train=True)  # BN with batch statistics (eps = 1e-5)
    folded = fold_batch_norm(net, bn_statistics(net, X, eps=1e-5))
    # two independent implementations of the same O(1) arithmetic: 1e3·eps
    assert_close(forward(folded, X).logits, train_out, rtol=0, atol=1e3 * EPS)
    Y = xp.asarray(rng.standard_normal((7, 3)))
    eval_folded = fold_batch_norm(net, running_statistics_from_mlp(mlp))
    assert_close(forward(eval_folded, Y).logits, mlp.forward(Y, train=False), rtol=0, atol=1e3 * EPS)
    with pytest.raises(TypeError, match=r"ssltheory\.nets\.MLP"):
        spline_net_from_mlp(net)


def test_folded_net_is_validated(xp):
    w = xp.asarray([[1.0, float("nan")]])
    bad = FoldedNet((w,), (xp.asarray([0.0]),), (xp.asarray([True]),), 0.0)
    with pytest.raises(ValueError, match=r"folded\.weights\[0\] must be finite"):
        distance_to_boundary(bad, xp.asarray([[0.0, 0.0]]))
    ok = FoldedNet((xp.asarray([[1.0, 0.0]]),), (xp.asarray([0.0]),), (xp.asarray([True]),), 1.0)
    with pytest.raises(ValueError, match="negative_slope"):
        forward(ok, xp.asarray([[0.0, 0.0]]))


def test_random_spline_net_validates_sizes_and_rng():
    # a float width used to be truncated (2.5 -> 2) and a string read as digits ("26" -> [2, 6]);
    # an int seed used to raise AttributeError
    from ssltheory.splines import random_orthonormal_directions, random_spline_net

    with pytest.raises(TypeError, match=r"layer_sizes\[1\] must be an integer"):
        random_spline_net([2, 2.5], rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="layer_sizes must be a sequence of ints"):
        random_spline_net("26", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng seed must be a non-negative integer"):
        random_spline_net([2, 3], rng=-1)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        random_orthonormal_directions(4, 2, rng="0")
    a = random_spline_net([2, 3], rng=5)  # an int seed is the Generator it seeds
    b = random_spline_net([2, 3], rng=np.random.default_rng(5))
    np.testing.assert_array_equal(np.asarray(a.layers[0].weight), np.asarray(b.layers[0].weight))

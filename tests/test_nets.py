"""Layers and models of ssltheory.nets: exact backprop vs finite differences and PyTorch autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory._backend import get_namespace, to_numpy
from ssltheory.nets import MLP, Abs, BatchNorm1d, LeakyReLU, Linear, RandomFeatures, ReLU, Sequential

# Central differences with step H on a float64 objective of size |f| = O(10): truncation error
# H^2/6 |f'''| ~ 1e-12 and rounding eps*|f|/H ~ 2e-9, so 1e-6 relative to the gradient's scale
# leaves a margin of ~500 over the worst case while catching any wrong term (errors of O(1)).
H = 1e-6
FD_RTOL = 1e-6


def _finite_difference_check(module, X, xp, rng, *, train=True):
    """Compare ``backward`` with central differences of ``sum(forward(X) * R)``."""
    out = module.forward(X, train=train)
    R = xp.asarray(rng.standard_normal(tuple(out.shape)))
    analytic = module.backward(R)
    Rn = to_numpy(R)
    Xn = to_numpy(X).copy()
    params = {k: to_numpy(v).copy() for k, v in module.parameters().items()}

    def f(p, x):
        module.set_parameters({k: xp.asarray(v) for k, v in p.items()})
        return float(np.sum(to_numpy(module.forward(xp.asarray(x), train=train)) * Rn))

    def numeric(arr, evaluate):
        num = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            up, down = arr.copy(), arr.copy()
            up[i] += H
            down[i] -= H
            num[i] = (evaluate(up) - evaluate(down)) / (2 * H)
        return num

    checks = {}
    for name, p in params.items():
        checks[name] = (
            numeric(p, lambda a, name=name: f({**params, name: a}, Xn)),
            analytic.parameters[name],
        )
    checks["input"] = (numeric(Xn, lambda a: f(params, a)), analytic.input)
    module.set_parameters({k: xp.asarray(v) for k, v in params.items()})
    assert sorted(analytic.parameters) == sorted(params)
    for name, (num, ana) in checks.items():
        ana = to_numpy(ana)
        scale = max(1.0, float(np.max(np.abs(num))))
        np.testing.assert_allclose(ana, num, rtol=0, atol=FD_RTOL * scale, err_msg=name)


def _X(rng, xp, n=6, d=3):
    return xp.asarray(rng.standard_normal((n, d)))


# ----------------------------------------------------------------------------- finite differences
@pytest.mark.parametrize(
    "make",
    [
        lambda: Linear(3, 4),
        lambda: Linear(3, 2, bias=False),
        lambda: ReLU(),
        lambda: LeakyReLU(negative_slope=0.2),
        lambda: Abs(),
        lambda: BatchNorm1d(3),
        lambda: BatchNorm1d(3, affine=False),
    ],
    ids=["linear", "linear_nobias", "relu", "leaky_relu", "abs", "batchnorm", "batchnorm_noaffine"],
)
@pytest.mark.parametrize("train", [True, False])
def test_layer_gradients_match_finite_differences(make, train, xp, rng):
    layer = make().init(rng, xp=xp)
    if isinstance(layer, BatchNorm1d):
        # non-trivial running statistics and affine parameters for the evaluation mode
        layer.running_mean = xp.asarray(rng.standard_normal(3))
        layer.running_var = xp.asarray(rng.uniform(0.5, 2.0, 3))
        if layer.affine:
            layer.set_parameters({k: xp.asarray(rng.standard_normal(3)) for k in ("weight", "bias")})
    _finite_difference_check(layer, _X(rng, xp), xp, rng, train=train)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs"])
@pytest.mark.parametrize("batchnorm", [False, True])
def test_mlp_gradients_match_finite_differences(activation, batchnorm, xp, rng):
    net = MLP([3, 4, 3, 2], activation=activation, batchnorm=batchnorm).init(rng, xp=xp)
    _finite_difference_check(net, _X(rng, xp, n=7), xp, rng)


@pytest.mark.parametrize("kernel", ["rbf", "relu"])
def test_random_features_gradients_match_finite_differences(kernel, xp, rng):
    model = RandomFeatures(3, 6, 2, kernel=kernel, bandwidth=0.7).init(rng, xp=xp)
    _finite_difference_check(model, _X(rng, xp), xp, rng)


@settings(max_examples=6)
@given(
    widths=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    activation=st.sampled_from(["relu", "leaky_relu", "abs"]),
    batchnorm=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_mlp_gradients_property(widths, activation, batchnorm, seed, xp):
    rng = np.random.default_rng(seed)
    net = MLP([2, *widths], activation=activation, batchnorm=batchnorm).init(rng, xp=xp)
    _finite_difference_check(net, _X(rng, xp, n=5, d=2), xp, rng)


def test_vicreg_through_mlp_matches_finite_differences(xp, rng):
    """End to end: loss(model(X)) gradient through the model vs differences of the loss value."""
    from ssltheory.graphs import augmentation_graph
    from ssltheory.losses import VICRegLoss

    loss = VICRegLoss(variance_weight=2.0, invariance_weight=0.5)
    G = augmentation_graph(4, 2, xp=xp)
    net = MLP([3, 6, 3], batchnorm=True).init(rng, xp=xp)
    X = _X(rng, xp, n=8)
    out = loss.value_and_grad(net.forward(X), G)
    grads = net.backward(out.grad).parameters
    params = {k: to_numpy(v).copy() for k, v in net.parameters().items()}
    for name in ("0.weight", "3.weight", "1.bias"):
        p = params[name]
        i = (0,) * p.ndim
        vals = []
        for sign in (1, -1):
            q = p.copy()
            q[i] += sign * H
            net.set_parameters({**{k: xp.asarray(v) for k, v in params.items()}, name: xp.asarray(q)})
            vals.append(float(loss(net.forward(X), G)))
        num = (vals[0] - vals[1]) / (2 * H)
        # same finite-difference budget as above (the loss is O(1..10))
        assert abs(float(to_numpy(grads[name])[i]) - num) <= FD_RTOL * max(1.0, abs(num))


# ----------------------------------------------------------------------------- reference values
def test_linear_and_batchnorm_match_dense_numpy(xp, rng):
    X = _X(rng, xp, n=9, d=3)
    Xn = to_numpy(X)
    lin = Linear(3, 2).init(rng, xp=xp)
    W, b = to_numpy(lin.parameters()["weight"]), to_numpy(lin.parameters()["bias"])
    # exact up to float64 rounding of a 3-term dot product
    np.testing.assert_allclose(to_numpy(lin.forward(X)), Xn @ W.T + b, rtol=1e-14, atol=1e-14)
    bn = BatchNorm1d(3, momentum=0.3).init(rng, xp=xp)
    Y = to_numpy(bn.forward(X, train=True))
    ref = (Xn - Xn.mean(0)) / np.sqrt(Xn.var(0) + 1e-5)  # biased variance in the normalisation
    np.testing.assert_allclose(Y, ref, rtol=1e-12, atol=1e-12)
    # running statistics: momentum 0.3 from (0, 1), unbiased variance (PyTorch's convention)
    np.testing.assert_allclose(to_numpy(bn.running_mean), 0.3 * Xn.mean(0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_numpy(bn.running_var), 0.7 + 0.3 * Xn.var(0, ddof=1), rtol=1e-12)
    Ye = to_numpy(bn.forward(X, train=False))
    ref_e = (Xn - 0.3 * Xn.mean(0)) / np.sqrt(0.7 + 0.3 * Xn.var(0, ddof=1) + 1e-5)
    np.testing.assert_allclose(Ye, ref_e, rtol=1e-12, atol=1e-12)


def test_initialisation_is_documented_distribution(rng):
    lin = Linear(400, 300).init(rng)
    W = to_numpy(lin.parameters()["weight"])
    bound = 1 / math.sqrt(400)
    assert np.all(np.abs(W) <= bound)
    # uniform on [-a, a] has variance a^2/3; 120000 draws: relative std error of the variance ~0.4 %
    assert abs(W.var() / (bound**2 / 3) - 1) < 0.02
    a = Linear(5, 3).init(np.random.default_rng(1)).parameters()["weight"]
    b = Linear(5, 3).init(np.random.default_rng(1)).parameters()["weight"]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kernel", ["rbf", "relu"])
def test_random_features_approximate_their_kernel(kernel, rng):
    D, h = 40_000, 1.3
    model = RandomFeatures(3, D, 1, kernel=kernel, bandwidth=h).init(rng)
    X = rng.standard_normal((5, 3))
    phi = model.features(X)
    K_hat = phi @ phi.T
    norms = np.linalg.norm(X, axis=1)
    if kernel == "rbf":
        sq = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
        K = np.exp(-sq / (2 * h**2))
        sigma = 2 / math.sqrt(D)  # |2 cos cos| <= 2 per feature
    else:
        cos = np.clip((X @ X.T) / np.outer(norms, norms), -1, 1)
        theta = np.arccos(cos)
        K = np.outer(norms, norms) / (math.pi * h**2) * (np.sin(theta) + (math.pi - theta) * cos)
        sigma = math.sqrt(12) * np.outer(norms, norms) / (h**2 * math.sqrt(D))  # Gaussian 4th moment
    # Monte-Carlo error: 6 standard deviations (25 entries; a false alarm has probability < 1e-7)
    assert np.all(np.abs(K_hat - K) <= 6 * sigma)


# ----------------------------------------------------------------------------- backends and dtypes
def test_namespace_and_dtype_are_preserved(xp, rng):
    X = _X(rng, xp)
    for dtype in (xp.float64, xp.float32):
        net = MLP([3, 4, 2], batchnorm=True).init(rng, xp=xp, dtype=dtype)
        Z = net.forward(xp.astype(X, dtype))
        assert get_namespace(Z) is get_namespace(X)
        assert Z.dtype == dtype
        grads = net.backward(xp.ones_like(Z))
        assert all(g.dtype == dtype for g in grads.parameters.values())
        assert get_namespace(grads.input) is get_namespace(X)


def test_integer_input_becomes_float64(xp, rng):
    lin = Linear(2, 1).init(rng, xp=xp)
    Z = lin.forward(xp.asarray([[1, 2], [3, 4]]))
    assert Z.dtype == xp.float64


def test_sequential_names_follow_torch(rng):
    net = MLP([2, 3, 3, 1], batchnorm=True)
    net.init(rng)
    assert list(net.parameters()) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias", "4.weight", "4.bias",
        "6.weight", "6.bias",
    ]  # fmt: skip
    assert isinstance(net, Sequential)


# ----------------------------------------------------------------------------- bad input
def test_bad_inputs(xp, rng):
    with pytest.raises(RuntimeError, match="init"):
        Linear(2, 1).forward(xp.ones((2, 2)))
    lin = Linear(2, 1).init(rng, xp=xp)
    with pytest.raises(RuntimeError, match="before forward"):
        lin.backward(xp.ones((2, 1)))
    with pytest.raises(ValueError, match="n_in=2"):
        lin.forward(xp.ones((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        lin.forward(xp.ones((2,)))
    with pytest.raises(ValueError, match="keys"):
        lin.set_parameters({"weight": xp.ones((1, 2))})
    with pytest.raises(ValueError, match="shape"):
        lin.set_parameters({"weight": xp.ones((2, 2)), "bias": xp.ones((1,))})
    with pytest.raises(TypeError, match="rng"):
        Linear(2, 1).init("seed")
    with pytest.raises(ValueError, match="activation"):
        MLP([2, 2], activation="tanh")
    with pytest.raises(ValueError, match="layer_sizes"):
        MLP([2])
    with pytest.raises(ValueError, match="n_in"):
        Linear(0, 2)
    with pytest.raises(ValueError, match="kernel"):
        RandomFeatures(2, 3, 1, kernel="poly")
    bn = BatchNorm1d(2).init(rng, xp=xp)
    with pytest.raises(ValueError, match="at least 2 rows"):
        bn.forward(xp.ones((1, 2)))
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1d(2, momentum=1.5)


def test_mixed_backends_are_rejected(rng):
    strict = pytest.importorskip("array_api_strict")
    lin = Linear(2, 1).init(rng)  # NumPy parameters
    with pytest.raises(TypeError, match="different array libraries"):
        lin.forward(strict.ones((2, 2)))


# ----------------------------------------------------------------------------- PyTorch autograd
def _torch_mlp(net, torch):
    layers = []
    for layer in net.layers:
        if isinstance(layer, Linear):
            layers.append(torch.nn.Linear(layer.n_in, layer.n_out, bias=layer.bias))
        elif isinstance(layer, BatchNorm1d):
            layers.append(
                torch.nn.BatchNorm1d(layer.n_features, momentum=layer.momentum, affine=layer.affine)
            )
        elif isinstance(layer, LeakyReLU):
            layers.append(torch.nn.LeakyReLU(layer.negative_slope))
        elif isinstance(layer, ReLU):
            layers.append(torch.nn.ReLU())
        else:

            class _Abs(torch.nn.Module):
                def forward(self, x):
                    return torch.abs(x)

            layers.append(_Abs())
    model = torch.nn.Sequential(*layers).double()
    state = {k: torch.from_numpy(np.array(to_numpy(v))) for k, v in net.parameters().items()}
    missing = model.load_state_dict(state, strict=False)
    assert not missing.unexpected_keys
    return model


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs"])
@pytest.mark.parametrize("batchnorm", [False, True])
def test_mlp_matches_torch_autograd(activation, batchnorm, rng):
    torch = pytest.importorskip("torch")
    net = MLP([4, 8, 6, 3], activation=activation, batchnorm=batchnorm).init(rng)
    tnet = _torch_mlp(net, torch)
    X = rng.standard_normal((10, 4))
    R = rng.standard_normal((10, 3))
    Xt = torch.tensor(X, requires_grad=True)
    for _ in range(2):  # two training passes: running statistics accumulate as in torch
        tnet.train()
        Zt = tnet(Xt)
        Z = net.forward(X, train=True)
    (Zt * torch.from_numpy(R)).sum().backward()
    grads = net.backward(R)
    # both sides are float64 implementations of the same formulas: agreement to rounding (1e-12)
    np.testing.assert_allclose(Z, Zt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads.input, Xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    tparams = dict(tnet.named_parameters())
    for name, g in grads.parameters.items():
        np.testing.assert_allclose(g, tparams[name].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    if batchnorm:
        tbuf = dict(tnet.named_buffers())
        np.testing.assert_allclose(net.layers[1].running_var, tbuf["1.running_var"].numpy(), rtol=1e-12)
        np.testing.assert_allclose(
            net.layers[1].running_mean, tbuf["1.running_mean"].numpy(), rtol=1e-12, atol=1e-15
        )
        tnet.eval()
        np.testing.assert_allclose(
            net.forward(X, train=False), tnet(Xt).detach().numpy(), rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize("kernel", ["rbf", "relu"])
def test_random_features_match_torch_autograd(kernel, rng):
    torch = pytest.importorskip("torch")
    model = RandomFeatures(3, 7, 2, kernel=kernel).init(rng)
    X, R = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    Xt = torch.tensor(X, requires_grad=True)
    W = torch.tensor(model.parameters()["weight"], requires_grad=True)
    b = torch.tensor(model.parameters()["bias"], requires_grad=True)
    u = Xt @ torch.from_numpy(model.frequencies)
    if kernel == "rbf":
        phi = math.sqrt(2 / 7) * torch.cos(u + torch.from_numpy(model.phases))
    else:
        phi = math.sqrt(2 / 7) * torch.relu(u)
    (((phi @ W.T) + b) * torch.from_numpy(R)).sum().backward()
    grads = model.backward(R) if model.forward(X) is not None else None
    # float64 on both sides: agreement to rounding
    np.testing.assert_allclose(grads.parameters["weight"], W.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads.parameters["bias"], b.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads.input, Xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_non_finite_inputs_are_refused_or_propagate():
    # a NaN input used to leave an MLP as a finite output (ReLU mapped NaN to 0): the network refuses
    # it, and a bare ReLU propagates NaN as torch.relu does
    from ssltheory.nets import MLP, ReLU

    model = MLP([3, 4, 2]).init(np.random.default_rng(0))
    x = np.ones((5, 3))
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"X must be finite, but entry \(2, 1\) is nan"):
        model.forward(x)
    x[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"X must be finite, but entry \(2, 1\) is inf"):
        model.forward(x)
    out = ReLU().forward(np.array([[np.nan, -1.0, 2.0]]))
    assert np.isnan(out[0, 0])
    np.testing.assert_array_equal(out[0, 1:], [0.0, 2.0])


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, object, "int32"])
def test_init_refuses_non_floating_dtypes(dtype):
    # integer dtypes used to give integer zeros (a network that cannot learn), silently
    from ssltheory.nets import Linear

    with pytest.raises(TypeError, match="dtype must be a real floating dtype"):
        Linear(3, 2).init(np.random.default_rng(0), dtype=dtype)
    assert (
        Linear(3, 2).init(np.random.default_rng(0), dtype="float32").parameters()["weight"].dtype
        == np.float32
    )

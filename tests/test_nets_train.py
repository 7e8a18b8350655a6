"""Optimisers and the training loop of ssltheory.nets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory._backend import get_namespace, to_numpy
from ssltheory.graphs import augmentation_graph
from ssltheory.losses import VICRegLoss
from ssltheory.nets import LBFGS, MLP, SGD, Adam, Linear, RandomFeatures, TrainingHistory, train


def _data(rng, xp, n_orig=6, n_views=2, d=4):
    X = xp.asarray(rng.standard_normal((n_orig * n_views, d)))
    return X, augmentation_graph(n_orig, n_views, xp=xp)


# ----------------------------------------------------------------------------- optimisers
def test_sgd_momentum_matches_heavy_ball_recurrence(xp):
    """On f(w) = a w^2 / 2 the PyTorch heavy-ball rule is b_t = mu b_{t-1} + a w, w -= lr b_t."""
    a, lr, mu = 3.0, 0.05, 0.9
    opt = SGD(learning_rate=lr, momentum=mu)
    w = {"w": xp.asarray([1.0, -2.0])}
    ref, buf = np.array([1.0, -2.0]), None
    for _ in range(30):
        w = opt.step(w, {"w": a * w["w"]})
        g = a * ref
        buf = g if buf is None else mu * buf + g
        ref = ref - lr * buf
    # identical float64 recurrences: agreement to accumulated rounding (30 steps)
    np.testing.assert_allclose(to_numpy(w["w"]), ref, rtol=1e-13, atol=1e-15)
    plain = SGD(learning_rate=lr).step({"w": xp.asarray([2.0])}, {"w": xp.asarray([a * 2.0])})
    np.testing.assert_allclose(to_numpy(plain["w"]), [2.0 * (1 - lr * a)], rtol=1e-15)


@settings(max_examples=10)
@given(
    g=st.floats(-100, 100).filter(lambda v: abs(v) > 1e-3),
    lr=st.floats(1e-4, 1.0),
    steps=st.integers(1, 20),
)
def test_adam_on_a_constant_gradient_moves_lr_per_step(g, lr, steps, xp):
    """With a constant gradient the bias-corrected moments are exactly g and g^2 (closed form)."""
    opt = Adam(learning_rate=lr)
    w = {"w": xp.asarray([0.0])}
    for _ in range(steps):
        w = opt.step(w, {"w": xp.asarray([g])})
    expected = -steps * lr * g / (abs(g) + 1e-8)
    # bias corrections divide (1 - b^t) by (1 - b^t): exact up to rounding, ~10 eps per step
    assert abs(float(to_numpy(w["w"])[0]) - expected) <= 1e-12 * steps * max(1.0, abs(expected))


@pytest.mark.parametrize("kind", ["sgd", "nesterov", "adam"])
def test_optimisers_match_torch(kind, rng):
    torch = pytest.importorskip("torch")
    p0 = rng.standard_normal((3, 2))
    pt = torch.tensor(p0, requires_grad=True)
    if kind == "adam":
        ours = Adam(learning_rate=0.03, weight_decay=0.01)
        theirs = torch.optim.Adam([pt], lr=0.03, weight_decay=0.01)
    else:
        ours = SGD(learning_rate=0.1, momentum=0.8, nesterov=kind == "nesterov", weight_decay=0.01)
        theirs = torch.optim.SGD([pt], lr=0.1, momentum=0.8, nesterov=kind == "nesterov", weight_decay=0.01)
    p = {"p": p0.copy()}
    target = rng.standard_normal((3, 2))
    for _ in range(15):
        grad = np.sin(p["p"]) - target  # a non-quadratic objective's gradient
        p = ours.step(p, {"p": grad})
        theirs.zero_grad()
        pt.grad = torch.sin(pt.detach()) - torch.from_numpy(target)
        theirs.step()
    # float64 on both sides, same formulas: agreement to rounding
    np.testing.assert_allclose(p["p"], pt.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_optimiser_bad_input():
    with pytest.raises(ValueError, match="learning_rate"):
        SGD(learning_rate=0.0)
    with pytest.raises(ValueError, match="momentum"):
        SGD(learning_rate=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="nesterov"):
        SGD(learning_rate=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        Adam(betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="keys"):
        SGD(learning_rate=0.1).step({"a": np.ones(1)}, {"b": np.ones(1)})
    with pytest.raises(TypeError, match="train"):
        LBFGS().step({}, {})


# ----------------------------------------------------------------------------- training loop
def test_full_batch_sgd_matches_hand_written_gradient_descent(xp, rng):
    """train() with plain SGD equals GD with the chain rule written out: dW = dZ^T X, db = 1^T dZ."""
    X, G = _data(rng, xp)
    loss = VICRegLoss(variance_weight=2.0, covariance_weight=1.0, invariance_weight=0.5)
    model = Linear(4, 3).init(rng, xp=xp)
    W, b = to_numpy(model.parameters()["weight"]).copy(), to_numpy(model.parameters()["bias"]).copy()
    lr, n_steps = 0.05, 25
    hist = train(model, loss, X, G, optimizer=SGD(learning_rate=lr), n_steps=n_steps, progress=False)
    Xn, Gn = to_numpy(X), to_numpy(G)
    ref_losses = []
    for _ in range(n_steps):
        out = loss.value_and_grad(Xn @ W.T + b, Gn)
        ref_losses.append(float(out.value))
        dZ = np.asarray(out.grad)
        W, b = W - lr * dZ.T @ Xn, b - lr * dZ.sum(0)
    # same float64 arithmetic in a different association order: rounding over 25 steps
    np.testing.assert_allclose(hist.losses, ref_losses, rtol=1e-10)
    np.testing.assert_allclose(to_numpy(hist.parameters["weight"]), W, rtol=1e-9, atol=1e-12)
    assert isinstance(hist, TrainingHistory)
    assert hist.n_steps == n_steps == hist.losses.shape[0] == hist.times.shape[0]
    assert np.all(np.diff(hist.times) >= 0)
    assert get_namespace(hist.parameters["bias"]) is get_namespace(X)


class _RecordingLoss:
    """Wraps a loss and records the (embedding, graph) of every call."""

    def __init__(self, loss):
        self.loss, self.calls = loss, []

    def value_and_grad(self, Z, G):
        self.calls.append((to_numpy(Z).copy(), to_numpy(G).copy()))
        return self.loss.value_and_grad(Z, G)


@pytest.mark.parametrize("n_views", [2, 3])
def test_minibatches_keep_views_together_and_restrict_the_graph(n_views, xp, rng):
    n_orig, batch = 10, 4
    # column 0 encodes the row index, so each batch row can be traced back to X
    Xn = np.column_stack(
        [np.arange(n_orig * n_views, dtype=float), rng.standard_normal((n_orig * n_views, 2))]
    )
    X, G = xp.asarray(Xn), augmentation_graph(n_orig, n_views, xp=xp)
    Gn = to_numpy(G)
    # identity map on the index column: Z[:, 0] is the row index of X
    model = Linear(3, 3, bias=False).init(rng, xp=xp)
    model.set_parameters({"weight": xp.eye(3, dtype=xp.float64)})
    rec = _RecordingLoss(VICRegLoss())
    train(
        model,
        rec,
        X,
        G,
        optimizer=SGD(learning_rate=1e-12),
        n_steps=5,
        batch_size=batch,
        rng=rng,
        progress=False,
    )
    assert len(rec.calls) == 5
    for Z, Gb in rec.calls:
        rows = np.rint(Z[:, 0]).astype(int)
        assert rows.shape == (batch * n_views,)
        assert np.all(np.diff(rows) > 0)  # sorted, distinct rows: view-major order kept
        originals = rows % n_orig
        assert len(set(originals.tolist())) == batch
        assert all(np.sum(originals == o) == n_views for o in set(originals.tolist()))
        np.testing.assert_array_equal(Gb, Gn[np.ix_(rows, rows)])
        np.testing.assert_array_equal(Gb.sum(1), np.full(batch * n_views, n_views - 1.0))


def test_minibatches_of_a_sparse_general_graph_are_connected_components(rng):
    """A general graph is split into connected components (here: classes of a label graph)."""
    import scipy.sparse as sp

    labels = np.repeat(np.arange(5), [2, 3, 2, 4, 1])
    G = sp.csr_matrix((labels[:, None] == labels[None, :]).astype(float) - np.eye(labels.size))
    X = np.column_stack([np.arange(labels.size, dtype=float), rng.standard_normal((labels.size, 1))])
    model = Linear(2, 2, bias=False).init(rng)
    model.set_parameters({"weight": np.eye(2)})
    rec = _RecordingLoss(VICRegLoss())
    train(
        model, rec, X, G, optimizer=SGD(learning_rate=1e-12), n_steps=6, batch_size=2, rng=rng, progress=False
    )
    for Z, Gb in rec.calls:
        rows = np.rint(Z[:, 0]).astype(int)
        classes = set(labels[rows].tolist())
        assert len(classes) == 2
        assert sorted(rows.tolist()) == sorted(np.flatnonzero(np.isin(labels, list(classes))).tolist())
        np.testing.assert_array_equal(Gb, G.toarray()[np.ix_(rows, rows)])


def test_training_is_deterministic_for_a_given_rng(xp, rng):
    X, G = _data(rng, xp, n_orig=12)

    def run(seed):
        model = MLP([4, 8, 3], batchnorm=True).init(np.random.default_rng(0), xp=xp)
        return train(
            model, VICRegLoss(), X, G, optimizer=Adam(learning_rate=1e-2), n_steps=8, batch_size=4,
            rng=np.random.default_rng(seed), progress=False,
        )  # fmt: skip

    a, b, c = run(1), run(1), run(2)
    np.testing.assert_array_equal(a.losses, b.losses)
    for k in a.parameters:
        np.testing.assert_array_equal(to_numpy(a.parameters[k]), to_numpy(b.parameters[k]))
    assert not np.array_equal(a.losses, c.losses)


def test_adam_decreases_the_loss_of_an_mlp(xp, rng):
    X, G = _data(rng, xp, n_orig=16, d=5)
    model = MLP([5, 16, 3], batchnorm=True).init(rng, xp=xp)
    Z0 = model.forward(X)
    loss = VICRegLoss()
    start = float(loss(Z0, G))
    hist = train(model, loss, X, G, optimizer=Adam(learning_rate=2e-2), n_steps=60, progress=False)
    end = float(loss(model.forward(X), G))
    # the first recorded loss is the loss at the initial parameters (before the first update)
    assert abs(hist.losses[0] - start) <= 1e-12 * max(1.0, start)
    assert end < 0.5 * start


def test_lbfgs_reaches_the_optimum_found_by_an_independent_optimiser(rng):
    """Linear VICReg: L-BFGS through train() vs multi-start L-BFGS-B on W with a hand-written gradient."""
    from ssltheory.claims._optim import minimize_multistart

    X, G = _data(rng, np, n_orig=8, d=4)
    loss = VICRegLoss(variance_weight=1.0, covariance_weight=1.0, invariance_weight=0.3)
    model = Linear(4, 2, bias=False).init(rng)
    hist = train(model, loss, X, G, optimizer=LBFGS(), n_steps=500, progress=False)

    def f(W):
        out = loss.value_and_grad(X @ W.T, G)
        return float(out.value), np.asarray(out.grad).T @ X

    ref = minimize_multistart(f, (2, 4), rng=rng, n_starts=2, scale=0.5)
    trained = float(loss(model.forward(X), G))
    # both converge to gtol ~1e-10 on an O(1) loss: values agree to ~1e-9; 1e-7 leaves a margin
    assert abs(trained - ref.loss) <= 1e-7 * max(1.0, ref.loss)
    assert hist.final_loss == pytest.approx(trained, rel=1e-12)


def test_random_features_head_trains(rng):
    X, G = _data(rng, np, n_orig=10, d=3)
    model = RandomFeatures(3, 64, 2).init(rng)
    hist = train(model, VICRegLoss(), X, G, optimizer=LBFGS(), n_steps=200, progress=False)
    # convex in nothing, but the fixed-feature problem is smooth: L-BFGS must not increase the loss
    assert hist.losses[-1] < hist.losses[0]


def test_callback_can_stop_training(xp, rng):
    X, G = _data(rng, xp)
    seen = []

    def cb(step, value, model):
        seen.append((step, value))
        return step == 3

    hist = train(
        Linear(4, 2).init(rng, xp=xp), VICRegLoss(), X, G, optimizer=SGD(learning_rate=0.01), n_steps=10,
        callback=cb, progress=False,
    )  # fmt: skip
    assert hist.n_steps == 3
    assert [s for s, _ in seen] == [1, 2, 3]
    np.testing.assert_array_equal(hist.losses, [v for _, v in seen])


def test_lbfgs_callback_can_stop_training(rng):
    X, G = _data(rng, np)
    hist = train(
        Linear(4, 2).init(rng), VICRegLoss(), X, G, optimizer=LBFGS(), n_steps=50,
        callback=lambda step, value, model: step == 2, progress=False,
    )  # fmt: skip
    assert hist.n_steps == 2
    assert hist.losses[1] <= hist.losses[0]  # L-BFGS iterations never increase the loss (line search)


def test_divergence_names_the_step(xp, rng):
    X, G = _data(rng, xp)
    X = X * 100.0
    with pytest.raises(FloatingPointError, match=r"diverged at step \d+"):
        train(
            MLP([4, 8, 3]).init(rng, xp=xp), VICRegLoss(), X, G, optimizer=SGD(learning_rate=10.0),
            n_steps=200, progress=False,
        )  # fmt: skip


def test_progress_bar_is_shown_and_can_be_silenced(rng, capsys):
    X, G = _data(rng, np)
    train(Linear(4, 2).init(rng), VICRegLoss(), X, G, optimizer=SGD(learning_rate=0.01), n_steps=3)
    assert "train" in capsys.readouterr().err
    train(
        Linear(4, 2).init(rng),
        VICRegLoss(),
        X,
        G,
        optimizer=SGD(learning_rate=0.01),
        n_steps=3,
        progress=False,
    )
    assert capsys.readouterr().err == ""


def test_train_bad_input(xp, rng):
    X, G = _data(rng, xp)
    model = Linear(4, 2).init(rng, xp=xp)
    kw = {"optimizer": SGD(learning_rate=0.1), "progress": False}
    with pytest.raises(ValueError, match="n_steps"):
        train(model, VICRegLoss(), X, G, n_steps=0, **kw)
    with pytest.raises(ValueError, match="batch_size"):
        train(model, VICRegLoss(), X, G, n_steps=1, batch_size=7, rng=rng, **kw)
    with pytest.raises(ValueError, match="rng"):
        train(model, VICRegLoss(), X, G, n_steps=1, batch_size=2, **kw)
    with pytest.raises(ValueError, match="graph must be"):
        train(model, VICRegLoss(), X, augmentation_graph(5, 2, xp=xp), n_steps=1, **kw)
    with pytest.raises(TypeError, match="optimizer"):
        train(model, VICRegLoss(), X, G, optimizer="adam", n_steps=1)
    with pytest.raises(ValueError, match="full-batch"):
        train(model, VICRegLoss(), X, G, optimizer=LBFGS(), n_steps=1, batch_size=2, rng=rng)


def test_lbfgs_on_a_non_numpy_backend_is_not_implemented(rng):
    strict = pytest.importorskip("array_api_strict")
    X, G = _data(rng, strict)
    with pytest.raises(NotImplementedError, match="array_api_strict"):
        train(
            Linear(4, 2).init(rng, xp=strict),
            VICRegLoss(),
            X,
            G,
            optimizer=LBFGS(),
            n_steps=2,
            progress=False,
        )


def test_training_matches_torch(rng):
    """Same MLP (BN), same batches, same Adam: our loop and a torch loop give the same losses."""
    torch = pytest.importorskip("torch")
    from tests.test_nets import _torch_mlp

    X, G = _data(rng, np, n_orig=10, d=4)
    net = MLP([4, 8, 3], batchnorm=True).init(rng)
    tnet = _torch_mlp(net, torch)
    loss = VICRegLoss(variance_weight=1.5)
    hist = train(net, loss, X, G, optimizer=Adam(learning_rate=1e-2), n_steps=10, progress=False)
    opt = torch.optim.Adam(tnet.parameters(), lr=1e-2)
    Xt, Gt = torch.from_numpy(X), torch.from_numpy(G)
    losses = []
    for _ in range(10):
        Z = tnet(Xt)
        Zc = Z - Z.mean(0)
        C = Zc.T @ Zc / (Z.shape[0] - 1)
        d = torch.diagonal(C)
        off = C - torch.diag(d)
        Lz = Gt.sum(1, keepdim=True) * Z - Gt @ Z
        value = 1.5 * ((1 - d) ** 2).sum() + (off**2).sum() + 2 * (Z * Lz).sum() / Z.shape[0]
        losses.append(float(value.detach()))
        opt.zero_grad()
        value.backward()
        opt.step()
    # float64 throughout; Adam divides by sqrt(v)+eps, which amplifies rounding a little
    np.testing.assert_allclose(hist.losses, losses, rtol=1e-9)

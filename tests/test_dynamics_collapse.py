"""Dimensional collapse of linear InfoNCE (ssltheory.dynamics._collapse; Jing et al., arXiv:2110.09348)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.special import iv

import ssltheory.claims._dynamics_collapse as collapse_claims
from ssltheory import _backend, claims
from ssltheory.dynamics._collapse import (
    CollapsePrediction,
    canonical_view_correlations,
    collapse_threshold,
    infonce_gradient_operator,
    infonce_linear_gradient,
    predicted_collapse_rank,
)
from ssltheory.graphs import augmentation_graph
from ssltheory.losses import SimCLRLoss
from ssltheory.nets import SGD, Linear, train

EPS = float(np.finfo(np.float64).eps)


def _problem(rng: np.random.Generator, n0: int = 5, d: int = 4, k: int = 3):
    x = rng.standard_normal((2 * n0, d))
    w = rng.standard_normal((k, d))
    return x, w, augmentation_graph(n0, 2)


def _loss_np(x: np.ndarray, w: np.ndarray, g: np.ndarray, tau: float) -> float:
    """The paper-convention SimCLR loss written out independently (sum reduction)."""
    z = x @ w.T
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    s = u @ u.T / tau
    np.fill_diagonal(s, -np.inf)
    lse = np.log(np.sum(np.exp(s), axis=1))
    np.fill_diagonal(s, 0.0)
    return float(np.sum(g * (lse[:, None] - s)))


# ----------------------------------------------------------------------------- gradient identity
def test_linear_gradient_matches_finite_differences(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    x, w, g = _problem(rng)
    tau = 0.3
    got = _backend.to_numpy(
        infonce_linear_gradient(xp.asarray(x), xp.asarray(w), xp.asarray(g), temperature=tau)
    )
    h = 1e-5
    fd = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        fd[idx] = (_loss_np(x, w + e, g, tau) - _loss_np(x, w - e, g, tau)) / (2 * h)
    # central differences: truncation O(h² |L'''|) ~ 1e-9 and cancellation O(eps |L| / h) ~ 1e-10
    np.testing.assert_allclose(got, fd, rtol=0, atol=1e-7)


@pytest.mark.parametrize(("tau", "reduction"), [(0.5, "sum"), (0.1, "mean"), (2.0, "mean")])
def test_linear_gradient_matches_backprop(xp, rng_seed, tau, reduction):
    rng = np.random.default_rng(rng_seed + 1)
    x, w, _ = _problem(rng, n0=6, d=5, k=4)
    g = rng.uniform(0, 1, (12, 12)) * (rng.random((12, 12)) < 0.5)
    g = np.triu(g, 1)
    g = g + g.T  # a weighted graph
    layer = Linear(5, 4, bias=False).init(0, xp=xp)
    layer.set_parameters({"weight": xp.asarray(w)})
    out = SimCLRLoss(temperature=tau, reduction=reduction).value_and_grad(
        layer.forward(xp.asarray(x)), xp.asarray(g)
    )
    ref = _backend.to_numpy(layer.backward(out.grad).parameters["weight"])
    got = infonce_linear_gradient(
        xp.asarray(x), xp.asarray(w), xp.asarray(g), temperature=tau, reduction=reduction
    )
    assert type(got) is type(xp.asarray(w))
    scale = np.max(np.abs(_backend.to_numpy(out.grad)).T @ np.abs(x))
    # both sides sum N² softmax-weighted terms of size ≤ scale, the softmax of cos/τ adds eps/τ:
    # rounding ≤ 64·N·eps·max(1, 1/τ)·scale
    tol = 64 * 12 * EPS * max(1.0, 1.0 / tau) * scale
    np.testing.assert_allclose(_backend.to_numpy(got), ref, rtol=0, atol=tol)


def test_operator_decomposition_against_pair_sums(xp, rng_seed):
    rng = np.random.default_rng(rng_seed + 2)
    x, w, g = _problem(rng, n0=4, d=3, k=2)
    tau = 0.4
    op = infonce_gradient_operator(xp.asarray(x), xp.asarray(w), xp.asarray(g), temperature=tau)
    # independent pair sums: C_pos = Σ_ij G_ij Δ̃Δ̃ᵀ with x̃ = x/‖Wx‖
    z = x @ w.T
    nrm = np.linalg.norm(z, axis=1)
    xt = x / nrm[:, None]
    c_pos = sum(g[i, j] * np.outer(xt[i] - xt[j], xt[i] - xt[j]) for i in range(8) for j in range(8))
    np.testing.assert_allclose(_backend.to_numpy(op.positive_covariance), c_pos, rtol=1e-12, atol=1e-13)
    # C_neg and C_pos are PSD (non-negative pair weights); the parts recombine to Q
    for part in (op.positive_covariance, op.negative_covariance):
        assert np.linalg.eigvalsh(_backend.to_numpy(part))[0] > -1e-12
    q = (op.positive_covariance - op.negative_covariance + op.radial) / tau
    np.testing.assert_allclose(_backend.to_numpy(q), _backend.to_numpy(op.operator), rtol=1e-12, atol=1e-12)


def test_scale_invariance(xp, rng_seed):
    rng = np.random.default_rng(rng_seed + 3)
    x, w, g = _problem(rng)
    q1 = _backend.to_numpy(infonce_gradient_operator(xp.asarray(x), xp.asarray(w), xp.asarray(g)).operator)
    q3 = _backend.to_numpy(
        infonce_gradient_operator(xp.asarray(x), xp.asarray(3 * w), xp.asarray(g)).operator
    )
    np.testing.assert_allclose(q3, q1 / 9, rtol=1e-12, atol=1e-14)  # Q(cW) = Q(W)/c²
    grad = w @ q1
    assert abs(np.sum(grad * w)) < 1e-12 * np.abs(grad).sum() * np.abs(w).max()  # ∇ ⟂ W


def test_gram_and_covariance_flow(rng_seed):
    """dM/dt = −(QM + MQ) for M = WᵀW, and dC/dt = −(HC + CHᵀ), H = WQW⁻¹, along Ẇ = −WQ."""
    rng = np.random.default_rng(rng_seed + 4)
    x, w, g = _problem(rng, n0=6, d=3, k=3)
    q = infonce_gradient_operator(x, w, g, temperature=0.5).operator
    m = w.T @ w
    xc = x - x.mean(axis=0)
    sigma = xc.T @ xc / x.shape[0]
    c = w @ sigma @ w.T
    hmat = w @ q @ np.linalg.inv(w)
    errs = []
    for h in (1e-3, 5e-4):
        w_h = w - h * w @ q
        errs.append(
            (
                np.max(np.abs((w_h.T @ w_h - m) / h + (q @ m + m @ q))),
                np.max(np.abs((w_h @ sigma @ w_h.T - c) / h + (hmat @ c + c @ hmat.T))),
            )
        )
    # one Euler step: the remainder is exactly h·(WQ)ᵀ(WQ)-type, O(h); halving h halves it
    for a, b in zip(errs[0], errs[1], strict=True):
        assert b == pytest.approx(a / 2, rel=1e-6)


def test_gradient_identity_bad_input(xp):
    x, w, g = _problem(np.random.default_rng(0))
    x, w, g = xp.asarray(x), xp.asarray(w), xp.asarray(g)
    with pytest.raises(ValueError, match="weights must have shape"):
        infonce_gradient_operator(x, w[:, :2], g)
    with pytest.raises(ValueError, match="graph must be"):
        infonce_gradient_operator(x, w, g[:4, :4])
    with pytest.raises(ValueError, match="zero diagonal"):
        infonce_gradient_operator(x, w, g + xp.eye(10, dtype=g.dtype))
    with pytest.raises(ValueError, match="temperature"):
        infonce_gradient_operator(x, w, g, temperature=-1.0)
    with pytest.raises(ValueError, match="reduction"):
        infonce_gradient_operator(x, w, g, reduction="max")
    with pytest.raises(ValueError, match="norm"):
        infonce_gradient_operator(x, w * 0.0, g)
    if not _backend.is_numpy(xp):
        with pytest.raises(TypeError):
            infonce_gradient_operator(_backend.to_numpy(x), w, g)  # NumPy mixed with another library


# ----------------------------------------------------------------------------- canonical correlations
def test_canonical_correlations_against_whitening(xp, rng_seed):
    rng = np.random.default_rng(rng_seed + 5)
    a = rng.standard_normal((5, 5))
    sx = a @ a.T
    b = rng.standard_normal((5, 3))
    se = b @ b.T + 0.1 * np.eye(5)
    got = canonical_view_correlations(xp.asarray(sx), xp.asarray(se))
    assert type(got) is type(xp.asarray(sx))
    evals, evecs = np.linalg.eigh(sx + se)
    inv_sqrt = evecs @ np.diag(evals**-0.5) @ evecs.T
    ref = np.sort(np.linalg.eigvalsh(inv_sqrt @ sx @ inv_sqrt))[::-1]
    np.testing.assert_allclose(_backend.to_numpy(got), ref, rtol=1e-10, atol=1e-12)
    diag = canonical_view_correlations(xp.asarray(np.diag([1.0, 2.0])), xp.asarray(np.diag([3.0, 0.5])))
    np.testing.assert_allclose(_backend.to_numpy(diag), [2 / 2.5, 1 / 4], rtol=1e-12)


def test_canonical_correlations_bad_input(xp):
    eye = np.eye(3)
    with pytest.raises(ValueError, match="symmetric"):
        canonical_view_correlations(xp.asarray(eye + np.triu(np.ones((3, 3)), 1)), xp.asarray(eye))
    with pytest.raises(ValueError, match="positive semi-definite"):
        canonical_view_correlations(xp.asarray(-eye), xp.asarray(eye))
    with pytest.raises(ValueError, match="same shape"):
        canonical_view_correlations(xp.asarray(eye), xp.asarray(np.eye(2)))
    with pytest.raises(ValueError, match="positive definite"):
        canonical_view_correlations(
            xp.asarray(np.diag([1.0, 0.0, 1.0])), xp.asarray(np.diag([1.0, 0.0, 0.0]))
        )
    with pytest.raises(ValueError, match="square"):
        canonical_view_correlations(xp.asarray(np.ones((2, 3))), xp.asarray(np.ones((2, 3))))


# ----------------------------------------------------------------------------- threshold
@pytest.mark.parametrize(("r", "tau"), [(3, 0.5), (5, 1.0), (8, 0.2)])
def test_threshold_at_unit_correlation(r, tau):
    # ρ̄ = 1: y' = y, so J1 = J2 = J3 = 1/(r − 2) and ρ* = 1 − I_{r/2}(1/τ)/I_{r/2−1}(1/τ)
    assert collapse_threshold(r, 1.0, temperature=tau) == pytest.approx(
        1 - iv(r / 2, 1 / tau) / iv(r / 2 - 1, 1 / tau), rel=1e-12
    )


def test_threshold_moments_monte_carlo(rng_seed):
    """J1, J2, J3 (hence ρ*) against a Monte Carlo average over correlated Gaussian pairs."""
    from ssltheory.dynamics._collapse import _kept_moments

    rng = np.random.default_rng(rng_seed + 6)
    r, rho, n = 7, 0.8, 400_000
    y = rng.standard_normal((n, r))
    yp = rho * y + math.sqrt(1 - rho**2) * rng.standard_normal((n, r))
    ny, nyp = np.linalg.norm(y, axis=1), np.linalg.norm(yp, axis=1)
    samples = [1 / (ny * nyp), np.sum(y * yp, axis=1) / (ny**3 * nyp), 1 / ny**2]
    for got, s in zip(_kept_moments(r, rho), samples, strict=True):
        # 5 standard errors (r = 7 gives finite variances: E|y|^-4 < ∞ for r > 4)
        assert abs(got - s.mean()) < 5 * s.std() / math.sqrt(n)


def test_threshold_large_batch_against_pooled_batches(rng_seed):
    """ρ* = E[tr Γ̃] / E[−Σ G∘Γ̃] at the kept projector, pooled over finite batches of Gaussian views.

    Γ̃ itself is read off the operator: inputs [X, I] with weights [W, 0] give Q[r:, r:] = Γ̃.
    """
    rng = np.random.default_rng(rng_seed + 7)
    r, rho, tau, n0 = 6, 0.9, 0.5, 128
    n = 2 * n0
    g = augmentation_graph(n0, 2)
    w = np.concatenate([np.eye(r), np.zeros((r, n))], axis=1)
    tr, pairs = 0.0, 0.0
    for _ in range(8):
        s = rng.standard_normal((n0, r))
        x = np.concatenate(
            [math.sqrt(rho) * s + math.sqrt(1 - rho) * rng.standard_normal((n0, r)) for _ in "ab"]
        )
        gam = infonce_gradient_operator(
            np.concatenate([x, np.eye(n)], axis=1), w, g, temperature=tau
        ).operator
        gam = gam[r:, r:]
        tr += float(np.trace(gam))
        pairs += float(np.sum(g * gam))
    # finite-batch bias O(P_ip) (the positive's share of the softmax, ~1e-2 here) plus the scatter of
    # 8 batches of 128 pairs (±0.02, measured): 0.04
    assert tr / -pairs == pytest.approx(collapse_threshold(r, rho, temperature=tau), abs=0.04)


def test_threshold_properties():
    assert collapse_threshold(2, 0.9) == -math.inf
    assert collapse_threshold(1, 0.5) == -math.inf
    vals = [collapse_threshold(6, 0.9, temperature=t) for t in (0.2, 0.5, 1.0, 2.0)]
    assert np.all(np.diff(vals) > 0)  # a hotter softmax raises the threshold (less uniformity pressure)
    assert all(v < 0.9 for v in vals)  # a tied direction is always worth keeping
    # large r: ρ* ≈ ρ̄ − 1/(rτ)
    assert collapse_threshold(400, 0.5, temperature=1.0) == pytest.approx(0.5 - 1 / 400, abs=2e-3)


def test_threshold_bad_input():
    with pytest.raises(ValueError, match="n_kept"):
        collapse_threshold(0, 0.5)
    with pytest.raises(TypeError, match="n_kept"):
        collapse_threshold(3.0, 0.5)
    with pytest.raises(ValueError, match="correlation"):
        collapse_threshold(4, 1.5)
    with pytest.raises(TypeError, match="correlation"):
        collapse_threshold(4, True)
    with pytest.raises(ValueError, match="temperature"):
        collapse_threshold(4, 0.5, temperature=0.0)


# ----------------------------------------------------------------------------- prediction
def _diag(rho):
    rho = np.asarray(rho, dtype=float)
    return np.diag(rho), np.diag(1 - rho)


def test_prediction_cases(xp):
    sx, se = _diag([0.9] * 5 + [0.52] * 2)
    pred = predicted_collapse_rank(xp.asarray(sx), xp.asarray(se), temperature=1.0)
    assert isinstance(pred, CollapsePrediction)
    assert type(pred.canonical_correlations) is type(xp.asarray(sx))
    assert (pred.n_kept, pred.n_collapsed_min, pred.n_collapsed_max, pred.determined) == (5, 2, 2, True)
    assert pred.n_augmentation_dominated == 0  # the paper's criterion sees no strong augmentation
    rates = _backend.to_numpy(pred.decay_rates)
    np.testing.assert_allclose(rates[:5], 0.0)
    assert np.all(rates[5:] > 0)
    # above the threshold: the top-only point is unstable, a range
    sx, se = _diag([0.7] * 5 + [0.45] * 2)
    pred = predicted_collapse_rank(xp.asarray(sx), xp.asarray(se), temperature=0.2)
    assert (pred.n_collapsed_min, pred.n_collapsed_max, pred.determined) == (0, 1, False)
    assert pred.n_augmentation_dominated == 2
    # a wider embedding adds collapsed dimensions; fewer than r components are refused
    pred = predicted_collapse_rank(xp.asarray(sx), xp.asarray(se), temperature=0.2, n_components=9)
    assert (pred.n_collapsed_min, pred.n_collapsed_max) == (2, 3)
    with pytest.raises(ValueError, match="n_components"):
        predicted_collapse_rank(xp.asarray(sx), xp.asarray(se), n_components=4)
    # all tied: nothing to collapse, whatever the augmentation strength
    sx, se = _diag([0.3] * 4)
    pred = predicted_collapse_rank(xp.asarray(sx), xp.asarray(se))
    assert (pred.n_kept, pred.n_collapsed_min, pred.n_collapsed_max) == (4, 0, 0)
    assert pred.n_augmentation_dominated == 4
    # r ≤ 2: threshold −inf, the top-only point is never stable; with one other direction it must be kept
    sx, se = _diag([0.9, 0.9, 0.2, 0.2])
    pred = predicted_collapse_rank(xp.asarray(sx), xp.asarray(se))
    assert pred.threshold == -math.inf
    assert (pred.n_collapsed_min, pred.n_collapsed_max) == (0, 1)
    sx, se = _diag([0.9, 0.9, 0.2])
    assert predicted_collapse_rank(xp.asarray(sx), xp.asarray(se)).n_collapsed_max == 0
    # tie_tol groups nearly-equal correlations
    sx, se = _diag([0.9, 0.8999, 0.9, 0.9001, 0.2])
    assert predicted_collapse_rank(xp.asarray(sx), xp.asarray(se), tie_tol=1e-3).n_kept == 4
    assert predicted_collapse_rank(xp.asarray(sx), xp.asarray(se)).n_kept == 1
    with pytest.raises(ValueError, match="tie_tol"):
        predicted_collapse_rank(xp.asarray(sx), xp.asarray(se), tie_tol=-1.0)


def test_prediction_invariant_to_mixing(rng_seed):
    rng = np.random.default_rng(rng_seed + 8)
    rho = np.array([0.9] * 5 + [0.3])
    t = rng.standard_normal((6, 6)) + 3 * np.eye(6)
    a = predicted_collapse_rank(*_diag(rho), temperature=0.5)
    b = predicted_collapse_rank(t @ np.diag(rho) @ t.T, t @ np.diag(1 - rho) @ t.T, temperature=0.5)
    for name in ("n_kept", "n_collapsed_min", "n_collapsed_max"):
        assert getattr(a, name) == getattr(b, name)
    np.testing.assert_allclose(b.canonical_correlations, rho[np.argsort(-rho)], atol=1e-10)


def test_trained_endpoint_is_a_stable_collapsed_point(rng_seed):
    """Second-order stationarity at the end of training: W Q ≈ 0 on the kept rows and Q ⪰ 0 on the
    collapsed subspace (the paper's X = −Q has its negative eigenvalues there)."""
    rng = np.random.default_rng(rng_seed + 9)
    rho = np.array([1.0] * 8 + [0.55])
    x = collapse_claims._exact_views(rng, 64, rho)
    g = augmentation_graph(64, 2)
    net = Linear(9, 9, bias=False).init(rng)
    loss = SimCLRLoss(temperature=1.0, reduction="mean")
    train(net, loss, x, g, optimizer=SGD(learning_rate=2.0), n_steps=300, progress=False)
    w = net.parameters()["weight"]
    q = infonce_gradient_operator(x, w, g, temperature=1.0, reduction="mean").operator
    _, s, vt = np.linalg.svd(w)
    collapsed = vt[s < 1e-6 * s[0]]
    assert collapsed.shape[0] == 1  # the predicted count
    assert np.linalg.norm(w @ q) < 1e-6 * np.linalg.norm(q)  # stationary (gradient flow converged)
    assert np.linalg.eigvalsh(collapsed @ q @ collapsed.T)[0] > 0  # stable: the collapsed direction decays


# ----------------------------------------------------------------------------- claims
CLAIM_IDS = [
    "dynamics.collapse.gradient_identity",
    "dynamics.collapse.strong_augmentation_rank",
    "dynamics.collapse.two_layer_rank",
    "dynamics.collapse.depth_adds_collapse",
]


@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_claim_passes(xp, claim_id, rng_seed):
    claim = claims.get(claim_id)
    verdicts = claims.run_claim(claim, xp=xp, seed=rng_seed, quick=True)
    assert verdicts
    failed = [(v.problem, v.predicted, v.measured, v.message) for v in verdicts if not v.passed]
    assert not failed


def _wrong_identity(problem, xp):
    # the paper's unnormalised form: drop the radial term of the normalisation
    from ssltheory.dynamics._collapse import infonce_gradient_operator as op_of

    a = problem.arrays(xp)
    tau = problem.params["temperature"]
    op = op_of(a["x"], a["weights"], a["graph"], temperature=tau, reduction=problem.params["reduction"])
    g = _backend.to_numpy(a["weights"] @ ((op.positive_covariance - op.negative_covariance) / tau))
    return {"gradient": g, "from_parts": g}


def _paper_criterion(problem, xp):
    # collapse exactly where the augmentation variance exceeds the data variance (ρ_k < 1/2)
    pred = collapse_claims._rank_predict(problem, xp)
    return {**pred, "min": pred["paper"], "max": pred["paper"]}


def _overcollapse(problem, xp):
    pred = collapse_claims._rank_predict(problem, xp)
    k = problem.data["x"].shape[1]
    return {**pred, "min": k - 1, "max": k - 1}


def _depth_removes_collapse(problem, xp):
    # the opposite statement: depth keeps more dimensions than one layer (excess n₂ − n₁ ≤ −1)
    pred = collapse_claims._depth_predict(problem, xp)
    return {**pred, "excess": (-problem.data["x"].shape[1], -1)}


@pytest.mark.parametrize(
    ("claim_id", "wrong"),
    [
        ("dynamics.collapse.gradient_identity", _wrong_identity),
        ("dynamics.collapse.strong_augmentation_rank", _paper_criterion),
        ("dynamics.collapse.two_layer_rank", _overcollapse),
        ("dynamics.collapse.depth_adds_collapse", _depth_removes_collapse),
    ],
)
def test_wrong_prediction_fails(claim_id, wrong, rng_seed):
    import array_api_compat.numpy as npx

    claim = dataclasses.replace(claims.get(claim_id), predict=wrong)
    verdicts = claims.run_claim(claim, xp=npx, seed=rng_seed, quick=True)
    assert verdicts
    assert all(not v.passed for v in verdicts), [(v.problem, v.predicted, v.measured) for v in verdicts]

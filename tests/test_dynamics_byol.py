"""Linear BYOL / SimSiam with a linear predictor (arXiv:2102.06810): closed forms against ODE solves of
the full matrix flow, finite-difference gradients of the loss, root finders, bad input, the claims, and
the counter-example to the decoupled basin rule on the full matrices."""

from __future__ import annotations

import dataclasses
import math

import array_api_compat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, fsolve

import ssltheory.claims._dynamics_byol as byol_claims
from ssltheory import _backend, claims
from ssltheory.dynamics._byol import (
    BYOLFixedPoints,
    BYOLModeRates,
    BYOLTrajectory,
    balance_decay,
    balance_quantity,
    byol_fixed_points,
    byol_mode_odes,
    byol_mode_trajectory,
    collapse_boundary,
    directpred_predictor,
)

CLAIM_IDS = [
    "dynamics.byol.balance_decay",
    "dynamics.byol.collapse_boundary",
    "dynamics.byol.directpred_fixed_points",
    "dynamics.byol.fixed_points",
    "dynamics.byol.mode_trajectory",
]
# DOP853 at rtol 1e-11, atol 1e-13 on O(1) quantities over t <= 300: global error ~1e-9 (measured
# ≤ 3e-10 against the closed form); comparisons allow 1e-8
_ODE = {"method": "DOP853", "rtol": 1e-11, "atol": 1e-13}
_ODE_TOL = 1e-8


def _rotation(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _loss(wp, w, wa, x, sigma2, eta):
    """J = ½ E‖W_p W x₁ − W_a x₂‖² + η/2(‖W‖² + ‖W_p‖²) with E[x₁x₁ᵀ] = X + σ²I, E[x₁x₂ᵀ] = X."""
    a = wp @ w
    xa = x + sigma2 * np.eye(x.shape[0])
    value = 0.5 * (np.trace(a @ xa @ a.T) - 2.0 * np.trace(a @ x @ wa.T) + np.trace(wa @ xa @ wa.T))
    return value + 0.5 * eta * (np.sum(w * w) + np.sum(wp * wp))


def _fd_flow(wp, w, x, sigma2, eta, alpha, h=1e-6):
    """−∂J/∂(W_p, W) by central differences with the target frozen at W (the stop-gradient)."""
    wa = w.copy()
    out = []
    for arr, scale in ((wp, alpha), (w, 1.0)):
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            e = np.zeros_like(arr)
            e[idx] = h
            args_p = (wp + e, w, wa) if arr is wp else (wp, w + e, wa)
            args_m = (wp - e, w, wa) if arr is wp else (wp, w - e, wa)
            g[idx] = (_loss(*args_p, x, sigma2, eta) - _loss(*args_m, x, sigma2, eta)) / (2 * h)
        out.append(-scale * g)
    # the paper's convention: the weight decay on W_p is not scaled by α_p
    out[0] += (alpha - 1.0) * eta * wp
    return out


def _matrix_flow(x, sigma2, eta, alpha, beta=None):
    """The full matrix gradient flow (W_p, W[, W_a]) as an ODE right-hand side on the host."""

    def rhs(state, n, d):
        wp = state[: n * n].reshape(n, n)
        w = state[n * n : n * n + n * d].reshape(n, d)
        wa = w if beta is None else state[n * n + n * d :].reshape(n, d)
        g = wa @ x - wp @ w @ (x + sigma2 * np.eye(d))
        parts = [alpha * g @ w.T - eta * wp, wp.T @ g - eta * w]
        if beta is not None:
            parts.append(beta * (w - wa))
        return np.concatenate([p.ravel() for p in parts])

    return rhs


# ----------------------------------------------------------------------------- the flow itself
def test_matrix_flow_is_the_gradient_of_the_loss(rng):
    """Lemma 1 of the paper: −∇J with a stop-gradient target is α_p G Wᵀ − ηW_p and W_pᵀG − ηW."""
    n, d, sigma2, eta, alpha = 3, 4, 0.4, 0.07, 1.7
    x = rng.standard_normal((d, d))
    x = x @ x.T / d
    wp, w = rng.standard_normal((n, n)), rng.standard_normal((n, d))
    fd_wp, fd_w = _fd_flow(wp, w, x, sigma2, eta, alpha)
    flow = _matrix_flow(x, sigma2, eta, alpha)(np.concatenate([wp.ravel(), w.ravel()]), n, d)
    # central differences of a quadratic: truncation 0, rounding ~eps·|J|/h ≈ 1e-10 per entry
    np.testing.assert_allclose(flow[: n * n], fd_wp.ravel(), atol=1e-7)
    np.testing.assert_allclose(flow[n * n :], fd_w.ravel(), atol=1e-7)


def test_simulator_step_is_one_euler_step_of_the_flow(rng):
    n, d, sigma2, eta, alpha, lr = 3, 4, 0.4, 0.07, 0.6, 0.01
    x = rng.standard_normal((d, d))
    x = x @ x.T / d
    wp, w = rng.standard_normal((n, n)), rng.standard_normal((n, d))
    run = byol_claims._Run(wp[None], w[None], x[None], sigma2=sigma2, eta=eta, lr=lr, alpha=alpha)
    run.step()
    flow = _matrix_flow(x, sigma2, eta, alpha)(np.concatenate([wp.ravel(), w.ravel()]), n, d)
    np.testing.assert_allclose(run.wp[0], wp + lr * flow[: n * n].reshape(n, n), atol=1e-14)
    np.testing.assert_allclose(run.w[0], w + lr * flow[n * n :].reshape(n, d), atol=1e-14)


def test_mode_odes_are_the_matrix_flow_in_the_eigenbasis(xp, rng):
    """Aligned matrices: the projection of the full flow onto the modes is byol_mode_odes."""
    k, sigma2, eta, alpha, beta = 4, 0.3, 0.05, 1.5, 0.8
    d = rng.uniform(0.3, 2.0, k)
    u, v = _rotation(rng, k), _rotation(rng, k)
    x = (u * d) @ u.T
    p, w, c = rng.uniform(0.2, 1.2, (3, k))
    wp_m, w_m, wa_m = (v * p) @ v.T, (v * w) @ u.T, (v * c) @ u.T
    state = np.concatenate([wp_m.ravel(), w_m.ravel(), wa_m.ravel()])
    flow = _matrix_flow(x, sigma2, eta, alpha, beta)(state, k, k)
    dwp = v.T @ flow[: k * k].reshape(k, k) @ v
    dw = v.T @ flow[k * k : 2 * k * k].reshape(k, k) @ u
    dwa = v.T @ flow[2 * k * k :].reshape(k, k) @ u
    rates = byol_mode_odes(
        xp.asarray(p),
        xp.asarray(w),
        xp.asarray(c),
        data_eigenvalues=xp.asarray(d),
        noise_variance=sigma2,
        weight_decay=eta,
        predictor_lr_ratio=alpha,
        ema_rate=beta,
    )
    assert isinstance(rates, BYOLModeRates)
    # rounding of O(1) products in a 4×4 change of basis: 1e-14; the flow stays diagonal (aligned)
    np.testing.assert_allclose(_backend.to_numpy(rates.predictor), np.diag(dwp), atol=1e-12)
    np.testing.assert_allclose(_backend.to_numpy(rates.online), np.diag(dw), atol=1e-12)
    np.testing.assert_allclose(_backend.to_numpy(rates.target), np.diag(dwa), atol=1e-12)
    for m in (dwp, dw, dwa):
        assert np.max(np.abs(m - np.diag(np.diag(m)))) < 1e-12
    simsiam = byol_mode_odes(
        xp.asarray(p), xp.asarray(w), data_eigenvalues=xp.asarray(d), noise_variance=sigma2, weight_decay=eta
    )
    assert simsiam.target is None


def test_paper_variables_form(rng):
    """(p, s = d w², τ = c/w) obey the paper's system, checked against the amplitude form."""
    k, sigma2, eta, alpha, beta = 3, 0.5, 0.04, 1.3, 0.7
    d = rng.uniform(0.3, 2.0, k)
    p, w, c = rng.uniform(0.2, 1.2, (3, k))
    r = byol_mode_odes(
        p,
        w,
        c,
        data_eigenvalues=d,
        noise_variance=sigma2,
        weight_decay=eta,
        predictor_lr_ratio=alpha,
        ema_rate=beta,
    )
    s, tau = d * w * w, c / w
    ds = 2 * d * w * r.online
    dtau = r.target / w - c * r.online / w**2
    core = tau - (1 + sigma2 / d) * p
    np.testing.assert_allclose(r.predictor, alpha * s * core - eta * p, rtol=1e-13)
    np.testing.assert_allclose(ds, 2 * d * p * s * core - 2 * eta * s, rtol=1e-13)
    np.testing.assert_allclose(dtau, beta * (1 - tau) - tau * ds / (2 * s), rtol=1e-13)


# ----------------------------------------------------------------------------- fixed points
@settings(max_examples=20)
@given(
    d=st.floats(0.05, 5.0),
    sigma2=st.floats(0.0, 3.0),
    ratio=st.floats(0.0, 2.0),
    alpha=st.floats(0.2, 5.0),
)
def test_fixed_points_are_the_roots_of_the_balanced_ode(xp, d, sigma2, ratio, alpha):
    eta = ratio * d * d / (4 * (d + sigma2))
    fp = byol_fixed_points(xp.asarray([d]), noise_variance=sigma2, weight_decay=eta, predictor_lr_ratio=alpha)
    assert isinstance(fp, BYOLFixedPoints)
    roots = np.roots([d + sigma2, -d, eta])  # (d+σ²)p² − dp + η, an independent polynomial solver
    real = np.sort(roots[np.abs(roots.imag) <= 1e-9 * max(1.0, abs(roots).max())].real)
    exists = bool(_backend.to_numpy(fp.exists)[0])
    if abs(ratio - 1.0) > 1e-6:  # away from the double root, where np.roots splits it into a pair
        assert exists == (real.size == 2)
    if exists and abs(ratio - 1.0) > 1e-6:
        # np.roots: backward-stable companion eigenvalues, error ~eps/|p₊ − p₋|
        tol = 1e-12 / max(real[1] - real[0], 1e-4)
        assert abs(float(fp.predictor[0]) - real[1]) < tol
        assert abs(float(fp.basin_threshold[0]) - real[0]) < tol
        p = float(fp.predictor[0])
        assert abs(float(fp.features[0]) - d * p * p / alpha) <= 1e-14 * max(1.0, d * p * p / alpha)
    if not exists:
        assert float(fp.predictor[0]) == 0.0
        assert math.isinf(float(fp.basin_threshold[0]))


@pytest.mark.parametrize("beta", [None, 0.3, 2.0])
def test_fixed_points_of_the_full_mode_flow_and_their_stability(rng, beta):
    """fsolve on the (p, w[, c]) flow from near each root; Jacobian by central differences."""
    d, sigma2, eta, alpha = 1.3, 0.6, 0.08, 1.7
    fp = byol_fixed_points(np.array([d]), noise_variance=sigma2, weight_decay=eta, predictor_lr_ratio=alpha)
    p_plus, p_minus = float(fp.predictor[0]), float(fp.basin_threshold[0])

    def rhs(y):
        p, w = np.array([y[0]]), np.array([y[1]])
        c = None if beta is None else np.array([y[2]])
        r = byol_mode_odes(
            p,
            w,
            c,
            data_eigenvalues=np.array([d]),
            noise_variance=sigma2,
            weight_decay=eta,
            predictor_lr_ratio=alpha,
            ema_rate=beta,
        )
        out = [r.predictor[0], r.online[0]]
        return np.array(out if beta is None else [*out, r.target[0]])

    def jac(y):
        h = 1e-6
        cols = [(rhs(y + h * e) - rhs(y - h * e)) / (2 * h) for e in np.eye(y.size)]
        return np.array(cols).T

    for root, stable in ((p_plus, True), (p_minus, False)):
        w = root / math.sqrt(alpha)
        y0 = np.array([root, w] if beta is None else [root, w, w]) * 1.05
        y = fsolve(rhs, y0, xtol=1e-12)
        assert np.max(np.abs(rhs(y))) < 1e-12
        assert abs(y[0] - root) < 1e-9
        assert abs(y[1] ** 2 - root**2 / alpha) < 1e-9
        lam = np.linalg.eigvals(jac(y)).real
        assert (np.max(lam) < 0) if stable else (np.max(lam) > 0)
    # the origin is stable with weight decay (the trivial basin always exists)
    origin = np.zeros(2 if beta is None else 3)
    assert np.max(np.linalg.eigvals(jac(origin)).real) < 0


def test_eta_zero_fixed_point_and_threshold(xp):
    fp = byol_fixed_points(xp.asarray([1.0, 2.0]), noise_variance=1.0, weight_decay=0.0)
    np.testing.assert_allclose(_backend.to_numpy(fp.predictor), [0.5, 2.0 / 3.0], rtol=1e-15)
    np.testing.assert_array_equal(_backend.to_numpy(fp.basin_threshold), [0.0, 0.0])


def test_zero_data_eigenvalue_always_collapses(xp):
    fp = byol_fixed_points(xp.asarray([0.0]), noise_variance=0.0, weight_decay=0.0)
    assert not bool(fp.exists[0])
    assert float(fp.predictor[0]) == 0.0
    assert float(collapse_boundary(xp.asarray([0.0]), noise_variance=0.0)[0]) == 0.0


# ----------------------------------------------------------------------------- collapse boundary
def test_collapse_boundary_is_where_the_roots_merge(xp, rng):
    d = rng.uniform(0.1, 3.0, 6)
    sigma2 = 0.7
    star = _backend.to_numpy(collapse_boundary(xp.asarray(d), noise_variance=sigma2))
    for dk, ek in zip(d, star, strict=True):
        # brentq on the discriminant of (d+σ²)p² − dp + η in η: an independent root
        ref = brentq(lambda e, dk=dk: dk * dk - 4 * e * (dk + sigma2), 0.0, dk)
        assert abs(ek - ref) <= 1e-14 * ref
        below = byol_fixed_points(np.array([dk]), noise_variance=sigma2, weight_decay=ek * (1 - 1e-9))
        above = byol_fixed_points(np.array([dk]), noise_variance=sigma2, weight_decay=ek * (1 + 1e-9))
        assert bool(below.exists[0])
        assert not bool(above.exists[0])
        # at the boundary p₊ = p₋ = d / (2(d + σ²)) (the saddle-node)
        assert abs(float(below.predictor[0]) - dk / (2 * (dk + sigma2))) < 1e-4
    eta = 0.05
    noise = _backend.to_numpy(collapse_boundary(xp.asarray(d), weight_decay=eta))
    for dk, sk in zip(d, noise, strict=True):
        ref = brentq(lambda s, dk=dk: dk * dk - 4 * eta * (dk + s), -dk, 1e4)
        assert abs(sk - ref) <= 1e-12 * max(1.0, abs(ref))


def test_paper_isotropic_condition(xp):
    """d = 1: non-trivial fixed points iff 4η(1 + σ²) ≤ 1 (the paper's statement)."""
    for sigma2 in (0.0, 0.5, 1.0, 3.0):
        assert float(collapse_boundary(xp.asarray([1.0]), noise_variance=sigma2)[0]) == pytest.approx(
            1.0 / (4.0 * (1.0 + sigma2)), rel=1e-15
        )


def test_collapse_boundary_infinite_noise_without_weight_decay(xp):
    assert math.isinf(float(collapse_boundary(xp.asarray([1.0]), weight_decay=0.0)[0]))


# ----------------------------------------------------------------------------- trajectories
@pytest.mark.parametrize(
    ("sigma2", "eta"),
    [(0.5, 0.1), (0.5, 0.0), (1.0, 0.125), (1.0, 0.125 * (1 + 1e-6)), (1.0, 0.3), (0.3, 1e-6)],
)
def test_trajectory_solves_the_mode_flow(xp, sigma2, eta):
    """Against solve_ivp of the (p, w) flow from a balanced start (not the reduced scalar ODE)."""
    d = np.array([1.0, 1.0, 2.0, 1.0, 0.5, 0.7])
    p0 = np.array([1.0, 0.05, 0.3, -0.2, 0.6, 0.2])
    alpha = 1.6
    times = np.linspace(0.0, 300.0, 16)

    def rhs(_, y):
        r = byol_mode_odes(
            y[:6],
            y[6:],
            data_eigenvalues=d,
            noise_variance=sigma2,
            weight_decay=eta,
            predictor_lr_ratio=alpha,
        )
        return np.concatenate([r.predictor, r.online])

    sol = solve_ivp(rhs, (0.0, times[-1]), np.concatenate([p0, p0 / math.sqrt(alpha)]), t_eval=times, **_ODE)
    traj = byol_mode_trajectory(
        xp.asarray(p0),
        xp.asarray(times),
        data_eigenvalues=xp.asarray(d),
        noise_variance=sigma2,
        weight_decay=eta,
        predictor_lr_ratio=alpha,
    )
    assert isinstance(traj, BYOLTrajectory)
    # without weight decay the rest points form a line (p = d/(d+σ²), any w): the solver's error does
    # not decay along it and drifts to ~1e-7 over t = 300 (the closed form sits on the fixed point)
    tol = _ODE_TOL if eta > 0 else 1e-6
    np.testing.assert_allclose(_backend.to_numpy(traj.predictor), sol.y[:6].T, atol=tol)
    np.testing.assert_allclose(_backend.to_numpy(traj.features), d * sol.y[6:].T ** 2, atol=tol)


def test_trajectory_limits_follow_the_basins(xp):
    d = np.ones(5)
    fp = byol_fixed_points(d, noise_variance=0.5, weight_decay=0.1)
    pm, pp = float(fp.basin_threshold[0]), float(fp.predictor[0])
    p0 = np.array([pm * 1.01, pm * 0.99, 2.0, -0.3, pp])
    traj = byol_mode_trajectory(
        xp.asarray(p0),
        xp.asarray([0.0, 1e4]),
        data_eigenvalues=xp.asarray(d),
        noise_variance=0.5,
        weight_decay=0.1,
    )
    np.testing.assert_allclose(_backend.to_numpy(traj.limit), [pp, 0.0, pp, 0.0, pp], atol=1e-15)
    np.testing.assert_allclose(_backend.to_numpy(traj.predictor)[0], p0, rtol=0)
    # the rest point p₊ does not move
    assert float(_backend.to_numpy(traj.predictor)[1, 4]) == pp


def test_directpred_predictor_gives_the_same_mode_dynamics(rng):
    """A predictor *set* to sqrt of the augmented correlation, W trained by its flow: p(t) equals the
    balanced gradient-trained p(t) of byol_mode_trajectory (derived equivalence)."""
    k, sigma2, eta = 3, 0.5, 0.06
    d = np.array([1.8, 1.0, 0.4])
    u, v = _rotation(rng, k), _rotation(rng, k)
    x = (u * d) @ u.T
    p0 = np.array([1.1, 0.9, 0.8])
    w0 = (v * (p0 / np.sqrt(d + sigma2))) @ u.T  # so that sqrt(eig(W(X+σ²)Wᵀ)) = p0
    xa = x + sigma2 * np.eye(k)

    def rhs(_, y):
        w = y.reshape(k, k)
        wp = directpred_predictor(w @ xa @ w.T, normalize=False)
        g = w @ x - wp @ w @ xa
        return (wp.T @ g - eta * w).ravel()

    times = np.linspace(0.0, 60.0, 7)
    sol = solve_ivp(rhs, (0.0, times[-1]), w0.ravel(), t_eval=times, **_ODE)
    got = np.array(
        [
            np.sort(np.sqrt(np.maximum(np.linalg.eigvalsh(y.reshape(k, k) @ xa @ y.reshape(k, k).T), 0)))[
                ::-1
            ]
            for y in sol.y.T
        ]
    )
    traj = byol_mode_trajectory(p0, times, data_eigenvalues=d, noise_variance=sigma2, weight_decay=eta)
    # sqrt of eigenvalues that go to 0: the collapsing mode's p is known to ~sqrt(atol) only
    np.testing.assert_allclose(got, np.sort(traj.predictor, axis=1)[:, ::-1], atol=1e-6)


def test_normalised_directpred_collapses_the_squared_loss(rng):
    """normalize=True pins the top p at 1 + ε: with σ² > 0 every mode of the L2 model decays."""
    k, sigma2, eta, lr = 3, 0.3, 0.0, 0.1
    d = np.array([1.5, 1.0, 0.5])
    u = _rotation(rng, k)
    x = (u * d) @ u.T
    w = rng.standard_normal((k, k))
    xa = x + sigma2 * np.eye(k)
    start = np.linalg.norm(w)
    for _ in range(3000):
        wp = directpred_predictor(w @ xa @ w.T, eps=0.1)
        w = w + lr * (wp.T @ (w @ x - wp @ w @ xa) - eta * w)
    assert np.linalg.norm(w) < 1e-3 * start


# ----------------------------------------------------------------------------- balancing
@pytest.mark.parametrize(("alpha", "beta"), [(1.0, None), (2.5, None), (0.7, 1.3)])
def test_balance_decays_exactly_under_the_matrix_flow(xp, rng, alpha, beta):
    n, d, sigma2, eta = 3, 4, 0.4, 0.09
    x = rng.standard_normal((d, d))
    x = x @ x.T / d
    wp, w = rng.standard_normal((n, n)), rng.standard_normal((n, d)) / 2
    state = np.concatenate([wp.ravel(), w.ravel()] + ([] if beta is None else [w.ravel()]))
    times = np.linspace(0.0, 20.0, 6)
    f = _matrix_flow(x, sigma2, eta, alpha, beta)
    sol = solve_ivp(lambda _, y: f(y, n, d), (0.0, times[-1]), state, t_eval=times, **_ODE)
    c0 = balance_quantity(xp.asarray(wp), xp.asarray(w), predictor_lr_ratio=alpha)
    pred = _backend.to_numpy(balance_decay(c0, xp.asarray(times), weight_decay=eta))
    assert pred.shape == (6, n, n)
    for k, y in enumerate(sol.y.T):
        wp_t, w_t = y[: n * n].reshape(n, n), y[n * n : n * n + n * d].reshape(n, d)
        c_t = wp_t.T @ wp_t - alpha * w_t @ w_t.T
        np.testing.assert_allclose(c_t, pred[k], atol=_ODE_TOL * max(1.0, np.abs(c_t).max()))


def test_balance_one_gradient_step_identity(rng):
    """C₁ = (1 − lrη)² C₀ + lr²α_p(α_p W GᵀG Wᵀ − W_pᵀ G Gᵀ W_p) exactly, for one GD step."""
    n, d, sigma2, eta, alpha, lr = 3, 4, 0.4, 0.09, 1.8, 0.05
    x = rng.standard_normal((d, d))
    x = x @ x.T / d
    wp, w = rng.standard_normal((n, n)), rng.standard_normal((n, d))
    g = w @ x - wp @ w @ (x + sigma2 * np.eye(d))
    run = byol_claims._Run(wp[None], w[None], x[None], sigma2=sigma2, eta=eta, lr=lr, alpha=alpha)
    run.step()
    c1 = balance_quantity(run.wp[0], run.w[0], predictor_lr_ratio=alpha)
    c0 = balance_quantity(wp, w, predictor_lr_ratio=alpha)
    gw = g @ w.T
    forcing = lr**2 * alpha * (alpha * gw.T @ gw - wp.T @ g @ g.T @ wp)
    discrete = balance_decay(c0, np.array([lr]), weight_decay=eta, learning_rate=lr)[0]
    np.testing.assert_allclose(c1, discrete + forcing, atol=1e-13)


# ----------------------------------------------------------------------------- DirectPred
def test_directpred_predictor_matches_its_definition(xp, rng):
    a = rng.standard_normal((5, 5))
    f = a @ a.T
    f[0] *= 1.0
    s, u = np.linalg.eigh(f)
    ref = (u * (np.sqrt(np.maximum(s, 0) / s.max()) + 0.1)) @ u.T
    got = directpred_predictor(xp.asarray(f), eps=0.1)
    np.testing.assert_allclose(_backend.to_numpy(got), ref, atol=1e-12)
    raw = directpred_predictor(xp.asarray(f), normalize=False)
    np.testing.assert_allclose(_backend.to_numpy(raw) @ _backend.to_numpy(raw), f, atol=1e-11)


# ----------------------------------------------------------------------------- API conventions
def test_namespace_and_dtype_are_preserved(xp):
    d = xp.asarray([1.0, 0.5])
    fp = byol_fixed_points(d, noise_variance=0.5, weight_decay=0.1)
    for arr in (fp.predictor, fp.basin_threshold, fp.features, collapse_boundary(d, noise_variance=0.1)):
        assert array_api_compat.array_namespace(arr) is array_api_compat.array_namespace(d)
        assert arr.dtype == xp.float64
    traj = byol_mode_trajectory(
        xp.asarray([1.0, 0.2]),
        xp.asarray([0.0, 1.0]),
        data_eigenvalues=d,
        noise_variance=0.5,
        weight_decay=0.1,
    )
    assert array_api_compat.array_namespace(traj.predictor) is array_api_compat.array_namespace(d)
    m = xp.asarray(np.eye(3))
    assert array_api_compat.array_namespace(balance_quantity(m, m)) is array_api_compat.array_namespace(m)
    assert array_api_compat.array_namespace(directpred_predictor(m)) is array_api_compat.array_namespace(m)
    ints = byol_fixed_points(xp.asarray([1, 2]), noise_variance=0.5, weight_decay=0.1)
    assert ints.predictor.dtype == xp.float64


def test_bad_input(xp):
    d = xp.asarray([1.0])
    with pytest.raises(ValueError, match="data_eigenvalues must be non-negative"):
        byol_fixed_points(xp.asarray([-1.0]), noise_variance=0.1, weight_decay=0.1)
    with pytest.raises(ValueError, match="data_eigenvalues must be a 1-D"):
        byol_fixed_points(xp.asarray([[1.0]]), noise_variance=0.1, weight_decay=0.1)
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        byol_fixed_points(d, noise_variance=0.1, weight_decay=-0.1)
    with pytest.raises(ValueError, match="predictor_lr_ratio must be > 0"):
        byol_fixed_points(d, noise_variance=0.1, weight_decay=0.1, predictor_lr_ratio=0.0)
    with pytest.raises(TypeError, match="noise_variance must be a real number"):
        byol_fixed_points(d, noise_variance="0.1", weight_decay=0.1)
    with pytest.raises(ValueError, match="data_eigenvalues must be finite"):
        byol_fixed_points(xp.asarray([math.nan]), noise_variance=0.1, weight_decay=0.1)
    with pytest.raises(ValueError, match="exactly one of noise_variance"):
        collapse_boundary(d)
    with pytest.raises(ValueError, match="exactly one of noise_variance"):
        collapse_boundary(d, noise_variance=0.1, weight_decay=0.1)
    with pytest.raises(ValueError, match="needs the target"):
        byol_mode_odes(d, d, data_eigenvalues=d, noise_variance=0.1, weight_decay=0.1, ema_rate=1.0)
    with pytest.raises(ValueError, match="ema_rate is None"):
        byol_mode_odes(d, d, d, data_eigenvalues=d, noise_variance=0.1, weight_decay=0.1)
    with pytest.raises(ValueError, match="ema_rate must be > 0"):
        byol_mode_odes(d, d, d, data_eigenvalues=d, noise_variance=0.1, weight_decay=0.1, ema_rate=0.0)
    with pytest.raises(ValueError, match="times must be non-negative"):
        byol_mode_trajectory(d, xp.asarray([-1.0]), data_eigenvalues=d, noise_variance=0.1, weight_decay=0.1)
    with pytest.raises(ValueError, match="must have the same shape"):
        byol_mode_trajectory(
            xp.asarray([1.0, 2.0]),
            xp.asarray([1.0]),
            data_eigenvalues=d,
            noise_variance=0.1,
            weight_decay=0.1,
        )
    with pytest.raises(ValueError, match="data_eigenvalues must be > 0"):
        byol_mode_trajectory(
            d, xp.asarray([1.0]), data_eigenvalues=xp.asarray([0.0]), noise_variance=0.1, weight_decay=0.1
        )
    with pytest.raises(ValueError, match="must share n"):
        balance_quantity(xp.asarray(np.eye(2)), xp.asarray(np.eye(3)))
    with pytest.raises(ValueError, match="predictor_weights must be a square"):
        balance_quantity(xp.asarray(np.ones((2, 3))), xp.asarray(np.eye(2)))
    with pytest.raises(ValueError, match="learning_rate · weight_decay must be < 1"):
        balance_decay(d, xp.asarray([1.0]), weight_decay=2.0, learning_rate=1.0)
    with pytest.raises(ValueError, match="correlation must be symmetric"):
        directpred_predictor(xp.asarray([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="no positive eigenvalue"):
        directpred_predictor(xp.asarray(np.zeros((2, 2))))
    with pytest.raises(TypeError, match="normalize must be a bool"):
        directpred_predictor(xp.asarray(np.eye(2)), normalize=1)
    if _backend.backend_name(xp) != "numpy":
        with pytest.raises(TypeError, match="different array libraries"):
            byol_mode_odes(d, np.asarray([1.0]), data_eigenvalues=d, noise_variance=0.1, weight_decay=0.1)


# ----------------------------------------------------------------------------- the claims
@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_claim_passes(xp, claim_id):
    claim = claims.get(claim_id)
    assert claim.gating
    assert claim.plot is not None
    assert claim.figure_caption
    for v in claims.run_claim(claim, xp=xp, seed=0, quick=True):
        assert v.passed, f"{v.problem}: {v.message or (v.predicted, v.measured, v.error, v.tolerance)}"


@pytest.mark.parametrize("claim_id", CLAIM_IDS)
@settings(max_examples=3)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_claim_passes_for_drawn_seeds(claim_id, seed):
    import array_api_compat.numpy as xnp

    for v in claims.run_claim(claims.get(claim_id), xp=xnp, seed=seed, quick=True):
        assert v.passed, f"seed {seed}, {v.problem}: {v.message or (v.error, v.tolerance)}"


def _fails(claim, xp, seed=0):
    verdicts = claims.run_claim(claim, xp=xp, seed=seed, quick=True)
    return verdicts and not all(v.passed for v in verdicts)


def test_wrong_fixed_points_fail(xp):
    """The unstable root p₋ in place of p₊, and the paper's isotropic formula (d = 1) on anisotropic data."""
    claim = claims.get("dynamics.byol.fixed_points")

    def unstable(problem, xp):
        prm = dict(problem.params)
        d = problem.data["data_eigenvalues"]
        fp = byol_fixed_points(d, noise_variance=prm["sigma2"], weight_decay=prm["eta"])
        pm = np.where(fp.exists, fp.basin_threshold, 0.0)
        return byol_claims._top_spectrum(
            d, pm, fp.exists, prm["n"], prm["alpha"], lambda dk, pk: dk * pk * pk / prm["alpha"]
        )

    def isotropic(problem, xp):
        prm = dict(problem.params)
        d = problem.data["data_eigenvalues"]
        fp = byol_fixed_points(np.ones_like(d), noise_variance=prm["sigma2"], weight_decay=prm["eta"])
        return byol_claims._top_spectrum(
            d, fp.predictor, fp.exists, prm["n"], prm["alpha"], lambda dk, pk: dk * pk * pk / prm["alpha"]
        )

    assert _fails(dataclasses.replace(claim, predict=unstable), xp)
    assert _fails(dataclasses.replace(claim, predict=isotropic), xp)


def test_wrong_collapse_boundary_fails(xp):
    claim = claims.get("dynamics.byol.collapse_boundary")
    right = claim.predict
    # the paper's d = 1 constant applied as η* = 1/(4(1+σ²)) to every mode, and a 5 % shift
    iso = dataclasses.replace(claim, predict=lambda p, xp: np.full(3, 1.0 / (4 * (1 + p.params["sigma2"]))))
    shifted = dataclasses.replace(claim, predict=lambda p, xp: 1.05 * right(p, xp))
    assert _fails(iso, xp)
    assert _fails(shifted, xp)


def test_wrong_balance_rate_fails(xp):
    claim = claims.get("dynamics.byol.balance_decay")
    right = claim.predict

    def rate(factor):
        def predict(problem, xp):
            times, _ = byol_claims._balance_times(problem)
            base = right(problem, xp)
            return base[0] * np.exp(-factor * problem.params["eta"] * times)

        return predict

    for factor in (1.0, 2.05, 4.0):  # e^{−ηt}, a 2.5 % faster rate, e^{−4ηt}
        assert _fails(dataclasses.replace(claim, predict=rate(factor)), xp)


def test_wrong_trajectory_fails(xp):
    """The trajectory without the weight-decay term in the bracket, or with σ² dropped."""
    claim = claims.get("dynamics.byol.mode_trajectory")

    def without(field):
        def predict(problem, xp):
            prm = dict(problem.params)
            times, _ = byol_claims._trajectory_times(problem)
            kw = {"noise_variance": prm["sigma2"], "weight_decay": prm["eta"]}
            kw[field] = 0.0
            traj = byol_mode_trajectory(
                problem.data["p0"],
                times,
                data_eigenvalues=problem.data["data_eigenvalues"],
                predictor_lr_ratio=prm["alpha"],
                **kw,
            )
            return np.sort(traj.predictor, axis=1)[:, ::-1]

        return predict

    assert _fails(dataclasses.replace(claim, predict=without("weight_decay")), xp)
    assert _fails(dataclasses.replace(claim, predict=without("noise_variance")), xp)


def test_wrong_directpred_features_fail(xp):
    """The gradient-trained relation s = d p² (α_p = 1) in place of DirectPred's d p²/(d + σ²)."""
    claim = claims.get("dynamics.byol.directpred_fixed_points")

    def gradient_trained(problem, xp):
        prm = dict(problem.params)
        d = problem.data["data_eigenvalues"]
        fp = byol_fixed_points(d, noise_variance=prm["sigma2"], weight_decay=prm["eta"])
        return byol_claims._top_spectrum(
            d, fp.predictor, fp.exists, prm["n"], 1.0, lambda dk, pk: dk * pk * pk
        )

    assert _fails(dataclasses.replace(claim, predict=gradient_trained), xp)


@pytest.mark.xfail(
    strict=True,
    reason="the decoupled basin rule (mode j survives iff p_j(0) > p₋(d_j)) is false on the full matrices: "
    "a surviving predictor direction takes over a larger unused data direction (docs/dynamics_byol.md)",
)
def test_decoupled_basin_rule_on_the_full_matrices():
    """Aligned start, the second-largest mode in its trivial basin: the decoupled rule predicts that this
    mode collapses and the smaller ones survive; GD on the full matrices learns the top directions."""
    rng = np.random.default_rng(0)
    d = np.array([2.0, 1.5, 1.0, 0.6, 0.3])
    sigma2, eta = 0.5, 0.08
    fp = byol_fixed_points(d, noise_variance=sigma2, weight_decay=eta)
    p0 = np.array([1.0, 0.05, 1.0, 1.0, 1.0])
    assert float(fp.basin_threshold[1]) > 0.05  # mode 2 starts in its trivial basin
    x, wp, w = byol_claims._aligned(rng, d, 5, p0, 1.0, perturb=0.0)  # rounding is the only perturbation
    run = byol_claims._Run(wp[None], w[None], x[None], sigma2=sigma2, eta=eta, lr=0.1)
    run.run(6000)
    p, _ = byol_claims._spectra(run)
    survive = fp.exists & (p0 > fp.basin_threshold)
    decoupled = np.sort(np.where(survive, fp.predictor, 0.0))[::-1]
    np.testing.assert_allclose(p, decoupled, atol=1e-4)


def test_full_matrices_learn_the_top_directions_instead():
    """The same run against the derived rule: 3 live predictor directions end on the top 3 data directions."""
    rng = np.random.default_rng(0)
    d = np.array([2.0, 1.5, 1.0, 0.6, 0.3])
    sigma2, eta = 0.5, 0.08
    fp = byol_fixed_points(d, noise_variance=sigma2, weight_decay=eta)
    x, wp, w = byol_claims._aligned(rng, d, 5, np.array([1.0, 0.05, 1.0, 1.0, 1.0]), 1.0, perturb=0.0)
    run = byol_claims._Run(wp[None], w[None], x[None], sigma2=sigma2, eta=eta, lr=0.1)
    run.converge(max_steps=60_000)
    p, _ = byol_claims._spectra(run)
    expected = np.concatenate([fp.predictor[:3], np.zeros(2)])
    np.testing.assert_allclose(p, expected, atol=1e-6)


def test_unused_direction_growth_rate(rng):
    """The instability behind it: a surviving predictor eigenvalue p grows an unused direction k at rate
    p(d_k − p(d_k + σ²)) − η, measured by finite differences of the full flow around the aligned state."""
    d = np.array([2.0, 0.6])
    sigma2, eta = 0.5, 0.08
    fp = byol_fixed_points(d, noise_variance=sigma2, weight_decay=eta)
    p = float(fp.predictor[1])
    u, v = _rotation(rng, 2), _rotation(rng, 2)
    x = (u * d) @ u.T
    # slot 1 at rest on direction 2, slot 2 dead; perturb W along v_1 u_1ᵀ (direction 1 unused)
    wp = (v * np.array([p, 0.0])) @ v.T
    w = (v * np.array([p, 0.0])) @ np.stack([u[:, 1], u[:, 0]], axis=1).T
    f = _matrix_flow(x, sigma2, eta, 1.0)
    e = np.outer(v[:, 0], u[:, 0])
    h = 1e-7
    rate = (
        f(np.concatenate([wp.ravel(), (w + h * e).ravel()]), 2, 2)
        - f(np.concatenate([wp.ravel(), (w - h * e).ravel()]), 2, 2)
    )[4:].reshape(2, 2) / (2 * h)
    got = float(v[:, 0] @ rate @ u[:, 0])
    assert abs(got - (p * (d[0] - p * (d[0] + sigma2)) - eta)) < 1e-7
    assert got > 0


def test_plots_draw():
    import matplotlib

    matplotlib.use("Agg")
    import array_api_compat.numpy as xnp
    import matplotlib.pyplot as plt

    for claim_id in CLAIM_IDS:
        claim = claims.get(claim_id)
        fig, ax = plt.subplots()
        claim.plot(claims.run_claim(claim, xp=xnp, seed=0, quick=True), ax)
        assert ax.has_data()
        plt.close(fig)

"""Stepwise learning in linear Barlow Twins (arXiv:2303.15438): closed forms against ODE solves,
gradient flow of the loss, gradient descent with ssltheory.nets, bad input, and the claims."""

from __future__ import annotations

import dataclasses
import math
import warnings

import array_api_compat
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import ssltheory.claims._dynamics_stepwise  # noqa: F401  (registers the claims)
from ssltheory import _backend, claims
from ssltheory._warnings import DegenerateSpectrumWarning
from ssltheory.dynamics._stepwise import (
    StepwiseModes,
    StepwiseTrajectory,
    stepwise_final_weights,
    stepwise_gamma,
    stepwise_learning_times,
    stepwise_modes,
    stepwise_trajectory,
)

CLAIM_IDS = [
    "dynamics.stepwise.aligned_trajectory",
    "dynamics.stepwise.learning_order",
    "dynamics.stepwise.final_weights",
    "dynamics.stepwise.random_init",
]
# solve_ivp (DOP853) at rtol 1e-11, atol 1e-13 on O(1) quantities: global error ~1e-10; the
# comparisons below allow 1e-8
_ODE = {"method": "DOP853", "rtol": 1e-11, "atol": 1e-13}
_ODE_TOL = 1e-8


def _orthogonal(rng, n):
    return np.linalg.qr(rng.standard_normal((n, n)))[0]


def _gamma(rng, lam):
    v = _orthogonal(rng, lam.size)
    return (v * lam) @ v.T, v


def _flow(gamma, w0, t_eval):
    """Gradient flow dW/dt = −4(WΓWᵀ − I)WΓ of ‖WΓWᵀ − I‖²_F, integrated on the host."""
    d, m = w0.shape

    def rhs(_, y):
        w = y.reshape(d, m)
        c = w @ gamma @ w.T
        return (-4 * (c - np.eye(d)) @ w @ gamma).ravel()

    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), w0.ravel(), t_eval=t_eval, **_ODE)
    assert sol.success
    return sol.y.T.reshape(-1, d, m)


# ----------------------------------------------------------------------------- closed form vs ODE
def test_trajectory_solves_the_singular_value_ode(xp, rng):
    lam = np.array([2.5, 1.0, 0.3, 0.0, -0.7])
    s0 = np.array([1e-3, 0.05, 2.0, 0.4, 0.8])  # includes a start above 1/√λ (c decreases to 1)
    t = np.linspace(0.0, 4.0, 21)

    def rhs(_, s):
        return -4 * lam * s * (lam * s**2 - 1)

    ref = solve_ivp(rhs, (0.0, 4.0), s0, t_eval=t, **_ODE).y.T
    traj = stepwise_trajectory(xp.asarray(lam), xp.asarray(t), init_scale=xp.asarray(s0))
    assert isinstance(traj, StepwiseTrajectory)
    np.testing.assert_allclose(_backend.to_numpy(traj.singular_values), ref, rtol=_ODE_TOL, atol=_ODE_TOL)
    np.testing.assert_allclose(
        _backend.to_numpy(traj.eigenvalues), lam * ref**2, rtol=_ODE_TOL, atol=_ODE_TOL
    )
    np.testing.assert_allclose(
        _backend.to_numpy(traj.loss), np.sum((lam * ref**2 - 1) ** 2, axis=1), rtol=_ODE_TOL, atol=_ODE_TOL
    )


def test_trajectory_is_the_gradient_flow_of_the_loss(rng):
    """Full matrix flow from an aligned W(0) = U S(0) V_dᵀ: eigenvalues of C(t) = closed form."""
    lam = np.array([2.0, 1.1, 0.6, 0.2, -0.5])
    gamma, v = _gamma(rng, lam)
    d = 3
    u = _orthogonal(rng, d)
    s0 = np.array([3e-3, 1e-2, 5e-3])
    w0 = (u * s0) @ v[:, :d].T
    t = np.linspace(0.0, 6.0, 31)
    ws = _flow(gamma, w0, t)
    c_flow = np.array([np.linalg.eigvalsh(w @ gamma @ w.T)[::-1] for w in ws])
    traj = stepwise_trajectory(lam[:d], t, init_scale=s0)
    c_closed = -np.sort(-traj.eigenvalues, axis=1)  # the curves cross: compare sorted spectra
    np.testing.assert_allclose(c_flow, c_closed, atol=_ODE_TOL)
    # C(t) stays diagonal in the basis U (the flow stays aligned)
    rot = np.einsum("ji,tjk,kl->til", u, np.einsum("tij,jk,tlk->til", ws, gamma, ws), u)
    np.testing.assert_allclose(rot, np.einsum("ti,ij->tij", traj.eigenvalues, np.eye(d)), atol=_ODE_TOL)


def test_redundancy_weight_is_irrelevant_when_u_is_the_identity(rng):
    """Σ(C_kk − 1)² + α Σ_{k≠l} C_kl², α = 0.0051 (the reference Barlow Twins weight): from
    W(0) = S(0)V_dᵀ (U = I) C stays diagonal, the gradient is the α = 1 one, the closed form holds."""
    lam = np.array([1.8, 0.9, 0.3, -0.2])
    gamma, v = _gamma(rng, lam)
    d, alpha = 2, 0.0051
    s0 = np.array([2e-3, 4e-3])
    w0 = s0[:, None] * v[:, :d].T

    def rhs(_, y):
        w = y.reshape(d, 4)
        c = w @ gamma @ w.T
        mask = np.eye(d) + alpha * (1 - np.eye(d))
        return (-4 * (mask * (c - np.eye(d))) @ w @ gamma).ravel()

    t = np.linspace(0.0, 5.0, 11)
    ws = solve_ivp(rhs, (0.0, 5.0), w0.ravel(), t_eval=t, **_ODE).y.T.reshape(-1, d, 4)
    c = np.einsum("tij,jk,tlk->til", ws, gamma, ws)
    traj = stepwise_trajectory(lam[:d], t, init_scale=s0)
    np.testing.assert_allclose(c, np.einsum("ti,ij->tij", traj.eigenvalues, np.eye(d)), atol=_ODE_TOL)


def test_learning_times_are_the_threshold_crossings_of_the_flow(rng):
    lam = np.array([1.7, 0.9, 0.4])
    s0 = np.array([1e-3, 2e-3, 5e-3])
    theta = 0.3

    def rhs(_, s):
        return -4 * lam * s * (lam * s**2 - 1)

    times = stepwise_learning_times(lam, init_scale=s0, threshold=theta)
    for j in range(3):

        def event(_, s, j=j):
            return lam[j] * s[j] ** 2 - theta

        event.terminal = True
        sol = solve_ivp(rhs, (0.0, 50.0), s0, events=event, **_ODE)
        assert sol.t_events[0].size == 1
        assert abs(sol.t_events[0][0] - times[j]) <= _ODE_TOL * max(1.0, times[j])


def test_learning_time_leading_term():
    """t_j(1/2) = (1/(4λ)) log(1/s0) − log(λ)/(8λ) + O(λ s0²): the step-time rule, our constant."""
    lam = np.array([3.0, 1.0, 0.25])
    for s0 in (1e-4, 1e-6):
        t = stepwise_learning_times(lam, init_scale=s0)
        approx = np.log(1 / s0) / (4 * lam) - np.log(lam) / (8 * lam)
        # the remainder is log(1 − λs0²)/(8λ) ≈ −s0²/8: below 1e-8 here
        np.testing.assert_allclose(t, approx, atol=1e-8)


@given(
    lam=st.floats(0.05, 5.0),
    s0=st.floats(1e-6, 0.3),
    t=st.floats(0.0, 3.0),
)
def test_logit_grows_linearly(xp, lam, s0, t):
    c0 = lam * s0**2
    if c0 >= 0.99:
        return
    traj = stepwise_trajectory(xp.asarray([lam]), xp.asarray([t]), init_scale=s0)
    c = float(traj.eigenvalues[0, 0])
    if c >= 1 - 1e-9:  # logit of a value rounded to 1 is not resolvable
        return
    gap = (math.log(c) - math.log1p(-c)) - (math.log(c0) - math.log1p(-c0))
    # logit(c(t)) − logit(c0) = 8λt; rounding of c ~ eps amplified by 1/(c(1 − c)) <= 1e9·eps
    assert abs(gap - 8 * lam * t) <= 1e-6 * max(1.0, 8 * lam * t)


def test_limits_at_infinite_time(xp):
    lam = xp.asarray([2.0, 0.0, -1.0])
    traj = stepwise_trajectory(lam, xp.asarray([0.0, math.inf]), init_scale=0.1)
    c = _backend.to_numpy(traj.eigenvalues)
    s = _backend.to_numpy(traj.singular_values)
    np.testing.assert_allclose(c[1], [1.0, 0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(s[1], [1 / math.sqrt(2.0), 0.1, 0.0], atol=1e-15)
    np.testing.assert_allclose(s[0], [0.1, 0.1, 0.1])
    assert not np.any(np.isnan(c))


def test_never_learned_modes(xp):
    times = stepwise_learning_times(
        xp.asarray([1.0, -1.0, 0.0, 2.0]), init_scale=xp.asarray([0.0, 0.1, 0.1, 1.0])
    )
    t = _backend.to_numpy(times)
    assert np.all(np.isinf(t[:3]))  # s0 = 0, λ < 0, λ = 0
    assert t[3] == 0.0  # c0 = 2 >= 1/2 already


# ----------------------------------------------------------------------------- modes and final weights
def test_modes_recover_an_aligned_init(xp, rng):
    lam = np.array([2.0, 1.2, 0.5, 0.1])
    gamma, v = _gamma(rng, lam)
    u = _orthogonal(rng, 2)
    s0 = np.array([1e-2, 3e-3])
    w0 = (u * s0) @ v[:, :2].T
    modes = stepwise_modes(xp.asarray(gamma), n_components=2, init_weights=xp.asarray(w0))
    assert isinstance(modes, StepwiseModes)
    np.testing.assert_allclose(_backend.to_numpy(modes.gamma_eigenvalues), lam[:2], rtol=1e-12)
    np.testing.assert_allclose(_backend.to_numpy(modes.init_scale), s0, rtol=1e-10)
    np.testing.assert_allclose(
        _backend.to_numpy(modes.rotation)
        * _backend.to_numpy(modes.init_scale)
        @ _backend.to_numpy(modes.components).T,
        w0,
        atol=1e-14,
    )
    # the rotation is U up to the eigenvector signs, which it absorbs
    signs = np.sign(np.sum(_backend.to_numpy(modes.components) * v[:, :2], axis=0))
    np.testing.assert_allclose(_backend.to_numpy(modes.rotation), u * signs, atol=1e-10)
    assert modes.misalignment <= 1e-12
    generic = stepwise_modes(
        xp.asarray(gamma), n_components=2, init_weights=xp.asarray(rng.standard_normal((2, 4)))
    )
    assert generic.misalignment > 0.1


def test_final_weights_are_where_gradient_flow_ends(xp, rng):
    lam = np.array([2.0, 1.0, 0.4, -0.3])
    gamma, v = _gamma(rng, lam)
    u = _orthogonal(rng, 3)
    w0 = (u * np.array([1e-2, 2e-2, 1e-2])) @ v[:, :3].T
    ws = _flow(gamma, w0, np.array([0.0, 60.0]))  # 8λ_3 t = 192: converged to rounding
    w_inf = _backend.to_numpy(
        stepwise_final_weights(xp.asarray(gamma), n_components=3, init_weights=xp.asarray(w0))
    )
    np.testing.assert_allclose(w_inf, ws[-1], atol=_ODE_TOL)
    np.testing.assert_allclose(w_inf @ gamma @ w_inf.T, np.eye(3), atol=1e-12)
    # without an init: U = I, and WᵀW = V_d Λ_d⁻¹ V_dᵀ (U-free)
    w_def = _backend.to_numpy(stepwise_final_weights(xp.asarray(gamma), n_components=3))
    np.testing.assert_allclose(w_def.T @ w_def, (v[:, :3] / lam[:3]) @ v[:, :3].T, atol=1e-12)
    np.testing.assert_allclose(w_def.T @ w_def, w_inf.T @ w_inf, atol=1e-12)


def test_final_weights_of_unlearnable_modes(rng):
    lam = np.array([1.5, 0.0, -0.5])
    gamma, v = _gamma(rng, lam)
    w0 = np.diag([0.1, 0.2, 0.3]) @ v.T  # aligned with U = I (v signs are absorbed)
    w_inf = stepwise_final_weights(gamma, n_components=3, init_weights=w0)
    ws = _flow(gamma, w0, np.array([0.0, 40.0]))
    # λ = 0 is frozen at s(0) = 0.2; λ < 0 decays like e^{-4|λ|t}(1 + …)^{-1/2}: 1e-35 at t = 40
    np.testing.assert_allclose(w_inf, ws[-1], atol=_ODE_TOL)
    s_inf = np.linalg.svd(w_inf, compute_uv=False)
    np.testing.assert_allclose(np.sort(s_inf), [0.0, 0.2, 1 / math.sqrt(1.5)], atol=1e-8)


def test_random_init_effective_scale_predicts_the_steps(rng):
    """The effective init |R_jj| (QR of W(0)V_d) against the gradient flow from a random W(0)."""
    lam = np.array([2.4, 1.3, 0.7, 0.2, -0.4, 0.1])
    gamma, v = _gamma(rng, lam)
    d = 3
    w0 = 1e-4 * rng.standard_normal((d, 6)) / math.sqrt(d)
    modes = stepwise_modes(gamma, n_components=d, init_weights=w0)
    t_pred = stepwise_learning_times(modes.gamma_eigenvalues, init_scale=modes.init_scale)
    t = np.linspace(0.0, 1.2 * t_pred[-1], 3000)
    ws = _flow(gamma, w0, np.concatenate([t, [t[-1] + 30.0]]))  # and on to convergence
    c = np.array([np.linalg.eigvalsh(w @ gamma @ w.T)[::-1] for w in ws[:-1]])
    t_meas = np.array([np.interp(0.5, c[:, j], t) for j in range(d)])  # c increases through 1/2
    # asymptotic argument (corrections O(e^{-4(λ_i − λ_j)t})); measured <= 1e-4 relative (5 seeds)
    np.testing.assert_allclose(t_meas, t_pred, rtol=1e-3)
    w_inf = stepwise_final_weights(gamma, n_components=d, init_weights=w0)
    # the end point is the small-init limit only up to the residual misalignment: measured <= 2e-2
    # on W and <= 2e-3 on the U-free representation WᵀW (5 seeds at this init scale)
    assert np.linalg.norm(ws[-1] - w_inf) <= 5e-2 * np.linalg.norm(w_inf)
    gram = w_inf.T @ w_inf
    np.testing.assert_allclose(gram, (v[:, :d] / lam[:d]) @ v[:, :d].T, atol=1e-12)
    assert np.linalg.norm(ws[-1].T @ ws[-1] - gram) <= 1e-2 * np.linalg.norm(gram)


def test_gamma_gives_the_embedding_cross_correlation(xp, rng):
    xa, xb = rng.standard_normal((20, 4)), rng.standard_normal((20, 4))
    g = stepwise_gamma(xp.asarray(xa), xp.asarray(xb))
    w = rng.standard_normal((2, 4))
    za, zb = xa @ w.T, xb @ w.T
    c = (za.T @ zb + zb.T @ za) / 40
    gh = _backend.to_numpy(g)
    np.testing.assert_array_equal(gh, gh.T)
    np.testing.assert_allclose(w @ gh @ w.T, c, rtol=1e-12, atol=1e-14)


def test_namespace_and_dtype_are_preserved(xp, rng):
    lam = xp.asarray(np.array([2.0, 1.0]), dtype=xp.float32)
    traj = stepwise_trajectory(lam, xp.asarray([0.0, 1.0], dtype=xp.float32), init_scale=1e-2)
    for arr in (traj.eigenvalues, traj.singular_values, traj.loss, traj.times):
        assert array_api_compat.array_namespace(arr) is array_api_compat.array_namespace(lam)
        assert arr.dtype == xp.float32
    gamma = xp.asarray(np.diag([2.0, 1.0, 0.5]))
    w = stepwise_final_weights(gamma, n_components=2)
    assert array_api_compat.array_namespace(w) is array_api_compat.array_namespace(gamma)
    assert tuple(w.shape) == (2, 3)
    times = stepwise_learning_times(xp.asarray([1.0]), init_scale=xp.asarray([0.1]))
    assert array_api_compat.array_namespace(times) is array_api_compat.array_namespace(gamma)


def test_tied_spectrum_warns(xp):
    gamma = xp.asarray(np.diag([2.0, 1.0, 1.0, 0.2]))
    with pytest.warns(DegenerateSpectrumWarning, match="eigenvalue of gamma"):
        stepwise_modes(gamma, n_components=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stepwise_modes(gamma, n_components=3)  # the tie lies inside the kept set: silent


# ----------------------------------------------------------------------------- bad input
def test_bad_input(xp):
    gamma = xp.asarray(np.diag([2.0, 1.0, 0.5]))
    with pytest.raises(ValueError, match="gamma must be a square"):
        stepwise_modes(xp.ones((2, 3)), n_components=1)
    with pytest.raises(ValueError, match="gamma must be symmetric"):
        stepwise_modes(xp.asarray([[1.0, 0.5], [0.0, 1.0]]), n_components=1)
    with pytest.raises(ValueError, match="n_components must be <= 3"):
        stepwise_modes(gamma, n_components=4)
    with pytest.raises(ValueError, match="n_components must be >= 1"):
        stepwise_modes(gamma, n_components=0)
    with pytest.raises(TypeError, match="n_components must be an integer"):
        stepwise_modes(gamma, n_components=1.5)
    with pytest.raises(ValueError, match="init_weights must have shape"):
        stepwise_modes(gamma, n_components=2, init_weights=xp.ones((3, 2)))
    with pytest.raises(ValueError, match="gamma must be finite"):
        stepwise_final_weights(xp.asarray([[1.0, math.nan], [math.nan, 1.0]]), n_components=1)
    with pytest.raises(ValueError, match="rtol must be in"):
        stepwise_final_weights(gamma, n_components=1, rtol=1.0)
    lam = xp.asarray([1.0, 2.0])
    with pytest.raises(ValueError, match="init_scale must be >= 0"):
        stepwise_trajectory(lam, xp.asarray([0.0]), init_scale=-1.0)
    with pytest.raises(ValueError, match="init_scale must have shape"):
        stepwise_trajectory(lam, xp.asarray([0.0]), init_scale=xp.asarray([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="init_scale must be"):
        stepwise_trajectory(lam, xp.asarray([0.0]), init_scale="small")
    with pytest.raises(ValueError, match="t must be >= 0"):
        stepwise_trajectory(lam, xp.asarray([-1.0]), init_scale=0.1)
    with pytest.raises(ValueError, match="t must not contain NaN"):
        stepwise_trajectory(lam, xp.asarray([math.nan]), init_scale=0.1)
    with pytest.raises(ValueError, match="gamma_eigenvalues must be a 1-D"):
        stepwise_trajectory(xp.ones((2, 2)), xp.asarray([0.0]), init_scale=0.1)
    with pytest.raises(ValueError, match="gamma_eigenvalues must be finite"):
        stepwise_learning_times(xp.asarray([math.inf]), init_scale=0.1)
    with pytest.raises(ValueError, match="threshold must be in"):
        stepwise_learning_times(lam, init_scale=0.1, threshold=1.0)
    with pytest.raises(ValueError, match="view_a and view_b must have the same shape"):
        stepwise_gamma(xp.ones((3, 2)), xp.ones((4, 2)))
    with pytest.raises(TypeError, match="different array libraries"):
        stepwise_gamma(np.ones((3, 2)), _backend.namespace_for("array_api_strict").ones((3, 2)))


# ----------------------------------------------------------------------------- claims
@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_claim_passes(xp, claim_id):
    claim = claims.get(claim_id)
    assert claim.gating is (claim_id != "dynamics.stepwise.random_init")
    for v in claims.run_claim(claim, xp=xp, seed=0, quick=True):
        assert v.passed, f"{v.problem}: {v.message or (v.predicted, v.measured, v.error, v.tolerance)}"


def _scaled_rate(factor):
    """A prediction with the rate 8λ replaced by 8λ·factor (e.g. the −¼∇ flow: factor 1/4)."""
    from ssltheory.claims._dynamics_stepwise import _modes, _trajectory_predict

    def predict(problem, xp):
        modes = _modes(problem, xp)
        wrong = dataclasses.replace(modes, gamma_eigenvalues=modes.gamma_eigenvalues * factor)
        out = _trajectory_predict(problem, xp, wrong)
        # the step times with only the rate changed (c(0) = λ s0² kept)
        lam = _backend.to_numpy(modes.gamma_eigenvalues)
        s0 = _backend.to_numpy(modes.init_scale)
        c0 = lam * s0**2
        out["times"] = -(np.log(c0) - np.log1p(-c0)) / (8 * lam * factor)
        out["init_scale"] = s0
        return out

    return predict


def _fails(claim, predict, xp):
    verdicts = claims.run_claim(dataclasses.replace(claim, predict=predict), xp=xp, seed=0, quick=True)
    return all(not v.passed for v in verdicts)


def test_wrong_trajectory_fails(xp):
    claim = claims.get("dynamics.stepwise.aligned_trajectory")
    assert _fails(claim, _scaled_rate(0.5), xp)  # rate 4λ
    assert _fails(claim, _scaled_rate(1.02), xp)  # a 2 % wrong constant is already caught


def test_wrong_step_times_fail(xp):
    claim = claims.get("dynamics.stepwise.learning_order")
    # the rule t_j ≈ (1/λ_j) log(1/s_j(0)) holds for the slower flow −¼∇L, not for −∇L
    assert _fails(claim, _scaled_rate(0.25), xp)
    from ssltheory.claims._dynamics_stepwise import _times_predict

    def reversed_order(problem, xp):
        out = _times_predict(problem, xp)
        out["times"] = out["times"][::-1].copy()  # smallest eigenvalue first
        return out

    assert _fails(claim, reversed_order, xp)


def test_wrong_final_weights_fail(xp):
    claim = claims.get("dynamics.stepwise.final_weights")
    from ssltheory.claims._dynamics_stepwise import _final_predict

    def no_rotation(problem, xp):  # U = I instead of the init's U
        a = problem.arrays(xp)
        w = stepwise_final_weights(stepwise_gamma(a["view_a"], a["view_b"]), n_components=a["init"].shape[0])
        return _backend.to_numpy(w)

    def inverse_not_sqrt(problem, xp):  # Λ^{-1} instead of Λ^{-1/2}: W∞ΓW∞ᵀ = Λ⁻¹
        w = _final_predict(problem, xp)
        lam = np.asarray(problem.params["lam"])
        u = np.asarray(problem.data["rotation"])
        return u @ np.diag(1 / np.sqrt(lam)) @ u.T @ w

    assert _fails(claim, no_rotation, xp)
    assert _fails(claim, inverse_not_sqrt, xp)


def test_wrong_random_init_prediction_fails(xp):
    claim = claims.get("dynamics.stepwise.random_init")
    assert _fails(claim, _scaled_rate(0.25), xp)


def test_plots_draw():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import array_api_compat.numpy as npx
    import matplotlib.pyplot as plt

    for claim_id in CLAIM_IDS:
        claim = claims.get(claim_id)
        verdicts = claims.run_claim(claim, xp=npx, seed=1, quick=True)
        fig, ax = plt.subplots()
        claim.plot(verdicts, ax)
        assert ax.lines, claim_id
        plt.close(fig)

"""The nets claims (trained networks vs closed forms, issue 4 part 5): hypothesis-drawn problems for
the linear W* claim, the tolerance derivations checked against independent computations, wrong
predictions caught, and the full (non-quick) versions behind ``slow``."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.linalg
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ssltheory import claims
from ssltheory.claims import Problem
from ssltheory.claims import _nets as nets_claims
from ssltheory.testing.strategies import data_matrices, graphs

NETS_IDS = [
    "nets.trained.linear_barlow_twins_cca",
    "nets.trained.linear_vicreg",
    "nets.trained.lower_bound",
    "nets.trained.rank",
    "nets.trained.simclr_simplex",
    "nets.trained.wide_mlp_gap",
]


def test_nets_claims_registered():
    ids = [c.id for c in claims.all_claims("nets")]
    assert ids == NETS_IDS
    for c in claims.all_claims("nets"):
        assert c.gating
        assert "issue 4 part 5" in c.spec


# --------------------------------------------------------------------------- linear VICReg, drawn data
def _linear_problem(x: np.ndarray, g: np.ndarray) -> Problem | None:
    """The claim's problem for drawn data: K at the largest gap of μ, threshold α/γ' in its middle."""
    n, d = x.shape
    xc = x - x.mean(axis=0)
    lap = np.diag(g.sum(axis=1)) - g
    mu = scipy.linalg.eigh(xc.T @ lap @ xc, xc.T @ xc, eigvals_only=True)
    if mu[0] <= 1e-8 * mu[-1]:
        return None
    ratios = mu[1:] / mu[:-1]
    k = int(np.argmax(ratios)) + 1
    # a clear gap and a bounded spread keep plain GD's condition number (hence its run time) small
    if ratios[k - 1] < 2.0 or mu[-1] / mu[k - 1] > 10.0:
        return None
    gamma = 1.0 / math.sqrt(mu[k - 1] * mu[k]) * n / (n - 1)
    params = {"k": k, "alpha": 1.0, "gamma": gamma, "n_steps": 20000}
    return Problem(f"drawn N={n} D={d} K={k}", {"x": x, "graph": g}, params)


@settings(max_examples=3)  # each example trains to ‖∇‖ <= 1e-9 (up to ~1 s); 3 per backend
@given(data=st.data())
def test_linear_vicreg_claim_on_drawn_data_and_graphs(xp, data):
    g = data.draw(
        graphs(
            family=("weighted", "binary", "knn", "augmentation"), min_nodes=8, max_nodes=16, connected=True
        )
    )
    x = data.draw(data_matrices(n_samples=g.shape[0], n_features=(2, 4), full_rank=True, max_condition=2.0))
    problem = _linear_problem(x, g)
    assume(problem is not None)
    verdict = claims.get("nets.trained.linear_vicreg").check(problem, xp=xp)
    assert verdict.passed, (verdict.message, verdict.details)


def test_linear_vicreg_claim_catches_a_wrong_weight(xp, rng):
    # the prediction for γ·(1 + 1e-3) is another W*: the trained network (true γ) must not match it
    claim = claims.get("nets.trained.linear_vicreg")
    problem = claim.problems(rng, True)[0]
    wrong = Problem(problem.name, problem.data, {**problem.params, "gamma": problem.params["gamma"] * 1.001})
    measured = claim.measure(problem, xp)
    assert claim.compare(claim.predict(problem, xp), measured, problem, xp).error <= 1.0
    assert claim.compare(claim.predict(wrong, xp), measured, problem, xp).error > 1.0


# ---------------------------------------------------------------- derivations behind the tolerances
@settings(max_examples=10)
@given(
    seed=st.integers(0, 2**32 - 1), k=st.integers(1, 4), extra=st.integers(0, 2), alpha=st.floats(0.5, 3.0)
)
def test_vicreg_curvature_matches_numerical_hessian(seed, k, extra, alpha):
    """_vicreg_curvature (the closed-form transverse curvature) = smallest non-zero Hessian
    eigenvalue of α‖VᵀV − I‖² + 2γ'Tr(VᵀΛV) at its optimum, by central differences."""
    rng = np.random.default_rng(seed)
    d = k + extra + 1
    lam = np.sort(rng.uniform(0.1, 2.0, d))
    assume(np.min(np.diff(lam)) > 0.05)
    gamma_p = rng.uniform(0.2, 0.9) * alpha / lam[min(k, d) - 1]  # c_k > 0 up to K, some kept
    c = np.clip(1 - gamma_p * lam[:k] / alpha, 0, None)
    assume(np.all(c > 0.05) and np.all(np.abs(gamma_p * lam - alpha) > 0.05 * alpha))
    v_star = np.zeros((d, k))
    v_star[np.arange(k), np.arange(k)] = np.sqrt(c)

    def grad(v):
        return 4 * alpha * v @ (v.T @ v - np.eye(k)) + 4 * gamma_p * lam[:, None] * v

    h, size = 1e-6, d * k
    hess = np.empty((size, size))
    for j in range(size):
        e = np.zeros(size)
        e[j] = h
        hess[:, j] = (grad(v_star + e.reshape(d, k)) - grad(v_star - e.reshape(d, k))).ravel() / (2 * h)
    values = np.linalg.eigvalsh(0.5 * (hess + hess.T))
    # central differences of a cubic gradient: truncation O(h²)·‖∇³‖ ~ 1e-11, rounding ~ eps/h ~ 1e-10
    nonzero = values[values > 1e-6 * values.max()]
    expected = nets_claims._vicreg_curvature(lam, c, alpha=alpha, gamma_p=gamma_p, k=k)
    assert expected == pytest.approx(nonzero.min(), rel=1e-6)
    # the null space is exactly the rotations O(K): K(K−1)/2 (nothing else is free)
    assert values.size - nonzero.size == k * (k - 1) // 2


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32 - 1))
def test_barlow_twins_angle_bound_is_global(seed):
    """sin²θ_D <= (L − L*)/(2(1−ρ1)(ρ1−ρ2)) for any w (the exact bound reported by the BT claim),
    against a direct evaluation of the BarlowTwins loss on Z = Xw."""
    from ssltheory.losses import BarlowTwinsLoss

    rng = np.random.default_rng(seed)
    problem = nets_claims._bt_problems(rng, True)[0]
    x, g = problem.data["x"], problem.data["graph"]
    deg = g.sum(axis=1)
    s_d, s_g = x.T @ (deg[:, None] * x), x.T @ g @ x
    rho, vecs = scipy.linalg.eigh(s_g, s_d)
    w_star = vecs[:, -1]
    w = w_star + rng.uniform(0.01, 1.0) * rng.standard_normal(w_star.shape)
    loss = float(BarlowTwinsLoss(eps=0.0)(x @ w[:, None], g))
    gap = loss - (1 - rho[-1]) ** 2
    cos = abs(w @ s_d @ w_star) / math.sqrt((w @ s_d @ w) * (w_star @ s_d @ w_star))
    sin2 = max(0.0, 1 - cos**2)
    bound = gap / (2 * (1 - rho[-1]) * (rho[-1] - rho[-2]))
    # both sides are O(1) quantities computed to ~1e-14; the slack covers their rounding
    assert sin2 <= bound + 1e-12


def test_transverse_curvature_of_simclr_sees_only_the_symmetries(rng):
    """At the simplex the SimCLR Hessian's null space is the N row scalings plus the rotations that
    move the simplex (checked for K = C − 1 and K = C); the rest is curved."""
    from ssltheory.losses import SimCLRLoss
    from ssltheory.spectral import simclr_embedding

    labels = np.repeat(np.arange(3), 3)
    g = (labels[:, None] == labels[None, :]).astype(float) - np.eye(labels.size)
    for k in (2, 3):
        u = np.asarray(simclr_embedding(g, n_components=k, temperature=0.5).embedding)
        m, n_null = nets_claims._transverse_curvature(SimCLRLoss(temperature=0.5), u, g)
        assert n_null == labels.size + k * (k - 1) // 2 - (k - 2) * (k - 3) // 2
        assert m > 0


# --------------------------------------------------------------------------- wrong predictions are caught
def test_lower_bound_claim_fails_for_a_too_high_optimum(xp, rng):
    claim = claims.get("nets.trained.lower_bound")
    problem = claim.problems(rng, True)[0]
    pred, meas = claim.predict(problem, xp), claim.measure(problem, xp)
    ok = claim.compare(pred, meas, problem, xp)
    assert ok.error <= ok.tolerance
    # a closed form whose loss were above a trained network's would be caught
    best = min(m["loss"] for m in meas.values())
    fake = dataclasses.replace(pred, loss=best + 1e-3)
    comp = claim.compare(fake, meas, problem, xp)
    assert comp.error > comp.tolerance


def test_rank_claim_fails_for_the_other_weight(xp, rng):
    claim = claims.get("nets.trained.rank")
    problem = claim.problems(rng, True)[0]
    meas = claim.measure(problem, xp)
    assert claim.compare(claim.predict(problem, xp), meas, problem, xp).error == 0.0
    other = 1.5 if problem.params["ratio"] == 0.5 else 0.5
    n = problem.data["graph"].shape[0]
    params = {**problem.params, "ratio": other, "gamma": other / 2 * n / (n - 1)}
    wrong = Problem(problem.name, problem.data, params)
    assert claim.compare(claim.predict(wrong, xp), meas, wrong, xp).error > 0.0


def test_simclr_claim_fails_against_a_non_simplex(xp, rng):
    claim = claims.get("nets.trained.simclr_simplex")
    problem = claim.problems(rng, True)[0]
    pred, meas = claim.predict(problem, xp), claim.measure(problem, xp)
    assert claim.compare(pred, meas, problem, xp).error <= 1.0
    # the same network output with one class moved by 1e-3 in angle breaks the cosines
    unit = meas["unit"].copy()
    rot = np.array([[math.cos(1e-3), -math.sin(1e-3)], [math.sin(1e-3), math.cos(1e-3)]])
    labels = problem.data["labels"]
    unit[labels == 0, :2] = unit[labels == 0, :2] @ rot.T
    assert claim.compare(pred, {**meas, "unit": unit}, problem, xp).error > 1.0


# --------------------------------------------------------------------------- full versions
@pytest.mark.slow
@pytest.mark.parametrize("claim_id", NETS_IDS)
def test_nets_claims_full(xp, claim_id, rng_seed):
    verdicts = claims.run_claim(claims.get(claim_id), xp=xp, seed=rng_seed, quick=False)
    failed = [v for v in verdicts if not v.passed]
    assert verdicts
    assert not failed, "\n".join(f"{v.problem}: {v.message or v.details}" for v in failed)

"""SIGReg / the Epps–Pulley statistic of LeJEPA (arXiv:2511.08544): closed forms against independent
computations (scipy.integrate.quad of the definitions, NumPy and PyTorch transcriptions of the paper's
Algorithm 1 and of the official code, autograd, finite differences, Monte Carlo), bad input, the
paper's Theorem 4 as stated (counter-example), and the claims with their 'wrong prediction fails'
checks."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

import ssltheory.claims._dynamics_sigreg  # noqa: F401  (registers the claims)
from ssltheory import _backend, claims
from ssltheory.dynamics._sigreg import (
    EppsPulleyExpectation,
    SIGRegResult,
    epps_pulley,
    epps_pulley_expectation,
    epps_pulley_grad,
    epps_pulley_null_variance,
    epps_pulley_optimal_scale,
    random_directions,
    sigreg,
)

CLAIM_IDS = [
    "dynamics.sigreg.closed_form",
    "dynamics.sigreg.descent_below_gaussian",
    "dynamics.sigreg.finite_sample_bias",
    "dynamics.sigreg.finite_sample_shrinkage",
    "dynamics.sigreg.gradient_bound",
    "dynamics.sigreg.moment_matched_non_gaussian",
    "dynamics.sigreg.null_expectation",
]
_EPS = float(np.finfo(np.float64).eps)
# Monte-Carlo checks in this file: 5 standard errors (false-failure rate ~6e-7 per check)
_MC_K = 5.0


def _np(a):
    return np.asarray(_backend.to_numpy(a))


def _quad_ep(x, beta):
    """N∫|φ̂_N − φ|² w over the real line by adaptive quadrature (the definition, nothing derived)."""
    x = np.asarray(x, dtype=float)

    def f(t):
        c = np.mean(np.cos(t * x)) - math.exp(-t * t / 2)
        s = np.mean(np.sin(t * x))
        return (c * c + s * s) * math.exp(-t * t / (2 * beta * beta))

    val, err = integrate.quad(f, -np.inf, np.inf, limit=1000, epsabs=1e-14, epsrel=1e-12)
    return x.size * val, x.size * err


def _paper_algorithm_1(x):
    """NumPy transcription of the paper's Algorithm 1 for one projection: trapz on linspace(−5, 5, 17)."""
    t = np.linspace(-5, 5, 17)
    exp_f = np.exp(-0.5 * t**2)
    ecf = np.exp(1j * x[:, None] * t).mean(0)
    err = np.abs(ecf - exp_f) ** 2 * exp_f
    return np.trapezoid(err, t) * x.size


def _official_code(x):
    """NumPy transcription of the official code (17 knots on [0, 3], weights doubled, window exp(−t²/2))."""
    t = np.linspace(0, 3, 17)
    dt = 3 / 16
    w = np.full(17, 2 * dt)
    w[[0, -1]] = dt
    phi = np.exp(-(t**2) / 2)
    xt = x[:, None] * t
    err = (np.cos(xt).mean(0) - phi) ** 2 + np.sin(xt).mean(0) ** 2
    return float(err @ (w * phi)) * x.size


# ----------------------------------------------------------------------------- the statistic
@pytest.mark.parametrize("beta", [1.0, 1 / math.sqrt(2), 2.0, 0.4])
def test_closed_form_matches_quadrature_of_the_definition(xp, rng_seed, beta):
    rng = np.random.default_rng(rng_seed)
    x = np.concatenate([rng.standard_normal(20), rng.uniform(-3, 3, 10)])
    value = float(epps_pulley(xp.asarray(x), bandwidth=beta))
    ref, err = _quad_ep(x, beta)
    # quad's error estimate plus the closed form's cancellation of O(N) terms of size √(2π)βN
    assert abs(value - ref) <= 4 * err + 64 * x.size**2 * _EPS * 2.6 * beta


def test_trapezoid_matches_the_papers_and_the_official_transcriptions(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    x = rng.standard_normal((50, 3)) * np.array([1.0, 0.5, 2.0])
    paper = _np(epps_pulley(xp.asarray(x), method="trapezoid"))
    official = _np(epps_pulley(xp.asarray(x), method="trapezoid", t_max=3.0, n_knots=33))
    for j in range(3):
        # the same finite sum in a different order: rounding only
        assert paper[j] == pytest.approx(_paper_algorithm_1(x[:, j]), rel=1e-12)
        assert official[j] == pytest.approx(_official_code(x[:, j]), rel=1e-12)


def test_even_number_of_knots_folds_correctly(xp, rng_seed):
    x = np.random.default_rng(rng_seed).standard_normal(30)
    t = np.linspace(-4, 4, 12)  # no knot at 0
    phi = np.exp(-(t**2) / 2)
    ecf = np.exp(1j * x[:, None] * t).mean(0)
    ref = np.trapezoid(np.abs(ecf - phi) ** 2 * phi, t) * x.size
    assert float(epps_pulley(xp.asarray(x), method="trapezoid", t_max=4.0, n_knots=12)) == pytest.approx(
        ref, rel=1e-12
    )


def test_papers_text_weight_is_bandwidth_one_over_sqrt2(xp, rng_seed):
    # §4.2.3: w(t) = exp(−t²/σ²) with σ = 1; Algorithm 1 uses exp(−t²/2), i.e. β = 1
    x = np.random.default_rng(rng_seed).standard_normal(15)

    def f(t):
        c = np.mean(np.cos(t * x)) - math.exp(-t * t / 2)
        return (c * c + np.mean(np.sin(t * x)) ** 2) * math.exp(-t * t)

    ref = x.size * integrate.quad(f, -np.inf, np.inf, epsabs=1e-14, epsrel=1e-12)[0]
    assert float(epps_pulley(xp.asarray(x), bandwidth=1 / math.sqrt(2))) == pytest.approx(ref, rel=1e-10)


@settings(max_examples=20)
@given(
    st.lists(st.floats(-6, 6, allow_nan=False), min_size=1, max_size=12),
    st.floats(0.2, 3.0),
)
def test_properties_nonnegative_symmetric_permutation_invariant(xp, values, beta):
    x = np.asarray(values)
    ep = float(epps_pulley(xp.asarray(x), bandwidth=beta))
    scale = 64 * x.size**2 * _EPS * 2.6 * beta  # rounding of the closed form's cancellation
    assert ep >= -scale
    assert float(epps_pulley(xp.asarray(-x), bandwidth=beta)) == pytest.approx(ep, abs=scale)
    assert float(epps_pulley(xp.asarray(x[::-1].copy()), bandwidth=beta)) == pytest.approx(ep, abs=scale)


def test_namespace_device_and_dtype_are_preserved(xp):
    x = xp.asarray(np.linspace(-2, 2, 9), dtype=xp.float32)
    for method in ("exact", "trapezoid"):
        v = epps_pulley(x, method=method)
        g = epps_pulley_grad(x, method=method)
        assert _backend.get_namespace(v) is _backend.get_namespace(x)
        assert v.dtype == xp.float32
        assert g.dtype == xp.float32
        assert v.shape == ()
        assert g.shape == (9,)
        assert _backend.device(g) == _backend.device(x)
        # float32 agrees with float64 to its own rounding
        ref = float(epps_pulley(xp.asarray(np.linspace(-2, 2, 9)), method=method))
        assert float(v) == pytest.approx(ref, rel=1e-4)
    two = epps_pulley(xp.ones((5, 3)))
    assert two.shape == (3,)


def test_integer_input_is_promoted(xp):
    assert float(epps_pulley(xp.asarray([-1, 0, 1]))) == pytest.approx(
        float(epps_pulley(xp.asarray([-1.0, 0.0, 1.0])))
    )


def test_large_projection_counts_are_blocked_consistently(xp, rng_seed):
    # N = 64: 1024 projections per block of the pairwise kernel; 3000 columns span three blocks
    x = np.random.default_rng(rng_seed).standard_normal((64, 3000))
    full = _np(epps_pulley(xp.asarray(x)))
    assert np.allclose(
        full[[0, 1500, 2999]], [float(epps_pulley(xp.asarray(x[:, j]))) for j in (0, 1500, 2999)]
    )


# ----------------------------------------------------------------------------- gradients
def test_gradient_matches_torch_autograd_of_both_forms(rng_seed):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(rng_seed).standard_normal((25, 2))
    t = torch.tensor(x, requires_grad=True)
    d = t[:, None, :] - t[None, :, :]
    n = x.shape[0]
    exact = math.sqrt(2 * math.pi) * (
        torch.exp(-0.5 * d**2).sum((0, 1)) / n
        - math.sqrt(2) * torch.exp(-(t**2) / 4).sum(0)
        + n / math.sqrt(3)
    )
    (g_exact,) = torch.autograd.grad(exact.sum(), t)
    tt = torch.linspace(-5, 5, 17, dtype=torch.float64)
    exp_f = torch.exp(-0.5 * tt**2)
    ecf = torch.exp(1j * t.unsqueeze(2) * tt).mean(0)
    paper = torch.trapz((ecf - exp_f).abs().square() * exp_f, tt, dim=1) * n
    (g_paper,) = torch.autograd.grad(paper.sum(), t)
    assert np.allclose(epps_pulley(x), exact.detach().numpy(), rtol=1e-12)
    assert np.allclose(epps_pulley_grad(x), g_exact.numpy(), rtol=1e-10, atol=1e-13)
    assert np.allclose(epps_pulley_grad(x, method="trapezoid"), g_paper.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("method", ["exact", "trapezoid"])
def test_gradient_matches_central_differences(xp, rng_seed, method):
    x = np.random.default_rng(rng_seed).standard_normal(10)
    g = _np(epps_pulley_grad(xp.asarray(x), method=method, bandwidth=0.8))
    h = 1e-5
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        fd = (
            float(epps_pulley(xp.asarray(x + e), method=method, bandwidth=0.8))
            - float(epps_pulley(xp.asarray(x - e), method=method, bandwidth=0.8))
        ) / (2 * h)
        # central differences: O(h²) truncation (third derivative bounded) + rounding eps·EP/h
        assert g[i] == pytest.approx(fd, abs=1e-8)


def test_theorem_4_as_stated_fails_and_the_corrected_bound_holds(xp):
    """Counter-example: the paper's |∂EP/∂z_i| <= 4σ²/N is violated by EP = N∫|φ̂ − φ|²w itself."""
    n = 200
    x = np.full(n, 1.0)  # a collapsed embedding, the case SIGReg must repel
    g = _np(epps_pulley_grad(xp.asarray(x)))  # β = 1: w = exp(−t²/2) = exp(−t²/σ²) with σ² = 2
    sigma2 = 2.0
    # independent value: every sample at x₀ gives ∂EP/∂x_i = 2∫ t sin(t x₀) φ(t) w(t) dt
    ref = 2 * integrate.quad(lambda t: t * math.sin(t) * math.exp(-(t**2)), -np.inf, np.inf)[0]
    assert np.allclose(g, ref, rtol=1e-10)
    assert abs(g[0]) > 4 * sigma2 / n * 10  # the stated bound fails by more than 10× at N = 200
    assert np.max(np.abs(g)) <= 4 * sigma2  # the corrected bound for EP
    assert np.max(np.abs(g / n)) <= 4 * sigma2 / n  # the paper's bound, for EP / N (its proof's object)


# ----------------------------------------------------------------------------- expectation, variance
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_null_expectation_is_the_integral_of_the_ecf_variance(beta):
    # E|φ̂_N − φ|² = (1 − e^{−t²})/N under the target: integrate it numerically
    ref = integrate.quad(
        lambda t: (1 - math.exp(-t * t)) * math.exp(-t * t / (2 * beta**2)), -np.inf, np.inf
    )[0]
    for n in (1, 7, 1000):
        e = epps_pulley_expectation(n, bandwidth=beta)
        assert isinstance(e, EppsPulleyExpectation)
        assert e.mean == pytest.approx(ref, rel=1e-10)
        assert e.distance == 0.0
    assert epps_pulley_expectation(3).mean == pytest.approx(math.sqrt(2 * math.pi) * (1 - 1 / math.sqrt(3)))


def test_mixture_expectation_matches_quadrature_of_the_population_formula():
    mu, sd, pi = np.array([-1.5, 0.2, 2.0]), np.array([0.3, 1.0, 0.0]), np.array([0.2, 0.5, 0.3])
    n, beta = 40, 0.9

    def cf(t):
        return np.sum(pi * np.exp(1j * mu * t - sd**2 * t * t / 2))

    def integrand(t):
        p = cf(t)
        w = math.exp(-t * t / (2 * beta**2))
        return (n * abs(p - math.exp(-t * t / 2)) ** 2 + 1 - abs(p) ** 2) * w

    ref = integrate.quad(integrand, -np.inf, np.inf, limit=500, epsabs=1e-13, epsrel=1e-12)[0]
    e = epps_pulley_expectation(n, means=mu, stds=sd, weights=pi, bandwidth=beta)
    assert e.mean == pytest.approx(ref, rel=1e-9)
    assert e.mean == pytest.approx(n * e.distance + e.bias, rel=1e-14)


def test_trapezoid_expectation_is_the_same_finite_sum():
    mu, sd = [-1.0, 1.0], [0.2, 0.2]
    t = np.linspace(-5, 5, 17)
    w = np.full(17, 10 / 16)
    w[[0, -1]] /= 2
    p = 0.5 * (np.exp(1j * mu[0] * t) + np.exp(1j * mu[1] * t)) * np.exp(-0.04 * t * t / 2)
    phi = np.exp(-t * t / 2)
    ref = np.sum(w * phi * (9 * np.abs(p - phi) ** 2 + 1 - np.abs(p) ** 2))
    assert epps_pulley_expectation(9, means=mu, stds=sd, method="trapezoid").mean == pytest.approx(
        ref, rel=1e-12
    )


def test_null_moments_against_monte_carlo(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    for n, r in ((1, 20000), (8, 8000)):
        ep = _np(epps_pulley(xp.asarray(rng.standard_normal((n, r)))))
        mean, var = float(ep.mean()), float(ep.var(ddof=1))
        assert abs(mean - epps_pulley_expectation(n).mean) <= _MC_K * math.sqrt(var / r)
        c = ep - mean
        se_var = math.sqrt((np.mean(c**4) - var**2) / r)
        assert abs(var - epps_pulley_null_variance(n)) <= _MC_K * se_var


def test_null_variance_for_one_sample_is_exact():
    # N = 1: EP = c(1 − 2a e^{−b x²} + r), so Var = 4c²a²Var(e^{−bX²}) by a 1-D quadrature
    c, a, b = math.sqrt(2 * math.pi), 1 / math.sqrt(2), 0.25
    dens = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    m1 = integrate.quad(lambda x: math.exp(-b * x * x) * dens(x), -np.inf, np.inf)[0]
    m2 = integrate.quad(lambda x: math.exp(-2 * b * x * x) * dens(x), -np.inf, np.inf)[0]
    assert epps_pulley_null_variance(1) == pytest.approx(4 * c * c * a * a * (m2 - m1 * m1), rel=1e-10)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_optimal_scale_minimises_the_expectation(beta):
    from scipy.optimize import minimize_scalar

    for n in (3, 10, 100, 1000):
        s_star = epps_pulley_optimal_scale(n, bandwidth=beta)
        res = minimize_scalar(
            lambda s: epps_pulley_expectation(n, stds=s, bandwidth=beta).mean,  # noqa: B023
            bounds=(1e-3, 2.0),
            method="bounded",
            options={"xatol": 1e-12},
        )
        # a bounded scalar search on a smooth function: the argmin to ~sqrt(eps) relative; s* = 0 (collapse,
        # here β = 0.5, N = 3) sits on the search's lower bound
        assert max(s_star, 1e-3) == pytest.approx(res.x, abs=1e-6)
        first_order = 1 - (1 + 2 * beta**2) / (3 * beta**2 * n)
        assert abs(s_star - first_order) <= 2.0 * ((1 + 2 * beta**2) / (3 * beta**2 * n)) ** 2 + 1e-12


def test_optimal_scale_collapses_when_the_bias_dominates():
    assert epps_pulley_optimal_scale(1) == 0.0
    # ρ = (1 − 1/N)^{2/3} <= 1/(1 + β²): N = 2 with β = 0.5 has ρ = 0.63 < 0.8
    assert epps_pulley_optimal_scale(2, bandwidth=0.5) == 0.0
    assert 0 < epps_pulley_optimal_scale(2, bandwidth=1.0) < 0.5


def test_a_regular_point_set_scores_far_below_a_gaussian_sample():
    # identifiability at finite N: the Gaussian quantiles (not a random sample) nearly zero the statistic
    from scipy.stats import norm

    n = 64
    q = norm.ppf((np.arange(n) + 0.5) / n)
    assert float(epps_pulley(q)) < 0.05 * epps_pulley_expectation(n).mean


# ----------------------------------------------------------------------------- SIGReg
def test_sigreg_is_the_mean_of_directional_statistics(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    z = rng.standard_normal((30, 4))
    a = random_directions(4, 6, rng=rng)
    res = sigreg(xp.asarray(z), directions=xp.asarray(a))
    assert isinstance(res, SIGRegResult)
    per = [float(epps_pulley(xp.asarray(z @ a[:, m]))) for m in range(6)]
    assert np.allclose(_np(res.statistics), per, rtol=1e-12)
    assert float(res.value) == pytest.approx(np.mean(per), rel=1e-12)
    assert res.grad.shape == (30, 4)
    assert res.directions.shape == (4, 6)


def test_sigreg_gradient_matches_central_differences(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    z = rng.standard_normal((8, 3))
    a = xp.asarray(random_directions(3, 5, rng=rng))
    g = _np(sigreg(xp.asarray(z), directions=a, method="trapezoid").grad)
    h = 1e-5
    for i, k in ((0, 0), (3, 2), (7, 1)):
        e = np.zeros_like(z)
        e[i, k] = h
        up = float(sigreg(xp.asarray(z + e), directions=a, method="trapezoid").value)
        down = float(sigreg(xp.asarray(z - e), directions=a, method="trapezoid").value)
        assert g[i, k] == pytest.approx((up - down) / (2 * h), abs=1e-8)


def test_seeded_directions_are_reproducible_and_unit(xp):
    z = xp.asarray(np.random.default_rng(0).standard_normal((20, 5)))
    r1 = sigreg(z, n_projections=7, rng=3)
    r2 = sigreg(z, n_projections=7, rng=np.random.default_rng(3))
    assert np.array_equal(_np(r1.directions), _np(r2.directions))
    assert np.allclose(np.linalg.norm(_np(r1.directions), axis=0), 1.0)
    assert np.array_equal(_np(r1.directions), random_directions(5, 7, rng=3))


def test_gaussian_rows_are_at_the_target_expectation_in_every_direction(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    a = random_directions(3, 4, rng=rng)
    vals = np.array(
        [
            _np(sigreg(xp.asarray(rng.standard_normal((16, 3))), directions=xp.asarray(a)).statistics)
            for _ in range(400)
        ]
    )
    target = epps_pulley_expectation(16).mean
    for m in range(4):
        assert abs(vals[:, m].mean() - target) <= _MC_K * vals[:, m].std(ddof=1) / math.sqrt(400)


# ----------------------------------------------------------------------------- bad input
def test_bad_input(xp):
    x = xp.asarray([0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="x must have shape"):
        epps_pulley(xp.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="x must be finite"):
        epps_pulley(xp.asarray([0.0, math.nan]))
    with pytest.raises(ValueError, match="bandwidth must be > 0"):
        epps_pulley(x, bandwidth=0.0)
    with pytest.raises(ValueError, match="method must be one of"):
        epps_pulley(x, method="simpson")
    with pytest.raises(ValueError, match="n_knots must be >= 2"):
        epps_pulley_grad(x, method="trapezoid", n_knots=1)
    with pytest.raises(ValueError, match="t_max must be > 0"):
        epps_pulley(x, method="trapezoid", t_max=-1.0)
    with pytest.raises(TypeError, match="x must have a real"):
        epps_pulley(np.asarray([1j, 2.0]))
    with pytest.raises(TypeError, match="expected an array"):
        epps_pulley([0.0, 1.0])
    z = xp.ones((4, 2))
    with pytest.raises(ValueError, match="exactly one of directions"):
        sigreg(z)
    with pytest.raises(ValueError, match="exactly one of directions"):
        sigreg(z, directions=xp.eye(2), n_projections=2, rng=0)
    with pytest.raises(TypeError, match="rng is required"):
        sigreg(z, n_projections=3)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        sigreg(z, n_projections=3, rng="seed")
    with pytest.raises(ValueError, match="n_projections must be >= 1"):
        sigreg(z, n_projections=0, rng=0)
    with pytest.raises(ValueError, match="directions must have shape"):
        sigreg(z, directions=xp.eye(3))
    with pytest.raises(ValueError, match="unit-norm columns"):
        sigreg(z, directions=2.0 * xp.eye(2))
    with pytest.raises(ValueError, match="z must be a 2-D array"):
        sigreg(xp.ones(4), directions=xp.eye(2))
    with pytest.raises(TypeError, match="different array libraries"):
        sigreg(np.ones((4, 2)), directions=_backend.namespace_for("array_api_strict").eye(2))
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        epps_pulley_expectation(0)
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        epps_pulley_null_variance(2.5)
    with pytest.raises(ValueError, match="weights must be non-negative and sum to 1"):
        epps_pulley_expectation(3, means=[0.0, 1.0], weights=[0.5, 0.6])
    with pytest.raises(ValueError, match="stds must be >= 0"):
        epps_pulley_expectation(3, means=[0.0], stds=[-1.0])
    with pytest.raises(ValueError, match="means and stds must have the same length"):
        epps_pulley_expectation(3, means=[0.0, 1.0, 2.0], stds=[1.0, 1.0])


# ----------------------------------------------------------------------------- claims
_VERDICTS: dict = {}


def _verdicts(claim_id, xp):
    """Verdicts of one claim at seed 0 (quick), computed once per backend for this file's tests."""
    key = (claim_id, _backend.backend_name(xp))
    if key not in _VERDICTS:
        _VERDICTS[key] = claims.run_claim(claims.get(claim_id), xp=xp, seed=0, quick=True)
    return _VERDICTS[key]


@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_claim_passes(xp, claim_id):
    assert claims.get(claim_id).gating
    for v in _verdicts(claim_id, xp):
        assert v.passed, f"{v.problem}: {v.message or (v.predicted, v.measured, v.error, v.tolerance)}"


def _fails(claim_id, predict, xp):
    claim = claims.get(claim_id)
    verdicts = claims.run_claim(dataclasses.replace(claim, predict=predict), xp=xp, seed=0, quick=True)
    return all(not v.passed for v in verdicts)


def test_wrong_closed_form_fails(xp):
    from ssltheory.claims._dynamics_sigreg import _closed_form_predict

    def u_statistic(problem, xp):  # the diagonal pairs j = k dropped: lower by exactly √(2π)β
        out = _closed_form_predict(problem, xp)
        return {**out, "exact": out["exact"] - math.sqrt(2 * math.pi) * problem.params["beta"]}

    def relative_1e9(problem, xp):  # the tolerance is tight: a relative 1e-9 is caught
        out = _closed_form_predict(problem, xp)
        return {**out, "exact": out["exact"] * (1 + 1e-9)}

    assert _fails("dynamics.sigreg.closed_form", u_statistic, xp)
    assert _fails("dynamics.sigreg.closed_form", relative_1e9, xp)


def test_wrong_null_expectation_fails(xp):
    from ssltheory.claims._dynamics_sigreg import _null_predict

    def text_weight(problem, xp):  # the expectation for the text's σ = 1 weight, not the code's
        out = _null_predict(problem, xp)
        b = problem.params["beta"] / math.sqrt(2)
        out["exact_mean"] = math.sqrt(2 * math.pi) * b * (1 - 1 / math.sqrt(1 + 2 * b * b))
        return out

    def zero_mean(problem, xp):  # "the statistic is 0 at the target"
        return {**_null_predict(problem, xp), "exact_mean": 0.0}

    def pairs_counted_once(problem, xp):  # Var with Σ_{j<k} instead of Σ_{j≠k}: 2N(N−1) → N(N−1)
        n, beta = problem.params["n"], problem.params["beta"]
        b2 = beta * beta
        p, q, r2 = (1 + 4 * b2) ** -0.5, ((1 + b2) * (1 + 3 * b2)) ** -0.5, 1 / (1 + 2 * b2)
        var = 2 * math.pi * b2 * (4 * (q - r2) / n + (1 - 1 / n) * (p - 2 * q + r2))
        return {**_null_predict(problem, xp), "exact_var": var}

    assert _fails("dynamics.sigreg.null_expectation", text_weight, xp)
    assert _fails("dynamics.sigreg.null_expectation", zero_mean, xp)
    claim = claims.get("dynamics.sigreg.null_expectation")
    verdicts = claims.run_claim(
        dataclasses.replace(claim, predict=pairs_counted_once), xp=xp, seed=0, quick=True
    )
    # the sample variance has the power to see a factor 2 where R is large (R = 4000 and 1000)
    assert [v.passed for v in verdicts if "R=400 " not in v.problem + " "] == [False, False]


def test_wrong_bias_fails(xp):
    from ssltheory.claims._dynamics_sigreg import _bias_predict

    def no_bias(problem, xp):  # E[EP] = N·D, forgetting the V-statistic's term
        out = _bias_predict(problem, xp)
        out["exact"] = problem.params["n"] * out["distance"]
        return out

    def per_sample(problem, xp):  # Theorem 6 read literally for EP (bias / N instead of bias)
        out = _bias_predict(problem, xp)
        out["exact"] = problem.params["n"] * out["distance"] + out["bias"] / problem.params["n"]
        return out

    assert _fails("dynamics.sigreg.finite_sample_bias", no_bias, xp)
    assert _fails("dynamics.sigreg.finite_sample_bias", per_sample, xp)


def test_wrong_moment_matched_prediction_fails(xp):
    from ssltheory.claims._dynamics_sigreg import _matched_predict, _projected_law, _sigreg_module

    def gaussian_level(problem, xp):  # "mean and covariance match, so SIGReg is at the target's value"
        out = _matched_predict(problem, xp)
        out["sigreg"] = out["null"]
        return out

    def distance_not_scaled(problem, xp):  # Theorem 6 read for EP: D(P) + bias, without the factor N
        sg = _sigreg_module()
        out = _matched_predict(problem, xp)
        q, a = np.asarray(problem.data["q"]), np.asarray(problem.data["directions"])
        vals = []
        for j in range(a.shape[1]):
            mu, sd, pi = _projected_law(problem.params["law"], q.T @ a[:, j])
            e = sg.epps_pulley_expectation(problem.params["n"], means=mu, stds=sd, weights=pi)
            vals.append(e.distance + e.bias)
        out["sigreg"] = float(np.mean(vals))
        return out

    assert _fails("dynamics.sigreg.moment_matched_non_gaussian", gaussian_level, xp)
    assert _fails("dynamics.sigreg.moment_matched_non_gaussian", distance_not_scaled, xp)


@pytest.mark.parametrize(
    ("law", "theta"), [("rademacher", 0.5), ("bimodal", 0.3), ("x", 0.0), ("gaussian", 0.2)]
)
def test_vicreg_term_expectations_from_fourth_moments(rng_seed, law, theta):
    """E[Σ(1 − C_kk)² + Σ_{k≠l}C_kl²] of the claims' laws (ddof = 1) against 20000 replicates."""
    from ssltheory.claims._dynamics_sigreg import (
        _draw_embedding,
        _fourth_moments,
        _rotation,
        _vicreg_term_expectations,
        _vicreg_terms,
    )

    rng = np.random.default_rng(rng_seed)
    n, r = 64, 20000
    q = _rotation(theta)
    z = _draw_embedding(law, rng, (r, n, 2), q)
    zc = z - z.mean(axis=1, keepdims=True)
    c = np.einsum("rni,rnj->rij", zc, zc) / (n - 1)
    terms = (1 - c[:, 0, 0]) ** 2 + (1 - c[:, 1, 1]) ** 2 + 2 * c[:, 0, 1] ** 2
    import array_api_compat.numpy as npx

    # the plain NumPy terms are VICRegLoss's (paper convention, square penalty, no invariance)
    assert [_vicreg_terms(z[i], xp=npx) for i in range(3)] == pytest.approx(terms[:3].tolist(), rel=1e-12)
    var_term, cov_term = _vicreg_term_expectations(_fourth_moments(law, q), n)
    # 20000 replicates: the mean of the skewed terms is close to normal (skewness / √R ≈ 0.02)
    assert abs(terms.mean() - (var_term + cov_term)) <= _MC_K * terms.std(ddof=1) / math.sqrt(r)


def test_wrong_gradient_fails(xp):
    from ssltheory.claims._dynamics_sigreg import _grad_predict

    def paper_trapezoid(problem, xp):  # the trapezoid gradient is not the integral's
        x = problem.arrays(xp)["x"]
        return _np(
            epps_pulley_grad(x, bandwidth=problem.params["beta"], method="trapezoid", t_max=3.0, n_knots=9)
        )

    def half(problem, xp):
        return 0.5 * _grad_predict(problem, xp)

    assert _fails("dynamics.sigreg.gradient_bound", paper_trapezoid, xp)
    assert _fails("dynamics.sigreg.gradient_bound", half, xp)


def test_wrong_shrinkage_fails(xp):
    assert _fails("dynamics.sigreg.finite_sample_shrinkage", lambda problem, xp: 1.0, xp)  # "unbiased"

    def without_the_power(problem, xp):  # ρ = 1 − 1/N instead of (1 − 1/N)^{2/3}: 1.5× the shrinkage
        n, a = problem.params["n"], problem.params["beta"] ** -2
        rho = 1 - 1 / n
        return math.sqrt((rho * (1 + a) - a) / (2 - rho))

    assert _fails("dynamics.sigreg.finite_sample_shrinkage", without_the_power, xp)


def test_wrong_descent_floor_fails(xp):
    from ssltheory.claims._dynamics_sigreg import _descent_predict

    def text_floor(problem, xp):  # a floor 100× lower than the Gaussian sample's expectation
        out = _descent_predict(problem, xp)
        out["target"] /= 100
        return out

    assert _fails("dynamics.sigreg.descent_below_gaussian", text_floor, xp)


def test_claim_plots_draw():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import array_api_compat.numpy as npx
    import matplotlib.pyplot as plt

    for cid in CLAIM_IDS:
        fig, ax = plt.subplots()
        claims.get(cid).plot(_verdicts(cid, npx), ax)
        assert ax.has_data(), cid
        plt.close(fig)

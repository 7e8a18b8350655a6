"""BN predictions: TLS offsets, jitter, separation probabilities (spec R2, R6, R7)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from ssltheory import _backend
from ssltheory.splines import (
    ball_separation_bounds,
    ball_separation_probability,
    bn_recentring,
    boundary_jitter,
    cluster_separation_bound,
    pair_separation_probability,
    sample_boundary_jitter,
    tls_objective,
)
from ssltheory.testing import assert_close

EPS = float(np.finfo(np.float64).eps)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 5), d=st.integers(1, 4))
def test_bn_mean_is_the_tls_minimiser(xp, seed, k, d):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((k, d))
    Z = rng.standard_normal((30, d)) * rng.uniform(0.5, 3) + rng.standard_normal(d) * 3
    r = bn_recentring(xp.asarray(w), xp.asarray(Z))
    mu = _backend.to_numpy(r.mean)
    for j in range(k):
        res = optimize.minimize_scalar(
            lambda t, j=j: float(tls_objective(w[j : j + 1], np.array([t]), Z)[0]), tol=1e-14
        )
        # Brent's method on a quadratic: |t* − μ| ~ sqrt(eps)·scale (flat minimum)
        assert abs(res.x - mu[j]) <= 1e-6 * (1 + abs(mu[j]))
    val = _backend.to_numpy(tls_objective(xp.asarray(w), r.mean, xp.asarray(Z)))
    assert_close(xp.asarray(val), r.tls_value, rtol=1e3 * EPS)
    # excess formula vs objective difference (T4)
    t = rng.standard_normal(k)
    r2 = bn_recentring(xp.asarray(w), xp.asarray(Z), alternative_offsets=xp.asarray(t))
    diff = tls_objective(w, t, Z) - tls_objective(w, mu, Z)
    assert_close(r2.excess, xp.asarray(diff), rtol=1e-9, atol=1e-9 * float(np.max(val)))


def test_beta_moves_the_centroid_off_the_hyperplane(xp, rng):
    w = rng.standard_normal((4, 3))
    Z = rng.standard_normal((50, 3))
    gamma, beta = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    r = bn_recentring(xp.asarray(w), xp.asarray(Z), gamma=xp.asarray(gamma), beta=xp.asarray(beta))
    expected = beta / gamma * _backend.to_numpy(r.std) / np.linalg.norm(w, axis=1)
    assert_close(r.centroid_signed_distance, xp.asarray(expected), rtol=1e3 * EPS, atol=1e3 * EPS)
    with pytest.raises(ValueError, match="Z must have 3 columns"):
        bn_recentring(xp.asarray(w), xp.asarray(Z[:, :2]))
    with pytest.raises(ValueError, match="zero row"):
        bn_recentring(xp.asarray(np.zeros((1, 3))), xp.asarray(Z))


@pytest.mark.parametrize("replace", [True, False])
def test_jitter_monte_carlo_matches_prediction(xp, rng, replace):
    Z = rng.standard_normal((500, 3)) * np.array([1.0, 2.0, 0.5])
    w = rng.standard_normal((2, 3))
    m, nb = 16, 4000
    pred = boundary_jitter(xp.asarray(w), xp.asarray(Z), batch_size=m, replace=replace)
    sample = sample_boundary_jitter(
        xp.asarray(w), xp.asarray(Z), batch_size=m, n_batches=nb, rng=rng, replace=replace
    )
    v = np.var(_backend.to_numpy(sample.displacements), axis=0, ddof=1)
    p = _backend.to_numpy(pred.var_displacement)
    # sample variance of nb near-Gaussian draws: relative SE sqrt(2/(nb−1)) ≈ 0.022; 4 SE
    assert np.all(np.abs(v / p - 1) <= 4 * math.sqrt(2 / (nb - 1)))


def test_separation_probabilities(rng):
    u, v, g = np.array([1.0, 0, 0]), np.array([0, 2.0, 0]), np.zeros(3)
    assert float(pair_separation_probability(u, v, g)) == pytest.approx(0.5, abs=1e-15)
    assert float(pair_separation_probability(u, -u, g)) == pytest.approx(1.0, abs=1e-15)
    # exact ball value vs Monte-Carlo of the reduction P(|w1| >= (δ/r)‖w‖), w ~ N(0, I_2K)
    k, c, n = 5, 0.3, 200_000
    w = rng.standard_normal((n, 2 * k))
    freq = np.mean(np.abs(w[:, 0]) >= c * np.linalg.norm(w, axis=1))
    p = ball_separation_probability(k, c)
    assert abs(freq - p) <= 4 * math.sqrt(p * (1 - p) / n)  # 4 binomial SE
    lo, hi = ball_separation_bounds(200, 0.05, epsilon=0.5)
    assert lo <= ball_separation_probability(200, 0.05) <= hi
    # large-K limit P(|Z| > t)
    t = 1.0
    k = 800
    assert abs(ball_separation_probability(k, t / math.sqrt(2 * k)) - 2 * stats.norm.sf(t)) < 3e-3
    assert cluster_separation_bound(3, 21.0) == pytest.approx(2 / math.pi * 5 / 20)
    with pytest.raises(ValueError, match=">= 2"):
        cluster_separation_bound(3, 1.5)
    with pytest.raises(ValueError, match="differ from the pole"):
        pair_separation_probability(g, u, g)

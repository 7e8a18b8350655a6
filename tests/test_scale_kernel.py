"""Scale-out pieces used by benchmarks/bench_scale.py (issue 8 parts 3-4).

- the tall-matrix thin SVD behind ``linear_ssl_solve`` (two Gram passes instead of LAPACK's SVD);
- the row-chunked ``pairwise_hsic(method="rff")`` (memory O(chunk·K·M) instead of O(nKM));
- ``rf_hsic_test`` (random-feature permutation test, no n×n matrix).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory.graphs import label_graph
from ssltheory.independence import _hsic, hsic_test, pairwise_hsic, rf_hsic, rf_hsic_test
from ssltheory.kernel import _solve, linear_ssl_solve
from ssltheory.testing import assert_close, assert_same_subspace


def _on(xp, a):
    return xp.asarray(np.asarray(a, dtype=np.float64))


# ----------------------------------------------------------------------------- tall thin SVD
def test_gram_svd_matches_lapack(xp, rng):
    # singular values spread over 4 decades: the Gram route must still match LAPACK's SVD
    n, p = 600, 12
    a = rng.standard_normal((n, p)) * np.logspace(0, -4, p)
    u, s, vt = _solve._gram_svd(_on(xp, a), xp=xp)
    s_ref = np.linalg.svd(a, compute_uv=False)
    eps = np.finfo(np.float64).eps
    # pass 2 makes U orthonormal to rounding: O(p·eps) (literal 100 covers the BLAS summation order)
    assert_close(u.mT @ u, xp.eye(p, dtype=xp.float64), atol=100 * p * eps, rtol=0)
    # singular values: absolute error O(p·eps·s_1) from the Gram eigenproblem, relative to s_1
    assert_close(s, _on(xp, s_ref), atol=100 * p * eps * s_ref[0], rtol=0)
    # reconstruction A = U S Vt to rounding (backward stable products)
    assert_close((u * s[None, :]) @ vt, _on(xp, a), atol=100 * p * eps * s_ref[0], rtol=0)


def test_gram_svd_drops_null_directions(xp, rng):
    # rank-3 matrix in 8 columns: the Gram route returns exactly the 3 non-negligible values
    a = rng.standard_normal((400, 3)) @ rng.standard_normal((3, 8))
    u, s, _ = _solve._gram_svd(_on(xp, a), xp=xp)
    assert s.shape[0] == 3
    assert_same_subspace(u, _on(xp, np.linalg.svd(a, full_matrices=False)[0][:, :3]))


@settings(max_examples=8)
@given(n=st.integers(40, 200), p=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_gram_svd_property(xp, n, p, seed):
    a = np.random.default_rng(seed).standard_normal((n, p))
    u, s, vt = _solve._gram_svd(_on(xp, a), xp=xp)
    # a Gaussian n×p matrix with n ≥ 40 ≥ 6p is well conditioned: full rank, all values returned
    assert s.shape[0] == p
    # tolerance: O(p·eps·‖A‖) rounding of the Gram products (literal 100 = summation-order slack)
    tol = 100 * p * np.finfo(np.float64).eps * float(np.linalg.norm(a, 2))
    assert_close((u * s[None, :]) @ vt, _on(xp, a), atol=tol, rtol=0)


def test_linear_ssl_solve_tall_route_matches_lapack_route(monkeypatch, rng):
    # the same closed form through both SVD routes: same embedding subspace, eigenvalues and loss
    groups = np.repeat(np.arange(150), 4)
    phi = rng.standard_normal((600, 10))
    phi[:, 0] += 3.0 * np.repeat(rng.standard_normal(150), 4)  # an invariant direction
    graph = label_graph(groups)
    kw = {"n_components": 3, "ridge": 1e-3}
    ref = linear_ssl_solve(phi, graph, **kw)
    monkeypatch.setattr(_solve, "_TALL_SVD_MIN_ROWS", 1)
    tall = linear_ssl_solve(phi, graph, **kw)
    # eigenvalues of an r×r problem built from either SVD: default_rtol-level agreement (4√eps)
    assert_close(tall.eigenvalues, ref.eigenvalues)
    assert math.isclose(tall.loss, ref.loss, rel_tol=4 * math.sqrt(np.finfo(np.float64).eps))
    assert_same_subspace(tall.embedding, ref.embedding)
    assert_close(phi @ tall.weights @ (phi @ tall.weights).T, phi @ ref.weights @ (phi @ ref.weights).T)


# ----------------------------------------------------------------------------- chunked RFF pairwise HSIC
def test_pairwise_rff_chunked_equals_one_pass(xp, rng, monkeypatch):
    h = rng.standard_normal((700, 4))
    h[:, 1] = h[:, 0] ** 2 + 0.3 * h[:, 1]
    one = pairwise_hsic(_on(xp, h), method="rff", n_features=16, seed=3).matrix
    monkeypatch.setattr(_hsic, "_RFF_CHUNK_ELEMENTS", 4 * 16 * 50)  # 50-row chunks, last one short
    chunked = pairwise_hsic(_on(xp, h), method="rff", n_features=16, seed=3).matrix
    # same features, moments summed in another order: rounding O(n·eps) relative to the largest entry
    scale = float(xp.max(xp.abs(one)))
    assert_close(chunked, one, atol=100 * 700 * np.finfo(np.float64).eps * scale, rtol=0)


def test_pairwise_rff_chunked_matches_rf_hsic(rng, monkeypatch):
    # an independent route: the off-diagonal entry (k, l) is rf_hsic of the two columns with
    # the same frequencies; here check against exact Gram pairwise HSIC up to the RF error
    h = rng.standard_normal((400, 3))
    h[:, 1] = np.tanh(h[:, 0]) + 0.2 * h[:, 1]
    exact = pairwise_hsic(h, bandwidth=1.0).matrix
    monkeypatch.setattr(_hsic, "_RFF_CHUNK_ELEMENTS", 3 * 512 * 64)
    approx = pairwise_hsic(h, method="rff", bandwidth=1.0, n_features=512, seed=1).matrix
    # Theorem B: RMS error O(1/√M) relative to the kernel scale (k ≤ 1); 4/√M is a 4-sigma bound
    assert abs(approx[0, 1] - exact[0, 1]) < 4.0 / math.sqrt(512) * exact[0, 1] + 1e-3
    assert approx[0, 1] > 5 * max(approx[0, 2], approx[1, 2])


# ----------------------------------------------------------------------------- rf_hsic_test
def test_rf_hsic_test_statistic_is_rf_hsic(xp, rng):
    x = rng.standard_normal(300)
    y = x**2 + rng.standard_normal(300)
    res = rf_hsic_test(_on(xp, x), _on(xp, y), n_features=24, n_permutations=20, seed=5)
    ref = rf_hsic(_on(xp, x), _on(xp, y), n_features=24, seed=5)
    # same draws, same formula: equal to rounding of an n×M·M×M product (literal 1e-12 ≫ n·eps)
    assert math.isclose(res.statistic, ref, rel_tol=1e-12)
    assert res.method == "rf_permutation"
    assert res.n == 300
    assert res.n_permutations == 20


def test_rf_hsic_test_null_matches_brute_force(rng):
    # the permutation null recomputed by hand from the same generator stream
    x, y = rng.standard_normal(120), rng.standard_normal(120)
    res = rf_hsic_test(x, y, n_features=8, n_permutations=15, seed=11)
    g = np.random.default_rng(11)
    feats = []
    for v in (x, y):
        w = g.standard_normal((1, 1, 8))[0]
        b = g.uniform(0.0, 2.0 * math.pi, (1, 8))[0]
        phi = math.sqrt(2.0 / 8) * np.cos(v[:, None] @ w + b)
        feats.append(phi - phi.mean(axis=0))
    null = [np.sum((feats[0].T @ feats[1][g.permutation(120)] / 120) ** 2) for _ in range(15)]
    observed = np.sum((feats[0].T @ feats[1] / 120) ** 2)
    p = (1 + sum(t >= observed * (1 - 1e-12) for t in null)) / 16
    assert res.pvalue == pytest.approx(p, abs=1e-15)
    assert res.null_mean == pytest.approx(float(np.mean(null)), rel=1e-12)  # same sums, rounding only


def test_rf_hsic_test_agrees_with_exact_test(rng):
    # dependent pair: both the exact permutation test and the RF test reject at the smallest p
    u = rng.uniform(-1, 1, 300)
    dep = rf_hsic_test(u, u**2, n_features=32, n_permutations=49, bandwidth="median")
    ex = hsic_test(u, u**2, n_permutations=49)
    assert dep.pvalue == ex.pvalue == 1 / 50
    assert dep.reject
    assert ex.reject


def test_rf_hsic_test_level(rng):
    # independent pairs: p-values are exactly super-uniform, so over 40 nulls at alpha = 0.1 the
    # number of rejections is Binomial(40, ≤0.1): more than 12 has probability < 1e-3
    rejections = 0
    for k in range(40):
        x, y = rng.standard_normal(80), rng.standard_normal(80)
        rejections += rf_hsic_test(x, y, n_features=8, n_permutations=19, seed=k, alpha=0.1).reject
    assert rejections <= 12


def test_rf_hsic_test_backend_and_errors(xp):
    x = xp.asarray(np.linspace(-1, 1, 50))
    res = rf_hsic_test(x, x * x, n_features=8, n_permutations=5)
    assert isinstance(res.statistic, float)
    assert 0 < res.pvalue <= 1
    with pytest.raises(ValueError, match="same number of samples"):
        rf_hsic_test(x, x[:40])
    with pytest.raises(ValueError, match="n_features must be even"):
        rf_hsic_test(x, x, n_features=3, family="rff_paired")
    with pytest.raises(ValueError, match="alpha"):
        rf_hsic_test(x, x, alpha=1.5)
    with pytest.raises(ValueError, match="n_permutations"):
        rf_hsic_test(x, x, n_permutations=0)

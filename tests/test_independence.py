"""ssltheory.independence: HSIC estimators, tests, VCReg evaluators, projectors, VCReg-ICA.

Every check compares the library with an independent computation: dense NumPy/SciPy formulas
written from the definitions, brute-force sums, scikit-learn, or Monte-Carlo limits.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist, pdist

from ssltheory import _backend
from ssltheory.independence import (
    amari_distance,
    convert_vicreg_weights,
    covariance_decomposition,
    dhsic,
    dhsic_test,
    gram,
    hsic,
    hsic_test,
    make_ica_data,
    make_pairwise_not_mutual,
    mcc,
    median_bandwidth,
    pairwise_hsic,
    random_feature_projector,
    rf_hsic,
    vcreg_ica,
    vcreg_loss,
    vicreg_loss,
    whiten,
)
from ssltheory.testing import assert_close

EPS = np.finfo(np.float64).eps
# float64 reductions over n² terms of size O(1): a relative error of a few n²·eps at n ≤ 100 is
# ≤ 1e-11; 1e-9 leaves room for the cancellation in centred sums (values ≥ 1e-3 of the terms).
RTOL = 1e-9


def _np_gauss(x, sigma):
    x = x.reshape(len(x), -1)
    return np.exp(-cdist(x, x, "sqeuclidean") / (2 * sigma**2))


def _np_hsic_b(k, g, ddof=0):
    n = k.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    return np.trace(k @ h @ g @ h) / (n - ddof) ** 2


def _np_hsic_u_bruteforce(k, g):
    """The U-statistic from its definition: average over ordered distinct 4-tuples."""
    n = k.shape[0]
    total = 0.0
    for i, j, q, r in itertools.permutations(range(n), 4):
        total += k[i, j] * g[i, j] + k[i, j] * g[q, r] - 2 * k[i, j] * g[i, q]
    return total / math.perm(n, 4)


def _dep_pair(rng, n):
    u = rng.uniform(-1, 1, n)
    return u, u**2 + 0.05 * rng.standard_normal(n)


# --------------------------------------------------------------------------- kernels, bandwidths
def test_gram_and_median_bandwidth_match_scipy(xp, rng):
    x = rng.standard_normal((40, 3))
    sigma = float(np.median(pdist(x)))
    assert median_bandwidth(xp.asarray(x)) == pytest.approx(sigma, rel=1e-12)  # same order statistic
    k = gram(xp.asarray(x))
    assert_close(k, xp.asarray(_np_gauss(x, sigma)), rtol=RTOL, atol=1e-14)
    lap = gram(xp.asarray(x), kernel="laplacian", bandwidth=0.7)
    assert_close(lap, xp.asarray(np.exp(-cdist(x, x) / 0.7)), rtol=RTOL, atol=1e-14)
    lin = gram(xp.asarray(x), kernel="linear")
    assert_close(lin, xp.asarray(x @ x.T), rtol=RTOL, atol=1e-12)


def test_bandwidth_rules_match_their_definitions(xp, rng):
    x = rng.standard_normal(50)
    d = pdist(x[:, None])
    sig_g = math.sqrt(0.5 * np.median(d[d > 0] ** 2))
    assert_close(gram(xp.asarray(x), bandwidth="gretton"), xp.asarray(_np_gauss(x, sig_g)), rtol=RTOL)
    z = (x - x.mean()) / x.std(ddof=1)
    dz = pdist(z[:, None])
    sig_c = math.sqrt(2) * np.median(dz[dz > 0])
    assert_close(gram(xp.asarray(x), bandwidth="causal_learn"), xp.asarray(_np_gauss(z, sig_c)), rtol=RTOL)
    # constant data: the median is 0 and the rule falls back to σ = 1 (D3)
    assert median_bandwidth(xp.asarray(np.ones(10))) == 1.0


def test_median_bandwidth_subsamples_large_inputs(xp, rng):
    x = rng.standard_normal(3000)
    sigma = median_bandwidth(xp.asarray(x), max_samples=500, seed=3)
    idx = np.sort(np.random.default_rng(3).choice(3000, 500, replace=False))
    assert sigma == pytest.approx(float(np.median(pdist(x[idx, None]))), rel=1e-12)


# --------------------------------------------------------------------------- HSIC estimators
def test_hsic_biased_unbiased_against_definitions(xp, rng):
    x, y = _dep_pair(rng, 9)
    sx, sy = np.median(pdist(x[:, None])), np.median(pdist(y[:, None]))
    k, g = _np_gauss(x, sx), _np_gauss(y, sy)
    assert hsic(xp.asarray(x), xp.asarray(y)) == pytest.approx(_np_hsic_b(k, g), rel=RTOL)
    assert hsic(xp.asarray(x), xp.asarray(y), ddof=1) == pytest.approx(_np_hsic_b(k, g, 1), rel=RTOL)
    assert hsic(xp.asarray(x), xp.asarray(y), estimator="unbiased") == pytest.approx(
        _np_hsic_u_bruteforce(k, g), rel=RTOL, abs=1e-15
    )


def test_linear_kernel_is_squared_covariance_and_normalized_is_corr2(xp, rng):
    x = rng.standard_normal((60, 2))
    y = x @ rng.standard_normal((2, 3)) + rng.standard_normal((60, 3))
    cov = np.cov(x.T, y.T, ddof=0)[:2, 2:]
    assert hsic(xp.asarray(x), xp.asarray(y), kernel="linear") == pytest.approx(np.sum(cov**2), rel=RTOL)
    u, v = x[:, 0], y[:, 0]
    r2 = np.corrcoef(u, v)[0, 1] ** 2
    assert hsic(xp.asarray(u), xp.asarray(v), kernel="linear", normalize=True) == pytest.approx(r2, rel=RTOL)


def test_precomputed_matches_gaussian(xp, rng):
    x, y = _dep_pair(rng, 30)
    kx, ky = gram(xp.asarray(x)), gram(xp.asarray(y))
    assert hsic(kx, ky, kernel="precomputed") == pytest.approx(hsic(xp.asarray(x), xp.asarray(y)), rel=RTOL)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**31), n=st.integers(5, 40), scale=st.floats(0.01, 100.0))
def test_hsic_properties(xp, seed, n, scale):
    """HSIC_b ≥ 0, symmetric, invariant to a joint permutation of the samples and (median rule) to scale."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(n), rng.standard_normal(n) + rng.standard_normal(n)
    a, b = xp.asarray(x), xp.asarray(y)
    h = hsic(a, b)
    assert h >= -1e-15  # a trace of a product of PSD matrices, up to rounding
    assert hsic(b, a) == pytest.approx(h, rel=1e-9, abs=1e-15)
    p = rng.permutation(n)
    assert hsic(xp.asarray(x[p]), xp.asarray(y[p])) == pytest.approx(h, rel=1e-9, abs=1e-15)
    # the median rule scales σ with the data: the Gram matrices, hence HSIC, are scale-invariant
    assert hsic(xp.asarray(scale * x), b) == pytest.approx(h, rel=1e-7, abs=1e-13)


def test_pairwise_hsic_equals_loop_of_pairs(xp, rng, monkeypatch):
    from ssltheory.independence import _hsic

    u = rng.uniform(-1, 1, 50)
    H = np.stack([u, u**2, rng.standard_normal(50), np.sin(3 * u) + 0.1 * rng.standard_normal(50)], axis=1)
    loop = np.array([[hsic(xp.asarray(H[:, k]), xp.asarray(H[:, j])) for j in range(4)] for k in range(4)])
    res = pairwise_hsic(xp.asarray(H))
    assert_close(res.matrix, xp.asarray(loop), rtol=RTOL, atol=1e-15)
    assert res.mean_offdiag == pytest.approx(loop[~np.eye(4, dtype=bool)].mean(), rel=RTOL)
    # the chunked two-pass path (forced by a tiny chunk budget) gives the same matrix
    monkeypatch.setattr(_hsic, "_CHUNK_ELEMENTS", 50 * 4 * 7)
    assert_close(pairwise_hsic(xp.asarray(H)).matrix, xp.asarray(loop), rtol=RTOL, atol=1e-15)
    nres = pairwise_hsic(xp.asarray(H), normalize=True)
    d = np.diag(loop)
    assert_close(nres.matrix, xp.asarray(loop / np.sqrt(np.outer(d, d))), rtol=RTOL)
    lin = pairwise_hsic(xp.asarray(H), kernel="linear")
    assert_close(lin.matrix, xp.asarray(np.cov(H.T, ddof=0) ** 2), rtol=RTOL)


def test_pairwise_hsic_rff_approximates_gram(xp, rng):
    u = rng.uniform(-1, 1, 200)
    H = xp.asarray(np.stack([u, u**2, rng.standard_normal(200)], axis=1))
    exact = _backend.to_numpy(pairwise_hsic(H).matrix)
    approx = _backend.to_numpy(pairwise_hsic(H, method="rff", n_features=2048, seed=1).matrix)
    # Theorem B: RMS error O(M^{-1/2}) relative to the O(1e-1) diagonal; at M = 2048 the T2 table
    # gives ~1e-3 absolute for O(3e-2) values; 5e-3 is a 5σ bound
    assert np.max(np.abs(approx - exact)) < 5e-3
    assert approx[0, 1] > 20 * approx[0, 2]


def test_pairwise_hsic_test_pvalues(xp, rng):
    u = rng.uniform(-1, 1, 80)
    H = xp.asarray(np.stack([u, u**2, rng.standard_normal(80)], axis=1))
    res = pairwise_hsic(H, test=True, n_permutations=99, seed=0)
    p = _backend.to_numpy(res.pvalues)
    assert np.all(np.isnan(np.diag(p)))
    assert p[0, 1] == pytest.approx(0.01)  # the dependent pair beats every permutation: 1/(B+1)
    off = p[~np.eye(3, dtype=bool)]
    assert np.all((off >= 0.01) & (off <= 1.0))


def test_dhsic_two_variables_is_hsic_and_matches_formula(xp, rng):
    x, y = _dep_pair(rng, 40)
    assert dhsic(xp.asarray(x), xp.asarray(y)) == pytest.approx(hsic(xp.asarray(x), xp.asarray(y)), rel=1e-12)
    h = make_pairwise_not_mutual(25, seed=int(rng.integers(1000)))
    ks = [_np_gauss(h[:, j], np.median(pdist(h[:, j : j + 1]))) for j in range(3)]
    n = 25
    brute = (
        sum(ks[0][a, b] * ks[1][a, b] * ks[2][a, b] for a in range(n) for b in range(n)) / n**2
        + np.prod([k.sum() / n**2 for k in ks])
        - 2 / n * sum(np.prod([k[a].sum() / n for k in ks]) for a in range(n))
    )
    assert dhsic(*(xp.asarray(h[:, j]) for j in range(3))) == pytest.approx(brute, rel=RTOL)


# --------------------------------------------------------------------------- random features
def test_rf_hsic_converges_to_exact(xp, rng):
    x, y = _dep_pair(rng, 150)
    exact = hsic(xp.asarray(x), xp.asarray(y), bandwidth=1.0)
    errs = [
        abs(rf_hsic(xp.asarray(x), xp.asarray(y), n_features=m, seed=s) - exact)
        for m in (16, 4096)
        for s in range(3)
    ]
    # RMS error ∝ M^{-1/2}: 256x more features → 16x smaller error; 4x margin for 3-draw noise
    assert np.mean(errs[3:]) < np.mean(errs[:3]) / 4
    assert np.mean(errs[3:]) < 0.05 * exact


@pytest.mark.parametrize("family", ["rff", "rff_paired", "relu"])
def test_projector_kernel_limit(family):
    """Kernel-scaled features: φ(a)ᵀφ(b) → κ(a, b) (Monte Carlo with 2·10⁵ draws)."""
    g = random_feature_projector(1, 200_000, family=family, scale="kernel", standardize=False, seed=1)
    pts = np.array([[-1.0], [0.3], [1.5]])
    z = g(pts)
    emp = z @ z.T
    if family == "relu":
        at = np.hstack([pts, np.ones((3, 1))])
        norms = np.linalg.norm(at, axis=1)
        cos = np.clip(at @ at.T / np.outer(norms, norms), -1, 1)
        th = np.arccos(cos)
        exact = np.outer(norms, norms) * (np.sin(th) + (np.pi - th) * np.cos(th)) / (2 * np.pi)
    else:
        exact = np.exp(-cdist(pts, pts, "sqeuclidean") / 2)
    # CLT: φ(a)ᵀφ(b) is a mean of M i.i.d. products; its standard error is their sd/√M
    # (measured from the draws themselves); 5 standard errors
    m = z.shape[1] // 2 if family == "rff_paired" else z.shape[1]
    prods = (z[:, None, :] * z[None, :, :]) * m
    if family == "rff_paired":  # (cos, sin) pairs form one draw
        prods = prods[..., :m] + prods[..., m:]
    se = prods.std(axis=-1) / math.sqrt(m)
    assert np.all(np.abs(emp - exact) < 5 * se + 1e-12)


def test_projector_shapes_blocks_and_namespace(xp, rng):
    g = random_feature_projector(3, 8, seed=0)
    h = xp.asarray(rng.standard_normal((20, 3)))
    z = g(h)
    assert type(z) is type(h)
    assert z.shape == (20, 24)
    assert g.block(2) == slice(16, 24)
    # block k depends on column k only: changing column 0 leaves block 1 unchanged
    h2 = _backend.to_numpy(h).copy()
    h2[:, 0] = rng.standard_normal(20)
    assert_close(g(xp.asarray(h2))[:, g.block(1)], z[:, g.block(1)], rtol=0, atol=0)
    shared = random_feature_projector(3, 8, shared=True, seed=0)
    assert np.array_equal(shared.weights[0], shared.weights[2])
    dense = random_feature_projector(3, 8, separable=False, family="relu", seed=0)
    assert dense(h).shape == (20, 8)
    with pytest.raises(ValueError, match="no per-coordinate blocks"):
        dense.block(0)


# --------------------------------------------------------------------------- VCReg, Theorem A
def _np_vc(z, gamma=1.0, eps=1e-4):
    c = np.cov(z.T, ddof=1)
    v = np.mean(np.maximum(0, gamma - np.sqrt(np.diag(c) + eps)))
    off = np.sum(c**2) - np.sum(np.diag(c) ** 2)
    return v, off / z.shape[1]


def test_vcreg_vicreg_against_numpy(xp, rng):
    z, zp = rng.standard_normal((50, 6)) * 0.5, rng.standard_normal((50, 6)) * 2
    v, c = _np_vc(z)
    vp, cp = _np_vc(zp)
    t = vcreg_loss(xp.asarray(z), mu=3.0, nu=2.0)
    assert t.variance == pytest.approx(3 * v, rel=RTOL)
    assert t.covariance == pytest.approx(2 * c, rel=RTOL)
    t2 = vicreg_loss(xp.asarray(z), xp.asarray(zp))
    s = np.mean(np.sum((z - zp) ** 2, axis=1))
    assert t2.total == pytest.approx(25 * s + 25 * (v + vp) + (c + cp), rel=RTOL)
    ref = vicreg_loss(xp.asarray(z), xp.asarray(zp), convention="reference")
    assert ref.invariance == pytest.approx(25 * s / 6, rel=RTOL)
    assert ref.variance == pytest.approx(12.5 * (v + vp), rel=RTOL)
    w = convert_vicreg_weights(lam=25.0, mu=25.0, nu=1.0, n_dims=6)
    assert vicreg_loss(xp.asarray(z), xp.asarray(zp), **w).total == pytest.approx(ref.total, rel=RTOL)
    back = convert_vicreg_weights(
        lam=w["lam"], mu=w["mu"], nu=1.0, n_dims=6, source="paper", target="reference"
    )
    assert back == {"lam": 25.0, "mu": 25.0, "nu": 1.0, "convention": "reference"}


def test_vicreg_reference_matches_official_torch_code(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = torch.tensor(rng.standard_normal((32, 5)))
    y = torch.tensor(rng.standard_normal((32, 5)))
    # facebookresearch/vicreg main_vicreg.py, forward() without all_gather
    repr_loss = F.mse_loss(x, y)
    xc, yc = x - x.mean(dim=0), y - y.mean(dim=0)
    std_x, std_y = torch.sqrt(xc.var(dim=0) + 0.0001), torch.sqrt(yc.var(dim=0) + 0.0001)
    std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
    cov_x, cov_y = (xc.T @ xc) / 31, (yc.T @ yc) / 31

    def off(c):
        return (c**2).sum() - (torch.diagonal(c) ** 2).sum()

    cov_loss = off(cov_x) / 5 + off(cov_y) / 5
    official = float(25 * repr_loss + 25 * std_loss + 1 * cov_loss)
    ours = vicreg_loss(x.numpy(), y.numpy(), convention="reference").total
    assert ours == pytest.approx(official, rel=1e-12)


@pytest.mark.parametrize("ddof", [0, 1])
def test_theorem_a_identity(xp, rng, ddof):
    n, K, M = 80, 3, 16
    h1 = rng.standard_normal(n)
    H = np.stack([h1, h1**2 - 1 + 0.1 * rng.standard_normal(n), rng.standard_normal(n)], axis=1)
    g = random_feature_projector(K, M, seed=2)
    z = g(xp.asarray(H))
    dec = covariance_decomposition(z, K, M, ddof=ddof)
    zn = _backend.to_numpy(z)
    grams = [zn[:, g.block(k)] @ zn[:, g.block(k)].T for k in range(K)]
    ident = np.array([[_np_hsic_b(grams[k], grams[j], ddof) for j in range(K)] for k in range(K)])
    # both sides are sums of N²M products of O(1) terms: relative error ≤ c·N·eps ≈ 2e-14
    assert_close(dec.pair_matrix, xp.asarray(ident), rtol=1e-10)
    assert dec.cross_block + dec.within_block == pytest.approx(dec.total_offdiag, rel=1e-12)
    assert dec.within_block >= 0
    c = vcreg_loss(z, ddof=ddof, nu=1.0, mu=0.0).covariance
    assert c * K * M == pytest.approx(dec.total_offdiag, rel=1e-12)
    # raw features / M² = kernel-scaled features (consequence 2)
    gk = random_feature_projector(K, M, seed=2, scale="kernel")
    deck = covariance_decomposition(gk(xp.asarray(H)), K, M, ddof=ddof)
    assert_close(deck.pair_matrix, dec.pair_matrix / M**2, rtol=1e-10)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**31), n=st.integers(3, 60), K=st.integers(1, 4), M=st.integers(1, 8))
def test_covariance_term_bounds_pairwise_hsic(xp, seed, n, K, M):
    """T3: c(Z) ≥ (1/D)·Σ_{k≠l} HSIC_RF on every batch (within-block part ≥ 0)."""
    rng = np.random.default_rng(seed)
    g = random_feature_projector(K, M, seed=seed)
    z = g(xp.asarray(rng.standard_normal((n, K)) ** 3))
    dec = covariance_decomposition(z, K, M)
    c = vcreg_loss(z, mu=0.0).covariance
    scale = max(dec.total_offdiag, 1e-300)
    assert c - dec.cross_block / (K * M) >= -1e-12 * scale / (K * M)


# --------------------------------------------------------------------------- tests
def test_hsic_test_permutation_and_gamma(xp, rng):
    x, y = _dep_pair(rng, 100)
    a, b = xp.asarray(x), xp.asarray(y)
    r = hsic_test(a, b, n_permutations=199, seed=4)
    assert r.statistic == pytest.approx(hsic(a, b), rel=1e-12)
    assert r.pvalue == pytest.approx(1 / 200)
    assert r.reject
    assert hsic_test(a, b, n_permutations=199, seed=4) == r  # seeded: reproducible
    z = xp.asarray(rng.standard_normal(100))
    null = hsic_test(a, z, n_permutations=300, seed=0)
    g = hsic_test(a, z, method="gamma")
    # the gamma null mean E (Gretton 2008) vs the permutation null mean: E is the exact
    # permutation expectation up to O(1/n); 300 permutations give a Monte-Carlo SE of sd/√300
    se = math.sqrt(null.null_var / 300)
    assert abs(g.null_mean - null.null_mean) < 0.05 * g.null_mean + 4 * se
    # unbiased and normalised statistics: same permutations, same ordering → consistent p-values
    nr = hsic_test(a, z, n_permutations=300, seed=0, normalize=True)
    assert nr.pvalue == null.pvalue
    u = hsic_test(a, b, n_permutations=99, estimator="unbiased")
    assert u.statistic == pytest.approx(hsic(a, b, estimator="unbiased"), rel=1e-12)
    assert u.pvalue == pytest.approx(0.01)


def test_dhsic_test_detects_pairwise_not_mutual(xp):
    h = xp.asarray(make_pairwise_not_mutual(400, seed=1))
    cols = [h[:, j] for j in range(3)]
    r = dhsic_test(*cols, n_permutations=99, seed=0)
    assert r.statistic == pytest.approx(dhsic(*cols), rel=1e-12)
    assert r.pvalue == pytest.approx(0.01)


def test_hyppo_conversion(rng):
    hyppo = pytest.importorskip("hyppo")
    x, y = _dep_pair(rng, 80)
    stat = hyppo.independence.Hsic(bias=True).statistic(x[:, None], y[:, None])
    sigma = float(np.median(pdist(x[:, None])))  # hyppo: σ from the first argument, for both
    hb = hsic(x, y, bandwidth=sigma)
    hxx, hyy = hsic(x, x, bandwidth=sigma), hsic(y, y, bandwidth=sigma)
    assert hb == pytest.approx(stat**2 * math.sqrt(hxx * hyy), rel=1e-6)  # D2b


# --------------------------------------------------------------------------- ICA
def test_whiten_and_amari_and_mcc(xp, rng):
    X, S, _ = make_ica_data(300, 3, sources="uniform", seed=int(rng.integers(1000)))
    xw, wh = whiten(xp.asarray(X))
    xwn = _backend.to_numpy(xw)
    assert_close(xp.asarray(np.cov(xwn.T, ddof=1)), xp.asarray(np.eye(3)), rtol=0, atol=1e-10)
    # whitening matrix symmetric and W_h C W_h = I (independent of the data product above)
    whn = _backend.to_numpy(wh)
    assert np.allclose(whn, whn.T, atol=1e-12)
    assert amari_distance(xp.asarray(np.array([[0, 2.0, 0], [0, 0, -1], [5, 0, 0]]))) == 0.0
    p = np.array([[1.0, 0.5], [0.5, 1.0]])
    # normalized: rows (1+0.5−1)·2 + cols same = 2 → 2/(2·2·1) = 0.5
    assert amari_distance(xp.asarray(p)) == pytest.approx(0.5)
    # picard: rows s = 2·(1.25−1) = 0.5, cols 0.5 → 1/(2·2) = 0.25
    assert amari_distance(xp.asarray(p), variant="picard") == pytest.approx(0.25)
    assert mcc(xp.asarray(-3 * S[:, [2, 0, 1]]), xp.asarray(S)) == pytest.approx(1.0)
    assert mcc(xp.asarray(S[:, ::-1] ** 3), xp.asarray(S), method="spearman") == pytest.approx(1.0)


def test_vcreg_ica_recovers_laplace_sources(xp):
    X, S, A = make_ica_data(1000, 2, sources="laplace", seed=0)
    res = vcreg_ica(xp.asarray(X), n_features=32, n_restarts=2)
    # D9/§8: Amari < 0.06 (spec threshold; at N = 1000 the estimation error is ~0.02)
    assert amari_distance(res.unmixing, xp.asarray(A)) < 0.06
    assert type(res.sources) is type(xp.asarray(X))
    assert res.objective == min(res.objectives_per_restart)
    r = _backend.to_numpy(res.rotation)
    assert np.allclose(r @ r.T, np.eye(2), atol=1e-12)
    assert mcc(res.sources, xp.asarray(S)) > 0.95


@pytest.mark.slow
@pytest.mark.parametrize("sources", ["laplace", "uniform", "mixed"])
def test_vcreg_ica_no_worse_than_fastica(sources):
    from sklearn.decomposition import FastICA

    ours, theirs = [], []
    for seed in range(4):
        X, _, A = make_ica_data(2000, 2, sources=sources, seed=seed)
        ours.append(amari_distance(vcreg_ica(X, seed=seed).unmixing, A))
        ica = FastICA(2, fun="logcosh", whiten="unit-variance", random_state=seed, max_iter=1000).fit(X)
        theirs.append(amari_distance(ica.components_, A))
    # §8.1: both below 0.06; ours no worse than FastICA's up to the estimation noise at N = 2000 (0.02)
    assert max(ours) < 0.06
    assert np.mean(ours) <= np.mean(theirs) + 0.02


# --------------------------------------------------------------------------- bad input
def test_bad_input_messages(xp):
    a, b = xp.asarray(np.arange(10.0)), xp.asarray(np.arange(9.0))
    with pytest.raises(ValueError, match="same number of samples"):
        hsic(a, b)
    with pytest.raises(ValueError, match="at least 4 samples"):
        hsic(a[:3], a[:3], estimator="unbiased")
    with pytest.raises(ValueError, match="bandwidth must be > 0"):
        hsic(a, a, bandwidth=0.0)
    with pytest.raises(ValueError, match="bandwidth must be one of"):
        gram(a, bandwidth="silverman")
    with pytest.raises(ValueError, match="x is constant"):
        hsic(xp.ones(10, dtype=xp.float64), a, normalize=True)
    with pytest.raises(ValueError, match="constant column"):
        whiten(xp.asarray(np.stack([np.arange(10.0), np.ones(10)], axis=1)))
    with pytest.raises(ValueError, match="collinear"):
        whiten(xp.asarray(np.stack([np.arange(10.0), 2 * np.arange(10.0)], axis=1)))
    with pytest.raises(ValueError, match="H\\[:, 1\\] is constant"):
        pairwise_hsic(xp.asarray(np.stack([np.arange(10.0), np.ones(10)], axis=1)), normalize=True)
    with pytest.raises(ValueError, match="constant"):
        hsic_test(xp.ones(10, dtype=xp.float64), a, method="gamma")
    nan = xp.asarray(np.array([0.0, 1.0, np.nan, 3.0]))
    with pytest.raises(ValueError, match="x must be finite"):
        hsic(nan, xp.asarray(np.arange(4.0)))
    with pytest.raises(ValueError, match="H must be finite"):
        pairwise_hsic(xp.reshape(nan, (2, 2)))
    with pytest.raises(ValueError, match="k\\(a, a\\) = 1"):
        hsic_test(a, a, method="gamma", kernel="linear")
    with pytest.raises(ValueError, match="method must be"):
        hsic_test(a, a, method="bootstrap")
    with pytest.raises(ValueError, match="all variables must have the same number"):
        dhsic(a, b)
    with pytest.raises(ValueError, match="n_blocks \\* block_size"):
        covariance_decomposition(xp.ones((5, 4), dtype=xp.float64), 3, 2)
    with pytest.raises(ValueError, match="even"):
        random_feature_projector(2, 7, family="rff_paired")
    with pytest.raises(ValueError, match="Z and Zp must have the same shape"):
        vicreg_loss(xp.ones((5, 4), dtype=xp.float64), xp.ones((5, 3), dtype=xp.float64))
    with pytest.raises(ValueError, match="zero row or column"):
        amari_distance(xp.asarray(np.array([[1.0, 0.0], [0.0, 0.0]])))
    with pytest.raises(TypeError, match="unexpected keyword"):
        hsic_test(a, a, n_perm=3)


def test_integer_input_is_promoted(xp):
    a = xp.asarray(np.arange(12))
    b = xp.asarray(np.arange(12) % 3)
    assert hsic(a, b) == pytest.approx(hsic(xp.astype(a, xp.float64), xp.astype(b, xp.float64)))
    assert gram(a).dtype == xp.float64


def test_make_pairwise_not_mutual_structure(rng):
    h = make_pairwise_not_mutual(2000, seed=int(rng.integers(1000)))
    assert np.all(np.sign(h[:, 0] * h[:, 1]) * np.sign(h[:, 2]) >= 0)
    # pairwise: every column is N(0,1) and uncorrelated with the others (4σ of 1/√2000)
    c = np.corrcoef(h.T)
    assert np.max(np.abs(c - np.eye(3))) < 4 / math.sqrt(2000)


# --------------------------------------------------------------------------- fast paths
def test_permutation_nulls_match_bruteforce(xp, rng, monkeypatch):
    """The row/column-gather path (here forced at n = 70) gives the brute-force null."""
    from ssltheory.independence import _stattests as stt

    n, B = 70, 12
    monkeypatch.setattr(stt, "_ROWCOL_MIN_N", 64)  # the gather path under test
    x, y = _dep_pair(rng, n)
    z = rng.standard_normal(n)
    a, b, c = xp.asarray(x), xp.asarray(y), xp.asarray(z)
    perms = np.concatenate(
        list(stt._permutation_batches(n, B, 3, per_batch=max(1, stt._BATCH_ELEMENTS // (n * n))))
    )
    for est in ("biased", "unbiased"):
        r = hsic_test(a, b, n_permutations=B, seed=3, estimator=est)
        kx, ky = _np_gauss(x, r.bandwidths[0]), _np_gauss(y, r.bandwidths[1])
        brute = np.array([hsic(kx, ky[np.ix_(p, p)], kernel="precomputed", estimator=est) for p in perms])
        # each value is a sum of n² O(1) terms (RTOL); the variance loses ~3 digits to cancellation
        assert r.null_mean == pytest.approx(float(np.mean(brute)), rel=RTOL)
        assert r.null_var == pytest.approx(float(np.var(brute)), rel=1e-6)
    # dHSIC: every variable but the first permuted independently, drawn in that order per batch
    r = dhsic_test(a, b, c, n_permutations=B, seed=5)
    ks = [_np_gauss(v, s) for v, s in zip((x, y, z), r.bandwidths, strict=True)]
    g = np.random.default_rng(5)
    pb = np.tile(np.arange(n), (B, 1))
    p2, p3 = g.permuted(pb, axis=1), g.permuted(pb, axis=1)  # one batch (B·n² < batch size)

    def dh(k1, k2, k3):  # dHSIC from its V-statistic definition (Pfister et al. 2018)
        ksl = (k1, k2, k3)
        t3 = np.mean(np.prod([k.mean(1) for k in ksl], axis=0))
        return np.mean(k1 * k2 * k3) + np.prod([k.mean() for k in ksl]) - 2 * t3

    brute = [dh(ks[0], ks[1][np.ix_(p2[k], p2[k])], ks[2][np.ix_(p3[k], p3[k])]) for k in range(B)]
    assert r.null_mean == pytest.approx(float(np.mean(brute)), rel=RTOL)


def test_permutation_gather_paths_agree(xp, rng, monkeypatch):
    from ssltheory.independence import _stattests as stt

    x, y = _dep_pair(rng, 80)
    a, b = xp.asarray(x), xp.asarray(y)
    h = xp.asarray(make_pairwise_not_mutual(80, seed=2))
    monkeypatch.setattr(stt, "_ROWCOL_MIN_N", 1)  # force the row/column gathers
    fast = (
        hsic_test(a, b, n_permutations=50, seed=1),
        dhsic_test(h[:, 0], h[:, 1], h[:, 2], n_permutations=50),
    )
    monkeypatch.setattr(stt, "_ROWCOL_MIN_N", 10**9)  # force the flat gather
    flat = (
        hsic_test(a, b, n_permutations=50, seed=1),
        dhsic_test(h[:, 0], h[:, 1], h[:, 2], n_permutations=50),
    )
    for f, g in zip(fast, flat, strict=True):
        assert f.pvalue == g.pvalue
        # same products summed in another order: n²·eps relative
        assert f.null_mean == pytest.approx(g.null_mean, rel=RTOL)


def test_rf_hsic_gram_form_when_fewer_samples_than_features(xp, rng):
    """n < M uses tr(Kx Ky)/a² of the feature Grams; it must equal ‖Φxᵀ Φy‖²/a² (the covariance form)."""
    from ssltheory.independence import _features as ft

    x, y = _dep_pair(rng, 20)
    m = 64
    val = rf_hsic(xp.asarray(x), xp.asarray(y), n_features=m, seed=7, bandwidth=1.0, ddof=1)
    g = np.random.default_rng(7)
    phis = []
    for v in (x, y):
        w, b = ft._draw_params(g, 1, m, "rff", 1.0, 1)
        phi = math.sqrt(2.0 / m) * np.cos(v[:, None] @ w[0] + b[0])
        phis.append(phi - phi.mean(0))
    c = phis[0].T @ phis[1] / 19
    assert val == pytest.approx(float(np.sum(c * c)), rel=RTOL)


def test_vcreg_ica_refinement_only_lowers_the_objective(xp):
    X, _, _ = make_ica_data(600, 3, sources="laplace", seed=3)
    kw = {"n_features": 16, "n_restarts": 2, "n_angles": 8, "seed": 1}
    coarse = vcreg_ica(xp.asarray(X), refine=False, **kw)
    fine = vcreg_ica(xp.asarray(X), refine=True, **kw)
    # refinement accepts a pair rotation only if it lowers the objective, restart by restart
    for c, f in zip(coarse.objectives_per_restart, fine.objectives_per_restart, strict=True):
        assert f <= c * (1 + 1e-12)  # equal when nothing moved, up to the rounding of the re-evaluation
    r = _backend.to_numpy(fine.rotation)
    assert np.allclose(r @ r.T, np.eye(3), atol=1e-12)

"""ssltheory.kernel: base kernels and the kernel-regime closed forms (spec/kernel.md).

Every check compares with an independent computation: scikit-learn / SciPy kernels, dense NumPy
formulas with an explicit inverse (allowed here, never in the library), brute-force objectives.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import pdist
from sklearn.metrics import pairwise

from ssltheory import DegenerateSpectrumWarning, _backend
from ssltheory.graphs import label_graph
from ssltheory.kernel import (
    induced_kernel,
    kernel_ssl_solve,
    laplacian_kernel,
    linear_kernel,
    linear_ssl_solve,
    median_bandwidth,
    nystrom_features,
    polynomial_kernel,
    rbf_kernel,
)
from ssltheory.testing import assert_close, assert_same_subspace

EPS = np.finfo(np.float64).eps
RTOL = 4 * np.sqrt(EPS)  # default_rtol(float64): eigenvector-level quantities lose half the digits


def _toy(rng, n=5, m=3, p=2, noise=0.3):
    base = rng.standard_normal((n, p))
    x = np.concatenate([base + noise * rng.standard_normal((n, p)) for _ in range(m)])
    groups = np.tile(np.arange(n), m)
    return x, groups


def _weighted_graph(rng, n):
    g = rng.uniform(0.1, 1.0, (n, n)) * (rng.random((n, n)) < 0.6)
    g = np.triu(g, 1)
    return g + g.T


def _h(x):
    return _backend.to_numpy(x)


def _psd_top(mat, d):
    """[S]_{d,+} by a dense NumPy eigendecomposition."""
    w, v = np.linalg.eigh((mat + mat.T) / 2)
    w, v = w[::-1][:d], v[:, ::-1][:, :d]
    return (v * np.clip(w, 0, None)) @ v.T


# ----------------------------------------------------------------------------- kernels
def test_kernels_match_scikit_learn(xp, rng):
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((4, 3))
    xa, ya = xp.asarray(x), xp.asarray(y)
    tol = 64 * EPS  # O(p) flops per entry, entries O(1): a few ulps
    assert_close(
        rbf_kernel(xa, ya, bandwidth=0.7),
        pairwise.rbf_kernel(x, y, gamma=1 / (2 * 0.49)),
        rtol=0,
        atol=tol,
        check_namespace=False,
    )
    assert_close(
        rbf_kernel(xa, bandwidth=0.7),
        pairwise.rbf_kernel(x, gamma=1 / (2 * 0.49)),
        rtol=0,
        atol=tol,
        check_namespace=False,
    )
    assert_close(
        laplacian_kernel(xa, ya, bandwidth=2.0),
        pairwise.laplacian_kernel(x, y, gamma=0.5),
        rtol=0,
        atol=tol,
        check_namespace=False,
    )
    assert_close(linear_kernel(xa, ya), x @ y.T, rtol=0, atol=tol * 10, check_namespace=False)
    assert_close(
        polynomial_kernel(xa, ya, degree=2, coef0=0.5),
        pairwise.polynomial_kernel(x, y, degree=2, coef0=0.5),
        rtol=tol,
        atol=tol,
        check_namespace=False,
    )
    for k in (rbf_kernel(xa, bandwidth=1.0), linear_kernel(xa), laplacian_kernel(xa, bandwidth=1.0)):
        assert type(k) is type(xa)
        assert k.dtype == xp.float64
        assert float(xp.max(xp.abs(k - k.mT))) == 0.0  # exactly symmetric by construction


def test_integer_input_is_promoted(xp):
    k = rbf_kernel(xp.asarray([[0, 1], [2, 3]]), bandwidth=1.0)
    assert k.dtype == xp.float64
    assert abs(float(k[0, 1]) - np.exp(-8 / 2)) <= 4 * EPS  # ‖x-y‖² = 8 exactly; one exp


@settings(max_examples=10)
@given(n=st.integers(2, 12), p=st.integers(1, 4), seed=st.integers(0, 2**31))
def test_median_bandwidth_matches_scipy(xp, n, p, seed):
    x = np.random.default_rng(seed).standard_normal((n, p))
    expected = float(np.median(pdist(x)))
    # distances via the Gram expansion: relative error ~ eps·‖x‖²/dist², well below 1e-6 here
    assert abs(median_bandwidth(xp.asarray(x)) - expected) <= 1e-6 * expected


def test_kernel_bad_input(xp):
    x = xp.asarray([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="bandwidth must be > 0"):
        rbf_kernel(x, bandwidth=0.0)
    with pytest.raises(ValueError, match="same number of features"):
        rbf_kernel(x, xp.asarray([[1.0, 2.0, 3.0]]), bandwidth=1.0)
    with pytest.raises(ValueError, match="x must be finite"):
        linear_kernel(xp.asarray([[0.0, float("nan")]]))
    with pytest.raises(ValueError, match="median pairwise distance"):
        median_bandwidth(xp.asarray([[1.0], [1.0], [1.0]]))
    with pytest.raises(ValueError, match="at least 2 row"):
        median_bandwidth(xp.asarray([[1.0]]))


# ----------------------------------------------------------------------------- representer form
@pytest.mark.parametrize(
    ("loss", "kw"),
    [
        ("wmse", {}),
        ("vicreg", {}),
        ("spectral_contrastive", {"weighting": "none"}),
        ("spectral_contrastive", {}),
    ],
)
def test_representer_form_on_training_points(xp, rng, loss, kw):
    x, groups = _toy(rng)
    k = rbf_kernel(xp.asarray(x), bandwidth=1.0)
    sol = kernel_ssl_solve(k, label_graph(xp.asarray(groups)), n_components=5, loss=loss, **kw)
    cond = sol.condition
    # f(x_i) = C k_{x_i} = z_i: C K = Y Λ⁻¹ V_rᵀ K, rounding amplified by cond(K)
    assert_close(sol.coef @ k, sol.embedding.mT, rtol=0, atol=100 * cond * EPS * 10)
    kstar = induced_kernel(sol.coef, k)
    assert_close(kstar, sol.train_gram, rtol=0, atol=100 * cond * EPS * 10)
    w = np.linalg.eigvalsh(_h(kstar))
    assert w[:-5].max() <= 1e3 * cond * EPS * 10  # rank <= d
    assert w.min() >= -1e3 * cond * EPS * 10  # PSD


def test_induced_kernel_new_points_match_master_formula(xp, rng):
    x, groups = _toy(rng)
    xt = rng.standard_normal((4, 2))
    k = rbf_kernel(x, bandwidth=1.0)
    kt = rbf_kernel(x, xt, bandwidth=1.0)
    sol = kernel_ssl_solve(xp.asarray(k), label_graph(xp.asarray(groups)), n_components=3)
    got = induced_kernel(sol.coef, xp.asarray(kt))
    kinv = np.linalg.inv(k)  # K invertible here (distinct points)
    expected = kt.T @ kinv @ _h(sol.train_gram) @ kinv @ kt
    cond = np.linalg.cond(k)
    assert_close(
        got, expected, rtol=0, atol=cond * 1e3 * EPS * max(1, np.abs(expected).max()), check_namespace=False
    )


# ----------------------------------------------------------------------------- closed forms vs dense formulas
def test_sc_unweighted_matches_eckart_young(xp, rng):
    x = rng.standard_normal((9, 3))
    k = rbf_kernel(x, bandwidth=1.5)
    a = _weighted_graph(rng, 9)
    for d, rho_o, rho in [(2, 0.0, 0.0), (4, 0.3, 0.0), (3, 0.2, 1e-2)]:
        sol = kernel_ssl_solve(
            xp.asarray(k),
            xp.asarray(a),
            n_components=d,
            loss="spectral_contrastive",
            weighting="none",
            output_penalty=rho_o,
            ridge=rho,
        )
        kinv = np.linalg.inv(k)
        expected = _psd_top(a - rho_o / 2 * np.eye(9) - rho / 2 * kinv, d)
        # both sides from well-separated eigenpairs; the ridge term carries cond(K)
        assert_close(
            sol.train_gram, expected, rtol=0, atol=np.linalg.cond(k) * 1e3 * EPS, check_namespace=False
        )
        z = _h(sol.embedding)
        brute = (
            -2 * np.trace(z.T @ a @ z)
            + np.sum((z.T @ z) ** 2)
            + rho_o * np.sum(z**2)
            + rho * np.trace(z.T @ kinv @ z)
        )
        assert abs(sol.loss - brute) <= 1e-8 * max(1, abs(brute))  # cond(K)·eps-level


def test_sc_degree_weighted_matches_formula(xp, rng):
    x = rng.standard_normal((8, 2))
    k = rbf_kernel(x, bandwidth=1.0)
    a = _weighted_graph(rng, 8) + 0.05
    np.fill_diagonal(a, 0.0)
    rho_o, rho, d = 0.1, 1e-3, 3
    sol = kernel_ssl_solve(
        xp.asarray(k),
        xp.asarray(a),
        n_components=d,
        loss="spectral_contrastive",
        output_penalty=rho_o,
        ridge=rho,
    )
    w = a.sum(1) / a.sum()
    dh = np.diag(1 / np.sqrt(w))
    abar = a / np.sqrt(np.outer(a.sum(1), a.sum(1)))
    inner = _psd_top(abar - rho_o / 2 * np.eye(8) - rho / 2 * dh @ np.linalg.inv(k) @ dh, d)
    expected = dh @ inner @ dh
    assert_close(
        sol.train_gram,
        expected,
        rtol=0,
        atol=np.linalg.cond(k) * 1e4 * EPS * np.abs(expected).max(),
        check_namespace=False,
    )


def test_wmse_matches_laplacian_plus_ridge(xp, rng):
    x = rng.standard_normal((10, 2))
    k = rbf_kernel(x, bandwidth=1.0)
    a = _weighted_graph(rng, 10)
    lap = np.diag(a.sum(1)) - a
    rho, d = 1e-2, 3
    sol = kernel_ssl_solve(xp.asarray(k), xp.asarray(a), n_components=d, ridge=rho)
    w, u = np.linalg.eigh(lap + rho * np.linalg.inv(k))
    expected = 10 * u[:, :d] @ u[:, :d].T
    gap = w[d] - w[d - 1]
    # subspace error ~ rounding/eigengap; rounding of ρK⁻¹ carries cond(K)
    assert_close(
        sol.train_gram, expected, rtol=0, atol=10 * np.linalg.cond(k) * 1e2 * EPS / gap, check_namespace=False
    )
    assert abs(sol.loss - 10 * w[:d].sum()) <= 1e-8 * max(1.0, 10 * w[:d].sum())
    z = _h(sol.embedding)
    assert_close(z.T @ z / 10, np.eye(d), rtol=0, atol=1e3 * EPS)  # the whitening constraint


def test_vicreg_soft_thresholds(xp, rng):
    x = rng.standard_normal((10, 2))
    k = rbf_kernel(x, bandwidth=1.0)
    a = _weighted_graph(rng, 10)
    lap = np.diag(a.sum(1)) - a
    gamma, alpha = 2.0, 3.0
    sol = kernel_ssl_solve(
        xp.asarray(k),
        xp.asarray(a),
        n_components=6,
        loss="vicreg",
        invariance_weight=gamma,
        variance_weight=alpha,
    )
    ell = np.linalg.eigvalsh(lap)[:6]
    s = 10 * np.clip(1 - gamma * ell / alpha, 0, None)  # spec §3.4, ρ = 0
    z = _h(sol.embedding)
    assert_close(np.sort(np.linalg.eigvalsh(z.T @ z))[::-1], np.sort(s)[::-1], rtol=0, atol=1e-9 * 10)


def test_centered_wmse_constraint_and_offset(xp, rng):
    x, groups = _toy(rng, n=4, m=3)
    k = rbf_kernel(x, bandwidth=1.0)
    sol = kernel_ssl_solve(
        xp.asarray(k), label_graph(xp.asarray(groups)), n_components=3, center=True, ridge=1e-3
    )
    z = _h(sol.embedding)
    n = z.shape[0]
    zc = z - z.mean(0)
    assert_close(zc.T @ zc / n, np.eye(3), rtol=0, atol=1e-9)  # true covariance whitened
    # the offset is RKHS-norm optimal: moving it along any direction does not lower ‖W‖²
    kinv = np.linalg.inv(k)
    ones = np.ones(n)
    grad_b = 2 * z.T @ kinv @ ones  # ∂/∂b Tr((Z + 1bᵀ)ᵀ K⁻¹ (Z + 1bᵀ)) at b = 0
    assert np.abs(grad_b).max() <= np.linalg.cond(k) * 1e3 * EPS * np.abs(z).max() * n


def test_feature_normalization(xp, rng):
    x = rng.standard_normal((9, 2))
    k = rbf_kernel(x, bandwidth=1.0)
    a = _weighted_graph(rng, 9)
    lap = np.diag(a.sum(1)) - a
    sol = kernel_ssl_solve(xp.asarray(k), xp.asarray(a), n_components=2, normalization="feature")
    c = _h(sol.coef)
    assert_close(c @ k @ c.T, np.eye(2), rtol=0, atol=np.linalg.cond(k) * 1e3 * EPS)  # W W* = I
    w, v = np.linalg.eigh(k)
    khalf = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    expected = np.linalg.eigvalsh(khalf @ lap @ khalf)[:2].sum()
    assert abs(sol.loss - expected) <= 1e-9 * max(1, expected)


# ----------------------------------------------------------------------------- invariances
def test_kernel_scale_and_permutation(xp, rng):
    x, groups = _toy(rng)
    xt = rng.standard_normal((3, 2))
    k, kt = rbf_kernel(x, bandwidth=1.0), rbf_kernel(x, xt, bandwidth=1.0)
    a = label_graph(groups)
    ref = induced_kernel(kernel_ssl_solve(xp.asarray(k), xp.asarray(a), n_components=3).coef, xp.asarray(kt))
    cond = np.linalg.cond(k)
    tol = cond * 1e3 * EPS
    scaled = kernel_ssl_solve(xp.asarray(7.0 * k), xp.asarray(a), n_components=3)
    assert_close(induced_kernel(scaled.coef, xp.asarray(7.0 * kt)), ref, rtol=0, atol=tol)
    perm = rng.permutation(k.shape[0])
    permuted = kernel_ssl_solve(
        xp.asarray(k[np.ix_(perm, perm)]), xp.asarray(a[np.ix_(perm, perm)]), n_components=3
    )
    assert_close(induced_kernel(permuted.coef, xp.asarray(kt[perm])), ref, rtol=0, atol=tol)


def test_linear_features_and_nystrom_match_dense(xp, rng):
    x, groups = _toy(rng, n=6, m=3)
    a = xp.asarray(label_graph(groups))
    phi = rng.standard_normal((18, 5))
    for loss, kw in [("wmse", {}), ("vicreg", {}), ("spectral_contrastive", {"weighting": "none"})]:
        fs = linear_ssl_solve(xp.asarray(phi), a, n_components=3, loss=loss, ridge=1e-2, **kw)
        ks = kernel_ssl_solve(xp.asarray(phi @ phi.T), a, n_components=3, loss=loss, ridge=1e-2, **kw)
        f = _h(fs.embedding)
        assert_close(
            f @ f.T, ks.train_gram, rtol=0, atol=1e-8 * max(1, np.abs(f).max() ** 2), check_namespace=False
        )
        assert_close(xp.asarray(phi) @ fs.weights, fs.embedding, rtol=0, atol=1e-9)  # Φ W = U_r Yᵀ
    # Nyström with every point as a landmark is exact (spec §3.9)
    k = rbf_kernel(x, bandwidth=2.0)
    feats = nystrom_features(xp.asarray(k), xp.asarray(k))
    ns = linear_ssl_solve(feats, a, n_components=3, ridge=1e-3)
    ks = kernel_ssl_solve(xp.asarray(k), a, n_components=3, ridge=1e-3)
    f = _h(ns.embedding)
    # rtol-truncated inverse square root of K_LL: errors ~ √cond·eps per entry, times N
    assert_close(f @ f.T, ks.train_gram, rtol=0, atol=1e-6 * 18, check_namespace=False)


# ----------------------------------------------------------------------------- ties
def test_kernel_tie_break_matches_tiny_ridge(xp, rng):
    x, groups = _toy(rng, n=6, m=3)
    k = rbf_kernel(x, bandwidth=1.0)
    a = label_graph(groups)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sol = kernel_ssl_solve(xp.asarray(k), xp.asarray(a), n_components=2)
    assert sol.graph_tie
    small = kernel_ssl_solve(xp.asarray(k), xp.asarray(a), n_components=2, ridge=1e-9)
    # O(ρ·cond) convergence (spec §3.6): ρ‖K⁻¹‖ ~ 1e-9·cond relative to the graph gap m = 3
    assert_same_subspace(sol.embedding, small.embedding, atol=1e-9 * np.linalg.cond(k) * 10)
    with pytest.warns(DegenerateSpectrumWarning, match="not unique"):
        kernel_ssl_solve(xp.asarray(k), xp.asarray(a), n_components=2, tie_break=None)


# ----------------------------------------------------------------------------- errors and namespaces
def test_bad_input(xp, rng):
    x, groups = _toy(rng)
    k = xp.asarray(rbf_kernel(x, bandwidth=1.0))
    a = xp.asarray(label_graph(groups))
    with pytest.raises(ValueError, match="not positive semi-definite"):
        kernel_ssl_solve(k - 0.5 * xp.eye(15, dtype=xp.float64), a, n_components=2)
    bad = xp.where(xp.eye(15, dtype=xp.bool), xp.asarray(float("nan")), k)
    with pytest.raises(ValueError, match="gram must be finite"):
        kernel_ssl_solve(bad, a, n_components=2)
    with pytest.raises(ValueError, match="larger than the rank allows"):
        kernel_ssl_solve(xp.asarray(linear_kernel(x)), a, n_components=3)
    with pytest.raises(ValueError, match=r"graph must be \(15, 15\)"):
        kernel_ssl_solve(k, a[:14, :14], n_components=2)
    with pytest.raises(ValueError, match="symmetric kernel matrix"):
        kernel_ssl_solve(k + xp.asarray(np.triu(np.ones((15, 15)), 1)), a, n_components=2)
    with pytest.raises(ValueError, match="center=True needs a numerically invertible"):
        kernel_ssl_solve(xp.asarray(linear_kernel(x)), a, n_components=1, center=True)
    with pytest.raises(ValueError, match="output_penalty applies only"):
        kernel_ssl_solve(k, a, n_components=2, output_penalty=1.0)
    with pytest.raises(ValueError, match="normalization='feature' is defined only"):
        kernel_ssl_solve(k, a, n_components=2, loss="vicreg", normalization="feature")
    with pytest.raises(ValueError, match="isolated view"):
        kernel_ssl_solve(
            k,
            xp.zeros((15, 15), dtype=xp.float64) + xp.asarray(np.diag(np.r_[0.0, np.ones(14)])),
            n_components=2,
            loss="spectral_contrastive",
        )
    with pytest.raises(ValueError, match="loss must be one of"):
        kernel_ssl_solve(k, a, n_components=2, loss="simclr")
    with pytest.raises(TypeError, match="n_components must be an integer"):
        kernel_ssl_solve(k, a, n_components=2.0)
    with pytest.raises(ValueError, match="k_cross must have 15 rows"):
        induced_kernel(xp.ones((2, 15), dtype=xp.float64), xp.ones((3, 2), dtype=xp.float64))


def test_namespace_and_dtype_preserved(xp, rng):
    x, groups = _toy(rng)
    k = xp.asarray(rbf_kernel(x, bandwidth=1.0))
    sol = kernel_ssl_solve(k, label_graph(xp.asarray(groups)), n_components=2)
    for arr in (sol.coef, sol.embedding, sol.train_gram, sol.eigenvalues):
        assert type(arr) is type(k)
        assert arr.dtype == xp.float64
        assert _backend.device(arr) == _backend.device(k)
    assert sol.coef.shape == (2, 15)
    assert sol.embedding.shape == (15, 2)


def test_sparse_graph_matches_dense(rng):
    import array_api_compat.numpy as xp

    x, groups = _toy(rng)
    k = rbf_kernel(x, bandwidth=1.0)
    for loss, kw in [("wmse", {}), ("spectral_contrastive", {})]:
        dense = kernel_ssl_solve(xp.asarray(k), label_graph(groups), n_components=5, loss=loss, **kw)
        sparse = kernel_ssl_solve(
            xp.asarray(k), label_graph(groups, sparse=True), n_components=5, loss=loss, **kw
        )
        assert_close(
            sparse.train_gram, dense.train_gram, rtol=0, atol=1e-9
        )  # same arithmetic, reordered sums


@settings(max_examples=8)
@given(n=st.integers(3, 6), m=st.integers(2, 3), seed=st.integers(0, 2**31))
def test_clique_correlate_decorrelate_property(xp, n, m, seed):
    # spec §4 item 5: clique, K invertible, d = n: k*(x_i, x_j) = c·1[g(i) = g(j)]
    x, groups = _toy(np.random.default_rng(seed), n=n, m=m)
    k = rbf_kernel(x, bandwidth=1.0)
    cond = np.linalg.cond(k)
    a = xp.asarray(label_graph(groups))
    same = (groups[:, None] == groups[None, :]).astype(float)
    big_n = n * m
    for loss, kw, c in [
        ("spectral_contrastive", {"weighting": "none"}, (m - 1) / m),
        ("spectral_contrastive", {}, big_n / m),
        ("wmse", {}, big_n / m),
    ]:
        sol = kernel_ssl_solve(xp.asarray(k), a, n_components=n, loss=loss, **kw)
        assert_close(sol.train_gram, c * same, rtol=0, atol=cond * 1e4 * EPS * c, check_namespace=False)


# ----------------------------------------------------------------------------- numerical path
def test_minimize_matches_closed_forms(xp, rng):
    from ssltheory.kernel import kernel_ssl_minimize
    from ssltheory.losses import SpectralContrastiveLoss

    x = rng.standard_normal((8, 2))
    k = xp.asarray(rbf_kernel(x, bandwidth=0.5))
    a = xp.asarray(label_graph(np.arange(8) % 3))
    numpy_backend = _backend.is_numpy(xp)
    for weighting in ("none", "degree"):
        exact = kernel_ssl_solve(
            k, a, n_components=2, loss="spectral_contrastive", weighting=weighting, ridge=0.1
        )
        kw = {} if numpy_backend else {"n_steps": 800, "learning_rate": 3e-2, "tol": 1e-6}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Adam may stop on n_steps; the loss is checked instead
            num = kernel_ssl_minimize(
                k, a, SpectralContrastiveLoss(weighting=weighting), n_components=2, ridge=0.1, rng=0, **kw
            )
        # L-BFGS at gtol 1e-10 and Adam stopped at max|grad| <= 1e-6: the loss gap is second order in the
        # gradient (≲ grad²/curvature ~ 1e-12 for Adam); 1e-8 / 1e-6 relative leave a wide margin
        tol = 1e-8 if numpy_backend else 1e-6
        assert abs(num.loss - exact.loss) <= tol * abs(exact.loss)
        assert type(num.coef) is type(k)


def test_minimize_bad_input(xp, rng):
    from ssltheory import NotConvergedWarning
    from ssltheory.kernel import kernel_ssl_minimize
    from ssltheory.losses import SpectralContrastiveLoss

    k = xp.asarray(rbf_kernel(rng.standard_normal((6, 2)), bandwidth=0.5))
    a = xp.asarray(label_graph(np.arange(6) % 3))
    with pytest.raises(TypeError, match="loss_fn must be"):
        kernel_ssl_minimize(k, a, 3, n_components=2)
    with pytest.warns(NotConvergedWarning, match="did not reach"):
        kernel_ssl_minimize(k, a, SpectralContrastiveLoss(), n_components=2, n_steps=1, rng=0)


@settings(max_examples=10)
@given(n=st.integers(4, 9), d=st.integers(1, 3), seed=st.integers(0, 2**31))
def test_closed_forms_property_random_graphs(xp, n, d, seed):
    # SC-u = [A − (ρ/2)K⁻¹]_{d,+} and VIC-hard = N·(bottom-d of L + ρK⁻¹) on drawn graphs and data
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, 2))
    k = rbf_kernel(x, bandwidth=0.7)
    a = _weighted_graph(r, n)
    rho = 0.05
    kinv = np.linalg.inv(k)
    cond = np.linalg.cond(k)
    sc = kernel_ssl_solve(
        xp.asarray(k),
        xp.asarray(a),
        n_components=d,
        loss="spectral_contrastive",
        weighting="none",
        ridge=rho,
        tie_break=None,
    )
    theta = np.linalg.eigvalsh(a - rho / 2 * kinv)
    gap_sc = theta[::-1][d - 1] - theta[::-1][d]
    expected = _psd_top(a - rho / 2 * kinv, d)
    # Eckart–Young subspace: rounding of ρK⁻¹ (cond·N·eps·‖ρK⁻¹‖) over the eigengap at d
    tol = 1e3 * n * EPS * cond * max(1.0, rho * np.abs(kinv).max()) / max(gap_sc, 1e-3) * max(1, theta.max())
    assert_close(sc.train_gram, expected, rtol=0, atol=tol, check_namespace=False)
    vic = kernel_ssl_solve(xp.asarray(k), xp.asarray(a), n_components=d, ridge=rho, tie_break=None)
    mu = np.linalg.eigvalsh(np.diag(a.sum(1)) - a + rho * kinv)
    # objective = N Σ μ_k: eigenvalues are backward stable, error N·eps·‖L + ρK⁻¹‖ per value
    assert abs(vic.loss - n * mu[:d].sum()) <= 1e3 * n * n * EPS * np.abs(mu).max()

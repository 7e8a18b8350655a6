"""Quality metrics against independent computations; reference values against simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssltheory import _backend
from ssltheory.compare import (
    alignment,
    alpha_req,
    lidar,
    rankme,
    rankme_reference,
    spectral_contrastive_probe_bound,
    uniformity,
    uniformity_reference,
)


def _entropy_rank_np(values, eps):
    p = values / values.sum() + eps
    p = p[p > 0]
    return math.exp(-np.sum(p * np.log(p)))


# ----------------------------------------------------------------------------- RankMe
def test_rankme_variants_match_the_tools_formulas(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    z = rng.standard_normal((60, 40)) + 0.5
    s = np.linalg.svd(z, compute_uv=False)
    sc = np.linalg.svd(z - z.mean(0), compute_uv=False)
    expected = {
        "paper": _entropy_rank_np(s, 1e-7),  # Garrido et al.: uncentred, σ/‖σ‖₁ + 1e-7
        "stable_pretraining": _entropy_rank_np(s, 1e-5),  # `s / s.sum() + 1e-5`
        "reptrix": _entropy_rank_np(sc**2, 1e-7),  # PCA explained_variance_ratio_ + 1e-7
    }
    for variant, value in expected.items():
        # SVD vs LAPACK SVD of the same matrix: agreement to ~1e-12 relative
        assert rankme(xp.asarray(z), variant=variant) == pytest.approx(value, rel=1e-10)


def test_rankme_exact_cases_and_errors():
    assert rankme(np.diag([3.0, 3.0, 3.0, 0.0]), eps=0.0) == pytest.approx(3.0, rel=1e-12)
    with pytest.raises(ValueError, match="variant"):
        rankme(np.eye(3), variant="nope")
    with pytest.raises(ValueError, match="zero"):
        rankme(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="embedding must be finite"):
        rankme(np.array([[1.0, np.nan]]))


def test_rankme_reference_analytic_mean_singular_value():
    # at N = K (c = 1) E[sqrt(x)] = ∫₀⁴ √(4 - x)/(2π) dx = 8/(3π); with eps = 0 and m → ∞:
    # RankMe/m = μ exp(-E[s log s]/μ). Compare the quadrature with an independent 1-D integral in x.
    from scipy import integrate

    mu = 8 / (3 * math.pi)
    f = lambda x: math.sqrt((4 - x) * x) / (2 * math.pi * x)  # noqa: E731
    es = integrate.quad(lambda x: math.sqrt(x) * 0.5 * math.log(x) * f(x), 0, 4, limit=200)[0]
    limit = mu * math.exp(-es / mu)
    assert rankme_reference(10**6, 10**6, eps=0.0) / 10**6 == pytest.approx(limit, rel=1e-8)


@pytest.mark.parametrize(
    ("n", "d", "variant"),
    [
        (100, 400, "paper"),
        (400, 100, "paper"),
        (300, 300, "paper"),
        (120, 240, "reptrix"),
        (200, 200, "stable_pretraining"),
    ],
)
def test_rankme_reference_matches_simulated_gaussians(n, d, variant, rng_seed):
    rng = np.random.default_rng(rng_seed)
    vals = np.array([rankme(rng.standard_normal((n, d)), variant=variant) for _ in range(12)])
    ref = rankme_reference(n, d, variant=variant)
    m = min(n, d)
    # tolerance: 4 standard errors of the mean of 12 draws + the finite-size bias of a linear
    # spectral statistic, O(1/m) relative with soft edges, larger (measured ~m^(-2/3)) at c = 1
    bias = ref * (m ** (-2 / 3) if n == d else 2.0 / m)
    assert abs(vals.mean() - ref) <= 4 * vals.std(ddof=1) / math.sqrt(len(vals)) + bias


# ----------------------------------------------------------------------------- LiDAR
def _grouped(rng, n_classes=30, views=4, dim=6):
    centers = rng.standard_normal((n_classes, dim)) * np.linspace(3, 0.3, dim)
    z = np.repeat(centers, views, axis=0) + rng.standard_normal((n_classes * views, dim)) * 0.5
    return z, np.repeat(np.arange(n_classes), views)


def test_lidar_matches_sklearn_lda(xp, rng_seed):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    rng = np.random.default_rng(rng_seed)
    z, g = _grouped(rng)
    lda = LinearDiscriminantAnalysis(solver="eigen").fit(z, g)
    # equal class sizes: sklearn's Sw, Sb are fixed multiples of Σ_w, Σ_b, so normalised eigenvalues agree
    expected = _entropy_rank_np(lda.explained_variance_ratio_, 0.0)
    assert lidar(xp.asarray(z), xp.asarray(g), delta=0.0, eps=0.0) == pytest.approx(expected, rel=1e-8)


def test_lidar_linear_map_invariance(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    z, g = _grouped(rng)
    a = rng.standard_normal((6, 6)) + 3 * np.eye(6)
    q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    base = lidar(xp.asarray(z), xp.asarray(g), delta=0.0)
    # δ = 0: exact for any invertible A (rounding ~ cond(A)·eps)
    assert lidar(xp.asarray(z @ a + 1.0), xp.asarray(g), delta=0.0) == pytest.approx(base, rel=1e-9)
    # δ > 0: exact for orthogonal maps and translations ...
    assert lidar(z @ q - 2.0, g, delta=0.1) == pytest.approx(lidar(z, g, delta=0.1), rel=1e-10)
    # ... not for a general A (the ridge δI is not transformed)
    assert abs(lidar(z @ (5 * a), g, delta=0.1) - lidar(z, g, delta=0.1)) > 1e-6


def _reptrix_lidar(z, g, views, delta=1e-6):
    """reptrix.lidar.get_lidar re-implemented in NumPy (matrix_power(-0.5) replaced by eigh)."""
    b = z.shape[0] // views
    x = z[np.argsort(g, kind="stable")].reshape(b, views, -1)
    obj = x.mean(1, keepdims=True)
    mean = obj.mean(0, keepdims=True)
    s_obj = (obj - mean)[:, 0].T @ (obj - mean)[:, 0]
    s_aug = np.einsum("nvi,nvj->ij", x - obj, x - obj) / b + delta * np.eye(z.shape[1])
    w, v = np.linalg.eigh(s_aug)
    inv_sqrt = v @ np.diag(w**-0.5) @ v.T
    m = inv_sqrt @ s_obj @ inv_sqrt
    mc = m - m.mean(0)  # sklearn PCA on the rows of the LiDAR matrix
    sv = np.linalg.svd(mc, compute_uv=False) ** 2
    return _entropy_rank_np(sv / sv.sum(), 1e-7)


def test_reptrix_lidar_is_not_invariant_ours_is(rng_seed):
    rng = np.random.default_rng(rng_seed)
    z, g = _grouped(rng)
    a = rng.standard_normal((6, 6)) + 3 * np.eye(6)
    ours = [lidar(z, g, delta=1e-9), lidar(z @ a, g, delta=1e-9)]
    theirs = [_reptrix_lidar(z, g, 4, 1e-9), _reptrix_lidar(z @ a, g, 4, 1e-9)]
    assert ours[0] == pytest.approx(ours[1], rel=1e-6)
    assert abs(theirs[0] - theirs[1]) > 1e-3 * theirs[0]


def test_lidar_errors():
    z = np.eye(4)
    with pytest.raises(ValueError, match="at least 2 classes"):
        lidar(z, np.zeros(4, dtype=int))
    with pytest.raises(TypeError, match="integer"):
        lidar(z, np.zeros(4))
    with pytest.raises(ValueError, match="groups must have shape"):
        lidar(z, np.zeros(3, dtype=int))


# ----------------------------------------------------------------------------- α-ReQ
def test_alpha_req_against_polyfit(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    q, _ = np.linalg.qr(rng.standard_normal((300, 20)))
    q -= q.mean(0)
    lam = np.arange(1, 21) ** -1.3 * np.exp(0.05 * rng.standard_normal(20))
    z = q @ np.diag(np.sqrt(lam)) @ np.linalg.qr(rng.standard_normal((20, 20)))[0]
    ev = np.sort(np.linalg.eigvalsh(np.cov(z.T)))[::-1]
    k = np.arange(1, 21)
    expected = -np.polyfit(np.log(k[2:15]), np.log(ev[2:15]), 1)[0]
    assert alpha_req(xp.asarray(z), fit_range=(3, 16)) == pytest.approx(expected, rel=1e-8)
    expected_w = -np.polyfit(np.log(k), np.log(ev), 1, w=np.sqrt(1 / k))[0]  # polyfit weights √w
    assert alpha_req(z, weighting="inverse_rank") == pytest.approx(expected_w, rel=1e-8)
    with pytest.raises(ValueError, match="weighting"):
        alpha_req(z, weighting="x")


# ----------------------------------------------------------------------------- Wang & Isola
def test_alignment_uniformity_against_direct_formulas(xp, rng_seed):
    from scipy.spatial.distance import pdist

    rng = np.random.default_rng(rng_seed)
    a, b = rng.standard_normal((30, 5)), rng.standard_normal((30, 5))
    an, bn = a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True)
    assert alignment(xp.asarray(a), xp.asarray(b), alpha=3.0) == pytest.approx(
        np.mean(np.linalg.norm(an - bn, axis=1) ** 3), rel=1e-12
    )
    assert uniformity(xp.asarray(a), t=1.5) == pytest.approx(
        np.log(np.mean(np.exp(-1.5 * pdist(an, "sqeuclidean")))), rel=1e-12
    )
    with pytest.raises(ValueError, match="z1 and z2 must have the same shape"):
        alignment(a, b[:3])


@pytest.mark.parametrize(("dim", "t"), [(1, 2.0), (2, 1.0), (3, 2.0), (16, 2.0), (128, 0.5)])
def test_uniformity_reference_monte_carlo(dim, t, rng_seed):
    rng = np.random.default_rng(rng_seed)
    n = 200_000
    x = rng.standard_normal((n, dim))
    y = rng.standard_normal((n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    vals = np.exp(-t * np.sum((x - y) ** 2, axis=1))
    # 5 standard errors of the Monte Carlo mean, propagated through the log
    tol = 5 * vals.std() / math.sqrt(n) / vals.mean()
    assert abs(math.log(vals.mean()) - uniformity_reference(dim, t=t)) <= tol


def test_uniformity_reference_closed_forms():
    t = 2.0
    assert uniformity_reference(2, t=t) == pytest.approx(-2 * t + math.log(np.i0(2 * t)), rel=1e-12)
    assert uniformity_reference(1, t=t) == pytest.approx(math.log((1 + math.exp(-4 * t)) / 2), rel=1e-12)
    with pytest.raises(ValueError, match="n_features"):
        uniformity_reference(0)


# ----------------------------------------------------------------------------- probe certificate
def test_probe_bound_holds_against_the_actual_probe_error(rng_seed):
    rng = np.random.default_rng(rng_seed)
    n, c = 60, 3
    y = np.repeat(np.arange(c), n // c)
    g = np.where(y[:, None] == y[None, :], 1.0, 0.08) * rng.uniform(0.5, 1.5, (n, n))
    g = (g + g.T) / 2
    y_noisy = y.copy()
    y_noisy[rng.choice(n, 4, replace=False)] = rng.integers(0, c, 4)
    for k in (3, 5, 8):
        bound = spectral_contrastive_probe_bound(g, y_noisy, n_components=k)
        # independent: top-k eigenvectors of D^-1/2 G D^-1/2, the optimum's span, the best probe
        d = g.sum(1)
        vol = d.sum()
        w_node = d / vol
        a = g / np.sqrt(np.outer(d, d))
        theta, u = np.linalg.eigh(a)
        f = u[:, ::-1][:, :k] / np.sqrt(w_node)[:, None]
        yo = np.eye(c)[y_noisy]
        sw = np.sqrt(w_node)[:, None]
        coef, *_ = np.linalg.lstsq(sw * f, sw * yo, rcond=None)
        pred = f @ coef
        sq_err = np.sum(w_node[:, None] * (pred - yo) ** 2)
        err = np.sum(w_node * (pred.argmax(1) != y_noisy))
        assert sq_err <= bound.squared_error_bound * (1 + 1e-10)
        assert err <= bound.error_bound * (1 + 1e-10)
        assert bound.eigenvalue == pytest.approx(1 - theta[::-1][k], abs=1e-12)


def test_probe_bound_backends_and_errors(xp):
    g = np.kron(np.eye(2), np.ones((3, 3))) + 0.01
    labels = np.repeat([0, 1], 3)
    ref = spectral_contrastive_probe_bound(g, labels, n_components=2)
    out = spectral_contrastive_probe_bound(xp.asarray(g), xp.asarray(labels), n_components=2)
    assert out.error_bound == pytest.approx(ref.error_bound, rel=1e-10)
    with pytest.raises(ValueError, match="n_components"):
        spectral_contrastive_probe_bound(g, labels, n_components=6)


def test_metrics_return_floats_on_every_backend(xp, rng_seed):
    z = np.random.default_rng(rng_seed).standard_normal((20, 4))
    zz = xp.asarray(z)
    for value in (
        rankme(zz),
        alpha_req(zz),
        uniformity(zz),
        alignment(zz, zz),
        lidar(zz, xp.asarray(np.repeat(np.arange(10), 2))),
    ):
        assert isinstance(value, float)
    np.testing.assert_array_equal(_backend.to_numpy(zz), z)  # the input is untouched
    # and each metric equals its NumPy value (the namespace only changes where it runs)
    g = np.repeat(np.arange(10), 2)
    assert rankme(zz) == pytest.approx(rankme(z), rel=1e-12)
    assert lidar(zz, xp.asarray(g)) == pytest.approx(lidar(z, g), rel=1e-10)

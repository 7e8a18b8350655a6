"""Linear VICReg closed form (ssltheory.spectral.vicreg_linear_weights, spec/spectral.md §4.3).

Independent sides: the VICReg evaluator at Z = XW, SciPy's generalised ``eigh`` of
(XᵀLX, XᵀHX), L-BFGS over W, the non-parametric closed form (over-parameterised case) and
scikit-learn's LinearDiscriminantAnalysis (balanced label graph).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import DegenerateSpectrumWarning, _backend
from ssltheory.graphs import label_graph
from ssltheory.losses import VICRegLoss
from ssltheory.spectral import LinearSolution, vicreg_embedding, vicreg_linear_weights
from ssltheory.testing import assert_close, assert_same_subspace

EPS = float(np.finfo(np.float64).eps)


def _connected(rng, n, p=0.3):
    g = rng.uniform(0.2, 1.0, (n, n)) * (rng.random((n, n)) < p)
    g = np.triu(g, 1)
    idx = np.arange(n - 1)
    g[idx, idx + 1] = np.maximum(g[idx, idx + 1], rng.uniform(0.2, 1.0, n - 1))
    return g + g.T


def _stats(x, g, ddof=1):
    n = x.shape[0]
    xc = x - x.mean(axis=0)
    lap = np.diag(g.sum(axis=1)) - g
    return xc.T @ xc / (n - ddof), x.T @ lap @ x / (n - ddof)


def _loss_tol(n, k):
    # evaluator rounding: N²K + NK² products (Higham γ_m ≈ m·eps), relative to the loss scale
    return 8.0 * (n * n * k + n * k * k) * EPS


@pytest.mark.parametrize(
    ("alpha", "beta", "gamma"), [(1.0, 1.0, 0.2), (1.0, 3.0, 0.5), (3.0, 1.0, 0.3), (25.0, 1.0, 1.0)]
)
@pytest.mark.parametrize("k", [1, 3, 7])
def test_loss_equals_evaluator_and_generalised_eigenproblem(xp, rng, alpha, beta, gamma, k):
    n, d = 25, 5
    x = rng.standard_normal((n, d)) * np.linspace(0.5, 2.0, d)
    g = _connected(rng, n)
    kw = {"variance_weight": alpha, "covariance_weight": beta, "invariance_weight": gamma}
    sol = vicreg_linear_weights(xp.asarray(x), xp.asarray(g), n_components=k, **kw)
    assert isinstance(sol, LinearSolution)
    assert sol.weights.shape == (d, k)
    z = xp.asarray(x) @ sol.weights
    value = float(VICRegLoss(**kw)(z, xp.asarray(g)))
    assert abs(value - sol.loss) <= _loss_tol(n, k) * max(1.0, alpha * k)
    sig, s_l = _stats(x, g)
    mu_ref = scipy.linalg.eigh(s_l, sig, eigvals_only=True)
    k_eff = min(k, d)
    mu = _backend.to_numpy(sol.eigenvalues)
    # generalised eigenvalues, two backward-stable routes: error ~ eps·κ(Σ_X)·‖S_L‖
    assert_close(mu[:k_eff], mu_ref[:k_eff], rtol=1e-10, atol=1e-10)
    assert np.all(np.isinf(mu[k_eff:]))
    c = _backend.to_numpy(sol.scales)
    w = _backend.to_numpy(sol.weights)
    cov = w.T @ sig @ w
    assert_close(np.sort(np.linalg.eigvalsh(cov)), np.sort(c), rtol=0, atol=1e-10)
    if alpha > beta:
        assert_close(np.diag(cov), np.full(k, c.sum() / k), rtol=0, atol=1e-10)  # spec §5 item 7
    else:
        gp = gamma * (n - 1) / n
        assert_close(c[:k_eff], np.clip(1 - gp * mu_ref[:k_eff] / alpha, 0, None), rtol=0, atol=1e-10)
        assert sol.rank == int(np.sum(mu_ref[:k_eff] < alpha / gp))


def test_closed_form_equals_lbfgs_optimum(rng):
    from scipy.optimize import minimize

    n, d, k = 30, 4, 2
    x = rng.standard_normal((n, d)) * np.array([1.0, 1.5, 2.0, 3.0])
    g = _connected(rng, n)
    sig, s_l = _stats(x, g)
    mu = scipy.linalg.eigh(s_l, sig, eigvals_only=True)
    gamma = 0.5 / mu[k - 1] * n / (n - 1)  # γ'μ_K = α/2: both columns kept, c_k >= 1/2
    gp = gamma * (n - 1) / n

    def fun(flat):  # the §4.3 matrix form (α = β = 1): a different evaluation path than the solver
        w = flat.reshape(d, k)
        c = w.T @ sig @ w - np.eye(k)
        val = np.sum(c**2) + 2 * gp * np.trace(w.T @ s_l @ w)
        grad = 4 * sig @ w @ c + 4 * gp * s_l @ w
        return val, grad.ravel()

    best = min(
        (
            minimize(
                fun,
                rng.standard_normal(d * k),
                jac=True,
                method="L-BFGS-B",
                options={"gtol": 1e-12, "ftol": 1e-15},
            )
            for _ in range(3)
        ),
        key=lambda r: r.fun,
    )
    sol = vicreg_linear_weights(x, g, n_components=k, invariance_weight=gamma)
    assert sol.rank == k
    assert abs(best.fun - sol.loss) <= 1e-8 * max(sol.loss, 1.0)  # spec §5: rel. 1e-8
    assert_same_subspace(x @ best.x.reshape(d, k), x @ sol.weights, atol=1e-4)  # first order in distance


def test_over_parameterised_matches_non_parametric(xp, rng):
    n, d, k = 10, 14, 4
    x = rng.standard_normal((n, d))
    g = _connected(rng, n)
    lin = vicreg_linear_weights(xp.asarray(x), xp.asarray(g), n_components=k, invariance_weight=0.2)
    emb = vicreg_embedding(xp.asarray(g), n_components=k, invariance_weight=0.2)
    # rank(HX) = N − 1: μ_k = λ_k(L) and XW* is the non-parametric optimum up to a translation
    assert_close(lin.eigenvalues, emb.eigenvalues, rtol=0, atol=1e-9)
    assert_close(lin.loss, emb.loss, rtol=1e-9)
    z = _backend.to_numpy(xp.asarray(x) @ lin.weights)
    z = z - z.mean(axis=0)
    assert_close(
        z.T @ z, _backend.to_numpy(emb.embedding).T @ _backend.to_numpy(emb.embedding), rtol=1e-8, atol=1e-8
    )
    # minimum norm: W* lies in the row space of HX, W* = (HX)⁺ HX W*
    hx = x - x.mean(axis=0)
    w = _backend.to_numpy(lin.weights)
    assert_close(np.linalg.pinv(hx) @ hx @ w, w, rtol=0, atol=1e-10)


def test_rank_deficient_features_give_minimum_norm(xp, rng):
    n, k = 20, 2
    base = rng.standard_normal((n, 3))
    x = np.column_stack([base, base[:, 0]])  # a duplicated feature: HX has rank 3
    g = _connected(rng, n)
    sol = vicreg_linear_weights(xp.asarray(x), xp.asarray(g), n_components=k, invariance_weight=0.2)
    ref = vicreg_linear_weights(xp.asarray(base), xp.asarray(g), n_components=k, invariance_weight=0.2)
    assert_close(sol.loss, ref.loss, rtol=1e-9)
    w = _backend.to_numpy(sol.weights)
    # the null direction (1, 0, 0, −1)/√2 carries no weight: minimum-norm representative
    assert float(np.max(np.abs(w[0] - w[3]))) <= 1e-9
    z, zr = x @ w, base @ _backend.to_numpy(ref.weights)
    assert_same_subspace(z - z.mean(0), zr - zr.mean(0), atol=1e-8, check_namespace=False)


def test_balanced_label_graph_is_lda(rng):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    n_classes, n, d = 4, 15, 5
    labels = np.repeat(np.arange(n_classes), n)
    x = 2.0 * rng.standard_normal((n_classes, d))[labels] + rng.standard_normal((labels.size, d))
    g = label_graph(labels)
    lap = np.diag(g.sum(1)) - g
    s_w = sum(
        (x[labels == c] - x[labels == c].mean(0)).T @ (x[labels == c] - x[labels == c].mean(0))
        for c in range(n_classes)
    )
    assert_close(x.T @ lap @ x, n * s_w, rtol=1e-12)  # XᵀLX = n·S_W (spec §5 item 10)
    k = n_classes - 1
    sol = vicreg_linear_weights(x, g, n_components=k, invariance_weight=0.01 / n)
    assert sol.rank == k
    lda = LinearDiscriminantAnalysis(solver="eigen").fit(x, labels)
    directions = lda.scalings_[:, :k]
    assert_same_subspace(sol.weights, directions, atol=1e-8)
    # ρ of each LDA direction (Rayleigh quotient of S_B against S_T) gives μ = n(1 − ρ)
    xc = x - x.mean(0)
    s_t = xc.T @ xc
    s_b = s_t - s_w
    rho = np.sort([(v @ s_b @ v) / (v @ s_t @ v) for v in directions.T])[::-1]
    assert_close(sol.eigenvalues, n * (1 - rho), rtol=1e-9)


def test_ties_on_mu_warn(xp, rng):
    n = 12
    x = rng.standard_normal((n, 3))
    g = np.zeros((n, n))  # no relations: every μ = 0, the whole space is tied
    with pytest.warns(DegenerateSpectrumWarning):
        sol = vicreg_linear_weights(xp.asarray(x), xp.asarray(g), n_components=2)
    assert sol.tied
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not vicreg_linear_weights(xp.asarray(x), xp.asarray(g), n_components=3).tied


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31), k=st.integers(1, 5), alpha=st.floats(0.1, 10), ratio=st.floats(0.1, 5))
def test_weights_beat_perturbations(xp, seed, k, alpha, ratio):
    rng = np.random.default_rng(seed)
    n, d = 16, 4
    x = rng.standard_normal((n, d))
    g = _connected(rng, n)
    kw = {"variance_weight": alpha, "covariance_weight": alpha * ratio, "invariance_weight": 0.3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSpectrumWarning)
        sol = vicreg_linear_weights(xp.asarray(x), xp.asarray(g), n_components=k, **kw)
    loss = VICRegLoss(**kw)
    w = _backend.to_numpy(sol.weights)
    base = float(loss(xp.asarray(x @ w), xp.asarray(g)))
    for step in (1e-3, 1e-2):
        pert = w + step * rng.standard_normal(w.shape)
        assert float(loss(xp.asarray(x @ pert), xp.asarray(g))) >= base - 1e3 * EPS * max(1.0, base)


def test_namespace_dtype_and_sparse_graph(xp, rng):
    import scipy.sparse

    x = rng.integers(-3, 4, (12, 3))
    g = _connected(rng, 12)
    sol = vicreg_linear_weights(xp.asarray(x), xp.asarray(g), n_components=2)
    assert _backend.get_namespace(sol.weights) is _backend.get_namespace(xp.asarray(g))
    assert sol.weights.dtype == xp.float64
    ref = vicreg_linear_weights(x.astype(float), scipy.sparse.csr_matrix(g), n_components=2)
    assert_close(sol.loss, ref.loss, rtol=1e-12)
    assert_same_subspace(sol.weights, xp.asarray(ref.weights), atol=1e-10)


def test_bad_input(xp, rng):
    x = xp.asarray(rng.standard_normal((6, 2)))
    g = xp.asarray(_connected(rng, 6))
    with pytest.raises(ValueError, match="x must be a 2-D array"):
        vicreg_linear_weights(xp.asarray(rng.standard_normal(6)), g, n_components=1)
    with pytest.raises(ValueError, match=r"graph must be \(n_samples, n_samples\) = \(5, 5\)"):
        vicreg_linear_weights(x[:5, :], g, n_components=1)
    with pytest.raises(ValueError, match=r"variance_eps .* applies to variance_penalty=.hinge. only"):
        vicreg_linear_weights(x, g, n_components=1, variance_eps=1e-4)
    with pytest.raises(ValueError, match="variance_eps must be >= 0"):
        vicreg_linear_weights(x, g, n_components=1, variance_penalty="hinge", variance_eps=-1.0)
    with pytest.raises(ValueError, match=r"rtol must be in \[0, 1\)"):
        vicreg_linear_weights(x, g, n_components=1, rtol=1.0)
    with pytest.raises(ValueError, match="ddof must be < n_samples"):
        vicreg_linear_weights(x, g, n_components=1, ddof=6)
    bad = _backend.to_numpy(x).copy()
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match="x must be finite"):
        vicreg_linear_weights(xp.asarray(bad), g, n_components=1)
    with pytest.raises(ValueError, match="graph must be symmetric"):
        vicreg_linear_weights(x, xp.asarray(np.triu(_backend.to_numpy(g))), n_components=1)


def test_mixed_libraries_rejected(rng):
    import array_api_strict

    x = rng.standard_normal((6, 2))
    with pytest.raises(TypeError, match="different array libraries"):
        vicreg_linear_weights(x, array_api_strict.asarray(_connected(rng, 6)), n_components=1)


def test_constant_features_give_zero_weights(xp):
    g = xp.asarray(_connected(np.random.default_rng(1), 6))
    sol = vicreg_linear_weights(xp.ones((6, 3)), g, n_components=2, variance_weight=3.0)
    # HX = 0: no direction has variance, every column pays α (no closed-form freedom left)
    assert sol.rank == 0
    assert sol.loss == 6.0
    assert float(xp.max(xp.abs(sol.weights))) == 0.0


@pytest.mark.parametrize("weight", [1.0, 2.5])
@pytest.mark.parametrize("layout", ["stacked", "shuffled", "label"])
def test_sparse_clique_union_routes_through_streamed_statistics(rng, monkeypatch, weight, layout):
    # vicreg_linear_weights hands sparse augmentation / label graphs (cliques of one weight w) to
    # graph_statistics: it must give the direct route's answer (L X product) to rounding
    import scipy.sparse

    from ssltheory.spectral import _linear, _statistics

    calls = []
    original = _statistics.graph_statistics
    monkeypatch.setattr(
        _statistics, "graph_statistics", lambda *a, **kw: calls.append(1) or original(*a, **kw)
    )
    n_orig, d = 60, 6
    if layout == "label":
        groups = rng.integers(0, 5, 2 * n_orig)
    else:
        groups = np.tile(np.arange(n_orig), 2)
        if layout == "shuffled":
            groups = groups[rng.permutation(groups.shape[0])]
    g = scipy.sparse.csr_matrix(weight * label_graph(groups))
    x = rng.standard_normal((groups.shape[0], d)) * np.linspace(2, 0.5, d)
    kw = {"n_components": 3, "invariance_weight": 0.4}
    monkeypatch.setattr(_linear, "_STREAMED_MIN_N", 10**9)
    direct = vicreg_linear_weights(x, g, **kw)
    assert calls == []
    monkeypatch.setattr(_linear, "_STREAMED_MIN_N", 0)
    streamed = vicreg_linear_weights(x, g, **kw)
    assert calls == [1]
    # both solve the same D×D generalised problem from statistics that agree to ~1e-14 relative
    assert_close(streamed.loss, direct.loss, rtol=1e-10, atol=1e-12)
    assert_close(streamed.eigenvalues, direct.eigenvalues, rtol=1e-9, atol=1e-12)
    assert_same_subspace(x @ streamed.weights, x @ direct.weights, atol=1e-8)


def test_non_uniform_clique_weights_keep_the_direct_route(rng, monkeypatch):
    import scipy.sparse

    from ssltheory.spectral import _linear

    monkeypatch.setattr(_linear, "_STREAMED_MIN_N", 0)
    monkeypatch.setattr(
        _linear, "_clique_union_statistics", _spy := _CallSpy(_linear._clique_union_statistics)
    )
    groups = np.repeat(np.arange(20), 3)
    w = np.repeat(rng.uniform(0.5, 2.0, 20), 3)  # one weight per clique, different across cliques
    g = scipy.sparse.csr_matrix(label_graph(groups) * np.sqrt(np.outer(w, w)))
    x = rng.standard_normal((60, 4))
    sol = vicreg_linear_weights(x, g, n_components=2)
    assert _spy.results == [None]  # detected, not uniform: the direct route answered
    assert sol.weights.shape == (4, 2)


class _CallSpy:
    def __init__(self, fn):
        self.fn, self.results = fn, []

    def __call__(self, *a, **kw):
        out = self.fn(*a, **kw)
        self.results.append(out)
        return out

"""VICReg / W-MSE / Laplacian Eigenmaps closed forms (ssltheory.spectral._vicreg, spec/spectral.md §4.2).

Every prediction is checked against an independent computation: the loss evaluators of
ssltheory.losses, a dense NumPy ``eigh`` of L itself (not the shifted matrix the solver uses),
SciPy's generalised ``eigh``, scikit-learn's SpectralEmbedding and perturbed feasible points.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import DegenerateSpectrumWarning, _backend
from ssltheory.graphs import augmentation_graph
from ssltheory.losses import VICRegLoss, WMSELoss
from ssltheory.spectral import SpectralSolution, laplacian_eigenmaps, vicreg_embedding, wmse_embedding
from ssltheory.testing import assert_close, assert_same_subspace
from ssltheory.testing.strategies import graphs

EPS = float(np.finfo(np.float64).eps)


def _connected(rng, n, p=0.5):
    g = rng.uniform(0.2, 1.0, (n, n)) * (rng.random((n, n)) < p)
    g = np.triu(g, 1)
    idx = np.arange(n - 1)
    g[idx, idx + 1] = np.maximum(g[idx, idx + 1], rng.uniform(0.2, 1.0, n - 1))
    return g + g.T


def _host_eigh(g):
    """Independent dense route: eigh of L = D − G itself (the solver shifts 1 out instead)."""
    lap = np.diag(g.sum(axis=1)) - g
    return np.linalg.eigh(lap)


def _cov(z, ddof=1):
    zc = z - z.mean(axis=0)
    return zc.T @ zc / (z.shape[0] - ddof)


def _loss_tol(n, k):
    # the evaluator sums N²K products (invariance) and NK² (covariance): Higham's γ_m ≈ m·eps
    # relative to the sum of magnitudes, which is at most a few times the loss scale here
    return 8.0 * (n * n * k + n * k * k) * EPS


WEIGHTS = [
    (1.0, 1.0, 0.3, "square"),
    (1.0, 3.0, 0.5, "square"),
    (1.0, 1.0, 0.3, "squared_hinge"),
    (3.0, 1.0, 0.3, "square"),
    (25.0, 1.0, 1.0, "squared_hinge"),
    (2.0, 1.0, 2.0, "square"),
]


# --------------------------------------------------------------------------- loss = evaluator
@pytest.mark.parametrize(("alpha", "beta", "gamma", "penalty"), WEIGHTS)
@pytest.mark.parametrize("k", [1, 3, 11, 14])
def test_closed_form_loss_equals_evaluator(xp, rng, alpha, beta, gamma, penalty, k):
    g = _connected(rng, 12)
    weights = {"variance_weight": alpha, "covariance_weight": beta, "invariance_weight": gamma}
    sol = vicreg_embedding(xp.asarray(g), n_components=k, variance_penalty=penalty, **weights)
    value = float(VICRegLoss(variance_penalty=penalty, **weights)(sol.embedding, xp.asarray(g)))
    assert abs(value - sol.loss) <= _loss_tol(12, k) * max(1.0, alpha * k)
    assert sol.embedding.shape == (12, k)
    assert isinstance(sol, SpectralSolution)


# --------------------------------------------------------------------------- spectrum, subspace
@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 1.0), (1.0, 2.0), (3.0, 1.0)])
def test_covariance_spectrum_and_subspace(xp, rng, alpha, beta):
    n, k = 14, 4
    g = _connected(rng, n)
    lam, u = _host_eigh(g)
    lam, u = lam[1 : k + 1], u[:, 1 : k + 1]
    gamma = alpha / (0.5 * (lam[2] + lam[3])) * n / (n - 1)  # rank 3 when β >= α
    sol = vicreg_embedding(
        xp.asarray(g), n_components=k, variance_weight=alpha, covariance_weight=beta, invariance_weight=gamma
    )
    z = _backend.to_numpy(sol.embedding)
    cov = _cov(z)
    c = _backend.to_numpy(sol.scales)
    # eigenvalues of L: backward-stable eigh, error <= N·eps·‖L‖ (64 for the constants)
    lam_tol = 64 * n * EPS * float(np.max(g.sum(axis=1))) * 2
    assert_close(sol.eigenvalues, xp.asarray(lam), rtol=0, atol=lam_tol)
    assert_close(np.sort(np.linalg.eigvalsh(cov)), np.sort(c), rtol=0, atol=1e3 * n * EPS)
    gamma_p = gamma * (n - 1) / n
    if beta >= alpha:
        assert_close(c, np.clip(1 - gamma_p * lam / alpha, 0, None), rtol=0, atol=1e3 * EPS)
        assert sol.rank == int(np.sum(lam < alpha / gamma_p)) == 3
        # Cov diagonal (β > α) / R = I representative (α = β): off-diagonal at rounding level
        assert np.max(np.abs(cov - np.diag(np.diag(cov)))) <= 1e3 * n * EPS
    else:
        s = c.sum()
        assert_close(np.diag(cov), np.full(k, s / k), rtol=0, atol=1e-10)  # spec §5 item 7
        rhs = np.clip((alpha - (alpha - beta) * s / k - gamma_p * lam) / beta, 0, None)
        assert_close(c, rhs, rtol=0, atol=1e3 * EPS * alpha / beta)  # fixed point, exact solve
    assert_close(z.mean(axis=0), np.zeros(k), rtol=0, atol=1e3 * n * EPS)
    keep = c > 0
    # Davis–Kahan: sine <= eps·‖L‖/gap; gaps of a 14-node random graph are >= ~1e-2
    assert_same_subspace(z, u[:, keep], atol=1e-9, check_namespace=False)


def test_rotation_invariance_alpha_equals_beta(xp, rng):
    g = xp.asarray(_connected(rng, 10))
    sol = vicreg_embedding(
        g, n_components=4, variance_weight=2.0, covariance_weight=2.0, invariance_weight=0.1
    )
    loss = VICRegLoss(variance_weight=2.0, covariance_weight=2.0, invariance_weight=0.1)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    shifted = sol.embedding @ xp.asarray(q) + xp.asarray(rng.standard_normal((1, 4)))
    assert (
        abs(float(loss(shifted, g)) - sol.loss) <= 4 * math.sqrt(EPS) * sol.loss
    )  # default_rtol (§5 item 15)
    # β > α: a generic rotation of the optimum is no longer optimal (the optimum is diagonal)
    sol_b = vicreg_embedding(
        g, n_components=4, variance_weight=1.0, covariance_weight=3.0, invariance_weight=0.1
    )
    loss_b = VICRegLoss(variance_weight=1.0, covariance_weight=3.0, invariance_weight=0.1)
    assert float(loss_b(sol_b.embedding @ xp.asarray(q), g)) > sol_b.loss * (1 + 1e-6)


@settings(max_examples=15)
@given(
    graph=graphs(
        family=("weighted", "label", "knn", "augmentation"), min_nodes=3, max_nodes=12, connected=True
    ),
    k=st.integers(1, 14),
    alpha=st.floats(0.1, 30),
    ratio=st.floats(0.05, 5),
    gamma=st.floats(0, 3),
)
def test_optimum_beats_perturbations(xp, graph, k, alpha, ratio, gamma):
    weights = {"variance_weight": alpha, "covariance_weight": alpha * ratio, "invariance_weight": gamma}
    g = xp.asarray(graph)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSpectrumWarning)  # ties: any basis is optimal
        sol = vicreg_embedding(g, n_components=k, **weights)
    c = _backend.to_numpy(sol.scales)
    assert np.all(c >= 0)
    assert float(np.sum(c)) / k <= 1 + 1e-12  # S/K <= 1 always (squared_hinge needs no guard)
    loss = VICRegLoss(**weights)
    z = _backend.to_numpy(sol.embedding)
    base = float(loss(xp.asarray(z), g))
    scale = max(1.0, abs(base))
    assert abs(base - sol.loss) <= _loss_tol(graph.shape[0], k) * max(scale, alpha * (1 + ratio) * k)
    rng = np.random.default_rng(graph.shape[0] * 100 + k)
    for step in (1e-3, 1e-2):
        pert = z + step * rng.standard_normal(z.shape) * max(1.0, float(np.abs(z).max()))
        # a global minimum: no nearby point is lower beyond rounding of the evaluation
        assert float(loss(xp.asarray(pert), g)) >= base - 1e3 * EPS * scale


def test_extra_columns_beyond_n_minus_one(xp, rng):
    g = xp.asarray(_connected(rng, 5))
    small = vicreg_embedding(g, n_components=4, invariance_weight=0.2)
    big = vicreg_embedding(g, n_components=7, invariance_weight=0.2)
    z = _backend.to_numpy(big.embedding)
    assert_close(big.loss, small.loss + 3 * 1.0, rtol=1e-12)  # +α per extra column (spec §6)
    assert float(np.max(np.abs(z[:, 4:]))) == 0.0
    assert np.all(np.isinf(_backend.to_numpy(big.eigenvalues)[4:]))
    assert big.rank == small.rank


def test_rank_threshold_and_collapse(xp, rng):
    n = 10
    g = _connected(rng, n)
    lam = _host_eigh(g)[0][1:]
    for rank in range(0, n - 1):
        # α/γ' placed strictly between λ_rank and λ_rank+1 (below λ_1 for rank 0)
        target = 0.5 * (lam[rank - 1] + lam[rank]) if rank else 0.5 * lam[0]
        gamma = 1.0 / target * n / (n - 1)
        sol = vicreg_embedding(xp.asarray(g), n_components=n - 1, invariance_weight=gamma)
        assert sol.rank == rank
    # disconnected: never a complete collapse, c − 1 directions survive any γ
    g2 = np.zeros((9, 9))
    g2[:4, :4] = _connected(rng, 4)
    g2[4:, 4:] = _connected(rng, 5)
    sol = vicreg_embedding(xp.asarray(g2), n_components=3, invariance_weight=1e6)
    assert sol.rank == 1
    # the null eigenvalue is computed to ~N·eps·‖L‖ (backward-stable eigh), then scaled by γ'/α
    lam_max = 2 * float(g2.sum(axis=1).max())
    assert_close(sol.scales[0], 1.0, rtol=0, atol=1e6 * 64 * 9 * EPS * lam_max)


def test_ddof_spec_example(xp, rng):
    n = 30
    g = _connected(rng, n)
    lam1 = _host_eigh(g)[0][1]
    alpha = lam1 / 1.48
    c = {
        d: float(
            vicreg_embedding(
                xp.asarray(g), n_components=1, variance_weight=alpha, invariance_weight=0.05, ddof=d
            ).scales[0]
        )
        for d in (0, 1)
    }
    # spec quotes λ/α ≈ 1.48 to 3 digits: ±0.005·γ = ±2.5e-4 in c
    assert abs(c[0] - 0.92602) <= 2.5e-4
    assert abs(c[1] - 0.92849) <= 2.5e-4
    # exactly: c(M=N−1) − c(M=N) = γλ/(αN)
    assert abs((c[1] - c[0]) - 0.05 * 1.48 / n) <= 1e3 * EPS
    g0 = VICRegLoss(variance_weight=alpha, invariance_weight=0.05, ddof=0)
    sol0 = vicreg_embedding(
        xp.asarray(g), n_components=1, variance_weight=alpha, invariance_weight=0.05, ddof=0
    )
    assert abs(float(g0(sol0.embedding, xp.asarray(g))) - sol0.loss) <= _loss_tol(n, 1) * alpha


# --------------------------------------------------------------------------- sparse route
@pytest.mark.parametrize("alpha", [1.0, 3.0])
def test_sparse_matches_dense(rng, alpha):
    n, k = 120, 5
    pts = rng.standard_normal((n, 2))
    d2 = ((pts[:, None] - pts[None]) ** 2).sum(-1)
    g = (d2 < np.sort(d2, axis=1)[:, [6]]).astype(float)
    np.fill_diagonal(g, 0)
    g = np.maximum(g, g.T)
    g = g + np.diag(np.arange(n) % 3)  # a diagonal is ignored (it cancels in L)
    lam = _host_eigh(g - np.diag(np.diag(g)))[0]
    assert lam[1] > 1e-8, "test graph must be connected"
    kw = {"n_components": k, "variance_weight": alpha, "invariance_weight": 0.2}
    dense = vicreg_embedding(g, **kw)
    for sparse in (scipy.sparse.csr_matrix(g), scipy.sparse.csr_array(g)):
        sol = vicreg_embedding(sparse, **kw)
        assert isinstance(sol.embedding, np.ndarray)
        assert_close(sol.eigenvalues, dense.eigenvalues, rtol=0, atol=1e-10)  # Lanczos at tol=0
        assert_close(sol.loss, dense.loss, rtol=1e-10)
        assert_same_subspace(sol.embedding, dense.embedding, atol=1e-7)
    le = laplacian_eigenmaps(scipy.sparse.csr_matrix(g), n_components=k)
    assert_same_subspace(le.embedding, laplacian_eigenmaps(g, n_components=k).embedding, atol=1e-7)
    wm = wmse_embedding(scipy.sparse.csr_matrix(g), n_components=k)
    assert_close(wm.loss, wmse_embedding(g, n_components=k).loss, rtol=1e-10)


# --------------------------------------------------------------------------- ties (D12)
def test_ties_warn_only_when_straddling_with_positive_weight(xp):
    g = augmentation_graph(4, 3, xp=xp)  # L on 1⊥: 0 ×3, 3 ×8
    with pytest.warns(DegenerateSpectrumWarning, match="tied"):
        sol = vicreg_embedding(g, n_components=5, invariance_weight=0.1)
    assert sol.tied
    # weight at K is zero (γ'·3 >= α): degeneracy is irrelevant, silent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sol = vicreg_embedding(g, n_components=5, invariance_weight=1.0)
        assert not sol.tied
        assert sol.rank == 3
        # cluster wholly inside the kept set: silent
        assert not vicreg_embedding(g, n_components=3).tied
    with pytest.warns(DegenerateSpectrumWarning):
        assert wmse_embedding(g, n_components=2).tied
    # the tied optimum is still optimal: loss equals the evaluator
    with pytest.warns(DegenerateSpectrumWarning):
        sol = vicreg_embedding(g, n_components=5, invariance_weight=0.1)
    assert abs(float(VICRegLoss(invariance_weight=0.1)(sol.embedding, g)) - sol.loss) <= _loss_tol(12, 5) * 5


# --------------------------------------------------------------------------- W-MSE and LE
def test_wmse_loss_covariance_subspace(xp, rng):
    n, k = 12, 3
    g = _connected(rng, n)
    sol = wmse_embedding(xp.asarray(g), n_components=k)
    z = _backend.to_numpy(sol.embedding)
    assert_close(_cov(z), np.eye(k), rtol=0, atol=1e3 * n * EPS)
    value = float(WMSELoss()(sol.embedding, xp.asarray(g)))
    assert abs(value - sol.loss) <= _loss_tol(n, k) * sol.loss
    assert_same_subspace(z, _host_eigh(g)[1][:, 1 : k + 1], atol=1e-9, check_namespace=False)
    # W-MSE is the α, β → ∞ limit of VICReg: the VICReg optimum's span converges to it
    big = vicreg_embedding(xp.asarray(g), n_components=k, variance_weight=1e8, covariance_weight=1e8)
    assert_same_subspace(big.embedding, sol.embedding, atol=1e-6)


def _regular(rng, n):
    shift = np.roll(np.eye(n), 1, axis=1)
    g = np.zeros((n, n))
    for _ in range(3):
        q = np.eye(n)[rng.permutation(n)]
        p = q @ shift @ q.T
        g += rng.uniform(0.5, 1.5) * (p + p.T)
    return g


def test_laplacian_eigenmaps_vs_scikit_learn(rng):
    from sklearn.manifold import SpectralEmbedding

    k = 3
    for regular in (True, False):
        g = _regular(rng, 16) if regular else _connected(rng, 16)
        le = laplacian_eigenmaps(g, n_components=k)
        sk = SpectralEmbedding(n_components=k, affinity="precomputed", random_state=0).fit(g).embedding_
        # ARPACK (scikit-learn) converges to ~1e-10 on these small problems
        assert_same_subspace(le.embedding, sk, atol=1e-6)
        d = g.sum(axis=1)
        assert_close(le.embedding.T @ (d[:, None] * le.embedding), np.eye(k), rtol=0, atol=1e-12)
        wm = wmse_embedding(g, n_components=k).embedding
        if regular:
            assert_same_subspace(wm, le.embedding, atol=1e-9)
        else:
            with pytest.raises(AssertionError, match="subspaces differ"):
                assert_same_subspace(wm, le.embedding, atol=1e-3)


def test_laplacian_eigenmaps_generalised_problem(xp, rng):
    import scipy.linalg

    g = _connected(rng, 10)
    lam, f = scipy.linalg.eigh(np.diag(g.sum(1)) - g, np.diag(g.sum(1)))
    sol = laplacian_eigenmaps(xp.asarray(g), n_components=4)
    assert_close(sol.eigenvalues, xp.asarray(lam[1:5]), rtol=0, atol=1e-12)
    assert_same_subspace(sol.embedding, xp.asarray(f[:, 1:5]), atol=1e-9)
    assert_close(sol.loss, float(lam[1:5].sum()), rtol=1e-12)


# --------------------------------------------------------------------------- backends, dtypes
def test_namespace_device_dtype(xp):
    g = augmentation_graph(3, 2, xp=xp)
    gi = xp.astype(g, xp.int64)
    for fn, kw in ((vicreg_embedding, {}), (wmse_embedding, {}), (laplacian_eigenmaps, {})):
        sol = fn(gi, n_components=2, **kw)
        for arr in (sol.embedding, sol.eigenvalues, sol.scales):
            assert _backend.get_namespace(arr) is _backend.get_namespace(g)
            assert arr.dtype == xp.float64
            assert _backend.device(arr) == _backend.device(g)
    sol32 = vicreg_embedding(xp.astype(g, xp.float32), n_components=2)
    assert sol32.embedding.dtype == xp.float32
    # float32: eigenvalues of L (‖L‖ = 2) to ~N·eps32 ≈ 1e-6 absolute, the loss (≈ 0 here) likewise
    assert_close(sol32.loss, vicreg_embedding(g, n_components=2).loss, rtol=1e-5, atol=1e-5)


@pytest.mark.slow  # importing torch takes seconds
def test_torch_backend():
    torch = pytest.importorskip("torch")
    g = torch.tensor(augmentation_graph(4, 2), dtype=torch.float64)
    sol = vicreg_embedding(g, n_components=3, variance_weight=3.0, invariance_weight=0.3)
    assert isinstance(sol.embedding, torch.Tensor)
    ref = vicreg_embedding(
        augmentation_graph(4, 2), n_components=3, variance_weight=3.0, invariance_weight=0.3
    )
    # two invariant directions: the loss is 2γ'·(rounding of the zero eigenvalues) ≈ 1e-16
    assert_close(sol.loss, ref.loss, rtol=1e-12, atol=64 * 8 * EPS)


# --------------------------------------------------------------------------- bad input
def test_bad_input(xp):
    g = augmentation_graph(3, 2, xp=xp)
    with pytest.raises(ValueError, match=r"variance_eps .* applies to variance_penalty=.hinge. only"):
        vicreg_embedding(g, n_components=2, variance_eps=1e-4)
    with pytest.raises(ValueError, match=r"variance_floor \+ variance_eps must be < 1"):
        vicreg_embedding(g, n_components=2, variance_penalty="hinge", variance_eps=0.5, variance_floor=0.5)
    with pytest.raises(ValueError, match="variance_floor must be > 0"):
        vicreg_embedding(g, n_components=2, variance_penalty="hinge", variance_floor=0.0)
    with pytest.raises(ValueError, match="variance_penalty must be"):
        vicreg_embedding(g, n_components=2, variance_penalty="cube")
    with pytest.raises(ValueError, match="ddof must be < n_samples"):
        vicreg_embedding(g, n_components=2, ddof=6)
    with pytest.raises(ValueError, match="ddof must be >= 0"):
        wmse_embedding(g, n_components=2, ddof=-1)
    with pytest.raises(ValueError, match="n_components must be >= 1"):
        vicreg_embedding(g, n_components=0)
    with pytest.raises(TypeError, match="n_components must be an integer"):
        vicreg_embedding(g, n_components=2.0)
    with pytest.raises(ValueError, match="variance_weight must be > 0"):
        vicreg_embedding(g, n_components=2, variance_weight=0.0)
    with pytest.raises(ValueError, match="invariance_weight must be >= 0"):
        vicreg_embedding(g, n_components=2, invariance_weight=-1.0)
    with pytest.raises(ValueError, match=r"n_components must be <= 5 \(a centred embedding"):
        wmse_embedding(g, n_components=6)
    with pytest.raises(ValueError, match=r"n_components must be <= 5"):
        laplacian_eigenmaps(g, n_components=6)
    asym = np.asarray(augmentation_graph(3, 2))
    asym[0, 1] = 2.0
    with pytest.raises(ValueError, match=r"graph must be symmetric.*\(G \+ G.T\) / 2"):
        vicreg_embedding(xp.asarray(asym), n_components=2)
    neg = np.asarray(augmentation_graph(3, 2)) * -1.0
    with pytest.raises(ValueError, match="graph must be non-negative"):
        wmse_embedding(xp.asarray(neg), n_components=2)
    nan = np.asarray(augmentation_graph(3, 2))
    nan[0, 3] = nan[3, 0] = np.nan
    with pytest.raises(ValueError, match="graph must be finite"):
        laplacian_eigenmaps(xp.asarray(nan), n_components=2)
    with pytest.raises(ValueError, match="square"):
        vicreg_embedding(xp.ones((3, 4)), n_components=1)
    with pytest.raises(ValueError, match="at least 2 nodes"):
        vicreg_embedding(xp.zeros((1, 1)), n_components=1)
    iso = np.asarray(augmentation_graph(3, 2))
    iso[0, :] = iso[:, 0] = 0.0
    with pytest.raises(ValueError, match="degree 0"):
        laplacian_eigenmaps(xp.asarray(iso), n_components=2)
    with pytest.raises(TypeError, match="expected an array"):
        vicreg_embedding([[0, 1], [1, 0]], n_components=1)


@pytest.mark.slow
def test_hinge_claim_optimiser_beats_naive_form():
    import array_api_compat.numpy as npx

    from ssltheory import claims

    claim = claims.get("spectral.vicreg.hinge_naive_form_beaten")
    for seed in range(3):
        for v in claims.run_claim(claim, xp=npx, seed=seed, quick=True):
            assert v.passed, (v.problem, v.error, v.tolerance, v.message)


@pytest.mark.xfail(
    strict=True,
    reason="spec §6 / D13 'VICReg K > N−1: extra constant columns, +α each' is false for α > β: the "
    "equal-diagonal optimum spreads variance into the extra columns and pays less than α per column",
)
def test_spec_extra_columns_add_alpha_when_alpha_exceeds_beta(rng):
    from ssltheory.claims._optim import minimize_multistart

    n = 5
    g = _connected(rng, n)
    kw = {"variance_weight": 3.0, "covariance_weight": 1.0, "invariance_weight": 0.3}
    loss = VICRegLoss(**kw)

    def host(z):
        out = loss.value_and_grad(z, g)
        return float(out.value), np.asarray(out.grad)

    # independent side: multi-start L-BFGS optima at K = N − 1 and K = N (the closed form agrees
    # with both to 1e-12; e.g. 3.2783 and 4.9558 where the spec predicts 3.2783 + 3 = 6.2783)
    optima = {
        k: minimize_multistart(host, (n, k), rng=np.random.default_rng(k), n_starts=4).loss
        for k in (n - 1, n)
    }
    closed = {k: vicreg_embedding(g, n_components=k, **kw).loss for k in (n - 1, n)}
    assert abs(closed[n] - optima[n]) <= 1e-8 * optima[n]  # the library is right (spec §5: 1e-8)
    assert abs(optima[n] - (optima[n - 1] + 3.0)) <= 1e-8 * optima[n]  # the spec's statement


def test_sparse_residual_check_falls_back_to_dense(rng, monkeypatch):
    from ssltheory import NotConvergedWarning

    g = _connected(rng, 30, p=0.2)
    dense = vicreg_embedding(g, n_components=3, invariance_weight=0.2)

    def broken(a, k, *, largest, tol, xp, v0=None):  # a failing Lanczos (cupy#5024-style garbage)
        q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((a.shape[0], k)))
        return np.arange(k, dtype=float), q

    monkeypatch.setattr(_backend, "sparse_eigsh", broken)
    with pytest.warns(NotConvergedWarning, match="residual check failed"):
        sol = vicreg_embedding(scipy.sparse.csr_matrix(g), n_components=3, invariance_weight=0.2)
    assert_close(sol.loss, dense.loss, rtol=1e-12)
    assert_same_subspace(sol.embedding, dense.embedding, atol=1e-9)

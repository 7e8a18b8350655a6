"""spectral_contrastive_embedding: Eckart–Young on Ā (or G), dense and sparse (spec §2.5, §4.5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import DegenerateSpectrumWarning, _backend
from ssltheory.claims._optim import loss_on_host, minimize_multistart
from ssltheory.graphs import augmentation_graph
from ssltheory.losses import SpectralContrastiveLoss
from ssltheory.spectral import spectral_contrastive_embedding
from ssltheory.testing.strategies import graphs

EPS = float(np.finfo(np.float64).eps)


@pytest.fixture(autouse=True)
def _single_blas_thread():
    # tiny matrices: BLAS threads only add spin-wait overhead inside L-BFGS's many small calls
    # (measured 10x slower on a loaded 2-core machine); threadpoolctl ships with scikit-learn
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=1):
        yield


def _weighted(rng, n, p=0.5, diagonal=False):
    g = rng.uniform(0.1, 2.0, (n, n)) * (rng.random((n, n)) < p)
    g = np.triu(g, 1)
    g = g + g.T
    if diagonal:
        g = g + np.diag(rng.uniform(0.0, 1.0, n))
    return g


def _operator(g, weighting):
    if weighting == "none":
        return g
    d = g.sum(axis=1)
    inv = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 0.0)
    return inv[:, None] * g * inv[None, :]


def _u_of(f, g, weighting):
    """U = D_w^{1/2} F (weighting="degree") or F (weighting="none")."""
    if weighting == "none":
        return f
    d = g.sum(axis=1)
    return np.sqrt(d / d.sum())[:, None] * f


def _atol(a):
    # losses are sums of N² products of entries of size ≤ ‖A‖: N²·eps·‖A‖_F² per side, ×16 slack
    n = a.shape[0]
    return 16 * n * n * EPS * max(1.0, float(np.sum(a * a)))


@pytest.mark.parametrize("weighting", ["degree", "none"])
@pytest.mark.parametrize(("n", "k", "diagonal"), [(8, 1, False), (12, 3, True), (15, 6, False), (6, 9, True)])
def test_loss_equals_evaluator_and_eckart_young(xp, rng, weighting, n, k, diagonal):
    g = _weighted(rng, n, diagonal=diagonal)
    sol = spectral_contrastive_embedding(xp.asarray(g), n_components=k, weighting=weighting)
    a = _operator(g, weighting)
    atol = _atol(a)
    measured = float(SpectralContrastiveLoss(weighting=weighting)(sol.embedding, xp.asarray(g)))
    assert abs(sol.loss - measured) <= atol
    # Eckart–Young from numpy's full spectrum: min ‖UUᵀ−A‖² = Σ_{k>K} ω² + Σ_{k≤K} min(ω,0)²
    omega = np.sort(np.linalg.eigvalsh(a))[::-1]
    kept = omega[:k]
    best_dist = np.sum(omega[k:] ** 2) + np.sum(np.minimum(kept, 0) ** 2)
    u = _u_of(_backend.to_numpy(sol.embedding), g, weighting)
    dist = float(np.sum((u @ u.T - a) ** 2))
    assert abs(dist - best_dist) <= atol
    assert abs(sol.loss - (best_dist - np.sum(omega**2))) <= atol
    assert abs(sol.loss + np.sum(np.maximum(kept, 0) ** 2)) <= atol
    assert sol.rank == min(k, int(np.sum(omega > 1e-10)))  # generic graphs: no eigenvalue near 0
    np.testing.assert_allclose(_backend.to_numpy(sol.eigenvalues)[: min(k, n)], kept, rtol=0, atol=atol)
    assert sol.embedding.shape == (n, k)


@pytest.mark.parametrize("weighting", ["degree", "none"])
def test_minimiser_matches_optimiser(rng, weighting):
    g = _weighted(rng, 10, p=0.6)
    k = 3
    loss = SpectralContrastiveLoss(weighting=weighting)
    sol = spectral_contrastive_embedding(g, n_components=k, weighting=weighting)
    best = minimize_multistart(loss_on_host(loss, g), (10, k), rng=rng, n_starts=3)
    # spec: agreement ≤ 1e-8 (relative) between closed form and multi-start L-BFGS
    assert abs(best.loss - sol.loss) <= 1e-8 * abs(sol.loss)
    assert min(best.losses) >= sol.loss - _atol(_operator(g, weighting))
    u_cf = _u_of(sol.embedding, g, weighting)
    u_opt = _u_of(best.embedding, g, weighting)
    # UUᵀ is unique (gap ω_K − ω_{K+1} > 0); a value gap δ gives ‖ΔUUᵀ‖ ≈ sqrt(δ) ≈ 1e-6
    omega = np.sort(np.linalg.eigvalsh(_operator(g, weighting)))[::-1]
    gap = omega[k - 1] - omega[k]
    np.testing.assert_allclose(u_opt @ u_opt.T, u_cf @ u_cf.T, rtol=0, atol=1e-5 / min(1.0, gap))


def test_sparse_equals_dense(rng):
    sparse = pytest.importorskip("scipy.sparse")
    n, k = 60, 4
    g = _weighted(rng, n, p=0.1)
    dense = spectral_contrastive_embedding(g, n_components=k)
    sp = spectral_contrastive_embedding(sparse.csr_matrix(g), n_components=k)
    assert isinstance(sp.embedding, np.ndarray)
    atol = _atol(_operator(g, "degree"))
    assert abs(sp.loss - dense.loss) <= atol
    np.testing.assert_allclose(sp.eigenvalues, dense.eigenvalues, rtol=0, atol=atol)
    # compare FFᵀ (unique up to the rotation), scaled by vol: ARPACK converges to machine precision
    np.testing.assert_allclose(
        sp.embedding @ sp.embedding.T, dense.embedding @ dense.embedding.T, rtol=0, atol=1e-8 * n
    )
    none_sp = spectral_contrastive_embedding(sparse.csr_matrix(g), n_components=k, weighting="none")
    none_dense = spectral_contrastive_embedding(g, n_components=k, weighting="none")
    assert abs(none_sp.loss - none_dense.loss) <= _atol(g)


def test_extra_columns_are_zero_and_rank(xp):
    # augmentation graph, V = 2: spec(Ā) = {1×N', −1×N'}; K > N' keeps N' columns, the rest are zero
    g = augmentation_graph(3, 2, xp=xp)
    # ω = −1 is tied across K = 5 but carries zero weight: silent (filterwarnings=error checks it)
    sol = spectral_contrastive_embedding(g, n_components=5)
    z = _backend.to_numpy(sol.embedding)
    assert sol.rank == 3
    assert np.all(z[:, 3:] == 0)
    assert abs(sol.loss + 3.0) <= 64 * EPS
    np.testing.assert_allclose(_backend.to_numpy(sol.scales), [1, 1, 1, 0, 0], rtol=0, atol=64 * EPS)
    big = spectral_contrastive_embedding(g, n_components=9)  # K > N: padded too
    assert big.embedding.shape == (6, 9)
    assert big.rank == 3


def test_ties_warn_only_when_straddling_positive_weight(xp):
    g = augmentation_graph(3, 3, xp=xp)  # spec(Ā) = {1×3, −1/2×6}
    with pytest.warns(DegenerateSpectrumWarning, match="not unique"):
        sol = spectral_contrastive_embedding(g, n_components=2)
    assert sol.tied
    # a cluster wholly inside (K = 3) or a straddling cluster with zero weight (K = 4: ω = −1/2) is silent
    assert not spectral_contrastive_embedding(g, n_components=3).tied
    assert not spectral_contrastive_embedding(g, n_components=4).tied
    # the tied solution is still optimal: its loss is the evaluator's
    measured = float(SpectralContrastiveLoss()(sol.embedding, g))
    assert abs(sol.loss - measured) <= 64 * 9 * EPS


def test_isolated_nodes_have_zero_rows(xp, rng):
    g = _weighted(rng, 8, p=0.8)
    g[3, :] = 0.0
    g[:, 3] = 0.0
    sol = spectral_contrastive_embedding(xp.asarray(g), n_components=3)
    z = _backend.to_numpy(sol.embedding)
    assert np.all(z[3] == 0)
    measured = float(SpectralContrastiveLoss()(sol.embedding, xp.asarray(g)))
    assert abs(sol.loss - measured) <= _atol(_operator(g, "degree"))


@settings(max_examples=15)
@given(
    g=graphs(("weighted", "binary", "knn", "disconnected", "augmentation"), min_nodes=3, max_nodes=14),
    k=st.integers(1, 5),
    weighting=st.sampled_from(["degree", "none"]),
    seed=st.integers(0, 2**16),
)
def test_property_optimal_against_perturbations(xp, g, k, weighting, seed):
    if weighting == "degree" and not np.any(g):
        return
    rng = np.random.default_rng(seed)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSpectrumWarning)  # ties are legitimate here
        sol = spectral_contrastive_embedding(xp.asarray(g), n_components=k, weighting=weighting)
    loss = SpectralContrastiveLoss(weighting=weighting)
    a = _operator(g, weighting)
    atol = _atol(a)
    assert abs(float(loss(sol.embedding, xp.asarray(g))) - sol.loss) <= atol
    z0 = _backend.to_numpy(sol.embedding)
    for scale in (1e-4, 1e-1):
        z = xp.asarray(z0 + scale * rng.standard_normal(z0.shape))
        assert float(loss(z, xp.asarray(g))) >= sol.loss - atol


def test_namespace_device_dtype(xp, rng):
    g = xp.asarray(_weighted(rng, 7))
    sol = spectral_contrastive_embedding(g, n_components=2)
    for arr in (sol.embedding, sol.eigenvalues, sol.scales):
        assert _backend.get_namespace(arr) is _backend.get_namespace(g)
        assert _backend.device(arr) == _backend.device(g)
        assert arr.dtype == xp.float64
    assert (
        spectral_contrastive_embedding(xp.astype(g, xp.float32), n_components=2).embedding.dtype == xp.float32
    )
    gi = xp.asarray(np.ones((4, 4), dtype=np.int64) - np.eye(4, dtype=np.int64))
    assert spectral_contrastive_embedding(gi, n_components=1).embedding.dtype == xp.float64


def test_bad_inputs(xp):
    g = augmentation_graph(3, 2, xp=xp)
    with pytest.raises(ValueError, match="weighting must be one of"):
        spectral_contrastive_embedding(g, n_components=2, weighting="sym")
    with pytest.raises(ValueError, match="at least one edge"):
        spectral_contrastive_embedding(xp.zeros((3, 3), dtype=xp.float64), n_components=1)
    with pytest.raises(ValueError, match="n_components must be >= 1"):
        spectral_contrastive_embedding(g, n_components=0)
    with pytest.raises(ValueError, match="non-negative"):
        spectral_contrastive_embedding(-g, n_components=1)
    with pytest.raises(ValueError, match="symmetric"):
        spectral_contrastive_embedding(xp.asarray(np.triu(np.ones((4, 4)))), n_components=1)
    with pytest.raises(ValueError, match="square"):
        spectral_contrastive_embedding(xp.ones((3, 4), dtype=xp.float64), n_components=1)

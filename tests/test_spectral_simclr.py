"""simclr_embedding: the regular-simplex optimum of SimCLR on balanced class graphs (spec §4.4)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import _backend
from ssltheory.claims._optim import loss_on_host, minimize_multistart
from ssltheory.graphs import augmentation_graph, label_graph
from ssltheory.losses import SimCLRLoss
from ssltheory.spectral import SpectralSolution, simclr_embedding

EPS = float(np.finfo(np.float64).eps)


@pytest.fixture(autouse=True)
def _single_blas_thread():
    # tiny matrices: BLAS threads only add spin-wait overhead inside L-BFGS's many small calls
    # (measured 10x slower on a loaded 2-core machine); threadpoolctl ships with scikit-learn
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=1):
        yield


def _class_graph(xp, n_classes, n):
    return label_graph(xp.asarray(np.repeat(np.arange(n_classes), n)))


def _simplex_gram(n_classes, n):
    """(C/(C−1)) Ḡ − 11ᵀ/(C−1), written from the class labels directly."""
    labels = np.repeat(np.arange(n_classes), n)
    same = (labels[:, None] == labels[None, :]).astype(float)
    return n_classes / (n_classes - 1) * same - 1.0 / (n_classes - 1)


def _formula(n_nodes, n_classes, tau):
    n = n_nodes // n_classes
    return (
        n_nodes * (n - 1) * math.log(n - 1 + (n_nodes - n) * math.exp(-n_classes / ((n_classes - 1) * tau)))
    )


def _loss_atol(n_nodes, tau):
    # each row's logsumexp adds N terms of size ≤ e^{2/τ}·…; the value is a sum of N² terms of
    # magnitude ≤ 1/τ + log N, each exact to a few ulps: 16·N²·eps·(1/τ + log N) is generous
    return 16 * n_nodes**2 * EPS * (1.0 / tau + math.log(n_nodes))


SETTINGS = [(2, 2, 1, 0.5), (3, 2, 2, 0.5), (3, 3, 4, 1.0), (4, 2, 3, 0.2), (2, 5, 3, 3.0), (5, 3, 6, 0.1)]


@pytest.mark.parametrize(("n_classes", "n", "k", "tau"), SETTINGS)
def test_loss_equals_evaluator_and_formula(xp, n_classes, n, k, tau):
    g = _class_graph(xp, n_classes, n)
    sol = simclr_embedding(g, n_components=k, temperature=tau)
    n_nodes = n_classes * n
    measured = float(SimCLRLoss(temperature=tau)(sol.embedding, g))
    atol = _loss_atol(n_nodes, tau)
    assert abs(sol.loss - measured) <= atol
    assert abs(sol.loss - _formula(n_nodes, n_classes, tau)) <= atol


@pytest.mark.parametrize(("n_classes", "n", "k", "tau"), SETTINGS)
def test_gram_is_regular_simplex(xp, n_classes, n, k, tau):
    g = _class_graph(xp, n_classes, n)
    sol = simclr_embedding(g, n_components=k, temperature=tau)
    z = _backend.to_numpy(sol.embedding)
    assert z.shape == (n_classes * n, k)
    gram = z @ z.T
    # eigenvectors of a matrix with a gap n to the rest: error ≈ N·eps·‖HḠH‖/gap, ‖·‖ = n
    tol = 64 * z.shape[0] * EPS
    np.testing.assert_allclose(gram, _simplex_gram(n_classes, n), rtol=0, atol=tol)
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1.0, rtol=0, atol=tol)
    s = np.linalg.svd(z, compute_uv=False)
    assert int(np.sum(s > 1e-8 * s[0])) == n_classes - 1 == sol.rank  # rank gap: s ~ 1 vs ~eps
    assert np.all(z[:, n_classes - 1 :] == 0)  # padding is exactly zero
    np.testing.assert_allclose(_backend.to_numpy(sol.eigenvalues)[: n_classes - 1], n, rtol=0, atol=tol * n)
    # sign convention D11: largest-magnitude entry of each kept column positive
    cols = z[:, : n_classes - 1]
    assert np.all(cols[np.argmax(np.abs(cols), axis=0), np.arange(n_classes - 1)] > 0)


def test_mds_identity(xp):
    # item 17: Ũ Ũᵀ = −½ H Δ H with Δ = (2C/(C−1))(11ᵀ − Ḡ), Δ also equals the optimum's squared distances
    n_classes, n = 4, 3
    g = _class_graph(xp, n_classes, n)
    z = _backend.to_numpy(simclr_embedding(g, n_components=5).embedding)
    gbar = _backend.to_numpy(g) + np.eye(n_classes * n)
    delta = 2 * n_classes / (n_classes - 1) * (1.0 - gbar)
    sq = np.sum(z * z, axis=1)
    measured_delta = sq[:, None] + sq[None, :] - 2 * z @ z.T
    h = np.eye(n_classes * n) - 1.0 / (n_classes * n)
    tol = 64 * n_classes * n * EPS  # as in test_gram_is_regular_simplex, times the factor 2C/(C−1) ≤ 4
    np.testing.assert_allclose(measured_delta, delta, rtol=0, atol=4 * tol)
    np.testing.assert_allclose(z @ z.T, -0.5 * h @ delta @ h, rtol=0, atol=4 * tol)


def test_augmentation_graph_two_views_formula(xp):
    # two views, N' ≤ K + 1: L* = N log(1 + (N − 2) e^{−N'/((N'−1)τ)}) (spec §4.4)
    n_samples, tau = 4, 0.7
    g = augmentation_graph(n_samples, 2, xp=xp)
    sol = simclr_embedding(g, n_components=n_samples - 1, temperature=tau)
    n_nodes = 2 * n_samples
    expected = n_nodes * math.log(1 + (n_nodes - 2) * math.exp(-n_samples / ((n_samples - 1) * tau)))
    assert abs(sol.loss - expected) <= _loss_atol(n_nodes, tau)
    assert sol.rank == n_samples - 1


@pytest.mark.parametrize(("n_classes", "n"), [(3, 2), (2, 4)])
def test_temperature_limits(n_classes, n):
    g = _class_graph(np, n_classes, n)
    n_nodes = n_classes * n
    low = simclr_embedding(g, n_components=n_classes, temperature=1e-3).loss
    high = simclr_embedding(g, n_components=n_classes, temperature=1e6).loss
    # τ → 0: N(n−1)log(n−1); at τ = 1e-3 the correction is ≤ N(n−1)·(N−n)e^{−1000}/(n−1) ≈ 0
    assert abs(low - n_nodes * (n - 1) * math.log(n - 1)) <= 1e-12 * max(1.0, abs(low))
    # τ → ∞: N(n−1)log(N−1); first-order correction N(n−1)(N−n)/(N−1)·C/((C−1)τ) ≈ 1e-5 at τ = 1e6
    assert abs(high - n_nodes * (n - 1) * math.log(n_nodes - 1)) <= n_nodes**2 * 4 / 1e6


@pytest.mark.parametrize(("n_classes", "n", "k", "tau"), [(3, 2, 2, 0.5), (4, 2, 5, 0.3)])
def test_closed_form_equals_multistart_optimum(n_classes, n, k, tau, rng):
    g = _class_graph(np, n_classes, n)
    loss = SimCLRLoss(temperature=tau)
    sol = simclr_embedding(g, n_components=k, temperature=tau)
    best = minimize_multistart(loss_on_host(loss, g), (n_classes * n, k), rng=rng, n_starts=3)
    # spec: closed form = multi-start optimum to rel. 1e-8; no start goes below it (beyond rounding)
    assert abs(best.loss - sol.loss) <= 1e-8 * abs(sol.loss)
    assert min(best.losses) >= sol.loss - _loss_atol(n_classes * n, tau)
    u = best.embedding / np.linalg.norm(best.embedding, axis=1, keepdims=True)
    # cosines at an L-BFGS optimum: the loss is quadratic near the minimum, so a value error of
    # 1e-8·L gives cosine errors of order sqrt(1e-8) = 1e-4
    np.testing.assert_allclose(u @ u.T, _simplex_gram(n_classes, n), rtol=0, atol=1e-4)
    s = np.linalg.svd(u, compute_uv=False)
    assert int(np.sum(s > 1e-3 * s[0])) == n_classes - 1  # collapse to rank C−1 (gap 1e-4 vs O(1))


def test_below_simplex_dimension_is_regular_polygon(rng):
    # spec §4.4b: C = 5, K = 2 < C − 1: no closed form (ValueError); the optimum is a regular pentagon
    g = _class_graph(np, 5, 2)
    with pytest.raises(ValueError, match=r"n_components must be >= C - 1 = 4"):
        simclr_embedding(g, n_components=2)
    best = minimize_multistart(loss_on_host(SimCLRLoss(), g), (10, 2), rng=rng, n_starts=3)
    u = best.embedding / np.linalg.norm(best.embedding, axis=1, keepdims=True)
    cos = u @ u.T
    labels = np.repeat(np.arange(5), 2)
    within = cos[labels[:, None] == labels[None, :]]
    between = np.sort(np.unique(np.round(cos[labels[:, None] != labels[None, :]], 4)))
    assert np.all(within > 1 - 1e-6)  # within-class collapse (quadratic flatness: 1e-4² scale)
    expected = np.array([math.cos(4 * math.pi / 5), math.cos(2 * math.pi / 5)])
    np.testing.assert_allclose(between, expected, rtol=0, atol=2e-4)  # rounding to 4 digits + 1e-4
    assert np.linalg.matrix_rank(u, tol=1e-6) == 2


def test_loss_not_beaten_by_perturbations(xp, rng):
    g = _class_graph(xp, 3, 3)
    sol = simclr_embedding(g, n_components=3, temperature=0.4)
    loss = SimCLRLoss(temperature=0.4)
    z0 = _backend.to_numpy(sol.embedding)
    for scale in (1e-3, 1e-1, 1.0):
        z = xp.asarray(z0 + scale * rng.standard_normal(z0.shape))
        assert float(loss(z, g)) >= sol.loss - _loss_atol(9, 0.4)


def test_invariant_to_row_scaling_and_rotation(xp, rng):
    g = _class_graph(xp, 3, 2)
    sol = simclr_embedding(g, n_components=3)
    z0 = _backend.to_numpy(sol.embedding)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    z = (z0 @ q) * rng.uniform(0.5, 3.0, (6, 1))
    assert abs(float(SimCLRLoss()(xp.asarray(z), g)) - sol.loss) <= _loss_atol(6, 0.5)


@settings(max_examples=10)
@given(
    n_classes=st.integers(2, 4),
    n=st.integers(2, 3),
    extra=st.integers(0, 2),
    tau=st.floats(0.1, 5.0),
)
def test_property_closed_form(xp, n_classes, n, extra, tau):
    g = _class_graph(xp, n_classes, n)
    sol = simclr_embedding(g, n_components=n_classes - 1 + extra, temperature=tau)
    assert isinstance(sol, SpectralSolution)
    assert sol.rank == n_classes - 1
    assert not sol.tied
    measured = float(SimCLRLoss(temperature=tau)(sol.embedding, g))
    assert abs(sol.loss - measured) <= _loss_atol(n_classes * n, tau)
    z = _backend.to_numpy(sol.embedding)
    np.testing.assert_allclose(z @ z.T, _simplex_gram(n_classes, n), rtol=0, atol=64 * n_classes * n * EPS)


def test_namespace_device_dtype(xp):
    g = _class_graph(xp, 3, 2)
    sol = simclr_embedding(g, n_components=2)
    for arr in (sol.embedding, sol.eigenvalues, sol.scales):
        assert _backend.get_namespace(arr) is _backend.get_namespace(g)
        assert _backend.device(arr) == _backend.device(g)
        assert arr.dtype == xp.float64
    g32 = xp.astype(g, xp.float32)
    sol32 = simclr_embedding(g32, n_components=2)
    assert sol32.embedding.dtype == xp.float32
    z = _backend.to_numpy(sol32.embedding).astype(np.float64)
    # float32 eigenvectors: errors 64·N·eps32
    np.testing.assert_allclose(z @ z.T, _simplex_gram(3, 2), rtol=0, atol=64 * 6 * np.finfo(np.float32).eps)
    gi = xp.asarray(np.asarray(_backend.to_numpy(g), dtype=np.int64))
    assert simclr_embedding(gi, n_components=2).embedding.dtype == xp.float64


def test_sparse_input_is_densified():
    sparse = pytest.importorskip("scipy.sparse")
    g = _class_graph(np, 3, 2)
    sol = simclr_embedding(sparse.csr_matrix(g), n_components=2)
    assert abs(sol.loss - simclr_embedding(g, n_components=2).loss) <= _loss_atol(6, 0.5)


def test_bad_inputs(xp):
    good = _class_graph(xp, 3, 2)
    with pytest.raises(ValueError, match="n_components must be >= C - 1 = 2"):
        simclr_embedding(good, n_components=1)
    with pytest.raises(ValueError, match="0/1 entries"):
        simclr_embedding(good * 2.0, n_components=2)
    unbalanced = label_graph(xp.asarray(np.array([0, 0, 0, 1, 1])))
    with pytest.raises(ValueError, match="equal-size cliques"):
        simclr_embedding(unbalanced, n_components=2)
    path = np.zeros((4, 4))
    for i in range(3):
        path[i, i + 1] = path[i + 1, i] = 1.0
    path[0, 3] = path[3, 0] = 1.0  # a 4-cycle: all degrees 2 but not a clique union
    with pytest.raises(ValueError, match="disjoint cliques"):
        simclr_embedding(xp.asarray(path), n_components=2)
    with pytest.raises(ValueError, match=r"C >= 2 classes"):
        simclr_embedding(_class_graph(xp, 1, 4), n_components=2)
    with pytest.raises(ValueError, match="size n >= 2"):
        simclr_embedding(xp.zeros((4, 4), dtype=xp.float64), n_components=3)
    with pytest.raises(ValueError, match="zero diagonal"):
        simclr_embedding(good + xp.eye(6, dtype=xp.float64), n_components=2)
    with pytest.raises(ValueError, match="symmetric"):
        simclr_embedding(xp.asarray(np.triu(np.ones((4, 4)), 1)), n_components=2)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        simclr_embedding(good, n_components=2, temperature=0.0)
    with pytest.raises(TypeError, match="n_components must be an integer"):
        simclr_embedding(good, n_components=2.0)
    with pytest.raises(TypeError, match="expected an array"):
        simclr_embedding([[0, 1], [1, 0]], n_components=1)

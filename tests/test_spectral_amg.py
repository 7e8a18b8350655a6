"""The AMG-preconditioned LOBPCG route of the sparse spectral closed forms (issue #8, large kNN graphs).

Sparse graphs with N >= ``_PRECONDITIONED_MIN_N`` (1e5) are solved by LOBPCG with a pyamg
smoothed-aggregation preconditioner when pyamg is installed. These tests lower the threshold to
run that route on small graphs and check it against a dense ``scipy.linalg.eigh`` of the same
Laplacian (independent computation): spectra, subspaces and losses. NumPy only: pyamg is a
SciPy-sparse library (other backends keep Lanczos, tested elsewhere).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse
from scipy.sparse.csgraph import laplacian

from ssltheory import NotConvergedWarning, _backend
from ssltheory.compare import subspace_distance
from ssltheory.spectral import _vicreg, laplacian_eigenmaps, vicreg_embedding

pytest.importorskip("pyamg")

K = 5


def _knn_graph(n: int, seed: int, spread: float = 2.5) -> scipy.sparse.csr_matrix:
    """Symmetrised 8-NN graph of 6 overlapping Gaussian blobs in 3-D: K = 5 small eigenvalues
    (the blob structure) separated from the rest by a clear gap, so the subspace is well defined.
    Blobs spread farther apart can leave the graph disconnected (see the test that uses it)."""
    from sklearn.neighbors import kneighbors_graph

    rng = np.random.default_rng(seed)
    centres = spread * rng.standard_normal((K + 1, 3))
    x = centres[rng.integers(0, K + 1, n)] + rng.standard_normal((n, 3))
    b = kneighbors_graph(x, 8, include_self=False)
    return b.maximum(b.T).tocsr().astype(np.float64)


@pytest.fixture
def spy(monkeypatch):
    """Route every sparse graph through AMG-LOBPCG and count the calls of each solver."""
    calls = {"lobpcg": 0, "eigsh": 0}
    lobpcg, eigsh = _backend.sparse_lobpcg, _backend.sparse_eigsh

    def counted_lobpcg(*a, **kw):
        calls["lobpcg"] += 1
        return lobpcg(*a, **kw)

    def counted_eigsh(*a, **kw):
        calls["eigsh"] += 1
        return eigsh(*a, **kw)

    monkeypatch.setattr(_vicreg, "_PRECONDITIONED_MIN_N", 0)
    monkeypatch.setattr(_backend, "sparse_lobpcg", counted_lobpcg)
    monkeypatch.setattr(_backend, "sparse_eigsh", counted_eigsh)
    return calls


def _dense_bottom(op: np.ndarray, k: int, q: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Bottom k eigenpairs of ``op`` on ``q⊥`` (default q = 1/sqrt(n)), dense LAPACK: ``q`` is moved
    to the top of the spectrum by a rank-one shift (valid also when ``op`` has other null vectors)."""
    n = op.shape[0]
    q = np.full(n, 1.0 / math.sqrt(n)) if q is None else q
    big = 2.0 * np.abs(op).sum(axis=1).max() + 1.0
    return scipy.linalg.eigh(op + big * np.outer(q, q), subset_by_index=[0, k - 1])


def _sin_theta_bound(w_all: np.ndarray, k: int, shift: float) -> float:
    # Davis–Kahan: sin θ <= ‖R‖₂ / gap. The solver stops at residual 1e-10·shift per vector and the
    # residual check allows 4·sqrt(eps)·shift; sqrt(k)·4·sqrt(eps)·shift bounds ‖R‖₂ either way.
    gap = w_all[k + 1] - w_all[k]
    return math.sqrt(k) * 4.0 * math.sqrt(np.finfo(float).eps) * shift / gap


@pytest.mark.parametrize("seed", [0, 1])
def test_vicreg_lobpcg_route_matches_dense(spy, seed):
    g = _knn_graph(1000, seed)
    lap = laplacian(g).toarray()
    w_all = scipy.linalg.eigvalsh(lap, subset_by_index=[0, K + 2])
    assert w_all[K + 1] - w_all[K] > 1e-3  # the construction's gap (else the comparison is moot)
    sol = vicreg_embedding(g, n_components=K, invariance_weight=0.05)
    assert spy["lobpcg"] == 1
    assert spy["eigsh"] == 0
    w_ref, v_ref = _dense_bottom(lap, K)
    shift = 2.0 * float(np.asarray(g.sum(axis=1)).max()) + 1.0
    # eigenvalues: Rayleigh quotients are second-order accurate; 1e-9·shift is far above that
    np.testing.assert_allclose(sol.eigenvalues, w_ref, rtol=0, atol=1e-9 * shift)
    assert subspace_distance(sol.embedding, v_ref) <= _sin_theta_bound(w_all, K, shift)


def test_laplacian_eigenmaps_lobpcg_route_matches_dense(spy):
    g = _knn_graph(1000, 2)
    deg = np.asarray(g.sum(axis=1)).ravel()
    lsym = laplacian(g, normed=True).toarray()
    w_all = scipy.linalg.eigvalsh(lsym, subset_by_index=[0, K + 2])
    sol = laplacian_eigenmaps(g, n_components=K)
    assert spy["lobpcg"] == 1
    assert spy["eigsh"] == 0
    w_ref, y_ref = _dense_bottom(lsym, K, np.sqrt(deg) / np.linalg.norm(np.sqrt(deg)))
    np.testing.assert_allclose(sol.eigenvalues, w_ref, rtol=0, atol=3e-9)  # shift 3, as above
    # LE's embedding is D^{-1/2} y: compare the y-subspaces
    assert subspace_distance(sol.embedding * np.sqrt(deg)[:, None], y_ref) <= _sin_theta_bound(w_all, K, 3.0)
    np.testing.assert_allclose(sol.loss, w_ref.sum(), rtol=1e-9)


def test_disconnected_graph(spy):
    # two components: a second null vector of L lies in 1⊥ and is a wanted eigenvector (λ = 0);
    # a too-small preconditioner ridge made LOBPCG stall on exactly this graph
    from scipy.sparse.csgraph import connected_components

    g = _knn_graph(1000, 0, spread=4.0)
    assert connected_components(g)[0] == 2
    lap = laplacian(g).toarray()
    sol = vicreg_embedding(g, n_components=K, invariance_weight=0.05)
    assert spy["lobpcg"] == 1
    w_ref, v_ref = _dense_bottom(lap, K)
    shift = 2.0 * float(np.asarray(g.sum(axis=1)).max()) + 1.0
    np.testing.assert_allclose(sol.eigenvalues, w_ref, rtol=0, atol=1e-9 * shift)
    w_next = scipy.linalg.eigvalsh(lap, subset_by_index=[K + 1, K + 1])[0]  # λ_{K+1} on 1⊥
    assert subspace_distance(sol.embedding, v_ref) <= _sin_theta_bound(np.r_[0.0, w_ref, w_next], K, shift)


def test_without_pyamg_lanczos_is_used_and_agrees(spy, monkeypatch):
    g = _knn_graph(800, 3)
    with_amg = vicreg_embedding(g, n_components=K, invariance_weight=0.05)
    monkeypatch.setitem(sys.modules, "pyamg", None)  # import pyamg now raises ImportError
    assert _backend.amg_preconditioner(laplacian(g), xp=np) is None
    without = vicreg_embedding(g, n_components=K, invariance_weight=0.05)
    assert spy["lobpcg"] == 1  # the first solve; the second went to Lanczos (and its re-runs)
    assert spy["eigsh"] >= 1
    lap = laplacian(g).toarray()
    w_all = scipy.linalg.eigvalsh(lap, subset_by_index=[0, K + 2])
    shift = 2.0 * float(np.asarray(g.sum(axis=1)).max()) + 1.0
    np.testing.assert_allclose(with_amg.eigenvalues, without.eigenvalues, rtol=0, atol=2e-9 * shift)
    assert subspace_distance(with_amg.embedding, without.embedding) <= 2 * _sin_theta_bound(w_all, K, shift)


def test_lobpcg_not_converged_warns_and_recovers(spy, monkeypatch):
    monkeypatch.setattr(_vicreg, "_LOBPCG_MAXITER", 1)  # one iteration cannot reach 1e-10·shift
    g = _knn_graph(600, 4)
    with pytest.warns(NotConvergedWarning, match="residual check failed"):
        sol = vicreg_embedding(g, n_components=K, invariance_weight=0.05)
    # N <= 20 000: the dense recomputation gives the exact answer
    w_ref, v_ref = _dense_bottom(laplacian(g).toarray(), K)
    np.testing.assert_allclose(sol.eigenvalues, w_ref, rtol=0, atol=1e-10)
    assert subspace_distance(sol.embedding, v_ref) < 1e-8


def test_amg_preconditioner_only_for_numpy_sparse():
    import array_api_strict

    g = _knn_graph(500, 5)
    assert _backend.amg_preconditioner(g.toarray(), xp=np) is None  # dense: no AMG
    assert _backend.amg_preconditioner(g, xp=array_api_strict) is None
    pre = _backend.amg_preconditioner(laplacian(g), xp=np)
    # one V-cycle is a contraction toward the solution of (L + ridge) x = b
    lap = laplacian(g)
    b = np.random.default_rng(0).standard_normal(500)
    b -= b.mean()
    x = pre @ b
    assert np.linalg.norm(lap @ x - b) < 0.5 * np.linalg.norm(b)


@pytest.mark.parametrize("spread", [2.5, 4.0])  # connected, and two components
def test_spectral_contrastive_lobpcg_route_matches_dense(spy, spread):
    from ssltheory.spectral import spectral_contrastive_embedding

    g = _knn_graph(1000, 0, spread=spread)
    sol = spectral_contrastive_embedding(g, n_components=K)
    assert spy["lobpcg"] == 1
    dense = spectral_contrastive_embedding(g.toarray(), n_components=K)
    assert not dense.tied
    # eigenvalues of Ā in [-1, 1]: the LOBPCG stop (1e-10·3 residual) bounds their error far below
    np.testing.assert_allclose(sol.eigenvalues, dense.eigenvalues, rtol=0, atol=3e-9)
    # U Uᵀ, the Eckart–Young optimum, is unique without ties: compare it, not U
    gram, ref = sol.embedding @ sol.embedding.T, dense.embedding @ dense.embedding.T
    np.testing.assert_allclose(gram, ref, rtol=0, atol=1e-6 * np.abs(ref).max())

"""Scale paths of the spectral closed forms (issue 8 part 1): sparse partial eigensolver and the
known spectrum of clique-union graphs (augmentation / label graphs), against dense references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import laplacian

from ssltheory import DegenerateSpectrumWarning, NotConvergedWarning, _backend
from ssltheory.graphs import augmentation_graph, label_graph
from ssltheory.losses import vicreg_loss
from ssltheory.spectral import _structured, _vicreg, laplacian_eigenmaps, vicreg_embedding, wmse_embedding
from ssltheory.testing import assert_close, assert_same_subspace

EPS = float(np.finfo(np.float64).eps)
# eigen-residuals of a well-conditioned N <= 1000 problem: n·eps·‖L‖ with a wide margin
RESID = 1e3 * math.sqrt(EPS)


def _knn(rng, n, n_neighbors=6, dim=3):
    from sklearn.neighbors import kneighbors_graph

    b = kneighbors_graph(rng.standard_normal((n, dim)), n_neighbors, include_self=False)
    return b.maximum(b.T).tocsr().astype(np.float64)


def _weighted_label_graph(labels, weights):
    g = label_graph(np.asarray(labels)).astype(np.float64)
    return g * np.asarray(weights, dtype=np.float64)[np.asarray(labels)][:, None]


def _dense_bottom(g, k):
    """Independent reference: all eigenpairs of L + 1 1ᵀ·s/N by numpy.linalg.eigh, ascending."""
    lap = laplacian(np.asarray(g.toarray() if scipy.sparse.issparse(g) else g, dtype=np.float64))
    n = lap.shape[0]
    s = 2.0 * np.abs(lap).sum(axis=1).max() + 1.0
    w, v = np.linalg.eigh(lap + s / n)
    return w[:k], v[:, :k], w


# ----------------------------------------------------------------------------- sparse kNN path
@pytest.mark.parametrize("func", ["vicreg", "wmse", "le"])
def test_sparse_knn_matches_dense(rng, func):
    g = _knn(rng, 400)
    k = 5
    kw = {"vicreg": {"invariance_weight": 0.3}, "wmse": {}, "le": {}}[func]
    f = {"vicreg": vicreg_embedding, "wmse": wmse_embedding, "le": laplacian_eigenmaps}[func]
    sparse, dense = f(g, n_components=k, **kw), f(g.toarray(), n_components=k, **kw)
    _, _, spectrum = _dense_bottom(g, k + 1)
    gap = spectrum[k] - spectrum[k - 1]  # λ_{K+1} - λ_K of L on 1⊥ (index 0 is the null vector)
    # Davis–Kahan: subspace error <= residual / gap, residual <= SPARSE_EIGEN_TOL·shift (documented)
    shift = 2.0 * g.sum(axis=1).max() + 1.0
    atol = max(10 * _vicreg.SPARSE_EIGEN_TOL * shift / min(gap, 1.0), 4 * math.sqrt(EPS))
    assert_same_subspace(sparse.embedding, dense.embedding, atol=atol)
    assert_close(sparse.eigenvalues, dense.eigenvalues, rtol=atol, atol=atol)
    assert_close(sparse.loss, dense.loss, rtol=atol)


def test_sparse_spectrum_matches_scipy_reference(rng):
    g = _knn(rng, 600)
    sol = wmse_embedding(g, n_components=6)
    lam, _, _ = _dense_bottom(g, 6)  # the constant vector is shifted to the top
    # eigenvalues are second-order accurate in the residual: far below 4·sqrt(eps)
    assert_close(sol.eigenvalues, lam, rtol=4 * math.sqrt(EPS), atol=4 * math.sqrt(EPS))


def test_laplacian_eigenmaps_matches_sklearn_spectral_embedding(rng):
    from sklearn.manifold import SpectralEmbedding

    g = _knn(rng, 300)
    k = 4
    ours = laplacian_eigenmaps(g, n_components=k)
    ref = SpectralEmbedding(
        n_components=k, affinity="precomputed", eigen_solver="arpack", random_state=0
    ).fit_transform(g.toarray())
    # scikit-learn's ARPACK tolerance is 0 (machine precision); both are sub-1e-8 accurate, so a
    # subspace distance of 1e-6 leaves room for the eigengap of this 300-node kNN graph (~1e-2)
    assert_same_subspace(ours.embedding, ref, atol=1e-6)


def test_sparse_failure_without_dense_fallback_warns_and_returns(rng, monkeypatch):
    g = _knn(rng, 200)
    monkeypatch.setattr(_vicreg, "_DENSE_FALLBACK_MAX", 50)  # pretend N is too large for dense
    monkeypatch.setattr(_vicreg, "SPARSE_EIGEN_TOL", 0.5)  # a stop far before convergence
    import scipy.sparse.linalg as ssl

    def stalled(a, k, *, largest, tol, xp, v0=None):
        raise ssl.ArpackNoConvergence("no convergence", np.zeros(0), np.zeros((a.shape[0], 0)))

    monkeypatch.setattr(_backend, "sparse_eigsh", stalled)
    with pytest.warns(NotConvergedWarning, match="too large for a dense eigensolver"):
        sol = wmse_embedding(g, n_components=3)
    assert sol.embedding.shape == (200, 3)


def test_sparse_arpack_partial_result_is_used(rng, monkeypatch):
    g = _knn(rng, 200)
    dense = wmse_embedding(g.toarray(), n_components=3)
    real = _backend.sparse_eigsh
    import scipy.sparse.linalg as ssl

    def partial(a, k, *, largest, tol, xp, v0=None):  # converged pairs delivered with the error
        w, v = real(a, k, largest=largest, tol=tol, xp=xp, v0=v0)
        raise ssl.ArpackNoConvergence("partial", w, v)

    monkeypatch.setattr(_backend, "sparse_eigsh", partial)
    sol = wmse_embedding(g, n_components=3)
    # accepted by the residual check, so within the Davis–Kahan bound of the converged pairs
    assert_same_subspace(sol.embedding, dense.embedding, atol=1e-6)


# ----------------------------------------------------------------------------- clique unions
@pytest.mark.parametrize("kind", ["augmentation", "label", "weighted_label"])
def test_clique_union_pairs_match_eigh(xp, kind):
    if kind == "augmentation":
        g = augmentation_graph(5, 3)
    elif kind == "label":
        g = label_graph(np.array([0, 0, 1, 1, 1, 2, 3, 3, 3, 3, 1]))
    else:  # two weights, a singleton (node 5) and classes of sizes 2, 4, 4
        g = _weighted_label_graph([0, 0, 1, 1, 1, 2, 3, 3, 3, 1], [1.0, 2.5, 1.0, 0.5])
    g = np.asarray(g, dtype=np.float64)
    n = g.shape[0]
    structure = _structured.detect_clique_union(xp.asarray(g), xp=xp)
    assert structure is not None
    w, v = _structured.clique_union_laplacian_pairs(structure, n - 1, dtype=xp.float64, xp=xp)
    assert type(w) is type(xp.asarray(g))
    w_np, v_np = _backend.to_numpy(w), _backend.to_numpy(v)
    lam, _, _ = _dense_bottom(g, n - 1)
    lap = laplacian(g)
    tol = 4 * math.sqrt(EPS) * max(1.0, float(np.abs(lap).max()))  # spec D12 / default_rtol scale
    assert_close(w_np, lam, atol=tol, rtol=tol)  # the whole spectrum on 1⊥, in order
    assert_close(lap @ v_np, v_np * w_np, atol=tol)  # exact eigenvectors
    assert_close(v_np.T @ v_np, np.eye(n - 1), atol=tol)  # orthonormal
    assert_close(v_np.sum(axis=0), np.zeros(n - 1), atol=tol)  # on 1⊥


def test_clique_union_detected_in_sparse_and_dense_alike():
    g = _weighted_label_graph([2, 0, 2, 1, 0, 2, 1, 3], [1.0, 3.0, 0.5, 1.0])
    a = _structured.detect_clique_union(g, xp=np)
    b = _structured.detect_clique_union(scipy.sparse.csr_matrix(g), xp=np)
    assert a is not None
    assert b is not None
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.counts, [3, 2, 2, 1])  # numbered by first node 0, 1, 3, 7
    np.testing.assert_array_equal(a.weights, [0.5, 1.0, 3.0, 0.0])


def test_non_clique_unions_are_rejected(rng):
    g = np.asarray(label_graph(np.array([0, 0, 0, 1, 1, 1])), dtype=np.float64)
    missing = g.copy()
    missing[0, 1] = missing[1, 0] = 0.0  # a class that is no longer a clique
    reweighted = g.copy()
    reweighted[0, 1] = reweighted[1, 0] = 2.0  # non-constant weight inside a clique
    bridged = g.copy()
    bridged[2, 3] = bridged[3, 2] = 1.0  # an edge between two cliques
    for bad in (missing, reweighted, bridged):
        assert _structured.detect_clique_union(bad, xp=np) is None
        assert _structured.detect_clique_union(scipy.sparse.csr_matrix(bad), xp=np) is None
    assert _structured.detect_clique_union(_knn(rng, 50), xp=np) is None


@settings(max_examples=15)
@given(
    labels=st.lists(st.integers(0, 5), min_size=3, max_size=30),
    seed=st.integers(0, 2**16),
    k_frac=st.floats(0.05, 1.0),
)
def test_clique_union_vicreg_matches_generic_path(labels, seed, k_frac):
    """The no-eigensolver path gives the generic solver's spectrum, loss and kept subspace."""
    labels = np.asarray(labels)
    n = labels.shape[0]
    weights = np.random.default_rng(seed).choice([0.5, 1.0, 2.0], size=6)
    g = _weighted_label_graph(labels, weights)
    k = max(1, int(k_frac * (n - 1)))
    kw = {"n_components": k, "invariance_weight": 0.2}
    lam_k, vec, _ = _dense_bottom(g, n - 1)  # the constant vector is shifted to the top
    tol = 4 * math.sqrt(EPS) * max(1.0, float(lam_k.max()))  # spec D12 tie tolerance
    straddles = k < n - 1 and lam_k[k] - lam_k[k - 1] <= tol
    warns = straddles and 1 - 0.2 * (n - 1) / n * lam_k[k - 1] > 0  # spec D12: c_K > 0
    with pytest.warns(DegenerateSpectrumWarning) if warns else _no_warning():
        sol = vicreg_embedding(g, **kw)
    c = np.clip(1 - 0.2 * (n - 1) / n * lam_k[:k], 0, None)
    assert_close(_backend.to_numpy(sol.eigenvalues)[:k], lam_k[:k], atol=tol, rtol=tol)
    assert_close(sol.loss, float(np.sum(1 - c**2)) + max(0, k - (n - 1)), rtol=tol, atol=tol)
    # value form: the evaluator at the returned embedding equals the closed-form loss
    assert_close(float(vicreg_loss(sol.embedding, g, invariance_weight=0.2)), sol.loss, rtol=1e-9, atol=1e-9)
    if not straddles:
        kept = c > 0
        gap = lam_k[k] - lam_k[k - 1] if k < n - 1 else 1.0
        # two exact eigenvector sets: subspace error ~ eps·‖L‖ / gap (Davis–Kahan)
        assert_same_subspace(
            sol.embedding[:, kept], vec[:, :k][:, kept], atol=1e3 * EPS * max(1.0, lam_k.max()) / gap
        )


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_clique_union_on_both_backends_matches_numpy(xp):
    g = np.asarray(augmentation_graph(6, 3), dtype=np.float64)
    # K = 5 = N' - 1 invariant directions: eigenvalue 0, then 3 (gap 3): no tie at K
    ref = vicreg_embedding(g, n_components=5, invariance_weight=0.1)
    sol = vicreg_embedding(xp.asarray(g), n_components=5, invariance_weight=0.1)
    assert type(sol.embedding) is type(xp.asarray(g))
    assert_same_subspace(_backend.to_numpy(sol.embedding), ref.embedding, atol=4 * math.sqrt(EPS))
    assert_close(sol.loss, ref.loss, rtol=4 * math.sqrt(EPS))
    # the invariant subspace: columns constant across the views of each original
    z = _backend.to_numpy(sol.embedding)
    assert_close(z[:6], z[6:12], atol=4 * math.sqrt(EPS))


def test_large_sparse_augmentation_graph_needs_no_eigensolver(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the eigensolver must not run on a clique-union graph")

    monkeypatch.setattr(_backend, "sparse_eigsh", forbidden)
    n_samples, n_views = 50_000, 2
    g = augmentation_graph(n_samples, n_views, sparse=True)
    k = 8
    with pytest.warns(DegenerateSpectrumWarning):  # eigenvalue 0 has multiplicity N' - 1 > K
        sol = vicreg_embedding(g, n_components=k, invariance_weight=0.1)
    # spec §3: the first N' - 1 eigenvalues of L on 1⊥ are 0; c = 1 there, loss = 0
    assert_close(_backend.to_numpy(sol.eigenvalues), np.zeros(k), atol=0.0)
    assert sol.loss == 0.0
    z = _backend.to_numpy(sol.embedding)
    m = 2 * n_samples - 1
    assert_close(z.T @ z / m, np.eye(k), atol=1e-12)  # Cov(Z) = I (centred columns, c = 1)
    assert_close(z[:n_samples], z[n_samples:], atol=0.0)  # perfectly invariant


# ----------------------------------------------------------------------------- ssltheory bench
def test_cli_bench_finds_the_runner_and_forwards_arguments(capsys):
    from ssltheory.cli import main

    # an unknown workload: run_all.py is found and run, and rejects it with status 2
    assert main(["bench", "--only", "no_such_workload"]) == 2


def test_cli_bench_without_a_checkout_is_a_clear_error(tmp_path, monkeypatch, capsys):
    import ssltheory
    from ssltheory.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ssltheory, "__file__", str(tmp_path / "pkg" / "ssltheory" / "__init__.py"))
    assert main(["bench"]) == 2
    assert "benchmarks/run_all.py not found" in capsys.readouterr().err


# ----------------------------------------------------------------------------- spectral contrastive
def test_spectral_contrastive_clique_union_matches_eigh(xp, monkeypatch):
    from ssltheory.spectral import spectral_contrastive_embedding

    def forbidden(*args, **kwargs):
        raise AssertionError("no eigensolver on a clique-union graph")

    # 4 cliques with distinct top eigenvalues w_c (n_c - 1) = 3, 2.5, 6, 2: no tie at K = 3
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3])
    g = _weighted_label_graph(labels, [1.0, 2.5, 3.0, 1.0])
    w_ref, v_ref = np.linalg.eigh(g)
    monkeypatch.setattr(_backend, "eigh_partial", forbidden)
    monkeypatch.setattr(_backend, "sparse_eigsh", forbidden)
    sol = spectral_contrastive_embedding(xp.asarray(g), n_components=3, weighting="none")
    tol = 4 * math.sqrt(EPS) * float(np.abs(w_ref).max())  # spec D12 scale
    assert_close(_backend.to_numpy(sol.eigenvalues), w_ref[::-1][:3], atol=tol, rtol=tol)
    assert_close(sol.loss, -float(np.sum(w_ref[::-1][:3] ** 2)), rtol=tol)
    assert_same_subspace(_backend.to_numpy(sol.embedding), v_ref[:, ::-1][:, :3], atol=tol)


def test_spectral_contrastive_sparse_knn_matches_dense(rng):
    from ssltheory.spectral import spectral_contrastive_embedding

    g = _knn(rng, 300)
    sparse = spectral_contrastive_embedding(g, n_components=4)
    dense = spectral_contrastive_embedding(g.toarray(), n_components=4)
    a = g.toarray() / np.sqrt(np.outer(g.sum(1), g.sum(1)))
    w = np.sort(np.linalg.eigvalsh(a))[::-1]
    atol = 10 * 1e-10 / (w[3] - w[4])  # Davis–Kahan with the documented Lanczos tolerance
    assert_same_subspace(sparse.embedding, dense.embedding, atol=max(atol, 4 * math.sqrt(EPS)))
    assert_close(sparse.eigenvalues, w[:4], atol=4 * math.sqrt(EPS))
    assert_close(sparse.loss, dense.loss, rtol=4 * math.sqrt(EPS))

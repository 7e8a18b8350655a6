"""Sparse closed forms with repeated eigenvalues: disconnected and symmetric graphs (regression).

A graph with c connected components has a c-fold eigenvalue 0 of L and L_sym and a c-fold
eigenvalue 1 of Ā = D^{-1/2}AD^{-1/2}. A single-vector Krylov method (ARPACK) can return only one
vector of a repeated eigenvalue's eigenspace; before the fix the sparse VICReg / Laplacian
Eigenmaps / spectral contrastive closed forms returned a wrong subspace (distance 1.0) with
residuals that passed. The null/Perron vectors are now taken from the components in closed form.
Symmetric connected graphs (rings, tori) failed the same way for repeated non-zero eigenvalues;
every Lanczos solve is now followed by deflated re-runs until nothing above the K-th value was
missed (``_linalg.sparse_top_k``). Reference: the dense path (LAPACK, which resolves
multiplicities) on the same graph.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import DegenerateSpectrumWarning
from ssltheory.compare import subspace_distance
from ssltheory.spectral import laplacian_eigenmaps, spectral_contrastive_embedding, vicreg_embedding


def _components(rng, sizes, p=0.03):
    """Block-diagonal sparse graph: each block a ring (connected) plus random weighted edges."""
    blocks = []
    for m in sizes:
        a = np.zeros((m, m))
        idx = np.arange(m)
        a[idx, (idx + 1) % m] = 1.0
        extra = np.triu(rng.uniform(size=(m, m)) < p, 1) * rng.uniform(0.5, 1.5, (m, m))
        a = np.maximum(a, extra)
        blocks.append(scipy.sparse.csr_matrix(np.maximum(a, a.T)))
    return scipy.sparse.block_diag(blocks).tocsr()


def _gap_bound(values_sorted, k, scale):
    # Davis–Kahan: sin θ <= ‖R‖/gap; the residual check admits ‖R‖ <= sqrt(k)·4·sqrt(eps)·scale
    gap = abs(values_sorted[k] - values_sorted[k - 1])
    assert gap > 1e-3, "test graph should have a clear gap at K"
    return math.sqrt(k) * 4.0 * math.sqrt(np.finfo(float).eps) * scale / gap


@pytest.mark.parametrize("sizes", [(150, 170, 190, 210), (200, 230, 260), (300, 1, 120)])
def test_vicreg_and_laplacian_eigenmaps_sparse_equal_dense(rng, sizes):
    g = _components(rng, sizes)
    k = 5
    d = np.asarray(g.sum(axis=1)).ravel()
    shift = 2 * d.max() + 1
    sparse, dense = (vicreg_embedding(m, n_components=k, invariance_weight=0.1) for m in (g, g.toarray()))
    np.testing.assert_allclose(sparse.eigenvalues, dense.eigenvalues, rtol=0, atol=1e-9 * shift)
    lap = np.diag(d) - g.toarray()
    n = g.shape[0]
    q = np.full(n, 1 / math.sqrt(n))
    ref = scipy.linalg.eigvalsh(lap + shift * np.outer(q, q), subset_by_index=[0, k])
    assert subspace_distance(sparse.embedding, dense.embedding) <= 2 * _gap_bound(ref, k, shift)
    if 1 in sizes:
        return  # Laplacian Eigenmaps needs every degree positive (an isolated node is rejected)
    le_sparse, le_dense = (laplacian_eigenmaps(m, n_components=k) for m in (g, g.toarray()))
    np.testing.assert_allclose(le_sparse.eigenvalues, le_dense.eigenvalues, rtol=0, atol=3e-9)
    assert subspace_distance(le_sparse.embedding, le_dense.embedding) < 1e-6


@pytest.mark.parametrize("weighting", ["degree", "none"])
@pytest.mark.parametrize("sizes", [(150, 170, 190, 210), (200, 230, 260, 90, 120, 140, 160)])
def test_spectral_contrastive_sparse_equals_dense(rng, sizes, weighting):
    g = _components(rng, sizes)
    k = 5
    tied = weighting == "degree" and len(sizes) > k  # eigenvalue 1 (one per component) cut at K
    with pytest.warns(DegenerateSpectrumWarning) if tied else contextlib.nullcontext():
        sparse, dense = [
            spectral_contrastive_embedding(m, n_components=k, weighting=weighting) for m in (g, g.toarray())
        ]
    scale = max(1.0, float(np.abs(dense.eigenvalues).max()))
    np.testing.assert_allclose(sparse.eigenvalues, dense.eigenvalues, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(sparse.loss, dense.loss, rtol=1e-9)
    if tied:
        assert sparse.tied
        assert dense.tied
        return  # any K of the tied eigenvalue-1 vectors are optimal: spectrum and loss checked above
    # the U Uᵀ Gram (the Eckart–Young optimum) is the invariant, unique without ties at the cut
    gram_s, gram_d = sparse.embedding @ sparse.embedding.T, dense.embedding @ dense.embedding.T
    np.testing.assert_allclose(gram_s, gram_d, rtol=0, atol=1e-7 * np.abs(gram_d).max())


def _ring(n):
    i = np.arange(n)
    a = scipy.sparse.csr_matrix((np.ones(n), (i, (i + 1) % n)), shape=(n, n))
    return (a + a.T).tocsr()


def _torus(m):
    ring = _ring(m)
    eye = scipy.sparse.identity(m)
    return (scipy.sparse.kron(ring, eye) + scipy.sparse.kron(eye, ring)).tocsr()


# connected graphs whose wanted eigenvalues are all repeated (ring: pairs; torus: fours), with K
# cutting between distinct eigenvalues so the answer is unique: Lanczos from one vector returned
# one copy of each and filled the rest with later eigenvalues (wrong spectrum, distance 1.0)
@pytest.mark.parametrize(
    ("graph", "k_laplacian", "k_adjacency"),
    [(_ring(400), 4, 5), (_torus(24), 4, 5), (_torus(24), 8, 9)],
    ids=["ring", "torus-4", "torus-8"],
)
def test_repeated_eigenvalues_sparse_equal_dense(graph, k_laplacian, k_adjacency):
    dense_graph = graph.toarray()
    for fn, k in (
        (vicreg_embedding, k_laplacian),
        (laplacian_eigenmaps, k_laplacian),
        (spectral_contrastive_embedding, k_adjacency),
    ):
        sparse, dense = fn(graph, n_components=k), fn(dense_graph, n_components=k)
        assert not dense.tied  # K cuts between distinct eigenvalues (checked by LAPACK's answer)
        np.testing.assert_allclose(sparse.eigenvalues, dense.eigenvalues, rtol=0, atol=1e-9 * 9)
        # Davis–Kahan: the solvers stop at residual 1e-10·shift (<= 1e-9 here) and the smallest gap
        # at a cut is 1.2e-3 (ring, λ₄ = λ₃ vs λ₅): sin θ <= sqrt(9)·1e-9/1.2e-3 ≈ 3e-6 < 1e-5
        assert subspace_distance(sparse.embedding, dense.embedding) < 1e-5, fn.__name__


@settings(max_examples=15, deadline=None)
@given(
    size=st.integers(8, 30),
    copies=st.integers(2, 4),
    other=st.integers(0, 25),
    k=st.integers(1, 7),
    seed=st.integers(0, 2**32 - 1),
)
def test_identical_components_property(size, copies, other, k, seed):
    # `copies` identical components repeat the whole spectrum `copies` times (every eigenvalue of
    # the block is repeated), plus an optional different component: the hardest case for a
    # single-vector Krylov method. The spectrum must equal LAPACK's; the subspace too when untied.
    rng = np.random.default_rng(seed)
    block = _components(rng, (size,), p=0.2)
    parts = [block] * copies + ([_components(rng, (other,), p=0.2)] if other >= 3 else [])
    g = scipy.sparse.block_diag(parts).tocsr()
    n = g.shape[0]
    k = min(k, n - 3)
    shift = 2 * float(np.asarray(g.sum(axis=1)).max()) + 1
    for fn, atol in (
        (vicreg_embedding, 1e-9 * shift),
        (laplacian_eigenmaps, 3e-9),
        (spectral_contrastive_embedding, 3e-9),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateSpectrumWarning)  # ties are expected here
            sparse, dense = fn(g, n_components=k), fn(g.toarray(), n_components=k)
        np.testing.assert_allclose(
            sparse.eigenvalues, dense.eigenvalues, rtol=0, atol=atol, err_msg=fn.__name__
        )
        if not dense.tied and not sparse.tied:
            assert subspace_distance(sparse.embedding, dense.embedding) < 1e-5, fn.__name__


def test_spectral_contrastive_isolated_nodes_before_components():
    # isolated nodes (no edge: eigenvalue 0 of Ā, not 1) numbered before the components with
    # edges must not crowd the eigenvalue-1 vectors out of the closed-form block
    rng = np.random.default_rng(5)
    blocks = [scipy.sparse.csr_matrix((1, 1))] * 6 + [_components(rng, (m,)) for m in (80, 90, 100)]
    g = scipy.sparse.block_diag(blocks).tocsr()
    sparse = spectral_contrastive_embedding(g, n_components=4)
    dense = spectral_contrastive_embedding(g.toarray(), n_components=4)
    np.testing.assert_allclose(sparse.eigenvalues, dense.eigenvalues, rtol=0, atol=3e-9)
    np.testing.assert_allclose(sparse.eigenvalues[:3], 1.0, rtol=0, atol=1e-12)  # one per component

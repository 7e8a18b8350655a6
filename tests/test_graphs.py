"""Tests for ssltheory.graphs: builders (augmentation, label, kNN) and Laplacian operators.

References are independent computations: the paper's augmentation-graph builder written inline,
brute-force double loops, exact integer arithmetic for kNN ties, scikit-learn's
``kneighbors_graph``, SciPy's ``csgraph.laplacian``, dense NumPy formulas, and the closed-form
spectra of spec/spectral.md §3. Every backend-aware test runs on each backend of the ``xp``
fixture.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.csgraph
from hypothesis import given
from hypothesis import strategies as st
from sklearn.neighbors import kneighbors_graph

from ssltheory import _backend
from ssltheory.graphs import (
    _builders,
    augmentation_graph,
    degree,
    graph_laplacian,
    knn_graph,
    label_graph,
    normalized_adjacency,
)

EPS = float(np.finfo(np.float64).eps)
NORMALIZATIONS = (None, "symmetric", "random_walk")
SYMMETRIZE = ("or", "and", "mean")


# ----------------------------------------------------------------------------- helpers
def _np(x):
    """Dense float64 NumPy copy of an array or sparse matrix of any backend."""
    return np.asarray(_backend.to_numpy(x), dtype=np.float64)


def _eps(x) -> float:
    """Machine epsilon of an array's floating dtype (any backend)."""
    return float(np.finfo(_backend.to_numpy(x).dtype).eps)


def _other_device(xp):
    """A non-default device of ``xp`` that supports float64 (the default one if there is none)."""
    info = xp.__array_namespace_info__()
    default = info.default_device()
    for dev in info.devices():
        if dev != default and "float64" in info.dtypes(device=dev):
            return dev
    return default


def _paper_augmentation(n_samples, n_views):
    """The paper's builder (spec §2.1): i = repeat_each(arange(N'V), V-1), j = (i + k N') mod N'V."""
    n = n_samples * n_views
    g = np.zeros((n, n))
    i = np.repeat(np.arange(n), n_views - 1)
    j = (i + np.tile(np.arange(1, n_views), n) * n_samples) % n
    g[i, j] = 1.0
    return g


def _brute_label_graph(labels):
    """G_ij = 1{y_i = y_j, i != j} by a double loop over Python values."""
    y = list(np.asarray(labels).tolist())
    n = len(y)
    g = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j and y[i] == y[j]:
                g[i, j] = 1.0
    return g


def _symmetrized(b, mode):
    """Symmetrise a dense directed 0/1 matrix as spec D10 says."""
    if mode == "or":
        return np.maximum(b, b.T)
    if mode == "and":
        return np.minimum(b, b.T)
    return (b + b.T) / 2


def _random_graph(rng, n, *, density=0.4, isolated=0, diagonal=False):
    """Weighted symmetric graph; ``isolated`` nodes with no edge; optional positive diagonal."""
    w = rng.uniform(0.1, 5.0, size=(n, n)) * (rng.random((n, n)) < density)
    g = np.triu(w, 1)
    g = g + g.T
    for i in rng.choice(n, size=isolated, replace=False):
        g[i, :] = 0.0
        g[:, i] = 0.0
    if diagonal:
        g[np.diag_indices(n)] = rng.uniform(0.5, 3.0, size=n)
    return g


def _reference_laplacian(g, normalization):
    """I' - D^p G0 D^q computed with NumPy, diagonal of g dropped, degree-0 inverses 0, L_ii = 1{d_i>0}."""
    g0 = g - np.diag(np.diag(g))
    d = g0.sum(axis=1)
    if normalization is None:
        return np.diag(d) - g0
    pos = d > 0
    if normalization == "symmetric":
        inv = np.divide(1.0, np.sqrt(d), out=np.zeros_like(d), where=pos)
        a = inv[:, None] * g0 * inv[None, :]
    else:
        inv = np.divide(1.0, d, out=np.zeros_like(d), where=pos)
        a = inv[:, None] * g0
    return np.diag(pos.astype(float)) - a


def _entry_tol(n, scale, eps=EPS):
    """Entrywise tolerance for matrices built from N-term degree sums: each degree carries at most
    (N-1)·eps relative summation error, and a normalised entry a few more rounding errors, so
    4·N·eps·scale bounds the difference between two correct implementations."""
    return 4 * n * eps * max(scale, 1.0)


def _eig_tol(n, norm, eps=EPS):
    """Eigenvalue tolerance: LAPACK's symmetric eigensolvers are backward stable, so computed
    eigenvalues lie within p(N)·eps·‖L‖₂ of the exact ones (Weyl); p(N) = 4N is a generous bound
    for N <= 100, far below the gaps (>= 1/(V-1) or 1) that distinguish a wrong spectrum."""
    return 4 * n * eps * max(norm, 1.0)


# ----------------------------------------------------------------------------- augmentation_graph
@pytest.mark.parametrize(("n_samples", "n_views"), [(1, 1), (1, 3), (4, 1), (5, 2), (3, 4), (2, 6)])
def test_augmentation_graph_matches_paper_builder(xp, n_samples, n_views):
    g = augmentation_graph(n_samples, n_views, xp=xp)
    assert g.shape == (n_samples * n_views,) * 2
    # 0/1 entries are exact: compare for equality
    assert np.array_equal(_np(g), _paper_augmentation(n_samples, n_views))


@pytest.mark.parametrize(("n_samples", "n_views"), [(1, 2), (5, 2), (3, 4)])
def test_augmentation_graph_equals_label_graph_of_originals(xp, n_samples, n_views):
    labels = xp.arange(n_samples * n_views) % n_samples
    assert np.array_equal(_np(augmentation_graph(n_samples, n_views, xp=xp)), _np(label_graph(labels)))


@pytest.mark.parametrize(("n_samples", "n_views"), [(1, 1), (6, 2), (4, 3), (3, 5)])
def test_augmentation_graph_structure(xp, n_samples, n_views):
    g = _np(augmentation_graph(n_samples, n_views, xp=xp))
    assert np.array_equal(g, g.T)
    assert np.all(np.diag(g) == 0)
    assert np.all(g.sum(axis=1) == n_views - 1)
    # row i is view i // N' of original i % N': its partners are the same original in other views
    n = n_samples * n_views
    for i in range(n):
        partners = set(np.flatnonzero(g[i]).tolist())
        assert partners == {(i % n_samples) + v * n_samples for v in range(n_views)} - {i}


@pytest.mark.parametrize(("n_samples", "n_views"), [(4, 2), (3, 3), (2, 5)])
def test_augmentation_graph_spectra(xp, n_samples, n_views):
    # spec §3: spec(L) = {0 × N', V × N'(V-1)}; spec(Ā) = {1 × N', -1/(V-1) × N'(V-1)}
    g = augmentation_graph(n_samples, n_views, xp=xp)
    n = n_samples * n_views
    lap = _np(graph_laplacian(g))
    got = np.linalg.eigvalsh(lap)
    want = np.sort(np.r_[np.zeros(n_samples), np.full(n_samples * (n_views - 1), float(n_views))])
    assert np.max(np.abs(got - want)) <= _eig_tol(n, n_views)  # ‖L‖₂ = V
    got_a = np.linalg.eigvalsh(_np(normalized_adjacency(g)))
    want_a = np.sort(np.r_[np.ones(n_samples), np.full(n_samples * (n_views - 1), -1.0 / (n_views - 1))])
    assert np.max(np.abs(got_a - want_a)) <= _eig_tol(n, 1.0)  # ‖Ā‖₂ = 1


def test_augmentation_graph_self_loops(xp):
    g = _np(augmentation_graph(3, 4, xp=xp))
    gbar = _np(augmentation_graph(3, 4, self_loops=True, xp=xp))
    assert np.array_equal(gbar, g + np.eye(12))
    # V = 1 with self-loops is the identity
    assert np.array_equal(_np(augmentation_graph(5, 1, self_loops=True, xp=xp)), np.eye(5))


@pytest.mark.parametrize("self_loops", [False, True])
@pytest.mark.parametrize(("n_samples", "n_views"), [(1, 1), (4, 1), (5, 2), (3, 4)])
def test_augmentation_graph_sparse_equals_dense(n_samples, n_views, self_loops):
    s = augmentation_graph(n_samples, n_views, self_loops=self_loops, sparse=True)
    assert scipy.sparse.issparse(s)
    assert s.format == "csr"
    assert s.dtype == np.float64
    d = augmentation_graph(n_samples, n_views, self_loops=self_loops)
    assert np.array_equal(s.toarray(), d)
    assert s.nnz == int(d.sum())  # no stored zeros, no duplicates left


def test_augmentation_graph_sparse_needs_scipy_or_cupyx(xp):
    if _backend.is_numpy(xp) or _backend.is_cupy(xp):
        assert _backend.is_sparse(augmentation_graph(2, 2, sparse=True, xp=xp))
    else:
        with pytest.raises(NotImplementedError, match="sparse"):
            augmentation_graph(2, 2, sparse=True, xp=xp)


def test_augmentation_graph_dtype_device_namespace(xp):
    dev = _other_device(xp)
    g = augmentation_graph(3, 2, dtype=xp.float32, device=dev, xp=xp)
    assert _backend.get_namespace(g) is xp
    assert g.dtype == xp.float32
    assert _backend.device(g) == dev
    g64 = augmentation_graph(3, 2, xp=xp)
    assert g64.dtype == xp.float64


def test_augmentation_graph_default_is_numpy():
    g = augmentation_graph(2, 3)
    assert isinstance(g, np.ndarray)
    assert g.dtype == np.float64
    # a raw library module is accepted and normalised to its array-API namespace
    assert np.array_equal(augmentation_graph(2, 3, xp=np), g)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_samples": 0, "n_views": 2}, ValueError, "n_samples"),
        ({"n_samples": 3, "n_views": 0}, ValueError, "n_views"),
        ({"n_samples": -1, "n_views": 2}, ValueError, "n_samples"),
        ({"n_samples": 2.0, "n_views": 2}, TypeError, "n_samples"),
        ({"n_samples": 2, "n_views": True}, TypeError, "n_views"),
        ({"n_samples": 2, "n_views": "2"}, TypeError, "n_views"),
    ],
)
def test_augmentation_graph_bad_sizes(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        augmentation_graph(kwargs.pop("n_samples"), kwargs.pop("n_views"), **kwargs)


def test_augmentation_graph_bad_dtype(xp):
    with pytest.raises(TypeError, match="dtype"):
        augmentation_graph(2, 2, dtype=xp.int64, xp=xp)


# ----------------------------------------------------------------------------- label_graph
@pytest.mark.parametrize("kind", ["int", "negative_int", "float", "bool"])
def test_label_graph_matches_double_loop(xp, rng, kind):
    n = 17
    if kind == "int":
        y = rng.integers(0, 4, size=n)
    elif kind == "negative_int":
        y = rng.integers(-3, 3, size=n).astype(np.int32)
    elif kind == "float":
        y = rng.choice([-0.5, 0.25, 3.0], size=n)
    else:
        y = rng.random(n) < 0.5
    g = label_graph(xp.asarray(y))
    assert np.array_equal(_np(g), _brute_label_graph(y))
    assert g.dtype == xp.float64  # float64 whatever the labels' dtype


@pytest.mark.parametrize("sizes", [[1], [5], [3, 1, 4], [2, 2, 2, 6]])
def test_label_graph_laplacian_spectrum(xp, rng, sizes):
    # spec §3: spec(L) = {0 × C} ∪ {n_c × (n_c - 1)}_c
    y = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    lap = _np(graph_laplacian(label_graph(xp.asarray(y))))
    want = np.sort(np.concatenate([np.zeros(len(sizes))] + [np.full(s - 1, float(s)) for s in sizes]))
    assert np.max(np.abs(np.linalg.eigvalsh(lap) - want)) <= _eig_tol(len(y), max(sizes))  # ‖L‖₂ = max n_c


def test_label_graph_self_loops_is_one_hot_gram(xp, rng):
    y = rng.integers(0, 5, size=20)
    onehot = (y[:, None] == np.arange(5)[None, :]).astype(float)
    assert np.array_equal(_np(label_graph(xp.asarray(y), self_loops=True)), onehot @ onehot.T)


@pytest.mark.parametrize("self_loops", [False, True])
def test_label_graph_sparse_equals_dense(rng, self_loops):
    for y in (rng.integers(0, 4, size=23), np.zeros(1, dtype=int), np.arange(6), rng.random(9) < 0.5):
        s = label_graph(y, self_loops=self_loops, sparse=True)
        assert scipy.sparse.issparse(s)
        assert s.format == "csr"
        d = label_graph(y, self_loops=self_loops)
        assert np.array_equal(s.toarray(), d)
        assert s.nnz == int(d.sum())


def test_label_graph_sparse_needs_scipy_or_cupyx(xp):
    labels = xp.asarray([0, 1, 0])
    if _backend.is_numpy(xp) or _backend.is_cupy(xp):
        assert _backend.is_sparse(label_graph(labels, sparse=True))
    else:
        with pytest.raises(NotImplementedError, match="sparse"):
            label_graph(labels, sparse=True)


def test_label_graph_dtype_device_namespace(xp):
    dev = _other_device(xp)
    labels = xp.asarray([2, 0, 2, 1], device=dev)
    g = label_graph(labels, dtype=xp.float32)
    assert _backend.get_namespace(g) is xp
    assert g.dtype == xp.float32
    assert _backend.device(g) == dev
    assert _backend.device(label_graph(labels)) == dev


@pytest.mark.parametrize(
    ("labels", "exc", "match"),
    [
        (np.zeros((3, 2), dtype=int), ValueError, "labels must be a 1-D"),
        (np.zeros((), dtype=int), ValueError, "labels must be a 1-D"),
        (np.zeros(0, dtype=int), ValueError, "labels must contain at least one"),
        (np.array([0.0, np.nan, 1.0]), ValueError, r"labels must be finite.*labels\[1\] is nan"),
        (np.array([0.0, np.inf, np.inf, 1.0]), ValueError, r"labels must be finite.*labels\[1\] is inf"),
        (np.array([1 + 1j, 2]), TypeError, "labels must have a real"),
    ],
)
def test_label_graph_bad_labels(labels, exc, match):
    with pytest.raises(exc, match=match):
        label_graph(labels)


def test_label_graph_bad_labels_on_backend(xp):
    with pytest.raises(ValueError, match="NaN"):
        label_graph(xp.asarray([0.0, xp.nan]))
    with pytest.raises(ValueError, match="labels must be a 1-D"):
        label_graph(xp.zeros((2, 2)))
    with pytest.raises(TypeError, match="dtype"):
        label_graph(xp.asarray([0, 1]), dtype=xp.int32)


def test_label_graph_rejects_lists():
    with pytest.raises(TypeError, match="expected an array"):
        label_graph([0, 1, 0])


# ----------------------------------------------------------------------------- knn_graph
@pytest.mark.parametrize("symmetrize", SYMMETRIZE)
@pytest.mark.parametrize("n_neighbors", [1, 3, 7])
def test_knn_graph_matches_sklearn(xp, rng, symmetrize, n_neighbors):
    # continuous random data: distance ties have probability zero, so sklearn's tie-breaking is moot
    x = rng.standard_normal((25, 3))
    b = kneighbors_graph(x, n_neighbors, mode="connectivity", include_self=False).toarray()
    g = knn_graph(xp.asarray(x), n_neighbors=n_neighbors, symmetrize=symmetrize)
    assert np.array_equal(_np(g), _symmetrized(b, symmetrize))


def _exact_knn(points, n_neighbors):
    """Directed kNN of integer points with exact integer distances, ties broken by lower index."""
    n = len(points)
    b = np.zeros((n, n))
    for i in range(n):
        others = [j for j in range(n) if j != i]
        key = [
            (sum((int(a) - int(c)) ** 2 for a, c in zip(points[i], points[j], strict=True)), j)
            for j in others
        ]
        for _, j in sorted(key)[:n_neighbors]:
            b[i, j] = 1.0
    return b


@pytest.mark.parametrize("scale", [1.0, 1.0e300])
def test_knn_graph_ties_lower_index_wins_1d(xp, scale):
    # x = 0, 1, -1, 2, -2: node 0 has nodes 1 and 2 at distance 1, node 1 has 0 and 3, node 2 has
    # 0 and 4; with one neighbour the lower index must win: 0→1, 1→0, 2→0, 3→1, 4→2.
    # scale = 1e300: squared distances overflow float64 unless the points are rescaled first
    x = xp.asarray([[0.0], [1.0], [-1.0], [2.0], [-2.0]]) * scale
    b = np.zeros((5, 5))
    for i, j in [(0, 1), (1, 0), (2, 0), (3, 1), (4, 2)]:
        b[i, j] = 1.0
    for mode in SYMMETRIZE:
        assert np.array_equal(_np(knn_graph(x, n_neighbors=1, symmetrize=mode)), _symmetrized(b, mode))


@pytest.mark.parametrize("offset", [0.0, 3.0e7])
@pytest.mark.parametrize("n_neighbors", [1, 2, 4, 5])
def test_knn_graph_ties_on_a_grid(xp, rng, offset, n_neighbors):
    # integer grid points: many exactly equal distances. With a large offset the expansion
    # ‖x‖² + ‖y‖² - 2xᵀy has rounding errors of order eps·offset² ≈ 0.2 and would break the ties
    # arbitrarily; direct differences of integers below 2^53 are exact, so ties stay exact.
    grid = np.array([(i, j) for i in range(4) for j in range(3)])
    points = grid[rng.permutation(len(grid))]
    b = _exact_knn(points, n_neighbors)
    x = xp.asarray(points.astype(np.float64) + offset)
    for mode in SYMMETRIZE:
        assert np.array_equal(
            _np(knn_graph(x, n_neighbors=n_neighbors, symmetrize=mode)), _symmetrized(b, mode)
        )


def test_knn_graph_chunks_agree(xp, rng, monkeypatch):
    # rows are processed in chunks of max(1, _CHUNK_ELEMENTS // (n·d)) rows: force chunks of 1 and 3
    x = xp.asarray(rng.integers(0, 3, size=(13, 2)).astype(np.float64))  # many ties
    whole = _np(knn_graph(x, n_neighbors=4))
    for budget in (1, 13 * 2 * 3):
        monkeypatch.setattr(_builders, "_CHUNK_ELEMENTS", budget)
        assert np.array_equal(_np(knn_graph(x, n_neighbors=4)), whole)


@pytest.mark.parametrize("symmetrize", SYMMETRIZE)
def test_knn_graph_sparse_equals_dense(rng, symmetrize):
    x = rng.integers(0, 3, size=(15, 2)).astype(np.float32)  # ties and float32
    s = knn_graph(x, n_neighbors=3, symmetrize=symmetrize, sparse=True)
    d = knn_graph(x, n_neighbors=3, symmetrize=symmetrize)
    assert scipy.sparse.issparse(s)
    assert s.format == "csr"
    assert s.dtype == np.float32
    assert np.array_equal(s.toarray(), d)
    assert s.nnz == np.count_nonzero(d)


def test_knn_graph_structure_and_dtype(xp, rng):
    dev = _other_device(xp)
    x = xp.asarray(rng.standard_normal((12, 2)), dtype=xp.float32, device=dev)
    for mode in SYMMETRIZE:
        g = knn_graph(x, n_neighbors=3, symmetrize=mode)
        assert _backend.get_namespace(g) is xp
        assert g.dtype == xp.float32
        assert _backend.device(g) == dev
        gn = _np(g)
        assert np.array_equal(gn, gn.T)
        assert np.all(np.diag(gn) == 0)
        # each node keeps its 3 neighbours under "or" and at most 3 under "and"; "mean" sums to 3
        # on average (every directed edge contributes 1/2 twice): sum(G) = N·k exactly
        if mode == "or":
            assert np.all(gn.sum(axis=1) >= 3)
        elif mode == "and":
            assert np.all(gn.sum(axis=1) <= 3)
        else:
            assert gn.sum() == 12 * 3
    gi = knn_graph(xp.asarray([[0, 0], [1, 0], [5, 5]]), n_neighbors=1)
    assert gi.dtype == xp.float64  # integer input promoted to float64


def test_knn_graph_sparse_needs_scipy_or_cupyx(xp):
    x = xp.asarray([[0.0], [1.0], [3.0]])
    if _backend.is_numpy(xp) or _backend.is_cupy(xp):
        assert _backend.is_sparse(knn_graph(x, n_neighbors=1, sparse=True))
    else:
        with pytest.raises(NotImplementedError, match="sparse"):
            knn_graph(x, n_neighbors=1, sparse=True)


@pytest.mark.parametrize(
    ("n_neighbors", "exc", "match"),
    [
        (0, ValueError, "n_neighbors must be >= 1"),
        (-2, ValueError, "n_neighbors"),
        (5, ValueError, "n_neighbors must satisfy 1 <= n_neighbors <= n_samples - 1 = 4"),
        (2.0, TypeError, "n_neighbors must be an integer"),
        (None, TypeError, "n_neighbors"),
    ],
)
def test_knn_graph_bad_n_neighbors(xp, n_neighbors, exc, match):
    with pytest.raises(exc, match=match):
        knn_graph(xp.zeros((5, 2)), n_neighbors=n_neighbors)


def test_knn_graph_bad_inputs(xp):
    x = xp.asarray([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match="symmetrize must be one of"):
        knn_graph(x, n_neighbors=1, symmetrize="xor")
    with pytest.raises(ValueError, match="x must be a 2-D"):
        knn_graph(xp.zeros(4), n_neighbors=1)
    with pytest.raises(ValueError, match="x must be a 2-D"):
        knn_graph(xp.zeros((2, 2, 2)), n_neighbors=1)
    with pytest.raises(ValueError, match="x must be finite"):
        knn_graph(xp.asarray([[0.0], [xp.inf], [1.0]]), n_neighbors=1)
    with pytest.raises(ValueError, match="n_neighbors"):  # a single point has no neighbour
        knn_graph(xp.zeros((1, 2)), n_neighbors=1)
    with pytest.raises(TypeError, match="expected an array"):
        knn_graph([[0.0], [1.0]], n_neighbors=1)


# ----------------------------------------------------------------------------- graph_laplacian
@pytest.mark.parametrize(("isolated", "diagonal"), [(0, False), (2, False), (0, True), (3, True)])
@pytest.mark.parametrize(("normalization", "normed"), [(None, False), ("symmetric", True)])
def test_graph_laplacian_matches_scipy(xp, rng, isolated, diagonal, normalization, normed):
    g = _random_graph(rng, 14, isolated=isolated, diagonal=diagonal)
    ref = scipy.sparse.csgraph.laplacian(g, normed=normed)  # ignores the diagonal; isolated → L_ii = 0
    got = _np(graph_laplacian(xp.asarray(g), normalization=normalization))
    assert np.max(np.abs(got - ref)) <= _entry_tol(14, np.max(np.abs(ref)))
    if isolated:
        zero = np.flatnonzero(g.sum(axis=1) - np.diag(g) == 0)
        assert np.all(got[zero] == 0)  # the whole row of an isolated node, diagonal included


@pytest.mark.parametrize(("isolated", "diagonal"), [(0, False), (2, True)])
def test_graph_laplacian_random_walk_matches_inline(xp, rng, isolated, diagonal):
    g = _random_graph(rng, 12, isolated=isolated, diagonal=diagonal)
    ref = _reference_laplacian(g, "random_walk")
    got = _np(graph_laplacian(xp.asarray(g), normalization="random_walk"))
    assert np.max(np.abs(got - ref)) <= _entry_tol(12, 1.0)  # entries of D⁻¹G lie in [0, 1]
    # L_rw = D^{-1/2} L_sym D^{1/2} on the non-isolated nodes
    sym = _np(graph_laplacian(xp.asarray(g), normalization="symmetric"))
    d = g.sum(axis=1) - np.diag(g)
    keep = d > 0
    root = np.sqrt(d[keep])
    sim = sym[np.ix_(keep, keep)] / root[:, None] * root[None, :]
    assert np.max(np.abs(got[np.ix_(keep, keep)] - sim)) <= _entry_tol(12, 1.0)


@pytest.mark.parametrize("normalization", [None, "random_walk"])
def test_graph_laplacian_annihilates_constants(xp, rng, normalization):
    # L·1 = 0 for D - G and I' - D⁻¹G (isolated rows are zero); each row sum cancels N terms of
    # size <= max(d), so the residual is at most N·eps·max(d) (times 1 for the random walk)
    g = _random_graph(rng, 16, isolated=2, diagonal=True)
    lap = _np(graph_laplacian(xp.asarray(g), normalization=normalization))
    scale = np.max(g.sum(axis=1)) if normalization is None else 1.0
    assert np.max(np.abs(lap @ np.ones(16))) <= _entry_tol(16, scale)


def test_graph_laplacian_symmetric_is_identity_minus_normalized_adjacency(xp, rng):
    g = _random_graph(rng, 10, density=0.9)  # zero diagonal, no isolated node
    assert np.all(g.sum(axis=1) > 0)
    lap = _np(graph_laplacian(xp.asarray(g), normalization="symmetric"))
    adj = _np(normalized_adjacency(xp.asarray(g)))
    assert np.max(np.abs(lap - (np.eye(10) - adj))) <= _entry_tol(10, 1.0)


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("kind", ["csr_matrix", "csr_array", "csc_matrix", "coo_array"])
def test_graph_laplacian_sparse_in_sparse_out(rng, normalization, kind):
    g = _random_graph(rng, 13, isolated=2, diagonal=True)
    s = getattr(scipy.sparse, kind)(g)
    lap = graph_laplacian(s, normalization=normalization)
    assert scipy.sparse.issparse(lap)
    assert lap.format == "csr"
    assert isinstance(lap, scipy.sparse.sparray) == isinstance(s, scipy.sparse.sparray)  # same family
    dense = graph_laplacian(g, normalization=normalization)
    assert np.max(np.abs(lap.toarray() - dense)) <= _entry_tol(13, np.max(np.abs(dense)))
    if normalization is not None:
        ref = _reference_laplacian(g, normalization)
        assert np.max(np.abs(lap.toarray() - ref)) <= _entry_tol(13, 1.0)


def test_graph_laplacian_dtype_device_namespace(xp, rng):
    dev = _other_device(xp)
    g = xp.asarray(_random_graph(rng, 8, isolated=1), dtype=xp.float32, device=dev)
    for normalization in NORMALIZATIONS:
        lap = graph_laplacian(g, normalization=normalization)
        assert _backend.get_namespace(lap) is xp
        assert lap.dtype == xp.float32
        assert _backend.device(lap) == dev


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_integer_and_boolean_graphs_are_promoted(xp, dtype):
    g01 = _brute_label_graph([0, 1, 0, 1, 1])
    g = xp.asarray(g01.astype(dtype))
    for normalization in NORMALIZATIONS:
        lap = graph_laplacian(g, normalization=normalization)
        assert lap.dtype == xp.float64
        ref = _reference_laplacian(g01, normalization)
        assert np.max(np.abs(_np(lap) - ref)) <= _entry_tol(5, 2.0)
    assert degree(g).dtype == xp.float64
    assert normalized_adjacency(g).dtype == xp.float64


# ----------------------------------------------------------------------------- degree, normalized_adjacency
def test_degree_counts_the_diagonal(xp, rng):
    g = _random_graph(rng, 11, isolated=1, diagonal=True)
    d = degree(xp.asarray(g))
    assert d.shape == (11,)
    assert np.max(np.abs(_np(d) - g.sum(axis=1))) <= _entry_tol(11, np.max(g.sum(axis=1)))
    # graph_laplacian drops the diagonal: its (unnormalised) diagonal is degree(G) - diag(G)
    lap = _np(graph_laplacian(xp.asarray(g)))
    assert np.max(np.abs(np.diag(lap) - (g.sum(axis=1) - np.diag(g)))) <= _entry_tol(
        11, np.max(g.sum(axis=1))
    )


def test_normalized_adjacency_matches_inline(xp, rng):
    g = _random_graph(rng, 12, isolated=2, diagonal=True)
    d = g.sum(axis=1)
    inv = np.divide(1.0, np.sqrt(d), out=np.zeros_like(d), where=d > 0)
    ref = inv[:, None] * g * inv[None, :]
    got = _np(normalized_adjacency(xp.asarray(g)))
    assert np.max(np.abs(got - ref)) <= _entry_tol(12, 1.0)  # entries of Ā lie in [0, 1]


@pytest.mark.parametrize("kind", ["csr_matrix", "csr_array"])
def test_degree_and_normalized_adjacency_sparse(rng, kind):
    g = _random_graph(rng, 12, isolated=2, diagonal=True)
    s = getattr(scipy.sparse, kind)(g)
    d = degree(s)
    assert isinstance(d, np.ndarray)
    assert d.shape == (12,)
    assert np.max(np.abs(d - degree(g))) <= _entry_tol(12, np.max(d))
    a = normalized_adjacency(s)
    assert scipy.sparse.issparse(a)
    assert isinstance(a, scipy.sparse.sparray) == isinstance(s, scipy.sparse.sparray)
    assert np.max(np.abs(a.toarray() - normalized_adjacency(g))) <= _entry_tol(12, 1.0)


def test_operators_preserve_dtype_device(xp, rng):
    dev = _other_device(xp)
    g = xp.asarray(_random_graph(rng, 6, isolated=1), dtype=xp.float32, device=dev)
    for out in (degree(g), normalized_adjacency(g)):
        assert _backend.get_namespace(out) is xp
        assert out.dtype == xp.float32
        assert _backend.device(out) == dev


# ----------------------------------------------------------------------------- property tests
@st.composite
def _graphs(draw, max_nodes=30):
    """Symmetric non-negative weighted graphs, N <= 30, with zeros (isolated nodes possible) and an
    arbitrary non-negative diagonal."""
    n = draw(st.integers(1, max_nodes))
    weight = st.one_of(st.just(0.0), st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False))
    w = draw(hnp.arrays(np.float64, (n, n), elements=weight))
    g = np.triu(w, 1)
    return g + g.T + np.diag(np.diag(w))


@given(g=_graphs())
def test_property_combinatorial_laplacian(xp, g):
    n = g.shape[0]
    lap = _np(graph_laplacian(xp.asarray(g)))
    d = g.sum(axis=1) - np.diag(g)
    norm = 2 * max(float(np.max(d)), 1.0)  # Gershgorin: ‖L‖₂ <= 2·max(d)
    assert np.array_equal(lap, lap.T)
    assert np.max(np.abs(lap @ np.ones(n))) <= _entry_tol(n, norm)  # row sums zero
    w = np.linalg.eigvalsh(lap)
    assert w[0] >= -_eig_tol(n, norm)  # PSD
    # the number of (numerically) zero eigenvalues is at least the number of isolated nodes
    assert np.sum(w <= _eig_tol(n, norm)) >= np.sum(d == 0)


@given(g=_graphs())
def test_property_symmetric_laplacian_spectrum_in_0_2(xp, g):
    n = g.shape[0]
    lap = _np(graph_laplacian(xp.asarray(g), normalization="symmetric"))
    assert np.array_equal(lap, lap.T)
    w = np.linalg.eigvalsh(lap)
    tol = _entry_tol(n, 2.0)  # ‖L_sym‖₂ <= 2; the entries themselves carry N·eps degree errors
    assert w[0] >= -tol
    assert w[-1] <= 2 + tol


@given(g=_graphs())
def test_property_random_walk_rows_sum_to_zero(xp, g):
    n = g.shape[0]
    lap = _np(graph_laplacian(xp.asarray(g), normalization="random_walk"))
    assert np.max(np.abs(lap @ np.ones(n))) <= _entry_tol(n, 1.0)
    # L_rw = D^{-1/2} L_sym D^{1/2} on the non-isolated nodes (same spectrum, in [0, 2]); isolated
    # rows are zero. Entries of both lie in [-1, 1], each with a few rounding errors plus the
    # N-term degree sums: within _entry_tol(N, 1)
    sym = _np(graph_laplacian(xp.asarray(g), normalization="symmetric"))
    d = g.sum(axis=1) - np.diag(g)
    keep = d > 0
    root = np.sqrt(d[keep])
    similar = root[:, None] * lap[np.ix_(keep, keep)] / root[None, :]
    assert np.max(np.abs(similar - sym[np.ix_(keep, keep)]), initial=0.0) <= _entry_tol(n, 1.0)
    assert np.all(lap[~keep] == 0)
    assert np.all(np.diag(lap)[keep] == 1)


@st.composite
def _integer_points(draw):
    """Up to 20 integer points in 1 or 2 dimensions on a small grid (many exact distance ties)."""
    n = draw(st.integers(2, 20))
    dim = draw(st.integers(1, 2))
    pts = draw(hnp.arrays(np.int64, (n, dim), elements=st.integers(-3, 3)))
    k = draw(st.integers(1, n - 1))
    return pts, k


@given(case=_integer_points(), offset=st.sampled_from([0.0, -(2.0**40)]))
def test_property_knn_graph_matches_exact_ties(xp, case, offset):
    # exact integer reference with (distance, index) ordering; the offset makes ‖x‖² huge so that
    # only direct differences (exact for integers below 2^53) keep the ties
    points, k = case
    b = _exact_knn(points, k)
    x = xp.asarray(points.astype(np.float64) + offset)
    for mode in SYMMETRIZE:
        assert np.array_equal(_np(knn_graph(x, n_neighbors=k, symmetrize=mode)), _symmetrized(b, mode))


@given(labels=hnp.arrays(np.int64, st.integers(1, 30), elements=st.integers(0, 4)))
def test_property_label_graph(xp, labels):
    g = _np(label_graph(xp.asarray(labels)))
    assert np.array_equal(g, _brute_label_graph(labels))
    _, counts = np.unique(labels, return_counts=True)
    assert np.array_equal(np.sort(g.sum(axis=1)), np.sort(np.repeat(counts - 1, counts)).astype(float))


# ----------------------------------------------------------------------------- bad graphs
OPERATORS = [
    pytest.param(lambda g: graph_laplacian(g), id="graph_laplacian"),
    pytest.param(lambda g: graph_laplacian(g, normalization="symmetric"), id="graph_laplacian_sym"),
    pytest.param(degree, id="degree"),
    pytest.param(normalized_adjacency, id="normalized_adjacency"),
]


@pytest.mark.parametrize("op", OPERATORS)
def test_bad_graphs(xp, op):
    with pytest.raises(ValueError, match=r"graph must be a square \(n, n\) matrix"):
        op(xp.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"graph must be a square \(n, n\) matrix"):
        op(xp.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="graph must be a square"):
        op(xp.zeros(3))
    with pytest.raises(ValueError, match="graph must be symmetric"):
        op(xp.asarray([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="graph must be non-negative"):
        op(xp.asarray([[0.0, -1.0], [-1.0, 0.0]]))
    with pytest.raises(ValueError, match="graph must be finite"):
        op(xp.asarray([[0.0, xp.nan], [xp.nan, 0.0]]))
    with pytest.raises(ValueError, match="graph must be finite"):
        op(xp.asarray([[0.0, xp.inf], [xp.inf, 0.0]]))
    with pytest.raises(ValueError, match="graph must have at least one node"):
        op(xp.zeros((0, 0)))


@pytest.mark.parametrize("op", OPERATORS)
def test_bad_sparse_graphs(op):
    with pytest.raises(ValueError, match="graph must be symmetric"):
        op(scipy.sparse.csr_matrix(np.array([[0.0, 1.0], [0.0, 0.0]])))
    with pytest.raises(ValueError, match="graph must be non-negative"):
        op(scipy.sparse.csr_array(np.array([[0.0, -1.0], [-1.0, 0.0]])))
    with pytest.raises(ValueError, match="graph must be a square"):
        op(scipy.sparse.csr_matrix(np.zeros((2, 3))))


def test_symmetry_tolerance_is_relative(xp):
    # asymmetry below 4·sqrt(eps)·max|G| is rounding, not a modelling error: accepted
    big = 1.0e6
    tiny = 0.5 * 4 * np.sqrt(EPS) * big
    g = xp.asarray([[0.0, big], [big + tiny, 0.0]])
    assert graph_laplacian(g).shape == (2, 2)


def test_unknown_normalization(xp):
    with pytest.raises(ValueError, match="normalization must be None, 'symmetric' or 'random_walk'"):
        graph_laplacian(xp.zeros((2, 2)), normalization="sym")
    with pytest.raises(ValueError, match="normalization"):
        graph_laplacian(xp.zeros((2, 2)), normalization=True)


@pytest.mark.parametrize("op", OPERATORS)
def test_non_arrays_and_non_real_graphs(op):
    with pytest.raises(TypeError, match="expected an array"):
        op([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(TypeError, match="graph must have a real"):
        op(np.array([[0, 1j], [1j, 0]]))


def test_mixed_backends_are_rejected():
    # no graphs function takes two arrays; what can mix is a dtype of one library with arrays or
    # a namespace of another
    import array_api_strict

    with pytest.raises(TypeError, match="dtype"):
        augmentation_graph(2, 2, dtype=np.float32, xp=array_api_strict)
    with pytest.raises(TypeError, match="dtype"):
        label_graph(array_api_strict.asarray([0, 1]), dtype=np.float32)
    with pytest.raises(TypeError, match="dtype"):
        label_graph(np.asarray([0, 1]), dtype=array_api_strict.float32)

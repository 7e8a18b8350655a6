"""Property tests of ssltheory.testing.strategies: every example keeps the strategy's promises."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from scipy.sparse.csgraph import connected_components

from ssltheory import _validation
from ssltheory.testing.strategies import GRAPH_FAMILIES, data_matrices, embeddings, graphs, psd_matrices

EPS = float(np.finfo(np.float64).eps)
BINARY = ("binary", "augmentation", "label", "knn")


def _check_graph_basics(g, lo=2, hi=24):
    assert isinstance(g, np.ndarray)
    assert g.dtype == np.float64
    assert g.ndim == 2
    assert g.shape[0] == g.shape[1]
    assert lo <= g.shape[0] <= hi
    assert np.all(np.isfinite(g))
    assert np.array_equal(g, g.T)  # built symmetric exactly, not to a tolerance
    assert np.all(g >= 0)
    assert np.all(np.diag(g) == 0)


def _paper_augmentation_graph(n_samples, n_views):
    """The paper's builder (spec §2.1): an independent reference for the view-major layout."""
    n = n_samples * n_views
    i = np.repeat(np.arange(n), n_views - 1)
    j = (i + np.tile(np.arange(1, n_views), n) * n_samples) % n
    g = np.zeros((n, n))
    g[i, j] = 1.0
    return g


# ----------------------------------------------------------------------------- graphs
@given(graph=graphs())
def test_graphs_are_relation_graphs(graph):
    _check_graph_basics(graph)


@given(graph=graphs(min_nodes=5, max_nodes=7))
def test_graphs_respect_node_bounds(graph):
    _check_graph_basics(graph, lo=5, hi=7)


@given(graph=graphs())
def test_graphs_pass_check_graph_on_every_backend(xp, graph):
    # the library's own validator (D2) accepts every example, zero diagonal required
    checked = _validation.check_graph(xp.asarray(graph), xp=xp, diagonal="reject")
    assert checked.shape == graph.shape


@given(graph=graphs(family="augmentation"))
def test_augmentation_graphs_are_view_major(graph):
    _check_graph_basics(graph)
    degrees = graph.sum(axis=1)
    n_views = int(degrees[0]) + 1
    assert 2 <= n_views <= 4
    assert np.all(degrees == n_views - 1)  # row sums = n_views - 1, exactly (0/1 entries)
    assert graph.shape[0] % n_views == 0
    expected = _paper_augmentation_graph(graph.shape[0] // n_views, n_views)
    assert np.array_equal(graph, expected)


@given(graph=graphs(family="label"))
def test_label_graphs_are_equivalence_relations(graph):
    _check_graph_basics(graph)
    assert set(np.unique(graph)) <= {0.0, 1.0}
    related = (graph + np.eye(graph.shape[0])) > 0  # Ḡ = G + I = Y Yᵀ: reflexive and transitive
    assert np.array_equal((related.astype(int) @ related.astype(int)) > 0, related)


@given(graph=graphs(family="knn"))
def test_knn_graphs_are_binary_with_a_neighbour_each(graph):
    _check_graph_basics(graph)
    assert set(np.unique(graph)) <= {0.0, 1.0}
    assert np.all(graph.sum(axis=1) >= 1)  # n_neighbors >= 1 and "or" symmetrisation


@given(graph=graphs(family="weighted"))
def test_weighted_graphs_have_bounded_positive_weights(graph):
    _check_graph_basics(graph)
    weights = graph[graph > 0]
    # log-uniform in [0.1, 10]; 1e-12 relative slack for the rounding of 10**u
    assert np.all((weights >= 0.1 * (1 - 1e-12)) & (weights <= 10.0 * (1 + 1e-12)))


@given(graph=graphs(family="binary"))
def test_binary_graphs_are_zero_one(graph):
    _check_graph_basics(graph)
    assert set(np.unique(graph)) <= {0.0, 1.0}


@given(graph=graphs(family="disconnected"))
def test_disconnected_graphs_have_several_components(graph):
    _check_graph_basics(graph)
    n_components, _ = connected_components(graph, directed=False)
    assert n_components >= 2


@given(graph=graphs(connected=True))
def test_connected_graphs_are_connected(graph):
    _check_graph_basics(graph)
    n_components, _ = connected_components(graph, directed=False)
    assert n_components == 1


@given(graph=graphs(family=BINARY, connected=True))
def test_connected_binary_families_stay_binary(graph):
    _check_graph_basics(graph)
    assert set(np.unique(graph)) <= {0.0, 1.0}
    assert connected_components(graph, directed=False)[0] == 1


def test_graph_families_constant_lists_every_family():
    assert GRAPH_FAMILIES == ("weighted", "binary", "augmentation", "label", "knn", "disconnected")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"family": "ring"}, "unknown graph family 'ring'"),
        ({"family": ()}, "at least one"),
        ({"min_nodes": 5, "max_nodes": 3}, "min_nodes <= max_nodes"),
        ({"min_nodes": 0}, "min_nodes <= max_nodes"),
        ({"family": "augmentation", "min_nodes": 5, "max_nodes": 5}, "no augmentation graph"),
        ({"family": "knn", "min_nodes": 1, "max_nodes": 1}, "needs at least 2 nodes"),
        ({"family": "disconnected", "connected": True}, "leaves no family"),
    ],
)
def test_graphs_reject_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        graphs(**kwargs)


# ----------------------------------------------------------------------------- PSD matrices
def _spectrum_tolerance(a, max_eigenvalue):
    """Rounding in forming Q Λ Qᵀ plus eigvalsh's backward error: each is a symmetric perturbation
    of 2-norm <= c·n·eps·max_eigenvalue, moving every eigenvalue by at most that (Weyl); c = 8
    covers both with a margin."""
    return 8.0 * a.shape[0] * EPS * max_eigenvalue


@given(a=psd_matrices(n=(1, 10), eigengap=0.5))
def test_psd_matrices_have_the_requested_gap(a):
    assert a.dtype == np.float64
    assert 1 <= a.shape[0] <= 10
    assert np.array_equal(a, a.T)
    w = np.linalg.eigvalsh(a)
    tol = _spectrum_tolerance(a, 10.0)
    assert w[0] >= -tol  # PSD
    assert w[-1] <= 10.0 + tol
    # each computed eigenvalue is within tol of the drawn one, so a gap shrinks by at most 2·tol
    assert np.all(np.diff(w) >= 0.5 - 2 * tol)


@given(a=psd_matrices(n=(2, 9), rank=2, eigengap=0.25, max_eigenvalue=4.0))
def test_psd_matrices_with_rank(a):
    w = np.linalg.eigvalsh(a)
    tol = _spectrum_tolerance(a, 4.0)
    assert np.all(np.abs(w[:-2]) <= tol)  # n - rank zero eigenvalues
    # non-zero ones: >= max(min_eigenvalue, eigengap, max_eigenvalue/100) = 0.25, gap 0.25
    assert np.all(w[-2:] >= 0.25 - tol)
    assert w[-1] - w[-2] >= 0.25 - 2 * tol
    assert w[-1] <= 4.0 + tol


@given(a=psd_matrices(n=(1, 8), min_eigenvalue=1.0, max_eigenvalue=2.0))
def test_psd_matrices_without_gap_respect_bounds(a):
    assert np.array_equal(a, a.T)
    w = np.linalg.eigvalsh(a)
    tol = _spectrum_tolerance(a, 2.0)
    assert w[0] >= 1.0 - tol
    assert w[-1] <= 2.0 + tol
    assert np.all(np.abs(a) <= 2.0 + tol)  # |A_ij| <= ||A||_2


@given(a=psd_matrices(n=4, eigengap=3.0, max_eigenvalue=9.0))
def test_psd_matrices_tightest_gap_fits(a):
    # 4 eigenvalues 3 apart in [0, 9]: the spectrum is forced to (0, 3, 6, 9)
    w = np.linalg.eigvalsh(a)
    tol = _spectrum_tolerance(a, 9.0)
    assert np.all(np.abs(w - np.array([0.0, 3.0, 6.0, 9.0])) <= tol)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 5, "eigengap": 3.0}, "do not fit"),
        ({"n": (2, 4), "rank": 5}, "rank must be in"),
        ({"rank": 3, "eigengap": 6.0}, "do not fit"),
        ({"eigengap": 20.0, "rank": 1}, "exceeds max_eigenvalue"),
        ({"min_eigenvalue": 3.0, "max_eigenvalue": 2.0}, "must be <= max_eigenvalue"),
        ({"eigengap": 0.0}, "eigengap must be > 0"),
        ({"n": (3, 2)}, "min <= max"),
    ],
)
def test_psd_matrices_reject_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        psd_matrices(**kwargs)


# ----------------------------------------------------------------------------- data matrices
@given(x=data_matrices(n_samples=(1, 12), n_features=(1, 5), full_rank=True, max_condition=50.0))
def test_full_rank_data_matrices(x):
    n, d = x.shape
    assert 1 <= d <= 5
    assert d <= n <= 12
    s = np.linalg.svd(x, compute_uv=False)
    # singular values are exact up to n·eps·σ_max (backward-stable SVD of a matrix formed with
    # O(n·eps) relative error): 1e-10 relative slack is generous and far below the 1/50 ratio
    assert s[-1] > 0
    assert s[0] / s[-1] <= 50.0 * (1 + 1e-10)
    assert np.linalg.matrix_rank(x) == d
    assert np.all(np.abs(x) <= 10.0)


@given(x=data_matrices())
def test_data_matrices_are_finite_and_bounded(x):
    assert x.dtype == np.float64
    assert 1 <= x.shape[0] <= 24
    assert 1 <= x.shape[1] <= 8
    assert np.all(np.isfinite(x))
    assert np.all(np.abs(x) <= 10.0)


@given(z=embeddings(n_samples=8, n_components=(1, 3), full_rank=True, max_abs=2.0))
def test_embeddings_shape_rank_and_bound(z):
    assert z.shape[0] == 8
    assert 1 <= z.shape[1] <= 3
    assert np.linalg.matrix_rank(z) == z.shape[1]
    assert np.all(np.abs(z) <= 2.0)


@pytest.mark.parametrize(
    ("factory", "kwargs", "match"),
    [
        (data_matrices, {"n_samples": 2, "n_features": 3, "full_rank": True}, "n_samples >= n_features"),
        (data_matrices, {"max_condition": 0.5}, "max_condition must be >= 1"),
        (data_matrices, {"max_abs": 0.0}, "max_abs must be > 0"),
        (data_matrices, {"n_samples": (1, 2, 3)}, "min, max"),
        (embeddings, {"n_samples": 2, "n_components": 4, "full_rank": True}, "n_samples >= n_components"),
        (embeddings, {"n_components": 0}, "n_components must be >= 1"),
    ],
)
def test_matrix_strategies_reject_bad_arguments(factory, kwargs, match):
    with pytest.raises(ValueError, match=match):
        factory(**kwargs)

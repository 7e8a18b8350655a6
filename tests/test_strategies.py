"""Property tests of ssltheory.testing.strategies: every example keeps the strategy's promises."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from ssltheory import _validation
from ssltheory.testing.strategies import (
    GRAPH_FAMILIES,
    PAIR_RELATIONS,
    PairedViews,
    data_matrices,
    embeddings,
    graphs,
    paired_views,
    psd_matrices,
)

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
    """The paper's builder (arXiv:2205.11508, the augmentation graph): an independent reference for the
    view-major layout."""
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


# ----------------------------------------------------------------------------- sizes as strategies
EVEN_BATCHES = st.integers(3, 12).map(lambda b: 2 * b)


def _run_once(strategy):
    """Draw from ``strategy`` inside a one-example @given test (``.example()`` is for the REPL)."""
    drawn = []

    @settings(max_examples=1, database=None, derandomize=True)
    @given(value=strategy)
    def inner(value):
        drawn.append(value)

    inner()
    return drawn[0]


@given(z=embeddings(n_samples=EVEN_BATCHES))
def test_embeddings_take_a_size_strategy(z):
    # the call of the issue: sizes drawn from a mapped strategy, no flatmap needed
    assert z.shape[0] % 2 == 0
    assert 6 <= z.shape[0] <= 24
    assert 1 <= z.shape[1] <= 6  # the default n_components range is untouched
    assert np.all(np.abs(z) <= 10.0)


@given(x=data_matrices(n_samples=st.sampled_from([5, 9]), n_features=st.just(3)))
def test_data_matrices_take_size_strategies(x):
    assert x.shape[0] in (5, 9)
    assert x.shape[1] == 3


@pytest.mark.parametrize(
    ("rows", "cols"),
    [
        (st.integers(2, 6), st.integers(1, 4)),  # both strategies: infeasible draws rejected
        (st.integers(2, 6), (1, 4)),  # strategy rows, range columns: columns drawn <= rows
        ((2, 6), st.integers(1, 4)),  # range rows, strategy columns: rows drawn >= columns
    ],
)
def test_full_rank_with_size_strategies(rows, cols):
    @given(z=embeddings(n_samples=rows, n_components=cols, full_rank=True, max_condition=20.0))
    def check(z):
        n, k = z.shape
        assert 2 <= n <= 6
        assert 1 <= k <= min(n, 4)
        s = np.linalg.svd(z, compute_uv=False)
        assert s[0] / s[-1] <= 20.0 * (1 + 1e-10)  # as test_full_rank_data_matrices

    check()


@given(a=psd_matrices(n=st.integers(1, 8), rank=2, eigengap=0.5, max_eigenvalue=4.0))
def test_psd_matrices_take_a_size_strategy(a):
    # draws below rank are rejected, not turned into errors
    assert 2 <= a.shape[0] <= 8
    w = np.linalg.eigvalsh(a)
    tol = _spectrum_tolerance(a, 4.0)
    assert np.all(np.abs(w[:-2]) <= tol)
    assert np.all(w[-2:] >= 0.5 - tol)


@given(a=psd_matrices(n=st.integers(1, 8), eigengap=3.0, max_eigenvalue=9.0))
def test_psd_size_strategy_respects_the_gap_capacity(a):
    # at most 1 + 9/3 = 4 eigenvalues 3 apart fit in [0, 9]; larger drawn sizes are rejected
    assert a.shape[0] <= 4
    w = np.linalg.eigvalsh(a)
    assert np.all(np.diff(w) >= 3.0 - 2 * _spectrum_tolerance(a, 9.0))


@pytest.mark.parametrize(
    ("factory", "kwargs", "error", "match"),
    [
        (
            embeddings,
            {"n_samples": st.just(0)},
            ValueError,
            "n_samples must be >= 1, but its strategy drew 0",
        ),
        (embeddings, {"n_components": st.just(2.5)}, TypeError, "n_components must draw integers"),
        (paired_views, {"n_pairs": st.just(1)}, ValueError, "n_pairs must be >= 2, but its strategy drew 1"),
        (psd_matrices, {"n": st.just(True)}, TypeError, "n must draw integers"),
    ],
)
def test_bad_drawn_sizes_raise_naming_the_argument(factory, kwargs, error, match):
    strategy = factory(**kwargs)  # building is fine: the strategy is only checked when drawn
    with pytest.raises(error, match=match):
        _run_once(strategy)


@pytest.mark.parametrize("value", [2.5, "8", None])
def test_sizes_of_the_wrong_type_name_the_accepted_forms(value):
    with pytest.raises(
        TypeError, match="n_samples must be an int, a \\(min, max\\) pair of ints or a hypothesis"
    ):
        embeddings(n_samples=value)


# ----------------------------------------------------------------------------- paired views
@given(views=paired_views(n_pairs=EVEN_BATCHES, n_components=(1, 8), relation=PAIR_RELATIONS))
def test_paired_views_shapes_and_unpacking(views):
    z1, z2 = views  # unpacks like a pair
    assert isinstance(views, PairedViews)
    assert z1.dtype == z2.dtype == np.float64
    assert z1.shape == z2.shape
    assert z1.shape[0] % 2 == 0
    assert 6 <= z1.shape[0] <= 24
    assert 1 <= z1.shape[1] <= 8
    assert views.relation in PAIR_RELATIONS
    assert np.all(np.abs(z1) <= 10.0)
    assert np.all(np.abs(z2) <= 10.0)
    assert np.array_equal(views.stacked, np.concatenate((z1, z2)))
    assert views.stacked.shape == (2 * z1.shape[0], z1.shape[1])


@given(views=paired_views(relation="copy"))
def test_copies_are_exact_and_independent_arrays(views):
    assert np.array_equal(views.z1, views.z2)
    assert views.z1 is not views.z2
    assert views.noise == 0.0
    assert np.array_equal(views.permutation, np.arange(views.z1.shape[0]))


@given(views=paired_views(n_pairs=(2, 20), relation="permutation"))
def test_permuted_views_mismatch_every_pair(views):
    z1, z2 = views
    perm = views.permutation
    n = z1.shape[0]
    assert np.array_equal(np.sort(perm), np.arange(n))  # a permutation
    assert np.all(perm != np.arange(n))  # no fixed point: every pair is mismatched
    assert np.array_equal(z2, z1[perm])
    # the same multiset of rows: per-branch statistics agree to rounding (summation order only)
    scale = max(1.0, float(np.max(np.abs(z1))))
    assert np.max(np.abs(z1.mean(axis=0) - z2.mean(axis=0))) <= 1e-13 * scale
    c1, c2 = np.atleast_2d(np.cov(z1, rowvar=False)), np.atleast_2d(np.cov(z2, rowvar=False))
    assert np.max(np.abs(c1 - c2)) <= 1e-12 * scale**2


@given(views=paired_views(relation="noisy", noise=0.0))
def test_noise_zero_gives_copies(views):
    assert views.noise == 0.0
    assert np.array_equal(views.z1, views.z2)


@given(views=paired_views(relation="noisy", noise=(0.2, 0.7), max_abs=3.0))
def test_noisy_views_report_their_noise_and_stay_bounded(views):
    assert 0.2 <= views.noise <= 0.7
    assert np.all(np.abs(views.z1) <= 3.0)
    assert np.all(np.abs(views.z2) <= 3.0)
    assert not np.array_equal(views.z1, views.z2)


@given(views=paired_views(n_pairs=200, n_components=5, relation="noisy", noise=1.0))
def test_noisy_views_have_the_requested_noise_to_signal_ratio(views):
    # z_b = c (S + σ rms(S) E_b): E|z1 - z2|² = 2σ² c² rms² BK and E|(z1 + z2)/2|² = (1 + σ²/2) c² rms² BK,
    # so the ratio is 2σ²/(1 + σ²/2) = 4/3 at σ = 1. Over 1000 entries the chi-square fluctuation
    # (and the S·E cross term) is a few per cent: 25 % is a > 5 sd margin that still rejects σ = 0.5 (0.44)
    z1, z2 = views
    ratio = np.sum((z1 - z2) ** 2) / np.sum(((z1 + z2) / 2) ** 2)
    assert abs(ratio - 4.0 / 3.0) <= 0.25 * 4.0 / 3.0


@given(
    views=paired_views(n_pairs=(3, 10), n_components=(1, 3), relation=("copy", "permutation"), full_rank=True)
)
def test_full_rank_paired_views(views):
    k = views.z1.shape[1]
    assert views.z1.shape[0] >= k
    assert np.linalg.matrix_rank(views.z1) == k
    assert np.linalg.matrix_rank(views.z2) == k


def test_paired_views_relation_mix_draws_every_relation():
    seen = set()

    @settings(max_examples=60, database=None, derandomize=True)
    @given(views=paired_views(relation=PAIR_RELATIONS))
    def collect(views):
        seen.add(views.relation)

    collect()
    assert seen == set(PAIR_RELATIONS)


def test_pair_relations_constant():
    assert PAIR_RELATIONS == ("noisy", "copy", "permutation")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"relation": "shuffle"}, "unknown relation 'shuffle'"),
        ({"relation": ()}, "at least one"),
        ({"noise": -0.5}, "noise must be >= 0"),
        ({"noise": (0.5, 0.1)}, "min <= max"),
        ({"noise": (0.1, 0.2, 0.3)}, "float or a \\(min, max\\) pair"),
        ({"n_pairs": 1}, "n_pairs must be >= 2"),
        ({"n_pairs": 2, "n_components": 3, "full_rank": True}, "n_pairs >= n_components"),
        ({"max_abs": 0.0}, "max_abs must be > 0"),
    ],
)
def test_paired_views_reject_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        paired_views(**kwargs)


# ----------------------------------------------------------------------------- packaging
ROOT = Path(__file__).resolve().parents[1]


def test_missing_hypothesis_names_the_testing_extra():
    # hypothesis hidden (None in sys.modules makes its import fail as if it were not installed)
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "import ssltheory.testing.properties, ssltheory.testing\n"
        "assert ssltheory.testing.properties.assert_matches_convention\n"
        "try:\n"
        "    import ssltheory.testing.strategies\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc.name, '|', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("ModuleNotFoundError hypothesis |"), out
    assert 'pip install "ssltheory[testing]"' in out


def test_testing_extra_is_hypothesis_and_test_includes_it():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["testing"] == ["hypothesis>=6.100"]
    assert "ssltheory[testing]" in extras["test"]
    assert not any(req.startswith("hypothesis") for req in extras["test"])  # one pin, in one place


@given(views=paired_views(n_pairs=200, n_components=5, relation="copy"))
def test_paired_views_repr_stays_short_for_hypothesis_reports(views):
    # hypothesis warns (an error under filterwarnings=error) on reprs above ~10 kB
    from hypothesis.vendor.pretty import pretty

    text = pretty(views)
    assert len(text) < 5000
    assert text.startswith("PairedViews(relation='copy', noise=0, shape=(200, 5),")

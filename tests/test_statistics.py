"""Streamed sufficient statistics and the linear closed forms solved from them (issue 8, part 2).

Independent sides: dense ``XᵀMX`` products with ``M`` built by ``ssltheory.graphs`` (never used by
``graph_statistics``), the pairwise form ``XᵀLX = ½ Σ_ij G_ij (x_i − x_j)(x_i − x_j)ᵀ``, a centred
two-pass NumPy scatter, and the in-memory solvers ``vicreg_linear_weights``, ``graph_cca`` and
``barlow_twins_linear_weights`` (which form ``G``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import DegenerateSpectrumWarning, _backend
from ssltheory.graphs import graph_laplacian, knn_graph, label_graph
from ssltheory.spectral import (
    GraphStatistics,
    _statistics,
    barlow_twins_linear_weights,
    barlow_twins_linear_weights_from_statistics,
    graph_cca,
    graph_cca_from_statistics,
    graph_statistics,
    vicreg_linear_weights,
    vicreg_linear_weights_from_statistics,
)
from ssltheory.testing import assert_close, assert_same_subspace, default_rtol

EPS = float(np.finfo(np.float64).eps)
FIELDS = ("second_moment", "scatter", "adjacency", "degree", "laplacian")


def _dense_reference(x: np.ndarray, g: np.ndarray) -> dict[str, np.ndarray]:
    n = x.shape[0]
    deg = np.diag(g.sum(axis=1))
    h = np.eye(n) - np.ones((n, n)) / n
    return {
        "second_moment": x.T @ x,
        "scatter": x.T @ h @ x,
        "adjacency": x.T @ g @ x,
        "degree": x.T @ deg @ x,
        "laplacian": x.T @ (deg - g) @ x,
    }


def _atol(x: np.ndarray, g: np.ndarray) -> float:
    # each entry is a sum of N(1 + nnz/N) products bounded by |x|ᵀ(I + D + |G|)|x|: the standard
    # summation bound γ_N ≈ N·eps times that scale (both sides round, hence the factor 4)
    ax = np.abs(x)
    scale = ax.T @ ((1.0 + g.sum(axis=1))[:, None] * ax) + ax.T @ np.abs(g) @ ax
    return 4 * x.shape[0] * EPS * float(scale.max())


def _check_against(stats: GraphStatistics, x: np.ndarray, g: np.ndarray) -> None:
    ref = _dense_reference(x, g)
    atol = _atol(x, g)
    for name in FIELDS:
        assert_close(_backend.to_numpy(getattr(stats, name)), ref[name], atol=atol, rtol=0, err_msg=name)
    # the mean: N summands of size max|x| (same summation bound)
    assert_close(
        _backend.to_numpy(stats.mean), x.mean(axis=0), atol=4 * x.shape[0] * EPS * np.abs(x).max(), rtol=0
    )
    assert stats.n_samples == x.shape[0]


# ----------------------------------------------------------------------------- statistics
@pytest.mark.parametrize("chunk_size", [None, 1, 7])
def test_groups_route_matches_dense_label_graph(xp, rng, chunk_size):
    x = rng.standard_normal((40, 4)) + 5.0  # an offset mean exercises the shift
    labels = rng.integers(0, 9, 40)  # unbalanced groups, some singletons possible
    stats = graph_statistics(xp.asarray(x), groups=xp.asarray(labels), chunk_size=chunk_size)
    _check_against(stats, x, np.asarray(label_graph(labels)))
    assert stats.self_loop_weight == 0.0


@pytest.mark.parametrize("chunk_size", [None, 5])
def test_graph_route_matches_dense_weighted_graph_with_self_loops(xp, rng, chunk_size):
    x = rng.standard_normal((30, 3)) - 2.0
    g = rng.uniform(0, 1, (30, 30)) * (rng.random((30, 30)) < 0.3)
    g = g + g.T  # symmetric, with a non-zero diagonal (self-loops count in XᵀGX and XᵀDX)
    stats = graph_statistics(xp.asarray(x), graph=xp.asarray(g), chunk_size=chunk_size)
    _check_against(stats, x, g)
    # trace of G: 30 summands of size <= 2 (summation bound)
    assert abs(stats.self_loop_weight - np.trace(g)) <= 4 * 30 * EPS * 2


def test_sparse_knn_graph_matches_dense(rng):
    x = rng.standard_normal((80, 5))
    g = knn_graph(x, n_neighbors=4, sparse=True)
    assert scipy.sparse.issparse(g)
    stats = graph_statistics(x, graph=g, chunk_size=16)
    _check_against(stats, x, np.asarray(g.toarray()))


def test_regular_groups_degree_is_multiple_of_second_moment(xp, rng):
    # augmentation layout (view-major): each original's 3 views share a label, degree 2 everywhere
    x = rng.standard_normal((30, 4))
    labels = np.tile(np.arange(10), 3)
    stats = graph_statistics(xp.asarray(x), groups=xp.asarray(labels), chunk_size=4)
    _check_against(stats, x, np.asarray(label_graph(labels)))
    assert_close(stats.degree, 2.0 * stats.second_moment, rtol=default_rtol(np.float64))


@settings(max_examples=15)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(2, 25),
    n_groups=st.integers(1, 8),
    chunk=st.integers(1, 30),
)
def test_laplacian_form_equals_pairwise_differences(seed, n, n_groups, chunk):
    gen = np.random.default_rng(seed)
    x = gen.standard_normal((n, 3)) * gen.uniform(0.1, 10)
    labels = gen.integers(0, n_groups, n)
    stats = graph_statistics(x, groups=labels, chunk_size=chunk)
    diff = x[:, None, :] - x[None, :, :]
    same = (labels[:, None] == labels[None, :]) & ~np.eye(n, dtype=bool)
    pairwise = 0.5 * np.einsum("ij,ija,ijb->ab", same.astype(float), diff, diff)
    scale = float((np.abs(x).max() ** 2) * n * max(same.sum(axis=1).max(), 1))
    # both sides sum ≤ n·deg terms of size ≤ 4 max|x|²: summation bound, factor 4 for both sides
    assert_close(stats.laplacian, pairwise, atol=16 * n * EPS * scale, rtol=0)


def test_shift_keeps_scatter_accurate_under_a_large_mean(rng):
    x = rng.standard_normal((500, 3)) + 1e6  # naive XᵀX − N x̄x̄ᵀ loses ~12 of 16 digits here
    stats = graph_statistics(x, groups=np.repeat(np.arange(250), 2), chunk_size=64)
    xc = x - x.mean(axis=0)
    ref = xc.T @ xc
    naive = x.T @ x - 500 * np.outer(x.mean(axis=0), x.mean(axis=0))
    # shifted rows are O(1): error ≈ N·eps·(max|x − c|² + |c − x̄|·...) ≪ 1e-8 of the scatter
    # (‖ref‖ ≈ 500), while the naive formula is off by ~N·eps·1e12 ≈ 1e-1
    assert float(np.abs(stats.scatter - ref).max()) < 1e-8 * float(np.abs(ref).max())
    assert float(np.abs(naive - ref).max()) > 1e-6 * float(np.abs(ref).max())  # the test can fail


def test_namespace_dtype_and_integer_promotion(xp):
    x = xp.asarray(np.arange(24).reshape(8, 3) % 5)
    stats = graph_statistics(x, groups=xp.asarray(np.repeat(np.arange(4), 2)))
    for name in (*FIELDS, "mean"):
        arr = getattr(stats, name)
        assert _backend.get_namespace(arr) is _backend.get_namespace(x)
        assert arr.dtype == xp.float64
    x32 = xp.asarray(np.ones((6, 2), dtype=np.float32) * np.arange(6, dtype=np.float32)[:, None])
    s32 = graph_statistics(x32, groups=xp.asarray(np.repeat(np.arange(3), 2)))
    assert s32.laplacian.dtype == xp.float32


def test_bad_inputs(xp):
    x = xp.asarray(np.ones((6, 2)))
    labels = xp.asarray(np.repeat(np.arange(3), 2))
    with pytest.raises(ValueError, match=r"exactly one of graph= .* or groups="):
        graph_statistics(x)
    with pytest.raises(ValueError, match="exactly one of graph="):
        graph_statistics(x, graph=xp.asarray(np.zeros((6, 6))), groups=labels)
    with pytest.raises(TypeError, match="groups must be an integer array"):
        graph_statistics(x, groups=xp.asarray(np.ones(6)))
    with pytest.raises(ValueError, match=r"groups must have shape \(n_samples,\) = \(6,\)"):
        graph_statistics(x, groups=xp.asarray(np.arange(5)))
    with pytest.raises(ValueError, match=r"groups must be a 1-D integer array"):
        graph_statistics(x, groups=xp.asarray(np.zeros((6, 1), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"graph must be \(n_samples, n_samples\) = \(6, 6\)"):
        graph_statistics(x, graph=xp.asarray(np.zeros((5, 5))))
    with pytest.raises(ValueError, match="chunk_size"):
        graph_statistics(x, groups=labels, chunk_size=0)
    with pytest.raises(ValueError, match="x must be a 2-D array"):
        graph_statistics(xp.asarray(np.ones(6)), groups=labels)
    with pytest.raises(ValueError, match="symmetric"):
        graph_statistics(x, graph=xp.asarray(np.triu(np.ones((6, 6)), 1)))


# ----------------------------------------------------------------------------- solvers
# The statistics agree with the in-memory ones to ~N·eps relative (above); eigenvalues move by
# ‖ΔS‖·cond(Σ_X) ≲ 1e-12 here and subspaces by that over the eigengap (≥ 1e-2 for these draws),
# so the library's default 4·sqrt(eps) ≈ 6e-8 leaves a wide margin while catching any real error.
RTOL = default_rtol(np.float64)


def _label_problem(rng, n=60, d=5, n_classes=6):
    labels = rng.integers(0, n_classes, n)
    means = 3.0 * rng.standard_normal((n_classes, d))
    x = means[labels] + rng.standard_normal((n, d))
    return x, labels


@pytest.mark.parametrize(
    ("alpha", "beta", "k"),
    [(1.0, 1.0, 3), (2.0, 1.0, 3), (1.0, 2.0, 2), (1.0, 1.0, 7)],  # alpha > beta rotates; k > D pads
)
def test_vicreg_from_statistics_equals_in_memory(xp, rng, alpha, beta, k):
    x, labels = _label_problem(rng)
    kwargs = {
        "n_components": k,
        "variance_weight": alpha,
        "covariance_weight": beta,
        "invariance_weight": 0.005,
    }
    stats = graph_statistics(xp.asarray(x), groups=xp.asarray(labels), chunk_size=11)
    ours = vicreg_linear_weights_from_statistics(stats, **kwargs)
    ref = vicreg_linear_weights(xp.asarray(x), xp.asarray(label_graph(labels)), **kwargs)
    assert_close(ours.loss, ref.loss, rtol=RTOL)
    assert_close(ours.scales, ref.scales, rtol=RTOL, atol=RTOL)
    assert ours.rank == ref.rank
    kept = ref.rank
    assert_close(ours.eigenvalues[:kept], ref.eigenvalues[:kept], rtol=RTOL)
    xw_ours, xw_ref = xp.asarray(x) @ ours.weights, xp.asarray(x) @ ref.weights
    # the Gram matrix of the centred embedding is unique (R only rotates columns)
    xo = xw_ours - xp.mean(xw_ours, axis=0)
    xr = xw_ref - xp.mean(xw_ref, axis=0)
    assert_close(xo @ xo.mT, xr @ xr.mT, atol=RTOL * float(xp.max(xp.abs(xr @ xr.mT))), rtol=0)
    assert _backend.get_namespace(ours.weights) is _backend.get_namespace(stats.scatter)


def test_vicreg_from_sparse_graph_statistics_equals_in_memory(rng):
    x = rng.standard_normal((70, 4)) @ np.diag([3.0, 1.0, 0.5, 0.2])
    g = knn_graph(x, n_neighbors=5, sparse=True)
    ours = vicreg_linear_weights_from_statistics(graph_statistics(x, graph=g, chunk_size=9), n_components=2)
    ref = vicreg_linear_weights(x, g, n_components=2)
    assert_close(ours.loss, ref.loss, rtol=RTOL)
    assert_close(ours.eigenvalues, ref.eigenvalues, rtol=RTOL)
    assert_same_subspace(ours.weights, ref.weights, atol=RTOL)


def test_vicreg_from_statistics_loss_beats_perturbed_weights(rng):
    # independent of the in-memory solver: the VICReg objective evaluated at Z = XW
    from ssltheory.losses import VICRegLoss

    x, labels = _label_problem(rng, n=40, d=4, n_classes=4)
    g = np.asarray(label_graph(labels))
    sol = vicreg_linear_weights_from_statistics(
        graph_statistics(x, groups=labels), n_components=2, invariance_weight=0.01
    )
    loss = VICRegLoss(variance_weight=1.0, covariance_weight=1.0, invariance_weight=0.01)
    at_opt = float(loss(x @ sol.weights, g))
    # value of the closed form matches the evaluator (rounding of O(N D²) terms: default rtol)
    assert_close(at_opt, sol.loss, rtol=RTOL)
    for _ in range(5):
        w = sol.weights + 1e-3 * rng.standard_normal(sol.weights.shape)
        assert float(loss(x @ w, g)) >= at_opt - RTOL * abs(at_opt)


def test_graph_cca_from_statistics_equals_in_memory(xp, rng):
    base = rng.standard_normal((25, 4))
    x = np.concatenate([base, base + 0.3 * rng.standard_normal((25, 4))])
    labels = np.tile(np.arange(25), 2)
    stats = graph_statistics(xp.asarray(x), groups=xp.asarray(labels), chunk_size=8)
    ours = graph_cca_from_statistics(stats, n_components=3)
    ref = graph_cca(xp.asarray(x), xp.asarray(label_graph(labels)), n_components=3)
    assert_close(ours.eigenvalues, ref.eigenvalues, rtol=RTOL)
    assert_close(ours.loss, ref.loss, rtol=RTOL, atol=RTOL)
    assert_same_subspace(ours.weights, ref.weights, atol=RTOL)


def test_barlow_twins_from_statistics_equals_in_memory(xp, rng):
    base = rng.standard_normal((25, 3))
    x = np.concatenate([base, base + 0.2 * rng.standard_normal((25, 3))])
    labels = np.tile(np.arange(25), 2)
    stats = graph_statistics(xp.asarray(x), groups=xp.asarray(labels))
    ours = barlow_twins_linear_weights_from_statistics(stats, n_components=1)
    ref = barlow_twins_linear_weights(xp.asarray(x), xp.asarray(label_graph(labels)), n_components=1)
    assert_close(ours.loss, ref.loss, rtol=RTOL, atol=RTOL)
    assert_same_subspace(ours.weights, ref.weights, atol=RTOL)
    with pytest.raises(ValueError, match="closed form only for n_components = 1"):
        barlow_twins_linear_weights_from_statistics(stats, n_components=2)


def test_solver_bad_inputs_and_tie_warning(rng):
    x = rng.standard_normal((10, 3))
    with pytest.raises(TypeError, match="stats must be a GraphStatistics"):
        vicreg_linear_weights_from_statistics(x, n_components=1)
    with pytest.raises(TypeError, match="stats must be a GraphStatistics"):
        graph_cca_from_statistics({"scatter": x}, n_components=1)
    g = np.ones((10, 10))  # all-ones graph: self-loops
    looped = graph_statistics(x, graph=g)
    with pytest.raises(ValueError, match="zero diagonal for BarlowTwins"):
        barlow_twins_linear_weights_from_statistics(looped, n_components=1)
    stats = graph_statistics(x, groups=np.repeat(np.arange(5), 2))
    with pytest.raises(ValueError, match="variance_penalty must be one of"):
        vicreg_linear_weights_from_statistics(stats, n_components=1, variance_penalty="cube")
    with pytest.raises(ValueError, match="rtol"):
        vicreg_linear_weights_from_statistics(stats, n_components=1, rtol=1.5)
    with pytest.raises(ValueError, match="n_components must be <= rank"):
        graph_cca_from_statistics(stats, n_components=4)
    # identical views: XᵀLX = 0, all μ tie at 0 with c = 1: the kept subspace is not unique
    twin = np.concatenate([x, x])
    tied = graph_statistics(twin, groups=np.tile(np.arange(10), 2))
    with pytest.warns(DegenerateSpectrumWarning, match="tied"):
        sol = vicreg_linear_weights_from_statistics(tied, n_components=1)
    assert sol.tied
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not vicreg_linear_weights_from_statistics(tied, n_components=3).tied


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_or_overflowing_x_is_rejected(xp, bad):
    x = np.ones((8, 2))
    x[5, 1] = bad
    with pytest.raises(ValueError, match="x must be finite"):
        graph_statistics(xp.asarray(x), groups=xp.asarray(np.repeat(np.arange(4), 2)), chunk_size=3)
    with pytest.raises(ValueError, match="x must be finite"):
        graph_statistics(xp.asarray(x), graph=xp.asarray(np.ones((8, 8))))


@pytest.mark.parametrize("labels", [np.repeat(np.arange(4), 2), np.array([0, 0, 0, 1, 1, 2, 2, 2])])
def test_overflowing_x_is_rejected(labels):
    x = np.ones((8, 2))
    x[5, 1] = 1e200  # finite, but its square overflows float64
    # detected from the accumulated diagonal: a clear error, and no RuntimeWarning on the way
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"x must be finite: .*overflow"):
            graph_statistics(x, groups=labels)


# ----------------------------------------------------------------------------- label layouts
def _layout(name: str, rng: np.random.Generator) -> np.ndarray:
    """Labels of 24 rows in the layouts the groups route treats specially (and the general ones)."""
    m = 12
    pairs_tiled = np.tile(np.arange(m), 2)
    return {
        # two rows per group: the one-Gram pair kernel (tiled, repeated, any order)
        "tiled": pairs_tiled,
        "tiled_shuffled_ids": np.tile(rng.permutation(m), 2),  # stacked views, ids not 0..M-1
        "repeated": np.repeat(np.arange(m), 2),
        "random_pairs": rng.permutation(pairs_tiled),
        "pairs_offset_ids": 10**12 + rng.permutation(pairs_tiled),  # compact range after the offset
        "pairs_negative_ids": rng.permutation(pairs_tiled) - 7,
        "pairs_sparse_ids": rng.permutation(pairs_tiled) * 10**11 - 5 * 10**11,  # range >> N: unique_all
        # everything else: chunked Grams + segment sums
        "three_views_tiled": np.tile(np.arange(8), 3),
        "sorted_unequal": np.repeat(np.arange(5), [1, 7, 2, 10, 4]),
        "random_unequal": rng.integers(0, 6, 24),
        "singletons_and_pairs": rng.permutation(np.concatenate([np.arange(10), np.arange(10, 17).repeat(2)])),
        "all_singletons": rng.permutation(24),  # G = 0
        "one_group": np.full(24, 3),
        "negative_unequal": rng.integers(-5, 2, 24),
        "sparse_ids": rng.choice(np.array([-(2**40), 5, 2**33, 10**12]), 24),  # range >> N: unique_all
    }[name]


LAYOUTS = (
    "tiled",
    "tiled_shuffled_ids",
    "repeated",
    "random_pairs",
    "pairs_offset_ids",
    "pairs_negative_ids",
    "pairs_sparse_ids",
    "three_views_tiled",
    "sorted_unequal",
    "random_unequal",
    "singletons_and_pairs",
    "all_singletons",
    "one_group",
    "negative_unequal",
    "sparse_ids",
)


@pytest.mark.parametrize("chunk_size", [None, 5])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_groups_layouts_match_dense_label_graph(xp, rng, layout, chunk_size):
    # every fast path (pair kernel with strided/gathered rows, bincount labels, segment sums)
    # against dense XᵀMX with M from graph_laplacian(label_graph(labels)) (never used by the route)
    labels = _layout(layout, rng)
    x = rng.standard_normal((labels.shape[0], 3)) * [1.0, 0.1, 3.0] + 4.0  # offset: the shift matters
    stats = graph_statistics(xp.asarray(x), groups=xp.asarray(labels), chunk_size=chunk_size)
    g = np.asarray(label_graph(labels))
    _check_against(stats, x, g)
    lap = np.asarray(graph_laplacian(label_graph(labels)))
    assert_close(_backend.to_numpy(stats.laplacian), x.T @ lap @ x, atol=_atol(x, g), rtol=0)
    assert stats.self_loop_weight == 0.0


@pytest.mark.parametrize("layout", ["tiled", "repeated", "random_pairs"])
def test_pair_kernel_keeps_laplacian_accurate_for_close_views(rng, layout):
    # views differing by 1e-6 around a mean of 1e6: XᵀLX ≈ 1e-12·N is tiny next to XᵀX ≈ 1e12·N;
    # the reference Σ_pairs (x_a − x_b)(x_a − x_b)ᵀ is formed from the differences directly
    labels = _layout(layout, rng)
    base = rng.standard_normal((labels.max() + 1, 2)) + 1e6
    x = base[labels] + 1e-6 * rng.standard_normal((labels.shape[0], 2))
    stats = graph_statistics(x, groups=labels, chunk_size=5)
    same = np.triu(labels[:, None] == labels[None, :], 1)
    i, j = np.nonzero(same)
    diff = x[i] - x[j]  # exact-ish: the rows agree in their leading ~12 digits
    ref = diff.T @ diff
    # the pair kernel forms δ = (x₁ − c) − (x₂ − c) and XᵀLX = ΔᵀΔ: each x − c is exact (Sterbenz:
    # |x − c| ≤ ~5 next to 1e6) and so is their difference to ~eps·|δ|, hence ~1e-15 relative; 1e-6
    # leaves room while still failing the n_g Q_g − s_g s_gᵀ form (eps·|x − c|²/|δ|² ≈ 1e-4 and worse)
    assert float(np.abs(stats.laplacian - ref).max()) <= 1e-6 * float(np.abs(ref).max())


def test_compact_labels_matches_numpy_unique(rng):
    # the O(N) bincount relabelling (and its unique_all fallback) against np.unique
    cases = [
        rng.integers(0, 50, 40),
        rng.integers(-20, 20, 40).astype(np.int8),  # range fits, the difference does not (int8)
        10**12 + rng.integers(0, 30, 40),
        rng.choice(np.array([-(2**62), 0, 2**62]), 40),  # range far above 2N: sorted fallback
        (2**64 - 1 - rng.integers(0, 10, 40, dtype=np.uint64)).astype(np.uint64),  # above int64
        rng.integers(0, 5, 40).astype(np.uint8),
        np.array([7]),
    ]
    for labels in cases:
        inverse, counts = _statistics._compact_labels(labels, xp=np)
        _, ref_inverse, ref_counts = np.unique(labels, return_inverse=True, return_counts=True)
        np.testing.assert_array_equal(inverse, ref_inverse.reshape(-1))
        np.testing.assert_array_equal(counts, ref_counts)


@pytest.mark.parametrize("layout", ["tiled", "repeated", "random_pairs", "sorted_unequal", "random_unequal"])
def test_segment_sum_matches_dense_one_hot(xp, rng, layout):
    labels = _layout(layout, rng)
    ids = np.unique(labels, return_inverse=True)[1].reshape(-1)
    x = rng.standard_normal((ids.shape[0], 3))
    ref = (ids[None, :] == np.arange(ids.max() + 1)[:, None]).astype(float) @ x
    out = _backend._segment_sum(xp.asarray(x), xp.asarray(ids), int(ids.max()) + 1, xp=xp)
    # sums of at most 24 terms of size ≤ max|x|: summation bound, factor 4 for both sides
    assert_close(_backend.to_numpy(out), ref, atol=4 * 24 * EPS * np.abs(x).max(), rtol=0)


@pytest.mark.parametrize(
    ("layout", "strided"),
    [("tiled", True), ("tiled_shuffled_ids", True), ("repeated", True), ("random_pairs", False)],
)
def test_pair_selectors_detect_layouts_and_pair_every_group(xp, rng, layout, strided):
    # the O(N) layout detection: strided views for stacked / adjacent views, gathers otherwise;
    # in every case row first[k] and row second[k] carry the same label and each row is used once
    labels = _layout(layout, rng)
    inverse, counts = _statistics._compact_labels(xp.asarray(labels), xp=xp)
    first, second = _statistics._pairs(inverse, counts.shape[0], xp=xp)
    assert isinstance(first, tuple) == strided
    assert isinstance(second, tuple) == strided
    m, rows = counts.shape[0], np.arange(labels.shape[0])

    def _rows(sel):
        return rows[sel[0] :: sel[1]][:m] if isinstance(sel, tuple) else _backend.to_numpy(sel)

    r1, r2 = _rows(first), _rows(second)
    np.testing.assert_array_equal(labels[r1], labels[r2])
    np.testing.assert_array_equal(np.sort(np.concatenate([r1, r2])), rows)


def test_statistics_no_data_can_produce_are_refused():
    # an asymmetric Laplacian or an indefinite second moment used to return a loss below the true
    # optimum (-0.109 against 0.020); fields that contradict each other are refused too
    import dataclasses

    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 4))
    stats = graph_statistics(x, groups=np.repeat(np.arange(20), 2))
    vicreg_linear_weights_from_statistics(stats, n_components=2)  # the real statistics pass
    bump = np.zeros((4, 4))
    bump[0, 1] = 0.5
    cases = {
        "laplacian must be symmetric": {"laplacian": stats.laplacian + bump},
        "second_moment must be positive semi-definite": {
            "second_moment": stats.second_moment
            - 2 * float(np.max(np.linalg.eigvalsh(stats.second_moment))) * np.eye(4),
        },
        "laplacian must be positive semi-definite": {  # consistent with degree - adjacency, indefinite
            "laplacian": stats.laplacian - 100 * np.eye(4),
            "adjacency": stats.adjacency + 100 * np.eye(4),
        },
        "scatter must equal": {"scatter": stats.scatter + np.eye(4)},
        "laplacian must equal stats.degree - stats.adjacency": {"laplacian": stats.laplacian + np.eye(4)},
    }
    for message, fields in cases.items():
        bad = dataclasses.replace(stats, **fields)
        with pytest.raises(ValueError, match=message):
            vicreg_linear_weights_from_statistics(bad, n_components=2)

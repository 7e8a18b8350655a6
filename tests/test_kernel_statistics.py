"""``linear_ssl_solve_from_statistics``: the kernel closed form on ``graph_statistics`` of the features.

Independent side: ``linear_ssl_solve`` on the rows (thin SVD of Φ, the graph applied to the rows).
Compared through invariants only (spec/kernel.md §4): the induced kernel in feature coordinates
``W Wᵀ`` (:math:`k^*(x,x') = \\phi(x)^\\top WW^\\top\\phi(x')`), the eigenvalues, the loss; never raw
columns of ``W`` (sign and rotation freedom).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import DegenerateSpectrumWarning
from ssltheory.graphs import label_graph
from ssltheory.kernel import FeatureSolution, linear_ssl_solve, linear_ssl_solve_from_statistics
from ssltheory.spectral import GraphStatistics, graph_statistics
from ssltheory.testing import assert_close, default_rtol

# Both routes solve the same r×r eigenproblem with backward-stable O(p³) kernels; they differ only
# in the basis of range(Φ) (LAPACK SVD of Φ vs eigh of ΦᵀΦ), a rounding perturbation of order
# cond(ΦᵀΦ)·eps/eigengap. The problems below have cond(ΦᵀΦ) ≲ 1e2 and O(1) gaps at d (observed
# differences ~1e-14 relative); 4√eps (the library default) bounds that with a wide margin.
TOL = default_rtol(np.float64)

# every option the statistics determine (SC-w and centring at rank < N need the rows)
CASES = [
    pytest.param({}, id="wmse"),
    pytest.param({"ridge": 1e-2}, id="wmse-ridge"),
    pytest.param({"ridge": 1e-2, "extension_smoothing": 0.5}, id="wmse-smoothing"),
    pytest.param({"ridge": 1e-2, "tie_break": None, "tie_tol": 1e-9}, id="wmse-tie-options"),
    pytest.param(
        {"loss": "vicreg", "ridge": 1e-3, "invariance_weight": 5.0, "variance_weight": 2.0}, id="vicreg"
    ),
    pytest.param({"normalization": "feature", "ridge": 0.1}, id="wmse-feature"),
    pytest.param(
        {"loss": "spectral_contrastive", "weighting": "none", "ridge": 1e-2, "output_penalty": 0.3},
        id="sc-u",
    ),
]


def _h(a):
    from ssltheory import _backend

    return _backend.to_numpy(a)


def _problem(rng: np.random.Generator, n_groups: int = 15, m: int = 4, p: int = 7):
    """Features with one augmentation-invariant direction; groups; a weighted graph with self-loops."""
    groups = np.repeat(np.arange(n_groups), m)
    phi = rng.standard_normal((n_groups * m, p))
    phi[:, 0] += 3.0 * np.repeat(rng.standard_normal(n_groups), m)
    w = rng.uniform(0.5, 1.5, (n_groups * m, n_groups * m))
    weighted = label_graph(groups) * (w + w.T) / 2 + 0.5 * np.eye(n_groups * m)  # diagonal counts (SC-u)
    return phi, groups, weighted


def _assert_same_solution(ours: FeatureSolution, ref: FeatureSolution) -> None:
    assert ours.embedding is None
    assert ours.rank == ref.rank
    gram, gram_ref = ours.weights @ ours.weights.mT, ref.weights @ ref.weights.mT
    assert_close(gram, gram_ref, rtol=0, atol=TOL * float(np.abs(_h(gram_ref)).max()))
    scale = max(1.0, float(np.abs(_h(ref.eigenvalues)).max()))
    assert_close(ours.eigenvalues, ref.eigenvalues, rtol=0, atol=TOL * scale)
    assert math.isclose(ours.loss, ref.loss, rel_tol=TOL, abs_tol=TOL)
    assert math.isclose(ours.condition, ref.condition, rel_tol=TOL)
    assert ours.graph_tie == ref.graph_tie


# ----------------------------------------------------------------------------- agreement
@pytest.mark.parametrize("route", ["groups", "graph"])
@pytest.mark.parametrize("kw", CASES)
def test_matches_linear_ssl_solve(xp, rng, kw, route):
    phi, groups, weighted = _problem(rng)
    if route == "groups":
        stats = graph_statistics(xp.asarray(phi), groups=xp.asarray(groups))
        graph = label_graph(groups)
    else:
        stats = graph_statistics(xp.asarray(phi), graph=xp.asarray(weighted), chunk_size=17)
        graph = weighted
    ours = linear_ssl_solve_from_statistics(stats, n_components=3, **kw)
    ref = linear_ssl_solve(xp.asarray(phi), xp.asarray(graph), n_components=3, **kw)
    _assert_same_solution(ours, ref)  # also checks the namespace (assert_close's default)


def test_centred_matches_when_features_span_the_rows(xp, rng):
    # center=True needs rank(ΦΦᵀ) = N: only N <= p, e.g. 6 views in 9 features
    phi, groups = rng.standard_normal((6, 9)), np.repeat(np.arange(3), 2)
    stats = graph_statistics(xp.asarray(phi), groups=xp.asarray(groups))
    for loss in ("wmse", "vicreg"):
        kw = {"n_components": 2, "center": True, "loss": loss, "ridge": 1e-2}
        ours = linear_ssl_solve_from_statistics(stats, **kw)
        ref = linear_ssl_solve(xp.asarray(phi), xp.asarray(label_graph(groups)), **kw)
        _assert_same_solution(ours, ref)


def test_rank_rule_matches_on_rank_deficient_features(xp, rng):
    # rank-3 features in 6 columns: both keep exactly 3 directions, same solution
    phi = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 6))
    groups = np.repeat(np.arange(10), 4)
    stats = graph_statistics(xp.asarray(phi), groups=xp.asarray(groups))
    ours = linear_ssl_solve_from_statistics(stats, n_components=2, ridge=1e-3)
    ref = linear_ssl_solve(xp.asarray(phi), xp.asarray(label_graph(groups)), n_components=2, ridge=1e-3)
    assert ours.rank == 3
    _assert_same_solution(ours, ref)
    with pytest.raises(ValueError, match="n_components=4 is larger than the rank allows"):
        linear_ssl_solve_from_statistics(stats, n_components=4)


def test_tied_graph_spectrum_uses_the_kernel_tie_break(xp, rng):
    # features = group indicators (5 groups) + 3 noise columns: L_r has a 5-fold null space, d = 2
    # cuts it; the ρ→0⁺ tie-break selects the same subspace on both routes, without a warning
    groups = np.repeat(np.arange(5), 4)
    phi = np.concatenate([np.eye(5)[groups] * rng.uniform(1, 2, 5), rng.standard_normal((20, 3))], axis=1)
    stats = graph_statistics(xp.asarray(phi), groups=xp.asarray(groups))
    graph = xp.asarray(label_graph(groups))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = linear_ssl_solve_from_statistics(stats, n_components=2)
        ref = linear_ssl_solve(xp.asarray(phi), graph, n_components=2)
    assert ours.graph_tie
    assert ref.graph_tie
    _assert_same_solution(ours, ref)
    with pytest.warns(DegenerateSpectrumWarning):
        linear_ssl_solve_from_statistics(stats, n_components=2, tie_break=None)


@settings(max_examples=10)
@given(
    n_groups=st.integers(6, 20),
    m=st.integers(2, 4),
    p=st.integers(2, 5),
    loss=st.sampled_from(["wmse", "vicreg", "sc-u"]),
    seed=st.integers(0, 2**16),
)
def test_property_matches_linear_ssl_solve(n_groups, m, p, loss, seed):
    phi, groups, _ = _problem(np.random.default_rng(seed), n_groups=n_groups, m=m, p=p)
    kw = {"loss": "spectral_contrastive", "weighting": "none"} if loss == "sc-u" else {"loss": loss}
    kw.update(n_components=min(2, p), ridge=1e-2)
    ours = linear_ssl_solve_from_statistics(graph_statistics(phi, groups=groups), **kw)
    ref = linear_ssl_solve(phi, label_graph(groups), **kw)
    # the solution is unique only with a gap at the cut d: read it off the reference at d + 1
    d = kw["n_components"]
    gap = 1.0
    if d < p:
        wider = linear_ssl_solve(phi, label_graph(groups), **{**kw, "n_components": d + 1}).eigenvalues
        gap = abs(float(wider[d] - wider[d - 1]))
    if gap > 1e-3:  # rounding differences ~cond(ΦᵀΦ)·eps/gap ≲ 1e-11 here, far below TOL
        _assert_same_solution(ours, ref)
    else:  # loss and eigenvalues are continuous across a near-tie
        assert math.isclose(ours.loss, ref.loss, rel_tol=TOL, abs_tol=TOL)


# ----------------------------------------------------------------------------- Dask
def test_dask_features_match_in_memory(rng):
    da = pytest.importorskip("dask.array")
    phi, groups, weighted = _problem(rng)
    x = da.from_array(phi, chunks=(16, -1))  # 16-row blocks hold whole groups of 4 consecutive rows
    x_straddle = da.from_array(phi, chunks=(10, -1))  # 10-row blocks split some groups
    for stats, graph in [
        (graph_statistics(x, groups=groups), label_graph(groups)),
        (graph_statistics(x_straddle, groups=groups), label_graph(groups)),
        (graph_statistics(x_straddle, graph=scipy.sparse.csr_matrix(weighted)), weighted),
    ]:
        for kw in ({"ridge": 1e-3}, {"loss": "spectral_contrastive", "weighting": "none", "ridge": 1e-2}):
            ours = linear_ssl_solve_from_statistics(stats, n_components=3, **kw)
            assert isinstance(ours.weights, np.ndarray)  # materialised in the chunk library
            _assert_same_solution(ours, linear_ssl_solve(phi, graph, n_components=3, **kw))


# ----------------------------------------------------------------------------- bad input
def test_bad_inputs(xp, rng):
    phi, groups, _ = _problem(rng)
    stats = graph_statistics(xp.asarray(phi), groups=xp.asarray(groups))
    with pytest.raises(TypeError, match="stats must be a GraphStatistics"):
        linear_ssl_solve_from_statistics(xp.asarray(phi), n_components=2)
    with pytest.raises(ValueError, match=r"weighting='degree'.*GraphStatistics does not hold"):
        linear_ssl_solve_from_statistics(stats, n_components=2, loss="spectral_contrastive")
    with pytest.raises(ValueError, match="center=True needs a numerically invertible"):
        linear_ssl_solve_from_statistics(stats, n_components=2, center=True)
    with pytest.raises(ValueError, match="n_components=8 is larger than the rank allows"):
        linear_ssl_solve_from_statistics(stats, n_components=8)
    with pytest.raises(ValueError, match="loss must be one of"):
        linear_ssl_solve_from_statistics(stats, n_components=2, loss="barlow")
    with pytest.raises(ValueError, match="rtol must be < 1"):
        linear_ssl_solve_from_statistics(stats, n_components=2, rtol=1.0)
    zero = graph_statistics(xp.zeros((8, 3), dtype=xp.float64), groups=xp.asarray(np.repeat(np.arange(4), 2)))
    with pytest.raises(ValueError, match="features must not be all zero"):
        linear_ssl_solve_from_statistics(zero, n_components=1)
    fields = {f: getattr(stats, f) for f in GraphStatistics.__dataclass_fields__}
    with pytest.raises(ValueError, match=r"stats\.laplacian must have shape \(7, 7\)"):
        linear_ssl_solve_from_statistics(
            GraphStatistics(**{**fields, "laplacian": stats.laplacian[:3, :3]}), n_components=1
        )
    with pytest.raises(ValueError, match=r"stats\.n_samples must be >= 1"):
        linear_ssl_solve_from_statistics(GraphStatistics(**{**fields, "n_samples": 0}), n_components=1)
    bad = xp.where(xp.eye(7, dtype=xp.bool), xp.nan, stats.adjacency)
    with pytest.raises(ValueError, match=r"stats\.adjacency"):
        linear_ssl_solve_from_statistics(GraphStatistics(**{**fields, "adjacency": bad}), n_components=1)

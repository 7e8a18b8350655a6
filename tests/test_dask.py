"""Dask route of ``graph_statistics``: lazy per-block tasks, one ``dask.compute``, same answer.

Independent sides: the in-memory NumPy route, dense ``XᵀMX`` products from ``ssltheory.graphs``,
and ``vicreg_linear_weights`` on the in-memory arrays; one test runs on a
``dask.distributed.LocalCluster`` (2 worker processes) that it starts and closes itself.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from ssltheory.graphs import knn_graph, label_graph  # noqa: E402
from ssltheory.spectral import (  # noqa: E402
    graph_cca_from_statistics,
    graph_statistics,
    vicreg_linear_weights,
    vicreg_linear_weights_from_statistics,
)
from ssltheory.testing import assert_close, assert_same_subspace, default_rtol  # noqa: E402

EPS = float(np.finfo(np.float64).eps)
FIELDS = ("mean", "second_moment", "scatter", "adjacency", "degree", "laplacian")


def _atol(x: np.ndarray, g: np.ndarray) -> float:
    # both routes sum the same N(1 + deg) products in different orders: the summation bound
    # N·eps·|x|ᵀ(I + D + |G|)|x| per entry, factor 4 for the two roundings
    ax = np.abs(x)
    scale = ax.T @ ((1.0 + g.sum(axis=1))[:, None] * ax) + ax.T @ np.abs(g) @ ax
    return 4 * x.shape[0] * EPS * float(scale.max())


def _same(ours, ref, atol: float) -> None:
    assert ours.n_samples == ref.n_samples
    for name in FIELDS:
        a = getattr(ours, name)
        assert isinstance(a, np.ndarray), f"{name} must be materialised as the chunk type (NumPy)"
        assert_close(a, getattr(ref, name), atol=atol, rtol=0, err_msg=name)
    assert abs(ours.self_loop_weight - ref.self_loop_weight) <= atol


@pytest.fixture(scope="module")
def problem():
    gen = np.random.default_rng(8)
    x = gen.standard_normal((120, 6)) + 2.0
    return x


@pytest.mark.parametrize(
    "layout",
    ["view_major", "contiguous", "random"],  # straddling groups, groups inside blocks, a mix
)
def test_groups_route_equals_in_memory(problem, layout):
    x = problem
    n = x.shape[0]
    labels = {
        "view_major": np.tile(np.arange(n // 2), 2),
        "contiguous": np.repeat(np.arange(n // 3), 3),
        "random": np.random.default_rng(1).integers(0, 17, n),
    }[layout]
    xd = da.from_array(x, chunks=(25, 3))  # column chunks are merged by the library
    with dask.config.set(scheduler="synchronous"):
        ours = graph_statistics(xd, groups=labels)
    ref = graph_statistics(x, groups=labels)
    _same(ours, ref, _atol(x, np.asarray(label_graph(labels))))


@pytest.mark.parametrize("kind", ["scipy_sparse", "numpy_dense", "dask_dense"])
def test_graph_route_equals_in_memory(problem, kind):
    x = problem
    g_sparse = knn_graph(x, n_neighbors=5, sparse=True)
    g_dense = np.asarray(g_sparse.toarray())
    g_dense[np.arange(10), np.arange(10)] = 0.5  # a few self-loops: they count in XᵀGX, XᵀDX
    g = {
        "scipy_sparse": scipy.sparse.csr_matrix(g_dense),
        "numpy_dense": g_dense,
        "dask_dense": da.from_array(g_dense, chunks=40),
    }[kind]
    xd = da.from_array(x, chunks=(30, 6))
    with dask.config.set(scheduler="synchronous"):
        ours = graph_statistics(xd, graph=g)
    ref = graph_statistics(x, graph=g_dense)
    _same(ours, ref, _atol(x, g_dense))


def test_single_compute_and_lazy_until_then(problem):
    from dask.callbacks import Callback

    starts = []

    class _Count(Callback):
        def _start(self, dsk):
            starts.append(len(dsk))

    x = problem
    xd = da.from_array(x, chunks=(20, 6)) * 1.0  # a lazy expression, not stored data
    with _Count(), dask.config.set(scheduler="synchronous"):
        stats = graph_statistics(xd, groups=np.tile(np.arange(60), 2))
    assert len(starts) == 1, f"expected one dask.compute, saw {len(starts)}"
    assert stats.laplacian.shape == (6, 6)


def test_integer_dask_input_is_promoted(problem):
    xi = da.from_array(np.arange(40).reshape(20, 2) % 7, chunks=(6, 2))
    with dask.config.set(scheduler="synchronous"):
        stats = graph_statistics(xi, groups=np.repeat(np.arange(10), 2))
    ref = graph_statistics(np.asarray(xi.compute(), dtype=np.float64), groups=np.repeat(np.arange(10), 2))
    assert stats.scatter.dtype == np.float64
    # integer data of size ≤ 6, 20 rows: summation bound N·eps·36 per entry, factor 4
    assert_close(stats.laplacian, ref.laplacian, atol=4 * 20 * EPS * 36 * 2, rtol=0)


def test_bad_dask_inputs(problem):
    xd = da.from_array(problem, chunks=(30, 6))
    with pytest.raises(ValueError, match=r"graph must be \(n_samples, n_samples\)"):
        graph_statistics(xd, graph=np.zeros((5, 5)))
    with pytest.raises(ValueError, match=r"groups must have shape \(n_samples,\)"):
        graph_statistics(xd, groups=np.arange(3))
    with pytest.raises(ValueError, match="x must be a 2-D array"):
        graph_statistics(da.ones(10, chunks=5), groups=np.arange(10))


def test_local_cluster_two_processes_equals_in_memory():
    distributed = pytest.importorskip("distributed")
    gen = np.random.default_rng(3)
    labels = gen.integers(0, 8, 4000)
    centres = 3.0 * gen.standard_normal((8, 16))
    x = centres[labels] + gen.standard_normal((4000, 16))
    groups = np.repeat(np.arange(2000), 2)  # two "views" per original, adjacent rows
    xd = da.from_array(x, chunks=(500, 16))
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        stats = graph_statistics(xd, groups=groups)
    ref = graph_statistics(x, groups=groups)
    ax = np.abs(x)
    # degree 1 everywhere: the summation bound of _atol with |x|ᵀ(I + D + |G|)|x| ≤ 3 max|x|ᵀ|x|
    _same(stats, ref, 4 * 4000 * EPS * 3 * float((ax.T @ ax).max()))
    # the closed forms solved locally from the cluster's statistics equal the in-memory ones
    # (statistics agree to ~N·eps relative; 4·sqrt(eps) covers the eigen-perturbation, gap ≫ 1e-6)
    rtol = default_rtol(np.float64)
    ours = vicreg_linear_weights_from_statistics(stats, n_components=4, invariance_weight=0.01)
    mem = vicreg_linear_weights(x, label_graph(groups, sparse=True), n_components=4, invariance_weight=0.01)
    assert_close(ours.loss, mem.loss, rtol=rtol)
    assert_close(ours.eigenvalues, mem.eigenvalues, rtol=rtol)
    assert_same_subspace(ours.weights, mem.weights, atol=rtol)
    cca = graph_cca_from_statistics(stats, n_components=3)
    assert_close(cca.eigenvalues, graph_cca_from_statistics(ref, n_components=3).eigenvalues, rtol=rtol)

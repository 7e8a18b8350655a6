"""Blocked (row-block, two-pass) exact route of ``pairwise_hsic`` == the one-pass route (spec §6.1)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import _backend
from ssltheory.independence import _hsic, hsic, pairwise_hsic
from ssltheory.testing import assert_close

EPS = float(np.finfo(np.float64).eps)


def _rounding_atol(n: int) -> float:
    # worst-case bound of a re-ordered sum of n² terms, each at most 4 in size after the 1/n²
    # normalisation (centred Gaussian/Laplacian Gram entries lie in [-2, 2]): 4 n² ε
    return 4.0 * n * n * EPS


def _embedding(rng: np.random.Generator, n: int, K: int) -> np.ndarray:
    u = rng.uniform(-1, 1, n)
    cols = [u, u**2, np.sin(3 * u) + 0.1 * rng.standard_normal(n)]
    cols += [rng.standard_normal(n) for _ in range(K - len(cols))]
    return np.stack(cols[:K], axis=1)


@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
@pytest.mark.parametrize("kernel", ["gaussian", "laplacian"])
@pytest.mark.parametrize("block_size", [1, 3, 7, 40])
def test_blocked_equals_one_pass(xp, rng, estimator, kernel, block_size):
    n, K = 37, 5
    H = xp.asarray(_embedding(rng, n, K))
    ref = pairwise_hsic(H, estimator=estimator, kernel=kernel)  # n K ≤ budget: one pass
    blk = pairwise_hsic(H, estimator=estimator, kernel=kernel, block_size=block_size)
    assert type(blk.matrix) is type(ref.matrix)
    assert_close(blk.matrix, ref.matrix, rtol=0.0, atol=_rounding_atol(n))
    assert blk.mean_offdiag == pytest.approx(ref.mean_offdiag, rel=0.0, abs=_rounding_atol(n))


@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
def test_blocked_equals_loop_of_pairs(xp, rng, estimator):
    # independent oracle: the two-variable estimator (full n×n Grams, _hsic_biased/_hsic_unbiased)
    n, K = 30, 4
    H = _embedding(rng, n, K)
    loop = np.array(
        [
            [hsic(xp.asarray(H[:, k]), xp.asarray(H[:, j]), estimator=estimator) for j in range(K)]
            for k in range(K)
        ]
    )
    blk = pairwise_hsic(xp.asarray(H), estimator=estimator, block_size=4)
    # loop and blocked sum the same n² terms in different orders: the rounding bound above
    assert_close(blk.matrix, xp.asarray(loop), rtol=0.0, atol=_rounding_atol(n))
    if estimator == "unbiased":
        # the unbiased estimator can be negative (never clamped); the biased one cannot
        assert float(np.min(loop)) < 0.0 or float(np.max(loop)) > 0.0
    else:
        assert float(xp.min(blk.matrix)) >= -_rounding_atol(n)


@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
def test_automatic_blocking_under_budget(xp, rng, monkeypatch, estimator):
    # a tiny element budget forces the automatic (block_size=None) blocked route
    n, K = 45, 6
    H = xp.asarray(_embedding(rng, n, K))
    ref = pairwise_hsic(H, estimator=estimator)
    monkeypatch.setattr(_hsic, "_CHUNK_ELEMENTS", n * K * 4)  # 4-row blocks
    got = pairwise_hsic(H, estimator=estimator)
    assert_close(got.matrix, ref.matrix, rtol=0.0, atol=_rounding_atol(n))
    got_n = pairwise_hsic(H, estimator=estimator, normalize=True)
    ref_d = _backend.to_numpy(ref.matrix)
    d = np.diag(ref_d)
    # normalisation divides by sqrt(T_kk T_ll) ≥ min(d): the absolute bound scales by 1/min(d)
    assert_close(
        got_n.matrix, xp.asarray(ref_d / np.sqrt(np.outer(d, d))), rtol=0.0, atol=_rounding_atol(n) / d.min()
    )


def test_blocked_memory_is_bounded(rng, monkeypatch):
    # the point of blocking: peak memory O(K b n) instead of O(K n²).  A fixed bandwidth keeps the
    # median rule (O(m²) on m = min(n, 2000) rows, independent of K) out of the measurement
    n, K, b = 600, 8, 6
    H = _embedding(rng, n, K)
    monkeypatch.setattr(_hsic, "_CHUNK_ELEMENTS", n * K * b)
    pairwise_hsic(H[:50], bandwidth=1.0)  # warm imports outside the measurement
    block = K * b * n * 8  # bytes of one (K, b, n) float64 block
    for estimator in ("biased", "unbiased"):
        tracemalloc.start()
        try:
            res = pairwise_hsic(H, bandwidth=1.0, estimator=estimator)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # temporaries of one block: (b, n, K) difference, its permuted square, exp, centred copy,
        # reshaped copies: measured ≈ 6 blocks; 10 blocks is still 1/10 of the K Grams (23 MB)
        assert peak < 10 * block <= K * n * n * 8 / 10
        ref = pairwise_hsic(H, bandwidth=1.0, estimator=estimator, block_size=n)  # one pass
        assert_close(res.matrix, ref.matrix, rtol=0.0, atol=_rounding_atol(n))


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(5, 24),
    K=st.integers(1, 4),
    block_size=st.integers(1, 30),
    estimator=st.sampled_from(["biased", "unbiased"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_block_size_is_irrelevant_property(n, K, block_size, estimator, seed):
    H = np.random.default_rng(seed).standard_normal((n, K))
    ref = pairwise_hsic(H, estimator=estimator).matrix
    got = pairwise_hsic(H, estimator=estimator, block_size=block_size).matrix
    assert_close(got, ref, rtol=0.0, atol=_rounding_atol(n))  # same n² sums, another order


def test_bad_arguments(xp):
    H = xp.asarray(np.random.default_rng(0).standard_normal((10, 3)))
    with pytest.raises(ValueError, match="block_size"):
        pairwise_hsic(H, block_size=0)
    with pytest.raises(TypeError, match="block_size"):
        pairwise_hsic(H, block_size=2.5)
    with pytest.raises(ValueError, match="estimator"):
        pairwise_hsic(H, estimator="jackknife")
    for kw in ({"method": "rff"}, {"kernel": "linear"}, {"test": True}):
        with pytest.raises(ValueError, match="unbiased"):
            pairwise_hsic(H, estimator="unbiased", **kw)
    with pytest.raises(ValueError, match="at least 4 samples"):
        pairwise_hsic(H[:3, :], estimator="unbiased")


def test_torch_blocked_matches_numpy(rng):
    torch = pytest.importorskip("torch")
    H = _embedding(rng, 33, 4)
    ref = _backend.to_numpy(pairwise_hsic(H).matrix)
    got = pairwise_hsic(torch.asarray(H), block_size=5).matrix
    assert isinstance(got, torch.Tensor)
    assert_close(_backend.to_numpy(got), ref, rtol=0.0, atol=_rounding_atol(33))

"""Theorem A: ‖C_kl‖_F² = tr(K̂_k H K̂_l H)/a² and D·c(Z) = cross-block + within-block (independence.md §4.1).

Symbolic at N = 3, K = 2, M = 2 with generic feature matrices Φ_k (any random-feature map gives
such blocks), then the derived Gram-side expression is compared with the library's
``covariance_decomposition`` (covariance side) and ``hsic(kernel="precomputed")``.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

N, K, M = 3, 2, 2


def _symbols():
    return [sp.Matrix(N, M, lambda n, m, k=k: sp.Symbol(f"f{k}_{n}{m}", real=True)) for k in range(K)]


def _sides(phis, a):
    h = sp.eye(N) - sp.ones(N, N) / N
    z = sp.Matrix.hstack(*phis)
    c = z.T * h * z / a
    blocks = [[c[k * M : (k + 1) * M, j * M : (j + 1) * M] for j in range(K)] for k in range(K)]
    grams = [p * p.T for p in phis]
    lhs = [[sum(x**2 for x in blocks[k][j]) for j in range(K)] for k in range(K)]
    rhs = [[(grams[k] * h * grams[j] * h).trace() / a**2 for j in range(K)] for k in range(K)]
    return c, lhs, rhs


@pytest.mark.parametrize("a", [N, N - 1])
def test_covariance_identity_symbolic(a):
    phis = _symbols()
    c, lhs, rhs = _sides(phis, a)
    for k in range(K):
        for j in range(K):
            assert sp.expand(lhs[k][j] - rhs[k][j]) == 0
    # the off-diagonal mass splits into cross-block HSIC terms and within-block off-diagonals
    total = sum(c[i, j] ** 2 for i in range(K * M) for j in range(K * M) if i != j)
    cross = sum(rhs[k][j] for k in range(K) for j in range(K) if k != j)
    within = sum(rhs[k][k] - sum(c[k * M + m, k * M + m] ** 2 for m in range(M)) for k in range(K))
    assert sp.expand(total - cross - within) == 0


def test_covariance_identity_matches_library(xp, rng):
    from ssltheory import _backend
    from ssltheory.independence import covariance_decomposition, hsic

    phis = _symbols()
    _, _, rhs = _sides(phis, N - 1)
    free = [s for p in phis for s in p]
    f = sp.lambdify(free, sp.Matrix(rhs), "numpy")
    for _ in range(3):
        vals = [rng.standard_normal((N, M)) for _ in range(K)]
        derived = np.asarray(f(*[v for p in vals for v in p.ravel()]), dtype=float)
        z = xp.asarray(np.hstack(vals))
        dec = covariance_decomposition(z, K, M, ddof=1)
        # sums of ≤ 64 products of O(1) numbers: rounding ≤ 64·eps relative; 1e-12 is generous
        np.testing.assert_allclose(_backend.to_numpy(dec.pair_matrix), derived, rtol=1e-12, atol=1e-14)
        g = [xp.asarray(v @ v.T) for v in vals]
        assert hsic(g[0], g[1], kernel="precomputed", ddof=1) == pytest.approx(derived[0, 1], rel=1e-12)

"""Barlow Twins: the left/right listing equals the matrix form (spectral.md §2.4, §5 item 2).

For a 0/1 graph, ``r, c = nonzero(G)``, ``left = Z[r]``, ``right = Z[c]`` give
``leftᵀ right = Zᵀ G Z`` and ``‖left_{·k}‖² = ‖right_{·k}‖² = (Zᵀ D_G Z)_kk``, hence
``C_kl = (ZᵀGZ)_kl / (sqrt(d_k d_l) + ε)``. Proved symbolically on the spec's example graph
(a, b, c mutually related, d, e related) with a symbolic ``Z``; the lambdified listing loss is
then compared with ``barlow_twins_loss``.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

N, K = 5, 2
EDGES = [(0, 1), (0, 2), (1, 2), (3, 4)]  # spec §2.4: a, b, c mutually related; d, e related


def _graph() -> np.ndarray:
    g = np.zeros((N, N))
    for i, j in EDGES:
        g[i, j] = g[j, i] = 1.0
    return g


def _listing(z):
    g = _graph()
    r, c = np.nonzero(g)
    assert list(r) == [0, 0, 1, 1, 2, 2, 3, 4]  # X_left = [a, a, b, b, c, c, d, e] as in the spec
    assert list(c) == [1, 2, 0, 2, 0, 1, 4, 3]  # X_right = [b, c, a, c, a, b, e, d]
    left = sp.Matrix([list(z.row(int(i))) for i in r])
    right = sp.Matrix([list(z.row(int(i))) for i in c])
    return left, right


def _z():
    return sp.Matrix(N, K, lambda i, k: sp.Symbol(f"z_{i}{k}", real=True))


def test_barlow_twins_matrix_form_symbolic():
    z = _z()
    g = sp.Matrix(_graph().astype(int))
    deg = sp.diag(*[sum(g.row(i)) for i in range(N)])
    left, right = _listing(z)
    assert sp.expand(left.T * right - z.T * g * z) == sp.zeros(K, K)
    zdz = z.T * deg * z
    for k in range(K):
        assert sp.expand(sum(left[:, k].applyfunc(lambda v: v**2)) - zdz[k, k]) == 0
        assert sp.expand(sum(right[:, k].applyfunc(lambda v: v**2)) - zdz[k, k]) == 0


def test_barlow_twins_matrix_form_matches_library(xp, rng):
    from ssltheory.losses import barlow_twins_loss

    z = _z()
    left, right = _listing(z)
    alpha = sp.Rational(3, 5)
    nl = [sp.sqrt(sum(left[:, k].applyfunc(lambda v: v**2))) for k in range(K)]
    nr = [sp.sqrt(sum(right[:, k].applyfunc(lambda v: v**2))) for k in range(K)]
    cross = left.T * right
    c = sp.Matrix(K, K, lambda i, j: cross[i, j] / (nl[i] * nr[j]))
    loss = sum((c[k, k] - 1) ** 2 for k in range(K)) + alpha * sum(
        c[i, j] ** 2 for i in range(K) for j in range(K) if i != j
    )
    free = list(z)
    f = sp.lambdify(free, loss, "numpy")
    for _ in range(5):
        zz = rng.standard_normal((N, K))
        want = float(f(*zz.ravel()))
        got = float(barlow_twins_loss(xp.asarray(zz), xp.asarray(_graph()), redundancy_weight=0.6, eps=0.0))
        # O(N K²) float64 operations on O(1) numbers, loss O(K²): a few hundred eps is generous
        assert abs(got - want) <= 256 * np.finfo(np.float64).eps * max(1.0, abs(want))

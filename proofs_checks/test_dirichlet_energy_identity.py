"""Dirichlet energy: Σ_ij G_ij ‖z_i − z_j‖² = 2 Tr(Zᵀ L Z), L = D_G − G (spectral.md §2.2, §5 item 1).

Symbolic at N = 4, K = 2 with a generic symmetric G (diagonal included: it cancels on both sides),
then the derived right-hand side is compared with the library's ``graph_laplacian``.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

N, K = 4, 2


def _symbols():
    g = sp.Matrix(N, N, lambda i, j: sp.Symbol(f"g_{min(i, j)}{max(i, j)}", nonnegative=True))
    z = sp.Matrix(N, K, lambda i, k: sp.Symbol(f"z_{i}{k}", real=True))
    return g, z


def _sides(g, z):
    lhs = sum(g[i, j] * sum((z[i, k] - z[j, k]) ** 2 for k in range(K)) for i in range(N) for j in range(N))
    lap = sp.diag(*[sum(g[i, j] for j in range(N)) for i in range(N)]) - g
    rhs = 2 * (z.T * lap * z).trace()
    return lhs, rhs, lap


def test_dirichlet_energy_symbolic():
    g, z = _symbols()
    lhs, rhs, lap = _sides(g, z)
    assert sp.expand(lhs - rhs) == 0
    # the Laplacian's diagonal does not depend on G's diagonal (it cancels): ∂L_ii/∂g_ii = 0
    for i in range(N):
        assert sp.diff(lap[i, i], g[i, i]) == 0


def test_dirichlet_energy_matches_library(xp, rng):
    from ssltheory import _backend
    from ssltheory.graphs import graph_laplacian

    g_sym, z_sym = _symbols()
    lhs, _, lap_sym = _sides(g_sym, z_sym)
    free = sorted(set(g_sym) | set(z_sym), key=str)
    f_lhs = sp.lambdify(free, lhs, "numpy")
    f_lap = sp.lambdify(free, lap_sym, "numpy")
    for _ in range(5):
        g = rng.uniform(0, 2, (N, N))
        g = (g + g.T) / 2  # a diagonal is kept on purpose
        z = rng.standard_normal((N, K))
        values = {str(s): None for s in free}
        for i in range(N):
            for j in range(N):
                values[f"g_{min(i, j)}{max(i, j)}"] = g[i, j]
            for k in range(K):
                values[f"z_{i}{k}"] = z[i, k]
        args = [values[str(s)] for s in free]
        lap = _backend.to_numpy(graph_laplacian(xp.asarray(g)))
        eps = np.finfo(np.float64).eps
        # few-term sums of O(1) numbers: a handful of ulps, N·eps·max|L| is generous
        np.testing.assert_allclose(lap, np.asarray(f_lap(*args), dtype=float), rtol=0, atol=N * eps * 4)
        lib_rhs = 2.0 * float(np.sum(z * (lap @ z)))
        assert abs(lib_rhs - f_lhs(*args)) <= 4 * N * N * K * eps * max(1.0, abs(lib_rhs))

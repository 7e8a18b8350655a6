"""Optimality conditions of the VIC-hard closed form in the kernel regime (kernel.md §3.3).

Problem: min Tr(Z L Zᵀ) + ρ Tr(Z K⁻¹ Zᵀ) s.t. (1/N) Z Zᵀ = I_d. Symbolic at N = 3, d = 2 with
generic symmetric L, S = K⁻¹ and multiplier Ω: the gradient of the Lagrangian
Tr(Z(L + ρS)Zᵀ) − Tr(Ω((1/N)ZZᵀ − I)) is 2Z(L + ρS) − (2/N)ΩZ, and multiplying the stationarity
condition by Zᵀ under the constraint gives Ω = Z(L + ρS)Zᵀ. The library's solution must satisfy
the derived first-order condition with that multiplier, the constraint, and the second-order
condition (its multipliers are the bottom-d eigenvalues times N).
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

N, D = 3, 2


def _sym(name, n):
    return sp.Matrix(n, n, lambda i, j: sp.Symbol(f"{name}_{min(i, j)}{max(i, j)}", real=True))


def _lagrangian_gradient():
    lap, s, om = _sym("l", N), _sym("s", N), _sym("w", D)
    z = sp.Matrix(D, N, lambda k, i: sp.Symbol(f"z_{k}{i}", real=True))
    rho = sp.Symbol("rho", positive=True)
    lag = (z * (lap + rho * s) * z.T).trace() - (om * (z * z.T / N - sp.eye(D))).trace()
    grad = sp.Matrix(D, N, lambda k, i: sp.diff(lag, z[k, i]))
    return lap, s, om, z, rho, grad


def test_kernel_vicreg_optimality_symbolic():
    lap, s, om, z, rho, grad = _lagrangian_gradient()
    derived = 2 * z * (lap + rho * s) - sp.Rational(2, N) * om * z
    assert sp.expand(grad - derived) == sp.zeros(D, N)
    # stationarity × Zᵀ: 2 Z M Zᵀ − (2/N) Ω Z Zᵀ; with Z Zᵀ = N I this vanishes iff Ω = Z M Zᵀ
    m = lap + rho * s
    zzt = z * z.T
    assert sp.expand(derived * z.T - (2 * z * m * z.T - sp.Rational(2, N) * om * zzt)) == sp.zeros(D, D)


def test_kernel_vicreg_optimality_matches_library(xp, rng):
    from ssltheory import _backend
    from ssltheory.kernel import kernel_ssl_solve, rbf_kernel

    lap_s, s_s, om_s, z_s, rho_s, grad = _lagrangian_gradient()
    args = [*sorted(set(lap_s) | set(s_s) | set(om_s) | set(z_s), key=str), rho_s]
    fn = sp.lambdify(args, grad, "numpy")
    eps = np.finfo(float).eps
    for _ in range(3):
        x = rng.standard_normal((N, 2))
        g = rng.uniform(0.1, 1.0, (N, N))
        g = np.triu(g, 1) + np.triu(g, 1).T
        lap = np.diag(g.sum(1)) - g
        k = rbf_kernel(x, bandwidth=1.0)
        rho = 0.1
        sol = kernel_ssl_solve(xp.asarray(k), xp.asarray(g), n_components=D, ridge=rho)
        z = _backend.to_numpy(sol.embedding).T
        kinv = np.linalg.inv(k)
        om = z @ (lap + rho * kinv) @ z.T  # the derived multiplier
        values = {}
        for name, mat in (("l", lap), ("s", kinv), ("w", om)):
            for i in range(mat.shape[0]):
                for j in range(i, mat.shape[0]):
                    values[f"{name}_{i}{j}"] = mat[i, j]
        for kk in range(D):
            for i in range(N):
                values[f"z_{kk}{i}"] = z[kk, i]
        vals = [values[str(a)] for a in args[:-1]] + [rho]
        grad_val = np.asarray(fn(*vals), dtype=float)
        scale = np.abs(z).max() * np.abs(lap + rho * kinv).max()
        cond = np.linalg.cond(k)
        # first order: rounding of Z (cond(K)·eps through the ridge term) times ‖L + ρK⁻¹‖
        assert np.abs(grad_val).max() <= 1e3 * N * eps * cond * scale
        assert np.abs(z @ z.T / N - np.eye(D)).max() <= 1e3 * N * eps  # the constraint
        # second order (Ky Fan): the multipliers are N × the bottom-d eigenvalues of L + ρK⁻¹
        w = np.linalg.eigvalsh(lap + rho * kinv)
        assert np.abs(np.sort(np.linalg.eigvalsh(om)) - N * w[:D]).max() <= 1e3 * N * eps * cond * N * w.max()

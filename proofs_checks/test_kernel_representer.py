"""Representer reduction and the induced-kernel formula (kernel.md §3.0, §4 items 1, 8).

Symbolic at N = 2 training views, feature space R³, d = 1, with an explicit feature matrix
F (columns φ(x_i)), so K = FᵀF: any W = C Fᵀ + W_⊥ with W_⊥ F = 0 gives Z = W F = C K and
‖W‖² = Tr(C K Cᵀ) + ‖W_⊥‖²; with C = Z K⁻¹ the induced kernel is k_xᵀ K⁻¹ M K⁻¹ k_x' and
f(x_i) = z_i. Then the derived formula is lambdified and compared with the library.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

N, P, D = 2, 3, 1


def _symbols():
    f = sp.Matrix(P, N, lambda a, i: sp.Symbol(f"f_{a}{i}", real=True))
    c = sp.Matrix(D, N, lambda k, i: sp.Symbol(f"c_{k}{i}", real=True))
    g = sp.Matrix(D, P, lambda k, a: sp.Symbol(f"g_{k}{a}", real=True))
    phi = sp.Matrix(P, 1, lambda a, _: sp.Symbol(f"p_{a}", real=True))
    phi2 = sp.Matrix(P, 1, lambda a, _: sp.Symbol(f"q_{a}", real=True))
    return f, c, g, phi, phi2


def test_kernel_representer_symbolic():
    f, c, g, phi, phi2 = _symbols()
    k = f.T * f
    adj, det = k.adjugate(), k.det()  # K⁻¹ = adj(K)/det(K): identities become polynomial (fast expand)
    assert sp.expand(k * adj - det * sp.eye(N)) == sp.zeros(N, N)
    w_perp = g * (det * sp.eye(P) - f * adj * f.T)  # det·G(I − F K⁻¹ Fᵀ): W_⊥ F = 0
    assert sp.expand(w_perp * f) == sp.zeros(D, N)
    w = c * f.T + w_perp
    assert sp.expand(w * f - c * k) == sp.zeros(D, N)  # Z = W F = C K
    # ‖W‖² = ‖CFᵀ‖² + 2 Tr(C Fᵀ W_⊥ᵀ) + ‖W_⊥‖², with ‖CFᵀ‖² = Tr(CKCᵀ) and a vanishing cross term
    assert sp.expand(((c * f.T) * (c * f.T).T).trace() - (c * k * c.T).trace()) == 0
    assert sp.expand((c * f.T * w_perp.T).trace()) == 0
    # induced kernel of the minimum-norm map (W_⊥ = 0): f(x) = C Fᵀφ(x) = C k_x, and K⁻¹Zᵀ = Cᵀ
    # (adj(K)·(CK)ᵀ = det(K)·Cᵀ), hence k_xᵀ K⁻¹ M K⁻¹ k_x' = (C k_x)ᵀ(C k_x') = f(x)ᵀ f(x')
    z = c * k
    kx, ky = f.T * phi, f.T * phi2
    assert sp.expand(adj * z.T - det * c.T) == sp.zeros(N, D)
    assert sp.expand((c * f.T * phi).T * (c * f.T * phi2) - (c * kx).T * (c * ky)) == sp.zeros(1, 1)
    # training points: k_{x_i} = K e_i, so f(x_i) = z_i
    for i in range(N):
        assert sp.expand(c * k[:, i] - z[:, i]) == sp.zeros(D, 1)


def test_kernel_representer_matches_library(xp, rng):
    from ssltheory import _backend
    from ssltheory.graphs import label_graph
    from ssltheory.kernel import induced_kernel, kernel_ssl_solve, rbf_kernel

    kx_s = sp.Matrix(4, 1, lambda i, _: sp.Symbol(f"a_{i}", real=True))
    ky_s = sp.Matrix(4, 1, lambda i, _: sp.Symbol(f"b_{i}", real=True))
    kinv_s = sp.Matrix(4, 4, lambda i, j: sp.Symbol(f"k_{i}{j}", real=True))
    m_s = sp.Matrix(4, 4, lambda i, j: sp.Symbol(f"m_{i}{j}", real=True))
    expr = (kx_s.T * kinv_s * m_s * kinv_s * ky_s)[0, 0]
    f_sym = sp.lambdify([list(kx_s), list(ky_s), list(kinv_s), list(m_s)], expr, "numpy")

    def fn(kx, ky, kinv, m):
        return f_sym(list(kx), list(ky), list(kinv.ravel()), list(m.ravel()))

    for _ in range(3):
        x = rng.standard_normal((4, 2))
        xt = rng.standard_normal((2, 2))
        k = rbf_kernel(x, bandwidth=1.0)
        kt = rbf_kernel(x, xt, bandwidth=1.0)
        sol = kernel_ssl_solve(xp.asarray(k), label_graph(xp.asarray(np.array([0, 1, 0, 1]))), n_components=2)
        lib = _backend.to_numpy(induced_kernel(sol.coef, xp.asarray(kt)))
        m = _backend.to_numpy(sol.train_gram)
        kinv = np.linalg.inv(k)
        derived = np.array([[fn(kt[:, s], kt[:, t], kinv, m) for t in range(2)] for s in range(2)])
        # both sides go through K⁻¹: rounding ~ cond(K)·N·eps, constant 10³ for the GEMMs/eigh
        tol = 1e3 * 4 * np.finfo(float).eps * np.linalg.cond(k) * max(1.0, np.abs(derived).max())
        assert np.max(np.abs(lib - derived)) <= tol

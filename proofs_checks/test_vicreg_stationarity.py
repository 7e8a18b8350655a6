"""VICReg closed form: first-order conditions (spectral.md §4.2a–b, §5 items 4 and 7).

Symbolic at N = 4, K = 2, ddof = 1 (M = 3, γ' = 3γ/4) with a generic Laplacian-like operator
L = λ₁u₁u₁ᵀ + λ₂u₂u₂ᵀ + λ₃u₃u₃ᵀ, (u₁, u₂, u₃) a rational orthonormal basis of 1⊥ (Hadamard
rows, the first two rotated by the Cayley angle of t = 2/7, λ₃ = 5/2: fixed generic rationals, which
keep the exact cancellation fast). The loss is written from its definition (variance,
off-diagonal covariance, pairwise invariance Σ G_ij ‖z_i − z_j‖² with G_ij = −L_ij), not from the
trace form the solver uses:

- β ≥ α form: Z* = √M [u₁ u₂] diag(√c), c_k = 1 − γ'λ_k/α: ∇L(Z*) = 0 for every α, β, γ;
- α > β form: Z* = √M [u₁ u₂] diag(√c) R, R the Givens rotation by π/4 (equal diagonal),
  c the fixed point c_k = (α − (α−β)S/K − γ'λ_k)/β: ∇L(Z*) = 0.

The eigenvalues are parametrised through the singular values of Z*, so every expression is rational.
``…_matches_library`` lambdifies c and the optimal loss and compares with ``vicreg_embedding``.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

N, K = 4, 2
M = N - 1


def _basis(t):
    """Rational orthonormal basis of 1⊥ in R⁴ (Hadamard rows), the first two rotated by the
    Cayley angle of ``t`` (cos = (1−t²)/(1+t²), sin = 2t/(1+t²)): no square roots anywhere."""
    h1 = sp.Matrix([1, -1, 1, -1]) / 2
    h2 = sp.Matrix([1, 1, -1, -1]) / 2
    h3 = sp.Matrix([1, -1, -1, 1]) / 2
    co, si = (1 - t**2) / (1 + t**2), 2 * t / (1 + t**2)
    return co * h1 + si * h2, -si * h1 + co * h2, h3


def _loss(z, lap, alpha, beta, gamma):
    h = sp.eye(N) - sp.ones(N, N) / N
    cov = z.T * h * z / M
    var = sum((1 - cov[k, k]) ** 2 for k in range(K))
    off = sum(cov[k, j] ** 2 for k in range(K) for j in range(K) if k != j)
    g = -lap  # off-diagonal weights; the diagonal cancels in ‖z_i − z_j‖² (i = j terms vanish)
    inv = sum(
        g[i, j] * sum((z[i, k] - z[j, k]) ** 2 for k in range(K))
        for i in range(N)
        for j in range(N)
        if i != j
    )
    return alpha * var + beta * off + gamma / N * inv


def _gradient_at(z_star, lap, alpha, beta, gamma):
    """∇_Z of the loss at ``z_star``: differentiated with symbolic Z and L entries (a polynomial),
    then evaluated; every component is reduced to a canonical rational function."""
    zs = sp.Matrix(N, K, lambda i, k: sp.Symbol(f"z_{i}{k}", real=True))
    ls = sp.Matrix(N, N, lambda i, j: sp.Symbol(f"l_{min(i, j)}{max(i, j)}", real=True))
    loss = _loss(zs, ls, alpha, beta, gamma)
    subs = {zs[i, k]: z_star[i, k] for i in range(N) for k in range(K)}
    subs.update({ls[i, j]: lap[i, j] for i in range(N) for j in range(N)})
    return [sp.cancel(sp.diff(loss, zs[i, k]).xreplace(subs)) for i in range(N) for k in range(K)]


def _symbols():
    alpha, beta, gamma = sp.symbols("alpha beta gamma", positive=True)
    s1, s2, t, l3 = sp.symbols("s1 s2 t l3", positive=True)
    return alpha, beta, gamma, s1, s2, t, l3


def _laplacian(lam, basis):
    return sum((lk * u * u.T for lk, u in zip(lam, basis, strict=True)), sp.zeros(N, N))


def test_vicreg_stationarity_symbolic():
    alpha, beta, gamma, s1, s2, *_ = _symbols()
    t, l3 = sp.Rational(2, 7), sp.Rational(5, 2)
    gp = gamma * sp.Rational(M, N)
    u1, u2, u3 = _basis(t)
    u = sp.Matrix.hstack(u1, u2)
    assert sp.cancel((u.T * u - sp.eye(K))[0, 1]) == 0
    assert all(sp.cancel(e) == 0 for e in (u.T * u - sp.eye(K)))

    # β >= α form: Z* = U diag(σ), c_k = σ_k²/M, λ_k from c_k = 1 − γ'λ_k/α (λ₃ arbitrary)
    c = [s1**2 / M, s2**2 / M]
    lam = [alpha * (1 - ck) / gp for ck in c] + [l3]
    lap = _laplacian(lam, (u1, u2, u3))
    assert all(sp.cancel(e) == 0 for e in lap * sp.ones(N, 1))  # L1 = 0
    z_star = u * sp.diag(s1, s2)
    assert all(g == 0 for g in _gradient_at(z_star, lap, alpha, beta, gamma))

    # α > β form: Z* = U diag(τ) [[1, −1], [1, 1]] (Givens by π/4, τ = σ/√2), c_k = 2τ_k²/M,
    # λ_k from the fixed point c_k = (α − (α−β)S/K − γ'λ_k)/β
    c = [2 * s1**2 / M, 2 * s2**2 / M]
    big_s = c[0] + c[1]
    lam = [(alpha - (alpha - beta) * big_s / K - beta * ck) / gp for ck in c] + [l3]
    lap = _laplacian(lam, (u1, u2, u3))
    z_star = u * sp.diag(s1, s2) * sp.Matrix([[1, -1], [1, 1]])
    cov = z_star.T * (sp.eye(N) - sp.ones(N, N) / N) * z_star / M
    assert sp.cancel(cov[0, 0] - cov[1, 1]) == 0  # equal diagonal S/K
    assert sp.cancel(cov[0, 0] - big_s / K) == 0
    assert all(g == 0 for g in _gradient_at(z_star, lap, alpha, beta, gamma))
    # without the rotation (diagonal Cov) the α > β point is NOT stationary: R matters
    point = {
        alpha: 3,
        beta: 1,
        gamma: 1,
        s1: sp.Rational(9, 10),
        s2: sp.Rational(1, 2),
        t: sp.Rational(1, 3),
        l3: 2,
    }
    grads = _gradient_at(u * sp.diag(s1, s2) * sp.sqrt(2), lap, alpha, beta, gamma)
    assert any(sp.nsimplify(g.subs(point)) != 0 for g in grads)


def test_vicreg_stationarity_matches_library(xp, rng):
    from ssltheory.spectral import vicreg_embedding

    alpha, beta, gamma, *_ = _symbols()
    n3 = 3  # the library comparison uses 3-node graphs (K = 2 = N − 1)
    l1, l2 = sp.symbols("l1 l2", nonnegative=True)
    gp = gamma * sp.Rational(n3 - 1, n3)
    # β >= α: c and the optimal loss α Σ (1 − c²) (both directions kept)
    c_sq = [1 - gp * lam / alpha for lam in (l1, l2)]
    loss_sq = alpha * sum(1 - c**2 for c in c_sq)
    # α > β: solve the linear fixed-point system (both active)
    c1, c2 = sp.symbols("c1 c2")
    sol = sp.solve(
        [beta * ck + (alpha - beta) * (c1 + c2) / K - alpha + gp * lam for ck, lam in ((c1, l1), (c2, l2))],
        [c1, c2],
    )
    c_fp = [sol[c1], sol[c2]]
    s_fp = c_fp[0] + c_fp[1]
    loss_fp = (
        alpha * K
        - 2 * alpha * s_fp
        + beta * (c_fp[0] ** 2 + c_fp[1] ** 2)
        + (alpha - beta) * s_fp**2 / K
        + 2 * gp * (c_fp[0] * l1 + c_fp[1] * l2)
    )
    args = (alpha, beta, gamma, l1, l2)
    f_sq = sp.lambdify(args, [*c_sq, loss_sq], "numpy")
    f_fp = sp.lambdify(args, [*c_fp, loss_fp], "numpy")
    eps = np.finfo(np.float64).eps
    for _ in range(4):
        w = rng.uniform(0.2, 1.0, 3)
        g = np.array([[0, w[0], w[1]], [w[0], 0, w[2]], [w[1], w[2], 0]])
        lam = np.linalg.eigvalsh(np.diag(g.sum(1)) - g)[1:]
        for a, b, f in ((1.0, 2.0, f_sq), (3.0, 1.0, f_fp)):
            gam = 0.3 * a / lam[1]  # γ'λ₂ well below α: both directions active in both forms
            *c_ref, loss_ref = f(a, b, gam, lam[0], lam[1])
            lib = vicreg_embedding(
                xp.asarray(g), n_components=2, variance_weight=a, covariance_weight=b, invariance_weight=gam
            )
            scales = np.asarray([float(v) for v in lib.scales])
            assert np.all(np.asarray(c_ref) > 0)
            # eigenvalues of a 3×3 L to a few ulps, propagated through O(1) rational expressions
            np.testing.assert_allclose(scales, np.asarray(c_ref, dtype=float), rtol=0, atol=1e3 * eps)
            assert abs(lib.loss - float(loss_ref)) <= 1e3 * eps * max(1.0, abs(float(loss_ref)))

"""The gradient identity of linear InfoNCE, ∇_W L = W Q(W) (Jing et al., arXiv:2110.09348, Lemma 2).

Symbolic layer: (i) the loss of the normalised embeddings is invariant to W → cW (so the gradient is
orthogonal to W), written out with every entry at a tiny size; (ii) the pair-sum rearrangement behind
Q = (C_pos − C_neg + R)/τ, for a generic symmetric zero-diagonal B and generic cosines. Library
layer: sympy's gradient of the written-out loss at a seeded point against
``infonce_linear_gradient``.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")


def _loss(x, w, g, tau):
    """Paper-convention SimCLR loss, every entry written out (x: list of input rows, w: sympy Matrix)."""
    z = [w * sp.Matrix(row) for row in x]
    u = [zi / sp.sqrt((zi.T * zi)[0, 0]) for zi in z]
    n = len(x)
    s = [[(u[i].T * u[j])[0, 0] / tau for j in range(n)] for i in range(n)]
    total = 0
    for i in range(n):
        lse = sp.log(sum(sp.exp(s[i][k]) for k in range(n) if k != i))
        for j in range(n):
            if g[i][j]:
                total += g[i][j] * (lse - s[i][j])
    return total


def test_scale_invariance_symbolic():
    c = sp.Symbol("c", positive=True)
    tau = sp.Symbol("tau", positive=True)
    w = sp.Matrix(2, 2, sp.symbols("w0:4", real=True))
    x = [[1, 0], [0, 1], [1, 1]]
    g = [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    z = [w * sp.Matrix(row) for row in x]
    zc = [c * zi for zi in z]
    # unit vectors are unchanged by the scale: u(cz) = u(z) for c > 0, entry by entry
    for a, b in zip(z, zc, strict=True):
        diff = b / sp.sqrt((b.T * b)[0, 0]) - a / sp.sqrt((a.T * a)[0, 0])
        assert all(sp.simplify(e) == 0 for e in diff)
    assert sp.simplify(_loss(x, c * w, g, tau) - _loss(x, w, g, tau)) == 0


def test_pair_sum_rearrangement_symbolic():
    """Σ_{i≠j} B_ij a_i a_j − Σ_i (Σ_k B_ik c_ik) a_i²
    = −½ Σ_ij B_ij (a_i − a_j)² + Σ_i Σ_k B_ik (1 − c_ik) a_i²
    (scalar inputs suffice: the matrix identity is this one applied to vᵀx̃ for every v)."""
    n = 4
    b = sp.zeros(n, n)
    cos = sp.zeros(n, n)
    for i in range(n):
        for j in range(i + 1, n):
            b[i, j] = b[j, i] = sp.Symbol(f"b{i}{j}")
            cos[i, j] = cos[j, i] = sp.Symbol(f"c{i}{j}")
    a = sp.symbols(f"a0:{n}")
    lhs = sum(b[i, j] * a[i] * a[j] for i in range(n) for j in range(n) if i != j) - sum(
        sum(b[i, k] * cos[i, k] for k in range(n)) * a[i] ** 2 for i in range(n)
    )
    rhs = -sp.Rational(1, 2) * sum(b[i, j] * (a[i] - a[j]) ** 2 for i in range(n) for j in range(n)) + sum(
        sum(b[i, k] * (1 - cos[i, k]) for k in range(n)) * a[i] ** 2 for i in range(n)
    )
    assert sp.expand(lhs - rhs) == 0


def test_gradient_identity_matches_library(rng_seed):
    from ssltheory.dynamics._collapse import infonce_linear_gradient

    rng = np.random.default_rng(rng_seed)
    x = rng.integers(-3, 4, (4, 3)).astype(float)
    x[np.all(x == 0, axis=1)] = 1.0
    g = [[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]  # two views of two originals
    tau = sp.Rational(1, 2)
    syms = sp.symbols("w0:6", real=True)
    w = sp.Matrix(2, 3, syms)
    loss = _loss([[sp.Integer(int(v)) for v in row] for row in x], w, g, tau)
    w0 = rng.standard_normal((2, 3))
    point = dict(zip(syms, w0.ravel(), strict=True))
    grad = np.array([float(sp.diff(loss, s).evalf(subs=point)) for s in syms]).reshape(2, 3)
    got = infonce_linear_gradient(x, w0, np.array(g, dtype=float), temperature=0.5)
    np.testing.assert_allclose(got, grad, rtol=1e-10, atol=1e-12)

"""Stepwise learning in linear Barlow Twins (arXiv:2303.15438): the logistic closed form.

Symbolic, at d = 2 embedding dimensions and m = 3 features, for L(W) = ‖WΓWᵀ − I‖²_F:

- the gradient is ∇L = 4(C − I)WΓ with C = WΓWᵀ (every entry of W and Γ a symbol);
- at an aligned W = U S Vᵀ (U, V rational orthogonal matrices from Cayley transforms, Γ = V Λ Vᵀ)
  the negative gradient is U diag(−4λ_j s_j(λ_j s_j² − 1)) V_dᵀ: the flow stays aligned, each s_j
  obeys its own ODE;
- y(t) = y₀e^{8λt}/(1 + λy₀(e^{8λt} − 1)) solves ẏ = 8λy(1 − λy), y(0) = y₀ (y = s², c = λy):
  the logit of c grows at exactly 8λ, which gives the learning time
  t(θ) = [logit θ − logit c₀]/(8λ);
- one gradient-descent step of size η multiplies c by (1 + x(1 − c))², x = 4ηλ; its logit
  increment is 2x + x²(3c − 1) + O(x³): the discretisation lag the claims' tolerances use.

``…_matches_library`` lambdifies y(t) and t(θ) and compares them with
:func:`ssltheory.dynamics._stepwise.stepwise_trajectory` / ``stepwise_learning_times``.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")


def _cayley(entries):
    """Rational orthogonal matrix (I − S)(I + S)⁻¹ from the strictly upper entries of a skew S."""
    n = round((1 + (1 + 8 * len(entries)) ** 0.5) / 2)
    s = sp.zeros(n, n)
    it = iter(entries)
    for i in range(n):
        for j in range(i + 1, n):
            v = next(it)
            s[i, j], s[j, i] = v, -v
    eye = sp.eye(n)
    return (eye - s) * (eye + s).inv()


def _loss(w, gamma):
    c = w * gamma * w.T
    r = c - sp.eye(w.shape[0])
    return sum(r[i, j] ** 2 for i in range(r.shape[0]) for j in range(r.shape[1]))


def test_gradient_symbolic():
    d, m = 2, 3
    w = sp.Matrix(d, m, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))
    g = sp.Matrix(m, m, lambda i, j: sp.Symbol(f"g_{min(i, j)}{max(i, j)}", real=True))
    loss = _loss(w, g)
    grad = sp.Matrix(d, m, lambda i, j: sp.diff(loss, w[i, j]))
    c = w * g * w.T
    expected = 4 * (c - sp.eye(d)) * w * g
    assert sp.expand(grad - expected) == sp.zeros(d, m)


def test_aligned_flow_decouples_symbolic():
    d, m = 2, 3
    v = _cayley([sp.Rational(1, 3), sp.Rational(-2, 5), sp.Rational(1, 7)])
    u = _cayley([sp.Rational(2, 9)])
    assert v.T * v == sp.eye(m)
    assert u.T * u == sp.eye(d)
    lam = sp.symbols("lambda1:4", real=True)
    s = sp.symbols("s1:3", positive=True)
    gamma = v * sp.diag(*lam) * v.T
    vd = v[:, :d]
    w = u * sp.diag(*s) * vd.T
    # the gradient formula is proven by test_gradient_symbolic; entries are polynomials in λ, s
    # with rational coefficients, so expand() decides equality
    neg_grad = -4 * (w * gamma * w.T - sp.eye(d)) * w * gamma
    rates = [-4 * lam[j] * s[j] * (lam[j] * s[j] ** 2 - 1) for j in range(d)]
    expected = u * sp.diag(*rates) * vd.T
    assert sp.expand(neg_grad - expected) == sp.zeros(d, m)


def test_logistic_solution_symbolic():
    t, lam, y0 = sp.symbols("t lambda y0", real=True)
    e = sp.exp(8 * lam * t)
    y = y0 * e / (1 + lam * y0 * (e - 1))
    assert sp.simplify(sp.diff(y, t) - 8 * lam * y * (1 - lam * y)) == 0
    assert sp.simplify(y.subs(t, 0) - y0) == 0
    c = lam * y
    c0 = lam * y0
    logit_gap = sp.log(c / (1 - c)) - sp.log(c0 / (1 - c0))
    # logit c(t) − logit c(0) = 8λt: compare after exponentiating (no branch choices needed)
    assert sp.simplify(sp.exp(logit_gap) - sp.exp(8 * lam * t)) == 0
    theta = sp.Symbol("theta", positive=True)
    t_theta = (sp.log(theta / (1 - theta)) - sp.log(c0 / (1 - c0))) / (8 * lam)
    assert sp.simplify(c.subs(t, t_theta) - theta) == 0


def test_gradient_descent_logit_increment_symbolic():
    x, c = sp.symbols("x c", positive=True)
    c_next = c * (1 + x * (1 - c)) ** 2
    inc = sp.log(c_next / (1 - c_next)) - sp.log(c / (1 - c))
    series = sp.series(inc, x, 0, 3).removeO()
    assert sp.simplify(series - (2 * x + x**2 * (3 * c - 1))) == 0


def test_aligned_gradient_descent_step_symbolic():
    # W ← W − η·4(C − I)WΓ at an aligned W maps c = λs² to c(1 + 4ηλ(1 − c))²
    eta, lam, s = sp.symbols("eta lambda s", positive=True)
    s_next = s - eta * 4 * (lam * s**2 - 1) * s * lam
    c = lam * s**2
    assert sp.expand(lam * s_next**2 - c * (1 + 4 * eta * lam * (1 - c)) ** 2) == 0


def test_logistic_matches_library(xp):
    from ssltheory import _backend
    from ssltheory.dynamics._stepwise import stepwise_learning_times, stepwise_trajectory

    t, lam, y0 = sp.symbols("t lambda y0", real=True)
    e = sp.exp(8 * lam * t)
    y_fn = sp.lambdify((t, lam, y0), y0 * e / (1 + lam * y0 * (e - 1)), "numpy")
    theta, c0 = sp.symbols("theta c0", positive=True)
    t_fn = sp.lambdify(
        (theta, c0, lam), (sp.log(theta / (1 - theta)) - sp.log(c0 / (1 - c0))) / (8 * lam), "numpy"
    )
    rng = np.random.default_rng(7)
    lams = np.concatenate([rng.uniform(0.2, 3.0, 4), rng.uniform(-2.0, -0.1, 2)])
    s0 = rng.uniform(1e-3, 0.3, 6)
    times = np.linspace(0.0, 3.0, 13)
    traj = stepwise_trajectory(xp.asarray(lams), xp.asarray(times), init_scale=xp.asarray(s0))
    want = y_fn(times[:, None], lams[None, :], (s0**2)[None, :])
    got = _backend.to_numpy(traj.singular_values) ** 2
    # the exponential form overflows nowhere here (8λt <= 72); both are O(1) rational expressions
    # of exp values: agreement to a few ulps of the largest term, 1e-12 relative
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_backend.to_numpy(traj.eigenvalues), lams * want, rtol=1e-12, atol=1e-15)
    pos = lams > 0
    t_lib = _backend.to_numpy(
        stepwise_learning_times(xp.asarray(lams), init_scale=xp.asarray(s0), threshold=0.3)
    )
    np.testing.assert_allclose(t_lib[pos], t_fn(0.3, lams[pos] * s0[pos] ** 2, lams[pos]), rtol=1e-12)
    assert np.all(np.isinf(t_lib[~pos]))

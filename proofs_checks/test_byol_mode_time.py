"""Linear BYOL / SimSiam (arXiv:2102.06810): the identities behind ssltheory.dynamics._byol.

Symbolic:

- the balancing quantity C = W_pᵀW_p − α_p W Wᵀ has dC/dt = −2ηC under the flow
  Ẇ_p = α_p G Wᵀ − ηW_p, Ẇ = W_pᵀ G − ηW, for any G (every entry a symbol; n = 2, d = 3);
- one gradient-descent step gives C₁ = (1 − lrη)²C₀ + lr²α_p(α_p W GᵀG Wᵀ − W_pᵀ G Gᵀ W_p);
- on the balanced manifold w² = p²/α_p the mode ODE reduces to ṗ = −p[(d+σ²)p² − dp + η], and
  every fixed point of the (p, w) flow with η ≠ 0, w ≠ 0 is balanced;
- the closed-form time t(p) of byol_mode_trajectory has dt/dp = 1/ṗ in each of the three
  discriminant cases (Δ < 0: atan2 form, Δ > 0: logarithm form, Δ = 0) and for η = 0.

``…_matches_library`` lambdifies the symbolic time integral and compares it with the library's
trajectory (the time at which the library's p(t) is evaluated).
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")


def _mat(name, n, m):
    return sp.Matrix(n, m, lambda i, j: sp.Symbol(f"{name}_{i}{j}", real=True))


def test_balance_symbolic():
    n, d = 2, 3
    wp, w, g = _mat("p", n, n), _mat("w", n, d), _mat("g", n, d)
    alpha, eta, lr = sp.symbols("alpha eta lr", positive=True)
    dwp = alpha * g * w.T - eta * wp
    dw = wp.T * g - eta * w
    c = wp.T * wp - alpha * w * w.T
    dc = dwp.T * wp + wp.T * dwp - alpha * (dw * w.T + w * dw.T)
    assert sp.simplify(sp.expand(dc + 2 * eta * c)) == sp.zeros(n, n)
    wp1, w1 = wp + lr * dwp, w + lr * dw
    c1 = wp1.T * wp1 - alpha * w1 * w1.T
    gw = g * w.T
    rhs = (1 - lr * eta) ** 2 * c + lr**2 * alpha * (alpha * gw.T * gw - wp.T * g * g.T * wp)
    assert sp.expand(c1 - rhs) == sp.zeros(n, n)


def test_balanced_reduction_symbolic():
    p, w, d, s2, eta, alpha = sp.symbols("p w d sigma2 eta alpha", real=True)
    g = w * d - p * w * (d + s2)
    dp = alpha * w * g - eta * p
    reduced = sp.expand(dp.subs(w**2, p**2 / alpha).subs(w, sp.sqrt(p**2 / alpha)))
    assert sp.simplify(reduced + p * ((d + s2) * p**2 - d * p + eta)) == 0
    # fixed points with w ≠ 0: from ẇ = 0, p(d − p(d+σ²)) = η; then ṗ = 0 forces w² = p²/α_p
    wsq = sp.solve(sp.Eq((alpha * w * g - eta * p).subs(eta, p * (d - p * (d + s2))), 0), w)
    assert all(sp.simplify(r**2 - p**2 / alpha) == 0 or r == 0 for r in wsq)


def _time_parts():
    q, q0, d, a, eta = sp.symbols("q q0 d a eta", positive=True)
    Q = a * q**2 - d * q + eta
    x, x0 = 2 * a * q - d, 2 * a * q0 - d
    return q, q0, d, a, eta, Q, x, x0


@pytest.mark.parametrize("case", ["negative", "positive", "zero"])
def test_time_integral_symbolic(case):
    """d/dp of the library's t(p) equals 1/ṗ = −1/(p Q(p)) in each discriminant case."""
    q, q0, d, a, eta, Q, x, x0 = _time_parts()
    r = sp.Symbol("r", positive=True)
    if case == "negative":  # Δ = d² − 4aη = −r²
        sub = {eta: (d**2 + r**2) / (4 * a)}
        # the library's atan2(r(x − x0), r² + x x0) equals atan(r(x − x0)/(r² + x x0)) up to a
        # constant ±π on each branch, so both have this derivative
        integral = 2 / r * sp.atan(r * (x - x0) / (r**2 + x * x0))
    elif case == "positive":  # Δ = r²
        sub = {eta: (d**2 - r**2) / (4 * a)}
        integral = sp.log(1 + 2 * r * (x - x0) / (x * x0 - r**2 - r * (x - x0))) / r
    else:
        sub = {eta: d**2 / (4 * a)}
        integral = 2 / x0 - 2 / x
    phi = (sp.log(q / q0) - sp.log(Q / Q.subs(q, q0)) / 2 + d * integral / 2) / eta
    t = -phi
    lhs = sp.diff(t, q).subs(sub)
    assert sp.simplify(lhs + 1 / (q * Q.subs(sub))) == 0
    assert sp.simplify(t.subs(q, q0)) == 0


def test_time_integral_without_weight_decay_symbolic():
    q, q0, d, a = sp.symbols("q q0 d a", positive=True)
    t = (1 / q0 - 1 / q) / d + a / d**2 * (sp.log(q / q0) - sp.log((d - a * q) / (d - a * q0)))
    assert sp.simplify(sp.diff(t, q) - 1 / (q**2 * (d - a * q))) == 0


def test_time_integral_matches_library(rng):
    from ssltheory.dynamics._byol import byol_mode_trajectory

    q, q0, d, a, eta, Q, x, x0 = _time_parts()
    r = sp.sqrt(4 * a * eta - d**2)
    t_expr = (
        -(sp.log(q / q0) - sp.log(Q / Q.subs(q, q0)) / 2 + d / r * (sp.atan(x / r) - sp.atan(x0 / r))) / eta
    )
    t_fun = sp.lambdify((q, q0, d, a, eta), t_expr, "numpy")
    for _ in range(5):
        dv, s2 = rng.uniform(0.5, 2.0), rng.uniform(0.2, 1.0)
        av = dv + s2
        etav = dv * dv / (4 * av) * rng.uniform(1.2, 2.0)  # beyond the boundary: Δ < 0, collapse
        p0 = rng.uniform(0.5, 1.0)
        times = np.array([0.5, 2.0, 5.0])
        traj = byol_mode_trajectory(
            np.array([p0]), times, data_eigenvalues=np.array([dv]), noise_variance=s2, weight_decay=etav
        )
        back = t_fun(traj.predictor[:, 0], p0, dv, av, etav)
        np.testing.assert_allclose(back, times, rtol=1e-9)

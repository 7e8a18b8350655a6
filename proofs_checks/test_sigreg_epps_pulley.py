"""The Epps–Pulley statistic of SIGReg / LeJEPA (arXiv:2511.08544): closed form, gradient, moments.

Symbolic, with the bandwidth β and the samples symbols:

- with w(t) = e^{−t²/(2β²)}, N∫|φ̂_N − φ|²w expands over pairs into Gaussian integrals
  ∫e^{−At²/2}cos(μt)dt = √(2π/A)e^{−μ²/(2A)}; for N = 2 the integral of the definition equals the
  library's closed form √(2π)β[(1/N)Σ_jk e^{−β²(x_j−x_k)²/2} − 2(1+β²)^{−1/2}Σ_j e^{−β²x_j²/(2(1+β²))}
  + N(1+2β²)^{−1/2}];
- its derivative in x_1 is the stated gradient;
- for x ~ N(0, 1) the kernel moments are E K = (1+2β²)^{−1/2} = r, E k̄² = ((1+β²)(1+3β²))^{−1/2} = q,
  E K² = (1+4β²)^{−1/2} = p and k̄(x) = E_Y K(x, Y) = (1+β²)^{−1/2} e^{−β²x²/(2(1+β²))}, hence
  E[EP] = √(2π)β(1 − r) and the variance formula of ``epps_pulley_null_variance``.

- the expected statistic over N(0, s²) is stationary iff N(s² + 1 + a)^{−3/2} = (N − 1)(2s² + a)^{−3/2}
  (a = β⁻²), solved by s*² = (ρ(1 + a) − a)/(2 − ρ), ρ = (1 − 1/N)^{2/3}, s* = 1 − (1 + 2β²)/(3β²N) + …

``…_matches_library`` lambdifies the closed form, the expectation, the variance and s* and compares them
with the library.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

_t = sp.Symbol("t", real=True)
_beta = sp.Symbol("beta", positive=True)


def _gauss_density(x):
    return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)


def _closed_form(xs, beta):
    n = len(xs)
    c = sp.sqrt(2 * sp.pi) * beta
    pair = sum(sp.exp(-(beta**2) * (a - b) ** 2 / 2) for a in xs for b in xs)
    single = sum(sp.exp(-(beta**2) * a**2 / (2 * (1 + beta**2))) for a in xs)
    return c * (pair / n - 2 / sp.sqrt(1 + beta**2) * single + n / sp.sqrt(1 + 2 * beta**2))


def _gauss_cos_integral(a, mu):
    """∫ e^{−At²/2} cos(μt) dt: sympy's value for generic (A, μ), substituted."""
    a_s, m_s = sp.Symbol("A", positive=True), sp.Symbol("mu", real=True)
    val = sp.integrate(sp.exp(-a_s * _t**2 / 2) * sp.cos(m_s * _t), (_t, -sp.oo, sp.oo))
    return val.subs({a_s: a, m_s: mu})


def test_expansion_symbolic():
    # |φ̂_N − φ|² = (1/N²)Σ_jk cos(t(x_j − x_k)) − (2/N)Σ_j cos(t x_j) φ + φ²  (φ real)
    xs = sp.symbols("x1 x2 x3", real=True)
    n = len(xs)
    phi = sp.exp(-(_t**2) / 2)
    re = sum(sp.cos(_t * a) for a in xs) / n - phi
    im = sum(sp.sin(_t * a) for a in xs) / n
    expanded = (
        sum(sp.cos(_t * (a - b)) for a in xs for b in xs) / n**2
        - 2 * phi * sum(sp.cos(_t * a) for a in xs) / n
        + phi**2
    )
    assert sp.simplify(sp.expand_trig(sp.expand(re**2 + im**2 - expanded))) == 0


def test_closed_form_symbolic():
    # each term of the expansion times w(t) = e^{−t²/(2β²)} is a Gaussian integral
    xs = sp.symbols("x1 x2", real=True)
    n = len(xs)
    inv = 1 / _beta**2
    pair = sum(_gauss_cos_integral(inv, a - b) for a in xs for b in xs) / n**2
    cross = 2 * sum(_gauss_cos_integral(1 + inv, a) for a in xs) / n
    target = _gauss_cos_integral(2 + inv, 0)
    diff = n * (pair - cross + target) - _closed_form(xs, _beta)
    # radsimp/powsimp first: 1/√(1 + β⁻²) = β/√(1 + β²) is not found by simplify alone
    assert sp.simplify(sp.powsimp(sp.radsimp(diff))) == 0


def test_gaussian_integral_symbolic():
    a, m = sp.Symbol("A", positive=True), sp.Symbol("mu", real=True)
    val = sp.integrate(sp.exp(-a * _t**2 / 2) * sp.cos(m * _t), (_t, -sp.oo, sp.oo))
    assert sp.simplify(val - sp.sqrt(2 * sp.pi / a) * sp.exp(-(m**2) / (2 * a))) == 0


def test_gradient_symbolic():
    xs = sp.symbols("x1 x2 x3", real=True)
    n = len(xs)
    ep = _closed_form(xs, _beta)
    c = sp.sqrt(2 * sp.pi) * _beta
    x1 = xs[0]
    expected = c * (
        -2 * _beta**2 / n * sum((x1 - b) * sp.exp(-(_beta**2) * (x1 - b) ** 2 / 2) for b in xs)
        + 2
        * _beta**2
        / (1 + _beta**2) ** sp.Rational(3, 2)
        * x1
        * sp.exp(-(_beta**2) * x1**2 / (2 * (1 + _beta**2)))
    )
    assert sp.simplify(sp.diff(ep, x1) - expected) == 0


def _expect(expr, *vars_):
    """E over independent N(0, 1) variables ``vars_`` by symbolic integration."""
    out = expr
    for v in vars_:
        out = sp.integrate(out * _gauss_density(v), (v, -sp.oo, sp.oo))
    return sp.simplify(out)


def test_kernel_moments_symbolic():
    x, y = sp.symbols("x y", real=True)
    b2 = _beta**2
    k = sp.exp(-b2 * (x - y) ** 2 / 2)
    kbar = sp.exp(-b2 * x**2 / (2 * (1 + b2))) / sp.sqrt(1 + b2)
    assert sp.simplify(_expect(k, y) - kbar) == 0
    r = 1 / sp.sqrt(1 + 2 * b2)
    q = 1 / sp.sqrt((1 + b2) * (1 + 3 * b2))
    p = 1 / sp.sqrt(1 + 4 * b2)
    assert sp.simplify(_expect(kbar, x) - r) == 0
    assert sp.simplify(_expect(kbar**2, x) - q) == 0
    assert sp.simplify(_expect(k**2, x, y) - p) == 0


def test_null_mean_symbolic():
    # E[EP] = c[(1/N)(N + N(N − 1) r) − 2a N E g + N r] with a E g = E k̄ = r: the N's cancel
    n = sp.Symbol("N", positive=True, integer=True)
    r = 1 / sp.sqrt(1 + 2 * _beta**2)
    c = sp.sqrt(2 * sp.pi) * _beta
    mean = c * ((n + n * (n - 1) * r) / n - 2 * n * r + n * r)
    assert sp.simplify(mean - c * (1 - r)) == 0
    # the same from E|φ̂_N − φ|² = (1 − e^{−t²})/N
    direct = sp.integrate((1 - sp.exp(-(_t**2))) * sp.exp(-(_t**2) / (2 * _beta**2)), (_t, -sp.oo, sp.oo))
    assert sp.simplify(direct - c * (1 - r)) == 0


def test_optimal_scale_symbolic():
    # E[EP](s) for N(0, s²): √(2π)[(N − 1)(2s² + a)^{-1/2} − 2N(s² + 1 + a)^{-1/2} + N(2 + a)^{-1/2}] + √(2π)β
    s, n = sp.symbols("s N", positive=True)
    a = 1 / _beta**2
    # the three Gaussian integrals of epps_pulley_expectation at one component (μ = 0, σ = s)
    cf2 = _gauss_cos_integral(2 * s**2 + a, 0)
    cross = _gauss_cos_integral(s**2 + 1 + a, 0)
    target = _gauss_cos_integral(2 + a, 0)
    mean = n * (cf2 - 2 * cross + target) + sp.sqrt(2 * sp.pi) * _beta - cf2
    stationarity = n * (s**2 + 1 + a) ** sp.Rational(-3, 2) - (n - 1) * (2 * s**2 + a) ** sp.Rational(-3, 2)
    # d mean / ds = 2√(2π) s × stationarity
    assert sp.simplify(sp.radsimp(sp.diff(mean, s) - 2 * sp.sqrt(2 * sp.pi) * s * stationarity)) == 0
    # the root: with ρ = ((N − 1)/N)^{2/3}, (2s² + a) = ρ(s² + 1 + a) gives s² = (ρ(1 + a) − a)/(2 − ρ)
    rho = ((n - 1) / n) ** sp.Rational(2, 3)
    s2 = (rho * (1 + a) - a) / (2 - rho)
    assert sp.simplify((2 * s2 + a) - rho * (s2 + 1 + a)) == 0
    # first order in 1/N: s* = 1 − (1 + 2β²)/(3β²N)
    eps = sp.Symbol("epsilon", positive=True)
    series = sp.series(sp.sqrt(s2.subs(n, 1 / eps)), eps, 0, 2).removeO()
    assert sp.simplify(series - (1 - (1 + 2 * _beta**2) / (3 * _beta**2) * eps)) == 0


def test_optimal_scale_matches_library():
    from ssltheory.dynamics._sigreg import epps_pulley_optimal_scale

    n = sp.Symbol("N", positive=True)
    a = 1 / _beta**2
    rho = ((n - 1) / n) ** sp.Rational(2, 3)
    f = sp.lambdify((n, _beta), sp.sqrt((rho * (1 + a) - a) / (2 - rho)))
    for beta in (0.6, 1.0, 2.0):
        for size in (4, 17, 300):
            assert epps_pulley_optimal_scale(size, bandwidth=beta) == pytest.approx(
                float(f(size, beta)), rel=1e-13
            )


def test_null_mean_matches_library():
    from ssltheory.dynamics._sigreg import epps_pulley_expectation

    f = sp.lambdify(_beta, sp.sqrt(2 * sp.pi) * _beta * (1 - 1 / sp.sqrt(1 + 2 * _beta**2)))
    for beta in (0.3, 1.0, 1 / math.sqrt(2), 2.5):
        for n in (1, 10, 1000):
            assert epps_pulley_expectation(n, bandwidth=beta).mean == pytest.approx(float(f(beta)), rel=1e-13)


def test_null_variance_matches_library():
    from ssltheory.dynamics._sigreg import epps_pulley_null_variance

    n = sp.Symbol("N", positive=True)
    b2 = _beta**2
    r = 1 / sp.sqrt(1 + 2 * b2)
    q = 1 / sp.sqrt((1 + b2) * (1 + 3 * b2))
    p = 1 / sp.sqrt(1 + 4 * b2)
    var = 2 * sp.pi * b2 * (4 * (q - r**2) / n + 2 * (1 - 1 / n) * (p - 2 * q + r**2))
    f = sp.lambdify((n, _beta), var)
    for beta in (0.5, 1.0, 2.0):
        for size in (1, 3, 50):
            assert epps_pulley_null_variance(size, bandwidth=beta) == pytest.approx(
                float(f(size, beta)), rel=1e-13
            )


def test_closed_form_matches_library():
    from ssltheory.dynamics._sigreg import epps_pulley

    xs = sp.symbols("x1 x2 x3 x4", real=True)
    f = sp.lambdify((*xs, _beta), _closed_form(xs, _beta))
    rng = np.random.default_rng(0)
    for beta in (0.7, 1.0, 1.8):
        x = rng.standard_normal(4)
        assert float(epps_pulley(x, bandwidth=beta)) == pytest.approx(float(f(*x, beta)), rel=1e-12)

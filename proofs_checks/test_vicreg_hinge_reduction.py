"""Hinge VICReg: the symbolic facts behind its closed form (``ssltheory.spectral._hinge``).

With :math:`h(x)=1-\\sqrt{x+\\epsilon}` on :math:`[f,\\tau]`, :math:`\\tau=1-\\epsilon`, and
:math:`\\varphi(x)=\\alpha h(x)-\\beta x^2` (the variance term minus the part of the covariance
term a diagonal entry removes from :math:`\\beta\\lVert C\\rVert_F^2`):

1. :math:`\\varphi''(x)=\\alpha/(4(x+\\epsilon)^{3/2})-2\\beta`, decreasing in :math:`x`, with
   :math:`\\varphi''(\\tau)=\\alpha/4-2\\beta`: :math:`\\varphi` is convex on :math:`[f,\\tau]` for every
   :math:`f,\\epsilon` iff :math:`\\alpha\\ge8\\beta`.
2. Water-filling: :math:`\\sigma_k=(\\mu-c_k)/(2\\beta)` on :math:`a` positions with
   :math:`\\sum\\sigma=s` gives :math:`\\mu=(2\\beta s+P_a)/a` and
   :math:`\\beta\\lVert\\sigma\\rVert^2+\\sigma\\cdot c=(a\\mu^2-Q_a)/(4\\beta)`, whose derivative in
   :math:`s` is :math:`\\mu`.
3. One sign change: :math:`\\sqrt{t+\\epsilon}\\,(\\mu(mt)+\\varphi'(t))=\\sqrt{t+\\epsilon}\\,
   (\\mu(mt)-2\\beta t)-\\alpha/2` with :math:`\\mu(mt)-2\\beta t=2\\beta t(m/a-1)+P_a/a`.
4. For :math:`K=2` a rotation by :math:`\\pi/4` makes the diagonal of :math:`R^\\top\\mathrm{diag}
   (\\sigma)R` equal to the mean.
5. :math:`K=1`: the optimum solves :math:`\\alpha/(2\\sqrt{\\sigma+\\epsilon})=2\\gamma'\\lambda`, i.e.
   :math:`\\sigma=\\min(\\tau,(\\alpha/(4\\gamma'\\lambda))^2-\\epsilon)`, or collapses; ``…_matches_library``
   compares this with the solver.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

x, t, s, eps, alpha, beta = sp.symbols("x t s epsilon alpha beta", positive=True)


def _phi(v):
    return alpha * (1 - sp.sqrt(v + eps)) - beta * v**2


def test_phi_second_derivative_and_convexity_threshold():
    d2 = sp.diff(_phi(x), x, 2)
    assert sp.simplify(d2 - (alpha / (4 * (x + eps) ** sp.Rational(3, 2)) - 2 * beta)) == 0
    d3 = sp.diff(d2, x)
    assert sp.simplify(d3 + 3 * alpha / (8 * (x + eps) ** sp.Rational(5, 2))) == 0  # < 0: decreasing
    # the minimum of φ'' over [f, τ] is at τ = 1 − ε, where x + ε = 1
    at_top = sp.simplify(d2.subs(x, 1 - eps))
    assert sp.simplify(at_top - (alpha / 4 - 2 * beta)) == 0


def test_water_filling_value_and_its_derivative():
    a = 3
    c = sp.symbols("c1:4", nonnegative=True)
    mu = (2 * beta * s + sum(c)) / a
    sigma = [(mu - ck) / (2 * beta) for ck in c]
    assert sp.simplify(sum(sigma) - s) == 0
    value = beta * sum(v**2 for v in sigma) + sum(v * ck for v, ck in zip(sigma, c, strict=True))
    closed = (a * mu**2 - sum(ck**2 for ck in c)) / (4 * beta)
    assert sp.simplify(value - closed) == 0
    assert sp.simplify(sp.diff(closed, s) - mu) == 0  # dW/ds = μ: the envelope derivative


def test_block_derivative_has_one_sign_change():
    m, a = sp.symbols("m a", positive=True)
    p_a = sp.symbols("P_a", nonnegative=True)
    mu = (2 * beta * m * t + p_a) / a  # water level of the mass m t on a active positions
    dphi = sp.diff(_phi(t), t)
    lhs = sp.sqrt(t + eps) * (mu + dphi)
    rhs = sp.sqrt(t + eps) * (mu - 2 * beta * t) - alpha / 2
    assert sp.simplify(lhs - rhs) == 0
    gap = mu - 2 * beta * t
    assert sp.simplify(gap - (2 * beta * t * (m / a - 1) + p_a / a)) == 0
    # for m >= a both factors of √(t+ε)·(μ − 2βt) are >= 0 and non-decreasing in t
    assert sp.simplify(sp.diff(gap, t) - 2 * beta * (m - a) / a) == 0


def test_equal_diagonal_rotation_k2():
    s1, s2 = sp.symbols("sigma1 sigma2", nonnegative=True)
    r = sp.Matrix([[1, -1], [1, 1]]) / sp.sqrt(2)
    c = r.T * sp.diag(s1, s2) * r
    assert sp.simplify(c[0, 0] - (s1 + s2) / 2) == 0
    assert sp.simplify(c[1, 1] - (s1 + s2) / 2) == 0


def test_one_component_matches_library():
    from ssltheory.spectral._hinge import solve_reduced

    lam, gp = sp.symbols("lambda gamma_p", positive=True)
    sig = sp.symbols("sigma", positive=True)
    loss = alpha * (1 - sp.sqrt(sig + eps)) + 2 * gp * lam * sig  # K = 1: no covariance term
    stationary = sp.solve(sp.Eq(sp.diff(loss, sig), 0), sig)
    assert len(stationary) == 1
    interior = stationary[0]
    assert sp.simplify(interior - ((alpha / (4 * gp * lam)) ** 2 - eps)) == 0
    value = sp.lambdify((alpha, eps, gp, lam, sig), loss)
    sigma_star = sp.lambdify((alpha, eps, gp, lam), interior)
    cases = [(12.5, 1e-4, 0.5, 3.0), (12.5, 0.0, 0.5, 3.0), (2.0, 1e-4, 0.01, 1.0), (1.0, 1e-4, 10.0, 1.0)]
    for a_, e_, g_, l_ in cases:
        top, floor = 1.0 - e_, 1e-6
        # the 1-D loss is convex on [floor, τ]: the clipped stationary point, or collapse (h(floor))
        cand = float(np.clip(sigma_star(a_, e_, g_, l_), floor, top))
        best = min(value(a_, e_, g_, l_, cand), a_ * (1 - np.sqrt(floor + e_)))
        red = solve_reduced(np.array([l_]), alpha=a_, beta=1.0, gamma_p=g_, floor=floor, eps=e_)
        assert red.value == pytest.approx(best, rel=1e-12, abs=1e-14)
        if red.sigma[0] > 0:
            assert red.sigma[0] == pytest.approx(cand, rel=1e-12)

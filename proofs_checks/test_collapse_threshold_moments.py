"""The moments behind the collapse threshold ρ* = (J2 − A_r J3)/J1 (re-derivation of Jing et al.,
arXiv:2110.09348, Sec. 4, for the normalised loss).

Symbolic layer: at r = 3 the hypergeometric forms reduce to elementary functions,
J1 = (2/π)·asin(ρ)/ρ, and at ρ = 1 (identical views) J1 = J2 = J3 = 1/(r − 2), so
ρ* = 1 − A_r; the chi-moment formula E n^a n'^b at ρ = 0 factorises into the product of the two chi
moments. Library layer: the lambdified r = 3 expression and the ρ = 1 value against the library.
"""

from __future__ import annotations

import math

import pytest

sp = pytest.importorskip("sympy")

rho = sp.Symbol("rho", positive=True)


def _j1(r):
    g2 = (sp.gamma(sp.Rational(r - 1, 2)) / sp.gamma(sp.Rational(r, 2))) ** 2
    return g2 / 2 * sp.hyper([sp.Rational(1, 2), sp.Rational(1, 2)], [sp.Rational(r, 2)], rho**2)


def _j2(r):
    g2 = (sp.gamma(sp.Rational(r - 1, 2)) / sp.gamma(sp.Rational(r, 2))) ** 2
    return (
        g2
        * sp.Rational(r - 1, 2 * r)
        * rho
        * sp.hyper([sp.Rational(3, 2), sp.Rational(1, 2)], [sp.Rational(r, 2) + 1], rho**2)
    )


def test_r3_closed_form_symbolic():
    j1 = sp.hyperexpand(_j1(3))
    assert sp.simplify(j1 - 2 / sp.pi * sp.asin(rho) / rho) == 0


@pytest.mark.parametrize("r", [3, 4, 5, 8])
def test_unit_correlation_symbolic(r):
    # Gauss's theorem 2F1(a, b; c; 1) = Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b)) for c − a − b > 0
    def at_one(a, b, c):
        return sp.gamma(c) * sp.gamma(c - a - b) / (sp.gamma(c - a) * sp.gamma(c - b))

    half = sp.Rational(1, 2)
    g2 = (sp.gamma(sp.Rational(r - 1, 2)) / sp.gamma(sp.Rational(r, 2))) ** 2
    j1 = g2 / 2 * at_one(half, half, sp.Rational(r, 2))
    j2 = g2 * sp.Rational(r - 1, 2 * r) * at_one(3 * half, half, sp.Rational(r, 2) + 1)
    assert sp.simplify(j1 - sp.Rational(1, r - 2)) == 0
    assert sp.simplify(j2 - sp.Rational(1, r - 2)) == 0


def test_chi_moments_factorise_at_zero_correlation_symbolic():
    a, b = sp.Rational(-1), sp.Rational(1)
    r = 5
    joint = (
        2 ** ((a + b) / 2)
        * sp.gamma((r + a) / 2)
        * sp.gamma((r + b) / 2)
        / sp.gamma(sp.Rational(r, 2)) ** 2
        * sp.hyper([-a / 2, -b / 2], [sp.Rational(r, 2)], 0)
    )

    def chi_moment(p):
        return 2 ** (p / 2) * sp.gamma((r + p) / 2) / sp.gamma(sp.Rational(r, 2))

    assert sp.simplify(joint - chi_moment(a) * chi_moment(b)) == 0


@pytest.mark.parametrize("value", [0.1, 0.5, 0.9])
def test_moments_match_library(value):
    from ssltheory.dynamics._collapse import _kept_moments, collapse_threshold

    f = sp.lambdify(rho, 2 / sp.pi * sp.asin(rho) / rho, "math")
    j1, j2, j3 = _kept_moments(3, value)
    assert j1 == pytest.approx(f(value), rel=1e-13)
    assert j3 == 1.0
    assert float(_j2(3).subs(rho, value).evalf(30)) == pytest.approx(j2, rel=1e-12)
    # ρ = 1: ρ* = 1 − I_{r/2}(κ)/I_{r/2−1}(κ), with the Bessel ratio from sympy
    r, tau = 6, 0.5
    ratio = float((sp.besseli(sp.Rational(r, 2), 2) / sp.besseli(sp.Rational(r, 2) - 1, 2)).evalf(30))
    assert collapse_threshold(r, 1.0, temperature=tau) == pytest.approx(1 - ratio, rel=1e-12)
    assert math.isinf(collapse_threshold(2, value))

"""HSIC_u (Song et al. 2012) is unbiased (independence.md §6.1), by exact enumeration at small n.

1. Null: averaged over all n! permutations π of the second sample, HSIC_u(K, L_π) = 0 exactly
   (symbolic at n = 4 with generic symmetric Grams).
2. Sampling without replacement: the mean of HSIC_u over all size-m subsets of a population of
   n pairs equals HSIC_u of the population (a U-statistic property), symbolic at n = 5, m = 4.
The library's estimator is then checked on the same two enumerations with numbers.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

sp = pytest.importorskip("sympy")


def _gram(name, n):
    return sp.Matrix(n, n, lambda i, j: sp.Symbol(f"{name}_{min(i, j)}{max(i, j)}", real=True))


def _hsic_u(k, g):
    n = k.shape[0]
    kt = k - sp.diag(*[k[i, i] for i in range(n)])
    gt = g - sp.diag(*[g[i, i] for i in range(n)])
    one = sp.ones(n, 1)
    t1 = (kt * gt).trace()
    t2 = (one.T * kt * one)[0] * (one.T * gt * one)[0] / ((n - 1) * (n - 2))
    t3 = sp.Rational(2, n - 2) * (one.T * kt * gt * one)[0]
    return (t1 + t2 - t3) / (n * (n - 3))


def _permute(g, p):
    return sp.Matrix(len(p), len(p), lambda i, j: g[p[i], p[j]])


def test_hsic_u_null_mean_is_zero_symbolic():
    n = 4
    k, g = _gram("k", n), _gram("l", n)
    total = sum(_hsic_u(k, _permute(g, p)) for p in itertools.permutations(range(n)))
    assert sp.expand(total / math.factorial(n)) == 0


def test_hsic_u_is_a_u_statistic_symbolic():
    n, m = 5, 4
    k, g = _gram("k", n), _gram("l", n)
    subsets = list(itertools.combinations(range(n), m))
    mean = sum(_hsic_u(_permute(k, s), _permute(g, s)) for s in subsets) / len(subsets)
    assert sp.expand(mean - _hsic_u(k, g)) == 0


def test_hsic_u_unbiasedness_matches_library(xp, rng):
    from ssltheory.independence import hsic

    def lib(a, b):
        return hsic(xp.asarray(a), xp.asarray(b), kernel="precomputed", estimator="unbiased")

    x, y = rng.standard_normal((2, 7))
    kx = np.exp(-((x[:, None] - x[None]) ** 2) / 2)
    ky = np.exp(-((y[:, None] - y[None]) ** 2) / 2)
    # population of 7 pairs, all 21 subsets of 5: the mean equals the population estimator
    subs = [np.array(s) for s in itertools.combinations(range(7), 5)]
    mean = np.mean([lib(kx[np.ix_(s, s)], ky[np.ix_(s, s)]) for s in subs])
    assert mean == pytest.approx(lib(kx, ky), rel=1e-10, abs=1e-15)  # 21 sums of O(1) terms
    # null: the mean over all 5! permutations of the second sample is 0
    k5, l5 = kx[:5, :5], ky[:5, :5]
    vals = [lib(k5, l5[np.ix_(p, p)]) for p in map(list, itertools.permutations(range(5)))]
    assert abs(np.mean(vals)) < 1e-14 * max(1.0, np.max(np.abs(vals))) * 120
    # and the library agrees with the symbolic formula evaluated at these numbers
    k_sym, l_sym = _gram("k", 5), _gram("l", 5)
    expr = _hsic_u(k_sym, l_sym)
    subs_map = {k_sym[i, j]: k5[i, j] for i in range(5) for j in range(5)}
    subs_map.update({l_sym[i, j]: l5[i, j] for i in range(5) for j in range(5)})
    assert float(expr.subs(subs_map)) == pytest.approx(lib(k5, l5), rel=1e-10, abs=1e-15)

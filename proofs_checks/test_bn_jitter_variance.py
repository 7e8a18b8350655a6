"""Variance of the BN mean over mini-batches: s²/m i.i.d., s²(N − m)/(m(N − 1)) without replacement
(splines.md R7, D17, T15).

Symbolic: exact enumeration of all equally likely batches of size m = 2 from a generic population of
N = 4 values; then ``boundary_jitter`` (β = 0, ‖w‖ = 1) is compared with the lambdified formulas.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

N, M = 4, 2


def _population():
    p = sp.symbols(f"p0:{N}", real=True)
    mu = sum(p) / N
    s2 = sum((q - mu) ** 2 for q in p) / N
    return p, mu, s2


def _variance(p, mu, batches):
    batches = list(batches)
    return sum((sum(p[i] for i in b) / M - mu) ** 2 for b in batches) / len(batches)


def test_bn_jitter_variance_symbolic():
    p, mu, s2 = _population()
    iid = _variance(p, mu, itertools.product(range(N), repeat=M))
    assert sp.simplify(iid - s2 / M) == 0
    wor = _variance(p, mu, itertools.permutations(range(N), M))
    assert sp.simplify(wor - s2 * (N - M) / (M * (N - 1))) == 0


def test_bn_jitter_variance_matches_library(xp, rng):
    from ssltheory import _backend
    from ssltheory.splines import boundary_jitter

    p, mu, _s2 = _population()
    f_iid = sp.lambdify(p, _variance(p, mu, itertools.product(range(N), repeat=M)), "numpy")
    f_wor = sp.lambdify(p, _variance(p, mu, itertools.permutations(range(N), M)), "numpy")
    for _ in range(5):
        vals = rng.standard_normal(N) * 3
        Z = xp.asarray(vals[:, None])
        w = xp.asarray([[1.0]])
        iid = float(_backend.to_numpy(boundary_jitter(w, Z, batch_size=M).var_displacement)[0])
        wor = float(_backend.to_numpy(boundary_jitter(w, Z, batch_size=M, replace=False).var_displacement)[0])
        # sums of N squares of O(1–10) numbers: 64·N·eps relative
        tol = 64 * N * np.finfo(np.float64).eps
        assert abs(iid - f_iid(*vals)) <= tol * max(1.0, abs(iid))
        assert abs(wor - f_wor(*vals)) <= tol * max(1.0, abs(wor))

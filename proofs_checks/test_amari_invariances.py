"""Amari distance (independence.md §6.4, D11): zero exactly on scaled permutations; invariant to
row/column permutations, sign flips and transposition of P = WA, in [0, 1].

It is *not* invariant to general row or column scalings of a non-permutation P (only its zero
set is): scaling one row changes the column-normalised term. The exact check below documents it.

Symbolic: d_A(ΛΠ) = 0 for a diagonal of positive symbols Λ and every permutation Π (d = 3),
and exact rational arithmetic for the invariances; then the library on the same matrices.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

sp = pytest.importorskip("sympy")


def _amari_sym(p):
    d = p.shape[0]
    a = p.applyfunc(sp.Abs)
    rows = sum(sum(a[i, j] / sp.Max(*a.row(i)) for j in range(d)) - 1 for i in range(d))
    cols = sum(sum(a[i, j] / sp.Max(*a.col(j)) for i in range(d)) - 1 for j in range(d))
    return (rows + cols) / (2 * d * (d - 1))


def test_amari_zero_on_scaled_permutations_symbolic():
    lam = sp.symbols("l0:3", positive=True)
    for perm in itertools.permutations(range(3)):
        p = sp.zeros(3, 3)
        for i, j in enumerate(perm):
            p[i, j] = (-1) ** i * lam[i]
        assert sp.simplify(_amari_sym(p)) == 0


def test_amari_invariances_exact(rng):
    p = sp.Matrix(3, 3, lambda i, j: sp.Rational(int(rng.integers(-9, 10)) or 1, int(rng.integers(1, 7))))
    base = _amari_sym(p)
    for _ in range(5):
        pr, pc = rng.permutation(3), rng.permutation(3)
        sr = sp.diag(*[(-1) ** int(rng.integers(2)) for _ in range(3)])
        sc = sp.diag(*[(-1) ** int(rng.integers(2)) for _ in range(3)])
        q = sr * sp.Matrix(3, 3, lambda i, j, pr=pr, pc=pc: p[pr[i], pc[j]]) * sc
        assert sp.nsimplify(_amari_sym(q) - base) == 0
        assert sp.nsimplify(_amari_sym(q.T) - base) == 0
    assert 0 <= base <= 1
    # a row scaling of a non-permutation P changes the distance (no scale invariance)
    t = sp.Matrix([[1, 1], [0, 1]])
    assert _amari_sym(sp.diag(2, 1) * t) != _amari_sym(t)


def test_amari_matches_library(xp, rng):
    from ssltheory.independence import amari_distance

    for _ in range(5):
        p = rng.standard_normal((3, 3))
        sym = sp.Matrix(p.tolist())
        assert amari_distance(xp.asarray(p)) == pytest.approx(float(_amari_sym(sym)), rel=1e-12)
        # invariances, with the library on both sides (exact up to rounding of a few ratios)
        q = np.diag(rng.choice([-1.0, 1.0], 3)) @ p[rng.permutation(3)][:, rng.permutation(3)]
        assert amari_distance(xp.asarray(q)) == pytest.approx(amari_distance(xp.asarray(p)), rel=1e-12)
        assert amari_distance(xp.asarray(q.T)) == pytest.approx(amari_distance(xp.asarray(p)), rel=1e-12)
        d = np.diag(rng.uniform(0.1, 10, 3))
        assert amari_distance(xp.asarray(d @ np.eye(3)[rng.permutation(3)])) == 0  # scaled permutation
        w, a = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
        assert amari_distance(xp.asarray(w), xp.asarray(a)) == pytest.approx(
            amari_distance(xp.asarray(w @ a)), rel=1e-12
        )

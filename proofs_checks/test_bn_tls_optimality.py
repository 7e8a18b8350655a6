"""BN's mean is the TLS-optimal offset: minimum m σ²/‖w‖², excess m(t − μ)²/‖w‖² (splines.md R2, T3, T4).

Symbolic at m = 3 samples in D = 2 with generic w, z_n, t; then the derived expressions are
lambdified and compared with ``tls_objective`` and ``bn_recentring``.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

M, D = 3, 2


def _symbols():
    w = sp.Matrix(D, 1, lambda i, _: sp.Symbol(f"w_{i}", real=True))
    z = sp.Matrix(M, D, lambda n, i: sp.Symbol(f"z_{n}{i}", real=True))
    t = sp.Symbol("t", real=True)
    return w, z, t


def _objective(w, z, t):
    w2 = (w.T * w)[0]
    proj = [(z[n, :] * w)[0] for n in range(M)]
    mu = sum(proj) / M
    var = sum((p - mu) ** 2 for p in proj) / M
    return sum((p - t) ** 2 for p in proj) / w2, mu, var, w2


def test_bn_tls_optimality_symbolic():
    w, z, t = _symbols()
    L, mu, var, w2 = _objective(w, z, t)
    # stationarity: the unique root of dL/dt is the BN mean w·ḡ, and L is strictly convex in t
    roots = sp.solve(sp.Eq(sp.diff(L, t), 0), t)
    assert len(roots) == 1
    assert sp.simplify(roots[0] - mu) == 0
    assert sp.simplify(sp.diff(L, t, 2) - 2 * M / w2) == 0
    # minimum value and excess
    assert sp.simplify(L.subs(t, mu) - M * var / w2) == 0
    assert sp.simplify(L - L.subs(t, mu) - M * (t - mu) ** 2 / w2) == 0


def test_bn_tls_optimality_matches_library(xp, rng):
    from ssltheory import _backend
    from ssltheory.splines import bn_recentring, tls_objective

    w, z, t = _symbols()
    L, mu, var, w2 = _objective(w, z, t)
    free = [*list(w), *list(z), t]
    f_L = sp.lambdify(free, L, "numpy")
    f_min = sp.lambdify(free[:-1], M * var / w2, "numpy")
    f_mu = sp.lambdify(free[:-1], mu, "numpy")
    for _ in range(5):
        wv = rng.standard_normal(D)
        zv = rng.standard_normal((M, D)) * 2 + 1
        tv = float(rng.standard_normal())
        args = [*wv, *zv.ravel()]
        lib = _backend.to_numpy(tls_objective(xp.asarray(wv[None, :]), xp.asarray([tv]), xp.asarray(zv)))
        r = bn_recentring(xp.asarray(wv[None, :]), xp.asarray(zv))
        eps = np.finfo(np.float64).eps
        # sums of M products of O(1–10) numbers: 64·M·eps relative
        tol = 64 * M * eps
        assert abs(lib[0] - f_L(*args, tv)) <= tol * max(1.0, abs(lib[0]))
        assert abs(float(r.mean[0]) - f_mu(*args)) <= tol * max(1.0, abs(f_mu(*args)))
        assert abs(float(r.tls_value[0]) - f_min(*args)) <= tol * max(1.0, abs(f_min(*args)))

"""BN folds into an affine layer: γ(Wz + c − μ)/σ̃ + β = diag(γ/σ̃)W z + β + γ(c − μ)/σ̃ (splines.md D4, T1, T2).

Symbolic for one unit with D = 2 inputs and m = 3 batch samples: the folding identity in general
(running statistics) and the cancellation of the bias in batch mode; then ``fold_batch_norm`` is
compared with the lambdified folded weights.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

M, D = 3, 2


def _symbols():
    w = sp.Matrix(1, D, lambda _, i: sp.Symbol(f"w_{i}", real=True))
    z = sp.Matrix(D, 1, lambda i, _: sp.Symbol(f"z_{i}", real=True))
    batch = sp.Matrix(M, D, lambda n, i: sp.Symbol(f"x_{n}{i}", real=True))
    c, mu, gamma, beta = sp.symbols("c mu gamma beta", real=True)
    var, eps = sp.symbols("var eps", positive=True)
    return w, z, batch, c, mu, var, eps, gamma, beta


def _folded(w, c, mu, var, eps, gamma, beta):
    st = sp.sqrt(var + eps)
    return (gamma / st) * w, beta + gamma * (c - mu) / st


def test_bn_folding_identity_symbolic():
    w, z, batch, c, mu, var, eps, gamma, beta = _symbols()
    st = sp.sqrt(var + eps)
    direct = gamma * ((w * z)[0] + c - mu) / st + beta
    wt, ct = _folded(w, c, mu, var, eps, gamma, beta)
    assert sp.simplify(direct - ((wt * z)[0] + ct)) == 0
    # batch mode: μ = mean(w·x_n + c), σ² = var(w·x_n + c) do not depend on c after centring
    p = [(batch[n, :] * w.T)[0] + c for n in range(M)]
    mu_b = sum(p) / M
    var_b = sp.expand(sum((q - mu_b) ** 2 for q in p) / M)
    assert sp.diff(var_b, c) == 0
    folded_bias = sp.simplify(c - mu_b)
    assert sp.diff(folded_bias, c) == 0


def test_bn_folding_identity_matches_library(xp, rng):
    from ssltheory import _backend
    from ssltheory.splines import BNStatistics, HiddenLayer, SplineNet, fold_batch_norm

    w, _z, _batch, c, mu, var, eps, gamma, beta = _symbols()
    wt, ct = _folded(w, c, mu, var, eps, gamma, beta)
    args = [*list(w), c, mu, var, eps, gamma, beta]
    f_w = sp.lambdify(args, wt, "numpy")
    f_c = sp.lambdify(args, ct, "numpy")
    for _ in range(5):
        wv, cv = rng.standard_normal(D), float(rng.standard_normal())
        muv, varv, epsv = float(rng.standard_normal()), float(rng.uniform(0.1, 3)), 1e-5
        gv, bv = float(rng.uniform(0.5, 2)), float(rng.standard_normal())
        a = xp.asarray
        net = SplineNet([HiddenLayer(a(wv[None, :]), a([cv]), True, a([gv]), a([bv]))])
        stats = BNStatistics((a([muv]),), (a([varv]),), epsv, None, "running")
        folded = fold_batch_norm(net, stats)
        vals = [*wv, cv, muv, varv, epsv, gv, bv]
        # a handful of flops on O(1) numbers: 16 eps
        tol = 16 * np.finfo(np.float64).eps
        np.testing.assert_allclose(
            _backend.to_numpy(folded.weights[0]), np.asarray(f_w(*vals), float), rtol=tol, atol=tol
        )
        assert abs(float(folded.biases[0][0]) - float(f_c(*vals))) <= tol * max(1.0, abs(float(f_c(*vals))))

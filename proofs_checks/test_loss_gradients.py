"""Exact gradients of the loss evaluators (spectral.md §2; the formulas in each class's Notes).

Symbolic layer (N = 3, K = 2, generic symmetric G): ``sympy.diff`` of the loss as defined
(pairwise sums, listing forms) equals the closed-form gradient written in matrix form:
exactly (``cancel`` to 0) for the rational losses (VICReg-square, spectral contrastive, W-MSE),
and to 50 significant digits at random rational points for the transcendental ones (SimCLR through
the row normalisation, Barlow Twins through ``sqrt(d_k d_l)``). Library layer: the lambdified
sympy gradients against ``value_and_grad`` on seeded inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

N, K = 3, 2
DIGITS = 60


def _z(k=K):
    return sp.Matrix(N, k, lambda i, j: sp.Symbol(f"z_{i}{j}", real=True))


def _g(diagonal=False):
    def entry(i, j):
        if i == j:
            return sp.Symbol(f"g_{i}{i}", nonnegative=True) if diagonal else sp.Integer(0)
        return sp.Symbol(f"g_{min(i, j)}{max(i, j)}", nonnegative=True)

    return sp.Matrix(N, N, entry)


def _grad(loss, z):
    return sp.Matrix(z.shape[0], z.shape[1], lambda i, k: sp.diff(loss, z[i, k]))


def _lap(g):
    return sp.diag(*[sum(g.row(i)) - g[i, i] for i in range(N)]) - (g - sp.diag(*[g[i, i] for i in range(N)]))


def _centering():
    return sp.eye(N) - sp.ones(N, N) / N


# ----------------------------------------------------------------------------- definitions and formulas
def vicreg(z, g, a, b, c):
    m = N - 1
    cov = z.T * _centering() * z / m
    inv = (
        sum(g[i, j] * sum((z[i, k] - z[j, k]) ** 2 for k in range(K)) for i in range(N) for j in range(N)) / N
    )
    loss = a * sum((1 - cov[k, k]) ** 2 for k in range(K))
    loss += b * sum(cov[k, q] ** 2 for k in range(K) for q in range(K) if k != q)
    loss += c * inv
    s = sp.Matrix(K, K, lambda k, q: 2 * b * cov[k, q] if k != q else -2 * a * (1 - cov[k, k]))
    formula = sp.Rational(2, m) * _centering() * z * s + 4 * c / N * _lap(g) * z
    return loss, formula


def spectral_contrastive(z, g, weighting):
    if weighting == "degree":
        vol = sum(g)
        w, wv = g / vol, [sum(g.row(i)) / vol for i in range(N)]
    else:
        w, wv = g, [sp.Integer(1)] * N
    dot = z * z.T
    loss = sum(-2 * w[i, j] * dot[i, j] + wv[i] * wv[j] * dot[i, j] ** 2 for i in range(N) for j in range(N))
    dw = sp.diag(*wv)
    formula = -4 * w * z + 4 * dw * z * (z.T * dw * z)
    return loss, formula


def wmse(z, g):
    m = N - 1
    zc = _centering() * z
    cov = z.T * _centering() * z / m
    cinv = cov.inv()
    lz = _lap(g) * z
    a = z.T * lz
    loss = sp.Rational(2, N) * (a * cinv).trace()
    formula = sp.Rational(4, N) * (lz * cinv - zc * cinv * a * cinv / m)
    return loss, formula


def simclr(z, g, tau):
    norms = [sp.sqrt(sum(z[i, k] ** 2 for k in range(K))) for i in range(N)]
    u = sp.Matrix(N, K, lambda i, k: z[i, k] / norms[i])
    s = u * u.T / tau
    loss = 0
    for i in range(N):
        lse = sp.log(sum(sp.exp(s[i, k]) for k in range(N) if k != i))
        loss += sum(g[i, j] * (lse - s[i, j]) for j in range(N) if j != i)
    tot = [sum(sp.exp(s[i, k]) for k in range(N) if k != i) for i in range(N)]
    p = sp.Matrix(N, N, lambda i, j: sp.exp(s[i, j]) / tot[i] if i != j else 0)
    deg = sp.diag(*[sum(g.row(i)) for i in range(N)])
    amat = deg * p - g
    gu = (amat + amat.T) * u / tau
    formula = sp.Matrix(
        N, K, lambda i, k: (gu[i, k] - u[i, k] * sum(u[i, m] * gu[i, m] for m in range(K))) / norms[i]
    )
    return loss, formula


def barlow_twins(z, g, alpha):
    deg = [sum(g.row(i)) for i in range(N)]
    p = z.T * g * z
    d = [sum(deg[i] * z[i, k] ** 2 for i in range(N)) for k in range(K)]
    s = [sp.sqrt(dk) for dk in d]
    den = sp.Matrix(K, K, lambda k, q: s[k] * s[q])
    c = sp.Matrix(K, K, lambda k, q: p[k, q] / den[k, q])
    loss = sum((c[k, k] - 1) ** 2 for k in range(K)) + alpha * sum(
        c[k, q] ** 2 for k in range(K) for q in range(K) if k != q
    )
    w = sp.Matrix(K, K, lambda k, q: 2 * alpha * c[k, q] if k != q else 2 * (c[k, k] - 1))
    bmat = sp.Matrix(K, K, lambda k, q: w[k, q] / den[k, q])
    e = sp.Matrix(K, K, lambda k, q: -w[k, q] * c[k, q] / den[k, q])
    es = e * sp.Matrix(s)
    formula = 2 * g * z * bmat + 2 * sp.diag(*deg) * z * sp.diag(*[es[k] / s[k] for k in range(K)])
    return loss, formula


# ----------------------------------------------------------------------------- symbolic layer
@pytest.mark.parametrize("name", ["vicreg", "sc_degree", "sc_none", "wmse"])
def test_rational_loss_gradients_symbolic(name):
    # W-MSE with K = N - 1 = 2 is constant (every centred Z whitens to the whole of 1^⊥): use K = 1
    z = _z(1) if name == "wmse" else _z()
    if name == "vicreg":
        a, b, c = sp.symbols("alpha beta gamma", positive=True)
        loss, formula = vicreg(z, _g(), a, b, c)
    elif name == "wmse":
        loss, formula = wmse(z, _g())
    else:
        loss, formula = spectral_contrastive(z, _g(diagonal=True), name[3:])
    diff = _grad(loss, z) - formula
    assert diff.applyfunc(lambda v: sp.cancel(sp.together(v))) == sp.zeros(*z.shape)


def test_wmse_trace_form_equals_whitened_pairwise_symbolic():
    # K = 1: Cov^{-1/2} is 1/sqrt(c), the whitened pairwise sum is rational in z and c
    z = sp.Matrix(N, 1, lambda i, _: sp.Symbol(f"z_{i}", real=True))
    g = _g()
    zc = _centering() * z
    c = (zc.T * zc)[0, 0] / (N - 1)
    pairwise = sum(g[i, j] * (zc[i] - zc[j]) ** 2 / c for i in range(N) for j in range(N)) / N
    trace = sp.Rational(2, N) * (z.T * _lap(g) * z)[0, 0] / c
    assert sp.cancel(sp.together(pairwise - trace)) == 0


@pytest.mark.parametrize("name", ["simclr", "barlow_twins"])
def test_transcendental_loss_gradients_symbolic(name, rng):
    mpmath = pytest.importorskip("mpmath")
    z = _z()
    g = _g()
    loss, formula = (
        simclr(z, g, sp.Rational(1, 2)) if name == "simclr" else barlow_twins(z, g, sp.Rational(3, 4))
    )
    gsyms = sorted(g.free_symbols, key=str)
    free = list(z) + gsyms
    f_diff = sp.lambdify(free, _grad(loss, z), "mpmath", cse=True)
    f_formula = sp.lambdify(free, formula, "mpmath", cse=True)
    with mpmath.workdps(DIGITS):
        for _ in range(2):
            args = [mpmath.mpf(int(v)) / 97 for v in rng.integers(-150, 150, size=N * K)]
            args += [mpmath.mpf(int(rng.integers(1, 30))) / 10 for _ in gsyms]
            lhs, rhs = f_diff(*args), f_formula(*args)
            for i in range(N):
                for k in range(K):
                    # 60-digit evaluation of two closed expressions: agreement to 1e-45 means equality
                    assert abs(lhs[i, k] - rhs[i, k]) <= mpmath.mpf(10) ** -45 * (1 + abs(lhs[i, k]))


# ----------------------------------------------------------------------------- library layer
def _library_case(name):
    from ssltheory import losses

    z = _z()
    if name == "vicreg":
        return (
            vicreg(z, _g(), 1.5, 0.5, 0.7)[0],
            losses.VICRegLoss(variance_weight=1.5, covariance_weight=0.5, invariance_weight=0.7),
            False,
        )
    if name == "sc_degree":
        return spectral_contrastive(z, _g(True), "degree")[0], losses.SpectralContrastiveLoss(), True
    if name == "wmse":
        return wmse(_z(1), _g())[0], losses.WMSELoss(), False
    if name == "simclr":
        return simclr(z, _g(), 0.5)[0], losses.SimCLRLoss(temperature=0.5), False
    return barlow_twins(z, _g(), 0.75)[0], losses.BarlowTwinsLoss(redundancy_weight=0.75, eps=0.0), False


@pytest.mark.parametrize("name", ["vicreg", "sc_degree", "wmse", "simclr", "barlow_twins"])
def test_loss_gradients_match_library(name, xp, rng):
    from ssltheory import _backend

    loss, evaluator, diagonal = _library_case(name)
    z = _z(1) if name == "wmse" else _z()
    gsym = _g(diagonal)
    gsyms = sorted(gsym.free_symbols, key=str)
    free = list(z) + gsyms
    f_val = sp.lambdify(free, loss, "numpy", cse=True)
    f_grad = sp.lambdify(free, _grad(loss, z), "numpy", cse=True)
    for _ in range(3):
        zz = rng.standard_normal(z.shape)
        gg = rng.uniform(0.2, 2.0, (N, N))
        gg = (gg + gg.T) / 2
        if not diagonal:
            np.fill_diagonal(gg, 0.0)
        args = list(zz.ravel()) + [gg[int(str(s)[2]), int(str(s)[3])] for s in gsyms]
        out = evaluator.value_and_grad(xp.asarray(zz), xp.asarray(gg))
        want_v = float(f_val(*args))
        want_g = np.asarray(f_grad(*args), dtype=float)
        got_g = _backend.to_numpy(out.grad)
        # independent float64 evaluations of O(N²K) terms (W-MSE through Cov^-1, cond <~ 1e2):
        # 1e-10 relative to the largest entry is ~1e6 eps, comfortably above their rounding
        scale = max(1.0, np.abs(want_g).max())
        assert abs(float(out.value) - want_v) <= 1e-10 * max(1.0, abs(want_v))
        assert np.abs(got_g - want_g).max() <= 1e-10 * scale

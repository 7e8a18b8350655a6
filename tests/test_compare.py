"""Tests for ssltheory.compare: principal angles, subspace distance, Procrustes, CKA, Gram distance,
loss gap.

References are independent computations: SciPy (``subspace_angles``, ``orthogonal_procrustes``),
dense n×n formulas in NumPy (projectors, centred kernels, Gram matrices) and planted problems
whose answer is known analytically. Every backend-aware test runs on each backend of the ``xp``
fixture.
"""

from __future__ import annotations

import dataclasses
import math

import array_api_strict
import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.linalg
from hypothesis import assume, given
from hypothesis import strategies as st

from ssltheory import _backend
from ssltheory.compare import (
    LossGap,
    ProcrustesResult,
    gram_distance,
    linear_cka,
    loss_gap,
    principal_angles,
    procrustes,
    subspace_distance,
)

EPS = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


# ----------------------------------------------------------------------------- helpers
def _np(x):
    return np.asarray(_backend.to_numpy(x), dtype=np.float64)


def _orthogonal(rng, n, k):
    """A random n×k matrix with orthonormal columns (Haar-distributed up to signs)."""
    q, _ = np.linalg.qr(rng.standard_normal((n, k)))
    return q


def _mixing(rng, k, cond=2.0):
    """A random invertible k×k matrix with condition number exactly ``cond``."""
    return _orthogonal(rng, k, k) @ np.diag(np.linspace(1.0, cond, k)) @ _orthogonal(rng, k, k)


def _planted(rng, n, theta, *, cond=2.0):
    """Bases a, b (n×r) whose column spaces have exactly the principal angles ``theta``.

    a = Q₁·T_a, b = (Q₁ cos θ + Q₂ sin θ)·T_b with [Q₁, Q₂] orthonormal and T_a, T_b invertible of
    condition number ``cond``.
    """
    theta = np.asarray(theta, dtype=np.float64)
    r = theta.shape[0]
    q = _orthogonal(rng, n, 2 * r)
    a = q[:, :r] @ _mixing(rng, r, cond)
    b = (q[:, :r] * np.cos(theta) + q[:, r:] * np.sin(theta)) @ _mixing(rng, r, cond)
    return a, b


def _cond(x):
    s = np.linalg.svd(x, compute_uv=False)
    s = s[s > max(x.shape) * EPS * s[0]]
    return float(s[0] / s[-1])


def _projector(x):
    q = scipy.linalg.orth(x)
    return q @ q.T


def _device_for(xp):
    """A non-default device where the backend has one (array-api-strict), else the default."""
    if xp is array_api_strict:
        return array_api_strict.Device("device1")
    return None


def _to(xp, x, *, dtype=None, device=None):
    return xp.asarray(np.asarray(x), dtype=dtype, device=device)


# ----------------------------------------------------------------------------- principal angles
@pytest.mark.parametrize(("n", "k1", "k2"), [(12, 3, 5), (12, 5, 3), (9, 4, 4), (7, 2, 6), (5, 4, 6)])
def test_principal_angles_match_scipy(xp, rng, n, k1, k2):
    a = rng.standard_normal((n, k1))
    b = rng.standard_normal((n, k2))
    got = principal_angles(_to(xp, a), _to(xp, b))
    ref = np.sort(scipy.linalg.subspace_angles(a, b))
    assert got.shape == ref.shape == (min(np.linalg.matrix_rank(a), np.linalg.matrix_rank(b)),)
    # both orthonormal bases are backward stable: the spaces move by ~n·eps·cond, and angles are
    # 1-Lipschitz in that gap. SciPy pairs arcsin/arccos in opposite orders (see the Notes of
    # principal_angles), so its arcsin of a large angle or arccos of a small one adds
    # eps/min(sin θ, cos θ).
    tol = 10 * n * EPS * (_cond(a) + _cond(b)) + 10 * EPS / np.minimum(np.sin(ref), np.cos(ref))
    assert np.all(np.abs(_np(got) - ref) <= tol)


def test_principal_angles_rank_deficient_match_scipy(xp, rng):
    n = 10
    a = rng.standard_normal((n, 2)) @ rng.standard_normal((2, 5))  # rank 2 in 5 columns
    b = rng.standard_normal((n, 3)) @ rng.standard_normal((3, 4))  # rank 3 in 4 columns
    b[:, 0] = 0.0
    got = _np(principal_angles(_to(xp, a), _to(xp, b)))
    ref = np.sort(scipy.linalg.subspace_angles(a, b))
    assert got.shape == ref.shape == (2,)
    # as in test_principal_angles_match_scipy, with cond of the nonzero singular values
    tol = 10 * n * EPS * (_cond(a) + _cond(b)) + 10 * EPS / np.minimum(np.sin(ref), np.cos(ref))
    assert np.all(np.abs(got - ref) <= tol)


def test_principal_angles_zero_rank_is_empty(xp):
    a = _to(xp, np.zeros((4, 2)))
    b = _to(xp, np.eye(4)[:, :2])
    assert principal_angles(a, b).shape == (0,)
    assert principal_angles(b, a).shape == (0,)


def test_principal_angles_resolve_tiny_angles(xp, rng):
    n, cond = 8, 2.0
    theta = np.array([1e-9, 2e-9, 5e-9])
    a, b = _planted(rng, n, theta, cond=cond)
    got = _np(principal_angles(_to(xp, a), _to(xp, b)))
    # the sines are the singular values of Qb - Qa QaᵀQb, whose entries are ~θ while their
    # rounding error is ~n·eps·cond (bases of a·T, b·T with cond(T) = 2) in absolute terms:
    # relative accuracy n·eps·cond/θ, about 4e-6 at θ = 1e-9 (observed ~2e-7). arccos would
    # return exactly 0 here, since cos(1e-9) rounds to 1.
    rtol = n * EPS * cond / theta
    assert np.all(np.abs(got - theta) <= rtol * theta)
    ref = np.sort(scipy.linalg.subspace_angles(a, b))  # all angles < π/4: SciPy's arcsin path
    assert np.all(np.abs(got - ref) <= 2 * rtol * theta)


def test_principal_angles_tiny_next_to_large(xp, rng):
    # a tiny angle next to angles above π/4: each sine must be paired with its own cosine
    # (scipy.linalg.subspace_angles 1.17 returns 0 for the tiny one here, so the planted
    # angles are the reference)
    n, cond = 10, 2.0
    theta = np.array([1e-9, 0.3, 1.2, 1.5])
    a, b = _planted(rng, n, theta, cond=cond)
    got = _np(principal_angles(_to(xp, a), _to(xp, b)))
    # absolute error √2·n·eps·cond for every angle (each branch is √2-conditioned on its side of
    # π/4), i.e. a relative accuracy of ~4e-6 for the tiny one
    assert np.all(np.abs(got - theta) <= np.sqrt(2) * n * EPS * cond)


def test_principal_angles_invariant_to_invertible_mixing(xp, rng):
    n = 15
    a = rng.standard_normal((n, 3))
    b = rng.standard_normal((n, 4))
    t, s = _mixing(rng, 3, cond=10.0), _mixing(rng, 4, cond=10.0)
    before = _np(principal_angles(_to(xp, a), _to(xp, b)))
    after = _np(principal_angles(_to(xp, a @ t), _to(xp, b @ s)))
    # both are within √2·n·eps·cond of the exact angles (the bases are backward stable)
    tol = 10 * n * EPS * (_cond(a @ t) + _cond(b @ s))
    assert np.all(np.abs(before - after) <= tol)


def test_principal_angles_zero_for_same_space(xp, rng):
    n = 12
    a = rng.standard_normal((n, 4))
    r = _orthogonal(rng, 4, 4)
    t = _mixing(rng, 4, cond=5.0)
    for b in (a @ r, a @ t):
        got = _np(principal_angles(_to(xp, a), _to(xp, b)))
        assert got.shape == (4,)
        # exact answer 0; rounding of the two bases is ~n·eps·cond, seen through arcsin
        assert np.all(got <= 10 * n * EPS * (_cond(a) + _cond(b)))
        assert subspace_distance(_to(xp, a), _to(xp, b)) <= 10 * n * EPS * (_cond(a) + _cond(b))


def test_principal_angles_float32_stays_float32(xp, rng):
    dev = _device_for(xp)
    n = 10
    theta = np.array([0.01, 0.5, 1.4])
    a, b = _planted(rng, n, theta)
    got = principal_angles(_to(xp, a, dtype=xp.float32, device=dev), _to(xp, b, dtype=xp.float32, device=dev))
    assert _backend.get_namespace(got) is xp
    assert got.dtype == xp.float32
    assert _backend.device(got) == _backend.device(_to(xp, a, device=dev))
    # rounding the inputs to float32 moves the spaces by ~eps32·cond, the computation adds n·eps32
    assert np.all(np.abs(_np(got) - theta) <= 10 * n * EPS32 * 2.0)


def test_mixed_float_dtypes_promote(xp, rng):
    a = rng.standard_normal((6, 2))
    b = rng.standard_normal((6, 3))
    got = principal_angles(_to(xp, a, dtype=xp.float32), _to(xp, b, dtype=xp.float64))
    assert got.dtype == xp.float64


def test_integer_input_becomes_float64(xp):
    a = _to(xp, np.array([[1, 0], [0, 1], [0, 0]]), dtype=xp.int64)
    b = _to(xp, np.array([[1, 0], [0, 1], [0, 1]]), dtype=xp.int32)
    got = principal_angles(a, b)
    assert got.dtype == xp.float64
    assert np.all(np.abs(_np(got) - [0.0, np.pi / 4]) <= 10 * EPS)
    assert procrustes(a, a).rotation.dtype == xp.float64


# ----------------------------------------------------------------------------- subspace distance
@pytest.mark.parametrize(("n", "k"), [(10, 1), (10, 3), (6, 5)])
def test_subspace_distance_is_projector_norm(xp, rng, n, k):
    a = rng.standard_normal((n, k))
    b = rng.standard_normal((n, k))
    dense = np.linalg.norm(_projector(a) - _projector(b), ord=2)
    got = subspace_distance(_to(xp, a), _to(xp, b))
    assert isinstance(got, float)
    # both sides see bases accurate to n·eps·cond; the dense 2-norm adds n·eps
    assert abs(got - dense) <= 10 * n * EPS * (_cond(a) + _cond(b))


def test_subspace_distance_planted(xp, rng):
    theta = np.array([0.1, 0.7, 1.1])
    a, b = _planted(rng, 9, theta)
    assert abs(subspace_distance(_to(xp, a), _to(xp, b)) - np.sin(1.1)) <= 10 * 9 * EPS * 4
    # different ranks: the smaller space inside the larger one is at distance 0
    big = rng.standard_normal((9, 4))
    small = big[:, :2] @ _mixing(rng, 2)
    assert subspace_distance(_to(xp, small), _to(xp, big)) <= 10 * 9 * EPS * (_cond(big) + _cond(small))


def test_subspace_distance_rank_zero_raises(xp):
    with pytest.raises(ValueError, match="b has numerical rank 0"):
        subspace_distance(_to(xp, np.eye(3)[:, :2]), _to(xp, np.zeros((3, 2))))


# ----------------------------------------------------------------------------- procrustes
def test_procrustes_recovers_planted_rotation_and_matches_scipy(xp, rng):
    n, k, sigma = 30, 4, 1e-6
    b = rng.standard_normal((n, k))
    r0 = _orthogonal(rng, k, k)
    noise = sigma * rng.standard_normal((n, k))
    a = b @ r0.T + noise
    out = procrustes(_to(xp, a), _to(xp, b))
    assert isinstance(out, ProcrustesResult)
    rot = _np(out.rotation)
    # polar-factor perturbation (R.-C. Li 1995): ‖ΔR‖_F <= 2‖Δ‖_F / (σ_k + σ̃_k) with
    # aᵀb = r0·bᵀb + Δ, Δ = noiseᵀb
    delta = np.linalg.norm(noise.T @ b)
    s_min = np.linalg.svd(b.T @ b, compute_uv=False)[-1]
    assert np.linalg.norm(rot - r0) <= 2 * delta / (2 * s_min - delta)
    ref_rot, _ = scipy.linalg.orthogonal_procrustes(a, b)
    ref_res = np.linalg.norm(a @ ref_rot - b)
    # both are the polar factor of aᵀb: rounding n·eps·‖a‖‖b‖ relative to σ_min(aᵀb)
    s = np.linalg.svd(a.T @ b, compute_uv=False)
    assert np.linalg.norm(rot - ref_rot) <= 10 * n * EPS * s[0] / s[-1]
    # the residual is ~σ‖noise‖; both computed directly from aR - b, whose rounding is n·eps·‖b‖
    assert abs(out.residual - ref_res) <= 10 * n * EPS * np.linalg.norm(b)
    assert abs(out.relative_residual - ref_res / np.linalg.norm(b)) <= 10 * n * EPS
    assert np.linalg.norm(rot.T @ rot - np.eye(k)) <= 10 * k * EPS


def test_procrustes_residual_is_minimal_and_invariant(xp, rng):
    n, k = 20, 3
    a = rng.standard_normal((n, k))
    b = rng.standard_normal((n, k))
    out = procrustes(_to(xp, a), _to(xp, b))
    tol = 10 * n * EPS * (np.linalg.norm(a) + np.linalg.norm(b))  # rounding of ‖aR - b‖_F
    for _ in range(20):  # every other orthogonal matrix is feasible and no better
        q = _orthogonal(rng, k, k)
        assert out.residual <= np.linalg.norm(a @ q - b) + tol
    q = _orthogonal(rng, k, k)
    assert abs(procrustes(_to(xp, a @ q), _to(xp, b)).residual - out.residual) <= tol


def test_procrustes_center_ignores_translations(xp, rng):
    n, k = 25, 3
    b = rng.standard_normal((n, k))
    r0 = _orthogonal(rng, k, k)
    a = b @ r0.T + np.array([3.0, -1.0, 2.0])
    out = procrustes(_to(xp, a), _to(xp, b + 5.0), center=True)
    # exact answer: R = r0, residual 0; rounding of centring is n·eps·max|x|
    assert np.linalg.norm(_np(out.rotation) - r0) <= 100 * n * EPS * 5.0
    assert out.relative_residual <= 100 * n * EPS * 5.0
    assert procrustes(_to(xp, a), _to(xp, b)).relative_residual > 0.1  # not without centring


def test_procrustes_shape_mismatch_and_zero_reference(xp, rng):
    with pytest.raises(ValueError, match=r"a and b must have the same shape, received \(5, 2\) and \(5, 3\)"):
        procrustes(_to(xp, np.ones((5, 2))), _to(xp, np.ones((5, 3))))
    with pytest.raises(ValueError, match=r"b \(the reference\) is zero"):
        procrustes(_to(xp, rng.standard_normal((5, 2))), _to(xp, np.zeros((5, 2))))
    with pytest.raises(ValueError, match="b has zero variance"):
        procrustes(_to(xp, rng.standard_normal((5, 2))), _to(xp, np.full((5, 2), 0.1)), center=True)
    with pytest.raises(TypeError, match="center must be a bool"):
        procrustes(_to(xp, np.ones((5, 2))), _to(xp, np.ones((5, 2))), center=1)


def test_procrustes_result_is_frozen(xp):
    out = procrustes(_to(xp, np.eye(3)), _to(xp, np.eye(3)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.residual = 1.0


# ----------------------------------------------------------------------------- linear CKA
def _cka_dense(a, b):
    """HSIC form with n×n centred kernels: ⟨K_c, L_c⟩ / (‖K_c‖ ‖L_c‖)."""
    n = a.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    kc = h @ a @ a.T @ h
    lc = h @ b @ b.T @ h
    return float(np.sum(kc * lc) / (np.linalg.norm(kc) * np.linalg.norm(lc)))


@pytest.mark.parametrize(("n", "k1", "k2"), [(30, 3, 5), (8, 6, 2), (40, 1, 1)])
def test_linear_cka_matches_hsic_form(xp, rng, n, k1, k2):
    a = rng.standard_normal((n, k1)) + 3.0
    b = rng.standard_normal((n, k2)) @ rng.standard_normal((k2, k2)) - 1.0
    got = linear_cka(_to(xp, a), _to(xp, b))
    assert isinstance(got, float)
    assert 0.0 <= got <= 1.0
    # sums of n·k nonnegative-ish products in both forms, each rounded to eps; the centring of
    # data offset by O(1) adds n·eps per entry. CKA is O(0.1..1) here, so this is relative.
    assert abs(got - _cka_dense(a, b)) <= 100 * n * EPS


def test_linear_cka_invariances(xp, rng):
    n, k = 40, 4
    a = rng.standard_normal((n, k))
    b = -2.5 * a @ _orthogonal(rng, k, k) + rng.standard_normal(k)
    # 1 exactly; rounding of centring (n·eps·max|x|/std) and of the Gram products (n·eps)
    assert abs(linear_cka(_to(xp, a), _to(xp, b)) - 1.0) <= 100 * n * EPS
    c = rng.standard_normal((n, 3))
    base = linear_cka(_to(xp, a), _to(xp, c))
    moved = linear_cka(_to(xp, 7.0 * a @ _orthogonal(rng, k, k) - 4.0), _to(xp, c))
    assert abs(base - moved) <= 100 * n * EPS
    # not invariant to a general invertible map
    assert linear_cka(_to(xp, a), _to(xp, a @ np.diag([1.0, 1.0, 1.0, 100.0]))) < 0.9


def test_linear_cka_constant_input_raises(xp, rng):
    a = rng.standard_normal((6, 2))
    with pytest.raises(ValueError, match="b has zero variance"):
        linear_cka(_to(xp, a), _to(xp, np.full((6, 3), 0.1)))  # the mean of 0.1s is inexact
    with pytest.raises(ValueError, match="a has zero variance"):
        linear_cka(_to(xp, np.zeros((6, 2))), _to(xp, a))
    with pytest.raises(ValueError, match="a has zero variance"):
        linear_cka(_to(xp, a[:1]), _to(xp, a[:1]))  # one sample: nothing left after centring


# ----------------------------------------------------------------------------- Gram distance
def _gram_dense(a, b, center):
    if center:
        a = a - a.mean(axis=0)
        b = b - b.mean(axis=0)
    return float(np.linalg.norm(a @ a.T - b @ b.T) / np.linalg.norm(b @ b.T))


def _gram_tol(a, b, n):
    # the absolute error of both forms is ~n·eps·(‖a‖₂² + ‖b‖₂²), relative to ‖bbᵀ‖_F
    return 10 * n * EPS * (np.linalg.norm(a, 2) ** 2 + np.linalg.norm(b, 2) ** 2) / np.linalg.norm(b.T @ b)


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize(("n", "k1", "k2"), [(25, 3, 4), (4, 3, 3), (10, 2, 2)])
def test_gram_distance_matches_dense(xp, rng, n, k1, k2, center):
    a = rng.standard_normal((n, k1)) + 1.0
    b = rng.standard_normal((n, k2))
    got = gram_distance(_to(xp, a), _to(xp, b), center=center)
    assert isinstance(got, float)
    assert abs(got - _gram_dense(a, b, center)) <= _gram_tol(a, b, n)


def test_gram_distance_zero_for_right_orthogonal_maps(xp, rng):
    n = 30
    b = rng.standard_normal((n, 3))
    q = _orthogonal(rng, 5, 3).T  # (3, 5) with orthonormal rows: (bq)(bq)ᵀ = bbᵀ
    for a in (b @ _orthogonal(rng, 3, 3), b @ q):
        assert gram_distance(_to(xp, a), _to(xp, b)) <= _gram_tol(a, b, n)
    assert abs(gram_distance(_to(xp, np.zeros((n, 2))), _to(xp, b)) - 1.0) <= _gram_tol(b, b, n)


def test_gram_distance_center_ignores_translations(xp, rng):
    n = 30
    b = rng.standard_normal((n, 3))
    a = b @ _orthogonal(rng, 3, 3) + np.array([1.0, -2.0, 0.5])
    shifted = b + 4.0
    # centring rounds at n·eps·max|x| per entry
    assert gram_distance(_to(xp, a), _to(xp, shifted), center=True) <= 10 * _gram_tol(a, shifted, n)
    assert gram_distance(_to(xp, a), _to(xp, shifted)) > 0.1


def test_gram_distance_zero_reference_raises(xp, rng):
    a = _to(xp, rng.standard_normal((5, 2)))
    with pytest.raises(ValueError, match=r"b \(the reference\) is zero"):
        gram_distance(a, _to(xp, np.zeros((5, 2))))
    with pytest.raises(ValueError, match="b has zero variance"):
        gram_distance(a, _to(xp, np.ones((5, 2))), center=True)
    with pytest.raises(TypeError, match="center must be a bool"):
        gram_distance(a, a, center="yes")


# ----------------------------------------------------------------------------- loss gap
def test_loss_gap_floats():
    gap = loss_gap(1.5, 1.0)
    assert isinstance(gap, LossGap)
    assert (gap.absolute, gap.relative) == (0.5, 0.5)
    gap = loss_gap(-3.0, -4.0)  # relative to |optimum|: positive above a negative optimum
    assert (gap.absolute, gap.relative) == (1.0, 0.25)
    below = loss_gap(-4.5, -4.0)
    assert below.absolute < 0  # the "optimum" is not optimal
    assert loss_gap(0.0, 0.0) == LossGap(0.0, 0.0)
    at_zero = loss_gap(1e-300, 0.0)  # the floor avoids a division by zero
    assert math.isfinite(at_zero.relative)
    assert at_zero.relative > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        gap.absolute = 0.0


def test_loss_gap_arrays(xp):
    dev = _device_for(xp)
    loss = xp.asarray(2.0, dtype=xp.float32, device=dev)
    optimum = xp.asarray(1.5, dtype=xp.float64, device=dev)
    gap = loss_gap(loss, optimum)
    assert isinstance(gap.absolute, float)
    assert isinstance(gap.relative, float)
    assert gap == LossGap(0.5, 0.5 / 1.5)  # 2.0 and 1.5 are exact in float32
    assert loss_gap(loss, 1.0) == LossGap(1.0, 1.0)
    assert loss_gap(xp.asarray(3, device=dev), np.float64(2.0)) == LossGap(1.0, 0.5)


def test_loss_gap_bad_input(xp):
    with pytest.raises(ValueError, match=r"loss must be a scalar .* received shape \(2,\)"):
        loss_gap(xp.asarray([1.0, 2.0]), 1.0)
    with pytest.raises(ValueError, match="optimum must be finite"):
        loss_gap(1.0, float("nan"))
    with pytest.raises(ValueError, match="loss must be finite"):
        loss_gap(xp.asarray(float("inf")), 1.0)
    with pytest.raises(TypeError, match="loss must be a real number or a 0-d array, received bool"):
        loss_gap(True, 1.0)
    with pytest.raises(TypeError, match="optimum must be real"):
        loss_gap(1.0, 1j)
    with pytest.raises(TypeError, match="optimum must be a real number or a 0-d array, received str"):
        loss_gap(1.0, "1.0")
    with pytest.raises(TypeError, match="different array libraries"):
        loss_gap(np.asarray(1.0), array_api_strict.asarray(1.0))


# ----------------------------------------------------------------------------- backend preservation
def test_namespace_device_dtype_preserved(xp, rng):
    dev = _device_for(xp)
    a = rng.standard_normal((12, 3))
    b = rng.standard_normal((12, 3))
    for dtype in (xp.float32, xp.float64):
        xa, xb = _to(xp, a, dtype=dtype, device=dev), _to(xp, b, dtype=dtype, device=dev)
        angles = principal_angles(xa, xb)
        rot = procrustes(xa, xb, center=True).rotation
        for out in (angles, rot):
            assert _backend.get_namespace(out) is xp
            assert out.dtype == dtype
            assert _backend.device(out) == _backend.device(xa)
        for value in (
            subspace_distance(xa, xb),
            linear_cka(xa, xb),
            gram_distance(xa, xb),
            gram_distance(xa, xb, center=True),
        ):
            assert isinstance(value, float)
            assert math.isfinite(value)


# ----------------------------------------------------------------------------- bad input
_PAIR_FUNCTIONS = [principal_angles, subspace_distance, procrustes, linear_cka, gram_distance]


@pytest.mark.parametrize("func", _PAIR_FUNCTIONS, ids=lambda f: f.__name__)
def test_bad_input(xp, func):
    good = _to(xp, np.arange(10.0).reshape(5, 2) ** 2)
    with pytest.raises(ValueError, match=r"a must be a 2-D array .* received shape \(5,\)"):
        func(_to(xp, np.arange(5.0)), good)
    with pytest.raises(ValueError, match=r"b must be a 2-D array .* received shape \(1, 5, 2\)"):
        func(good, _to(xp, np.ones((1, 5, 2))))
    with pytest.raises(
        ValueError, match=r"a and b must have the same number of rows .*a.shape=\(5, 2\) and b.shape=\(6, 2\)"
    ):
        func(good, _to(xp, np.ones((6, 2))))
    bad = np.ones((5, 2))
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"b must be finite, but entry \(3, 1\) is nan"):
        func(good, _to(xp, bad))
    with pytest.raises(TypeError, match="different array libraries"):
        func(np.ones((5, 2)), array_api_strict.ones((5, 2)))
    with pytest.raises(TypeError, match="expected an array"):
        func([[1.0, 2.0]], good)
    with pytest.raises(TypeError, match="a must have a real"):
        func(_to(xp, np.ones((5, 2), dtype=np.complex128)), good)


# ----------------------------------------------------------------------------- property tests
_ELEMENTS = st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _scaled_norm(x: np.ndarray) -> float:
    """Frobenius norm without underflow of the squares (LAPACK nrm2 style scaling)."""
    scale = float(np.max(np.abs(x))) if x.size else 0.0
    return scale * float(np.linalg.norm(x / scale)) if scale > 0 else 0.0


@st.composite
def _pairs(draw, *, same_k=False):
    n = draw(st.integers(1, 20))
    k1 = draw(st.integers(1, 5))
    k2 = k1 if same_k else draw(st.integers(1, 5))
    a = draw(hnp.arrays(np.float64, (n, k1), elements=_ELEMENTS))
    b = draw(hnp.arrays(np.float64, (n, k2), elements=_ELEMENTS))
    return a, b


@given(pair=_pairs())
def test_property_principal_angles(xp, pair):
    a, b = pair
    n = a.shape[0]
    ab = _np(principal_angles(_to(xp, a), _to(xp, b)))
    ba = _np(principal_angles(_to(xp, b), _to(xp, a)))
    assert ab.shape == ba.shape
    assert ab.shape[0] <= min(a.shape[1], b.shape[1], n)
    assert np.all((ab >= 0) & (ab <= np.pi / 2))
    assert np.all(np.diff(ab) >= 0)
    # the same deterministic bases enter both orders; the two computations differ only by
    # rounding of n-term products, seen through √2-conditioned arcsin/arccos
    assert np.all(np.abs(ab - ba) <= 10 * n * EPS)
    if ab.shape[0]:
        d = subspace_distance(_to(xp, a), _to(xp, b))
        assert 0.0 <= d <= 1.0
        assert abs(d - np.sin(ab[-1])) <= 10 * n * EPS


@given(pair=_pairs(same_k=True))
def test_property_procrustes(xp, pair):
    a, b = pair
    assume(np.any(b != 0))
    n, k = a.shape
    out = procrustes(_to(xp, a), _to(xp, b))
    rot = _np(out.rotation)
    assert np.linalg.norm(rot.T @ rot - np.eye(k)) <= 10 * k * EPS
    # R = I and R = -I are feasible: the optimum is no worse (up to rounding of the norms).
    # The reference norms are scaled first: entries like 1e-299 square to 0 in a plain norm.
    tol = 10 * n * EPS * (_scaled_norm(a) + _scaled_norm(b))
    assert out.residual <= min(_scaled_norm(a - b), _scaled_norm(a + b)) + tol


@given(pair=_pairs())
def test_property_cka_and_gram(xp, pair):
    a, b = pair
    # variation far above the rounding level of the mean (n·eps·4 < 1e-13) in both inputs
    assume(np.ptp(a, axis=0).max() > 1e-6)
    assume(np.ptp(b, axis=0).max() > 1e-6)
    n = a.shape[0]
    ab = linear_cka(_to(xp, a), _to(xp, b))
    ba = linear_cka(_to(xp, b), _to(xp, a))
    assert 0.0 <= ab <= 1.0
    # the same products, transposed: only their rounding (n·eps relative) differs
    assert abs(ab - ba) <= 10 * n * EPS
    g = gram_distance(_to(xp, a), _to(xp, b))
    assert g >= 0.0
    assert abs(g - _gram_dense(a, b, False)) <= _gram_tol(a, b, n)


def test_large_entries_do_not_overflow(xp, rng):
    # 1e200-sized entries: every product of two of them overflows float64, so each function must
    # scale first (warnings are errors, so numpy's overflow RuntimeWarning would fail this test)
    n = 12
    a = rng.standard_normal((n, 3))
    r = _orthogonal(rng, 3, 3)
    big_a, big_b = _to(xp, 1e200 * a), _to(xp, 1e200 * a @ r)
    tol = 100 * n * EPS * _cond(a)  # the exact answers below are 0 or 1
    assert procrustes(big_a, big_b).relative_residual <= tol
    assert np.linalg.norm(_np(procrustes(big_a, big_b).rotation) - r) <= tol
    assert abs(linear_cka(big_a, big_b) - 1.0) <= tol
    assert gram_distance(big_a, big_b) <= tol
    assert np.all(_np(principal_angles(big_a, big_b)) <= tol)

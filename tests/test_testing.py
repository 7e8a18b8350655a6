"""Tests of ssltheory.testing's assertions: each passes on correct input and fails on wrong input.

An assertion helper that cannot fail is worse than none, so every helper is shown to raise
``AssertionError`` on a specific, small defect (a 1e-3 relative error, a 1e-3 rad rotation, a
1e-6 eigenvalue shift, a column scaled by 1 %).
"""

from __future__ import annotations

import math

import array_api_strict
import numpy as np
import pytest
import scipy.linalg

from ssltheory import _backend
from ssltheory.testing import assert_close, assert_eigenpairs, assert_same_subspace, default_rtol

EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


def _other_library(xp):
    """A namespace from a different array library than ``xp`` (for namespace-mismatch tests)."""
    return array_api_strict if _backend.is_numpy(xp) else _backend.namespace_for("numpy")


def _orthogonal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _spd(rng, n, cond):
    """Symmetric positive definite matrix with eigenvalues log-spaced in [1, cond]."""
    q = _orthogonal(rng, n)
    b = (q * np.geomspace(1.0, cond, n)) @ q.T
    return (b + b.T) / 2


def _symmetric(rng, n):
    a = rng.standard_normal((n, n))
    return a + a.T


# ----------------------------------------------------------------------------- default_rtol
def test_default_rtol_is_four_sqrt_eps():
    # exact formula (DESIGN §5); the comparison is of two floats computed the same way
    assert default_rtol(np.float64) == 4.0 * math.sqrt(EPS64)
    assert default_rtol(np.dtype("float32")) == 4.0 * math.sqrt(EPS32)
    assert default_rtol("float32") == default_rtol(np.float32)


def test_default_rtol_accepts_array_api_dtypes_and_arrays(xp):
    assert default_rtol(xp.float32) == 4.0 * math.sqrt(EPS32)
    assert default_rtol(xp.float64) == 4.0 * math.sqrt(EPS64)
    assert default_rtol(xp.ones(3, dtype=xp.float32)) == default_rtol(np.float32)
    assert default_rtol(array_api_strict.float32) == default_rtol(np.float32)
    assert default_rtol(np.float32) > default_rtol(np.float64)


@pytest.mark.parametrize("bad", [np.int64, np.dtype("int32"), np.bool_, "int8", array_api_strict.int64])
def test_default_rtol_rejects_integer_dtypes(bad):
    with pytest.raises(TypeError, match="floating dtype"):
        default_rtol(bad)


def test_default_rtol_rejects_integer_arrays_and_non_dtypes(xp):
    with pytest.raises(TypeError, match="floating dtype"):
        default_rtol(xp.asarray([1, 2]))
    with pytest.raises(TypeError, match="floating dtype"):
        default_rtol(None)
    with pytest.raises(TypeError, match="floating dtype"):
        default_rtol(1.5)


# ----------------------------------------------------------------------------- assert_close
def test_assert_close_accepts_rounding_level_error(xp, rng):
    desired = rng.uniform(1.0, 2.0, size=(4, 3))
    # relative error 1e-12 is far below float64's default rtol 6e-8
    assert_close(xp.asarray(desired * (1 + 1e-12)), xp.asarray(desired))
    assert_close(xp.asarray(desired), xp.asarray(desired))


def test_assert_close_catches_1e3_relative_error(xp, rng):
    desired = rng.uniform(1.0, 2.0, size=(4, 3))
    actual = desired.copy()
    actual[2, 1] *= 1 + 1e-3  # one entry off by 1e-3 relative, far above rtol 6e-8
    with pytest.raises(AssertionError, match=r"Mismatched elements: 1 / 12") as info:
        assert_close(xp.asarray(actual), xp.asarray(desired), err_msg="my context")
    message = str(info.value)
    assert "(2, 1)" in message  # the worst index is reported
    assert "Max relative difference: 0.001" in message
    assert "my context" in message


def test_assert_close_float32_default_is_looser(xp, rng):
    desired = rng.uniform(1.0, 2.0, size=5).astype(np.float32)
    # 1e-5 relative: inside float32's rtol (1.4e-3), far outside float64's (6e-8)
    actual = (desired * np.float32(1 + 1e-5)).astype(np.float32)
    assert_close(xp.asarray(actual), xp.asarray(desired))
    with pytest.raises(AssertionError, match="not close"):
        assert_close(xp.asarray(actual.astype(np.float64)), xp.asarray(desired.astype(np.float64)))
    # a float32 result against a float64 reference gets float32's tolerance (the least precise)
    assert_close(xp.asarray(actual), xp.asarray(desired.astype(np.float64)))


def test_assert_close_explicit_tolerances(xp):
    # |1.1 - 1| = 0.1: fails at rtol 0.05, passes at rtol 0.2, and atol rescues a zero reference
    with pytest.raises(AssertionError, match=r"rtol=0\.05"):
        assert_close(xp.asarray([1.1]), xp.asarray([1.0]), rtol=0.05)
    assert_close(xp.asarray([1.1]), xp.asarray([1.0]), rtol=0.2)
    with pytest.raises(AssertionError, match="not close"):
        assert_close(xp.asarray([1e-10]), xp.asarray([0.0]))
    assert_close(xp.asarray([1e-10]), xp.asarray([0.0]), atol=1e-9)


def test_assert_close_rejects_shape_mismatch(xp):
    with pytest.raises(AssertionError, match=r"shapes differ: actual \(3,\), desired \(1, 3\)"):
        assert_close(xp.ones(3), xp.ones((1, 3)))


def test_assert_close_rejects_namespace_mismatch(xp):
    other = _other_library(xp)
    with pytest.raises(AssertionError, match="different array libraries"):
        assert_close(xp.asarray([1.0, 2.0]), other.asarray([1.0, 2.0]))
    assert_close(xp.asarray([1.0, 2.0]), other.asarray([1.0, 2.0]), check_namespace=False)


def test_assert_close_scalars_nan_and_inf(xp):
    assert_close(1.0, 1.0 + 1e-12)  # Python scalars: float64 semantics
    assert_close(xp.asarray(2.0), 2.0)  # 0-d array against a Python scalar: no namespace check
    with pytest.raises(AssertionError, match="not close"):
        assert_close(1.0, 1.1)
    # integers compare exactly by default
    with pytest.raises(AssertionError, match=r"rtol=0,"):
        assert_close(xp.asarray([1, 2]), xp.asarray([1, 3]))
    nan_inf = xp.asarray([float("nan"), float("inf"), 1.0])
    assert_close(nan_inf, nan_inf)  # NaNs in the same places compare equal, infinities exactly
    with pytest.raises(AssertionError, match="not close"):
        assert_close(nan_inf, xp.asarray([0.0, float("inf"), 1.0]))
    with pytest.raises(AssertionError, match="not close"):
        assert_close(nan_inf, xp.asarray([float("nan"), -float("inf"), 1.0]))


# ----------------------------------------------------------------------------- assert_same_subspace
def test_same_subspace_accepts_any_basis(xp, rng):
    a = rng.standard_normal((9, 3))
    t = rng.standard_normal((3, 3)) + 3.0 * np.eye(3)  # diagonally shifted: well conditioned
    assert_same_subspace(xp.asarray(a), xp.asarray(a @ t))
    # more columns than the rank: the span is what counts
    b = np.concatenate([a @ t, a[:, :1] - a[:, 2:]], axis=1)
    assert_same_subspace(xp.asarray(a), xp.asarray(b))
    # a 1-D array is one column
    assert_same_subspace(xp.asarray(a[:, 0]), xp.asarray(-2.0 * a[:, :1]))


def test_same_subspace_measures_the_principal_angle(xp, rng):
    q = _orthogonal(rng, 9)
    basis, outside = q[:, :3], q[:, 3]
    theta = 1e-3
    rotated = basis.copy()
    rotated[:, 0] = math.cos(theta) * basis[:, 0] + math.sin(theta) * outside
    with pytest.raises(AssertionError, match="subspaces differ") as info:
        assert_same_subspace(xp.asarray(basis), xp.asarray(rotated))  # default atol 6e-8 << 1e-3
    assert "1e-03" in str(info.value) or "0.001" in str(info.value)
    # the sine is measured to about eps (sin θ ≈ 1e-3 and the bases are orthonormal to ~1e-16),
    # so atol 1 % above/below sin θ separates pass from fail
    assert_same_subspace(xp.asarray(basis), xp.asarray(rotated), atol=1.01 * math.sin(theta))
    with pytest.raises(AssertionError, match="subspaces differ"):
        assert_same_subspace(xp.asarray(basis), xp.asarray(rotated), atol=0.99 * math.sin(theta))


def test_same_subspace_rejects_other_dimensions_and_shapes(xp, rng):
    a = rng.standard_normal((6, 3))
    with pytest.raises(AssertionError, match=r"different dimensions: rank\(a\) = 3, rank\(b\) = 2"):
        assert_same_subspace(xp.asarray(a), xp.asarray(a[:, :2]))
    with pytest.raises(AssertionError, match="same number of rows"):
        assert_same_subspace(xp.asarray(a), xp.asarray(a[:5, :]))
    other = _other_library(xp)
    with pytest.raises(AssertionError, match="different array libraries"):
        assert_same_subspace(xp.asarray(a), other.asarray(a))


def test_same_subspace_float32_default_is_looser(xp, rng):
    a = rng.standard_normal((8, 2))
    t = np.array([[1.0, 2.0], [0.5, -1.0]])
    # float32 rounding of a @ T moves the span by ~1e-7, inside float32's atol 1.4e-3
    assert_same_subspace(xp.asarray(a.astype(np.float32)), xp.asarray((a @ t).astype(np.float32)))


# ----------------------------------------------------------------------------- assert_eigenpairs
def test_eigenpairs_accepts_scipy_standard(xp, rng):
    a = _symmetric(rng, 12)
    w, v = scipy.linalg.eigh(a)
    assert_eigenpairs(xp.asarray(a), xp.asarray(w), xp.asarray(v))
    # a subset of the pairs, as returned by partial solvers
    w3, v3 = scipy.linalg.eigh(a, subset_by_index=[9, 11])
    assert_eigenpairs(xp.asarray(a), xp.asarray(w3), xp.asarray(v3))


def test_eigenpairs_accepts_scipy_generalized(xp, rng):
    a = _symmetric(rng, 10)
    b = _spd(rng, 10, cond=1e3)
    w, v = scipy.linalg.eigh(a, b)
    assert_eigenpairs(xp.asarray(a), xp.asarray(w), xp.asarray(v), b=xp.asarray(b))


def test_eigenpairs_accepts_backend_solvers(xp, rng):
    a = _symmetric(rng, 10)
    b = _spd(rng, 10, cond=1e4)
    a_x, b_x = xp.asarray(a), xp.asarray(b)
    w, v = xp.linalg.eigh(a_x)
    assert_eigenpairs(a_x, w, v)
    w, v = _backend.generalized_eigh(a_x, b_x, xp=xp)  # Cholesky route off NumPy
    assert_eigenpairs(a_x, w, v, b=b_x)
    a32 = xp.asarray(a.astype(np.float32))
    w32, v32 = xp.linalg.eigh(a32)
    assert_eigenpairs(a32, w32, v32)  # float32 results meet float32's bound


def test_eigenpairs_rejects_perturbed_eigenvalues(xp, rng):
    a = _symmetric(rng, 8)
    w, v = scipy.linalg.eigh(a)
    shifted = w + 1e-6 * np.max(np.abs(w))  # residual 1e-6·‖A‖ ≫ 100·n·eps·‖A‖ ≈ 2e-13·‖A‖
    with pytest.raises(AssertionError, match="residual too large"):
        assert_eigenpairs(xp.asarray(a), xp.asarray(shifted), xp.asarray(v))


def test_eigenpairs_rejects_perturbed_eigenvectors(xp, rng):
    a = _symmetric(rng, 8)
    w, v = scipy.linalg.eigh(a)
    noisy = v + 1e-6 * rng.standard_normal(v.shape)  # same margin as for the eigenvalues
    with pytest.raises(AssertionError, match="residual too large"):
        assert_eigenpairs(xp.asarray(a), xp.asarray(w), xp.asarray(noisy))


def test_eigenpairs_rejects_non_orthonormal_vectors(xp, rng):
    a = _symmetric(rng, 8)
    w, v = scipy.linalg.eigh(a)
    scaled = v.copy()
    scaled[:, 0] *= 1.01  # still an eigenvector (residual is relative to ‖v‖), not unit length
    with pytest.raises(AssertionError, match="not orthonormal"):
        assert_eigenpairs(xp.asarray(a), xp.asarray(w), xp.asarray(scaled))
    repeated_w, repeated_v = w.copy(), v.copy()
    repeated_w[1], repeated_v[:, 1] = w[0], v[:, 0]  # the same pair twice: residuals are fine
    with pytest.raises(AssertionError, match="not orthonormal"):
        assert_eigenpairs(xp.asarray(a), xp.asarray(repeated_w), xp.asarray(repeated_v))


def test_eigenpairs_generalized_rejects_wrong_normalisation(xp, rng):
    a = _symmetric(rng, 8)
    b = _spd(rng, 8, cond=10.0)
    w, v = scipy.linalg.eigh(a, b)
    scaled = v * 1.01  # B-orthonormality off by 2 % ≫ rtol·cond(B) ≈ 2e-12
    with pytest.raises(AssertionError, match="not B-orthonormal"):
        assert_eigenpairs(xp.asarray(a), xp.asarray(w), xp.asarray(scaled), b=xp.asarray(b))
    # standard eigenpairs are not generalised ones
    w0, v0 = scipy.linalg.eigh(a)
    with pytest.raises(AssertionError, match="residual too large"):
        assert_eigenpairs(xp.asarray(a), xp.asarray(w0), xp.asarray(v0), b=xp.asarray(b))


def test_eigenpairs_rtol_overrides_the_multiplier(xp, rng):
    a = _symmetric(rng, 6)
    w, v = scipy.linalg.eigh(a)
    shifted = w + 1e-6 * np.max(np.abs(w))
    # residual/(‖A‖+|λ|)‖v‖ <= 1e-6·max|λ|/‖A‖ = 1e-6 < 1e-5: a loose rtol accepts the shift
    assert_eigenpairs(xp.asarray(a), xp.asarray(shifted), xp.asarray(v), rtol=1e-5)


def test_eigenpairs_bad_inputs(xp, rng):
    a = _symmetric(rng, 5)
    w, v = scipy.linalg.eigh(a)
    with pytest.raises(AssertionError, match="eigenvectors shape"):
        assert_eigenpairs(xp.asarray(a), xp.asarray(w[:4]), xp.asarray(v))
    with pytest.raises(ValueError, match="square"):
        assert_eigenpairs(xp.asarray(a[:, :4]), xp.asarray(w), xp.asarray(v))
    not_pd = -np.eye(5)
    with pytest.raises(ValueError, match="positive definite"):
        assert_eigenpairs(xp.asarray(a), xp.asarray(w), xp.asarray(v), b=xp.asarray(not_pd))
    other = _other_library(xp)
    with pytest.raises(AssertionError, match="different array libraries"):
        assert_eigenpairs(xp.asarray(a), other.asarray(w), xp.asarray(v))

"""The backend layer: namespace inference, dtype promotion, the dispatched eigensolvers, ties."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse

from ssltheory import DegenerateSpectrumWarning, _backend, _linalg, _validation

EPS = np.finfo(np.float64).eps


def _spd(rng, n, cond=10.0):
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.geomspace(1.0, cond, n)) @ q.T


# --------------------------------------------------------------------------- namespaces
def test_get_namespace_matches_input(xp):
    x = xp.asarray([1.0, 2.0])
    ns = _backend.get_namespace(x, None)
    assert ns is _backend.get_namespace(x)
    assert ns is xp or _backend.backend_name(ns) == _backend.backend_name(xp)


def test_mixed_libraries_raise_typeerror():
    import array_api_strict

    with pytest.raises(TypeError, match=r"different array libraries.*array_api_strict, numpy"):
        _backend.get_namespace(np.ones(2), array_api_strict.ones(2))


@pytest.mark.parametrize("bad", [[1.0, 2.0], (1, 2), 3.0, "abc"])
def test_non_arrays_raise_typeerror(bad):
    with pytest.raises(TypeError, match="expected an array"):
        _backend.get_namespace(bad)


def test_no_array_raises():
    with pytest.raises(TypeError, match="at least one array"):
        _backend.get_namespace(None)


def test_sparse_counts_as_numpy():
    s = scipy.sparse.eye(3, format="csr")
    assert _backend.is_numpy(_backend.get_namespace(s, np.ones(3)))
    assert _backend.is_sparse(s)
    assert not _backend.is_sparse(np.ones(3))


def test_namespace_for_names():
    assert _backend.backend_name(_backend.namespace_for("numpy")) == "numpy"
    with pytest.raises(ValueError, match="unknown backend 'nope'"):
        _backend.namespace_for("nope")


def test_to_numpy_roundtrip(xp):
    a = np.arange(6.0).reshape(2, 3)
    out = _backend.to_numpy(xp.asarray(a))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, a)


def test_device_of_sparse_is_cpu():
    assert _backend.device(scipy.sparse.eye(2, format="csr")) == "cpu"


# --------------------------------------------------------------------------- validation
def test_as_float_promotes_integers_and_keeps_float32(xp):
    assert _validation.as_float(xp.asarray([1, 2]), xp=xp, name="x").dtype == xp.float64
    assert _validation.as_float(xp.asarray([True]), xp=xp, name="x").dtype == xp.float64
    assert _validation.as_float(xp.asarray([1.0], dtype=xp.float32), xp=xp, name="x").dtype == xp.float32


def test_as_float_rejects_complex():
    with pytest.raises(TypeError, match="x must have a real"):
        _validation.as_float(np.ones(2, dtype=complex), xp=_backend.get_namespace(np.ones(1)), name="x")


def test_check_finite_names_argument_and_index(xp):
    a = xp.asarray([[0.0, 1.0], [float("nan"), 2.0]])
    with pytest.raises(ValueError, match=r"embedding must be finite, but entry \(1, 0\) is nan"):
        _validation.check_finite(a, xp=xp, name="embedding")


def test_check_graph_messages(xp):
    with pytest.raises(ValueError, match=r"graph must be a square \(n, n\) matrix, received shape \(2, 3\)"):
        _validation.check_graph(xp.zeros((2, 3)), xp=xp)
    with pytest.raises(
        ValueError, match=r"graph must be symmetric: entries \(0, 1\) and \(1, 0\).*\(G \+ G.T\) / 2"
    ):
        _validation.check_graph(xp.asarray([[0.0, 1.0], [0.0, 0.0]]), xp=xp)
    with pytest.raises(ValueError, match=r"graph must be non-negative, but entry \(0, 1\) is -1"):
        _validation.check_graph(xp.asarray([[0.0, -1.0], [-1.0, 0.0]]), xp=xp)
    with pytest.raises(ValueError, match=r"graph must be finite"):
        _validation.check_graph(xp.asarray([[0.0, float("inf")], [float("inf"), 0.0]]), xp=xp)
    with pytest.raises(ValueError, match=r"zero diagonal.*entry \(1, 1\) is 2"):
        _validation.check_graph(xp.asarray([[0.0, 1.0], [1.0, 2.0]]), xp=xp, diagonal="reject")
    # asymmetry below 4*sqrt(eps)*max|G| is rounding, accepted
    tiny = 1e-12
    g = _validation.check_graph(xp.asarray([[0.0, 1.0], [1.0 + tiny, 0.0]]), xp=xp)
    assert g.shape == (2, 2)


def test_check_graph_sparse_messages():
    xp = _backend.get_namespace(np.ones(1))
    asym = scipy.sparse.csr_matrix(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="graph must be symmetric"):
        _validation.check_graph(asym, xp=xp)
    neg = scipy.sparse.csr_matrix(np.array([[0.0, -1.0], [-1.0, 0.0]]))
    with pytest.raises(ValueError, match="graph must be non-negative"):
        _validation.check_graph(neg, xp=xp)
    nan = scipy.sparse.csr_matrix(np.array([[0.0, np.nan], [np.nan, 0.0]]))
    with pytest.raises(ValueError, match="graph must be finite"):
        _validation.check_graph(nan, xp=xp)


def test_check_int_and_positive():
    with pytest.raises(TypeError, match="n_components must be an integer"):
        _validation.check_int(2.0, name="n_components")
    with pytest.raises(TypeError, match="n_views must be an integer"):
        _validation.check_int(True, name="n_views")
    with pytest.raises(ValueError, match="n_views must be >= 1, received 0"):
        _validation.check_int(0, name="n_views", minimum=1)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        _validation.check_positive(0.0, name="temperature")
    with pytest.raises(ValueError, match=r"n_components must be <= 3 \(rank\)"):
        _validation.check_n_components(4, maximum=3, reason="rank")


# --------------------------------------------------------------------------- eigensolvers
def test_generalized_eigh_matches_scipy(xp, rng):
    n = 7
    a = rng.standard_normal((n, n))
    a = a + a.T
    b = _spd(rng, n, cond=50.0)
    w, v = _linalg.generalized_eigh(xp.asarray(a), xp.asarray(b), xp=xp)
    w_ref = scipy.linalg.eigh(a, b, eigvals_only=True)
    w, v = _backend.to_numpy(w), _backend.to_numpy(v)
    # eigenvalue error of a backward-stable generalised solver: ~ n·eps·‖a‖·cond(b) relative to |w|max
    tol = 10 * n * EPS * np.linalg.norm(a, 2) * np.linalg.cond(b)
    assert np.max(np.abs(w - w_ref)) <= tol
    # invariants, not raw vectors: residual and b-orthonormality
    assert np.linalg.norm(a @ v - b @ v * w) <= tol * np.linalg.norm(v)
    assert np.max(np.abs(v.T @ b @ v - np.eye(n))) <= 10 * n * EPS * np.linalg.cond(b)


def test_generalized_eigh_ridge_regularises_singular_b(xp, rng):
    n = 5
    x = rng.standard_normal((n, 2))
    b = x @ x.T  # rank 2: singular
    a = np.diag(np.arange(1.0, n + 1))
    ridge = 1e-3
    w, _ = _linalg.generalized_eigh(xp.asarray(a), xp.asarray(b), xp=xp, ridge=ridge)
    w_ref = scipy.linalg.eigh(a, b + ridge * np.eye(n), eigvals_only=True)
    w = _backend.to_numpy(w)
    cond = np.linalg.cond(b + ridge * np.eye(n))
    assert np.max(np.abs(w - w_ref)) <= 10 * n * EPS * cond * np.max(np.abs(w_ref))


@pytest.mark.parametrize(("k", "which"), [(1, "bottom"), (3, "bottom"), (2, "top"), (6, "top")])
def test_partial_eigh_dense(xp, rng, k, which):
    n = 6
    a = rng.standard_normal((n, n))
    a = a + a.T
    fn = _linalg.bottom_k if which == "bottom" else _linalg.top_k
    w, v = fn(xp.asarray(a), k, xp=xp)
    ref = np.linalg.eigvalsh(a)
    ref = ref[:k] if which == "bottom" else ref[::-1][:k]
    w, v = _backend.to_numpy(w), _backend.to_numpy(v)
    tol = 10 * n * EPS * np.linalg.norm(a, 2)
    assert np.max(np.abs(w - ref)) <= tol
    assert np.linalg.norm(a @ v - v * w) <= tol * np.sqrt(k)


def test_partial_eigh_sparse_matches_dense(rng):
    xp = _backend.get_namespace(np.ones(1))
    n = 60
    a = scipy.sparse.random(n, n, density=0.1, random_state=np.random.RandomState(0))
    a = (a + a.T).tocsr()
    dense = np.linalg.eigvalsh(a.toarray())
    w_lo, v_lo = _linalg.bottom_k(a, 3, xp=xp, tol=1e-12)
    w_hi, _ = _linalg.top_k(a, 3, xp=xp, tol=1e-12)
    # ARPACK converged to tol=1e-12 relative: eigenvalue error <= tol·‖A‖ (plus rounding)
    bound = 1e-10 * np.linalg.norm(a.toarray(), 2)
    assert np.max(np.abs(np.asarray(w_lo) - dense[:3])) <= bound
    assert np.max(np.abs(np.asarray(w_hi) - dense[::-1][:3])) <= bound
    assert np.linalg.norm(a @ v_lo - v_lo * w_lo) <= 1e-8 * np.linalg.norm(a.toarray(), 2)


def test_sparse_eigsh_unsupported_backend_names_operation():
    import array_api_strict

    with pytest.raises(NotImplementedError, match=r"sparse eigensolver.*'array_api_strict' backend"):
        _backend.sparse_eigsh(array_api_strict.eye(3), 1, largest=True, tol=0.0, xp=array_api_strict)
    with pytest.raises(NotImplementedError, match=r"sparse matrices.*'array_api_strict'"):
        _backend.sparse_module(array_api_strict)


def test_eigh_partial_index_errors(xp):
    with pytest.raises(ValueError, match="eigenpair indices"):
        _backend.eigh_partial(xp.eye(3), 2, 3, xp=xp)


def test_psd_sqrt_and_inv_sqrt(xp, rng):
    a = _spd(rng, 5, cond=100.0)
    s = _backend.to_numpy(_linalg.psd_sqrt(xp.asarray(a), xp=xp))
    r = _backend.to_numpy(_linalg.psd_inv_sqrt(xp.asarray(a), xp=xp))
    ref = scipy.linalg.sqrtm(a).real
    tol = 100 * 5 * EPS * np.linalg.cond(a)  # matrix function error ~ n·eps·cond
    assert np.max(np.abs(s - ref)) <= tol * np.linalg.norm(ref)
    assert np.max(np.abs(r @ a @ r - np.eye(5))) <= tol


def test_psd_inv_sqrt_drops_null_space(xp):
    a = np.diag([4.0, 1.0, 0.0])
    r = _backend.to_numpy(_linalg.psd_inv_sqrt(xp.asarray(a), xp=xp))
    np.testing.assert_array_equal(np.diag(r), [0.5, 1.0, 0.0])


def test_orthonormal_basis_and_projector(xp, rng):
    a = rng.standard_normal((8, 2)) @ rng.standard_normal((2, 4))  # rank 2
    q = _backend.to_numpy(_linalg.orthonormal_basis(xp.asarray(a), xp=xp))
    assert q.shape == (8, 2)
    p = _backend.to_numpy(_linalg.projector(xp.asarray(a), xp=xp))
    tol = 100 * 8 * EPS * np.linalg.cond(a[:, :2])
    assert np.max(np.abs(p @ a - a)) <= tol * np.linalg.norm(a)
    assert np.max(np.abs(p @ p - p)) <= tol


def test_sign_normalize_convention(xp):
    v = xp.asarray([[1.0, -3.0, 2.0], [-2.0, 1.0, -2.0]])
    out = _backend.to_numpy(_linalg.sign_normalize(v, xp=xp))
    # largest-magnitude entry positive; ties (column 3: |2| twice) resolved by the first index
    np.testing.assert_array_equal(out, [[-1.0, 3.0, 2.0], [2.0, -1.0, -2.0]])


# --------------------------------------------------------------------------- ties
def test_tie_straddling_kept_set_warns(xp):
    w = xp.asarray([0.0, 1.0, 1.0, 3.0])
    with pytest.warns(DegenerateSpectrumWarning, match="tied"):
        assert _linalg.warn_if_tied(w, 2, xp=xp)


@pytest.mark.parametrize("k", [1, 3, 4])
def test_ties_inside_or_outside_kept_set_are_silent(xp, k):
    w = xp.asarray([0.0, 1.0, 1.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not _linalg.warn_if_tied(w, k, xp=xp)


def test_tie_with_zero_kept_weight_is_silent(xp):
    w = xp.asarray([0.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not _linalg.warn_if_tied(w, 2, xp=xp, kept_weight_positive=False)


def test_tie_tolerance_default_scales_with_spectrum(xp):
    tol = _linalg.tie_tolerance(xp.asarray([0.0, 100.0]), xp=xp)
    assert tol == pytest.approx(4 * np.sqrt(EPS) * 100.0)
    w = xp.asarray([0.0, 100.0, 100.0 + 0.5 * tol])
    with pytest.warns(DegenerateSpectrumWarning):
        _linalg.warn_if_tied(w, 2, xp=xp)


def test_unique_all_fallback_matches_numpy():
    # PyTorch's array-api-compat namespace raises NotImplementedError for unique_all; the fallback
    # (unique_inverse + unique_counts + a stable argsort) must give NumPy's answer, first indices
    # included. A namespace whose unique_all raises stands in for torch here.
    import types

    import array_api_compat.numpy as xnp

    def refuse(x):
        raise NotImplementedError("unique_all")

    fake = types.SimpleNamespace(**{k: getattr(xnp, k) for k in dir(xnp) if not k.startswith("__")})
    fake.unique_all = refuse
    x = np.array([7, -2, 7, 3, -2, 9, 3, 3])
    values, first, inverse, counts = _backend.unique_all(x, xp=fake)
    ref = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for got, want in zip((values, first, inverse, counts), ref, strict=True):
        np.testing.assert_array_equal(got, want)


def test_sparse_top_k_resolves_repeated_eigenvalues(rng):
    # three identical blocks: every eigenvalue has multiplicity 3. From a start vector repeated
    # across the blocks, one Lanczos run sees one direction per eigenspace and returns
    # [λ1, λ2, λ3, ...] once each (checked below, so this test can fail); sparse_top_k must
    # return every copy (spectrum equal to LAPACK's)
    import scipy.sparse.linalg

    xp = _backend.get_namespace(np.ones(1))
    b = rng.standard_normal((40, 40))
    b = scipy.sparse.csr_matrix((b + b.T) * (rng.uniform(size=(40, 40)) < 0.2))
    b = (b + b.T).tocsr()
    a = scipy.sparse.block_diag([b, b, b]).tocsr()
    v0 = np.tile(rng.standard_normal(40), 3)
    dense = np.linalg.eigvalsh(a.toarray())[::-1]
    bound = 1e-9 * np.linalg.norm(a.toarray(), 2)  # ARPACK tol 1e-12 relative, plus rounding
    plain = np.sort(scipy.sparse.linalg.eigsh(a, 6, which="LA", tol=1e-12, v0=v0)[0])[::-1]
    assert np.abs(plain - dense[:6]).max() > 1e-3  # the failure mode this function exists for
    w, v = _linalg.sparse_top_k(a, 6, xp=xp, tol=1e-12, bound=_linalg._row_sum_bound(a, xp=xp), v0=v0)
    np.testing.assert_allclose(np.asarray(w), dense[:6], rtol=0, atol=bound)
    assert np.linalg.norm(a @ v - v * np.asarray(w)) <= 1e-8 * np.linalg.norm(a.toarray(), 2)

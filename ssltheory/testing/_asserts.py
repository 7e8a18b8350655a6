"""Assertion helpers for tests: closeness, subspaces and eigenpairs, on any array backend.

Every helper copies its inputs to the host with :func:`ssltheory._backend.to_numpy` (allowed in
testing code, DESIGN §2) and does its arithmetic in NumPy in at least float64, so the check
itself adds no rounding error worth mentioning: what it measures is the error of the inputs.
Default tolerances are derived from the precision of the least precise floating input, since that
is what the computation that produced the inputs can promise.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import array_api_compat
import numpy as np

from ssltheory import _backend

__all__ = [
    "assert_close",
    "assert_eigenpairs",
    "assert_same_subspace",
    "default_rtol",
]

_PY_SCALARS = (bool, int, float, complex)


# ----------------------------------------------------------------------------- dtypes and eps
def _dtype_of(obj: Any) -> Any:
    """The dtype named by ``obj``: a dtype as given, or the ``dtype`` of an array/scalar."""
    if isinstance(obj, (np.dtype, type, str)):
        return obj
    if hasattr(obj, "dtype") and hasattr(obj, "shape"):
        return obj.dtype
    return obj


def _eps(obj: Any) -> float:
    """Machine epsilon of a floating dtype of any backend (or of an array's dtype)."""
    dtype = _dtype_of(obj)
    if dtype is None:
        raise TypeError("expected a floating dtype or an array, received None")
    try:
        host = np.dtype(dtype)
    except TypeError:
        host = None
    if host is not None:
        if host.kind not in "fc":
            raise TypeError(
                f"expected a floating dtype, received {host} (an integer, boolean or other dtype)"
            )
        return float(np.finfo(host).eps)
    # a dtype of another array library (array_api_strict.float32, torch.float32 ...): its own finfo
    library = sys.modules.get(type(dtype).__module__.split(".")[0])
    finfo = getattr(library, "finfo", None)
    if finfo is not None:
        try:
            return float(finfo(dtype).eps)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"expected a floating dtype, received {dtype!r}") from exc
    raise TypeError(f"expected a floating dtype (NumPy or array-API) or an array, received {dtype!r}")


def default_rtol(dtype: Any, /) -> float:
    r"""The library's default relative tolerance for a floating dtype: ``4*sqrt(eps)``.

    .. math::

        \mathrm{rtol} = 4\sqrt{\epsilon_{\mathrm{dtype}}}

    about ``6.0e-8`` for float64 and ``1.4e-3`` for float32 (DESIGN §5): loose enough for results
    that lose half the digits (eigenvectors of well-separated eigenvalues, square roots of
    rounding-level quantities), tight enough to catch a wrong formula.

    Parameters
    ----------
    dtype : dtype or array
        A floating dtype of any backend (``numpy.float32``, ``numpy.dtype("float64")``,
        ``array_api_strict.float32``, ``torch.float64`` ...), or an array whose dtype is used.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        For integer, boolean and other non-floating dtypes, and for objects that are not dtypes.

    See Also
    --------
    assert_close : uses this as its default ``rtol``.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.testing import default_rtol
    >>> default_rtol(np.float64)
    5.96...e-08
    >>> default_rtol(np.ones(3, dtype=np.float32)) > default_rtol(np.float64)
    True
    """
    return 4.0 * math.sqrt(_eps(dtype))


def _is_array(x: Any) -> bool:
    """True for arrays of an array library (NumPy scalars and Python scalars are host scalars)."""
    if isinstance(x, (*_PY_SCALARS, np.generic)):
        return False
    return _backend.is_sparse(x) or array_api_compat.is_array_api_obj(x)


def _check_namespace(names: tuple[str, ...], arrays: tuple[Any, ...], err_msg: str) -> None:
    """AssertionError unless all (non-scalar) inputs come from one array library."""
    present = [(n, a) for n, a in zip(names, arrays, strict=True) if a is not None and _is_array(a)]
    if len(present) < 2:
        return
    try:
        _backend.get_namespace(*(a for _, a in present))
    except TypeError as exc:
        libs = ", ".join(f"{n}: {type(a).__module__.split('.')[0]}.{type(a).__name__}" for n, a in present)
        raise AssertionError(
            _join(
                f"inputs come from different array libraries ({libs}); a function changed backend, "
                "or pass check_namespace=False to compare across libraries",
                err_msg,
            )
        ) from exc


def _host(x: Any) -> np.ndarray:
    """Host copy as a NumPy array (Python scalars and sequences included)."""
    if _is_array(x):
        return np.asarray(_backend.to_numpy(x))
    return np.asarray(x)


def _least_precise_eps(*xs: np.ndarray) -> float:
    """Largest ``eps`` among the floating inputs (float64's when none is floating)."""
    eps = [float(np.finfo(x.dtype).eps) for x in xs if x is not None and x.dtype.kind in "fc"]
    return max(eps) if eps else float(np.finfo(np.float64).eps)


def _work_dtype(*xs: np.ndarray) -> np.dtype:
    """float64 (complex128 when any input is complex), or wider if an input is wider."""
    dtypes = [x.dtype for x in xs if x is not None and x.dtype.kind in "biufc"]
    return np.result_type(np.float64, *dtypes)


def _join(message: str, err_msg: str) -> str:
    return f"{message}\n{err_msg}" if err_msg else message


def _fmt_index(idx: tuple[int, ...]) -> str:
    return str(tuple(int(i) for i in idx))


def _two_d(x: np.ndarray, name: str) -> np.ndarray:
    if x.ndim == 1:
        return x[:, None]
    if x.ndim != 2:
        raise AssertionError(f"{name} must be a 1-D or 2-D array, received shape {x.shape}")
    return x


# ----------------------------------------------------------------------------- assert_close
def assert_close(
    actual: Any,
    desired: Any,
    /,
    *,
    rtol: float | None = None,
    atol: float = 0.0,
    err_msg: str = "",
    check_namespace: bool = True,
) -> None:
    r"""Assert that two arrays (any backend) or scalars are element-wise close.

    .. math::

        |a_i - d_i| \le \mathrm{atol} + \mathrm{rtol}\,|d_i| \quad\text{for every } i

    the semantics of :func:`numpy.testing.assert_allclose` (not symmetric in ``actual`` and
    ``desired``: the tolerance scales with the desired value). NaNs in the same positions compare
    equal; infinities must match exactly. Shapes must be equal (no broadcasting).

    Parameters
    ----------
    actual : array or scalar
        The computed value; any array library, or a Python/NumPy scalar.
    desired : array or scalar
        The expected value, same shape as ``actual``.
    rtol : float, optional
        Relative tolerance. Default :func:`default_rtol` of the least precise floating dtype of
        the two inputs (a float32 result compared with a float64 reference gets float32's
        ``4*sqrt(eps)``); ``0`` (exact) when neither input is floating.
    atol : float, default 0.0
        Absolute tolerance: needed where ``desired`` has entries at or near zero.
    err_msg : str, optional
        Appended to the failure message.
    check_namespace : bool, default True
        When both inputs are arrays, also assert they come from the same array library
        (a function that silently returns NumPy for array-API input fails here). Python and
        NumPy scalars are host values and never trigger this check.

    Raises
    ------
    AssertionError
        If the shapes differ, the libraries differ (``check_namespace``), or any element is
        outside the tolerance. The message gives the number of mismatched elements, the maximum
        absolute and relative differences with their indices, and the worst element (largest
        ``|a - d| / (atol + rtol |d|)``).

    See Also
    --------
    default_rtol, numpy.testing.assert_allclose

    Notes
    -----
    Inputs are copied to the host (:func:`ssltheory._backend.to_numpy`) and compared in float64
    (complex128 for complex inputs), so the comparison adds no rounding of its own.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.testing import assert_close
    >>> assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]))
    >>> assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.002]))
    Traceback (most recent call last):
    ...
    AssertionError: Arrays are not close (rtol=5.96e-08, atol=0)
    ...
    """
    if check_namespace:
        _check_namespace(("actual", "desired"), (actual, desired), err_msg)
    a = _host(actual)
    d = _host(desired)
    if a.shape != d.shape:
        raise AssertionError(_join(f"shapes differ: actual {a.shape}, desired {d.shape}", err_msg))
    if rtol is None:
        floating = [x for x in (a, d) if x.dtype.kind in "fc"]
        rtol = default_rtol(max(floating, key=lambda x: np.finfo(x.dtype).eps)) if floating else 0.0
    work = _work_dtype(a, d)
    aw = a.astype(work)
    dw = d.astype(work)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(aw - dw)
        bound = atol + rtol * np.abs(dw)
        finite = np.isfinite(aw) & np.isfinite(dw)
        # non-finite entries must match exactly (inf - inf would pass a bound of rtol * inf)
        ok = np.where(finite, diff <= bound, (aw == dw) | (np.isnan(aw) & np.isnan(dw)))
    if bool(np.all(ok)):
        return
    bad = ~ok
    with np.errstate(invalid="ignore", divide="ignore"):
        diff_r = np.where(np.isnan(diff), np.inf, diff).astype(np.float64)
        rel = np.where(diff_r == 0, 0.0, diff_r / np.abs(dw).astype(np.float64))
        ratio = np.where(bad, np.where(bound > 0, diff_r / np.real(bound), np.inf), -1.0)
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
    i_abs = np.unravel_index(int(np.argmax(diff_r)), a.shape) if a.size else ()
    i_rel = np.unravel_index(int(np.argmax(rel)), a.shape) if a.size else ()
    i_worst = np.unravel_index(int(np.argmax(ratio)), a.shape) if a.size else ()
    n_bad, n_all = int(np.sum(bad)), int(a.size)
    message = (
        f"Arrays are not close (rtol={rtol:.3g}, atol={atol:.3g})\n"
        f"Mismatched elements: {n_bad} / {n_all} ({100.0 * n_bad / max(n_all, 1):.3g}%)\n"
        f"Max absolute difference: {float(diff_r[i_abs]):.6g} at index {_fmt_index(i_abs)}\n"
        f"Max relative difference: {float(rel[i_rel]):.6g} at index {_fmt_index(i_rel)}\n"
        f"Worst element (largest |actual - desired| / (atol + rtol |desired|)) at index "
        f"{_fmt_index(i_worst)}: actual {a[i_worst].item()!r}, desired {d[i_worst].item()!r}\n"
        f"actual: shape {a.shape}, dtype {a.dtype}; desired: shape {d.shape}, dtype {d.dtype}"
    )
    raise AssertionError(_join(message, err_msg))


# ----------------------------------------------------------------------------- subspaces
def _orthonormal_basis(x: np.ndarray, eps: float) -> np.ndarray:
    """Orthonormal basis of the column space; singular values ``<= max(shape)·eps·σ_max`` dropped."""
    if x.shape[1] == 0:
        return x
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return u[:, :0]
    rank = int(np.sum(s > max(x.shape) * eps * s[0]))
    return u[:, :rank]


def _principal_sines(qa: np.ndarray, qb: np.ndarray) -> np.ndarray:
    """Sines of the principal angles between two equal-dimension orthonormal bases, descending."""
    if qb.shape[1] == 0:
        return np.zeros(0)
    return np.linalg.svd(qb - qa @ (qa.conj().T @ qb), compute_uv=False)


def assert_same_subspace(
    a: Any,
    b: Any,
    /,
    *,
    atol: float | None = None,
    err_msg: str = "",
    check_namespace: bool = True,
) -> None:
    r"""Assert that two matrices span the same column space.

    .. math::

        \operatorname{rank} A = \operatorname{rank} B = r
        \quad\text{and}\quad
        \sin\theta_{\max}(A, B) = \lVert (I - Q_A Q_A^\top) Q_B \rVert_2 \le \mathrm{atol}

    where :math:`Q_A, Q_B` are orthonormal bases of the column spaces and
    :math:`\theta_{\max}` is the largest principal angle (equal dimensions make this the
    distance :math:`\lVert P_A - P_B\rVert_2` between the orthogonal projectors). The bases are
    arbitrary: ``b = a @ T`` for any invertible ``T`` passes, which is the right check for
    eigenvectors of a repeated eigenvalue or embeddings defined up to rotation.

    Parameters
    ----------
    a, b : array of shape (n, k_a) and (n, k_b)
        Any backend; a 1-D array is one column. ``k_a`` and ``k_b`` may differ (only the ranks
        have to agree).
    atol : float, optional
        Bound on the sine of the largest principal angle. Default ``4*sqrt(eps)`` of the least
        precise floating input (:func:`default_rtol`). Subspace errors of computed eigenvectors
        scale as ``eps·cond / eigengap`` (Davis–Kahan), so pass a larger ``atol`` for subspaces
        separated from the rest of the spectrum by a small relative gap.
    err_msg : str, optional
        Appended to the failure message.
    check_namespace : bool, default True
        Also assert that ``a`` and ``b`` come from the same array library.

    Raises
    ------
    AssertionError
        If the numbers of rows differ, the numerical ranks differ, or the largest principal
        angle's sine exceeds ``atol`` (the message lists the largest sines).

    See Also
    --------
    assert_eigenpairs, scipy.linalg.subspace_angles

    Notes
    -----
    Computed on the host in float64. Numerical rank: singular values above
    ``max(n, k)·eps·σ_max`` (``eps`` of the input's dtype), as in :func:`numpy.linalg.matrix_rank`.
    The sines come from the SVD of :math:`Q_B - Q_A(Q_A^\top Q_B)`, which is accurate for small
    angles (the cosines from :math:`Q_A^\top Q_B` lose small angles to rounding). Cost
    :math:`O(n k^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.testing import assert_same_subspace
    >>> a = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> assert_same_subspace(a, a @ np.array([[2.0, 1.0], [1.0, 1.0]]))
    >>> assert_same_subspace(a, np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]))
    Traceback (most recent call last):
    ...
    AssertionError: subspaces differ: ...
    """
    if check_namespace:
        _check_namespace(("a", "b"), (a, b), err_msg)
    ha = _two_d(_host(a), "a")
    hb = _two_d(_host(b), "b")
    if ha.shape[0] != hb.shape[0]:
        raise AssertionError(
            _join(f"a and b must have the same number of rows, received {ha.shape} and {hb.shape}", err_msg)
        )
    eps = _least_precise_eps(ha, hb)
    if atol is None:
        atol = 4.0 * math.sqrt(eps)
    work = _work_dtype(ha, hb)
    qa = _orthonormal_basis(ha.astype(work), float(np.finfo(ha.dtype).eps) if ha.dtype.kind in "fc" else eps)
    qb = _orthonormal_basis(hb.astype(work), float(np.finfo(hb.dtype).eps) if hb.dtype.kind in "fc" else eps)
    if qa.shape[1] != qb.shape[1]:
        raise AssertionError(
            _join(
                f"subspaces have different dimensions: rank(a) = {qa.shape[1]}, rank(b) = {qb.shape[1]} "
                f"(shapes {ha.shape} and {hb.shape}; numerical rank from the SVD)",
                err_msg,
            )
        )
    sines = _principal_sines(qa, qb)
    largest = float(sines[0]) if sines.size else 0.0
    if not largest <= atol:
        shown = ", ".join(f"{s:.3g}" for s in sines[:5])
        raise AssertionError(
            _join(
                f"subspaces differ: sine of the largest principal angle {largest:.3g} > atol {atol:.3g} "
                f"(dimension {qa.shape[1]}; largest sines: {shown})",
                err_msg,
            )
        )


# ----------------------------------------------------------------------------- eigenpairs
def assert_eigenpairs(
    a: Any,
    eigenvalues: Any,
    eigenvectors: Any,
    /,
    *,
    b: Any = None,
    rtol: float | None = None,
    err_msg: str = "",
    check_namespace: bool = True,
) -> None:
    r"""Assert that ``(eigenvalues, eigenvectors)`` are accurate eigenpairs of ``a v = λ b v``.

    Two checks, both per column :math:`k`:

    .. math::

        \lVert A v_k - \lambda_k B v_k\rVert_2 \le
            \mathrm{rtol}\,\sqrt{\kappa(B)}\,\bigl(\lVert A\rVert_2 + |\lambda_k|\,\lVert B\rVert_2\bigr)
            \lVert v_k\rVert_2,
        \qquad
        \max_{jk} \bigl|(V^\top B V - I)_{jk}\bigr| \le \mathrm{rtol}\,\kappa(B),

    with :math:`B = I` (so :math:`\kappa(B) = 1`) when ``b`` is None. Any subset of eigenpairs
    may be checked (``k <= n`` columns), in any order.

    Parameters
    ----------
    a : array of shape (n, n)
        Symmetric (Hermitian) matrix; any backend.
    eigenvalues : array of shape (k,)
    eigenvectors : array of shape (n, k)
        Column ``j`` belongs to ``eigenvalues[j]``.
    b : array of shape (n, n), optional
        Symmetric positive definite right-hand matrix of a generalised problem; eigenvectors
        must then be ``b``-orthonormal.
    rtol : float, optional
        The relative multiplier in both bounds. Default ``100·n·eps`` with ``eps`` of the least
        precise floating input (derivation in Notes).
    err_msg : str, optional
        Appended to the failure message.
    check_namespace : bool, default True
        Also assert that all array inputs come from the same array library.

    Raises
    ------
    AssertionError
        If shapes are inconsistent, a residual exceeds its bound (the message names the worst
        column, its residual and bound), or the eigenvectors are not (``b``-)orthonormal.
    ValueError
        If ``a`` or ``b`` is not square, or ``b`` is not positive definite (the check is then
        undefined, not failed).

    See Also
    --------
    assert_same_subspace : for eigenvectors of repeated eigenvalues, compare subspaces.

    Notes
    -----
    **Residual.** A backward-stable solver returns pairs that are exact for a nearby pencil
    :math:`(A + E, B + F)` with :math:`\lVert E\rVert \le c\,n\,\epsilon\lVert A\rVert`,
    :math:`\lVert F\rVert \le c\,n\,\epsilon\lVert B\rVert`; then
    :math:`A v_k - \lambda_k B v_k = -E v_k + \lambda_k F v_k`, whose norm is at most
    :math:`c\,n\,\epsilon(\lVert A\rVert + |\lambda_k|\lVert B\rVert)\lVert v_k\rVert`.
    The Cholesky reduction :math:`C^{-1} A C^{-\top}` used by LAPACK ``sygv`` and by
    :func:`ssltheory._backend.generalized_eigh` on non-NumPy backends is not backward stable in
    this sense: it adds up to a factor :math:`\kappa(B)^{1/2}` (measured: residual ratios below
    ``5·n·eps·κ(B)^{1/2}`` for :math:`\kappa(B)` up to ``1e6``), hence that factor.

    **Orthonormality.** Divide-and-conquer (``syevd``) keeps :math:`|V^\top V - I|` below about
    ``20·n·eps``; MRRR (``syevr``, the default driver of :func:`scipy.linalg.eigh` and used by
    the library for partial spectra) reaches ``70·n·eps`` on random matrices. Generalised
    eigenvectors come from triangular solves with :math:`C`, which multiply the error by up to
    :math:`\kappa(B)`. The default ``c = 100`` covers both drivers with a margin; a wrong
    eigenvalue or eigenvector (relative error ``1e-6`` in float64) fails by orders of magnitude.

    The check runs on the host in float64 (:math:`\lVert A\rVert_2`, :math:`\kappa(B)` by dense
    SVD/eigvalsh): cost :math:`O(n^3)`, fine for test-sized problems.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.testing import assert_eigenpairs
    >>> a = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> w, v = np.linalg.eigh(a)
    >>> assert_eigenpairs(a, w, v)
    >>> assert_eigenpairs(a, w + 1e-6, v)
    Traceback (most recent call last):
    ...
    AssertionError: eigenpair residual too large: ...
    """
    if check_namespace:
        _check_namespace(
            ("a", "eigenvalues", "eigenvectors", "b"), (a, eigenvalues, eigenvectors, b), err_msg
        )
    ha = _host(a)
    hw = _host(eigenvalues)
    hv = _host(eigenvectors)
    hb = None if b is None else _host(b)
    if ha.ndim != 2 or ha.shape[0] != ha.shape[1]:
        raise ValueError(f"a must be a square (n, n) matrix, received shape {ha.shape}")
    n = ha.shape[0]
    if hb is not None and hb.shape != (n, n):
        raise ValueError(f"b must have the shape of a, {(n, n)}, received shape {hb.shape}")
    if hw.ndim != 1 or hv.ndim != 2 or hv.shape != (n, hw.shape[0]):
        raise AssertionError(
            _join(
                f"eigenvalues must have shape (k,) and eigenvectors shape ({n}, k) for a of shape "
                f"{ha.shape}; received {hw.shape} and {hv.shape}",
                err_msg,
            )
        )
    eps = _least_precise_eps(ha, hw, hv, hb)
    if rtol is None:
        rtol = 100.0 * max(n, 1) * eps
    work = _work_dtype(ha, hw, hv, hb)
    A = ha.astype(work)
    w = hw.astype(work)
    V = hv.astype(work)
    k = w.shape[0]
    if n == 0 or k == 0:
        return
    norm_a = float(np.linalg.norm(A, 2))
    if hb is None:
        B = None
        norm_b, kappa = 1.0, 1.0
        BV = V
    else:
        B = hb.astype(work)
        with np.errstate(invalid="ignore"):
            ev_b = np.linalg.eigvalsh((B + B.conj().T) / 2)
        if not (np.all(np.isfinite(ev_b)) and ev_b[0] > 0):
            raise ValueError(
                f"b must be symmetric positive definite, but its smallest eigenvalue is {float(ev_b[0]):.3g}"
            )
        norm_b = float(ev_b[-1])
        kappa = float(ev_b[-1] / ev_b[0])
        BV = B @ V
    with np.errstate(invalid="ignore", over="ignore"):
        residual = np.linalg.norm(A @ V - BV * w, axis=0)
        bound = rtol * math.sqrt(kappa) * (norm_a + np.abs(w) * norm_b) * np.linalg.norm(V, axis=0)
        ok = residual <= bound
    if not bool(np.all(ok)):
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(ok, -1.0, np.where(bound > 0, residual / bound, np.inf))
        j = int(np.argmax(np.where(np.isnan(ratio), np.inf, ratio)))
        raise AssertionError(
            _join(
                f"eigenpair residual too large: column {j} (eigenvalue {complex(w[j]).real:.6g}) has "
                f"||A v - λ B v|| = {float(residual[j]):.3g} > bound {float(bound[j]):.3g} "
                f"(rtol {rtol:.3g}, ||A|| {norm_a:.3g}, ||B|| {norm_b:.3g}, cond(B) {kappa:.3g}); "
                f"{int(np.sum(~ok))} of {k} columns fail",
                err_msg,
            )
        )
    with np.errstate(invalid="ignore", over="ignore"):
        gram = V.conj().T @ BV - np.eye(k, dtype=work)
        off = np.abs(gram)
        orth_tol = rtol * kappa
        worst = float(np.max(np.where(np.isnan(off), np.inf, off)))
    if not worst <= orth_tol:
        i, j = np.unravel_index(int(np.argmax(np.where(np.isnan(off), np.inf, off))), off.shape)
        what = "Vᵀ B V" if B is not None else "Vᵀ V"
        raise AssertionError(
            _join(
                f"eigenvectors are not {'B-' if B is not None else ''}orthonormal: max |{what} - I| = "
                f"{worst:.3g} at {_fmt_index((i, j))} > {orth_tol:.3g} "
                f"(rtol {rtol:.3g} x cond(B) {kappa:.3g})",
                err_msg,
            )
        )

"""The one module that knows which array libraries exist.

Everything else in ssltheory is written against the array API standard through the namespace
returned by :func:`get_namespace`. The few operations the standard lacks (generalised symmetric
eigenproblems, partial and sparse eigensolvers, sparse matrices) are dispatched here: SciPy for
NumPy, ``cupyx.scipy`` for CuPy, and a route built only from the standard for every other library
(array-api-strict, PyTorch ...). An operation that has no route on a backend raises
:class:`NotImplementedError` naming the operation and the backend.

CuPy is never imported here unless the caller's arrays already are CuPy arrays
(``array_api_compat`` detects it through ``sys.modules``); there is no global backend switch.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np

__all__ = [
    "BACKENDS",
    "amg_preconditioner",
    "backend_name",
    "connected_components",
    "device",
    "eigh_partial",
    "exp_inplace",
    "generalized_eigh",
    "get_namespace",
    "is_cupy",
    "is_numpy",
    "is_sparse",
    "linear_operator",
    "namespace_for",
    "sparse_coo",
    "sparse_eigsh",
    "sparse_lobpcg",
    "sparse_module",
    "to_dense",
    "to_numpy",
    "unique_all",
]


# ----------------------------------------------------------------------------- sparse detection
def _scipy_sparse_issparse(x: Any) -> bool:
    mod = sys.modules.get("scipy.sparse")
    return mod is not None and mod.issparse(x)


def _cupyx_sparse_issparse(x: Any) -> bool:
    mod = sys.modules.get("cupyx.scipy.sparse")
    return mod is not None and mod.issparse(x)


def is_sparse(x: Any) -> bool:
    """Return True if ``x`` is a SciPy or ``cupyx.scipy`` sparse matrix/array."""
    return _scipy_sparse_issparse(x) or _cupyx_sparse_issparse(x)


# ----------------------------------------------------------------------------- namespaces
def _library_name(x: Any) -> str:
    if _scipy_sparse_issparse(x):
        return "scipy.sparse"
    if _cupyx_sparse_issparse(x):
        return "cupyx.scipy.sparse"
    return type(x).__module__.split(".")[0]


def get_namespace(*arrays: Any) -> ModuleType:
    """Array-API namespace shared by ``arrays`` (``None`` entries are ignored).

    SciPy sparse matrices count as NumPy, ``cupyx.scipy.sparse`` matrices as CuPy.

    Raises
    ------
    TypeError
        If no array is given, an argument is not an array, or the arrays come from different
        array libraries (the message names them).
    """
    arrays = tuple(a for a in arrays if a is not None)
    if not arrays:
        raise TypeError("get_namespace: expected at least one array, received none")
    proxies = []
    for a in arrays:
        if _scipy_sparse_issparse(a):
            proxies.append(np.empty(0))
        elif _cupyx_sparse_issparse(a):
            import cupy  # the caller already holds CuPy arrays: cupy is imported

            proxies.append(cupy.empty(0))
        else:
            if not array_api_compat.is_array_api_obj(a):
                raise TypeError(
                    f"expected an array (NumPy, CuPy, PyTorch or another array-API library), "
                    f"received {type(a).__name__}; wrap it with numpy.asarray(...) first"
                )
            proxies.append(a)
    libs = sorted({_library_name(a) for a in arrays})
    try:
        return array_api_compat.array_namespace(*proxies)
    except TypeError as exc:
        raise TypeError(
            f"arrays from different array libraries cannot be mixed: received {', '.join(libs)}; "
            "convert them to one library (and one device) first"
        ) from exc


BACKENDS = ("numpy", "array_api_strict", "cupy", "torch")


def namespace_for(name: str) -> ModuleType:
    """Array namespace for a backend name (``numpy``, ``array_api_strict``, ``cupy``, ``torch``).

    Used by the CLI and the test harness to turn a user's choice into a namespace; library
    functions never call it (the input arrays decide). Raises ``ValueError`` for an unknown name
    and ``RuntimeError`` with a one-line reason when the backend is not usable here (library not
    installed, no GPU).
    """
    if name == "numpy":
        import array_api_compat.numpy as xp

        return xp
    if name == "array_api_strict":
        try:
            import array_api_strict as xp
        except ImportError as exc:
            raise RuntimeError("array_api_strict is not installed (pip install array-api-strict)") from exc
        return xp
    if name == "cupy":
        try:
            import cupy
        except ImportError as exc:
            raise RuntimeError("CuPy is not installed (pip install 'ssltheory[cupy]')") from exc
        try:
            n_gpus = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CUDA driver missing or broken: CuPy raises its own error types
            raise RuntimeError(f"CuPy is installed but no usable CUDA device was found ({exc})") from exc
        if n_gpus < 1:
            raise RuntimeError("CuPy is installed but no CUDA device is visible")
        import array_api_compat.cupy as xp

        return xp
    if name == "torch":
        try:
            import array_api_compat.torch as xp
        except ImportError as exc:
            raise RuntimeError("PyTorch is not installed") from exc
        return xp
    raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")


def backend_name(xp: ModuleType) -> str:
    """Short name of the library behind namespace ``xp`` (``numpy``, ``cupy``, ``torch`` ...)."""
    if array_api_compat.is_numpy_namespace(xp):
        return "numpy"
    if array_api_compat.is_cupy_namespace(xp):
        return "cupy"
    if array_api_compat.is_torch_namespace(xp):
        return "torch"
    if array_api_compat.is_dask_namespace(xp):
        return "dask"
    if array_api_compat.is_jax_namespace(xp):
        return "jax"
    return xp.__name__.split(".")[0]


def is_numpy(xp: ModuleType) -> bool:
    """True if ``xp`` is NumPy's namespace (SciPy routes apply)."""
    return array_api_compat.is_numpy_namespace(xp)


def is_cupy(xp: ModuleType) -> bool:
    """True if ``xp`` is CuPy's namespace (``cupyx.scipy`` routes apply)."""
    return array_api_compat.is_cupy_namespace(xp)


def device(x: Any) -> Any:
    """Device of ``x`` (works for sparse matrices too)."""
    if _scipy_sparse_issparse(x):
        return "cpu"
    if _cupyx_sparse_issparse(x):
        return x.data.device
    return array_api_compat.device(x)


def to_numpy(x: Any) -> np.ndarray:
    """Copy ``x`` to a NumPy array on the host.

    Only for plotting, reports and tests; never called inside a solver. CuPy arrays use
    ``.get()``, sparse matrices are densified, everything else goes through DLPack.
    """
    if isinstance(x, np.ndarray):
        return x
    if _scipy_sparse_issparse(x):
        return x.toarray()
    if _cupyx_sparse_issparse(x):
        return x.toarray().get()
    if isinstance(x, (int, float, bool, np.generic)):
        return np.asarray(x)
    if array_api_compat.is_cupy_array(x):
        return x.get()
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    try:
        return np.from_dlpack(x)
    except (TypeError, BufferError, RuntimeError, AttributeError):
        return np.asarray(x)


def to_dense(x: Any, *, xp: ModuleType) -> Any:
    """Dense array of the same backend (sparse matrices are densified on their device)."""
    if is_sparse(x):
        return x.toarray()
    return x


def _not_implemented(operation: str, xp: ModuleType) -> NotImplementedError:
    return NotImplementedError(
        f"{operation} is not available for the {backend_name(xp)!r} backend; "
        "use NumPy (SciPy) or CuPy (cupyx.scipy) arrays for this operation"
    )


def sparse_module(xp: ModuleType) -> ModuleType:
    """``scipy.sparse`` for NumPy, ``cupyx.scipy.sparse`` for CuPy; otherwise NotImplementedError."""
    if is_numpy(xp):
        import scipy.sparse

        return scipy.sparse
    if is_cupy(xp):
        import cupyx.scipy.sparse

        return cupyx.scipy.sparse
    raise _not_implemented("sparse matrices", xp)


def sparse_coo(data: Any, rows: Any, cols: Any, shape: tuple[int, int], *, xp: ModuleType) -> Any:
    """CSR matrix from COO triplets (duplicates summed), on ``xp``'s device."""
    sp = sparse_module(xp)
    return sp.coo_matrix((data, (rows, cols)), shape=shape).tocsr()


# ----------------------------------------------------------------------------- eigensolvers
def generalized_eigh(a: Any, b: Any, *, xp: ModuleType) -> tuple[Any, Any]:
    """All eigenpairs of ``a v = w b v`` (``a`` symmetric, ``b`` symmetric positive definite).

    Eigenvalues ascending, eigenvectors ``b``-orthonormal (``Vᵀ b V = I``). NumPy uses LAPACK's
    ``sygvd`` through :func:`scipy.linalg.eigh`; every other backend uses the Cholesky route of
    the standard (``b = C Cᵀ``, ``eigh(C⁻¹ a C⁻ᵀ)``, ``V = C⁻ᵀ W``), since CuPy and PyTorch have
    no generalised ``eigh``. Raises ``numpy.linalg.LinAlgError`` (or the backend's) when ``b`` is
    not positive definite; callers add a ridge first when ``b`` may be singular.
    """
    if is_numpy(xp):
        import scipy.linalg

        w, v = scipy.linalg.eigh(a, b, driver="gvd")
        return xp.asarray(w), xp.asarray(v)
    c = xp.linalg.cholesky(b)
    # solve C Y = a, then C Z = Yᵀ: Z = C⁻¹ a C⁻ᵀ (symmetric up to rounding)
    y = xp.linalg.solve(c, a)
    z = xp.linalg.solve(c, y.mT)
    z = (z + z.mT) / 2
    w, u = xp.linalg.eigh(z)
    v = xp.linalg.solve(c.mT, u)
    return w, v


def eigh_partial(a: Any, lo: int, hi: int, *, xp: ModuleType) -> tuple[Any, Any]:
    """Eigenpairs ``lo..hi`` (inclusive, ascending order) of a dense symmetric matrix.

    NumPy: :func:`scipy.linalg.eigh` with ``subset_by_index`` (LAPACK ``syevr``, only the
    requested pairs). Other backends: full ``eigh`` and a slice (spec/backends.md §1.8).
    """
    n = a.shape[0]
    if not (0 <= lo <= hi < n):
        raise ValueError(f"eigenpair indices must satisfy 0 <= lo <= hi < {n}, received {lo}, {hi}")
    if is_numpy(xp):
        import scipy.linalg

        if hi - lo + 1 == n:
            w, v = scipy.linalg.eigh(a, driver="evd")
        else:
            w, v = scipy.linalg.eigh(a, subset_by_index=[lo, hi], driver="evr")
        return xp.asarray(w), xp.asarray(v)
    w, v = xp.linalg.eigh(a)
    return w[lo : hi + 1], v[:, lo : hi + 1]


def sparse_eigsh(
    a: Any, k: int, *, largest: bool, tol: float, xp: ModuleType, v0: Any = None
) -> tuple[Any, Any]:
    """``k`` extremal eigenpairs of a sparse symmetric matrix (eigenvalues ascending).

    NumPy: ARPACK :func:`scipy.sparse.linalg.eigsh` (``which='LA'``/``'SA'``). CuPy:
    :func:`cupyx.scipy.sparse.linalg.eigsh`, which supports ``'LA'`` and ``'SA'`` only and has
    known failures (spec/backends.md §2.2): callers must check residuals. Returns dense arrays.
    """
    which = "LA" if largest else "SA"
    if is_numpy(xp):
        import scipy.sparse.linalg

        w, v = scipy.sparse.linalg.eigsh(a, k=k, which=which, tol=tol, v0=v0)
    elif is_cupy(xp):
        import cupyx.scipy.sparse.linalg

        w, v = cupyx.scipy.sparse.linalg.eigsh(a, k=k, which=which, tol=tol)
    else:
        raise _not_implemented("the sparse eigensolver (eigsh)", xp)
    order = xp.argsort(xp.asarray(w))
    return xp.take(xp.asarray(w), order, axis=0), xp.take(xp.asarray(v), order, axis=1)


def unique_all(x: Any, *, xp: ModuleType) -> tuple[Any, Any, Any, Any]:
    """``(values, first_indices, inverse_indices, counts)`` of a 1-D array, as ``xp.unique_all``.

    PyTorch (through array-api-compat) has no ``unique_all`` (no first-occurrence indices,
    pytorch#36748); there the indices come from a stable argsort of the inverse: the first row of
    each value sits at the start of its run, ``cumsum(counts) - counts``.
    """
    try:
        res = xp.unique_all(x)
        return res.values, res.indices, xp.reshape(res.inverse_indices, (-1,)), res.counts
    except NotImplementedError:
        values, inverse = xp.unique_inverse(x)
        inverse = xp.reshape(inverse, (-1,))
        counts = xp.unique_counts(x).counts
        order = xp.argsort(inverse, stable=True)
        starts = xp.cumulative_sum(counts) - counts
        return values, xp.take(order, starts, axis=0), inverse, counts


def exp_inplace(a: Any, *, xp: ModuleType) -> Any:
    """``exp(a)``, overwriting ``a`` where the library can (NumPy, CuPy: ``out=``; the standard has
    no ``out``, so other libraries return a new array). For large kernel matrices this saves one
    allocation of the whole matrix (page faults cost as much as the exponential itself)."""
    if is_numpy(xp):
        return np.exp(a, out=a)
    if is_cupy(xp):
        import cupy

        return cupy.exp(a, out=a)
    return xp.exp(a)


def linear_operator(n: int, matvec: Any, *, dtype: Any, xp: ModuleType) -> Any:
    """A symmetric ``n × n`` operator ``x -> matvec(x)`` (x of shape (n,) or (n, m)) for the sparse solvers.

    NumPy: :class:`scipy.sparse.linalg.LinearOperator`; CuPy: its ``cupyx`` twin.
    """
    if is_numpy(xp):
        import scipy.sparse.linalg as sla
    elif is_cupy(xp):
        import cupyx.scipy.sparse.linalg as sla
    else:
        raise _not_implemented("sparse linear operators", xp)
    return sla.LinearOperator((n, n), matvec=matvec, matmat=matvec, rmatvec=matvec, dtype=dtype)


def connected_components(a: Any, *, xp: ModuleType) -> tuple[int, Any]:
    """Connected components of the undirected graph with the sparsity pattern of sparse ``a``.

    Returns ``(count, labels)``, labels an integer array of shape (n,) on ``a``'s backend. NumPy:
    :func:`scipy.sparse.csgraph.connected_components`. CuPy: its ``cupyx`` twin, which needs
    pylibcugraph; without it the index arrays (not the values) are copied to the host once, the
    components found by SciPy, and the labels copied back (an explicit, documented transfer of
    O(nnz) integers: a traversal, not arithmetic).
    """
    if is_numpy(xp):
        from scipy.sparse.csgraph import connected_components as cc

        count, labels = cc(a, directed=False)
        return int(count), labels
    if is_cupy(xp):
        try:
            from cupyx.scipy.sparse.csgraph import connected_components as cc

            count, labels = cc(a, directed=False)
            return int(count), labels
        except (ImportError, RuntimeError):
            import scipy.sparse
            from scipy.sparse.csgraph import connected_components as host_cc

            csr = a.tocsr()
            pattern = scipy.sparse.csr_matrix(
                (np.ones(int(csr.nnz), dtype=np.int8), to_numpy(csr.indices), to_numpy(csr.indptr)),
                shape=csr.shape,
            )
            count, labels = host_cc(pattern, directed=False)
            return int(count), xp.asarray(labels)
    raise _not_implemented("connected components", xp)


def amg_preconditioner(a: Any, *, xp: ModuleType) -> Any:
    """One smoothed-aggregation V-cycle approximating ``a⁻¹`` for a sparse symmetric PSD ``a``, or None.

    NumPy with the optional ``pyamg`` installed (``pip install ssltheory[amg]``): the hierarchy of
    :func:`pyamg.smoothed_aggregation_solver` built on ``a + 1e-5·max(diag a)·I`` (the ridge makes
    a singular Laplacian definite; a preconditioner changes how fast LOBPCG converges, not what it
    converges to. With 1e-8 LOBPCG stalled on a disconnected kNN graph, measured), as a SciPy
    ``LinearOperator``. Every other case returns None and the caller uses an unpreconditioned
    solver: cupyx has no algebraic multigrid, and a Jacobi preconditioner does not help on graph
    Laplacians whose degrees are nearly constant.
    """
    if not is_numpy(xp) or not is_sparse(a):
        return None
    try:
        import pyamg
    except ImportError:
        return None
    import scipy.sparse

    n = a.shape[0]
    ridge = 1e-5 * float(a.diagonal().max())
    shifted = scipy.sparse.csr_matrix(a + ridge * scipy.sparse.identity(n, dtype=a.dtype, format="csr"))
    # a small coarsest level: its pseudo-inverse (dense SVD) is formed on the first cycle
    return pyamg.smoothed_aggregation_solver(shifted, max_coarse=300).aspreconditioner()


def sparse_lobpcg(
    a: Any, x0: Any, *, constraint: Any, preconditioner: Any, tol: float, maxiter: int, xp: ModuleType
) -> tuple[Any, Any, bool]:
    """Smallest eigenpairs of a sparse symmetric ``a`` by LOBPCG on ``constraint⊥`` (ascending).

    ``x0`` (n, m) is the starting block, ``constraint`` (n, c) an orthonormal block the iterates are
    kept orthogonal to, ``tol`` the absolute residual 2-norm per (unit) vector. NumPy:
    :func:`scipy.sparse.linalg.lobpcg`; CuPy: :func:`cupyx.scipy.sparse.linalg.lobpcg`. Returns
    ``(w, v, converged)``; the solver's own "did not converge" warning is absorbed into
    ``converged``, and callers check residuals themselves.
    """
    import warnings

    if is_numpy(xp):
        import scipy.sparse.linalg as sla
    elif is_cupy(xp):
        import cupyx.scipy.sparse.linalg as sla
    else:
        raise _not_implemented("the sparse eigensolver (lobpcg)", xp)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w, v = sla.lobpcg(a, x0, M=preconditioner, Y=constraint, tol=tol, maxiter=maxiter, largest=False)
    # lobpcg reports failure only by warnings ("... not reaching the requested tolerance",
    # "eigh failed at iteration ..."); its dense fallback for tiny problems is not a failure
    converged = not any(("tolerance" in str(c.message)) or ("failed" in str(c.message)) for c in caught)
    order = xp.argsort(xp.asarray(w))
    return xp.take(xp.asarray(w), order, axis=0), xp.take(xp.asarray(v), order, axis=1), converged


def _order_statistics(x: Any, ks: list[int], *, xp: ModuleType) -> list[float]:
    """Values at 0-based positions ``ks`` of ``sort(x)`` for a 1-D array, as Python floats.

    The standard has only a full ``sort`` (O(n log n)); NumPy and CuPy have ``partition``
    (introselect, O(n)), used here for the median heuristic of HSIC bandwidths.
    """
    if is_numpy(xp):
        part = np.partition(np.asarray(x), ks)
        return [float(part[k]) for k in ks]
    if is_cupy(xp):
        import cupy

        part = cupy.partition(x, ks)
        return [float(part[k]) for k in ks]
    srt = xp.sort(x)
    return [float(srt[k]) for k in ks]


def _segment_sum(values: Any, ids: Any, n_segments: int, *, xp: ModuleType) -> Any:
    """Row sums per segment: ``out[g] = sum(values[i] for i with ids[i] == g)``, shape (n_segments, d).

    ``ids`` are integers in ``[0, n_segments)``. NumPy/CuPy: one sparse one-hot product, O(n d),
    with the one-hot built directly in CSC form (column ``i`` holds a single 1 in row ``ids[i]``:
    ``indptr = 0..n``, ``indices = ids``), so no COO→CSR conversion or sort, and the product reads
    ``values`` in order (scatter-adding each row into its segment). Other backends (standard only,
    no scatter-add): one-hot blocks of 512 segments, O(n · n_segments · d) — fine for tests, use
    NumPy or CuPy at scale.
    """
    n = values.shape[0]
    if is_numpy(xp) or is_cupy(xp):
        ones = xp.ones((n,), dtype=values.dtype)
        indptr = xp.arange(n + 1)
        onehot = sparse_module(xp).csc_matrix((ones, ids, indptr), shape=(n_segments, n))
        return xp.asarray(onehot @ values)
    dev = device(values)
    blocks = []
    for lo in range(0, n_segments, 512):
        hi = min(lo + 512, n_segments)
        seg = xp.arange(lo, hi, dtype=ids.dtype, device=dev)
        onehot = xp.astype(seg[:, None] == ids[None, :], values.dtype)
        blocks.append(onehot @ values)
    if not blocks:
        return xp.zeros((0, values.shape[1]), dtype=values.dtype, device=dev)
    return xp.concat(blocks, axis=0)

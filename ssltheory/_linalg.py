"""Private, backend-agnostic linear-algebra kernels.

Every function takes the namespace as the required keyword ``xp`` and trusts its inputs
(validation happens once, in the public function). Operations outside the array API standard are
reached through :mod:`ssltheory._backend`.
"""

from __future__ import annotations

import math
import warnings
from types import ModuleType
from typing import Any

from ssltheory import _backend
from ssltheory._warnings import DegenerateSpectrumWarning

__all__ = [
    "bottom_k",
    "cluster_straddles",
    "deflated_operator",
    "eigh_ascending",
    "generalized_eigh",
    "orthonormal_basis",
    "projector",
    "psd_inv_sqrt",
    "psd_sqrt",
    "sign_normalize",
    "sparse_top_k",
    "symmetrize",
    "tie_tolerance",
    "top_k",
    "warn_if_tied",
]


def symmetrize(a: Any, *, xp: ModuleType) -> Any:
    """``(a + aᵀ)/2``: removes rounding asymmetry before a symmetric eigensolver."""
    return (a + a.mT) / 2


def eigh_ascending(a: Any, *, xp: ModuleType) -> tuple[Any, Any]:
    """All eigenpairs of a dense symmetric matrix, eigenvalues ascending."""
    return xp.linalg.eigh(symmetrize(a, xp=xp))


def generalized_eigh(a: Any, b: Any, *, xp: ModuleType, ridge: float = 0.0) -> tuple[Any, Any]:
    """All eigenpairs of ``a v = w (b + ridge·I) v`` with ascending ``w``.

    ``b`` must be positive definite, or positive semi-definite with ``ridge > 0`` (the ridge is
    added to its diagonal). Eigenvectors are ``(b + ridge I)``-orthonormal.
    """
    a = symmetrize(a, xp=xp)
    b = symmetrize(b, xp=xp)
    if ridge:
        b = b + ridge * xp.eye(b.shape[0], dtype=b.dtype, device=_backend.device(b))
    return _backend.generalized_eigh(a, b, xp=xp)


def bottom_k(a: Any, k: int, *, xp: ModuleType, tol: float = 0.0) -> tuple[Any, Any]:
    """The ``k`` smallest eigenpairs of a symmetric matrix (dense or sparse), ascending.

    Dense input: only the requested pairs are computed where the backend can (SciPy), otherwise
    a full ``eigh`` is sliced. Sparse input: :func:`sparse_top_k` of ``-a`` (Lanczos with
    tolerance ``tol``, repeated eigenvalues resolved).
    """
    if _backend.is_sparse(a):
        w, v = sparse_top_k(-a, k, xp=xp, tol=tol, bound=_row_sum_bound(a, xp=xp))
        return -w, v
    return _backend.eigh_partial(symmetrize(a, xp=xp), 0, k - 1, xp=xp)


def sparse_top_k(
    a: Any, k: int, *, xp: ModuleType, tol: float, bound: float, v0: Any = None, max_rounds: int = 12
) -> tuple[Any, Any]:
    """The ``k`` largest eigenpairs (descending) of a sparse symmetric matrix or operator, with
    repeated eigenvalues resolved.

    Lanczos from one start vector sees a single direction of each eigenspace, so an eigenvalue of
    multiplicity m (rings, tori, disconnected or symmetric graphs) comes back once and the next
    distinct eigenvalues take the missing copies' places: a wrong subspace whose residuals pass.
    Here every Lanczos solve (ARPACK / cupyx, relative tolerance ``tol``) is checked by a cheap
    Lanczos run for the single largest eigenvalue of the operator with the pairs found so far
    deflated below the spectrum (``bound >= ‖a‖``), at relative tolerance ``1e-6``: a Ritz value
    never exceeds the eigenvalue it approximates, so a value above the current k-th by more than
    ``1e-8·bound`` proves a missed copy. Then ``k`` pairs of the deflated operator are computed at
    ``tol`` and merged by Rayleigh–Ritz on the union, and the check repeats (at most
    ``max_rounds`` solves).
    """
    n = a.shape[0]
    w, v = _backend.sparse_eigsh(a, k, largest=True, tol=tol, xp=xp, v0=v0)
    w, v = xp.flip(w, axis=0), xp.flip(v, axis=1)
    margin = 1e-8 * bound
    drop = 2.0 * bound + 1.0  # deflated directions: θ - drop < -bound <= λ_min
    for _ in range(max_rounds - 1):
        if k + v.shape[1] + 1 >= n:
            break

        op = deflated_operator(lambda x: a @ x, v, drop, dtype=v.dtype, xp=xp)
        w_check, _ = _backend.sparse_eigsh(op, 1, largest=True, tol=max(tol, 1e-6), xp=xp)
        if float(w_check[0]) <= float(w[k - 1]) + margin:
            break  # nothing above the k-th value was missed
        _, v_new = _backend.sparse_eigsh(op, k, largest=True, tol=tol, xp=xp)
        basis, _ = xp.linalg.qr(xp.concat([v, v_new], axis=1))
        small = symmetrize(basis.mT @ xp.asarray(a @ basis), xp=xp)
        theta, y = eigh_ascending(small, xp=xp)
        w, v = xp.flip(theta, axis=0)[:k], (basis @ xp.flip(y, axis=1))[:, :k]
    return w, v


def deflated_operator(apply: Any, basis: Any, drop: float, *, dtype: Any, xp: ModuleType) -> Any:
    """The symmetric operator ``x -> apply(x) - drop · B Bᵀ x`` (``B = basis``, orthonormal columns).

    Moves ``span(B)`` (an invariant subspace of ``apply``) down by ``drop``, out of reach of a
    largest-eigenvalue solver; ``apply`` takes an (n, m) block. A sparse-solver operator
    (:func:`_backend.linear_operator`).
    """
    n = basis.shape[0]

    def matvec(x: Any) -> Any:
        x2 = xp.reshape(x, (n, -1))
        return xp.reshape(xp.asarray(apply(x2)) - drop * (basis @ (basis.mT @ x2)), x.shape)

    return _backend.linear_operator(n, matvec, dtype=dtype, xp=xp)


def top_k(a: Any, k: int, *, xp: ModuleType, tol: float = 0.0) -> tuple[Any, Any]:
    """The ``k`` largest eigenpairs of a symmetric matrix (dense or sparse), **descending**.

    Sparse: :func:`sparse_top_k` (repeated eigenvalues resolved), ``‖a‖`` bounded by the largest
    absolute row sum.
    """
    if _backend.is_sparse(a):
        return sparse_top_k(a, k, xp=xp, tol=tol, bound=_row_sum_bound(a, xp=xp))
    n = a.shape[0]
    w, v = _backend.eigh_partial(symmetrize(a, xp=xp), n - k, n - 1, xp=xp)
    return xp.flip(w, axis=0), xp.flip(v, axis=1)


def _row_sum_bound(a: Any, *, xp: ModuleType) -> float:
    """``max_i Σ_j |a_ij|`` >= ‖a‖₂ for a sparse symmetric ``a`` (at least a tiny positive number)."""
    return max(float(xp.max(xp.reshape(xp.asarray(abs(a).sum(axis=1)), (-1,)))), 1e-300)


def psd_sqrt(a: Any, *, xp: ModuleType) -> Any:
    """Symmetric square root of a positive semi-definite matrix (negative rounding clipped)."""
    w, v = eigh_ascending(a, xp=xp)
    w = xp.clip(w, min=0.0)
    return (v * xp.sqrt(w)) @ v.mT


def psd_inv_sqrt(a: Any, *, xp: ModuleType, rcond: float | None = None) -> Any:
    """Pseudo-inverse square root of a PSD matrix; eigenvalues ``<= rcond·max`` are dropped."""
    w, v = eigh_ascending(a, xp=xp)
    if rcond is None:
        rcond = a.shape[0] * float(xp.finfo(a.dtype).eps)
    wmax = float(xp.max(w)) if w.shape[0] else 0.0
    keep = w > rcond * max(wmax, 0.0)
    safe = xp.where(keep, w, xp.ones_like(w))
    inv = xp.where(keep, 1.0 / xp.sqrt(safe), xp.zeros_like(w))
    return (v * inv) @ v.mT


def orthonormal_basis(a: Any, *, xp: ModuleType, rcond: float | None = None) -> Any:
    """Orthonormal basis of the column space of ``a`` (numerical rank from its SVD).

    Columns with singular value ``<= rcond·σ_max`` (default ``max(shape)·eps``) are dropped.
    """
    u, s, _ = xp.linalg.svd(a, full_matrices=False)
    if s.shape[0] == 0:
        return u
    if rcond is None:
        rcond = max(a.shape) * float(xp.finfo(a.dtype).eps)
    rank = int(xp.sum(xp.astype(s > rcond * s[0], xp.int32)))
    return u[:, :rank]


def projector(a: Any, *, xp: ModuleType) -> Any:
    """Orthogonal projector onto the column space of ``a`` (``n x n``)."""
    q = orthonormal_basis(a, xp=xp)
    return q @ q.mT


def sign_normalize(v: Any, *, xp: ModuleType) -> Any:
    """Flip columns so that each one's largest-magnitude entry is positive (first index on ties).

    This is the library's deterministic sign convention for eigenvectors (spec D11).
    """
    if v.shape[0] == 0 or v.shape[1] == 0:
        return v
    idx = xp.argmax(xp.abs(v), axis=0)  # argmax returns the first maximal index
    picked = xp.take_along_axis(v, xp.reshape(idx, (1, -1)), axis=0)[0, :]
    signs = xp.where(picked < 0, -xp.ones_like(picked), xp.ones_like(picked))
    return v * signs


def tie_tolerance(eigenvalues: Any, *, xp: ModuleType, tie_tol: float | None = None) -> float:
    """Tolerance for calling two eigenvalues equal (spec D12).

    ``tie_tol=None`` gives ``4*sqrt(eps)*max(1, max|λ|)``; a given ``tie_tol`` must be a finite
    number ``>= 0`` (NaN or a negative value would silently turn tie detection off).
    """
    if tie_tol is not None:
        from ssltheory import _validation

        return _validation.check_positive(tie_tol, name="tie_tol", strict=False)
    scale = max(1.0, float(xp.max(xp.abs(eigenvalues)))) if eigenvalues.shape[0] else 1.0
    return 4.0 * math.sqrt(float(xp.finfo(eigenvalues.dtype).eps)) * scale


def cluster_straddles(eigenvalues: Any, k: int, *, xp: ModuleType, tol: float) -> bool:
    """True if the eigenvalue cluster containing the ``k``-th kept value extends past ``k``.

    ``eigenvalues`` are sorted in the order in which they are kept (ascending for Laplacians,
    descending for adjacencies); the first ``k`` are kept. The cluster is
    ``{j : |λ_j − λ_k| <= tol}``; it straddles when it contains an index ``>= k``.
    """
    n = eigenvalues.shape[0]
    if k <= 0 or k >= n:
        return False
    return abs(float(eigenvalues[k]) - float(eigenvalues[k - 1])) <= tol


def warn_if_tied(
    eigenvalues: Any,
    k: int,
    *,
    xp: ModuleType,
    tie_tol: float | None = None,
    kept_weight_positive: bool = True,
    what: str = "eigenvalue",
    stacklevel: int = 3,
) -> bool:
    """Warn :class:`DegenerateSpectrumWarning` when keeping the first ``k`` values is ambiguous.

    Returns ``True`` (``tied``) when the cluster of the ``k``-th kept value extends past ``k`` and
    the weight kept at ``k`` is positive (spec D12); degeneracy wholly inside or outside the kept
    set is silent.
    """
    tol = tie_tolerance(eigenvalues, xp=xp, tie_tol=tie_tol)
    tied = kept_weight_positive and cluster_straddles(eigenvalues, k, xp=xp, tol=tol)
    if tied:
        warnings.warn(
            f"the {what} kept at position {k} ({float(eigenvalues[k - 1]):.6g}) is tied with the "
            f"next one ({float(eigenvalues[k]):.6g}, tolerance {tol:.3g}): the optimal subspace is "
            "not unique; a deterministic basis of the tied eigenspace is returned. Compare "
            "invariants (loss, spectrum) or change n_components to include the whole cluster.",
            DegenerateSpectrumWarning,
            stacklevel=stacklevel,
        )
    return tied

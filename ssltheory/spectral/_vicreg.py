r"""VICReg, W-MSE and Laplacian Eigenmaps closed forms on a relation graph (spec/spectral.md §4.2).

All three reduce to the bottom eigenpairs of a graph Laplacian on the complement of a known null
vector: :math:`L` on :math:`\mathbf 1^\perp` (VICReg, W-MSE) and :math:`L_{\rm sym}` on
:math:`(D_G^{1/2}\mathbf 1)^\perp` (Laplacian Eigenmaps). Dense graphs use the spec's recipe
(``eigh`` of the operator plus a rank-one shift that moves the null vector to the top of the
spectrum, only the needed pairs computed where the backend can); SciPy / ``cupyx.scipy`` sparse
graphs take the null space from the connected components, then use Lanczos on :math:`s'I - L`
with the null space deflated (largest pairs, deflated re-runs until no repeated eigenvalue was
missed) or, from N = 10⁵ with pyamg installed, LOBPCG preconditioned by algebraic multigrid; then
a Rayleigh–Ritz step, with residuals checked.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation
from ssltheory._warnings import NotConvergedWarning
from ssltheory.spectral import _structured
from ssltheory.spectral._hinge import hinge_optimum
from ssltheory.spectral._results import SpectralSolution

__all__ = ["laplacian_eigenmaps", "vicreg_embedding", "wmse_embedding"]

_PENALTIES = ("square", "squared_hinge", "hinge")


# ----------------------------------------------------------------------------- private kernels
def _dense_laplacian(g: Any, *, xp: ModuleType) -> Any:
    """``L = diag(G1) - G``; the diagonal of ``G`` cancels exactly in this form (spec D2)."""
    n = g.shape[0]
    idx = xp.arange(n, device=_backend.device(g))
    eye = idx[:, None] == idx[None, :]
    d = xp.sum(g, axis=1)
    return xp.where(eye, d[:, None] - g, -g)


def _off_diagonal_degree(g: Any, *, xp: ModuleType) -> Any:
    """Degrees of ``G`` without its diagonal (dense or sparse), a dense 1-D array."""
    if _backend.is_sparse(g):
        ones = xp.ones((g.shape[0],), dtype=g.dtype, device=_backend.device(g))
        total = xp.reshape(xp.asarray(g @ ones), (-1,))
        return total - xp.asarray(g.diagonal())
    return xp.sum(g, axis=1) - xp.linalg.diagonal(g)


def _deterministic_start(n: int, *, dtype: Any, xp: ModuleType, device: Any) -> Any:
    """A fixed, generic Lanczos start vector (closed forms take no ``rng``)."""
    t = xp.arange(n, dtype=dtype, device=device)
    return 1.0 + 0.5 * xp.sin(1.618 * t + 0.5)


# ARPACK stopping rule: ‖L v - θ v‖ <= tol·|θ| per Ritz pair (on ``s'I - L``, |θ| <= s'). Only the
# span of the wanted pairs matters, and by Davis–Kahan its error is <= ‖R‖ / gap, so a relative
# residual of 1e-10 (≈ sqrt(eps)/100) gives subspaces and spectra far below every tolerance the
# library uses (4·sqrt(eps)) unless the eigengap at K is < 1e-2·s'·sqrt(eps), where the subspace
# is numerically tied anyway. tol=0 (machine precision) spent its time separating nearly tied
# wanted eigenvalues: ~N² cost on kNN graphs (50 s at N = 1e5), 1e-10 gives ~N (2 s).
SPARSE_EIGEN_TOL = 1e-10
# Above this size the dense fallback after a failed sparse solve is not attempted (N² memory).
_DENSE_FALLBACK_MAX = 20_000
# Sparse graphs with at least this many nodes use LOBPCG preconditioned by algebraic multigrid when
# the optional pyamg is installed. The small eigenvalues of kNN graphs of points in d dimensions
# scale like N^(-2/d) and cluster, so Lanczos on s'I - L needs ever more iterations (a 3-D 10-NN
# graph at N = 1e6 did not finish in 1400 s), while AMG keeps LOBPCG's iteration count nearly flat.
# Crossover measured on 3-D 10-NN graphs: N = 2e4, Lanczos ~1.5 s against LOBPCG 3.5 s; N = 1e5,
# Lanczos 19 s against LOBPCG 10-17 s; N = 1e6, LOBPCG ~8 min, Lanczos did not finish.
_PRECONDITIONED_MIN_N = 100_000
_LOBPCG_MAXITER = 1000


def _deterministic_block(n: int, m: int, *, dtype: Any, xp: ModuleType, device: Any) -> Any:
    """``m`` fixed, generic start vectors for LOBPCG (incommensurate sinusoids of the row index)."""
    t = xp.arange(n, dtype=dtype, device=device)
    cols = [xp.sin((1.618 + 0.7071 * j) * t + 0.5 * j) for j in range(m)]
    return xp.stack(cols, axis=1)


def _sparse_wanted(op: Any, null: Any, k: int, *, shift: float, xp: ModuleType) -> tuple[Any, bool]:
    """A basis (n, k) of (approximately) the bottom ``k`` eigenvectors of sparse ``op`` on ``null⊥``.

    ``null`` (n, c) is an orthonormal block of null vectors of ``op``. Large graphs with an
    algebraic-multigrid preconditioner available (NumPy + pyamg): LOBPCG on ``op`` with ``null``
    as constraint and block ``k + 1`` (one guard vector: measured 28 iterations against 38 with
    none and 104 with two on a 3-D kNN graph, N = 5·10⁴, where the second guard fell in a tight
    cluster). Otherwise Lanczos (ARPACK / cupyx) for the ``k`` largest
    pairs of ``shift·I - op - shift·null nullᵀ`` (the null vectors deflated to 0), repeated
    eigenvalues resolved by :func:`_linalg.sparse_top_k`. Both stop at residual
    ``SPARSE_EIGEN_TOL·shift``; the caller checks residuals after Rayleigh–Ritz.
    """
    n = null.shape[0]
    dev = _backend.device(null)
    pre = _backend.amg_preconditioner(op, xp=xp) if n >= _PRECONDITIONED_MIN_N else None
    if pre is not None:
        x0 = _deterministic_block(n, k + 1, dtype=null.dtype, xp=xp, device=dev)
        _, v, converged = _backend.sparse_lobpcg(
            op,
            x0,
            constraint=null,
            preconditioner=pre,
            tol=SPARSE_EIGEN_TOL * shift,
            maxiter=_LOBPCG_MAXITER,
            xp=xp,
        )
        return v[:, :k], converged

    a = _linalg.deflated_operator(lambda x: shift * x - op @ x, null, shift, dtype=op.dtype, xp=xp)
    v0 = _deterministic_start(n, dtype=null.dtype, xp=xp, device=dev)
    try:  # spectrum of a in [0, shift]
        _, v = _linalg.sparse_top_k(a, k, xp=xp, tol=SPARSE_EIGEN_TOL, bound=shift, v0=v0)
        converged = True
    except Exception as exc:  # ARPACK gave up: keep its converged pairs if there are enough
        partial = getattr(exc, "eigenvectors", None)
        if type(exc).__name__ != "ArpackNoConvergence":
            raise
        converged = partial is not None and partial.shape[1] >= k
        v = xp.asarray(partial)[:, -k:] if converged else xp.stack([v0] * k, axis=1)
    return v, converged


def _component_block(op: Any, q: Any, limit: int, *, xp: ModuleType) -> Any:
    """``q ⊙ 1_C`` normalised, for the first ``limit`` connected components ``C`` of sparse ``op``.

    Null vectors of ``L`` (``q`` constant) and ``L_sym`` (``q ∝ D^{1/2}1``), eigenvalue-1 vectors
    of ``Ā`` (``q ∝ D^{1/2}1``): one per component, known without an eigensolver. Components on
    which ``q`` vanishes (no edge, for ``Ā``) are left out. Shape (n, c).
    """
    count, labels = _backend.connected_components(op, xp=xp)
    if count == 1:
        return q[:, None] / xp.linalg.vector_norm(q)
    ids = xp.unique_values(labels[q != 0])[:limit]  # components on which q does not vanish
    block = q[:, None] * xp.astype(labels[:, None] == ids[None, :], q.dtype)
    return block / xp.linalg.vector_norm(block, axis=0)[None, :]


def _null_block(op: Any, q: Any, k: int, *, xp: ModuleType) -> tuple[Any, Any]:
    """Null vectors of a sparse graph operator (``L`` or ``L_sym``) from its connected components.

    Returns ``(null, inside)``: ``null`` (n, c) orthonormal (:func:`_component_block`), and
    ``inside`` an orthonormal basis of ``null ∩ q⊥``, the eigenvectors of eigenvalue 0 on ``q⊥``
    (``c - 1`` of them; only the first ``k + 1`` components are used when there are more, enough
    for any request since the rest is a tie at 0).
    """
    null = _component_block(op, q, k + 1, xp=xp)
    c = null.shape[1]
    # m = nullᵀq (q's weight on each component); null ∩ q⊥ = null · (m⊥ in R^c): the left singular
    # vectors of I - m̂m̂ᵀ with singular value 1 (the first c - 1)
    m = null.mT @ q
    m = m / xp.linalg.vector_norm(m)
    eye = xp.eye(c, dtype=q.dtype, device=_backend.device(q))
    u, _, _ = xp.linalg.svd(eye - m[:, None] * m[None, :])
    return null, null @ u[:, : c - 1]


def _bottom_on_complement(op: Any, q: Any, k: int, *, shift: float, xp: ModuleType) -> tuple[Any, Any]:
    """The ``k`` smallest eigenpairs (ascending) of a symmetric PSD graph operator ``op`` on ``q⊥``.

    ``q`` is a unit null vector of ``op`` with the graph's support (``L``: constant; ``L_sym``:
    ``∝ D^{1/2}1``) and ``shift`` exceeds ``λ_max(op)``; ``k <= n - 1``. Dense: bottom ``k`` pairs
    of ``op + shift·q qᵀ`` (``q`` moves to the top). Sparse: the null space is known from the
    connected components (:func:`_null_block`; its part in ``q⊥`` gives the zero eigenvalues
    exactly), then a basis of the wanted rest by :func:`_sparse_wanted` (Lanczos, or
    AMG-preconditioned LOBPCG for N >= 100 000 when pyamg is installed) at relative tolerance
    ``SPARSE_EIGEN_TOL``, Rayleigh–Ritz on it, residuals checked (``NotConvergedWarning`` and a
    dense recomputation up to N = 20 000 if they fail; beyond, the warning and the inaccurate
    pairs); densified when the sparse solvers would need as many vectors as the dimension.
    """
    n = q.shape[0]
    if _backend.is_sparse(op) and k + 2 < n:
        null, inside = _null_block(op, q, k, xp=xp)
        n_zero = min(inside.shape[1], k)
        r = k - n_zero
        zeros = xp.zeros((n_zero,), dtype=q.dtype, device=_backend.device(q))
        if r == 0:  # the graph alone decides: the wanted pairs are all in the null space
            return zeros, inside[:, :n_zero]
        if r + null.shape[1] + 1 < n:
            v, converged = _sparse_wanted(op, null, r, shift=shift, xp=xp)
            v = v - null @ (null.mT @ v)
            basis, _ = xp.linalg.qr(v)
            small = basis.mT @ xp.asarray(op @ basis)
            w, y = _linalg.eigh_ascending(_linalg.symmetrize(small, xp=xp), xp=xp)
            vec = basis @ y
            resid = xp.asarray(op @ vec) - vec * w[None, :]
            eps = float(xp.finfo(q.dtype).eps)
            # the solvers stop at residuals <= 1e-10·shift; 4·sqrt(eps)·shift (≈ 6e-8·shift) flags
            # a failure (cupyx eigsh has known silent failures, spec/backends.md §2.2)
            if converged and float(xp.max(xp.abs(resid))) <= 4.0 * math.sqrt(eps) * shift:
                return xp.concat([zeros, w]), xp.concat([inside[:, :n_zero], vec], axis=1)
            big = n > _DENSE_FALLBACK_MAX
            warnings.warn(
                "the sparse eigensolver returned inaccurate eigenpairs (residual check failed); "
                + (
                    "returning them as they are (too large for a dense eigensolver)"
                    if big
                    else "recomputing them with a dense eigensolver"
                ),
                NotConvergedWarning,
                stacklevel=4,
            )
            if big:
                return xp.concat([zeros, w]), xp.concat([inside[:, :n_zero], vec], axis=1)
    if _backend.is_sparse(op):
        op = op.toarray()
    a = _linalg.symmetrize(op + shift * (q[:, None] * q[None, :]), xp=xp)
    return _backend.eigh_partial(a, 0, k - 1, xp=xp)


def _laplacian_pairs(g: Any, k: int, *, xp: ModuleType) -> tuple[Any, Any]:
    """Bottom ``k`` eigenpairs of ``L`` on ``1⊥`` (spec §4.2 recipe), ascending."""
    n = g.shape[0]
    structure = _structured.detect_clique_union(g, xp=xp)
    if structure is not None:  # augmentation / label graph: spectrum known, no eigensolver
        dtype = g.dtype if xp.isdtype(g.dtype, "real floating") else xp.float64
        return _structured.clique_union_laplacian_pairs(structure, k, dtype=dtype, xp=xp)
    deg = _off_diagonal_degree(g, xp=xp)
    shift = 2.0 * float(xp.max(deg)) + 1.0  # > λ_max(L) <= 2 max_i d_i
    if _backend.is_sparse(g):
        from ssltheory.graphs import graph_laplacian

        op = graph_laplacian(g)
    else:
        op = _dense_laplacian(g, xp=xp)
    q = xp.full((n,), 1.0 / math.sqrt(n), dtype=deg.dtype, device=_backend.device(deg))
    return _bottom_on_complement(op, q, k, shift=shift, xp=xp)


def _check_weights(
    variance_weight: Any, covariance_weight: Any, invariance_weight: Any
) -> tuple[float, float, float]:
    alpha = _validation.check_positive(variance_weight, name="variance_weight")
    beta = _validation.check_positive(covariance_weight, name="covariance_weight")
    gamma = _validation.check_positive(invariance_weight, name="invariance_weight", strict=False)
    return alpha, beta, gamma


@dataclass(frozen=True)
class _Penalty:
    """The variance penalty and, for ``"hinge"``, its floor and the eps inside the square root."""

    name: str
    floor: float
    eps: float


def _check_penalty(variance_penalty: Any, variance_floor: Any = 1e-6, variance_eps: Any = 0.0) -> _Penalty:
    if variance_penalty not in _PENALTIES:
        raise ValueError(
            f"variance_penalty must be one of {', '.join(map(repr, _PENALTIES))}, "
            f"received {variance_penalty!r}"
        )
    floor, eps = _validation.check_hinge_params(variance_floor, variance_eps)
    if eps != 0.0 and variance_penalty != "hinge":
        raise ValueError(
            "variance_eps (the eps of sqrt(Cov_kk + eps)) applies to variance_penalty='hinge' only, "
            f"received variance_eps={eps} with variance_penalty={variance_penalty!r}"
        )
    return _Penalty(variance_penalty, floor, eps)


def _optimal_scales(
    lam: Any,
    k: int,
    *,
    alpha: float,
    beta: float,
    gamma_p: float,
    penalty: _Penalty,
    xp: ModuleType,
    rotation: bool = True,
    stacklevel: int = 5,
) -> tuple[Any, Any, float, int]:
    """``(c, R, loss, cut)`` at the optimum for the kept eigenvalues ``lam`` (ascending, <= k).

    ``c`` (length ``k``): eigenvalues of Cov at the optimum, ``c_j`` on the eigenvector of
    ``lam_j``; ``R``: the rotation (``None`` = identity, or not computed when ``rotation=False``);
    ``cut``: the position whose tie with the next eigenvalue makes the subspace non-unique.
    """
    if penalty.name == "hinge":
        return hinge_optimum(
            lam,
            k,
            alpha=alpha,
            beta=beta,
            gamma_p=gamma_p,
            floor=penalty.floor,
            eps=penalty.eps,
            xp=xp,
            rotation=rotation,
            stacklevel=stacklevel,
        )
    k_eff = lam.shape[0]
    c, diag = _vicreg_scales(lam, k, alpha=alpha, beta=beta, gamma_p=gamma_p, xp=xp)
    loss = _vicreg_loss_value(c, diag, lam, alpha=alpha, beta=beta, gamma_p=gamma_p, xp=xp)
    rot = _equal_diagonal_rotation(c, xp=xp) if rotation and alpha > beta else None
    cut = k_eff if k_eff and float(c[k_eff - 1]) > 0 else 0
    return c, rot, loss, cut


def _check_ddof(ddof: Any, n: int) -> int:
    ddof = _validation.check_int(ddof, name="ddof", minimum=0)
    if ddof >= n:
        raise ValueError(
            f"ddof must be < n_samples = {n} (the covariance divides by M = n_samples - ddof > 0), "
            f"received {ddof}"
        )
    return ddof


def _vicreg_scales(
    lam: Any, k: int, *, alpha: float, beta: float, gamma_p: float, xp: ModuleType
) -> tuple[Any, Any]:
    r"""Covariance eigenvalues :math:`c` (length ``k``) and diagonal of Cov at the optimum.

    ``lam`` holds the ``k_eff <= k`` kept eigenvalues (ascending); ``c_j = 0`` for ``j >= k_eff``.
    :math:`\beta\ge\alpha`: :math:`c=(1-\gamma'\lambda/\alpha)_+`, Cov diagonal.
    :math:`\alpha>\beta`: the fixed point :math:`c=((\alpha-(\alpha-\beta)S/K-\gamma'\lambda)/\beta)_+`,
    solved exactly: for an active prefix of size ``m`` the equation is linear in ``S``; the
    candidate whose ``S`` satisfies the fixed-point equation is the solution (it is unique since the
    right-hand side decreases in ``S``). Cov then has the constant diagonal ``S/K``.
    """
    k_eff = lam.shape[0]
    dtype, dev = lam.dtype, _backend.device(lam)
    pad = xp.zeros((k - k_eff,), dtype=dtype, device=dev)
    if beta >= alpha:
        c = xp.clip(1.0 - gamma_p * lam / alpha, min=0.0)
        c = xp.concat([c, pad])
        return c, c
    m = xp.arange(k_eff + 1, dtype=dtype, device=dev)
    prefix = xp.concat([xp.zeros((1,), dtype=dtype, device=dev), xp.cumulative_sum(lam)])
    s_cand = (m * alpha - gamma_p * prefix) / (beta + m * (alpha - beta) / k)
    t = alpha - (alpha - beta) * s_cand / k  # (k_eff + 1,)
    c_cand = xp.clip((t[:, None] - gamma_p * lam[None, :]) / beta, min=0.0)
    residual = xp.abs(xp.sum(c_cand, axis=1) - s_cand)
    best = int(xp.argmin(residual))
    c = xp.concat([c_cand[best, :], pad])
    s = xp.sum(c)
    return c, xp.full((k,), 1.0, dtype=dtype, device=dev) * (s / k)


def _equal_diagonal_rotation(c: Any, *, xp: ModuleType) -> Any:
    """Orthogonal ``R`` with ``diag(Rᵀ diag(c) R) = mean(c)``: the Givens sweep of
    :func:`ssltheory.spectral._hinge.equal_rotation` (:math:`O(K^2)`) on the K numbers ``c``; the K×K
    rotation goes back to ``c``'s device (nothing of size N moves)."""
    from ssltheory.spectral._hinge import equal_rotation

    rot = equal_rotation(_backend.to_numpy(c).astype(float))
    return xp.asarray(rot, dtype=c.dtype, device=_backend.device(c))


def _vicreg_loss_value(
    c: Any, diag: Any, lam: Any, *, alpha: float, beta: float, gamma_p: float, xp
) -> float:
    """Loss at Cov with eigenvalues ``c`` and diagonal ``diag``, paired with ``lam`` (paper form)."""
    k_eff = lam.shape[0]
    var = alpha * xp.sum((1.0 - diag) ** 2)
    cov = beta * (xp.sum(c**2) - xp.sum(diag**2))
    inv = 2.0 * gamma_p * xp.sum(c[:k_eff] * lam)
    return float(var + xp.clip(cov, min=0.0) + inv)


def _pad_columns(z: Any, k: int, *, xp: ModuleType) -> Any:
    if z.shape[1] == k:
        return z
    extra = xp.zeros((z.shape[0], k - z.shape[1]), dtype=z.dtype, device=_backend.device(z))
    return xp.concat([z, extra], axis=1)


def _pad_eigenvalues(lam: Any, k: int, *, xp: ModuleType) -> Any:
    if lam.shape[0] == k:
        return lam
    extra = xp.full((k - lam.shape[0],), math.inf, dtype=lam.dtype, device=_backend.device(lam))
    return xp.concat([lam, extra])


def _prepare_graph(graph: Any, *, xp: ModuleType) -> Any:
    g = _validation.check_graph(graph, xp=xp, diagonal="ignore")
    if g.shape[0] < 2:
        raise ValueError(f"graph must have at least 2 nodes, received shape {tuple(g.shape)}")
    return g


# ----------------------------------------------------------------------------- public functions
def vicreg_embedding(
    graph: Any,
    /,
    *,
    n_components: int,
    variance_weight: float = 1.0,
    covariance_weight: float = 1.0,
    invariance_weight: float = 1.0,
    variance_penalty: str = "square",
    ddof: int = 1,
    variance_floor: float = 1e-6,
    variance_eps: float = 0.0,
    tie_tol: float | None = None,
) -> SpectralSolution:
    r"""Closed-form global minimiser of VICReg over embeddings ``Z`` (squared or hinge penalty).

    .. math::

        \min_{Z\in\mathbb R^{N\times K}}\ \alpha\sum_k v(C_{kk}) + \beta\sum_{k\ne l}C_{kl}^2
        + \frac{2\gamma}{N}\mathrm{Tr}(Z^\top LZ),\qquad C=\mathrm{Cov}(Z)=\frac{Z^\top HZ}{M},

    :math:`v(c)=(1-c)^2`, :math:`\max(0,1-c)^2` or the hinge on the standard deviation
    :math:`h(c)=(1-\sqrt{\max(c,f)+\epsilon})_+` (the loss of the VICReg paper and the SSL
    libraries), :math:`M=N-\mathrm{ddof}`, :math:`\gamma'=\gamma M/N`, :math:`(\lambda_k,u_k)` the
    eigenpairs of :math:`L` on :math:`\mathbf 1^\perp` (ascending). Solution
    :math:`Z^*=[u_1\dots u_K]\,\mathrm{diag}(\sqrt{Mc_k})\,R`; for the squared penalties:

    - :math:`\beta\ge\alpha`: :math:`c_k=(1-\gamma'\lambda_k/\alpha)_+`, :math:`R=I`,
      :math:`\mathcal L^*=\alpha\sum_k(1-c_k^2)`;
    - :math:`\alpha>\beta`: :math:`c_k=\big((\alpha-(\alpha-\beta)S/K-\gamma'\lambda_k)/\beta\big)_+`,
      :math:`S=\sum_kc_k` (unique fixed point), :math:`R` a Givens rotation making every
      :math:`C_{kk}=S/K`, :math:`\mathcal L^*=\alpha K-2\alpha S+\beta\sum c_k^2+(\alpha-\beta)S^2/K
      +2\gamma'\sum_kc_k\lambda_k`.

    For the hinge (``variance_penalty="hinge"``) the problem reduces exactly to the spectrum
    :math:`c` and the diagonal :math:`d` of :math:`C` (Ky Fan pairs :math:`c` descending with
    :math:`\lambda` ascending; Schur–Horn: :math:`d` ranges over the vectors majorised by
    :math:`c`). For :math:`\alpha\ge8\beta` (:math:`\varphi(x)=\alpha h(x)-\beta x^2` convex;
    the paper's weights have :math:`\alpha/\beta=12.5`) the optimum has :math:`r` columns of
    equal variance :math:`t` and :math:`K-r` collapsed ones, :math:`c` the water-filling
    :math:`c_k=(\mu-2\gamma'\lambda_k)_+/(2\beta)` with :math:`\sum_kc_k=rt` on the first
    :math:`r` directions, :math:`R` the equal-diagonal rotation of that block; :math:`t` solves a
    one-dimensional convex problem by bisection for each :math:`r=0\dots K` (certified global
    optimum). For :math:`\alpha<8\beta` the best of a dynamic programme over blocks and a
    local polish is returned, with a certificate against a lower bound (warning when it fails).

    Parameters
    ----------
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Symmetric, non-negative, finite relation graph :math:`G` (dense array of any array-API
        backend, or a SciPy / ``cupyx.scipy`` sparse matrix); its diagonal cancels and is ignored.
        Integer graphs are promoted to float64.
    n_components : int
        :math:`K\ge1`. Beyond :math:`N-1` there is no new direction (:math:`c_k=0`): for
        :math:`\beta\ge\alpha` the extra columns are constant (zero after centring) and add
        :math:`\alpha` each; for :math:`\alpha>\beta` the equal-diagonal rotation spreads the
        variance over all :math:`K` columns and each extra column adds less than :math:`\alpha`.
    variance_weight : float, default 1.0
        :math:`\alpha>0` (Bardes et al. :math:`\mu`, ``std_coeff``).
    covariance_weight : float, default 1.0
        :math:`\beta>0` (Bardes et al. :math:`\nu`, ``cov_coeff``).
    invariance_weight : float, default 1.0
        :math:`\gamma\ge0` (Bardes et al. :math:`\lambda`, ``sim_coeff``).
    variance_penalty : {"square", "squared_hinge", "hinge"}, default "square"
        The squared penalties have the same optimum (the optimal :math:`C_{kk}\le1`, where they
        agree); ``"hinge"`` is the paper's :math:`(1-\sqrt{C_{kk}+\epsilon})_+`.
    ddof : int, default 1
        Covariance normaliser :math:`M=N-\mathrm{ddof}`.
    variance_floor : float, default 1e-6
        ``"hinge"`` only: :math:`f>0`, the lower clamp of :math:`C_{kk}` (as
        :class:`ssltheory.losses.VICRegLoss`).
    variance_eps : float, default 0.0
        ``"hinge"`` only: :math:`\epsilon\ge0` inside the square root (the libraries use
        :math:`10^{-4}`; :func:`ssltheory.losses.to_paper` passes it); :math:`f+\epsilon<1`.
    tie_tol : float, optional
        Tolerance for tied eigenvalues (spec D12); default :math:`4\sqrt{\epsilon}\max(1,|\lambda|)`.

    Returns
    -------
    SpectralSolution
        ``embedding`` (N, K) with zero column means; ``eigenvalues`` :math:`\lambda_k` (``inf`` for
        columns beyond :math:`N-1`); ``scales`` :math:`c_k` (eigenvalues of :math:`C`); ``rank`` =
        :math:`\#\{c_k>0\}`; ``loss`` (paper convention); ``tied``.

    Raises
    ------
    TypeError
        ``graph`` not an array, complex dtype; weights or integers of the wrong type.
    ValueError
        ``graph`` not square, asymmetric, negative, non-finite or with fewer than 2 nodes;
        ``variance_penalty`` unknown; weights out of range; ``ddof >= n_samples``;
        ``variance_floor <= 0``, ``variance_eps < 0``, ``variance_floor + variance_eps >= 1``, or
        ``variance_eps != 0`` with a squared penalty.

    Warns
    -----
    DegenerateSpectrumWarning
        An eigenvalue cluster straddles the last direction with :math:`c_k>0` (optimal subspace
        not unique; ``tied=True``).
    NotConvergedWarning
        Sparse graph: the Lanczos pairs failed the residual check (see Notes). Hinge with
        :math:`\alpha<8\beta`: the returned point is not certified globally optimal.

    See Also
    --------
    wmse_embedding : the :math:`\alpha,\beta\to\infty` limit.
    ssltheory.losses.VICRegLoss : the evaluator (``loss`` equals it at ``embedding``).

    Notes
    -----
    spec/spectral.md §4.2a–b, D3, D4, D11–D13; proofs_checks/test_vicreg_stationarity.py. Unique:
    the loss, the spectrum :math:`c`, and (without ties) the span of the columns with
    :math:`c_k>0`; free: a translation, any :math:`R\in O(K)` if :math:`\alpha=\beta`, signed
    permutations if :math:`\beta>\alpha`, rotations keeping the diagonal equal if
    :math:`\alpha>\beta`. Rank :math:`\#\{\lambda_k<\alpha/\gamma'\}` for :math:`\beta\ge\alpha`
    (complete collapse iff :math:`\gamma'\lambda_1\ge\alpha`). The :math:`\alpha>\beta` fixed point
    is solved exactly (piecewise-linear in :math:`S`), not by bisection; :math:`S/K\le1` always,
    so ``"squared_hinge"`` never needs a separate treatment. Cost: dense :math:`O(N^2K)` with
    SciPy (``subset_by_index``), :math:`O(N^3)` elsewhere; sparse: the null space from the
    connected components (:math:`O(\mathrm{nnz})`, exact), then Lanczos
    :math:`O(\mathrm{nnz}\cdot K)` per iteration, re-run on the deflated operator until no copy
    of a repeated eigenvalue was missed (two runs without repeats; a single Lanczos run returns
    one vector per eigenspace), or for :math:`N\ge10^5` with the optional pyamg LOBPCG with a
    smoothed-aggregation preconditioner (iteration count nearly independent of :math:`N`; a
    3-D kNN graph at :math:`N=10^6` is solved, where Lanczos did not finish in 1400 s). Both stop
    at the relative residual ``SPARSE_EIGEN_TOL = 1e-10`` (subspace error :math:`\le` residual /
    eigengap, Davis–Kahan), residuals then checked: ``NotConvergedWarning`` and a dense recomputation up to
    :math:`N=20\,000` (beyond: the warning and the pairs found). Clique-union graphs (augmentation
    and label graphs, constant weight per clique; detected in :math:`O(\mathrm{nnz})`, dense or
    sparse) use the known spectrum (spec §3, :mod:`ssltheory.spectral._structured`): no
    eigensolver, :math:`O(NK+N\log N)`.

    References
    ----------
    R. Balestriero, Y. LeCun, *Contrastive and Non-Contrastive Self-Supervised Learning Recover
    Global and Local Spectral Embedding Methods*, NeurIPS 2022, arXiv:2205.11508.

    Examples
    --------
    >>> from ssltheory.graphs import augmentation_graph
    >>> sol = vicreg_embedding(augmentation_graph(3, 2), n_components=5, invariance_weight=0.25)
    >>> [round(float(c), 4) for c in sol.scales]  # c = 1 (invariant) and (1 - γ'·2)_+
    [1.0, 1.0, 0.5833, 0.5833, 0.5833]
    >>> sol.rank, round(sol.loss, 4)  # α Σ (1 - c²)
    (5, 1.9792)
    >>> hinge = vicreg_embedding(augmentation_graph(3, 2), n_components=2, variance_weight=12.5,
    ...                          invariance_weight=25.0, variance_penalty="hinge")
    >>> [round(float(c), 4) for c in hinge.scales]  # two invariant directions, both at variance 1
    [1.0, 1.0]
    """
    xp = _backend.get_namespace(graph)
    g = _prepare_graph(graph, xp=xp)
    n = g.shape[0]
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    alpha, beta, gamma = _check_weights(variance_weight, covariance_weight, invariance_weight)
    penalty = _check_penalty(variance_penalty, variance_floor, variance_eps)
    ddof = _check_ddof(ddof, n)
    m = n - ddof
    gamma_p = gamma * m / n
    k_eff = min(k, n - 1)
    lam_all, u_all = _laplacian_pairs(g, min(k_eff + 1, n - 1), xp=xp)
    lam, u = lam_all[:k_eff], u_all[:, :k_eff]
    c, rot, loss, cut = _optimal_scales(
        lam, k, alpha=alpha, beta=beta, gamma_p=gamma_p, penalty=penalty, xp=xp, stacklevel=4
    )
    tied = cut > 0 and _linalg.warn_if_tied(lam_all, cut, xp=xp, tie_tol=tie_tol)
    u = _linalg.sign_normalize(u, xp=xp)
    z = _pad_columns(u * xp.sqrt(m * c[:k_eff])[None, :], k, xp=xp)
    if rot is not None:
        z = z @ rot
    return SpectralSolution(
        embedding=z,
        eigenvalues=_pad_eigenvalues(lam, k, xp=xp),
        scales=c,
        rank=int(xp.sum(xp.astype(c > 0, xp.int32))),
        loss=loss,
        tied=tied,
    )


def wmse_embedding(
    graph: Any, /, *, n_components: int, ddof: int = 1, tie_tol: float | None = None
) -> SpectralSolution:
    r"""Closed-form minimiser of W-MSE / hard-constrained VICReg over embeddings ``Z``.

    .. math::

        \min_Z\ \frac{2}{N}\mathrm{Tr}(Z^\top LZ)\quad\text{s.t.}\quad
        \mathrm{Cov}(Z)=\frac{Z^\top HZ}{M}=I_K,
        \qquad Z^*=\sqrt M\,[u_1\dots u_K],\qquad \mathcal L^*=\frac{2M}{N}\sum_{k\le K}\lambda_k,

    :math:`(\lambda_k,u_k)` the bottom eigenpairs of :math:`L` on :math:`\mathbf 1^\perp`.

    Parameters
    ----------
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Symmetric, non-negative, finite relation graph (diagonal ignored); dense of any
        array-API backend, or SciPy / ``cupyx.scipy`` sparse.
    n_components : int
        :math:`1\le K\le N-1` (a centred :math:`Z` has rank at most :math:`N-1`).
    ddof : int, default 1
        :math:`M=N-\mathrm{ddof}`.
    tie_tol : float, optional
        Tie tolerance (spec D12).

    Returns
    -------
    SpectralSolution
        ``embedding`` (N, K), centred with identity covariance; ``eigenvalues`` :math:`\lambda_k`;
        ``scales`` ones; ``rank`` :math:`K`; ``loss`` = ``ssltheory.losses.wmse_loss`` at the
        optimum; ``tied``.

    Raises
    ------
    ValueError
        Invalid graph (see :func:`vicreg_embedding`), ``n_components > n_samples - 1``,
        ``ddof >= n_samples``.

    Warns
    -----
    DegenerateSpectrumWarning
        :math:`\lambda_K=\lambda_{K+1}` within ``tie_tol``.

    See Also
    --------
    laplacian_eigenmaps : the same subspace iff :math:`G` is regular.
    vicreg_embedding : the soft-constrained version.

    Notes
    -----
    spec/spectral.md §4.2d, §2.5. Unique: the loss and (without ties) the column span; free:
    :math:`R\in O(K)` and a translation. For a regular graph (:math:`D_G=dI`) the subspace is
    Laplacian Eigenmaps'; otherwise the unweighted covariance constraint differs from LE's
    degree-weighted one. Cost as :func:`vicreg_embedding`.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])  # path on 3 nodes: λ = 1, 3
    >>> sol = wmse_embedding(g, n_components=1)
    >>> float(sol.eigenvalues[0]), round(sol.loss, 6)  # loss = 2·M/N·λ₁ = 4/3
    (1.0, 1.333333)
    """
    xp = _backend.get_namespace(graph)
    g = _prepare_graph(graph, xp=xp)
    n = g.shape[0]
    k = _validation.check_n_components(
        n_components, maximum=n - 1, reason="a centred embedding with Cov(Z) = I has rank <= n_samples - 1"
    )
    ddof = _check_ddof(ddof, n)
    m = n - ddof
    lam_all, u_all = _laplacian_pairs(g, min(k + 1, n - 1), xp=xp)
    lam, u = lam_all[:k], u_all[:, :k]
    tied = _linalg.warn_if_tied(lam_all, k, xp=xp, tie_tol=tie_tol)
    u = _linalg.sign_normalize(u, xp=xp)
    return SpectralSolution(
        embedding=math.sqrt(m) * u,
        eigenvalues=lam,
        scales=xp.ones((k,), dtype=lam.dtype, device=_backend.device(lam)),
        rank=k,
        loss=float(2.0 * m / n * xp.sum(lam)),
        tied=tied,
    )


def laplacian_eigenmaps(graph: Any, /, *, n_components: int) -> SpectralSolution:
    r"""Laplacian Eigenmaps (Belkin & Niyogi): bottom generalised eigenvectors of :math:`(L, D_G)`.

    .. math::

        \min_Z\ \mathrm{Tr}(Z^\top LZ)\quad\text{s.t.}\quad Z^\top D_GZ=I,\ \ Z^\top D_G\mathbf 1=0,
        \qquad Lf_k=\lambda_kD_Gf_k,

    the constant :math:`f_0` dropped; :math:`Z^*=[f_1\dots f_K]`, :math:`\mathcal L^*=\sum_k\lambda_k`.

    Parameters
    ----------
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Symmetric, non-negative, finite relation graph, every node with a positive degree
        (diagonal ignored, as :func:`scipy.sparse.csgraph.laplacian` does).
    n_components : int
        :math:`1\le K\le N-1`.

    Returns
    -------
    SpectralSolution
        ``embedding`` (N, K) with :math:`Z^\top D_GZ=I`; ``eigenvalues`` :math:`\lambda_k`
        (ascending, those of :math:`L_{\rm sym}`); ``scales`` ones; ``rank`` :math:`K`;
        ``loss`` :math:`\sum_k\lambda_k`; ``tied`` (default tolerance of spec D12).

    Raises
    ------
    ValueError
        Invalid graph, a node of degree 0 (:math:`D_G` singular), ``n_components > n_samples - 1``.

    Warns
    -----
    DegenerateSpectrumWarning
        :math:`\lambda_K=\lambda_{K+1}` within the default tolerance.

    See Also
    --------
    wmse_embedding : equal subspace iff :math:`G` is regular.
    sklearn.manifold.SpectralEmbedding : the same subspace (``affinity="precomputed"``).

    Notes
    -----
    spec/spectral.md §2.6, §4.2d, §5 item 16. Solved as :math:`L_{\rm sym}y=\lambda y`,
    :math:`f=D_G^{-1/2}y`, with :math:`D_G^{1/2}\mathbf 1` (null vector of
    :math:`L_{\rm sym}`) shifted out. Unique: loss, spectrum, span (without ties); free:
    :math:`R` with :math:`R^\top R=I`. Cost as :func:`vicreg_embedding`.

    Examples
    --------
    >>> from ssltheory.graphs import augmentation_graph
    >>> sol = laplacian_eigenmaps(augmentation_graph(2, 2), n_components=1)
    >>> float(sol.eigenvalues[0])  # the second invariant direction: eigenvalue 0
    0.0
    """
    xp = _backend.get_namespace(graph)
    g = _prepare_graph(graph, xp=xp)
    n = g.shape[0]
    k = _validation.check_n_components(
        n_components, maximum=n - 1, reason="the constant generalised eigenvector is dropped"
    )
    deg = _off_diagonal_degree(g, xp=xp)
    if bool(xp.any(deg <= 0)):
        i = int(xp.argmin(deg))
        raise ValueError(
            f"graph has a node of degree 0 (node {i}): Laplacian Eigenmaps needs D_G invertible; "
            "remove isolated nodes or use wmse_embedding"
        )
    inv_sqrt = 1.0 / xp.sqrt(deg)
    if _backend.is_sparse(g):
        from ssltheory.graphs import graph_laplacian

        op = graph_laplacian(g, normalization="symmetric")
    else:
        op = _dense_laplacian(g, xp=xp) * inv_sqrt[:, None] * inv_sqrt[None, :]
    q = xp.sqrt(deg)
    q = q / xp.linalg.vector_norm(q)
    lam_all, y = _bottom_on_complement(op, q, min(k + 1, n - 1), shift=3.0, xp=xp)  # λ(L_sym) <= 2
    lam = lam_all[:k]
    tied = _linalg.warn_if_tied(lam_all, k, xp=xp)
    f = _linalg.sign_normalize(y[:, :k] * inv_sqrt[:, None], xp=xp)
    return SpectralSolution(
        embedding=f,
        eigenvalues=lam,
        scales=xp.ones((k,), dtype=lam.dtype, device=_backend.device(lam)),
        rank=k,
        loss=float(xp.sum(lam)),
        tied=tied,
    )

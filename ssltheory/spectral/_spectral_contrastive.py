"""Spectral contrastive loss closed form: Eckart–Young on the normalised adjacency (spec §4.5)."""

from __future__ import annotations

import math
import warnings
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation
from ssltheory._warnings import NotConvergedWarning
from ssltheory.spectral import _structured, _vicreg
from ssltheory.spectral._results import SpectralSolution
from ssltheory.spectral._vicreg import SPARSE_EIGEN_TOL

__all__ = ["spectral_contrastive_embedding"]

_WEIGHTINGS = ("degree", "none")


def _inv_sqrt_degree(d: Any, *, xp: ModuleType) -> Any:
    """``d^{-1/2}`` with degree-0 entries set to 0."""
    positive = d > 0
    safe = xp.where(positive, d, xp.ones_like(d))
    return xp.where(positive, 1.0 / xp.sqrt(safe), xp.zeros_like(d))


def _degrees(graph: Any, *, xp: ModuleType) -> Any:
    """Row sums (diagonal included) as a dense 1-D array of the graph's backend."""
    if _backend.is_sparse(graph):
        return xp.reshape(xp.asarray(graph.sum(axis=1)), (-1,))
    return xp.sum(graph, axis=1)


def _operator(graph: Any, weighting: str, *, xp: ModuleType) -> tuple[Any, Any]:
    """The matrix whose top eigenpairs give the optimum (``Ā`` or ``G``) and ``d^{-1/2}``."""
    if weighting == "none":
        return graph, None
    inv = _inv_sqrt_degree(_degrees(graph, xp=xp), xp=xp)
    if _backend.is_sparse(graph):
        sp = _backend.sparse_module(xp)
        scale = sp.diags(inv)
        return (scale @ graph @ scale).tocsr(), inv
    return graph * (inv[:, None] * inv[None, :]), inv


def _structured_pairs(graph: Any, k: int, weighting: str, *, xp: ModuleType) -> tuple[Any, Any] | None:
    """Top pairs of a zero-diagonal clique-union graph in closed form (spec §3), else ``None``."""
    if _backend.is_sparse(graph):
        has_diagonal = bool(xp.any(xp.asarray(graph.diagonal()) != 0))
    else:
        has_diagonal = bool(xp.any(xp.linalg.diagonal(graph) != 0))
    if has_diagonal:
        return None  # self-pairs are positives here (spec D2): not a plain clique union
    structure = _structured.detect_clique_union(graph, xp=xp)
    if structure is None:
        return None
    dtype = graph.dtype if xp.isdtype(graph.dtype, "real floating") else xp.float64
    return _structured.clique_union_adjacency_top(
        structure, k, normalized=weighting == "degree", dtype=dtype, xp=xp
    )


def _top_pairs(op: Any, k: int, *, xp: ModuleType, perron: Any = None) -> tuple[Any, Any]:
    """Top ``k`` pairs (descending); sparse: Lanczos at ``SPARSE_EIGEN_TOL``, residuals checked.

    ``perron`` (``sqrt(d)`` for ``Ā = D^{-1/2}AD^{-1/2}``): on a sparse graph with several
    connected components the top eigenvalue 1 of ``Ā`` is repeated, once per component with an
    edge, with eigenvectors ``sqrt(d) ⊙ 1_C``. A single-vector Krylov method cannot resolve a
    repeated eigenvalue (it returned one copy and silently missed the others), so those pairs are
    taken in closed form and the rest is found as the bottom of ``I - Ā`` on their complement by
    the Laplacian route of VICReg (also from N = 10⁵ for a connected graph, for its AMG-LOBPCG).
    """
    n = op.shape[0]
    if not _backend.is_sparse(op) or k >= n - 1:
        return _linalg.top_k(op.toarray() if _backend.is_sparse(op) else op, k, xp=xp)
    known = None
    if perron is not None:
        count, _ = _backend.connected_components(op, xp=xp)
        if count > 1 or n >= _vicreg._PRECONDITIONED_MIN_N:
            known = _vicreg._component_block(op, perron, k, xp=xp)
            if known.shape[1] == 0:
                known = None
            elif known.shape[1] >= k:
                return xp.ones((k,), dtype=perron.dtype, device=_backend.device(perron)), known[:, :k]
    if known is None:
        w, e = _linalg.top_k(op, k, xp=xp, tol=SPARSE_EIGEN_TOL)
    else:
        # below the Perron pairs, Ā's top pairs are the bottom pairs of M = I - Ā (PSD, null space
        # = the Perron block) on known⊥: the Laplacian route of VICReg / Laplacian Eigenmaps
        # (deflated Lanczos, or AMG-preconditioned LOBPCG from N = 10⁵ with pyamg; λ(M) <= 2 < 3)
        c = known.shape[1]
        sp = _backend.sparse_module(xp)
        m_op = (sp.identity(n, dtype=op.dtype, format="csr") - op).tocsr()
        basis, _ = _vicreg._sparse_wanted(m_op, known, k - c, shift=3.0, xp=xp)
        basis, _ = xp.linalg.qr(basis - known @ (known.mT @ basis))
        theta, y = _linalg.eigh_ascending(_linalg.symmetrize(basis.mT @ xp.asarray(op @ basis), xp=xp), xp=xp)
        w = xp.concat(
            [xp.ones((c,), dtype=theta.dtype, device=_backend.device(theta)), xp.flip(theta, axis=0)]
        )
        e = xp.concat([known, basis @ xp.flip(y, axis=1)], axis=1)
    scale = max(1.0, float(xp.max(xp.abs(w))))
    resid = float(xp.max(xp.abs(xp.asarray(op @ e) - e * w[None, :])))
    # Lanczos at SPARSE_EIGEN_TOL: residual <= 1e-10·scale; 4·sqrt(eps)·scale flags a failure
    if resid <= 4.0 * math.sqrt(float(xp.finfo(w.dtype).eps)) * scale:
        return w, e
    big = n > _vicreg._DENSE_FALLBACK_MAX  # a dense N×N eigensolve would not fit
    warnings.warn(
        f"the sparse eigensolver returned inaccurate eigenpairs (residual {resid:.2e}, residual check "
        "failed); "
        + (
            "returning them as they are (too large for a dense eigensolver)"
            if big
            else "recomputing them with a dense eigensolver"
        ),
        NotConvergedWarning,
        stacklevel=3,
    )
    return (w, e) if big else _linalg.top_k(op.toarray(), k, xp=xp)


def spectral_contrastive_embedding(
    graph: Any, /, *, n_components: int, weighting: str = "degree", tie_tol: float | None = None
) -> SpectralSolution:
    r"""Optimal embedding of the spectral contrastive loss (HaoChen et al. 2021) on a graph.

    With ``weighting="degree"`` the loss equals
    :math:`\lVert UU^\top-\bar A\rVert_F^2-\lVert\bar A\rVert_F^2` in :math:`U=D_w^{1/2}F`,
    :math:`\bar A=D_G^{-1/2}GD_G^{-1/2}`, so by Eckart–Young

    .. math::

        U^* = E_K\,\mathrm{diag}\big(\sqrt{(\omega_k)_+}\big),\qquad
        F^* = \sqrt{\mathrm{vol}}\,D_G^{-1/2}U^*,\qquad
        \mathcal L_{\rm SC}^* = -\sum_{k\le K}(\omega_k)_+^2,

    where :math:`(\omega_k, e_k)` are the top-:math:`K` eigenpairs of :math:`\bar A` (descending).
    With ``weighting="none"``, :math:`G` replaces :math:`\bar A` and :math:`F^*=U^*`.

    Parameters
    ----------
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Symmetric, non-negative, finite graph; its diagonal is used as given (self-pairs are
        positives, spec D2). SciPy / ``cupyx`` sparse matrices use a partial Lanczos solver.
    n_components : int
        :math:`K\ge1`; columns beyond the number of positive eigenvalues (or beyond
        ``n_samples``) are zero.
    weighting : {"degree", "none"}, default "degree"
        ``"degree"``: :math:`w_{ij}=G_{ij}/\mathrm{vol}`, :math:`w_i=d_i/\mathrm{vol}`;
        ``"none"``: :math:`w_{ij}=G_{ij}`, :math:`w_i=1` (spec D8).
    tie_tol : float, optional
        Tolerance for calling eigenvalues tied (spec D12); default
        :math:`4\sqrt{\epsilon}\max(1,\max_k|\omega_k|)`.

    Returns
    -------
    SpectralSolution
        ``embedding`` :math:`F^*` (dense, ``(n_samples, n_components)``; rows of degree-0 nodes
        are 0 for ``"degree"``), ``eigenvalues`` :math:`\omega_1\ge\dots\ge\omega_K`,
        ``scales`` :math:`(\omega_k)_+`, ``rank`` :math:`\min(K,\#\{\omega>0\})`, ``loss``
        :math:`\mathcal L_{\rm SC}^*`, ``tied``.

    Raises
    ------
    ValueError
        If ``graph`` is invalid (D2), has no edge (``"degree"``: :math:`\mathrm{vol}=0`), or
        ``weighting`` is unknown.
    TypeError
        If ``graph`` is not an array or ``n_components`` is not an integer.

    Warns
    -----
    DegenerateSpectrumWarning
        If :math:`\omega_K>0` is tied with :math:`\omega_{K+1}` (the optimal subspace is not unique).
    NotConvergedWarning
        Sparse graph: the Lanczos pairs failed the residual check (recomputed densely).

    See Also
    --------
    simclr_embedding : the exact SimCLR optimum on balanced class graphs.

    Notes
    -----
    spec/spectral.md §2.5, §4.5 [derived], §5 item 12. Unique: :math:`UU^\top` (and the loss)
    when no positive eigenvalue is tied across :math:`K`; free: a rotation :math:`R`
    (:math:`R=I` here, eigenvector signs per D11). Cost: dense, a partial symmetric
    eigendecomposition (SciPy ``subset_by_index``; full ``eigh`` elsewhere), :math:`O(N^2K)` to
    :math:`O(N^3)`; sparse, Lanczos (``eigsh``) at :math:`O(\mathrm{nnz}\,K)` per iteration,
    re-run on the deflated operator until no copy of a repeated eigenvalue was missed (with
    ``weighting="degree"`` the eigenvalue-1 vectors of each connected component are taken in
    closed form first), relative tolerance ``1e-10`` with a residual check (``NotConvergedWarning``, dense
    recomputation). Zero-diagonal clique unions (augmentation / label graphs) with ``K`` below the
    number of cliques: the top eigenvectors are the clique indicators (spec §3), no eigensolver.

    References
    ----------
    J. Z. HaoChen, C. Wei, A. Gaidon, T. Ma, *Provable Guarantees for Self-Supervised Deep
    Learning with Spectral Contrastive Loss*, NeurIPS 2021, arXiv:2106.04156.
    R. Balestriero, Y. LeCun, arXiv:2205.11508.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> from ssltheory.spectral import spectral_contrastive_embedding
    >>> sol = spectral_contrastive_embedding(augmentation_graph(3, 2), n_components=3)
    >>> print(np.round(sol.eigenvalues, 6), sol.rank, round(sol.loss, 6))
    [1. 1. 1.] 3 -3.0
    """
    xp = _backend.get_namespace(graph)
    graph = _validation.check_graph(graph, xp=xp, diagonal="keep")
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    if weighting not in _WEIGHTINGS:
        raise ValueError(
            f"weighting must be one of {', '.join(map(repr, _WEIGHTINGS))}, received {weighting!r}"
        )
    n_nodes = graph.shape[0]
    degrees = _degrees(graph, xp=xp)
    vol = float(xp.sum(degrees))
    if weighting == "degree" and vol <= 0:
        raise ValueError("graph must have at least one edge for weighting='degree' (vol = 0)")
    n_pairs = min(k + 1, n_nodes)
    pairs = _structured_pairs(graph, n_pairs, weighting, xp=xp)
    if pairs is not None:  # augmentation / label graph, K below the number of cliques: no eigensolver
        (w, e), inv = pairs, _inv_sqrt_degree(degrees, xp=xp)
    else:
        op, inv = _operator(graph, weighting, xp=xp)
        perron = None
        if weighting == "degree":
            perron = xp.where(inv > 0, 1.0 / xp.where(inv > 0, inv, xp.ones_like(inv)), xp.zeros_like(inv))
        w, e = _top_pairs(op, n_pairs, xp=xp, perron=perron)
    kept = min(k, n_nodes)
    tied = _linalg.warn_if_tied(
        w,
        kept,
        xp=xp,
        tie_tol=tie_tol,
        kept_weight_positive=bool(float(w[kept - 1]) > 0),
        what="adjacency eigenvalue",
    )
    w, e = w[:kept], _linalg.sign_normalize(e[:, :kept], xp=xp)
    scales = xp.clip(w, min=0.0)
    u = e * xp.sqrt(scales)
    if weighting == "degree":
        u = math.sqrt(vol) * (inv[:, None] * u)
    dev = _backend.device(u)
    if k > kept:
        u = xp.concat([u, xp.zeros((n_nodes, k - kept), dtype=u.dtype, device=dev)], axis=1)
        pad = xp.zeros((k - kept,), dtype=w.dtype, device=dev)
        w, scales = xp.concat([w, pad]), xp.concat([scales, pad])
    tol = _linalg.tie_tolerance(w, xp=xp, tie_tol=tie_tol)
    rank = int(xp.sum(xp.astype(w > tol, xp.int32)))
    loss = -float(xp.sum(scales * scales))
    return SpectralSolution(embedding=u, eigenvalues=w, scales=scales, rank=rank, loss=loss, tied=tied)

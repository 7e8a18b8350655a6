r"""VICReg with a linear encoder ``Z = X W``: closed-form optimal weights (spec/spectral.md §4.3)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation
from ssltheory.spectral._results import LinearSolution
from ssltheory.spectral._vicreg import (
    _check_ddof,
    _check_penalty,
    _check_weights,
    _dense_laplacian,
    _optimal_scales,
    _pad_columns,
    _pad_eigenvalues,
    _Penalty,
)

__all__ = ["vicreg_linear_weights"]


def vicreg_linear_weights(
    x: Any,
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
    rtol: float | None = None,
    tie_tol: float | None = None,
) -> LinearSolution:
    r"""Closed-form optimal linear VICReg weights: locality preserving projections, centred.

    .. math::

        \min_{W\in\mathbb R^{D\times K}}\ \alpha\sum_kv(C_{kk})+\beta\sum_{k\ne l}C_{kl}^2
        +2\gamma'\mathrm{Tr}(W^\top S_LW),\qquad C=W^\top\Sigma_XW,

    :math:`\Sigma_X=X^\top HX/M`, :math:`S_L=X^\top LX/M`, :math:`\gamma'=\gamma M/N`. With the
    generalised eigenpairs :math:`X^\top LXw_k=\mu_kX^\top HXw_k` (:math:`\mu_1\le\mu_2\le\dots`,
    :math:`w_k^\top\Sigma_Xw_k=1`):

    .. math::

        W^*=[w_1\dots w_K]\,\mathrm{diag}(\sqrt{c_k})\,R,\qquad
        c_k=(1-\gamma'\mu_k/\alpha)_+\ \ (\beta\ge\alpha),

    and for :math:`\alpha>\beta`, or the hinge penalty, the spectrum and rotation of
    :func:`vicreg_embedding` with :math:`\mu_k` in place of :math:`\lambda_k` (the reduction to
    :math:`C=W^\top\Sigma_XW` is the same: :math:`\Sigma_X^{1/2}W` is a free :math:`K`-frame
    on the row space of :math:`HX`).

    Parameters
    ----------
    x : array, shape (n_samples, n_features)
        Data :math:`X`, finite; integer input is promoted to float64.
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Relation graph :math:`G` (symmetric, non-negative, finite; diagonal ignored), same array
        library as ``x`` (SciPy sparse goes with NumPy, ``cupyx`` sparse with CuPy).
    n_components : int
        :math:`K\ge1`; beyond the numerical rank :math:`r` of :math:`HX`, :math:`c_k=0`: zero
        columns adding :math:`\alpha` each for :math:`\beta\ge\alpha`; for :math:`\alpha>\beta`
        the equal-diagonal rotation mixes them with the others (less than :math:`\alpha` each).
    variance_weight, covariance_weight, invariance_weight : float, default 1.0
        :math:`\alpha>0`, :math:`\beta>0`, :math:`\gamma\ge0` (Bardes et al. :math:`\mu,\nu,\lambda`).
    variance_penalty : {"square", "squared_hinge", "hinge"}, default "square"
        As :func:`vicreg_embedding` (``"hinge"``: the paper's penalty on the standard deviation).
    ddof : int, default 1
        :math:`M=N-\mathrm{ddof}`.
    variance_floor, variance_eps : float, default 1e-6, 0.0
        ``"hinge"`` only, as :func:`vicreg_embedding`.
    rtol : float, optional
        Eigenvalues of :math:`\Sigma_X` at most ``rtol·max`` are treated as zero; default
        :math:`N\epsilon`.
    tie_tol : float, optional
        Tie tolerance on :math:`\mu` (spec D12).

    Returns
    -------
    LinearSolution
        ``weights`` (D, K), minimum norm (no bias: the loss is translation invariant);
        ``eigenvalues`` :math:`\mu_k` (``inf`` beyond :math:`r`); ``scales`` :math:`c_k`;
        ``rank`` :math:`\#\{c_k>0\}`; ``loss``; ``tied``.

    Raises
    ------
    TypeError
        Arrays from different libraries, non-real dtypes, wrongly typed parameters.
    ValueError
        ``x`` not 2-D or non-finite; invalid ``graph`` or shape mismatch; unknown penalty or
        invalid ``variance_floor``/``variance_eps`` (as :func:`vicreg_embedding`); weights out of
        range; ``ddof >= n_samples``; ``rtol`` not in ``[0, 1)``.

    Warns
    -----
    DegenerateSpectrumWarning
        :math:`\mu_k=\mu_{k+1}` within ``tie_tol`` at the last direction with :math:`c_k>0`.
    NotConvergedWarning
        Hinge with :math:`\alpha<8\beta`: not certified globally optimal.

    See Also
    --------
    vicreg_embedding : the non-parametric optimum (reached when :math:`\mathrm{rank}(HX)=N-1`).
    sklearn.discriminant_analysis.LinearDiscriminantAnalysis : same subspace on a balanced label
        graph, with :math:`\mu=n(1-\rho)`.
    vicreg_linear_weights_from_statistics : the same solve from :func:`graph_statistics` (one
        streamed pass, Dask arrays, views given as labels).

    Notes
    -----
    spec/spectral.md §4.3. Recipe without a generalised solver: ``eigh`` of :math:`\Sigma_X`,
    keep eigenvalues above ``rtol·max``, :math:`T=V_s\Lambda_s^{-1/2}`, ``eigh`` of
    :math:`T^\top S_LT` ascending gives :math:`(\mu_k,q_k)`, :math:`w_k=Tq_k`. Unique: loss,
    :math:`\mu`, :math:`c` and :math:`\mathrm{span}(XW^*)` (no ties); free: :math:`R` (as for
    :func:`vicreg_embedding`) and any :math:`\bar V_xA` (null space of :math:`HX`, which only
    translates :math:`Z`); the returned :math:`W^*` lies in the row space of :math:`HX` (minimum
    norm). *Over-parameterised* (:math:`\mathrm{rank}(HX)=N-1`, e.g. :math:`D\ge N` generic):
    :math:`HXT=\sqrt M\,U_x` spans :math:`\mathbf 1^\perp`, so :math:`\mu_k=\lambda_k(L)` and
    :math:`XW^*` equals the non-parametric optimum of :func:`vicreg_embedding` up to a
    translation: linearity no longer restricts :math:`Z^*`, and :math:`W^*=(HX)^+Z^*_c` is the
    minimum-norm member of :math:`W^*+\bar V_xA`. Cost :math:`O(ND^2+D^3)` plus
    :math:`O(\mathrm{nnz}\,D)` for :math:`X^\top LX`. A sparse ``graph`` that is a union of
    cliques of one edge weight (augmentation and label graphs) with :math:`N\ge10^4` is detected
    (:math:`O(\mathrm{nnz})`) and its statistics streamed by :func:`graph_statistics` from the
    clique labels (no :math:`LX` product; 11.5 instead of 26.6 passes of :math:`X` at
    :math:`N=2\cdot10^6`, :math:`D=64`).

    References
    ----------
    R. Balestriero, Y. LeCun, arXiv:2205.11508 (VICReg ↔ LPP / kernel LPP).

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import label_graph
    >>> x = np.array([[0.0, 1.0], [0.2, -1.0], [2.0, 0.5], [2.2, -0.5]])
    >>> sol = vicreg_linear_weights(x, label_graph(np.array([0, 0, 1, 1])), n_components=1,
    ...                             invariance_weight=0.1)
    >>> sol.weights.shape, sol.rank  # the class direction (feature 0) is the invariant one
    ((2, 1), 1)
    >>> bool(abs(sol.weights[0, 0]) > abs(sol.weights[1, 0]))
    True
    """
    xp = _backend.get_namespace(x, graph)
    x = _validation.check_array(x, xp=xp, name="x", ndim=2, min_rows=2)
    g = _validation.check_graph(graph, xp=xp, diagonal="ignore")
    n = x.shape[0]
    if g.shape[0] != n:
        raise ValueError(
            f"graph must be (n_samples, n_samples) = ({n}, {n}) to match x, received {tuple(g.shape)}"
        )
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    alpha, beta, gamma = _check_weights(variance_weight, covariance_weight, invariance_weight)
    penalty = _check_penalty(variance_penalty, variance_floor, variance_eps)
    ddof = _check_ddof(ddof, n)
    if rtol is None:
        rtol = n * float(xp.finfo(x.dtype).eps)
    rtol = _validation.check_positive(rtol, name="rtol", strict=False)
    if rtol >= 1.0:
        raise ValueError(f"rtol must be in [0, 1), received {rtol}")
    if not _backend.is_sparse(g) and g.dtype != x.dtype:
        g = xp.astype(g, x.dtype)
    m = n - ddof
    gamma_p = gamma * m / n
    streamed = _clique_union_statistics(x, g, xp=xp)
    if streamed is not None:  # augmentation / label graph: the streamed statistics, no L X product
        stats, weight = streamed
        sigma, s_l = stats.scatter / m, weight * stats.laplacian / m
    else:
        xc = x - xp.mean(x, axis=0, keepdims=True)
        sigma = xc.mT @ xc / m
        if _backend.is_sparse(g):
            from ssltheory.graphs import graph_laplacian

            lx = xp.asarray(graph_laplacian(g) @ xc)
            lx = xp.astype(lx, x.dtype) if lx.dtype != x.dtype else lx
        else:
            lx = _dense_laplacian(g, xp=xp) @ xc  # L 1 = 0: Xᵀ L X = X_cᵀ L X_c
        s_l = xc.mT @ lx / m
    return _vicreg_linear_solve(
        sigma,
        s_l,
        k,
        alpha=alpha,
        beta=beta,
        gamma_p=gamma_p,
        penalty=penalty,
        rtol=rtol,
        tie_tol=tie_tol,
        xp=xp,
        stacklevel=4,
    )


# From this many rows a sparse clique-union graph (augmentation / label graph) is handed to the
# streamed statistics: detection costs ~2 passes of X, the statistics ~5-7 at D = 64, against ~27
# for L X and the two Grams (N = 2·10⁶); small problems keep the direct, simpler route.
_STREAMED_MIN_N = 10_000


def _clique_union_statistics(x: Any, g: Any, *, xp: ModuleType) -> tuple[Any, float] | None:
    """``(graph_statistics(x, groups), w)`` when sparse ``g`` is a union of cliques of one weight ``w``.

    ``XᵀL_GX = w·XᵀL_{groups}X`` for cliques of common weight ``w``; anything else returns None.
    """
    if not _backend.is_sparse(g) or x.shape[0] < _STREAMED_MIN_N:
        return None
    from ssltheory.spectral import _structured
    from ssltheory.spectral._statistics import graph_statistics

    structure = _structured.detect_clique_union(g, xp=xp)
    if structure is None:
        return None
    weights = structure.weights[structure.counts > 1]
    if weights.shape[0] == 0:
        return None
    w = float(weights[0])
    if not w > 0 or not bool(xp.all(weights == w)):
        return None
    return graph_statistics(x, groups=structure.component), w


def _vicreg_linear_solve(
    sigma: Any,
    s_l: Any,
    k: int,
    *,
    alpha: float,
    beta: float,
    gamma_p: float,
    penalty: _Penalty,
    rtol: float,
    tie_tol: float | None,
    xp: Any,
    stacklevel: int = 4,
) -> LinearSolution:
    r"""Solve step of :func:`vicreg_linear_weights`.

    Takes :math:`\Sigma_X=X^\top HX/M` and :math:`S_L=X^\top LX/M`;
    shared with ``vicreg_linear_weights_from_statistics`` (streamed sufficient statistics).
    """
    d = sigma.shape[0]
    s, v = _linalg.eigh_ascending(sigma, xp=xp)
    smax = float(s[-1]) if d else 0.0
    keep = s > rtol * max(smax, 0.0)
    r = int(xp.sum(xp.astype(keep, xp.int32)))
    v_s, s_s = v[:, d - r :], s[d - r :]  # eigenvalues ascending: the kept ones are the last r
    t = v_s / xp.sqrt(s_s)[None, :]
    mu, q = _linalg.eigh_ascending(t.mT @ s_l @ t, xp=xp)
    k_eff = min(k, r)
    mu_kept = mu[:k_eff]
    c, rot, loss, cut = _optimal_scales(
        mu_kept, k, alpha=alpha, beta=beta, gamma_p=gamma_p, penalty=penalty, xp=xp, stacklevel=stacklevel + 1
    )
    tied = False
    if cut > 0:
        tied = _linalg.warn_if_tied(mu, cut, xp=xp, tie_tol=tie_tol, stacklevel=stacklevel)
    w = _linalg.sign_normalize(t @ q[:, :k_eff], xp=xp)
    weights = _pad_columns(w * xp.sqrt(c[:k_eff])[None, :], k, xp=xp)
    if rot is not None:
        weights = weights @ rot
    return LinearSolution(
        weights=weights,
        eigenvalues=_pad_eigenvalues(mu_kept, k, xp=xp),
        scales=c,
        rank=int(xp.sum(xp.astype(c > 0, xp.int32))),
        loss=loss,
        tied=tied,
    )

"""Public closed forms of kernel-regime SSL: ``kernel_ssl_solve``, ``linear_ssl_solve``,
``nystrom_features``, ``induced_kernel`` (spec/kernel.md §3)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation
from ssltheory.kernel import _core
from ssltheory.kernel._results import FeatureSolution, KernelSolution
from ssltheory.spectral._statistics import GraphStatistics, _check_stats

__all__ = [
    "induced_kernel",
    "kernel_ssl_solve",
    "linear_ssl_solve",
    "linear_ssl_solve_from_statistics",
    "nystrom_features",
]


def _check_gram(gram: Any, *, xp: ModuleType, name: str = "gram") -> Any:
    """Square, finite, symmetric (to ``4√eps·max|K|``) floating matrix, symmetrised (K13)."""
    gram = _validation.check_array(gram, xp=xp, name=name, ndim=2)
    _validation.check_square(gram, name=name)
    scale = float(xp.max(xp.abs(gram)))
    asym = float(xp.max(xp.abs(gram - gram.mT)))
    tol = _validation.default_tol(gram.dtype, xp=xp) * max(scale, float(xp.finfo(gram.dtype).smallest_normal))
    if asym > tol:
        raise ValueError(
            f"{name} must be a symmetric kernel matrix: max |K - Kᵀ| = {asym:.3g} exceeds the "
            f"tolerance {tol:.3g}"
        )
    return _linalg.symmetrize(gram, xp=xp)


def _check_graph_for(graph: Any, n: int, *, xp: ModuleType, what: str) -> Any:
    graph = _validation.check_graph(graph, xp=xp, name="graph")
    if graph.shape[0] != n:
        raise ValueError(
            f"graph must be ({n}, {n}) to match the {n} rows of {what}, received shape {tuple(graph.shape)}"
        )
    return graph


def _orient(y: Any, vr: Any, *, xp: ModuleType) -> tuple[Any, Any]:
    """Sign convention K11: each row of ``Z = Y V_rᵀ`` has its largest-magnitude entry positive."""
    zt = vr @ y.mT
    zs = _linalg.sign_normalize(zt, xp=xp)
    flip = xp.sum(zs * zt, axis=0) < 0
    signs = xp.where(flip, -xp.ones_like(flip, dtype=zt.dtype), xp.ones_like(flip, dtype=zt.dtype))
    return y * signs[:, None], zs


def _eig_gram(gram: Any, *, xp: ModuleType, rtol: float, jitter: float, psd: bool) -> tuple[Any, Any, float]:
    """Kept eigenpairs ``(V_r, λ_r)`` of ``gram + jitter·I`` (descending not needed) and cond."""
    n = gram.shape[0]
    if jitter:
        gram = gram + jitter * xp.eye(n, dtype=gram.dtype, device=_backend.device(gram))
    w, v = xp.linalg.eigh(gram)
    wmax = float(w[-1])
    if not wmax > 0:
        raise ValueError(f"gram must have a positive eigenvalue, its largest is {wmax:.3g}")
    wmin = float(w[0])
    psd_tol = _validation.default_tol(gram.dtype, xp=xp) * wmax
    if psd and wmin < -psd_tol:
        raise ValueError(
            f"gram is not positive semi-definite: its smallest eigenvalue is {wmin:.3g}, below "
            f"-{psd_tol:.3g} (= -4√eps·λ_max); a kernel matrix must be PSD"
        )
    count = int(xp.sum(xp.astype(w > rtol * wmax, xp.int32)))
    lam = w[n - count :]
    return v[:, n - count :], lam, wmax / float(lam[0])


def kernel_ssl_solve(
    gram: Any,
    graph: Any,
    /,
    *,
    n_components: int,
    loss: str = "wmse",
    normalization: str = "output",
    weighting: str = "degree",
    center: bool = False,
    invariance_weight: float = 1.0,
    variance_weight: float = 1.0,
    ridge: float = 0.0,
    output_penalty: float = 0.0,
    jitter: float = 0.0,
    extension_smoothing: float = 0.0,
    rtol: float = 1e-10,
    tie_break: str | None = "kernel",
    tie_tol: float | None = None,
) -> KernelSolution:
    r"""Minimum-norm optimal map of a joint-embedding SSL loss in the kernel regime.

    .. math::

        \min_{W:\mathcal H\to\mathbb R^d}\ \mathcal L(Z) + \rho\lVert W\rVert_{HS}^2,
        \qquad Z = W\Phi = CK,\quad f(x) = Ck_x,\quad
        k^*(x, x') = k_x^\top K^+ M K^+ k_{x'},\ M = Z^\top Z,

    with :math:`\mathcal L` one of (spec §2; :math:`\gamma,\alpha` = ``invariance_weight``,
    ``variance_weight``; :math:`\rho_o` = ``output_penalty``):

    - ``"wmse"`` (VIC-hard): :math:`\mathrm{Tr}(ZLZ^\top)` s.t. :math:`\tfrac1N ZZ^\top = I_d`
      (``center=True``: :math:`\tfrac1N ZHZ^\top = I_d`; ``normalization="feature"``:
      :math:`WW^* = I_d`);
    - ``"vicreg"`` (VIC-soft): :math:`\alpha\lVert\tfrac1N ZZ^\top - I\rVert_F^2 + \tfrac{2\gamma}N
      \mathrm{Tr}(ZLZ^\top)`;
    - ``"spectral_contrastive"``: :math:`\lVert Z^\top Z - A\rVert_F^2 - \lVert A\rVert_F^2 +
      \rho_o\lVert Z\rVert_F^2` (``weighting="none"``, SC-u) or its degree-weighted form (SC-w).

    Parameters
    ----------
    gram : array, shape (n_samples, n_samples)
        Kernel matrix :math:`K` of all training views (symmetric PSD; any array-API backend).
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Relation graph :math:`A` (symmetric, non-negative), e.g. ``label_graph(groups)``.
    n_components : int
        Output dimension :math:`d` (at most the numerical rank :math:`r` of :math:`K`).
    loss : {"wmse", "vicreg", "spectral_contrastive"}, default "wmse"
    normalization : {"output", "feature"}, default "output"
        Whitening of :math:`\tfrac1N ZZ^\top` or of :math:`WW^*` (``"wmse"`` only; spec K5).
    weighting : {"degree", "none"}, default "degree"
        Spectral contrastive weighting (SC-w or SC-u).
    center : bool, default False
        True covariance for ``"wmse"``/``"vicreg"``; needs invertible :math:`K` (spec K7).
    invariance_weight, variance_weight : float, default 1.0
        :math:`\gamma, \alpha` of ``"vicreg"``.
    ridge : float, default 0.0
        RKHS ridge :math:`\rho \ge 0`; 0 means the minimum-norm limit :math:`\rho\to0^+`.
    output_penalty : float, default 0.0
        :math:`\rho_o \ge 0` (spectral contrastive only).
    jitter : float, default 0.0
        Added to the diagonal of :math:`K` before anything else.
    extension_smoothing : float, default 0.0
        :math:`\varepsilon_s`: ``coef`` becomes :math:`Z(K+\varepsilon_s I)^{-1}` (spec §3.8).
    rtol : float, default 1e-10
        Kernel eigenvalues :math:`\lambda \le \mathrm{rtol}\,\lambda_{\max}` are dropped.
    tie_break : {"kernel", None}, default "kernel"
        Resolve a tied graph spectrum by the :math:`\rho\to0^+` selection (spec §3.6).
    tie_tol : float, optional
        Tie tolerance (default :math:`4\sqrt\epsilon\max(1, |\lambda|)` over the kept values).

    Returns
    -------
    KernelSolution
        ``coef`` :math:`C` (d, N), ``embedding`` :math:`Z^\top`, ``train_gram`` :math:`M`,
        ``eigenvalues``, ``rank``, ``loss``, ``graph_tie``, ``condition``. Unique: :math:`M`,
        :math:`C^\top C` and the induced kernel (unless a warning says otherwise); :math:`Z` only
        up to an orthogonal :math:`O(d)`.

    Raises
    ------
    ValueError
        Non-square, non-symmetric, non-finite or non-PSD (beyond :math:`4\sqrt\epsilon\lambda_{\max}`)
        ``gram``; ``graph`` of another size, asymmetric or negative; ``n_components`` above the
        rank; ``center=True`` with singular :math:`K`; isolated views with SC-w; bad options.
    TypeError
        Arrays of different libraries, non-array inputs.

    Warns
    -----
    DegenerateSpectrumWarning
        When the optimum is not unique even after the kernel tie-break (or ``tie_break=None``).

    See Also
    --------
    induced_kernel, linear_ssl_solve, KernelSSL

    Notes
    -----
    spec/kernel.md §3.0–3.6, §3.10 recipe: ``eigh(K)`` (cost :math:`O(N^3)`), then one symmetric
    :math:`r\times r` eigenproblem in the graph matrices :math:`L_r = V_r^\top LV_r`,
    :math:`A_r = V_r^\top AV_r`. :math:`K^{-1}` is never formed. proofs_checks:
    ``test_kernel_representer.py``, ``test_kernel_vicreg_optimality.py``.

    References
    ----------
    Kiani, Balestriero, Chen, Lloyd, LeCun, *Joint Embedding Self-Supervised Learning in the
    Kernel Regime*, arXiv:2209.14884.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import label_graph
    >>> from ssltheory.kernel import kernel_ssl_solve, rbf_kernel
    >>> x = np.array([[0.0], [0.1], [3.0], [3.1]])
    >>> sol = kernel_ssl_solve(rbf_kernel(x, bandwidth=1.0), label_graph(np.array([0, 0, 1, 1])),
    ...                        n_components=2, loss="spectral_contrastive", weighting="none")
    >>> print(np.round(sol.train_gram, 6) + 0.0)  # (m-1)/m · 1[same group]; + 0.0 drops signed zeros
    [[0.5 0.5 0.  0. ]
     [0.5 0.5 0.  0. ]
     [0.  0.  0.5 0.5]
     [0.  0.  0.5 0.5]]
    """
    xp = _backend.get_namespace(gram, graph)
    opts = _core.check_options(
        n_components=n_components,
        loss=loss,
        normalization=normalization,
        weighting=weighting,
        center=center,
        invariance_weight=invariance_weight,
        variance_weight=variance_weight,
        ridge=ridge,
        output_penalty=output_penalty,
        jitter=jitter,
        extension_smoothing=extension_smoothing,
        rtol=rtol,
        tie_break=tie_break,
        tie_tol=tie_tol,
    )
    gram = _check_gram(gram, xp=xp)
    graph = _check_graph_for(graph, gram.shape[0], xp=xp, what="gram")
    if not _backend.is_sparse(graph):
        graph = xp.astype(graph, gram.dtype)
    vr, lam, cond = _eig_gram(gram, xp=xp, rtol=opts.rtol, jitter=opts.jitter, psd=True)
    core = _core.solve_core(vr, lam, graph, opts, xp=xp)
    y, zt = _orient(core.y, vr, xp=xp)
    coef = (y / (lam + opts.extension_smoothing)[None, :]) @ vr.mT
    return KernelSolution(
        coef=coef,
        embedding=zt,
        train_gram=zt @ zt.mT,
        eigenvalues=core.eigenvalues,
        rank=int(lam.shape[0]),
        loss=core.loss,
        graph_tie=core.graph_tie,
        condition=cond,
    )


# tall-skinny inputs at or above this many rows (and 8x more rows than columns) use two Gram passes
_TALL_SVD_MIN_ROWS = 20_000


def _thin_svd(a: Any, *, xp: ModuleType) -> tuple[Any, Any, Any]:
    """Thin SVD ``a = U diag(s) Vt`` (descending ``s``); tall inputs go through :func:`_gram_svd`."""
    n, p = a.shape
    if n < _TALL_SVD_MIN_ROWS or n < 8 * p:
        return xp.linalg.svd(a, full_matrices=False)
    return _gram_svd(a, xp=xp)


def _gram_svd(a: Any, *, xp: ModuleType) -> tuple[Any, Any, Any]:
    """Thin SVD of a tall ``a`` (n, p) from two p×p Gram eigenproblems (Cholesky-QR2 style).

    Pass 1: :math:`A^\\top A = R\\,\\mathrm{diag}(w)R^\\top`, keep :math:`w_k > p\\,\\epsilon\\,w_1`,
    :math:`U_1 = AR_kw_k^{-1/2}`. Pass 2 re-orthonormalises :math:`U_1` the same way and a k×k SVD
    recovers the singular triplets, so :math:`U^\\top U = I` to rounding. Singular values below
    :math:`\\sqrt{p\\epsilon}\\,s_1` are dropped (the returned ``s`` may be shorter than ``p``):
    callers must not ask for a relative cut on :math:`s^2` below :math:`p\\epsilon`. Cost four
    :math:`O(np^2)` matrix products, each one BLAS-3 pass, and :math:`O(np)` memory (measured on 2
    shared cores: LAPACK's thin SVD of a 5·10⁴×200 matrix 8.6 s, one Gram product 1.5 s).
    """
    p = a.shape[1]
    eps = float(xp.finfo(a.dtype).eps)
    w, r = _linalg.eigh_ascending(_linalg.symmetrize(a.mT @ a, xp=xp), xp=xp)
    w, r = xp.flip(w, axis=0), xp.flip(r, axis=1)
    top = float(w[0])
    if not top > 0:
        return xp.zeros((a.shape[0], 1), dtype=a.dtype, device=_backend.device(a)), w[:1] * 0.0, r.mT[:1, :]
    k = int(xp.sum(xp.astype(w > p * eps * top, xp.int32)))
    s1 = xp.sqrt(w[:k])
    u1 = a @ (r[:, :k] / s1[None, :])
    d, q = _linalg.eigh_ascending(_linalg.symmetrize(u1.mT @ u1, xp=xp), xp=xp)
    c = xp.sqrt(d)[:, None] * (q.mT * s1[None, :])  # U1 diag(s1) = (U1 Q D^-1/2) (D^1/2 Qᵀ diag(s1))
    pu, s, vt = xp.linalg.svd(c, full_matrices=False)
    u = u1 @ ((q / xp.sqrt(d)[None, :]) @ pu)
    return u, s, vt @ r[:, :k].mT


def linear_ssl_solve(
    features: Any,
    graph: Any,
    /,
    *,
    n_components: int,
    loss: str = "wmse",
    normalization: str = "output",
    weighting: str = "degree",
    center: bool = False,
    invariance_weight: float = 1.0,
    variance_weight: float = 1.0,
    ridge: float = 0.0,
    output_penalty: float = 0.0,
    extension_smoothing: float = 0.0,
    rtol: float = 1e-10,
    tie_break: str | None = "kernel",
    tie_tol: float | None = None,
) -> FeatureSolution:
    r"""The kernel-regime closed form for the linear kernel of explicit features (Nyström scale-out).

    .. math::

        K = \Phi\Phi^\top = U_r S_r^2 U_r^\top\ \text{(thin SVD)},\qquad
        f(x) = W^\top\phi(x),\quad W = R_r S_r^{-1} Y^\top ,

    where :math:`Y` solves the same :math:`r\times r` problem as :func:`kernel_ssl_solve` with
    :math:`V_r = U_r`, :math:`\Lambda_r = S_r^2` and :math:`\Phi = U_r S_r R_r^\top`.

    Parameters
    ----------
    features : array, shape (n_samples, n_features)
        :math:`\Phi`, e.g. :func:`nystrom_features` of the training views.
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Relation graph; a SciPy / ``cupyx`` sparse matrix keeps large problems in memory.
    n_components, loss, normalization, weighting, center, invariance_weight
    variance_weight, ridge, output_penalty, extension_smoothing, rtol, tie_break, tie_tol
        As in :func:`kernel_ssl_solve` (``rtol`` applies to :math:`s^2`).

    Returns
    -------
    FeatureSolution
        ``weights`` (n_features, d), ``embedding``, ``eigenvalues``, ``rank``, ``loss``,
        ``graph_tie``, ``condition``.

    Raises
    ------
    ValueError
        Bad shapes, non-finite features, a graph of another size, ``n_components`` above the rank
        of the features, bad options.

    Warns
    -----
    DegenerateSpectrumWarning
        As in :func:`kernel_ssl_solve`.

    See Also
    --------
    nystrom_features, kernel_ssl_solve

    Notes
    -----
    spec/kernel.md §3.9 (linear kernel, Nyström). Identical to ``kernel_ssl_solve(Φ Φᵀ, graph)``
    up to rounding. Cost :math:`O(Np^2 + \mathrm{nnz}(A)\,p)` time and :math:`O(Np)` memory
    (the :math:`N\times N` Gram matrix is never formed). For :math:`N\ge 20000` and
    :math:`N\ge 8p` the thin SVD of :math:`\Phi` is computed from two :math:`p\times p` Gram
    eigenproblems (BLAS-3 passes; singular values below :math:`\sqrt{p\epsilon}\,s_1` are then
    dropped whatever ``rtol``).

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import label_graph
    >>> from ssltheory.kernel import linear_ssl_solve
    >>> phi = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> sol = linear_ssl_solve(phi, label_graph(np.array([0, 0, 1, 1])), n_components=1)
    >>> sol.weights.shape, sol.rank
    ((2, 1), 2)
    """
    xp = _backend.get_namespace(features, graph)
    opts = _core.check_options(
        n_components=n_components,
        loss=loss,
        normalization=normalization,
        weighting=weighting,
        center=center,
        invariance_weight=invariance_weight,
        variance_weight=variance_weight,
        ridge=ridge,
        output_penalty=output_penalty,
        extension_smoothing=extension_smoothing,
        rtol=rtol,
        tie_break=tie_break,
        tie_tol=tie_tol,
    )
    features = _validation.check_array(features, xp=xp, name="features", ndim=2)
    graph = _check_graph_for(graph, features.shape[0], xp=xp, what="features")
    if not _backend.is_sparse(graph):
        graph = xp.astype(graph, features.dtype)
    u, s, vt = _thin_svd(features, xp=xp)
    lam_all = s * s
    if lam_all.shape[0] == 0 or not float(lam_all[0]) > 0:
        raise ValueError("features must not be all zero")
    count = int(xp.sum(xp.astype(lam_all > opts.rtol * float(lam_all[0]), xp.int32)))
    vr, sr, rr = u[:, :count], s[:count], vt[:count, :].mT
    lam = sr * sr
    core = _core.solve_core(vr, lam, graph, opts, xp=xp)
    y, zt = _orient(core.y, vr, xp=xp)
    weights = rr @ ((sr / (lam + opts.extension_smoothing))[:, None] * y.mT)
    return FeatureSolution(
        weights=weights,
        embedding=zt,
        eigenvalues=core.eigenvalues,
        rank=count,
        loss=core.loss,
        graph_tie=core.graph_tie,
        condition=float(lam[0]) / float(lam[-1]),
    )


# ----------------------------------------------------------------------------- from statistics
def linear_ssl_solve_from_statistics(
    stats: GraphStatistics,
    /,
    *,
    n_components: int,
    loss: str = "wmse",
    normalization: str = "output",
    weighting: str = "degree",
    center: bool = False,
    invariance_weight: float = 1.0,
    variance_weight: float = 1.0,
    ridge: float = 0.0,
    output_penalty: float = 0.0,
    extension_smoothing: float = 0.0,
    rtol: float = 1e-10,
    tie_break: str | None = "kernel",
    tie_tol: float | None = None,
) -> FeatureSolution:
    r""":func:`linear_ssl_solve` from :class:`~ssltheory.spectral.GraphStatistics` (no pass over the rows).

    .. math::

        \Phi^\top\Phi = R\,S^2R^\top,\quad V_r = \Phi R_rS_r^{-1},\qquad
        V_r^\top MV_r = S_r^{-1}R_r^\top(\Phi^\top M\Phi)R_rS_r^{-1}\ (M = L, A),\quad
        V_r^\top\mathbf 1 = S_r^{-1}R_r^\top(N\bar\phi),

    so :math:`L_r`, :math:`A_r` and :math:`V_r^\top\mathbf 1` of the :math:`r\times r` problem
    of :func:`kernel_ssl_solve` (with :math:`\Lambda_r = S_r^2`) come from the :math:`p\times p`
    statistics :math:`\Phi^\top\Phi`, :math:`\Phi^\top L\Phi`, :math:`\Phi^\top A\Phi`,
    :math:`\bar\phi` and :math:`N`; then :math:`W = R_rS_r(\Lambda_r+\varepsilon_sI)^{-1}Y^\top`
    as in :func:`linear_ssl_solve`. With :func:`~ssltheory.spectral.graph_statistics` on a Dask
    array of features this is the kernel closed form at any :math:`N` (one pass over the rows).

    Parameters
    ----------
    stats : GraphStatistics
        ``graph_statistics(features, groups=...)`` or ``graph_statistics(features, graph=...)``
        of the features :math:`\Phi` (n_samples, n_features); any backend (Dask statistics are
        already materialised in the chunk library).
    n_components, loss, normalization, invariance_weight, variance_weight, ridge, output_penalty
    extension_smoothing, tie_break, tie_tol
        As in :func:`linear_ssl_solve`.
    weighting : {"degree", "none"}, default "degree"
        Spectral contrastive weighting: only ``"none"`` (SC-u) is supported (see Raises).
    center : bool, default False
        As in :func:`linear_ssl_solve`; needs :math:`\mathrm{rank}(\Phi) = N` (so :math:`N\le p`).
    rtol : float, default 1e-10
        Eigenvalues :math:`s^2` of :math:`\Phi^\top\Phi` at most
        :math:`\max(\mathrm{rtol}, p\epsilon)\,s_1^2` are dropped (the rank rule of
        :func:`linear_ssl_solve`'s Gram route: below :math:`p\epsilon s_1^2` the eigenvalues of
        :math:`\Phi^\top\Phi` are rounding).

    Returns
    -------
    FeatureSolution
        ``weights`` (n_features, d), ``eigenvalues``, ``rank``, ``loss``, ``graph_tie``,
        ``condition`` as in :func:`linear_ssl_solve`; ``embedding`` is ``None`` (the rows are
        not available: compute ``features @ weights`` chunk by chunk, e.g. with Dask). Each
        column of ``weights`` has its largest-magnitude entry positive; the sign convention of
        :func:`linear_ssl_solve` (on the embedding) needs the rows, so signs may differ from it.

    Raises
    ------
    TypeError
        ``stats`` is not a :class:`~ssltheory.spectral.GraphStatistics`; wrongly typed options.
    ValueError
        Options that need the rows: ``loss="spectral_contrastive"`` with
        ``weighting="degree"`` (SC-w needs each row's degree and the graph volume
        :math:`\mathbf 1^\top A\mathbf 1`), ``center=True`` with :math:`\mathrm{rank}(\Phi) < N`
        (as :func:`linear_ssl_solve`); ``n_components`` above the rank; zero or non-finite
        statistics, inconsistent shapes; bad options.

    Warns
    -----
    DegenerateSpectrumWarning
        As in :func:`kernel_ssl_solve`.

    See Also
    --------
    linear_ssl_solve, nystrom_features, ssltheory.spectral.graph_statistics

    Notes
    -----
    spec/kernel.md §3.9 (linear kernel, Nyström), §3.10; spec/backends.md §4 (Dask). Equal to
    ``linear_ssl_solve(Φ, graph, ...)`` up to rounding in the induced kernel, the eigenvalues and
    the loss (``weights`` up to the sign/rotation freedom of the solution). The statistics hold
    :math:`\Phi^\top A\Phi` with the diagonal of :math:`A` counted, as :func:`linear_ssl_solve`
    does for SC-u. Accuracy: :math:`V_r` is formed from :math:`\Phi^\top\Phi` (one Gram pass, no
    re-orthonormalisation), so directions with small :math:`s_k` carry relative errors
    :math:`O(\epsilon s_1^2/s_k^2)`. Cost :math:`O(p^3)`; the data cost is in
    :func:`~ssltheory.spectral.graph_statistics`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import label_graph
    >>> from ssltheory.kernel import linear_ssl_solve, linear_ssl_solve_from_statistics
    >>> from ssltheory.spectral import graph_statistics
    >>> rng = np.random.default_rng(0)
    >>> phi, groups = rng.standard_normal((40, 5)), np.repeat(np.arange(10), 4)
    >>> stats = graph_statistics(phi, groups=groups)
    >>> sol = linear_ssl_solve_from_statistics(stats, n_components=2, ridge=1e-3)
    >>> ref = linear_ssl_solve(phi, label_graph(groups), n_components=2, ridge=1e-3)
    >>> bool(np.allclose(sol.weights @ sol.weights.T, ref.weights @ ref.weights.T))
    True
    >>> sol.embedding is None, sol.rank
    (True, 5)
    """
    xp = _check_stats(stats)
    n = stats.n_samples
    opts = _core.check_options(
        n_components=n_components,
        loss=loss,
        normalization=normalization,
        weighting=weighting,
        center=center,
        invariance_weight=invariance_weight,
        variance_weight=variance_weight,
        ridge=ridge,
        output_penalty=output_penalty,
        extension_smoothing=extension_smoothing,
        rtol=rtol,
        tie_break=tie_break,
        tie_tol=tie_tol,
    )
    if opts.loss == "spectral_contrastive" and opts.weighting == "degree":
        raise ValueError(
            "loss='spectral_contrastive' with weighting='degree' (SC-w) needs each row's degree and "
            "the graph volume 1ᵀA1, which GraphStatistics does not hold: use weighting='none' "
            "(SC-u), or linear_ssl_solve on the rows"
        )
    moment = _linalg.symmetrize(stats.second_moment, xp=xp)
    p = moment.shape[0]
    w, rot = _linalg.eigh_ascending(moment, xp=xp)
    w, rot = xp.flip(w, axis=0), xp.flip(rot, axis=1)
    top = float(w[0])
    if not top > 0:
        raise ValueError("stats.second_moment must be non-zero: the features must not be all zero")
    floor = max(opts.rtol, p * float(xp.finfo(w.dtype).eps))
    count = int(xp.sum(xp.astype(w > floor * top, xp.int32)))
    lam = w[:count]
    sr = xp.sqrt(lam)
    proj = rot[:, :count] / sr[None, :]  # R_r S_r⁻¹: V_r = Φ R_r S_r⁻¹
    if opts.center and count < n:
        raise ValueError(
            f"center=True needs a numerically invertible kernel matrix ΦΦᵀ (rank n_samples = {n}), "
            f"but the features have numerical rank {count}; use center=False"
        )
    l_r = _linalg.symmetrize(proj.mT @ (stats.laplacian @ proj), xp=xp)
    a_r = _linalg.symmetrize(proj.mT @ (stats.adjacency @ proj), xp=xp)
    u = (n * stats.mean) @ proj  # V_rᵀ1 = S_r⁻¹R_rᵀΦᵀ1
    core = _core.solve_projected(n, lam, l_r, a_r, u, opts, xp=xp)
    weights = rot[:, :count] @ ((sr / (lam + opts.extension_smoothing))[:, None] * core.y.mT)
    return FeatureSolution(
        weights=_linalg.sign_normalize(weights, xp=xp),
        embedding=None,
        eigenvalues=core.eigenvalues,
        rank=count,
        loss=core.loss,
        graph_tie=core.graph_tie,
        condition=float(lam[0]) / float(lam[-1]),
    )


def nystrom_features(k_cross: Any, k_landmarks: Any, /, *, rtol: float = 1e-10) -> Any:
    r"""Nyström features :math:`\Phi_{\mathcal L} = K_{X\mathcal L}K_{\mathcal L\mathcal L}^{+1/2}`.

    .. math::

        \phi(x) = K_{\mathcal L\mathcal L}^{+1/2}\,k_{\mathcal L}(x),\qquad
        \phi(x)^\top\phi(x') = k_{\mathcal L}(x)^\top K_{\mathcal L\mathcal L}^{+}k_{\mathcal L}(x')
        \approx k(x, x') .

    Parameters
    ----------
    k_cross : array, shape (n_samples, n_landmarks)
        Kernel between the points and the landmarks :math:`\mathcal L`.
    k_landmarks : array, shape (n_landmarks, n_landmarks)
        Kernel matrix of the landmarks (symmetric PSD).
    rtol : float, default 1e-10
        Eigenvalues of ``k_landmarks`` at most ``rtol·max`` are dropped from the pseudo-inverse.

    Returns
    -------
    features : array, shape (n_samples, n_landmarks)
        Same backend and device; feed them to :func:`linear_ssl_solve`.

    Raises
    ------
    ValueError
        Mismatched shapes, non-finite or non-symmetric ``k_landmarks``.

    Notes
    -----
    spec/kernel.md §3.9 (Nyström). Exact (:math:`\Phi\Phi^\top = K` on the kept range) when the
    landmarks are all the points. Cost :math:`O(Nl^2 + l^3)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.kernel import nystrom_features, rbf_kernel
    >>> x = np.linspace(0, 1, 5)[:, None]
    >>> phi = nystrom_features(rbf_kernel(x, bandwidth=1.0), rbf_kernel(x, bandwidth=1.0))
    >>> bool(np.abs(phi @ phi.T - rbf_kernel(x, bandwidth=1.0)).max() < 1e-6)
    True
    """
    xp = _backend.get_namespace(k_cross, k_landmarks)
    k_cross = _validation.check_array(k_cross, xp=xp, name="k_cross", ndim=2)
    k_landmarks = _check_gram(k_landmarks, xp=xp, name="k_landmarks")
    if k_cross.shape[1] != k_landmarks.shape[0]:
        raise ValueError(
            f"k_cross must have one column per landmark ({k_landmarks.shape[0]}), received shape "
            f"{tuple(k_cross.shape)}"
        )
    rtol = _validation.check_positive(rtol, name="rtol")
    inv_sqrt = _linalg.psd_inv_sqrt(k_landmarks, xp=xp, rcond=rtol)
    return k_cross @ xp.astype(inv_sqrt, k_cross.dtype)


def induced_kernel(coef: Any, k_cross: Any, k_cross2: Any = None, /) -> Any:
    r"""Induced kernel :math:`k^*(x, x') = f(x)^\top f(x')` of a solved map :math:`f(x) = Ck_x`.

    .. math::

        K^*_{TT'} = K_{XT}^\top C^\top C\,K_{XT'} .

    Parameters
    ----------
    coef : array, shape (n_components, n_samples)
        :math:`C` (``KernelSolution.coef`` or ``KernelSSL.coef_``).
    k_cross : array, shape (n_samples, n_points)
        :math:`K_{XT}`: base kernel between the training views and the points :math:`T`.
    k_cross2 : array, shape (n_samples, n_points2), optional
        :math:`K_{XT'}`; default ``k_cross``.

    Returns
    -------
    kernel : array, shape (n_points, n_points2)
        PSD of rank at most ``n_components`` when ``k_cross2`` is omitted.

    Raises
    ------
    ValueError
        If the row counts of ``k_cross``/``k_cross2`` differ from the columns of ``coef``.

    Notes
    -----
    spec/kernel.md §3.0 (master formula). Cost :math:`O(dN(N_T + N_{T'}) + dN_TN_{T'})`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.kernel import induced_kernel
    >>> print(induced_kernel(np.array([[1.0, -1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])))
    [[ 1. -1.]
     [-1.  1.]]
    """
    xp = _backend.get_namespace(coef, k_cross, k_cross2)
    coef = _validation.check_array(coef, xp=xp, name="coef", ndim=2)
    k_cross = _validation.check_array(k_cross, xp=xp, name="k_cross", ndim=2)
    n = coef.shape[1]
    if k_cross.shape[0] != n:
        raise ValueError(
            f"k_cross must have {n} rows (one per training view), received shape {tuple(k_cross.shape)}"
        )
    f1 = coef @ k_cross
    if k_cross2 is None:
        return f1.mT @ f1
    k_cross2 = _validation.check_array(k_cross2, xp=xp, name="k_cross2", ndim=2)
    if k_cross2.shape[0] != n:
        raise ValueError(
            f"k_cross2 must have {n} rows (one per training view), received shape {tuple(k_cross2.shape)}"
        )
    return f1.mT @ (coef @ k_cross2)

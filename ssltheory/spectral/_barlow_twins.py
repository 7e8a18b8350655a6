"""BarlowTwins closed forms on a graph and graph CCA (spec/spectral.md §2.4, §4.6)."""

from __future__ import annotations

import math
import warnings
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation
from ssltheory._warnings import DegenerateSpectrumWarning
from ssltheory.spectral._results import LinearSolution, SpectralSolution

__all__ = ["barlow_twins_embedding", "barlow_twins_linear_weights", "graph_cca"]


# ----------------------------------------------------------------------------- graph structure
def _component_labels(graph: Any, *, xp: ModuleType) -> Any:
    """Connected-component label of every node: the smallest node index of its component.

    Min-label propagation with pointer jumping, written on the array API only
    (``O(N^2)`` per sweep, ``O(log N)``–``O(diameter)`` sweeps).
    """
    n = graph.shape[0]
    dev = _backend.device(graph)
    adj = graph > 0
    labels = xp.arange(n, device=dev)
    big = xp.full((n, n), n, dtype=labels.dtype, device=dev)
    for _ in range(n + 1):
        neigh = xp.min(xp.where(adj, xp.broadcast_to(labels[None, :], (n, n)), big), axis=1)
        new = xp.minimum(labels, neigh)
        new = xp.take(new, new, axis=0)  # pointer jumping: follow the label's own label
        if bool(xp.all(new == labels)):
            return labels
        labels = new
    return labels  # pragma: no cover - propagation converges in at most N sweeps


def _components(graph: Any, *, xp: ModuleType) -> tuple[Any, list[tuple[float, int]], Any]:
    """Indicators of the components among nodes of positive degree, by decreasing volume.

    Returns ``(degrees, order, labels)`` with ``order`` a list of ``(volume, root)`` sorted by
    decreasing volume, ties by smallest first index (``root`` is that index).
    """
    degrees = xp.sum(graph, axis=1)
    labels = _component_labels(graph, xp=xp)
    n = graph.shape[0]
    dev = _backend.device(graph)
    roots = xp.arange(n, device=dev)
    is_root = (labels == roots) & (degrees > 0)
    order = []
    for r in range(n):
        if bool(is_root[r]):
            member = labels == r
            vol = float(xp.sum(xp.where(member, degrees, xp.zeros_like(degrees))))
            order.append((vol, r))
    order.sort(key=lambda t: (-t[0], t[1]))
    return degrees, order, labels


def _is_clique_union(graph: Any, *, xp: ModuleType) -> bool:
    """True if ``G + I`` is a 0/1 equivalence relation (disjoint cliques of any sizes)."""
    if not bool(xp.all((graph == 0) | (graph == 1))):
        return False
    n = graph.shape[0]
    gbar = graph + xp.eye(n, dtype=graph.dtype, device=_backend.device(graph))
    sizes = xp.sum(gbar, axis=1)
    return bool(xp.all(gbar @ gbar == sizes[:, None] * gbar))


# ----------------------------------------------------------------------------- embedding
def barlow_twins_embedding(
    graph: Any,
    /,
    *,
    n_components: int,
    redundancy_weight: float = 1.0,
    eps: float = 1e-12,
) -> SpectralSolution:
    r"""Optimal BarlowTwins embedding on a graph: component indicators (zero loss iff :math:`K\le c`).

    With :math:`C_{kl}=(Z^\top GZ)_{kl}/(\sqrt{d_kd_l}+\varepsilon)`,
    :math:`d_k=(Z^\top D_GZ)_{kk}`, the loss
    :math:`\mathcal L_{\rm BT}=\sum_k(C_{kk}-1)^2+\alpha\sum_{k\ne l}C_{kl}^2` satisfies

    .. math::

        \mathcal L_{\rm BT}(Z^*) = 0 \iff K\le c,\qquad Z^* = P_c T,\qquad
        Z^{*\top}D_GZ^* = I \ \text{(representative)},

    where :math:`c` is the number of connected components among nodes of positive degree and
    :math:`P_c` their indicators. For :math:`K>c` on a clique-union graph (augmentation or label
    graph) with :math:`\alpha=1`: :math:`\mathrm{rank}(Z^*)=c` and :math:`\mathcal L^*=K-c`.

    Parameters
    ----------
    graph : array, shape (n_samples, n_samples)
        Symmetric, non-negative, finite graph with zero diagonal (D2). Sparse input is densified.
    n_components : int
        :math:`K\ge1`.
    redundancy_weight : float, default 1.0
        :math:`\alpha>0` (Zbontar et al. :math:`\lambda`); must be 1 when :math:`K>c`.
    eps : float, default 1e-12
        :math:`\varepsilon\ge0` of the correlation denominator; must be :math:`>0` when
        :math:`K>c` (zero columns).

    Returns
    -------
    SpectralSolution
        ``embedding``: the :math:`\min(K,c)` largest-volume component indicators (ties: smallest
        first index) scaled to unit :math:`D_G`-norm, then zero columns; ``eigenvalues``: the
        eigenvalue of :math:`\bar A` each column uses (1, then 0 for zero columns); ``scales``:
        the target :math:`C_{kk}` (1, then 0); ``rank`` :math:`\min(K,c)`; ``loss``: exactly the
        evaluator's value there, :math:`\min(K,c)\,(\varepsilon/(1+\varepsilon))^2+(K-c)_+`;
        ``tied``: True when :math:`K<c`.

    Raises
    ------
    ValueError
        If ``graph`` is invalid (D2, non-zero diagonal included), or :math:`K>c` and the graph is
        not a clique union, ``redundancy_weight != 1`` or ``eps == 0`` (no closed form, spec §4.6).
    TypeError
        For non-array ``graph`` or non-numeric parameters.

    Warns
    -----
    DegenerateSpectrumWarning
        If :math:`K<c`: any :math:`K` :math:`D_G`-orthogonal combinations of the :math:`c`
        indicators are equally optimal; the largest-volume components are returned.

    See Also
    --------
    graph_cca, barlow_twins_linear_weights : the linear (CCA) regime.

    Notes
    -----
    spec/spectral.md §4.6 [derived], §5 item 13. Unique: the zero loss and the component space;
    free: column scales (either sign), permutations and any :math:`D_G`-orthogonal mixing of
    indicators. Cost: connected components by label propagation, :math:`O(N^2)` per sweep.

    References
    ----------
    R. Balestriero, Y. LeCun, arXiv:2205.11508; J. Zbontar et al., *Barlow Twins*,
    ICML 2021, arXiv:2103.03230.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import label_graph
    >>> from ssltheory.spectral import barlow_twins_embedding
    >>> g = label_graph(np.array([0, 0, 0, 1, 1]))
    >>> sol = barlow_twins_embedding(g, n_components=2)
    >>> print(np.round(sol.embedding * np.sqrt([6.0, 2.0]), 6))
    [[1. 0.]
     [1. 0.]
     [1. 0.]
     [0. 1.]
     [0. 1.]]
    >>> sol.rank, sol.loss < 1e-20
    (2, True)
    """
    xp = _backend.get_namespace(graph)
    graph = _validation.check_graph(graph, xp=xp, diagonal="reject")
    graph = _backend.to_dense(graph, xp=xp)
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    alpha = _validation.check_positive(redundancy_weight, name="redundancy_weight")
    eps = _validation.check_positive(eps, name="eps", strict=False)
    degrees, order, labels = _components(graph, xp=xp)
    c = len(order)
    if k > c:
        reasons = []
        if not _is_clique_union(graph, xp=xp):
            reasons.append("the graph is not a union of 0/1 cliques")
        if alpha != 1.0:
            reasons.append(f"redundancy_weight = {alpha} != 1")
        if eps <= 0:
            reasons.append("eps = 0 (the K - c zero columns need eps > 0)")
        if reasons:
            raise ValueError(
                f"n_components = {k} exceeds the number of components c = {c}: BarlowTwins has a "
                "closed form for K > c only on clique-union graphs with redundancy_weight == 1 and "
                f"eps > 0 (spec/spectral.md §4.6), but {'; '.join(reasons)}; use n_components <= {c}"
            )
    kept = min(k, c)
    tied = False
    if k < c:
        warnings.warn(
            f"n_components = {k} < c = {c} components: any {k} D_G-orthogonal combinations of the "
            "component indicators reach zero loss; the largest-volume components are returned. "
            "Compare invariants (loss, C = I), not columns.",
            DegenerateSpectrumWarning,
            stacklevel=2,
        )
        tied = True
    n = graph.shape[0]
    dev = _backend.device(graph)
    zero = xp.zeros_like(degrees)
    cols = []
    for vol, root in order[:kept]:
        cols.append(xp.where(labels == root, xp.ones_like(degrees), zero) / math.sqrt(vol))
    for _ in range(k - kept):
        cols.append(zero)
    embedding = xp.stack(cols, axis=1) if cols else xp.zeros((n, k), dtype=graph.dtype, device=dev)
    ones = xp.ones((kept,), dtype=graph.dtype, device=dev)
    pad = xp.zeros((k - kept,), dtype=graph.dtype, device=dev)
    target = xp.concat([ones, pad])
    diag_term = eps / (1.0 + eps)
    loss = kept * diag_term**2 + (k - kept)
    return SpectralSolution(
        embedding=embedding, eigenvalues=target, scales=target, rank=kept, loss=loss, tied=tied
    )


# ----------------------------------------------------------------------------- linear: graph CCA
def _cca_core(
    x: Any, graph: Any, k: int, *, xp: ModuleType, tie_tol: float | None, stacklevel: int
) -> tuple[Any, Any, bool, Any]:
    """Descending generalised eigenpairs of ``(XᵀGX, XᵀD_GX)`` by whitening; returns all ``ρ`` too."""
    degrees = xp.sum(graph, axis=1)
    s_d = x.mT @ (degrees[:, None] * x)
    s_g = x.mT @ (graph @ x)
    return _cca_from_moments(
        s_d, s_g, k, n_samples=x.shape[0], xp=xp, tie_tol=tie_tol, stacklevel=stacklevel + 1
    )


def _cca_from_moments(
    s_d: Any, s_g: Any, k: int, *, n_samples: int, xp: ModuleType, tie_tol: float | None, stacklevel: int
) -> tuple[Any, Any, bool, Any]:
    """Solve step of :func:`_cca_core` from :math:`X^\top D_GX` and :math:`X^\top GX` (also streamed)."""
    lam, v = _linalg.eigh_ascending(s_d, xp=xp)
    lam_max = float(lam[-1]) if lam.shape[0] else 0.0
    rtol = max(n_samples, s_d.shape[0]) * float(xp.finfo(s_d.dtype).eps)
    keep = lam > rtol * max(lam_max, 0.0)
    r = int(xp.sum(xp.astype(keep, xp.int32)))
    if k > r:
        raise ValueError(
            f"n_components must be <= rank(X^T D_G X) = {r} (the degree-weighted data covariance), "
            f"received {k}"
        )
    lam_r, v_r = lam[lam.shape[0] - r :], v[:, v.shape[1] - r :]  # ascending: the kept are last
    t = v_r / xp.sqrt(lam_r)
    m = t.mT @ s_g @ t
    rho_all, q = _linalg.eigh_ascending(m, xp=xp)
    rho_all, q = xp.flip(rho_all, axis=0), xp.flip(q, axis=1)
    tied = _linalg.warn_if_tied(
        rho_all, k, xp=xp, tie_tol=tie_tol, what="canonical correlation", stacklevel=stacklevel
    )
    w = t @ q[:, :k]
    return _linalg.sign_normalize(w, xp=xp), rho_all[:k], tied, rho_all


def _check_xg(x: Any, graph: Any, *, diagonal: str) -> tuple[ModuleType, Any, Any]:
    xp = _backend.get_namespace(x, graph)
    x = _validation.check_array(x, xp=xp, name="x", ndim=2)
    graph = _validation.check_graph(graph, xp=xp, diagonal=diagonal)
    graph = _backend.to_dense(graph, xp=xp)
    if graph.shape[0] != x.shape[0]:
        raise ValueError(
            f"graph must be (n_samples, n_samples) = ({x.shape[0]}, {x.shape[0]}) to match x, "
            f"received {tuple(graph.shape)}"
        )
    if graph.dtype != x.dtype:
        dtype = xp.result_type(graph.dtype, x.dtype)
        x, graph = xp.astype(x, dtype), xp.astype(graph, dtype)
    return xp, x, graph


def graph_cca(x: Any, graph: Any, /, *, n_components: int, tie_tol: float | None = None) -> LinearSolution:
    r"""Graph CCA: generalised eigenvectors of :math:`(X^\top GX, X^\top D_GX)`, descending.

    .. math::

        X^\top G X\,w_k = \rho_k\,X^\top D_G X\,w_k,\qquad
        \rho_1\ge\rho_2\ge\dots,\qquad W^\top X^\top D_GXW = I .

    The :math:`\rho_k` are the signed uncentred canonical correlations of
    :math:`(X_{\rm left},X_{\rm right})=(X[r],X[c])`, ``r, c = nonzero(G)`` (weighted by
    :math:`G_{rc}`): :math:`X_{\rm left}^\top X_{\rm left}=X^\top D_GX` and
    :math:`X_{\rm left}^\top X_{\rm right}=X^\top GX`; :math:`|\rho_k|\le1`.

    Parameters
    ----------
    x : array, shape (n_samples, n_features)
        Data :math:`X` (integers are promoted to float64).
    graph : array, shape (n_samples, n_samples)
        Symmetric, non-negative, finite graph; a diagonal is used as given (self-pairs).
    n_components : int
        :math:`K`, at most :math:`\mathrm{rank}(X^\top D_GX)`.
    tie_tol : float, optional
        Tie tolerance (spec D12); default :math:`4\sqrt{\epsilon}\max(1,\max|\rho|)`.

    Returns
    -------
    LinearSolution
        ``weights`` :math:`W` ``(n_features, n_components)`` (minimum norm: no component in
        the null space of :math:`X^\top D_GX`), ``eigenvalues`` :math:`\rho_{1..K}`, ``scales``
        ones, ``rank`` :math:`K`, ``loss`` :math:`\sum_k(1-\rho_k)^2` (the BarlowTwins loss of
        ``W`` at ``eps=0``: an upper bound on the linear BarlowTwins optimum), ``tied``.

    Raises
    ------
    ValueError
        Invalid ``x`` or ``graph``, mismatched sizes, or ``n_components`` above the rank.
    TypeError
        Non-array inputs or arrays of different libraries.

    Warns
    -----
    DegenerateSpectrumWarning
        If :math:`\rho_K` is tied with :math:`\rho_{K+1}`.

    See Also
    --------
    barlow_twins_linear_weights : equal to this when :math:`K=1` or :math:`\rho_{1..K}=1`.

    Notes
    -----
    spec/spectral.md §4.6 (Linear BT vs CCA) [derived], §5 item 14. Solved without a
    generalised eigensolver: :math:`T=V_s\Lambda_s^{-1/2}` from ``eigh`` of
    :math:`X^\top D_GX` (eigenvalues :math:`\le \max(N,D)\,\epsilon\,\lambda_{\max}` dropped), then
    ``eigh`` of :math:`T^\top X^\top GXT`. Unique: the :math:`\rho_k` and, without ties, each
    :math:`w_k` up to sign. Cost :math:`O(N^2D+ND^2+D^3)`.

    References
    ----------
    H. Hotelling, *Relations between two sets of variates*, Biometrika 1936;
    R. Balestriero, Y. LeCun, arXiv:2205.11508.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> from ssltheory.spectral import graph_cca
    >>> rng = np.random.default_rng(0)
    >>> base = rng.standard_normal((20, 3))
    >>> x = np.concatenate([base, base + 0.1 * rng.standard_normal((20, 3))])
    >>> sol = graph_cca(x, augmentation_graph(20, 2), n_components=2)
    >>> bool(np.all(sol.eigenvalues < 1)) and bool(sol.eigenvalues[0] > 0.99)
    True
    """
    xp, x, graph = _check_xg(x, graph, diagonal="keep")
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    w, rho, tied, _ = _cca_core(x, graph, k, xp=xp, tie_tol=tie_tol, stacklevel=4)
    loss = float(xp.sum((1.0 - rho) ** 2))
    scales = xp.ones((k,), dtype=x.dtype, device=_backend.device(x))
    return LinearSolution(weights=w, eigenvalues=rho, scales=scales, rank=k, loss=loss, tied=tied)


def barlow_twins_linear_weights(
    x: Any,
    graph: Any,
    /,
    *,
    n_components: int,
    redundancy_weight: float = 1.0,
    eps: float = 1e-12,
    tie_tol: float | None = None,
) -> LinearSolution:
    r"""Optimal linear BarlowTwins weights where a closed form exists (:math:`K=1` or all :math:`\rho_k=1`).

    For :math:`Z=XW`, :math:`C=\mathrm{diag}(W^\top S_DW)^{-1/2}W^\top S_GW\,\mathrm{diag}(\cdot)^{-1/2}`
    with :math:`S_D=X^\top D_GX`, :math:`S_G=X^\top GX`. For :math:`K=1` BarlowTwins is CCA:

    .. math::

        w^* = \arg\max_w \frac{w^\top S_Gw}{w^\top S_Dw},\qquad
        \mathcal L(w^*) = \big(1-\rho_1/(1+\varepsilon)\big)^2 ,

    at the returned scale :math:`w^{*\top}S_Dw^*=1`. With :math:`\varepsilon>0` the loss is not
    scale-free: :math:`C=t^2\rho_1/(t^2+\varepsilon)` for :math:`tw^*`, so the infimum over
    :math:`W` is :math:`(1-\rho_1)^2`, approached as :math:`t\to\infty` and exceeded by the
    returned value by :math:`2\varepsilon\rho_1(1-\rho_1)+O(\varepsilon^2)` (below rounding for
    the default :math:`\varepsilon=10^{-12}`). For :math:`\varepsilon=0` it is attained.
    For :math:`K>1` with :math:`\rho_1=\dots=\rho_K=1` the top :math:`K` generalised
    eigenvectors give :math:`C=I/(1+\varepsilon)`. Otherwise BarlowTwins can beat CCA with
    non-:math:`S_D`-orthogonal columns and no closed form is known (spec §4.6).

    Parameters
    ----------
    x : array, shape (n_samples, n_features)
        Data :math:`X`.
    graph : array, shape (n_samples, n_samples)
        Symmetric, non-negative, finite graph with zero diagonal (D2).
    n_components : int
        :math:`K\ge1`.
    redundancy_weight : float, default 1.0
        :math:`\alpha>0`; does not change the optimum here (the off-diagonal :math:`C` vanish).
    eps : float, default 1e-12
        :math:`\varepsilon\ge0` of the correlation denominator (enters only the loss value).
    tie_tol : float, optional
        Tolerance for :math:`\rho_k=1` and for ties (spec D12).

    Returns
    -------
    LinearSolution
        ``weights`` with :math:`W^\top S_DW=I`, ``eigenvalues`` :math:`\rho_{1..K}`, ``scales``
        ones, ``rank`` :math:`K`, ``loss`` :math:`\sum_k(1-\rho_k/(1+\varepsilon))^2`, ``tied``.

    Raises
    ------
    ValueError
        If :math:`K>1` and some :math:`\rho_k<1-\text{tol}` (use :func:`graph_cca`, whose
        :math:`\sum(1-\rho_k)^2` is an upper bound on the optimum), or invalid inputs.
    TypeError
        Non-array inputs or arrays of different libraries.

    Warns
    -----
    DegenerateSpectrumWarning
        If :math:`\rho_K` is tied with :math:`\rho_{K+1}`.

    See Also
    --------
    graph_cca : the generalised eigenproblem behind this.

    Notes
    -----
    spec/spectral.md §4.6 [derived], §5 item 14. Cost as :func:`graph_cca`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> from ssltheory.spectral import barlow_twins_linear_weights
    >>> rng = np.random.default_rng(0)
    >>> base = rng.standard_normal((20, 3))
    >>> x = np.concatenate([base, base + 0.1 * rng.standard_normal((20, 3))])
    >>> sol = barlow_twins_linear_weights(x, augmentation_graph(20, 2), n_components=1)
    >>> bool(abs(sol.loss - (1 - sol.eigenvalues[0]) ** 2) < 1e-12)
    True
    """
    xp, x, graph = _check_xg(x, graph, diagonal="reject")
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    _validation.check_positive(redundancy_weight, name="redundancy_weight")
    eps = _validation.check_positive(eps, name="eps", strict=False)
    w, rho, tied, rho_all = _cca_core(x, graph, k, xp=xp, tie_tol=tie_tol, stacklevel=4)
    if k > 1:
        tol = _linalg.tie_tolerance(rho_all, xp=xp, tie_tol=tie_tol)
        low = float(rho[k - 1])
        if low < 1.0 - tol:
            raise ValueError(
                f"barlow_twins_linear_weights has a closed form only for n_components = 1 or when "
                f"the top n_components canonical correlations all equal 1 (within {tol:.3g}); here "
                f"rho_{k} = {low:.6g}. For K > 1 BarlowTwins can beat CCA (spec/spectral.md §4.6): "
                "use graph_cca for the CCA weights, whose loss sum (1 - rho_k)^2 is an upper bound"
            )
    loss = float(xp.sum((1.0 - rho / (1.0 + eps)) ** 2))
    scales = xp.ones((k,), dtype=x.dtype, device=_backend.device(x))
    return LinearSolution(weights=w, eigenvalues=rho, scales=scales, rank=k, loss=loss, tied=tied)

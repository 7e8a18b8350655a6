"""Private core of the kernel-regime closed forms: one symmetric r×r eigenproblem per loss.

Everything here works in the coordinates of the kept kernel eigenbasis (spec/kernel.md §3.0):
rows of :math:`Z` lie in range(K), :math:`Z = YV_r^\\top`, the RKHS norm is
:math:`\\mathrm{Tr}(Y\\Lambda_r^{-1}Y^\\top)`, and each loss reduces to an extreme
:math:`d`-subspace of a symmetric :math:`r\\times r` matrix (§3.10 recipe). Helpers take ``xp``
as a required keyword and trust their inputs (validated once by the public functions).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg
from ssltheory._warnings import DegenerateSpectrumWarning

__all__ = [
    "Core",
    "Options",
    "check_options",
    "diag",
    "graph_degree",
    "graph_matmul",
    "select",
    "solve_core",
    "solve_projected",
]

LOSSES = ("wmse", "vicreg", "spectral_contrastive")
NORMALIZATIONS = ("output", "feature")
WEIGHTINGS = ("degree", "none")
TIE_BREAKS = ("kernel", None)


@dataclass(frozen=True)
class Options:
    """Validated solver options (spec K4–K9)."""

    n_components: int
    loss: str = "wmse"
    normalization: str = "output"
    weighting: str = "degree"
    center: bool = False
    invariance_weight: float = 1.0
    variance_weight: float = 1.0
    ridge: float = 0.0
    output_penalty: float = 0.0
    jitter: float = 0.0
    extension_smoothing: float = 0.0
    rtol: float = 1e-10
    tie_break: str | None = "kernel"
    tie_tol: float | None = None


@dataclass(frozen=True)
class Core:
    """Solution in range coordinates: ``Y`` (d×r), eigenvalues, loss, tie flag."""

    y: Any
    eigenvalues: Any
    loss: float
    graph_tie: bool


def check_options(**kw: Any) -> Options:
    """Validate the option values shared by every public entry point."""
    from ssltheory import _validation as v

    loss = kw.get("loss", "wmse")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(map(repr, LOSSES))}, received {loss!r}")
    normalization = kw.get("normalization", "output")
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be 'output' or 'feature', received {normalization!r}")
    if normalization == "feature" and loss != "wmse":
        raise ValueError(
            f"normalization='feature' is defined only for loss='wmse' (spec K5), received loss={loss!r}"
        )
    weighting = kw.get("weighting", "degree")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be 'degree' or 'none', received {weighting!r}")
    center = kw.get("center", False)
    if not isinstance(center, bool):
        raise TypeError(f"center must be a bool, received {type(center).__name__} {center!r}")
    if center and loss == "spectral_contrastive":
        raise ValueError("center=True is not defined for loss='spectral_contrastive' (spec K7)")
    if center and normalization == "feature":
        raise ValueError("center=True is not defined with normalization='feature' (spec K5, K7)")
    tie_break = kw.get("tie_break", "kernel")
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be 'kernel' or None, received {tie_break!r}")
    tie_tol = kw.get("tie_tol")
    if tie_tol is not None:
        tie_tol = v.check_positive(tie_tol, name="tie_tol", strict=False)
    output_penalty = v.check_positive(kw.get("output_penalty", 0.0), name="output_penalty", strict=False)
    if output_penalty and loss != "spectral_contrastive":
        raise ValueError(
            f"output_penalty applies only to loss='spectral_contrastive' (spec K8), received loss={loss!r}"
        )
    rtol = v.check_positive(kw.get("rtol", 1e-10), name="rtol")
    if rtol >= 1.0:
        raise ValueError(f"rtol must be < 1, received {rtol}")
    return Options(
        n_components=v.check_int(kw["n_components"], name="n_components", minimum=1),
        loss=loss,
        normalization=normalization,
        weighting=weighting,
        center=center,
        invariance_weight=v.check_positive(kw.get("invariance_weight", 1.0), name="invariance_weight"),
        variance_weight=v.check_positive(kw.get("variance_weight", 1.0), name="variance_weight"),
        ridge=v.check_positive(kw.get("ridge", 0.0), name="ridge", strict=False),
        output_penalty=output_penalty,
        jitter=v.check_positive(kw.get("jitter", 0.0), name="jitter", strict=False),
        extension_smoothing=v.check_positive(
            kw.get("extension_smoothing", 0.0), name="extension_smoothing", strict=False
        ),
        rtol=rtol,
        tie_break=tie_break,
        tie_tol=tie_tol,
    )


# ----------------------------------------------------------------------------- graph products
def diag(v: Any, *, xp: ModuleType) -> Any:
    """Square diagonal matrix with diagonal ``v`` (the standard has no ``diag`` constructor)."""
    r = v.shape[0]
    return xp.eye(r, dtype=v.dtype, device=_backend.device(v)) * v[None, :]


def graph_matmul(graph: Any, v: Any, *, xp: ModuleType) -> Any:
    """``graph @ v`` for a dense array or a SciPy / cupyx sparse matrix (result dense, on ``xp``)."""
    if _backend.is_sparse(graph):
        return xp.asarray(graph @ v)
    return graph @ v


def graph_degree(graph: Any, *, xp: ModuleType, dtype: Any, device: Any) -> Any:
    """Degrees ``graph @ 1`` (diagonal included)."""
    if _backend.is_sparse(graph):
        ones = xp.ones((graph.shape[0],), dtype=dtype, device=device)
        return xp.reshape(xp.asarray(graph @ ones), (-1,))
    return xp.sum(graph, axis=1)


# ----------------------------------------------------------------------------- eigen-selection
def _cut_tolerance(w: Any, d: int, *, xp: ModuleType, tie_tol: float | None) -> float:
    """Tie tolerance at the cut: ``tie_tol`` or ``4√eps·max(1, max |λ_k|, k <= d)`` (spec D12).

    The scale is taken over the kept values and the first dropped one, not the whole spectrum:
    ridge terms :math:`\\rho\\Lambda_r^{-1}` make the far end of the spectrum huge and irrelevant.
    """
    if tie_tol is not None:
        return float(tie_tol)
    head = w[: min(d + 1, w.shape[0])]
    scale = max(1.0, float(xp.max(xp.abs(head))))
    return 4.0 * math.sqrt(float(xp.finfo(w.dtype).eps)) * scale


def select(
    mat: Any,
    d: int,
    *,
    xp: ModuleType,
    descending: bool,
    ridge_matrix: Any,
    opts: Options,
    positive: Any = None,
    what: str,
) -> tuple[Any, Any, bool]:
    """Extreme ``d`` eigenpairs of symmetric ``mat`` with the kernel tie-break (spec §3.6).

    Returns ``(values, vectors, graph_tie)``: the first ``d`` values in kept order and an
    orthonormal basis of the selected subspace. If the cluster at the cut straddles ``d`` (and
    ``positive(value at cut)`` holds), the open slots are filled with the bottom eigenvectors of
    ``Q_tᵀ R_g Q_t`` (``ridge_matrix`` :math:`R_g`); a tie that survives (or no ``R_g``, or
    ``tie_break=None``) warns :class:`DegenerateSpectrumWarning`.
    """
    w, v = _linalg.eigh_ascending(mat, xp=xp)
    if descending:
        w, v = xp.flip(w, axis=0), xp.flip(v, axis=1)
    r = w.shape[0]
    tol = _cut_tolerance(w, d, xp=xp, tie_tol=opts.tie_tol)
    tied = d < r and abs(float(w[d]) - float(w[d - 1])) <= tol
    if tied and positive is not None:
        tied = bool(positive(float(w[d - 1])))
    if not tied:
        return w[:d], v[:, :d], False
    if opts.tie_break is None or ridge_matrix is None:
        _linalg.warn_if_tied(w, d, xp=xp, tie_tol=tol, what=what, stacklevel=5)
        return w[:d], v[:, :d], True
    ref = float(w[d - 1])
    lo = d - 1
    while lo > 0 and abs(float(w[lo - 1]) - ref) <= tol:
        lo -= 1
    hi = d
    while hi < r and abs(float(w[hi]) - ref) <= tol:
        hi += 1
    qt = v[:, lo:hi]
    slots = d - lo
    gw, gv = _linalg.eigh_ascending(qt.mT @ (ridge_matrix @ qt), xp=xp)
    # secondary tie: relative to the magnitude of the tie-break values at their cut
    if slots < gw.shape[0]:
        cut = max(abs(float(gw[slots - 1])), abs(float(gw[slots])))
        floor = float(xp.finfo(gw.dtype).smallest_normal)
        eps = float(xp.finfo(gw.dtype).eps)
        tol2 = opts.tie_tol if opts.tie_tol is not None else 4.0 * math.sqrt(eps) * max(cut, floor)
        if abs(float(gw[slots]) - float(gw[slots - 1])) <= tol2:
            warnings.warn(
                f"the {what} is tied at position {d} and the kernel tie-break (spec §3.6) does not "
                f"resolve it (tie-break values {float(gw[slots - 1]):.6g} and {float(gw[slots]):.6g}): "
                "the optimal subspace is not unique; a deterministic basis is returned. Compare "
                "invariants or change n_components to include the whole cluster.",
                DegenerateSpectrumWarning,
                stacklevel=5,
            )
    chosen = qt @ gv[:, :slots]
    vecs = xp.concat([v[:, :lo], chosen], axis=1) if lo else chosen
    return w[:d], vecs, True


# ----------------------------------------------------------------------------- the solvers
def solve_core(vr: Any, lam: Any, graph: Any, opts: Options, *, xp: ModuleType) -> Core:
    """Optimal ``Y`` (d×r) for ``K = V_r Λ_r V_rᵀ`` (kept pairs) and graph ``A`` (spec §3.1–3.5)."""
    n = vr.shape[0]
    dtype, dev = vr.dtype, _backend.device(vr)
    deg = graph_degree(graph, xp=xp, dtype=dtype, device=dev)
    av = graph_matmul(graph, vr, xp=xp)
    a_r = _linalg.symmetrize(vr.mT @ av, xp=xp)
    if opts.loss == "spectral_contrastive" and opts.weighting == "degree":
        return _spectral_contrastive_weighted(vr, lam, deg, a_r, opts, xp=xp)
    l_r = None
    if opts.loss in ("wmse", "vicreg"):
        l_r = _linalg.symmetrize(vr.mT @ (deg[:, None] * vr) - a_r, xp=xp)
    return solve_projected(n, lam, l_r, a_r, xp.sum(vr, axis=0), opts, xp=xp)


def solve_projected(n: int, lam: Any, l_r: Any, a_r: Any, u: Any, opts: Options, *, xp: ModuleType) -> Core:
    """:func:`solve_core` from the projected matrices alone (every loss but SC-w, which needs rows).

    ``L_r = V_rᵀLV_r`` (None for spectral contrastive), ``A_r = V_rᵀAV_r``, ``u = V_rᵀ1`` and
    ``n``: all that the WMSE, VICReg (any normalisation, centred or not) and SC-u solves read, so
    the same function serves :func:`linear_ssl_solve_from_statistics` (p×p statistics, no rows).
    """
    r = lam.shape[0]
    d = opts.n_components
    dtype, dev = lam.dtype, _backend.device(lam)
    rho = opts.ridge
    inv_lam = 1.0 / lam
    ridge_mat = diag(inv_lam, xp=xp)
    if opts.loss in ("wmse", "vicreg"):
        if opts.normalization == "feature":
            return _feature_normalized(l_r, lam, d, opts, xp=xp)
        if opts.center:
            return _centered(l_r, lam, u, n, d, opts, xp=xp)
        graph_part = l_r if opts.loss == "wmse" else (2.0 * opts.invariance_weight / n) * l_r
        mat = graph_part + rho * ridge_mat
        if opts.loss == "wmse":
            if d > r:
                raise _rank_error(d, r, "loss='wmse' needs n_components <= rank(K)")
            mu, q, tie = select(
                mat, d, xp=xp, descending=False, ridge_matrix=ridge_mat, opts=opts, what="graph eigenvalue"
            )
            y = math.sqrt(n) * q.mT
            loss = float(xp.sum(y * (y @ mat)))
            return Core(y=y, eigenvalues=mu, loss=loss, graph_tie=tie)
        if d > r:
            raise _rank_error(d, r, "n_components must be <= rank(K)")
        alpha = opts.variance_weight
        mu, q, tie = select(
            mat,
            d,
            xp=xp,
            descending=False,
            ridge_matrix=ridge_mat,
            opts=opts,
            positive=lambda m: 1.0 - n * m / (2.0 * alpha) > 0,
            what="graph eigenvalue",
        )
        s = n * xp.clip(1.0 - n * mu / (2.0 * alpha), min=0.0)
        y = xp.sqrt(s)[:, None] * q.mT
        cov = (y @ y.mT) / n
        eye = xp.eye(d, dtype=dtype, device=dev)
        loss = alpha * float(xp.sum((cov - eye) ** 2)) + float(xp.sum(y * (y @ mat)))
        return Core(y=y, eigenvalues=mu, loss=loss, graph_tie=tie)
    # spectral contrastive, weighting='none' (SC-u)
    if d > r:
        raise _rank_error(d, r, "n_components must be <= rank(K)")
    rho_o = opts.output_penalty
    eye_r = xp.eye(r, dtype=dtype, device=dev)
    mat = a_r - (rho_o / 2.0) * eye_r - (rho / 2.0) * ridge_mat
    theta, q, tie = select(
        mat,
        d,
        xp=xp,
        descending=True,
        ridge_matrix=ridge_mat,
        opts=opts,
        positive=lambda t: t > 0,
        what="adjacency eigenvalue",
    )
    y = xp.sqrt(xp.clip(theta, min=0.0))[:, None] * q.mT
    yy = y @ y.mT
    loss = (
        -2.0 * float(xp.sum(y * (y @ a_r)))
        + float(xp.sum(yy * yy))
        + rho_o * float(xp.sum(y * y))
        + rho * float(xp.sum(y * (y * inv_lam[None, :])))
    )
    return Core(y=y, eigenvalues=theta, loss=loss, graph_tie=tie)


def _spectral_contrastive_weighted(
    vr: Any, lam: Any, deg: Any, a_r: Any, opts: Options, *, xp: ModuleType
) -> Core:
    """SC-w (``weighting="degree"``, spec §3.2): needs the rows ``V_r`` and the degrees."""
    r = vr.shape[1]
    d = opts.n_components
    if d > r:
        raise _rank_error(d, r, "n_components must be <= rank(K)")
    rho, rho_o = opts.ridge, opts.output_penalty
    inv_lam = 1.0 / lam
    eye_r = xp.eye(r, dtype=vr.dtype, device=_backend.device(vr))
    total = float(xp.sum(deg))
    if not total > 0:
        raise ValueError("graph has no edges: loss='spectral_contrastive' with weighting='degree' needs some")
    w_i = deg / total
    if bool(xp.any(w_i <= 0)):
        i = int(xp.argmax(xp.astype(w_i <= 0, xp.int8)))
        raise ValueError(
            f"graph has an isolated view (row {i} has zero degree): weighting='degree' needs every "
            "view to have a positive degree (spec §3.2); use self_loops=True or drop isolated views"
        )
    _, r_w = xp.linalg.qr(xp.sqrt(w_i)[:, None] * vr)
    r_inv = xp.linalg.solve(r_w, eye_r)  # R_w⁻¹ (r×r, upper triangular)
    a_b = _linalg.symmetrize(r_inv.mT @ a_r @ r_inv, xp=xp) / total  # Bᵀ Ā B
    ridge_w = _linalg.symmetrize(r_inv.mT @ (inv_lam[:, None] * r_inv), xp=xp)  # R_w⁻ᵀ Λ⁻¹ R_w⁻¹
    mat = a_b - (rho_o / 2.0) * eye_r - (rho / 2.0) * ridge_w
    theta, q, tie = select(
        mat,
        d,
        xp=xp,
        descending=True,
        ridge_matrix=ridge_w,
        opts=opts,
        positive=lambda t: t > 0,
        what="normalized adjacency eigenvalue",
    )
    y = (xp.sqrt(xp.clip(theta, min=0.0))[:, None] * q.mT) @ r_inv.mT
    gram_w = r_w.mT @ r_w  # V_rᵀ D_w V_r
    zdz = y @ gram_w @ y.mT
    loss = (
        -2.0 * float(xp.sum(y * (y @ a_r))) / total
        + float(xp.sum(zdz * zdz))
        + rho_o * float(xp.linalg.trace(zdz))
        + rho * float(xp.sum(y * (y * inv_lam[None, :])))
    )
    return Core(y=y, eigenvalues=theta, loss=loss, graph_tie=tie)


def _rank_error(d: int, r: int, why: str) -> ValueError:
    return ValueError(
        f"n_components={d} is larger than the rank allows: {why}, and the kernel matrix has "
        f"numerical rank {r} (eigenvalues > rtol·max); lower n_components, add jitter or use more "
        "distinct points"
    )


def _feature_normalized(l_r: Any, lam: Any, d: int, opts: Options, *, xp: ModuleType) -> Core:
    """Whitening in feature space, ``C K Cᵀ = I`` (spec §3.5): bottom-d of ``Λ^½ L_r Λ^½``."""
    r = lam.shape[0]
    if d > r:
        raise _rank_error(d, r, "normalization='feature' needs n_components <= rank(K)")
    sq = xp.sqrt(lam)
    mat = _linalg.symmetrize(sq[:, None] * l_r * sq[None, :], xp=xp)
    # the RKHS ridge is constant (ρ d) under this constraint: no tie-break is available
    mu, p, tie = select(mat, d, xp=xp, descending=False, ridge_matrix=None, opts=opts, what="eigenvalue")
    y = p.mT * sq[None, :]
    loss = float(xp.sum(mu)) + opts.ridge * d
    return Core(y=y, eigenvalues=mu, loss=loss, graph_tie=tie)


def _centered(l_r: Any, lam: Any, u: Any, n: int, d: int, opts: Options, *, xp: ModuleType) -> Core:
    """True-covariance constraint ``ZHZᵀ`` (spec §3.3 VIC-hard-c, §3.4 centred VIC-soft); ``u = V_rᵀ1``."""
    r = lam.shape[0]
    if r < n:
        raise ValueError(
            f"center=True needs a numerically invertible kernel matrix (rank {n}), but only {r} of "
            f"its eigenvalues exceed rtol·max; add jitter (e.g. jitter=1e-8·mean diagonal) or "
            "use center=False"
        )
    if d > n - 1:
        raise _rank_error(d, n, f"center=True needs n_components <= n_samples - 1 = {n - 1}")
    dtype, dev = lam.dtype, _backend.device(lam)
    inv_lam = 1.0 / lam
    s_v = inv_lam * u  # coordinates of s = K⁻¹1
    c = float(xp.sum(u * s_v))  # 1ᵀ K⁻¹ 1
    schur = diag(inv_lam, xp=xp) - (s_v[:, None] * s_v[None, :]) / c
    graph_part = l_r if opts.loss == "wmse" else (2.0 * opts.invariance_weight / n) * l_r
    core = graph_part + opts.ridge * schur
    # push the constant direction to the top of the spectrum: τ > λ_max(core)
    tau = 2.0 * float(xp.max(xp.sum(xp.abs(core), axis=1))) + 1.0
    mat = core + (tau / n) * (u[:, None] * u[None, :])
    if opts.loss == "wmse":
        mu, q, tie = select(
            mat, d, xp=xp, descending=False, ridge_matrix=schur, opts=opts, what="graph eigenvalue"
        )
        scale = xp.ones_like(mu)
    else:
        alpha = opts.variance_weight
        mu, q, tie = select(
            mat,
            d,
            xp=xp,
            descending=False,
            ridge_matrix=schur,
            opts=opts,
            positive=lambda m: 1.0 - n * m / (2.0 * alpha) > 0,
            what="graph eigenvalue",
        )
        scale = xp.sqrt(xp.clip(1.0 - n * mu / (2.0 * alpha), min=0.0))
    qt = q * scale[None, :]  # Ũ in V coordinates (√(s_k/N) folded in)
    b = -(qt.mT @ s_v) / c
    y = math.sqrt(n) * (qt + u[:, None] * b[None, :]).mT
    # objective in the same coordinates: graph term + ridge term (+ variance term for VIC-soft)
    loss = float(xp.sum(y * (y @ graph_part))) + opts.ridge * float(xp.sum(y * (y * inv_lam[None, :])))
    if opts.loss == "vicreg":
        yu = y @ u
        cov = (y @ y.mT - (yu[:, None] * yu[None, :]) / n) / n
        eye = xp.eye(d, dtype=dtype, device=dev)
        loss += opts.variance_weight * float(xp.sum((cov - eye) ** 2))
    return Core(y=y, eigenvalues=mu, loss=loss, graph_tie=tie)

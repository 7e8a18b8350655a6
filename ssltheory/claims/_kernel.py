"""Built-in claims of the kernel area (spec/kernel.md §4 items 1–23, plus cross-checks).

Each claim computes the library's closed form on the backend under test (``predict``) and an
independent measurement on the host (``measure``): dense NumPy formulas with explicit inverses,
SciPy / scikit-learn solvers, or multi-start L-BFGS / SLSQP on the loss. Tolerances are derived
from the numerics and explained where they are set: rounding of a computation that goes through
:math:`K^{-1}` is amplified by :math:`\\mathrm{cond}(K)`, subspaces by the inverse eigengap, an
optimiser's loss gap by its gradient tolerance.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend
from ssltheory.claims._core import Claim, Comparison, Problem, Verdict
from ssltheory.claims._optim import minimize_multistart
from ssltheory.claims._registry import register

__all__ = []  # claims register themselves on import; nothing here is public API

_EPS = float(np.finfo(np.float64).eps)
_SPEC = "kernel.md §4 item "


# --------------------------------------------------------------------------- shared helpers
def _h(x: Any) -> np.ndarray:
    return np.asarray(_backend.to_numpy(x), dtype=np.float64)


def _views(rng: np.random.Generator, n: int, m: int, *, p: int = 2, noise: float = 0.3) -> tuple:
    """``m`` noisy views of ``n`` Gaussian originals (view-major), their groups, 3 test points."""
    base = rng.standard_normal((n, p))
    x = np.concatenate([base + noise * rng.standard_normal((n, p)) for _ in range(m)])
    return x, np.tile(np.arange(n), m), rng.standard_normal((3, p))


def _rbf(x: np.ndarray, y: np.ndarray | None = None, bw: float = 1.0) -> np.ndarray:
    y = x if y is None else y
    d2 = np.sum(x * x, 1)[:, None] + np.sum(y * y, 1)[None, :] - 2 * x @ y.T
    return np.exp(-np.clip(d2, 0, None) / (2 * bw * bw))


def _clique(groups: np.ndarray, self_loops: bool = False) -> np.ndarray:
    a = (groups[:, None] == groups[None, :]).astype(float)
    return a if self_loops else a - np.eye(groups.shape[0])


def _weighted(rng: np.random.Generator, n: int) -> np.ndarray:
    g = rng.uniform(0.2, 1.0, (n, n)) * (rng.random((n, n)) < 0.7)
    g = np.triu(g, 1)
    g = g + g.T
    g[np.arange(n - 1), np.arange(1, n)] = g[np.arange(1, n), np.arange(n - 1)] = 0.5  # connected path
    return g


def _clique_problems(rng: np.random.Generator, quick: bool, *, sizes=None, bw: float = 1.0) -> list[Problem]:
    sizes = sizes or ([(4, 3), (5, 2)] if quick else [(4, 3), (5, 2), (6, 4), (10, 3)])
    out = []
    for n, m in sizes:
        x, g, xt = _views(rng, n, m)
        out.append(
            Problem(f"clique n={n} m={m}", {"x": x, "groups": g, "xt": xt}, {"n": n, "m": m, "bw": bw})
        )
    return out


def _gram(problem: Problem, xp: ModuleType) -> tuple[Any, Any, Any]:
    """Base kernel on the backend: training Gram, cross kernel to the test points, graph."""
    from ssltheory.graphs import label_graph
    from ssltheory.kernel import rbf_kernel

    a = problem.arrays(xp)
    bw = problem.params.get("bw", 1.0)
    graph = label_graph(a["groups"], self_loops=problem.params.get("self_loops", False))
    return rbf_kernel(a["x"], bandwidth=bw), rbf_kernel(a["x"], a["xt"], bandwidth=bw), graph


def _cond(problem: Problem) -> float:
    return float(np.linalg.cond(_rbf(problem.data["x"], bw=problem.params.get("bw", 1.0))))


def _max_err(pred: Any, meas: Any, problem: Problem, tol: float, *, scale: float = 1.0) -> Comparison:
    p, m = np.asarray(pred, dtype=float), np.asarray(meas, dtype=float)
    err = float(np.max(np.abs(p - m))) / max(scale, 1e-300) if p.size else 0.0
    return Comparison(
        predicted=f"{float(np.max(np.abs(p))):.6g} (max|·|)",
        measured=f"{float(np.max(np.abs(m))):.6g} (max|·|)",
        error=err,
        tolerance=tol,
        details={"error": err, "cond": _cond(problem) if "x" in problem.data else 1.0},
    )


def _proj(z: np.ndarray) -> np.ndarray:
    q, s, _ = np.linalg.svd(z, full_matrices=False)
    q = q[:, s > 1e-8 * max(s.max(), 1e-300)]
    return q @ q.T


def _cond_tol(problem: Problem, factor: float = 1e3) -> float:
    # a quantity computed through K⁻¹ (the interpolation weights a(x) = K⁻¹k_x) carries a relative
    # rounding error ≈ cond(K)·N·eps; ``factor`` covers the constants of the eigensolvers and GEMMs
    n = problem.data["x"].shape[0]
    return factor * n * _EPS * _cond(problem)


def _register(cid: str, statement: str, item: str, problems, predict, measure, compare, **kw) -> None:
    register(Claim(f"kernel.{cid}", statement, _SPEC + item, problems, predict, measure, compare, **kw))


# tolerance reasons shared by several claims (printed next to the tolerance in the report)
_COND_REASON = (
    "1e3·N·eps·cond(K), relative to max(1, the largest entry): a quantity computed through K⁻¹ carries a "
    "relative rounding error ≈ cond(K)·N·eps, and 1e3 covers the constants of the eigensolvers and matrix "
    "products"
)
_LBFGS_REASON = (
    "|loss gap| / max(1, |L*|) ≤ 1e-8: multi-start L-BFGS (gtol 1e-10) ends above the optimum by "
    "O(gtol²/curvature) ≪ 1e-9, and otherwise the two differ by rounding (cond(K)·eps of the terms)"
)
_SLSQP_REASON = (
    "SLSQP with ftol 1e-14 stops within ~1e-10 relative of a KKT point; 1e-8 relative to max(1, |L|) "
    "leaves margin"
)
_INVARIANCE_REASON = (
    "1e4·N·eps·cond(K), relative to max(1, max|k*|): k* at test points goes through K⁻¹ (rounding "
    "cond(K)·N·eps) and the tie-break subspace adds its inverse eigengap"
)


# --------------------------------------------------------------------------- 1 representer form
def _rep_predict(problem: Problem, xp: ModuleType) -> dict:
    from ssltheory.kernel import induced_kernel, kernel_ssl_solve

    k, _, graph = _gram(problem, xp)
    sol = kernel_ssl_solve(k, graph, n_components=problem.params["n"], loss=problem.params["loss"])
    return {
        "f": _h(sol.coef @ k),
        "kstar": _h(induced_kernel(sol.coef, k)),
        "z": _h(sol.embedding).T,
        "m": _h(sol.train_gram),
        "d": problem.params["n"],
    }


def _rep_measure(problem: Problem, xp: ModuleType) -> dict:
    return {}


def _rep_compare(pred: dict, meas: dict, problem: Problem, xp: ModuleType) -> Comparison:
    err_f = np.max(np.abs(pred["f"] - pred["z"])) / max(1.0, np.abs(pred["z"]).max())
    err_k = np.max(np.abs(pred["kstar"] - pred["m"])) / max(1.0, np.abs(pred["m"]).max())
    w = np.linalg.eigvalsh((pred["kstar"] + pred["kstar"].T) / 2)
    d = pred["d"]
    rank_defect = max(np.abs(w[:-d]).max(), -w.min()) / max(1.0, w.max())
    err = float(max(err_f, err_k, rank_defect))
    return Comparison(
        "f(x_i)=z_i, k*=M, rank<=d", f"max dev {err:.2e}", err, _cond_tol(problem), {"error": err}
    )


def _rep_problems(rng, quick):
    out = []
    for p in _clique_problems(rng, quick):
        for loss in ("wmse", "vicreg", "spectral_contrastive"):
            out.append(Problem(f"{p.name} {loss}", p.data, {**p.params, "loss": loss}))
    return out


_register(
    "representer",
    "f(x) = C k_x; on training views f(x_i) = z_i and k*(x_i, x_j) = M_ij; k* is PSD of rank <= d",
    "1",
    _rep_problems,
    _rep_predict,
    _rep_measure,
    _rep_compare,
    tolerance_reason=_COND_REASON,
)


# --------------------------------------------------------------------------- 2, 19 SC-u optimality vs L-BFGS
def _factor(k: np.ndarray, rtol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    w, v = np.linalg.eigh(k)
    keep = w > rtol * w.max()
    return v[:, keep], w[keep]


def _opt_problems(rng, quick, *, losses: Sequence[str]):
    out = []
    sizes = [8] if quick else [8, 12]
    for n_views in sizes:
        x = rng.standard_normal((n_views, 2))
        graph = _weighted(rng, n_views)
        for rank_def in (False, True):
            for loss in losses:
                params = {
                    "d": 3,
                    "loss": loss,
                    "rank_deficient": rank_def,
                    "ridge": 0.05,
                    "output_penalty": 0.1,
                }
                out.append(
                    Problem(
                        f"N={n_views} {loss}{' rank-deficient' if rank_def else ''}",
                        {"x": x, "graph": graph},
                        params,
                    )
                )
    return out


def _opt_gram(problem: Problem) -> np.ndarray:
    x = problem.data["x"]
    if problem.params["rank_deficient"]:
        return x @ x.T + 1.0  # affine-linear kernel x·x' + 1: rank 3
    # bandwidth 0.5 keeps cond(K) moderate (~10²) so that L-BFGS converges in well under a second
    return _rbf(x, bw=0.5)


def _opt_kwargs(problem: Problem) -> dict:
    loss = problem.params["loss"]
    kw: dict[str, Any] = {"n_components": problem.params["d"], "ridge": problem.params["ridge"]}
    if loss == "sc_u":
        kw.update(
            loss="spectral_contrastive", weighting="none", output_penalty=problem.params["output_penalty"]
        )
    elif loss == "sc_w":
        kw.update(
            loss="spectral_contrastive", weighting="degree", output_penalty=problem.params["output_penalty"]
        )
    elif loss == "vicreg":
        kw.update(loss="vicreg", invariance_weight=0.5, variance_weight=2.0)
    elif loss == "vicreg_c":
        kw.update(loss="vicreg", invariance_weight=0.5, variance_weight=2.0, center=True)
    return kw


def _opt_predict(problem: Problem, xp: ModuleType) -> dict:
    from ssltheory.kernel import kernel_ssl_solve

    k = xp.asarray(_opt_gram(problem))
    sol = kernel_ssl_solve(k, xp.asarray(problem.data["graph"]), **_opt_kwargs(problem))
    return {"loss": sol.loss, "m": _h(sol.train_gram)}


def _loss_in_z(problem: Problem, zt: np.ndarray, kplus: np.ndarray) -> tuple[float, np.ndarray]:
    """Objective and gradient in Zᵀ (N×d), written directly from spec §2 (independent of _core)."""
    a = problem.data["graph"]
    n = a.shape[0]
    loss = problem.params["loss"]
    rho, rho_o = problem.params["ridge"], problem.params["output_penalty"]
    val = rho * np.sum(zt * (kplus @ zt))
    grad = 2 * rho * kplus @ zt
    if loss == "sc_u":
        g = zt.T @ zt
        val += -2 * np.sum(zt * (a @ zt)) + np.sum(g * g) + rho_o * np.sum(zt * zt)
        grad += -4 * a @ zt + 4 * zt @ g + 2 * rho_o * zt
    elif loss == "sc_w":
        s = a.sum()
        w = a.sum(1) / s
        g = zt.T @ (w[:, None] * zt)
        val += -2 * np.sum(zt * (a @ zt)) / s + np.sum(g * g) + rho_o * np.trace(g)
        grad += -4 * (a @ zt) / s + 4 * (w[:, None] * zt) @ g + 2 * rho_o * w[:, None] * zt
    else:
        gamma, alpha = 0.5, 2.0
        lap = np.diag(a.sum(1)) - a
        zc = zt - zt.mean(0) if loss == "vicreg_c" else zt
        cov = zc.T @ zc / n - np.eye(zt.shape[1])
        val += alpha * np.sum(cov * cov) + 2 * gamma / n * np.sum(zt * (lap @ zt))
        grad += alpha * 4 / n * zc @ cov + 4 * gamma / n * lap @ zt
    return float(val), grad


def _opt_measure(problem: Problem, xp: ModuleType) -> dict:
    """Multi-start L-BFGS in range coordinates Zᵀ = V_r Yᵀ (spec §3.7; K's range from NumPy)."""
    k = _opt_gram(problem)
    vr, lam = _factor(k)
    kplus = (vr / lam) @ vr.T
    d = problem.params["d"]
    rng = np.random.default_rng(0)

    def fy(y: np.ndarray) -> tuple[float, np.ndarray]:
        val, gz = _loss_in_z(problem, vr @ y.T, kplus)
        return val, (vr.T @ gz).T

    best = minimize_multistart(
        fy, (d, lam.shape[0]), rng=rng, n_starts=2, scale=0.5, gtol=1e-10, maxiter=3000
    )
    zt = vr @ best.embedding.T
    return {"loss": best.loss, "m": zt @ zt.T}


def _opt_compare(pred: dict, meas: dict, problem: Problem, xp: ModuleType) -> Comparison:
    scale = max(1.0, abs(pred["loss"]))
    gap = (meas["loss"] - pred["loss"]) / scale
    # L-BFGS (gtol=1e-10 in _opt_measure) ends above the optimum by O(gtol²/curvature) ≪ 1e-9 and
    # the closed form is exact up to rounding (cond(K)·eps of its terms): the error is the
    # two-sided |gap| with tolerance 1e-8 (~1e-12 observed)
    err = abs(gap)
    m_err = float(np.max(np.abs(pred["m"] - meas["m"]))) / max(1.0, np.abs(pred["m"]).max())
    return Comparison(pred["loss"], meas["loss"], err, 1e-8, {"loss_gap": gap, "m_error": m_err})


_register(
    "sc_unweighted.optimality",
    "SC-u (+ output penalty + RKHS ridge): the closed form attains the multi-start L-BFGS optimum, "
    "for invertible and rank-deficient K",
    "2, 3, 19",
    lambda rng, quick: _opt_problems(rng, quick, losses=["sc_u"]),
    _opt_predict,
    _opt_measure,
    _opt_compare,
    tolerance_reason=_LBFGS_REASON,
)
_register(
    "sc_weighted.optimality",
    "SC-w (+ output penalty + RKHS ridge): the closed form attains the multi-start L-BFGS optimum",
    "20",
    lambda rng, quick: _opt_problems(rng, quick, losses=["sc_w"]),
    _opt_predict,
    _opt_measure,
    _opt_compare,
    tolerance_reason=_LBFGS_REASON,
)
_register(
    "vicreg_soft.optimality",
    "VIC-soft + RKHS ridge, uncentred and centred: the closed form attains the L-BFGS optimum",
    "21",
    lambda rng, quick: [
        p
        for p in _opt_problems(rng, quick, losses=["vicreg", "vicreg_c"])
        if not (p.params["loss"] == "vicreg_c" and p.params["rank_deficient"])
    ],
    _opt_predict,
    _opt_measure,
    _opt_compare,
    tolerance_reason=_LBFGS_REASON,
)


# --------------------------------------------------------------------------- 3 soft-thresholding
def _soft_problems(rng, quick):
    out = []
    for n, m in [(3, 4)] if quick else [(3, 4), (5, 4), (4, 3)]:
        x, g, xt = _views(rng, n, m)
        for self_loops in (False, True):
            out.append(
                Problem(
                    f"SC-u clique n={n} m={m} self_loops={self_loops}",
                    {"x": x, "groups": g, "xt": xt},
                    {"n": n, "m": m, "bw": 1.0, "self_loops": self_loops, "kind": "sc"},
                )
            )
    w = _weighted(rng, 9)
    x = rng.standard_normal((9, 2))
    for d in (3, 7):
        out.append(Problem(f"VIC-soft weighted N=9 d={d}", {"x": x, "graph": w}, {"d": d, "kind": "vic"}))
    return out


def _soft_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    """Closed-form spectrum of M: (θ − ρo/2)₊ for SC-u; s_k = N(1 − γℓ_k/α)₊ for VIC-soft."""
    from ssltheory.kernel import kernel_ssl_solve

    if problem.params["kind"] == "sc":
        k, _, graph = _gram(problem, xp)
        sol = kernel_ssl_solve(
            k,
            graph,
            n_components=problem.params["n"],
            loss="spectral_contrastive",
            weighting="none",
            output_penalty=1.5,
        )
    else:
        a = problem.arrays(xp)
        k = xp.asarray(_rbf(problem.data["x"], bw=0.5))
        sol = kernel_ssl_solve(
            k,
            a["graph"],
            n_components=problem.params["d"],
            loss="vicreg",
            invariance_weight=0.7,
            variance_weight=1.3,
        )
    return np.sort(np.linalg.eigvalsh(_h(sol.train_gram)))[::-1]


def _soft_measure(problem: Problem, xp: ModuleType) -> np.ndarray:
    """The same spectrum from the graph alone (K invertible): eigenvalues of A or L by NumPy."""
    if problem.params["kind"] == "sc":
        a = _clique(problem.data["groups"], problem.params["self_loops"])
        theta = np.sort(np.linalg.eigvalsh(a))[::-1][: problem.params["n"]]
        vals = np.clip(theta - 1.5 / 2, 0, None)
    else:
        a = problem.data["graph"]
        ell = np.linalg.eigvalsh(np.diag(a.sum(1)) - a)[: problem.params["d"]]
        vals = a.shape[0] * np.clip(1 - 0.7 * ell / 1.3, 0, None)
    n_all = (problem.data["x"]).shape[0]
    return np.sort(np.concatenate([vals, np.zeros(n_all - vals.shape[0])]))[::-1]


def _soft_compare(pred, meas, problem, xp) -> Comparison:
    # eigenvalues of M from a backward-stable eigh: absolute error ~ N·eps·‖M‖ on each side, with
    # M's rounding itself amplified by cond(K) through K⁻¹ in the range restriction
    scale = max(1.0, float(np.max(np.abs(meas))))
    err = float(np.max(np.abs(pred - meas))) / scale
    return Comparison(
        f"{pred[0]:.6g}…",
        f"{meas[0]:.6g}…",
        err,
        _cond_tol(problem)
        if "groups" in problem.data
        else 1e3 * pred.shape[0] * _EPS * float(np.linalg.cond(_rbf(problem.data["x"], bw=0.5))),
        {"predicted": pred.tolist(), "measured": meas.tolist()},
    )


_register(
    "soft_threshold",
    "SC-u + output penalty: eigenvalues (θ − ρo/2)₊ (clique m=4, ρo=1.5: 2.25, or 3.25 with self-loops); "
    "VIC-soft: s_k = N(1 − γℓ_k/α)₊ with extra directions exactly zero",
    "3",
    _soft_problems,
    _soft_predict,
    _soft_measure,
    _soft_compare,
    tolerance_reason="eigenvalues of M from a backward-stable eigh: absolute error ~ N·eps·‖M‖ on each "
    "side, with M's rounding amplified by cond(K) through K⁻¹ in the range restriction: 1e3·N·eps·cond(K), "
    "relative to max(1, the largest eigenvalue)",
)


# --------------------------------------------------------------------------- 4, 5, 16 clique structure
def _struct_problems(rng, quick):
    out = []
    for p in _clique_problems(rng, quick):
        for loss in ("sc_u", "sc_u_loops", "sc_w", "wmse", "wmse_c"):
            out.append(
                Problem(
                    f"{p.name} {loss}", p.data, {**p.params, "loss": loss, "self_loops": loss == "sc_u_loops"}
                )
            )
    return out


def _struct_kwargs(loss: str) -> dict:
    return {
        "sc_u": {"loss": "spectral_contrastive", "weighting": "none"},
        "sc_u_loops": {"loss": "spectral_contrastive", "weighting": "none"},
        "sc_w": {"loss": "spectral_contrastive"},
        "wmse": {"loss": "wmse"},
        "wmse_c": {"loss": "wmse", "center": True},
    }[loss]


def _corr_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.kernel import kernel_ssl_solve

    k, _, graph = _gram(problem, xp)
    n, loss = problem.params["n"], problem.params["loss"]
    d = n - 1 if loss == "wmse_c" else n
    m_mat = _h(kernel_ssl_solve(k, graph, n_components=d, **_struct_kwargs(loss)).train_gram)
    if loss == "wmse_c":
        h = np.eye(m_mat.shape[0]) - 1.0 / m_mat.shape[0]
        m_mat = h @ m_mat @ h
    return m_mat


def _corr_measure(problem: Problem, xp: ModuleType) -> np.ndarray:
    g = problem.data["groups"]
    n, m = problem.params["n"], problem.params["m"]
    big_n = n * m
    same = (g[:, None] == g[None, :]).astype(float)
    loss = problem.params["loss"]
    c = {"sc_u": (m - 1) / m, "sc_u_loops": 1.0, "sc_w": big_n / m, "wmse": big_n / m, "wmse_c": big_n / m}[
        loss
    ]
    return c * same - (1.0 if loss == "wmse_c" else 0.0)


def _corr_compare(pred, meas, problem, xp) -> Comparison:
    scale = max(1.0, float(np.max(np.abs(meas))))
    within = float(np.mean(pred[meas == meas.max()]))
    return Comparison(
        predicted=f"within {float(meas.max()):.4g}, across {float(meas.min()):.4g}",
        measured=f"within {within:.4g}",
        error=float(np.max(np.abs(pred - meas))) / scale,
        tolerance=_cond_tol(problem),
        details={"loss": problem.params["loss"]},
    )


_register(
    "correlate_decorrelate",
    "clique graph, K invertible, d = n: k*(x_i, x_j) = c·1[g(i) = g(j)] with c = (m−1)/m (SC-u), 1 (SC-u, "
    "self-loops), N/m (SC-w, VIC-hard); centred VIC-hard d = n−1: HMH = N/m − 1 within, −1 across",
    "5",
    _struct_problems,
    _corr_predict,
    _corr_measure,
    _corr_compare,
    tolerance_reason=_COND_REASON,
)


def _inv_problems(rng, quick):
    out = []
    for p in _clique_problems(rng, quick):
        for loss in ("sc_u", "sc_w", "wmse", "wmse_c"):
            d = max(1, p.params["n"] - (2 if loss == "wmse_c" else 1))
            out.append(Problem(f"{p.name} {loss} d={d}", p.data, {**p.params, "loss": loss, "d": d}))
    return out


def _inv_predict(problem: Problem, xp: ModuleType) -> dict:
    from ssltheory.kernel import kernel_ssl_solve

    k, _, graph = _gram(problem, xp)
    sol = kernel_ssl_solve(
        k, graph, n_components=problem.params["d"], **_struct_kwargs(problem.params["loss"])
    )
    return {"z": _h(sol.embedding), "m": _h(sol.train_gram)}


def _inv_measure(problem: Problem, xp: ModuleType) -> dict:
    """Invariance defect Σ A_ij ‖z_i − z_j‖² (brute force over pairs) and Tr M, on the host."""
    return {}


def _inv_compare(pred, meas, problem, xp) -> Comparison:
    z = pred["z"]
    a = _clique(problem.data["groups"])
    diff = z[:, None, :] - z[None, :, :]
    defect = float(np.sum(a * np.sum(diff * diff, axis=2)))
    scale = float(np.sum(a)) * max(1.0, float(np.trace(pred["m"])) / z.shape[0])
    # exact zero in exact arithmetic (spec item 4, from item 5); rounding of z is cond(K)·eps-level and
    # enters squared-differences linearly via 2|z|·δz, hence the cond tolerance on the relative defect
    err = defect / scale
    return Comparison(0.0, defect, err, _cond_tol(problem), {"defect": defect})


_register(
    "perfect_invariance",
    "clique graph, ρ → 0⁺, d <= n (uncentred) or d <= n − 1 (centred): z_i = z_j whenever g(i) = g(j)",
    "4",
    _inv_problems,
    _inv_predict,
    _inv_measure,
    _inv_compare,
    tolerance_reason="the defect is zero in exact arithmetic; the rounding of z (cond(K)·eps-level) enters "
    "the squared differences linearly via 2|z|·δz, so the relative defect is within 1e3·N·eps·cond(K)",
)


def _trace_problems(rng, quick):
    out = []
    for p in _clique_problems(rng, quick):
        for loss in ("wmse", "sc_u", "sc_u_loops"):
            for d in (1, p.params["n"]):
                out.append(
                    Problem(
                        f"{p.name} {loss} d={d}",
                        p.data,
                        {**p.params, "loss": loss, "d": d, "self_loops": loss == "sc_u_loops"},
                    )
                )
    return out


def _trace_predict(problem: Problem, xp: ModuleType) -> float:
    from ssltheory.kernel import kernel_ssl_solve

    k, _, graph = _gram(problem, xp)
    sol = kernel_ssl_solve(
        k, graph, n_components=problem.params["d"], **_struct_kwargs(problem.params["loss"])
    )
    return float(xp.linalg.trace(sol.train_gram))


def _trace_measure(problem: Problem, xp: ModuleType) -> float:
    n, m, d, loss = problem.params["n"], problem.params["m"], problem.params["d"], problem.params["loss"]
    return float({"wmse": n * m * d, "sc_u": d * (m - 1), "sc_u_loops": d * m}[loss])


def _trace_compare(pred, meas, problem, xp) -> Comparison:
    err = abs(pred - meas) / max(1.0, meas)
    return Comparison(pred, meas, err, _cond_tol(problem), {})


_register(
    "traces",
    "Tr M* = N d (VIC-hard); SC-u on a clique with d <= n: d(m−1) (default) or d m (self-loops)",
    "16",
    _trace_problems,
    _trace_predict,
    _trace_measure,
    _trace_compare,
    tolerance_reason=_COND_REASON,
)


# --------------------------------------------------------------------------- 6 loss equivalence
def _equiv_problems(rng, quick):
    out = []
    for p in _clique_problems(rng, quick):
        for d in (2, p.params["n"]):
            out.append(Problem(f"{p.name} d={d}", p.data, {**p.params, "d": d}))
    return out


def _equiv_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.kernel import induced_kernel, kernel_ssl_solve

    k, kt, graph = _gram(problem, xp)
    sol = kernel_ssl_solve(k, graph, n_components=problem.params["d"], loss="wmse")
    return _h(induced_kernel(sol.coef, kt)) / k.shape[0]


def _equiv_measure(problem: Problem, xp: ModuleType) -> dict:
    from ssltheory.kernel import induced_kernel, kernel_ssl_solve

    k, kt, graph = _gram(problem, xp)
    d, m = problem.params["d"], problem.params["m"]
    sc_u = kernel_ssl_solve(k, graph, n_components=d, loss="spectral_contrastive", weighting="none")
    sc_w = kernel_ssl_solve(k, graph, n_components=d, loss="spectral_contrastive")
    return {
        "sc_u": _h(induced_kernel(sc_u.coef, kt)) / (m - 1),
        "sc_w": _h(induced_kernel(sc_w.coef, kt)) / k.shape[0],
    }


def _equiv_compare(pred, meas, problem, xp) -> Comparison:
    scale = max(1e-12, float(np.max(np.abs(pred))))
    err = max(float(np.max(np.abs(pred - meas["sc_u"]))), float(np.max(np.abs(pred - meas["sc_w"])))) / scale
    # three different eigenproblems (L_r, A_r, Bᵀ Ā B) with the same tie-break: each subspace is exact up
    # to cond(K)·eps over the tie-break gap, and test-point kernels go through K⁻¹ once more
    return Comparison(float(pred[0, 0]), float(meas["sc_u"][0, 0]), err, _cond_tol(problem, 1e4), {})


_register(
    "loss_equivalence",
    "clique graph (tie-break for d < n): k*_VIC/N = k*_SC-w/N = k*_SC-u/(m−1) at arbitrary new points",
    "6",
    _equiv_problems,
    _equiv_predict,
    _equiv_measure,
    _equiv_compare,
    tolerance_reason="three different eigenproblems with the same tie-break: each subspace is exact up to "
    "cond(K)·eps over the tie-break gap, and test-point kernels go through K⁻¹ once more: "
    "1e4·N·eps·cond(K), relative to max|k*|",
)


# --------------------------------------------------------------------------- 7 tie-break
def _tie_problems(rng, quick):
    out = []
    for p in _clique_problems(
        rng, quick, sizes=[(5, 3), (6, 2)] if quick else [(5, 3), (6, 2), (8, 3), (6, 4)]
    ):
        for loss in ("sc_u", "sc_w", "wmse"):
            out.append(Problem(f"{p.name} {loss} d=2", p.data, {**p.params, "loss": loss, "d": 2}))
    return out


def _tie_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.kernel import kernel_ssl_solve

    k, _, graph = _gram(problem, xp)
    sol = kernel_ssl_solve(k, graph, n_components=2, **_struct_kwargs(problem.params["loss"]))
    return _proj(_h(sol.embedding))


def _tie_measure(problem: Problem, xp: ModuleType) -> dict:
    """Spec §3.6 clique formula: span(E_o q_k), q_k bottom eigenvectors of T = E_oᵀ K⁻¹ E_o."""
    g = problem.data["groups"]
    k = _rbf(problem.data["x"], bw=problem.params["bw"])
    e = (g[:, None] == np.arange(problem.params["n"])[None, :]).astype(float)
    eo = e / np.sqrt(e.sum(0))
    t = eo.T @ np.linalg.solve(k, eo)
    w, q = np.linalg.eigh((t + t.T) / 2)
    return {"proj": _proj(eo @ q[:, :2]), "gap": float((w[2] - w[1]) / max(w[1], 1e-300))}


def _tie_compare(pred, meas, problem, xp) -> Comparison:
    err = float(np.linalg.norm(pred - meas["proj"]))
    # subspace rounding: cond(K)·N·eps relative perturbation of T over its relative gap at d (Davis–Kahan)
    tol = _cond_tol(problem) / max(meas["gap"], 1e-3)
    return Comparison("‖P_pred‖=√2", f"‖ΔP‖={err:.2e}", err, tol, {"gap": meas["gap"]})


_register(
    "tie_break",
    "clique graph, d < n: the ρ → 0⁺ optimum of SC-u, SC-w and VIC-hard is span(E_o q_k), q_k the bottom "
    "eigenvectors of T = E_oᵀ K⁻¹ E_o (smoothest group-invariant functions)",
    "7",
    _tie_problems,
    _tie_predict,
    _tie_measure,
    _tie_compare,
    error_kind="projector distance",
    tolerance_reason="Davis–Kahan: the projector distance is at most the relative perturbation of T, "
    "1e3·N·eps·cond(K), over T's relative eigengap at d (floored at 1e-3)",
)


def _tie_rho_problems(rng, quick):
    p = _clique_problems(rng, quick, sizes=[(5, 3)], bw=2.0)[0]
    return [Problem(f"{p.name} {loss}", p.data, {**p.params, "loss": loss}) for loss in ("sc_u", "wmse")]


def _tie_rho_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    return _tie_predict(Problem(problem.name, problem.data, {**problem.params, "d": 2}), xp)


def _tie_rho_measure(problem: Problem, xp: ModuleType) -> dict:
    from ssltheory.kernel import kernel_ssl_solve

    k, _, graph = _gram(problem, xp)
    lam_min = float(np.linalg.eigvalsh(_rbf(problem.data["x"], bw=problem.params["bw"]))[0])
    out = {}
    for scale in (1e-2, 1e-3, 1e-4):
        rho = scale * lam_min  # ρ‖K⁻¹‖ = scale ≪ graph gap (m)
        sol = kernel_ssl_solve(k, graph, n_components=2, ridge=rho, **_struct_kwargs(problem.params["loss"]))
        out[scale] = _proj(_h(sol.embedding))
    return out


def _tie_rho_compare(pred, meas, problem, xp) -> Comparison:
    errs = [float(np.linalg.norm(meas[s] - pred)) for s in (1e-2, 1e-3, 1e-4)]
    # O(ρ) convergence: each tenfold decrease of ρ must shrink the error by a factor >= 3 (first-order
    # perturbation theory gives 10; 3 leaves room for the second-order term), until rounding (1e-9)
    ratios = [e0 / max(e1, 1e-12) for e0, e1 in itertools.pairwise(errs)]
    bad = sum(1 for r, e1 in zip(ratios, errs[1:], strict=True) if r < 3 and e1 > 1e-9)
    return Comparison("O(ρ)", ", ".join(f"{e:.1e}" for e in errs), float(bad), 0.0, {"errors": errs})


def _tie_rho_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    for v in verdicts:
        ax.loglog([1e-2, 1e-3, 1e-4], v.details["errors"], "o-", label=v.problem)
    ax.set_xlabel(r"$\rho\,\|K^{-1}\|$")
    ax.set_ylabel(r"$\|P_Z - P_{\rm pred}\|_F$")
    ax.legend(fontsize=7)


_register(
    "tie_break_rate",
    "clique graph, d < n: ‖P_Z(ρ) − P_pred‖_F = O(ρ) as ρ → 0⁺ (SC-u and VIC-hard)",
    "7",
    _tie_rho_problems,
    _tie_rho_predict,
    _tie_rho_measure,
    _tie_rho_compare,
    plot=_tie_rho_plot,
    error_kind="count mismatch",
    figure_caption=(
        "Convergence of the ridge-regularised optimum to the tie-break prediction on a clique graph (n "
        "groups of m views, RBF Gram matrix K with bandwidth 2, d = 2 < n components). x: ρ‖K⁻¹‖ = ρ / "
        "λ_min(K), ρ the ridge; y: ‖P_Z − P_pred‖_F, the Frobenius distance between the orthogonal "
        "projector onto the span of the optimal embedding Z at that ρ and the projector onto the predicted "
        "ρ → 0⁺ limit span(E_o q_k) (E_o the normalised group-indicator matrix, q_k the bottom "
        "eigenvectors of E_oᵀK⁻¹E_o). Legend: sc_u = unweighted spectral contrastive loss, wmse = W-MSE. "
        "Slope 1 on these log axes is the predicted O(ρ)."
    ),
    tolerance_reason="counts the steps that are not O(ρ): each tenfold decrease of ρ must shrink the "
    "projector error by a factor ≥ 3 (first-order perturbation theory gives 10; 3 leaves room for the "
    "second-order term), unless the error is already at rounding (1e-9); none may fail",
)


# --------------------------------------------------------------------------- 8 interpretation
def _interp_problems(rng, quick):
    out = []
    for p in _clique_problems(rng, quick):
        for loops in (True, False):
            out.append(Problem(f"{p.name} self_loops={loops}", p.data, {**p.params, "self_loops": loops}))
    return out


def _interp_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.kernel import induced_kernel, kernel_ssl_solve

    k, kt, graph = _gram(problem, xp)
    sol = kernel_ssl_solve(
        k, graph, n_components=problem.params["n"], loss="spectral_contrastive", weighting="none"
    )
    return _h(induced_kernel(sol.coef, kt))


def _interp_measure(problem: Problem, xp: ModuleType) -> np.ndarray:
    """Σ_a (Σ_{i∈a} a_i(x)) (Σ_{j∈a} a_j(x')) with interpolation weights a(x) = K⁻¹ k_x (NumPy solve)."""
    x, xt, g = problem.data["x"], problem.data["xt"], problem.data["groups"]
    bw, m = problem.params["bw"], problem.params["m"]
    weights = np.linalg.solve(_rbf(x, bw=bw), _rbf(x, xt, bw=bw))
    e = (g[:, None] == np.arange(problem.params["n"])[None, :]).astype(float)
    per_group = e.T @ weights
    factor = 1.0 if problem.params["self_loops"] else (m - 1) / m
    return factor * per_group.T @ per_group


def _interp_compare(pred, meas, problem, xp) -> Comparison:
    # both sides go through K⁻¹ k_x: cond(K)·N·eps relative to the largest interpolation weights
    return _max_err(pred, meas, problem, _cond_tol(problem), scale=max(1.0, float(np.max(np.abs(meas)))))


_register(
    "interpretation",
    "SC-u, clique, d = n: k*(x, x') = Σ_a (Σ_{i∈a} a_i(x))(Σ_{j∈a} a_j(x')), a(x) = K⁻¹k_x (self-loops; "
    "times (m−1)/m by default)",
    "8",
    _interp_problems,
    _interp_predict,
    _interp_measure,
    _interp_compare,
    tolerance_reason="both sides go through the interpolation weights K⁻¹k_x: 1e3·N·eps·cond(K), relative "
    "to max(1, max|k*|)",
)


# --------------------------------------------------------------------------- 9, 10, 11 invariances
def _invariance_problems(rng, quick):
    out = []
    for p in _clique_problems(rng, quick):
        for loss in ("wmse", "sc_u", "sc_w"):
            perm = rng.permutation(p.data["x"].shape[0])
            rot = np.linalg.qr(rng.standard_normal((3, 3)))[0]
            out.append(
                Problem(
                    f"{p.name} {loss}",
                    {**p.data, "perm": perm, "rot": rot},
                    {**p.params, "loss": loss, "scale": float(rng.uniform(0.1, 10.0))},
                )
            )
    return out


def _kstar(problem: Problem, xp: ModuleType, *, scale: float = 1.0, perm: bool = False) -> Any:
    from ssltheory.kernel import kernel_ssl_solve

    k, kt, graph = _gram(problem, xp)
    if perm:
        idx = xp.asarray(problem.data["perm"])
        k = xp.take(xp.take(k, idx, axis=0), idx, axis=1)
        kt = xp.take(kt, idx, axis=0)
        graph = xp.take(xp.take(graph, idx, axis=0), idx, axis=1)
    sol = kernel_ssl_solve(scale * k, graph, n_components=3, **_struct_kwargs(problem.params["loss"]))
    return sol.coef, scale * kt


def _inv_pred(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.kernel import induced_kernel

    coef, kt = _kstar(problem, xp)
    return _h(induced_kernel(coef, kt))


def _scale_measure(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.kernel import induced_kernel

    coef, kt = _kstar(problem, xp, scale=problem.params["scale"])
    return _h(induced_kernel(coef, kt))


def _perm_measure(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.kernel import induced_kernel

    coef, kt = _kstar(problem, xp, perm=True)
    return _h(induced_kernel(coef, kt))


def _rot_measure(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.kernel import induced_kernel

    coef, kt = _kstar(problem, xp)
    return _h(induced_kernel(xp.asarray(problem.data["rot"]) @ coef, kt))


def _invariance_compare(pred, meas, problem, xp) -> Comparison:
    # k* at test points goes through K⁻¹ (cond(K)·N·eps); the tie-break subspace adds 1/gap ≤ 10³·
    return _max_err(pred, meas, problem, _cond_tol(problem, 1e4), scale=max(1.0, float(np.max(np.abs(pred)))))


for _cid, _stmt, _item, _meas in (
    ("scale_invariance", "k → s·k with ρ = 0 leaves the induced kernel unchanged", "9", _scale_measure),
    (
        "permutation_equivariance",
        "permuting the views (K and A together) leaves k* at test points unchanged",
        "10",
        _perm_measure,
    ),
    ("rotation_invariance", "Z → OZ (C → OC) leaves k* unchanged", "11", _rot_measure),
):
    _register(
        _cid,
        _stmt,
        _item,
        _invariance_problems,
        _inv_pred,
        _meas,
        _invariance_compare,
        tolerance_reason=_INVARIANCE_REASON,
    )


# --------------------------------------------------------------------------- 12, 13 kernel-PCA limits
def _kpca_problems(rng, quick):
    out = []
    for n_views, d in [(12, 2), (15, 3)] if quick else [(12, 2), (15, 3), (40, 4)]:
        x = rng.standard_normal((n_views, 3))
        for centred in (False, True):
            out.append(
                Problem(
                    f"N={n_views} d={d} {'centred kernel vs sklearn' if centred else 'uncentred'}",
                    {"x": x},
                    {"d": d, "centred": centred},
                )
            )
    return out


def _kpca_gram(problem: Problem) -> np.ndarray:
    k = _rbf(problem.data["x"], bw=2.0)
    if problem.params["centred"]:
        h = np.eye(k.shape[0]) - 1.0 / k.shape[0]
        k = h @ k @ h
        k = (k + k.T) / 2
    return k


def _kpca_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.kernel import kernel_ssl_solve

    k = xp.asarray(_kpca_gram(problem))
    no_aug = xp.zeros(k.shape, dtype=k.dtype)  # L = 0: no augmentation
    sol = kernel_ssl_solve(k, no_aug, n_components=problem.params["d"])
    return _proj(_h(sol.embedding))


def _kpca_measure(problem: Problem, xp: ModuleType) -> dict:
    """Top-d eigenvectors of K by NumPy, or scikit-learn ``KernelPCA`` on the centred kernel."""
    d = problem.params["d"]
    k = _kpca_gram(problem)
    w = np.linalg.eigvalsh(k)[::-1]
    if problem.params["centred"]:
        from sklearn.decomposition import KernelPCA

        kraw = _rbf(problem.data["x"], bw=2.0)
        emb = KernelPCA(n_components=d, kernel="precomputed", eigen_solver="dense").fit_transform(kraw)
    else:
        emb = np.linalg.eigh(k)[1][:, ::-1][:, :d]
    kept = w[w > 1e-10 * w[0]]
    gap_k = (w[d - 1] - w[d]) / w[0]
    gap_inv = (1 / kept[d] - 1 / kept[d - 1]) * kept[-1]
    return {"proj": _proj(emb), "relgap": float(min(gap_k, gap_inv)), "cond": float(w[0] / kept[-1])}


def _kpca_compare(pred, meas, problem, xp) -> Comparison:
    err = float(np.linalg.norm(pred - meas["proj"]))
    # subspace rounding: N·eps·cond over the relative eigengap (Davis–Kahan), constants ≤ 10³
    tol = 1e3 * pred.shape[0] * _EPS * meas["cond"] / max(meas["relgap"], 1e-12)
    return Comparison("top-d kPCA", f"‖ΔP‖={err:.2e}", err, tol, {"relgap": meas["relgap"]})


_register(
    "no_augmentation",
    "no augmentation (L = 0), ρ → 0⁺: VIC-hard gives the top-d kernel-PCA subspace (uncentred; "
    "centred kernel = scikit-learn KernelPCA)",
    "12",
    _kpca_problems,
    _kpca_predict,
    _kpca_measure,
    _kpca_compare,
    error_kind="projector distance",
    tolerance_reason="Davis–Kahan: subspace rounding N·eps·cond(K) over the relative eigengap at d, with "
    "constants ≤ 1e3",
)


def _rinf_problems(rng, quick):
    out = []
    for n, m in [(4, 3)] if quick else [(4, 3), (6, 3)]:
        x, g, xt = _views(rng, n, m, noise=0.5)
        out.append(
            Problem(f"clique n={n} m={m} d=2", {"x": x, "groups": g, "xt": xt}, {"n": n, "m": m, "bw": 1.0})
        )
    return out


_RHOS = (1e2, 1e4, 1e6)


def _rinf_predict(problem: Problem, xp: ModuleType) -> list:
    from ssltheory.kernel import kernel_ssl_solve

    k, _, graph = _gram(problem, xp)
    return [_proj(_h(kernel_ssl_solve(k, graph, n_components=2, ridge=rho).embedding)) for rho in _RHOS]


def _rinf_measure(problem: Problem, xp: ModuleType) -> dict:
    """Top-2 kernel PCA (NumPy) and the Davis–Kahan bound √2‖L‖_F/(ρ δ), δ the gap of Λ⁻¹ at d."""
    k = _rbf(problem.data["x"], bw=1.0)
    w, v = np.linalg.eigh(k)
    w, v = w[::-1], v[:, ::-1]
    lap = np.diag(_clique(problem.data["groups"]).sum(1)) - _clique(problem.data["groups"])
    delta = 1 / w[2] - 1 / w[1]
    bounds = [np.sqrt(2) * np.linalg.norm(lap) / (rho * delta) for rho in _RHOS]
    return {"proj": _proj(v[:, :2]), "bounds": bounds}


def _rinf_compare(pred, meas, problem, xp) -> Comparison:
    errs = [float(np.linalg.norm(p - meas["proj"])) for p in pred]
    # Davis–Kahan: S/ρ = Λ⁻¹ + L_r/ρ, so ‖P_ρ − P_kPCA‖_F <= √2‖L‖_F/(ρδ); rounding adds cond·N·eps
    ratio = max(e / (b + _cond_tol(problem)) for e, b in zip(errs, meas["bounds"], strict=True))
    return Comparison("→ kPCA", ", ".join(f"{e:.1e}" for e in errs), ratio, 1.0, {"errors": errs})


_register(
    "ridge_to_kernel_pca",
    "VIC-hard, ρ → ∞: the subspace tends to top-d kernel PCA (augmentations ignored), distance O(1/ρ)",
    "13",
    _rinf_problems,
    _rinf_predict,
    _rinf_measure,
    _rinf_compare,
    error_kind="threshold ratio",
    tolerance_reason="Davis–Kahan: S/ρ = Λ⁻¹ + L_r/ρ, so ‖P_ρ − P_kPCA‖_F ≤ √2‖L‖_F/(ρδ), δ the gap of Λ⁻¹ "
    "at d; rounding adds 1e3·N·eps·cond(K); the error is the worst ratio to this bound over the three ρ",
)


# --------------------------------------------------------------------------- 14 linear kernel = LPP
def _lpp_problems(rng, quick):
    out = []
    for n_views, p in [(14, 4)] if quick else [(14, 4), (30, 6)]:
        x = rng.standard_normal((n_views, p))
        x = x - x.mean(0)  # centred features: uncentred and centred LPP coincide (XᵀHX = XᵀX)
        out.append(Problem(f"N={n_views} p={p} d=2", {"x": x, "graph": _weighted(rng, n_views)}, {"d": 2}))
    return out


def _lpp_predict(problem: Problem, xp: ModuleType) -> dict:
    from ssltheory.kernel import kernel_ssl_solve, linear_kernel

    a = problem.arrays(xp)
    sol = kernel_ssl_solve(linear_kernel(a["x"]), a["graph"], n_components=problem.params["d"])
    return {"proj": _proj(_h(sol.embedding)), "loss": sol.loss}


def _lpp_measure(problem: Problem, xp: ModuleType) -> dict:
    """Locality Preserving Projections: XᵀLXw = μ (1/N) XᵀX w by SciPy's generalised eigh, and the
    spectral module's linear VICReg solution (``spectral.vicreg_linear_weights``, tiny invariance
    weight so that every kept scale is positive)."""
    import scipy.linalg

    from ssltheory.spectral import vicreg_linear_weights

    x, a = problem.data["x"], problem.data["graph"]
    n = x.shape[0]
    lap = np.diag(a.sum(1)) - a
    mu, w = scipy.linalg.eigh(x.T @ lap @ x, x.T @ x / n)
    d = problem.params["d"]
    spectral = vicreg_linear_weights(
        problem.arrays(xp)["x"], problem.arrays(xp)["graph"], n_components=d, invariance_weight=1e-6
    )
    return {
        "proj": _proj(x @ w[:, :d]),
        "proj_spectral": _proj(x @ _h(spectral.weights)),
        "loss": float(mu[:d].sum()),
        "relgap": float((mu[d] - mu[d - 1]) / mu[-1]),
    }


def _lpp_compare(pred, meas, problem, xp) -> Comparison:
    err = max(
        float(np.linalg.norm(pred["proj"] - meas["proj"])),
        float(np.linalg.norm(pred["proj"] - meas["proj_spectral"])),
        abs(pred["loss"] - meas["loss"]) / max(1.0, abs(meas["loss"])),
    )
    cond = float(np.linalg.cond(problem.data["x"])) ** 2
    # generalised eigenvectors: N·eps·cond(XᵀX) over the relative eigengap
    tol = 1e3 * problem.data["x"].shape[0] * _EPS * cond / max(meas["relgap"], 1e-12)
    return Comparison(pred["loss"], meas["loss"], err, tol, {})


_register(
    "linear_lpp",
    "linear kernel K = XXᵀ: VIC-hard equals Locality Preserving Projections XᵀLXw = μ(1/N)XᵀXw and the "
    "spectral module's linear VICReg solution (same subspace, same objective)",
    "14",
    _lpp_problems,
    _lpp_predict,
    _lpp_measure,
    _lpp_compare,
    error_kind="projector distance",
    tolerance_reason="generalised eigenvectors: 1e3·N·eps·cond(XᵀX) over the relative eigengap at d "
    "(Davis–Kahan), for both subspaces and the objective (relative to max(1, |L|))",
)


# --------------------------------------------------------------------------- 15, 22, 23 constrained optima
def _cons_problems(rng, quick):
    out = []
    for n_views in [8] if quick else [8, 10]:
        x = rng.standard_normal((n_views, 2))
        out.append(
            Problem(f"N={n_views} d=2", {"x": x, "graph": _weighted(rng, n_views)}, {"d": 2, "ridge": 0.05})
        )
    return out


def _slsqp(fun, cons, x0s: list[np.ndarray]) -> float:
    from scipy.optimize import minimize

    best = np.inf
    for x0 in x0s:
        res = minimize(
            fun,
            x0,
            jac=True,
            method="SLSQP",
            constraints=[{"type": "eq", "fun": cons}],
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        if res.success and np.max(np.abs(cons(res.x))) < 1e-8:
            best = min(best, float(res.fun))
    return best


def _centred_predict(problem: Problem, xp: ModuleType) -> dict:
    from ssltheory.kernel import kernel_ssl_solve

    a = problem.arrays(xp)
    k = xp.asarray(_rbf(problem.data["x"], bw=0.5))
    sol = kernel_ssl_solve(k, a["graph"], n_components=2, center=True, ridge=problem.params["ridge"])
    return {"loss": sol.loss, "z": _h(sol.embedding)}


def _centred_measure(problem: Problem, xp: ModuleType) -> dict:
    """SLSQP on Tr(ZLZᵀ) + ρTr(ZK⁻¹Zᵀ) s.t. (1/N) Z H Zᵀ = I, two random starts."""
    x, a = problem.data["x"], problem.data["graph"]
    n, d, rho = x.shape[0], 2, problem.params["ridge"]
    kinv = np.linalg.inv(_rbf(x, bw=0.5))
    lap = np.diag(a.sum(1)) - a
    h = np.eye(n) - 1.0 / n
    iu = np.triu_indices(d)

    def fun(flat):
        zt = flat.reshape(n, d)
        m = lap + rho * kinv
        return float(np.sum(zt * (m @ zt))), (2 * m @ zt).ravel()

    def cons(flat):
        zt = flat.reshape(n, d)
        return (zt.T @ h @ zt / n - np.eye(d))[iu]

    rng = np.random.default_rng(0)
    starts = []
    for _ in range(2):
        q = np.linalg.qr(h @ rng.standard_normal((n, d)))[0]
        starts.append((np.sqrt(n) * q + rng.standard_normal(d)[None, :]).ravel())
    return {"loss": _slsqp(fun, cons, starts), "kinv": kinv}


def _centred_compare(pred, meas, problem, xp) -> Comparison:
    # SLSQP with ftol=1e-14 stops within ~1e-10 relative of a KKT point (spec: 1e-11 observed)
    err = abs(pred["loss"] - meas["loss"]) / max(1.0, abs(meas["loss"]))
    return Comparison(pred["loss"], meas["loss"], err, 1e-8, {})


_register(
    "centred_vicreg.optimality",
    "centred VIC-hard (+ ridge): the closed form Zᵀ = √N(U_d + 1bᵀ) attains the SLSQP optimum",
    "15",
    _cons_problems,
    _centred_predict,
    _centred_measure,
    _centred_compare,
    tolerance_reason=_SLSQP_REASON,
)


def _offset_measure(problem: Problem, xp: ModuleType) -> dict:
    """BFGS over a constant offset c of the centred solution, minimising the RKHS norm Tr(ZK⁻¹Zᵀ)."""
    from scipy.optimize import minimize

    z = _centred_predict(problem, xp)["z"]
    kinv = np.linalg.inv(_rbf(problem.data["x"], bw=0.5))
    zc = z - z.mean(0)
    ones = np.ones(z.shape[0])

    def f(c):
        w = zc + ones[:, None] * c[None, :]
        return float(np.sum(w * (kinv @ w))), 2 * (kinv @ w).T @ ones

    res = minimize(f, np.zeros(z.shape[1]), jac=True, method="BFGS", options={"gtol": 1e-10})
    return {"offset": res.x, "scale": float(np.abs(kinv).max())}


def _offset_compare(pred, meas, problem, xp) -> Comparison:
    b = pred["z"].mean(0)  # Zᵀ = √N(U_d + 1bᵀ) with U_d ⊥ 1: the mean row is the offset √N b
    err = float(np.max(np.abs(b - meas["offset"]))) / max(1.0, float(np.abs(pred["z"]).max()))
    # BFGS gtol 1e-10 on a quadratic with curvature 1ᵀK⁻¹1 ≥ N/λ_max: offset error <= gtol·λ_max/N,
    # plus rounding through K⁻¹ (cond·N·eps); 1e-6 covers both with margin (spec: ~1e-5 with defaults)
    return Comparison(f"{b[0]:.6g}", f"{meas['offset'][0]:.6g}", err, 1e-6, {})


_register(
    "centred_vicreg.offset",
    "centred VIC-hard: the offset b = −U_dᵀs/(1ᵀs) is the numerically optimal (minimum RKHS norm) "
    "constant offset",
    "22",
    _cons_problems,
    _centred_predict,
    _offset_measure,
    _offset_compare,
    tolerance_reason="BFGS (gtol 1e-10) on a quadratic with curvature 1ᵀK⁻¹1 ≥ N/λ_max: the offset error is "
    "≤ gtol·λ_max/N, plus rounding through K⁻¹ (cond(K)·N·eps); 1e-6 covers both with margin",
)


def _feat_predict(problem: Problem, xp: ModuleType) -> dict:
    from ssltheory.kernel import kernel_ssl_solve

    a = problem.arrays(xp)
    k = xp.asarray(_rbf(problem.data["x"], bw=0.5))
    sol = kernel_ssl_solve(k, a["graph"], n_components=2, normalization="feature")
    return {"loss": sol.loss}


def _feat_measure(problem: Problem, xp: ModuleType) -> dict:
    """SLSQP over C (d×N): min Tr(C K L K Cᵀ) s.t. C K Cᵀ = I (feature-space whitening)."""
    x, a = problem.data["x"], problem.data["graph"]
    n, d = x.shape[0], 2
    k = _rbf(x, bw=0.5)
    lap = np.diag(a.sum(1)) - a
    klk = k @ lap @ k
    iu = np.triu_indices(d)

    def fun(flat):
        c = flat.reshape(d, n)
        return float(np.sum(c * (c @ klk))), (2 * c @ klk).ravel()

    def cons(flat):
        c = flat.reshape(d, n)
        return (c @ k @ c.T - np.eye(d))[iu]

    rng = np.random.default_rng(0)
    w, v = np.linalg.eigh(k)
    starts = []
    for _ in range(2):
        q = np.linalg.qr(rng.standard_normal((n, d)))[0]
        starts.append(((v / np.sqrt(w)) @ v.T @ q).T.ravel())  # feasible: C = Qᵀ K^{-1/2}
    return {"loss": _slsqp(fun, cons, starts)}


_register(
    "feature_normalization.optimality",
    "feature normalisation WW* = I: the bottom-d eigenvectors of K^½LK^½ attain the SLSQP optimum",
    "23",
    _cons_problems,
    _feat_predict,
    _feat_measure,
    _centred_compare,
    tolerance_reason=_SLSQP_REASON,
)


# --------------------------------------------------------------------------- 17, 18 downstream
def _probe_problems(rng, quick):
    out = []
    for p in _clique_problems(rng, quick):
        y = rng.standard_normal(p.data["x"].shape[0])
        out.append(Problem(p.name, {**p.data, "y": y}, {**p.params, "alpha": 0.1}))
    return out


def _probe_features(problem: Problem, xp: ModuleType) -> tuple[np.ndarray, np.ndarray]:
    from ssltheory.kernel import kernel_ssl_solve

    k, kt, graph = _gram(problem, xp)
    sol = kernel_ssl_solve(k, graph, n_components=3)
    return _h(sol.coef @ k).T, _h(sol.coef @ kt).T


def _probe_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    """Kernel ridge regression with the induced kernel k* (library ``induced_kernel``)."""
    from ssltheory.kernel import induced_kernel, kernel_ssl_solve

    k, kt, graph = _gram(problem, xp)
    sol = kernel_ssl_solve(k, graph, n_components=3)
    ks, kts = _h(induced_kernel(sol.coef, k)), _h(induced_kernel(sol.coef, kt, k))
    dual = np.linalg.solve(ks + problem.params["alpha"] * np.eye(ks.shape[0]), problem.data["y"])
    return kts @ dual


def _probe_measure(problem: Problem, xp: ModuleType) -> np.ndarray:
    """Ridge regression (primal, d×d normal equations) on the representation f."""
    f, ft = _probe_features(problem, xp)
    w = np.linalg.solve(f.T @ f + problem.params["alpha"] * np.eye(f.shape[1]), f.T @ problem.data["y"])
    return ft @ w


def _probe_compare(pred, meas, problem, xp) -> Comparison:
    # push-through identity; the dual solve has cond <= (‖K*‖+α)/α ~ 10²·N, rounding N·eps times that
    tol = 1e3 * problem.data["x"].shape[0] ** 2 * _EPS * _cond(problem) / problem.params["alpha"]
    return _max_err(pred, meas, problem, tol, scale=max(1.0, float(np.max(np.abs(meas)))))


_register(
    "linear_probe_krr",
    "a ridge linear probe on f equals kernel ridge regression with the induced kernel k*",
    "17",
    _probe_problems,
    _probe_predict,
    _probe_measure,
    _probe_compare,
    tolerance_reason="push-through identity; the dual solve has condition number ≤ (‖K*‖ + α)/α, so its "
    "rounding is N·eps times that: 1e3·N²·eps·cond(K)/α, relative to max(1, the largest prediction)",
)


def _rad_predict(problem: Problem, xp: ModuleType) -> float:
    """Bound B/|S| √(Σ_{x∈S} k*(x, x)) with B = 1 on the test points plus the training views."""
    from ssltheory.kernel import induced_kernel, kernel_ssl_solve

    k, kt, graph = _gram(problem, xp)
    sol = kernel_ssl_solve(k, graph, n_components=3)
    diag = _h(xp.linalg.diagonal(induced_kernel(sol.coef, xp.concat([k, kt], axis=1))))
    return float(np.sqrt(diag.sum()) / diag.shape[0])


def _rad_measure(problem: Problem, xp: ModuleType) -> dict:
    """Monte Carlo: E_σ sup_{‖w‖<=1} (1/|S|) Σσ_i wᵀf(x_i) = E‖Σσ_i f(x_i)‖/|S| (4000 sign draws)."""
    f, ft = _probe_features(problem, xp)
    feats = np.concatenate([f, ft])
    rng = np.random.default_rng(0)
    sig = rng.choice([-1.0, 1.0], size=(4000, feats.shape[0]))
    vals = np.linalg.norm(sig @ feats, axis=1) / feats.shape[0]
    return {"mean": float(vals.mean()), "sem": float(vals.std() / np.sqrt(vals.size))}


def _rad_compare(pred, meas, problem, xp) -> Comparison:
    # the bound is Jensen's (E‖v‖ <= √E‖v‖²): error is the excess of the estimate over the bound,
    # tolerated up to 4 standard errors of the Monte Carlo mean
    excess = max(0.0, meas["mean"] - pred)
    return Comparison(pred, meas["mean"], excess, 4 * meas["sem"], {})


_register(
    "rademacher_bound",
    "capacity proxy: the empirical Rademacher complexity of {wᵀf : ‖w‖ <= B} on S is at most "
    "B/|S| √(Σ_{x∈S} k*(x, x)) (standard bound, not from the paper)",
    "18",
    _clique_problems,
    _rad_predict,
    _rad_measure,
    _rad_compare,
    error_kind="bound violation",
    tolerance_reason="the Monte Carlo estimate (4000 sign draws) may exceed Jensen's bound only by 4 "
    "standard errors of its mean",
)


# --------------------------------------------------------------------------- Nyström scale-out
def _nys_problems(rng, quick):
    out = []
    for n, m in [(8, 3)] if quick else [(8, 3), (20, 4)]:
        x, g, xt = _views(rng, n, m, noise=0.4)
        order = rng.permutation(n * m)
        out.append(
            Problem(
                f"clique n={n} m={m}",
                {"x": x, "groups": g, "xt": xt, "order": order},
                {"n": n, "m": m, "bw": 1.5},
            )
        )
    return out


def _nys_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    """Exact closed form (dense Gram), induced kernel on training views and test points."""
    from ssltheory.kernel import induced_kernel, kernel_ssl_solve, rbf_kernel

    k, _, graph = _gram(problem, xp)
    a = problem.arrays(xp)
    pts = xp.concat([a["x"], a["xt"]], axis=0)
    sol = kernel_ssl_solve(k, graph, n_components=2, ridge=1e-2)
    return _h(induced_kernel(sol.coef, rbf_kernel(a["x"], pts, bandwidth=problem.params["bw"])))


def _nys_measure(problem: Problem, xp: ModuleType) -> dict:
    """Nyström features on nested landmark sets (N/4, N/2, N) + ``linear_ssl_solve``."""
    from ssltheory.kernel import linear_ssl_solve, nystrom_features, rbf_kernel

    _, _, graph = _gram(problem, xp)
    a = problem.arrays(xp)
    bw = problem.params["bw"]
    pts = xp.concat([a["x"], a["xt"]], axis=0)
    n_all = a["x"].shape[0]
    out = {}
    for n_land in (n_all // 4, n_all // 2, n_all):
        idx = xp.asarray(np.sort(problem.data["order"][:n_land]))
        land = xp.take(a["x"], idx, axis=0)
        k_ll = rbf_kernel(land, bandwidth=bw)
        sol = linear_ssl_solve(
            nystrom_features(rbf_kernel(a["x"], land, bandwidth=bw), k_ll), graph, n_components=2, ridge=1e-2
        )
        f = _h(nystrom_features(rbf_kernel(pts, land, bandwidth=bw), k_ll) @ sol.weights)
        out[n_land] = f @ f.T
    return out


def _nys_compare(pred, meas, problem, xp) -> Comparison:
    sizes = sorted(meas)
    errs = [float(np.max(np.abs(meas[s] - pred))) / max(1.0, float(np.abs(pred).max())) for s in sizes]
    # exactness at |L| = N: the rtol=1e-10-truncated K^{-1/2} perturbs features by ~√(rtol)·‖K‖ at worst;
    # decrease: each doubling of nested landmarks must not increase the error by more than 10 %
    exact_err = errs[-1]
    monotone = all(e1 <= 1.1 * e0 + 1e-6 for e0, e1 in itertools.pairwise(errs))
    err = exact_err if monotone else float("inf")
    return Comparison(
        "exact at |L| = N, decreasing",
        ", ".join(f"{e:.1e}" for e in errs),
        err,
        1e-5,
        {"landmarks": sizes, "errors": errs},
    )


def _nys_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    for v in verdicts:
        ax.semilogy(v.details["landmarks"], np.maximum(v.details["errors"], 1e-16), "o-", label=v.problem)
    ax.set_xlabel("number of landmarks")
    ax.set_ylabel("max |k*_Nyström − k*_exact| / max(1, max |k*_exact|)", fontsize=8)
    ax.legend(fontsize=7)


_register(
    "nystrom",
    "Nyström scale-out: the induced-kernel error against the exact solution decreases with the number of "
    "landmarks and vanishes when the landmarks are all the points",
    "§3.9",
    _nys_problems,
    _nys_predict,
    _nys_measure,
    _nys_compare,
    plot=_nys_plot,
    figure_caption=(
        "Nyström approximation of the induced kernel k* (the kernel closed form with ridge 10⁻² and 2 "
        "components, RBF kernel of bandwidth 1.5, clique graph of n groups × m views), evaluated on the "
        "training views and 3 test points. x: the number |L| of nested landmarks (N/4, N/2, N for N "
        "training views); y: max |k*_Nyström − k*_exact| / max(1, max |k*_exact|). The claim: the error "
        "falls to rounding at |L| = N and does not grow with |L|."
    ),
    tolerance_reason="at |L| = N the features use K^{-1/2} truncated at rtol 1e-10, a perturbation of "
    "~√rtol·‖K‖ at worst: 1e-5 relative; each doubling of the landmarks may not raise the error by more "
    "than 10 %",
)


# --------------------------------------------------------------------------- random features (nets)
_WIDTHS = (100, 800, 6400)


def _rf_problems(rng, quick):
    out = []
    for n, m in [(4, 3)] if quick else [(4, 3), (6, 2)]:
        # well-separated views (noise 1) and bandwidth 0.5: K is well conditioned, so the O(1/√D) error of
        # random Fourier features is not amplified much by K⁻¹; test points sit near training views
        x, g, _ = _views(rng, n, m, noise=1.0)
        xt = x[:3] + 0.1 * rng.standard_normal((3, x.shape[1]))
        out.append(
            Problem(
                f"SC-u clique n={n} m={m} d=n",
                {"x": x, "groups": g, "xt": xt},
                {"n": n, "m": m, "bw": 0.5, "seed": int(rng.integers(2**31))},
            )
        )
    return out


def _rf_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    """Closed-form induced kernel (RBF) at the test points, SC-u, d = n (unique M)."""
    from ssltheory.kernel import induced_kernel, kernel_ssl_solve

    k, kt, graph = _gram(problem, xp)
    sol = kernel_ssl_solve(
        k, graph, n_components=problem.params["n"], loss="spectral_contrastive", weighting="none"
    )
    return _h(induced_kernel(sol.coef, kt))


def _rf_measure(problem: Problem, xp: ModuleType) -> dict:
    """``nets.RandomFeatures`` (random Fourier features of width D) trained by full-batch L-BFGS from a
    tiny initialisation (the head stays in the span of the training features: the minimum-norm map)."""
    import array_api_compat.numpy as npx

    from ssltheory.losses import SpectralContrastiveLoss
    from ssltheory.nets import LBFGS, RandomFeatures, train

    x, xt, g = problem.data["x"], problem.data["xt"], problem.data["groups"]
    graph = _clique(g)
    d = problem.params["n"]
    out = {}
    for width in _WIDTHS:
        rng = np.random.default_rng(problem.params["seed"] + width)
        model = RandomFeatures(x.shape[1], width, d, bandwidth=problem.params["bw"], bias=False)
        model.init(rng, xp=npx)
        params = model.parameters()
        model.set_parameters({k: 1e-4 * v for k, v in params.items()})
        train(
            model,
            SpectralContrastiveLoss(weighting="none"),
            x,
            graph,
            optimizer=LBFGS(gtol=1e-10),
            n_steps=2000,
            progress=False,
        )
        f = np.asarray(model.forward(xt, train=False))
        out[width] = f @ f.T
    return out


def _rf_compare(pred, meas, problem, xp) -> Comparison:
    errs = [float(np.linalg.norm(meas[w] - pred) / np.linalg.norm(pred)) for w in _WIDTHS]
    # Monte Carlo error of random features is O(1/√D) (64x width: 8x smaller in expectation): the widest
    # net must beat the narrowest and be within 10 % (relative Frobenius error) of the closed form
    err = max(errs[-1] / 0.1, errs[-1] / max(errs[0], 1e-12))
    return Comparison(
        "k* closed form",
        ", ".join(f"{e:.2e}" for e in errs),
        err,
        1.0,
        {"widths": list(_WIDTHS), "errors": errs},
    )


def _rf_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    for v in verdicts:
        ax.loglog(v.details["widths"], v.details["errors"], "o-", label=v.problem)
    w = np.array(_WIDTHS, dtype=float)
    ax.loglog(w, w[0] ** 0.5 * verdicts[0].details["errors"][0] / w**0.5, "k--", lw=0.8, label=r"$D^{-1/2}$")
    ax.set_xlabel("random-feature width D")
    ax.set_ylabel("‖k*_net − k*_closed form‖_F / ‖k*‖_F")
    ax.legend(fontsize=7)


_register(
    "random_features",
    "a wide random-feature network (nets.RandomFeatures) trained on SC-u approaches the closed-form induced "
    "kernel; the error decreases with the width",
    "§3.0 (cross-check)",
    _rf_problems,
    _rf_predict,
    _rf_measure,
    _rf_compare,
    plot=_rf_plot,
    gating=False,
    error_kind="threshold ratio",
    report_only_reason=(
        "A Monte-Carlo cross-check with no proven constant: a trained random-feature network approaches "
        "the induced kernel at the O(D^(−1/2)) rate of random features, but the 10 % threshold at width "
        "6400 and the order 'widest beats narrowest' are empirical choices for one draw of the features. "
        "It would gate with a concentration bound on the induced kernel of the trained network, or a rate "
        "test over many feature draws."
    ),
    figure_caption=(
        "Relative Frobenius error ‖k*_net − k*_closed form‖_F / ‖k*_closed form‖_F of the induced kernel "
        "k* at 3 test points: k*_net from a random-Fourier-feature network of width D trained by L-BFGS on "
        "the unweighted spectral contrastive loss (SC-u) from a tiny initialisation, k*_closed form the "
        "minimum-norm closed form with the same RBF kernel (bandwidth 0.5), on a clique graph of n groups "
        "× m views. Dashed: the Monte-Carlo rate D^(−1/2) through the first point."
    ),
    tolerance_reason="the relative Frobenius error at width 6400 over 10 %, and over the error at width 100 "
    "(random features converge as O(1/√D): 8x smaller for 64x the width); passes at ≤ 1",
)

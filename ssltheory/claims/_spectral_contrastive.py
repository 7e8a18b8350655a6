"""Built-in claims of the spectral area for SimCLR, spectral contrastive and BarlowTwins.

spec/spectral.md §4.4–4.6, §5 items 11–14 and 17. Every claim compares a closed form of
:mod:`ssltheory.spectral` with an independent measurement: multi-start L-BFGS on the loss
evaluators of :mod:`ssltheory.losses` (run on the host, :mod:`ssltheory.claims._optim`), or a
different linear-algebra route (principal angles by QR + SVD for canonical correlations).

Where a claim checks several quantities, ``error`` is the largest ratio *deviation / its own
tolerance* and ``tolerance`` is 1; the individual deviations are in ``details``.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
import scipy.linalg
from scipy.optimize import minimize

from ssltheory import _backend
from ssltheory.claims._core import Claim, Comparison, Problem, Verdict
from ssltheory.claims._optim import loss_on_host, minimize_multistart
from ssltheory.claims._registry import register
from ssltheory.claims._runner import one_blas_thread

__all__ = []  # claims register themselves on import; nothing here is public API

_EPS64 = float(np.finfo(np.float64).eps)
# closed form vs multi-start L-BFGS: the spec's agreement level for [derived] statements (§ header)
_REL_LOSS = 1e-8
# near a minimum the loss is quadratic, so a relative value gap of 1e-8 moves the minimiser by
# about sqrt(1e-8) = 1e-4 (Gram entries, cosines); 2e-4 leaves a factor 2 for the curvature
_GRAM_TOL = 2e-4


_one_blas_thread = one_blas_thread  # the shared helper (claims/_runner.py)


def _multistart(*args: Any, **kwargs: Any) -> Any:
    with _one_blas_thread():
        return minimize_multistart(*args, **kwargs)


def _class_graph(n_classes: int, n: int) -> np.ndarray:
    labels = np.repeat(np.arange(n_classes), n)
    return (labels[:, None] == labels[None, :]).astype(float) - np.eye(n_classes * n)


def _normalised_rows(z: np.ndarray) -> np.ndarray:
    return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)


def _numerical_rank(z: np.ndarray, rel: float) -> int:
    s = np.linalg.svd(z, compute_uv=False)
    return int(np.sum(s > rel * s[0])) if s.size and s[0] > 0 else 0


# =========================================================================== SimCLR (items 11, 17)
def _simclr_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [(3, 2, 2, 0.5), (2, 3, 2, 1.0)]
    if not quick:
        settings += [(4, 2, 3, 0.2), (3, 3, 4, 1.0), (5, 2, 4, 0.5), (2, 4, 3, 2.0)]
    out = []
    for c, n, k, tau in settings:
        tau = float(tau * rng.uniform(0.8, 1.25))
        out.append(
            Problem(
                f"C={c} n={n} K={k} tau={tau:.3g}",
                {"graph": _class_graph(c, n)},
                {"n_classes": c, "n": n, "k": k, "tau": tau, "starts": 3 if quick else 6},
            )
        )
    return out


def _simclr_predict(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.spectral import simclr_embedding

    p = problem.params
    sol = simclr_embedding(problem.arrays(xp)["graph"], n_components=p["k"], temperature=p["tau"])
    z = _backend.to_numpy(sol.embedding)
    return {"loss": sol.loss, "gram": z @ z.T, "rank": sol.rank}


def _simclr_optimum(problem: Problem, xp: ModuleType) -> Any:
    from ssltheory.losses import SimCLRLoss

    p = problem.params
    g = problem.arrays(xp)["graph"]
    n_nodes = p["n_classes"] * p["n"]
    rng = np.random.default_rng(zlib.crc32(problem.name.encode()))
    return _multistart(
        loss_on_host(SimCLRLoss(temperature=p["tau"]), g), (n_nodes, p["k"]), rng=rng, n_starts=p["starts"]
    )


def _simclr_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    best = _simclr_optimum(problem, xp)
    u = _normalised_rows(best.embedding)
    # rank gap: the optimum's Gram is exact to ~1e-4, the dropped directions are below that
    return {"loss": best.loss, "gram": u @ u.T, "rank": _numerical_rank(u, 1e-3)}


def _simclr_compare(
    pred: dict[str, Any], meas: dict[str, Any], problem: Problem, xp: ModuleType
) -> Comparison:
    p = problem.params
    n_nodes = p["n_classes"] * p["n"]
    loss_err = abs(pred["loss"] - meas["loss"]) / abs(pred["loss"])
    # loss values near 0 (n = 2, small τ): add the rounding floor of a sum of N² terms of size 1/τ
    loss_tol = _REL_LOSS + 16 * n_nodes**2 * _EPS64 * (1 / p["tau"] + math.log(n_nodes)) / abs(pred["loss"])
    gram_err = float(np.max(np.abs(pred["gram"] - meas["gram"])))
    rank_ok = pred["rank"] == meas["rank"] == p["n_classes"] - 1
    error = max(loss_err / loss_tol, gram_err / _GRAM_TOL, 0.0 if rank_ok else math.inf)
    return Comparison(
        predicted=pred["loss"],
        measured=meas["loss"],
        error=error,
        tolerance=1.0,
        details={
            "loss_rel_error": loss_err,
            "gram_max_error": gram_err,
            "rank": [pred["rank"], meas["rank"]],
        },
    )


def _simclr_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    loss_err = [v.details.get("loss_rel_error", np.nan) for v in verdicts]
    gram_err = [v.details.get("gram_max_error", np.nan) for v in verdicts]
    ax.semilogy(loss_err, "o", label="loss, relative error")
    ax.semilogy(gram_err, "s", label="max |Gram error|")
    ax.axhline(_REL_LOSS, color="C0", ls="--", lw=0.8)
    ax.axhline(_GRAM_TOL, color="C1", ls="--", lw=0.8)
    ax.set_xlabel("problem")
    ax.set_ylabel("closed form vs L-BFGS")
    ax.legend(fontsize=7)


register(
    Claim(
        id="spectral.simclr.simplex_optimum",
        statement="SimCLR on a balanced C-class graph, K ≥ C−1: the optimum is the regular simplex "
        "(cosines 1 / −1/(C−1), rank C−1) with L* = N(n−1)log(n−1+(N−n)e^{−C/((C−1)τ)})",
        spec="spectral.md §4.4a, §5 item 11",
        problems=_simclr_problems,
        predict=_simclr_predict,
        measure=_simclr_measure,
        compare=_simclr_compare,
        tolerance_reason="closed form vs multi-start L-BFGS: loss within 1e-8 relative, plus the rounding "
        "floor of a sum of N² terms of size 1/τ for losses near 0; the loss is quadratic near a minimum, so "
        "a 1e-8 value gap moves the Gram entries by about √(1e-8) = 1e-4, hence 2e-4; ranks must equal C − "
        "1 exactly",
        plot=_simclr_plot,
        error_kind="normalised error",
        figure_caption=(
            "SimCLR on a union of C class cliques (n rows per class, K components, temperature τ): the "
            "closed form against the best of several L-BFGS runs, one x position per test problem. "
            "Circles: relative error of the loss; squares: max |Gram error|, the largest entry of |U*U*ᵀ − "
            "UUᵀ| with U the row-normalised embedding (its Gram matrix holds the cosine similarities). "
            "Dashed lines: the two tolerances (blue: loss, 10⁻⁸; orange: Gram, 2·10⁻⁴)."
        ),
    )
)


# --------------------------------------------------------------------------- K < C − 1: polygon
def _polygon_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    tau = float(rng.uniform(0.3, 1.0))
    return [
        Problem(
            f"C=5 n=2 K=2 tau={tau:.3g}",
            {"graph": _class_graph(5, 2)},
            {"n_classes": 5, "n": 2, "k": 2, "tau": tau, "starts": 3 if quick else 6},
        )
    ]


def _polygon_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    c = problem.params["n_classes"]
    # regular C-gon: each class sees the others at angles 2πj/C, j = 1..C−1
    return np.sort(np.cos(2 * np.pi * np.arange(1, c) / c))


def _polygon_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    p = problem.params
    best = _simclr_optimum(problem, xp)
    u = _normalised_rows(best.embedding)
    labels = np.repeat(np.arange(p["n_classes"]), p["n"])
    centres = _normalised_rows(np.stack([u[labels == c].mean(axis=0) for c in range(p["n_classes"])]))
    cos = centres @ centres.T
    rows = [np.sort(np.delete(cos[c], c)) for c in range(p["n_classes"])]
    within = float(np.min((u @ u.T)[labels[:, None] == labels[None, :]]))
    return {"rows": np.array(rows), "within": within, "rank": _numerical_rank(u, 1e-3)}


def _polygon_compare(pred: np.ndarray, meas: dict[str, Any], problem: Problem, xp: ModuleType) -> Comparison:
    err = float(np.max(np.abs(meas["rows"] - pred[None, :])))
    collapse = 1.0 - meas["within"]
    rank_ok = meas["rank"] == problem.params["k"]
    error = max(err / _GRAM_TOL, collapse / _GRAM_TOL, 0.0 if rank_ok else math.inf)
    return Comparison(
        predicted=", ".join(f"{v:.4f}" for v in np.unique(np.round(pred, 6))),
        measured=", ".join(f"{v:.4f}" for v in np.unique(np.round(meas["rows"], 4))),
        error=error,
        tolerance=1.0,
        details={"cosine_max_error": err, "within_class_gap": collapse, "rank": meas["rank"]},
    )


register(
    Claim(
        id="spectral.simclr.polygon_below_simplex",
        statement="SimCLR with K = 2 < C−1 (C = 5): classes collapse and sit on a regular pentagon "
        "(cosines cos(2π/5), cos(4π/5)), rank 2; no closed form (simclr_embedding raises)",
        spec="spectral.md §4.4b, §5 item 11",
        problems=_polygon_problems,
        predict=_polygon_predict,
        measure=_polygon_measure,
        compare=_polygon_compare,
        tolerance_reason="the cosines between class centres and the within-class collapse are minimiser "
        "positions, accurate to about √(1e-8) = 1e-4 when the loss is within 1e-8 (quadratic near a "
        "minimum), so 2e-4; the rank must equal K exactly",
        error_kind="normalised error",
    )
)


# --------------------------------------------------------------------------- MDS identity (item 17)
def _mds_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [(3, 2, 2)] if quick else [(3, 2, 2), (4, 2, 4), (3, 3, 3)]
    out = []
    for c, n, k in settings:
        tau = float(rng.uniform(0.3, 1.5))
        out.append(
            Problem(
                f"C={c} n={n} K={k} tau={tau:.3g}",
                {"graph": _class_graph(c, n)},
                {"n_classes": c, "n": n, "k": k, "tau": tau, "starts": 3 if quick else 6},
            )
        )
    return out


def _mds_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    # −½ H Δ* H with Δ* = (2C/(C−1))(11ᵀ − Ḡ), from the graph alone
    c = problem.params["n_classes"]
    g = _backend.to_numpy(problem.arrays(xp)["graph"])
    n_nodes = g.shape[0]
    delta = 2 * c / (c - 1) * (1.0 - (g + np.eye(n_nodes)))
    h = np.eye(n_nodes) - 1.0 / n_nodes
    return -0.5 * h @ delta @ h


def _mds_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.spectral import simclr_embedding

    p = problem.params
    # classical MDS of the optimiser's squared distances ...
    u = _normalised_rows(_simclr_optimum(problem, xp).embedding)
    sq = np.sum(u * u, axis=1)
    d2 = sq[:, None] + sq[None, :] - 2 * u @ u.T
    n_nodes = u.shape[0]
    h = np.eye(n_nodes) - 1.0 / n_nodes
    # ... and the Gram of the library's closed form
    z = _backend.to_numpy(
        simclr_embedding(problem.arrays(xp)["graph"], n_components=p["k"], temperature=p["tau"]).embedding
    )
    return {"mds": -0.5 * h @ d2 @ h, "closed_form": z @ z.T}


def _mds_compare(pred: np.ndarray, meas: dict[str, Any], problem: Problem, xp: ModuleType) -> Comparison:
    mds_err = float(np.max(np.abs(meas["mds"] - pred)))
    cf_err = float(np.max(np.abs(meas["closed_form"] - pred)))
    n_nodes = pred.shape[0]
    # optimiser side: Gram accuracy _GRAM_TOL, doubled by the double centring (entries of H sum to ≤ 2);
    # closed-form side: eigenvectors, 64·N·eps
    error = max(mds_err / (2 * _GRAM_TOL), cf_err / (64 * n_nodes * _EPS64))
    return Comparison(
        predicted=f"-½HΔ*H, max {np.max(np.abs(pred)):.4g}",
        measured=f"MDS err {mds_err:.2g}, closed-form err {cf_err:.2g}",
        error=error,
        tolerance=1.0,
        details={"mds_max_error": mds_err, "closed_form_max_error": cf_err},
    )


register(
    Claim(
        id="spectral.simclr.mds_identity",
        statement="At the SimCLR optimum Ũ*Ũ*ᵀ = −½HΔ*H with Δ* = (2C/(C−1))(11ᵀ − Ḡ): classical MDS of "
        "the optimum's squared distances, a G-derived dissimilarity",
        spec="spectral.md §4.4 (MDS reading), §5 item 17",
        problems=_mds_problems,
        predict=_mds_predict,
        measure=_mds_measure,
        compare=_mds_compare,
        tolerance_reason="optimiser side: the Gram accuracy 2e-4 of an L-BFGS minimiser (√ of a 1e-8 loss "
        "gap, times 2), doubled by the double centring; closed-form side: eigenvector rounding, 64·N·eps",
        error_kind="normalised error",
    )
)


# =========================================================================== spectral contrastive (12)
def _weighted_graph(rng: np.random.Generator, n: int, p: float = 0.6) -> np.ndarray:
    g = rng.uniform(0.1, 2.0, (n, n)) * (rng.random((n, n)) < p)
    g = np.triu(g, 1)
    g = g + g.T
    for i in range(n - 1):  # a path: connected, no isolated node
        g[i, i + 1] = g[i + 1, i] = max(g[i, i + 1], 0.3)
    return g


def _sc_operator(g: np.ndarray, weighting: str) -> np.ndarray:
    if weighting == "none":
        return g
    d = g.sum(axis=1)
    return g / np.sqrt(np.outer(d, d))


def _sc_u(f: np.ndarray, g: np.ndarray, weighting: str) -> np.ndarray:
    if weighting == "none":
        return f
    d = g.sum(axis=1)
    return np.sqrt(d / d.sum())[:, None] * f


def _sc_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    sizes = [(8, 2)] if quick else [(8, 2), (12, 3), (20, 5), (10, 1)]
    out = []
    for weighting in ("degree", "none"):
        for n, k in sizes:
            g = _weighted_graph(rng, n)
            out.append(
                Problem(
                    f"{weighting} N={n} K={k}",
                    {"graph": g},
                    {"k": k, "weighting": weighting, "starts": 2 if quick else 4},
                )
            )
    return out


def _sc_predict(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.spectral import spectral_contrastive_embedding

    p = problem.params
    sol = spectral_contrastive_embedding(
        problem.arrays(xp)["graph"], n_components=p["k"], weighting=p["weighting"]
    )
    u = _sc_u(_backend.to_numpy(sol.embedding), problem.data["graph"], p["weighting"])
    return {"loss": sol.loss, "uut": u @ u.T}


def _sc_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.losses import SpectralContrastiveLoss

    p = problem.params
    g = problem.arrays(xp)["graph"]
    n = g.shape[0]
    rng = np.random.default_rng(zlib.crc32(problem.name.encode()))
    best = _multistart(
        loss_on_host(SpectralContrastiveLoss(weighting=p["weighting"]), g),
        (n, p["k"]),
        rng=rng,
        n_starts=p["starts"],
        scale=0.3,
    )
    u = _sc_u(best.embedding, problem.data["graph"], p["weighting"])
    return {"loss": best.loss, "uut": u @ u.T}


def _sc_compare(pred: dict[str, Any], meas: dict[str, Any], problem: Problem, xp: ModuleType) -> Comparison:
    p = problem.params
    a = _sc_operator(problem.data["graph"], p["weighting"])
    omega = np.sort(np.linalg.eigvalsh(a))[::-1]
    k = p["k"]
    gap = omega[k - 1] - omega[k]
    loss_err = abs(pred["loss"] - meas["loss"]) / abs(pred["loss"])
    # UUᵀ is unique when ω_K > ω_{K+1}; its error scales like sqrt(value gap)/eigengap
    uut_tol = _GRAM_TOL * max(1.0, float(np.max(np.abs(a)))) / min(1.0, gap)
    uut_err = float(np.max(np.abs(pred["uut"] - meas["uut"])))
    error = max(loss_err / _REL_LOSS, uut_err / uut_tol)
    return Comparison(
        predicted=pred["loss"],
        measured=meas["loss"],
        error=error,
        tolerance=1.0,
        details={"loss_rel_error": loss_err, "uut_max_error": uut_err, "eigengap": float(gap)},
    )


register(
    Claim(
        id="spectral.spectral_contrastive.eckart_young",
        statement="Spectral contrastive loss: the optimum is U* = E_K diag(sqrt((ω_k)_+)) from the top-K "
        "eigenpairs of Ā (or G), L* = −Σ_{k≤K}(ω_k)_+²; UUᵀ matches multi-start L-BFGS",
        spec="spectral.md §4.5, §5 item 12",
        problems=_sc_problems,
        predict=_sc_predict,
        measure=_sc_measure,
        compare=_sc_compare,
        tolerance_reason="loss within 1e-8 relative of multi-start L-BFGS; UUᵀ within 2e-4 (√ of the 1e-8 "
        "value gap, times 2), scaled by max(1, max|Ā|) / min(1, eigengap ω_K − ω_{K+1}) since its error "
        "grows like √(value gap)/eigengap",
        error_kind="normalised error",
    )
)


# =========================================================================== BarlowTwins (13)
def _blocks(rng: np.random.Generator, sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    n = int(sum(sizes))
    g = np.zeros((n, n))
    labels = np.zeros(n, dtype=int)
    start = 0
    for b, s in enumerate(sizes):
        g[start : start + s, start : start + s] = _weighted_graph(rng, s, p=0.7)
        labels[start : start + s] = b
        start += s
    perm = rng.permutation(n)
    return g[np.ix_(perm, perm)], labels[perm]


def _bt_zero_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [((4, 5), 2)] if quick else [((4, 5), 2), ((3, 3, 4), 3), ((5, 4, 6), 2), ((3, 4), 1)]
    out = []
    for sizes, k in settings:
        g, labels = _blocks(rng, sizes)
        out.append(
            Problem(
                f"blocks {sizes} K={k}",
                {"graph": g, "labels": labels},
                {"k": k, "c": len(sizes), "maxiter": 400 if quick else 3000},
            )
        )
    return out


def _bt_zero_predict(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory._warnings import DegenerateSpectrumWarning
    from ssltheory.losses import BarlowTwinsLoss
    from ssltheory.spectral import barlow_twins_embedding

    g = problem.arrays(xp)["graph"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSpectrumWarning)  # K < c: any D-orthogonal mix is optimal
        sol = barlow_twins_embedding(g, n_components=problem.params["k"])
    return {"loss": sol.loss, "evaluator": float(BarlowTwinsLoss()(sol.embedding, g))}


def _bt_zero_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.losses import BarlowTwinsLoss

    g = problem.data["graph"]
    labels = problem.data["labels"]
    k, c = problem.params["k"], problem.params["c"]
    rng = np.random.default_rng(zlib.crc32(problem.name.encode()))
    best = _multistart(
        loss_on_host(BarlowTwinsLoss(), problem.arrays(xp)["graph"]),
        (g.shape[0], k),
        rng=rng,
        n_starts=1,
        maxiter=problem.params["maxiter"],
    )
    d = g.sum(axis=1)
    ind = np.stack([np.sqrt(d) * (labels == lab) for lab in range(c)], axis=1)
    ind = ind / np.linalg.norm(ind, axis=0)
    y = np.sqrt(d)[:, None] * best.embedding
    y = y / np.linalg.norm(y, axis=0)
    delta_sq = float(np.max(1.0 - np.sum((ind.T @ y) ** 2, axis=0)))  # mass outside the component space
    off = float(np.max(np.abs(y.T @ y - np.eye(k))))  # normalised Zᵀ D_G Z off-diagonal
    omega = np.sort(np.linalg.eigvalsh(g / np.sqrt(np.outer(d, d))))[::-1]
    return {"loss": best.loss, "delta_sq": delta_sq, "offdiag": off, "gap": float(1.0 - omega[c])}


def _bt_zero_compare(
    pred: dict[str, Any], meas: dict[str, Any], problem: Problem, xp: ModuleType
) -> Comparison:
    k = problem.params["k"]
    n = problem.data["graph"].shape[0]
    eps = 1e-12  # the evaluator's and solver's default ε
    # closed form: C = I/(1+ε) exactly, so L = K(ε/(1+ε))² ("zero" up to ε); the evaluator computes
    # C with relative rounding δ = 64·N·eps, which moves each (C_kk − 1)² by ≤ 2εδ + δ²
    delta = 64 * n * _EPS64
    cf_err = max(abs(pred["evaluator"] - pred["loss"]) / (k * (2 * eps * delta + delta**2)), 0.0)
    cf_err = max(cf_err, abs(pred["loss"] - k * (eps / (1 + eps)) ** 2) / (k * eps**2 * 1e-6))
    # optimiser: the loss is quartic near the zero set (Rayleigh quotients at their maximum), so
    # 400 L-BFGS steps reach ~1e-8; the structure bounds follow from whatever loss L was reached:
    # 1 − C_kk ≥ gap·δ² and (1 − C_kk)² ≤ L give δ² ≤ sqrt(L)/gap; |ŷ_kᵀŷ_l| ≤ |C_kl| + O(δ²)
    loss = max(meas["loss"], 0.0)
    bound = math.sqrt(loss) / meas["gap"]
    error = max(
        cf_err,
        loss / 1e-6,
        meas["delta_sq"] / (2 * bound + 64 * _EPS64),
        meas["offdiag"] / (math.sqrt(loss) + 4 * bound + 64 * _EPS64),
    )
    return Comparison(
        predicted=0.0,
        measured=meas["loss"],
        error=error,
        tolerance=1.0,
        details={
            "closed_form_loss": pred["loss"],
            "closed_form_evaluator": pred["evaluator"],
            "optimiser_loss": meas["loss"],
            "outside_component_space": meas["delta_sq"],
            "dg_offdiagonal": meas["offdiag"],
        },
    )


register(
    Claim(
        id="spectral.barlow_twins.zero_loss_components",
        statement="BarlowTwins, K ≤ c: zero loss; every (near-)zero-loss Z has columns constant on the "
        "components and Zᵀ D_G Z diagonal; the closed form (component indicators) reaches it",
        spec="spectral.md §4.6, §5 item 13",
        problems=_bt_zero_problems,
        predict=_bt_zero_predict,
        measure=_bt_zero_measure,
        compare=_bt_zero_compare,
        tolerance_reason="closed form: its loss equals K(ε/(1+ε))² (to 1e-6·ε²) and the evaluator's value "
        "within K(2εδ + δ²), δ = 64·N·eps the rounding of C; optimiser: a loss ≤ 1e-6 (quartic near the "
        "zero set), and the mass outside the component space and the D_G off-diagonal within the bounds "
        "√L/gap that the reached loss L implies",
        error_kind="normalised error",
    )
)


def _bt_union_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    # (kind, classes C, class size n, K, α); α = 1: L* = K − c; α > 1: no run below K − c
    settings = [("aug", 3, 2, 5, 1.0), ("label", 2, 3, 4, 1.5)]
    if not quick:
        settings += [("aug", 4, 2, 6, 1.0), ("label", 3, 6, 5, 1.0), ("aug", 3, 2, 5, 2.0)]
    out = []
    for kind, c, n, k, alpha in settings:
        out.append(
            Problem(
                f"{kind} C={c} n={n} K={k} alpha={alpha}",
                {"graph": _class_graph(c, n)},
                {
                    "c": c,
                    "k": k,
                    "alpha": alpha,
                    "starts": 2 if quick else 4,
                    "maxiter": 300 if quick else 5000,
                },
            )
        )
    return out


def _bt_union_predict(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.spectral import barlow_twins_embedding

    p = problem.params
    if p["alpha"] != 1.0:  # only the Sylvester bound K − c is predicted (the solver raises here)
        return {"loss": float(p["k"] - p["c"]), "rank": p["c"]}
    sol = barlow_twins_embedding(problem.arrays(xp)["graph"], n_components=p["k"])
    return {"loss": sol.loss, "rank": sol.rank}


def _bt_union_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.losses import BarlowTwinsLoss

    p = problem.params
    g = problem.arrays(xp)["graph"]
    rng = np.random.default_rng(zlib.crc32(problem.name.encode()))
    best = _multistart(
        loss_on_host(BarlowTwinsLoss(redundancy_weight=p["alpha"]), g),
        (g.shape[0], p["k"]),
        rng=rng,
        n_starts=p["starts"],
        maxiter=p["maxiter"],
    )
    # rank: the collapsed directions fall to ~1e-8 of the largest singular value; 1e-4 separates
    return {"loss": best.loss, "min_loss": min(best.losses), "rank": _numerical_rank(best.embedding, 1e-4)}


def _bt_union_compare(
    pred: dict[str, Any], meas: dict[str, Any], problem: Problem, xp: ModuleType
) -> Comparison:
    p = problem.params
    bound = p["k"] - p["c"]
    # below the Sylvester bound only by rounding of a sum of K² terms of size ≤ 1
    below = max(0.0, bound - meas["min_loss"]) / (64 * p["k"] ** 2 * _EPS64)
    if p["alpha"] == 1.0:
        gap = abs(meas["loss"] - pred["loss"]) / (pred["loss"] * _REL_LOSS)
        rank_ok = meas["rank"] == pred["rank"] == p["c"]
        error = max(below, gap, 0.0 if rank_ok else math.inf)
    else:
        error = below
    return Comparison(
        predicted=pred["loss"],
        measured=meas["loss"],
        error=error,
        tolerance=1.0,
        details={"min_loss": meas["min_loss"], "rank": meas["rank"], "alpha": p["alpha"]},
    )


register(
    Claim(
        id="spectral.barlow_twins.clique_union_collapse",
        statement="BarlowTwins on a clique union, K > c: no optimiser run goes below K − c for α ≥ 1; at "
        "α = 1 the optimum is K − c with rank(Z*) = c (collapse)",
        spec="spectral.md §4.6, §5 item 13",
        problems=_bt_union_problems,
        predict=_bt_union_predict,
        measure=_bt_union_measure,
        compare=_bt_union_compare,
        tolerance_reason="no run may go below the bound K − c by more than the rounding 64·K²·eps of a sum "
        "of K² terms of size ≤ 1; at α = 1 the best run must reach K − c within 1e-8 relative, and its rank "
        "(singular values above 1e-4 of the largest) must equal c",
        error_kind="normalised error",
    )
)


# =========================================================================== linear BT / CCA (14)
def _two_view(
    rng: np.random.Generator, n_samples: int, n_features: int, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    base = rng.standard_normal((n_samples, n_features))
    x = np.concatenate([base + noise * rng.standard_normal(base.shape) for _ in range(2)])
    g = np.zeros((2 * n_samples, 2 * n_samples))
    idx = np.arange(n_samples)
    g[idx, idx + n_samples] = g[idx + n_samples, idx] = 1.0
    return x, g


def _cca_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [(20, 3)] if quick else [(20, 3), (40, 5), (60, 8)]
    out = []
    for n, d in settings:
        x, g = _two_view(rng, n, d, float(rng.uniform(0.1, 0.8)))
        out.append(Problem(f"two views N'={n} D={d}", {"x": x, "graph": g}, {"k": d}))
        gw = _weighted_graph(rng, 2 * n, p=0.15)
        out.append(Problem(f"weighted N={2 * n} D={d}", {"x": x, "graph": gw}, {"k": d}))
    return out


def _cca_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.spectral import graph_cca

    a = problem.arrays(xp)
    sol = graph_cca(a["x"], a["graph"], n_components=problem.params["k"])
    return _backend.to_numpy(sol.eigenvalues)


def _cca_measure(problem: Problem, xp: ModuleType) -> np.ndarray:
    # uncentred canonical correlations of (X_left, X_right) = cosines of the principal angles
    # between their column spaces: QR of each, singular values of Q_lᵀ Q_r
    x, g = problem.data["x"], problem.data["graph"]
    r, c = np.nonzero(g)
    w = np.sqrt(g[r, c])[:, None]
    ql, _ = np.linalg.qr(x[r] * w)
    qr_, _ = np.linalg.qr(x[c] * w)
    return np.linalg.svd(ql.T @ qr_, compute_uv=False)


def _cca_compare(pred: np.ndarray, meas: np.ndarray, problem: Problem, xp: ModuleType) -> Comparison:
    x, g = problem.data["x"], problem.data["graph"]
    s_d = x.T @ (g.sum(axis=1)[:, None] * x)
    err = float(np.max(np.abs(np.sort(np.abs(pred))[::-1] - meas)))
    # both routes are backward stable: 64·N·eps·κ(S_D) (whitening squares nothing here: κ of S_D)
    tol = 64 * x.shape[0] * _EPS64 * float(np.linalg.cond(s_d))
    return Comparison(
        predicted=", ".join(f"{v:.6f}" for v in pred),
        measured=", ".join(f"{v:.6f}" for v in meas),
        error=err,
        tolerance=tol,
        details={"rho": pred.tolist(), "sv": meas.tolist()},
    )


register(
    Claim(
        id="spectral.barlow_twins.cca_correlations",
        statement="Generalised eigenvalues of (XᵀGX, XᵀD_GX) = signed uncentred canonical correlations of "
        "(X_left, X_right) built from nonzero(G) (absolute values = principal-angle cosines)",
        spec="spectral.md §4.6 (linear BT vs CCA), §5 item 14",
        problems=_cca_problems,
        predict=_cca_predict,
        measure=_cca_measure,
        compare=_cca_compare,
        tolerance_reason="both routes (generalised eigh, and QR + SVD for the principal angles) are "
        "backward stable: 64·N·eps·κ(S_D), κ the condition number of XᵀD_GX",
        error_kind="absolute error",
    )
)


def _linear_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = (
        [(20, 3, 1), (20, 3, 2)] if quick else [(20, 3, 1), (40, 5, 1), (20, 3, 2), (40, 4, 2), (40, 5, 3)]
    )
    out = []
    for n, d, k in settings:
        x, g = _two_view(rng, n, d, float(rng.uniform(0.2, 0.6)))
        out.append(
            Problem(
                f"two views N'={n} D={d} K={k}", {"x": x, "graph": g}, {"k": k, "starts": 3 if quick else 6}
            )
        )
    return out


def _linear_predict(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.spectral import barlow_twins_linear_weights, graph_cca

    a = problem.arrays(xp)
    k = problem.params["k"]
    if k == 1:
        sol = barlow_twins_linear_weights(a["x"], a["graph"], n_components=1)
    else:
        sol = graph_cca(a["x"], a["graph"], n_components=k)  # an upper bound for K ≥ 2
    return {
        "loss": sol.loss,
        "weights": _backend.to_numpy(sol.weights),
        "rho": _backend.to_numpy(sol.eigenvalues),
    }


def _linear_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.losses import BarlowTwinsLoss

    x = problem.data["x"]
    k = problem.params["k"]
    loss = BarlowTwinsLoss()
    g_xp = problem.arrays(xp)["graph"]
    f_z = loss_on_host(loss, g_xp)

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = f_z(x @ w.reshape(-1, k))
        return value, (x.T @ grad).ravel()

    rng = np.random.default_rng(zlib.crc32(problem.name.encode()))
    starts = [rng.standard_normal(x.shape[1] * k) for _ in range(problem.params["starts"])]
    if k > 1:
        # BT is non-convex in W: add a start near the CCA directions, from SciPy's generalised
        # solver on the host (independent of the library), so that the descent measures BT's
        # optimum near CCA and cannot end in a worse local minimum only
        g = problem.data["graph"]
        s_d = x.T @ (g.sum(axis=1)[:, None] * x)
        _, vecs = scipy.linalg.eigh(x.T @ g @ x, s_d)
        starts.append((vecs[:, ::-1][:, :k] + 1e-2 * rng.standard_normal((x.shape[1], k))).ravel())
    finals = []
    opts = {"gtol": 1e-14, "ftol": 1e-16, "maxiter": 3000, "maxcor": 30}
    with _one_blas_thread():
        for w0 in starts:
            res = minimize(f, w0, jac=True, method="L-BFGS-B", options=opts)
            finals.append(float(res.fun))
    return {"loss": min(finals), "losses": finals}


def _linear_compare(
    pred: dict[str, Any], meas: dict[str, Any], problem: Problem, xp: ModuleType
) -> Comparison:
    k = problem.params["k"]
    n = problem.data["x"].shape[0]
    rho = pred["rho"]
    infimum = float(np.sum((1 - rho) ** 2))  # ε → 0 value of the CCA weights
    # rounding of C: relative N·eps on each entry, times 2(1−ρ) in the square
    floor = 64 * n * _EPS64 * float(np.sum(1 - rho))
    if k == 1:
        # closed form optimal: nobody below (1−ρ₁)², the best start on it (relative 1e-8)
        below = max(0.0, infimum - floor - min(meas["losses"])) / floor
        gap = abs(meas["loss"] - pred["loss"]) / (pred["loss"] * _REL_LOSS)
        error = max(below, gap)
    else:
        # K ≥ 2: BarlowTwins' optimum is at most the CCA value (the CCA weights are feasible)
        error = max(0.0, meas["loss"] - pred["loss"]) / (_REL_LOSS * pred["loss"])
    return Comparison(
        predicted=pred["loss"],
        measured=meas["loss"],
        error=error,
        tolerance=1.0,
        details={"k": k, "relative_gain": (pred["loss"] - meas["loss"]) / pred["loss"], "rho": rho.tolist()},
    )


register(
    Claim(
        id="spectral.barlow_twins.linear_vs_cca",
        statement="Linear BarlowTwins: for K = 1 the top graph-CCA direction is optimal with L* = (1−ρ₁)²; "
        "for K ≥ 2 the optimum is ≤ Σ(1−ρ_k)² (generally strictly: BT beats CCA)",
        spec="spectral.md §4.6 (linear BT vs CCA), §5 item 14",
        problems=_linear_problems,
        predict=_linear_predict,
        measure=_linear_measure,
        compare=_linear_compare,
        tolerance_reason="K = 1: no L-BFGS run below (1−ρ₁)² beyond the rounding floor 64·N·eps·Σ(1−ρ_k), "
        "and the best run on the closed form within 1e-8 relative; K ≥ 2: the optimum may not exceed the "
        "CCA value by more than 1e-8 relative",
        error_kind="normalised error",
    )
)

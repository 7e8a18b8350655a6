"""Built-in claims of the graphs area (spec/spectral.md §3, §5 items 1 and 3)."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend
from ssltheory.claims._core import Claim, Comparison, Problem, Verdict
from ssltheory.claims._registry import register

__all__ = []  # claims register themselves on import; nothing here is public API

_EPS64 = float(np.finfo(np.float64).eps)


# --------------------------------------------------------------------------- Dirichlet energy
def _random_graph(rng: np.random.Generator, n: int, family: str) -> np.ndarray:
    if family == "weighted":
        g = rng.uniform(0.0, 2.0, (n, n)) * (rng.random((n, n)) < 0.4)
        g = np.triu(g, 1)
        return g + g.T
    if family == "weighted+diagonal":  # a diagonal cancels in L: the identity must still hold
        g = _random_graph(rng, n, "weighted")
        return g + np.diag(rng.uniform(0.0, 3.0, n))
    if family == "augmentation":
        n_views = 2 + n % 3
        base = n // n_views
        idx = np.arange(base * n_views) % base
        return (idx[:, None] == idx[None, :]).astype(float) - np.eye(base * n_views)
    if family == "label":
        labels = rng.integers(0, 3, n)
        return (labels[:, None] == labels[None, :]).astype(float) - np.eye(n)
    raise ValueError(family)


def _dirichlet_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    sizes = (6, 24) if quick else (6, 24, 60, 150)
    problems = []
    for family in ("weighted", "weighted+diagonal", "augmentation", "label"):
        for n in sizes:
            g = _random_graph(rng, n, family)
            k = int(rng.integers(1, 6))
            z = rng.standard_normal((g.shape[0], k)) * rng.uniform(0.1, 10.0)
            problems.append(Problem(f"{family} N={g.shape[0]} K={k}", {"graph": g, "embedding": z}))
    return problems


def _dirichlet_predict(problem: Problem, xp: ModuleType) -> Any:
    from ssltheory.graphs import graph_laplacian

    a = problem.arrays(xp)
    lap = graph_laplacian(a["graph"])
    return 2.0 * xp.sum(a["embedding"] * (lap @ a["embedding"]))


def _dirichlet_measure(problem: Problem, xp: ModuleType) -> Any:
    # brute force over all ordered pairs, the left-hand side exactly as written
    a = problem.arrays(xp)
    z, g = a["embedding"], a["graph"]
    diff = z[:, None, :] - z[None, :, :]
    return xp.sum(g * xp.sum(diff * diff, axis=2))


def _dirichlet_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    g = np.asarray(problem.data["graph"])
    z = np.asarray(problem.data["embedding"])
    sq = np.sum(z * z, axis=1)
    # scale = Σ_ij G_ij (‖z_i‖² + ‖z_j‖²) bounds Σ|terms| of both sides (‖z_i−z_j‖² ≤ 2(‖z_i‖²+‖z_j‖²)),
    # so |p − m| / scale is a relative error free of cancellation effects.
    scale = float(np.sum(g * (sq[:, None] + sq[None, :])))
    n, k = z.shape
    # worst-case rounding bound of recursive summation over the N²K products on each side
    # (Higham, Accuracy and Stability, §4.2): |error| <= γ_{N²K} · Σ|terms|, γ_m ≈ m·eps; both
    # sides together, and the Laplacian's own rounding, at most 4x that.
    tol = 4.0 * (n * n * k + n) * _EPS64
    p, m = float(pred), float(meas)
    return Comparison(
        predicted=p,
        measured=m,
        error=abs(p - m) / scale if scale > 0 else abs(p - m),
        tolerance=tol,
        details={"predicted": p, "measured": m},
    )


def _dirichlet_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    p = np.array([v.details["predicted"] for v in verdicts])
    m = np.array([v.details["measured"] for v in verdicts])
    ax.loglog(p, m, "o", ms=4, label="problems")
    lim = [min(p.min(), m.min()) * 0.8, max(p.max(), m.max()) * 1.25]
    ax.loglog(lim, lim, "k--", lw=0.8, label="y = x")
    ax.set_xlabel(r"$2\,\mathrm{Tr}(Z^\top L Z)$ (closed form)")
    ax.set_ylabel(r"$\sum_{ij} G_{ij}\|z_i - z_j\|^2$ (brute force)")
    ax.legend(fontsize=8)


register(
    Claim(
        id="graphs.dirichlet_energy",
        statement="Σ_ij G_ij ‖z_i − z_j‖² = 2 Tr(Zᵀ L Z) for any symmetric G and any Z",
        spec="spectral.md §2.2, §5 item 1",
        problems=_dirichlet_problems,
        predict=_dirichlet_predict,
        measure=_dirichlet_measure,
        compare=_dirichlet_compare,
        plot=_dirichlet_plot,
        tolerance_reason="worst-case rounding of recursive summation over the N²K products on each side "
        "(γ_m ≈ m·eps, Higham), times 4 for both sides and the Laplacian; the error is relative to "
        "Σ_ij G_ij (‖z_i‖² + ‖z_j‖²), which bounds the summed terms",
        figure_caption=(
            "One dot per test problem (random weighted graphs with and without a diagonal, augmentation "
            "and label graphs). x: the closed form 2 Tr(ZᵀLZ), with Z the N × K embedding and L = D − G "
            "the Laplacian of the symmetric weight matrix G (D the diagonal matrix of the row sums of G); "
            "y: the brute-force sum Σ_ij G_ij ‖z_i − z_j‖² over all ordered pairs, z_i the i-th row of Z. "
            "Dashed: y = x."
        ),
    )
)


# --------------------------------------------------------------------------- augmentation spectrum
def _multiplicities(values: np.ndarray, tol: float) -> str:
    """``"0×4, 3×8"``: sorted values grouped within ``tol``."""
    groups: list[list[float]] = []
    for v in np.sort(values):
        if groups and abs(v - groups[-1][0]) <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return ", ".join(f"{np.mean(g):.6g}×{len(g)}" for g in groups)


def _aug_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    pairs = [(3, 2), (4, 3), (5, 4), (2, 5), (1, 3)]
    if not quick:
        pairs += [(16, 2), (10, 3), (12, 4), (6, 8), (40, 2)]
    return [Problem(f"n_samples={n} n_views={v}", params={"n_samples": n, "n_views": v}) for n, v in pairs]


def _aug_predict(problem: Problem, xp: ModuleType) -> Any:
    n, v = problem.params["n_samples"], problem.params["n_views"]
    return np.concatenate([np.zeros(n), np.full(n * (v - 1), float(v))])


def _aug_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.graphs import augmentation_graph, graph_laplacian

    n, v = problem.params["n_samples"], problem.params["n_views"]
    g = augmentation_graph(n, v, xp=xp)
    spectrum = xp.linalg.eigvalsh(graph_laplacian(g))
    return {
        "spectrum": _backend.to_numpy(spectrum),
        "asymmetry": float(xp.max(xp.abs(g - g.mT))),
        "diagonal": float(xp.max(xp.abs(xp.linalg.diagonal(g)))),
        "row_sum_error": float(xp.max(xp.abs(xp.sum(g, axis=1) - (v - 1)))),
    }


def _aug_compare(pred: np.ndarray, meas: dict[str, Any], problem: Problem, xp: ModuleType) -> Comparison:
    v = problem.params["n_views"]
    n_nodes = pred.shape[0]
    spec_err = float(np.max(np.abs(np.sort(meas["spectrum"]) - pred))) / v
    # structure is exact (0/1 entries): any deviation is an error of the builder
    struct_err = max(meas["asymmetry"], meas["diagonal"], meas["row_sum_error"])
    # backward-stable symmetric eigensolver: |λ̂ − λ| <= c·N·eps·‖L‖₂ with ‖L‖₂ = V; c = 8 is a
    # generous constant for LAPACK's syevd/syevr (errors are relative to V after the division)
    tol = 8.0 * n_nodes * _EPS64
    return Comparison(
        predicted=_multiplicities(pred, 1e-6),
        measured=_multiplicities(meas["spectrum"], max(tol * v, 1e-6)),
        error=max(spec_err, struct_err),
        tolerance=tol,
        details={"predicted": pred.tolist(), "measured": np.sort(meas["spectrum"]).tolist(), "n_views": v},
    )


def _aug_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    for v in verdicts:
        m = np.asarray(v.details["measured"])
        x = np.linspace(0, 1, m.shape[0])
        ax.step(x, np.asarray(v.details["predicted"]), where="mid", lw=0.8, color="0.6")
        ax.plot(x, m, ".", ms=4, label=f"V={v.details['n_views']}, N={m.shape[0]}")
    ax.set_xlabel("eigenvalue index / N")
    ax.set_ylabel("eigenvalue of L")
    ax.legend(fontsize=7)


register(
    Claim(
        id="graphs.augmentation_spectrum",
        statement="augmentation_graph(n, V) is symmetric with zero diagonal and row sums V−1; its "
        "Laplacian has eigenvalue 0 (multiplicity n) and V (multiplicity n(V−1))",
        spec="spectral.md §3, §5 item 3",
        problems=_aug_problems,
        predict=_aug_predict,
        measure=_aug_measure,
        compare=_aug_compare,
        plot=_aug_plot,
        tolerance_reason="backward-stable symmetric eigensolver: |λ̂ − λ| ≤ c·N·eps·‖L‖₂ with ‖L‖₂ = V and a "
        "generous c = 8 (error divided by V); the graph's 0/1 structure must be exact",
        figure_caption=(
            "Laplacian spectrum of augmentation_graph(n, V): n samples with V views each, N = nV nodes, "
            "G_ij = 1 between two views of one sample. Dots: the eigenvalues of L = D − G (D the diagonal "
            "matrix of the row sums of G) from a dense symmetric eigensolver, sorted and plotted against "
            "index / N; grey steps: the prediction, 0 with multiplicity n, then V with multiplicity n(V − "
            "1)."
        ),
    )
)

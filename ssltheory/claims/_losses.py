"""Built-in claims about the loss evaluators (matrix forms, invariances; spectral.md §5 items 2, 15)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory.claims._core import Claim, Comparison, Problem, Verdict
from ssltheory.claims._registry import register

__all__ = []  # claims register themselves on import; nothing here is public API

_EPS64 = float(np.finfo(np.float64).eps)
_FORMS = ("barlow_twins", "simclr", "vicreg", "sc_degree", "sc_none")


def _graph(rng: np.random.Generator, n: int, binary: bool) -> np.ndarray:
    g = (rng.random((n, n)) < 0.5) * (1.0 if binary else rng.uniform(0.1, 2.0, (n, n)))
    g = np.triu(g, 1)
    g = g + g.T
    for i in range(n):  # every node has a partner (BT's listing needs no empty column norm)
        if not g[i].any():
            j = (i + 1) % n
            g[i, j] = g[j, i] = 1.0
    return g


# --------------------------------------------------------------------------- matrix = listing forms
def _forms_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    sizes = (7,) if quick else (7, 16)
    problems = []
    for n in sizes:
        for form in _FORMS:
            k = int(rng.integers(2, 5))
            g = _graph(rng, n, binary=form == "barlow_twins")
            if form.startswith("sc"):
                g = g + np.diag(rng.uniform(0.0, 1.0, n))  # the diagonal is used as given (D2)
            z = rng.standard_normal((n, k)) * rng.uniform(0.3, 3.0)
            problems.append(Problem(f"{form} N={n} K={k}", {"graph": g, "embedding": z}, {"form": form}))
    return problems


def _forms_predict(problem: Problem, xp: ModuleType) -> float:
    from ssltheory import losses

    a = problem.arrays(xp)
    z, g = a["embedding"], a["graph"]
    form = problem.params["form"]
    if form == "barlow_twins":
        value = losses.barlow_twins_loss(z, g, redundancy_weight=0.5)
    elif form == "simclr":
        value = losses.simclr_loss(z, g, temperature=0.5)
    elif form == "vicreg":
        value = losses.vicreg_loss(z, g, variance_weight=1.5, covariance_weight=0.5, invariance_weight=0.7)
    else:
        value = losses.spectral_contrastive_loss(z, g, weighting=form[3:])
    return float(value)


def _forms_measure(problem: Problem, xp: ModuleType) -> dict[str, float]:
    """The listing forms of spec §2, written out on the host (loops as in the paper's code)."""
    z = np.asarray(problem.data["embedding"], dtype=np.float64)
    g = np.asarray(problem.data["graph"], dtype=np.float64)
    n = z.shape[0]
    form = problem.params["form"]
    if form == "barlow_twins":  # r, c = nonzero(G); left = Z[r], right = Z[c]
        r, c = np.nonzero(g)
        left, right = z[r], z[c]
        cc = (left.T @ right) / (
            np.outer(np.linalg.norm(left, axis=0), np.linalg.norm(right, axis=0)) + 1e-12
        )
        on = np.sum((np.diag(cc) - 1) ** 2)
        off = np.sum(cc**2) - np.sum(np.diag(cc) ** 2)
        return {"value": on + 0.5 * off, "scale": on + 0.5 * off}
    if form == "simclr":  # -Σ G log Ĝ with Ĝ entry by entry
        u = z / np.linalg.norm(z, axis=1, keepdims=True)
        total = 0.0
        for i in range(n):
            den = sum(math.exp(u[i] @ u[m] / 0.5) for m in range(n) if m != i)
            for j in range(n):
                if j != i and g[i, j]:
                    total -= g[i, j] * math.log(math.exp(u[i] @ u[j] / 0.5) / den)
        return {"value": total, "scale": total}
    if form == "vicreg":  # torch.cov-style listing, pairwise invariance over both orientations
        cov = np.cov(z.T, ddof=1)
        var = np.sum((1 - np.diag(cov)) ** 2)
        covt = 2 * np.sum(np.triu(cov, 1) ** 2)
        inv = sum(g[i, j] * np.sum((z[i] - z[j]) ** 2) for i in range(n) for j in range(n)) / n
        value = 1.5 * var + 0.5 * covt + 0.7 * inv
        return {"value": value, "scale": value}
    d = g.sum(1)  # spectral contrastive: the Frobenius identities of §2.5
    if form == "sc_degree":
        vol = d.sum()
        target = g / np.sqrt(np.outer(d, d))
        u = np.sqrt(d / vol)[:, None] * z
    else:
        target, u = g, z
    uu = u @ u.T
    value = np.linalg.norm(uu - target) ** 2 - np.linalg.norm(target) ** 2
    return {"value": value, "scale": np.linalg.norm(uu) ** 2 + np.linalg.norm(target) ** 2}


def _forms_compare(pred: float, meas: dict[str, float], problem: Problem, xp: ModuleType) -> Comparison:
    z = np.asarray(problem.data["embedding"])
    n, k = z.shape
    m = float(meas["value"])
    # Both sides sum O(N²K) non-negative terms (SC: terms bounded by ‖UUᵀ‖² + ‖Ā‖², the scale);
    # recursive-summation bound γ_m Σ|terms| with m = N²K + NK² operations (Higham §4.2), both sides
    # and the exp/log evaluations (SimCLR, a few ulps each): 8x that.
    tol = 8.0 * (n * n * k + n * k * k) * _EPS64
    err = abs(pred - m) / max(abs(float(meas["scale"])), 1e-300)
    return Comparison(
        predicted=pred, measured=m, error=err, tolerance=tol, details={"form": problem.params["form"]}
    )


def _ratio_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    labels = [v.problem for v in verdicts]
    ratio = [max(v.error, 1e-20) / v.tolerance for v in verdicts]
    ax.barh(range(len(ratio)), ratio)
    ax.set_xscale("log")
    ax.axvline(1.0, color="k", ls="--", lw=0.8)
    ax.set_yticks(range(len(labels)), labels, fontsize=6)
    ax.set_xlabel("error / tolerance (pass < 1)")


register(
    Claim(
        id="spectral.losses.matrix_forms",
        statement="Listing forms = matrix forms: BT C, SimCLR −Σ G log Ĝ, VICReg, SC Frobenius identities",
        spec="spectral.md §2.2–2.5, §5 item 2",
        problems=_forms_problems,
        predict=_forms_predict,
        measure=_forms_measure,
        compare=_forms_compare,
        plot=_ratio_plot,
        tolerance_reason="recursive-summation rounding γ_m·Σ|terms| with m = N²K + NK² operations (Higham), "
        "times 8 for both sides and the exp/log evaluations of SimCLR",
        figure_caption=(
            "error / tolerance of each test problem (bars, log scale; labels: the loss form, N nodes, K "
            "components; sc_degree / sc_none: spectral contrastive with degree or no weighting): the "
            "relative difference between the loss written as in the papers' listings (loops over pairs, "
            "the Barlow Twins cross-correlation, SimCLR's −Σ G log Ĝ) and the library's matrix form. A "
            "problem passes left of the dashed line at 1."
        ),
    )
)


# --------------------------------------------------------------------------- invariances of §3
_INVARIANCES = (
    ("vicreg_square", "rotation"),
    ("vicreg_square", "translation"),
    ("vicreg_hinge", "signed_permutation+translation"),
    ("simclr", "row_scaling"),
    ("simclr", "rotation"),
    ("barlow_twins", "column_scaling"),
    ("barlow_twins", "permutation"),
    ("spectral_contrastive", "rotation"),
    ("wmse", "affine"),
)


def _inv_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    sizes = (8,) if quick else (8, 24)
    problems = []
    for n in sizes:
        for loss, transform in _INVARIANCES:
            k = int(rng.integers(2, 5))
            g = _graph(rng, n, binary=False)
            z = rng.standard_normal((n, k))
            if transform == "rotation":
                t = np.linalg.qr(rng.standard_normal((k, k)))[0]
                shift = np.zeros((1, k))
            elif transform == "translation":
                t, shift = np.eye(k), rng.standard_normal((1, k)) * 3
            elif transform == "signed_permutation+translation":
                t = np.eye(k)[rng.permutation(k)] * rng.choice([-1.0, 1.0], k)
                shift = rng.standard_normal((1, k))
            elif transform == "column_scaling":
                t, shift = np.diag(rng.uniform(0.2, 5.0, k) * rng.choice([-1.0, 1.0], k)), np.zeros((1, k))
            elif transform == "permutation":
                t, shift = np.eye(k)[rng.permutation(k)], np.zeros((1, k))
            elif transform == "affine":
                t, shift = rng.standard_normal((k, k)) + 3 * np.eye(k), rng.standard_normal((1, k))
            else:  # row_scaling: a left multiplication, stored as a per-row factor
                t, shift = np.eye(k), np.zeros((1, k))
            rows = rng.uniform(0.1, 10.0, (n, 1)) if transform == "row_scaling" else np.ones((n, 1))
            problems.append(
                Problem(
                    f"{loss} {transform} N={n} K={k}",
                    {"graph": g, "embedding": z, "transform": t, "shift": shift, "rows": rows},
                    {"loss": loss},
                )
            )
    return problems


def _inv_loss(name: str) -> Any:
    from ssltheory import losses

    return {
        "vicreg_square": losses.VICRegLoss(variance_weight=1.3, covariance_weight=1.3, invariance_weight=0.4),
        "vicreg_hinge": losses.VICRegLoss(variance_penalty="hinge"),
        "simclr": losses.SimCLRLoss(),
        "barlow_twins": losses.BarlowTwinsLoss(redundancy_weight=0.6),
        "spectral_contrastive": losses.SpectralContrastiveLoss(),
        "wmse": losses.WMSELoss(),
    }[name]


def _inv_predict(problem: Problem, xp: ModuleType) -> float:
    a = problem.arrays(xp)
    return float(_inv_loss(problem.params["loss"])(a["embedding"], a["graph"]))


def _inv_measure(problem: Problem, xp: ModuleType) -> float:
    a = problem.arrays(xp)
    z = a["rows"] * (a["embedding"] @ a["transform"]) + a["shift"]
    return float(_inv_loss(problem.params["loss"])(z, a["graph"]))


def _inv_compare(pred: float, meas: float, problem: Problem, xp: ModuleType) -> Comparison:
    # spec §5 item 15: the invariances hold to default_rtol = 4 sqrt(eps) (relative to |L| + 1 so that
    # a loss near zero, e.g. an almost invariant W-MSE, is compared at absolute scale)
    tol = 4.0 * math.sqrt(_EPS64)
    return Comparison(
        predicted=pred, measured=meas, error=abs(pred - meas) / (abs(pred) + 1.0), tolerance=tol
    )


register(
    Claim(
        id="spectral.losses.invariances",
        statement="Loss invariances of §3: VICReg-sq (α=β) ZR, Z+1mᵀ; SimCLR row scalings, ZR; BT column "
        "scalings, permutations; SC ZR; W-MSE ZT+1mᵀ",
        spec="spectral.md §3, §5 item 15",
        problems=_inv_problems,
        predict=_inv_predict,
        measure=_inv_measure,
        compare=_inv_compare,
        plot=_ratio_plot,
        tolerance_reason="the library's default rtol 4·√eps (about 6e-8), relative to |L| + 1 so that a loss "
        "near zero (an almost invariant W-MSE) is compared at absolute scale",
        figure_caption=(
            "error / tolerance of each test problem (bars, log scale; labels: the loss, the "
            "transformation, N nodes, K components): the relative change of the loss under the "
            "transformation. A problem passes left of the dashed line at 1."
        ),
    )
)

"""Claims for SIGReg, LeJEPA's isotropic-Gaussian regulariser (Balestriero & LeCun, arXiv:2511.08544).

Predictions come from :mod:`ssltheory.dynamics._sigreg` (closed forms of the Epps–Pulley statistic,
its gradient and its exact moments). Measurements are independent: :func:`scipy.integrate.quad` of
the defining integral on the host, Monte Carlo over i.i.d. draws (tolerances from the Monte-Carlo
standard error), :class:`ssltheory.losses.VICRegLoss` for the VICReg terms, and training of the
embedding with :func:`ssltheory.nets.train`. They register on import.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend
from ssltheory.claims._core import Claim, Comparison, Problem, Verdict
from ssltheory.claims._registry import register

__all__ = []  # claims register themselves on import; nothing here is public API

_EPS64 = float(np.finfo(np.float64).eps)
_PAPER = "Balestriero & LeCun 2025, LeJEPA, arXiv:2511.08544"
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
# Monte-Carlo comparisons: |mean − prediction| <= k · SE with k the two-sided Student-t quantile at a
# false-failure rate of 1e-6 per comparison (≈ 4.9 standard errors for large R, the "5 SE" rule; a
# little more for the few replicates of the larger problems)
_MC_FALSE_ALARM = 1e-6


def _mc_k(n_replicates: int) -> float:
    from scipy.stats import t

    return float(t.ppf(1.0 - _MC_FALSE_ALARM / 2.0, n_replicates - 1))


def _sigreg_module():
    from ssltheory.dynamics import _sigreg

    return _sigreg


def _null_mean(beta: float) -> float:
    """E[EP] under N(0, 1): √(2π)β(1 − (1 + 2β²)^{-1/2}) (the library form; see the predict functions)."""
    return _sigreg_module().epps_pulley_expectation(1, bandwidth=beta).mean


# --------------------------------------------------------------------------- laws
# 1-D laws as Gaussian mixtures (means, stds, weights); all have mean 0 and variance 1.
_BIMODAL_MU = 0.9
_BIMODAL_SD = math.sqrt(1.0 - _BIMODAL_MU**2)
_LAWS_1D: dict[str, tuple[list[float], list[float], list[float]]] = {
    "gaussian": ([0.0], [1.0], [1.0]),
    "rademacher": ([-1.0, 1.0], [0.0, 0.0], [0.5, 0.5]),
    "bimodal": ([-_BIMODAL_MU, _BIMODAL_MU], [_BIMODAL_SD, _BIMODAL_SD], [0.5, 0.5]),
    # the "X" law of the paper's Figure 5 seen along its diagonal (e1 + e2)/√2: half the mass at 0,
    # half N(0, 2)
    "x_diagonal": ([0.0, 0.0], [0.0, math.sqrt(2.0)], [0.5, 0.5]),
}


def _draw_1d(law: str, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    mu, sd, pi = (np.asarray(v) for v in _LAWS_1D[law])
    comp = rng.choice(mu.size, size=shape, p=pi)
    return mu[comp] + sd[comp] * rng.standard_normal(shape)


def _draw_embedding(law: str, rng: np.random.Generator, shape: tuple[int, ...], q: np.ndarray) -> np.ndarray:
    """Rows with mean 0 and covariance I: i.i.d. coordinates of ``law`` rotated by ``q``, or the X law."""
    if law == "x":  # x₂ = ±x₁ with a fair random sign: Gaussian marginals, Cov = I, not Gaussian
        g = rng.standard_normal(shape)
        g[..., 1] = rng.choice([-1.0, 1.0], size=shape[:-1]) * g[..., 0]
        return g @ q.T
    return _draw_1d(law, rng, shape) @ q.T


def _projected_law(law: str, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Law of ``bᵀs`` (a Gaussian mixture) for the coordinates ``s`` of :func:`_draw_embedding`."""
    k = b.size
    if law == "x":
        rest = float(np.sum(b[2:] ** 2))
        sd = np.sqrt([(b[0] + b[1]) ** 2 + rest, (b[0] - b[1]) ** 2 + rest])
        return np.zeros(2), sd, np.full(2, 0.5)
    mu1, sd1, pi1 = (np.asarray(v) for v in _LAWS_1D[law])
    means, stds, weights = [], [], []
    for combo in itertools.product(range(mu1.size), repeat=k):
        c = np.asarray(combo)
        means.append(float(np.dot(mu1[c], b)))
        stds.append(float(np.sqrt(np.dot(sd1[c] ** 2, b**2))))
        weights.append(float(np.prod(pi1[c])))
    return np.asarray(means), np.asarray(stds), np.asarray(weights)


def _fourth_moments(law: str, q: np.ndarray) -> np.ndarray:
    """E[z_a z_b z_c z_d] of the rows of :func:`_draw_embedding` (mean 0, covariance I)."""
    k = q.shape[0]
    eye = np.eye(k)
    gauss = (
        np.einsum("ab,cd->abcd", eye, eye)
        + np.einsum("ac,bd->abcd", eye, eye)
        + np.einsum("ad,bc->abcd", eye, eye)
    )
    if law == "x":
        # s = (g, ±g, rest Gaussian): E s₁⁴ = E s₂⁴ = E s₁²s₂² = 3, odd mixed moments of s₁, s₂ vanish
        m = gauss.copy()
        m[0, 0, 1, 1] = m[1, 1, 0, 0] = m[0, 1, 0, 1] = m[1, 0, 1, 0] = m[0, 1, 1, 0] = m[1, 0, 0, 1] = 3.0
        return np.einsum("ai,bj,ck,dl,ijkl->abcd", q, q, q, q, m)
    mu, sd, pi = (np.asarray(v) for v in _LAWS_1D[law])
    kurt = float(np.sum(pi * (mu**4 + 6 * mu**2 * sd**2 + 3 * sd**4)))
    # independent coordinates: the Gaussian tensor plus (E s⁴ − 3) on the all-equal indices, rotated
    return gauss + (kurt - 3.0) * np.einsum("ai,bi,ci,di->abcd", q, q, q, q)


def _vicreg_term_expectations(m4: np.ndarray, n: int) -> tuple[float, float]:
    r"""Exact E of VICReg's variance Σ(1 − C_kk)² and covariance Σ_{k≠l} C_kl² terms (ddof = 1).

    For i.i.d. rows with mean 0 and covariance I the unbiased sample covariance has
    ``Var(C_kl) = (μ_kkll − δ_kl)/N + (1 + δ_kl)/(N(N − 1))`` (μ the fourth moments), and E C = I.
    """
    k = m4.shape[0]
    diag = np.array([m4[i, i, i, i] for i in range(k)])
    var_term = float(np.sum((diag - 1.0) / n + 2.0 / (n * (n - 1))))
    cov_term = float(
        sum(m4[i, i, j, j] / n + 1.0 / (n * (n - 1)) for i in range(k) for j in range(k) if i != j)
    )
    return var_term, cov_term


def _angles_directions(n_projections: int) -> np.ndarray:
    """``n_projections`` unit directions of the plane at angles πm/M (the half circle, as in Fig. 5)."""
    theta = np.pi * np.arange(n_projections) / n_projections
    return np.stack([np.cos(theta), np.sin(theta)])


def _rotation(theta: float) -> np.ndarray:
    return np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])


# =========================================================================== (a) closed form vs quad
def _quad_ep(x: np.ndarray, beta: float) -> tuple[float, float]:
    """N∫|φ̂_N − φ|² w by adaptive quadrature of the definition (host), with its error estimate."""
    from scipy import integrate

    n = x.size

    def integrand(t: float) -> float:
        c = float(np.mean(np.cos(t * x))) - math.exp(-t * t / 2)
        s = float(np.mean(np.sin(t * x)))
        return (c * c + s * s) * math.exp(-t * t / (2 * beta * beta))

    # the integrand is even in t; the weight makes it negligible (< 1e-300) beyond 40β
    val, err = integrate.quad(integrand, 0.0, 40.0 * beta, limit=2000, epsabs=1e-14, epsrel=1e-13)
    return 2 * n * val, 2 * n * err


def _closed_form_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [("gaussian", 24, 1.0), ("x_diagonal", 24, _INV_SQRT2), ("bimodal", 16, 2.0)]
    if not quick:
        settings += [("rademacher", 64, 1.0), ("gaussian", 128, 0.5), ("x_diagonal", 96, 1.0)]
    out = []
    for law, n, beta in settings:
        x = _draw_1d(law, rng, (n,))
        out.append(Problem(f"{law} N={n} β={beta:.3g}", {"x": x}, {"beta": beta, "n": n}))
    return out


def _closed_form_predict(problem: Problem, xp: ModuleType) -> dict[str, float]:
    sg = _sigreg_module()
    x = problem.arrays(xp)["x"]
    beta = problem.params["beta"]
    return {
        "exact": float(sg.epps_pulley(x, bandwidth=beta)),
        "paper_rule": float(sg.epps_pulley(x, bandwidth=beta, method="trapezoid")),
        "official_rule": float(sg.epps_pulley(x, bandwidth=beta, method="trapezoid", t_max=3.0, n_knots=33)),
    }


def _closed_form_measure(problem: Problem, xp: ModuleType) -> tuple[float, float]:
    return _quad_ep(np.asarray(problem.data["x"]), problem.params["beta"])


def _closed_form_compare(
    pred: dict, meas: tuple[float, float], problem: Problem, xp: ModuleType
) -> Comparison:
    value, quad_err = meas
    n, beta = problem.params["n"], problem.params["beta"]
    # the closed form adds O(N) terms of size √(2π)β·N that cancel to EP: rounding <= 64·N·eps·√(2π)βN;
    # the quadrature contributes its own error estimate (scaled by the factor 2N of the definition)
    tol = 4.0 * quad_err + 64.0 * n * _EPS64 * math.sqrt(2 * math.pi) * beta * n
    return Comparison(
        predicted=pred["exact"],
        measured=value,
        error=abs(pred["exact"] - value),
        tolerance=tol,
        details={
            "exact": pred["exact"],
            "quad": value,
            "paper_rule_rel_error": abs(pred["paper_rule"] - value) / abs(value),
            "official_rule_rel_error": abs(pred["official_rule"] - value) / abs(value),
        },
    )


def _closed_form_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    names, exact, paper, official = [], [], [], []
    for v in verdicts:
        if "quad" not in v.details:
            continue
        names.append(v.problem)
        exact.append(max(abs(v.details["exact"] - v.details["quad"]) / abs(v.details["quad"]), 1e-17))
        paper.append(max(v.details["paper_rule_rel_error"], 1e-17))
        official.append(max(v.details["official_rule_rel_error"], 1e-17))
    pos = np.arange(len(names))
    ax.bar(pos - 0.25, exact, 0.25, label="closed form")
    ax.bar(pos, paper, 0.25, label="paper: trapezoid, 17 knots on [−5, 5]")
    ax.bar(pos + 0.25, official, 0.25, label="official code: 17 knots on [0, 3], doubled")
    ax.set_yscale("log")
    ax.set_xticks(pos, names, rotation=20, fontsize=6)
    ax.set_ylabel("relative deviation from scipy.integrate.quad")
    ax.legend(fontsize=6)


register(
    Claim(
        id="dynamics.sigreg.closed_form",
        statement="The Epps–Pulley statistic N∫|φ̂_N(t) − e^{−t²/2}|² e^{−t²/(2β²)} dt equals its closed form "
        "√(2π)β[(1/N)Σ_jk e^{−β²(x_j−x_k)²/2} − 2(1+β²)^{−1/2} Σ_j e^{−β²x_j²/(2(1+β²))} + N(1+2β²)^{−1/2}] "
        "(to quadrature accuracy)",
        spec=f"{_PAPER}, §4.2.3 (Epps–Pulley) and Algorithm 1; Epps & Pulley, Biometrika 1983",
        problems=_closed_form_problems,
        predict=_closed_form_predict,
        measure=_closed_form_measure,
        compare=_closed_form_compare,
        plot=_closed_form_plot,
        error_kind="absolute error",
        tolerance_reason="4 × scipy.integrate.quad's error estimate + 64·N·eps·√(2π)βN (the closed form's "
        "cancellation of O(N) terms)",
        figure_caption=(
            "Relative deviation of three evaluations of the Epps–Pulley statistic EP (N samples x_j, "
            "weight w(t) = exp(−t²/(2β²))) from adaptive quadrature of its definition: the closed form "
            "(double sum over pairs), the trapezoid rule of the paper's Algorithm 1 (17 knots on [−5, 5]) "
            "and the official code's rule (17 knots on [0, 3], doubled by symmetry). Problem labels: the law "
            "the samples are drawn from, N and β."
        ),
    )
)


# =========================================================================== (b) null expectation
# The sample variance's own standard error (from the sample's fourth moment) is trustworthy only with
# thousands of draws: EP is skewed like a weighted χ², and with R = 400 the normalised error of the sample
# variance had a left tail 1.6e-3 beyond 5 (N = 8, 5000 simulated claims; at R = 4000 the 1e-3 quantile was
# −3.2). The variance is therefore checked only on problems with R >= _VARIANCE_MIN_R, reported otherwise.
_VARIANCE_MIN_R = 4000


def _null_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [(16, 1.0, 4000), (48, _INV_SQRT2, 4000), (128, 1.0, 400)]
    if not quick:
        settings = [(16, 1.0, 40000), (48, _INV_SQRT2, 10000), (256, 1.0, 2000), (512, 2.0, 400)]
    return [
        Problem(
            f"N(0,1), N={n} β={beta:.3g} R={r}",
            {"x": rng.standard_normal((n, r))},
            {"beta": beta, "n": n, "r": r},
        )
        for n, beta, r in settings
    ]


def _null_predict(problem: Problem, xp: ModuleType) -> dict[str, float]:
    sg = _sigreg_module()
    n, beta = problem.params["n"], problem.params["beta"]
    return {
        "exact_mean": sg.epps_pulley_expectation(n, bandwidth=beta).mean,
        "exact_var": sg.epps_pulley_null_variance(n, bandwidth=beta),
        "paper_mean": sg.epps_pulley_expectation(n, bandwidth=beta, method="trapezoid").mean,
        "official_mean": sg.epps_pulley_expectation(
            n, bandwidth=beta, method="trapezoid", t_max=3.0, n_knots=33
        ).mean,
    }


def _null_measure(problem: Problem, xp: ModuleType) -> dict[str, np.ndarray]:
    sg = _sigreg_module()
    x = problem.arrays(xp)["x"]
    beta = problem.params["beta"]
    return {
        "exact": _backend.to_numpy(sg.epps_pulley(x, bandwidth=beta)),
        "paper": _backend.to_numpy(sg.epps_pulley(x, bandwidth=beta, method="trapezoid")),
        "official": _backend.to_numpy(
            sg.epps_pulley(x, bandwidth=beta, method="trapezoid", t_max=3.0, n_knots=33)
        ),
    }


def _mean_component(sample: np.ndarray, predicted: float) -> tuple[float, float, float]:
    """(|mean − predicted| / (k·SE), mean, SE) for a Monte-Carlo sample."""
    r = sample.size
    se = float(np.std(sample, ddof=1)) / math.sqrt(r)
    mean = float(np.mean(sample))
    return abs(mean - predicted) / (_mc_k(r) * se), mean, se


def _null_compare(pred: dict, meas: dict, problem: Problem, xp: ModuleType) -> Comparison:
    ex = meas["exact"]
    r = ex.size
    parts = {}
    parts["exact_mean"], mean, se = _mean_component(ex, pred["exact_mean"])
    parts["paper_mean"], paper_mean, _ = _mean_component(meas["paper"], pred["paper_mean"])
    parts["official_mean"], official_mean, _ = _mean_component(meas["official"], pred["official_mean"])
    # the sample variance's standard error from the sample's fourth central moment
    c = ex - mean
    s2 = float(np.sum(c**2)) / (r - 1)
    se_var = math.sqrt(max(float(np.mean(c**4)) - s2 * s2, 0.0) / r)
    var_error = abs(s2 - pred["exact_var"]) / (_mc_k(r) * se_var)
    if r >= _VARIANCE_MIN_R:
        parts["exact_var"] = var_error
    return Comparison(
        predicted=pred["exact_mean"],
        measured=mean,
        error=max(parts.values()),
        tolerance=1.0,
        details={
            "components": parts,
            "n": problem.params["n"],
            "beta": problem.params["beta"],
            "mean": mean,
            "se": se,
            "predicted_mean": pred["exact_mean"],
            "variance": s2,
            "predicted_variance": pred["exact_var"],
            "variance_error": var_error,
            "variance_gated": r >= _VARIANCE_MIN_R,
            "paper_mean": paper_mean,
            "predicted_paper_mean": pred["paper_mean"],
            "official_mean": official_mean,
            "predicted_official_mean": pred["official_mean"],
        },
    )


def _null_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    betas = np.linspace(0.3, 2.2, 100)
    ax.plot(
        betas, [_null_mean(b) for b in betas], "k-", lw=1, label=r"$\sqrt{2\pi}\beta(1-(1+2\beta^2)^{-1/2})$"
    )
    for v in verdicts:
        d = v.details
        if "mean" not in d:
            continue
        ax.errorbar(
            d["beta"], d["mean"], yerr=5 * d["se"], fmt="o", ms=4, capsize=2, label=f"MC, {v.problem}"
        )
        ax.plot(d["beta"], d["official_mean"], "x", ms=5, color="C3")
    ax.plot([], [], "x", color="C3", label="MC of the official [0, 3] rule")
    ax.set_xlabel(r"bandwidth $\beta$")
    ax.set_ylabel(r"$\mathbb{E}[\mathrm{EP}]$ under $\mathcal{N}(0,1)$")
    ax.legend(fontsize=6)


register(
    Claim(
        id="dynamics.sigreg.null_expectation",
        statement="For N i.i.d. N(0,1) samples, E[EP] = √(2π)β(1 − (1+2β²)^{−1/2}) for every N (≈ 1.0594 at "
        "β = 1: the V-statistic's bias, not 0) and Var[EP] = 2πβ²[4(q − r²)/N + 2(1 − 1/N)(p − 2q + r²)]; "
        "the trapezoid statistics have the expectation Σ_k ω_k w(t_k)(1 − e^{−t_k²})",
        spec=f"{_PAPER}, Theorem 6 at P = N(0,1) and Algorithm 1 (derived here)",
        problems=_null_problems,
        predict=_null_predict,
        measure=_null_measure,
        compare=_null_compare,
        plot=_null_plot,
        error_kind="normalised error",
        tolerance_reason="each component |Monte-Carlo mean (or variance) − prediction| divided by k·SE, k "
        "the two-sided Student-t quantile at a 1e-6 false-failure rate (≈ 4.9); SE from the sample itself; "
        "the variance only where R >= 4000 (its SE estimate is unreliable below)",
        figure_caption=(
            "Expected Epps–Pulley statistic EP of N i.i.d. standard normal samples against the bandwidth β "
            "of its weight w(t) = exp(−t²/(2β²)). Line: the closed form √(2π)β(1 − (1 + 2β²)^{−1/2}), "
            "independent of N. Points: Monte-Carlo means over R draws (legend: N, β, R), error bars 5 "
            "standard errors; crosses: the same draws scored with the official code's quadrature (17 knots "
            "on [0, 3]), which sits about 0.7% low at β = 1 (its truncation at t = 3)."
        ),
    )
)


# =========================================================================== (b') Theorem 6
def _bias_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    laws = ("rademacher", "bimodal", "x_diagonal")
    sizes = ((8, 1500), (64, 300)) if quick else ((8, 20000), (64, 4000), (256, 800))
    out = []
    for law in laws:
        for n, r in sizes:
            out.append(
                Problem(f"{law} N={n} R={r}", {"x": _draw_1d(law, rng, (n, r))}, {"law": law, "n": n, "r": r})
            )
    return out


def _bias_predict(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    sg = _sigreg_module()
    mu, sd, pi = _LAWS_1D[problem.params["law"]]
    n = problem.params["n"]
    ex = sg.epps_pulley_expectation(n, means=mu, stds=sd, weights=pi)
    tr = sg.epps_pulley_expectation(n, means=mu, stds=sd, weights=pi, method="trapezoid")
    return {"exact": ex.mean, "distance": ex.distance, "bias": ex.bias, "paper": tr.mean}


def _bias_measure(problem: Problem, xp: ModuleType) -> dict[str, np.ndarray]:
    sg = _sigreg_module()
    x = problem.arrays(xp)["x"]
    return {
        "exact": _backend.to_numpy(sg.epps_pulley(x)),
        "paper": _backend.to_numpy(sg.epps_pulley(x, method="trapezoid")),
    }


def _bias_compare(pred: dict, meas: dict, problem: Problem, xp: ModuleType) -> Comparison:
    parts = {}
    parts["exact"], mean, se = _mean_component(meas["exact"], pred["exact"])
    parts["paper"], paper_mean, _ = _mean_component(meas["paper"], pred["paper"])
    return Comparison(
        predicted=pred["exact"],
        measured=mean,
        error=max(parts.values()),
        tolerance=1.0,
        details={
            "components": parts,
            "law": problem.params["law"],
            "n": problem.params["n"],
            "mean": mean,
            "se": se,
            "distance": pred["distance"],
            "bias": pred["bias"],
            "paper_mean": paper_mean,
            "predicted_paper_mean": pred["paper"],
        },
    )


def _bias_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    seen: dict[str, tuple[float, float]] = {}
    for v in verdicts:
        d = v.details
        if "law" not in d:
            continue
        seen[d["law"]] = (d["distance"], d["bias"])
        color = f"C{sorted(_LAWS_1D).index(d['law'])}"
        ax.errorbar(d["n"], d["mean"], yerr=5 * d["se"], fmt="o", ms=4, capsize=2, color=color)
    n_grid = np.geomspace(4, 512, 50)
    for law, (dist, bias) in seen.items():
        color = f"C{sorted(_LAWS_1D).index(law)}"
        ax.plot(n_grid, n_grid * dist + bias, "-", lw=1, color=color, label=f"{law}: N·D + ∫w(1−|φ_P|²)")
    ax.axhline(_null_mean(1.0), color="k", ls="--", lw=0.8, label="N(0,1) target")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N (samples)")
    ax.set_ylabel(r"$\mathbb{E}[\mathrm{EP}]$")
    ax.legend(fontsize=6)


register(
    Claim(
        id="dynamics.sigreg.finite_sample_bias",
        statement="For N i.i.d. samples of any law P, E[EP] = N·D(P) + ∫w(1 − |φ_P|²), D(P) = ∫w|φ_P − φ|² "
        "(the paper's Theorem 6, stated for EP/N); closed form for Gaussian mixtures and point masses",
        spec=f"{_PAPER}, Theorem 6 (proof B.13); normalisation: the theorem's L̂ is EP/N",
        problems=_bias_problems,
        predict=_bias_predict,
        measure=_bias_measure,
        compare=_bias_compare,
        plot=_bias_plot,
        error_kind="normalised error",
        tolerance_reason="|Monte-Carlo mean − prediction| / (k·SE), k the Student-t quantile at 1e-6 "
        "(exact statistic and the paper's 17-knot trapezoid, each against its own expectation)",
        figure_caption=(
            "Expected Epps–Pulley statistic EP (β = 1) of N i.i.d. samples of three laws with mean 0 and "
            "variance 1: Rademacher ±1, the bimodal mixture ½N(±0.9, 0.19) and the paper's 'X' law seen "
            "along its diagonal (½ δ₀ + ½ N(0, 2)). Lines: N·D(P) + ∫w(1 − |φ_P|²), with D(P) the population "
            "distance ∫w|φ_P − φ|², φ the N(0,1) characteristic function; points: Monte-Carlo means, error "
            "bars 5 standard errors. Dashed: the N(0,1) target's expectation."
        ),
    )
)


# =========================================================================== shrinkage (derived)
def _shrink_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [(16, 1.0, 4000), (32, _INV_SQRT2, 2000)]
    if not quick:
        settings += [(64, 1.0, 8000), (8, 2.0, 20000)]
    return [
        Problem(
            f"N={n} β={beta:.3g} R={r}", {"g": rng.standard_normal((n, r))}, {"n": n, "beta": beta, "r": r}
        )
        for n, beta, r in settings
    ]


def _shrink_predict(problem: Problem, xp: ModuleType) -> float:
    return _sigreg_module().epps_pulley_optimal_scale(problem.params["n"], bandwidth=problem.params["beta"])


def _shrink_measure(problem: Problem, xp: ModuleType) -> dict[str, float]:
    """Minimiser of the Monte-Carlo average of EP(s·g) over s (common draws g), with its standard error."""
    from scipy.optimize import brentq

    sg = _sigreg_module()
    g = problem.arrays(xp)["g"]
    beta, r = problem.params["beta"], problem.params["r"]

    def per_replicate(s: float) -> np.ndarray:  # d/ds EP(s g_r) = Σ_i g_ir ∂EP/∂x_i at x = s g_r
        return _backend.to_numpy(xp.sum(g * sg.epps_pulley_grad(s * g, bandwidth=beta), axis=0))

    # the mean derivative is negative at s = 0.5 and positive at 1.5 for N >= 4 (s* >= 0.74 there)
    s_hat = brentq(lambda s: float(np.mean(per_replicate(s))), 0.5, 1.5, xtol=1e-12)
    slope = per_replicate(s_hat)
    h = 1e-3
    curvature = (float(np.mean(per_replicate(s_hat + h))) - float(np.mean(per_replicate(s_hat - h)))) / (
        2 * h
    )
    # delta method: the root moves by (SE of the mean derivative) / (slope of the mean derivative)
    se = float(np.std(slope, ddof=1)) / math.sqrt(r) / curvature
    return {"s_hat": s_hat, "se": se}


def _shrink_compare(pred: float, meas: dict, problem: Problem, xp: ModuleType) -> Comparison:
    k = _mc_k(problem.params["r"])
    return Comparison(
        predicted=pred,
        measured=meas["s_hat"],
        error=abs(meas["s_hat"] - pred) / (k * meas["se"]),
        tolerance=1.0,
        details={
            "n": problem.params["n"],
            "beta": problem.params["beta"],
            "s_star": pred,
            "s_hat": meas["s_hat"],
            "se": meas["se"],
            "first_order": 1
            - (1 + 2 * problem.params["beta"] ** 2) / (3 * problem.params["beta"] ** 2 * problem.params["n"]),
        },
    )


def _shrink_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    sg = _sigreg_module()
    n_grid = np.unique(np.geomspace(2, 200, 60).astype(int))
    betas = sorted({v.details["beta"] for v in verdicts if "beta" in v.details})
    for i, beta in enumerate(betas):
        ax.plot(
            n_grid,
            [1 - sg.epps_pulley_optimal_scale(int(n), bandwidth=beta) for n in n_grid],
            "-",
            color=f"C{i}",
            lw=1,
            label=f"theory 1 − s*(N), β = {beta:.3g}",
        )
    for v in verdicts:
        d = v.details
        if "s_hat" not in d:
            continue
        i = betas.index(d["beta"])
        ax.errorbar(d["n"], 1 - d["s_hat"], yerr=5 * d["se"], fmt="o", ms=4, capsize=2, color=f"C{i}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N (samples per batch)")
    ax.set_ylabel(r"shrinkage $1 - s^*$")
    ax.legend(fontsize=6)


register(
    Claim(
        id="dynamics.sigreg.finite_sample_shrinkage",
        statement="Over Gaussian embeddings s·N(0, I), E[EP] (hence E[SIGReg]) is minimised at "
        "s*² = (ρ(1+β⁻²) − β⁻²)/(2 − ρ), ρ = (1 − 1/N)^{2/3}, i.e. s* = 1 − (1+2β²)/(3β²N) + O(N⁻²) "
        "(1 − 1/N at β = 1), not at s = 1: the V-statistic's bias shrinks the preferred scale",
        spec=f"derived here from {_PAPER}, Theorem 6",
        problems=_shrink_problems,
        predict=_shrink_predict,
        measure=_shrink_measure,
        compare=_shrink_compare,
        plot=_shrink_plot,
        error_kind="normalised error",
        tolerance_reason="|ŝ − s*| / (k·SE), ŝ the root of the Monte-Carlo mean derivative (common draws), "
        "SE by the delta method, k the Student-t quantile at 1e-6",
        figure_caption=(
            "Shrinkage 1 − s* of the Gaussian scale s that minimises the expected Epps–Pulley statistic "
            "E[EP] of N i.i.d. N(0, s²) samples (weight exp(−t²/(2β²))). Lines: the closed form "
            "s*² = (ρ(1 + β⁻²) − β⁻²)/(2 − ρ), ρ = (1 − 1/N)^{2/3}; points: the minimiser ŝ of the average "
            "of EP(s·g) over R fixed standard normal draws g, error bars 5 standard errors (delta method)."
        ),
    )
)


# =========================================================================== (c) moment-matched
def _matched_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    # SIGReg on r replicates (its relative standard error is small: the mean grows ∝ N, the spread ∝ √N);
    # VICReg's terms (squares of sample covariances, skewed like χ²) summed, on r_vicreg replicates
    n, r, r_vicreg, m = (256, 16, 64, 4) if quick else (1024, 24, 256, 8)
    out = []
    for law, theta in (("rademacher", 0.5), ("bimodal", 0.3), ("x", 0.0)):
        q = _rotation(theta)
        z = _draw_embedding(law, rng, (r_vicreg, n, 2), q)
        out.append(
            Problem(
                f"{law} rotated by {theta:g} rad, N={n} R={r}",
                {"z": z, "q": q, "directions": _angles_directions(m)},
                {"law": law, "n": n, "r": r},
            )
        )
    return out


def _matched_predict(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    sg = _sigreg_module()
    law, n = problem.params["law"], problem.params["n"]
    q = np.asarray(problem.data["q"])
    a = np.asarray(problem.data["directions"])
    per_dir = []
    for j in range(a.shape[1]):
        mu, sd, pi = _projected_law(law, q.T @ a[:, j])
        per_dir.append(sg.epps_pulley_expectation(n, means=mu, stds=sd, weights=pi).mean)
    var_term, cov_term = _vicreg_term_expectations(_fourth_moments(law, q), n)
    g_var, g_cov = _vicreg_term_expectations(_fourth_moments("gaussian", q), n)
    return {
        "sigreg": float(np.mean(per_dir)),
        "per_direction": per_dir,
        "null": _null_mean(1.0),
        "var_term": var_term,
        "cov_term": cov_term,
        "gaussian_var_term": g_var,
        "gaussian_cov_term": g_cov,
    }


def _vicreg_terms(z: Any, *, xp: ModuleType) -> float:
    """VICReg's variance + covariance terms Σ(1 − C_kk)² + Σ_{k≠l} C_kl² (paper convention, square)."""
    from ssltheory.losses import VICRegLoss

    n = z.shape[0]
    g = xp.zeros((n, n), dtype=z.dtype, device=_backend.device(z))  # no invariance term
    loss = VICRegLoss(
        variance_weight=1.0, covariance_weight=1.0, invariance_weight=0.0, variance_penalty="square"
    )
    return float(loss(z, g))


def _matched_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    sg = _sigreg_module()
    arr = problem.arrays(xp)
    z_all, a = arr["z"], arr["directions"]
    stats, vicreg = [], []
    for i in range(z_all.shape[0]):
        z = z_all[i, ...]
        if i < problem.params["r"]:
            stats.append(_backend.to_numpy(sg.sigreg(z, directions=a).statistics))
        vicreg.append(_vicreg_terms(z, xp=xp))
    # one replicate whitened exactly (sample mean 0, sample covariance I): VICReg's terms vanish
    z = z_all[0, ...]
    zc = z - xp.mean(z, axis=0, keepdims=True)
    w, v = xp.linalg.eigh(zc.mT @ zc / (z.shape[0] - 1))
    white = zc @ (v / xp.sqrt(w)[None, :]) @ v.mT
    return {
        "statistics": np.stack(stats),
        "vicreg": np.asarray(vicreg),
        "whitened_vicreg": _vicreg_terms(white, xp=xp),
        "whitened_sigreg": float(sg.sigreg(white, directions=a).value),
    }


def _matched_compare(pred: dict, meas: dict, problem: Problem, xp: ModuleType) -> Comparison:
    sig = np.mean(meas["statistics"], axis=1)  # SIGReg of each replicate
    parts = {}
    parts["sigreg"], mean, _ = _mean_component(sig, pred["sigreg"])
    # VICReg's terms against their exact expectation: reported, not gated. They are squares of sample
    # covariances (skewed like a χ² with 3 degrees of freedom) and the self-normalised error of their mean
    # over R = 64 replicates had a left tail 7e-4 beyond its 1e-6 Student-t quantile (20000 simulated
    # claims, rotated Rademacher). tests/test_dynamics_sigreg.py checks the fourth-moment formula with
    # 20000 replicates instead.
    vicreg_error, vic_mean, _ = _mean_component(meas["vicreg"], pred["var_term"] + pred["cov_term"])
    # whitening is exact up to rounding: the terms are sums of K² squares of O(N·eps) entries
    k = 2
    rounding = (k * k) * (64.0 * problem.params["n"] * _EPS64) ** 2
    parts["whitened_vicreg"] = meas["whitened_vicreg"] / rounding
    return Comparison(
        predicted=f"SIGReg {pred['sigreg']:.3g} = {pred['sigreg'] / pred['null']:.1f}× target; VICReg "
        f"{pred['var_term'] + pred['cov_term']:.2g}",
        measured=f"SIGReg {mean:.3g}; VICReg {vic_mean:.2g}",
        error=max(parts.values()),
        tolerance=1.0,
        details={
            "components": parts,
            "law": problem.params["law"],
            "factor_predicted": pred["sigreg"] / pred["null"],
            "factor_measured": mean / pred["null"],
            "per_direction_predicted": pred["per_direction"],
            "per_direction_measured": np.mean(meas["statistics"], axis=0).tolist(),
            "per_direction_se": (np.std(meas["statistics"], axis=0, ddof=1) / math.sqrt(sig.size)).tolist(),
            "vicreg_predicted": pred["var_term"] + pred["cov_term"],
            "vicreg_measured": vic_mean,
            "vicreg_error_reported": vicreg_error,
            "variance_term_predicted": pred["var_term"],
            "covariance_term_predicted": pred["cov_term"],
            "vicreg_gaussian": pred["gaussian_var_term"] + pred["gaussian_cov_term"],
            "whitened_vicreg": meas["whitened_vicreg"],
            "whitened_sigreg": meas["whitened_sigreg"],
            "null": pred["null"],
            "n": problem.params["n"],
        },
    )


def _matched_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    sg = _sigreg_module()
    grid = np.linspace(0.0, np.pi, 181)
    null = _null_mean(1.0)
    for i, v in enumerate(verdicts):
        d = v.details
        if "law" not in d:
            continue
        law, n = d["law"], d["n"]
        theta0 = {"rademacher": 0.5, "bimodal": 0.3, "x": 0.0}[law]
        q = _rotation(theta0)
        curve = []
        for th in grid:
            mu, sd, pi = _projected_law(law, q.T @ np.array([math.cos(th), math.sin(th)]))
            curve.append(sg.epps_pulley_expectation(n, means=mu, stds=sd, weights=pi).mean / null)
        m = len(d["per_direction_measured"])
        angles = np.pi * np.arange(m) / m
        ax.plot(grid, curve, "-", lw=1, color=f"C{i}", label=f"{law}: E[EP(θ)] / E_target")
        ax.errorbar(
            angles,
            np.asarray(d["per_direction_measured"]) / null,
            yerr=5 * np.asarray(d["per_direction_se"]) / null,
            fmt="o",
            ms=4,
            color=f"C{i}",
            capsize=2,
        )
    ax.axhline(1.0, color="k", ls="--", lw=0.8, label="isotropic Gaussian")
    ax.set_yscale("log")
    ax.set_xlabel(r"direction angle $\theta$ (rad)")
    ax.set_ylabel(r"$\mathbb{E}[\mathrm{EP}(Z a_\theta)]\ /\ \mathbb{E}_{\mathcal{N}}[\mathrm{EP}]$")
    ax.legend(fontsize=6)


register(
    Claim(
        id="dynamics.sigreg.moment_matched_non_gaussian",
        statement="Embeddings with mean 0 and covariance I but non-Gaussian (rotated Rademacher or bimodal "
        "coordinates, the 'X' law): VICReg's variance and covariance terms are O(1/N) like a Gaussian's "
        "(exact expectations from fourth moments; exactly 0 after whitening) while E[SIGReg] = mean over "
        "directions of N·D(P_a) + bias grows ∝ N (≈ 4–11× the target's value at N = 256)",
        spec=f"{_PAPER}, §4.2.1 (Theorem 3, moments are insufficient), Figure 5, §5.2 (VICReg recovery, "
        "B.14)",
        problems=_matched_problems,
        predict=_matched_predict,
        measure=_matched_measure,
        compare=_matched_compare,
        plot=_matched_plot,
        error_kind="normalised error",
        tolerance_reason="SIGReg: |Monte-Carlo mean − closed form| / (k·SE), k the Student-t quantile at "
        "1e-6; the whitened embedding's VICReg terms against K²(64·N·eps)²; the unwhitened VICReg terms "
        "against their fourth-moment expectation are reported (details), not gated",
        figure_caption=(
            "Directional Epps–Pulley statistic EP (β = 1) of embeddings Z with mean 0 and covariance I that "
            "are not Gaussian, along the unit direction a_θ = (cos θ, sin θ), divided by its expectation "
            "under the isotropic Gaussian target (≈ 1.059). Lines: the closed-form expectation N·D(P_θ) + "
            "∫w(1 − |φ_{P_θ}|²) of the projected law P_θ; points: Monte-Carlo means over R replicates "
            "(error bars 5 standard errors). VICReg's variance and covariance terms of the same embeddings "
            "are O(1/N) (report.json: vicreg_predicted, vicreg_measured); the X law's marginals are exactly "
            "Gaussian (θ = 0, π/2) and it is detected only near the diagonals."
        ),
    )
)


# =========================================================================== Theorem 4, corrected
def _quad_grad(x: np.ndarray, i: int, beta: float) -> tuple[float, float]:
    """∂EP/∂x_i = 2∫ t w(t)[Im φ̂ cos(t x_i) − (Re φ̂ − φ) sin(t x_i)] dt by quadrature (host)."""
    from scipy import integrate

    def integrand(t: float) -> float:
        re = float(np.mean(np.cos(t * x))) - math.exp(-t * t / 2)
        im = float(np.mean(np.sin(t * x)))
        return t * math.exp(-t * t / (2 * beta * beta)) * (im * math.cos(t * x[i]) - re * math.sin(t * x[i]))

    # even integrand; ∫ over [0, ∞) doubled, the weight negligible beyond 40β
    val, err = integrate.quad(integrand, 0.0, 40.0 * beta, limit=2000, epsabs=1e-14, epsrel=1e-12)
    return 4 * val, 4 * err


def _grad_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    n = 12 if quick else 40
    n_collapsed = 48 if quick else 200
    out = [
        Problem(f"N(0,1) N={n} β=1", {"x": rng.standard_normal(n)}, {"beta": 1.0, "n": n}),
        Problem(
            f"X diagonal N={n} β=1/√2 (the text's σ = 1)",
            {"x": _draw_1d("x_diagonal", rng, (n,))},
            {"beta": _INV_SQRT2, "n": n},
        ),
        # a collapsed embedding (every sample near 1): the gradient SIGReg must push hardest on
        Problem(
            f"collapsed at 1, N={n_collapsed} β=1",
            {"x": 1.0 + 1e-3 * rng.standard_normal(n_collapsed)},
            {"beta": 1.0, "n": n_collapsed},
        ),
    ]
    return out


def _grad_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    sg = _sigreg_module()
    x = problem.arrays(xp)["x"]
    return _backend.to_numpy(sg.epps_pulley_grad(x, bandwidth=problem.params["beta"]))


def _grad_measure(problem: Problem, xp: ModuleType) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(problem.data["x"])
    out = [_quad_grad(x, i, problem.params["beta"]) for i in range(x.size)]
    return np.array([v for v, _ in out]), np.array([e for _, e in out])


def _grad_compare(pred: np.ndarray, meas: tuple, problem: Problem, xp: ModuleType) -> Comparison:
    values, errs = meas
    n, beta = problem.params["n"], problem.params["beta"]
    # closed form: O(N) terms of size √(2π)β·2β² cancel (rounding 64·N·eps·that); quadrature: 4 × estimate
    tol = 4.0 * float(np.max(errs)) + 64.0 * n * _EPS64 * math.sqrt(2 * math.pi) * beta * 2 * beta**2
    bound = 8.0 * beta**2  # 4∫|t| w = 8β² (= 4σ² with w = exp(−t²/σ²)), since |φ̂ − φ| <= 2
    worst = float(np.max(np.abs(values)))
    parts = {"closed_form": float(np.max(np.abs(pred - values))) / tol, "bound": worst / bound}
    return Comparison(
        predicted=f"‖∇‖∞ ≤ {bound:.3g}",
        measured=worst,
        error=max(parts.values()),
        tolerance=1.0,
        details={
            "components": parts,
            "max_abs_grad": worst,
            "corrected_bound": bound,
            "paper_bound": bound / n,
            "paper_bound_violation": worst / (bound / n),
            "n": n,
            "grad_closed_form": pred.tolist(),
            "grad_quad": values.tolist(),
        },
    )


def _grad_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    for i, v in enumerate(verdicts):
        d = v.details
        if "grad_quad" not in d:
            continue
        ax.plot(d["grad_quad"], d["grad_closed_form"], "o", ms=4, color=f"C{i}", label=v.problem)
        ax.axhline(d["paper_bound"], color=f"C{i}", ls=":", lw=0.8)
        ax.axhline(-d["paper_bound"], color=f"C{i}", ls=":", lw=0.8)
    lim = max((abs(x) for v in verdicts for x in v.details.get("grad_quad", [0.0])), default=1.0)
    ax.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
    ax.set_xlabel(r"$\partial\mathrm{EP}/\partial x_i$ by quadrature of its integral")
    ax.set_ylabel(r"closed-form $\partial\mathrm{EP}/\partial x_i$")
    ax.legend(fontsize=6, title="dotted: the paper's ±4σ²/N", title_fontsize=6)


register(
    Claim(
        id="dynamics.sigreg.gradient_bound",
        statement="∂EP/∂x_i has a closed form (matches quadrature of its integral) and |∂EP/∂x_i| ≤ "
        "4σ² = 8β² for EP = N∫|φ̂_N − φ|²w; the paper's 4σ²/N (Theorem 4) bounds EP/N, not EP, and is "
        "exceeded by EP (by up to ~N×, e.g. on a collapsed embedding)",
        spec=f"{_PAPER}, Theorem 4 (proof B.12 differentiates the distance without the factor N); "
        "corrected here",
        problems=_grad_problems,
        predict=_grad_predict,
        measure=_grad_measure,
        compare=_grad_compare,
        plot=_grad_plot,
        error_kind="normalised error",
        tolerance_reason="closed form vs quadrature: 4 × quad's error estimate + 64·N·eps·√(2π)β·2β²; bound: "
        "max|∂EP/∂x_i| / 8β²",
        figure_caption=(
            "Per-sample gradient ∂EP/∂x_i of the Epps–Pulley statistic EP = N∫|φ̂_N − φ|²w (w(t) = "
            "exp(−t²/(2β²)), φ̂_N the empirical and φ the N(0,1) characteristic function): x, adaptive "
            "quadrature of its integral form; y, the closed form. Dashed: y = x. Dotted: ±4σ²/N = ±8β²/N, "
            "the bound the paper's Theorem 4 states for EP, which the gradients exceed; the bound that "
            "holds is 8β²."
        ),
    )
)


# =========================================================================== descent (training)
class _SIGRegTrainingLoss:
    """SIGReg with directions redrawn at every call (as LeJEPA trains), for :func:`ssltheory.nets.train`."""

    def __init__(self, n_projections: int, seed: int) -> None:
        self.n_projections = n_projections
        self.rng = np.random.default_rng(seed)

    def value_and_grad(self, z: Any, graph: Any) -> Any:
        from ssltheory.losses._base import LossValue

        res = _sigreg_module().sigreg(z, n_projections=self.n_projections, rng=self.rng)
        return LossValue(res.value, res.grad)


def _descent_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    n, k, steps = (64, 3, 120) if quick else (256, 8, 400)
    z0 = _draw_embedding("x", rng, (n, k), np.eye(k))
    return [
        Problem(
            f"X law in the first 2 of K={k} coordinates, N={n}, {steps} Adam steps",
            {"z0": z0},
            {"n": n, "k": k, "steps": steps, "m": 8, "seed": int(rng.integers(2**31))},
        )
    ]


def _descent_predict(problem: Problem, xp: ModuleType) -> dict[str, float]:
    sg = _sigreg_module()
    n = problem.params["n"]
    mu, sd, pi = _LAWS_1D["x_diagonal"]
    return {
        "initial_probe": sg.epps_pulley_expectation(n, means=mu, stds=sd, weights=pi).mean,
        "target": sg.epps_pulley_expectation(n).mean,
    }


def _descent_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    from ssltheory.nets import Adam, Linear, train

    sg = _sigreg_module()
    p = problem.params
    n, k = p["n"], p["k"]
    z0 = problem.arrays(xp)["z0"]
    dev = _backend.device(z0)
    # the embedding itself is the parameter: Z = I_N Wᵀ with W initialised to Z₀ᵀ
    eye = xp.eye(n, dtype=z0.dtype, device=dev)
    model = Linear(n, k, bias=False).init(np.random.default_rng(0), xp=xp, device=dev)
    model.set_parameters({"weight": z0.mT})
    graph = xp.zeros((n, n), dtype=z0.dtype, device=dev)
    probe_np = np.zeros(k)
    probe_np[:2] = _INV_SQRT2
    probe = xp.asarray(probe_np, dtype=z0.dtype, device=dev)
    held_out = xp.asarray(sg.random_directions(k, 32, rng=p["seed"] + 1), dtype=z0.dtype, device=dev)
    steps, probe_curve, held_curve = [], [], []

    def record(step: int, z: Any) -> None:
        steps.append(step)
        probe_curve.append(float(sg.epps_pulley(z @ probe)))
        held_curve.append(float(sg.sigreg(z, directions=held_out).value))

    record(0, z0)

    def callback(step: int, value: float, mdl: Any) -> None:
        if step % 10 == 0 or step == p["steps"]:
            record(step, mdl.forward(eye))

    train(
        model,
        _SIGRegTrainingLoss(p["m"], p["seed"]),
        eye,
        graph,
        optimizer=Adam(learning_rate=0.05),
        n_steps=p["steps"],
        callback=callback,
        progress=False,
    )
    return {"steps": steps, "probe": probe_curve, "held_out": held_curve}


def _descent_compare(pred: dict, meas: dict, problem: Problem, xp: ModuleType) -> Comparison:
    target = pred["target"]
    final_probe, final_held = meas["probe"][-1], meas["held_out"][-1]
    # the claim: descent ends below the level an exact Gaussian sample has on average
    error = max(final_probe, final_held) / target
    return Comparison(
        predicted=f"< {target:.4g} (E[EP] of a Gaussian sample)",
        measured=f"diagonal {final_probe:.3g}, held-out {final_held:.3g}",
        error=error,
        tolerance=1.0,
        details={
            "steps": meas["steps"],
            "probe": meas["probe"],
            "held_out": meas["held_out"],
            "initial_probe_expected": pred["initial_probe"],
            "target": target,
        },
    )


def _descent_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    for v in verdicts:
        d = v.details
        if "steps" not in d:
            continue
        ax.plot(d["steps"], d["probe"], "o-", ms=3, label="trained: EP along the X diagonal")
        ax.plot(d["steps"], d["held_out"], "s-", ms=3, label="trained: SIGReg, 32 held-out directions")
        ax.axhline(
            d["initial_probe_expected"], color="C0", ls=":", label="theory: E[EP] of the X law (start)"
        )
        ax.axhline(d["target"], color="k", ls="--", label="theory: E[EP] of a Gaussian sample")
    ax.set_yscale("log")
    ax.set_xlabel("Adam step")
    ax.set_ylabel("Epps–Pulley statistic (β = 1)")
    ax.legend(fontsize=6)


register(
    Claim(
        id="dynamics.sigreg.descent_below_gaussian",
        statement="Minimising SIGReg (directions redrawn each step) on an X-law embedding removes the "
        "diagonal non-Gaussianity that VICReg's terms miss, and ends below E[EP] of an exact Gaussian sample "
        "(√(2π)(1 − 3^{−1/2}) ≈ 1.06): at finite N the minimiser is a more regular point set, not a "
        "Gaussian sample",
        spec=f"{_PAPER}, §4.3 'Empirical validation on synthetic data' (Figure 6); the finite-N floor is "
        "derived here",
        problems=_descent_problems,
        predict=_descent_predict,
        measure=_descent_measure,
        compare=_descent_compare,
        plot=_descent_plot,
        error_kind="threshold ratio",
        tolerance_reason="final statistic ÷ the Gaussian sample's expectation; passes below 1 (measured "
        "0.01–0.05 at the quick size)",
        figure_caption=(
            "Training the embedding Z itself (ssltheory.nets.Linear on the identity, Adam, learning rate "
            "0.05) to minimise SIGReg with 8 unit directions redrawn at every step, from N samples of the "
            "paper's 'X' law (x₂ = ±x₁ in the first two of K coordinates, the rest Gaussian). Circles: the "
            "Epps–Pulley statistic EP (β = 1) along the diagonal (e₁ + e₂)/√2; squares: SIGReg on 32 fixed "
            "held-out directions. Dotted: the closed-form E[EP] of the X law along the diagonal (the start); "
            "dashed: E[EP] of an i.i.d. N(0, 1) sample, which training goes below."
        ),
    )
)

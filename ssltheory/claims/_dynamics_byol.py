"""Claims for linear BYOL / SimSiam dynamics with a linear predictor (Tian, Chen & Ganguli, arXiv:2102.06810).

Every prediction comes from :mod:`ssltheory.dynamics._byol` on the backend under test. Every
measurement is gradient descent on the *full matrices* (online network ``W``, predictor ``W_p``,
target ``W_a`` = ``W`` behind a stop-gradient, or its EMA) with the exact population gradients
``G = W_a X - W_p W (X + σ² I)``, in host NumPy, written here independently of the closed forms: no
eigen-decomposition is used while training, the bases of ``X`` and of the outputs are random
rotations, and the initial weights carry a generic perturbation off the aligned subspace.

Claims
------
``dynamics.byol.fixed_points``
    GD reaches the fixed points: predictor eigenvalues ``p+`` and ``F = W X Wᵀ`` eigenvalues
    ``d p+²/α_p`` on the top data directions that have a non-trivial fixed point, zeros elsewhere.
``dynamics.byol.collapse_boundary``
    A data direction stops being learned where ``η`` (or ``σ²``) crosses ``d²/(4(d + σ²))``
    (``d²/(4η) - d``), located by a two-stage sweep of batched GD runs.
``dynamics.byol.balance_decay``
    ``‖W_pᵀW_p - α_p W Wᵀ‖_F`` decays as ``e^{-2ηt}`` from a generic initialisation.
``dynamics.byol.mode_trajectory``
    From a balanced, aligned initialisation the predictor eigenvalues follow the closed-form
    ``p_j(t)`` (inverse of the separable time integral).
``dynamics.byol.directpred_fixed_points``
    With the predictor set each step by DirectPred (``p_j = sqrt(s_j)`` of the augmented-feature
    correlation, unnormalised), the online network reaches the same ``p+`` and the features
    ``d p+²/(d + σ²)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend
from ssltheory.claims._core import Claim, Comparison, Problem, Verdict
from ssltheory.claims._registry import register

__all__ = []  # claims register themselves on import; nothing here is public API

_PAPER = "Tian, Chen & Ganguli, ICML 2021, arXiv:2102.06810"
# the GD runs stop once the geometric-series bound on the remaining distance to the fixed point
# is below this (or at the step cap; the tolerance is then the bound, capped at _MAX_TOL)
_CONVERGED = 1e-11
# eigenvalues of n ≤ 8 matrices of entries O(1): LAPACK's backward error is O(n·eps·‖A‖) ≈ 1e-15;
# the floor keeps a tolerance above it when the GD run converged to rounding
_ROUNDING = 1e-12
# a convergence certificate above this means the run did not settle: the check then fails
_MAX_TOL = 1e-6


# ============================================================================ the simulator
def _rotation(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _directpred(corr: np.ndarray) -> np.ndarray:
    """``U diag(sqrt(max(s, 0))) Uᵀ`` of a batch of symmetric matrices (host NumPy)."""
    s, u = np.linalg.eigh(0.5 * (corr + np.swapaxes(corr, -1, -2)))
    return (u * np.sqrt(np.maximum(s, 0.0))[..., None, :]) @ np.swapaxes(u, -1, -2)


class _Run:
    """Gradient descent on linear SimSiam / BYOL, batched over a leading axis.

    ``wp`` (B, n, n), ``w`` (B, n, d), ``x`` (B or 1, d, d); ``sigma2``, ``eta`` (B or 1,).
    One step (Euler on the flow of the paper's Lemma 1)::

        G   = W_a X - W_p W (X + σ² I)
        W_p ← W_p + lr (α_p G Wᵀ - η W_p)         (or W_p ← DirectPred(κ² W (X + σ²I) Wᵀ))
        W   ← W + lr (W_pᵀ G - η W)
        W_a ← W_a + lr β (W - W_a)                (W_a = W for SimSiam)
    """

    def __init__(self, wp, w, x, *, sigma2, eta, lr, alpha=1.0, beta=None, directpred=None):
        self.wp = np.array(wp, dtype=float)
        self.w = np.array(w, dtype=float)
        self.wa = self.w.copy()
        self.x = np.asarray(x, dtype=float)
        eye = np.eye(self.x.shape[-1])
        self.sigma2 = np.reshape(np.asarray(sigma2, dtype=float), (-1, 1, 1))
        self.eta = np.reshape(np.asarray(eta, dtype=float), (-1, 1, 1))
        self.xa = self.x + self.sigma2 * eye
        self.lr, self.alpha, self.beta, self.directpred = lr, alpha, beta, directpred
        self.steps = 0
        if directpred is not None:
            self.wp = _directpred(directpred * (self.w @ self.xa @ np.swapaxes(self.w, -1, -2)))

    def step(self) -> float:
        """One step; returns the Frobenius norm of the update of (W_p, W, W_a), the largest in the batch."""
        wp, w, wa = self.wp, self.w, self.wa
        wt = np.swapaxes(w, -1, -2)
        g = wa @ self.x - wp @ (w @ self.xa)
        dw = self.lr * (np.swapaxes(wp, -1, -2) @ g - self.eta * w)
        if self.directpred is None:
            dwp = self.lr * (self.alpha * (g @ wt) - self.eta * wp)
            self.wp = wp + dwp
        self.w = w + dw
        if self.beta is None:
            self.wa = self.w
            dwa = dw
        else:
            dwa = self.lr * self.beta * (w - wa)
            self.wa = wa + dwa
        if self.directpred is not None:
            new_wp = _directpred(self.directpred * (self.w @ self.xa @ np.swapaxes(self.w, -1, -2)))
            dwp = new_wp - wp
            self.wp = new_wp
        self.steps += 1
        sq = np.sum(dwp * dwp, axis=(-2, -1)) + np.sum(dw * dw, axis=(-2, -1))
        if self.beta is not None:
            sq = sq + np.sum(dwa * dwa, axis=(-2, -1))
        return float(np.sqrt(np.max(sq)))

    def run(self, steps: int) -> float:
        norm = 0.0
        for _ in range(steps):
            norm = self.step()
        return norm

    def converge(self, *, max_steps: int, chunk: int = 250) -> float:
        """Step until the remaining distance bound is below ``_CONVERGED``; return that bound.

        With linear convergence the updates shrink by a factor ``q`` per step, measured over the
        last chunk, and the distance left is at most ``‖Δ‖ q / (1 - q)`` (a geometric series).
        """
        prev = self.run(chunk)
        bound = math.inf
        while self.steps < max_steps:
            last = self.run(chunk)
            if last == 0.0:
                return 0.0
            q = (last / prev) ** (1.0 / chunk) if prev > 0 else 1.0
            bound = last * q / (1.0 - q) if q < 1.0 else math.inf
            if bound < _CONVERGED:
                return bound
            prev = last
        return bound


def _spectra(run: _Run) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (descending) eigenvalues of ``W_p`` (real parts) and of ``F = W X Wᵀ``, batch 0."""
    p = np.sort(np.linalg.eigvals(run.wp[0]).real)[::-1]
    f = run.w[0] @ run.x[0] @ run.w[0].T
    s = np.sort(np.linalg.eigvalsh(0.5 * (f + f.T)))[::-1]
    return p, s


def _contiguous(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """C-contiguous copies (reversed views such as ``sort(...)[::-1]`` cannot be wrapped by every backend)."""
    return {key: np.ascontiguousarray(value) for key, value in data.items()}


def _to_host(x: Any) -> np.ndarray:
    return np.asarray(_backend.to_numpy(x), dtype=float)


# ============================================================================ problems
def _draw_modes(
    rng: np.random.Generator, k: int, sigma2: float, *, margin: float
) -> tuple[np.ndarray, float]:
    """Distinct data eigenvalues in [0.3, 2.5] and a weight decay at least ``margin`` (relative)
    away from every mode's collapse boundary, with at least two modes kept and one collapsed."""
    while True:
        d = np.sort(rng.uniform(0.3, 2.5, k))[::-1]
        if np.min(-np.diff(d)) < 0.1:
            continue
        star = d * d / (4.0 * (d + sigma2))
        eta = float(rng.uniform(star[-1], star[1]))  # between the boundaries of the last and second mode
        if np.min(np.abs(eta / star - 1.0)) > margin and np.sum(star > eta) >= 2 and np.sum(star < eta) >= 1:
            return d, eta


def _draw_bottleneck(rng: np.random.Generator, k: int, n: int, sigma2: float) -> tuple[np.ndarray, float]:
    """Data eigenvalues and a weight decay with more than ``n`` modes kept and at least one collapsed:
    η ∈ [1.3 η*_last, min(η*_n / 2, η*_{n+1} / 1.3)], so the top ``n`` modes are well inside their
    boundaries (a generic start then keeps every predictor direction alive, see the docs)."""
    while True:
        d = np.sort(rng.uniform(0.3, 2.5, k))[::-1]
        if np.min(-np.diff(d)) < 0.1:
            continue
        star = d * d / (4.0 * (d + sigma2))
        lo, hi = 1.3 * star[-1], min(0.5 * star[n - 1], star[n] / 1.3)
        if lo < hi:
            return d, float(rng.uniform(lo, hi))


def _aligned(rng, d, n, p0, alpha, perturb):
    """``X = U diag(d) Uᵀ``, ``W = V diag(p0/√α) U_nᵀ``, ``W_p = V diag(p0) Vᵀ``, plus a generic
    perturbation of size ``perturb`` on both."""
    dim = d.shape[0]
    u, v = _rotation(rng, dim), _rotation(rng, n)
    x = (u * d) @ u.T
    w = (v * (p0 / math.sqrt(alpha))) @ u[:, :n].T
    wp = (v * p0) @ v.T
    scale = perturb / math.sqrt(n)
    return x, wp + scale * rng.standard_normal(wp.shape), w + scale * rng.standard_normal(w.shape)


def _fixed_point_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [("aligned", 4, 4, 1.0, None), ("generic", 5, 2, 1.0, None)]
    if not quick:
        settings += [("aligned", 5, 5, 2.0, 1.0), ("generic", 6, 3, 0.5, 1.0), ("aligned", 3, 3, 1.0, 0.5)]
    out = []
    for kind, k, n, alpha, beta in settings:
        sigma2 = float(rng.uniform(0.2, 1.0))
        p0 = rng.uniform(0.7, 1.2, n)  # above every p- (p- < d/(2(d+σ²)) < 1/2): every slot live
        if kind == "aligned":
            d, eta = _draw_modes(rng, k, sigma2, margin=0.3)
            x, wp, w = _aligned(rng, d, n, p0, alpha, perturb=0.05)
        else:
            # W's row space a random n-frame of R^d (not eigenvectors of X), W_p ≈ V diag(p0) Vᵀ
            d, eta = _draw_bottleneck(rng, k, n, sigma2)
            u = _rotation(rng, k)
            x = (u * d) @ u.T
            frame = np.linalg.qr(rng.standard_normal((k, n)))[0]
            v = _rotation(rng, n)
            w = (v * (p0 / math.sqrt(alpha))) @ frame.T
            wp = (v * p0) @ v.T + 0.05 * rng.standard_normal((n, n))
        ema = "" if beta is None else f" EMA β={beta:g}"
        out.append(
            Problem(
                f"{kind} n={n} d={k} α_p={alpha:g}{ema} σ²={sigma2:.2f} η={eta:.3f}",
                _contiguous({"data_eigenvalues": d, "x": x, "wp": wp, "w": w}),
                {"sigma2": sigma2, "eta": eta, "alpha": alpha, "beta": beta, "n": n, "lr": 0.2},
            )
        )
    return out


def _top_spectrum(d: np.ndarray, p_plus: np.ndarray, exists: np.ndarray, n: int, alpha: float, feature_scale):
    """The derived full-matrix prediction: the top-min(n, r) existing directions at p+, zeros elsewhere."""
    order = np.argsort(-d, kind="stable")
    keep = [j for j in order if exists[j]][:n]
    p = np.zeros(n)
    s = np.zeros(n)
    p[: len(keep)] = p_plus[keep]
    s[: len(keep)] = feature_scale(d[keep], p_plus[keep])
    return np.sort(p)[::-1], np.sort(s)[::-1]


def _fixed_point_predict(problem: Problem, xp: ModuleType) -> tuple[np.ndarray, np.ndarray]:
    from ssltheory.dynamics._byol import byol_fixed_points

    a = problem.arrays(xp)
    prm = dict(problem.params)
    fp = byol_fixed_points(
        a["data_eigenvalues"],
        noise_variance=prm["sigma2"],
        weight_decay=prm["eta"],
        predictor_lr_ratio=prm["alpha"],
    )
    d = problem.data["data_eigenvalues"]
    return _top_spectrum(
        d,
        _to_host(fp.predictor),
        _to_host(fp.exists).astype(bool),
        prm["n"],
        prm["alpha"],
        lambda dk, pk: dk * pk * pk / prm["alpha"],
    )


def _fixed_point_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    prm = dict(problem.params)
    data = problem.data
    run = _Run(
        data["wp"][None],
        data["w"][None],
        data["x"][None],
        sigma2=prm["sigma2"],
        eta=prm["eta"],
        lr=prm["lr"],
        alpha=prm["alpha"],
        beta=prm["beta"],
    )
    bound = run.converge(max_steps=40_000)
    p, s = _spectra(run)
    return {
        "predictor": p,
        "features": s,
        "bound": bound,
        "steps": run.steps,
        "w_norm": float(np.linalg.norm(run.w[0], 2)),
        "x_norm": float(np.linalg.norm(data["x"], 2)),
    }


def _spectrum_compare(pred, meas: dict[str, Any], problem: Problem, xp: ModuleType) -> Comparison:
    p_pred, s_pred = pred
    p_err = float(np.max(np.abs(meas["predictor"] - p_pred)))
    s_err = float(np.max(np.abs(meas["features"] - s_pred)))
    # the run stopped at distance <= bound from its limit (geometric series of the updates); an
    # eigenvalue of W_p moves by at most ‖δW_p‖₂ (W_p is symmetric at the limit: Bauer–Fike with
    # κ = 1), one of F = W X Wᵀ by at most (2‖W‖ + ‖δW‖)‖X‖‖δW‖; a factor 2 covers the
    # measured-rate estimate of the contraction
    b = meas["bound"]
    tol_p = min(2.0 * b * meas.get("p_lipschitz", 1.0), _MAX_TOL) + meas.get("p_floor", _ROUNDING)
    tol_s = min(2.0 * b * (2.0 * meas["w_norm"] + b) * meas["x_norm"], _MAX_TOL) + _ROUNDING
    return Comparison(
        predicted=", ".join(f"{v:.4f}" for v in p_pred),
        measured=", ".join(f"{v:.4f}" for v in meas["predictor"]),
        error=max(p_err / tol_p, s_err / tol_s),
        tolerance=1.0,
        details={
            "predicted_predictor": [float(v) for v in p_pred],
            "measured_predictor": [float(v) for v in meas["predictor"]],
            "predicted_features": [float(v) for v in s_pred],
            "measured_features": [float(v) for v in meas["features"]],
            "predictor_error": p_err,
            "features_error": s_err,
            "distance_bound": b,
            "steps": meas["steps"],
        },
    )


def _spectrum_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    top = 1.0
    for v in verdicts:
        if "predicted_predictor" not in v.details:
            continue
        line = ax.plot(
            v.details["predicted_predictor"],
            v.details["measured_predictor"],
            "o",
            ms=5,
            label=f"{v.problem[:28]}: W_p",
        )[0]
        ax.plot(
            v.details["predicted_features"],
            v.details["measured_features"],
            "s",
            ms=4,
            mfc="none",
            color=line.get_color(),
        )
        top = max(top, *v.details["predicted_features"], *v.details["predicted_predictor"])
    ax.plot([0, top], [0, top], "k--", lw=0.8)
    ax.set_xlabel("closed form: p₊ (o) and s = d p₊²/α_p (□), 0 when collapsed")
    ax.set_ylabel("eigenvalues after gradient descent")
    ax.legend(fontsize=6)


register(
    Claim(
        id="dynamics.byol.fixed_points",
        statement="Linear SimSiam/BYOL with a linear predictor and weight decay η > 0, trained by GD on the "
        "full matrices: the predictor's eigenvalues reach p₊ = (d + √(d² − 4η(d+σ²)))/(2(d+σ²)) and F = "
        "WXWᵀ's "
        "reach d p₊²/α_p on the top min(n, r) data eigen-directions that have a non-trivial fixed point "
        "(d² ≥ 4η(d+σ²)), 0 on the rest; EMA targets and α_p do not move p₊",
        spec=f"{_PAPER}, Sec. 4 (decoupled dynamics, fixed points under weight decay); top-direction "
        "selection derived in docs/dynamics_byol.md",
        problems=_fixed_point_problems,
        predict=_fixed_point_predict,
        measure=_fixed_point_measure,
        compare=_spectrum_compare,
        plot=_spectrum_plot,
        error_kind="normalised error",
        tolerance_reason="distance of the GD run to its limit, bounded by the geometric series of its "
        "updates",
        figure_caption=(
            "Eigenvalues of the predictor W_p (circles) and of F = W X Wᵀ (squares) after gradient descent "
            "on "
            "linear SimSiam/BYOL (y) against the closed form (x): p₊ = (d + √(d² − 4η(d+σ²)))/(2(d+σ²)) and "
            "d p₊²/α_p on the top data directions with d² ≥ 4η(d+σ²), 0 on the others. d: eigenvalue of the "
            "data covariance X; σ²: augmentation noise variance; η: weight decay; α_p: predictor "
            "learning-rate "
            "ratio; n: output width. Dashed: y = x."
        ),
    )
)


# ============================================================================ collapse boundary
def _boundary_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [("weight_decay", 1.0, None)]
    if not quick:
        settings += [("noise_variance", 1.0, None), ("weight_decay", 2.0, 1.0)]
    out = []
    for swept, alpha, beta in settings:
        while True:
            d = np.sort(rng.uniform(0.4, 2.0, 3))[::-1]
            if np.min(-np.diff(d)) > 0.25:
                break
        n = d.shape[0]
        p0 = np.ones(n)  # above every p_c = d/(2(d+σ²)) < 1/2: every slot in its non-trivial basin
        if swept == "weight_decay":
            sigma2 = float(rng.uniform(0.2, 1.0))
            fixed = {"sigma2": sigma2}
            name = f"sweep η, σ²={sigma2:.2f}"
        else:
            # the top direction's boundary σ²* = d²/(4η) − d at a moderate noise level in [0.8, 1.5]
            target = float(rng.uniform(0.8, 1.5))
            eta = float(d[0] ** 2 / (4.0 * (d[0] + target)))
            fixed = {"eta": eta}
            name = f"sweep σ², η={eta:.3f}"
        x, wp, w = _aligned(rng, d, n, p0, alpha, perturb=1e-3)
        ema = "" if beta is None else f" EMA β={beta:g}"
        out.append(
            Problem(
                f"{name} d={', '.join(f'{v:.2f}' for v in d)} α_p={alpha:g}{ema}",
                _contiguous(
                    {"data_eigenvalues": d, "x": x, "wp": wp, "w": w, "u": np.linalg.eigh(x)[1][:, ::-1]}
                ),
                {
                    "swept": swept,
                    "alpha": alpha,
                    "beta": beta,
                    "lr": 0.25,
                    "time": 400.0,
                    "theta": 0.01,
                    "grid": 48,
                    **fixed,
                },
            )
        )
    return out


def _boundary_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.dynamics._byol import collapse_boundary

    a = problem.arrays(xp)
    prm = dict(problem.params)
    if prm["swept"] == "weight_decay":
        return _to_host(collapse_boundary(a["data_eigenvalues"], noise_variance=prm["sigma2"]))
    # a direction whose σ²* is negative is lost at every noise level: its switch-off is at σ² = 0
    return np.maximum(_to_host(collapse_boundary(a["data_eigenvalues"], weight_decay=prm["eta"])), 0.0)


def _survivors(problem: Problem, values: np.ndarray) -> np.ndarray:
    """Batched GD over the swept values; (n_values, n_modes) booleans: direction k still learned.

    Direction k (data eigenvector u_k, in descending order of d) counts as learned when ‖W u_k‖ is
    above θ times its initial value after the training time.
    """
    prm = dict(problem.params)
    data = problem.data
    b = values.shape[0]
    if prm["swept"] == "weight_decay":
        sigma2, eta = np.full(b, prm["sigma2"]), values
    else:
        sigma2, eta = values, np.full(b, prm["eta"])
    run = _Run(
        np.broadcast_to(data["wp"], (b, *data["wp"].shape)),
        np.broadcast_to(data["w"], (b, *data["w"].shape)),
        data["x"][None],
        sigma2=sigma2,
        eta=eta,
        lr=prm["lr"],
        alpha=prm["alpha"],
        beta=prm["beta"],
    )
    start = np.linalg.norm(data["w"] @ data["u"], axis=0)
    run.run(round(prm["time"] / prm["lr"]))
    final = np.linalg.norm(run.w @ data["u"], axis=-2)
    return final > prm["theta"] * start[None, :]


def _boundary_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    prm = dict(problem.params)
    d = problem.data["data_eigenvalues"]
    n_grid = prm["grid"]
    # stage 1: a wide grid (every η ≥ max d, or every σ² with d²/(4η) - d below it, collapses: far
    # outside any boundary); stage 2: a fine grid inside each bracket where direction k switches off
    hi = float(np.max(d)) if prm["swept"] == "weight_decay" else float(np.max(d * d / (4 * prm["eta"])))
    coarse = np.linspace(0.0, hi, n_grid)
    alive = _survivors(problem, coarse)
    brackets = []
    for k in range(d.shape[0]):
        dead = np.flatnonzero(~alive[:, k])
        j = int(dead[0]) if dead.size else n_grid - 1
        brackets.append((coarse[max(j - 1, 0)], coarse[j]))
    fine = np.concatenate([np.linspace(lo, up, n_grid) for lo, up in brackets])
    alive_fine = _survivors(problem, fine).reshape(d.shape[0], n_grid, d.shape[0])
    measured, spacing = [], []
    for k, (lo, up) in enumerate(brackets):
        grid = np.linspace(lo, up, n_grid)
        dead = np.flatnonzero(~alive_fine[k, :, k])
        j = int(dead[0]) if dead.size else n_grid - 1
        last_alive = grid[max(j - 1, 0)]
        measured.append(0.5 * (last_alive + grid[j]) if j > 0 else grid[0])
        # a direction already lost at the first coarse point has an empty bracket: the coarse step
        spacing.append(grid[1] - grid[0] if up > lo else coarse[1] - coarse[0])
    return {
        "boundary": np.array(measured),
        "spacing": np.array(spacing),
        "coarse": coarse.tolist(),
        "alive": alive.sum(axis=1).tolist(),
    }


def _finite_time_bias(problem: Problem) -> np.ndarray:
    """How far past the boundary a direction can still look alive after the training time T.

    On the balanced manifold ṗ = -p[a(p - p_c)² + Δ] with a = d + σ², p_c = d/(2a), Δ = η - d²/(4a).
    For Δ > 0 the time to fall from p(0) to θ p(0) is at most 2π/(p_c √(aΔ)) (above p_c/2) plus
    4 ln(p_c/(2θ p(0)))/(a p_c²) (below it), so a direction is certainly off once
    Δ ≥ Δ_T = (2π/(p_c (T - T_tail)))²/a. In σ² units this is Δ_T / |∂Δ/∂σ²| = Δ_T · 4a²/d².
    """
    prm = dict(problem.params)
    d = problem.data["data_eigenvalues"]
    if prm["swept"] == "weight_decay":
        sigma2 = prm["sigma2"]
    else:
        # the boundary itself (at 0 when it is negative): the bias is evaluated there
        sigma2 = np.maximum(d * d / (4.0 * prm["eta"]) - d, 0.0)
    a = d + sigma2
    pc = d / (2.0 * a)
    p0 = 1.0
    tail = 4.0 * np.log(np.maximum(pc / (2.0 * prm["theta"] * p0), 1.0)) / (a * pc * pc)
    left = prm["time"] - tail
    delta = (2.0 * math.pi / (pc * left)) ** 2 / a
    return delta if prm["swept"] == "weight_decay" else delta * 4.0 * a * a / (d * d)


def _boundary_compare(pred: np.ndarray, meas: dict[str, Any], problem: Problem, xp: ModuleType) -> Comparison:
    got = meas["boundary"]
    # below the boundary a direction is never lost (it settles at p₊ > p_c > θ p(0)): only the grid
    # spacing separates the measured switch-off from the true one; above it, the finite training
    # time T adds at most the bias bound (×1.25 for the Euler steps and the O(1e-3) off-balance start)
    bias = 1.25 * _finite_time_bias(problem)
    spacing = meas["spacing"]
    err = np.where(got >= pred, (got - pred) / (spacing + bias), (pred - got) / spacing)
    unit = "η" if problem.params["swept"] == "weight_decay" else "σ²"
    return Comparison(
        predicted=", ".join(f"{unit}*={v:.4f}" for v in pred),
        measured=", ".join(f"{v:.4f}" for v in got),
        error=float(np.max(err)),
        tolerance=1.0,
        details={
            "predicted": [float(v) for v in pred],
            "measured": [float(v) for v in got],
            "spacing": [float(v) for v in spacing],
            "bias_bound": [float(v) for v in bias],
            "swept": problem.params["swept"],
            "grid": meas["coarse"],
            "learned_directions": meas["alive"],
        },
    )


def _boundary_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    for v in verdicts:
        if "grid" not in v.details:
            continue
        line = ax.step(v.details["grid"], v.details["learned_directions"], where="mid", label=v.problem[:30])[
            0
        ]
        for eta_star in v.details["predicted"]:
            ax.axvline(eta_star, color=line.get_color(), ls="--", lw=0.8)
    ax.set_xlabel("swept weight decay η (or noise σ²); dashed: closed-form boundaries")
    ax.set_ylabel("data directions learned after GD")
    ax.legend(fontsize=6)


register(
    Claim(
        id="dynamics.byol.collapse_boundary",
        statement="A data eigen-direction (eigenvalue d) stops being learned by linear SimSiam/BYOL exactly "
        "where the non-trivial fixed points disappear: η* = d²/(4(d+σ²)) at fixed noise σ², σ²* = d²/(4η) − "
        "d "
        "at fixed weight decay η (the paper's 4η(1+σ²) ≤ 1 at d = 1)",
        spec=f"{_PAPER}, Sec. 4 (weight decay and augmentation versus collapse)",
        problems=_boundary_problems,
        predict=_boundary_predict,
        measure=_boundary_measure,
        compare=_boundary_compare,
        plot=_boundary_plot,
        error_kind="normalised error",
        tolerance_reason="grid spacing of the sweep, plus the saddle-node passage bound (2π/(p_c T))²/a "
        "above "
        "the boundary",
        figure_caption=(
            "Number of data eigen-directions still learned after gradient descent for a time T on linear "
            "SimSiam/BYOL, against the swept weight decay η (or noise variance σ²); dashed: the closed-form "
            "boundaries η* = d²/(4(d+σ²)) (σ²* = d²/(4η) − d) of each data eigenvalue d. Each step down of "
            "the "
            "curve should sit on a dashed line."
        ),
    )
)


# ============================================================================ balance decay
def _balance_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [(4, 3, 1.0, None)]
    if not quick:
        settings += [(5, 5, 2.0, 0.5), (6, 2, 0.5, None)]
    out = []
    for k, n, alpha, beta in settings:
        d = rng.uniform(0.3, 2.0, k)
        u = _rotation(rng, k)
        x = (u * d) @ u.T
        sigma2 = float(rng.uniform(0.1, 1.0))
        eta = float(rng.uniform(0.05, 0.15))
        w = 0.3 * rng.standard_normal((n, k)) / math.sqrt(k)
        wp = 1.5 * np.eye(n) + 0.3 * rng.standard_normal((n, n))  # W_pᵀW_p far from α_p W Wᵀ
        ema = "" if beta is None else f" EMA β={beta:g}"
        out.append(
            Problem(
                f"generic n={n} d={k} α_p={alpha:g}{ema} σ²={sigma2:.2f} η={eta:.3f}",
                _contiguous({"x": x, "wp": wp, "w": w}),
                {"sigma2": sigma2, "eta": eta, "alpha": alpha, "beta": beta, "lr": 0.01, "time": 2.0 / eta},
            )
        )
    return out


def _balance_times(problem: Problem) -> tuple[np.ndarray, int]:
    prm = dict(problem.params)
    steps = round(prm["time"] / prm["lr"])
    every = max(steps // 40, 1)
    return np.arange(0, steps + 1, every) * prm["lr"], every


def _balance_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.dynamics._byol import balance_decay, balance_quantity

    a = problem.arrays(xp)
    prm = dict(problem.params)
    c0 = balance_quantity(a["wp"], a["w"], predictor_lr_ratio=prm["alpha"])
    norm0 = xp.sqrt(xp.sum(c0 * c0))
    times, _ = _balance_times(problem)
    return _to_host(balance_decay(norm0, xp.asarray(times, dtype=xp.float64), weight_decay=prm["eta"]))


def _balance_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    prm = dict(problem.params)
    data = problem.data
    alpha, lr, eta = prm["alpha"], prm["lr"], prm["eta"]
    run = _Run(
        data["wp"][None],
        data["w"][None],
        data["x"][None],
        sigma2=prm["sigma2"],
        eta=eta,
        lr=lr,
        alpha=alpha,
        beta=prm["beta"],
    )
    times, every = _balance_times(problem)

    def balance() -> np.ndarray:
        return run.wp[0].T @ run.wp[0] - alpha * run.w[0] @ run.w[0].T

    rho = (1.0 - lr * eta) ** 2
    norms = [float(np.linalg.norm(balance()))]
    # C_{k+1} = ρ C_k + R_k exactly, R_k = lr² α_p (α_p W GᵀG Wᵀ − W_pᵀ G Gᵀ W_p) (docs/dynamics_byol.md):
    # ‖C_k − ρ^k C_0‖ ≤ Σ_i ρ^{k-1-i} ‖R_i‖ =: forcing_k, accumulated on the fly
    forcing = 0.0
    bounds = [0.0]
    total = len(times) - 1
    for _ in range(total):
        for _ in range(every):
            wp, w = run.wp[0], run.w[0]
            g = run.wa[0] @ run.x[0] - wp @ w @ run.xa[0]
            gw = g @ w.T
            r = lr * lr * alpha * (alpha * gw.T @ gw - wp.T @ g @ g.T @ wp)
            forcing = rho * forcing + float(np.linalg.norm(r))
            run.step()
        norms.append(float(np.linalg.norm(balance())))
        bounds.append(forcing)
    return {"norms": np.array(norms), "forcing": np.array(bounds), "times": times}


def _balance_compare(pred: np.ndarray, meas: dict[str, Any], problem: Problem, xp: ModuleType) -> Comparison:
    prm = dict(problem.params)
    lr, eta = prm["lr"], prm["eta"]
    times = meas["times"]
    got = meas["norms"]
    k = times / lr
    log_err = np.abs(np.log(got) - np.log(pred))
    # |ln‖C_k‖ − ln(‖C_0‖e^{−2ηt})| ≤ |2k ln(1 − lrη) + 2ηt| + |ln‖C_k‖ − ln(ρ^k‖C_0‖)|, the first
    # ≤ k lr²η²/(1 − lrη) (Taylor of the log), the second ≤ −ln(1 − forcing_k/(ρ^k‖C_0‖)) by the
    # triangle inequality; then a 1e-12 floor for rounding in the logs
    rate = k * lr * lr * eta * eta / (1.0 - lr * eta)
    rho_k = np.exp(2.0 * k * math.log1p(-lr * eta)) * got[0]
    ratio = meas["forcing"] / rho_k
    forcing = np.where(ratio < 1.0, -np.log1p(-np.minimum(ratio, 1.0 - 1e-16)), np.inf)
    tol = rate + forcing + 1e-12
    err = float(np.max(log_err / tol))
    return Comparison(
        predicted=f"‖C‖ e^(-2ηt): {pred[-1]:.4g} at t={times[-1]:.3g}",
        measured=f"{got[-1]:.4g}",
        error=err,
        tolerance=1.0,
        details={
            "times": times.tolist(),
            "predicted": pred.tolist(),
            "measured": got.tolist(),
            "log_error": log_err.tolist(),
            "log_tolerance": tol.tolist(),
        },
    )


def _balance_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    for v in verdicts:
        if "times" not in v.details:
            continue
        line = ax.semilogy(v.details["times"], v.details["predicted"], "-", lw=1.2, label=v.problem[:30])[0]
        ax.semilogy(v.details["times"], v.details["measured"], "o", ms=3, color=line.get_color())
    ax.set_xlabel("time t = lr × steps")
    ax.set_ylabel("‖W_pᵀW_p − α_p W Wᵀ‖_F (— e^(−2ηt), o GD)")
    ax.legend(fontsize=6)


register(
    Claim(
        id="dynamics.byol.balance_decay",
        statement="For linear SimSiam/BYOL with weight decay η (any data, noise, EMA target and init), the "
        "balancing quantity C = W_pᵀW_p − α_p W Wᵀ obeys dC/dt = −2ηC: ‖C(t)‖ = e^{−2ηt}‖C(0)‖, and GD "
        "follows it to within its step-size bound",
        spec=f"{_PAPER}, theorem on weight decay and balancing (here with predictor lr ratio α_p)",
        problems=_balance_problems,
        predict=_balance_predict,
        measure=_balance_measure,
        compare=_balance_compare,
        plot=_balance_plot,
        error_kind="normalised error",
        tolerance_reason="per-step bound: k lr²η² from (1 − lrη)^{2k} vs e^{−2ηt}, plus the accumulated "
        "O(lr²‖G‖²) forcing of the exact one-step identity",
        figure_caption=(
            "Frobenius norm of the balancing quantity C = W_pᵀW_p − α_p W Wᵀ (W_p: predictor, W: online "
            "network, "
            "α_p: predictor learning-rate ratio) during gradient descent on linear SimSiam/BYOL from a "
            "generic "
            "initialisation (circles) against the closed form ‖C(0)‖ e^{−2ηt} (lines), η the weight decay, "
            "t = learning rate × steps, σ² the augmentation noise of the problem in the legend. Log scale."
        ),
    )
)


# ============================================================================ mode trajectory
def _trajectory_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [(4, 1.0)] if quick else [(4, 1.0), (5, 2.0)]
    out = []
    for k, alpha in settings:
        sigma2 = float(rng.uniform(0.2, 1.0))
        d, eta = _draw_modes(rng, k, sigma2, margin=0.3)
        a = d + sigma2
        disc = d * d - 4 * eta * a
        p_minus = np.where(disc >= 0, 2 * eta / (d + np.sqrt(np.maximum(disc, 0))), 0.0)
        p0 = rng.uniform(0.6, 1.2, k)
        # the smallest mode that has fixed points starts inside its trivial basin (it collapses); only a
        # smaller direction is then left unused, so the aligned state stays stable (docs/dynamics_byol.md)
        last = int(np.flatnonzero(disc >= 0)[-1])
        p0[last] = 0.5 * p_minus[last]
        x, wp, w = _aligned(rng, d, k, p0, alpha, perturb=0.0)
        out.append(
            Problem(
                f"balanced aligned d={k} α_p={alpha:g} σ²={sigma2:.2f} η={eta:.3f}",
                _contiguous({"data_eigenvalues": d, "x": x, "wp": wp, "w": w, "p0": p0}),
                {"sigma2": sigma2, "eta": eta, "alpha": alpha, "lr": 0.05, "time": 1.5 / eta},
            )
        )
    return out


def _trajectory_times(problem: Problem) -> tuple[np.ndarray, int]:
    prm = dict(problem.params)
    steps = round(prm["time"] / prm["lr"])
    every = max(steps // 30, 2)
    every -= every % 2
    return np.arange(0, steps + 1, every) * prm["lr"], every


def _trajectory_predict(problem: Problem, xp: ModuleType) -> np.ndarray:
    from ssltheory.dynamics._byol import byol_mode_trajectory

    a = problem.arrays(xp)
    prm = dict(problem.params)
    times, _ = _trajectory_times(problem)
    traj = byol_mode_trajectory(
        a["p0"],
        xp.asarray(times, dtype=xp.float64),
        data_eigenvalues=a["data_eigenvalues"],
        noise_variance=prm["sigma2"],
        weight_decay=prm["eta"],
        predictor_lr_ratio=prm["alpha"],
    )
    return np.sort(_to_host(traj.predictor), axis=1)[:, ::-1]


def _trajectory_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    prm = dict(problem.params)
    data = problem.data
    times, every = _trajectory_times(problem)
    out = {}
    for label, lr, stride in (("lr", prm["lr"], every), ("half", 0.5 * prm["lr"], 2 * every)):
        run = _Run(
            data["wp"][None],
            data["w"][None],
            data["x"][None],
            sigma2=prm["sigma2"],
            eta=prm["eta"],
            lr=lr,
            alpha=prm["alpha"],
        )
        rows = [np.sort(np.linalg.eigvals(run.wp[0]).real)[::-1]]
        for _ in range(len(times) - 1):
            run.run(stride)
            rows.append(np.sort(np.linalg.eigvals(run.wp[0]).real)[::-1])
        out[label] = np.array(rows)
    out["times"] = times
    return out


def _trajectory_compare(
    pred: np.ndarray, meas: dict[str, Any], problem: Problem, xp: ModuleType
) -> Comparison:
    got, half = meas["lr"], meas["half"]
    # explicit Euler: global error e(lr, t) = c(t)·lr + O(lr²), so e ≈ 2 (p_lr − p_{lr/2}); c(t) changes
    # sign along a path and sorted eigenvalues trade places where two paths cross at slightly different
    # times, so the largest estimate over all modes and times is used; the factor 3 leaves room for the
    # O(lr²) term, the floor for rounding in the eigenvalues (1e-12)
    tol = 3.0 * float(np.max(np.abs(got - half))) + 1e-10
    err = np.abs(got - pred)
    return Comparison(
        predicted=", ".join(f"{v:.4f}" for v in pred[-1]),
        measured=", ".join(f"{v:.4f}" for v in got[-1]),
        error=float(np.max(err / tol)),
        tolerance=1.0,
        details={
            "times": meas["times"].tolist(),
            "predicted": pred.tolist(),
            "measured": got.tolist(),
            "max_abs_error": float(np.max(err)),
        },
    )


def _trajectory_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    for v in verdicts[:1]:
        if "times" not in v.details:
            continue
        t = np.asarray(v.details["times"])
        pred, got = np.asarray(v.details["predicted"]), np.asarray(v.details["measured"])
        for j in range(pred.shape[1]):
            line = ax.plot(t, pred[:, j], "-", lw=1.2)[0]
            ax.plot(t, got[:, j], "o", ms=3, color=line.get_color())
        ax.set_title(v.problem[:50], fontsize=7)
    ax.set_xlabel("time t = lr × steps")
    ax.set_ylabel("predictor eigenvalues p_j(t) (— closed form, o GD)")


register(
    Claim(
        id="dynamics.byol.mode_trajectory",
        statement="From a balanced, aligned start, each predictor eigenvalue of linear SimSiam follows "
        "ṗ = −p[(d+σ²)p² − dp + η], whose closed-form time integral inverts to p_j(t): modes started above "
        "p₋ rise or fall to p₊, modes started below p₋ collapse to 0; GD follows within its Euler error",
        spec=f"{_PAPER}, Sec. 4 (decoupled dynamics on the balanced manifold); closed-form time derived in "
        "docs/dynamics_byol.md",
        problems=_trajectory_problems,
        predict=_trajectory_predict,
        measure=_trajectory_measure,
        compare=_trajectory_compare,
        plot=_trajectory_plot,
        error_kind="normalised error",
        tolerance_reason="Euler global error estimated by halving the step (Richardson), ×1.5",
        figure_caption=(
            "Predictor eigenvalues p_j(t) of linear SimSiam from a balanced, aligned initialisation: "
            "gradient "
            "descent (circles) against the closed form (lines), the inverse of the exact time integral of "
            "ṗ = −p[(d+σ²)p² − dp + η] (d: data covariance eigenvalue, σ²: augmentation noise, η: weight "
            "decay), "
            "t = learning rate × steps. One mode starts below the unstable fixed point p₋ and collapses."
        ),
    )
)


# ============================================================================ DirectPred
def _directpred_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [("aligned", 4, 4)] if quick else [("aligned", 4, 4), ("generic", 5, 2)]
    out = []
    for kind, k, n in settings:
        sigma2 = float(rng.uniform(0.2, 1.0))
        d, eta = _draw_modes(rng, k, sigma2, margin=0.3)
        if kind == "aligned":
            # p = sqrt(s_aug) = sqrt(d + σ²) w: start every slot at p ∈ [0.7, 1.2] (above p_c)
            p0 = rng.uniform(0.7, 1.2, n)
            x, _, w = _aligned(rng, d, n, p0, 1.0, perturb=0.05)
            u = np.linalg.eigh(x)[1][:, ::-1]
            w = w @ u @ np.diag(1.0 / np.sqrt(d + sigma2)) @ u.T
        else:
            # a random n-frame of R^d, scaled so that p = sqrt(s_aug) starts near p0 ∈ [0.7, 1.2]
            d, eta = _draw_bottleneck(rng, k, n, sigma2)
            u = _rotation(rng, k)
            x = (u * d) @ u.T
            frame = np.linalg.qr(rng.standard_normal((k, n)))[0]
            p0 = rng.uniform(0.7, 1.2, n)
            w = (_rotation(rng, n) * (p0 / math.sqrt(float(np.mean(d)) + sigma2))) @ frame.T
        out.append(
            Problem(
                f"{kind} n={n} d={k} σ²={sigma2:.2f} η={eta:.3f}",
                _contiguous({"data_eigenvalues": d, "x": x, "w": w, "wp": np.zeros((n, n))}),
                {"sigma2": sigma2, "eta": eta, "n": n, "lr": 0.2, "alpha": 1.0},
            )
        )
    return out


def _directpred_predict(problem: Problem, xp: ModuleType) -> tuple[np.ndarray, np.ndarray]:
    from ssltheory.dynamics._byol import byol_fixed_points

    a = problem.arrays(xp)
    prm = dict(problem.params)
    fp = byol_fixed_points(a["data_eigenvalues"], noise_variance=prm["sigma2"], weight_decay=prm["eta"])
    d = problem.data["data_eigenvalues"]
    # p = sqrt(eigenvalue of W (X + σ²I) Wᵀ) = sqrt(d + σ²)·w, so s = d w² = d p²/(d + σ²)
    return _top_spectrum(
        d,
        _to_host(fp.predictor),
        _to_host(fp.exists).astype(bool),
        prm["n"],
        1.0,
        lambda dk, pk: dk * pk * pk / (dk + prm["sigma2"]),
    )


def _directpred_measure(problem: Problem, xp: ModuleType) -> dict[str, Any]:
    prm = dict(problem.params)
    data = problem.data
    run = _Run(
        data["wp"][None],
        data["w"][None],
        data["x"][None],
        sigma2=prm["sigma2"],
        eta=prm["eta"],
        lr=prm["lr"],
        directpred=1.0,
    )
    bound = run.converge(max_steps=40_000)
    p, s = _spectra(run)
    f_aug = run.w[0] @ run.xa[0] @ run.w[0].T
    # p = sqrt(eigenvalue of F̂): an eigenvalue known to n·eps·‖F̂‖ (LAPACK) gives p to its square root,
    # the floor of a collapsed direction's p (×8 for the symmetrisation and the re-decomposition)
    # and a change δW moves p = σ_i(X̂^{1/2} Wᵀ) by at most ‖X + σ²I‖^{1/2}‖δW‖ (Weyl for singular values)
    floor = math.sqrt(8.0 * prm["n"] * np.finfo(float).eps * float(np.linalg.norm(f_aug, 2)))
    return {
        "predictor": p,
        "features": s,
        "bound": bound,
        "steps": run.steps,
        "p_floor": floor,
        "p_lipschitz": math.sqrt(float(np.linalg.norm(run.xa[0], 2))),
        "w_norm": float(np.linalg.norm(run.w[0], 2)),
        "x_norm": float(np.linalg.norm(data["x"], 2)),
    }


register(
    Claim(
        id="dynamics.byol.directpred_fixed_points",
        statement="Linear SimSiam whose predictor is set each step by DirectPred without normalisation "
        "(W_p = F̂^{1/2}, F̂ = W(X+σ²I)Wᵀ, ε = 0) has the same predictor fixed points p₊ as the "
        "gradient-trained "
        "predictor; its features reach d p₊²/(d+σ²) on the top data directions with d² ≥ 4η(d+σ²)",
        spec=f"{_PAPER}, Sec. 5 (DirectPred) with Sec. 4's fixed points; the equivalence is derived in "
        "docs/dynamics_byol.md",
        problems=_directpred_problems,
        predict=_directpred_predict,
        measure=_directpred_measure,
        compare=_spectrum_compare,
        plot=_spectrum_plot,
        error_kind="normalised error",
        tolerance_reason="distance of the GD run to its limit, bounded by the geometric series of its "
        "updates",
        figure_caption=(
            "Eigenvalues of the DirectPred predictor W_p = F̂^{1/2} (circles) and of F = W X Wᵀ (squares) "
            "after "
            "gradient descent on the online network W of linear SimSiam (y), against the closed form (x): "
            "p₊ = (d + √(d² − 4η(d+σ²)))/(2(d+σ²)) and d p₊²/(d+σ²) on the top data directions with "
            "d² ≥ 4η(d+σ²), 0 elsewhere (d: data covariance eigenvalue, σ²: augmentation noise, η: weight "
            "decay; α_p in the legend: the predictor's learning-rate ratio). Dashed: y = x."
        ),
    )
)

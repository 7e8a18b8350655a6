"""Built-in claims for hinge VICReg, the loss people train: its closed form is the global optimum.

The prediction comes from :func:`ssltheory.spectral.vicreg_embedding` /
:func:`~ssltheory.spectral.vicreg_linear_weights` with ``variance_penalty="hinge"`` on the backend
under test (the exact reduction to the spectrum and diagonal of the covariance). The measurement does
not use that reduction: L-BFGS-B on a kink-free parametrisation of the columns, one problem per
number of active columns, multi-start (:func:`ssltheory.claims._optim.hinge_smooth_minimum`, host
NumPy).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend
from ssltheory.claims._core import Claim, Comparison, Problem
from ssltheory.claims._optim import hinge_smooth_minimum
from ssltheory.claims._registry import register
from ssltheory.claims._runner import one_blas_thread

__all__ = []  # claims register themselves on import; nothing here is public API

_TOLERANCE_REASON = (
    "closed form vs multi-start L-BFGS-B on a smooth parametrisation, which converges to ~1e-15 relative "
    "(worst measured 1.6e-15): the minimiser must reach the closed form within 1e-9 and never beat it "
    "by more than 1e-12; the closed form must equal the evaluated loss of its point within 1e-10"
)

# the measurement is the loss of a real point, so it is never below the minimum beyond rounding
# (O(K²) products: ~1e-15); on a smooth objective L-BFGS-B converges to ~1e-15 relative (measured
# worst 1.6e-15 over 40 drawn problems): beaten by more than 1e-12, or not reached within 1e-9,
# is a failure
_REACH_RTOL = 1e-9
_BELOW_RTOL = 1e-12
# the closed form's value against the dense evaluator at the returned point: O(K²) products of O(1)
_EVAL_RTOL = 1e-10


def _graph(rng: np.random.Generator, n: int) -> np.ndarray:
    g = rng.uniform(0.2, 1.0, (n, n)) * (rng.random((n, n)) < 0.6)
    g = np.triu(g, 1)
    idx = np.arange(n - 1)
    g[idx, idx + 1] = np.maximum(g[idx, idx + 1], 0.3)  # a path: connected
    return g + g.T


def _weights(p: dict[str, Any]) -> dict[str, float]:
    return {
        "variance_weight": p["alpha"],
        "covariance_weight": p["beta"],
        "invariance_weight": p["gamma"],
        "variance_eps": p["eps"],
    }


def _free_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    # the paper's ratio alpha / beta = 12.5 and solo-learn's 25; K > N - 1 in the full set
    settings = [(8, 2, 12.5, 0.3, 1e-4)]
    if not quick:
        settings += [(10, 3, 25.0, 2.0, 1e-4), (7, 8, 12.5, 0.2, 0.0)]
    return [
        Problem(
            f"N={n} K={k} alpha/beta={a:g} gamma={gm:g} eps={e:g}",
            {"graph": _graph(rng, n)},
            {"alpha": a, "beta": 1.0, "gamma": gm, "eps": e, "k": k},
        )
        for n, k, a, gm, e in settings
    ]


def _linear_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    settings = [(16, 3, 2)] if quick else [(16, 3, 2), (24, 4, 3)]
    problems = []
    for b, d, k in settings:
        base = rng.standard_normal((b, d))
        x = np.concatenate([base, base + 0.4 * rng.standard_normal((b, d))])
        idx = np.arange(2 * b) % b
        g = (idx[:, None] == idx[None, :]).astype(float) - np.eye(2 * b)  # two views per sample
        problems.append(
            Problem(
                f"two views, B={b} D={d} K={k}",
                {"x": x, "graph": g},
                {"alpha": 12.5, "beta": 1.0, "gamma": 0.5, "eps": 1e-4, "k": k},
            )
        )
    return problems


def _evaluated(z: Any, g: Any, p: dict[str, Any]) -> float:
    from ssltheory.losses import VICRegLoss

    return float(VICRegLoss(variance_penalty="hinge", **_weights(p))(z, g))


def _free_predict(problem: Problem, xp: ModuleType) -> tuple[float, float]:
    from ssltheory.spectral import vicreg_embedding

    g = problem.arrays(xp)["graph"]
    p = dict(problem.params)
    sol = vicreg_embedding(g, n_components=p["k"], variance_penalty="hinge", **_weights(p))
    return sol.loss, _evaluated(sol.embedding, g, p)


def _linear_predict(problem: Problem, xp: ModuleType) -> tuple[float, float]:
    from ssltheory.spectral import vicreg_linear_weights

    a = problem.arrays(xp)
    p = dict(problem.params)
    sol = vicreg_linear_weights(
        a["x"], a["graph"], n_components=p["k"], variance_penalty="hinge", **_weights(p)
    )
    return sol.loss, _evaluated(a["x"] @ sol.weights, a["graph"], p)


def _measure(features: str | None, n_starts: int):
    def measure(problem: Problem, xp: ModuleType) -> float:
        g = np.asarray(problem.data["graph"])
        a = np.eye(g.shape[0]) if features is None else np.asarray(problem.data[features])
        p = dict(problem.params)
        with one_blas_thread():
            return hinge_smooth_minimum(
                a, g, p["k"], rng=np.random.default_rng(11), n_starts=n_starts, **_weights(p)
            )

    return measure


def _compare(pred: tuple[float, float], meas: float, problem: Problem, xp: ModuleType) -> Comparison:
    value, at_point = pred
    scale = max(1.0, abs(value))
    # one error, three failure modes, each scaled to the tolerance _REACH_RTOL:
    # the minimiser ends above (not attained), below (beaten) or the value is not the point's loss
    error = max(
        (meas - value) / scale,
        (value - meas) / scale * (_REACH_RTOL / _BELOW_RTOL),
        abs(at_point - value) / scale * (_REACH_RTOL / _EVAL_RTOL),
    )
    return Comparison(
        predicted=value,
        measured=meas,
        error=max(error, 0.0),
        tolerance=_REACH_RTOL,
        details={"evaluated_at_point": at_point, "backend": _backend.backend_name(xp)},
    )


register(
    Claim(
        id="spectral.vicreg.hinge_global_optimum",
        statement="Hinge VICReg (1 - sqrt(Cov_kk + eps))_+, alpha >= 8 beta: the closed form (spectrum "
        "water-filled on the bottom eigenvectors, r columns at one equal variance, the rest collapsed) "
        "is the loss of the returned embedding, and an independent minimiser reaches it and never beats it",
        spec="VICReg paper loss, arXiv:2105.04906; graph form arXiv:2205.11508; reduction in "
        "ssltheory.spectral._hinge",
        problems=_free_problems,
        predict=_free_predict,
        measure=_measure(None, n_starts=3),
        compare=_compare,
        tolerance_reason=_TOLERANCE_REASON,
    )
)

register(
    Claim(
        id="spectral.vicreg.hinge_linear_optimum",
        statement="Hinge VICReg with a linear head Z = X W, alpha >= 8 beta: the closed form on the "
        "generalised eigenpairs of (XᵀLX, XᵀHX) is the loss of X W*, and an independent minimiser over W "
        "reaches it and never beats it",
        spec="VICReg paper loss, arXiv:2105.04906; linear closed forms arXiv:2205.11508",
        problems=_linear_problems,
        predict=_linear_predict,
        measure=_measure("x", n_starts=2),
        compare=_compare,
        tolerance_reason=_TOLERANCE_REASON,
    )
)

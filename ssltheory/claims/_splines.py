"""Built-in claims of the splines area: T1–T20 of spec/splines.md §6, one claim each."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend
from ssltheory.claims._core import Claim, Comparison, Problem, Verdict
from ssltheory.claims._registry import register

__all__ = []  # claims register themselves on import; nothing here is public API

_EPS64 = float(np.finfo(np.float64).eps)
_BOX = ((-1.0, 7.0), (-1.0, 7.0))


def _sp() -> ModuleType:
    import ssltheory.splines as sp

    return sp


def _h(x: Any) -> np.ndarray:
    return np.asarray(_backend.to_numpy(x), dtype=np.float64)


def _reg(
    claim_id: str,
    statement: str,
    spec: str,
    problems: Callable,
    predict: Callable,
    measure: Callable,
    compare: Callable,
    *,
    plot: Callable | None = None,
    gating: bool = True,
    **annotations: str,  # error_kind, report_only_reason, figure_caption, tolerance_reason (see Claim)
) -> None:
    register(
        Claim(
            claim_id,
            statement,
            spec,
            problems,
            predict,
            measure,
            compare,
            plot=plot,
            gating=gating,
            **annotations,
        )
    )


# --------------------------------------------------------------------------- toy data (D12, D13)
def _ring(n: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.0, 2 * np.pi, n)
    return np.array([3.0, 3.0]) + np.c_[np.cos(theta), np.sin(theta)] + 0.05 * rng.standard_normal((n, 2))


def _far_points(n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(7)
    out = np.empty((0, 2))
    while out.shape[0] < n:
        p = rng.uniform(-1.0, 7.0, (4 * n, 2))
        out = np.concatenate([out, p[np.linalg.norm(p - 3.0, axis=1) > 2.5]])
    return out[:n]


def _toy_arms(xp: ModuleType, X: Any, seed: int, sizes=(2, 6, 6, 6, 6), eta: float = 0.1) -> dict[str, Any]:
    """The three D11 arms with the same weights (seed → default_rng(1000 + seed))."""
    sp = _sp()
    like = X
    out = {}
    for arm in ("bn", "zero", "random"):
        net = sp.random_spline_net(
            sizes,
            negative_slope=eta,
            batch_norm=arm == "bn",
            bias="normal" if arm == "random" else "zero",
            rng=np.random.default_rng(1000 + seed),
            like=like,
        )
        out[arm] = (
            sp.fold_batch_norm(net, sp.bn_statistics(net, X, mode="population"))
            if arm == "bn"
            else (sp.fold_batch_norm(net))
        )
    return out


_MEMO: dict[tuple[str, str, str], Any] = {}


def _memo(fn: Callable) -> Callable:
    """Memoise a measurement of a fixed-seed problem (D13: its data do not depend on the run's seed)."""

    def wrapped(problem: Problem, xp: ModuleType) -> Any:
        key = (fn.__name__, f"{problem.name} {dict(problem.params)}", _backend.backend_name(xp))
        if key not in _MEMO:
            _MEMO[key] = fn(problem, xp)
        return _MEMO[key]

    return wrapped


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def _exact_compare(scale_fn: Callable[[Problem], float]) -> Callable:
    """Comparison of two arrays with a rounding tolerance given per problem."""

    def compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
        p, m = _h(pred), _h(meas)
        err = _rel(p, m)
        return Comparison(
            predicted=float(np.max(np.abs(p))),
            measured=float(np.max(np.abs(m))),
            error=err,
            tolerance=scale_fn(problem),
            details={"error": err},
        )

    return compare


def _bn_net(rng: np.random.Generator, sizes: Sequence[int], *, affine: bool, bias_scale: float = 1.0) -> dict:
    data = {}
    for i in range(len(sizes) - 1):
        data[f"w{i}"] = rng.standard_normal((sizes[i + 1], sizes[i])) / math.sqrt(sizes[i])
        data[f"c{i}"] = bias_scale * rng.standard_normal(sizes[i + 1])
        data[f"gamma{i}"] = rng.uniform(0.5, 2.0, sizes[i + 1]) if affine else np.ones(sizes[i + 1])
        data[f"beta{i}"] = rng.standard_normal(sizes[i + 1]) if affine else np.zeros(sizes[i + 1])
    return data


def _build(a: dict, n_layers: int, *, eta: float, bn: bool = True, bias_key: str = "c") -> Any:
    sp = _sp()
    layers = [
        sp.HiddenLayer(a[f"w{i}"], a[f"{bias_key}{i}"], bn, a[f"gamma{i}"], a[f"beta{i}"])
        for i in range(n_layers)
    ]
    return sp.SplineNet(layers, eta)


# =========================================================================== T1 folding
def _t1_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    for sizes in ([3, 6, 5], [2, 6, 6, 6]) + (() if quick else ([10, 32, 16, 8],)):
        for mode in ("batch", "running"):
            data = _bn_net(rng, sizes, affine=True)
            data["X"] = rng.standard_normal((32, sizes[0])) * 2 + 1
            data["Y"] = rng.standard_normal((16, sizes[0]))
            eta = float(rng.choice([0.0, 0.1, -1.0]))
            out.append(
                Problem(
                    f"{mode} sizes={sizes} eta={eta}",
                    data,
                    {"n_layers": len(sizes) - 1, "eta": eta, "mode": mode},
                )
            )
    return out


def _t1_stats(problem: Problem, xp: ModuleType, a: dict) -> Any:
    sp = _sp()
    net = _build(a, problem.params["n_layers"], eta=problem.params["eta"])
    stats = sp.bn_statistics(net, a["X"])
    if problem.params["mode"] == "running":
        stats = sp.update_running_statistics(None, sp.bn_statistics(net, a["X"], eps=1e-5))
    return net, stats


def _t1_predict(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    net, stats = _t1_stats(problem, xp, a)
    pts = a["X"] if problem.params["mode"] == "batch" else a["Y"]
    return xp.concat(sp.forward(sp.fold_batch_norm(net, stats), pts).pre_activations, axis=1)


def _t1_measure(problem: Problem, xp: ModuleType) -> Any:
    # the BN layer written from its definition: γ (p − μ)/sqrt(σ² + ε) + β, with μ, σ² as used
    a = problem.arrays(xp)
    _net, stats = _t1_stats(problem, xp, a)
    eta = problem.params["eta"]
    z = a["X"] if problem.params["mode"] == "batch" else a["Y"]
    out = []
    for i in range(problem.params["n_layers"]):
        p = z @ a[f"w{i}"].mT + a[f"c{i}"]
        h = a[f"gamma{i}"] * (p - stats.mean[i]) / xp.sqrt(stats.var[i] + stats.eps) + a[f"beta{i}"]
        out.append(h)
        z = xp.where(h > 0, h, eta * h)
    return xp.concat(out, axis=1)


_reg(
    "splines.bn.folding",
    "BN (train mode and eval mode with running statistics and a preceding bias) equals the folded "
    "affine layer W̃ = diag(γ/σ̃)W, c̃ = β + γ(c − μ)/σ̃",
    "splines.md D4, §2.1, T1",
    _t1_problems,
    _t1_predict,
    _t1_measure,
    # both sides: a few O(D) dot products and one division by σ̃ ≥ ~0.1 per layer, through ≤ 3 layers
    # (values O(10)): 1e3·eps relative to max(1, |h|) is a comfortable rounding bound
    _exact_compare(lambda p: 1e3 * _EPS64),
    tolerance_reason="both sides are a few O(D) dot products and one division by σ̃ ≥ ~0.1 per layer, "
    "through ≤ 3 layers of values O(10): 1e3·eps relative to max(1, |h|) is a comfortable rounding bound",
)


# =========================================================================== T2 bias cancels
def _t2_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    for sizes in ([2, 6, 6], [4, 8, 8, 8]):
        data = _bn_net(rng, sizes, affine=True, bias_scale=5.0)
        data["X"] = rng.standard_normal((40, sizes[0]))
        data.update({f"z{i}": np.zeros(sizes[i + 1]) for i in range(len(sizes) - 1)})
        out.append(Problem(f"sizes={sizes} |c|~5", data, {"n_layers": len(sizes) - 1}))
    return out


def _t2_run(problem: Problem, xp: ModuleType, bias_key: str) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    net = _build(a, problem.params["n_layers"], eta=0.1, bias_key=bias_key)
    return xp.concat(
        sp.forward(sp.fold_batch_norm(net, sp.bn_statistics(net, a["X"])), a["X"]).pre_activations, axis=1
    )


_reg(
    "splines.bn.bias_cancels",
    "train mode: BN(Wz + c) = BN(Wz) — the bias before a BN layer has no effect",
    "splines.md §2.1, T2",
    _t2_problems,
    lambda p, xp: _t2_run(p, xp, "z"),
    lambda p, xp: _t2_run(p, xp, "c"),
    # centring p = Wz + c with |c| ~ 5–15 loses ~eps·|c| absolutely, amplified by 1/σ (σ ≳ 0.1) and
    # by ≤ 3 layers of O(1) weights: 1e4·eps relative to max(1, |h|)
    _exact_compare(lambda p: 1e4 * _EPS64),
    tolerance_reason="centring p = Wz + c with |c| ~ 5–15 loses ~eps·|c| absolutely, amplified by 1/σ (σ ≳ "
    "0.1) and by ≤ 3 layers of O(1) weights: 1e4·eps relative to max(1, |h|)",
)


# =========================================================================== T3 TLS argmin
def _t3_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    for k, d, m in ((3, 2, 50), (6, 5, 200)) + (() if quick else ((16, 10, 1000),)):
        w = rng.standard_normal((k, d)) * rng.uniform(0.2, 5.0, (k, 1))
        Z = rng.standard_normal((m, d)) * rng.uniform(0.5, 3.0, d) + rng.standard_normal(d) * 3
        out.append(Problem(f"K={k} D={d} m={m}", {"w": w, "Z": Z}))
    return out


def _t3_predict(problem: Problem, xp: ModuleType) -> Any:
    a = problem.arrays(xp)
    r = _sp().bn_recentring(a["w"], a["Z"])
    return {"offsets": _h(r.mean), "value": _h(r.tls_value)}


def _t3_measure(problem: Problem, xp: ModuleType) -> Any:
    from scipy.optimize import minimize_scalar

    a = problem.arrays(xp)
    w, Z = problem.data["w"], problem.data["Z"]
    ts, vals = [], []
    for k in range(w.shape[0]):
        # the objective evaluated by the library on the backend, minimised by Brent (no closed form used)
        def f(t: float, k: int = k) -> float:
            off = xp.asarray([t], dtype=xp.float64, device=_backend.device(a["w"]))
            return float(_sp().tls_objective(a["w"][k : k + 1, :], off, a["Z"])[0])

        p = Z @ w[k]
        res = minimize_scalar(f, bracket=(p.min(), p.max()), tol=1e-12)
        ts.append(res.x)
        vals.append(res.fun)
    return {"offsets": np.array(ts), "value": np.array(vals)}


def _t3_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    w, Z = problem.data["w"], problem.data["Z"]
    p = Z @ w.T
    spread = p.std(0)
    # Brent on a quadratic locates the minimum to ~sqrt(eps)·|t| (flat bottom): 1e-6·(|μ| + σ)
    err_t = float(np.max(np.abs(pred["offsets"] - meas["offsets"]) / (np.abs(pred["offsets"]) + spread)))
    # the value at t* exceeds the minimum by m(t* − μ)²/‖w‖² (≈ 1e-12 relative) plus summation rounding
    err_v = _rel(pred["value"], meas["value"])
    err = max(err_t / 1e-6, err_v / 1e-9)
    return Comparison(
        predicted=float(pred["offsets"][0]),
        measured=float(meas["offsets"][0]),
        error=err,
        tolerance=1.0,  # errors above are normalised by their own tolerances (1e-6 offset, 1e-9 value)
        details={"offset_error": err_t, "value_error": err_v, "min_value": float(pred["value"].sum())},
    )


_reg(
    "splines.bn.tls_argmin",
    "BN's mean μ_k = w_kᵀḡ is the unique minimiser of the TLS distance Σ_n d(z_n, H_k(t))², with "
    "minimum m σ_k²/‖w_k‖²",
    "splines.md R2, T3",
    _t3_problems,
    _t3_predict,
    _t3_measure,
    _t3_compare,
    error_kind="normalised error",
    tolerance_reason="Brent's method on a quadratic locates the minimum to ~√eps·|t| (flat bottom): offsets "
    "within 1e-6·(|μ| + σ); the value there exceeds the minimum by ≈ 1e-12 relative plus summation "
    "rounding: within 1e-9",
)


# =========================================================================== T4 TLS excess
def _t4_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    for k, d, m in ((4, 2, 60), (8, 6, 300)):
        w = rng.standard_normal((k, d))
        Z = rng.standard_normal((m, d)) + rng.standard_normal(d) * 3
        n_draws = 2000 if quick else 50000
        t = rng.standard_normal((n_draws, k)) * 1.5
        out.append(Problem(f"K={k} D={d} m={m} draws={n_draws}", {"w": w, "Z": Z, "t": t}, {"s_b": 1.5}))
    return out


def _t4_predict(problem: Problem, xp: ModuleType) -> Any:
    a = problem.arrays(xp)
    r = _sp().bn_recentring(a["w"], a["Z"], alternative_offsets=a["t"][0, :])
    w2 = _h(xp.sum(a["w"] * a["w"], axis=1))
    m = problem.data["Z"].shape[0]
    mu = _h(r.mean)
    zero = _h(r.tls_value) + m * mu**2 / w2  # zero bias: t = 0
    rand = _h(r.tls_value) + m * (problem.params["s_b"] ** 2 + mu**2) / w2
    return {"excess": _h(r.excess), "zero": zero, "random_mean": rand, "bn": _h(r.tls_value)}


def _t4_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    mu = sp.bn_recentring(a["w"], a["Z"]).mean
    direct = sp.tls_objective(a["w"], a["t"][0, :], a["Z"]) - sp.tls_objective(a["w"], mu, a["Z"])
    zero = sp.tls_objective(a["w"], xp.zeros_like(mu), a["Z"])
    t = problem.data["t"]
    w, Z = problem.data["w"], problem.data["Z"]
    p = Z @ w.T
    # TLS objective for every random draw via its expansion in the sufficient statistics
    s1, s2 = p.sum(0), (p * p).sum(0)
    vals = (s2 - 2 * t * s1 + Z.shape[0] * t * t) / (w * w).sum(1)
    return {
        "excess": _h(direct),
        "zero": _h(zero),
        "random_mean": vals.mean(0),
        "random_se": vals.std(0, ddof=1) / math.sqrt(t.shape[0]),
    }


def _t4_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    scale = float(np.max(pred["bn"]))
    # exact parts: differences of O(m·scale) sums, rounding ≲ m·eps·scale → 1e-9 relative is generous
    e1 = float(np.max(np.abs(pred["excess"] - meas["excess"]))) / scale / 1e-9
    e2 = float(np.max(np.abs(pred["zero"] - meas["zero"]))) / scale / 1e-9
    # Monte-Carlo part at 4 standard errors (D14)
    e3 = float(np.max(np.abs(pred["random_mean"] - meas["random_mean"]) / (4 * meas["random_se"])))
    order = bool(np.all(pred["bn"] <= meas["zero"]))
    err = max(e1, e2, e3, 0.0 if order else math.inf)
    return Comparison(
        predicted=float(np.sum(pred["random_mean"])),
        measured=float(np.sum(meas["random_mean"])),
        error=err,
        tolerance=1.0,  # each part normalised by its own tolerance (rounding, or 4 SE)
        details={"mc_ratio_to_4se": e3},
    )


_reg(
    "splines.bn.tls_excess",
    "L_k(t) − L_k(μ_k) = m(t − μ_k)²/‖w_k‖²; TLS(BN) ≤ TLS(zero bias); E TLS(random bias, std s) = "
    "TLS(BN) + m(s² + μ_k²)/‖w_k‖²",
    "splines.md R2(1), T4",
    _t4_problems,
    _t4_predict,
    _t4_measure,
    _t4_compare,
    error_kind="normalised error",
    tolerance_reason="the exact parts are differences of O(m·scale) sums with rounding ≲ m·eps·scale, so "
    "1e-9 relative is generous; the Monte-Carlo mean within 4 standard errors; TLS(BN) ≤ TLS(zero bias) "
    "must hold exactly",
)


# =========================================================================== T5 centroid incidence
def _t5_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    for affine in (False, True):
        for sizes in ([2, 6, 6, 6], [5, 8, 6]):
            data = _bn_net(rng, sizes, affine=affine)
            data["X"] = rng.standard_normal((40, sizes[0])) + 2
            out.append(
                Problem(f"{'β≠0' if affine else 'β=0'} sizes={sizes}", data, {"n_layers": len(sizes) - 1})
            )
    return out


def _t5_predict(problem: Problem, xp: ModuleType) -> Any:
    # (β/γ) σ/‖w‖, with σ the biased std of the layer's BN input (direct NumPy on the host)
    sp = _sp()
    a = problem.arrays(xp)
    net = _build(a, problem.params["n_layers"], eta=0.1)
    folded = sp.fold_batch_norm(net, sp.bn_statistics(net, a["X"]))
    feats = [problem.data["X"]] + [_h(f) for f in sp.forward(folded, a["X"]).features[:-1]]
    out = []
    for i, z in enumerate(feats):
        w = problem.data[f"w{i}"]
        sigma = (z @ w.T).std(0)
        out.append(problem.data[f"beta{i}"] / problem.data[f"gamma{i}"] * sigma / np.linalg.norm(w, axis=1))
    return np.concatenate(out)


def _t5_measure(problem: Problem, xp: ModuleType) -> Any:
    # signed distance of the layer centroid g_ℓ to the folded unit hyperplanes (D7)
    sp = _sp()
    a = problem.arrays(xp)
    net = _build(a, problem.params["n_layers"], eta=0.1)
    folded = sp.fold_batch_norm(net, sp.bn_statistics(net, a["X"]))
    feats = [a["X"], *sp.forward(folded, a["X"]).features[:-1]]
    out = []
    for i, z in enumerate(feats):
        hp = sp.unit_hyperplanes(folded, i)
        out.append(hp.normals @ xp.mean(z, axis=0) - hp.offsets)
    return xp.concat(out)


_reg(
    "splines.bn.centroid_incidence",
    "β = 0: every BN hyperplane of layer ℓ passes through the centroid g_ℓ; β ≠ 0: d(g_ℓ; w_k, τ_k) = "
    "(β_k/γ_k)σ_k/‖w_k‖",
    "splines.md R2(3), R3, T5",
    _t5_problems,
    _t5_predict,
    _t5_measure,
    # O(D) dot products of O(1–10) numbers on each side: 1e3·eps relative to max(1, |d|)
    _exact_compare(lambda p: 1e3 * _EPS64),
    tolerance_reason="O(D) dot products of O(1–10) numbers on each side: 1e3·eps relative to max(1, |d|)",
)


# =========================================================================== T6 scale invariance
def _t6_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    for sizes in ([2, 6, 6, 6], [4, 8, 8]):
        data = _bn_net(rng, sizes, affine=False)
        data["X"] = rng.standard_normal((50, sizes[0])) + 1
        for i in range(len(sizes) - 1):
            data[f"lam{i}"] = rng.uniform(0.1, 10.0, sizes[i + 1])
        out.append(Problem(f"sizes={sizes}", data, {"n_layers": len(sizes) - 1}))
    return out


def _t6_predict(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    net = _build(a, problem.params["n_layers"], eta=0.1)
    folded = sp.fold_batch_norm(net, sp.bn_statistics(net, a["X"]))
    return {"h": _h(xp.concat(sp.forward(folded, a["X"]).pre_activations, axis=1)), "folded": folded}


def _t6_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    n = problem.params["n_layers"]
    # (1) rows w_k → λ_k w_k, statistics recomputed: pre-activations unchanged
    scaled = dict(a)
    for i in range(n):
        scaled[f"w{i}"] = a[f"lam{i}"][:, None] * a[f"w{i}"]
        scaled[f"c{i}"] = a[f"lam{i}"] * a[f"c{i}"]
    net = _build(scaled, n, eta=0.1)
    h = sp.forward(sp.fold_batch_norm(net, sp.bn_statistics(net, a["X"])), a["X"]).pre_activations
    # (2) layer-ℓ codes with σ replaced by arbitrary positive b_k (same layer input z_ℓ)
    base = _build(a, n, eta=0.1)
    folded = sp.fold_batch_norm(base, sp.bn_statistics(base, a["X"]))
    feats = [a["X"], *sp.forward(folded, a["X"]).features[:-1]]
    flips = 0
    for i in range(n):
        codes = (feats[i] @ folded.weights[i].mT + folded.biases[i]) > 0
        b = a[f"lam{i}"]
        recoded = (feats[i] @ (folded.weights[i] * b[:, None]).mT + folded.biases[i] * b) > 0
        flips += int(xp.sum(xp.astype(codes != recoded, xp.int64)))
    return {"h": _h(xp.concat(h, axis=1)), "flips": flips}


def _t6_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    err = _rel(pred["h"], meas["h"])
    # rescaling by λ ∈ [0.1, 10] and renormalising: ~10 ulps per layer of O(1) values → 1e3·eps;
    # the code part is exact (a positive factor never changes a sign): any flip fails
    tol = 1e3 * _EPS64
    return Comparison(
        predicted="h unchanged, 0 code flips",
        measured=f"max rel Δh {err:.1e}, {meas['flips']} flips",
        error=err if meas["flips"] == 0 else math.inf,
        tolerance=tol,
    )


_reg(
    "splines.bn.scale_invariance",
    "layer-ℓ codes are the same with σ, any positive rescaling of σ, or b = 1; w_k → λw_k (λ > 0) leaves "
    "h_k unchanged in batch mode",
    "splines.md R4.1, R4.2, T6",
    _t6_problems,
    _t6_predict,
    _t6_measure,
    _t6_compare,
    tolerance_reason="rescaling by λ ∈ [0.1, 10] and renormalising costs ~10 ulps per layer of O(1) values: "
    "1e3·eps relative; the codes are exact (a positive factor never changes a sign), so any flip fails",
)


# =========================================================================== T7 σ folds
def _t7_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    X = _ring()
    pts = np.random.default_rng(11).uniform(-1.0, 7.0, (1000, 2))
    seeds = range(2) if quick else range(5)  # spec T7: seeds 0–4 (the full run)
    return [Problem(f"ring 4×6 seed={s}", {"X": X, "pts": pts}, {"seed": s}) for s in seeds]


def _t7_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    net = sp.random_spline_net(
        [2, 6, 6, 6, 6],
        negative_slope=0.1,
        batch_norm=True,
        rng=np.random.default_rng(1000 + problem.params["seed"]),
        like=a["X"],
    )
    stats = sp.bn_statistics(net, a["X"])
    base = sp.forward(sp.fold_batch_norm(net, stats), a["pts"]).pre_activations
    changed = []
    for ell in range(3):
        # layer ℓ centred by μ_ℓ but not divided by σ_ℓ; later statistics recomputed
        layers = list(net.layers)
        layers[ell] = sp.HiddenLayer(net.layers[ell].weight, -stats.mean[ell], False)
        alt = sp.SplineNet(layers, net.negative_slope)
        pre = sp.forward(sp.fold_batch_norm(alt, sp.bn_statistics(alt, a["X"])), a["pts"]).pre_activations
        changed.append(int(xp.sum(xp.astype((pre[ell + 1] > 0) != (base[ell + 1] > 0), xp.int64))))
    return changed


def _t7_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    ok = all(c >= 1 for c in meas)
    return Comparison(
        predicted="≥ 1 changed layer-(ℓ+1) code for each ℓ",
        measured=", ".join(str(c) for c in meas),
        error=0.0 if ok else 1.0,
        tolerance=0.0,  # a direction-only claim: "not identically equal" (spec T7)
    )


_reg(
    "splines.bn.sigma_folds",
    "replacing σ_ℓ by 1 (later statistics recomputed) changes layer-(ℓ+1) codes: σ re-orients the next "
    "layer's folded hyperplanes",
    "splines.md R4.3, T7",
    _t7_problems,
    lambda p, xp: None,
    _memo(_t7_measure),
    _t7_compare,
    error_kind="count mismatch",
    tolerance_reason="a direction-only claim: at least one changed layer-(ℓ+1) code for every ℓ; tolerance 0",
)


# =========================================================================== T8 crossing
def _t8_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = [
        Problem(f"ring 4×6 seed={s}", {"X": _ring()}, {"seed": s, "ring": True})
        for s in range(2 if quick else 5)
    ]
    for affine in (False, True):
        data = _bn_net(rng, [3, 8, 8, 8], affine=affine)
        data["X"] = rng.standard_normal((30, 3)) * rng.uniform(0.2, 3) + 4
        out.append(Problem(f"random {'β≠0' if affine else 'β=0'}", data, {"ring": False}))
    return out


def _t8_run(problem: Problem, xp: ModuleType) -> tuple[Any, Any, Any]:
    sp = _sp()
    a = problem.arrays(xp)
    if problem.params["ring"]:
        arms = _toy_arms(xp, a["X"], problem.params["seed"])
        return arms["bn"], a["X"], arms
    net = _build(a, 3, eta=0.1)
    return sp.fold_batch_norm(net, sp.bn_statistics(net, a["X"])), a["X"], None


def _t8_predict(problem: Problem, xp: ModuleType) -> Any:
    # β = 0: every unit splits the batch; β ≠ 0: iff min u < −β/γ < max u (u standardised)
    folded, X, _ = _t8_run(problem, xp)
    if problem.params["ring"] or not bool(np.any(problem.data.get("beta0", 0))):
        return np.ones(folded.n_layers)
    sp = _sp()
    fr = []
    z = _h(X)
    feats = [z] + [_h(f) for f in sp.forward(folded, X).features[:-1]]
    for i, z in enumerate(feats):
        p = z @ problem.data[f"w{i}"].T
        u = (p - p.mean(0)) / p.std(0)
        thr = -problem.data[f"beta{i}"] / problem.data[f"gamma{i}"]
        fr.append(float(np.mean((u.min(0) < thr) & (thr < u.max(0)))))
    return np.array(fr)


def _t8_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    folded, X, arms = _t8_run(problem, xp)
    out = {"bn": _h(sp.crossing_fraction(folded, X))}
    if arms is not None:
        out["zero"] = _h(sp.crossing_fraction(arms["zero"], X))
        out["random"] = _h(sp.crossing_fraction(arms["random"], X))
    return out


def _t8_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    err = float(np.max(np.abs(pred - meas["bn"])))
    extra = {k: [float(v) for v in meas[k]] for k in meas}
    return Comparison(
        predicted=" ".join(f"{v:.2f}" for v in pred),
        measured=" ".join(f"{v:.2f}" for v in meas["bn"]),
        error=err,
        tolerance=0.0,  # counts of sign changes: exact
        details=extra,
    )


_reg(
    "splines.bn.crossing",
    "batch-mode BN (β = 0): every unit's folded hyperplane splits the batch at every layer; β ≠ 0: iff "
    "min u < −β/γ < max u",
    "splines.md R5, T8",
    _t8_problems,
    _t8_predict,
    _t8_measure,
    _t8_compare,
    error_kind="absolute error",
    tolerance_reason="the crossing fractions come from counts of sign changes, which are exact: tolerance 0",
)


# =========================================================================== T9 min-distance bound
def _t9_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    for sizes in ([2, 6, 6, 6], [6, 10, 8]):
        data = _bn_net(rng, sizes, affine=False)
        data["X"] = rng.standard_normal((80, sizes[0])) * rng.uniform(0.3, 3.0, sizes[0]) + 1
        out.append(Problem(f"sizes={sizes}", data, {"n_layers": len(sizes) - 1}))
    return out


def _t9_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    net = _build(a, problem.params["n_layers"], eta=0.1)
    folded = sp.fold_batch_norm(net, sp.bn_statistics(net, a["X"]))
    feats = [a["X"], *sp.forward(folded, a["X"]).features[:-1]]
    rows = []
    for i, z in enumerate(feats):
        hp = sp.unit_hyperplanes(folded, i)
        d = z @ hp.normals.mT - hp.offsets
        lhs = float(xp.mean(xp.min(d * d, axis=1)))
        r = sp.bn_recentring(a[f"w{i}"], z)
        mid = float(xp.min(r.rms_distance**2))
        zc = z - xp.mean(z, axis=0)
        lam = float(xp.max(xp.linalg.eigvalsh(zc.mT @ zc / z.shape[0])))
        rows.append((lhs, mid, lam))
    return rows


def _t9_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    # violations of lhs ≤ mid ≤ λmax, relative; rounding of means of squares ~1e3·eps relative
    err = max(max(a - b, b - c) / max(c, 1e-300) for a, b, c in meas)
    return Comparison(
        predicted="mean min d² ≤ min σ²/‖w‖² ≤ λmax(Ĉ)",
        measured="; ".join(f"{a:.3g} ≤ {b:.3g} ≤ {c:.3g}" for a, b, c in meas),
        error=max(err, 0.0),
        tolerance=1e3 * _EPS64,
    )


_reg(
    "splines.bn.min_distance_bound",
    "β = 0: mean_n min_k d(z_ℓ(x_n), H_k)² ≤ min_k σ_k²/‖w_k‖² ≤ λ_max(Ĉ_ℓ)",
    "splines.md R2(2), T9",
    _t9_problems,
    lambda p, xp: None,
    _t9_measure,
    _t9_compare,
    error_kind="bound violation",
    tolerance_reason="violations of mean min d² ≤ min σ²/‖w‖² ≤ λ_max, relative to λ_max; the rounding of "
    "means of squares is ~1e3·eps relative",
)


# =========================================================================== T10 equivariance
def _t10_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    n_pts = 1000 if quick else 5000
    for s in range(2):
        X = rng.standard_normal((60, 2)) * rng.uniform(0.5, 2.0) + rng.standard_normal(2)
        Y = rng.uniform(-4, 4, (n_pts, 2))
        lam = float(rng.uniform(0.2, 5.0))
        v = rng.standard_normal(2) * 3
        q, _ = np.linalg.qr(rng.standard_normal((2, 2)))
        out.append(
            Problem(f"draw {s} λ={lam:.2f}", {"X": X, "Y": Y, "v": v, "Q": q}, {"lam": lam, "seed": s})
        )
    return out


def _t10_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    lam = problem.params["lam"]
    X, Y, v, Q = a["X"], a["Y"], a["v"], a["Q"]
    out = {}
    for arm in ("bn", "zero", "random"):
        net = sp.random_spline_net(
            [2, 6, 6],
            negative_slope=0.1,
            batch_norm=arm == "bn",
            bias="normal" if arm == "random" else "zero",
            rng=np.random.default_rng(50 + problem.params["seed"]),
            like=X,
        )

        def codes(net: Any, data: Any, pts: Any) -> Any:
            f = sp.fold_batch_norm(net, sp.bn_statistics(net, data)) if net.has_batch_norm else net
            return sp.region_codes(f, pts).codes

        base = codes(net, X, Y)
        moved = codes(net, lam * X + v, lam * Y + v)
        rotated = codes(net, X @ Q.mT, Y @ Q.mT)
        out[arm] = (
            int(xp.sum(xp.astype(base != moved, xp.int64))),
            int(xp.sum(xp.astype(base != rotated, xp.int64))),
        )
        if arm == "bn":
            f0 = sp.fold_batch_norm(net, sp.bn_statistics(net, X))
            f1 = sp.fold_batch_norm(net, sp.bn_statistics(net, lam * X + v))
            vv = problem.data["v"]
            b0 = ((-4.0, 4.0), (-4.0, 4.0))
            b1 = ((-4.0 * lam + vv[0], 4.0 * lam + vv[0]), (-4.0 * lam + vv[1], 4.0 * lam + vv[1]))
            out["regions"] = (
                sp.enumerate_regions_2d(f0, box=b0).n_regions,
                sp.enumerate_regions_2d(f1, box=b1).n_regions,
            )
    return out


def _t10_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    bn_ok = meas["bn"][0] == 0 and meas["regions"][0] == meas["regions"][1]
    # the statement must fail for the baselines (affine moves) and for BN under a rotation
    baselines_fail = meas["zero"][0] > 0 and meas["random"][0] > 0 and meas["bn"][1] > 0
    return Comparison(
        predicted="BN: 0 code changes, equal regions; zero/random/rotation: changes",
        measured=f"BN {meas['bn'][0]} changes, regions {meas['regions']}; zero {meas['zero'][0]}, "
        f"random {meas['random'][0]}, BN-rotated {meas['bn'][1]}",
        error=0.0 if (bn_ok and baselines_fail) else 1.0,
        tolerance=0.0,  # codes are exact sign patterns (points within rounding of a boundary: measure 0)
    )


_reg(
    "splines.bn.equivariance",
    "layer 0 with BN (ε = 0): codes of λY + v under the statistics of λX + v equal the codes of Y under "
    "those of X, and n_regions(λ box + v) is unchanged; false for zero/random bias and rotations",
    "splines.md R3, T10",
    _t10_problems,
    lambda p, xp: None,
    _t10_measure,
    _t10_compare,
    error_kind="count mismatch",
    tolerance_reason="codes are exact sign patterns (points within rounding of a boundary have measure 0): "
    "any code change under BN's equivariance, or none for the baselines and the rotation, fails",
)


# =========================================================================== T11 exact distances
def _t11_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    for i, (sizes, bn) in enumerate((([2, 5, 5], False), ([2, 6, 6, 6], True), ([2, 4, 4, 4], False))):
        X = _ring(60, seed=int(rng.integers(1 << 30))) if bn else rng.uniform(0.0, 6.0, (60, 2))
        eta = float(rng.choice([0.0, 0.1, -1.0]))
        out.append(
            Problem(
                f"sizes={sizes} bn={bn} eta={eta}",
                {"X": X},
                {"sizes": sizes, "bn": bn, "eta": eta, "seed": i},
            )
        )
    return out


def _t11_net(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    net = sp.random_spline_net(
        problem.params["sizes"],
        negative_slope=problem.params["eta"],
        batch_norm=problem.params["bn"],
        bias="zero" if problem.params["bn"] else "normal",
        rng=np.random.default_rng(200 + problem.params["seed"]),
        like=a["X"],
    )
    return (sp.fold_batch_norm(net, sp.bn_statistics(net, a["X"])) if net.has_batch_norm else net), a["X"]


def _t11_predict(problem: Problem, xp: ModuleType) -> Any:
    folded, X = _t11_net(problem, xp)
    return _h(_sp().distance_to_boundary(folded, X).distance)


def _t11_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    folded, X = _t11_net(problem, xp)
    part = sp.enumerate_regions_2d(folded, box=_BOX)
    return {
        "distance": sp.segment_distance_2d(part, X),
        "segments": part.segments,
        "n_regions": part.n_regions,
    }


def _t11_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    X = problem.data["X"]
    seg = meas["distance"]
    edge = np.min(np.abs(np.concatenate([X + 1.0, 7.0 - X], axis=1)), axis=1)
    ok = pred < edge  # else the nearest boundary may lie outside the box (T11)
    err = float(np.max(np.abs(pred[ok] - seg[ok]))) if ok.any() else 0.0
    diam = math.hypot(8.0, 8.0)
    details: dict[str, Any] = {
        "dist1": pred.tolist(),
        "segment": seg.tolist(),
        "n_regions": meas["n_regions"],
    }
    if problem.params["bn"]:  # the partition figure of the report
        details["segments"] = meas["segments"].tolist()
        details["X"] = X.tolist()
    return Comparison(
        predicted=float(np.median(pred)),
        measured=float(np.median(seg)),
        error=err / diam,
        tolerance=1e-10,  # spec T11: abs tol 1e-10·diam(box) (rounding observed ~1e-14)
        details=details,
    )


def _t11_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    from matplotlib.collections import LineCollection

    for v in verdicts:
        if "segments" in v.details:
            X = np.asarray(v.details["X"])
            ax.add_collection(LineCollection(np.asarray(v.details["segments"]), colors="0.3", linewidths=0.3))
            sc = ax.scatter(X[:, 0], X[:, 1], c=np.log10(np.asarray(v.details["dist1"])), s=6, cmap="viridis")
            ax.figure.colorbar(sc, ax=ax, label="log10 Dist-1 = log10 segment distance")
            ax.set(xlim=_BOX[0], ylim=_BOX[1], aspect="equal")
            ax.set_xlabel(f"BN net on a ring: {v.details['n_regions']} exact regions ({v.backend})")
            return


_reg(
    "splines.partition.exact_distance",
    "Dist-1 d(x, ∂Ω) = min_{ℓ,k} |h_{ℓ,k}|/‖∇h_{ℓ,k}‖ equals the distance to the exactly enumerated 2D "
    "partition segments",
    "splines.md §2.5, §4.3, T11",
    _t11_problems,
    _t11_predict,
    _t11_measure,
    _t11_compare,
    plot=_t11_plot,
    figure_caption=(
        "Exact partition of the input box by a ReLU network with batch normalisation folded into its "
        "layers (BN net), on points of a ring: grey segments are the region boundaries ∂Ω enumerated "
        "exactly in 2D; each point x is coloured by log10 Dist-1(x), Dist-1(x) = d(x, ∂Ω) = min_{ℓ,k} "
        "|h_{ℓ,k}(x)| / ‖∇h_{ℓ,k}(x)‖ over the pre-activations h_{ℓ,k} of unit k in layer ℓ, which the "
        "claim says equals the distance to the nearest segment. The x-axis label gives the number of "
        "regions and the backend."
    ),
    tolerance_reason="absolute error divided by the box diameter, within 1e-10 (rounding observed ~1e-14); "
    "points whose nearest boundary may lie outside the box are skipped",
)


# =========================================================================== T12 counts
def _t12_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    for k in (3, 6) + (() if quick else (10, 16)):
        w = rng.standard_normal((k, 2))
        X = rng.standard_normal((30, 2)) + rng.standard_normal(2)
        c = rng.standard_normal(k)
        out.append(Problem(f"K={k}", {"w": w, "X": X, "c": c}, {"k": k}))
    return out


def _t12_predict(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    k = problem.params["k"]
    return (sp.zaslavsky_count(k, 2, central=True).total, sp.zaslavsky_count(k, 2).total)


def _t12_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    w, c = problem.data["w"], problem.data["c"]
    bn = sp.SplineNet([sp.HiddenLayer(a["w"], None, True)])
    folded = sp.fold_batch_norm(bn, sp.bn_statistics(bn, a["X"]))
    part = sp.enumerate_regions_2d(folded, box=((-20.0, 20.0), (-20.0, 20.0)))
    g = problem.data["X"].mean(0)
    # g in the closure of every piece: it is a vertex of each (distance ~ rounding)
    g_ok = all(np.min(np.linalg.norm(p - g, axis=1)) <= 1e-9 * 40 for p in part.polygons)
    k = w.shape[0]
    pts = np.array([np.linalg.solve(w[[i, j]], -c[[i, j]]) for i in range(k) for j in range(i)])
    half = float(np.abs(pts).max()) + 1.0
    rnd = sp.SplineNet([sp.HiddenLayer(a["w"], a["c"])])
    box = ((-half, half), (-half, half))
    p2 = sp.enumerate_regions_2d(rnd, box=box)
    grid = sp.count_codes_on_grid(rnd, box=box, resolution=100)
    distinct = len({r.tobytes() for r in p2.codes})
    return {"bn": part.n_regions, "g_ok": g_ok, "random": p2.n_regions, "grid": grid, "distinct": distinct}


def _t12_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    ok = (
        meas["bn"] == pred[0]
        and meas["g_ok"]
        and meas["random"] == pred[1]
        and meas["grid"] <= meas["random"]
        and meas["distinct"] == meas["random"]
    )
    return Comparison(
        predicted=f"BN {pred[0]}, random {pred[1]}",
        measured=f"BN {meas['bn']}, random {meas['random']} (grid {meas['grid']})",
        error=0.0 if ok else 1.0,
        tolerance=0.0,  # integer counts: exact
    )


_reg(
    "splines.partition.counts",
    "one BN layer of K generic units: exactly 2K pieces, all touching g; random offsets: 1 + K + C(K,2) "
    "(Zaslavsky); grid codes ≤ exact; distinct codes = pieces",
    "splines.md R5, T12",
    _t12_problems,
    _t12_predict,
    _t12_measure,
    _t12_compare,
    error_kind="count mismatch",
    tolerance_reason="integer region and code counts: exact agreement",
)


# =========================================================================== T13/T14 near the data
def _seeds_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    return [Problem("ring 4×6 η=0.1 seeds 0–4", {"X": _ring(), "far": _far_points()}, {"regions": not quick})]


def _t13_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    rows = []
    for s in range(5):
        arms = _toy_arms(xp, a["X"], s)
        row = {k: float(np.median(_h(sp.distance_to_boundary(f, a["X"]).distance))) for k, f in arms.items()}
        if problem.params["regions"]:
            row.update(
                {f"{k}_regions": sp.enumerate_regions_2d(f, box=_BOX).n_regions for k, f in arms.items()}
            )
        rows.append(row)
    return rows


def _t13_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    closer = sum(r["bn"] < min(r["zero"], r["random"]) for r in meas)
    more = 5
    if problem.params["regions"]:
        more = sum(r["bn_regions"] > max(r["zero_regions"], r["random_regions"]) for r in meas)
    med = {k: float(np.mean([r[k] for r in meas])) for k in ("bn", "zero", "random")}
    return Comparison(
        predicted="BN closer (and more regions) in ≥ 4 of 5 seeds",
        measured=f"closer {closer}/5, more regions {more}/5; mean medians BN {med['bn']:.3f} zero "
        f"{med['zero']:.3f} random {med['random']:.3f}",
        error=float(max(0, 4 - closer, 4 - more)),
        tolerance=0.0,  # directional claim "k of 5 seeds" (D14)
        details={"rows": meas},
    )


def _t13_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    rows = verdicts[0].details["rows"]
    for k, c in (("bn", "C0"), ("zero", "C1"), ("random", "C2")):
        ax.semilogy(range(5), [r[k] for r in rows], "o-", color=c, label=k)
    ax.set_xlabel("net seed")
    ax.set_ylabel("median d(x_n, ∂Ω)")
    ax.legend(fontsize=8)


_reg(
    "splines.bn.boundaries_near_data",
    "BN puts the partition close to the data: median Dist-1 of the ring points is smaller, and the box "
    "holds more regions, with BN than with zero or random biases (≥ 4 of 5 seeds)",
    "splines.md [paper] (3), T13",
    _seeds_problems,
    lambda p, xp: None,
    _memo(_t13_measure),
    _t13_compare,
    plot=_t13_plot,
    error_kind="count mismatch",
    figure_caption=(
        "Median over the ring points x_n of d(x_n, ∂Ω), the distance to the nearest boundary ∂Ω of the "
        "network's input-space partition, for five net seeds (log scale): bn, biases from the "
        "batch-normalisation statistics folded into the layers; zero, zero biases; random, random biases; "
        "the same random weights in the three arms."
    ),
    tolerance_reason="a directional claim over 5 seeds: the count of seeds short of 4 in which BN is closer "
    "to the data (and has more regions); tolerance 0",
)


def _t14_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    rows = []
    for s in range(5):
        arms = _toy_arms(xp, a["X"], s)
        row = {}
        for k, f in arms.items():
            row[k] = float(xp.mean(xp.astype(sp.local_complexity(f, a["X"], radius=0.1).total, xp.float64)))
            row[k + "_far"] = float(
                xp.mean(xp.astype(sp.local_complexity(f, a["far"], radius=0.1).total, xp.float64))
            )
        rows.append(row)
    return rows


def _t14_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    good = sum(r["bn"] > 2 * r["bn_far"] and r["bn"] > max(r["zero"], r["random"]) for r in meas)
    mean = {k: float(np.mean([r[k] for r in meas])) for k in meas[0]}
    return Comparison(
        predicted="LC_BN(data) > 2 LC_BN(far) and > baselines, ≥ 4 of 5 seeds",
        measured=f"{good}/5; BN {mean['bn']:.2f} vs far {mean['bn_far']:.2f}, zero {mean['zero']:.2f}, "
        f"random {mean['random']:.2f}",
        error=float(max(0, 4 - good)),
        tolerance=0.0,  # directional claim "k of 5 seeds" (D14)
        details={"rows": meas},
    )


_reg(
    "splines.bn.density_near_data",
    "local complexity (r = 0.1) is higher near the data than far from it with BN, and higher than with "
    "zero or random biases (≥ 4 of 5 seeds)",
    "splines.md [paper] (3), D15, T14",
    _seeds_problems,
    lambda p, xp: None,
    _memo(_t14_measure),
    _t14_compare,
    error_kind="count mismatch",
    tolerance_reason="a directional claim over 5 seeds: the count of seeds short of 4 in which BN's local "
    "complexity is higher near the data and above the baselines; tolerance 0",
)


# =========================================================================== T15 jitter ∝ 1/m
def _t15_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    nb = 3000 if quick else 20000
    Z = rng.standard_normal((500, 3)) @ rng.standard_normal((3, 3)) + 2.0
    w = rng.standard_normal((1, 3))
    out = [
        Problem(
            f"N=500 m={m} without replacement, {nb} batches",
            {"Z": Z, "w": w},
            {"m": m, "nb": nb, "replace": False},
        )
        for m in (8, 32, 128)
    ]
    out.append(
        Problem(f"i.i.d. slope m∈8..128, {nb} batches", {"Z": Z, "w": w}, {"m": 0, "nb": nb, "replace": True})
    )
    G = rng.standard_normal((20000, 1)) * 2.0
    out.append(
        Problem(
            f"Gaussian β≠0 m=32, {nb} batches",
            {"Z": G, "w": np.ones((1, 1)), "gamma": np.array([1.5]), "beta": np.array([0.7])},
            {"m": 32, "nb": nb, "replace": True},
        )
    )
    return out


def _t15_predict(problem: Problem, xp: ModuleType) -> Any:
    a = problem.arrays(xp)
    if problem.params["m"] == 0:
        return -1.0
    j = _sp().boundary_jitter(
        a["w"],
        a["Z"],
        batch_size=problem.params["m"],
        replace=problem.params["replace"],
        gamma=a.get("gamma"),
        beta=a.get("beta"),
    )
    return float(_h(j.var_displacement)[0])


def _t15_measure(problem: Problem, xp: ModuleType) -> Any:
    a = problem.arrays(xp)
    rng = np.random.default_rng(zlib.crc32(problem.name.encode()))
    ms = [problem.params["m"]] if problem.params["m"] else [8, 16, 32, 64, 128]
    out = []
    for m in ms:
        s = _sp().sample_boundary_jitter(
            a["w"],
            a["Z"],
            batch_size=m,
            n_batches=problem.params["nb"],
            rng=rng,
            replace=problem.params["replace"],
            gamma=a.get("gamma"),
            beta=a.get("beta"),
        )
        d = _h(s.displacements)[:, 0]
        v = float(np.var(d, ddof=1))
        kurt = float(np.mean((d - d.mean()) ** 4) / np.var(d) ** 2)
        out.append((m, v, math.sqrt(max(kurt - 1.0, 0.0) / d.size) * v))
    return out


def _t15_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    if problem.params["m"] == 0:
        ms = np.log([r[0] for r in meas])
        vs = np.log([r[1] for r in meas])
        slope = float(np.polyfit(ms, vs, 1)[0])
        return Comparison(
            predicted=-1.0,
            measured=slope,
            error=abs(slope + 1.0),
            tolerance=0.1,  # spec T15: log-log slope in [−1.1, −0.9]
            details={"m": [r[0] for r in meas], "var": [r[1] for r in meas]},
            error_kind="absolute error",
        )
    _, v, se = meas[0]
    # the sample variance's SE from the sample kurtosis: sqrt((κ − 1)/n)·Var; 4 SE (D14), and for the
    # Gaussian β ≠ 0 case the O(1/m) bias of the large-m formula (≲ 1% at m = 32, spec R7) on top
    tol = 4 * se / pred + (0.01 if "beta" in problem.data else 0.0)
    return Comparison(predicted=pred, measured=v, error=abs(v / pred - 1.0), tolerance=tol)


_reg(
    "splines.bn.jitter_variance",
    "batch-to-batch displacement of a BN hyperplane: Var Δ = s²(N−m)/(m(N−1)‖w‖²) without replacement, "
    "∝ 1/m i.i.d., s²(1 + β²/2γ²)/(m‖w‖²) for Gaussian projections with β ≠ 0",
    "splines.md R7, D17, T15",
    _t15_problems,
    _t15_predict,
    _t15_measure,
    _t15_compare,
    tolerance_reason="per batch size: |sample variance ÷ prediction − 1| within 4 standard errors of the "
    "sample variance (√((κ − 1)/n)·Var, κ the sample kurtosis), plus 1 % for the O(1/m) bias of the large-m "
    "formula in the Gaussian β ≠ 0 case; i.i.d.: the log–log slope within 0.1 of −1",
)


# =========================================================================== T16 χ² law
def _t16_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    nb = 5000
    return [
        Problem(
            f"Gaussian m=16, {nb} batches",
            {"batches": rng.standard_normal((nb, 16)) * 1.7 + 0.3},
            {"m": 16, "s": 1.7},
        )
    ]


def _t16_measure(problem: Problem, xp: ModuleType) -> Any:
    a = problem.arrays(xp)
    b = a["batches"]
    mh = xp.mean(b, axis=1)
    v = xp.mean((b - mh[:, None]) ** 2, axis=1)
    return {"mean": _h(mh), "var": _h(v)}


def _t16_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    from scipy import stats

    m, s = problem.params["m"], problem.params["s"]
    ks = stats.kstest(m * meas["var"] / s**2, stats.chi2(m - 1).cdf)
    corr = float(np.corrcoef(meas["mean"], meas["var"])[0, 1])
    n = meas["var"].size
    # spec T16: KS p > 1e-3 and |corr| < 4/sqrt(n) (4 SE of a null correlation)
    err = max(-math.log10(max(ks.pvalue, 1e-300)) / 3.0, abs(corr) / (4 / math.sqrt(n)))
    return Comparison(
        predicted="mσ̂²/s² ~ χ²_{m−1}, independent of μ̂",
        measured=f"KS p = {ks.pvalue:.3g}, corr = {corr:.3f}",
        error=err,
        tolerance=1.0,  # both parts normalised by their thresholds
    )


_reg(
    "splines.bn.chi2_law",
    "Gaussian projections: m σ̂²/s² ~ χ²_{m−1}, independent of μ̂ (the law of the scale jitter)",
    "splines.md R7, T16",
    _t16_problems,
    lambda p, xp: None,
    _t16_measure,
    _t16_compare,
    error_kind="threshold ratio",
    tolerance_reason="the KS p-value above 1e-3 (as −log10 p ÷ 3) and |corr(μ̂, σ̂²)| below 4/√n, 4 "
    "standard errors of a null correlation; each normalised by its threshold",
)


# =========================================================================== T17 Lemma 1
def _t17_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    n = 20000 if quick else 200000
    out = []
    for i in range(3):
        u, v = rng.standard_normal(5), rng.standard_normal(5)
        g = rng.standard_normal(5) * (0.3 if i == 0 else 2.0)
        if i == 2:
            g = (u + v) / 2
        out.append(Problem(f"D=5 config {i}", {"u": u, "v": v, "g": g, "w": rng.standard_normal((n, 5))}))
    return out


def _t17_predict(problem: Problem, xp: ModuleType) -> Any:
    a = problem.arrays(xp)
    return float(_sp().pair_separation_probability(a["u"], a["v"], a["g"]))


def _t17_measure(problem: Problem, xp: ModuleType) -> Any:
    a = problem.arrays(xp)
    su = a["w"] @ (a["u"] - a["g"])
    sv = a["w"] @ (a["v"] - a["g"])
    return float(xp.mean(xp.astype(su * sv < 0, xp.float64)))


def _t17_compare(pred: float, meas: float, problem: Problem, xp: ModuleType) -> Comparison:
    u, v, g = problem.data["u"], problem.data["v"], problem.data["g"]
    n = problem.data["w"].shape[0]
    r = np.linalg.norm(u - v) / 2
    dm = np.linalg.norm((u + v) / 2 - g)
    arct = 2 / np.pi * np.arctan(r / dm) if dm > 0 else 1.0
    # acos near ±1 is ill-conditioned: φ/π carries ~sqrt(eps) rounding at collinear configurations
    slack = 1e-7
    bound_ok = (pred >= arct - slack) if dm <= r else (pred <= arct + slack)
    # binomial SE, floored at one count in n (an exact 0/1 probability has zero variance)
    se = math.sqrt(max(pred * (1 - pred), 1.0 / n) / n)
    err = abs(pred - meas) / (4 * se)
    return Comparison(
        predicted=pred,
        measured=meas,
        error=err if bound_ok else math.inf,
        tolerance=1.0,  # |MC − φ/π| in units of 4 binomial SE (D14); exactly 1 at the midpoint
    )


_reg(
    "splines.separation.pair",
    "Lemma 1: a Gaussian hyperplane through g separates u, v with probability ∠(u−g, v−g)/π (1 at the "
    "midpoint), with the arctan bounds",
    "splines.md R6, T17",
    _t17_problems,
    _t17_predict,
    _t17_measure,
    _t17_compare,
    error_kind="normalised error",
    tolerance_reason="|Monte Carlo − φ/π| in units of 4 binomial standard errors (floored at one count in "
    "n); the arctan bounds must hold up to 1e-7, since φ/π carries ~√eps rounding at collinear "
    "configurations",
)


# =========================================================================== T18 Theorems 2/3
def _t18_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    n = 20000 if quick else 200000
    out = [
        Problem(
            f"ball K=5 δ/r=0.3, {n} draws",
            {"w": rng.standard_normal((n, 10))},
            {"kind": "ball", "k": 5, "c": 0.3},
        )
    ]
    # Theorem 2: clusters of K = 3 points within δ = 0.05 of u, v (r = 1) in D = 5, pole at the midpoint
    u = np.zeros(5)
    u[0] = 1.0
    pts_u = u + 0.05 * _unit_ball(rng, 3, 5)
    pts_v = -u + 0.05 * _unit_ball(rng, 3, 5)
    out.append(
        Problem(
            f"clusters K=3 D=5 r/δ=20, {n} draws",
            {"U": pts_u, "V": pts_v, "w": rng.standard_normal((n, 5))},
            {"kind": "clusters", "k": 3, "ratio": 20.0},
        )
    )
    out.append(Problem("Theorem 3 sandwich and K → ∞ limit", {}, {"kind": "sandwich"}))
    return out


def _unit_ball(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True) * rng.uniform(0, 1, (n, 1)) ** (1 / d)


def _t18_predict(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    kind = problem.params["kind"]
    if kind == "ball":
        return sp.ball_separation_probability(problem.params["k"], problem.params["c"])
    if kind == "clusters":
        return sp.cluster_separation_bound(problem.params["k"], problem.params["ratio"])
    return None


def _t18_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    kind = problem.params["kind"]
    a = problem.arrays(xp)
    if kind == "ball":
        w = a["w"]
        hit = xp.abs(w[:, 0]) >= problem.params["c"] * xp.linalg.vector_norm(w, axis=1)
        return float(xp.mean(xp.astype(hit, xp.float64)))
    if kind == "clusters":
        su, sv = a["w"] @ a["U"].mT, a["w"] @ a["V"].mT  # pole at the origin (the midpoint)
        sep = (xp.all(su > 0, axis=1) & xp.all(sv < 0, axis=1)) | (
            xp.all(su < 0, axis=1) & xp.all(sv > 0, axis=1)
        )
        return float(xp.mean(xp.astype(~sep, xp.float64)))
    worst = 0.0
    for k in (1, 2, 5, 20, 100):
        for c in (0.05, 0.2, 0.5, 0.9):
            p = sp.ball_separation_probability(k, c)
            for eps in (0.1, 0.5, 0.9):
                lo, hi = sp.ball_separation_bounds(k, c, epsilon=eps)
                worst = max(worst, lo - p, p - hi)
    from scipy import stats

    lim = max(
        abs(sp.ball_separation_probability(k, 1.0 / math.sqrt(2 * k)) - 2 * stats.norm.sf(1.0))
        for k in (500, 2000)
    )
    return {"sandwich_violation": worst, "limit_error": lim}


def _t18_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    kind = problem.params["kind"]
    if kind == "ball":
        n = problem.data["w"].shape[0]
        se = math.sqrt(pred * (1 - pred) / n)
        return Comparison(pred, meas, abs(pred - meas) / (4 * se), 1.0)  # units of 4 binomial SE
    if kind == "clusters":
        n = problem.data["w"].shape[0]
        # the bound must hold for the failure frequency up to 4 binomial SE of the MC
        excess = meas - pred - 4 * math.sqrt(max(meas * (1 - meas), 1e-12) / n)
        return Comparison(pred, meas, max(excess, 0.0), 0.0, error_kind="bound violation")
    err = max(meas["sandwich_violation"] / 1e-12, meas["limit_error"] / 3e-3)
    return Comparison(
        predicted="lower ≤ exact ≤ upper; |P − P(|Z|>1)| < 3e-3",
        measured=f"violation {meas['sandwich_violation']:.2g}, limit error {meas['limit_error']:.2g}",
        error=max(err, 0.0),
        tolerance=1.0,  # normalised: 1e-12 (special-function rounding) and the spec's 3e-3
    )


_reg(
    "splines.separation.clusters",
    "Theorems 2/3: cluster failure rate ≤ (2/π)(2K−1)/(r/δ−1); ball separation = I_{1−(δ/r)²}((2K−1)/2, ½), "
    "inside Theorem 3's sandwich, → P(|Z| > t)",
    "splines.md R6, T18",
    _t18_problems,
    _t18_predict,
    _t18_measure,
    _t18_compare,
    error_kind="normalised error",
    tolerance_reason="Monte-Carlo frequencies within 4 binomial standard errors (the ball probability; the "
    "cluster failure bound must hold up to that); Theorem 3's sandwich to 1e-12 (special-function rounding) "
    "and the K → ∞ limit to 3e-3",
)


# =========================================================================== T19 equalisation
def _t19_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    out = []
    for eta in (0.0, 0.1, -1.0):
        d = 3
        w = rng.standard_normal((d, d))
        u, v = rng.standard_normal(d) * 2, rng.standard_normal(d) * 2
        b = rng.uniform(0.2, 5.0, d)
        out.append(Problem(f"η={eta} D0=D1={d}", {"w": w, "u": u, "v": v, "b": b}, {"eta": eta}))
    return out


def _t19_predict(problem: Problem, xp: ModuleType) -> Any:
    eta = problem.params["eta"]
    w, u, v = problem.data["w"], problem.data["u"], problem.data["v"]
    g = (u + v) / 2
    lam = (w @ (u - g)) / np.linalg.norm(w, axis=1)
    return {
        "bn": np.full(w.shape[0], (1 - eta) / 2),
        "b1": np.abs(lam) * np.linalg.norm(w, axis=1) * (1 - eta) / 2,
    }


def _t19_measure(problem: Problem, xp: ModuleType) -> Any:
    sp = _sp()
    a = problem.arrays(xp)
    eta = problem.params["eta"]
    X = xp.stack([a["u"], a["v"]])
    net = sp.SplineNet([sp.HiddenLayer(a["w"], None, True)], eta)
    g_bn = xp.mean(sp.forward(sp.fold_batch_norm(net, sp.bn_statistics(net, X)), X).features[0], axis=0)
    mu = xp.mean(X @ a["w"].mT, axis=0)
    out = {"bn": _h(g_bn)}
    pivots = []
    for scale in (xp.ones_like(a["b"]), a["b"]):
        plain = sp.SplineNet([sp.HiddenLayer(a["w"] / scale[:, None], -mu / scale)], eta)
        g1 = xp.mean(sp.forward(plain, X).features[0], axis=0)
        if scale is not a["b"]:
            out["b1"] = _h(g1)
        if eta != -1.0:
            # pivot: W(x − g) = b · a^{-1}(g1), the same for every positive b (homogeneity)
            y = scale * xp.where(g1 > 0, g1, g1 / (eta if eta != 0 else 1.0))
            pivots.append(_h(xp.linalg.solve(a["w"], y[:, None])[:, 0]))
    out["pivot_gap"] = float(np.max(np.abs(pivots[0] - pivots[1]))) if pivots else 0.0
    return out


def _t19_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    err = max(_rel(pred["bn"], meas["bn"]), _rel(pred["b1"], meas["b1"]), meas["pivot_gap"] / 10)
    # two-point means and a 3×3 solve of O(1–10) numbers: 1e3·eps·cond(W)-ish; 1e-10 covers cond ≤ 1e4
    return Comparison(
        predicted=float(pred["bn"][0]),
        measured=float(meas["bn"][0]),
        error=err,
        tolerance=1e-10,
    )


_reg(
    "splines.bn.equalisation",
    "two equal point masses: BN scaling gives g_1[k] = (1−η)/2 for every unit, b = 1 gives "
    "|λ_k|‖w_k‖(1−η)/2; the pivot set G_1 is the same for every positive b",
    "splines.md R4.4, R4.5, T19",
    _t19_problems,
    _t19_predict,
    _t19_measure,
    _t19_compare,
    tolerance_reason="two-point means and a 3×3 solve of O(1–10) numbers, rounding ~1e3·eps·cond(W): 1e-10 "
    "covers cond(W) ≤ 1e4 (the pivot gap enters at one tenth)",
)


# =========================================================================== T20 margin vs batch noise
def _two_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n - n0)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n - n0, dtype=np.int64)])
    return X + noise * rng.standard_normal(X.shape), y


def _t20_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    X, y = _two_moons()
    epochs = 10 if quick else 200
    seeds = (0, 1) if quick else tuple(range(5))
    return [
        Problem(f"two-moons 2→16→16→2, {epochs} epochs", {"X": X, "y": y}, {"epochs": epochs, "seeds": seeds})
    ]


def _t20_train(a: dict, *, seed: int, batch: int, mode: str, epochs: int, xp: ModuleType) -> Any:
    from ssltheory import nets

    sp = _sp()
    X, y = a["X"], a["y"]
    n = int(X.shape[0])
    mlp = nets.MLP([2, 16, 16, 2], batchnorm=True).init(np.random.default_rng(seed), xp=xp)
    opt = nets.SGD(learning_rate=0.05)
    order = np.random.default_rng(100 + seed)  # same batches and steps in every arm
    onehot = xp.astype(xp.arange(2)[None, :] == y[:, None], X.dtype)
    bns = [layer for layer in mlp.layers if isinstance(layer, nets.BatchNorm1d)]
    for _ in range(epochs):
        if mode == "population":  # frozen population statistics, recomputed each epoch
            stats = sp.bn_statistics(sp.spline_net_from_mlp(mlp), X)
            for bn, mu, var in zip(bns, stats.mean, stats.var, strict=True):
                bn.running_mean, bn.running_var = mu, var
        perm = order.permutation(n)
        for s in range(0, n - 1, batch):
            idx = xp.asarray(perm[s : s + batch], device=_backend.device(X))
            if idx.shape[0] < 2:
                continue
            with np.errstate(all="ignore"):  # a diverging arm is detected after the epoch
                out = mlp.forward(xp.take(X, idx, axis=0), train=mode == "train")
                e = xp.exp(out - xp.max(out, axis=1, keepdims=True))
                p = e / xp.sum(e, axis=1, keepdims=True)
                grad = (p - xp.take(onehot, idx, axis=0)) / idx.shape[0]  # softmax cross-entropy
                mlp.set_parameters(opt.step(mlp.parameters(), mlp.backward(grad).parameters))
        if not all(bool(xp.all(xp.isfinite(v))) for v in mlp.parameters().values()):
            return math.nan  # diverged (reported; excluded from the seed count)
    net = sp.spline_net_from_mlp(mlp)
    folded = sp.fold_batch_norm(net, sp.bn_statistics(net, X, eps=1e-5, mode="population"))
    part = sp.enumerate_regions_2d(folded, box=((-2.5, 3.5), (-2.0, 2.5)), decision_boundary=True)
    return float(np.median(sp.margin_2d(part, X, y).distance))


def _t20_measure(problem: Problem, xp: ModuleType) -> Any:
    a = problem.arrays(xp)
    ep = problem.params["epochs"]
    rows = []
    for s in problem.params["seeds"]:
        rows.append(
            {
                "train_b8": _t20_train(a, seed=s, batch=8, mode="train", epochs=ep, xp=xp),
                "population_b8": _t20_train(a, seed=s, batch=8, mode="population", epochs=ep, xp=xp),
                "train_b128": _t20_train(a, seed=s, batch=128, mode="train", epochs=ep, xp=xp),
            }
        )
    return rows


def _t20_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    finite = [r for r in meas if all(math.isfinite(v) for v in r.values())]
    k = len(finite)
    diverged = len(meas) - k
    primary = sum(r["train_b8"] > r["population_b8"] for r in finite)
    secondary = sum(r["train_b8"] > r["train_b128"] for r in finite)
    need = math.ceil(0.6 * len(meas))  # spec T20: ≥ 3 of 5 seeds (a diverged seed counts against)
    mean = {key: float(np.nanmean([r[key] for r in meas])) if k else math.nan for key in meas[0]}
    return Comparison(
        predicted=f"train-mode b=8 margin larger in ≥ {need}/{k} seeds",
        measured=f"vs population {primary}/{k}, vs b=128 {secondary}/{k} ({diverged} seeds diverged); "
        "median margins " + ", ".join(f"{key} {v:.3f}" for key, v in mean.items()),
        error=float(max(0, need - primary)),
        tolerance=0.0,  # directional, report-only (D14): no published numbers to match
        details={"rows": meas},
    )


_reg(
    "splines.bn.margin_batch_noise",
    "[reconstruction, report-only] train-mode BN with small batches (batch-statistics noise) gives larger "
    "training margins than frozen population statistics (two-moons MLP)",
    "splines.md R8, T20",
    _t20_problems,
    lambda p, xp: None,
    _t20_measure,
    _t20_compare,
    gating=False,
    error_kind="count mismatch",
    report_only_reason=(
        "A reconstruction of a directional statement with no published numbers to match: it counts the "
        "seeds in which train-mode BN with batches of 8 ends with a larger median training margin than "
        "frozen population statistics, on a small two-moons MLP; the quick problem (2 seeds, 10 epochs) is "
        "too short to show the effect. It would gate with an effect size taken from the paper or derived, "
        "and enough seeds for a binomial test at a stated level."
    ),
    tolerance_reason="a directional count: seeds short of 60 % (a diverged seed counts against) in which "
    "train-mode batches of 8 give the larger margin; tolerance 0",
)


# =========================================================================== R9 smart initialisation
def _r9_problems(rng: np.random.Generator, quick: bool) -> list[Problem]:
    X, y = _two_moons()
    epochs = 5 if quick else 30
    seeds = (0, 1) if quick else tuple(range(5))
    return [
        Problem(
            f"two-moons 2→16→16→2 no BN, {epochs} epochs",
            {"X": X, "y": y},
            {"epochs": epochs, "seeds": seeds},
        )
    ]


def _r9_run(a: dict, *, seed: int, init: str, epochs: int, xp: ModuleType) -> list[float]:
    """Training-loss curve (per epoch, full data) of an MLP without BN from one of three inits."""
    from ssltheory import nets

    sp = _sp()
    X, y = a["X"], a["y"]
    n = int(X.shape[0])
    mlp = nets.MLP([2, 16, 16, 2]).init(np.random.default_rng(seed), xp=xp)
    params = dict(mlp.parameters())
    dev = _backend.device(X)
    if init == "bn":  # fold the population BN statistics of the initial weights into the layers (D4)
        layers = tuple(sp.HiddenLayer(params[f"{i}.weight"], None, True) for i in (0, 2))
        net = sp.SplineNet(layers, 0.0)
        folded = sp.fold_batch_norm(net, sp.bn_statistics(net, X, mode="population"))
        for j, i in enumerate((0, 2)):
            params[f"{i}.weight"], params[f"{i}.bias"] = folded.weights[j], folded.biases[j]
    else:
        draw = np.random.default_rng(500 + seed)
        for i in (0, 2):
            k = int(params[f"{i}.bias"].shape[0])
            b = draw.standard_normal(k) if init == "random" else np.zeros(k)
            params[f"{i}.bias"] = xp.asarray(b, dtype=X.dtype, device=dev)
    mlp.set_parameters(params)
    opt = nets.SGD(learning_rate=0.05)
    order = np.random.default_rng(100 + seed)
    onehot = xp.astype(xp.arange(2)[None, :] == y[:, None], X.dtype)

    def loss() -> float:
        out = mlp.forward(X, train=False)
        mx = xp.max(out, axis=1, keepdims=True)
        lse = mx[:, 0] + xp.log(xp.sum(xp.exp(out - mx), axis=1))
        return float(xp.mean(lse - xp.sum(out * onehot, axis=1)))

    curve = [loss()]
    for _ in range(epochs):
        perm = order.permutation(n)
        for s in range(0, n, 8):
            idx = xp.asarray(perm[s : s + 8], device=dev)
            out = mlp.forward(xp.take(X, idx, axis=0), train=True)
            e = xp.exp(out - xp.max(out, axis=1, keepdims=True))
            p = e / xp.sum(e, axis=1, keepdims=True)
            grad = (p - xp.take(onehot, idx, axis=0)) / idx.shape[0]
            mlp.set_parameters(opt.step(mlp.parameters(), mlp.backward(grad).parameters))
        curve.append(loss())
    return curve


def _r9_measure(problem: Problem, xp: ModuleType) -> Any:
    a = problem.arrays(xp)
    ep = problem.params["epochs"]
    return [
        {arm: _r9_run(a, seed=s, init=arm, epochs=ep, xp=xp) for arm in ("bn", "zero", "random")}
        for s in problem.params["seeds"]
    ]


def _r9_compare(pred: Any, meas: Any, problem: Problem, xp: ModuleType) -> Comparison:
    k = len(meas)
    mid = max(1, problem.params["epochs"] // 5)  # early in training, where an init matters most
    better = sum(r["bn"][mid] < min(r["zero"][mid], r["random"][mid]) for r in meas)
    need = math.ceil(0.6 * k)
    mean = {arm: float(np.mean([r[arm][mid] for r in meas])) for arm in ("bn", "zero", "random")}
    return Comparison(
        predicted=f"BN-init loss lowest after {mid} epochs in ≥ {need}/{k} seeds",
        measured=f"{better}/{k}; mean loss " + ", ".join(f"{arm} {v:.3f}" for arm, v in mean.items()),
        error=float(max(0, need - better)),
        tolerance=0.0,  # directional, report-only (D14, R9 [reconstruction])
        details={"curves": meas},
    )


def _r9_plot(verdicts: Sequence[Verdict], ax: Any) -> None:
    for r in verdicts[0].details["curves"]:
        for arm, c in (("bn", "C0"), ("zero", "C1"), ("random", "C2")):
            ax.plot(r[arm], color=c, lw=0.8)
    for arm, c in (("BN-init", "C0"), ("zero bias", "C1"), ("random bias", "C2")):
        ax.plot([], [], color=c, label=arm)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy")
    ax.legend(fontsize=8)


_reg(
    "splines.bn.smart_init",
    "[reconstruction, report-only] BN statistics folded into the biases at initialisation (BN-init) train "
    "faster than zero or random biases with the same random weights (two-moons MLP without BN)",
    "splines.md [paper] (4), R9",
    _r9_problems,
    lambda p, xp: None,
    _r9_measure,
    _r9_compare,
    plot=_r9_plot,
    gating=False,
    error_kind="count mismatch",
    report_only_reason=(
        "A reconstruction of a directional statement with no published numbers to match: BN-init must have "
        "the lowest training loss early in training in at least 60 % of the seeds, on a small two-moons "
        "MLP without BN (2 seeds × 5 epochs when quick). It would gate with an effect size taken from the "
        "paper or derived, and enough seeds for a binomial test at a stated level."
    ),
    figure_caption=(
        "Training cross-entropy on the full two-moons data after each epoch (SGD, batches of 8) of a "
        "2→16→16→2 ReLU MLP without BN, one line per seed, from three initialisations with the same random "
        "weights: BN-init (the population batch-norm statistics of the initial weights folded into weights "
        "and biases), zero biases, random (standard normal) biases."
    ),
    tolerance_reason="a directional count: seeds short of 60 % in which BN-init has the lowest early "
    "training loss; tolerance 0",
)

"""Dimensional collapse of linear InfoNCE: the closed form against simulation and training.

Run: ``.venv/bin/python benchmarks/bench_dynamics_collapse.py [--quick]``

(a) ``predicted_collapse_rank`` (one generalised eigendecomposition, the large-batch threshold ρ* in
    closed form) on d = 9 inputs;
(b) what one would otherwise run to get the threshold: a Monte Carlo estimate
    ρ* ≈ Σ tr Γ̃ / Σ(−G∘Γ̃) pooled over batches of 64 Gaussian pairs, Γ̃ read off
    ``infonce_gradient_operator`` (inputs [X, I]); batches until the standard error is 0.01;
(c) training the encoder to its end point: ``ssltheory.nets.train``, full-batch SGD, 400 steps on 64
    pairs (what the claim ``dynamics.collapse.strong_augmentation_rank`` measures);
(d) the gradient: ``infonce_linear_gradient`` against ``SimCLRLoss.value_and_grad`` backpropagated
    through ``nets.Linear`` (same order of cost; the identity is for analysis, not speed).

Ratios are (b)/(a), (c)/(a) and (d) closed form / backprop. One BLAS thread.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from ssltheory.claims._dynamics_collapse import _exact_views  # noqa: E402
from ssltheory.dynamics._collapse import (  # noqa: E402
    collapse_threshold,
    infonce_gradient_operator,
    infonce_linear_gradient,
    predicted_collapse_rank,
)
from ssltheory.graphs import augmentation_graph  # noqa: E402
from ssltheory.losses import SimCLRLoss  # noqa: E402
from ssltheory.nets import SGD, Linear, train  # noqa: E402

RHO = np.array([1.0] * 8 + [0.55])
TAU = 1.0
PAIRS = 64


def _best(fn, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _monte_carlo(
    rng: np.random.Generator, r: int, rho: float, tau: float, se_target: float
) -> tuple[float, int]:
    g = augmentation_graph(PAIRS, 2)
    n = 2 * PAIRS
    w = np.concatenate([np.eye(r), np.zeros((r, n))], axis=1)
    trs, prs = [], []
    while True:
        s = rng.standard_normal((PAIRS, r))
        views = [math.sqrt(rho) * s + math.sqrt(1 - rho) * rng.standard_normal((PAIRS, r)) for _ in "ab"]
        x = np.concatenate(views)
        gam = infonce_gradient_operator(
            np.concatenate([x, np.eye(n)], axis=1), w, g, temperature=tau
        ).operator
        gam = gam[r:, r:]
        trs.append(np.trace(gam))
        prs.append(-np.sum(g * gam))
        k = len(trs)
        if k >= 8:
            ratio = np.sum(trs) / np.sum(prs)
            # delta method: se of the ratio of means
            t, p = np.asarray(trs), np.asarray(prs)
            resid = t - ratio * p
            se = np.std(resid, ddof=1) / (np.mean(p) * math.sqrt(k))
            if se < se_target or k >= 4000:
                return float(ratio), k


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, looser Monte Carlo (0.03)")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 10
    rng = np.random.default_rng(0)
    d = RHO.shape[0]
    sx, se = np.diag(RHO), np.diag(1 - RHO)

    t_closed = _best(lambda: predicted_collapse_rank(sx, se, temperature=TAU), repeats * 10)
    pred = predicted_collapse_rank(sx, se, temperature=TAU)

    t = time.perf_counter()
    mc, batches = _monte_carlo(rng, 8, 1.0, TAU, 0.03 if args.quick else 0.01)
    t_mc = time.perf_counter() - t

    x = _exact_views(rng, PAIRS, RHO)
    g = augmentation_graph(PAIRS, 2)

    def run_training() -> Linear:
        net = Linear(d, d, bias=False).init(1)
        train(
            net,
            SimCLRLoss(temperature=TAU, reduction="mean"),
            x,
            g,
            optimizer=SGD(learning_rate=2.0),
            n_steps=400,
            progress=False,
        )
        return net

    t_train = _best(run_training, 1 if args.quick else 3)
    w = run_training().parameters()["weight"]
    ev = np.linalg.eigvalsh(np.cov((x @ w.T).T))
    trained = int(np.sum(ev / ev.sum() < 1e-4))

    w0 = rng.standard_normal((d, d))
    layer = Linear(d, d, bias=False).init(0)
    layer.set_parameters({"weight": w0})
    loss = SimCLRLoss(temperature=TAU, reduction="mean")

    def backprop() -> np.ndarray:
        out = loss.value_and_grad(layer.forward(x), g)
        return layer.backward(out.grad).parameters["weight"]

    t_bp = _best(backprop, repeats * 10)
    t_cf = _best(lambda: infonce_linear_gradient(x, w0, g, temperature=TAU, reduction="mean"), repeats * 10)

    print(f"problem: ρ = 1.0×8, 0.55; τ = {TAU}; {PAIRS} pairs; d = K = {d}")
    print(
        f"(a) closed form        {t_closed * 1e3:9.3f} ms   ρ* = {pred.threshold:.4f}, "
        f"predicted collapsed = {pred.n_collapsed_min}"
    )
    print(
        f"(b) Monte Carlo ρ*     {t_mc * 1e3:9.1f} ms   ρ* ≈ {mc:.4f} from {batches} batches   "
        f"ratio (b)/(a) = {t_mc / t_closed:,.0f}"
    )
    print(
        f"(c) training (400 SGD) {t_train * 1e3:9.1f} ms   collapsed = {trained}   "
        f"ratio (c)/(a) = {t_train / t_closed:,.0f}"
    )
    print(
        f"(d) gradient: closed form {t_cf * 1e3:.3f} ms, backprop {t_bp * 1e3:.3f} ms   "
        f"ratio = {t_cf / t_bp:.2f}"
    )
    print(f"large-batch ρ*(8, 1.0, {TAU}) = {collapse_threshold(8, 1.0, temperature=TAU):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``TheoryTracker.update`` against one PyTorch training step on the same batch.

Run: ``.venv/bin/python benchmarks/bench_track.py [--quick]``

Batch: two views, B = 512 rows each, K = 2048 columns (float32 torch tensors on the CPU, as a
PyTorch loop hands them over). Reference: one VICReg training step of a 2048 → 2048 linear head
on that batch (forward of both views, the libraries' VICReg loss, backward, SGD step). Tracker
(``method="vicreg"``, ``model="free"``), timed on the same tensors:

(a) every metric on every step (the default: loss, optimum, gap, invariance, spectrum and rank,
    RankMe, LiDAR, α-ReQ, alignment, uniformity);
(b) ``theory_every=10``: the eigenvalue problems (spectrum, RankMe, LiDAR, α-ReQ) on one step in
    ten, the rest every step; the mean over ten consecutive steps;
(c) ``metrics=()``: loss, optimum, gap and invariance only;
(d) ``every=10`` with every metric: one recorded step in ten (the amortised cost is (a)/10).

Target: the tracker adds at most 10 % to a training step. The free optimum depends on
(B, V, K) and the weights only and is computed once (its time, the first call, is printed apart).
Torch's default thread count is kept (printed); timings are the best of the repeats, the tracker
and the step alternated so that both see the same load.
"""

from __future__ import annotations

import argparse
import time

import torch

from ssltheory.track import TheoryTracker

B, K = 512, 2048
WEIGHTS = {"variance_weight": 1.5625, "covariance_weight": 0.125, "invariance_weight": 1.5625}


def _vicreg(z1: torch.Tensor, z2: torch.Tensor, sim: float = 25.0, std: float = 25.0, cov: float = 1.0):
    inv = torch.nn.functional.mse_loss(z1, z2)
    var = covl = 0.0
    for z in (z1, z2):
        z = z - z.mean(0)
        s = torch.sqrt(z.var(0) + 1e-4)
        var = var + torch.relu(1 - s).mean() / 2
        c = z.T @ z / (z.shape[0] - 1)
        covl = covl + (c - torch.diag(torch.diag(c))).pow(2).sum() / z.shape[1]
    return sim * inv + std * var + cov * covl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (same sizes)")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7

    torch.manual_seed(0)
    x = torch.randn(B, K)
    x1, x2 = x + 0.3 * torch.randn(B, K), x + 0.3 * torch.randn(B, K)
    head = torch.nn.Linear(K, K)
    opt = torch.optim.SGD(head.parameters(), lr=1e-3)
    with torch.no_grad():
        z1, z2 = head(x1), head(x2)

    def train_step() -> None:
        loss = _vicreg(head(x1), head(x2))
        opt.zero_grad()
        loss.backward()
        opt.step()

    full = TheoryTracker(**WEIGHTS)
    sparse_theory = TheoryTracker(theory_every=10, **WEIGHTS)
    minimal = TheoryTracker(metrics=(), **WEIGHTS)
    start = time.perf_counter()
    full.update(0, (z1, z2))
    t_first = time.perf_counter() - start
    for tr in (sparse_theory, minimal):
        tr.update(0, (z1, z2))  # warm the cached optimum
    train_step()  # warm-up

    best = {"train": float("inf"), "a": float("inf"), "b": float("inf"), "c": float("inf")}
    for r in range(repeats):
        t0 = time.perf_counter()
        train_step()
        best["train"] = min(best["train"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        full.update(r + 1, (z1, z2))
        best["a"] = min(best["a"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        for s in range(10):
            sparse_theory.update(10 * (r + 1) + s, (z1, z2))
        best["b"] = min(best["b"], (time.perf_counter() - t0) / 10)
        t0 = time.perf_counter()
        minimal.update(r + 1, (z1, z2))
        best["c"] = min(best["c"], time.perf_counter() - t0)
    rec = full.to_records()[-1]

    tr_ms = 1e3 * best["train"]
    print(f"TheoryTracker.update vs one PyTorch CPU training step: B = {B} x 2 views, K = {K}, float32")
    print(
        f"torch {torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}, best of {repeats}"
    )
    print(f"    first update (computes and caches the free optimum)      {1e3 * t_first:9.1f} ms")
    print(f"    training step (2048->2048 linear head, VICReg, SGD)      {tr_ms:9.1f} ms")
    rows = [
        ("(a) update, every metric, every step", best["a"]),
        ("(b) theory_every=10 (mean per step)", best["b"]),
        ("(c) metrics=() (loss, optimum, gap, invariance)", best["c"]),
        ("(d) every=10, every metric (amortised)", best["a"] / 10),
    ]
    for label, t in rows:
        ratio = t / best["train"]
        ok = "meets" if ratio <= 0.10 else "misses"
        print(f"    {label:<52} {1e3 * t:9.1f} ms  {100 * ratio:6.1f} % of a step ({ok} the 10 % target)")
    print(
        f"    last record: loss {rec['loss']:.4g}, optimum {rec['optimal_loss']:.4g}, observed rank "
        f"{rec['observed_rank']} (predicted {rec['predicted_rank']}), RankMe {rec['rankme']:.1f}"
    )


if __name__ == "__main__":
    main()

"""Benchmark of ssltheory.independence against what a user would otherwise run.

1. ``pairwise_hsic`` (one vectorised pass) vs a Python loop of exact per-pair ``hsic`` calls
   (and vs hyppo's ``Hsic`` looped over the pairs when hyppo is installed); the loops are timed
   on a subset of pairs and extrapolated to all K(K−1)/2 pairs.
2. Random-feature HSIC vs exact HSIC: time and relative error against N.
3. Permutation-test throughput: our batched permutations vs recomputing HSIC per permutation.

Usage: ``python benchmarks/bench_independence.py [--quick]`` (quick: K = 16, N = 2000).
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np

from ssltheory.independence import hsic, hsic_test, pairwise_hsic, rf_hsic


def _time(fn, repeat=1):
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench_pairwise(n: int, k: int, n_loop_pairs: int) -> None:
    rng = np.random.default_rng(0)
    base = rng.standard_normal((n, k))
    h = base.copy()
    h[:, 1::2] = np.tanh(base[:, ::2]) ** 2 + 0.5 * base[:, 1::2]  # half the pairs dependent
    t_vec, res = _time(lambda: pairwise_hsic(h))
    t_rff, res_rff = _time(lambda: pairwise_hsic(h, method="rff", n_features=64))
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)][:n_loop_pairs]
    t_loop, vals = _time(lambda: [hsic(h[:, i], h[:, j]) for i, j in pairs])
    n_pairs = k * (k - 1) // 2
    t_loop_all = t_loop / len(pairs) * n_pairs
    err = max(abs(v - float(res.matrix[i, j])) / abs(v) for v, (i, j) in zip(vals, pairs, strict=True))
    # off-diagonal entries only: the RF diagonal (same draws in both arguments) is biased by O(1/M)
    off = ~np.eye(k, dtype=bool)
    rff_err = float(np.max(np.abs(res_rff.matrix - res.matrix)[off])) / float(np.max(res.matrix[off]))
    print(f"\n[1] pairwise HSIC, N={n}, K={k} ({n_pairs} pairs)")
    print(f"{'method':44s} {'time (s)':>10s} {'ratio':>8s}  accuracy")
    print(f"{'pairwise_hsic (gram, one pass)':44s} {t_vec:10.2f} {1.0:8.2f}  reference")
    print(
        f"{'loop of hsic() (extrapolated from ' + str(len(pairs)) + ' pairs)':44s} {t_loop_all:10.2f} "
        f"{t_loop_all / t_vec:8.2f}  max rel diff {err:.1e}"
    )
    print(
        f"{'pairwise_hsic (rff, M=64 per column)':44s} {t_rff:10.2f} {t_rff / t_vec:8.2f}  "
        f"max off-diag err / max off-diag {rff_err:.2e}"
    )
    if importlib.util.find_spec("hyppo") is not None:
        from hyppo.independence import Hsic

        t_h, _ = _time(lambda: [Hsic().statistic(h[:, i : i + 1], h[:, j : j + 1]) for i, j in pairs])
        t_h_all = t_h / len(pairs) * n_pairs
        label = "hyppo Hsic looped (extrapolated)"
        print(f"{label:44s} {t_h_all:10.2f} {t_h_all / t_vec:8.2f}  (normalised stat)")
    else:
        print("hyppo not installed: its Hsic loop is skipped")


def bench_rf_vs_exact(sizes: list[int]) -> None:
    print("\n[2] random-feature HSIC (M=256) vs exact HSIC_b (Gaussian, σ=1), dependent pair")
    print(f"{'N':>7s} {'exact (s)':>10s} {'rf (s)':>8s} {'ratio':>7s} {'rel. error':>10s}")
    rng = np.random.default_rng(1)
    for n in sizes:
        x = rng.standard_normal(n)
        y = x**2 + rng.standard_normal(n)
        t_e, exact = _time(lambda x=x, y=y: hsic(x, y, bandwidth=1.0))
        t_r, approx = _time(lambda x=x, y=y: rf_hsic(x, y, n_features=256, seed=0), repeat=3)
        print(f"{n:7d} {t_e:10.3f} {t_r:8.4f} {t_e / t_r:7.1f} {abs(approx - exact) / exact:10.2e}")


def bench_permutation(sizes: list[int], b: int) -> None:
    print(f"\n[3] permutation test throughput (B={b})")
    print(f"{'N':>6s} {'batched (perm/s)':>17s} {'naive loop (perm/s)':>20s} {'ratio':>7s}")
    rng = np.random.default_rng(2)
    for n in sizes:
        x = rng.standard_normal(n)
        y = x + rng.standard_normal(n)
        t_b, _ = _time(lambda x=x, y=y: hsic_test(x, y, n_permutations=b, seed=0))
        n_naive = 20
        perms = [rng.permutation(n) for _ in range(n_naive)]
        t_n, _ = _time(lambda x=x, y=y, perms=perms: [hsic(x, y[p]) for p in perms])
        rb, rn = b / t_b, n_naive / t_n
        print(f"{n:6d} {rb:17.0f} {rn:20.0f} {rb / rn:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (K=16, N=2000)")
    args = parser.parse_args()
    if args.quick:
        bench_pairwise(2000, 16, 6)
        bench_rf_vs_exact([500, 1000, 2000])
        bench_permutation([200, 500], 500)
    else:
        bench_pairwise(10_000, 64, 4)
        bench_rf_vs_exact([1000, 2000, 4000, 8000])
        bench_permutation([300, 1000], 1000)


if __name__ == "__main__":
    main()

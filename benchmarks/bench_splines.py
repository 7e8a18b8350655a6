"""Benchmark of ssltheory.splines: exact 2D partitions vs dense grids, and Dist-1 throughput.

Run: ``python benchmarks/bench_splines.py [--quick]``. Prints three tables:

1. exact 2D enumeration time vs network size (regions per second);
2. exact enumeration vs the dense-grid approximation a user would otherwise run (codes of grid
   cell centres), at equal region recall (the grid resolution whose distinct-code count first
   reaches 90 % / 99 % of the exact count), time ratio;
3. exact distance to the partition (Dist-1) throughput in high dimension, vs PyTorch autograd
   Jacobians of every pre-activation (the usual way to get ∇h per unit), when torch is installed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ssltheory import splines


def _ring(n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 2 * np.pi, n)
    return 3.0 + np.c_[np.cos(t), np.sin(t)] + 0.05 * rng.standard_normal((n, 2))


def _bn_net(sizes: list[int], X: np.ndarray) -> splines.FoldedNet:
    net = splines.random_spline_net(
        sizes, negative_slope=0.1, batch_norm=True, rng=np.random.default_rng(1000)
    )
    return splines.fold_batch_norm(net, splines.bn_statistics(net, X))


def _timed(fn, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench_enumeration(quick: bool) -> None:
    X = _ring()
    box = ((-1.0, 7.0), (-1.0, 7.0))
    shapes = [(2, 6), (4, 6), (4, 12)] if quick else [(2, 6), (4, 6), (4, 12), (6, 12), (4, 24)]
    print("\n1. exact 2D enumeration (BN net on the ring, box [-1,7]^2)")
    print(f"{'depth×width':>12} {'regions':>8} {'time [s]':>9} {'regions/s':>10}")
    for depth, width in shapes:
        folded = _bn_net([2] + [width] * depth, X)
        t, part = _timed(lambda folded=folded: splines.enumerate_regions_2d(folded, box=box))
        print(f"{depth:>6}×{width:<5} {part.n_regions:>8} {t:>9.3f} {part.n_regions / t:>10.0f}")


def bench_grid(quick: bool) -> None:
    X = _ring()
    box = ((-1.0, 7.0), (-1.0, 7.0))
    print("\n2. exact enumeration vs dense grid at equal region recall")
    print(
        f"{'net':>8} {'exact':>6} {'t_exact':>8} {'recall':>6} {'grid res':>8} {'t_grid':>8} "
        f"{'grid/exact':>10}"
    )
    for depth, width in [(4, 6)] if quick else [(4, 6), (4, 12)]:
        folded = _bn_net([2] + [width] * depth, X)
        t_exact, part = _timed(lambda folded=folded: splines.enumerate_regions_2d(folded, box=box))
        for recall in (0.9, 0.99):
            res, t_grid, seen = 64, 0.0, 0
            while res <= (2048 if quick else 4096):
                t_grid, seen = _timed(
                    lambda res=res, folded=folded: splines.count_codes_on_grid(
                        folded, box=box, resolution=res
                    )
                )
                if seen >= recall * part.n_regions:
                    break
                res *= 2
            ok = seen >= recall * part.n_regions
            print(
                f"{depth}×{width:<6} {part.n_regions:>6} {t_exact:>8.3f} {recall:>6.2f} "
                f"{res if ok else '>' + str(res // 2):>8} {t_grid:>8.3f} {t_grid / t_exact:>10.1f}"
                + ("" if ok else f"  (only {seen} codes seen)")
            )


def bench_distance(quick: bool) -> None:
    print("\n3. exact distance to the partition (Dist-1), 784-d MLP 784→256→256→256")
    rng = np.random.default_rng(0)
    sizes = [784, 256, 256, 256]
    net = splines.random_spline_net(sizes, negative_slope=0.0, bias="normal", rng=rng)
    n = 64 if quick else 256
    X = rng.standard_normal((n, 784))
    t, res = _timed(lambda: splines.distance_to_boundary(net, X), repeat=2)
    print(f"{'method':>28} {'points':>7} {'time [s]':>9} {'points/s':>9} {'ratio':>7}")
    print(f"{'ssltheory (numpy)':>28} {n:>7} {t:>9.3f} {n / t:>9.0f} {1.0:>7.1f}")
    try:
        import torch
    except ImportError:
        print("   (torch not installed: no autograd comparison)")
        return
    torch.set_num_threads(max(1, torch.get_num_threads()))
    ws = [torch.from_numpy(np.asarray(w)) for w in (la.weight for la in net.layers)]
    cs = [torch.from_numpy(np.asarray(c)) for c in (la.bias for la in net.layers)]

    def pre_all(x: torch.Tensor) -> torch.Tensor:
        out, z = [], x
        for w, c in zip(ws, cs, strict=True):
            h = w @ z + c
            out.append(h)
            z = torch.relu(h)
        return torch.cat(out)

    def torch_dist() -> np.ndarray:
        d = np.empty(n)
        xt = torch.from_numpy(X)
        for i in range(n):
            jac = torch.autograd.functional.jacobian(pre_all, xt[i])
            h = pre_all(xt[i])
            gn = torch.linalg.vector_norm(jac, dim=1)
            d[i] = float(torch.min(torch.where(gn > 0, h.abs() / gn, torch.inf)))
        return d

    t_torch, d_torch = _timed(torch_dist)
    err = float(np.max(np.abs(d_torch - res.distance) / res.distance))
    print(f"{'torch autograd Jacobians':>28} {n:>7} {t_torch:>9.3f} {n / t_torch:>9.0f} {t_torch / t:>7.1f}")
    print(f"   max relative difference of the distances: {err:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about 20 s)")
    args = parser.parse_args()
    bench_enumeration(args.quick)
    bench_grid(args.quick)
    bench_distance(args.quick)


if __name__ == "__main__":
    main()

"""Scale benchmark (issue 8 parts 3-4): kernel SSL and HSIC at N = 10⁶ on one machine.

Run ``python benchmarks/bench_scale.py [--quick]`` (quick: N = 10⁵). Each workload runs in its own
subprocess; the parent reads the child's peak resident memory from ``os.wait4`` (``ru_maxrss``),
so one workload's allocations never inflate another's figure. No N×N matrix is ever formed.

1. Nyström kernel SSL: ``KernelSSL(n_landmarks=200)`` on N augmented views of two circles
   (4 rotation views per original; the augmentation graph is given by ``groups`` and stored
   sparse), VIC-hard, d = 4, ρ = 1e-3. Accuracy: relative max error of the induced kernel on 200
   test points against the exact closed form (dense N×N Gram) at N = 4000, and the exact fit's
   time there (the user's alternative; at N = 10⁶ it would need an 8 TB Gram matrix).
2. ``pairwise_hsic(method="rff")`` on K = 8 columns (M = 64 features per column), rows streamed in
   chunks. Accuracy: max off-diagonal error / max off-diagonal entry against the exact Gram
   route (``method="gram"``) at N = 4000, whose time is the ratio's reference.
3. ``rf_hsic_test``: random-feature permutation test (M = 32, B = 100) on a weakly dependent pair.
   Accuracy at N = 4000: relative error of the RF statistic against exact HSIC_b and the p-values
   of the RF test and of the exact permutation test ``hsic_test`` (same B), whose time is the
   reference.
4. ``--dask``: the Nyström route at 2N on a ``LocalCluster`` (2 worker processes): data generated
   in the tasks, Nyström features as a Dask array, ΦᵀΦ and ΦᵀLΦ streamed by
   ``graph_statistics(groups=...)``, then ``linear_ssl_solve_from_statistics`` (the r×r closed
   form) on the client (peak = sum of the workers' own peaks). Accuracy: against
   ``linear_ssl_solve`` on the same features at N = 10⁵.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

_KERNEL_KW = {"n_components": 4, "ridge": 1e-3, "bandwidth": 0.5}
_LANDMARKS = 200
_ACC_N = 4000


def _views(n: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``m`` random rotations of ``n`` two-circle points; ``groups`` = index of the original."""
    y = np.arange(n) % 2
    t = rng.uniform(0, 2 * np.pi, n)
    x = (1.0 + y)[:, None] * np.c_[np.cos(t), np.sin(t)] + 0.05 * rng.standard_normal((n, 2))
    views = []
    for _ in range(m):
        a = rng.uniform(-0.6, 0.6, n)
        views.append(
            np.c_[np.cos(a) * x[:, 0] - np.sin(a) * x[:, 1], np.sin(a) * x[:, 0] + np.cos(a) * x[:, 1]]
        )
    return np.concatenate(views), np.tile(np.arange(n), m)


def _columns(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """K columns, each odd column a noisy nonlinear function of the even one before it."""
    base = rng.standard_normal((n, k))
    h = base.copy()
    h[:, 1::2] = np.tanh(base[:, ::2]) ** 2 + 0.5 * base[:, 1::2]
    return h


def _pair(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A weakly dependent pair (HSIC small compared with its null spread at N = 4000)."""
    x = rng.standard_normal(n)
    return x, 0.15 * x**2 + rng.standard_normal(n)


# ----------------------------------------------------------------------------- workers (child side)
def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _work_kernel(n: int) -> dict:
    from ssltheory.kernel import KernelSSL

    rng = np.random.default_rng(0)
    x, g = _views(n // 4, 4, rng)
    model, t = _timed(
        lambda: KernelSSL(n_landmarks=_LANDMARKS, random_state=0, **_KERNEL_KW).fit(x, groups=g)
    )
    z = model.transform(rng.uniform(-2.5, 2.5, (200, 2)))
    return {"time": t, "rank": int(model.rank_), "finite": bool(np.isfinite(z).all())}


def _work_kernel_acc(n: int) -> dict:
    from ssltheory.kernel import KernelSSL

    rng = np.random.default_rng(0)
    x, g = _views(n // 4, 4, rng)
    xt = rng.uniform(-2.5, 2.5, (200, 2))
    ny, t_ny = _timed(
        lambda: KernelSSL(n_landmarks=_LANDMARKS, random_state=0, **_KERNEL_KW).fit(x, groups=g)
    )
    ex, t_ex = _timed(lambda: KernelSSL(**_KERNEL_KW).fit(x, groups=g))
    k_ex = ex.induced_kernel(xt)
    err = float(np.abs(ny.induced_kernel(xt) - k_ex).max() / np.abs(k_ex).max())
    return {"time": t_ny, "ref_time": t_ex, "error": err, "loss_rel_err": abs(ny.loss_ / ex.loss_ - 1)}


def _work_pairwise(n: int) -> dict:
    from ssltheory.independence import pairwise_hsic

    h = _columns(n, 8, np.random.default_rng(1))
    res, t = _timed(lambda: pairwise_hsic(h, method="rff", n_features=64, bandwidth=1.0))
    m = res.matrix
    return {"time": t, "dep/indep": float(m[0, 1] / max(m[0, 2], m[0, 3]))}


def _work_pairwise_acc(n: int) -> dict:
    from ssltheory.independence import pairwise_hsic

    h = _columns(n, 8, np.random.default_rng(1))
    rff, t = _timed(lambda: pairwise_hsic(h, method="rff", n_features=64, bandwidth=1.0))
    exact, t_ex = _timed(lambda: pairwise_hsic(h, bandwidth=1.0))
    off = ~np.eye(8, dtype=bool)
    err = float(np.abs(rff.matrix - exact.matrix)[off].max() / exact.matrix[off].max())
    # the O(1/√M) error of Theorem B: the same figure with 8x more features
    big = pairwise_hsic(h, method="rff", n_features=512, bandwidth=1.0).matrix
    err_512 = float(np.abs(big - exact.matrix)[off].max() / exact.matrix[off].max())
    return {"time": t, "ref_time": t_ex, "error": err, "error_M512": err_512}


def _work_rftest(n: int) -> dict:
    from ssltheory.independence import rf_hsic_test

    x, y = _pair(n, np.random.default_rng(2))
    res, t = _timed(lambda: rf_hsic_test(x, y, n_features=32, n_permutations=100, bandwidth="median"))
    return {"time": t, "pvalue": res.pvalue}


def _work_rftest_acc(n: int) -> dict:
    from ssltheory.independence import hsic, hsic_test, rf_hsic, rf_hsic_test

    x, y = _pair(n, np.random.default_rng(2))
    res, t = _timed(lambda: rf_hsic_test(x, y, n_features=32, n_permutations=100, bandwidth="median"))
    ex, t_ex = _timed(lambda: hsic_test(x, y, n_permutations=100))
    exact = hsic(x, y)
    # the statistic's error with more features (M = 32 is for the test's power, not precision)
    approx = rf_hsic(x, y, n_features=1024, bandwidth="median")
    # an independent pair: both p-values should be unremarkable (level check, not agreement)
    z = np.random.default_rng(3).standard_normal(n)
    p_null = rf_hsic_test(x, z, n_features=32, n_permutations=100, bandwidth="median").pvalue
    p_null_ref = hsic_test(x, z, n_permutations=100).pvalue
    return {
        "time": t,
        "ref_time": t_ex,
        "error": abs(approx - exact) / exact,
        "pvalue": res.pvalue,
        "ref_pvalue": ex.pvalue,
        "null_pvalue": p_null,
        "null_ref_pvalue": p_null_ref,
    }


def _nystrom_parts(n: int, rng: np.random.Generator):
    """Views with the 4 views of an original in adjacent rows, and KernelSSL's Nyström map."""
    from ssltheory import _linalg
    from ssltheory.kernel import rbf_kernel

    x, g = _views(n // 4, 4, rng)
    order = np.argsort(g, kind="stable")  # views of one original adjacent: groups never straddle chunks
    x, g = x[order], g[order]
    land = x[np.sort(np.random.default_rng(0).choice(n, size=_LANDMARKS, replace=False))]
    k_ll = _linalg.symmetrize(rbf_kernel(land, bandwidth=_KERNEL_KW["bandwidth"]), xp=np)
    nmap = _linalg.psd_inv_sqrt(k_ll, xp=np, rcond=1e-10)
    return x, g, land, nmap


def _work_dask(n: int) -> dict:
    import resource

    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    from ssltheory import _linalg
    from ssltheory.kernel import linear_ssl_solve_from_statistics, rbf_kernel
    from ssltheory.spectral import graph_statistics

    per_block = 25_000  # originals per block: 4·25 000 views, each original's views in one block
    n_blocks = max(1, n // (4 * per_block))

    def block(b: int) -> tuple[np.ndarray, np.ndarray]:
        x, g = _views(per_block, 4, np.random.default_rng([0, b]))
        order = np.argsort(g, kind="stable")
        return x[order], g[order] + b * per_block

    x0, _ = block(0)  # landmarks from the first block, on the client
    land = x0[np.sort(np.random.default_rng(0).choice(x0.shape[0], size=_LANDMARKS, replace=False))]
    nmap = _linalg.psd_inv_sqrt(
        _linalg.symmetrize(rbf_kernel(land, bandwidth=_KERNEL_KW["bandwidth"]), xp=np), xp=np, rcond=1e-10
    )
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, Client(cluster) as client:
        start = time.perf_counter()
        # data generated inside the tasks (nothing large travels in the graph)
        parts = [dask.delayed(block)(b) for b in range(n_blocks)]
        rows = 4 * per_block
        xd = da.concatenate([da.from_delayed(p[0], (rows, 2), dtype=float) for p in parts])
        gd = da.concatenate([da.from_delayed(p[1], (rows,), dtype=np.int64) for p in parts])
        bw = _KERNEL_KW["bandwidth"]
        phi = xd.map_blocks(
            lambda v: rbf_kernel(v, land, bandwidth=bw) @ nmap,
            chunks=(xd.chunks[0], (_LANDMARKS,)),
            dtype=float,
        )
        stats = graph_statistics(phi, groups=gd)
        sol = linear_ssl_solve_from_statistics(stats, n_components=4, ridge=_KERNEL_KW["ridge"])
        weights = sol.weights
        t = time.perf_counter() - start
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "time": t,
        "workers_peak_mib": sum(peaks.values()) / 1024,
        "client_peak_mib": own / 1024,
        "finite": bool(np.isfinite(weights).all()),
    }


def _work_dask_acc(n: int) -> dict:
    from ssltheory.graphs import label_graph
    from ssltheory.kernel import linear_ssl_solve, linear_ssl_solve_from_statistics, rbf_kernel
    from ssltheory.spectral import graph_statistics

    rng = np.random.default_rng(0)
    x, g, land, nmap = _nystrom_parts(n, rng)
    xt = rng.uniform(-2.5, 2.5, (200, 2))
    phi = rbf_kernel(x, land, bandwidth=_KERNEL_KW["bandwidth"]) @ nmap
    sol, t = _timed(
        lambda: linear_ssl_solve_from_statistics(
            graph_statistics(phi, groups=g), n_components=4, ridge=_KERNEL_KW["ridge"]
        )
    )
    w = sol.weights
    ref, t_ref = _timed(
        lambda: linear_ssl_solve(phi, label_graph(g, sparse=True), n_components=4, ridge=_KERNEL_KW["ridge"])
    )
    pt = rbf_kernel(xt, land, bandwidth=_KERNEL_KW["bandwidth"]) @ nmap
    k_ref = (pt @ ref.weights) @ (pt @ ref.weights).T
    err = float(np.abs((pt @ w) @ (pt @ w).T - k_ref).max() / np.abs(k_ref).max())
    loss_err = abs(sol.loss / ref.loss - 1)
    return {"time": t, "ref_time": t_ref, "error": err, "loss_rel_err": loss_err, "rank": sol.rank}


_WORKERS = {
    "kernel": _work_kernel,
    "kernel_acc": _work_kernel_acc,
    "dask": _work_dask,
    "dask_acc": _work_dask_acc,
    "pairwise": _work_pairwise,
    "pairwise_acc": _work_pairwise_acc,
    "rftest": _work_rftest,
    "rftest_acc": _work_rftest_acc,
}


# ----------------------------------------------------------------------------- parent side
def _run(name: str, n: int, timeout: float = 600.0) -> dict:
    """Run one worker in a fresh interpreter; returns its JSON plus peak RSS (MiB) from wait4."""
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--worker", name, "--n", str(n)],
        stdout=subprocess.PIPE,
        text=True,
    )
    start = time.monotonic()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > timeout:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return {"error_msg": f"timeout after {timeout:.0f} s", "peak_mib": usage.ru_maxrss / 1024}
        time.sleep(0.2)
    out = proc.stdout.read()
    proc.stdout.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        return {"error_msg": f"exit status {proc.returncode}", "peak_mib": usage.ru_maxrss / 1024}
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = usage.ru_maxrss / 1024  # Linux: ru_maxrss in KiB
    return result


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 10⁵ instead of 10⁶ (seconds)")
    parser.add_argument("--worker", choices=sorted(_WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="+", choices=sorted(_WORKERS), help="run only these workloads")
    parser.add_argument(
        "--dask", action="store_true", help="add the Dask route at 2N (LocalCluster, 2 processes)"
    )
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_WORKERS[args.worker](args.n)))
        return
    big = 100_000 if args.quick else 1_000_000
    print(f"scale benchmark: N = {big:,} (each workload in its own process; peak = max RSS of that process)")
    print(f"{'workload':44s} {'N':>9s} {'time s':>8s} {'peak MiB':>9s}  other")
    rows = [
        ("Nyström KernelSSL (l=200, groups, sparse graph)", "kernel", big),
        ("  accuracy vs exact KernelSSL", "kernel_acc", _ACC_N),
        ("pairwise_hsic rff (K=8, M=64, chunked)", "pairwise", big),
        ("  accuracy vs pairwise_hsic gram", "pairwise_acc", _ACC_N),
        ("rf_hsic_test (M=32, B=100)", "rftest", big),
        ("  accuracy vs hsic / hsic_test (B=100)", "rftest_acc", _ACC_N),
    ]
    if args.dask or (args.only and {"dask", "dask_acc"} & set(args.only)):
        rows += [
            ("Dask Nyström → graph_statistics (2 workers)", "dask", 2 * big),
            ("  accuracy vs linear_ssl_solve (same Φ)", "dask_acc", 100_000),
        ]
    for label, name, n in rows:
        if args.only and name not in args.only:
            continue
        r = _run(name, n)
        t = r.pop("time", float("nan"))
        peak = r.pop("peak_mib")
        if "ref_time" in r:
            r["ratio ref/ours"] = r["ref_time"] / t
        extra = ", ".join(f"{k}={_fmt(v)}" for k, v in r.items())
        print(f"{label:44s} {n:>9,d} {t:>8.2f} {peak:>9.0f}  {extra}", flush=True)


if __name__ == "__main__":
    main()

"""Benchmark of ssltheory.kernel: exact vs Nyström KernelSSL, and the no-augmentation limit vs
scikit-learn ``KernelPCA``.

Run ``python benchmarks/bench_kernel.py [--quick]``. Prints two tables (times on this machine, in
the same run, and the ratios against the reference) and the accuracy of each route.

1. Exact closed form (dense Gram, O(N³)) vs Nyström with 200 landmarks (O(N l²)), two-circles views
   (4 rotation views per original), VIC-hard, ρ = 1e-3: fit time and the relative max error of the
   induced kernel on 200 test points against the exact solution; Nyström alone up to N = 10⁵.
2. No augmentation (L = 0): ``kernel_ssl_solve`` on the centred kernel HKH gives top-d kernel PCA;
   compared with ``sklearn.decomposition.KernelPCA`` (dense and ARPACK solvers): time and the
   distance of each subspace to NumPy's dense top-d eigenvectors.
3. Nyström features: ``nystrom_features(rbf_kernel(X, Lm), rbf_kernel(Lm, Lm))`` vs
   ``sklearn.kernel_approximation.Nystroem`` with the same landmarks (its ``components_``): time of
   the feature map of N points and the agreement of the two approximate Grams ``ΦΦᵀ`` (the
   features themselves differ by a rotation), relative max error.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ssltheory.kernel import KernelSSL, kernel_ssl_solve, rbf_kernel


def _views(n: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
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


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def bench_nystrom(sizes: list[int], big: list[int], n_landmarks: int) -> None:
    print(f"\n1. KernelSSL exact vs Nyström ({n_landmarks} landmarks), VIC-hard, d=4, ρ=1e-3, bandwidth 0.5")
    print(f"{'N views':>9} {'exact s':>9} {'Nyström s':>10} {'speed-up':>9} {'rel. error k*':>14}")
    rng = np.random.default_rng(0)
    xt = rng.uniform(-2.5, 2.5, (200, 2))
    for n_views in sizes + big:
        x, g = _views(n_views // 4, 4, rng)
        kw = {"n_components": 4, "ridge": 1e-3, "bandwidth": 0.5}
        ny, t_ny = _timed(KernelSSL(n_landmarks=n_landmarks, random_state=0, **kw).fit, x, groups=g)
        if n_views in sizes:
            ex, t_ex = _timed(KernelSSL(**kw).fit, x, groups=g)
            k_ex = ex.induced_kernel(xt)
            err = np.abs(ny.induced_kernel(xt) - k_ex).max() / np.abs(k_ex).max()
            print(f"{n_views:>9} {t_ex:>9.2f} {t_ny:>10.2f} {t_ex / t_ny:>9.1f} {err:>14.2e}")
        else:
            print(f"{n_views:>9} {'—':>9} {t_ny:>10.2f} {'—':>9} {'(no exact)':>14}")


def _proj(z: np.ndarray) -> np.ndarray:
    q = np.linalg.qr(z)[0]
    return q @ q.T


def bench_kpca(sizes: list[int], d: int = 8) -> None:
    from sklearn.decomposition import KernelPCA

    print(f"\n2. no augmentation (L = 0) vs scikit-learn KernelPCA, RBF, d={d}; error = ‖P − P_dense‖_F")
    head = f"{'N':>6} {'ours s':>8} {'ours err':>9} {'KPCA dense s':>13} {'err':>8}"
    head += f" {'KPCA arpack s':>14} {'err':>8}"
    print(head + f" {'ratio dense/ours':>17} {'ratio arpack/ours':>18}")
    rng = np.random.default_rng(1)
    for n in sizes:
        x = rng.standard_normal((n, 3))
        k = rbf_kernel(x, bandwidth=2.0)
        h = np.eye(n) - 1.0 / n
        kc = h @ k @ h
        kc = (kc + kc.T) / 2
        ref = _proj(np.linalg.eigh(kc)[1][:, ::-1][:, :d])
        zeros = np.zeros_like(k)
        sol, t_ours = _timed(kernel_ssl_solve, kc, zeros, n_components=d)
        ours = sol.embedding
        kpca_dense = KernelPCA(n_components=d, kernel="precomputed", eigen_solver="dense")
        dense, t_dense = _timed(kpca_dense.fit_transform, k)
        kpca_arpack = KernelPCA(n_components=d, kernel="precomputed", eigen_solver="arpack", tol=1e-12)
        arpack, t_arpack = _timed(kpca_arpack.fit_transform, k)
        errs = [np.linalg.norm(_proj(z) - ref) for z in (ours, dense, arpack)]
        print(
            f"{n:>6} {t_ours:>8.3f} {errs[0]:>9.1e} {t_dense:>13.3f} {errs[1]:>8.1e} {t_arpack:>14.3f} "
            f"{errs[2]:>8.1e} {t_dense / t_ours:>17.2f} {t_arpack / t_ours:>18.2f}"
        )


def bench_nystroem(sizes: list[int], n_landmarks: int) -> None:
    from sklearn.kernel_approximation import Nystroem

    from ssltheory.kernel import nystrom_features

    sigma = 0.5
    print(f"\n3. Nyström feature map vs scikit-learn Nystroem, RBF σ={sigma}, {n_landmarks} landmarks")
    print(f"{'N':>8} {'ours s':>9} {'sklearn s':>10} {'ratio':>14} {'rel. Gram diff':>15}")
    for n in sizes:
        rng = np.random.default_rng(n)
        x = rng.uniform(-2.5, 2.5, (n, 2))
        sk = Nystroem(kernel="rbf", gamma=1.0 / (2 * sigma**2), n_components=n_landmarks, random_state=0)
        sk.fit(x)
        land = sk.components_
        k_ll = rbf_kernel(land, bandwidth=sigma)
        t = time.perf_counter()
        ours = nystrom_features(rbf_kernel(x, land, bandwidth=sigma), k_ll)
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        ref = sk.transform(x)
        t_ref = time.perf_counter() - t
        probe = slice(0, min(n, 2000))  # the Grams on the first 2000 points (N² is too large)
        g_ours, g_ref = ours[probe] @ ours[probe].T, ref[probe] @ ref[probe].T
        diff = float(np.abs(g_ours - g_ref).max() / np.abs(g_ref).max())
        r = t_ref / t_ours
        ratio = f"{r:.1f}x faster" if r >= 1 else f"{1 / r:.1f}x slower"
        print(f"{n:>8} {t_ours:>9.3f} {t_ref:>10.3f} {ratio:>14} {diff:>15.1e}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (seconds)")
    args = parser.parse_args()
    if args.quick:
        bench_nystrom([400, 800, 1600], [], 200)
        bench_kpca([300, 600])
        bench_nystroem([10_000], 200)
    else:
        bench_nystrom([1000, 2000, 4000], [20_000, 100_000], 200)
        bench_kpca([500, 1000, 2000])
        bench_nystroem([100_000, 1_000_000], 200)


if __name__ == "__main__":
    main()

"""Closed-form spectral SSL optima vs the tools a user would otherwise use.

Run: ``.venv/bin/python benchmarks/bench_spectral.py [--quick]``

1. **Embedding.** ``ssltheory.spectral.vicreg_embedding`` (dense and SciPy-sparse graph) vs
   scikit-learn ``SpectralEmbedding(affinity="precomputed")`` (ARPACK shift-invert, its default,
   and LOBPCG) on the same *regular* graph, where VICReg's subspace (every ``c_k > 0``) equals
   Laplacian Eigenmaps' (spec/spectral.md §5 item 16). The graph: ``n_communities`` communities,
   each a union of 4 random perfect matchings, plus one global random matching of weight 0.1:
   every node has degree 4.1, the ``n_communities - 1`` non-trivial bottom eigenvalues (~0.1) are
   well separated from the bulk (>~0.5), so the target subspace is unique and well conditioned.
   Accuracy: ``subspace_distance`` to a dense ``scipy.linalg.eigh`` reference where N is small, and
   for every size the a-posteriori Davis-Kahan bound
   ``sin θ <= ||L Q - Q (QᵀLQ)||_2 / (λ_{K+2} - θ_max)`` of the basis ``Q = orth([1, Z])``,
   which needs no reference (``λ_{K+2}`` from a K+1-component closed-form run).
   Sizes: full N = 1024, 4096, 16384, 100000 (sparse); dense G up to 2048; sklearn ARPACK up to
   4096 (its shift-invert LU fills in on this expander-like graph: ~13 s at 4096, minutes beyond);
   LOBPCG (default tolerance, and ``eigen_tol=1e-9`` for equal accuracy) at every size.
   ``--quick``: N = 1024, 2048.
2. **Linear weights.** ``vicreg_linear_weights`` (closed form W*) vs training the linear network
   ``Z = X W`` on the same VICReg loss until the loss is within ``1e-6`` (relative) of the
   closed-form optimum: plain full-batch gradient descent on W (a lean NumPy loop on sufficient
   statistics, a lower bound for any GD implementation) and ``ssltheory.nets`` Linear + Adam.
   Two views of N' originals, D features, K components: full (N', D, K) = (200, 16, 4),
   (500, 32, 8); ``--quick``: (100, 8, 3).

Times are best of a few repeats on a shared machine with one BLAS thread per library.
"""

from __future__ import annotations

import os

# one BLAS thread for every library: a fair, reproducible comparison on a shared machine
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy.linalg as sla  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy.sparse.csgraph import laplacian  # noqa: E402

from ssltheory.compare import subspace_distance  # noqa: E402
from ssltheory.graphs import augmentation_graph  # noqa: E402
from ssltheory.losses import VICRegLoss  # noqa: E402
from ssltheory.nets import Adam, Linear, train  # noqa: E402
from ssltheory.spectral import vicreg_embedding, vicreg_linear_weights  # noqa: E402

N_COMMUNITIES = 8
K = N_COMMUNITIES - 1  # the non-trivial bottom eigenvectors (the community structure)
WEIGHTS = {"variance_weight": 1.0, "covariance_weight": 1.0, "invariance_weight": 0.1}


def regular_community_graph(n: int, rng: np.random.Generator, *, n_communities: int = N_COMMUNITIES):
    """Weighted regular graph (degree 4.1, zero diagonal) as a SciPy CSR matrix."""
    m = n // n_communities
    if m * n_communities != n or m % 2:
        raise ValueError(f"n must be a multiple of 2 * n_communities = {2 * n_communities}, received {n}")
    rows, cols, vals = [], [], []
    for c in range(n_communities):
        for _ in range(4):  # 4 perfect matchings inside each community
            p = rng.permutation(m) + c * m
            rows += [p[: m // 2], p[m // 2 :]]
            cols += [p[m // 2 :], p[: m // 2]]
            vals.append(np.ones(m))
    p = rng.permutation(n)  # one global matching of weight 0.1 links the communities
    rows += [p[: n // 2], p[n // 2 :]]
    cols += [p[n // 2 :], p[: n // 2]]
    vals.append(np.full(n, 0.1))
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.concatenate(vals), (r, c)), shape=(n, n))


def _best_time(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _dk_bound(lap, z, lam_next: float) -> float:
    """Davis-Kahan sin θ bound of span([1, z]) against the bottom K+1 eigenvectors of ``lap``."""
    n = z.shape[0]
    q, _ = np.linalg.qr(np.column_stack([np.ones(n) / np.sqrt(n), z - z.mean(axis=0)]))
    lq = lap @ q
    h = q.T @ lq
    resid = np.linalg.norm(lq - q @ h, 2)
    theta_max = float(np.linalg.eigvalsh((h + h.T) / 2)[-1])
    gap = lam_next - theta_max
    return resid / gap if gap > 0 else float("inf")


def _print_embedding_row(r: dict, rows: list[dict]) -> None:
    base = next(x["time"] for x in rows if x["n"] == r["n"])  # ours, sparse: the first of its size
    print(
        f"{r['n']:>7} {r['method']:<46} {r['time']:>9.3f} {r['time'] / base:>21.2f} "
        f"{r['ref']:>9.1e} {r['bound']:>9.1e}",
        flush=True,
    )


def bench_embedding(quick: bool) -> list[dict]:
    sizes = [1024, 2048] if quick else [1024, 4096, 16384, 100000]
    dense_max = 1024 if quick else 2048
    arpack_max = 4096  # sklearn's shift-invert LU fills in on this expander-like graph: > 1 min at 16k
    lobpcg_max = 100000
    rows = []
    for n in sizes:
        rng = np.random.default_rng(n)
        g = regular_community_graph(n, rng)
        lap = laplacian(g)
        repeat = 3 if n <= 4096 else 1
        # the (K+2)-th eigenvalue of L for the a-posteriori bound: a K+1-component closed form
        lam_next = float(vicreg_embedding(g, n_components=K + 1, **WEIGHTS).eigenvalues[K])
        results = {}
        t, sol = _best_time(lambda g=g: vicreg_embedding(g, n_components=K, **WEIGHTS), repeat)
        if sol.rank != K:
            raise RuntimeError(f"expected all {K} components kept (c_k > 0), got rank {sol.rank}")
        results["ssltheory vicreg_embedding, sparse G"] = (t, sol.embedding)
        if n <= dense_max:
            gd = g.toarray()
            t, sold = _best_time(lambda gd=gd: vicreg_embedding(gd, n_components=K, **WEIGHTS), repeat)
            results["ssltheory vicreg_embedding, dense G"] = (t, sold.embedding)
        from sklearn.manifold import SpectralEmbedding

        def sk(solver, g=g, **kw):
            est = SpectralEmbedding(
                n_components=K, affinity="precomputed", eigen_solver=solver, random_state=0, **kw
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # lobpcg's "not reaching the requested tolerance"
                return est.fit_transform(g)

        if n <= arpack_max:
            results["sklearn SpectralEmbedding, arpack"] = _best_time(lambda: sk("arpack"), min(repeat, 2))
        if n <= lobpcg_max:
            results["sklearn SpectralEmbedding, lobpcg"] = _best_time(lambda: sk("lobpcg"), repeat)
            results["sklearn SpectralEmbedding, lobpcg tol=1e-9"] = _best_time(
                lambda: sk("lobpcg", eigen_tol=1e-9), repeat
            )
        ref = None
        if n <= dense_max:
            _, ref = sla.eigh(lap.toarray(), subset_by_index=[1, K])
        for name, (t, z) in results.items():
            row = {
                "n": n,
                "method": name,
                "time": t,
                "ref": subspace_distance(z, ref) if ref is not None else float("nan"),
                "bound": _dk_bound(lap, z, lam_next),
            }
            rows.append(row)
            _print_embedding_row(row, rows)
    return rows


def _two_view_data(n_orig: int, d: int, rng: np.random.Generator):
    base = rng.standard_normal((n_orig, d)) * np.linspace(2.0, 0.3, d)
    x = np.vstack([base + 0.3 * rng.standard_normal(base.shape) for _ in range(2)])
    return x, augmentation_graph(n_orig, 2)


def _gd_on_w(x, g, target: float, *, k: int, max_steps: int, rng: np.random.Generator):
    """Plain full-batch gradient descent on W for the VICReg loss of Z = X W.

    The gradient is the evaluator's chained through Z = X W (grad_W = Xᵀ grad_Z), written on the
    sufficient statistics Σ_X = XᵀHX/M and S_L = XᵀLX so that a step costs O(D²K), not O(N²K):
    the fastest possible implementation of each GD step, so its time is a lower bound for GD.
    Step 0.3 / ||Σ_X||² (stable here: the quartic variance term has curvature ~ ||Σ_X||²),
    halved whenever the loss increases.
    """
    n, d = x.shape
    m = n - 1
    a, b, c = WEIGHTS["variance_weight"], WEIGHTS["covariance_weight"], WEIGHTS["invariance_weight"]
    xc = x - x.mean(axis=0)
    sig = xc.T @ xc / m
    lap = np.diag(g.sum(axis=1)) - g
    s_l = x.T @ (lap @ x)

    def value_and_grad(w):
        cov = w.T @ sig @ w
        dc = np.diag(cov)
        off = cov - np.diag(dc)
        val = a * np.sum((1 - dc) ** 2) + b * np.sum(off**2) + 2 * c / n * np.trace(w.T @ s_l @ w)
        g_cov = -2 * a * np.diag(1 - dc) + 2 * b * off
        return val, 2 * sig @ w @ g_cov + 4 * c / n * s_l @ w

    lr = 0.3 / np.linalg.eigvalsh(sig)[-1] ** 2
    w = rng.standard_normal((d, k)) / np.sqrt(d)
    val, grad = value_and_grad(w)
    for step in range(max_steps):
        if val - target <= 1e-6 * max(1.0, abs(target)):
            return step, val
        w_new = w - lr * grad
        val_new, grad_new = value_and_grad(w_new)
        if not val_new <= val:
            lr /= 2
            continue
        w, val, grad = w_new, val_new, grad_new
    return None, val


class _PrintingRows(list):
    """Rows of part 2, printed as they come (long runs show progress)."""

    def append(self, r: dict) -> None:
        super().append(r)
        base = next(x["time"] for x in self if x["setting"] == r["setting"])  # the closed form
        print(
            f"{r['setting']:<22} {r['method']:<46} {r['time']:>9.3f} {r['time'] / base:>21.1f}  {r['note']}",
            flush=True,
        )


def bench_linear(quick: bool) -> list[dict]:
    settings = [(100, 8, 3)] if quick else [(200, 16, 4), (500, 32, 8)]
    loss = VICRegLoss(**WEIGHTS)
    rows = _PrintingRows()
    for n_orig, d, k in settings:
        rng = np.random.default_rng(d)
        x, g = _two_view_data(n_orig, d, rng)
        t_cf, sol = _best_time(
            lambda x=x, g=g, k=k: vicreg_linear_weights(x, g, n_components=k, **WEIGHTS), 3
        )
        target = float(sol.loss)
        # independent check of the closed form: the evaluator at Z = X W*
        check = abs(float(loss(x @ sol.weights, g)) - target) / max(1.0, abs(target))
        tag = f"N={2 * n_orig}, D={d}, K={k}"
        rows.append(
            {
                "setting": tag,
                "method": "closed form vicreg_linear_weights",
                "time": t_cf,
                "note": f"loss* {target:.10f} (evaluator at XW*: rel. diff {check:.1e})",
            }
        )
        max_gd = 300000
        t0 = time.perf_counter()
        steps, val = _gd_on_w(x, g, target, k=k, max_steps=max_gd, rng=np.random.default_rng(1))
        t_gd = time.perf_counter() - t0
        note = (
            f"{steps} steps"
            if steps is not None
            else f"NOT reached in {max_gd} steps (rel. gap {(val - target) / max(1.0, abs(target)):.1e})"
        )
        rows.append(
            {
                "setting": tag,
                "method": "gradient descent on W (numpy, O(D^2 K)/step)",
                "time": t_gd,
                "note": note,
            }
        )
        n_adam = 5000
        model = Linear(d, k, bias=False).init(np.random.default_rng(1))
        hit = {}

        def cb(step, value, model, hit=hit, target=target):
            if value - target <= 1e-6 * max(1.0, abs(target)):
                hit["step"], hit["t"] = step, time.perf_counter()
                return True
            return False

        t0 = time.perf_counter()
        hist = train(
            model, loss, x, g, optimizer=Adam(learning_rate=1e-2), n_steps=n_adam, callback=cb, progress=False
        )
        if hit:
            rows.append(
                {
                    "setting": tag,
                    "method": "ssltheory.nets Linear + Adam lr=1e-2",
                    "time": hit["t"] - t0,
                    "note": f"{hit['step']} steps",
                }
            )
        else:
            gap = (float(hist.final_loss) - target) / max(1.0, abs(target))
            rows.append(
                {
                    "setting": tag,
                    "method": "ssltheory.nets Linear + Adam lr=1e-2",
                    "time": time.perf_counter() - t0,
                    "note": f"NOT reached in {n_adam} steps (rel. gap {gap:.1e}); lower bound",
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (< 1 min)")
    args = parser.parse_args()
    t_start = time.perf_counter()
    print(
        f"1. Bottom-{K} subspace of a regular community graph (degree 4.1, {N_COMMUNITIES} communities), "
        f"float64, {os.environ['OMP_NUM_THREADS']} BLAS thread(s)"
    )
    print(
        "   err_ref: subspace distance to dense eigh (n/a: N too large for dense);"
        " DK bound: a-posteriori sin θ bound"
    )
    print(
        f"{'N':>7} {'method':<46} {'seconds':>9} {'ratio vs ours sparse':>21} {'err_ref':>9} {'DK bound':>9}",
        flush=True,
    )
    bench_embedding(args.quick)
    print(
        "\n2. Linear VICReg: closed-form W* vs training Z = X W to within 1e-6 (relative) of the optimum loss"
    )
    print(f"{'setting':<22} {'method':<46} {'seconds':>9} {'ratio vs closed form':>21}  note")
    bench_linear(args.quick)
    print(f"\ntotal wall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()

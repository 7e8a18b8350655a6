"""Command-line interface: ``ssltheory list``, ``ssltheory verify`` (the verification report),
``ssltheory compare`` (a saved embedding against the closed-form optimum) and ``ssltheory bench``
(runs ``benchmarks/run_all.py`` of a source checkout).

Exit status: 0 when every gating claim passes, 1 when one fails, 2 on bad arguments or an
unavailable backend (one-line message, no traceback).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

__all__ = ["main"]


class _ArgumentError(Exception):
    """Bad command-line input: reported in one line with exit status 2."""


def _parser() -> argparse.ArgumentParser:
    from ssltheory import __version__

    parser = argparse.ArgumentParser(
        prog="ssltheory",
        description="Check the theory of self-supervised learning: closed forms against independent "
        "measurements, on any array backend.",
    )
    parser.add_argument("--version", action="version", version=f"ssltheory {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p_list = sub.add_parser("list", help="list the registered claims, one line each")
    p_list.add_argument("--area", help="only the claims of this area (e.g. graphs, spectral)")

    p_ver = sub.add_parser(
        "verify",
        help="run the claims on built-in synthetic problems and write a report",
        description="Run every registered claim (or a selection) on built-in synthetic problems, print a "
        "table (claim, predicted, measured, error, tolerance, result) and write report.json, report.md "
        "and figures (when matplotlib is installed). Exit status 1 if a gating claim fails.",
    )
    p_ver.add_argument("--area", help="only the claims of this area")
    p_ver.add_argument("--claim", action="append", metavar="ID", help="only this claim (repeatable)")
    p_ver.add_argument(
        "--backend",
        default="numpy",
        help="array backend: numpy (default), array_api_strict, cupy or torch",
    )
    p_ver.add_argument("--seed", type=int, default=0, help="seed of the synthetic problems (default 0)")
    p_ver.add_argument(
        "--out", default="ssltheory-report", help="report directory (default ./ssltheory-report)"
    )
    p_ver.add_argument("--quick", action="store_true", help="fewer, smaller problems (under a minute)")
    p_ver.add_argument("--no-progress", action="store_true", help="no progress bar")
    p_ver.add_argument("--no-figures", action="store_true", help="do not draw figures")

    p_cmp = sub.add_parser(
        "compare",
        help="compare a saved embedding (.npy) with the closed-form optimum of an SSL loss",
        description="Load an embedding Z (rows = samples) saved with numpy.save and report the loss gap "
        "to the closed-form optimum of the chosen model class (free embedding, linear Z = X W + b, or "
        "kernel map), the subspace distance, ranks and spectra, and what the theory identifies under "
        "that model class. Weights are in the paper's convention. Exit status 1 if the check fails.",
    )
    p_cmp.add_argument("embedding", help="embedding file (.npy): Z, shape (n_samples N, n_components K)")
    source = p_cmp.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--graph", help="relation graph G: dense .npy or SciPy sparse .npz, shape (N, N), G_ij >= 0"
    )
    source.add_argument(
        "--views",
        type=int,
        help="augmentation graph of V views stacked view-major: rows i and i + N/V are views of one "
        "sample (G_ij = 1 between them); no N x N matrix is formed",
    )
    source.add_argument(
        "--groups",
        "--labels",
        dest="groups",
        help="integer labels (.npy, one per row): G_ij = 1 for i != j with the same label (label graph, "
        "a union of cliques); no N x N matrix is formed",
    )
    p_cmp.add_argument(
        "--method", required=True, help="the loss: vicreg, wmse, simclr, spectral_contrastive, barlow_twins"
    )
    p_cmp.add_argument(
        "--model",
        default="free",
        help="model class of the optimum: free (any Z, default), linear (Z = X W + 1 b^T on --features X; "
        "vicreg, wmse, barlow_twins) or kernel (Z_i = C k(x_i, ·) of minimum RKHS norm; vicreg with "
        "alpha = beta, wmse, spectral_contrastive)",
    )
    p_cmp.add_argument(
        "--features", help="inputs X (.npy), shape (N, n_features D), rows aligned with the embedding"
    )
    p_cmp.add_argument("--kernel", help="kernel of --model kernel: rbf, laplacian, polynomial or linear")
    p_cmp.add_argument(
        "--bandwidth", type=float, help="kernel bandwidth sigma (rbf, laplacian); default: median distance"
    )
    p_cmp.add_argument("--degree", type=int, help="degree of the polynomial kernel (default 3)")
    p_cmp.add_argument(
        "--n-landmarks",
        type=int,
        help="Nystrom features on this many evenly spaced rows instead of the exact N x N kernel matrix",
    )
    for flag, kind, meaning in (
        ("--variance-weight", float, "alpha (VICReg variance weight; Bardes et al. mu)"),
        ("--covariance-weight", float, "beta (VICReg covariance weight; Bardes et al. nu)"),
        ("--invariance-weight", float, "gamma (VICReg invariance weight; Bardes et al. lambda)"),
        ("--variance-penalty", str, "VICReg v(c): square, squared_hinge or hinge"),
        ("--variance-floor", float, "lower clamp of Cov_kk inside the hinge penalty"),
        ("--variance-eps", float, "eps inside sqrt(Cov_kk + eps) of the hinge (libraries: 1e-4)"),
        ("--ddof", int, "covariance normaliser M = N - ddof"),
        ("--temperature", float, "tau (SimCLR temperature)"),
        ("--weighting", str, "spectral contrastive weighting: degree or none"),
        ("--redundancy-weight", float, "lambda (BarlowTwins off-diagonal weight)"),
    ):
        p_cmp.add_argument(flag, type=kind, help=f"{meaning}; paper convention; default: the solver's")
    p_cmp.add_argument(
        "--loss-rtol", type=float, default=1e-3, help="pass if |L(Z) - L*| <= this * max(1, |L*|) (1e-3)"
    )
    p_cmp.add_argument(
        "--subspace-tol",
        type=float,
        default=1e-2,
        help="pass if sin of the largest principal angle to the optimal subspace <= this (1e-2)",
    )
    p_cmp.add_argument(
        "--rank-tol",
        type=float,
        default=1e-3,
        help="eigenvalues of the compared second moment above this * the largest count for the rank (1e-3)",
    )

    p_bench = sub.add_parser(
        "bench",
        help="run the benchmark suite (benchmarks/run_all.py of a source checkout)",
        description="Run benchmarks/run_all.py (found in the current directory, one of its parents, or "
        "the source tree ssltheory was imported from): every workload and benchmarks/bench_*.py at one "
        "size; prints one table and writes benchmarks/results.md. The benchmarks are not installed "
        "with the package: run it from a source checkout.",
    )
    p_bench.add_argument("--size", choices=("quick", "full"), default="quick", help="problem sizes")
    p_bench.add_argument("--only", nargs="+", metavar="NAME", help="only these workloads / bench scripts")
    return parser


def _find_run_all():
    """``benchmarks/run_all.py`` in the working directory or a parent, else next to the package."""
    from pathlib import Path

    import ssltheory

    cwd = Path.cwd().resolve()
    for root in (cwd, *cwd.parents, Path(ssltheory.__file__).resolve().parents[1]):
        candidate = root / "benchmarks" / "run_all.py"
        if candidate.is_file():
            return candidate
    raise _ArgumentError(
        "benchmarks/run_all.py not found in the current directory, its parents or the source tree of "
        "ssltheory; the benchmarks ship with the source repository only: run 'ssltheory bench' from a "
        "checkout"
    )


def _cmd_bench(args: argparse.Namespace) -> int:
    import subprocess

    script = _find_run_all()
    cmd = [sys.executable, str(script), "--size", args.size]
    if args.only:
        cmd += ["--only", *args.only]
    return subprocess.call(cmd)


def _load_array(path: str, what: str):
    import numpy as np

    try:
        if path.endswith(".npz"):
            import scipy.sparse

            return scipy.sparse.load_npz(path)
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise _ArgumentError(f"cannot read {what} {path!r}: {exc}") from None


_WEIGHT_FLAGS = (
    "variance_weight",
    "covariance_weight",
    "invariance_weight",
    "variance_penalty",
    "variance_floor",
    "variance_eps",
    "ddof",
    "temperature",
    "weighting",
    "redundancy_weight",
)


def _cmd_compare(args: argparse.Namespace) -> int:
    from ssltheory.compare._theory import METHODS, MODELS, compare_to_theory

    if args.method not in METHODS:
        raise _ArgumentError(f"--method must be one of {', '.join(METHODS)}, received {args.method!r}")
    if args.model not in MODELS:
        raise _ArgumentError(f"--model must be one of {', '.join(MODELS)}, received {args.model!r}")
    z = _load_array(args.embedding, "embedding")
    if getattr(z, "ndim", 0) != 2:
        raise _ArgumentError(f"embedding must be a 2-D array (n_samples, n_components), received {z.shape}")
    source: dict = {}
    if args.graph:
        source["graph"] = _load_array(args.graph, "graph")
    elif args.views is not None:
        if args.views < 2 or z.shape[0] % args.views:
            raise _ArgumentError(
                f"--views must be >= 2 and divide n_samples={z.shape[0]}, received {args.views}"
            )
        source["n_views"] = args.views
    else:
        source["groups"] = _load_array(args.groups, "groups")
    stray = sorted(
        n for n in _WEIGHT_FLAGS if getattr(args, n, None) is not None and n not in METHODS[args.method]
    )
    if stray:
        raise _ArgumentError(
            f"--method {args.method} does not take {', '.join('--' + s.replace('_', '-') for s in stray)}"
        )
    weights = {n: getattr(args, n) for n in METHODS[args.method] if getattr(args, n, None) is not None}
    extra: dict = {}
    if args.features:
        extra["features"] = _load_array(args.features, "features")
    kernel_only = {"--kernel": args.kernel, "--bandwidth": args.bandwidth, "--degree": args.degree}
    kernel_only["--n-landmarks"] = args.n_landmarks
    if args.model != "kernel":
        given = [flag for flag, value in kernel_only.items() if value is not None]
        if given:
            raise _ArgumentError(f"{', '.join(given)} apply only to --model kernel")
    else:
        params = {}
        if args.bandwidth is not None:
            params["bandwidth"] = args.bandwidth
        if args.degree is not None:
            params["degree"] = args.degree
        extra.update(kernel=args.kernel, kernel_params=params or None, n_landmarks=args.n_landmarks)
    try:
        gap = compare_to_theory(
            z,
            source.pop("graph", None),
            method=args.method,
            model=args.model,
            loss_rtol=args.loss_rtol,
            subspace_tol=args.subspace_tol,
            rank_tol=args.rank_tol,
            **source,
            **extra,
            **weights,
        )
    except (ValueError, TypeError) as exc:
        raise _ArgumentError(str(exc)) from None
    print(gap.report())
    return 0 if gap.passed else 1


def _select(args: argparse.Namespace):
    from ssltheory import claims

    if args.claim:
        try:
            selected = [claims.get(cid) for cid in args.claim]
        except KeyError as exc:
            raise _ArgumentError(exc.args[0]) from None
        if args.area:
            selected = [c for c in selected if c.area == args.area]
    else:
        selected = claims.all_claims(args.area)
    if not selected:
        known = ", ".join(claims.areas())
        raise _ArgumentError(f"no claims match area {args.area!r}; areas with claims: {known}")
    return selected


def _cmd_list(args: argparse.Namespace) -> int:
    from ssltheory import claims

    selected = claims.all_claims(args.area)
    if not selected:
        raise _ArgumentError(f"no claims in area {args.area!r}; areas: {', '.join(claims.areas())}")
    width = max(len(c.id) for c in selected)
    for c in selected:
        tag = "" if c.gating else " [report-only]"
        print(f"{c.id.ljust(width)}  {c.statement} ({c.spec}){tag}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from ssltheory import _backend, claims

    selected = _select(args)
    try:
        xp = _backend.namespace_for(args.backend)
    except (ValueError, RuntimeError) as exc:
        raise _ArgumentError(f"backend {args.backend!r} is not available: {exc}") from None
    start = time.perf_counter()
    verdicts = claims.run_claims(
        selected, xp=xp, seed=args.seed, quick=args.quick, progress=not args.no_progress
    )
    elapsed = time.perf_counter() - start
    summaries = claims.summarize(selected, verdicts)
    print(claims.format_table(summaries))
    meta = {"backend": args.backend, "seed": args.seed, "quick": args.quick, "seconds": round(elapsed, 2)}
    written = claims.write_report(summaries, args.out, meta=meta, figures=not args.no_figures)
    n_fig = sum(k.startswith("figure:") for k in written)
    print(f"\nreport: {written['markdown']}, {written['json']}" + (f", {n_fig} figure(s)" if n_fig else ""))
    broken = sorted(k.split(":", 1)[1] for k in written if k.startswith("figure_error:"))
    if broken:
        print(f"figures that could not be drawn (see report.md): {', '.join(broken)}")
    print(f"{len(verdicts)} checks on {args.backend} in {elapsed:.1f} s")
    failed = [s for s in summaries if not s.passed and s.claim.gating]
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ssltheory`` console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list(args)
        if args.command == "compare":
            return _cmd_compare(args)
        if args.command == "bench":
            return _cmd_bench(args)
        return _cmd_verify(args)
    except _ArgumentError as exc:
        print(f"ssltheory: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

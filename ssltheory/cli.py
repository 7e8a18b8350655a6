"""Command-line interface: ``ssltheory list``, ``ssltheory verify`` (the verification report),
``ssltheory compare`` (a saved embedding against the closed-form optimum) and ``ssltheory bench``
(runs ``benchmarks/run_all.py`` of a source checkout).

Exit status: 0 when every gating claim passes, 1 when one fails (``verify --fail-on report-only``:
also when a report-only claim is inconclusive or disagrees), 2 on bad arguments or an unavailable
backend (one-line message, no traceback).
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
        "table that fits the terminal (claim, checks, error against tolerance, result), a summary line per "
        "area and the overall verdict, and write the report: report.json, report.md with figures/ and a "
        "self-contained report.html (see --format). Progress goes to stderr. Gating claims pass or FAIL; "
        "report-only claims agree, are inconclusive or disagree and do not gate. Exit status 1 if a gating "
        "claim fails (or, with --fail-on report-only, if a report-only claim does not agree).",
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
    p_ver.add_argument(
        "--format",
        default="all",
        metavar="FORMATS",
        help="report files to write, comma-separated: json (report.json), md (report.md and figures/), "
        "html (report.html, figures inlined: one file to open or attach to a CI run), all (default: the "
        "three) or none (console only)",
    )
    p_ver.add_argument(
        "--fail-on",
        choices=("gating", "report-only"),
        default="gating",
        help="gating (default): exit status 1 only when a gating claim fails; report-only: also when a "
        "report-only claim is inconclusive or disagrees (to let report-only claims gate your own CI)",
    )
    p_ver.add_argument(
        "--no-progress", action="store_true", help="no progress bar (none when stderr is not a terminal)"
    )
    p_ver.add_argument("--no-figures", action="store_true", help="do not draw figures")

    p_cmp = sub.add_parser(
        "compare",
        help="compare a saved embedding (.npy) with the closed-form optimum of an SSL loss",
        description="Load an embedding Z (rows = samples) saved with numpy.save and report the loss gap "
        "to the closed-form optimum of the chosen model class (free embedding, linear Z = X W + b, or "
        "kernel map), the subspace distance, ranks and spectra, and what the theory identifies under "
        "that model class. Loss weights are in the paper convention of the graph form (Balestriero & LeCun, "
        "arXiv:2205.11508); for VICReg, alpha (--variance-weight), beta (--covariance-weight) and gamma "
        "(--invariance-weight) are mu (std/variance), nu (cov) and lambda (sim/invariance) of Bardes, "
        "Ponce & LeCun (arXiv:2105.04906); convert a library's weights with ssltheory.losses.to_paper. "
        "Exit status 1 if the check fails.",
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
    for flag, kind, meaning in _WEIGHT_HELP:
        p_cmp.add_argument(flag, type=kind, help=meaning)
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


def _physical_memory() -> int | None:
    """Bytes of physical memory of this machine, or None where the OS does not say."""
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _check_npy_header(path: str, what: str) -> None:
    """Refuse a ``.npy`` file whose header is unreadable or declares more data than is there.

    The header is read with ``numpy.lib.format`` before ``numpy.load`` allocates the array: a
    declared shape of N_1 x ... x N_d entries of ``itemsize`` bytes needs
    ``itemsize * prod(N_i)`` bytes, refused when it exceeds the bytes left in the file after the
    header (a truncated or forged file) or the machine's physical memory.
    """
    import math
    import os

    import numpy as np
    from numpy.lib import format as npy_format

    with open(path, "rb") as fh:
        magic = fh.read(6)
        if magic != npy_format.MAGIC_PREFIX:
            return  # not a .npy file (e.g. an .npz archive): numpy.load gives the error
        fh.seek(0)
        version = npy_format.read_magic(fh)
        readers = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
        if version not in readers:
            return  # a newer header version: leave it to numpy.load
        shape, _fortran, dtype = readers[version](fh)
        offset = fh.tell()
    if dtype.hasobject:
        return  # object arrays: numpy.load refuses them (allow_pickle=False)
    needed = math.prod(shape) * np.dtype(dtype).itemsize
    present = os.path.getsize(path) - offset
    if needed > present:
        raise _ArgumentError(
            f"{what} {path!r} is truncated or corrupt: its header declares shape {tuple(shape)} of "
            f"{np.dtype(dtype)}, {needed} bytes, but the file holds {present} bytes of data"
        )
    memory = _physical_memory()
    if memory is not None and needed > memory:
        raise _ArgumentError(
            f"{what} {path!r} declares shape {tuple(shape)} of {np.dtype(dtype)}: {needed} bytes, more "
            f"than this machine's {memory} bytes of memory"
        )


def _load_array(path: str, what: str):
    import zipfile

    import numpy as np

    try:
        if path.endswith(".npz"):
            import scipy.sparse

            return scipy.sparse.load_npz(path)
        _check_npy_header(path, what)
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        detail = str(exc) or type(exc).__name__
        if isinstance(exc, EOFError) or detail == "No data left in file":
            detail = "the file is empty or truncated, expected an array saved with numpy.save"
        raise _ArgumentError(f"cannot read {what} {path!r}: {detail}") from None
    except MemoryError as exc:
        raise _ArgumentError(f"cannot read {what} {path!r}: not enough memory ({exc})") from None


def _load_labels(path: str, n_samples: int):
    """``--groups``/``--labels``: one finite integer label per row; integer-valued floats are cast."""
    import numpy as np

    labels = _load_array(path, "--groups/--labels file")
    flag = f"--groups/--labels {path!r}"
    if getattr(labels, "ndim", None) != 1:
        raise _ArgumentError(
            f"{flag} must hold a 1-D array of {n_samples} integer labels (one per embedding row), "
            f"received shape {tuple(getattr(labels, 'shape', ()))}"
        )
    if labels.shape[0] != n_samples:
        raise _ArgumentError(
            f"{flag} must hold {n_samples} labels (one per embedding row), received {labels.shape[0]}"
        )
    if labels.dtype.kind in "iub":
        return labels.astype(np.int64) if labels.dtype.kind == "b" else labels
    if labels.dtype.kind != "f":
        raise _ArgumentError(f"{flag} must hold integer labels, received dtype {labels.dtype}")
    if not np.all(np.isfinite(labels)):
        raise _ArgumentError(f"{flag} must hold integer labels, received NaN or infinite values")
    if not np.all(labels == np.round(labels)):
        raise _ArgumentError(
            f"{flag} must hold integer labels, received non-integer values of {labels.dtype}"
        )
    return labels.astype(np.int64)


# The loss weights of `ssltheory compare`, in the paper convention of the graph form (Balestriero &
# LeCun, arXiv:2205.11508); each help names the symbol, the original paper's symbol and the default.
_WEIGHT_HELP = (
    (
        "--variance-weight",
        float,
        "alpha, VICReg variance weight: alpha * sum_k v(Cov_kk); Bardes, Ponce & LeCun (arXiv:2105.04906) "
        "call it mu (std_coeff in their code). Default 1.0",
    ),
    (
        "--covariance-weight",
        float,
        "beta, VICReg covariance weight: beta * sum_{k != l} Cov_kl^2; Bardes et al.'s nu (cov_coeff). "
        "Default 1.0",
    ),
    (
        "--invariance-weight",
        float,
        "gamma, VICReg invariance weight: (gamma / N) * sum_ij G_ij ||z_i - z_j||^2 = (2 gamma / N) "
        "Tr(Z^T L Z), the graph form of arXiv:2205.11508; Bardes et al.'s lambda (sim_coeff). Default 1.0",
    ),
    (
        "--variance-penalty",
        str,
        "VICReg variance penalty v(c) of a column variance c: square (1 - c)^2 (default; the closed form), "
        "squared_hinge max(0, 1 - c)^2, or hinge (1 - sqrt(max(c, floor) + eps))_+ on the standard "
        "deviation (the VICReg paper and the SSL libraries)",
    ),
    (
        "--variance-floor",
        float,
        "hinge penalty only: lower clamp 'floor' of the variance Cov_kk before the square root. Default 1e-6",
    ),
    (
        "--variance-eps",
        float,
        "hinge penalty only: eps inside sqrt(Cov_kk + eps). Default 0 (the paper's listing); the VICReg "
        "code, solo-learn and lightly use 1e-4",
    ),
    (
        "--ddof",
        int,
        "VICReg and W-MSE: covariance normaliser, Cov = Z^T H Z / M with M = N - ddof (H the centring "
        "matrix); 1 = the unbiased covariance of torch.cov and the libraries (default), 0 = divide by N",
    ),
    (
        "--temperature",
        float,
        "tau, SimCLR / InfoNCE temperature (Chen et al., arXiv:2002.05709): similarities u_i^T u_j / tau "
        "of the unit-normalised rows. Default 0.5",
    ),
    (
        "--weighting",
        str,
        "spectral contrastive loss (HaoChen et al., arXiv:2106.04156): degree (default; the paper's "
        "form, pairs weighted G_ij / vol and rows d_i / vol, d the degrees) or none (unweighted: "
        "||Z Z^T - G||_F^2 - ||G||_F^2)",
    ),
    (
        "--redundancy-weight",
        float,
        "Barlow Twins off-diagonal weight: sum_k (C_kk - 1)^2 + weight * sum_{k != l} C_kl^2 (Zbontar et "
        "al., arXiv:2103.03230, call it lambda). Default 1.0; the reference code uses 0.0051",
    ),
)

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
        raise _ArgumentError(
            f"embedding {args.embedding!r} must be a 2-D array (n_samples, n_components), received "
            f"shape {tuple(getattr(z, 'shape', ()))}"
        )
    if z.shape[0] < 2:
        raise _ArgumentError(
            f"embedding {args.embedding!r} must have at least 2 rows (samples), received shape {z.shape}"
        )
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
        source["groups"] = _load_labels(args.groups, z.shape[0])
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
        try:
            selected = claims.all_claims(args.area)
        except ValueError:
            selected = []
    if not selected:
        known = ", ".join(claims.areas())
        raise _ArgumentError(f"no claims match area {args.area!r}; areas with claims: {known}")
    return selected


def _cmd_list(args: argparse.Namespace) -> int:
    from ssltheory import claims

    try:
        selected = claims.all_claims(args.area)
    except ValueError:
        selected = []
    if not selected:
        raise _ArgumentError(f"no claims in area {args.area!r}; areas: {', '.join(claims.areas())}")
    width = max(len(c.id) for c in selected)
    for c in selected:
        tag = "" if c.gating else " [report-only]"
        print(f"{c.id.ljust(width)}  {c.statement} ({c.spec}){tag}")
    return 0


def _formats(value: str) -> tuple[str, ...]:
    from ssltheory.claims._report import REPORT_FORMATS

    names = [v.strip() for v in value.split(",") if v.strip()]
    allowed = (*REPORT_FORMATS, "all", "none")
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        raise _ArgumentError(
            f"--format must be a comma-separated list of {', '.join(allowed)}, received {value!r}"
        )
    if "none" in names:
        if len(names) > 1:
            raise _ArgumentError(f"--format none cannot be combined with other formats, received {value!r}")
        return ()
    if "all" in names:
        return REPORT_FORMATS
    return tuple(f for f in REPORT_FORMATS if f in names)


def _check_out_dir(out: str) -> None:
    """``verify --out``: a directory that exists or can be made, and is writable; checked before the
    claims run so that a bad path does not waste the run."""
    import tempfile
    from pathlib import Path

    path = Path(out)
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            where = "is a file" if parent == path else f"is below the file {str(parent)!r}"
            raise _ArgumentError(f"--out {out!r} {where}; expected a directory for the report")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise _ArgumentError(
            f"--out {out!r} is not a writable directory ({exc.strerror or exc}); expected a directory "
            "for the report"
        ) from None


def _cmd_verify(args: argparse.Namespace) -> int:
    from ssltheory import _backend, claims
    from ssltheory.claims._report import _fit, _terminal_width

    formats = _formats(args.format)
    if args.seed < 0:
        raise _ArgumentError(f"--seed must be a non-negative integer, received {args.seed}")
    selected = _select(args)
    if formats:
        _check_out_dir(args.out)
    try:
        xp = _backend.namespace_for(args.backend)
    except (ValueError, RuntimeError) as exc:
        raise _ArgumentError(f"backend {args.backend!r} is not available: {exc}") from None
    fail_on_report_only = args.fail_on == "report-only"
    width = _terminal_width()
    start = time.perf_counter()
    # progress on stderr, and only on a terminal: in a CI log its carriage-return updates are noise
    progress = not args.no_progress and sys.stderr.isatty()
    verdicts = claims.run_claims(selected, xp=xp, seed=args.seed, quick=args.quick, progress=progress)
    elapsed = time.perf_counter() - start
    summaries = claims.summarize(selected, verdicts, quick=args.quick)
    print(claims.format_table(summaries, width=width, fail_on_report_only=fail_on_report_only))
    lines = [""]
    if formats:
        meta = {"backend": args.backend, "seed": args.seed, "quick": args.quick, "seconds": round(elapsed, 2)}
        written = claims.write_report(
            summaries,
            args.out,
            meta=meta,
            figures=not args.no_figures,
            formats=formats,
            fail_on_report_only=fail_on_report_only,
        )
        files = [str(written[k]) for k in ("markdown", "html", "json") if k in written]
        n_fig = sum(k.startswith("figure:") for k in written)
        lines.append("report: " + ", ".join(files) + (f" ({n_fig} figures)" if n_fig else ""))
        broken = sorted(k.split(":", 1)[1] for k in written if k.startswith("figure_error:"))
        if broken:
            lines.append(f"figures that could not be drawn (see the report): {', '.join(broken)}")
    lines.append(
        f"{len(verdicts)} check{'' if len(verdicts) == 1 else 's'} on {args.backend} in {elapsed:.1f} s"
    )
    print(_fit("\n".join(lines), width))
    failed = [s for s in summaries if s.claim.gating and not s.passed]
    if fail_on_report_only:
        failed += [s for s in summaries if not s.claim.gating and s.outcome != "agrees"]
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

"""The verification report: a console table, ``report.json``, ``report.md`` and figures."""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssltheory.claims._core import Claim, Verdict

__all__ = ["ClaimSummary", "format_table", "summarize", "write_report"]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _fmt_err(value: float) -> str:
    return f"{value:.2e}" if math.isfinite(value) else str(value)


@dataclass(frozen=True)
class ClaimSummary:
    """All verdicts of one claim, with its worst case (largest error/tolerance)."""

    claim: Claim
    verdicts: tuple[Verdict, ...]

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    @property
    def worst(self) -> Verdict:
        def ratio(v: Verdict) -> float:
            if not v.passed and not math.isfinite(v.error):
                return math.inf
            return v.error / v.tolerance if v.tolerance > 0 else (0.0 if v.error == 0 else math.inf)

        return max(self.verdicts, key=ratio)


def summarize(claims: Sequence[Claim], verdicts: Sequence[Verdict]) -> list[ClaimSummary]:
    """Group verdicts by claim, in the order of ``claims``."""
    by_id: dict[str, list[Verdict]] = {c.id: [] for c in claims}
    for v in verdicts:
        by_id.setdefault(v.claim_id, []).append(v)
    return [ClaimSummary(c, tuple(by_id[c.id])) for c in claims if by_id[c.id]]


def format_table(summaries: Sequence[ClaimSummary]) -> str:
    """Plain-text table: one line per claim (its worst problem), then a totals line."""
    header = ("claim", "checks", "predicted", "measured", "error", "tolerance", "result")
    rows = []
    for s in summaries:
        w = s.worst
        n_ok = sum(v.passed for v in s.verdicts)
        result = "pass" if s.passed else ("FAIL" if s.claim.gating else "fail (report-only)")
        rows.append(
            (
                s.claim.id,
                f"{n_ok}/{len(s.verdicts)}",
                _fmt(w.predicted),
                _fmt(w.measured),
                _fmt_err(w.error),
                _fmt_err(w.tolerance),
                result,
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(wd) for h, wd in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * wd for wd in widths)]
    out += ["  ".join(c.ljust(wd) for c, wd in zip(r, widths, strict=True)) for r in rows]
    n_pass = sum(s.passed for s in summaries)
    out.append(f"\n{n_pass}/{len(summaries)} claims passed")
    failures = [v for s in summaries for v in s.verdicts if not v.passed]
    for v in failures:
        reason = v.message or f"error {_fmt_err(v.error)} > tolerance {_fmt_err(v.tolerance)}"
        out.append(f"  {v.claim_id} [{v.problem}]: {reason}")
    return "\n".join(out)


def _figure(summary: ClaimSummary, path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ok = [v for v in summary.verdicts if v.details]
    if summary.claim.plot is None or not ok:
        return False
    fig, ax = plt.subplots(figsize=(5.0, 3.6), layout="constrained")
    try:
        summary.claim.plot(ok, ax)
        ax.set_title(summary.claim.id, fontsize=9)
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return True


def write_report(
    summaries: Sequence[ClaimSummary],
    out_dir: str | Path,
    *,
    meta: Mapping[str, Any],
    figures: bool = True,
) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and (with matplotlib, if ``figures``) one PNG per
    claim that can plot; returns the written paths by kind."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    figure_paths: dict[str, Path] = {}
    figure_errors: dict[str, str] = {}
    if figures:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            figures = False
    if figures:
        (out / "figures").mkdir(exist_ok=True)
        for s in summaries:
            path = out / "figures" / f"{s.claim.id}.png"
            try:
                if _figure(s, path):
                    figure_paths[s.claim.id] = path
            except Exception as exc:  # a broken plot must not lose the report: record it instead
                figure_errors[s.claim.id] = f"{type(exc).__name__}: {str(exc).strip()}"
    meta = {
        "ssltheory_version": _version(),
        "python": platform.python_version(),
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        **meta,
    }
    n_pass = sum(s.passed for s in summaries)
    gating_fail = sum((not s.passed) and s.claim.gating for s in summaries)
    doc = {
        "meta": meta,
        "summary": {
            "claims": len(summaries),
            "passed": n_pass,
            "failed": len(summaries) - n_pass,
            "gating_failures": gating_fail,
            "checks": sum(len(s.verdicts) for s in summaries),
        },
        "figure_errors": figure_errors,
        "claims": [
            {
                "id": s.claim.id,
                "area": s.claim.area,
                "statement": s.claim.statement,
                "spec": s.claim.spec,
                "gating": s.claim.gating,
                "passed": s.passed,
                "figure": str(figure_paths[s.claim.id].relative_to(out))
                if s.claim.id in figure_paths
                else None,
                "verdicts": [v.to_dict() for v in s.verdicts],
            }
            for s in summaries
        ],
    }
    written["json"] = out / "report.json"
    written["json"].write_text(json.dumps(doc, indent=2) + "\n")
    md = [
        "# ssltheory verification report",
        "",
        ", ".join(f"{k}: `{v}`" for k, v in meta.items()),
        "",
        f"**{n_pass}/{len(summaries)} claims passed**"
        + (f" ({gating_fail} gating failures)" if gating_fail else ""),
        "",
        "| claim | statement | checks | predicted | measured | error | tolerance | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        w = s.worst
        result = "pass" if s.passed else ("**FAIL**" if s.claim.gating else "fail (report-only)")
        md.append(
            f"| `{s.claim.id}` | {s.claim.statement} ({s.claim.spec}) | "
            f"{sum(v.passed for v in s.verdicts)}/{len(s.verdicts)} | {_fmt(w.predicted)} | "
            f"{_fmt(w.measured)} | {_fmt_err(w.error)} | {_fmt_err(w.tolerance)} | {result} |"
        )
    md += ["", "## Checks", ""]
    for s in summaries:
        md.append(f"### `{s.claim.id}`")
        md.append("")
        md.append(s.claim.statement)
        if s.claim.id in figure_paths:
            md += ["", f"![{s.claim.id}]({figure_paths[s.claim.id].relative_to(out).as_posix()})"]
        if s.claim.id in figure_errors:
            md += ["", f"(figure failed: {figure_errors[s.claim.id]})"]
        md += [
            "",
            "| problem | predicted | measured | error | tolerance | passed | note |",
            "|---|---|---|---|---|---|---|",
        ]
        for v in s.verdicts:
            md.append(
                f"| {v.problem} | {_fmt(v.predicted)} | {_fmt(v.measured)} | {_fmt_err(v.error)} | "
                f"{_fmt_err(v.tolerance)} | {'yes' if v.passed else 'NO'} | {v.message} |"
            )
        md.append("")
    written["markdown"] = out / "report.md"
    written["markdown"].write_text("\n".join(md) + "\n")
    written.update({f"figure:{k}": p for k, p in figure_paths.items()})
    written.update({f"figure_error:{k}": Path(msg) for k, msg in figure_errors.items()})
    return written


def _version() -> str:
    from ssltheory import __version__

    return __version__

"""The verification report: a console table, ``report.json``, ``report.md``, ``report.html`` and figures.

Outcomes. A gating claim *passes* when every check has ``error <= tolerance`` and *fails*
otherwise (``ssltheory verify`` then exits with status 1). A report-only claim
(``Claim.gating=False``) never "fails": it *agrees* (every check within tolerance), is
*inconclusive* (a check missed its tolerance on the quick problems, which are fewer and smaller
than the claim's full ones, or a check raised instead of measuring) or *disagrees* (a check missed
its tolerance on the full problems).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
import math
import platform
import shutil
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssltheory.claims._core import ERROR_KINDS, Claim, Verdict

__all__ = ["ClaimSummary", "format_table", "headline", "summarize", "write_report"]

#: outcome of a claim → what it means (gating: pass / FAIL; report-only: agrees / inconclusive / disagrees)
OUTCOMES: dict[str, str] = {
    "pass": "gating claim: every check within its tolerance",
    "FAIL": "gating claim: a check missed its tolerance (or raised); ssltheory verify exits with status 1",
    "agrees": "report-only claim: every check within its tolerance",
    "inconclusive": "report-only claim: a check missed its tolerance on the quick problems (fewer and "
    "smaller than the claim's full problems: run without --quick to decide) or raised instead of measuring",
    "disagrees": "report-only claim: a check missed its tolerance on the full problems",
}

#: the files :func:`write_report` can write
REPORT_FORMATS: tuple[str, ...] = ("json", "md", "html")

_DEFAULT_WIDTH = 100  # console width when the output is not a terminal (and COLUMNS is unset)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _fmt_err(value: float) -> str:
    return f"{value:.2e}" if math.isfinite(value) else str(value)


def _num(value: float) -> str:
    """Short number for the console: ``0``, ``0.732``, ``1``, ``1.07e-15``, ``inf``."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.3g}"
    return f"{value:.2e}"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@dataclass(frozen=True)
class ClaimSummary:
    """All verdicts of one claim, with its worst case (largest error/tolerance) and its outcome.

    ``quick`` records whether the verdicts come from the quick problems: a report-only claim that
    misses its tolerance there is *inconclusive* rather than *disagrees*.
    """

    claim: Claim
    verdicts: tuple[Verdict, ...]
    quick: bool = False

    @property
    def passed(self) -> bool:
        """Every check within its tolerance."""
        return all(v.passed for v in self.verdicts)

    @property
    def crashed(self) -> bool:
        """A check raised instead of returning a comparison."""
        return any(v.message for v in self.verdicts)

    @property
    def outcome(self) -> str:
        """``"pass"``/``"FAIL"`` (gating) or ``"agrees"``/``"inconclusive"``/``"disagrees"`` (report-only)."""
        if self.claim.gating:
            return "pass" if self.passed else "FAIL"
        if self.passed:
            return "agrees"
        return "inconclusive" if (self.quick or self.crashed) else "disagrees"

    @property
    def outcome_reason(self) -> str:
        """Why a report-only claim is inconclusive or disagrees ("" otherwise)."""
        if self.outcome == "inconclusive":
            if self.crashed:
                return "a check raised instead of measuring, so there is no evidence either way"
            return (
                "a check missed its tolerance on the quick problems, which are fewer and smaller than the "
                "claim's full problems: run without --quick to decide"
            )
        if self.outcome == "disagrees":
            return "a check missed its tolerance on the full problems"
        return ""

    @property
    def seconds(self) -> float:
        """Time spent in this claim's checks."""
        return float(sum(v.seconds for v in self.verdicts))

    @property
    def worst(self) -> Verdict:
        """The verdict with the largest error / tolerance (a failing crash first)."""

        def ratio(v: Verdict) -> float:
            if not v.passed and not math.isfinite(v.error):
                return math.inf
            return v.error / v.tolerance if v.tolerance > 0 else (0.0 if v.error == 0 else math.inf)

        return max(self.verdicts, key=ratio)


def summarize(
    claims: Sequence[Claim], verdicts: Sequence[Verdict], *, quick: bool = False
) -> list[ClaimSummary]:
    """Group verdicts by claim, in the order of ``claims`` (``quick``: they come from the quick problems)."""
    by_id: dict[str, list[Verdict]] = {c.id: [] for c in claims}
    for v in verdicts:
        by_id.setdefault(v.claim_id, []).append(v)
    return [ClaimSummary(c, tuple(by_id[c.id]), quick=quick) for c in claims if by_id[c.id]]


# --------------------------------------------------------------------------- counts and the headline
def _report_only_counts(summaries: Sequence[ClaimSummary]) -> dict[str, int]:
    counts = {"agrees": 0, "inconclusive": 0, "disagrees": 0}
    for s in summaries:
        if not s.claim.gating:
            counts[s.outcome] += 1
    return counts


def _report_only_phrase(summaries: Sequence[ClaimSummary]) -> str:
    """``"5 agree, 1 inconclusive"`` ("" when there is no report-only claim)."""
    counts = _report_only_counts(summaries)
    words = {
        "agrees": ("agrees", "agree"),
        "inconclusive": ("inconclusive",) * 2,
        "disagrees": ("disagrees", "disagree"),
    }
    parts = [_plural(n, *words[k]) for k, n in counts.items() if n]
    return ", ".join(parts)


def _gating_phrase(summaries: Sequence[ClaimSummary]) -> str:
    gating = [s for s in summaries if s.claim.gating]
    n_fail = sum(not s.passed for s in gating)
    if not gating:
        return "no gating claims selected"
    if n_fail == 0:
        return "the 1 gating claim passes" if len(gating) == 1 else f"all {len(gating)} gating claims pass"
    return f"{n_fail} of {len(gating)} gating claims FAIL"


def headline(
    summaries: Sequence[ClaimSummary], *, fail_on_report_only: bool = False, see_report: bool = True
) -> str:
    """The overall verdict in one line.

    E.g. ``"all 87 gating claims pass · 6 report-only: 5 agree, 1 inconclusive (see report)"``;
    with ``fail_on_report_only`` a report-only claim that does not agree is named as a failure.
    """
    text = _gating_phrase(summaries)
    report_only = [s for s in summaries if not s.claim.gating]
    if report_only:
        text += f" · {len(report_only)} report-only: {_report_only_phrase(summaries)}"
        not_agreeing = sum(s.outcome != "agrees" for s in report_only)
        if not_agreeing and see_report:
            text += " (see report)"
        if not_agreeing and fail_on_report_only:
            verb = "does" if not_agreeing == 1 else "do"
            text += f" · FAIL (--fail-on report-only): {not_agreeing} {verb} not agree"
    return text


def _areas(summaries: Sequence[ClaimSummary]) -> list[tuple[str, list[ClaimSummary]]]:
    out: dict[str, list[ClaimSummary]] = {}
    for s in summaries:
        out.setdefault(s.claim.area, []).append(s)
    return list(out.items())


def _area_row(items: Sequence[ClaimSummary]) -> dict[str, Any]:
    gating = [s for s in items if s.claim.gating]
    n_pass = sum(s.passed for s in gating)
    return {
        "gating_passed": n_pass,
        "gating_total": len(gating),
        "report_only": _report_only_counts(items),
        "checks": sum(len(s.verdicts) for s in items),
        "seconds": round(sum(s.seconds for s in items), 3),
    }


def _gating_cell(row: Mapping[str, Any]) -> str:
    if not row["gating_total"]:
        return "—"
    n_fail = row["gating_total"] - row["gating_passed"]
    text = f"{row['gating_passed']}/{row['gating_total']} pass"
    return text + (f", {n_fail} FAIL" if n_fail else "")


def _report_only_cell(items: Sequence[ClaimSummary]) -> str:
    return _report_only_phrase(items) or "—"


# --------------------------------------------------------------------------- console
def _wrap_id(text: str, width: int) -> list[str]:
    """Split a dotted id into pieces of at most ``width`` characters, after a '.' or '_' if possible."""
    lines = []
    while len(text) > width:
        cut = max(text.rfind(".", 0, width), text.rfind("_", 0, width))
        cut = cut + 1 if cut > 0 else width
        lines.append(text[:cut])
        text = text[cut:]
    return [*lines, text]


def _fit(text: str, width: int) -> str:
    """Wrap every line longer than ``width`` (continuation lines indented by four spaces)."""
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        lead = len(line) - len(line.lstrip(" "))
        out += textwrap.wrap(
            line,
            width=width,
            initial_indent="",
            subsequent_indent=" " * min(lead + 4, width // 2),
            break_long_words=True,
            break_on_hyphens=False,
            drop_whitespace=True,
        ) or [""]
    return "\n".join(out)


def _columns(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    return out


def _error_cell(v: Verdict) -> str:
    if v.message:
        return "raised"
    sign = "≤" if v.passed else ">"
    return f"{_num(v.error)} {sign} {_num(v.tolerance)}"


def _terminal_width() -> int:
    """Columns of the terminal (``COLUMNS`` first), 100 when the output is not a terminal."""
    return shutil.get_terminal_size((_DEFAULT_WIDTH, 24)).columns


def format_table(
    summaries: Sequence[ClaimSummary], *, width: int | None = None, fail_on_report_only: bool = False
) -> str:
    """The console report, every line at most ``width`` characters (default: the terminal's).

    One row per claim (its worst problem): claim id, checks passed, error against tolerance,
    outcome; then the problems that missed their tolerance, a summary line per area and the
    overall verdict (:func:`headline`). Predicted and measured values are in the report files.
    """
    width = _terminal_width() if width is None else int(width)
    if not summaries:
        return "no claims were checked"
    header = ("claim", "checks", "error vs tolerance", "result")
    body = []
    for s in summaries:
        w = s.worst
        body.append(
            (s.claim.id, f"{sum(v.passed for v in s.verdicts)}/{len(s.verdicts)}", _error_cell(w), s.outcome)
        )
    fixed = [max(len(header[i]), *(len(r[i]) for r in body)) for i in range(1, 4)]
    id_width = max(12, min(max(len(r[0]) for r in body), width - sum(fixed) - 6))
    widths = [id_width, *fixed]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            [cells[0].ljust(widths[0]), cells[1].rjust(widths[1]), cells[2].ljust(widths[2]), cells[3]]
        ).rstrip()

    out = [line(header), "  ".join("-" * wd for wd in widths)]
    area = None
    for s, row in zip(summaries, body, strict=True):
        if area is not None and s.claim.area != area:
            out.append("")
        area = s.claim.area
        pieces = _wrap_id(row[0], id_width)
        out.append(line((pieces[0], *row[1:])))
        out += [line((p, "", "", "")) for p in pieces[1:]]
    if any(not s.claim.gating for s in summaries):
        out.append("")
        out.append(
            "agrees / inconclusive / disagrees: report-only claims, which do not gate (see the report)"
        )

    misses = [s for s in summaries if not s.passed]
    if misses:
        out.append("")
    for s in misses:
        for v in s.verdicts:
            if not v.passed:
                reason = v.message or f"{v.error_kind} {_num(v.error)} > tolerance {_num(v.tolerance)}"
                out.append(f"{s.outcome}  {v.claim_id} [{v.problem}]: {reason}")
        if s.outcome_reason:
            out.append(f"    why {s.outcome}: {s.outcome_reason}")

    rows = [("area", "gating", "report-only", "checks", "time")]
    for name, items in _areas(summaries):
        r = _area_row(items)
        rows.append(
            (name, _gating_cell(r), _report_only_cell(items), str(r["checks"]), f"{r['seconds']:.1f} s")
        )
    out += [
        "",
        *_columns(rows, right=(3, 4)),
        "",
        headline(summaries, fail_on_report_only=fail_on_report_only),
    ]
    return _fit("\n".join(out), width)


# --------------------------------------------------------------------------- figures
def _figure_png(summary: ClaimSummary) -> bytes | None:
    """The claim's figure as PNG bytes (``None`` when it has no plot or no plottable verdict)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ok = [v for v in summary.verdicts if v.details]
    if summary.claim.plot is None or not ok:
        return None
    fig, ax = plt.subplots(figsize=(5.0, 3.6), layout="constrained")
    try:
        summary.claim.plot(ok, ax)
        ax.set_title(summary.claim.id, fontsize=9)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
    finally:
        plt.close(fig)
    return buf.getvalue()


# --------------------------------------------------------------------------- report files
def _kind_glossary(summaries: Sequence[ClaimSummary]) -> list[tuple[str, str]]:
    kinds: list[str] = []
    for s in summaries:
        for k in (s.claim.error_kind, *(v.error_kind for v in s.verdicts)):
            if k not in kinds:
                kinds.append(k)
    known = [k for k in ERROR_KINDS if k in kinds]
    other = [k for k in kinds if k not in ERROR_KINDS]
    return [(k, ERROR_KINDS[k]) for k in known] + [(k, "defined by the claim") for k in other]


def _claim_kinds(s: ClaimSummary) -> list[str]:
    kinds = []
    for v in s.verdicts:
        if v.error_kind not in kinds:
            kinds.append(v.error_kind)
    return kinds or [s.claim.error_kind]


def _meta_line(meta: Mapping[str, Any], n_checks: int) -> str:
    parts = [f"ssltheory {meta.get('ssltheory_version', '?')}", f"backend {meta.get('backend', '?')}"]
    if "seed" in meta:
        parts.append(f"seed {meta['seed']}")
    if "quick" in meta:
        parts.append("quick problems" if meta["quick"] else "full problems")
    secs = meta.get("seconds")
    parts.append(f"{n_checks} checks" + (f" in {secs} s" if secs is not None else ""))
    parts += [f"Python {meta.get('python', '?')}", str(meta.get("date", ""))]
    known = {"ssltheory_version", "backend", "seed", "quick", "seconds", "python", "date"}
    parts += [f"{k} {v}" for k, v in meta.items() if k not in known]
    return " · ".join(p for p in parts if p)


_INTRO = (
    "Each claim compares a closed-form prediction with an independent measurement on built-in synthetic "
    "problems; a check passes when its error is at most its tolerance. What the error is (a relative error, "
    "a bound violation, a ratio to a threshold …) is stated next to each tolerance and defined under "
    "*Error kinds* at the end. Gating claims decide the exit status of `ssltheory verify`; report-only "
    "claims are reported as *agrees*, *inconclusive* or *disagrees*, each with the reason it does not gate."
)


def _md_cell(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _render_md(
    summaries: Sequence[ClaimSummary],
    meta: Mapping[str, Any],
    title: str,
    figure_files: Mapping[str, str],
    figure_errors: Mapping[str, str],
) -> str:
    n_checks = sum(len(s.verdicts) for s in summaries)
    md = [
        "# ssltheory verification report",
        "",
        f"**{title}**",
        "",
        _meta_line(meta, n_checks),
        "",
        _INTRO,
        "",
    ]
    md += [
        "## Summary",
        "",
        "| area | gating passed | report-only | checks | time |",
        "|---|---|---|---|---|",
    ]
    for name, items in _areas(summaries):
        r = _area_row(items)
        gating = f"{r['gating_passed']}/{r['gating_total']}" if r["gating_total"] else "—"
        cells = (
            f"[{name}](#{name})",
            gating,
            _report_only_cell(items),
            str(r["checks"]),
            f"{r['seconds']:.2f} s",
        )
        md.append("| " + " | ".join(cells) + " |")
    tot = _area_row(summaries)
    md.append(
        f"| **all** | {tot['gating_passed']}/{tot['gating_total']} | {_report_only_cell(summaries)} | "
        f"{tot['checks']} | {tot['seconds']:.2f} s |"
    )
    md.append("")
    for name, items in _areas(summaries):
        md += [f"## {name}", ""]
        for s in items:
            md += _md_claim(s, figure_files, figure_errors)
    md += ["## Error kinds", ""]
    md += [f"- **{k}**: {d}" for k, d in _kind_glossary(summaries)]
    md += ["", "## Outcomes", ""] + [f"- **{k}**: {d}" for k, d in OUTCOMES.items()]
    return "\n".join(md) + "\n"


def _md_claim(
    s: ClaimSummary, figure_files: Mapping[str, str], figure_errors: Mapping[str, str]
) -> list[str]:
    c, w = s.claim, s.worst
    tag = "" if c.gating else " (report-only)"
    n_ok = sum(v.passed for v in s.verdicts)
    md = [f"### `{c.id}` — {s.outcome}{tag}", "", c.statement, ""]
    if not c.gating:
        md += [f"**Report-only:** {c.report_only_reason}", ""]
        if s.outcome_reason:
            md += [f"**Why {s.outcome}:** {s.outcome_reason}.", ""]
    where = f" (worst problem: {w.problem})" if len(s.verdicts) > 1 else f" ({w.problem})"
    md.append(f"- checks: {n_ok}/{len(s.verdicts)} within tolerance")
    md.append(f"- predicted{where}: {_fmt(w.predicted)}")
    md.append(f"- measured: {_fmt(w.measured)}")
    sign = "≤" if w.passed else ">"
    md.append(f"- error vs tolerance: {_fmt_err(w.error)} {sign} {_fmt_err(w.tolerance)} ({w.error_kind})")
    if c.tolerance_reason:
        md.append(f"- tolerance: {c.tolerance_reason}")
    if w.message:
        md.append(f"- the check raised: `{w.message}`")
    md.append("")
    if c.id in figure_files:
        md += [f"![{c.id}]({figure_files[c.id]})", ""]
        if c.figure_caption:
            md += [f"*Figure.* {c.figure_caption}", ""]
    if c.id in figure_errors:
        md += [f"(figure failed: {figure_errors[c.id]})", ""]
    if len(s.verdicts) == 1:
        return md
    many_kinds = len(_claim_kinds(s)) > 1
    head = "| problem | predicted | measured | error | tolerance |" + (" error kind |" if many_kinds else "")
    md += [head + " within |", "|---|---|---|---|---|" + ("---|" if many_kinds else "") + "---|"]
    for v in s.verdicts:
        kind = f" {v.error_kind} |" if many_kinds else ""
        md.append(
            f"| {_md_cell(v.problem)} | {_md_cell(_fmt(v.predicted))} | {_md_cell(_fmt(v.measured))} | "
            f"{_fmt_err(v.error)} | {_fmt_err(v.tolerance)} |{kind} {'yes' if v.passed else 'NO'} |"
        )
        if v.message:
            md.append(f"| | raised: {_md_cell(v.message)} | | | |" + (" |" if many_kinds else "") + " |")
    md.append("")
    return md


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:62rem;margin:2rem auto;
padding:0 1rem;line-height:1.45;color:#1b1b1b}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
h3{font-size:1.05rem;margin-top:1.8rem}code{font-size:.95em}
.headline{font-size:1.15rem;font-weight:600}.meta{color:#555;font-size:.9rem}
table{border-collapse:collapse;font-size:.88rem;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.2rem .45rem;text-align:left;vertical-align:top}th{background:#f3f3f3}
.pass,.agrees{color:#1a7f37}.FAIL,.disagrees{color:#cf222e}.inconclusive{color:#9a6700}
.outcome{font-weight:600}figure{margin:.8rem 0}figure img{max-width:100%}
figcaption{font-size:.88rem;color:#333}
.why{background:#fff8e6;padding:.3rem .6rem;border-left:3px solid #d4a72c}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.1rem .8rem}dl.facts dt{color:#555}
dl.facts dd{margin:0}
"""


def _h(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _render_html(
    summaries: Sequence[ClaimSummary],
    meta: Mapping[str, Any],
    title: str,
    figure_png: Mapping[str, bytes],
    figure_errors: Mapping[str, str],
) -> str:
    n_checks = sum(len(s.verdicts) for s in summaries)
    intro = _h(_INTRO).replace("`ssltheory verify`", "<code>ssltheory verify</code>")
    for word in ("agrees", "inconclusive", "disagrees", "Error kinds"):
        intro = intro.replace(f"*{word}*", f"<em>{word}</em>")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>ssltheory verification report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>ssltheory verification report</h1>",
        f'<p class="headline">{_h(title)}</p>',
        f'<p class="meta">{_h(_meta_line(meta, n_checks))}</p>',
        f"<p>{intro}</p>",
        '<h2 id="summary">Summary</h2>',
        "<table><tr><th>area</th><th>gating passed</th><th>report-only</th><th>checks</th><th>time</th></tr>",
    ]
    for name, items in _areas(summaries):
        r = _area_row(items)
        gating = f"{r['gating_passed']}/{r['gating_total']}" if r["gating_total"] else "—"
        out.append(
            f'<tr><td><a href="#area-{_h(name)}">{_h(name)}</a></td><td>{gating}</td>'
            f"<td>{_h(_report_only_cell(items))}</td><td>{r['checks']}</td><td>{r['seconds']:.2f} s</td></tr>"
        )
    tot = _area_row(summaries)
    cells = (
        "all",
        f"{tot['gating_passed']}/{tot['gating_total']}",
        _h(_report_only_cell(summaries)),
        str(tot["checks"]),
        f"{tot['seconds']:.2f} s",
    )
    out.append("<tr>" + "".join(f"<th>{c}</th>" for c in cells) + "</tr>")
    out.append("</table>")
    for name, items in _areas(summaries):
        out.append(f'<h2 id="area-{_h(name)}">{_h(name)}</h2>')
        for s in items:
            out += _html_claim(s, figure_png, figure_errors)
    out.append('<h2 id="error-kinds">Error kinds</h2><dl>')
    out += [f"<dt><strong>{_h(k)}</strong></dt><dd>{_h(d)}</dd>" for k, d in _kind_glossary(summaries)]
    out.append('</dl><h2 id="outcomes">Outcomes</h2><dl>')
    out += [f'<dt class="{k}"><strong>{_h(k)}</strong></dt><dd>{_h(d)}</dd>' for k, d in OUTCOMES.items()]
    out.append("</dl></body></html>")
    return "\n".join(out) + "\n"


def _html_claim(
    s: ClaimSummary, figure_png: Mapping[str, bytes], figure_errors: Mapping[str, str]
) -> list[str]:
    c, w = s.claim, s.worst
    tag = "" if c.gating else " (report-only)"
    n_ok = sum(v.passed for v in s.verdicts)
    out = [
        f'<section class="claim" id="claim-{_h(c.id)}">',
        f'<h3><code>{_h(c.id)}</code> — <span class="outcome {s.outcome}">{_h(s.outcome)}</span>'
        f"{_h(tag)}</h3>",
        f"<p>{_h(c.statement)}</p>",
    ]
    if not c.gating:
        out.append(f'<p class="why"><strong>Report-only:</strong> {_h(c.report_only_reason)}')
        if s.outcome_reason:
            out.append(f"<br><strong>Why {_h(s.outcome)}:</strong> {_h(s.outcome_reason)}.")
        out.append("</p>")
    where = f"worst problem: {w.problem}" if len(s.verdicts) > 1 else w.problem
    sign = "≤" if w.passed else ">"
    facts = [
        ("checks", f"{n_ok}/{len(s.verdicts)} within tolerance"),
        ("predicted", f"{_fmt(w.predicted)} ({where})"),
        ("measured", _fmt(w.measured)),
        ("error vs tolerance", f"{_fmt_err(w.error)} {sign} {_fmt_err(w.tolerance)} ({w.error_kind})"),
    ]
    if c.tolerance_reason:
        facts.append(("tolerance", c.tolerance_reason))
    if w.message:
        facts.append(("raised", w.message))
    out.append(
        '<dl class="facts">' + "".join(f"<dt>{_h(k)}</dt><dd>{_h(v)}</dd>" for k, v in facts) + "</dl>"
    )
    if c.id in figure_png:
        data = base64.b64encode(figure_png[c.id]).decode("ascii")
        out.append(f'<figure><img src="data:image/png;base64,{data}" alt="figure of {_h(c.id)}">')
        if c.figure_caption:
            out.append(f"<figcaption><strong>Figure.</strong> {_h(c.figure_caption)}</figcaption>")
        out.append("</figure>")
    if c.id in figure_errors:
        out.append(f"<p>(figure failed: {_h(figure_errors[c.id])})</p>")
    if len(s.verdicts) == 1:
        return [*out, "</section>"]
    many_kinds = len(_claim_kinds(s)) > 1
    out.append(f"<details><summary>{_plural(len(s.verdicts), 'problem', 'problems')}</summary><table>")
    out.append(
        "<tr><th>problem</th><th>predicted</th><th>measured</th><th>error</th><th>tolerance</th>"
        + ("<th>error kind</th>" if many_kinds else "")
        + "<th>within</th></tr>"
    )
    for v in s.verdicts:
        note = f"<br>raised: {_h(v.message)}" if v.message else ""
        out.append(
            f"<tr><td>{_h(v.problem)}{note}</td><td>{_h(_fmt(v.predicted))}</td><td>{_h(_fmt(v.measured))}</td>"
            f"<td>{_fmt_err(v.error)}</td><td>{_fmt_err(v.tolerance)}</td>"
            + (f"<td>{_h(v.error_kind)}</td>" if many_kinds else "")
            + f"<td>{'yes' if v.passed else 'NO'}</td></tr>"
        )
    out += ["</table></details>", "</section>"]
    return out


def write_report(
    summaries: Sequence[ClaimSummary],
    out_dir: str | Path,
    *,
    meta: Mapping[str, Any],
    figures: bool = True,
    formats: Sequence[str] = REPORT_FORMATS,
    fail_on_report_only: bool = False,
) -> dict[str, Path]:
    """Write the report files into ``out_dir`` and return the written paths by kind.

    ``formats`` (a subset of :data:`REPORT_FORMATS`): ``"json"`` (``report.json``, for machines),
    ``"md"`` (``report.md`` and one PNG per figure under ``figures/``), ``"html"``
    (``report.html``, self-contained: figures inlined as base64 data URIs). Figures need
    matplotlib and ``figures=True``; a plot that raises is recorded, not fatal. Keys of the
    result: ``"json"``, ``"markdown"``, ``"html"``, ``"figure:<id>"``; ``"figure_error:<id>"``
    maps to the error message (as a path-like string).
    """
    formats = tuple(formats)
    unknown = [f for f in formats if f not in REPORT_FORMATS]
    if unknown:
        raise ValueError(f"formats must be among {', '.join(REPORT_FORMATS)}, received {unknown!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    figure_png: dict[str, bytes] = {}
    figure_files: dict[str, str] = {}
    figure_errors: dict[str, str] = {}
    if figures and ("md" in formats or "html" in formats):
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            figures = False
        if figures:
            for s in summaries:
                try:
                    png = _figure_png(s)
                except Exception as exc:  # a broken plot must not lose the report: record it instead
                    figure_errors[s.claim.id] = f"{type(exc).__name__}: {str(exc).strip()}"
                    continue
                if png is not None:
                    figure_png[s.claim.id] = png
    if "md" in formats and figure_png:
        (out / "figures").mkdir(exist_ok=True)
        for cid, png in figure_png.items():
            path = out / "figures" / f"{cid}.png"
            path.write_bytes(png)
            figure_files[cid] = path.relative_to(out).as_posix()
            written[f"figure:{cid}"] = path
    meta = {
        "ssltheory_version": _version(),
        "python": platform.python_version(),
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        **meta,
    }
    title = headline(summaries, fail_on_report_only=fail_on_report_only, see_report=False)
    if "json" in formats:
        written["json"] = out / "report.json"
        doc = _json_doc(summaries, meta, title, figure_files, figure_errors)
        written["json"].write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if "md" in formats:
        written["markdown"] = out / "report.md"
        written["markdown"].write_text(
            _render_md(summaries, meta, title, figure_files, figure_errors), encoding="utf-8"
        )
    if "html" in formats:
        written["html"] = out / "report.html"
        written["html"].write_text(
            _render_html(summaries, meta, title, figure_png, figure_errors), encoding="utf-8"
        )
    written.update({f"figure_error:{k}": Path(msg) for k, msg in figure_errors.items()})
    return written


def _json_doc(
    summaries: Sequence[ClaimSummary],
    meta: Mapping[str, Any],
    title: str,
    figure_files: Mapping[str, str],
    figure_errors: Mapping[str, str],
) -> dict[str, Any]:
    n_pass = sum(s.passed for s in summaries)
    tot = _area_row(summaries)
    return {
        "meta": dict(meta),
        "summary": {
            "headline": title,
            "claims": len(summaries),
            "passed": n_pass,
            "failed": len(summaries) - n_pass,
            "gating_failures": tot["gating_total"] - tot["gating_passed"],
            "gating_passed": tot["gating_passed"],
            "gating_total": tot["gating_total"],
            "report_only": tot["report_only"],
            "checks": tot["checks"],
            "seconds": tot["seconds"],
            "areas": {name: _area_row(items) for name, items in _areas(summaries)},
        },
        "error_kinds": dict(_kind_glossary(summaries)),
        "figure_errors": dict(figure_errors),
        "claims": [
            {
                "id": s.claim.id,
                "area": s.claim.area,
                "statement": s.claim.statement,
                "spec": s.claim.spec,
                "gating": s.claim.gating,
                "passed": s.passed,
                "outcome": s.outcome,
                "outcome_reason": s.outcome_reason,
                "report_only_reason": s.claim.report_only_reason,
                "error_kind": s.claim.error_kind,
                "tolerance_reason": s.claim.tolerance_reason,
                "figure": figure_files.get(s.claim.id),
                "figure_caption": s.claim.figure_caption,
                "seconds": round(s.seconds, 4),
                "verdicts": [v.to_dict() for v in s.verdicts],
            }
            for s in summaries
        ],
    }


def _version() -> str:
    from ssltheory import __version__

    return __version__

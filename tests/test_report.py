"""The verification report: the console table fits the terminal, the headline separates gating from
report-only claims, report.md / report.html / report.json carry every claim, its error kind and its
figure (the HTML self-contained), and report-only claims say why they do not gate."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import array_api_compat.numpy as npx
import pytest

from ssltheory import claims
from ssltheory.claims import Claim, Comparison, Problem
from ssltheory.claims._core import ERROR_KINDS
from ssltheory.claims._report import headline

WIDTH = 100  # the console width the report is checked at (the COLUMNS=100)


# --------------------------------------------------------------------------- toy claims
def _toy(
    claim_id: str, *, error: float, tolerance: float = 1.0, gating: bool = True, crash: bool = False, **kw
):
    """A claim whose single check has the given error and tolerance (or raises)."""

    def problems(rng, quick):
        return [Problem("toy problem", {"x": rng.standard_normal(3)})]

    def measure(problem, xp):
        if crash:
            raise RuntimeError("instrument broke")
        return 0.0

    def compare(p, m, problem, xp):
        return Comparison(p, m, error, tolerance)

    if not gating:
        kw.setdefault("report_only_reason", "a toy: it would gate with a derived tolerance")
    statement = f"toy statement of {claim_id}"
    return Claim(
        claim_id, statement, "toy", problems, lambda p, xp: 0.0, measure, compare, gating=gating, **kw
    )


def _summaries(toys, *, quick):
    verdicts = [v for c in toys for v in claims.run_claim(c, xp=npx, seed=0, quick=quick)]
    return claims.summarize(toys, verdicts, quick=quick)


# --------------------------------------------------------------------------- outcomes and headline
def test_report_only_outcomes_are_agrees_inconclusive_disagrees_never_fail():
    toys = [
        _toy("toy.gate_ok", error=0.5),
        _toy("toy.ro_ok", error=0.5, gating=False),
        _toy("toy.ro_miss", error=2.0, gating=False),
        _toy("toy.ro_crash", error=0.0, gating=False, crash=True),
    ]
    quick = {s.claim.id: s.outcome for s in _summaries(toys, quick=True)}
    full = {s.claim.id: s.outcome for s in _summaries(toys, quick=False)}
    # a miss on the quick problems is not evidence against the claim; on the full ones it is
    assert quick == {"toy.gate_ok": "pass", "toy.ro_ok": "agrees", "toy.ro_miss": "inconclusive",
                     "toy.ro_crash": "inconclusive"}  # fmt: skip
    assert full == {"toy.gate_ok": "pass", "toy.ro_ok": "agrees", "toy.ro_miss": "disagrees",
                    "toy.ro_crash": "inconclusive"}  # fmt: skip
    text = claims.format_table(_summaries(toys, quick=False), width=WIDTH)
    assert "fail" not in text.lower().replace("--fail-on", "")


def test_headline_distinguishes_gating_from_report_only():
    toys = [_toy(f"toy.g{i}", error=0.1) for i in range(3)]
    toys += [_toy("toy.r_ok1", error=0.1, gating=False), _toy("toy.r_ok2", error=0.1, gating=False)]
    toys += [_toy("toy.r_miss", error=5.0, gating=False)]
    summaries = _summaries(toys, quick=True)
    # 3 gating claims pass; 3 report-only: 2 agree, 1 inconclusive (the quick miss)
    assert (
        headline(summaries)
        == "all 3 gating claims pass · 3 report-only: 2 agree, 1 inconclusive (see report)"
    )
    assert headline(summaries, fail_on_report_only=True).endswith(
        "· FAIL (--fail-on report-only): 1 does not agree"
    )
    failing = _summaries([*toys[:2], _toy("toy.g_bad", error=3.0), toys[3]], quick=False)
    assert headline(failing) == "1 of 3 gating claims FAIL · 1 report-only: 1 agrees"
    assert headline(_summaries(toys[3:5], quick=False)).startswith("no gating claims selected · 2 ")


def test_console_table_fits_every_width_and_keeps_ids_readable():
    long_id = "toy." + "_".join(["very_long_component"] * 6)  # 119 characters: must wrap
    toys = [_toy(long_id, error=0.3), _toy("toy.short", error=7.0, gating=False)]
    summaries = _summaries(toys, quick=True)
    for width in (60, 80, 100, 120):
        lines = claims.format_table(summaries, width=width).splitlines()
        assert max(map(len, lines)) <= width, width
        # the id wraps within its column: its row, then continuation lines holding one piece each
        start = next(i for i, ln in enumerate(lines) if ln.startswith("toy.very"))
        pieces = [lines[start].split()[0]]
        for ln in lines[start + 1 :]:
            if len(ln.split()) != 1:
                break
            pieces.append(ln.strip())
        assert "".join(pieces) == long_id, width
        assert lines[start].split()[1:] == ["1/1", "0.3", "≤", "1", "pass"], width
    # the table has the four columns of the issue, not predicted / measured
    header = claims.format_table(summaries, width=WIDTH).splitlines()[0]
    assert header.split() == ["claim", "checks", "error", "vs", "tolerance", "result"]


# --------------------------------------------------------------------------- one full quick run
@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """``ssltheory verify --quick`` as a user runs it, at COLUMNS=100, in a fresh process."""
    out = tmp_path_factory.mktemp("report")
    env = {**os.environ, "COLUMNS": str(WIDTH)}
    proc = subprocess.run(
        [sys.executable, "-m", "ssltheory", "verify", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return proc, out


def test_quick_run_output_fits_100_columns(quick_run):
    proc, _ = quick_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for stream in (proc.stdout, proc.stderr):
        long = [ln for ln in re.split(r"[\r\n]", stream) if len(ln) > WIDTH]
        assert not long, long[:3]
    assert "verifying" not in proc.stderr  # stderr is not a terminal here: no progress bar in the log
    # a summary line per area, then the overall verdict naming gating and report-only claims
    lines = proc.stdout.splitlines()
    for area in claims.areas():
        assert any(ln.startswith(area + " ") for ln in lines), area
    n_gating = sum(c.gating for c in claims.all_claims())
    n_ro = sum(not c.gating for c in claims.all_claims())
    verdict = next(ln for ln in lines if "gating claims pass" in ln)
    assert verdict.startswith(f"all {n_gating} gating claims pass · {n_ro} report-only: ")


def test_json_report_records_outcomes_and_error_kinds(quick_run):
    _, out = quick_run
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    by_id = {c["id"]: c for c in doc["claims"]}
    assert set(by_id) == {c.id for c in claims.all_claims()}
    counts = {"agrees": 0, "inconclusive": 0, "disagrees": 0}
    for c in doc["claims"]:
        if c["gating"]:
            assert c["outcome"] == "pass", c["id"]
        else:
            assert c["outcome"] in counts, c["id"]
            counts[c["outcome"]] += 1
            assert c["report_only_reason"], c["id"]
        for v in c["verdicts"]:
            assert v["error_kind"] in ERROR_KINDS, (c["id"], v["error_kind"])
            # the kinds' conventions: normalised errors and threshold ratios pass at <= 1, integer
            # mismatches only at 0 (exact)
            if v["error_kind"] in ("normalised error", "threshold ratio"):
                assert v["tolerance"] == 1.0, c["id"]
            if v["error_kind"] == "count mismatch":
                assert v["tolerance"] == 0.0, c["id"]
                assert float(v["error"]).is_integer(), c["id"]
    assert doc["summary"]["report_only"] == counts
    assert doc["summary"]["gating_failures"] == 0
    assert set(doc["error_kinds"]) <= set(ERROR_KINDS)


def _sections(md: str, level: str) -> dict[str, str]:
    parts = re.split(rf"^{level} (.+)$", md, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_markdown_summary_first_then_a_section_per_area_with_figures(quick_run):
    _, out = quick_run
    md = (out / "report.md").read_text(encoding="utf-8")
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    areas = _sections(md, "##")
    names = list(areas)
    assert names[0] == "Summary"
    assert names[1 : 1 + len(claims.areas())] == claims.areas()
    summary = areas["Summary"]
    for area in claims.areas():
        gating = [c for c in doc["claims"] if c["area"] == area and c["gating"]]
        assert re.search(rf"\| \[{area}\]\(#{area}\) \| {len(gating)}/{len(gating)} \|", summary), area
    for c in doc["claims"]:
        section = _sections(areas[c["area"]], "###")
        (title,) = [t for t in section if t.startswith(f"`{c['id']}`")]
        body = section[title]
        assert c["statement"] in body
        # the kind of error is stated next to the tolerance
        kinds = {v["error_kind"] for v in c["verdicts"]}
        assert re.search(
            r"- error vs tolerance: \S+ [≤>] \S+ \((" + "|".join(map(re.escape, kinds)) + r")\)", body
        )
        assert c["spec"] not in body  # spec files the reader does not have are not cited
        if c["figure"]:
            assert f"]({c['figure']})" in body  # the figure sits in its claim's own section
            assert (out / c["figure"]).is_file()
            claim = claims.get(c["id"])
            assert f"*Figure.* {claim.figure_caption}" in body
        if not c["gating"]:
            assert "(report-only)" in title
            assert c["outcome"] in title
            assert f"**Report-only:** {c['report_only_reason']}" in body
    glossary = areas["Error kinds"]
    for kind in doc["error_kinds"]:
        assert f"- **{kind}**: {ERROR_KINDS[kind]}" in glossary


class _Page(HTMLParser):
    """Collects <img> sources, external references and <figure> contents of a page."""

    def __init__(self):
        super().__init__()
        self.images: list[str] = []
        self.external: list[str] = []
        self.figures: list[dict] = []
        self._figure = None
        self._in_caption = False
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in ("img", "meta", "br", "link"):
            self.stack.append(tag)
        for key in ("src", "href"):
            if key in a and not a[key].startswith(("data:", "#")):
                self.external.append(a[key])
        if tag == "figure":
            self._figure = {"img": None, "caption": ""}
        if tag == "img":
            self.images.append(a["src"])
            if self._figure is not None:
                self._figure["img"] = a["src"]
        if tag == "figcaption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("img", "meta", "br", "link"):
            return
        assert self.stack[-1:] == [tag], (tag, self.stack[-3:])
        self.stack.pop()
        if tag == "figcaption":
            self._in_caption = False
        if tag == "figure":
            self.figures.append(self._figure)
            self._figure = None

    def handle_data(self, data):
        if self._in_caption:
            self._figure["caption"] += data


def _decode_png(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking its signature, every chunk CRC and the image data."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
        if kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    width, height = size
    assert min(width, height) > 0
    assert len(raw) > height  # one filter byte per row at least
    return width, height


def test_html_is_one_self_contained_file_showing_every_figure(quick_run):
    _, out = quick_run
    page_text = (out / "report.html").read_text(encoding="utf-8")
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    page = _Page()
    page.feed(page_text)
    page.close()
    assert page.stack == []  # every element closed, in order
    assert page.external == []  # nothing outside the file: no figure paths, no stylesheets, no scripts
    with_figure = [c for c in doc["claims"] if c["figure"]]
    assert len(with_figure) >= 10  # the quick run draws the figures of all plotting claims
    assert len(page.images) == len(with_figure)
    for src in page.images:
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        png = base64.b64decode(src[len(prefix) :], validate=True)
        w, h = _decode_png(png)
        assert (w, h) == (550, 396)  # figsize 5.0 x 3.6 inches at 110 dpi
    # each figure carries its caption, and the same bytes as the PNG file next to report.md
    captions = {claims.get(c["id"]).figure_caption: c for c in with_figure}
    for fig in page.figures:
        caption = " ".join(fig["caption"].split()).removeprefix("Figure. ")
        assert caption in captions
        png_file = (out / captions[caption]["figure"]).read_bytes()
        assert base64.b64decode(fig["img"].split(",", 1)[1]) == png_file


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium is not installed")
def test_html_images_decode_in_chromium(quick_run, tmp_path):
    # the browser's own decoder: every <img> complete with a positive natural width after load
    _, out = quick_run
    page = (out / "report.html").read_text(encoding="utf-8")
    probe = (
        '<script>addEventListener("load",()=>{const im=[...document.images];document.body.setAttribute('
        '"data-decoded",im.filter(i=>i.complete&&i.naturalWidth>0).length+"/"+im.length)})</script>'
    )
    (tmp_path / "probe.html").write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    proc = subprocess.run(
        [
            shutil.which("chromium"),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=5000",
            "--dump-dom",
            (tmp_path / "probe.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = re.search(r'data-decoded="(\d+)/(\d+)"', proc.stdout)
    assert found, proc.stderr[-2000:]
    n_ok, n_all = map(int, found.groups())
    assert n_all == page.count("<img ")
    assert n_ok == n_all


# --------------------------------------------------------------------------- figures and their captions
_TEX = {r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\lambda": "λ", r"\rho": "ρ", r"\mu": "μ",
        r"\sigma": "σ", r"\tau": "τ", r"\omega": "ω", r"\partial": "∂", r"\Omega": "Ω"}  # fmt: skip


def _symbols(text: str) -> set[str]:
    """Greek letters (with a prime where primed) in a label, mathtext spelled out."""
    for tex, char in _TEX.items():
        text = text.replace(tex, char)
    found = set(re.findall(r"[α-ωΑ-Ω∂](?:['′])?", text))
    return {s.replace("'", "′") for s in found}


@pytest.mark.parametrize("claim_id", [c.id for c in claims.all_claims() if c.plot is not None])
def test_every_symbol_of_a_figure_is_defined_in_its_caption(claim_id):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    claim = claims.get(claim_id)
    assert claim.figure_caption, claim_id
    verdicts = [v for v in claims.run_claim(claim, xp=npx, seed=0, quick=True) if v.details]
    if not verdicts:
        pytest.skip(f"{claim_id} draws no figure on the quick problems")
    fig, ax = plt.subplots()
    try:
        claim.plot(verdicts, ax)
        texts = [a.get_xlabel() + " " + a.get_ylabel() for a in fig.axes]
        legend = ax.get_legend()
        if legend is not None:
            texts += [t.get_text() for t in legend.get_texts()]
    finally:
        plt.close(fig)
    caption = claim.figure_caption
    for symbol in sorted(set().union(*map(_symbols, texts))):
        assert symbol in caption, (claim_id, symbol)
        if symbol.endswith("′"):  # a derived symbol needs its formula, e.g. "γ′ = γM/N"
            assert re.search(re.escape(symbol) + r" = ", caption), (claim_id, symbol)


def test_vicreg_figure_defines_gamma_prime():
    caption = claims.get("spectral.vicreg.closed_form_optimum").figure_caption
    assert "γ′ = γM/N" in caption
    assert "M = N − ddof" in caption
    for symbol in ("α the variance weight", "γ the invariance weight", "λ_k the"):
        assert symbol in caption


def test_write_report_formats(tmp_path):
    toys = [_toy("toy.one", error=0.1), _toy("toy.two", error=0.1, gating=False)]
    summaries = _summaries(toys, quick=False)
    meta = {"backend": "numpy"}
    for formats, files in (
        (("json",), {"report.json"}),
        (("md",), {"report.md"}),
        (("html",), {"report.html"}),
        (("json", "md", "html"), {"report.json", "report.md", "report.html"}),
    ):
        out = tmp_path / "-".join(formats)
        written = claims.write_report(summaries, out, meta=meta, formats=formats, figures=False)
        assert {p.name for p in out.iterdir()} == files
        assert {written[k].name for k in written} == files
    with pytest.raises(ValueError, match="formats must be among json, md, html"):
        claims.write_report(summaries, tmp_path, meta=meta, formats=("pdf",))
    assert json.loads((tmp_path / "json" / "report.json").read_text())["summary"]["claims"] == 2


def test_report_states_why_each_builtin_claim_is_report_only():
    report_only = [c for c in claims.all_claims() if not c.gating]
    assert report_only
    for c in report_only:
        # why it does not gate, and what would make it gating
        assert len(c.report_only_reason) > 80, c.id
        assert "would gate" in c.report_only_reason, c.id


def test_default_console_width_is_100_when_not_a_terminal(monkeypatch):
    from ssltheory.claims._report import _terminal_width

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(os, "get_terminal_size", lambda *a: (_ for _ in ()).throw(OSError("not a tty")))
    assert _terminal_width() == 100
    monkeypatch.setenv("COLUMNS", "72")
    assert _terminal_width() == 72


def test_figure_paths_in_markdown_are_relative(quick_run):
    _, out = quick_run
    md = (out / "report.md").read_text(encoding="utf-8")
    paths = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert paths
    assert all(not Path(p).is_absolute() and p.startswith("figures/") for p in paths)

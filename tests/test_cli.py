"""The command-line interface: list, verify (report files, exit codes), bad arguments."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest

from ssltheory import claims
from ssltheory.claims import Claim, Comparison, Problem
from ssltheory.cli import main


def test_list_prints_every_claim(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for c in claims.all_claims():
        assert c.id in out


def test_list_unknown_area_is_exit_2(capsys):
    assert main(["list", "--area", "nope"]) == 2
    assert "no claims in area 'nope'" in capsys.readouterr().err


def test_verify_quick_is_the_main_job(tmp_path, capsys):
    # the README's main command, on every registered claim, with figures when matplotlib is present
    status = main(["verify", "--quick", "--no-progress", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "report.json").read_text())
    assert status == 0, out
    assert report["summary"]["gating_failures"] == 0
    assert {c["id"] for c in report["claims"]} == {c.id for c in claims.all_claims()}
    for c in report["claims"]:
        assert c["id"] in out
        if c["gating"]:
            assert all(v["passed"] for v in c["verdicts"]), c["id"]
    assert report["figure_errors"] == {}  # every claim's plot draws
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Summary" in md
    assert "### `graphs.dirichlet_energy` — pass" in md
    assert (tmp_path / "report.html").is_file()
    n_gating = sum(c.gating for c in claims.all_claims())
    assert f"all {n_gating} gating claims pass" in out


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_verify_quick_writes_report_and_passes(tmp_path, capsys, backend):
    status = main(
        [
            "verify",
            "--quick",
            "--no-progress",
            "--area",
            "graphs",
            "--backend",
            backend,
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "all 2 gating claims pass" in out
    for c in claims.all_claims("graphs"):
        assert c.id in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["meta"]["backend"] == backend
    assert report["summary"]["failed"] == 0
    assert all(v["passed"] for c in report["claims"] for v in c["verdicts"])


def test_verify_draws_figures_with_matplotlib(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["verify", "--quick", "--no-progress", "--area", "graphs", "--out", str(tmp_path)]) == 0
    figs = sorted(p.name for p in (tmp_path / "figures").glob("*.png"))
    assert "graphs.dirichlet_energy.png" in figs
    assert "graphs.augmentation_spectrum.png" in figs
    assert all((tmp_path / "figures" / f).stat().st_size > 1000 for f in figs)


def _broken_claim() -> Claim:
    # deliberately wrong: predicts Σx² + 1e-6 for Σx²
    def problems(rng, quick):
        return [Problem("broken", {"x": rng.standard_normal(4)})]

    def predict(problem, xp):
        return float(np.sum(problem.data["x"] ** 2)) + 1e-6

    def measure(problem, xp):
        x = problem.arrays(xp)["x"]
        return float(xp.sum(x * x))

    def compare(p, m, problem, xp):
        return Comparison(p, m, abs(p - m), 1e-12)

    return Claim("toy.broken", "deliberately broken", "test", problems, predict, measure, compare)


def test_verify_exits_1_when_a_claim_fails(tmp_path, capsys):
    claims.register(_broken_claim())
    try:
        status = main(
            ["verify", "--quick", "--area", "toy", "--no-progress", "--no-figures", "--out", str(tmp_path)]
        )
    finally:
        claims.unregister("toy.broken")
    out = capsys.readouterr().out
    assert status == 1
    assert "FAIL" in out
    assert "toy.broken [broken]" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["gating_failures"] == 1


def _soft_claim(claim_id: str = "toy.soft", *, broken: bool = True) -> Claim:
    c = _broken_claim()

    def compare(p, m, problem, xp):
        return Comparison(p, m, abs(p - m), 1e-12 if broken else 1e-3)

    reason = "a toy: it would gate once its tolerance is derived"
    return Claim(
        claim_id, c.statement, c.spec, c.problems, c.predict, c.measure, compare, gating=False,
        report_only_reason=reason,
    )  # fmt: skip


def _verify(tmp_path, *extra):
    return main(["verify", "--no-progress", "--no-figures", "--out", str(tmp_path), *extra])


def test_verify_report_only_failure_does_not_gate(tmp_path, capsys):
    claims.register(_soft_claim())
    try:
        full = _verify(tmp_path / "full", "--claim", "toy.soft")
        out_full = capsys.readouterr().out
        quick = _verify(tmp_path / "quick", "--claim", "toy.soft", "--quick")
        out_quick = capsys.readouterr().out
    finally:
        claims.unregister("toy.soft")
    assert full == quick == 0
    # a report-only miss is never a "fail": on the full problems it disagrees, on the quick ones it
    # is inconclusive (too little evidence)
    out_full, out_quick = (" ".join(o.split()) for o in (out_full, out_quick))
    assert "no gating claims selected · 1 report-only: 1 disagrees (see report)" in out_full
    assert "1 report-only: 1 inconclusive (see report)" in out_quick
    for out in (out_full, out_quick):
        assert "FAIL" not in out
        assert "fail (" not in out
    doc = json.loads((tmp_path / "full" / "report.json").read_text())
    assert doc["claims"][0]["outcome"] == "disagrees"
    assert doc["summary"]["gating_failures"] == 0


@pytest.mark.parametrize(("broken", "fail_on", "status"), [
    (True, "gating", 0), (True, "report-only", 1), (False, "gating", 0), (False, "report-only", 0),
])  # fmt: skip
def test_verify_fail_on_report_only_lets_report_only_claims_gate(tmp_path, capsys, broken, fail_on, status):
    claims.register(_soft_claim(broken=broken))
    try:
        got = _verify(tmp_path, "--claim", "toy.soft", "--quick", "--fail-on", fail_on)
    finally:
        claims.unregister("toy.soft")
    out = " ".join(capsys.readouterr().out.split())  # the headline may wrap at the terminal's width
    assert got == status
    assert ("FAIL (--fail-on report-only): 1 does not agree" in out) == (status == 1)


def test_verify_gating_failure_exits_1_whatever_fail_on(tmp_path, capsys):
    claims.register(_broken_claim())
    claims.register(_soft_claim(broken=False))
    try:
        for fail_on in ("gating", "report-only"):
            assert _verify(tmp_path, "--area", "toy", "--fail-on", fail_on) == 1
            out = " ".join(capsys.readouterr().out.split())
            assert "1 of 1 gating claims FAIL · 1 report-only: 1 agrees" in out
    finally:
        claims.unregister("toy.broken")
        claims.unregister("toy.soft")


@pytest.mark.parametrize(
    ("fmt", "files"),
    [
        ("all", {"report.json", "report.md", "report.html"}),
        ("json", {"report.json"}),
        ("md", {"report.md"}),
        ("html", {"report.html"}),
        ("json,html", {"report.json", "report.html"}),
        ("none", set()),
    ],
)
def test_verify_format_selects_the_report_files(tmp_path, capsys, fmt, files):
    out = tmp_path / "out"
    assert _verify(out, "--area", "graphs", "--quick", "--format", fmt) == 0
    written = {p.name for p in out.iterdir()} if out.exists() else set()
    assert written == files
    text = capsys.readouterr().out
    assert ("report:" in text) == bool(files)


def test_verify_format_md_writes_figures_next_to_the_report(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert (
        main(
            [
                "verify",
                "--quick",
                "--no-progress",
                "--area",
                "graphs",
                "--format",
                "md",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert {p.name for p in tmp_path.iterdir()} == {"report.md", "figures"}
    assert "(2 figures)" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["pdf", "json,pdf", "none,json", ","])
def test_verify_bad_format_is_exit_2(tmp_path, capsys, fmt):
    assert _verify(tmp_path, "--area", "graphs", "--format", fmt) == 2
    err = capsys.readouterr().err
    assert err.startswith("ssltheory: error: --format")
    assert not (tmp_path / "report.json").exists()


def test_verify_console_fits_columns(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")
    claims.register(_broken_claim())
    try:
        assert _verify(tmp_path, "--area", "toy", "--quick") == 1
    finally:
        claims.unregister("toy.broken")
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 72
    assert "toy.broken [broken]" in out


def test_run_claims_progress_goes_to_stderr(capsys):
    import array_api_compat.numpy as xp

    claims.run_claims(claims.all_claims("graphs"), xp=xp, quick=True, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "verifying" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "--claim", "graphs.nope"], "no claim with id 'graphs.nope'"),
        (["verify", "--area", "nope"], "no claims match area 'nope'"),
        (["verify", "--backend", "fortran"], "unknown backend 'fortran'"),
    ],
)
def test_verify_bad_arguments_exit_2(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("ssltheory: error:")


def test_verify_cupy_without_gpu_is_one_line_error(tmp_path):
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            pytest.skip("a GPU is present: the error path cannot be exercised here")
    except Exception:  # no CuPy or no CUDA: the path under test
        pass
    proc = subprocess.run(
        [sys.executable, "-m", "ssltheory", "verify", "--backend", "cupy", "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "backend 'cupy' is not available" in proc.stderr


def test_argparse_errors_exit_2():
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--seed", "notanint"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_python_dash_m_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "ssltheory", "list"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "graphs.dirichlet_energy" in proc.stdout


# ------------------------------------------------------------------ compare: model classes


def _views_problem(rng):
    from ssltheory.graphs import augmentation_graph
    from ssltheory.spectral import vicreg_linear_weights

    base = rng.standard_normal((50, 5))
    x = np.concatenate([base, base + 0.3 * rng.standard_normal((50, 5))])
    sol = vicreg_linear_weights(x, augmentation_graph(50, 2), n_components=3, invariance_weight=0.5)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    return x, x @ sol.weights @ q + 1.5


def test_compare_linear_model_on_views_and_groups(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x, z = _views_problem(rng)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "labels.npy", np.tile(np.arange(50), 2))
    common = ["--method", "vicreg", "--invariance-weight", "0.5"]
    args = ["compare", str(tmp_path / "z.npy"), "--features", str(tmp_path / "x.npy"), "--model", "linear"]
    assert main([*args, "--views", "2", *common]) == 0
    out = capsys.readouterr().out
    assert "model             linear" in out
    assert "PASS" in out
    assert main([*args, "--groups", str(tmp_path / "labels.npy"), *common]) == 0
    assert "PASS" in capsys.readouterr().out
    # the same embedding against the free-embedding optimum: above it, FAIL, the model is named
    assert main(["compare", str(tmp_path / "z.npy"), "--views", "2", *common]) == 1
    out = capsys.readouterr().out
    assert "model             free" in out
    assert "FAIL" in out


def test_compare_kernel_model(tmp_path, capsys):
    from ssltheory.graphs import augmentation_graph
    from ssltheory.kernel import kernel_ssl_solve, rbf_kernel

    rng = np.random.default_rng(1)
    base = rng.standard_normal((15, 2))
    x = np.concatenate([base, base + 0.2 * rng.standard_normal((15, 2))])
    g = augmentation_graph(15, 2)
    sol = kernel_ssl_solve(rbf_kernel(x, bandwidth=0.7), g, n_components=2, loss="wmse")
    np.save(tmp_path / "z.npy", np.asarray(sol.embedding))
    np.save(tmp_path / "x.npy", x)
    argv = ["compare", str(tmp_path / "z.npy"), "--views", "2", "--method", "wmse", "--model", "kernel"]
    argv += ["--features", str(tmp_path / "x.npy"), "--kernel", "rbf", "--bandwidth", "0.7"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "model             kernel" in out
    assert "PASS" in out


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--model", "nope"], "--model must be one of"),
        (["--model", "linear"], "needs features="),
        (["--kernel", "rbf"], "--kernel apply only to --model kernel"),
        (["--model", "kernel", "--features", "X"], "needs kernel="),
        (["--model", "linear", "--features", "X", "--method", "simclr"], "no closed form under model"),
    ],
)
def test_compare_model_bad_arguments(tmp_path, capsys, extra, match):
    np.save(tmp_path / "z.npy", np.random.default_rng(1).standard_normal((12, 2)))
    np.save(tmp_path / "x.npy", np.random.default_rng(2).standard_normal((12, 3)))
    extra = [str(tmp_path / "x.npy") if e == "X" else e for e in extra]
    if "--method" not in extra:
        extra += ["--method", "vicreg"]
    assert main(["compare", str(tmp_path / "z.npy"), "--views", "2", *extra]) == 2
    assert match in capsys.readouterr().err


def test_compare_help_names_the_flags_and_symbols(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in ("--model", "--features", "--groups", "--views", "--kernel", "--n-landmarks", "X W + 1 b^T"):
        assert text in out
    for symbol in ("alpha", "beta", "gamma", "tau"):
        assert symbol in out


def _compare_parser() -> argparse.ArgumentParser:
    from ssltheory.cli import _parser

    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["compare"]


@pytest.mark.parametrize(
    ("flag", "texts"),
    [
        # our symbol, what it weighs, and the original paper's symbol (Bardes, Ponce & LeCun)
        ("--variance-weight", ("alpha", "variance", "mu", "arXiv:2105.04906", "Default 1.0")),
        ("--covariance-weight", ("beta", "covariance", "nu", "Default 1.0")),
        ("--invariance-weight", ("gamma", "invariance", "lambda", "arXiv:2205.11508", "Default 1.0")),
        ("--variance-penalty", ("square", "squared_hinge", "hinge", "default")),
        ("--variance-floor", ("hinge", "floor", "Default 1e-6")),
        ("--variance-eps", ("hinge", "sqrt(Cov_kk + eps)", "1e-4")),
        ("--ddof", ("M = N - ddof", "W-MSE", "unbiased", "default")),
        ("--temperature", ("tau", "SimCLR", "arXiv:2002.05709", "Default 0.5")),
        ("--weighting", ("degree", "none", "arXiv:2106.04156", "default")),
        ("--redundancy-weight", ("Barlow Twins", "off-diagonal", "arXiv:2103.03230", "Default 1.0")),
    ],
)
def test_compare_help_names_each_flags_meaning_and_convention(flag, texts):
    helps = {a.option_strings[0]: a.help for a in _compare_parser()._actions if a.option_strings}
    for text in texts:
        assert text in helps[flag], (flag, text)
    assert "loss weight (paper convention)" not in helps[flag]
    assert "default: the solver's" not in helps[flag]


def test_compare_description_maps_our_weights_to_bardes_et_al():
    description = " ".join(_compare_parser().description.split())
    assert "Balestriero & LeCun" in description
    assert "arXiv:2205.11508" in description
    assert (
        "alpha (--variance-weight), beta (--covariance-weight) and gamma (--invariance-weight)" in description
    )
    assert "mu (std/variance), nu (cov) and lambda (sim/invariance) of Bardes, Ponce & LeCun" in description


# ------------------------------------------------------------------ bad input: exit 2, one line


def _bad_input_files(tmp_path):
    """Files for the bad-input cases: each is refused before any computation starts."""
    from numpy.lib import format as npy_format

    rng = np.random.default_rng(0)
    np.save(tmp_path / "z.npy", rng.standard_normal((8, 2)))
    np.save(tmp_path / "z0.npy", np.zeros((0, 2)))
    (tmp_path / "empty.npy").write_bytes(b"")
    # a forged header: 2e5 x 2e5 float64 = 3.2e11 bytes declared, no data behind it
    with open(tmp_path / "huge.npy", "wb") as fh:
        npy_format.write_array_header_1_0(
            fh, {"descr": "<f8", "fortran_order": False, "shape": (200_000, 200_000)}
        )
    np.save(tmp_path / "nan.npy", np.array([0, 1, np.nan, 1, 0, 1, 0, 1.0]))
    np.save(tmp_path / "frac.npy", np.array([0, 1, 0.5, 1, 0, 1, 0, 1.0]))
    np.save(tmp_path / "two_d.npy", np.zeros((8, 2), dtype=np.int64))
    np.save(tmp_path / "short.npy", np.zeros(5, dtype=np.int64))
    (tmp_path / "file.txt").write_text("not a directory")


_VERIFY = ["verify", "--quick", "--no-progress", "--area", "graphs"]


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["compare", "huge.npy", "--views", "2", "--method", "vicreg"], ["huge.npy", "320000000000 bytes"]),
        (["compare", "empty.npy", "--views", "2", "--method", "vicreg"], ["empty.npy", "empty"]),
        (["compare", "z0.npy", "--views", "2", "--method", "vicreg"], ["z0.npy", "at least 2 rows"]),
        (["compare", "z.npy", "--views", "0", "--method", "vicreg"], ["--views", ">= 2"]),
        (["compare", "z.npy", "--views", "3", "--method", "vicreg"], ["--views", "divide"]),
        (["compare", "z.npy", "--labels", "nan.npy", "--method", "vicreg"], ["--labels", "NaN"]),
        (["compare", "z.npy", "--labels", "frac.npy", "--method", "vicreg"], ["--labels", "non-integer"]),
        (["compare", "z.npy", "--groups", "two_d.npy", "--method", "vicreg"], ["--groups", "1-D"]),
        (["compare", "z.npy", "--labels", "short.npy", "--method", "vicreg"], ["--labels", "8 labels"]),
        (["compare", "z.npy", "--graph", "empty.npy", "--method", "vicreg"], ["graph", "empty.npy"]),
        ([*_VERIFY, "--seed", "-1", "--out", "report"], ["--seed", "non-negative"]),
        ([*_VERIFY, "--out", "file.txt"], ["--out", "file.txt", "is a file"]),
        ([*_VERIFY, "--out", "file.txt/out"], ["--out", "below the file"]),
        ([*_VERIFY, "--out", "file.txt/a/b"], ["--out", "below the file"]),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) and v and v[0] in ("compare", "verify") else None,
)
def test_bad_input_is_one_line_exit_2(argv, names, tmp_path, capsys, monkeypatch):
    _bad_input_files(tmp_path)
    monkeypatch.chdir(tmp_path)

    def no_run(*args, **kwargs):  # the checks must come before the claims run
        raise AssertionError("claims ran before the bad input was refused")

    monkeypatch.setattr(claims, "run_claims", no_run)
    status = main(argv)  # an exception here would be the traceback the user sees
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.startswith("ssltheory: error:")
    assert err.count("\n") == 1, err
    assert err.endswith("\n"), err
    assert "Traceback" not in err
    for name in names:
        assert name in err, (name, err)


def test_bad_input_in_a_subprocess_has_no_traceback(tmp_path):
    # the console path end to end, for the two cases that used to escape as MemoryError and EOFError
    _bad_input_files(tmp_path)
    for name in ("huge.npy", "empty.npy"):
        proc = subprocess.run(
            [sys.executable, "-m", "ssltheory", "compare", name, "--views", "2", "--method", "vicreg"],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stderr.count("\n") == 1
        assert name in proc.stderr


def test_compare_refuses_an_array_larger_than_memory(tmp_path, capsys, monkeypatch):
    # a complete, readable file whose array would not fit: the physical memory is patched down to
    # 100 bytes so that an 8 x 2 float64 array (128 bytes) exceeds it
    from ssltheory import cli

    _bad_input_files(tmp_path)
    monkeypatch.setattr(cli, "_physical_memory", lambda: 100)
    assert main(["compare", str(tmp_path / "z.npy"), "--views", "2", "--method", "vicreg"]) == 2
    err = capsys.readouterr().err
    assert "128 bytes" in err
    assert "100 bytes of memory" in err
    assert err.count("\n") == 1


def test_compare_accepts_integer_valued_float_labels(tmp_path, capsys):
    # labels saved as floats (0.0, 1.0, ...) give the same report as the same labels saved as integers
    rng = np.random.default_rng(1)
    z = rng.standard_normal((12, 2))
    np.save(tmp_path / "z.npy", z)
    labels = np.repeat(np.arange(4), 3)
    np.save(tmp_path / "int.npy", labels)
    np.save(tmp_path / "float.npy", labels.astype(np.float64))
    reports = []
    for name in ("int.npy", "float.npy"):
        status = main(
            ["compare", str(tmp_path / "z.npy"), "--labels", str(tmp_path / name), "--method", "wmse"]
        )
        assert status in (0, 1)
        reports.append(capsys.readouterr().out)
    assert reports[0] == reports[1]


def test_verify_out_is_created_before_the_claims_run(tmp_path, monkeypatch):
    # a fresh nested --out directory is made (and found writable) before any claim runs
    seen = []

    def fake_run(*args, **kwargs):
        seen.append((tmp_path / "a" / "b").is_dir())
        raise KeyboardInterrupt

    monkeypatch.setattr(claims, "run_claims", fake_run)
    with pytest.raises(KeyboardInterrupt):
        main([*_VERIFY, "--out", str(tmp_path / "a" / "b")])
    assert seen == [True]

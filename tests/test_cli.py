"""The command-line interface: list, verify (report files, exit codes), bad arguments."""

from __future__ import annotations

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
    md = (tmp_path / "report.md").read_text()
    assert "| claim |" in md
    assert "graphs.dirichlet_energy" in md


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
    assert "claims passed" in out
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


def test_verify_report_only_failure_does_not_gate(tmp_path, capsys):
    c = _broken_claim()
    soft = Claim("toy.soft", c.statement, c.spec, c.problems, c.predict, c.measure, c.compare, gating=False)
    claims.register(soft)
    try:
        status = main(
            ["verify", "--claim", "toy.soft", "--no-progress", "--no-figures", "--out", str(tmp_path)]
        )
    finally:
        claims.unregister("toy.soft")
    assert status == 0
    assert "report-only" in capsys.readouterr().out


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

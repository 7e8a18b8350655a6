"""The README's promises: exactly two commands, .ci/run runs the test one verbatim, the tour runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return [b.strip() for b in re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)]


def test_exactly_two_commands_and_ci_runs_the_test_one():
    commands = _blocks("bash")
    assert len(commands) == 2, commands
    install_and_verify, install_and_test = commands
    assert "ssltheory verify --quick" in install_and_verify
    assert "pytest" in install_and_test
    ci = (ROOT / ".ci" / "run").read_text()
    assert f'{install_and_test} "$@"' in ci, ".ci/run must run the README's test command verbatim"


def test_api_tour_runs(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the tour saves embedding.npy and graph.npy
    (tour,) = _blocks("python")
    exec(compile(tour, "README.md", "exec"), {})
    out = capsys.readouterr().out.split()
    assert float(out[0]) < 1e-12  # subspace distance of a rotated copy: rounding only
    assert float(out[1]) < 1e-12  # Procrustes relative residual of a rotated copy
    assert out[2] == "4"  # rank of the VICReg optimum (γ small: every kept direction survives)
    assert out[4] == "True"  # the rotated, shifted optimum passes compare_to_theory
    assert "graphs.dirichlet_energy" in out
    # the files the tour writes are what `ssltheory compare` reads (issue: compare a user's .npy)
    from ssltheory import cli

    argv = [
        "compare",
        "embedding.npy",
        "--graph",
        "graph.npy",
        "--method",
        "vicreg",
        "--invariance-weight",
        "0.05",
    ]
    assert cli.main(argv) == 0
    assert "PASS" in capsys.readouterr().out

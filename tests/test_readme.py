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


def test_api_tour_runs(capsys):
    (tour,) = _blocks("python")
    exec(compile(tour, "README.md", "exec"), {})
    out = capsys.readouterr().out.split()
    assert float(out[0]) < 1e-12  # subspace distance of a rotated copy: rounding only
    assert float(out[1]) < 1e-12  # Procrustes relative residual of a rotated copy
    assert "graphs.dirichlet_energy" in out

"""The README's promises: exactly two commands, .ci/run runs the test one verbatim, the tour runs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

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
    tour, _ = _blocks("python")
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


def test_check_your_run_block_runs_on_a_trained_linear_head(capsys):
    # the README's three lines on a linear head at the optimum of solo-learn's VICReg (the default
    # (25, 25, 1) weights, hinge on the std): the closed form computed independently of the check
    # (raw-data route, dense graph) must PASS; a head at random weights must FAIL
    from ssltheory.graphs import augmentation_graph
    from ssltheory.losses import to_paper
    from ssltheory.spectral import vicreg_linear_weights

    _, check_block = _blocks("python")
    rng = np.random.default_rng(0)
    base = rng.standard_normal((80, 6))
    x = np.concatenate([base, base + 0.3 * rng.standard_normal((80, 6))])
    k = 4
    paper = to_paper(method="vicreg", convention="solo_learn", n_components=k)
    w = vicreg_linear_weights(x, augmentation_graph(80, 2), n_components=k, **paper.loss_kwargs).weights
    exec(compile(check_block, "README.md", "exec"), {"Z": x @ w + 0.5, "X": x})
    assert re.search(r"^result +PASS$", capsys.readouterr().out, flags=re.M)
    exec(compile(check_block, "README.md", "exec"), {"Z": x @ rng.standard_normal((6, k)), "X": x})
    assert re.search(r"^result +FAIL$", capsys.readouterr().out, flags=re.M)

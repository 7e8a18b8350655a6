"""compare_to_theory and ``ssltheory compare``: an embedding against the closed-form optimum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import DegenerateSpectrumWarning, cli, losses
from ssltheory.claims._optim import loss_on_host, minimize_multistart
from ssltheory.compare import compare_to_theory
from ssltheory.graphs import augmentation_graph, label_graph
from ssltheory.spectral import vicreg_embedding


def _weighted_graph(rng: np.random.Generator, n: int) -> np.ndarray:
    g = rng.uniform(0.2, 1.0, (n, n)) * (rng.random((n, n)) < 0.5)
    g = np.triu(g, 1) + np.diag(np.ones(n - 1), 1)  # a path keeps it connected
    return g + g.T


def _random_rotation(rng: np.random.Generator, k: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((k, k)))
    return q * np.sign(np.diag(r))


def test_optimum_up_to_its_free_parameters_passes(xp, rng):
    # VICReg-sq with α = β: the optimum is free up to Z → Z R + 1 mᵀ (spec §3); both must pass
    g = _weighted_graph(rng, 16)
    z = np.asarray(vicreg_embedding(g, n_components=4, invariance_weight=0.05).embedding)
    moved = z @ _random_rotation(rng, 4) + rng.standard_normal(4)
    gap = compare_to_theory(xp.asarray(moved), xp.asarray(g), method="vicreg", invariance_weight=0.05)
    assert gap.passed, gap.report()
    # the loss is the same function at a rotated/translated point: the gap is rounding only,
    # a few eps times the number of terms (N²K) times the loss scale
    assert abs(gap.gap.absolute) <= 1e3 * 16 * 16 * 4 * np.finfo(float).eps * max(1.0, gap.optimal_loss)
    assert gap.subspace_distance <= 1e-6
    assert type(gap.principal_angles) is type(xp.asarray(moved))


def test_optimiser_result_agrees_with_the_closed_form(rng):
    # independent side: multi-start L-BFGS on the loss evaluator itself
    g = _weighted_graph(rng, 12)
    weights = {"variance_weight": 1.0, "covariance_weight": 1.0, "invariance_weight": 0.1}
    best = minimize_multistart(loss_on_host(losses.VICRegLoss(**weights), g), (12, 3), rng=rng, n_starts=3)
    gap = compare_to_theory(best.embedding, g, method="vicreg", **weights)
    assert gap.passed, gap.report()
    assert not gap.below_optimum


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 5))
def test_closed_form_is_a_lower_bound(seed, k):
    # any embedding, the closed-form optimal loss bounds its loss from below
    rng = np.random.default_rng(seed)
    g = _weighted_graph(rng, 10)
    z = rng.standard_normal((10, k)) * rng.uniform(0.1, 3.0)
    gap = compare_to_theory(z, g, method="vicreg", invariance_weight=0.2)
    assert not gap.below_optimum
    # rounding of the two loss evaluations: ~N²K·eps relative, far below 1e-10
    assert gap.gap.absolute >= -1e-10 * max(1.0, gap.optimal_loss)


def test_tied_optimum_checks_containment(rng):
    # augmentation graph, N' = 8: the invariant eigenvalue 0 has multiplicity 7; with K = 3 any
    # 3-dim subspace of the invariant space is optimal: a rotated basis of another such subspace passes
    g = augmentation_graph(8, 2)
    base = np.asarray(vicreg_embedding(g, n_components=7, invariance_weight=0.5).embedding)  # whole cluster
    with pytest.warns(DegenerateSpectrumWarning):  # what a direct K = 3 solve says
        vicreg_embedding(g, n_components=3, invariance_weight=0.5)
    other = base @ _random_rotation(rng, 7)[:, :3]
    gap = compare_to_theory(other, g, method="vicreg", invariance_weight=0.5)
    assert gap.tied
    assert gap.passed, gap.report()


def test_random_embedding_fails_with_large_subspace_distance(rng):
    g = augmentation_graph(8, 2)
    z = rng.standard_normal((16, 3))
    gap = compare_to_theory(z, g, method="vicreg", invariance_weight=0.5)
    assert not gap.passed
    assert gap.gap.absolute > 0.1  # a random point is far above the optimum
    assert "FAIL" in gap.report()


def test_rank_prediction_is_checked(rng):
    # augmentation graph, V = 2: non-invariant directions die iff γ'·V ≥ α (spec §4.8); with γ = 1
    # the optimum has rank N' − 1 = 3 < K = 5; an embedding with all 5 directions alive fails on rank
    g = augmentation_graph(4, 2)
    opt = compare_to_theory(
        np.asarray(vicreg_embedding(g, n_components=5, invariance_weight=1.0).embedding),
        g,
        method="vicreg",
        invariance_weight=1.0,
    )
    assert opt.predicted_rank == opt.observed_rank == 3
    full = rng.standard_normal((8, 5))
    gap = compare_to_theory(full, g, method="vicreg", invariance_weight=1.0)
    assert gap.observed_rank == 5
    assert not gap.passed


def test_label_graph_wmse(rng):
    labels = np.repeat(np.arange(3), 4)
    g = label_graph(labels)
    from ssltheory.spectral import wmse_embedding

    z = np.asarray(wmse_embedding(g, n_components=2).embedding)
    gap = compare_to_theory(z @ _random_rotation(rng, 2), g, method="wmse")
    assert gap.passed, gap.report()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "vicrge"}, "method must be one of"),
        ({"method": "vicreg", "temperature": 0.5}, "unknown temperature"),
        ({"method": "vicreg", "loss_rtol": 0.0}, "loss_rtol"),
    ],
)
def test_bad_arguments(kwargs, match):
    g = augmentation_graph(4, 2)
    with pytest.raises(ValueError, match=match):
        compare_to_theory(np.ones((8, 2)) + np.arange(16).reshape(8, 2), g, **kwargs)


def test_graph_must_match_embedding():
    with pytest.raises(ValueError, match="graph"):
        compare_to_theory(
            np.random.default_rng(0).standard_normal((6, 2)), augmentation_graph(4, 2), method="vicreg"
        )


# ------------------------------------------------------------------ CLI


def test_cli_compare_on_saved_files(tmp_path, capsys, rng):
    g = augmentation_graph(6, 2)
    # K = 5 = N' − 1 keeps the whole invariant (eigenvalue 0) cluster: a unique optimal subspace
    z = np.asarray(vicreg_embedding(g, n_components=5, invariance_weight=0.1).embedding)
    np.save(tmp_path / "good.npy", z @ _random_rotation(rng, 5))
    np.save(tmp_path / "bad.npy", rng.standard_normal((12, 5)))
    np.save(tmp_path / "graph.npy", g)
    assert (
        cli.main(
            [
                "compare",
                str(tmp_path / "good.npy"),
                "--views",
                "2",
                "--method",
                "vicreg",
                "--invariance-weight",
                "0.1",
            ]
        )
        == 0
    )
    assert "PASS" in capsys.readouterr().out
    assert (
        cli.main(
            [
                "compare",
                str(tmp_path / "bad.npy"),
                "--graph",
                str(tmp_path / "graph.npy"),
                "--method",
                "vicreg",
                "--invariance-weight",
                "0.1",
            ]
        )
        == 1
    )
    assert "FAIL" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--views", "5", "--method", "vicreg"], "--views must be >= 2 and divide"),
        (["--views", "2", "--method", "nope"], "--method must be one of"),
        (["--views", "2", "--method", "wmse", "--temperature", "0.3"], "does not take --temperature"),
        (["--graph", "missing.npy", "--method", "vicreg"], "cannot read graph"),
    ],
)
def test_cli_compare_bad_arguments(tmp_path, capsys, extra, match):
    np.save(tmp_path / "z.npy", np.random.default_rng(1).standard_normal((12, 2)))
    assert cli.main(["compare", str(tmp_path / "z.npy"), *extra]) == 2
    assert match in capsys.readouterr().err

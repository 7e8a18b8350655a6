"""The digits "check your own run" example, at quick size: trained heads against the closed forms.

The workflow of ``notebooks/50_digits__check_your_run.ipynb`` (see ``docs/check_your_run.md``) runs
once, through ``tests/_digits_workflow.py`` (``ssltheory.nets``, full-batch L-BFGS, a
``TheoryTracker``); these tests check what it produced. The penalty is ``PENALTY`` of that module.
Closed forms after Balestriero & LeCun (arXiv:2205.11508); VICReg: arXiv:2105.04906.
"""

from __future__ import annotations

import importlib.util
import json
import math

import numpy as np
import pytest
from _digits_workflow import (
    BUILDER,
    EVERY,
    N_COMPONENTS,
    N_IMAGES,
    N_STEPS,
    PENALTY,
    digits_views,
    kink,
    paper_weights,
    polish_at_kink,
    run_workflow,
)

from ssltheory.compare import compare_to_theory
from ssltheory.graphs import augmentation_graph
from ssltheory.losses import VICRegLoss
from ssltheory.nets import LBFGS, Linear, train
from ssltheory.spectral import vicreg_linear_weights
from ssltheory.track import read_json_lines

HAS_MPL = importlib.util.find_spec("matplotlib") is not None

# Trained against closed form: an optimiser on the head's parameters against an eigenproblem on
# X^T L X, X^T H X. At a non-degenerate minimum the loss gap is quadratic in the parameter error;
# L-BFGS stops at a relative decrease of 1e-15 (nets.LBFGS's ftol) and the gap measures ~6e-15
# (square). 1e-9 leaves five orders for BLAS and platforms, and is far below L-BFGS's first-order
# stall at the hinge's kink (4e-3 relative, measured), which the kink polish removes.
TRAINED_RTOL = 1e-9
# Two evaluations of one loss at one point (different formulas: stacked covariance versus the N x N
# Gram blocks, Laplacian versus view differences): rounding only, ~1e-15 measured; 1e-12 is loose.
SAME_VALUE_RTOL = 1e-12


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    figure = tmp_path_factory.mktemp("digits") / "digits_linear_run.png" if HAS_MPL else None
    return run_workflow(figure_path=figure)


@pytest.fixture(scope="module")
def closed(run):
    """The linear class's optimum on the same data (dense graph: an independent route)."""
    return vicreg_linear_weights(
        run.X, augmentation_graph(N_IMAGES, 2), n_components=N_COMPONENTS, **run.weights
    )


def _graph():
    return augmentation_graph(N_IMAGES, 2, sparse=True)


def test_committed_notebook_checks_the_same_penalty():
    # PENALTY comes from the builder; the committed notebook must have been rebuilt after a flip
    notebook = BUILDER.with_name("50_digits__check_your_run.ipynb")
    code = "\n".join(
        "".join(c["source"])
        for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        if c["cell_type"] == "code"
    )
    assert f'PENALTY = "{PENALTY}"' in code, (
        f"rebuild: .venv/bin/python {BUILDER.relative_to(BUILDER.parents[1])}"
    )


def test_weights_are_the_reference_implementation_in_paper_form(run):
    # (sim, std, cov) = (25, 25, 1) of facebookresearch/vicreg, K = 16, two views of B = 300:
    # gamma = w_inv / K, beta = 2 w_cov / K, alpha = 2 s w_var / K with s = 1/2 (to_paper's docstring)
    k = N_COMPONENTS
    assert run.weights["invariance_weight"] == pytest.approx(25.0 / k, rel=1e-15)
    assert run.weights["covariance_weight"] == pytest.approx(2.0 / k, rel=1e-15)
    assert run.weights["variance_weight"] == pytest.approx(25.0 / k, rel=1e-15)
    assert run.weights["variance_penalty"] == PENALTY
    assert run.X.shape == (2 * N_IMAGES, 64)
    # standardised columns; views of one image are closer than views of different images
    assert np.allclose(run.X.mean(axis=0), 0.0, atol=1e-12)
    assert np.allclose(run.X.std(axis=0), 1.0, rtol=1e-12)
    same = np.mean(np.sum((run.X[:N_IMAGES] - run.X[N_IMAGES:]) ** 2, axis=1))
    other = np.mean(np.sum((run.X[:N_IMAGES] - np.roll(run.X[N_IMAGES:], 1, axis=0)) ** 2, axis=1))
    assert same < 0.75 * other


def test_lbfgs_decreases_the_loss(run):
    # L-BFGS's line search accepts only decreasing steps: monotone up to rounding of the loss
    losses = np.asarray(run.history.losses)
    assert np.all(np.diff(losses) <= 1e-12 * abs(losses[0]))
    if PENALTY != "hinge":  # smooth loss: converges before the cap (at the kink it may stall instead)
        assert run.history.n_steps < N_STEPS


def test_closed_form_attains_its_loss(run, closed):
    # the closed form's reported loss against the evaluator at its own weights (Z = X W*, any bias)
    z_star = run.X @ closed.weights
    assert float(run.loss(z_star, _graph())) == pytest.approx(closed.loss, rel=SAME_VALUE_RTOL)


def test_trained_linear_head_reaches_the_closed_form(run, closed):
    trained = float(run.loss(run.Z, _graph()))
    rel_gap = (trained - closed.loss) / abs(closed.loss)
    assert -TRAINED_RTOL <= rel_gap <= TRAINED_RTOL, (trained, closed.loss, rel_gap)


def test_compare_to_theory_passes_for_the_linear_head(run, closed):
    check = compare_to_theory(
        run.Z, method="vicreg", model="linear", features=run.X, n_views=2, **run.weights
    )
    assert check.passed, check.report()
    assert check.model == "linear"
    assert not check.below_optimum
    assert check.optimal_loss == pytest.approx(closed.loss, rel=SAME_VALUE_RTOL)
    assert check.predicted_rank == check.observed_rank == closed.rank
    assert "PASS" in check.report()


def test_mlp_is_below_the_linear_optimum_and_above_the_free_one(run, closed):
    on_inputs = compare_to_theory(
        run.Z_mlp, method="vicreg", model="linear", features=run.X, n_views=2, **run.weights
    )
    # the MLP is not a linear map of X: the linear optimum does not bound it, and the report says so
    assert on_inputs.below_optimum, on_inputs.report()
    assert not on_inputs.passed
    assert "below the closed-form optimum" in on_inputs.report()
    free = compare_to_theory(run.Z_mlp, method="vicreg", model="free", n_views=2, **run.weights)
    # nothing beats the free optimum (any Z), neither network nor the linear class itself. With
    # K = 16 <= B - 1 invariant directions the free optimum is 0 (a bound only, as the notebook says)
    assert free.optimal_loss == pytest.approx(0.0, abs=1e-12)
    assert free.gap.absolute >= 0
    assert not free.below_optimum
    free_linear = compare_to_theory(run.Z, method="vicreg", model="free", n_views=2, **run.weights)
    assert free_linear.gap.absolute >= 0
    assert closed.loss >= free.optimal_loss
    assert math.isnan(free.gap.relative)  # a zero optimum has no relative gap


def test_mlp_last_layer_is_the_linear_optimum_on_its_hidden_features(run):
    # the last layer IS a linear map of h(X): at a trained MLP it must be that class's optimum
    # (with the hinge after the kink stage: L-BFGS alone stalls 5.6 % above it, measured)
    if run.mlp_slopes is not None:
        assert np.all(run.mlp_slopes >= -1e-6)
        assert np.all(run.mlp_slopes <= run.weights["variance_weight"] / 2 + 1e-6)
    last = compare_to_theory(
        run.Z_mlp, method="vicreg", model="linear", features=run.hidden, n_views=2, **run.weights
    )
    assert last.passed, last.report()


def test_tracker_records_the_run(run, closed, tmp_path):
    records = run.tracker.to_records()
    extra = 1 if PENALTY == "hinge" else 0  # one record after the kink polish
    assert len(records) == 1 + run.history.n_steps // EVERY + extra  # the start, every 5th step
    assert [r["step"] for r in records[: 1 + run.history.n_steps // EVERY]] == list(
        range(0, run.history.n_steps + 1, EVERY)
    )
    assert all(r["model"] == "linear" and r["n_samples"] == N_IMAGES and r["n_views"] == 2 for r in records)
    assert all(math.isfinite(r["loss"]) and math.isfinite(r["gap"]) for r in records)
    # the features do not change: every record has the same optimum, the closed form of the whole set
    # (streamed statistics from the sample index versus the dense graph: two routes, rounding apart)
    for r in records:
        assert r["optimal_loss"] == pytest.approx(closed.loss, rel=SAME_VALUE_RTOL)
    first, last = records[0], records[-1]
    assert first["gap"] > 0.1 * abs(closed.loss)  # a random head is far from the optimum
    # the tracker's own loss formula against VICRegLoss, at the final head
    assert last["loss"] == pytest.approx(float(run.loss(run.Z, _graph())), rel=SAME_VALUE_RTOL)
    assert abs(last["relative_gap"]) <= TRAINED_RTOL
    assert last["predicted_rank"] == last["observed_rank"] == closed.rank
    assert not last["collapsed"]
    # the recorded losses follow L-BFGS's (monotone) history
    steps = {r["step"]: r["loss"] for r in records}
    for step in range(EVERY, run.history.n_steps + 1, EVERY):
        assert steps[step] == pytest.approx(run.history.losses[step - 1], rel=SAME_VALUE_RTOL)
    path = tmp_path / "run.jsonl"
    run.tracker.to_json_lines(path)
    assert read_json_lines(path) == records


@pytest.mark.skipif(not HAS_MPL, reason="plot_run needs matplotlib (ssltheory[plot])")
def test_figure_is_written(run):
    # plot_run draws on a matplotlib.figure.Figure (no pyplot): saving a .png renders with Agg
    assert run.figure_path.is_file()
    assert run.figure_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run.figure_path.stat().st_size > 10_000  # six panels, not an empty canvas


def test_kink_polish_meets_the_hinge_optimality_condition():
    """The hinge-only second stage, exercised whatever ``PENALTY`` is (needs only the hinge loss)."""
    X = digits_views()
    graph = _graph()
    weights = paper_weights(penalty="hinge")
    loss = VICRegLoss(**weights)
    head = Linear(64, N_COMPONENTS).init(np.random.default_rng(1))
    stalled = train(head, loss, X, graph, optimizer=LBFGS(), n_steps=N_STEPS, progress=False).final_loss
    res, slopes = polish_at_kink(head, loss, X, graph, weights)
    z = head.forward(X, train=False)
    polished = float(loss(z, graph))
    assert polished == pytest.approx(res.fun, rel=SAME_VALUE_RTOL)  # the head holds the polished point
    # L-BFGS stalls ~4e-3 (relative) above the optimum at the kink: the polish must remove most of it
    assert polished < stalled - 1e-3 * abs(stalled)
    # the held columns sit exactly at the kink C_kk = tau (rounding of the normalisation only)
    zc = z - z.mean(axis=0)
    var = np.sum(zc * zc, axis=0) / (z.shape[0] - weights["ddof"])
    held = np.sort(var)[::-1][: slopes.shape[0]]
    assert np.allclose(held, kink(weights), rtol=1e-12, atol=0)
    assert slopes.shape[0] >= 1
    # optimality along each held column's scale: the smooth part's slope in [0, alpha/2] (the
    # sub-differential of the hinge at the kink). Measured 0.687 against alpha/2 = 0.781; 1e-6
    # allows for the polished point being a minimiser to ~1e-15 in loss only (slope error ~sqrt)
    alpha = weights["variance_weight"]
    assert np.all(slopes >= -1e-6), slopes
    assert np.all(slopes <= alpha / 2 + 1e-6), slopes

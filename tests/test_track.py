"""TheoryTracker against independent computations: the loss evaluator, the solvers, dense NumPy."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from ssltheory import _backend
from ssltheory._warnings import DegenerateSpectrumWarning
from ssltheory.compare import alpha_req, lidar
from ssltheory.graphs import augmentation_graph
from ssltheory.losses import vicreg_loss
from ssltheory.spectral import vicreg_embedding, vicreg_linear_weights
from ssltheory.track import METRICS, TheoryTracker, plot_run, read_json_lines

# float64 throughout: losses are sums of O(K²) terms of size O(1), so rounding is ~K²·eps ≈ 1e-12;
# 1e-9 relative leaves three orders of margin and still catches any wrong normaliser.
RTOL = 1e-9

WEIGHT_SETS = [
    {"variance_weight": 1.0, "covariance_weight": 2.0, "invariance_weight": 0.3},  # β ≥ α
    {"variance_weight": 3.0, "covariance_weight": 0.5, "invariance_weight": 0.2},  # α > β (rotation)
    {
        "variance_weight": 1.0,
        "covariance_weight": 1.0,
        "invariance_weight": 0.7,
        "variance_penalty": "squared_hinge",
        "ddof": 0,
    },
]


def _views(rng, b, v, k, *, noise=0.3, mean=0.5):
    base = rng.standard_normal((b, k)) + mean
    return [base + noise * rng.standard_normal((b, k)) for _ in range(v)]


def _to(xp, arrays):
    return tuple(xp.asarray(a) for a in arrays)


# ----------------------------------------------------------------------------- loss and optimum
@pytest.mark.parametrize("weights", WEIGHT_SETS)
@pytest.mark.parametrize(("b", "v", "k"), [(12, 2, 5), (6, 3, 30)])  # N > K and N <= K branches
def test_loss_equals_the_evaluator_on_the_stacked_views(xp, rng_seed, weights, b, v, k):
    rng = np.random.default_rng(rng_seed)
    views = _views(rng, b, v, k)
    rec = TheoryTracker(**weights).update(0, _to(xp, views))
    expected = float(vicreg_loss(np.concatenate(views), augmentation_graph(b, v), **weights))
    assert rec["loss"] == pytest.approx(expected, rel=RTOL)
    # the invariance term alone, from its definition (1/N) Σ_ij G_ij ‖z_i − z_j‖²
    z = np.concatenate(views)
    g = augmentation_graph(b, v)
    d2 = ((z[:, None, :] - z[None, :, :]) ** 2).sum(-1)
    assert rec["invariance"] == pytest.approx(float((g * d2).sum()) / (b * v), rel=RTOL)


@pytest.mark.parametrize("weights", WEIGHT_SETS)
@pytest.mark.parametrize("k", [6, 16])  # N = 14 > K (the invariant directions only) and N <= K
def test_free_optimum_equals_vicreg_embedding_and_gap_vanishes_there(xp, weights, k):
    b, v = 7, 2  # L has eigenvalues 0 (x6 on 1-perp) and 2 (x7): neither K splits a cluster
    tracker = TheoryTracker(**weights)
    sol = vicreg_embedding(augmentation_graph(b, v), n_components=k, **weights)
    z_star = np.asarray(sol.embedding)
    rec = tracker.update(0, _to(xp, [z_star[p * b : (p + 1) * b] for p in range(v)]))
    assert rec["optimal_loss"] == pytest.approx(sol.loss, rel=RTOL)
    assert rec["predicted_rank"] == sol.rank
    # at the optimum itself: the loss there equals L* up to the rounding of both evaluations
    # (O(K²) terms of size O(1) in float64: a few 1e-15; 1e-10 absolute leaves ample margin)
    assert abs(rec["gap"]) < 1e-10
    assert rec["invariance"] == pytest.approx(rec["predicted_invariance"], rel=1e-9, abs=1e-12)
    assert rec["observed_spectrum"] == pytest.approx(rec["predicted_spectrum"], abs=1e-10)
    assert rec["observed_rank"] == rec["predicted_rank"]
    assert rec["collapsed"] is False


@pytest.mark.parametrize("weights", WEIGHT_SETS[:2])
def test_linear_optimum_equals_vicreg_linear_weights_and_gap_vanishes_there(xp, rng_seed, weights):
    rng = np.random.default_rng(rng_seed)
    b, v, d, k = 30, 2, 6, 3
    feats = _views(rng, b, v, d, noise=0.5)
    x = np.concatenate(feats)
    sol = vicreg_linear_weights(x, augmentation_graph(b, v), n_components=k, **weights)
    tracker = TheoryTracker(model="linear", **weights)
    # a random head: the recorded optimum does not depend on the embedding
    w_rand = rng.standard_normal((d, k))
    rec = tracker.update(0, _to(xp, [f @ w_rand for f in feats]), features=_to(xp, feats))
    assert rec["optimal_loss"] == pytest.approx(sol.loss, rel=1e-8)  # two solver routes: ~1e-12
    assert rec["gap"] > 0
    # at Z = X W*: the gap is rounding only (eigen-solve of a 6×6 pencil, then the loss: ~1e-12)
    rec = tracker.update(1, _to(xp, [f @ np.asarray(sol.weights) for f in feats]), features=_to(xp, feats))
    assert abs(rec["gap"]) < 1e-9 * max(1.0, abs(rec["optimal_loss"]))
    assert rec["observed_rank"] == sol.rank


def test_gap_is_nonnegative_on_random_embeddings(rng_seed):
    rng = np.random.default_rng(rng_seed)
    tracker = TheoryTracker(invariance_weight=0.5)
    for step in range(5):
        rec = tracker.update(step, tuple(_views(rng, 10, 2, 4, noise=rng.uniform(0, 1), mean=rng.normal())))
        assert rec["gap"] >= -1e-12  # L* is the global minimum (rounding only below 0)


def test_hinge_penalty_records_the_hinge_closed_form():
    # paper ratio variance/covariance = 12.5 (the certified regime); the tracker's optimum comes from
    # the known spectrum of the augmentation graph, the reference from the eigensolver route
    weights = {"variance_weight": 12.5, "covariance_weight": 1.0, "invariance_weight": 0.5}
    tracker = TheoryTracker(variance_penalty="hinge", variance_eps=1e-4, **weights)
    x = np.random.default_rng(0).standard_normal((8, 3))
    rec = tracker.update(0, (x, x + 0.1))
    with pytest.warns(DegenerateSpectrumWarning):  # 7 invariant directions, 3 kept: a tied cluster
        ref = vicreg_embedding(
            augmentation_graph(8, 2), n_components=3, variance_penalty="hinge", variance_eps=1e-4, **weights
        )
    assert rec["optimal_loss"] == pytest.approx(ref.loss, rel=1e-12, abs=1e-12)
    assert rec["gap"] >= -1e-10
    with pytest.raises(ValueError, match=r"variance_eps .* applies to variance_penalty=.hinge. only"):
        TheoryTracker(variance_eps=1e-4)


# ----------------------------------------------------------------------------- collapse
def test_complete_and_dimensional_collapse_are_flagged(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    b, k = 16, 6
    tracker = TheoryTracker(invariance_weight=0.1)
    same = np.ones((b, k)) * rng.standard_normal(k)  # every row equal: Cov = 0
    rec = tracker.update(0, _to(xp, [same, same]))
    assert rec["observed_rank"] == 0
    assert rec["collapsed"] is True
    assert rec["rankme"] == pytest.approx(1.0, rel=1e-4)  # one nonzero singular value (ε shift only)
    assert rec["lidar"] is None  # undefined: zero scatter
    assert rec["alpha_req"] is None
    line = rng.standard_normal((b, 1)) * rng.standard_normal((1, k))  # rank one, centred rank one
    line = line - line.mean(0)
    rec = tracker.update(1, _to(xp, [line, line + 0.0]))
    assert rec["observed_rank"] == 1
    assert rec["collapsed"] is True
    assert rec["predicted_rank"] == k
    assert rec["rankme"] == pytest.approx(1.0, rel=1e-4)


# ----------------------------------------------------------------------------- metrics
def _entropy_rank(values, eps):
    p = values / values.sum() + eps
    p = p[p > 0]  # 0 log 0 = 0
    return math.exp(-np.sum(p * np.log(p)))


@pytest.mark.parametrize(("b", "k"), [(25, 4), (6, 20)])
def test_metrics_match_independent_formulas(xp, rng_seed, b, k):
    from scipy.linalg import eigh
    from scipy.spatial.distance import pdist

    rng = np.random.default_rng(rng_seed)
    v = 2
    views = [m * np.linspace(2.0, 0.5, k) for m in _views(rng, b, v, k, noise=0.4)]
    z = np.concatenate(views)
    n = b * v
    delta = 1e-3
    rec = TheoryTracker(lidar_delta=delta, lidar_eps=0.0).update(0, _to(xp, views))
    s = np.linalg.svd(z, compute_uv=False)
    assert rec["rankme"] == pytest.approx(_entropy_rank(s, 1e-7), rel=1e-9)  # Garrido et al.
    for variant, (sv, eps) in {
        "stable_pretraining": (s, 1e-5),
        "reptrix": (np.linalg.svd(z - z.mean(0), compute_uv=False) ** 2, 1e-7),
    }.items():
        other = TheoryTracker(rankme_variant=variant, metrics=["rankme"]).update(0, _to(xp, views))
        assert other["rankme"] == pytest.approx(_entropy_rank(sv, eps), rel=1e-9)
    # LiDAR from dense Σ_w, Σ_b (classes = the samples), a different route from the tracker's
    means = z.reshape(v, b, k).mean(0)
    sb = np.cov(means.T)
    within = z - np.tile(means, (v, 1))
    sw = within.T @ within / (n - b) + delta * np.eye(k)
    lam = eigh(sb, sw, eigvals_only=True)
    assert rec["lidar"] == pytest.approx(_entropy_rank(np.clip(lam, 0, None), 0.0), rel=1e-7)
    assert rec["alpha_req"] == pytest.approx(alpha_req(z), rel=1e-8)
    u = [w / np.linalg.norm(w, axis=1, keepdims=True) for w in views]
    assert rec["alignment"] == pytest.approx(np.mean(np.sum((u[0] - u[1]) ** 2, axis=1)), rel=1e-10)
    unif = np.mean([np.log(np.mean(np.exp(-2.0 * pdist(w, "sqeuclidean")))) for w in u])
    assert rec["uniformity"] == pytest.approx(unif, rel=1e-10)
    spec = np.sort(np.linalg.eigvalsh(np.cov(z.T)))[::-1]
    assert rec["observed_spectrum"] == pytest.approx(spec[:32].tolist(), abs=1e-10)


def test_lidar_in_the_tracker_is_invariant_to_an_invertible_linear_map(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    b, v, k = 40, 3, 5  # N - B = 80 ≥ K: Σ_w invertible, so δ = 0 is allowed and exact
    views = _views(rng, b, v, k, noise=0.6)
    a = rng.standard_normal((k, k)) + 2 * np.eye(k)
    tracker = TheoryTracker(lidar_delta=0.0, metrics=["lidar"])
    base = tracker.update(0, _to(xp, views))["lidar"]
    mapped = tracker.update(1, _to(xp, [w @ a + 3.0 for w in views]))["lidar"]
    # exact invariance; rounding grows with cond(A) (~10 here) times eps: 1e-9 is generous
    assert mapped == pytest.approx(base, rel=1e-9)
    groups = np.tile(np.arange(b), v)
    assert base == pytest.approx(lidar(np.concatenate(views), groups, delta=0.0), rel=1e-10)


def test_metrics_selection_and_cadences():
    rng = np.random.default_rng(1)
    tracker = TheoryTracker(every=2, theory_every=4, metrics=("alignment", "spectrum"))
    assert tracker.update(1, tuple(_views(rng, 8, 2, 3))) is None
    rec = tracker.update(2, tuple(_views(rng, 8, 2, 3)))  # recorded, no spectral part
    assert rec["alignment"] is not None
    assert rec["observed_rank"] is None
    assert rec["uniformity"] is None
    rec = tracker.update(4, tuple(_views(rng, 8, 2, 3)))
    assert rec["observed_rank"] is not None
    assert rec["rankme"] is None
    assert rec["lidar"] is None
    assert [r["step"] for r in tracker.to_records()] == [2, 4]
    assert set(METRICS) == {"alignment", "alpha_req", "lidar", "rankme", "spectrum", "uniformity"}
    with pytest.raises(ValueError, match="metrics must be"):
        TheoryTracker(metrics=["rankme", "nope"])


def test_references_are_recorded():
    from ssltheory.compare import rankme_reference, uniformity_reference

    rec = TheoryTracker().update(0, tuple(_views(np.random.default_rng(0), 10, 2, 4)))
    assert rec["rankme_reference"] == rankme_reference(20, 4)
    assert rec["uniformity_reference"] == uniformity_reference(4)


# ----------------------------------------------------------------------------- backends
def test_inputs_keep_their_namespace_dtype_and_records_are_python_scalars(xp, rng_seed):
    rng = np.random.default_rng(rng_seed)
    views = _to(xp, _views(rng, 10, 2, 4))
    copies = [np.asarray(_backend.to_numpy(w)).copy() for w in views]
    tracker = TheoryTracker()
    rec = tracker.update(0, views)
    assert _backend.get_namespace(tracker.last_spectrum) is xp
    assert _backend.get_namespace(tracker.last_solution.scales) is xp
    for w, c in zip(views, copies, strict=True):
        np.testing.assert_array_equal(_backend.to_numpy(w), c)  # inputs untouched
    for key, value in rec.items():
        assert value is None or isinstance(value, (int, float, str, bool, list)), key
    json.dumps(rec, allow_nan=False)


def test_float32_stays_float32(rng_seed):
    rng = np.random.default_rng(rng_seed)
    views = tuple(w.astype(np.float32) for w in _views(rng, 10, 2, 4))
    tracker = TheoryTracker()
    rec = tracker.update(0, views)
    assert tracker.last_spectrum.dtype == np.float32
    # float32: loss agrees with the float64 evaluator to ~K²·eps32 relative
    expected = float(vicreg_loss(np.concatenate(views).astype(np.float64), augmentation_graph(10, 2)))
    assert rec["loss"] == pytest.approx(expected, rel=1e-5)


# ----------------------------------------------------------------------------- output
def test_json_lines_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    tracker = TheoryTracker(theory_every=2)
    for step in range(4):
        tracker.update(step, tuple(_views(rng, 8, 2, 3)))
    path = tmp_path / "run.jsonl"
    tracker.to_json_lines(path)
    lines = path.read_text().splitlines()
    assert len(lines) == 4
    assert read_json_lines(path) == tracker.to_records()
    assert json.loads(lines[1])["rankme"] is None  # not a theory step: null


def test_plot_run_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    rng = np.random.default_rng(0)
    tracker = TheoryTracker()
    for step in range(3):
        tracker.update(step, tuple(_views(rng, 8, 2, 3)))
    path = tmp_path / "run.png"
    fig = plot_run(tracker, path=path, title="run")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) >= 6
    plot_run(tracker.to_records())  # a list of records works too
    with pytest.raises(ValueError, match="no records"):
        plot_run([])


def test_plot_run_overlays_a_predicted_trajectory(tmp_path):
    # the dynamics panel draws each predicted eigenvalue curve (dashed) and the observed eigenvalue of
    # the same index from the records (solid); the curves are the closed form's, drawn as given
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from ssltheory.dynamics import stepwise_trajectory

    rng = np.random.default_rng(0)
    tracker = TheoryTracker()
    for step in range(0, 30, 10):
        tracker.update(step, tuple(_views(rng, 8, 2, 3)))
    steps = np.arange(30.0)
    predicted = stepwise_trajectory(np.array([1.0, 0.5]), 0.05 * steps, init_scale=0.1).eigenvalues
    fig = plot_run(tracker, dynamics=(steps, predicted), path=tmp_path / "dyn.png")
    (panel,) = [ax for ax in fig.axes if ax.get_title() == "spectrum: dynamics"]
    dashed = [ln for ln in panel.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 2
    np.testing.assert_array_equal(dashed[1].get_ydata(), np.asarray(predicted)[:, 1])
    solid = [ln for ln in panel.get_lines() if ln.get_linestyle() == "-"]
    observed = [r["observed_spectrum"][0] for r in tracker.to_records()]
    np.testing.assert_allclose(solid[0].get_ydata(), observed)
    with pytest.raises(ValueError, match="dynamics must be"):
        plot_run(tracker, dynamics=(steps, predicted[:5]))
    with pytest.raises(ValueError, match="dynamics must be a pair"):
        plot_run(tracker, dynamics=predicted)


def test_plot_run_without_matplotlib_names_the_extra(monkeypatch):
    tracker = TheoryTracker()
    tracker.update(0, (np.eye(4), np.eye(4) + 0.1))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"ssltheory\[plot\]"):
        plot_run(tracker)


# ----------------------------------------------------------------------------- bad input
def test_bad_input_names_the_argument(xp):
    z = xp.asarray(np.random.default_rng(0).standard_normal((6, 3)))
    tracker = TheoryTracker()
    with pytest.raises(ValueError, match="views must all have the same shape"):
        tracker.update(0, (z, z[:5, :]))
    with pytest.raises(TypeError, match=r"views.*different array libraries"):
        tracker.update(0, (z, _strict_ones() if _backend.backend_name(xp) == "numpy" else np.ones((6, 3))))
    with pytest.raises(TypeError, match=r"views\[0\] must have a real floating dtype"):
        tracker.update(
            0, (xp.asarray(np.ones((6, 3), dtype=np.int64)), xp.asarray(np.ones((6, 3), dtype=np.int64)))
        )
    with pytest.raises(TypeError, match="views must be a tuple"):
        tracker.update(0, z)
    with pytest.raises(ValueError, match="views must be finite"):
        tracker.update(0, (z, xp.asarray(np.full((6, 3), np.nan))))
    with pytest.raises(TypeError, match="step must be an integer"):
        tracker.update(0.5, (z, z))
    linear = TheoryTracker(model="linear")
    with pytest.raises(ValueError, match=r"features .* are required for model='linear'"):
        linear.update(0, (z, z))
    x = xp.asarray(np.random.default_rng(1).standard_normal((5, 2)))
    with pytest.raises(ValueError, match="features must match views"):
        linear.update(0, (z, z), features=(x, x))
    with pytest.raises(ValueError, match="model must be one of"):
        TheoryTracker(model="mlp")
    with pytest.raises(ValueError, match="method must be one of"):
        TheoryTracker(method="simclr")
    with pytest.raises(ValueError, match="unknown sim_coeff"):
        TheoryTracker(sim_coeff=25.0)
    with pytest.raises(ValueError, match="rankme_variant"):
        TheoryTracker(rankme_variant="x")
    with pytest.raises(ValueError, match="every must be >= 1"):
        TheoryTracker(every=0)


def _strict_ones():
    import array_api_strict

    return array_api_strict.ones((6, 3), dtype=array_api_strict.float64)


# ----------------------------------------------------------------------------- integrations
def test_import_ssltheory_never_imports_a_framework():
    code = (
        "import sys, ssltheory\n"
        "ssltheory.track, ssltheory.integrations\n"
        "import ssltheory.integrations.lightning\n"
        "assert 'lightning' not in sys.modules and 'torch' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lightning_callback_without_lightning_names_the_extra(monkeypatch):
    from ssltheory.integrations.lightning import TheoryCallback

    monkeypatch.setitem(sys.modules, "lightning", None)
    monkeypatch.setitem(sys.modules, "lightning.pytorch", None)
    with pytest.raises(ImportError, match=r"ssltheory\[lightning\]"):
        TheoryCallback(TheoryTracker(), lambda out, batch: out)

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
from ssltheory.spectral import vicreg_embedding, vicreg_linear_weights


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


# ------------------------------------------------------------------ model classes (free / linear / kernel)


def _digits_views(n: int, rng: np.random.Generator) -> np.ndarray:
    # two noisy views of n sklearn digits (view-major), standardised: the user's problem
    from sklearn.datasets import load_digits

    base = load_digits().data[:n]
    x = np.concatenate([base + rng.normal(0.0, 1.0, base.shape), base + rng.normal(0.0, 1.0, base.shape)])
    return (x - x.mean(axis=0)) / x.std(axis=0)


def test_users_digits_case_linear_passes_and_free_fails(rng):
    # the exact linear closed form, rotated and shifted, is optimal for the LINEAR model class; it is
    # far above the free-embedding optimum (0: a fully invariant Z), so model="free" must fail
    x = _digits_views(600, rng)
    g = augmentation_graph(600, 2)
    sol = vicreg_linear_weights(x, g, n_components=8, invariance_weight=0.5)
    z = x @ sol.weights @ _random_rotation(rng, 8) + rng.standard_normal(8)
    lin = compare_to_theory(z, g, method="vicreg", model="linear", features=x, invariance_weight=0.5)
    assert lin.passed, lin.report()
    assert lin.model == "linear"
    assert "span(H X W*)" in lin.identifiable
    assert "model             linear" in lin.report()
    # same function at a rotated/translated point: rounding of two O(N D K) evaluations
    assert abs(lin.gap.absolute) <= 1e-10
    # the dense VICReg evaluator (independent of the streamed one) gives the same loss
    assert abs(lin.loss - float(losses.VICRegLoss(invariance_weight=0.5)(z, g))) <= 1e-12
    free = compare_to_theory(z, g, method="vicreg", invariance_weight=0.5)
    assert not free.passed
    assert not free.below_optimum
    assert free.optimal_loss == 0.0
    assert free.gap.absolute > 0.05
    assert np.isnan(free.gap.relative)  # never 1e306
    report = free.report()
    assert "nan relative" in report
    assert "optimal loss is zero" in report
    assert "FAIL" in report


def _pair_vicreg(x, m, gamma):
    """Independent VICReg (α = β = 1, square) for Z = X W + b on stacked pairs, with its gradient."""
    n = x.shape[0]
    h = n // 2

    def f(p):
        d = x.shape[1]
        w, b = p[: d * m].reshape(d, m), p[d * m :]
        z = x @ w + b
        zc = z - z.mean(axis=0)
        cov = zc.T @ zc / (n - 1)
        diff = z[:h] - z[h:]
        value = np.sum((1 - np.diag(cov)) ** 2) + np.sum((cov - np.diag(np.diag(cov))) ** 2)
        value += gamma * 2.0 * np.sum(diff**2) / n  # (γ/N) Σ_ij G_ij ‖z_i − z_j‖², each pair twice
        s = 2 * (cov - np.diag(np.diag(cov))) - 2 * np.diag(1 - np.diag(cov))
        gz = (2.0 / (n - 1)) * zc @ s
        gz[:h] += gamma * 4.0 * diff / n
        gz[h:] -= gamma * 4.0 * diff / n
        return value, np.concatenate([(x.T @ gz).ravel(), gz.sum(axis=0)])

    return f


def test_linear_optimum_reached_by_an_independent_optimiser(rng):
    import scipy.optimize

    x = _digits_views(200, rng)
    k, gamma = 4, 0.5
    f = _pair_vicreg(x, k, gamma)
    p0 = 0.1 * rng.standard_normal(x.shape[1] * k + k)
    res = scipy.optimize.minimize(
        f, p0, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-10, "ftol": 1e-15}
    )
    w = res.x[: x.shape[1] * k].reshape(x.shape[1], k)
    z = x @ w + res.x[x.shape[1] * k :]
    gap = compare_to_theory(
        z, method="vicreg", model="linear", features=x, n_views=2, invariance_weight=gamma
    )
    assert gap.passed, gap.report()
    assert abs(gap.loss - res.fun) <= 1e-10  # the streamed evaluation equals the independent one
    # perturbed weights: a strictly positive gap and a failure
    bad = x @ (w + 0.05 * rng.standard_normal(w.shape))
    worse = compare_to_theory(
        bad, method="vicreg", model="linear", features=x, n_views=2, invariance_weight=gamma
    )
    assert not worse.passed
    assert worse.gap.absolute > 1e-3
    assert not worse.below_optimum


def test_linear_route_equals_dense_route(xp, rng):
    n0, d, k = 40, 6, 3
    base = rng.standard_normal((n0, d))
    x = np.concatenate([base, base + 0.4 * rng.standard_normal((n0, d))])
    g = augmentation_graph(n0, 2)
    z = rng.standard_normal((2 * n0, k))
    weights = {"invariance_weight": 0.3, "variance_weight": 1.0, "covariance_weight": 2.0}
    xs, zs = xp.asarray(x), xp.asarray(z)
    dense = compare_to_theory(zs, xp.asarray(g), method="vicreg", model="linear", features=xs, **weights)
    views = compare_to_theory(zs, method="vicreg", model="linear", features=xs, n_views=2, **weights)
    labels = compare_to_theory(
        zs,
        method="vicreg",
        model="linear",
        features=xs,
        groups=xp.asarray(np.tile(np.arange(n0), 2)),
        **weights,
    )
    ref = vicreg_linear_weights(x, g, n_components=k, **weights)  # the dense closed form
    for gap in (dense, views, labels):
        assert abs(gap.optimal_loss - ref.loss) <= 1e-12
        assert abs(gap.loss - float(losses.VICRegLoss(**weights)(z, g))) <= 1e-12  # dense evaluator
        assert abs(gap.subspace_distance - dense.subspace_distance) <= 1e-10
        assert type(gap.principal_angles) is type(zs)
    # W-MSE under the linear model: bottom generalised eigenvalues of (XᵀLX, XᵀHX), by SciPy
    import scipy.linalg

    from ssltheory.graphs import graph_laplacian

    xc = x - x.mean(axis=0)
    mu = scipy.linalg.eigh(xc.T @ graph_laplacian(g) @ xc, xc.T @ xc / (2 * n0 - 1), eigvals_only=True)
    wm = compare_to_theory(zs, method="wmse", model="linear", features=xs, n_views=2)
    assert abs(wm.optimal_loss - 2.0 / (2 * n0) * mu[:k].sum()) <= 1e-10
    assert abs(wm.loss - float(losses.WMSELoss()(z, g))) <= 1e-10


def test_linear_route_never_forms_an_n_by_n_matrix(rng):
    # N = 2·10⁵ rows: an N×N float64 matrix would need 320 GB; the streamed route takes < 1 s
    n0, d, k = 100_000, 8, 3
    base = rng.standard_normal((n0, d))
    x = np.concatenate([base, base + 0.2 * rng.standard_normal((n0, d))])
    from ssltheory.spectral import graph_statistics, vicreg_linear_weights_from_statistics

    sol = vicreg_linear_weights_from_statistics(
        graph_statistics(x, groups=np.tile(np.arange(n0), 2)), n_components=k
    )
    z = x @ sol.weights @ _random_rotation(rng, k) - 2.0
    gap = compare_to_theory(z, method="vicreg", model="linear", features=x, groups=np.tile(np.arange(n0), 2))
    assert gap.passed, gap.report()


def _loop_superspace(g: np.ndarray, k: int, weights: dict) -> np.ndarray:
    """Today's (previous) reference: re-solve at K+1, K+2, … until the solution is untied."""
    import warnings

    for wider in range(k + 1, g.shape[0] + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateSpectrumWarning)
            sol = vicreg_embedding(g, n_components=wider, **weights)
        if not sol.tied:
            zc = np.asarray(sol.embedding) - np.asarray(sol.embedding).mean(axis=0)
            u, s, _ = np.linalg.svd(zc, full_matrices=False)
            return u[:, s > 1e-9 * s[0]]
    raise AssertionError("no untied wider solution")


def _ring(n: int) -> np.ndarray:
    g = np.zeros((n, n))
    idx = np.arange(n)
    g[idx, (idx + 1) % n] = g[(idx + 1) % n, idx] = 1.0
    return g


def _torus(a: int, b: int) -> np.ndarray:
    return np.kron(_ring(a), np.eye(b)) + np.kron(np.eye(a), _ring(b))


@pytest.mark.parametrize(
    ("name", "graph", "k"),
    [
        ("ring", _ring(12), 3),  # λ = 2 − 2cos(2πj/12) in pairs: K = 3 splits the second pair
        ("torus", _torus(4, 4), 2),  # the first non-zero eigenvalue has multiplicity 4
        ("augmentation", augmentation_graph(8, 2), 3),  # 0 with multiplicity 7
        ("label", label_graph(np.repeat(np.arange(3), [3, 3, 4])), 4),  # 0 (×2), 3 (×4), 4 (×3)
    ],
)
def test_tie_superspace_equals_the_loop(name, graph, k, rng):
    import scipy.linalg

    weights = {"invariance_weight": 0.02}
    basis = _loop_superspace(graph, k, weights)
    n = graph.shape[0]
    for z in (rng.standard_normal((n, k)), basis @ rng.standard_normal((basis.shape[1], k))):
        gap = compare_to_theory(z, graph, method="vicreg", **weights)
        assert gap.tied, name
        zc = z - z.mean(axis=0)
        top = np.linalg.svd(zc, full_matrices=False)[0][:, : gap.predicted_rank]
        ref = np.sin(scipy.linalg.subspace_angles(top, basis).max())
        # both are sines of principal angles of well-conditioned bases: rounding only
        assert abs(gap.subspace_distance - ref) <= 1e-8, name
    assert gap.subspace_distance <= 1e-10  # the last z lies inside the kept-plus-tied eigenspace


def test_free_model_on_views_is_linear_in_n(rng):
    import time

    n = 100_000
    z = rng.standard_normal((n, 8))
    start = time.perf_counter()
    gap = compare_to_theory(z, method="vicreg", n_views=2, invariance_weight=0.5)
    elapsed = time.perf_counter() - start
    assert gap.tied
    assert not gap.passed
    assert elapsed < 5.0  # measured ~0.1 s; the previous loop did not finish at N = 3594
    # the sparse graph gives the same answer (and the same O(nnz) route)
    sparse = compare_to_theory(
        z, augmentation_graph(n // 2, 2, sparse=True), method="vicreg", invariance_weight=0.5
    )
    assert abs(sparse.subspace_distance - gap.subspace_distance) <= 1e-12
    assert abs(sparse.loss - gap.loss) <= 1e-10 * max(1.0, gap.loss)


def test_free_model_backends_with_views(xp, rng):
    g = augmentation_graph(8, 2)
    base = np.asarray(vicreg_embedding(g, n_components=7, invariance_weight=0.5).embedding)
    z = base @ _random_rotation(rng, 7)[:, :3] + 1.0
    gap = compare_to_theory(xp.asarray(z), method="vicreg", n_views=2, invariance_weight=0.5)
    assert gap.tied
    assert gap.passed, gap.report()
    assert type(gap.principal_angles) is type(xp.asarray(z))
    ref = compare_to_theory(z, g, method="vicreg", invariance_weight=0.5)
    assert abs(ref.subspace_distance - gap.subspace_distance) <= 1e-10


def test_zero_optimum_has_a_nan_relative_gap(rng):
    z = rng.standard_normal((16, 3))
    gap = compare_to_theory(z, augmentation_graph(8, 2), method="vicreg", invariance_weight=0.5)
    assert gap.optimal_loss == 0.0
    assert gap.gap.absolute == gap.loss
    assert np.isnan(gap.gap.relative)
    assert any("zero" in note for note in gap.notes)


def test_kernel_model_against_kernel_ssl_solve(xp, rng):
    # a degree-2 polynomial kernel in 3 dimensions has rank 10 < N: its optimum is above the free one
    from ssltheory.kernel import kernel_ssl_solve, polynomial_kernel

    base = rng.standard_normal((20, 3))
    x = np.concatenate([base, base + 0.3 * rng.standard_normal((20, 3))])
    g = augmentation_graph(20, 2)
    params = {"degree": 2, "gamma": 0.5, "coef0": 1.0}
    sol = kernel_ssl_solve(
        polynomial_kernel(x, **params), g, n_components=3, loss="vicreg", invariance_weight=0.1
    )
    z = np.asarray(sol.embedding) @ _random_rotation(rng, 3)
    kw = {"model": "kernel", "kernel": "polynomial", "kernel_params": params, "invariance_weight": 0.1}
    gap = compare_to_theory(xp.asarray(z), method="vicreg", features=xp.asarray(x), n_views=2, **kw)
    assert gap.passed, gap.report()
    assert abs(gap.optimal_loss - sol.loss) <= 1e-10
    # the objective evaluated at the solver's embedding equals the solver's own optimal loss
    assert abs(gap.loss - sol.loss) <= 1e-9
    assert gap.optimal_loss > 1e-3  # the kernel class is restricted (the free optimum is 0)
    # Nyström on all rows is the exact kernel
    nys = compare_to_theory(z, method="vicreg", features=x, n_views=2, n_landmarks=40, **kw)
    assert nys.passed
    assert abs(nys.optimal_loss - sol.loss) <= 1e-8
    moved = z + 0.05 * rng.standard_normal(z.shape)
    assert not compare_to_theory(moved, method="vicreg", features=x, n_views=2, **kw).passed


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "nope"}, "model must be one of"),
        ({"model": "linear"}, "needs features="),
        ({"model": "kernel", "features": np.ones((16, 2))}, "needs kernel="),
        ({"features": np.ones((16, 2))}, "features= is used only"),
        ({"model": "linear", "features": np.ones((15, 2))}, "features must have one row per embedding row"),
        (
            {"model": "linear", "features": np.ones((16, 2)), "method": "simclr"},
            "no closed form under model='linear'",
        ),
        ({"groups": np.arange(16) % 8, "graph": True}, "graph and groups"),
        ({"n_views": 3, "graph": None}, "n_views must be >= 2 and divide n_samples=16"),
        ({"graph": None}, "needs the relation graph"),
        ({"groups": np.arange(15), "graph": None}, r"groups must have shape \(n_samples,\)"),
        ({"kernel": "rbf"}, "apply only to model='kernel'"),
        (
            {"model": "kernel", "features": np.ones((16, 2)), "kernel": "rbf", "covariance_weight": 2.0},
            "variance_weight == covariance_weight",
        ),
    ],
)
def test_model_bad_arguments(kwargs, match):
    kwargs = dict(kwargs)
    method = kwargs.pop("method", "vicreg")
    graph = kwargs.pop("graph", augmentation_graph(8, 2))
    graph = augmentation_graph(8, 2) if graph is True else graph
    z = np.random.default_rng(0).standard_normal((16, 2))
    with pytest.raises(ValueError, match=match):
        compare_to_theory(z, graph, method=method, **kwargs)


def test_groups_must_be_integers():
    z = np.random.default_rng(0).standard_normal((16, 2))
    with pytest.raises(TypeError, match="groups must be an integer array"):
        compare_to_theory(z, method="vicreg", groups=np.arange(16) / 2.0)


# the paper's variance/covariance ratio 12.5 (>= 8: the regime where the hinge optimum is certified)
_HINGE = {
    "variance_weight": 12.5,
    "covariance_weight": 1.0,
    "invariance_weight": 0.3,
    "variance_penalty": "hinge",
}


def test_hinge_penalty_is_passed_to_the_free_closed_form(rng):
    # the closed form itself (rotated, shifted) must pass; its loss is the dense evaluator's
    g = augmentation_graph(6, 2)
    weights = _HINGE
    sol = vicreg_embedding(g, n_components=5, **weights)
    z = np.asarray(sol.embedding) @ _random_rotation(rng, 5) + 1.0
    gap = compare_to_theory(z, g, method="vicreg", **weights)
    assert gap.passed, gap.report()
    assert abs(gap.loss - float(losses.VICRegLoss(**weights)(z, g))) <= 1e-12
    streamed = compare_to_theory(z, method="vicreg", n_views=2, **weights)
    assert abs(streamed.loss - gap.loss) <= 1e-12


def test_hinge_penalty_is_passed_to_the_linear_closed_form(rng):
    # the hinge linear optimum against an independent minimiser (L-BFGS-B on a kink-free
    # parametrisation: ssltheory.claims._optim.hinge_smooth_minimum): the optimum must match it
    from ssltheory.claims._optim import hinge_smooth_minimum

    base = rng.standard_normal((30, 4))
    x = np.concatenate([base, base + 0.3 * rng.standard_normal((30, 4))])
    g = augmentation_graph(30, 2)
    sol = vicreg_linear_weights(x, g, n_components=2, **_HINGE)
    gap = compare_to_theory(
        x @ np.asarray(sol.weights), method="vicreg", model="linear", features=x, n_views=2, **_HINGE
    )
    assert gap.passed, gap.report()
    reference = hinge_smooth_minimum(
        x, g, 2, rng=rng, n_starts=3, **{k: v for k, v in _HINGE.items() if k != "variance_penalty"}
    )
    # the reference is a real point's loss (never below the minimum beyond rounding) and converges
    # to ~1e-15 relative (smooth objective, box bounds)
    assert gap.optimal_loss <= reference + 1e-12
    assert reference - gap.optimal_loss <= 1e-9 * max(1.0, abs(reference))


def test_cli_compare_linear_hinge_with_the_library_eps(tmp_path, capsys, rng):
    # the CLI path of a hinge-trained linear head: the closed form (with the libraries' eps 1e-4)
    # passes, the same head scaled by 1.1 (variances off the optimum) fails with exit status 1
    base = rng.standard_normal((30, 4))
    x = np.concatenate([base, base + 0.3 * rng.standard_normal((30, 4))])
    w = vicreg_linear_weights(
        x, augmentation_graph(30, 2), n_components=2, variance_eps=1e-4, **_HINGE
    ).weights
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "good.npy", x @ np.asarray(w))
    np.save(tmp_path / "bad.npy", 1.1 * x @ np.asarray(w))
    flags = ["--views", "2", "--method", "vicreg", "--model", "linear", "--features", str(tmp_path / "x.npy")]
    flags += ["--variance-weight", "12.5", "--covariance-weight", "1", "--invariance-weight", "0.3"]
    flags += ["--variance-penalty", "hinge", "--variance-eps", "1e-4"]
    assert cli.main(["compare", str(tmp_path / "good.npy"), *flags]) == 0
    assert "PASS" in capsys.readouterr().out
    assert cli.main(["compare", str(tmp_path / "bad.npy"), *flags]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_linear_route_builds_no_graph(monkeypatch, rng):
    # the linear route reads only D×D and K×K statistics: no graph builder may be called
    from ssltheory import graphs

    def forbidden(*args, **kwargs):
        raise AssertionError("a relation graph was built on the linear route")

    monkeypatch.setattr(graphs, "augmentation_graph", forbidden)
    monkeypatch.setattr(graphs, "label_graph", forbidden)
    x = rng.standard_normal((60, 4))
    z = rng.standard_normal((60, 2))
    for source in ({"n_views": 3}, {"groups": np.repeat(np.arange(12), 5)}):
        gap = compare_to_theory(z, method="vicreg", model="linear", features=x, **source)
        assert not gap.passed


def test_non_clique_ties_take_one_wider_solve(monkeypatch, rng):
    # ring of 40 nodes: eigenvalues in pairs; K = 3 splits a pair. The previous loop re-solved for
    # every K + 1 … until untied; now one probe (its spectrum locates the cluster end) and one solve
    from ssltheory.compare import _theory

    calls = []
    real = _theory._solve

    def counting(method, graph, k, weights):
        calls.append(k)
        return real(method, graph, k, weights)

    monkeypatch.setattr(_theory, "_solve", counting)
    gap = compare_to_theory(rng.standard_normal((40, 3)), _ring(40), method="vicreg", invariance_weight=0.01)
    assert gap.tied
    assert len(calls) <= 3, calls  # the K solve, one probe, one solve at the cluster end
    assert 4 in calls  # the cluster {2, 3} ends at 4 columns


def test_free_model_groups_equal_the_dense_label_graph(xp, rng):
    labels = np.repeat(np.arange(4), [2, 3, 3, 4])
    g = label_graph(labels)
    z = rng.standard_normal((12, 3))
    dense = compare_to_theory(z, g, method="vicreg", invariance_weight=0.05)
    grouped = compare_to_theory(
        xp.asarray(z), method="vicreg", groups=xp.asarray(labels), invariance_weight=0.05
    )
    assert dense.tied == grouped.tied
    assert abs(dense.loss - grouped.loss) <= 1e-12
    assert abs(dense.optimal_loss - grouped.optimal_loss) <= 1e-12
    assert abs(dense.subspace_distance - grouped.subspace_distance) <= 1e-10

"""Tests of ssltheory.testing.properties: the ready-made properties for a user's own SSL loss.

Each helper must pass a correct loss (written here independently of the library, from the
libraries' published code) and fail a wrong one with a message that says what differs. The
documented example ``examples/test_my_vicreg.py`` is run as a user would run it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ssltheory.testing
from ssltheory.testing.properties import (
    assert_gradient_matches_finite_differences,
    assert_loss_at_optimum,
    assert_matches_convention,
)
from ssltheory.testing.strategies import PAIR_RELATIONS, paired_views

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "test_my_vicreg.py"


# ----------------------------------------------------------------------------- independent losses
def vicreg_np(z1, z2, *, w_inv=25.0, w_var=25.0, w_cov=1.0, half=True, ddof=1, eps=1e-4):
    """VICReg as facebookresearch/vicreg main_vicreg.py writes it (half=True; solo-learn: half=False)."""
    k = z1.shape[1]
    value = w_inv * np.mean((z1 - z2) ** 2)
    for z in (z1, z2):
        std = np.sqrt(np.var(z, axis=0, ddof=ddof) + eps)
        value += w_var * (0.5 if half else 1.0) * np.mean(np.maximum(1.0 - std, 0.0))
        cov = np.atleast_2d(np.cov(z, rowvar=False, ddof=1))
        value += w_cov * (np.sum(cov**2) - np.sum(np.diag(cov) ** 2)) / k
    return value


def ntxent_np(z1, z2, *, temperature=0.5):
    """NT-Xent (lightly NTXentLoss, memory bank off) on the stacked views, mean over the 2B rows."""
    z = np.concatenate((z1, z2))
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    s = u @ u.T / temperature
    n = z1.shape[0]
    positives = np.concatenate((np.diag(s, n), np.diag(s, -n)))
    np.fill_diagonal(s, -np.inf)
    peak = np.max(s, axis=1)
    return np.mean(peak + np.log(np.sum(np.exp(s - peak[:, None]), axis=1)) - positives)


def barlow_np(z1, z2, *, lam=5e-3):
    """Barlow Twins as lightly>=1.5.20 writes it: BatchNorm1d(affine=False) per branch, c = n1ᵀ n2 / B."""
    b = z1.shape[0]
    n1 = (z1 - z1.mean(0)) / np.sqrt(z1.var(0) + 1e-5)
    n2 = (z2 - z2.mean(0)) / np.sqrt(z2.var(0) + 1e-5)
    c = n1.T @ n2 / b
    off = c - np.diag(np.diag(c))
    return np.sum((np.diag(c) - 1) ** 2) + lam * np.sum(off**2)


def _hinge_active_views(rng, b=8, k=4):
    """Branches whose column standard deviations are all well below 1 (every hinge term active)."""
    z1 = 0.3 * rng.standard_normal((b, k))
    return z1, z1 + 0.05 * rng.standard_normal((b, k))


# ----------------------------------------------------------------------------- convention
@given(views=paired_views(n_pairs=(2, 12), n_components=(1, 6), relation=PAIR_RELATIONS))
def test_reference_vicreg_matches_on_paired_views(views):
    assert_matches_convention(vicreg_np, *views, method="vicreg", convention="reference")


@given(views=paired_views(n_pairs=(2, 12), n_components=(1, 6), relation=PAIR_RELATIONS))
def test_solo_learn_and_lightly_vicreg_match(views):
    def solo(z1, z2):
        return vicreg_np(z1, z2, w_inv=10.0, w_var=5.0, w_cov=2.0, half=False)

    assert_matches_convention(
        solo,
        *views,
        method="vicreg",
        convention="solo_learn",
        sim_loss_weight=10.0,
        var_loss_weight=5.0,
        cov_loss_weight=2.0,
    )
    # lightly's eps keyword reaches the square root
    assert_matches_convention(
        lambda z1, z2: vicreg_np(z1, z2, eps=1e-3), *views, method="vicreg", convention="lightly", eps=1e-3
    )


@given(views=paired_views(n_pairs=(2, 12), n_components=(1, 6), relation=("noisy", "permutation")))
def test_ntxent_and_barlow_twins_match(views):
    assert_matches_convention(ntxent_np, *views, method="simclr", convention="lightly")
    assert_matches_convention(
        lambda z1, z2: ntxent_np(z1, z2, temperature=0.1), *views, method="simclr", convention="solo_learn"
    )
    assert_matches_convention(barlow_np, *views, method="barlow_twins", convention="lightly", version="1.6.0")


def test_biased_variance_fails_at_the_default_tolerance(rng):
    # the bug: var with ddof=0. Every std < 1 here, so the hinge sees the wrong normaliser
    z1, z2 = _hinge_active_views(rng)
    assert_matches_convention(vicreg_np, z1, z2, method="vicreg", convention="reference")
    with pytest.raises(
        AssertionError, match="your loss differs from the 'reference' vicreg convention"
    ) as info:
        assert_matches_convention(
            lambda a, b: vicreg_np(a, b, ddof=0), z1, z2, method="vicreg", convention="reference"
        )
    message = str(info.value)
    assert "yours" in message
    assert "library" in message
    assert "var unbiased (B - 1)" in message  # the library's formula is quoted
    assert "facebookresearch/vicreg/main_vicreg.py@" in message  # and its source
    assert "instead" not in message  # no other convention has a biased variance


def test_a_missing_half_is_named_as_the_solo_learn_convention(rng):
    z1, z2 = _hinge_active_views(rng)
    with pytest.raises(AssertionError, match="matches the 'solo_learn' convention instead"):
        assert_matches_convention(
            lambda a, b: vicreg_np(a, b, half=False), z1, z2, method="vicreg", convention="reference"
        )
    # and the other way round: the /2 conventions are listed
    with pytest.raises(
        AssertionError, match="'reference', 'lightly', 'stable_pretraining' convention instead"
    ):
        assert_matches_convention(vicreg_np, z1, z2, method="vicreg", convention="solo_learn")


def test_a_rounding_level_difference_passes_and_a_1e6_one_fails(rng):
    z1, z2 = _hinge_active_views(rng)
    value = vicreg_np(z1, z2)
    assert_matches_convention(
        lambda a, b: value * (1 + 1e-12), z1, z2, method="vicreg", convention="reference"
    )
    with pytest.raises(AssertionError, match=r"rtol=5\.96e-08"):
        assert_matches_convention(
            lambda a, b: value * (1 + 1e-6), z1, z2, method="vicreg", convention="reference"
        )
    # a float32 loss passes with float32's tolerance
    assert_matches_convention(
        lambda a, b: float(np.float32(value) * np.float32(1 + 1e-6)),
        z1,
        z2,
        method="vicreg",
        convention="reference",
        rtol=ssltheory.testing.default_rtol(np.float32),
    )


def test_non_finite_values_fail(rng):
    z1, z2 = _hinge_active_views(rng)
    with pytest.raises(AssertionError, match="yours    nan"):
        assert_matches_convention(lambda a, b: float("nan"), z1, z2, method="vicreg", convention="reference")


def test_convention_errors_name_the_problem(rng):
    z1, z2 = _hinge_active_views(rng)
    with pytest.raises(TypeError, match="must return a real scalar"):
        assert_matches_convention(lambda a, b: np.zeros(2), z1, z2, method="vicreg", convention="reference")
    with pytest.raises(ValueError, match="sim_loss_weight is not a keyword"):
        assert_matches_convention(
            vicreg_np, z1, z2, method="vicreg", convention="reference", sim_loss_weight=1.0
        )
    with pytest.raises(ValueError, match="same shape"):
        assert_matches_convention(vicreg_np, z1, z2[:4], method="vicreg", convention="reference")
    with pytest.raises(ValueError, match="rtol must be >= 0"):
        assert_matches_convention(vicreg_np, z1, z2, method="vicreg", convention="reference", rtol=-1.0)


# ----------------------------------------------------------------------------- gradient
def test_gradient_of_a_known_function_passes_and_a_wrong_one_fails():
    x = np.array([[0.5, -1.0, 3.0], [2.0, 0.25, -0.1]])
    y = np.array([[1.0, 2.0, -1.5], [0.3, -0.7, 4.0]])

    def f(a, b):
        return np.sum(np.sin(a) * b) + np.sum(a**2)

    def g(a, b):  # d/da = cos(a)·b + 2a, d/db = sin(a)
        return np.cos(a) * b + 2 * a, np.sin(a)

    assert_gradient_matches_finite_differences(f, g, x, y)

    def g_off_by_one_entry(a, b):
        ga, gb = g(a, b)
        gb = gb.copy()
        gb[1, 2] *= 1 + 1e-3  # a relative error of 1e-3 in a single entry
        return ga, gb

    with pytest.raises(AssertionError, match=r"at 1 of 12 entries") as info:
        assert_gradient_matches_finite_differences(f, g_off_by_one_entry, x, y)
    assert "worst: argument 1, entry (1, 2)" in str(info.value)


@given(views=paired_views(n_pairs=(2, 8), n_components=(1, 4)))
def test_gradient_of_vicreg_from_torch_autograd(views):
    torch = pytest.importorskip("torch")
    z1, z2 = views
    std = [np.sqrt(np.var(z, axis=0, ddof=1) + 1e-4) for z in views]
    if any(np.any(np.abs(s - 1) < 1e-3) for s in std):
        return  # the hinge's corner: finite differences average the two slopes there

    def torch_vicreg(t1, t2):  # as main_vicreg.py, on float64 tensors
        b, k = t1.shape
        repr_loss = torch.nn.functional.mse_loss(t1, t2)
        x, y = t1 - t1.mean(dim=0), t2 - t2.mean(dim=0)
        std_x, std_y = torch.sqrt(x.var(dim=0) + 1e-4), torch.sqrt(y.var(dim=0) + 1e-4)
        std_loss = torch.mean(torch.relu(1 - std_x)) / 2 + torch.mean(torch.relu(1 - std_y)) / 2
        cx, cy = x.T @ x / (b - 1), y.T @ y / (b - 1)
        eye = torch.eye(k, dtype=t1.dtype)
        cov_loss = ((cx * (1 - eye)) ** 2).sum() / k + ((cy * (1 - eye)) ** 2).sum() / k
        return 25.0 * repr_loss + 25.0 * std_loss + 1.0 * cov_loss

    # the wrappers of the module docstring and docs/testing_in_your_ci.md, verbatim
    def loss(z1, z2):
        return float(torch_vicreg(torch.as_tensor(z1), torch.as_tensor(z2)))

    def grad(z1, z2):
        t1 = torch.as_tensor(z1).requires_grad_()
        t2 = torch.as_tensor(z2).requires_grad_()
        torch_vicreg(t1, t2).backward()
        return t1.grad.numpy(), t2.grad.numpy()

    assert_matches_convention(loss, z1, z2, method="vicreg", convention="reference")
    assert_gradient_matches_finite_differences(loss, grad, z1, z2)


def test_max_entries_checks_that_many_entries_deterministically():
    calls = []
    x = np.linspace(-1.0, 1.0, 30).reshape(5, 6)

    def f(z):
        calls.append(1)
        return np.sum(z**4)

    assert_gradient_matches_finite_differences(f, lambda z: 4 * z**3, x, max_entries=7, rng=3)
    assert len(calls) == 1 + 2 * 7  # f(x) once, then two evaluations per checked entry
    wrong = 4 * x**3
    wrong[0, 0] += 1.0  # entry 0 is not among the 7 drawn with rng=3 (the draw is reproducible)
    drawn = np.sort(np.random.default_rng(3).choice(30, size=7, replace=False))
    assert 0 not in drawn
    assert_gradient_matches_finite_differences(f, lambda z: wrong, x, max_entries=7, rng=3)
    with pytest.raises(AssertionError, match="entry \\(0, 0\\)"):
        assert_gradient_matches_finite_differences(f, lambda z: wrong, x)


def test_gradient_errors_name_the_problem():
    x = np.ones((2, 3))
    with pytest.raises(TypeError, match="one array per argument of loss \\(2\\)"):
        assert_gradient_matches_finite_differences(lambda a, b: np.sum(a * b), lambda a, b: b, x, x)
    with pytest.raises(ValueError, match=r"grad\(\.\.\.\)\[0\] has shape \(3,\)"):
        assert_gradient_matches_finite_differences(lambda a: np.sum(a), lambda a: np.ones(3), x)
    with pytest.raises(ValueError, match="at least one array"):
        assert_gradient_matches_finite_differences(lambda: 0.0, lambda: ())
    with pytest.raises(TypeError, match="must return a real scalar"):
        assert_gradient_matches_finite_differences(lambda a: a, lambda a: np.ones_like(a), x)
    with pytest.raises(ValueError, match="step must be > 0"):
        assert_gradient_matches_finite_differences(lambda a: np.sum(a), np.ones_like, x, step=0.0)


def test_non_finite_gradient_or_loss_fails():
    x = np.ones((2, 2))
    with pytest.raises(AssertionError, match="your gradient differs"):
        assert_gradient_matches_finite_differences(lambda a: np.sum(a), lambda a: np.full_like(a, np.nan), x)
    with pytest.raises(AssertionError, match="your loss is not finite at the point"):
        assert_gradient_matches_finite_differences(lambda a: np.inf, np.zeros_like, x)


# ----------------------------------------------------------------------------- closed-form optimum
@given(n_pairs=st.integers(2, 10), n_components=st.integers(1, 14))
def test_reference_vicreg_at_the_optimum(n_pairs, n_components):
    assert_loss_at_optimum(
        vicreg_np, method="vicreg", convention="reference", n_pairs=n_pairs, n_components=n_components
    )


@pytest.mark.parametrize(
    ("convention", "loss", "weights"),
    [
        ("solo_learn", lambda a, b: vicreg_np(a, b, half=False), {}),
        ("lightly", lambda a, b: vicreg_np(a, b, w_inv=10.0, eps=1e-3), {"lambda_param": 10.0, "eps": 1e-3}),
        ("stable_pretraining", vicreg_np, {}),
    ],
)
@pytest.mark.parametrize(("n_pairs", "n_components"), [(3, 1), (4, 3), (4, 7), (6, 12)])
def test_other_vicreg_conventions_at_the_optimum(convention, loss, weights, n_pairs, n_components):
    assert_loss_at_optimum(
        loss, method="vicreg", convention=convention, n_pairs=n_pairs, n_components=n_components, **weights
    )


def test_optimum_value_is_zero_below_and_positive_above_n_pairs():
    # K <= B - 1: z1 = z2 with K uncorrelated unit-variance columns exist, so every term can be 0;
    # K >= B: the B - 1 invariant directions cannot carry K uncorrelated columns, the loss is > 0.
    # A loss that returns these two facts passes; the theory's value is what fixes them.
    seen = {}

    def spy(z1, z2):
        value = vicreg_np(z1, z2)
        seen[z1.shape] = (value, np.array_equal(z1, z2))
        return value

    assert_loss_at_optimum(spy, method="vicreg", convention="reference", n_pairs=5, n_components=4)
    assert_loss_at_optimum(spy, method="vicreg", convention="reference", n_pairs=5, n_components=9)
    value, same = seen[(5, 4)]
    assert same
    assert abs(value) < 1e-12  # rounding of terms of size O(25)
    value, same = seen[(5, 9)]
    assert same
    assert value > 0.1


@pytest.mark.parametrize(("n_pairs", "n_components"), [(4, 3), (4, 6), (8, 12), (3, 1)])
def test_biased_variance_fails_at_the_optimum(n_pairs, n_components):
    with pytest.raises(AssertionError, match="your loss at the closed-form optimum differs") as info:
        assert_loss_at_optimum(
            lambda a, b: vicreg_np(a, b, ddof=0),
            method="vicreg",
            convention="reference",
            n_pairs=n_pairs,
            n_components=n_components,
        )
    assert "vicreg_embedding on augmentation_graph" in str(info.value)


def test_ntxent_at_the_simplex_optimum():
    for n_pairs, n_components in [(2, 1), (3, 2), (5, 4), (5, 9), (8, 7)]:
        for convention, temperature in [("lightly", 0.5), ("solo_learn", 0.1), ("stable_pretraining", 0.5)]:
            assert_loss_at_optimum(
                lambda a, b, t=temperature: ntxent_np(a, b, temperature=t),
                method="simclr",
                convention=convention,
                n_pairs=n_pairs,
                n_components=n_components,
            )
    # the sum over rows (the paper's reduction) is 2B times the libraries' mean: caught
    with pytest.raises(AssertionError, match="closed-form optimum differs"):
        assert_loss_at_optimum(
            lambda a, b: 2 * a.shape[0] * ntxent_np(a, b),
            method="simclr",
            convention="lightly",
            n_pairs=4,
            n_components=3,
        )


def test_optimum_errors_name_the_problem():
    with pytest.raises(ValueError, match="use assert_matches_convention"):
        assert_loss_at_optimum(
            barlow_np, method="barlow_twins", convention="reference", n_pairs=4, n_components=2
        )
    with pytest.raises(ValueError, match="needs n_components >= n_pairs - 1 = 4"):
        assert_loss_at_optimum(ntxent_np, method="simclr", convention="lightly", n_pairs=5, n_components=2)
    with pytest.raises(ValueError, match="n_pairs must be >= 2"):
        assert_loss_at_optimum(vicreg_np, method="vicreg", convention="reference", n_pairs=1, n_components=2)
    # a tiny invariance weight: the optimum uses anti-symmetric directions, the branches differ and
    # the library's per-branch statistics are not the paper's stacked ones
    with pytest.raises(ValueError, match="column means or covariances differ"):
        assert_loss_at_optimum(
            lambda a, b: vicreg_np(a, b, w_inv=0.01),
            method="vicreg",
            convention="reference",
            n_pairs=4,
            n_components=6,
            sim_coeff=0.01,
        )


# ----------------------------------------------------------------------------- package and example
def test_properties_is_a_lazy_attribute_of_ssltheory_testing():
    import ssltheory.testing.properties as properties

    assert ssltheory.testing.properties is properties
    assert "properties" in ssltheory.testing.__all__
    assert "strategies" in dir(ssltheory.testing)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ssltheory.testing.nope  # noqa: B018


def test_properties_imports_neither_hypothesis_nor_torch():
    code = (
        "import sys\n"
        "import ssltheory.testing.properties\n"
        "print(','.join(m for m in ('hypothesis', 'torch') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def _pytest(path, cwd, *extra):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_documented_example_passes():
    proc = _pytest(EXAMPLE, ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout


def test_documented_example_catches_a_biased_variance(tmp_path):
    # the same file with the bug (variance with ddof=0 in the loss only), run outside the
    # repository as a user's copy would be: each of the three properties must fail
    source = EXAMPLE.read_text()
    buggy = source.replace(
        "std_x = np.sqrt(x.var(axis=0, ddof=1) + EPS)", "std_x = np.sqrt(x.var(axis=0) + EPS)"
    )
    buggy = buggy.replace(
        "std_y = np.sqrt(y.var(axis=0, ddof=1) + EPS)", "std_y = np.sqrt(y.var(axis=0) + EPS)"
    )
    assert buggy.count("x.var(axis=0) + EPS") == 1
    assert buggy.count("y.var(axis=0) + EPS") == 1
    target = tmp_path / "test_my_vicreg.py"
    target.write_text(buggy)
    proc = _pytest(target, tmp_path, "--hypothesis-seed=0")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "3 failed" in proc.stdout, proc.stdout

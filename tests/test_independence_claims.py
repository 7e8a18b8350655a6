"""Independence claims: the registry covers every numbered prediction; report-only claims pass on
a pinned draw; the spec statement found false is kept as a strict-xfail counter-example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssltheory import claims

EXPECTED = {
    "independence.theorem_a.identity": "T1",
    "independence.rf_hsic.rate": "T2, T13",
    "independence.theorem_a.covariance_bound": "T3",
    "independence.hsic.null_level": "T4",
    "independence.hsic.correlation_blind": "T5",
    "independence.gaussian.decorrelation_is_independence": "T6",
    "independence.dhsic.pairwise_not_mutual": "T7",
    "independence.dhsic.two_variables": "T7 (exact part)",
    "independence.ica.holds": "T8",
    "independence.ica.limits_full_cov_subgaussian": "T9",
    "independence.ica.within_block_sign": "T9a",
    "independence.ica.limits_dense_projector": "T10",
    "independence.ica.limits_gaussian": "T11",
    "independence.training.pairwise_not_mutual": "T14",
    "independence.hsic_test.level_and_power": "§6.2",
    "independence.ica.whitening_alone_fails": "§8.1",
    "independence.ica.full_cov_supergaussian": "§8.1",
    "independence.ica.bandwidth_range": "§8.2 item 2",
}


def test_every_numbered_prediction_is_registered():
    ids = {c.id for c in claims.all_claims("independence")}
    assert set(EXPECTED) <= ids, sorted(set(EXPECTED) - ids)


@pytest.mark.parametrize(
    "claim_id",
    [
        pytest.param("independence.dhsic.pairwise_not_mutual", marks=pytest.mark.slow),  # 4 tests at n=600
        "independence.training.pairwise_not_mutual",
    ],
)
def test_report_only_claims_pass_on_numpy(claim_id):
    import array_api_compat.numpy as xp

    claim = claims.get(claim_id)
    assert not claim.gating
    for v in claims.run_claim(claim, xp=xp, seed=0, quick=True):
        assert v.passed, f"{v.problem}: {v.message or (v.measured, v.error, v.tolerance)}"


def test_training_gradient_matches_finite_differences(rng):
    """The explicit gradient of the T14 training loop (cross-block + variance penalty) is exact."""
    from ssltheory.claims._independence import _loss_and_grad

    x = rng.standard_normal((30, 3))

    def loss(w):
        return _loss_and_grad(x, w, m=4, seed=1)

    w = np.eye(3) + 0.1 * rng.standard_normal((3, 3))
    value, grad = loss(w)
    fd = np.zeros_like(w)
    h = 1e-6
    for i in range(3):
        for j in range(3):
            e = np.zeros_like(w)
            e[i, j] = h
            fd[i, j] = (loss(w + e)[0] - loss(w - e)[0]) / (2 * h)
    # central differences: truncation O(h²·|f'''|) + rounding O(eps·|f|/h) ≈ 1e-9 relative
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8 * max(1.0, abs(value)))


@pytest.mark.xfail(
    strict=True,
    reason="spec independence.md §8.2 item 2 is false here: at ω-scale 0.25 the cross-block objective "
    "still recovers uniform sources (argmin Amari ≈ 0.02, not ≈ 0.95): small ω makes the features "
    "≈ (y, y²), whose cross-covariances form a fourth-cumulant ICA contrast",
)
def test_spec_bandwidth_failure_at_quarter_scale_counterexample():
    import array_api_compat.numpy as xp

    from ssltheory.claims import Problem
    from ssltheory.claims._independence import _scan_amari
    from ssltheory.independence import make_ica_data

    amaris = []
    for seed in range(3):
        X, _, A = make_ica_data(1000, 2, sources="uniform", seed=seed)
        problem = Problem("uniform", {"X": X, "A": A}, {"seed": seed, "M": 32, "n_angles": 48})
        amaris.append(_scan_amari(problem, xp, "cross", sigma=1 / 0.25)["amari"])
    # the spec's statement (table §8.2 item 2: cross-block argmin Amari .95 at ω-scale 0.25)
    assert np.mean(amaris) > 0.5, amaris
    assert math.isfinite(np.mean(amaris))

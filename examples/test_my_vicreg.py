"""Test your own VICReg loss against ssltheory: a file to copy into your CI.

``my_vicreg`` below is a NumPy transcription of the loss as the reference implementation
(facebookresearch/vicreg, ``main_vicreg.py``) and solo-learn write it; replace it with yours.
Three properties are checked, each on many generated inputs (hypothesis):

1. the value equals the library convention you trained with (here ``"reference"``) on paired
   views: shared signal plus noise, exact copies, and mismatched (permuted) pairs;
2. the hand-written gradient equals finite differences of the loss;
3. the value at the closed-form optimum of VICReg (Balestriero & LeCun, arXiv:2205.11508) equals
   the value the theory predicts.

Needs only ``pip install "ssltheory[testing]" pytest``; run with ``python -m pytest -q
test_my_vicreg.py``. For a PyTorch loss, see ``docs/testing_in_your_ci.md`` (wrap it as
``lambda z1, z2: float(my_loss(torch.as_tensor(z1), torch.as_tensor(z2)))``).
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ssltheory.testing.properties import (
    assert_gradient_matches_finite_differences,
    assert_loss_at_optimum,
    assert_matches_convention,
)
from ssltheory.testing.strategies import paired_views

SIM_COEFF, STD_COEFF, COV_COEFF = 25.0, 25.0, 1.0  # the reference defaults (the paper's λ, μ, ν)
EPS = 1e-4  # inside the square root of the variance, as in the reference code


# ----------------------------------------------------------------------------- the loss under test
def off_diagonal(c):
    return c - np.diag(np.diag(c))


def my_vicreg(z1, z2, sim_coeff=SIM_COEFF, std_coeff=STD_COEFF, cov_coeff=COV_COEFF):
    """VICReg on two branches of shape (batch_size, num_features), reference style."""
    batch_size, num_features = z1.shape
    repr_loss = np.mean((z1 - z2) ** 2)  # F.mse_loss(x, y)

    x = z1 - z1.mean(axis=0)
    y = z2 - z2.mean(axis=0)
    std_x = np.sqrt(x.var(axis=0, ddof=1) + EPS)  # torch's x.var(dim=0) is unbiased
    std_y = np.sqrt(y.var(axis=0, ddof=1) + EPS)
    std_loss = np.mean(np.maximum(1 - std_x, 0)) / 2 + np.mean(np.maximum(1 - std_y, 0)) / 2

    cov_x = x.T @ x / (batch_size - 1)
    cov_y = y.T @ y / (batch_size - 1)
    cov_loss = (off_diagonal(cov_x) ** 2).sum() / num_features + (
        off_diagonal(cov_y) ** 2
    ).sum() / num_features

    return sim_coeff * repr_loss + std_coeff * std_loss + cov_coeff * cov_loss


def my_vicreg_grad(z1, z2, sim_coeff=SIM_COEFF, std_coeff=STD_COEFF, cov_coeff=COV_COEFF):
    """The gradient of ``my_vicreg`` with respect to (z1, z2), by hand."""
    batch_size, num_features = z1.shape
    g_inv = 2 * sim_coeff * (z1 - z2) / (batch_size * num_features)
    grads = []
    for z, sign in ((z1, 1.0), (z2, -1.0)):
        x = z - z.mean(axis=0)
        std = np.sqrt(x.var(axis=0, ddof=1) + EPS)
        # d std_k / d z_ik = x_ik / ((B - 1) std_k); the centring drops out (columns of x sum to 0)
        g_var = -(std_coeff / 2) / num_features * (std < 1) * x / ((batch_size - 1) * std)
        cov = x.T @ x / (batch_size - 1)
        g_cov = cov_coeff / num_features * 4 * x @ off_diagonal(cov) / (batch_size - 1)
        grads.append(sign * g_inv + g_var + g_cov)
    return tuple(grads)


# ----------------------------------------------------------------------------- the properties
# even batch sizes 6..24 (a size argument may be a strategy), K up to 8, three branch relations
VIEWS = paired_views(
    n_pairs=st.integers(3, 12).map(lambda b: 2 * b),
    n_components=(1, 8),
    relation=("noisy", "copy", "permutation"),
)


@settings(deadline=None)
@given(views=VIEWS)
def test_my_vicreg_is_the_reference_convention(views):
    # float64 to rounding: the default tolerance is 4·sqrt(eps) ≈ 6e-8 relative
    assert_matches_convention(my_vicreg, *views, method="vicreg", convention="reference")


@settings(deadline=None)
@given(views=paired_views(n_pairs=(2, 10), n_components=(1, 5)))
def test_my_vicreg_gradient(views):
    z1, z2 = views
    # finite differences need a smooth point: stay off the corner of the hinge relu(1 - std)
    for z in (z1, z2):
        std = np.sqrt(np.var(z, axis=0, ddof=1) + EPS)
        assume(np.all(np.abs(std - 1) > 1e-3))
    assert_gradient_matches_finite_differences(my_vicreg, my_vicreg_grad, z1, z2)


@settings(deadline=None)
@given(n_pairs=st.integers(2, 12), n_components=st.integers(1, 16))
def test_my_vicreg_at_the_closed_form_optimum(n_pairs, n_components):
    # n_components < n_pairs: the optimum is 0 (unit variances, no covariance); above, it is not
    assert_loss_at_optimum(
        my_vicreg, method="vicreg", convention="reference", n_pairs=n_pairs, n_components=n_components
    )

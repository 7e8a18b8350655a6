"""The digits "check your own run" example in plain PyTorch: torch heads, a torch loss, the tracker.

The data, weights and penalty of ``tests/_digits_workflow.py`` (``PENALTY`` from the notebook's
builder), with everything else re-done in PyTorch: ``torch.nn.Linear`` and a 2-layer ReLU head in
float64, full-batch ``torch.optim.LBFGS``, and the paper-form VICReg written with torch ops from
the formula (not ssltheory's loss). A ``TheoryTracker`` is fed the torch tensors during the loop
and ``compare_to_theory`` gets the final torch tensors. Slow (needs torch): ``-m slow``.
Closed forms after Balestriero & LeCun (arXiv:2205.11508); VICReg: arXiv:2105.04906.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _digits_workflow import N_COMPONENTS, N_IMAGES, digits_views, kink, paper_weights

torch = pytest.importorskip("torch")

from ssltheory.compare import compare_to_theory  # noqa: E402
from ssltheory.graphs import augmentation_graph  # noqa: E402
from ssltheory.losses import VICRegLoss  # noqa: E402
from ssltheory.spectral import vicreg_linear_weights  # noqa: E402
from ssltheory.track import TheoryTracker  # noqa: E402

pytestmark = pytest.mark.slow

# Torch's L-BFGS (strong Wolfe) against the eigenproblem: at a non-degenerate minimum the loss gap is
# quadratic in the parameter error and the loop stops when an outer step changes the loss by less
# than 1e-15 relative; 1e-9 leaves orders for BLAS and platforms (see test_digits_example.py).
TRAINED_RTOL = 1e-9
# One loss, two transcriptions (torch here, NumPy in ssltheory / the tracker): rounding only.
SAME_VALUE_RTOL = 1e-12


def vicreg_paper_torch(
    z,
    *,
    n_views=2,
    variance_weight,
    covariance_weight,
    invariance_weight,
    variance_penalty,
    ddof,
    variance_floor=1e-6,
    variance_eps=0.0,
):
    r"""Paper-form VICReg on view-major stacked rows, from the formula, in torch ops.

    .. math::

        \mathcal L=\alpha\sum_kv(C_{kk})+\beta\sum_{k\ne l}C_{kl}^2
        +\frac{\gamma}{N}\sum_{ij}G_{ij}\lVert z_i-z_j\rVert^2,\qquad C=\frac{Z^\top HZ}{N-\mathrm{ddof}},

    :math:`v(c)=(1-c)^2` (square), :math:`(1-c)_+^2` (squared hinge) or
    :math:`(1-\sqrt{\max(c,f)+\epsilon})_+` (hinge, :math:`f` the floor). The sum over the edges of
    the augmentation graph counts each pair of views of a sample twice. An unknown keyword is a
    ``TypeError``: a new term in ``to_paper``'s weights must be transcribed here first.
    """
    n = z.shape[0]
    b = n // n_views
    zc = z - z.mean(0)
    c = zc.T @ zc / (n - ddof)
    d = torch.diagonal(c)
    if variance_penalty == "square":
        var = ((1 - d) ** 2).sum()
    elif variance_penalty == "squared_hinge":
        var = (torch.relu(1 - d) ** 2).sum()
    elif variance_penalty == "hinge":
        var = torch.relu(1 - torch.sqrt(torch.clamp(d, min=variance_floor) + variance_eps)).sum()
    else:
        raise ValueError(f"variance_penalty {variance_penalty!r} is not transcribed")
    cov = (c**2).sum() - (d**2).sum()
    views = [z[p * b : (p + 1) * b] for p in range(n_views)]
    pairs = sum(((views[p] - views[q]) ** 2).sum() for p in range(n_views) for q in range(p + 1, n_views))
    inv = 2.0 * pairs / n
    return variance_weight * var + covariance_weight * cov + invariance_weight * inv


def lbfgs_until_converged(params, loss_fn, *, on_step=None, n_outer=60, inner=10):
    """Full-batch torch L-BFGS in outer steps of ``inner`` iterations; ``on_step(step)`` after each.

    Stops when an outer step changes the loss by at most 1e-15 relative (or after ``n_outer``).
    Returns the number of outer steps and the final loss.
    """
    opt = torch.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=inner,
        history_size=30,
        tolerance_grad=1e-14,
        tolerance_change=1e-16,
        line_search_fn="strong_wolfe",
    )

    def closure():
        opt.zero_grad()
        value = loss_fn()
        value.backward()
        return value

    prev = float(loss_fn().detach())
    for step in range(1, n_outer + 1):
        opt.step(closure)
        with torch.no_grad():
            cur = float(loss_fn())
        if on_step is not None:
            on_step(step)
        if abs(prev - cur) <= 1e-15 * abs(cur):
            break
        prev = cur
    return step, cur


def polish_at_kink_torch(head, X, weights, *, tol=1e-3, max_rounds=10):
    r"""The hinge's second stage in torch (``polish_at_kink`` of the workflow, autograd for the chain
    rule): rows of the weight with :math:`C_{kk}>\tau-` ``tol`` are held at :math:`C_{kk}=\tau` by
    :math:`w_k\mapsto\sqrt{\tau/w_k^\top\Sigma w_k}\,w_k`, the rest minimised freely. Torch's
    L-BFGS stops farther from the kink than SciPy's (measured: 2 of 16 columns within ``tol``), and
    free columns run into the kink during the polish: rounds add them until the held set is stable.
    Returns the slopes :math:`s_k` of the smooth part along :math:`c_k` at :math:`c_k=\tau` for the
    held rows (optimal iff :math:`0\le s_k\le\alpha/2`).
    """
    tau = kink(weights)
    xc = X - X.mean(0)
    sigma = xc.T @ xc / (X.shape[0] - weights["ddof"])
    bias = head.bias.detach()
    active = torch.zeros(head.weight.shape[0], dtype=torch.bool)
    for _ in range(max_rounds):
        w0 = head.weight.detach().clone()
        grown = active | (((w0 @ sigma) * w0).sum(1) > tau - tol)
        if torch.equal(grown, active):
            break
        active = grown
        v = w0.clone().requires_grad_(True)

        def effective(v, active=active):
            scale = torch.sqrt(tau / ((v @ sigma) * v).sum(1))
            return v * torch.where(active, scale, torch.ones_like(scale))[:, None]

        lbfgs_until_converged(
            [v], lambda v=v, f=effective: vicreg_paper_torch(X @ f(v).T + bias, **weights), n_outer=200
        )
        with torch.no_grad():
            head.weight.copy_(effective(v))
    we = head.weight.detach()
    # c_k = tau u_k along w_k -> sqrt(u_k) w_k: ds/dc = (1/tau) d/du at u = 1
    u = torch.ones(we.shape[0], dtype=we.dtype, requires_grad=True)
    smooth = vicreg_paper_torch(
        X @ (we * torch.sqrt(u)[:, None]).T + bias, **{**weights, "variance_weight": 0.0}
    )
    smooth.backward()
    return u.grad[active] / tau


@pytest.fixture(scope="module")
def setting():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: extra threads only spin-wait on a shared machine
    X = torch.from_numpy(digits_views())
    yield X, paper_weights()
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def linear_run(setting):
    X, weights = setting
    b = N_IMAGES
    torch.manual_seed(1)
    head = torch.nn.Linear(X.shape[1], N_COMPONENTS, dtype=torch.float64)
    tracker = TheoryTracker(model="linear", every=1, **weights)
    losses = {}

    def loss_fn():
        return vicreg_paper_torch(head(X), **weights)

    def record(step):
        with torch.no_grad():
            z = head(X)
            losses[step] = float(vicreg_paper_torch(z, **weights))
        tracker.update(step, (z[:b], z[b:]), features=(X[:b], X[b:]))  # torch tensors in

    record(0)
    n_outer, _ = lbfgs_until_converged(list(head.parameters()), loss_fn, on_step=record)
    slopes = None
    if weights["variance_penalty"] == "hinge":
        slopes = polish_at_kink_torch(head, X, weights)
        record(n_outer + 1)
    with torch.no_grad():
        Z = head(X)
    return {"Z": Z, "tracker": tracker, "losses": losses, "slopes": slopes}


@pytest.fixture(scope="module")
def closed(setting):
    X, weights = setting
    return vicreg_linear_weights(
        X.numpy(), augmentation_graph(N_IMAGES, 2), n_components=N_COMPONENTS, **weights
    )


@pytest.mark.parametrize("penalty", ["square", "squared_hinge", "hinge"])
def test_torch_transcription_is_the_paper_loss(penalty):
    weights = paper_weights(penalty=penalty)
    rng = np.random.default_rng(0)
    # variances spread over [~0, ~2]: both sides of the hinge's kink and of its floor
    z = rng.standard_normal((2 * 50, 6)) * np.sqrt(np.array([1e-8, 0.05, 0.5, 0.99, 1.3, 2.0]))
    z[50:] = z[:50] + 0.1 * rng.standard_normal((50, 6))
    ours = float(vicreg_paper_torch(torch.from_numpy(z), **weights))
    theirs = float(VICRegLoss(**weights)(z, augmentation_graph(50, 2)))
    assert ours == pytest.approx(theirs, rel=SAME_VALUE_RTOL)


def test_torch_linear_head_reaches_the_closed_form(linear_run, closed):
    Z = linear_run["Z"]
    trained = float(vicreg_paper_torch(Z, **paper_weights()))
    rel_gap = (trained - closed.loss) / abs(closed.loss)
    assert -TRAINED_RTOL <= rel_gap <= TRAINED_RTOL, (trained, closed.loss, rel_gap)
    if linear_run["slopes"] is not None:  # hinge: the kink's optimality condition, as in the NumPy run
        alpha = paper_weights()["variance_weight"]
        assert torch.all(linear_run["slopes"] >= -1e-6)
        assert torch.all(linear_run["slopes"] <= alpha / 2 + 1e-6)


def test_tracker_records_torch_tensors(linear_run, closed):
    tracker, losses = linear_run["tracker"], linear_run["losses"]
    records = tracker.to_records()
    assert [r["step"] for r in records] == sorted(losses)  # every outer step, from the start
    for r in records:
        assert isinstance(r["loss"], float)
        assert isinstance(r["gap"], float)
        # the tracker's loss (its own formula, on torch) against the torch transcription
        assert r["loss"] == pytest.approx(losses[r["step"]], rel=SAME_VALUE_RTOL)
        # the optimum of the linear class on these features, computed by the tracker on torch
        assert r["optimal_loss"] == pytest.approx(closed.loss, rel=SAME_VALUE_RTOL)
    assert records[0]["gap"] > 0.1 * abs(closed.loss)
    assert abs(records[-1]["relative_gap"]) <= TRAINED_RTOL
    assert records[-1]["predicted_rank"] == records[-1]["observed_rank"] == closed.rank
    # the closed form and the spectrum stayed on the input's library (no silent conversion)
    assert isinstance(tracker.last_solution.scales, torch.Tensor)
    assert isinstance(tracker.last_spectrum, torch.Tensor)
    assert tracker.last_spectrum.dtype == torch.float64


def test_compare_to_theory_on_torch_tensors(setting, linear_run, closed):
    X, weights = setting
    check = compare_to_theory(
        linear_run["Z"], method="vicreg", model="linear", features=X, n_views=2, **weights
    )
    assert check.passed, check.report()
    assert check.optimal_loss == pytest.approx(closed.loss, rel=SAME_VALUE_RTOL)
    assert isinstance(check.principal_angles, torch.Tensor)


def test_torch_mlp_is_below_the_linear_optimum(setting, closed):
    X, weights = setting
    torch.manual_seed(2)
    mlp = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], 64, dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, N_COMPONENTS, dtype=torch.float64),
    )
    lbfgs_until_converged(list(mlp.parameters()), lambda: vicreg_paper_torch(mlp(X), **weights), n_outer=30)
    with torch.no_grad():
        hidden = mlp[1](mlp[0](X))
    if weights["variance_penalty"] == "hinge":  # the last layer is linear on h(X): the kink stage
        slopes = polish_at_kink_torch(mlp[2], hidden, weights)
        assert torch.all(slopes >= -1e-6)
        assert torch.all(slopes <= weights["variance_weight"] / 2 + 1e-6)
    with torch.no_grad():
        Z = mlp(X)
    on_inputs = compare_to_theory(Z, method="vicreg", model="linear", features=X, n_views=2, **weights)
    assert on_inputs.below_optimum, on_inputs.report()
    assert not on_inputs.passed
    free = compare_to_theory(Z, method="vicreg", model="free", n_views=2, **weights)
    assert free.gap.absolute >= 0  # nothing beats the free optimum (0 here: K <= B - 1)
    assert math.isnan(free.gap.relative)
    # the last layer is the linear optimum on the hidden features h(X)
    last = compare_to_theory(Z, method="vicreg", model="linear", features=hidden, n_views=2, **weights)
    assert last.passed, last.report()

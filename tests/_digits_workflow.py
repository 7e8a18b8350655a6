"""The "check your own run" workflow on scikit-learn's digits, at quick size, as importable code.

The steps of ``notebooks/50_digits__check_your_run.ipynb`` (built by
``notebooks/_build_50_digits_run.py``) without the checks, which live in the tests that import
this module: ``tests/test_digits_example.py`` (``ssltheory.nets``) and ``tests/test_digits_torch.py``
(plain PyTorch, slow). Not part of the package: a user copies the notebook, not this file.

``PENALTY`` is the one switch of the example, read from the notebook's builder (its ``PENALTY``
line): the notebook and both tests always check the same penalty. The VICReg paper (Bardes, Ponce
& LeCun, arXiv:2105.04906) trains the hinge on the standard deviation, ``"hinge"``; ``"square"``
(the same weights, squared penalty on the variance) runs end to end today (``compare_to_theory``
does not take the hinge's ``variance_eps`` yet). Code used only with the hinge
(:func:`polish_at_kink`) runs in ``tests/test_digits_example.py`` whatever ``PENALTY`` is.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

BUILDER = Path(__file__).resolve().parents[1] / "notebooks" / "_build_50_digits_run.py"


def _builder_penalty(path: Path = BUILDER) -> str:
    """The literal assigned to ``PENALTY`` at the top level of the notebook's builder."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["PENALTY"]:
            return ast.literal_eval(node.value)
    raise LookupError(f"{path} assigns no top-level PENALTY")


PENALTY = _builder_penalty()  # "square" or "hinge": flip it in notebooks/_build_50_digits_run.py
N_IMAGES, N_COMPONENTS = 300, 16  # quick size: N = 600 rows of D = 64 features
EVERY = 5  # the tracker records every EVERY-th L-BFGS iteration
N_STEPS = 300  # L-BFGS iteration cap (the linear head converges in ~170)


def digits_views(n_images: int = N_IMAGES, *, seed: int = 0) -> np.ndarray:
    r"""Two augmented views of ``n_images`` digits, stacked view-major and standardised.

    Each image (pixels / 16) gets additive Gaussian noise (:math:`\sigma=0.1`), then 20 % of its
    pixels set to zero; rows :math:`i` and :math:`i + n` are the two views of image :math:`i`
    (``augmentation_graph(n_images, 2)``). Every column is then standardised (the noise leaves no
    constant pixel). Returns ``X`` of shape ``(2 * n_images, 64)``.
    """
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(seed)
    data = load_digits().data
    images = data[rng.choice(len(data), n_images, replace=False)] / 16.0

    def augment(x: np.ndarray) -> np.ndarray:
        noisy = x + 0.1 * rng.standard_normal(x.shape)
        return np.where(rng.random(x.shape) < 0.2, 0.0, noisy)

    raw = np.vstack([augment(images), augment(images)])
    return (raw - raw.mean(axis=0)) / raw.std(axis=0)


def paper_weights(n_components: int = N_COMPONENTS, *, penalty: str = PENALTY) -> dict[str, Any]:
    r"""The reference implementation's (25, 25, 1) in the paper's graph form, with ``penalty``.

    The whole ``to_paper(...).loss_kwargs`` is kept (keys it may gain pass through); only
    ``variance_penalty`` is set, and ``variance_eps`` (the library's :math:`\epsilon` in
    :math:`\sqrt{C_{kk}+\epsilon}`) is dropped for the squared penalties, which have no square
    root (the losses and closed forms refuse it there).
    """
    from ssltheory.losses import to_paper

    paper = to_paper(method="vicreg", convention="reference", n_components=n_components)
    weights = dict(paper.loss_kwargs, variance_penalty=penalty)
    if penalty != "hinge":
        weights.pop("variance_eps", None)
    return weights


def kink(weights: dict[str, Any]) -> float:
    r""":math:`\tau=1-\epsilon`, where the hinge :math:`(1-\sqrt{C_{kk}+\epsilon})_+` reaches 0."""
    return 1.0 - float(weights.get("variance_eps", 0.0))


def polish_at_kink(
    model: Any, loss: Any, X: np.ndarray, graph: Any, weights: dict[str, Any], *, tol: float = 1e-3
) -> tuple[Any, np.ndarray]:
    r"""Second stage for the hinge: finish a linear layer ``Z = X W^T + b`` at the kink.

    ``model`` is a ``nets.Linear`` and ``X`` its inputs (the data for the linear head, the hidden
    features for an MLP's last layer).

    L-BFGS stalls at the kink :math:`C_{kk}=\tau` of :math:`\alpha(1-\sqrt{C_{kk}+\epsilon})_+`
    (the loss is not differentiable there). The columns with :math:`C_{kk}>\tau-` ``tol`` are
    held at :math:`C_{kk}=\tau` exactly by the smooth reparametrisation
    :math:`w_k\mapsto\sqrt{\tau/w_k^\top\Sigma w_k}\,w_k` (:math:`\Sigma=\mathrm{Cov}(X)`, so
    :math:`C=W^\top\Sigma W`), the rest are free, and the same loss is minimised with its exact
    gradient (chain rule through the normalisation).

    Returns the SciPy result and, per held column, the slope :math:`s_k=\frac{d}{dc}S` of the
    smooth part :math:`S` (covariance and invariance terms) along :math:`w_k\mapsto
    \sqrt{c/\tau}\,w_k` at :math:`c=\tau`, :math:`s_k=w_k^\top\nabla_{w_k}S/(2\tau)`. The point is
    optimal along these directions iff :math:`0\le s_k\le\alpha/2`: the sub-differential of
    :math:`\alpha(1-\sqrt{c+\epsilon})` at :math:`c=\tau` is :math:`[-\alpha/2,0]`.
    """
    from scipy.optimize import minimize

    from ssltheory.losses import VICRegLoss

    tau = kink(weights)
    m = X.shape[0] - int(weights["ddof"])
    xc = X - X.mean(axis=0)
    sigma = xc.T @ xc / m
    params = model.parameters()
    wt, b = params["weight"].T.copy(), params["bias"]
    active = np.diag(wt.T @ sigma @ wt) > tau - tol

    def effective(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = v.reshape(wt.shape)
        scale = np.where(active, np.sqrt(tau / np.einsum("dk,de,ek->k", w, sigma, w)), 1.0)
        return w * scale, scale

    def value_and_grad(v: np.ndarray) -> tuple[float, np.ndarray]:
        we, scale = effective(v)
        out = loss.value_and_grad(X @ we + b, graph)
        g = X.T @ out.grad  # dL/dW_eff
        # d/dw of w sqrt(tau / wᵀΣw), applied to g: scale (g - Σ w_eff (w_effᵀ g) / tau)
        g = np.where(active, (g - sigma @ we * np.sum(we * g, axis=0) / tau) * scale, g)
        return float(out.value), g.ravel()

    res = minimize(
        value_and_grad,
        wt.ravel(),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000, "gtol": 1e-12, "ftol": 1e-16, "maxcor": 30},
    )
    we = effective(res.x)[0]
    model.set_parameters({"weight": we.T.copy(), "bias": b})
    smooth = VICRegLoss(**{**weights, "variance_weight": 0.0})
    grad_s = X.T @ smooth.value_and_grad(X @ we + b, graph).grad
    slope = np.sum(we * grad_s, axis=0)[active] / (2.0 * tau)
    return res, slope


@dataclass
class DigitsRun:
    """Everything the workflow produced (the tests check it)."""

    X: np.ndarray
    weights: dict[str, Any]
    loss: Any
    head: Any
    history: Any
    tracker: Any
    polish: Any
    slopes: np.ndarray | None
    Z: np.ndarray
    mlp: Any
    mlp_history: Any
    Z_mlp: np.ndarray
    hidden: np.ndarray
    mlp_slopes: np.ndarray | None
    figure_path: Path | None


def run_workflow(
    *,
    penalty: str = PENALTY,
    n_images: int = N_IMAGES,
    n_components: int = N_COMPONENTS,
    figure_path: Path | None = None,
) -> DigitsRun:
    """Data, paper-form weights, a tracked linear head, an MLP head; the figure if ``figure_path``.

    Both heads are trained full-batch with ``ssltheory.nets.LBFGS``; the linear head's tracker
    (``model="linear"``) records the start, every ``EVERY``-th iteration and, with the hinge,
    the point after :func:`polish_at_kink`. With the hinge the MLP's last layer (a linear layer on
    the hidden features) gets the same kink stage.
    """
    from ssltheory.graphs import augmentation_graph
    from ssltheory.losses import VICRegLoss
    from ssltheory.nets import LBFGS, MLP, Linear, train
    from ssltheory.track import TheoryTracker, plot_run

    X = digits_views(n_images)
    graph = augmentation_graph(n_images, 2, sparse=True)  # training never forms the dense N x N graph
    weights = paper_weights(n_components, penalty=penalty)
    loss = VICRegLoss(**weights)
    tracker = TheoryTracker(model="linear", every=EVERY, **weights)
    b = n_images

    def track(step: int, value: Any, model: Any) -> None:
        z = model.forward(X, train=False)
        tracker.update(step, (z[:b], z[b:]), features=(X[:b], X[b:]))

    head = Linear(X.shape[1], n_components).init(np.random.default_rng(1))
    track(0, None, head)
    history = train(head, loss, X, graph, optimizer=LBFGS(), n_steps=N_STEPS, callback=track, progress=False)
    polish = slopes = None
    if penalty == "hinge":
        polish, slopes = polish_at_kink(head, loss, X, graph, weights)
        track(EVERY * (history.n_steps // EVERY + 1), None, head)
    Z = head.forward(X, train=False)

    mlp = MLP([X.shape[1], 64, n_components]).init(np.random.default_rng(2))
    mlp_history = train(mlp, loss, X, graph, optimizer=LBFGS(), n_steps=N_STEPS, progress=False)
    hidden = mlp.layers[1].forward(mlp.layers[0].forward(X, train=False), train=False)
    mlp_slopes = None
    if penalty == "hinge":  # the last layer is linear on h(X): the same kink stage, hidden layer fixed
        mlp_slopes = polish_at_kink(mlp.layers[-1], loss, hidden, graph, weights)[1]
    Z_mlp = mlp.forward(X, train=False)

    if figure_path is not None:
        plot_run(tracker, path=figure_path, title=f"linear head on the digits, VICReg ({penalty})")
    return DigitsRun(
        X=X,
        weights=weights,
        loss=loss,
        head=head,
        history=history,
        tracker=tracker,
        polish=polish,
        slopes=slopes,
        Z=Z,
        mlp=mlp,
        mlp_history=mlp_history,
        Z_mlp=Z_mlp,
        hidden=hidden,
        mlp_slopes=mlp_slopes,
        figure_path=figure_path,
    )

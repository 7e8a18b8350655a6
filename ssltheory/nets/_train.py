"""The training loop: mini-batches that keep the views of an original together, exact backprop."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ssltheory import _backend, _validation
from ssltheory.nets._layers import Module, _check_rng
from ssltheory.nets._optim import LBFGS, Optimizer

__all__ = ["TrainingHistory", "train"]


@dataclass(frozen=True)
class TrainingHistory:
    """Record of a :func:`train` run.

    Attributes
    ----------
    losses : numpy.ndarray, shape (n_steps,)
        Loss of each step's (mini-)batch before the update (for L-BFGS: after each iteration).
    times : numpy.ndarray, shape (n_steps,)
        Wall-clock seconds since the start of training at the end of each step.
    wall_time : float
        Total wall-clock seconds.
    parameters : dict of str to array
        Final trainable parameters (the model holds them too), on the model's backend.
    n_steps : int
        Steps actually run (fewer than requested if the callback stopped training or L-BFGS
        converged).
    optimizer : str
        ``repr`` of the optimiser.
    """

    losses: np.ndarray
    times: np.ndarray
    wall_time: float
    parameters: dict[str, Any]
    n_steps: int
    optimizer: str

    @property
    def final_loss(self) -> float:
        """Loss of the last step."""
        return float(self.losses[-1])


def _groups(graph: Any) -> list[np.ndarray]:
    """Connected components of the graph's non-zero pattern (host bookkeeping, once per run)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    g = graph if _backend.is_sparse(graph) and _backend.is_numpy(_backend.get_namespace(graph)) else None
    pattern = csr_matrix(g != 0) if g is not None else csr_matrix(_backend.to_numpy(graph) != 0)
    n_comp, labels = connected_components(pattern, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n_comp + 1))
    return [order[bounds[c] : bounds[c + 1]] for c in range(n_comp)]


def _restrict(graph: Any, rows: np.ndarray, idx: Any, *, xp: Any) -> Any:
    if _backend.is_sparse(graph):
        # SciPy indexes with host rows, cupyx.scipy.sparse with the device copy
        sel = rows if _backend.is_numpy(xp) else idx
        return graph[sel][:, sel]
    return xp.take(xp.take(graph, idx, axis=0), idx, axis=1)


def train(
    model: Module,
    loss: Any,
    X: Any,
    graph: Any,
    /,
    *,
    optimizer: Optimizer,
    n_steps: int,
    batch_size: int | None = None,
    rng: Any = None,
    callback: Callable[[int, float, Module], bool | None] | None = None,
    progress: bool = True,
) -> TrainingHistory:
    r"""Train ``model`` to minimise ``loss(model(X_B), G_{BB})`` over mini-batches ``B``.

    Each step draws a batch :math:`B`, computes :math:`Z=f_\theta(X_B)` in training mode, the loss
    and its exact gradient :math:`\partial\mathcal L/\partial Z` on the restricted graph
    :math:`G_{BB}`, backpropagates it through the model, and applies the optimiser:

    .. math::

        \theta \leftarrow \mathrm{opt}\Big(\theta,\ J_\theta f_\theta(X_B)^\top
        \frac{\partial\mathcal L(Z, G_{BB})}{\partial Z}\Big).

    Parameters
    ----------
    model : Module
        An initialised model of :mod:`ssltheory.nets` (its parameters on the backend of ``X``).
    loss : Loss
        A loss evaluator with ``value_and_grad(Z, G) -> LossValue`` (:mod:`ssltheory.losses`).
    X : array, shape (n_samples, n_in)
        Inputs, one row per node of the graph (for an augmentation graph: every view).
    graph : array or sparse matrix, shape (n_samples, n_samples)
        Relation graph :math:`G`.
    optimizer : SGD, Adam or LBFGS
    n_steps : int
        Number of optimiser steps (L-BFGS: maximum number of iterations).
    batch_size : int, optional
        Number of **groups** per batch, a group being a connected component of :math:`G`'s
        non-zero pattern: for the view-major augmentation graph the views
        :math:`i, i+N', i+2N', \dots` of one original, for a label graph a whole class. Groups are
        drawn without replacement within a step; the batch rows are sorted, so a view-major
        graph stays view-major. ``None`` (default): full batch.
    rng : numpy.random.Generator or int, optional
        Source of the batch draws (required when ``batch_size`` is given). Training is
        deterministic for a given ``rng`` and model initialisation.
    callback : callable, optional
        ``callback(step, loss_value, model)`` after every step (``step`` from 1); returning
        ``True`` stops training.
    progress : bool, default True
        Show a tqdm progress bar on stderr.

    Returns
    -------
    TrainingHistory

    Raises
    ------
    FloatingPointError
        When the loss becomes NaN or infinite; the message names the step (training stops there).
    ValueError
        Bad ``n_steps``/``batch_size``, a graph that does not match ``X``, or L-BFGS with
        mini-batches.
    NotImplementedError
        L-BFGS on a non-NumPy backend (SciPy's optimiser runs on the host only).

    Notes
    -----
    The connected components are computed once on the host (SciPy ``csgraph``) and the sampled
    row indices are moved to the device with ``xp.asarray``; the loss value is read back once per
    step (one scalar) to record it and to detect divergence. Floating-point warnings inside a
    step are silenced because divergence is reported as an error instead. Cost per step: one
    forward and one backward pass on the batch plus the loss (:math:`O(|B|^2K)` with a dense graph).

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> from ssltheory.losses import VICRegLoss
    >>> from ssltheory.nets import MLP, Adam, train
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 5))
    >>> G = augmentation_graph(20, 2)
    >>> net = MLP([5, 16, 3]).init(rng)
    >>> hist = train(net, VICRegLoss(), X, G, optimizer=Adam(learning_rate=1e-2), n_steps=50,
    ...              batch_size=8, rng=rng, progress=False)
    >>> hist.n_steps, bool(hist.losses[-5:].mean() < hist.losses[:5].mean())
    (50, True)
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be an ssltheory.nets model, received {type(model).__name__}")
    if not hasattr(loss, "value_and_grad"):
        raise TypeError(f"loss must have a value_and_grad(Z, G) method, received {type(loss).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be SGD, Adam or LBFGS, received {type(optimizer).__name__}")
    n_steps = _validation.check_int(n_steps, name="n_steps", minimum=1)
    xp = _backend.get_namespace(X, graph)
    X = _validation.check_array(X, xp=xp, name="X", ndim=2)
    if tuple(graph.shape) != (X.shape[0], X.shape[0]):
        raise ValueError(
            f"graph must be (n_samples, n_samples) = ({X.shape[0]}, {X.shape[0]}) to match X, "
            f"received {tuple(graph.shape)}"
        )
    groups: list[np.ndarray] = []
    if batch_size is not None:
        if isinstance(optimizer, LBFGS):
            raise ValueError("LBFGS is a full-batch optimiser: pass batch_size=None")
        groups = _groups(graph)
        batch_size = _validation.check_int(batch_size, name="batch_size", minimum=1, maximum=len(groups))
        if rng is None:
            raise ValueError("rng is required when batch_size is given (it draws the mini-batches)")
        rng = _check_rng(rng)
    dev = _backend.device(X)

    from tqdm.auto import tqdm

    start = time.perf_counter()
    losses: list[float] = []
    times: list[float] = []
    bar = tqdm(total=n_steps, disable=not progress, desc="train", leave=False)

    def value_and_grad(xb: Any, gb: Any) -> tuple[float, dict[str, Any]]:
        with np.errstate(all="ignore"):
            z = model.forward(xb, train=True)
            out = loss.value_and_grad(z, gb)
            value = float(out.value)
            grads = model.backward(out.grad).parameters if np.isfinite(value) else {}
        return value, grads

    try:
        if isinstance(optimizer, LBFGS):
            if not _backend.is_numpy(xp):
                raise NotImplementedError(
                    "LBFGS runs SciPy on the host and needs NumPy arrays; received "
                    f"{_backend.backend_name(xp)} arrays. Use SGD or Adam on this backend."
                )

            def fun(params: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
                model.set_parameters(params)
                return value_and_grad(X, graph)

            def cb(step: int, value: float, params: dict[str, np.ndarray]) -> bool:
                losses.append(value)
                times.append(time.perf_counter() - start)
                bar.update(1)
                if callback is not None:
                    model.set_parameters(params)
                    return bool(callback(step, value, model))
                return False

            final = optimizer.minimize(fun, model.parameters(), max_iter=n_steps, callback=cb)
            model.set_parameters(final)
        else:
            for step in range(1, n_steps + 1):
                if batch_size is None:
                    xb, gb = X, graph
                else:
                    chosen = rng.choice(len(groups), size=batch_size, replace=False)
                    rows = np.sort(np.concatenate([groups[c] for c in chosen]))
                    idx = xp.asarray(rows, device=dev)
                    xb, gb = xp.take(X, idx, axis=0), _restrict(graph, rows, idx, xp=xp)
                value, grads = value_and_grad(xb, gb)
                if not np.isfinite(value):
                    raise FloatingPointError(
                        f"training diverged at step {step}: the loss is {value}; lower the learning rate "
                        "or check the inputs"
                    )
                with np.errstate(all="ignore"):  # an overflow shows up as a non-finite loss next step
                    model.set_parameters(optimizer.step(model.parameters(), grads))
                losses.append(value)
                times.append(time.perf_counter() - start)
                bar.update(1)
                if callback is not None and callback(step, value, model):
                    break
    finally:
        bar.close()
    return TrainingHistory(
        losses=np.asarray(losses, dtype=np.float64),
        times=np.asarray(times, dtype=np.float64),
        wall_time=time.perf_counter() - start,
        parameters=model.parameters(),
        n_steps=len(losses),
        optimizer=repr(optimizer),
    )

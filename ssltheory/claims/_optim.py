"""Measurement helper of the claims: multi-start L-BFGS on a loss evaluator over the embedding.

This is the independent side of "closed form vs optimiser" claims. It runs SciPy's L-BFGS-B on
the host (``to_numpy`` of the inputs): the optimiser is the measuring instrument, not a solver
of the library, and SciPy has no array-API implementation of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

from ssltheory import _backend

__all__ = ["loss_on_host", "minimize_multistart"]  # private module: used by the claim modules


@dataclass(frozen=True)
class _Best:
    embedding: np.ndarray
    loss: float
    losses: tuple[float, ...]


def minimize_multistart(
    value_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    shape: tuple[int, int],
    *,
    rng: np.random.Generator,
    n_starts: int = 4,
    scale: float = 1.0,
    init: list[np.ndarray] | None = None,
    gtol: float = 1e-12,
    maxiter: int = 5000,
) -> _Best:
    """Minimise ``value_and_grad(Z) -> (value, grad)`` over ``Z`` of ``shape`` from several starts.

    Starts: the arrays in ``init`` (if any) followed by ``n_starts`` Gaussian draws of standard
    deviation ``scale``. Returns the best embedding, its loss and every start's final loss.
    """

    def fun(flat: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = value_and_grad(flat.reshape(shape))
        return float(value), np.asarray(grad, dtype=np.float64).ravel()

    starts = [np.asarray(z, dtype=np.float64) for z in (init or [])]
    starts += [scale * rng.standard_normal(shape) for _ in range(n_starts)]
    best_z, best_f, finals = None, np.inf, []
    for z0 in starts:
        res = minimize(
            fun,
            z0.ravel(),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": maxiter, "maxcor": 30, "gtol": gtol, "ftol": 1e-15},
        )
        finals.append(float(res.fun))
        if res.fun < best_f:
            best_z, best_f = res.x.reshape(shape), float(res.fun)
    return _Best(embedding=best_z, loss=best_f, losses=tuple(finals))


def loss_on_host(loss: Any, graph: Any) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Wrap a :class:`ssltheory.losses.Loss` as a host ``Z -> (value, grad)`` function on ``graph``."""
    g = _backend.to_numpy(graph)

    def f(z: np.ndarray) -> tuple[float, np.ndarray]:
        out = loss.value_and_grad(z, g)
        return float(out.value), np.asarray(out.grad)

    return f

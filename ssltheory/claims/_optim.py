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

__all__ = [
    "hinge_smooth_minimum",
    "loss_on_host",
    "minimize_multistart",
]  # private module: used by the claim modules


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


def hinge_smooth_minimum(
    a: np.ndarray,
    graph: np.ndarray,
    k: int,
    *,
    variance_weight: float,
    covariance_weight: float,
    invariance_weight: float,
    ddof: int = 1,
    variance_floor: float = 1e-6,
    variance_eps: float = 0.0,
    rng: np.random.Generator,
    n_starts: int = 6,
) -> float:
    r"""Hinge VICReg minimised without its reduction: the best loss found over ``Z = a @ P``.

    The hinge :math:`h(c)=1-\sqrt{\mathrm{clamp}(c,f,\tau)+\epsilon}`, :math:`\tau=1-\epsilon`,
    has kinks at :math:`f` and :math:`\tau` where L-BFGS on :math:`Z` stalls (measured: relative
    gaps 1e-5 to 1e-1). This measurement removes them with two elementary facts:

    - a column with variance at most :math:`f` pays the constant :math:`\alpha h(f)`; zeroing it
      lowers the covariance and invariance terms and changes nothing else; a column with variance
      above :math:`\tau` pays 0, and shrinking it to :math:`\tau` lowers them too. So the minimum
      is the best over :math:`r=0..K` of :math:`(K-r)\,\alpha h(f)` plus the minimum over
      :math:`r` columns with variances in :math:`[f,\tau]`;
    - those columns are parametrised without kinks: :math:`z_k=y_k\sqrt{v_k/\mathrm{var}(y_k)}`,
      :math:`y_k=a_cp_k`, :math:`v_k=f+(\tau-f)\theta_k`, :math:`\theta_k\in[0,1]`: the loss is
      smooth in :math:`(P,\theta)` (for :math:`y_k\ne0`) and L-BFGS-B handles the box exactly.

    Multi-start: ``n_starts`` Gaussian :math:`P` per :math:`r`, :math:`\theta=1/2`. ``a`` is the
    identity for free embeddings and the features :math:`X` for a linear head; the loss is the
    paper form :math:`\alpha\sum_kh(C_{kk})+\beta\sum_{k\ne l}C_{kl}^2+\frac{2\gamma}{N}
    \mathrm{Tr}(Z^\top LZ)`, :math:`C=Z^\top HZ/(N-\mathrm{ddof})`. Every value returned is the
    loss of a real point: it can only be above the minimum.
    """
    n = a.shape[0]
    m = n - ddof
    al, be, ga = variance_weight, covariance_weight, invariance_weight
    f, eps = variance_floor, variance_eps
    top = 1.0 - eps
    lap = np.diag(graph.sum(axis=1)) - graph
    ac = a - a.mean(axis=0)
    q = a.shape[1]
    collapsed = al * (1.0 - np.sqrt(f + eps))
    best = k * collapsed
    for r in range(1, k + 1):
        size = q * r

        def fun(x, r=r, size=size):
            p, theta = x[:size].reshape(q, r), x[size:]
            y = ac @ p
            var_y = np.sum(y * y, axis=0) / m
            v = f + (top - f) * theta
            s = np.sqrt(v / var_y)
            z = y * s
            cov = z.T @ z / m
            off = cov - np.diag(np.diag(cov))
            lz = lap @ z
            val = al * np.sum(1.0 - np.sqrt(v + eps)) + be * np.sum(off**2) + 2.0 * ga * np.sum(z * lz) / n
            gz = z @ (4.0 * be * off) / m + (4.0 * ga / n) * lz  # dL/dZ of the smooth terms
            yg = np.sum(y * gz, axis=0)
            gp = ac.T @ (gz * s) - ac.T @ (y * (s * yg / (m * var_y)))
            gt = (top - f) * (-al / (2.0 * np.sqrt(v + eps)) + yg * s / (2.0 * v))
            return float(val), np.concatenate([gp.ravel(), gt])

        bounds = [(None, None)] * size + [(0.0, 1.0)] * r
        for _ in range(n_starts):
            x0 = np.concatenate([rng.standard_normal(size), np.full(r, 0.5)])
            res = minimize(
                fun,
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 5000, "maxcor": 30, "gtol": 1e-13, "ftol": 1e-16},
            )
            if np.isfinite(res.fun):
                best = min(best, float(res.fun) + (k - r) * collapsed)
    return best

"""Mini-batch jitter of BN hyperplanes (spec R7, D17, §4.6, T15, T16)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ssltheory import _backend, _validation
from ssltheory._validation import check_array, check_int

__all__ = ["JitterPrediction", "JitterSample", "boundary_jitter", "sample_boundary_jitter"]


@dataclass(frozen=True)
class JitterPrediction:
    """Closed-form jitter per unit (K,): ``var_mean`` :math:`\\mathrm{Var}\\hat\\mu`,
    ``var_displacement`` :math:`\\mathrm{Var}\\Delta`, ``std_displacement``, and
    ``scale_rel_var`` :math:`\\approx 1/(2m)` (relative variance of :math:`\\hat\\sigma`)."""

    var_mean: Any
    var_displacement: Any
    std_displacement: Any
    scale_rel_var: float


@dataclass(frozen=True)
class JitterSample:
    """Monte-Carlo jitter: ``displacements``, ``means``, ``stds`` of shape (n_batches, K)."""

    displacements: Any
    means: Any
    stds: Any


def _prep(weight: Any, Z: Any, gamma: Any, beta: Any, batch_size: int, replace: bool, xp: Any) -> tuple:
    weight = check_array(weight, xp=xp, name="weight", ndim=2)
    Z = check_array(Z, xp=xp, name="Z", ndim=2, min_rows=2)
    if Z.shape[1] != weight.shape[1]:
        raise ValueError(f"Z must have {weight.shape[1]} columns, received shape {tuple(Z.shape)}")
    n = int(Z.shape[0])
    m = check_int(batch_size, name="batch_size", minimum=1)
    if not replace and m > n:
        raise ValueError(f"batch_size must be <= n_samples = {n} without replacement, received {m}")
    k = weight.shape[0]
    dev = _backend.device(weight)
    gamma = (
        xp.ones(k, dtype=weight.dtype, device=dev)
        if gamma is None
        else xp.asarray(gamma, dtype=weight.dtype, device=dev)
    )
    beta = (
        xp.zeros(k, dtype=weight.dtype, device=dev)
        if beta is None
        else xp.asarray(beta, dtype=weight.dtype, device=dev)
    )
    if bool(xp.any(gamma == 0)):
        raise ValueError("gamma must be non-zero")
    return weight, Z, gamma, beta, n, m


def boundary_jitter(
    weight: Any,
    Z: Any,
    /,
    *,
    batch_size: int,
    gamma: Any = None,
    beta: Any = None,
    replace: bool = True,
) -> JitterPrediction:
    r"""Predicted batch-to-batch displacement of BN hyperplanes (spec R7).

    .. math::

        \Delta = \frac{(\hat\mu - \mu) - (\beta/\gamma)(\hat\sigma - s)}{\|w\|},\qquad
        \mathrm{Var}\,\Delta = \frac{s^2}{m\|w\|^2}\Big(1 + \frac{\beta^2}{2\gamma^2}\Big)
        \Big[\times\frac{N-m}{N-1}\text{ without replacement}\Big]

    Parameters
    ----------
    weight : array, shape (K, D)
    Z : array, shape (N, D)
        The population of layer inputs.
    batch_size : int
        :math:`m`.
    gamma, beta : array, shape (K,), optional
    replace : bool
        i.i.d. batches (reference, D17) or without replacement (finite-population factor).

    Returns
    -------
    JitterPrediction

    Raises
    ------
    ValueError
        Shapes, ``batch_size`` out of range, zero ``gamma``.

    Notes
    -----
    spec/splines.md R7, D17; proofs_checks/test_bn_jitter_variance.py. Exact for β = 0 (the
    variance of a sample mean); the β ≠ 0 term is the Gaussian large-m approximation. Cost
    :math:`O(NKD)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import boundary_jitter
    >>> Z = np.random.default_rng(0).standard_normal((500, 3))
    >>> j = boundary_jitter(np.ones((1, 3)), Z, batch_size=32)
    >>> bool(np.isclose(j.var_displacement[0], np.var(Z.sum(1)) / (32 * 3)))
    True
    """
    xp = _backend.get_namespace(weight, Z)
    weight, Z, gamma, beta, n, m = _prep(weight, Z, gamma, beta, batch_size, replace, xp)
    p = Z @ weight.mT
    s2 = xp.mean((p - xp.mean(p, axis=0)) ** 2, axis=0)
    fpc = 1.0 if replace else (n - m) / (n - 1)
    var_mean = s2 / m * fpc
    w2 = xp.sum(weight * weight, axis=1)
    ratio = beta / gamma
    var_disp = var_mean * (1.0 + ratio * ratio / 2.0) / w2
    return JitterPrediction(var_mean, var_disp, xp.sqrt(var_disp), 1.0 / (2.0 * m))


def sample_boundary_jitter(
    weight: Any,
    Z: Any,
    /,
    *,
    batch_size: int,
    n_batches: int,
    rng: np.random.Generator,
    replace: bool = True,
    gamma: Any = None,
    beta: Any = None,
) -> JitterSample:
    r"""Monte-Carlo displacement of BN hyperplanes across random mini-batches (spec §4.6).

    .. math::

        \Delta_j = \frac{(\hat\mu_j - \mu) - (\beta/\gamma)(\hat\sigma_j - s)}{\|w\|},\quad
        j = 1..n_{\mathrm{batches}}

    Parameters
    ----------
    weight : array, shape (K, D)
    Z : array, shape (N, D)
    batch_size, n_batches : int
    rng : numpy.random.Generator
        Draws the batch indices (host), which are then used on ``Z``'s device.
    replace : bool
    gamma, beta : array, shape (K,), optional

    Returns
    -------
    JitterSample

    Raises
    ------
    ValueError
        Shapes or sizes out of range.

    Notes
    -----
    spec/splines.md §4.6, R7, T15, T16. Memory :math:`O(n_{\mathrm{batches}}\, m K)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import sample_boundary_jitter
    >>> Z = np.random.default_rng(0).standard_normal((500, 3))
    >>> rng = np.random.default_rng(1)
    >>> s = sample_boundary_jitter(np.ones((2, 3)), Z, batch_size=8, n_batches=100, rng=rng)
    >>> s.displacements.shape
    (100, 2)
    """
    xp = _backend.get_namespace(weight, Z)
    weight, Z, gamma, beta, n, m = _prep(weight, Z, gamma, beta, batch_size, replace, xp)
    nb = check_int(n_batches, name="n_batches", minimum=1)
    rng = _validation.check_rng(rng)
    idx = rng.integers(0, n, size=(nb, m)) if replace else np.argsort(rng.random((nb, n)), axis=1)[:, :m]
    p = Z @ weight.mT
    mu = xp.mean(p, axis=0)
    s = xp.sqrt(xp.mean((p - mu) ** 2, axis=0))
    dev = _backend.device(Z)
    k = int(weight.shape[0])
    means, stds = [], []
    step = max(1, 2**20 // max(m * k, 1))
    for b0 in range(0, nb, step):
        ii = xp.asarray(idx[b0 : b0 + step].reshape(-1), device=dev)
        batch = xp.reshape(xp.take(p, ii, axis=0), (-1, m, k))
        mh = xp.mean(batch, axis=1)
        means.append(mh)
        stds.append(xp.sqrt(xp.mean((batch - mh[:, None, :]) ** 2, axis=1)))
    mh = xp.concat(means, axis=0)
    sh = xp.concat(stds, axis=0)
    wn = xp.linalg.vector_norm(weight, axis=1)
    disp = ((mh - mu) - (beta / gamma) * (sh - s)) / wn
    return JitterSample(disp, mh, sh)

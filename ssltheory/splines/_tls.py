"""BN's mean as the total-least-squares offset of a layer's hyperplanes (spec R2, R3, T3–T5, T9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ssltheory import _backend
from ssltheory._validation import check_array

__all__ = ["BNRecentring", "bn_recentring", "tls_objective"]


@dataclass(frozen=True)
class BNRecentring:
    """What BN's statistics do to one layer's hyperplanes (all arrays of shape (K,) unless noted).

    Attributes
    ----------
    mean, std : :math:`\\mu_k = w_k^\\top g`, biased :math:`\\sigma_k`.
    centroid : (D,) :math:`g = \\mathrm{mean}_n z_n`.
    thresholds : :math:`\\tau_k = \\mu_k - \\beta_k \\sigma_k / \\gamma_k`.
    tls_value : :math:`\\min_t L_k = m \\sigma_k^2 / \\|w_k\\|^2`.
    rms_distance : :math:`\\sigma_k/\\|w_k\\|`, RMS distance of the batch to :math:`H_k(\\mu_k)`.
    centroid_signed_distance : :math:`d(g; w_k, \\tau_k) = (\\beta_k/\\gamma_k)\\sigma_k/\\|w_k\\|`.
    excess : :math:`L_k(t_k) - L_k(\\mu_k)` for ``alternative_offsets`` (``None`` if not given).
    """

    mean: Any
    std: Any
    centroid: Any
    thresholds: Any
    tls_value: Any
    rms_distance: Any
    centroid_signed_distance: Any
    excess: Any


def _check_wz(weight: Any, Z: Any, xp: Any) -> tuple[Any, Any]:
    weight = check_array(weight, xp=xp, name="weight", ndim=2)
    Z = check_array(Z, xp=xp, name="Z", ndim=2, min_rows=1)
    if Z.shape[1] != weight.shape[1]:
        raise ValueError(
            f"Z must have {weight.shape[1]} columns (weight is (n_units, n_in)), "
            f"received shape {tuple(Z.shape)}"
        )
    if bool(xp.any(xp.linalg.vector_norm(weight, axis=1) == 0)):
        raise ValueError("weight has a zero row: a unit without a hyperplane has no TLS distance")
    return weight, Z


def tls_objective(weight: Any, offsets: Any, Z: Any, /) -> Any:
    r"""Total-least-squares objective of each unit's hyperplane (spec R2).

    .. math::

        L_k(t_k) = \sum_n d(z_n, \{w_k^\top z = t_k\})^2 = \sum_n \frac{(w_k^\top z_n - t_k)^2}{\|w_k\|^2}

    Parameters
    ----------
    weight : array, shape (K, D)
    offsets : array, shape (K,)
        :math:`t_k`.
    Z : array, shape (m, D)
        Layer inputs.

    Returns
    -------
    array, shape (K,)

    Raises
    ------
    ValueError
        Shape mismatch, a zero row of ``weight``, non-finite input.

    Notes
    -----
    spec/splines.md R2; proofs_checks/test_bn_tls_optimality.py. Cost :math:`O(mKD)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import tls_objective
    >>> tls_objective(np.array([[2.0, 0.0]]), np.array([0.0]), np.array([[1.0, 5.0], [-1.0, 3.0]])).tolist()
    [2.0]
    """
    xp = _backend.get_namespace(weight, offsets, Z)
    weight, Z = _check_wz(weight, Z, xp)
    offsets = check_array(offsets, xp=xp, name="offsets", ndim=1)
    if offsets.shape[0] != weight.shape[0]:
        raise ValueError(f"offsets must have shape ({weight.shape[0]},), received {tuple(offsets.shape)}")
    p = Z @ weight.mT - offsets
    return xp.sum(p * p, axis=0) / xp.sum(weight * weight, axis=1)


def bn_recentring(
    weight: Any,
    Z: Any,
    /,
    *,
    gamma: Any = None,
    beta: Any = None,
    alternative_offsets: Any = None,
) -> BNRecentring:
    r"""BN's statistics as the total-least-squares fit of the offsets (spec R2, R3, R4).

    .. math::

        \mu = \arg\min_t \sum_k\sum_n \frac{(w_k^\top z_n - t_k)^2}{\|w_k\|^2},\qquad
        \min_t L_k = \frac{m\,\sigma_k^2}{\|w_k\|^2},\qquad
        L_k(t_k) - L_k(\mu_k) = \frac{m (t_k - \mu_k)^2}{\|w_k\|^2}

    Parameters
    ----------
    weight : array, shape (K, D)
        :math:`W_\ell` (rows :math:`w_k`).
    Z : array, shape (m, D)
        Layer inputs :math:`z_\ell(x_n)` of the batch.
    gamma, beta : array, shape (K,), optional
        BN scale and shift (default 1, 0); only enter the thresholds :math:`\tau`.
    alternative_offsets : array, shape (K,), optional
        Offsets :math:`t` (zero bias: 0; random: draws) whose TLS excess is reported.

    Returns
    -------
    BNRecentring

    Raises
    ------
    ValueError
        Shape mismatch, a zero row of ``weight``, a zero ``gamma``, non-finite input.

    Notes
    -----
    spec/splines.md R2 (the offset is the mean: separable, strictly convex per unit), R2(3),
    T3–T5; proofs_checks/test_bn_tls_optimality.py. Cost :math:`O(mKD)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import bn_recentring
    >>> Z = np.random.default_rng(0).standard_normal((100, 2)) + 3
    >>> r = bn_recentring(np.array([[1.0, 1.0]]), Z, alternative_offsets=np.array([0.0]))
    >>> bool(np.allclose(r.excess, 100 * r.mean**2 / 2))
    True
    """
    xp = _backend.get_namespace(weight, Z, gamma, beta, alternative_offsets)
    weight, Z = _check_wz(weight, Z, xp)
    k = weight.shape[0]
    dev = _backend.device(weight)
    gamma = (
        xp.ones(k, dtype=weight.dtype, device=dev)
        if gamma is None
        else check_array(gamma, xp=xp, name="gamma", ndim=1)
    )
    beta = (
        xp.zeros(k, dtype=weight.dtype, device=dev)
        if beta is None
        else check_array(beta, xp=xp, name="beta", ndim=1)
    )
    if gamma.shape[0] != k or beta.shape[0] != k:
        raise ValueError(f"gamma and beta must have shape ({k},)")
    if bool(xp.any(gamma == 0)):
        raise ValueError("gamma must be non-zero (a unit with gamma = 0 is constant and has no hyperplane)")
    m = Z.shape[0]
    g = xp.mean(Z, axis=0)
    p = Z @ weight.mT
    mu = xp.mean(p, axis=0)
    var = xp.mean((p - mu) ** 2, axis=0)
    sig = xp.sqrt(var)
    wn = xp.linalg.vector_norm(weight, axis=1)
    tau = mu - beta * sig / gamma
    excess = None
    if alternative_offsets is not None:
        t = check_array(alternative_offsets, xp=xp, name="alternative_offsets", ndim=1)
        if t.shape[0] != k:
            raise ValueError(f"alternative_offsets must have shape ({k},), received {tuple(t.shape)}")
        excess = m * (t - mu) ** 2 / (wn * wn)
    return BNRecentring(
        mean=mu,
        std=sig,
        centroid=g,
        thresholds=tau,
        tls_value=m * var / (wn * wn),
        rms_distance=sig / wn,
        centroid_signed_distance=(weight @ g - tau) / wn,
        excess=excess,
    )

"""Separation of two clusters by a random hyperplane through a pole (spec R6, T17, T18)."""

from __future__ import annotations

import math
from typing import Any

from scipy import special

from ssltheory import _backend
from ssltheory._validation import check_array, check_int, check_positive

__all__ = [
    "ball_separation_bounds",
    "ball_separation_probability",
    "cluster_separation_bound",
    "pair_separation_probability",
]


def pair_separation_probability(u: Any, v: Any, g: Any, /) -> Any:
    r"""Probability that an isotropic random hyperplane through ``g`` separates ``u`` and ``v``.

    .. math::

        P_g[u \,\|\, v] = \frac{\phi}{\pi},\qquad \phi = \angle(u - g, v - g)

    Parameters
    ----------
    u, v, g : arrays, shape (..., D)
        Broadcast together.

    Returns
    -------
    array, shape (...)

    Raises
    ------
    ValueError
        ``u`` or ``v`` equal to ``g`` (the angle is undefined), non-finite input.

    Notes
    -----
    spec/splines.md R6 Lemma 1 [follow-up]; 1 when ``g`` is the midpoint. Cost :math:`O(D)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import pair_separation_probability
    >>> float(pair_separation_probability(np.array([1.0, 0]), np.array([0, 1.0]), np.zeros(2)))
    0.5
    """
    xp = _backend.get_namespace(u, v, g)
    u = check_array(u, xp=xp, name="u")
    v = check_array(v, xp=xp, name="v")
    g = check_array(g, xp=xp, name="g")
    a, b = u - g, v - g
    na, nb = xp.linalg.vector_norm(a, axis=-1), xp.linalg.vector_norm(b, axis=-1)
    if bool(xp.any(na == 0)) or bool(xp.any(nb == 0)):
        raise ValueError("u and v must differ from the pole g (the angle is undefined)")
    cos = xp.clip(xp.sum(a * b, axis=-1) / (na * nb), -1.0, 1.0)
    return xp.acos(cos) / math.pi


def cluster_separation_bound(n_points: int, radius_ratio: float, /) -> float:
    r"""Theorem 2 bound on the failure to separate two δ-clusters of K points (spec R6).

    .. math::

        P[U \text{ not separated from } V] \le \frac{2}{\pi}\,\frac{2K-1}{r/\delta - 1}

    Parameters
    ----------
    n_points : int
        :math:`K \ge 1` points per cluster.
    radius_ratio : float
        :math:`r/\delta \ge 2`.

    Returns
    -------
    float
        The bound (may exceed 1, then it is vacuous).

    Raises
    ------
    ValueError
        :math:`r/\delta < 2`.

    Notes
    -----
    spec/splines.md R6 Theorem 2 [follow-up]: a union bound over :math:`2K-1` pairs, each
    :math:`\le \frac2\pi\arctan(1/\kappa) \le \frac{2}{\pi\kappa}`, :math:`\kappa = r/\delta - 1`.

    Examples
    --------
    >>> from ssltheory.splines import cluster_separation_bound
    >>> round(cluster_separation_bound(3, 20.0), 4)
    0.1675
    """
    k = check_int(n_points, name="n_points", minimum=1)
    ratio = check_positive(radius_ratio, name="radius_ratio")
    if ratio < 2.0:
        raise ValueError(
            f"radius_ratio r/delta must be >= 2 (Theorem 2 assumes r >= 2 delta), received {ratio}"
        )
    return 2.0 / math.pi * (2 * k - 1) / (ratio - 1.0)


def ball_separation_probability(n_points: int, delta_over_r: float, /) -> float:
    r"""Exact probability that a random hyperplane through the midpoint separates two K-balls.

    .. math::

        P = P\big(|w_1| \ge (\delta/r)\|w\|\big) = I_{1-(\delta/r)^2}\Big(\frac{2K-1}{2}, \frac12\Big),
        \quad w \sim \mathcal N(0, I_{2K})

    Parameters
    ----------
    n_points : int
        :math:`K \ge 1` (ball dimension).
    delta_over_r : float
        :math:`\delta/r \in (0, 1]`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        ``delta_over_r`` outside (0, 1].

    Notes
    -----
    spec/splines.md R6 Theorem 3 reduction [derived]: :math:`w_1^2/\|w\|^2 \sim
    \mathrm{Beta}(\frac12, \frac{2K-1}{2})`. SciPy's regularised incomplete beta.

    Examples
    --------
    >>> from ssltheory.splines import ball_separation_probability
    >>> round(ball_separation_probability(5, 0.3), 4)
    0.3701
    """
    k = check_int(n_points, name="n_points", minimum=1)
    c = check_positive(delta_over_r, name="delta_over_r")
    if c > 1.0:
        raise ValueError(f"delta_over_r must be in (0, 1], received {c}")
    return float(special.betainc((2 * k - 1) / 2.0, 0.5, 1.0 - c * c))


def ball_separation_bounds(n_points: int, delta_over_r: float, /, *, epsilon: float) -> tuple[float, float]:
    r"""Theorem 3's sandwich around the ball-separation probability (spec R6).

    .. math::

        t = \frac{\delta}{r}\sqrt{2K},\ s = t\sqrt{\frac{2K-1}{2K-t^2}},\
        \theta = 2e^{-\frac{2K-1}{2}(\epsilon^2/2 - \epsilon^3/3)},\\
        P(|Z| > s\sqrt{1+\epsilon})(1-\theta) \le P \le P(|Z| > s\sqrt{1-\epsilon}) + \theta

    Parameters
    ----------
    n_points : int
    delta_over_r : float
        In (0, 1).
    epsilon : float
        In (0, 1).

    Returns
    -------
    (lower, upper) : tuple of float

    Raises
    ------
    ValueError
        Arguments out of range.

    Notes
    -----
    spec/splines.md R6 Theorem 3 [follow-up]; checked against the exact value in T18.

    Examples
    --------
    >>> from ssltheory.splines import ball_separation_bounds, ball_separation_probability
    >>> lo, hi = ball_separation_bounds(50, 0.1, epsilon=0.5)
    >>> lo <= ball_separation_probability(50, 0.1) <= hi
    True
    """
    k = check_int(n_points, name="n_points", minimum=1)
    c = check_positive(delta_over_r, name="delta_over_r")
    eps = check_positive(epsilon, name="epsilon")
    if c >= 1.0 or eps >= 1.0:
        raise ValueError(f"delta_over_r and epsilon must be in (0, 1), received {c} and {eps}")
    t = c * math.sqrt(2 * k)
    s = t * math.sqrt((2 * k - 1) / (2 * k - t * t))
    theta = 2.0 * math.exp(-(2 * k - 1) / 2.0 * (eps**2 / 2 - eps**3 / 3))

    def tail(x: float) -> float:  # P(|Z| > x)
        return float(special.erfc(x / math.sqrt(2.0)))

    lower = tail(s * math.sqrt(1 + eps)) * (1 - theta)
    upper = tail(s * math.sqrt(1 - eps)) + theta
    return lower, upper

r"""SIGReg, the sketched isotropic-Gaussian regulariser of LeJEPA, and its Epps–Pulley statistic.

Balestriero & LeCun (arXiv:2511.08544) regularise an embedding :math:`Z\in\mathbb R^{N\times K}`
towards :math:`\mathcal N(0, I_K)` by averaging a univariate goodness-of-fit statistic over random
unit directions :math:`a_m` (Cramér–Wold: all 1-D projections Gaussian ⇔ the law is Gaussian).
The statistic is Epps–Pulley's (1983) weighted :math:`L^2` distance between the empirical
characteristic function of the projected samples and :math:`e^{-t^2/2}`:

.. math::

    \mathrm{EP}(x) = N\int_{\mathbb R}\big|\hat\varphi_N(t) - e^{-t^2/2}\big|^2 w(t)\,dt,\qquad
    \hat\varphi_N(t) = \frac1N\sum_{j=1}^N e^{itx_j},\qquad w(t) = e^{-t^2/(2\beta^2)},

    \mathrm{SIGReg}(Z) = \frac1M\sum_{m=1}^M \mathrm{EP}(Z a_m).

This module gives the statistic in **closed form** (a double sum over pairs, exact for the Gaussian
weight), the paper's trapezoidal version, their exact gradients, the exact expectation for i.i.d.
samples from any 1-D Gaussian mixture (the bias of the V-statistic at finite :math:`N`, the paper's
Theorem 6), the exact variance under the Gaussian target, and the Gaussian scale that minimises the
expected statistic (:math:`1-1/N` at :math:`\beta=1`: the bias shrinks the preferred embedding).
Derivations: ``docs/dynamics_sigreg.md``; symbolic checks: ``proofs_checks/test_sigreg_epps_pulley.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend, _validation

__all__ = [
    "EppsPulleyExpectation",
    "SIGRegResult",
    "epps_pulley",
    "epps_pulley_expectation",
    "epps_pulley_grad",
    "epps_pulley_null_variance",
    "epps_pulley_optimal_scale",
    "random_directions",
    "sigreg",
]

_METHODS = ("exact", "trapezoid")
_SQRT_2PI = math.sqrt(2.0 * math.pi)
# the pairwise kernel of the exact form is built in blocks of projections holding at most this many
# entries (N² per projection): 2²² float64 = 32 MiB per temporary
_PAIR_BLOCK = 1 << 22


# ----------------------------------------------------------------------------- validation helpers
def _check_bandwidth(bandwidth: Any) -> float:
    return _validation.check_positive(bandwidth, name="bandwidth")


def _check_method(method: Any, t_max: Any, n_knots: Any) -> tuple[str, float, int]:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}, received {method!r}")
    t = _validation.check_positive(t_max, name="t_max")
    n = _validation.check_int(n_knots, name="n_knots", minimum=2)
    return method, t, n


def _as_generator(rng: Any) -> np.random.Generator:
    return _validation.check_rng(rng)


def _samples(x: Any, *, xp: ModuleType, name: str) -> tuple[Any, bool]:
    """``x`` as a float (N, M) array (one column per projection) and whether it was 1-D."""
    if _backend.is_sparse(x):
        raise TypeError(f"{name} must be a dense array, received a sparse matrix")
    if x.ndim not in (1, 2):
        raise ValueError(
            f"{name} must have shape (n_samples,) or (n_samples, n_projections), received shape "
            f"{tuple(x.shape)}"
        )
    x = _validation.check_array(x, xp=xp, name=name, ndim=x.ndim, min_rows=1)
    if x.ndim == 1:
        return xp.reshape(x, (-1, 1)), True
    return x, False


# ----------------------------------------------------------------------------- quadrature rule
def _trapezoid_rule(t_max: float, n_knots: int) -> tuple[np.ndarray, np.ndarray]:
    """Knots ``t >= 0`` and weights of the trapezoid rule on ``[-t_max, t_max]`` folded onto ``t >= 0``.

    The integrand ``|φ̂_N(t) − φ(t)|² w(t)`` is even (``φ̂_N(−t)`` is the conjugate of ``φ̂_N(t)``), so
    the rule on the symmetric grid equals the rule on its non-negative half with the weights of
    ``t > 0`` doubled: this is how the official code evaluates it (17 knots on [0, 3]).
    """
    t = np.linspace(-t_max, t_max, n_knots)
    h = t[1] - t[0]
    w = np.full(n_knots, h)
    w[[0, -1]] = h / 2
    keep = t >= -1e-12 * t_max
    t, w = np.abs(t[keep]), w[keep]
    w = np.where(t > 1e-12 * t_max, 2 * w, w)
    return t, w


# ----------------------------------------------------------------------------- private kernels
def _exact_value_grad(x: Any, beta: float, *, xp: ModuleType, grad: bool) -> tuple[Any, Any]:
    r"""Closed form of EP and its gradient for each column of ``x`` (N, M).

    ``EP = c [ (1/N) Σ_jk K_jk − 2a Σ_j g_j + N r ]`` with ``K_jk = exp(−β²(x_j − x_k)²/2)``,
    ``g_j = exp(−b x_j²)``, ``c = √(2π) β``, ``a = (1+β²)^{-1/2}``, ``b = β²/(2(1+β²))``,
    ``r = (1+2β²)^{-1/2}``.
    """
    n, m = x.shape
    b2 = beta * beta
    c = _SQRT_2PI * beta
    a = 1.0 / math.sqrt(1.0 + b2)
    b = b2 / (2.0 * (1.0 + b2))
    r = 1.0 / math.sqrt(1.0 + 2.0 * b2)
    g = xp.exp(-b * x * x)
    block = max(1, _PAIR_BLOCK // max(n * n, 1))
    rows, moments = [], []
    for lo in range(0, m, block):
        xt = x[:, lo : min(lo + block, m)].mT  # (m_b, N): one projection per leading index
        k = xt[:, :, None] - xt[:, None, :]
        k = k * k
        k *= -0.5 * b2
        k = _backend.exp_inplace(k, xp=xp)  # K_ijk = exp(−β²(x_j − x_k)²/2) per projection i
        # one batched product gives the row sums Σ_k K_jk and Σ_k K_jk x_k (BLAS, no (N, N) reductions)
        out = k @ xp.stack([xp.ones_like(xt), xt], axis=2)
        rows.append(out[:, :, 0].mT)
        moments.append(out[:, :, 1].mT)
    rowsum = xp.concat(rows, axis=1) if len(rows) > 1 else rows[0]  # (N, M)
    value = c * (xp.sum(rowsum, axis=0) / n - 2.0 * a * xp.sum(g, axis=0) + n * r)
    if not grad:
        return value, None
    kx = xp.concat(moments, axis=1) if len(moments) > 1 else moments[0]
    # Σ_k (x_j − x_k) K_jk = x_j Σ_k K_jk − Σ_k K_jk x_k
    gr = c * ((-2.0 * b2 / n) * (x * rowsum - kx) + (4.0 * a * b) * x * g)
    return value, gr


def _trapezoid_value_grad(
    x: Any, beta: float, t_max: float, n_knots: int, *, xp: ModuleType, grad: bool
) -> tuple[Any, Any]:
    r"""Trapezoid rule: ``EP ≈ N Σ_k ω_k w(t_k) [(C_k − φ_k)² + S_k²]``, C/S the mean cos/sin."""
    n = x.shape[0]
    t_np, om_np = _trapezoid_rule(t_max, n_knots)
    dev = _backend.device(x)
    t = xp.asarray(t_np, dtype=x.dtype, device=dev)
    phi = xp.exp(-0.5 * t * t)
    weight = xp.asarray(om_np, dtype=x.dtype, device=dev) * xp.exp(-(t * t) / (2.0 * beta * beta))
    arg = x[:, :, None] * t[None, None, :]  # (N, M, T)
    cos, sin = xp.cos(arg), xp.sin(arg)
    cm = xp.mean(cos, axis=0) - phi  # (M, T)
    sm = xp.mean(sin, axis=0)
    value = n * xp.sum((cm * cm + sm * sm) * weight, axis=1)
    if not grad:
        return value, None
    coef = 2.0 * weight * t  # (T,)
    gr = xp.sum(coef * (sm[None, :, :] * cos - cm[None, :, :] * sin), axis=2)
    return value, gr


def _value_grad(
    x: Any, beta: float, method: str, t_max: float, n_knots: int, *, xp: ModuleType, grad: bool
) -> tuple[Any, Any]:
    if method == "exact":
        return _exact_value_grad(x, beta, xp=xp, grad=grad)
    return _trapezoid_value_grad(x, beta, t_max, n_knots, xp=xp, grad=grad)


# ----------------------------------------------------------------------------- the statistic
def epps_pulley(
    x: Any,
    /,
    *,
    bandwidth: float = 1.0,
    method: str = "exact",
    t_max: float = 5.0,
    n_knots: int = 17,
) -> Any:
    r"""Epps–Pulley statistic of 1-D samples against :math:`\mathcal N(0, 1)`.

    .. math::

        \mathrm{EP}(x) = N\int_{-\infty}^{\infty}\big|\hat\varphi_N(t) - e^{-t^2/2}\big|^2
        e^{-t^2/(2\beta^2)}\,dt

    ``method="exact"`` evaluates the integral in closed form (Gaussian integrals of the squared
    modulus expanded over pairs):

    .. math::

        \mathrm{EP}(x) = \sqrt{2\pi}\,\beta\Big[\frac1N\sum_{j,k=1}^N e^{-\beta^2(x_j-x_k)^2/2}
          - \frac{2}{\sqrt{1+\beta^2}}\sum_{j=1}^N e^{-\beta^2x_j^2/(2(1+\beta^2))}
          + \frac{N}{\sqrt{1+2\beta^2}}\Big].

    ``method="trapezoid"`` is the quadrature LeJEPA trains with: the trapezoid rule on
    ``n_knots`` equally spaced knots of :math:`[-t_{\max}, t_{\max}]`.

    Parameters
    ----------
    x : array, shape (n_samples,) or (n_samples, n_projections)
        Samples; each column of a 2-D array is one set of projected samples.
    bandwidth : float, default 1.0
        :math:`\beta > 0` of the weight :math:`w(t)=e^{-t^2/(2\beta^2)}`. ``1.0`` is the weight of
        the paper's Algorithm 1 (``exp_f = exp(-t²/2)``, the target CF reused as the window); the
        text's :math:`w(t)=e^{-t^2/\sigma^2}` with ":math:`\sigma` commonly set to 1" is
        ``bandwidth=1/sqrt(2)``. Epps & Pulley's own statistic uses the normalised weight, i.e.
        :math:`T_{N,\beta} = \mathrm{EP}/(\sqrt{2\pi}\,\beta)`.
    method : {"exact", "trapezoid"}, default "exact"
    t_max, n_knots : float, int
        The trapezoid grid (``method="trapezoid"`` only). Defaults: the paper's Algorithm 1
        (``linspace(-5, 5, 17)``); the official code's 17 knots on :math:`[0, 3]` doubled by
        symmetry is ``t_max=3, n_knots=33``.

    Returns
    -------
    array
        Shape ``()`` for 1-D ``x``, ``(n_projections,)`` otherwise; ``x``'s namespace, device and dtype.

    Raises
    ------
    ValueError
        ``x`` not 1-D/2-D or not finite, ``bandwidth``/``t_max`` not positive, unknown ``method``,
        ``n_knots < 2``.
    TypeError
        ``x`` not an array or of a non-real dtype.

    See Also
    --------
    epps_pulley_grad, epps_pulley_expectation, sigreg

    Notes
    -----
    The exact form is a V-statistic (it keeps the diagonal pairs :math:`j=k`), which is why its
    expectation under the target is a positive constant, not 0 (:func:`epps_pulley_expectation`).
    Cost :math:`O(N^2M)` (exact, the pairwise kernel built in blocks of projections) or
    :math:`O(NMT)` (trapezoid, :math:`T` knots). Checked against :func:`scipy.integrate.quad` in the
    claim ``dynamics.sigreg.closed_form``.

    References
    ----------
    T. W. Epps & L. B. Pulley, "A test for normality based on the empirical characteristic
    function", Biometrika 70 (1983). R. Balestriero & Y. LeCun, "LeJEPA: Provable and Scalable
    Self-Supervised Learning Without the Heuristics", arXiv:2511.08544 (§4.2.3, Algorithm 1).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([-1.0, 0.0, 1.0])
    >>> round(float(epps_pulley(x)), 6)
    0.03506
    >>> round(float(epps_pulley(x, method="trapezoid")), 6)  # the paper's 17-knot rule
    0.035058
    """
    xp = _backend.get_namespace(x)
    beta = _check_bandwidth(bandwidth)
    method, t_max, n_knots = _check_method(method, t_max, n_knots)
    x2, flat = _samples(x, xp=xp, name="x")
    value, _ = _value_grad(x2, beta, method, t_max, n_knots, xp=xp, grad=False)
    return value[0] if flat else value


def epps_pulley_grad(
    x: Any,
    /,
    *,
    bandwidth: float = 1.0,
    method: str = "exact",
    t_max: float = 5.0,
    n_knots: int = 17,
) -> Any:
    r"""Gradient :math:`\partial\,\mathrm{EP}/\partial x_i` of :func:`epps_pulley`, column by column.

    .. math::

        \frac{\partial\,\mathrm{EP}}{\partial x_i} = \sqrt{2\pi}\,\beta\Big[
          -\frac{2\beta^2}{N}\sum_{k}(x_i-x_k)e^{-\beta^2(x_i-x_k)^2/2}
          + \frac{2\beta^2}{(1+\beta^2)^{3/2}}\,x_i\,e^{-\beta^2x_i^2/(2(1+\beta^2))}\Big]
        = 2\int t\,w(t)\big[\operatorname{Im}\hat\varphi_N(t)\cos tx_i
          - (\operatorname{Re}\hat\varphi_N(t) - e^{-t^2/2})\sin tx_i\big]\,dt .

    Parameters
    ----------
    x : array, shape (n_samples,) or (n_samples, n_projections)
    bandwidth, method, t_max, n_knots
        As in :func:`epps_pulley` (the trapezoid gradient is that of the trapezoid sum).

    Returns
    -------
    array
        Same shape, namespace, device and dtype as ``x``.

    Raises
    ------
    ValueError, TypeError
        As :func:`epps_pulley`.

    Notes
    -----
    Bound (the paper's Theorem 4, normalisation corrected): since
    :math:`|\hat\varphi_N - \varphi|\le 2`, :math:`|\partial\,\mathrm{EP}/\partial x_i|\le
    4\int|t|w(t)\,dt = 8\beta^2` — :math:`4\sigma^2` in the paper's :math:`w=e^{-t^2/\sigma^2}`.
    The paper states :math:`4\sigma^2/N`, which is the bound for :math:`\mathrm{EP}/N` (the
    distance its proof differentiates, without the factor :math:`N`); the gradient of EP itself does
    not shrink with :math:`N` (claim ``dynamics.sigreg.gradient_bound``). Cost as :func:`epps_pulley`.

    Examples
    --------
    >>> import numpy as np
    >>> g = epps_pulley_grad(np.array([-1.0, 0.0, 1.0]))
    >>> [round(float(v), 6) for v in g]  # descent spreads the too-narrow sample, the middle stays
    [0.08549, 0.0, -0.08549]
    """
    xp = _backend.get_namespace(x)
    beta = _check_bandwidth(bandwidth)
    method, t_max, n_knots = _check_method(method, t_max, n_knots)
    x2, flat = _samples(x, xp=xp, name="x")
    _, grad = _value_grad(x2, beta, method, t_max, n_knots, xp=xp, grad=True)
    return grad[:, 0] if flat else grad


# ----------------------------------------------------------------------------- expectation
@dataclass(frozen=True)
class EppsPulleyExpectation:
    r"""Exact moments of the Epps–Pulley statistic of :math:`N` i.i.d. samples from a law :math:`P`.

    ``mean = n_samples * distance + bias``: ``distance`` is the population value
    :math:`D(P)=\int w\,|\varphi_P-\varphi|^2` (0 iff :math:`P=\mathcal N(0,1)`), ``bias`` the
    finite-sample term :math:`\int w\,(1-|\varphi_P|^2)` of the V-statistic (both as the chosen
    ``method`` integrates them: exactly, or by the trapezoid sum).
    """

    mean: float
    distance: float
    bias: float
    n_samples: int


def _mixture(means: Any, stds: Any, weights: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mu = np.atleast_1d(np.asarray(means, dtype=np.float64))
    sd = np.atleast_1d(np.asarray(stds, dtype=np.float64))
    if mu.ndim != 1 or sd.ndim != 1:
        raise ValueError(f"means and stds must be 1-D sequences, received shapes {mu.shape} and {sd.shape}")
    if sd.shape != mu.shape:
        if sd.size == 1:
            sd = np.full(mu.shape, float(sd[0]))
        else:
            raise ValueError(f"means and stds must have the same length, received {mu.size} and {sd.size}")
    if weights is None:
        pi = np.full(mu.shape, 1.0 / mu.size)
    else:
        pi = np.atleast_1d(np.asarray(weights, dtype=np.float64))
        if pi.shape != mu.shape:
            raise ValueError(f"weights must have the length of means ({mu.size}), received {pi.size}")
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sd)) and np.all(np.isfinite(pi))):
        raise ValueError("means, stds and weights must be finite")
    if np.any(sd < 0):
        raise ValueError(f"stds must be >= 0, received {sd.tolist()}")
    if np.any(pi < 0) or not math.isclose(float(pi.sum()), 1.0, rel_tol=0, abs_tol=1e-12):
        raise ValueError(f"weights must be non-negative and sum to 1, received sum {float(pi.sum())!r}")
    return mu, sd, pi


def epps_pulley_expectation(
    n_samples: int,
    /,
    *,
    means: Sequence[float] | float = 0.0,
    stds: Sequence[float] | float = 1.0,
    weights: Sequence[float] | None = None,
    bandwidth: float = 1.0,
    method: str = "exact",
    t_max: float = 5.0,
    n_knots: int = 17,
) -> EppsPulleyExpectation:
    r"""Exact :math:`\mathbb E[\mathrm{EP}]` for :math:`N` i.i.d. samples of a 1-D Gaussian mixture.

    For :math:`x_j\sim P` i.i.d., :math:`\mathbb E|\hat\varphi_N(t)-\varphi(t)|^2 =
    |\varphi_P(t)-\varphi(t)|^2 + (1-|\varphi_P(t)|^2)/N`, hence (the paper's Theorem 6, here for
    the statistic *with* its factor :math:`N`)

    .. math::

        \mathbb E[\mathrm{EP}] = N\,D(P) + \int w(t)\big(1-|\varphi_P(t)|^2\big)\,dt,\qquad
        D(P) = \int w\,|\varphi_P-\varphi|^2 .

    For :math:`P=\sum_k\pi_k\mathcal N(\mu_k,\sigma_k^2)` (point masses allowed, :math:`\sigma_k=0`)
    every term is a Gaussian integral, :math:`\int e^{-At^2/2}\cos(\mu t)\,dt=\sqrt{2\pi/A}\,
    e^{-\mu^2/(2A)}`. Under the target :math:`P=\mathcal N(0,1)` (the default) :math:`D=0` and

    .. math::

        \mathbb E[\mathrm{EP}] = \sqrt{2\pi}\,\beta\Big(1-\frac{1}{\sqrt{1+2\beta^2}}\Big)
        \quad\text{for every } N \qquad (\approx 1.05943 \text{ at } \beta = 1).

    Parameters
    ----------
    n_samples : int
        :math:`N \ge 1`.
    means, stds, weights : sequences of float
        Components :math:`\mu_k`, :math:`\sigma_k\ge0` (a scalar ``stds`` is shared) and
        :math:`\pi_k` (default equal; non-negative, summing to 1).
    bandwidth, method, t_max, n_knots
        As in :func:`epps_pulley`; with ``method="trapezoid"`` the expectation of the trapezoid
        statistic, :math:`\sum_k\omega_kw(t_k)[N|\varphi_P-\varphi|^2+1-|\varphi_P|^2](t_k)`.

    Returns
    -------
    EppsPulleyExpectation
        ``mean``, ``distance``, ``bias`` (floats) and ``n_samples``.

    Raises
    ------
    ValueError
        Bad sizes, negative ``stds``, weights that are negative or do not sum to 1, bad options.
    TypeError
        ``n_samples`` not an integer.

    Notes
    -----
    Cost :math:`O(K^2)` for :math:`K` components (``O(K^2 T)`` for the trapezoid). Checked against
    Monte Carlo in the claims ``dynamics.sigreg.null_expectation`` and
    ``dynamics.sigreg.finite_sample_bias``; symbolic derivation in
    ``proofs_checks/test_sigreg_epps_pulley.py``.

    Examples
    --------
    >>> e = epps_pulley_expectation(100)
    >>> round(e.mean, 6), e.distance  # the Gaussian target: no distance, only the V-statistic's bias
    (1.059426, 0.0)
    >>> rademacher = epps_pulley_expectation(100, means=[-1.0, 1.0], stds=0.0)
    >>> round(rademacher.distance, 6), round(rademacher.mean, 4)  # ±1 coins: mean 0, variance 1
    (0.109357, 12.0194)
    """
    n = _validation.check_int(n_samples, name="n_samples", minimum=1)
    beta = _check_bandwidth(bandwidth)
    method, t_max, n_knots = _check_method(method, t_max, n_knots)
    mu, sd, pi = _mixture(means, stds, weights)
    inv_b2 = 1.0 / (beta * beta)
    dmu = mu[:, None] - mu[None, :]
    s2 = sd[:, None] ** 2 + sd[None, :] ** 2
    pp = pi[:, None] * pi[None, :]
    if method == "exact":
        a = s2 + inv_b2
        cf2 = float(np.sum(pp * np.sqrt(2 * np.pi / a) * np.exp(-(dmu**2) / (2 * a))))  # ∫ w |φ_P|²
        bk = sd**2 + 1.0 + inv_b2
        cross = float(np.sum(pi * np.sqrt(2 * np.pi / bk) * np.exp(-(mu**2) / (2 * bk))))  # ∫ w φ_P φ
        target = math.sqrt(2 * math.pi / (2.0 + inv_b2))  # ∫ w φ²
        total = _SQRT_2PI * beta  # ∫ w
    else:
        t, om = _trapezoid_rule(t_max, n_knots)
        om = om * np.exp(-(t**2) * inv_b2 / 2)
        phi = np.exp(-(t**2) / 2)
        # |φ_P(t)|² = Σ_kl π_k π_l cos((μ_k − μ_l) t) exp(−(σ_k² + σ_l²) t²/2)
        cf2_t = np.einsum("kl,klt->t", pp, np.cos(dmu[..., None] * t) * np.exp(-s2[..., None] * t**2 / 2))
        re_t = np.einsum("k,kt->t", pi, np.cos(mu[:, None] * t) * np.exp(-(sd[:, None] ** 2) * t**2 / 2))
        cf2, cross = float(om @ cf2_t), float(om @ (re_t * phi))
        target, total = float(om @ phi**2), float(om.sum())
    distance = max(cf2 - 2.0 * cross + target, 0.0)
    bias = total - cf2
    return EppsPulleyExpectation(mean=n * distance + bias, distance=distance, bias=bias, n_samples=n)


def epps_pulley_null_variance(n_samples: int, /, *, bandwidth: float = 1.0) -> float:
    r"""Exact :math:`\mathrm{Var}[\mathrm{EP}]` for :math:`N` i.i.d. :math:`\mathcal N(0,1)` samples.

    Write :math:`\mathrm{EP}=\frac{c}{N}\sum_{j,k}h(x_j,x_k)` with :math:`c=\sqrt{2\pi}\beta` and the
    doubly centred Gaussian kernel :math:`h(x,y)=K(x,y)-\bar k(x)-\bar k(y)+\bar{\bar k}`,
    :math:`K=e^{-\beta^2(x-y)^2/2}`, :math:`\bar k(x)=\mathbb E_YK(x,Y)`. Under the target
    :math:`h` is degenerate (:math:`\mathbb E[h(x,Y)]=0`), so all covariances between distinct
    pairs vanish and

    .. math::

        \mathrm{Var}[\mathrm{EP}] = c^2\Big[\frac{4(q-r^2)}{N}
          + 2\Big(1-\frac1N\Big)\big(p - 2q + r^2\big)\Big],

    :math:`p=(1+4\beta^2)^{-1/2}=\mathbb E K^2`, :math:`q=((1+\beta^2)(1+3\beta^2))^{-1/2}=
    \mathbb E\bar k^2`, :math:`r=(1+2\beta^2)^{-1/2}=\mathbb E K`. At :math:`\beta=1`,
    :math:`N\to\infty`: :math:`\approx 0.9229` (standard deviation 0.961).

    Parameters
    ----------
    n_samples : int
        :math:`N\ge1`.
    bandwidth : float, default 1.0
        :math:`\beta` as in :func:`epps_pulley` (exact statistic).

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        ``n_samples`` not an integer ≥ 1, ``bandwidth`` not positive.

    Examples
    --------
    >>> round(epps_pulley_null_variance(1), 6)  # one sample: EP = c (1 − 2a g(x) + r)
    0.508185
    """
    n = _validation.check_int(n_samples, name="n_samples", minimum=1)
    beta = _check_bandwidth(bandwidth)
    b2 = beta * beta
    p = 1.0 / math.sqrt(1.0 + 4.0 * b2)
    q = 1.0 / math.sqrt((1.0 + b2) * (1.0 + 3.0 * b2))
    r = 1.0 / math.sqrt(1.0 + 2.0 * b2)
    c2 = 2.0 * math.pi * b2
    return c2 * (4.0 * (q - r * r) / n + 2.0 * (1.0 - 1.0 / n) * (p - 2.0 * q + r * r))


def epps_pulley_optimal_scale(n_samples: int, /, *, bandwidth: float = 1.0) -> float:
    r"""The scale :math:`s^*` minimising :math:`\mathbb E[\mathrm{EP}]` over :math:`\mathcal N(0, s^2)` laws.

    With :func:`epps_pulley_expectation` at :math:`P=\mathcal N(0,s^2)`, :math:`a=\beta^{-2}`,

    .. math::

        \mathbb E[\mathrm{EP}](s) = \sqrt{2\pi}\Big[\frac{N-1}{\sqrt{2s^2+a}}
          - \frac{2N}{\sqrt{s^2+1+a}} + \frac{N}{\sqrt{2+a}}\Big] + \sqrt{2\pi}\,\beta,

    whose derivative in :math:`s` vanishes iff :math:`N(s^2+1+a)^{-3/2}=(N-1)(2s^2+a)^{-3/2}`:

    .. math::

        s^{*2} = \frac{\rho(1+a)-a}{2-\rho},\qquad \rho=\Big(1-\frac1N\Big)^{2/3},\qquad
        s^* = 1-\frac{1+2\beta^2}{3\beta^2N}+O(N^{-2})\quad(= 1 - 1/N \text{ at } \beta=1),

    and :math:`s^*=0` (collapse) when :math:`\rho\le a/(1+a)`, e.g. for :math:`N=1`. So in
    expectation SIGReg prefers an isotropic Gaussian embedding *shrunk* by :math:`O(1/N)`: the
    V-statistic's bias term :math:`\int w(1-|\varphi_P|^2)` grows with the spread. Every projection of
    :math:`s\,\mathcal N(0,I_K)` is :math:`\mathcal N(0,s^2)`, so the same :math:`s^*` minimises
    :math:`\mathbb E[\mathrm{SIGReg}]` over isotropic Gaussian embeddings, for any directions.

    Parameters
    ----------
    n_samples : int
        :math:`N\ge1`.
    bandwidth : float, default 1.0
        :math:`\beta` as in :func:`epps_pulley` (exact statistic).

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        ``n_samples`` not an integer ≥ 1, ``bandwidth`` not positive.

    Notes
    -----
    Derived here (the paper's Theorem 6 gives the bias term; the shrinkage is its consequence).
    Checked against the minimiser of a Monte-Carlo average in the claim
    ``dynamics.sigreg.finite_sample_shrinkage``; symbolic check in
    ``proofs_checks/test_sigreg_epps_pulley.py``.

    Examples
    --------
    >>> round(epps_pulley_optimal_scale(100), 7)  # ≈ 1 − 1/N at β = 1
    0.9899997
    >>> epps_pulley_optimal_scale(1)  # one sample: the statistic is smallest at x = 0
    0.0
    """
    n = _validation.check_int(n_samples, name="n_samples", minimum=1)
    beta = _check_bandwidth(bandwidth)
    a = 1.0 / (beta * beta)
    rho = (1.0 - 1.0 / n) ** (2.0 / 3.0)
    s2 = (rho * (1.0 + a) - a) / (2.0 - rho)
    return math.sqrt(s2) if s2 > 0 else 0.0


# ----------------------------------------------------------------------------- SIGReg
def random_directions(n_features: int, n_projections: int, /, *, rng: Any) -> np.ndarray:
    r"""``n_projections`` directions uniform on the unit sphere :math:`S^{K-1}`, as columns (NumPy).

    Gaussian vectors normalised to unit length (the paper's Algorithm 1: ``A = randn(K, M);
    A /= A.norm(dim=0)``), drawn on the host from ``rng``.

    Parameters
    ----------
    n_features : int
        :math:`K\ge1`.
    n_projections : int
        :math:`M\ge1`.
    rng : numpy.random.Generator or int

    Returns
    -------
    numpy.ndarray, shape (n_features, n_projections)

    Raises
    ------
    TypeError, ValueError
        Non-integer or non-positive sizes, ``rng`` not a Generator or an int.

    Examples
    --------
    >>> a = random_directions(3, 5, rng=0)
    >>> a.shape, bool(np.allclose(np.linalg.norm(a, axis=0), 1.0))
    ((3, 5), True)
    """
    k = _validation.check_int(n_features, name="n_features", minimum=1)
    m = _validation.check_int(n_projections, name="n_projections", minimum=1)
    gen = _as_generator(rng)
    g = gen.standard_normal((k, m))
    norms = np.linalg.norm(g, axis=0)
    while np.any(norms == 0):  # probability 0; redraw rather than divide by zero
        g[:, norms == 0] = gen.standard_normal((k, int(np.sum(norms == 0))))
        norms = np.linalg.norm(g, axis=0)
    return g / norms


@dataclass(frozen=True)
class SIGRegResult:
    """SIGReg of an embedding: the value, the statistic per direction, the directions, the gradient.

    ``value`` is a 0-d array, ``statistics`` shape ``(n_projections,)``, ``directions`` shape
    ``(n_features, n_projections)`` (unit columns) and ``grad`` shape ``(n_samples, n_features)``
    (:math:`\\partial\\,\\mathrm{SIGReg}/\\partial Z`), all in the embedding's namespace and device.
    """

    value: Any
    statistics: Any
    directions: Any
    grad: Any


def sigreg(
    z: Any,
    /,
    *,
    directions: Any = None,
    n_projections: int | None = None,
    rng: Any = None,
    bandwidth: float = 1.0,
    method: str = "exact",
    t_max: float = 5.0,
    n_knots: int = 17,
) -> SIGRegResult:
    r"""SIGReg: the Epps–Pulley statistic averaged over unit directions, with its gradient.

    .. math::

        \mathrm{SIGReg}(Z) = \frac1M\sum_{m=1}^M\mathrm{EP}(Za_m),\qquad
        \frac{\partial\,\mathrm{SIGReg}}{\partial Z} = \frac1M\,
        \Big[\frac{\partial\,\mathrm{EP}}{\partial x}\Big|_{x=Za_m}\Big]_{m}A^\top,
        \qquad \|a_m\| = 1 .

    Parameters
    ----------
    z : array, shape (n_samples, n_features)
        The embedding :math:`Z`.
    directions : array, shape (n_features, n_projections), optional
        Unit-norm columns :math:`a_m` (same namespace as ``z``). Exclusive with ``n_projections``.
    n_projections : int, optional
        Draw this many directions uniformly on the sphere from ``rng`` (:func:`random_directions`);
        the paper resamples them at every step (256 in Algorithm 1).
    rng : numpy.random.Generator or int, optional
        Required with ``n_projections``.
    bandwidth, method, t_max, n_knots
        As in :func:`epps_pulley`.

    Returns
    -------
    SIGRegResult

    Raises
    ------
    ValueError
        Bad shapes, both or neither of ``directions`` and ``n_projections``, non-unit directions,
        bad options.
    TypeError
        Non-array inputs, mixed array libraries, missing or invalid ``rng``.

    Notes
    -----
    The paper's Definition 2 averages (its Theorem 2 takes the maximum; the average avoids sparse
    gradients). Under :math:`Z` with i.i.d. :math:`\mathcal N(0,I_K)` rows every projection is
    :math:`\mathcal N(0,1)`, so :math:`\mathbb E[\mathrm{SIGReg}]` is the constant of
    :func:`epps_pulley_expectation` for any directions. Cost :math:`O(NKM + N^2M)` (exact) or
    :math:`O(NKM+NMT)` (trapezoid).

    References
    ----------
    Balestriero & LeCun, arXiv:2511.08544, Definition 2 and Algorithm 1.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.random.default_rng(0).standard_normal((64, 3))
    >>> res = sigreg(z, n_projections=8, rng=1)
    >>> res.statistics.shape, res.grad.shape
    ((8,), (64, 3))
    >>> e = np.eye(3)  # the coordinate axes as directions: the mean of the per-column statistics
    >>> bool(np.isclose(sigreg(z, directions=e).value, epps_pulley(z).mean()))
    True
    """
    xp = _backend.get_namespace(z, directions)
    beta = _check_bandwidth(bandwidth)
    method, t_max, n_knots = _check_method(method, t_max, n_knots)
    z = _validation.check_array(z, xp=xp, name="z", ndim=2, min_rows=1)
    k = z.shape[1]
    if (directions is None) == (n_projections is None):
        raise ValueError("pass exactly one of directions (an array) and n_projections (with rng)")
    if directions is None:
        if rng is None:
            raise TypeError("rng is required with n_projections (an int seed or a numpy Generator)")
        a = xp.asarray(random_directions(k, n_projections, rng=rng), dtype=z.dtype, device=_backend.device(z))
    else:
        a = _validation.check_array(directions, xp=xp, name="directions", ndim=2, min_rows=1)
        if a.shape[0] != k:
            raise ValueError(
                f"directions must have shape (n_features, n_projections) = ({k}, M) to match z, "
                f"received {tuple(a.shape)}"
            )
        if a.dtype != z.dtype:
            a = xp.astype(a, z.dtype)
        norms = xp.sqrt(xp.sum(a * a, axis=0))
        tol = _validation.default_tol(z.dtype, xp=xp)
        worst = float(xp.max(xp.abs(norms - 1.0)))
        if worst > tol:
            raise ValueError(
                f"directions must have unit-norm columns (they are never normalised silently), but a "
                f"column norm differs from 1 by {worst:.3g} (tolerance {tol:.3g}); pass A / ‖A‖ per column"
            )
    x = z @ a
    stats, g = _value_grad(x, beta, method, t_max, n_knots, xp=xp, grad=True)
    m = a.shape[1]
    return SIGRegResult(value=xp.mean(stats), statistics=stats, directions=a, grad=(g @ a.mT) / m)

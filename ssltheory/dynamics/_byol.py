r"""Non-contrastive dynamics: linear BYOL / SimSiam with a linear predictor (arXiv:2102.06810).

Tian, Chen & Ganguli (ICML 2021) study the online network :math:`W` (``n × d``), a linear predictor
:math:`W_p` (``n × n``) and a target :math:`W_a` that is either the online network itself behind a
stop-gradient (SimSiam) or its exponential moving average (BYOL), trained on

.. math::

    J = \tfrac12\,\mathbb E\,\lVert W_p W x_1 - \mathrm{sg}(W_a x_2)\rVert^2
        + \tfrac{\eta}{2}\bigl(\lVert W\rVert_F^2 + \lVert W_p\rVert_F^2\bigr),

where :math:`x_1, x_2` are two augmentations of one sample: :math:`\mathbb E[x_1 x_2^\top] = X`
(the covariance of the clean data) and :math:`\mathbb E[x_1 x_1^\top] = X + \sigma^2 I` (isotropic
augmentation noise of variance :math:`\sigma^2`). Gradient flow, with the predictor's learning rate
:math:`\alpha_p` times the online network's and the weight decay :math:`\eta` applied at the same
absolute rate to both (the paper's Lemma 1), reads

.. math::

    \dot W_p = \alpha_p\, G W^\top - \eta W_p,\qquad
    \dot W = W_p^\top G - \eta W,\qquad
    \dot W_a = \beta (W - W_a),\qquad
    G = W_a X - W_p W (X + \sigma^2 I).

This module holds the closed forms that follow from it (each re-derived here, see
``docs/dynamics_byol.md``):

* the *balancing quantity* :math:`W_p^\top W_p - \alpha_p W W^\top` obeys
  :math:`\dot C = -2\eta C` exactly, whatever the data and the target
  (:func:`balance_quantity`, :func:`balance_decay`);
* when :math:`W_p` is symmetric and shares its eigenvectors with :math:`W W^\top`, and the right
  singular vectors of :math:`W` are eigenvectors of :math:`X` (eigenvalue :math:`d_j`), the flow
  decouples into one ODE per mode (:func:`byol_mode_odes`); on the balanced manifold it is the
  scalar ODE :math:`\dot p = -p\,[(d+\sigma^2)p^2 - d p + \eta]`, with closed-form time
  (:func:`byol_mode_trajectory`);
* its fixed points :math:`p_\pm = \bigl(d \pm \sqrt{d^2 - 4\eta(d+\sigma^2)}\bigr)/(2(d+\sigma^2))`
  (:func:`byol_fixed_points`) exist iff :math:`d^2 \ge 4\eta(d+\sigma^2)`: the collapse boundary
  (:func:`collapse_boundary`);
* DirectPred's predictor :math:`W_p = U\,\mathrm{diag}(\sqrt{s_j/s_{\max}} + \epsilon)\,U^\top`
  built from the eigen-decomposition of a feature correlation (:func:`directpred_predictor`).

References
----------
Y. Tian, X. Chen, S. Ganguli, "Understanding self-supervised learning dynamics without contrastive
pairs", ICML 2021, arXiv:2102.06810.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend, _validation

__all__ = [
    "BYOLFixedPoints",
    "BYOLModeRates",
    "BYOLTrajectory",
    "balance_decay",
    "balance_quantity",
    "byol_fixed_points",
    "byol_mode_odes",
    "byol_mode_trajectory",
    "collapse_boundary",
    "directpred_predictor",
]

# bisection steps that invert the closed-form time t(p): each halves the bracket, so 200 steps take
# any bracket of width <= 1e30 below one ulp of float64 (2^-200·1e30 ≈ 6e-31); extra steps are no-ops
_BISECTION_STEPS = 200


# ----------------------------------------------------------------------------- result types
@dataclass(frozen=True)
class BYOLFixedPoints:
    r"""Fixed points of the decoupled linear BYOL / SimSiam dynamics, one entry per mode.

    Attributes
    ----------
    exists : array of bool, shape (n_modes,)
        Whether the mode has non-trivial fixed points, :math:`d^2 \ge 4\eta(d+\sigma^2)`.
    predictor : array, shape (n_modes,)
        The stable non-trivial predictor eigenvalue :math:`p_+` where it exists, else ``0`` (the
        collapsed state, then the only fixed point).
    basin_threshold : array, shape (n_modes,)
        The unstable fixed point :math:`p_-` where it exists (``+inf`` where it does not): on the
        balanced manifold a mode started at :math:`p(0) > p_-` reaches :math:`p_+`, one started in
        :math:`[0, p_-)` or below zero collapses to ``0``. It is ``0`` when :math:`\eta = 0`.
    features : array, shape (n_modes,)
        The eigenvalue of :math:`F = W X W^\top` at the fixed point on the balanced manifold,
        :math:`s = d\,p^2/\alpha_p` (``0`` for collapsed modes).
    """

    exists: Any
    predictor: Any
    basin_threshold: Any
    features: Any


@dataclass(frozen=True)
class BYOLModeRates:
    """Time derivatives of the per-mode amplitudes (see :func:`byol_mode_odes`).

    Attributes
    ----------
    predictor : array
        :math:`\\dot p_j`, the rate of the predictor eigenvalue.
    online : array
        :math:`\\dot w_j`, the rate of the online network's singular value along the mode.
    target : array or None
        :math:`\\dot c_j`, the rate of the EMA target's singular value; ``None`` for SimSiam
        (``ema_rate=None``: the target is the online network, :math:`c_j = w_j`).
    """

    predictor: Any
    online: Any
    target: Any = None


@dataclass(frozen=True)
class BYOLTrajectory:
    """Closed-form trajectory of balanced, aligned linear SimSiam (see :func:`byol_mode_trajectory`).

    Attributes
    ----------
    times : array, shape (n_times,)
        The times asked for (gradient-flow time: learning rate × number of steps).
    predictor : array, shape (n_times, n_modes)
        :math:`p_j(t)`, the predictor eigenvalues.
    features : array, shape (n_times, n_modes)
        :math:`s_j(t) = d_j\\,p_j(t)^2/\\alpha_p`, the eigenvalues of :math:`F = W X W^\\top`.
    limit : array, shape (n_modes,)
        :math:`\\lim_{t\\to\\infty} p_j(t)`: :math:`p_+` from the non-trivial basin, ``0`` otherwise.
    """

    times: Any
    predictor: Any
    features: Any
    limit: Any


# ----------------------------------------------------------------------------- validation
def _scalar(value: Any, *, name: str, strict: bool = False) -> float:
    return _validation.check_positive(value, name=name, strict=strict)


def _eigenvalues(x: Any, *, xp: ModuleType, name: str) -> Any:
    x = _validation.check_array(x, xp=xp, name=name, ndim=1)
    if x.shape[0] and bool(xp.any(x < 0)):
        raise ValueError(
            f"{name} must be non-negative (eigenvalues of a covariance), received minimum {float(xp.min(x))}"
        )
    return x


def _ema(ema_rate: Any) -> float | None:
    if ema_rate is None:
        return None
    return _scalar(ema_rate, name="ema_rate", strict=True)


# ----------------------------------------------------------------------------- fixed points
def _roots(d: Any, sigma2: float, eta: float, *, xp: ModuleType) -> tuple[Any, Any, Any]:
    """``(exists, p_plus, p_minus)`` of ``(d+σ²)p² - d p + η = 0`` (nan where no real root)."""
    a = d + sigma2
    disc = d * d - 4.0 * eta * a
    exists = (disc >= 0) & (a > 0)
    safe_a = xp.where(a > 0, a, xp.ones_like(a))
    root = xp.sqrt(xp.where(exists, disc, xp.zeros_like(disc)))
    p_plus = (d + root) / (2.0 * safe_a)
    # p_- = 2η / (d + √Δ): the product of the roots is η/(d+σ²); this form has no cancellation
    denom = d + root
    p_minus = xp.where(denom > 0, 2.0 * eta / xp.where(denom > 0, denom, xp.ones_like(denom)), p_plus)
    nan = xp.full_like(d, math.nan)
    return exists, xp.where(exists, p_plus, nan), xp.where(exists, p_minus, nan)


def byol_fixed_points(
    data_eigenvalues: Any,
    /,
    *,
    noise_variance: float,
    weight_decay: float,
    predictor_lr_ratio: float = 1.0,
) -> BYOLFixedPoints:
    r"""Fixed points of the per-mode predictor eigenvalue in linear BYOL / SimSiam.

    On the balanced manifold :math:`p^2 = \alpha_p w^2` (where every trajectory goes when
    :math:`\eta > 0`, see :func:`balance_decay`) the decoupled dynamics of a mode with data
    eigenvalue :math:`d` is the scalar ODE

    .. math::

        \dot p = -p\,\bigl[(d+\sigma^2)\,p^2 - d\,p + \eta\bigr],

    whose fixed points are :math:`p = 0` (always stable when :math:`\eta > 0`) and

    .. math::

        p_\pm = \frac{d \pm \sqrt{d^2 - 4\eta(d+\sigma^2)}}{2(d+\sigma^2)},

    real iff :math:`d^2 \ge 4\eta(d+\sigma^2)`. :math:`p_+` is stable and :math:`p_-` is a saddle
    separating the trivial basin :math:`p(0) < p_-` from the non-trivial one. Every fixed point of
    the full per-mode flow :math:`(p, w)` with :math:`\eta > 0` is balanced
    (:math:`w^2 = p^2/\alpha_p`), so these are all its fixed points; the EMA target
    (:math:`c = w` at rest) does not move them. For isotropic data (:math:`d = 1`) this is the
    paper's :math:`p_\pm = (1 \pm \sqrt{1 - 4\eta(1+\sigma^2)})/(2(1+\sigma^2))`.

    Parameters
    ----------
    data_eigenvalues : array, shape (n_modes,)
        Eigenvalues :math:`d_j \ge 0` of the clean-data covariance :math:`X` (the cross-covariance
        of two views), one per mode.
    noise_variance : float
        :math:`\sigma^2 \ge 0`, the augmentation noise variance (:math:`X' = X + \sigma^2 I`).
    weight_decay : float
        :math:`\eta \ge 0`.
    predictor_lr_ratio : float, default 1
        :math:`\alpha_p > 0`, the predictor's learning rate relative to the online network's. It
        does not move :math:`p_\pm`; it scales the feature eigenvalue :math:`s = d p^2/\alpha_p`.

    Returns
    -------
    BYOLFixedPoints
        ``exists``, ``predictor`` (:math:`p_+` or 0), ``basin_threshold`` (:math:`p_-` or inf) and
        ``features`` (:math:`s`), arrays of the input's namespace and device.

    Raises
    ------
    ValueError
        If ``data_eigenvalues`` is not 1-D, finite and non-negative, or a scalar is out of range.
    TypeError
        If a scalar argument is not a real number.

    See Also
    --------
    collapse_boundary : the :math:`\eta` or :math:`\sigma^2` at which :math:`p_\pm` merge.
    byol_mode_trajectory : the path from :math:`p(0)` to these fixed points.

    Notes
    -----
    Cost O(K). With more than one mode, the full-matrix flow adds a condition the decoupled one
    does not see (``docs/dynamics_byol.md``): a surviving mode with predictor eigenvalue :math:`p`
    makes an unused data direction :math:`k` grow at rate :math:`p(d_k - p(d_k+\sigma^2)) - \eta`,
    positive whenever :math:`d_k` exceeds the mode's own :math:`d`. Stable fixed points therefore
    use the *top* data eigen-directions; which modes collapse is decided by how many predictor
    eigen-directions survive, not by which data mode started in its trivial basin.

    References
    ----------
    Tian, Chen & Ganguli, ICML 2021, arXiv:2102.06810, Sec. 4 (eigen-decoupled dynamics, fixed
    points under weight decay).

    Examples
    --------
    >>> import numpy as np
    >>> fp = byol_fixed_points(np.array([1.0, 0.5]), noise_variance=0.5, weight_decay=0.1)
    >>> fp.exists.tolist()  # 1 >= 4·0.1·1.5 = 0.6; 0.25 < 4·0.1·1.0 = 0.4
    [True, False]
    >>> [round(float(v), 4) for v in fp.predictor]  # (1 + sqrt(0.4)) / 3, collapsed
    [0.5442, 0.0]
    >>> round(float(fp.basin_threshold[0]), 4)  # (1 - sqrt(0.4)) / 3
    0.1225
    """
    xp = _backend.get_namespace(data_eigenvalues)
    d = _eigenvalues(data_eigenvalues, xp=xp, name="data_eigenvalues")
    sigma2 = _scalar(noise_variance, name="noise_variance")
    eta = _scalar(weight_decay, name="weight_decay")
    alpha = _scalar(predictor_lr_ratio, name="predictor_lr_ratio", strict=True)
    exists, p_plus, p_minus = _roots(d, sigma2, eta, xp=xp)
    zero = xp.zeros_like(d)
    predictor = xp.where(exists, p_plus, zero)
    threshold = xp.where(exists, p_minus, xp.full_like(d, math.inf))
    return BYOLFixedPoints(
        exists=exists,
        predictor=predictor,
        basin_threshold=threshold,
        features=d * predictor * predictor / alpha,
    )


def collapse_boundary(
    data_eigenvalues: Any,
    /,
    *,
    noise_variance: float | None = None,
    weight_decay: float | None = None,
) -> Any:
    r"""Where the non-trivial fixed points of a mode disappear: the collapse boundary.

    A mode with data eigenvalue :math:`d` has the non-trivial fixed points :math:`p_\pm` of
    :func:`byol_fixed_points` iff :math:`d^2 \ge 4\eta(d+\sigma^2)`, i.e.

    .. math::

        \eta \le \eta^*(d, \sigma^2) = \frac{d^2}{4(d+\sigma^2)}
        \quad\Longleftrightarrow\quad
        \sigma^2 \le \sigma^{2*}(d, \eta) = \frac{d^2}{4\eta} - d .

    Beyond it the only fixed point is :math:`p = 0` and every initialisation collapses that mode;
    on it :math:`p_+ = p_- = d/(2(d+\sigma^2))` (a saddle-node). For isotropic data (:math:`d = 1`)
    this is the paper's :math:`4\eta(1+\sigma^2) \le 1`. EMA targets and the predictor learning rate
    do not move it.

    Parameters
    ----------
    data_eigenvalues : array, shape (n_modes,)
        Eigenvalues :math:`d_j \ge 0` of the clean-data covariance.
    noise_variance : float, optional
        :math:`\sigma^2 \ge 0`. Give exactly one of ``noise_variance`` (returns :math:`\eta^*`) and
        ``weight_decay`` (returns :math:`\sigma^{2*}`).
    weight_decay : float, optional
        :math:`\eta \ge 0`.

    Returns
    -------
    array, shape (n_modes,)
        :math:`\eta^*_j` (given ``noise_variance``) or :math:`\sigma^{2*}_j` (given ``weight_decay``;
        negative where no noise level keeps the mode, ``+inf`` when :math:`\eta = 0`). A mode with
        :math:`d_j = 0` has :math:`\eta^* = 0` (it collapses under any weight decay).

    Raises
    ------
    ValueError
        If neither or both of ``noise_variance`` and ``weight_decay`` are given, or an input is
        out of range.

    References
    ----------
    Tian, Chen & Ganguli, ICML 2021, arXiv:2102.06810, Sec. 4 (weight decay and augmentation
    strength versus collapse).

    Examples
    --------
    >>> import numpy as np
    >>> collapse_boundary(np.array([1.0, 2.0]), noise_variance=1.0).tolist()  # d² / (4(d + σ²))
    [0.125, 0.3333333333333333]
    >>> collapse_boundary(np.array([1.0]), weight_decay=0.125).tolist()  # d²/(4η) - d
    [1.0]
    """
    xp = _backend.get_namespace(data_eigenvalues)
    d = _eigenvalues(data_eigenvalues, xp=xp, name="data_eigenvalues")
    if (noise_variance is None) == (weight_decay is None):
        raise ValueError(
            "give exactly one of noise_variance (returns the critical weight decay) and weight_decay "
            f"(returns the critical noise variance), received noise_variance={noise_variance!r}, "
            f"weight_decay={weight_decay!r}"
        )
    if noise_variance is not None:
        sigma2 = _scalar(noise_variance, name="noise_variance")
        a = d + sigma2
        return xp.where(a > 0, d * d / (4.0 * xp.where(a > 0, a, xp.ones_like(a))), xp.zeros_like(d))
    eta = _scalar(weight_decay, name="weight_decay")
    if eta == 0.0:
        return xp.full_like(d, math.inf)
    return d * d / (4.0 * eta) - d


# ----------------------------------------------------------------------------- per-mode ODEs
def byol_mode_odes(
    predictor: Any,
    online: Any,
    target: Any = None,
    /,
    *,
    data_eigenvalues: Any,
    noise_variance: float,
    weight_decay: float,
    predictor_lr_ratio: float = 1.0,
    ema_rate: float | None = None,
) -> BYOLModeRates:
    r"""Right-hand side of the eigen-decoupled linear BYOL / SimSiam gradient flow.

    Assume :math:`X = U\,\mathrm{diag}(d)\,U^\top`, :math:`W = V\,\mathrm{diag}(w)\,U^\top`,
    :math:`W_a = V\,\mathrm{diag}(c)\,U^\top` and :math:`W_p = V\,\mathrm{diag}(p)\,V^\top`
    (symmetric predictor sharing its eigenvectors with :math:`W W^\top` and with
    :math:`F = W X W^\top`). Then :math:`G = V\,\mathrm{diag}(g)\,U^\top` with
    :math:`g_j = c_j d_j - p_j w_j (d_j + \sigma^2)`, the flow keeps this form and each mode obeys

    .. math::

        \dot p_j = \alpha_p\, w_j g_j - \eta p_j,\qquad
        \dot w_j = p_j g_j - \eta w_j,\qquad
        \dot c_j = \beta (w_j - c_j),

    with :math:`c_j \equiv w_j` for SimSiam (stop-gradient, no EMA). In the paper's variables
    :math:`s_j = d_j w_j^2` (eigenvalue of :math:`F`) and :math:`\tau_j = c_j/w_j` this is

    .. math::

        \dot p_j = \alpha_p s_j\bigl(\tau_j - (1+\sigma^2/d_j)\,p_j\bigr) - \eta p_j,\qquad
        \dot s_j = 2 d_j p_j s_j\bigl(\tau_j - (1+\sigma^2/d_j)\,p_j\bigr) - 2\eta s_j,\qquad
        \dot\tau_j = \beta(1 - \tau_j) - \tau_j\,\dot s_j/(2 s_j),

    which is the paper's system at :math:`d_j = 1`. The amplitudes :math:`(p, w, c)` are used here
    because their right-hand side is polynomial (no division by :math:`w_j` at collapse).

    Parameters
    ----------
    predictor, online : array, shape (n_modes,) or broadcastable
        :math:`p_j` and :math:`w_j`.
    target : array, optional
        :math:`c_j`; required when ``ema_rate`` is given, ignored (``None``) for SimSiam.
    data_eigenvalues : array
        :math:`d_j \ge 0`, broadcastable with ``predictor``.
    noise_variance, weight_decay : float
        :math:`\sigma^2 \ge 0`, :math:`\eta \ge 0`.
    predictor_lr_ratio : float, default 1
        :math:`\alpha_p > 0`.
    ema_rate : float, optional
        :math:`\beta > 0`, the EMA rate of the target per unit time (BYOL with momentum
        :math:`m` and learning rate :math:`\mathrm{lr}` has :math:`\beta = (1-m)/\mathrm{lr}`).
        ``None`` (default) is SimSiam.

    Returns
    -------
    BYOLModeRates
        ``predictor`` (:math:`\dot p`), ``online`` (:math:`\dot w`) and ``target``
        (:math:`\dot c`, ``None`` for SimSiam), arrays of the input's namespace.

    Raises
    ------
    ValueError
        If ``target`` is missing with ``ema_rate`` (or given without it), or an input is invalid.

    References
    ----------
    Tian, Chen & Ganguli, ICML 2021, arXiv:2102.06810, Lemma 1 and Sec. 4 (decoupled dynamics).

    Examples
    --------
    >>> import numpy as np
    >>> r = byol_mode_odes(np.array([0.5]), np.array([0.5]), data_eigenvalues=np.array([1.0]),
    ...                    noise_variance=0.0, weight_decay=0.0)
    >>> float(r.predictor[0]), float(r.online[0])  # g = 0.5 - 0.25 = 0.25
    (0.125, 0.125)
    """
    xp = _backend.get_namespace(predictor, online, target, data_eigenvalues)
    p = _validation.check_array(predictor, xp=xp, name="predictor")
    w = _validation.check_array(online, xp=xp, name="online")
    d = _validation.check_array(data_eigenvalues, xp=xp, name="data_eigenvalues")
    if d.ndim and bool(xp.any(d < 0)):
        raise ValueError("data_eigenvalues must be non-negative (eigenvalues of a covariance)")
    sigma2 = _scalar(noise_variance, name="noise_variance")
    eta = _scalar(weight_decay, name="weight_decay")
    alpha = _scalar(predictor_lr_ratio, name="predictor_lr_ratio", strict=True)
    beta = _ema(ema_rate)
    if beta is None and target is not None:
        raise ValueError("target was given but ema_rate is None (SimSiam uses the online network as target)")
    if beta is not None and target is None:
        raise ValueError(f"ema_rate={beta} needs the target amplitudes (third positional argument)")
    c = w if target is None else _validation.check_array(target, xp=xp, name="target")
    g = c * d - p * w * (d + sigma2)
    dp = alpha * w * g - eta * p
    dw = p * g - eta * w
    dc = None if beta is None else beta * (w - c)
    return BYOLModeRates(predictor=dp, online=dw, target=dc)


# ----------------------------------------------------------------------------- closed-form time
def _elapsed(p: Any, p0: Any, d: Any, a: Any, eta: float, *, xp: ModuleType) -> Any:
    r"""Time for :math:`\dot p = -p[a p^2 - d p + \eta]` to go from ``p0`` to ``p`` (same branch)."""
    if eta == 0.0:
        # ṗ = p²(d - a p): ∫ dq / (q²(d - a q)) = -1/(d q) + (a/d²) ln|q / (d - a q)|
        return (1.0 / p0 - 1.0 / p) / d + a / (d * d) * (xp.log(p / p0) - xp.log((d - a * p) / (d - a * p0)))
    # 1/(q Q) = (1/η)[1/q - (a q - d)/Q], Q = a q² - d q + η, and ∫ (a q - d)/Q = ½ ln|Q| - (d/2) ∫ 1/Q
    qp = a * p * p - d * p + eta
    q0 = a * p0 * p0 - d * p0 + eta
    x1 = 2.0 * a * p - d
    x0 = 2.0 * a * p0 - d
    disc = d * d - 4.0 * a * eta
    r = xp.sqrt(xp.abs(disc))
    dx = x1 - x0
    prod = x1 * x0
    safe_r = xp.where(r > 0, r, xp.ones_like(r))
    # ∫ dq/Q between p0 and p, written without cancellation near the saddle-node (Δ → 0):
    # Δ < 0: (2/r)[atan(x1/r) - atan(x0/r)] = (2/r) atan2(r·Δx, r² + x1 x0)
    neg = 2.0 / safe_r * xp.atan2(r * dx, r * r + prod)
    # Δ > 0: (1/r) ln[(x1 - r)(x0 + r) / ((x1 + r)(x0 - r))] (the path never crosses a root)
    den = prod - r * r - r * dx
    use_pos = (disc > 0) & (den != 0)
    ratio = xp.where(use_pos, 2.0 * r * dx / xp.where(use_pos, den, xp.ones_like(den)), xp.zeros_like(den))
    pos = xp.log1p(xp.maximum(ratio, xp.full_like(ratio, -1.0))) / safe_r
    # Δ = 0: 2/x0 - 2/x1
    use_zero = (disc == 0) & (x0 != 0) & (x1 != 0)
    one = xp.ones_like(x0)
    zero = xp.where(use_zero, 2.0 / xp.where(use_zero, x0, one) - 2.0 / xp.where(use_zero, x1, one), one)
    integral = xp.where(disc < 0, neg, xp.where(disc > 0, pos, zero))
    phi = (xp.log(p / p0) - 0.5 * xp.log(qp / q0) + 0.5 * d * integral) / eta
    return -phi


def byol_mode_trajectory(
    initial_predictor: Any,
    times: Any,
    /,
    *,
    data_eigenvalues: Any,
    noise_variance: float,
    weight_decay: float,
    predictor_lr_ratio: float = 1.0,
) -> BYOLTrajectory:
    r"""Closed-form trajectory of the predictor eigenvalues of balanced, aligned linear SimSiam.

    On the balanced manifold (:math:`p_j^2 = \alpha_p w_j^2`, e.g. from a balanced initialisation;
    every trajectory approaches it at rate :math:`2\eta`) each mode obeys
    :math:`\dot p = -p\,Q(p)`, :math:`Q(p) = a p^2 - d p + \eta`, :math:`a = d + \sigma^2`. It is
    separable: with :math:`\Delta = d^2 - 4 a\eta`, :math:`x = 2 a p - d` and
    :math:`r = \sqrt{|\Delta|}`, the time to go from :math:`p_0` to :math:`p` is

    .. math::

        t(p) = -\frac{1}{\eta}\Bigl[\ln\frac{p}{p_0} - \frac12\ln\frac{Q(p)}{Q(p_0)}
                + \frac d2 \int_{p_0}^{p}\frac{dq}{Q(q)}\Bigr],\qquad
        \int_{p_0}^{p}\frac{dq}{Q} =
        \begin{cases}
          \frac{2}{r}\,\mathrm{atan2}\bigl(r(x-x_0),\, r^2 + x x_0\bigr) & \Delta < 0\\
          \frac1r \ln\frac{(x-r)(x_0+r)}{(x+r)(x_0-r)} & \Delta > 0\\
          \frac{2}{x_0} - \frac{2}{x} & \Delta = 0
        \end{cases}

    and, for :math:`\eta = 0`, :math:`t(p) = \frac{1}{d}\bigl(\frac1{p_0} - \frac1p\bigr)
    + \frac{a}{d^2}\ln\frac{p\,(d - a p_0)}{p_0\,(d - a p)}`. :math:`t(p)` is monotone between
    :math:`p_0` and the attracting fixed point, so :math:`p(t)` is its inverse, found by bisection
    to full precision. The features follow as :math:`s_j(t) = d_j p_j(t)^2/\alpha_p`. The same ODE
    describes a predictor set by DirectPred with :math:`p_j \propto \sqrt{s_j}` (any constant), see
    :func:`directpred_predictor`.

    Parameters
    ----------
    initial_predictor : array, shape (n_modes,)
        :math:`p_j(0)`.
    times : array, shape (n_times,)
        Non-negative gradient-flow times (learning rate × steps).
    data_eigenvalues : array, shape (n_modes,)
        :math:`d_j > 0`.
    noise_variance, weight_decay : float
        :math:`\sigma^2 \ge 0`, :math:`\eta \ge 0`.
    predictor_lr_ratio : float, default 1
        :math:`\alpha_p > 0`; it leaves :math:`p(t)` unchanged and scales :math:`s(t)`.

    Returns
    -------
    BYOLTrajectory
        ``times``, ``predictor`` and ``features`` of shape (n_times, n_modes), and ``limit``.

    Raises
    ------
    ValueError
        If shapes differ, ``times`` are negative, or ``data_eigenvalues`` are not positive.

    Notes
    -----
    Cost O(n_times · n_modes) evaluations of :math:`t(p)` (200 bisection steps each), after no
    decomposition at all. Accuracy: relative rounding :math:`\sim\epsilon/\eta` in :math:`t(p)`
    (the bracket vanishes like :math:`\eta` as :math:`\eta \to 0`). The identity is checked
    symbolically in ``proofs_checks/test_byol_mode_time.py``.

    References
    ----------
    Tian, Chen & Ganguli, ICML 2021, arXiv:2102.06810, Sec. 4.

    Examples
    --------
    >>> import numpy as np
    >>> traj = byol_mode_trajectory(np.array([1.0]), np.array([0.0, 400.0]),
    ...                             data_eigenvalues=np.array([1.0]), noise_variance=0.5,
    ...                             weight_decay=0.1)
    >>> [round(float(v), 4) for v in traj.predictor[:, 0]]  # from 1 to p+ = (1 + sqrt(0.4))/3
    [1.0, 0.5442]
    """
    xp = _backend.get_namespace(initial_predictor, times, data_eigenvalues)
    p0 = _validation.check_array(initial_predictor, xp=xp, name="initial_predictor", ndim=1)
    t = _validation.check_array(times, xp=xp, name="times", ndim=1)
    d = _eigenvalues(data_eigenvalues, xp=xp, name="data_eigenvalues")
    _validation.check_same_shape(p0, d, names=("initial_predictor", "data_eigenvalues"))
    if bool(xp.any(d <= 0)):
        raise ValueError("data_eigenvalues must be > 0 for the closed-form trajectory")
    if t.shape[0] and bool(xp.any(t < 0)):
        raise ValueError("times must be non-negative")
    sigma2 = _scalar(noise_variance, name="noise_variance")
    eta = _scalar(weight_decay, name="weight_decay")
    alpha = _scalar(predictor_lr_ratio, name="predictor_lr_ratio", strict=True)
    a = d + sigma2
    exists, p_plus, p_minus = _roots(d, sigma2, eta, xp=xp)
    zero = xp.zeros_like(d)
    if eta == 0.0:
        exists = d > 0
        p_plus, p_minus = d / a, zero
    # the attractor: p+ from the non-trivial basin (p0 > p-), 0 otherwise; fixed points stay put
    above = exists & (p0 > xp.where(exists, p_minus, zero))
    limit = xp.where(above, xp.where(exists, p_plus, zero), zero)
    at_rest = (p0 == 0) | (exists & ((p0 == p_plus) | (p0 == p_minus)))
    limit = xp.where(at_rest, p0, limit)
    lo = xp.minimum(p0, limit)
    hi = xp.maximum(p0, limit)
    moving = ~at_rest
    # broadcast to (n_times, n_modes); bisection on p between p0 (t = 0) and the limit (t = inf)
    shape = (t.shape[0], d.shape[0])
    lo = xp.broadcast_to(lo[None, :], shape)
    hi = xp.broadcast_to(hi[None, :], shape)
    p0b = xp.broadcast_to(p0[None, :], shape)
    db = xp.broadcast_to(d[None, :], shape)
    ab = xp.broadcast_to(a[None, :], shape)
    tb = xp.broadcast_to(t[:, None], shape)
    increasing = xp.broadcast_to((limit > p0)[None, :], shape)
    safe_p0 = xp.where(p0b == 0, xp.ones_like(p0b), p0b)
    limit_b = xp.broadcast_to(limit[None, :], shape)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        # t(p) is +inf at the attractor (logarithmic divergence; nan there from inf - inf) and the
        # logarithms see 0 at rest points: numpy's floating-point warnings are silenced here only
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            elapsed = _elapsed(mid, safe_p0, db, ab, eta, xp=xp)
            # before the target time the path has not yet passed mid: move the bracket end on p0's side
            not_yet = (elapsed < tb) | (mid == limit_b)
        lo, hi = (
            xp.where(not_yet == increasing, mid, lo),
            xp.where(not_yet == increasing, hi, mid),
        )
    p = 0.5 * (lo + hi)
    p = xp.where(tb == 0, p0b, p)
    p = xp.where(xp.broadcast_to(moving[None, :], shape), p, p0b)
    return BYOLTrajectory(times=t, predictor=p, features=db * p * p / alpha, limit=limit)


# ----------------------------------------------------------------------------- balancing
def balance_quantity(
    predictor_weights: Any, online_weights: Any, /, *, predictor_lr_ratio: float = 1.0
) -> Any:
    r"""The balancing quantity :math:`C = W_p^\top W_p - \alpha_p W W^\top` of linear BYOL / SimSiam.

    Under the gradient flow of the module docstring (any data, any target, EMA or not)

    .. math::

        \dot C = \alpha_p\,(W G^\top W_p + W_p^\top G W^\top) - 2\eta W_p^\top W_p
                 - \alpha_p\,(W_p^\top G W^\top + W G^\top W_p) + 2\eta\alpha_p W W^\top
               = -2\eta\, C,

    so :math:`C(t) = e^{-2\eta t} C(0)` (:func:`balance_decay`).

    Parameters
    ----------
    predictor_weights : array, shape (n, n)
        :math:`W_p`.
    online_weights : array, shape (n, d)
        :math:`W`.
    predictor_lr_ratio : float, default 1
        :math:`\alpha_p > 0`.

    Returns
    -------
    array, shape (n, n)
        :math:`C`, symmetric.

    Raises
    ------
    ValueError
        If the shapes do not match.

    References
    ----------
    Tian, Chen & Ganguli, ICML 2021, arXiv:2102.06810, Theorem (weight decay promotes balancing).

    Examples
    --------
    >>> import numpy as np
    >>> balance_quantity(2.0 * np.eye(2), np.eye(2)).tolist()  # 4 I - I
    [[3.0, 0.0], [0.0, 3.0]]
    """
    xp = _backend.get_namespace(predictor_weights, online_weights)
    wp = _validation.check_array(predictor_weights, xp=xp, name="predictor_weights", ndim=2)
    w = _validation.check_array(online_weights, xp=xp, name="online_weights", ndim=2)
    _validation.check_square(wp, name="predictor_weights")
    if wp.shape[0] != w.shape[0]:
        raise ValueError(
            "predictor_weights (n, n) and online_weights (n, d) must share n, received shapes "
            f"{tuple(wp.shape)} and {tuple(w.shape)}"
        )
    alpha = _scalar(predictor_lr_ratio, name="predictor_lr_ratio", strict=True)
    return wp.mT @ wp - alpha * (w @ w.mT)


def balance_decay(
    initial: Any,
    times: Any,
    /,
    *,
    weight_decay: float,
    learning_rate: float | None = None,
) -> Any:
    r"""The balancing quantity at later times: :math:`C(t) = e^{-2\eta t}\,C(0)`.

    Exact for gradient flow (see :func:`balance_quantity`). For gradient descent with step
    :math:`\mathrm{lr}` (``learning_rate`` given, times :math:`t = k\,\mathrm{lr}`) one step gives

    .. math::

        C_{k+1} = (1 - \mathrm{lr}\,\eta)^2\, C_k
                  + \mathrm{lr}^2\alpha_p\,\bigl(\alpha_p W G^\top G W^\top - W_p^\top G G^\top W_p\bigr),

    and the returned value is the first term, :math:`(1-\mathrm{lr}\,\eta)^{2k} C_0`; the second is
    of order :math:`\mathrm{lr}^2\lVert G\rVert^2` and vanishes as training converges.

    Parameters
    ----------
    initial : array
        :math:`C(0)` (any shape: the matrix, or its norm).
    times : array, shape (n_times,)
        Non-negative times.
    weight_decay : float
        :math:`\eta \ge 0`.
    learning_rate : float, optional
        The gradient-descent step; ``None`` (default) is gradient flow.

    Returns
    -------
    array, shape (n_times, *initial.shape)
        :math:`C(t_i)`.

    Raises
    ------
    ValueError
        If ``times`` is not 1-D and non-negative, or a scalar is out of range.

    References
    ----------
    Tian, Chen & Ganguli, ICML 2021, arXiv:2102.06810 (balancing under weight decay).

    Examples
    --------
    >>> import numpy as np
    >>> [round(float(v), 6) for v in balance_decay(np.asarray(1.0), np.array([0.0, 5.0]), weight_decay=0.1)]
    [1.0, 0.367879]
    """
    xp = _backend.get_namespace(initial, times)
    c0 = _validation.check_array(initial, xp=xp, name="initial")
    t = _validation.check_array(times, xp=xp, name="times", ndim=1)
    if t.shape[0] and bool(xp.any(t < 0)):
        raise ValueError("times must be non-negative")
    eta = _scalar(weight_decay, name="weight_decay")
    if learning_rate is None:
        factor = xp.exp(-2.0 * eta * t)
    else:
        lr = _scalar(learning_rate, name="learning_rate", strict=True)
        if lr * eta >= 1.0:
            raise ValueError(
                f"learning_rate · weight_decay must be < 1 (the decay factor 1 - lr·η is then positive), "
                f"received {lr} · {eta}"
            )
        factor = xp.exp(2.0 * (t / lr) * math.log1p(-lr * eta))
    return xp.reshape(factor, (t.shape[0],) + (1,) * c0.ndim) * c0[None, ...]


# ----------------------------------------------------------------------------- DirectPred
def directpred_predictor(correlation: Any, /, *, eps: float = 0.0, normalize: bool = True) -> Any:
    r"""DirectPred: a linear predictor set from the eigen-decomposition of a feature correlation.

    With :math:`\hat F = U\,\mathrm{diag}(s)\,U^\top` (a symmetric estimate of the correlation of
    the online features; DirectPred keeps a moving average of :math:`\mathbb E[f f^\top]`), the
    predictor is

    .. math::

        W_p = U\,\mathrm{diag}(p)\,U^\top,\qquad
        p_j = \sqrt{\max(s_j, 0)/\max_i s_i} + \epsilon \;\;(\texttt{normalize=True}),\qquad
        p_j = \sqrt{\max(s_j, 0)} + \epsilon \;\;(\texttt{normalize=False}).

    Why the square root: at every balanced state of gradient-trained linear SimSiam,
    :math:`W_p = (\alpha_p W W^\top)^{1/2}`, which for isotropic data (:math:`X = I`) is
    :math:`(\alpha_p F)^{1/2}`. Conversely, if the predictor is *set* to :math:`p_j = \kappa_j |w_j|`
    (for instance :math:`p_j = \sqrt{\kappa^2 s_j}`, ``normalize=False``, ``eps=0``, on any
    correlation :math:`W M W^\top` with :math:`M` commuting with :math:`X`), the predictor
    eigenvalue obeys exactly the balanced ODE of :func:`byol_mode_trajectory`: same fixed points
    :math:`p_\pm`, same collapse boundary. With ``normalize=True`` the top eigenvalue is pinned at
    :math:`1 + \epsilon`, which under the squared loss with :math:`\sigma^2 > 0` or :math:`\eta > 0`
    makes every mode decay (the scale is only free under the normalised loss DirectPred is run with).

    Parameters
    ----------
    correlation : array, shape (n, n)
        Symmetric :math:`\hat F`.
    eps : float, default 0
        :math:`\epsilon \ge 0`, added to every eigenvalue (DirectPred's boost of weak directions).
    normalize : bool, default True
        Divide by the largest eigenvalue before the square root (the paper's rule).

    Returns
    -------
    array, shape (n, n)
        The symmetric predictor :math:`W_p`.

    Raises
    ------
    ValueError
        If ``correlation`` is not square, symmetric and finite, or is zero with ``normalize=True``.

    References
    ----------
    Tian, Chen & Ganguli, ICML 2021, arXiv:2102.06810, Sec. 5 (DirectPred).

    Examples
    --------
    >>> import numpy as np
    >>> directpred_predictor(np.diag([4.0, 1.0, 0.0]), eps=0.1).round(4).tolist()
    [[1.1, 0.0, 0.0], [0.0, 0.6, 0.0], [0.0, 0.0, 0.1]]
    >>> directpred_predictor(np.diag([4.0, 1.0]), normalize=False).tolist()
    [[2.0, 0.0], [0.0, 1.0]]
    """
    xp = _backend.get_namespace(correlation)
    f = _validation.check_array(correlation, xp=xp, name="correlation", ndim=2)
    _validation.check_square(f, name="correlation")
    epsilon = _scalar(eps, name="eps")
    if not isinstance(normalize, bool):
        raise TypeError(f"normalize must be a bool, received {type(normalize).__name__} {normalize!r}")
    _validation.check_symmetric(
        f, xp=xp, name="correlation", hint="pass (F + F.T) / 2 if that is what you mean"
    )
    s, u = xp.linalg.eigh(0.5 * (f + f.mT))
    s = xp.maximum(s, xp.zeros_like(s))
    if normalize:
        top = float(xp.max(s)) if s.shape[0] else 0.0
        if top <= 0.0:
            raise ValueError("correlation has no positive eigenvalue, so normalize=True cannot scale it")
        s = s / top
    p = xp.sqrt(s) + epsilon
    return (u * p[None, :]) @ u.mT

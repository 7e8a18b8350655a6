r"""Stepwise learning in linear Barlow Twins: closed-form eigenvalue trajectories (arXiv:2303.15438).

Simon, Knutins, Ziyin, Geisz, Fetterman & Albrecht (ICML 2023) solve the gradient flow of a
linear Barlow Twins model from small initialisation: the eigenvalues of the embeddings'
cross-correlation follow logistic curves and are learned one at a time, in the order of the
eigenvalues of the views' cross-correlation :math:`\Gamma`. This module implements the closed
form as re-derived in ``docs/dynamics_stepwise.md`` (the time constant is stated there exactly).

Setting (every function below): paired views :math:`X_a, X_b\in\mathbb R^{n\times m}`, a linear
embedding :math:`f(x)=Wx` with :math:`W\in\mathbb R^{d\times m}` (the layout of
``ssltheory.nets.Linear.weight``: ``Z = X @ W.T``), the symmetrised, uncentred cross-correlations

.. math::

    \Gamma=\frac{X_a^\top X_b+X_b^\top X_a}{2n},\qquad
    C=\frac{Z_a^\top Z_b+Z_b^\top Z_a}{2n}=W\Gamma W^\top,

the loss :math:`\mathcal L(W)=\|C-I_d\|_F^2` (Barlow Twins with redundancy weight 1 and no batch
normalisation) and the gradient flow :math:`\dot W=-\nabla\mathcal L=-4(C-I)W\Gamma`, of which
gradient descent with step :math:`\eta` is the Euler scheme at time :math:`t=k\eta`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation

__all__ = [
    "StepwiseModes",
    "StepwiseTrajectory",
    "stepwise_final_weights",
    "stepwise_gamma",
    "stepwise_learning_times",
    "stepwise_modes",
    "stepwise_trajectory",
]

#: ``dc_j/dt = RATE λ_j c_j (1 − c_j)`` under ``dW/dt = −∇‖WΓWᵀ − I‖²_F`` (docs/dynamics_stepwise.md)
_RATE = 8.0


@dataclass(frozen=True)
class StepwiseModes:
    """The eigenmodes that a linear Barlow Twins model learns, and their initial amplitudes.

    Attributes
    ----------
    gamma_eigenvalues : array, shape (n_components,)
        The ``n_components`` largest eigenvalues :math:`\\lambda_1\\ge\\dots\\ge\\lambda_d` of
        :math:`\\Gamma`, descending: mode :math:`j` is learned at rate :math:`8\\lambda_j`.
    components : array, shape (n_features, n_components)
        The matching orthonormal eigenvectors :math:`V_d` (largest entry of each column positive).
    rotation : array, shape (n_components, n_components), or None
        :math:`U` with :math:`W(0)\\approx U\\,S(0)\\,V_d^\\top` (``None`` without ``init_weights``).
    init_scale : array, shape (n_components,), or None
        :math:`s_j(0)\\ge0`: exact singular values of an aligned initialisation, the effective
        ones :math:`|R_{jj}|` of a generic small one (``None`` without ``init_weights``).
    misalignment : float or None
        :math:`\\|W(0)-U S(0)V_d^\\top\\|_F/\\|W(0)\\|_F`: 0 (to rounding) for an aligned
        initialisation, where the closed form is exact.
    """

    gamma_eigenvalues: Any
    components: Any
    rotation: Any = None
    init_scale: Any = None
    misalignment: float | None = None


@dataclass(frozen=True)
class StepwiseTrajectory:
    """Closed-form gradient-flow trajectory of the embedding eigenvalues.

    Attributes
    ----------
    times : array, shape (n_times,)
        The gradient-flow times :math:`t` (``learning_rate × step`` for gradient descent).
    eigenvalues : array, shape (n_times, n_modes)
        :math:`c_j(t)=\\lambda_j s_j(t)^2`, the eigenvalues of :math:`C(t)`, one column per mode
        in the order of ``gamma_eigenvalues``.
    singular_values : array, shape (n_times, n_modes)
        :math:`s_j(t)\\ge0`, the singular values of :math:`W(t)`.
    loss : array, shape (n_times,)
        :math:`\\mathcal L(t)=\\sum_j(c_j(t)-1)^2`.
    """

    times: Any
    eigenvalues: Any
    singular_values: Any
    loss: Any


# ----------------------------------------------------------------------------- validation
def _vector(x: Any, *, xp: ModuleType, name: str, allow_inf: bool = False) -> Any:
    x = _validation.check_array(x, xp=xp, name=name, ndim=1, min_rows=0, finite=not allow_inf)
    if allow_inf and bool(xp.any(xp.isnan(x))):
        raise ValueError(f"{name} must not contain NaN")
    return x


def _init_scale(init_scale: Any, n_modes: int, *, dtype: Any, device: Any, xp: ModuleType) -> Any:
    """``s_j(0)`` as an array (n_modes,): a non-negative scalar broadcast, or an array of that length."""
    if isinstance(init_scale, numbers.Real) and not isinstance(init_scale, bool):
        s = _validation.check_positive(init_scale, name="init_scale", strict=False)
        return xp.full((n_modes,), s, dtype=dtype, device=device)
    if isinstance(init_scale, bool) or not hasattr(init_scale, "shape"):
        raise TypeError(
            f"init_scale must be a non-negative real number or an array of shape ({n_modes},), "
            f"received {type(init_scale).__name__}"
        )
    s = _validation.check_array(init_scale, xp=xp, name="init_scale", ndim=1, min_rows=0)
    if s.shape[0] != n_modes:
        raise ValueError(
            f"init_scale must have shape ({n_modes},) to match gamma_eigenvalues, received {tuple(s.shape)}"
        )
    if bool(xp.any(s < 0)):
        raise ValueError("init_scale must be >= 0 (singular values), received a negative entry")
    return xp.astype(s, dtype) if s.dtype != dtype else s


def _check_gamma(gamma: Any, *, xp: ModuleType) -> Any:
    gamma = _validation.check_array(gamma, xp=xp, name="gamma", ndim=2)
    _validation.check_square(gamma, name="gamma")
    _validation.check_symmetric(
        gamma,
        xp=xp,
        name="gamma",
        hint="it is the symmetrised cross-correlation of the views: pass (G + G.T) / 2 or use "
        "stepwise_gamma(view_a, view_b)",
    )
    return gamma


# ----------------------------------------------------------------------------- public API
def stepwise_gamma(view_a: Any, view_b: Any, /) -> Any:
    r"""The symmetrised cross-correlation :math:`\Gamma` of two views, which drives the dynamics.

    .. math::

        \Gamma=\frac{X_a^\top X_b+X_b^\top X_a}{2n}

    Uncentred, as the loss of this model: :math:`C=W\Gamma W^\top` for every linear :math:`W`.

    Parameters
    ----------
    view_a, view_b : array, shape (n_samples, n_features)
        Paired views (row :math:`i` of both is one positive pair); integers become float64.

    Returns
    -------
    array, shape (n_features, n_features)
        :math:`\Gamma`, symmetric (exactly: the two terms are transposes of each other).

    Raises
    ------
    TypeError
        Arrays from different libraries or with a non-real dtype.
    ValueError
        Not 2-D, no row, non-finite, or the two views of different shapes.

    Notes
    -----
    Cost :math:`O(nm^2)`. The eigenvalues of :math:`\Gamma` set the learning rates of the modes
    (:func:`stepwise_trajectory`; arXiv:2303.15438).

    Examples
    --------
    >>> import numpy as np
    >>> xa = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> stepwise_gamma(xa, xa)  # identical views: the second-moment matrix
    array([[0.5, 0. ],
           [0. , 2. ]])
    """
    xp = _backend.get_namespace(view_a, view_b)
    a = _validation.check_array(view_a, xp=xp, name="view_a", ndim=2)
    b = _validation.check_array(view_b, xp=xp, name="view_b", ndim=2)
    _validation.check_same_shape(a, b, names=("view_a", "view_b"))
    if a.dtype != b.dtype:
        b = xp.astype(b, xp.result_type(a.dtype, b.dtype))
        a = xp.astype(a, b.dtype)
    cross = a.mT @ b
    return (cross + cross.mT) / (2 * a.shape[0])


def stepwise_modes(
    gamma: Any, /, *, n_components: int, init_weights: Any = None, tie_tol: float | None = None
) -> StepwiseModes:
    r"""Top eigenmodes of :math:`\Gamma` and the initial amplitude of each in :math:`W(0)`.

    .. math::

        \Gamma V_d=V_d\Lambda_d,\qquad W(0)V_d=QR,\qquad U=Q\,\mathrm{sign}(\mathrm{diag}R),
        \qquad s_j(0)=|R_{jj}|

    with :math:`\lambda_1\ge\dots\ge\lambda_d` the :math:`d` largest eigenvalues and :math:`QR`
    the QR factorisation. For an *aligned* initialisation :math:`W(0)=US(0)V_d^\top` this returns
    :math:`U` and :math:`S(0)` exactly. For a generic small one, the early (linear) phase
    :math:`W(t)\approx W(0)e^{4\Gamma t}` gives :math:`W(t)V_d\approx QRe^{4\Lambda_dt}`, whose
    column scales separate: it tends to the aligned :math:`Q\,|\mathrm{diag}R|\,e^{4\Lambda_dt}`
    up to relative corrections :math:`O(e^{-4(\lambda_i-\lambda_j)t})`, :math:`i<j`, so the
    closed form applies with the *effective* :math:`s_j(0)=|R_{jj}|` (docs/dynamics_stepwise.md).

    Parameters
    ----------
    gamma : array, shape (n_features, n_features)
        :math:`\Gamma`, symmetric (see :func:`stepwise_gamma`), finite.
    n_components : int
        :math:`d`, the embedding dimension, ``1 <= d <= n_features``.
    init_weights : array, shape (n_components, n_features), optional
        :math:`W(0)` in the layout of ``ssltheory.nets.Linear.weight``.
    tie_tol : float, optional
        Tolerance for calling :math:`\lambda_d=\lambda_{d+1}` (default
        :math:`4\sqrt\epsilon\max(1,\max|\lambda|)`).

    Returns
    -------
    StepwiseModes
        ``gamma_eigenvalues`` (d,) descending, ``components`` (m, d); with ``init_weights`` also
        ``rotation`` (d, d), ``init_scale`` (d,) and ``misalignment``.

    Raises
    ------
    TypeError
        Arrays from different libraries, non-real dtypes, a non-integer ``n_components``.
    ValueError
        ``gamma`` not square, not symmetric or non-finite; ``n_components`` out of range;
        ``init_weights`` of the wrong shape or non-finite.

    Warns
    -----
    DegenerateSpectrumWarning
        :math:`\lambda_d=\lambda_{d+1}>0` within ``tie_tol``: which of the tied modes is learned
        is not determined by :math:`\Gamma`.

    Notes
    -----
    Cost :math:`O(m^3)` (one ``eigh``) plus :math:`O(d^2m)`. Eigenvector signs are normalised
    (largest entry positive); :math:`U` absorbs them, so :math:`US(0)V_d^\top` is sign-free.

    References
    ----------
    J. B. Simon, M. Knutins, L. Ziyin, D. Geisz, A. J. Fetterman, J. Albrecht, "On the stepwise
    nature of self-supervised learning", ICML 2023, arXiv:2303.15438.

    Examples
    --------
    >>> import numpy as np
    >>> gamma = np.diag([0.5, 2.0, 1.0])
    >>> w0 = 1e-3 * np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])  # aligned: rows on e2, e3
    >>> modes = stepwise_modes(gamma, n_components=2, init_weights=w0)
    >>> modes.gamma_eigenvalues
    array([2., 1.])
    >>> modes.init_scale
    array([0.001, 0.002])
    >>> modes.misalignment
    0.0
    """
    xp = _backend.get_namespace(gamma, init_weights)
    gamma = _check_gamma(gamma, xp=xp)
    m = gamma.shape[0]
    d = _validation.check_n_components(n_components, maximum=m, reason="at most n_features modes")
    n_eig = min(d + 1, m)
    w, v = _linalg.top_k(gamma, n_eig, xp=xp)
    _linalg.warn_if_tied(
        w,
        d,
        xp=xp,
        tie_tol=tie_tol,
        kept_weight_positive=bool(w[d - 1] > 0),
        what="eigenvalue of gamma",
    )
    lam = w[:d]
    vd = _linalg.sign_normalize(v[:, :d], xp=xp)
    if init_weights is None:
        return StepwiseModes(gamma_eigenvalues=lam, components=vd)
    w0 = _validation.check_array(init_weights, xp=xp, name="init_weights", ndim=2)
    if tuple(w0.shape) != (d, m):
        raise ValueError(
            f"init_weights must have shape (n_components, n_features) = ({d}, {m}), "
            f"received {tuple(w0.shape)}"
        )
    if w0.dtype != gamma.dtype:
        w0 = xp.astype(w0, gamma.dtype)
    q, r = xp.linalg.qr(w0 @ vd)
    diag = xp.linalg.diagonal(r)
    signs = xp.where(diag < 0, -xp.ones_like(diag), xp.ones_like(diag))
    rotation = q * signs[None, :]
    scale = xp.abs(diag)
    norm = float(xp.linalg.vector_norm(w0))
    aligned = (rotation * scale[None, :]) @ vd.mT
    mis = float(xp.linalg.vector_norm(w0 - aligned)) / norm if norm > 0 else 0.0
    return StepwiseModes(
        gamma_eigenvalues=lam, components=vd, rotation=rotation, init_scale=scale, misalignment=mis
    )


def stepwise_trajectory(gamma_eigenvalues: Any, t: Any, /, *, init_scale: Any) -> StepwiseTrajectory:
    r"""Closed-form eigenvalues :math:`c_j(t)` of :math:`C(t)` under gradient flow: logistic curves.

    From an aligned start :math:`W(0)=US(0)V^\top` the flow stays aligned,
    :math:`W(t)=US(t)V^\top`, and each mode obeys :math:`\dot s_j=-4\lambda_js_j(\lambda_js_j^2-1)`,
    i.e. :math:`\dot c_j=8\lambda_jc_j(1-c_j)` for :math:`c_j=\lambda_js_j^2`:

    .. math::

        s_j(t)^2=\frac{s_j(0)^2\,e^{8\lambda_jt}}{1+\lambda_js_j(0)^2\,(e^{8\lambda_jt}-1)},\qquad
        c_j(t)=\lambda_js_j(t)^2,\qquad
        \log\frac{c_j(t)}{1-c_j(t)}=\log\frac{c_j(0)}{1-c_j(0)}+8\lambda_jt .

    For :math:`\lambda_j>0` and a small start the curve is a sigmoid from :math:`\approx0` to 1,
    centred at :func:`stepwise_learning_times`; for :math:`\lambda_j<0`, :math:`c_j\to0`; for
    :math:`\lambda_j=0` the mode is frozen. Every form is evaluated with
    :math:`e^{-8|\lambda_j|t}\le1` only (no overflow at large :math:`t`; ``t = inf`` gives the
    limit).

    Parameters
    ----------
    gamma_eigenvalues : array, shape (n_modes,)
        :math:`\lambda_j` (any order; the output columns follow it), finite.
    t : array, shape (n_times,)
        Gradient-flow times :math:`t\ge0` (``inf`` allowed); gradient descent with step
        :math:`\eta` is at :math:`t=k\eta`.
    init_scale : float or array, shape (n_modes,)
        :math:`s_j(0)\ge0` (one value for every mode, or one per mode), e.g.
        :attr:`StepwiseModes.init_scale`.

    Returns
    -------
    StepwiseTrajectory
        ``times``, ``eigenvalues`` (n_times, n_modes), ``singular_values``, ``loss``.

    Raises
    ------
    TypeError
        Arrays from different libraries, non-real dtypes, ``init_scale`` neither a number nor an
        array.
    ValueError
        Inputs not 1-D, non-finite eigenvalues, NaN or negative times, negative ``init_scale`` or
        one of the wrong length.

    Notes
    -----
    Derivation and the exact time constant in ``docs/dynamics_stepwise.md``;
    ``proofs_checks/test_stepwise_logistic.py`` checks the ODE and the solution symbolically.
    Cost :math:`O(K)` per time point (:math:`K` modes) after the one eigendecomposition of
    :func:`stepwise_modes`. Small-step gradient descent lags this curve by
    :math:`\approx\eta\,(|\ell_j(0)|-3\log2)/4` at its midpoint, :math:`\ell_j(0)` the initial
    logit (the discretisation error, checked by the claims ``dynamics.stepwise.*``).

    References
    ----------
    J. B. Simon et al., "On the stepwise nature of self-supervised learning", ICML 2023,
    arXiv:2303.15438.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([0.0, 1.0, 2.0, np.inf])
    >>> traj = stepwise_trajectory(np.array([2.0, 1.0]), t, init_scale=1e-3)
    >>> np.round(traj.eigenvalues, 4)  # logits -13.12 + 16 t and -13.82 + 8 t
    array([[0.    , 0.    ],
           [0.9467, 0.003 ],
           [1.    , 0.8988],
           [1.    , 1.    ]])
    """
    xp = _backend.get_namespace(gamma_eigenvalues, t, init_scale if hasattr(init_scale, "shape") else None)
    lam = _vector(gamma_eigenvalues, xp=xp, name="gamma_eigenvalues")
    times = _vector(t, xp=xp, name="t", allow_inf=True)
    if times.dtype != lam.dtype:
        dtype = xp.result_type(times.dtype, lam.dtype)
        lam, times = xp.astype(lam, dtype), xp.astype(times, dtype)
    if bool(xp.any(times < 0)):
        raise ValueError("t must be >= 0 (gradient-flow times), received a negative entry")
    dev = _backend.device(lam)
    s0 = _init_scale(init_scale, lam.shape[0], dtype=lam.dtype, device=dev, xp=xp)
    y0 = (s0 * s0)[None, :]
    lam2 = lam[None, :]
    rate = _RATE * xp.abs(lam2)
    infinite = xp.isinf(times)[:, None]
    finite_t = xp.where(infinite, xp.zeros_like(times[:, None]), times[:, None])
    a = xp.exp(-rate * finite_t)  # e^{-8|λ|t} <= 1; at t = inf: 0 for λ != 0, 1 for λ = 0
    a = xp.where(infinite & (rate > 0), xp.zeros_like(a), a)
    one = xp.ones_like(a)
    pos = lam2 > 0
    # λ > 0: y = y0 / (a + λ y0 (1 − a)); the denominator is a convex combination of 1 and λ y0
    den_pos = a + xp.where(pos, lam2, 0 * lam2) * y0 * (1 - a)
    den_pos = xp.where(den_pos > 0, den_pos, one)
    y_pos = y0 / den_pos
    # λ <= 0: y = y0 a / (1 + |λ| y0 (1 − a)) >= 0, denominator >= 1
    y_neg = y0 * a / (1 + xp.abs(lam2) * y0 * (1 - a))
    y = xp.where(pos, y_pos, y_neg)
    y = xp.where(y0 == 0, xp.zeros_like(y), y)
    c = lam2 * y
    loss = xp.sum((c - 1) ** 2, axis=1)
    return StepwiseTrajectory(times=times, eigenvalues=c, singular_values=xp.sqrt(y), loss=loss)


def stepwise_learning_times(gamma_eigenvalues: Any, /, *, init_scale: Any, threshold: float = 0.5) -> Any:
    r"""Time at which each mode's eigenvalue :math:`c_j(t)` reaches ``threshold``: the step times.

    .. math::

        t_j(\theta)=\frac{1}{8\lambda_j}\Bigl[\log\frac{\theta}{1-\theta}
        -\log\frac{c_j(0)}{1-c_j(0)}\Bigr],\qquad c_j(0)=\lambda_js_j(0)^2,

    so at :math:`\theta=\tfrac12` and small :math:`s_j(0)`,
    :math:`t_j\approx\frac{1}{4\lambda_j}\log\frac{1}{s_j(0)}-\frac{\log\lambda_j}{8\lambda_j}`:
    with one init scale, modes are learned in decreasing order of :math:`\lambda_j`, the plateaus of
    the loss (:math:`\mathcal L\approx d-j`) lying between consecutive :math:`t_j`.

    Parameters
    ----------
    gamma_eigenvalues : array, shape (n_modes,)
        :math:`\lambda_j`, finite.
    init_scale : float or array, shape (n_modes,)
        :math:`s_j(0)\ge0`.
    threshold : float, default 0.5
        :math:`\theta\in(0,1)`.

    Returns
    -------
    array, shape (n_modes,)
        :math:`t_j(\theta)`; 0 where :math:`c_j(0)\ge\theta` already; ``inf`` where the mode is
        never learned (:math:`\lambda_j\le0` or :math:`s_j(0)=0`).

    Raises
    ------
    TypeError, ValueError
        As :func:`stepwise_trajectory`; ``threshold`` not in (0, 1).

    Notes
    -----
    Cost :math:`O(K)`. The leading term :math:`\frac{1}{4\lambda_j}\log\frac{1}{s_j(0)}` is in
    the time :math:`t` of :math:`\dot W=-\nabla\|C-I\|_F^2`; it reads
    :math:`\frac{1}{\lambda_j}\log\frac1{s_j(0)}` only for the slower flow
    :math:`\dot W=-\tfrac14\nabla\|C-I\|_F^2` (docs/dynamics_stepwise.md).

    References
    ----------
    J. B. Simon et al., ICML 2023, arXiv:2303.15438.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(stepwise_learning_times(np.array([2.0, 1.0, -1.0]), init_scale=1e-3), 4)
    array([0.8201, 1.7269,    inf])
    """
    xp = _backend.get_namespace(gamma_eigenvalues, init_scale if hasattr(init_scale, "shape") else None)
    lam = _vector(gamma_eigenvalues, xp=xp, name="gamma_eigenvalues")
    theta = _validation.check_positive(threshold, name="threshold")
    if theta >= 1.0:
        raise ValueError(f"threshold must be in (0, 1), received {theta}")
    s0 = _init_scale(init_scale, lam.shape[0], dtype=lam.dtype, device=_backend.device(lam), xp=xp)
    c0 = lam * s0 * s0
    learnable = (lam > 0) & (c0 > 0)
    below = learnable & (c0 < theta)
    safe_c0 = xp.where(below, c0, xp.full_like(c0, 0.5))
    safe_lam = xp.where(learnable, lam, xp.ones_like(lam))
    logit_theta = math.log(theta) - math.log1p(-theta)
    times = (logit_theta - (xp.log(safe_c0) - xp.log1p(-safe_c0))) / (_RATE * safe_lam)
    times = xp.where(below, times, xp.zeros_like(times))
    return xp.where(learnable, times, xp.full_like(times, math.inf))


def stepwise_final_weights(
    gamma: Any, /, *, n_components: int, init_weights: Any = None, rtol: float | None = None
) -> Any:
    r"""Where gradient flow from small initialisation ends: :math:`W(\infty)=U\Lambda_d^{-1/2}V_d^\top`.

    .. math::

        W(\infty)=\sum_{j\le d}u_j\,s_j(\infty)\,v_j^\top,\qquad
        s_j(\infty)=\begin{cases}\lambda_j^{-1/2}&\lambda_j>0\\ s_j(0)&\lambda_j=0\\
        0&\lambda_j<0\end{cases}

    so :math:`C(\infty)=W\Gamma W^\top` is the identity on the learned modes and
    :math:`W^\top W=V_d\Lambda_d^{-1}V_d^\top` (:math:`U`-free) when all :math:`d` top
    eigenvalues are positive. :math:`U, s_j(0)` come from :func:`stepwise_modes`: exact for an
    aligned :math:`W(0)`; for a generic small one the small-init limit, accurate to the size of the
    components that :math:`W(0)` has outside the aligned form when each mode is learned (the
    zero-loss set :math:`\{W\Gamma W^\top=I\}` is a manifold: gradient flow stops where it
    reaches it, so this is an asymptotic prediction there, not an exact one).

    Parameters
    ----------
    gamma : array, shape (n_features, n_features)
        :math:`\Gamma`, symmetric, finite.
    n_components : int
        :math:`d`, ``1 <= d <= n_features``.
    init_weights : array, shape (n_components, n_features), optional
        :math:`W(0)`; default: :math:`U=I` and the small-init limit :math:`s_j(0)\to0`.
    rtol : float, optional
        Eigenvalues with :math:`|\lambda_j|\le` ``rtol``:math:`\cdot\|\Gamma\|_F` count as 0
        (frozen modes); default :math:`m\epsilon`.

    Returns
    -------
    array, shape (n_components, n_features)
        :math:`W(\infty)` (layout of ``ssltheory.nets.Linear.weight``).

    Raises
    ------
    TypeError, ValueError
        As :func:`stepwise_modes`; ``rtol`` negative or not below 1.

    Warns
    -----
    DegenerateSpectrumWarning
        As :func:`stepwise_modes`.

    Notes
    -----
    Cost :math:`O(m^3)`. Every :math:`W` with :math:`W\Gamma W^\top=I` is a global minimum of
    :math:`\mathcal L`; small initialisation selects the top-:math:`d` eigenmodes, the
    kernel-PCA-like solution of Simon et al.

    References
    ----------
    J. B. Simon et al., ICML 2023, arXiv:2303.15438.

    Examples
    --------
    >>> import numpy as np
    >>> stepwise_final_weights(np.diag([4.0, 1.0, -1.0]), n_components=2)
    array([[0.5, 0. , 0. ],
           [0. , 1. , 0. ]])
    """
    modes = stepwise_modes(gamma, n_components=n_components, init_weights=init_weights)
    xp = _backend.get_namespace(modes.gamma_eigenvalues)
    lam = modes.gamma_eigenvalues
    d = lam.shape[0]
    m = modes.components.shape[0]
    if rtol is None:
        rtol = m * float(xp.finfo(lam.dtype).eps)
    rtol = _validation.check_positive(rtol, name="rtol", strict=False)
    if rtol >= 1.0:
        raise ValueError(f"rtol must be in [0, 1), received {rtol}")
    # ‖Γ‖_F >= max|λ| over the whole spectrum: the scale below which an eigenvalue is rounding
    zero_tol = rtol * float(xp.linalg.vector_norm(_validation.as_float(gamma, xp=xp, name="gamma")))
    if modes.init_scale is None:
        s0 = xp.zeros_like(lam)
        rotation = xp.eye(d, dtype=lam.dtype, device=_backend.device(lam))
    else:
        s0, rotation = modes.init_scale, modes.rotation
    positive = lam > zero_tol
    frozen = xp.abs(lam) <= zero_tol
    learned = positive if modes.init_scale is None else positive & (s0 > 0)
    safe = xp.where(positive, lam, xp.ones_like(lam))
    s_inf = xp.where(learned, 1 / xp.sqrt(safe), xp.where(frozen, s0, xp.zeros_like(lam)))
    return (rotation * s_inf[None, :]) @ modes.components.mT

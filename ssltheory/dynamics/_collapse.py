r"""Dimensional collapse of linear contrastive learning (Jing, Vincent, LeCun & Tian, arXiv:2110.09348).

Jing et al. (ICLR 2022) show that the gradient of InfoNCE for a linear encoder :math:`z=Wx` has the
form :math:`\nabla_W\mathcal L=-WX`, so that gradient flow is :math:`\dot W=WX`, and argue that a
*strong augmentation*, one that makes :math:`X` (a weighted data covariance minus a weighted
augmentation covariance) indefinite, collapses the directions of its negative eigenvalues. This
module re-derives the identity for the loss the library trains, :class:`ssltheory.losses.SimCLRLoss`
(cosine similarities of **normalised** embeddings, temperature :math:`\tau`), and replaces the
informal collapse criterion by the exact stability condition of the collapsed stationary point
(``docs/dynamics_collapse.md`` has the derivations).

Setting (every function below): inputs :math:`X\in\mathbb R^{N\times d}` (one row per view), a
relation graph :math:`G` (zero diagonal), a linear encoder :math:`Z=XW^\top` with
:math:`W\in\mathbb R^{K\times d}` (the layout of ``ssltheory.nets.Linear.weight``), unit rows
:math:`u_i=z_i/\lVert z_i\rVert` and the paper convention of :class:`~ssltheory.losses.SimCLRLoss`,

.. math::

    \mathcal L(W)=\sum_{i,j}G_{ij}\Big(\log\sum_{k\ne i}e^{u_i^\top u_k/\tau}
    -\frac{u_i^\top u_j}{\tau}\Big)\quad(\text{divided by }\textstyle\sum_{ij}G_{ij}
    \text{ with reduction="mean"}).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation

__all__ = [
    "CollapsePrediction",
    "ContrastiveOperator",
    "canonical_view_correlations",
    "collapse_threshold",
    "infonce_gradient_operator",
    "infonce_linear_gradient",
    "predicted_collapse_rank",
]

# SimCLRLoss divides by max(||z_i||, 1e-12); below it the loss is not differentiable in W the same way
_NORM_FLOOR = 1e-12


@dataclass(frozen=True)
class ContrastiveOperator:
    r"""The matrix :math:`Q` with :math:`\nabla_W\mathcal L=WQ`, and its three parts.

    With :math:`\tilde x_i=x_i/\lVert Wx_i\rVert`, :math:`B=A+A^\top`,
    :math:`A=\mathrm{diag}(G\mathbf 1)P-G` (:math:`P` the off-diagonal softmax of
    :math:`S=UU^\top/\tau`), :math:`B^-=2G` and :math:`B^+=B+B^-`, and the graph Laplacian
    :math:`L(w)=\mathrm{diag}(w\mathbf 1)-w`:

    .. math::

        Q=\frac1\tau\big(C_{\mathrm{pos}}-C_{\mathrm{neg}}+R\big),\qquad
        C_{\mathrm{pos}}=\tilde X^\top L(B^-)\tilde X,\quad
        C_{\mathrm{neg}}=\tilde X^\top L(B^+)\tilde X,\quad
        R=\tilde X^\top\mathrm{diag}\Big(\sum_kB_{ik}(1-u_i^\top u_k)\Big)\tilde X .

    Attributes
    ----------
    operator : array, shape (n_features, n_features)
        :math:`Q` (symmetric): :math:`\nabla_W\mathcal L=WQ`. The paper's matrix is
        :math:`X_{\text{paper}}=-Q`.
    positive_covariance : array, shape (n_features, n_features)
        :math:`C_{\mathrm{pos}}=\sum_{ij}G_{ij}(\tilde x_i-\tilde x_j)(\tilde x_i-\tilde x_j)^\top`:
        the covariance of the positive pairs' differences (the paper's *augmentation* term).
    negative_covariance : array, shape (n_features, n_features)
        :math:`C_{\mathrm{neg}}=\frac12\sum_{ij}B^+_{ij}(\tilde x_i-\tilde x_j)(\tilde x_i-\tilde x_j)^\top`:
        the softmax-weighted covariance of all pairs (the paper's *data* term).
    radial : array, shape (n_features, n_features)
        :math:`R`: the term the normalisation :math:`z\mapsto z/\lVert z\rVert` adds (absent from the
        paper's unnormalised loss).
    """

    operator: Any
    positive_covariance: Any
    negative_covariance: Any
    radial: Any


@dataclass(frozen=True)
class CollapsePrediction:
    r"""Which directions a linear InfoNCE encoder keeps, from the data and augmentation covariances.

    Attributes
    ----------
    canonical_correlations : array, shape (n_features,)
        :math:`\rho_1\ge\dots\ge\rho_d`: generalised eigenvalues of
        :math:`(\Sigma_x,\Sigma_x+\Sigma_\varepsilon)`, the correlations of the two views along the
        canonical directions.
    n_kept : int
        :math:`r`: the number of directions tied at the top correlation (within ``tie_tol``).
    threshold : float
        :math:`\rho^*(r,\bar\rho,\tau)` of :func:`collapse_threshold`: a direction outside the top group
        stays collapsed at the stationary point that keeps only the top group iff
        :math:`\rho_k<\rho^*` (``-inf`` for :math:`r\le2`).
    n_collapsed_min, n_collapsed_max : int
        Bounds on the number of zero eigenvalues of the :math:`K\times K` embedding covariance at the
        end of training. Equal (:math:`K-r`) when every other direction lies below the threshold:
        the stationary point that keeps the top group only is then stable. Otherwise that point is
        unstable, at least one more direction is kept and
        :math:`\max(K-d,0)\le n\le K-r-1`.
    decay_rates : array, shape (n_features,)
        :math:`\lambda_k=\frac{2J_1}{\tau}(\rho^*-\rho_k)` for the directions outside the top group (0
        for the top group): the eigenvalue of :math:`Q` along direction :math:`k` at the stationary
        point, for ``reduction="mean"``, whitened inputs and a unit embedding scale (multiply by
        :math:`N` for ``reduction="sum"`` and divide by :math:`s^2` for an embedding scale :math:`s`).
        Under :math:`\dot W=-WQ` a collapsed direction decays as :math:`e^{-\lambda_kt}`.
    n_augmentation_dominated : int
        :math:`\#\{k:\rho_k<1/2\}`, the number of negative eigenvalues of :math:`\Sigma_x-\Sigma_\varepsilon`
        (directions where the augmentation variance exceeds the data variance): the informal reading
        of the paper's criterion, shown for comparison; it is not the collapse count.
    """

    canonical_correlations: Any
    n_kept: int
    threshold: float
    n_collapsed_min: int
    n_collapsed_max: int
    decay_rates: Any
    n_augmentation_dominated: int

    @property
    def determined(self) -> bool:
        """Whether the bounds coincide (the prediction is an exact count)."""
        return self.n_collapsed_min == self.n_collapsed_max


# --------------------------------------------------------------------------- gradient identity
def _check_inputs(
    X: Any, weights: Any, graph: Any, temperature: Any, reduction: Any
) -> tuple[ModuleType, Any, Any, Any, float, str]:
    xp = _backend.get_namespace(X, weights, graph)
    X = _validation.check_array(X, xp=xp, name="X", ndim=2, min_rows=2)
    weights = _validation.check_array(weights, xp=xp, name="weights", ndim=2)
    if weights.shape[1] != X.shape[1]:
        raise ValueError(
            f"weights must have shape (n_components, n_features={X.shape[1]}) to match X, "
            f"received {tuple(weights.shape)}"
        )
    graph = _validation.check_graph(graph, xp=xp, diagonal="reject")
    if _backend.is_sparse(graph):
        graph = graph.toarray()
    if graph.shape[0] != X.shape[0]:
        raise ValueError(
            f"graph must be (n_samples, n_samples) = ({X.shape[0]}, {X.shape[0]}) to match X, "
            f"received {tuple(graph.shape)}"
        )
    tau = _validation.check_positive(temperature, name="temperature")
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', received {reduction!r}")
    dtype = xp.result_type(X.dtype, weights.dtype)
    X, weights = xp.astype(X, dtype), xp.astype(weights, dtype)
    graph = xp.astype(graph, dtype)
    return xp, X, weights, graph, tau, reduction


def infonce_gradient_operator(
    X: Any, weights: Any, graph: Any, /, *, temperature: float = 0.5, reduction: str = "sum"
) -> ContrastiveOperator:
    r"""The matrix :math:`Q(W)` of the gradient identity :math:`\nabla_W\mathcal L=WQ` of linear InfoNCE.

    The loss depends on :math:`W` only through the Gram matrix :math:`K=XW^\top WX^\top` (cosines and
    norms are functions of it), so :math:`\nabla_W\mathcal L=WX^\top(\Gamma+\Gamma^\top)X` with
    :math:`\Gamma=\partial\mathcal L/\partial K`. For SimCLR/InfoNCE, with :math:`n_i=\lVert Wx_i\rVert`
    and :math:`B=A+A^\top`, :math:`A=\mathrm{diag}(G\mathbf 1)P-G`:

    .. math::

        Q=X^\top\tilde\Gamma X,\qquad
        \tilde\Gamma_{ij}=\frac{B_{ij}}{\tau n_in_j}\ (i\ne j),\qquad
        \tilde\Gamma_{ii}=-\frac1{n_i^2}\sum_kB_{ik}S_{ik},

    and gradient flow is :math:`\dot W=-WQ`, hence :math:`\tfrac{d}{dt}W^\top W=-(QW^\top W+W^\top WQ)`
    and, for an invertible :math:`W`, :math:`\dot C=-(HC+CH^\top)` with :math:`H=WQW^{-1}` for the
    embedding covariance :math:`C=W\Sigma W^\top`. Jing et al. write the same identity as
    :math:`\nabla_W\mathcal L=-WX_{\text{paper}}` for their unnormalised loss; here
    :math:`X_{\text{paper}}=-Q=(C_{\mathrm{neg}}-C_{\mathrm{pos}}-R)/\tau` gains the radial term
    :math:`R` of the normalisation (:class:`ContrastiveOperator`).

    Parameters
    ----------
    X : array, shape (n_samples, n_features)
        Inputs, one row per node of the graph (every view).
    weights : array, shape (n_components, n_features)
        :math:`W` (``Z = X @ weights.T``); every embedding must have a norm above :math:`10^{-12}`.
    graph : array, shape (n_samples, n_samples)
        Relation graph :math:`G` (symmetric, non-negative, zero diagonal), e.g.
        :func:`ssltheory.graphs.augmentation_graph`.
    temperature : float, default 0.5
        :math:`\tau>0`.
    reduction : {"sum", "mean"}, default "sum"
        As :class:`ssltheory.losses.SimCLRLoss` (``"mean"`` divides by :math:`\sum_{ij}G_{ij}`).

    Returns
    -------
    ContrastiveOperator
        :math:`Q` and its parts, arrays of the inputs' namespace, device and dtype.

    Raises
    ------
    ValueError
        Shapes that do not match, a graph with a non-zero diagonal or asymmetric, a non-positive
        temperature, an unknown reduction, an embedding of norm below :math:`10^{-12}`.
    TypeError
        Arrays of different libraries.

    See Also
    --------
    infonce_linear_gradient : :math:`WQ` itself.
    ssltheory.losses.SimCLRLoss : the loss and its exact gradient in :math:`Z`.

    Notes
    -----
    Cost :math:`O(N^2K+N^2d+Nd^2)`. Checked against ``SimCLRLoss.value_and_grad`` backpropagated through
    :class:`ssltheory.nets.Linear` by the claim ``dynamics.collapse.gradient_identity``; the
    decomposition is an algebraic rearrangement (``docs/dynamics_collapse.md``).

    References
    ----------
    Jing, Vincent, LeCun & Tian, *Understanding Dimensional Collapse in Contrastive Self-supervised
    Learning*, ICLR 2022, arXiv:2110.09348, Lemmas 1-2.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> from ssltheory.losses import SimCLRLoss
    >>> rng = np.random.default_rng(0)
    >>> X, W, G = rng.standard_normal((8, 3)), rng.standard_normal((2, 3)), augmentation_graph(4, 2)
    >>> op = infonce_gradient_operator(X, W, G, temperature=0.5)
    >>> grad = SimCLRLoss(temperature=0.5).value_and_grad(X @ W.T, G).grad.T @ X  # chain rule
    >>> bool(np.allclose(W @ op.operator, grad, rtol=1e-12, atol=1e-12))
    True
    >>> Q = (op.positive_covariance - op.negative_covariance + op.radial) / 0.5
    >>> bool(np.allclose(Q, op.operator, rtol=1e-12, atol=1e-12))
    True
    """
    xp, X, weights, graph, tau, reduction = _check_inputs(X, weights, graph, temperature, reduction)
    n = X.shape[0]
    dev = _backend.device(X)
    z = X @ weights.mT
    norms = xp.sqrt(xp.sum(z * z, axis=1))
    if bool(xp.any(norms <= _NORM_FLOOR)):
        i = int(xp.argmin(norms))
        raise ValueError(
            f"weights maps row {i} of X to an embedding of norm {float(norms[i]):.3g} <= 1e-12: the "
            "normalised loss is not differentiable there"
        )
    u = z / norms[:, None]
    s = (u @ u.mT) / tau
    eye = xp.eye(n, dtype=X.dtype, device=dev) != 0
    s_off = xp.where(eye, xp.asarray(-math.inf, dtype=X.dtype, device=dev), s)
    e = xp.exp(s_off - xp.max(s_off, axis=1, keepdims=True))
    p = e / xp.sum(e, axis=1, keepdims=True)
    a = xp.sum(graph, axis=1, keepdims=True) * p - graph
    g_neg = 2.0 * graph
    if reduction == "mean":
        total = xp.sum(graph)
        a, g_neg = a / total, g_neg / total
    b = a + a.mT
    s0 = xp.where(eye, xp.zeros_like(s), s)
    outer = norms[:, None] * norms[None, :]
    gamma = xp.where(eye, xp.zeros_like(s), b / (tau * outer))
    diag = -xp.sum(b * s0, axis=1) / (norms * norms)
    q = X.mT @ (gamma @ X) + (X.mT * diag[None, :]) @ X
    q = _linalg.symmetrize(q, xp=xp)
    # the decomposition, on x̃ = x / ||Wx||
    xt = X / norms[:, None]

    def laplacian_form(w: Any) -> Any:
        deg = xp.sum(w, axis=1)
        return _linalg.symmetrize((xt.mT * deg[None, :]) @ xt - xt.mT @ (w @ xt), xp=xp)

    c_pos = laplacian_form(g_neg)
    c_neg = laplacian_form(b + g_neg)
    radial_w = xp.sum(b * (1.0 - s0 * tau), axis=1)  # B has a zero diagonal: k = i drops out
    radial = _linalg.symmetrize((xt.mT * radial_w[None, :]) @ xt, xp=xp)
    return ContrastiveOperator(
        operator=q, positive_covariance=c_pos, negative_covariance=c_neg, radial=radial
    )


def infonce_linear_gradient(
    X: Any, weights: Any, graph: Any, /, *, temperature: float = 0.5, reduction: str = "sum"
) -> Any:
    r"""Gradient of linear InfoNCE in the weights, from the identity :math:`\nabla_W\mathcal L=WQ(W)`.

    .. math::

        \nabla_W\mathcal L=W\,X^\top\tilde\Gamma X
        =-\frac1\tau\,W\big(C_{\mathrm{neg}}-C_{\mathrm{pos}}-R\big)

    (:func:`infonce_gradient_operator` defines :math:`\tilde\Gamma` and the three covariances).

    Parameters
    ----------
    X : array, shape (n_samples, n_features)
    weights : array, shape (n_components, n_features)
    graph : array, shape (n_samples, n_samples)
    temperature : float, default 0.5
    reduction : {"sum", "mean"}, default "sum"
        As :func:`infonce_gradient_operator`.

    Returns
    -------
    array, shape (n_components, n_features)
        :math:`WQ`, of the inputs' namespace, device and dtype: the gradient that
        ``SimCLRLoss.value_and_grad`` backpropagated through ``ssltheory.nets.Linear(bias=False)``
        gives, to rounding.

    Raises
    ------
    ValueError, TypeError
        As :func:`infonce_gradient_operator`.

    Notes
    -----
    Cost :math:`O(N^2K+N^2d+Nd^2+Kd^2)`.

    References
    ----------
    Jing et al., ICLR 2022, arXiv:2110.09348, Lemma 2 (:math:`G=-WX`).

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> rng = np.random.default_rng(1)
    >>> X, W = rng.standard_normal((6, 4)), rng.standard_normal((4, 4))
    >>> g = infonce_linear_gradient(X, W, augmentation_graph(3, 2), temperature=0.2)
    >>> g.shape
    (4, 4)
    >>> print(f"{float(np.sum(g * W)):.1e}")  # scale invariance: the gradient is orthogonal to W
    0.0e+00
    """
    op = infonce_gradient_operator(X, weights, graph, temperature=temperature, reduction=reduction)
    xp = _backend.get_namespace(op.operator)
    w = _validation.as_float(weights, xp=xp, name="weights")
    return xp.astype(w, op.operator.dtype) @ op.operator


# --------------------------------------------------------------------------- collapse prediction
def _check_covariance(c: Any, *, xp: ModuleType, name: str) -> Any:
    c = _validation.check_array(c, xp=xp, name=name, ndim=2)
    _validation.check_square(c, name=name)
    _validation.check_symmetric(
        c, xp=xp, name=name, hint="pass (C + C.T) / 2 if that is what you mean", min_scale=1.0
    )
    scale = float(xp.max(xp.abs(c))) if c.shape[0] else 0.0
    tol = _validation.default_tol(c.dtype, xp=xp) * max(scale, 1.0)
    low = float(xp.linalg.eigvalsh(_linalg.symmetrize(c, xp=xp))[0])
    if low < -tol:
        raise ValueError(f"{name} must be positive semi-definite, but its smallest eigenvalue is {low:.3g}")
    return c


def canonical_view_correlations(data_cov: Any, aug_cov: Any, /) -> Any:
    r"""Correlations of two augmented views along their canonical directions.

    With views :math:`x+\varepsilon` and :math:`x+\varepsilon'`, :math:`\varepsilon,\varepsilon'`
    independent with covariance :math:`\Sigma_\varepsilon` and :math:`x` of covariance :math:`\Sigma_x`,
    the view covariance is :math:`\Sigma_v=\Sigma_x+\Sigma_\varepsilon` and the cross-covariance
    :math:`\Sigma_x`; the canonical correlations are the generalised eigenvalues

    .. math::

        \Sigma_x v_k=\rho_k(\Sigma_x+\Sigma_\varepsilon)v_k,\qquad 1\ge\rho_1\ge\dots\ge\rho_d\ge0 .

    A linear encoder sees the data only through them: :math:`x\mapsto\Sigma_v^{-1/2}x` followed by a
    rotation (absorbed in :math:`W`) maps the problem to whitened views with cross-covariance
    :math:`\mathrm{diag}(\rho)`. :math:`\rho_k<1/2` iff the augmentation variance exceeds the data
    variance along :math:`v_k` (the sign of :math:`\Sigma_x-\Sigma_\varepsilon`, by Sylvester's law of
    inertia).

    Parameters
    ----------
    data_cov : array, shape (n_features, n_features)
        :math:`\Sigma_x`, symmetric positive semi-definite.
    aug_cov : array, shape (n_features, n_features)
        :math:`\Sigma_\varepsilon`, symmetric positive semi-definite, with :math:`\Sigma_x+\Sigma_\varepsilon`
        positive definite.

    Returns
    -------
    array, shape (n_features,)
        :math:`\rho`, descending, of the inputs' namespace, device and dtype.

    Raises
    ------
    ValueError
        Non-square, asymmetric or indefinite matrices, different shapes, a singular view covariance.

    Examples
    --------
    >>> import numpy as np
    >>> canonical_view_correlations(np.diag([3.0, 1.0]), np.diag([1.0, 3.0]))
    array([0.75, 0.25])
    """
    xp = _backend.get_namespace(data_cov, aug_cov)
    sx = _check_covariance(data_cov, xp=xp, name="data_cov")
    se = _check_covariance(aug_cov, xp=xp, name="aug_cov")
    _validation.check_same_shape(sx, se, names=("data_cov", "aug_cov"))
    dtype = xp.result_type(sx.dtype, se.dtype)
    sx, se = xp.astype(sx, dtype), xp.astype(se, dtype)
    sv = sx + se
    low = float(xp.linalg.eigvalsh(_linalg.symmetrize(sv, xp=xp))[0])
    top = float(xp.max(xp.abs(sv)))
    if low <= _validation.default_tol(dtype, xp=xp) * top:
        raise ValueError(
            "data_cov + aug_cov (the view covariance) must be positive definite, smallest eigenvalue "
            f"{low:.3g}"
        )
    w, _ = _linalg.generalized_eigh(sx, sv, xp=xp)
    w = xp.clip(w, min=0.0, max=1.0)  # rounding: ρ lies in [0, 1] for PSD Σx, Σε
    return xp.flip(w)


def _kept_moments(n_kept: int, rho: float) -> tuple[float, float, float]:
    r"""``J1 = E[1/(|y||y'|)]``, ``J2 = E[y·y'/(|y|³|y'|)]``, ``J3 = E[1/|y|²]`` for standard ``y, y'`` in
    :math:`\mathbb R^r` with per-coordinate correlation :math:`\rho` (``r >= 3``).

    From the moments of correlated chi variables,
    :math:`E|y|^a|y'|^b=2^{(a+b)/2}\frac{\Gamma(\frac{r+a}2)\Gamma(\frac{r+b}2)}{\Gamma(\frac r2)^2}\,
    {}_2F_1(-\tfrac a2,-\tfrac b2;\tfrac r2;\rho^2)`, and Price's theorem
    :math:`\partial_\rho E[f(y)g(y')]=E[\nabla f(y)\cdot\nabla g(y')]` for :math:`J_2`.
    """
    from scipy.special import hyp2f1

    r = n_kept
    g2 = math.exp(2.0 * (math.lgamma((r - 1) / 2) - math.lgamma(r / 2)))
    j1 = 0.5 * g2 * float(hyp2f1(0.5, 0.5, r / 2, rho * rho))
    j2 = g2 * (r - 1) / (2.0 * r) * rho * float(hyp2f1(1.5, 0.5, r / 2 + 1, rho * rho))
    j3 = 1.0 / (r - 2)
    return j1, j2, j3


def _negative_mean_cosine(n_kept: int, temperature: float) -> float:
    r"""Softmax-weighted mean cosine to uniform negatives on :math:`S^{r-1}`:
    :math:`A_r(\kappa)=I_{r/2}(\kappa)/I_{r/2-1}(\kappa)`, :math:`\kappa=1/\tau` (the mean resultant
    length of the von Mises-Fisher law).

    Evaluated by the continued fraction :math:`I_\nu/I_{\nu-1}=1/(2\nu/\kappa+I_{\nu+1}/I_\nu)`, run
    backwards from a depth where the tail no longer matters (doubling it until two depths agree to
    1e-15): the Bessel functions themselves under- or overflow for large orders or :math:`\kappa`.
    """
    kappa = 1.0 / temperature
    nu = n_kept / 2

    def fraction(depth: int) -> float:
        ratio = 0.0
        for j in range(depth, -1, -1):
            ratio = 1.0 / (2.0 * (nu + j) / kappa + ratio)
        return ratio

    depth = 32 + int(2 * kappa)
    value = fraction(depth)
    while True:
        depth *= 2
        refined = fraction(depth)
        if abs(refined - value) <= 1e-15 * abs(refined):
            return refined
        value = refined


def collapse_threshold(n_kept: int, correlation: float, /, *, temperature: float = 0.5) -> float:
    r"""Correlation below which a direction stays collapsed next to :math:`r` kept, tied directions.

    At the stationary point where a linear InfoNCE encoder keeps :math:`r` whitened directions of common
    view correlation :math:`\bar\rho` (isotropically) and drops the others, the gradient along a dropped
    direction of view correlation :math:`\rho_k` is, per unit embedding scale and pair (large batch),

    .. math::

        \mathbb E\,Q_{kk}=\frac{2J_1}{\tau}\,(\rho^*-\rho_k),\qquad
        \rho^*=\frac{J_2-A_r(1/\tau)\,J_3}{J_1},

    with :math:`J_1=E\frac1{|y||y'|}=\frac{g^2}2\,{}_2F_1(\frac12,\frac12;\frac r2;\bar\rho^2)`,
    :math:`J_2=E\frac{y\cdot y'}{|y|^3|y'|}=g^2\frac{r-1}{2r}\bar\rho\,{}_2F_1(\frac32,\frac12;\frac r2+1;
    \bar\rho^2)`, :math:`J_3=E\frac1{|y|^2}=\frac1{r-2}`, :math:`g=\Gamma(\frac{r-1}2)/\Gamma(\frac r2)`
    (:math:`y,y'` the kept coordinates of two views) and :math:`A_r(\kappa)=I_{r/2}(\kappa)/I_{r/2-1}(\kappa)`
    the softmax-weighted mean cosine to a negative. The direction stays collapsed (gradient flow
    :math:`\dot W=-WQ` shrinks it) iff :math:`\rho_k<\rho^*`. For large :math:`r`,
    :math:`\rho^*\approx\bar\rho-1/(r\tau)`.

    Parameters
    ----------
    n_kept : int
        :math:`r\ge1`.
    correlation : float
        :math:`\bar\rho\in[0,1]`, the view correlation of the kept directions.
    temperature : float, default 0.5
        :math:`\tau>0`.

    Returns
    -------
    float
        :math:`\rho^*`; ``-inf`` for :math:`r\le2`, where :math:`E|y|^{-2}=\infty` makes every dropped
        direction unstable in the large-batch limit.

    Raises
    ------
    ValueError, TypeError
        ``n_kept`` not a positive integer, ``correlation`` outside [0, 1], non-positive temperature.

    Notes
    -----
    Large-batch limit (the positive's share of the softmax :math:`\to0`); the finite-batch bias measured
    by Monte Carlo is about 0.01 at 64 pairs (``docs/dynamics_collapse.md``). Derivation there;
    ``proofs_checks/test_collapse_threshold_moments.py`` checks the moments. Cost :math:`O(1)`.

    References
    ----------
    Re-derivation of the strong-augmentation collapse of Jing et al., arXiv:2110.09348, Sec. 4, for the
    normalised loss.

    Examples
    --------
    >>> round(collapse_threshold(6, 0.9, temperature=0.5), 3)
    0.527
    >>> collapse_threshold(2, 0.9)
    -inf
    """
    r = _validation.check_int(n_kept, name="n_kept", minimum=1)
    if isinstance(correlation, bool) or not isinstance(correlation, numbers.Real):
        raise TypeError(f"correlation must be a real number, received {type(correlation).__name__}")
    rho = float(correlation)
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"correlation must lie in [0, 1], received {rho}")
    tau = _validation.check_positive(temperature, name="temperature")
    if r <= 2:
        return -math.inf
    j1, j2, j3 = _kept_moments(r, rho)
    return (j2 - _negative_mean_cosine(r, tau) * j3) / j1


def predicted_collapse_rank(
    data_cov: Any,
    aug_cov: Any,
    /,
    *,
    temperature: float = 0.5,
    n_components: int | None = None,
    tie_tol: float = 1e-6,
) -> CollapsePrediction:
    r"""Number of collapsed embedding dimensions of linear InfoNCE, from the data and augmentation covariance.

    With the canonical view correlations :math:`\rho_1\ge\dots\ge\rho_d`
    (:func:`canonical_view_correlations`) and the top group :math:`T=\{k:\rho_1-\rho_k\le\mathrm{tie\_tol}\}`
    of size :math:`r` and mean :math:`\bar\rho`, the encoder that keeps :math:`T` isotropically is a
    stationary point of the population loss (by symmetry), and it is stable against every other
    direction iff

    .. math::

        \rho_k<\rho^*(r,\bar\rho,\tau)\quad\text{for all }k\notin T
        \qquad(\text{:func:`collapse_threshold`}).

    Then the :math:`K\times K` embedding covariance ends with exactly :math:`K-r` zero eigenvalues.
    Otherwise the top-only point is unstable and a bound is returned (:class:`CollapsePrediction`). The
    paper's criterion, augmentation variance above data variance (:math:`\rho_k<1/2`), is neither
    necessary nor sufficient: the threshold moves with :math:`\tau` and :math:`r`.

    Parameters
    ----------
    data_cov : array, shape (n_features, n_features)
        :math:`\Sigma_x`.
    aug_cov : array, shape (n_features, n_features)
        :math:`\Sigma_\varepsilon` of the noise added independently to each view.
    temperature : float, default 0.5
        :math:`\tau`.
    n_components : int, optional
        Embedding dimension :math:`K\ge r` (default ``n_features``, the paper's square :math:`W`).
    tie_tol : float, default 1e-6
        Correlations within ``tie_tol`` of the largest form the top group.

    Returns
    -------
    CollapsePrediction

    Raises
    ------
    ValueError, TypeError
        Bad covariances (:func:`canonical_view_correlations`), ``n_components < r``, a negative
        ``tie_tol``, a non-positive temperature.

    Notes
    -----
    Large-batch population theory for Gaussian-like views; trained networks are compared with it by
    the claims ``dynamics.collapse.strong_augmentation_rank`` and ``dynamics.collapse.two_layer_rank``.
    Cost: one generalised eigendecomposition, :math:`O(d^3)`.

    References
    ----------
    Jing et al., ICLR 2022, arXiv:2110.09348, Sec. 4 (Theorem 2: negative eigenvalues of a *fixed*
    :math:`X` collapse :math:`W`); here :math:`X=-Q(W)` is evaluated at the stationary point.

    Examples
    --------
    >>> import numpy as np
    >>> rho = np.array([0.9] * 5 + [0.52] * 2)  # weak augmentation (ρ > 1/2) on the last two
    >>> pred = predicted_collapse_rank(np.diag(rho), np.diag(1 - rho), temperature=1.0)
    >>> pred.n_kept, round(pred.threshold, 3), pred.n_collapsed_min, pred.n_augmentation_dominated
    (5, 0.623, 2, 0)
    """
    rho = canonical_view_correlations(data_cov, aug_cov)
    xp = _backend.get_namespace(rho)
    d = rho.shape[0]
    tau = _validation.check_positive(temperature, name="temperature")
    tol = _validation.check_positive(tie_tol, name="tie_tol", strict=False)
    k = d if n_components is None else _validation.check_int(n_components, name="n_components", minimum=1)
    top = float(rho[0])
    kept = rho >= top - tol
    r = int(xp.sum(xp.astype(kept, xp.int64)))
    if k < r:
        raise ValueError(
            f"n_components must be >= the number of tied top directions r={r} (the prediction keeps them "
            f"all), received {k}"
        )
    mean_top = float(xp.sum(xp.where(kept, rho, xp.zeros_like(rho)))) / r
    thr = collapse_threshold(r, min(max(mean_top, 0.0), 1.0), temperature=tau)
    others = rho[r:]
    stable = r == d or bool(xp.all(others < thr))
    if stable:
        lo = hi = k - r
    else:
        lo, hi = max(k - d, 0), k - r - 1
    if r >= 3:
        j1 = _kept_moments(r, min(max(mean_top, 0.0), 1.0))[0]
        rates = xp.where(kept, xp.zeros_like(rho), (2.0 * j1 / tau) * (thr - rho))
    else:
        rates = xp.where(kept, xp.zeros_like(rho), xp.full_like(rho, -math.inf))
    n_dom = int(xp.sum(xp.astype(rho < 0.5, xp.int64)))
    return CollapsePrediction(
        canonical_correlations=rho,
        n_kept=r,
        threshold=thr,
        n_collapsed_min=lo,
        n_collapsed_max=hi,
        decay_rates=rates,
        n_augmentation_dominated=n_dom,
    )

"""``kernel_ssl_minimize``: the numerical path for losses without a closed form (spec/kernel.md §3.7)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ssltheory import _backend, _validation
from ssltheory._warnings import NotConvergedWarning
from ssltheory.kernel._results import KernelSolution
from ssltheory.kernel._solve import _check_gram, _check_graph_for, _eig_gram, _orient

__all__ = ["kernel_ssl_minimize"]


def kernel_ssl_minimize(
    gram: Any,
    graph: Any,
    loss_fn: Any,
    /,
    *,
    n_components: int,
    ridge: float = 0.0,
    rng: Any = None,
    rtol: float = 1e-10,
    n_steps: int = 5000,
    learning_rate: float = 1e-2,
    tol: float = 1e-10,
) -> KernelSolution:
    r"""Minimise any embedding loss over the RKHS maps :math:`f(x) = Ck_x` (numerical path).

    .. math::

        \min_{B\in\mathbb R^{d\times r}}\ \ell\big(Z^\top, A\big) + \rho\lVert B\rVert_F^2,\qquad
        Z = B\Lambda_r^{1/2}V_r^\top,\quad C = B\Lambda_r^{-1/2}V_r^\top,

    i.e. :math:`Y = B\Lambda_r^{1/2}` in the range coordinates of spec §3.0, preconditioned so that the
    RKHS ridge :math:`\rho\,\mathrm{Tr}(Y\Lambda_r^{-1}Y^\top)` is :math:`\rho\lVert B\rVert_F^2`
    (never optimise :math:`C` directly: it is as ill-conditioned as :math:`K`).

    Parameters
    ----------
    gram : array, shape (n_samples, n_samples)
        Kernel matrix of the training views (symmetric PSD).
    graph : array, shape (n_samples, n_samples)
        Relation graph, passed to ``loss_fn``.
    loss_fn : ssltheory.losses.Loss or callable
        Anything with ``value_and_grad(embedding, graph)`` returning ``(value, grad)`` (or an object
        with those attributes), or a callable ``(embedding, graph) -> (value, grad)``; ``embedding``
        is :math:`Z^\top` of shape (n_samples, n_components). SimCLR/InfoNCE, hinge VICReg,
        BarlowTwins …
    n_components : int
        :math:`d`.
    ridge : float, default 0.0
        RKHS ridge :math:`\rho \ge 0`.
    rng : numpy.random.Generator or int, optional
        Seed of the Gaussian initialisation of :math:`B` (standard deviation :math:`r^{-1/2}`).
    rtol : float, default 1e-10
        Kernel eigenvalues at most ``rtol·max`` are dropped.
    n_steps : int, default 5000
        Maximum number of iterations (L-BFGS on NumPy, Adam otherwise).
    learning_rate : float, default 1e-2
        Adam step size (non-NumPy backends).
    tol : float, default 1e-10
        Gradient tolerance (largest entry of the gradient in :math:`B`).

    Returns
    -------
    KernelSolution
        As :func:`kernel_ssl_solve`; ``eigenvalues`` are those of :math:`ZZ^\top` (descending),
        ``graph_tie`` is False (a local optimum says nothing about ties).

    Raises
    ------
    ValueError, TypeError
        As :func:`kernel_ssl_solve`; ``TypeError`` if ``loss_fn`` is neither a loss nor callable.

    Warns
    -----
    NotConvergedWarning
        When the gradient tolerance is not reached within ``n_steps``.

    See Also
    --------
    kernel_ssl_solve : the closed forms (use them when they exist).

    Notes
    -----
    spec/kernel.md §3.7. NumPy input runs SciPy's L-BFGS-B on the (NumPy) parameters directly;
    other backends run Adam on the backend (no host copy). Non-convex losses: the result is a local
    optimum that depends on ``rng``. Cost per iteration: one loss evaluation plus
    :math:`O(Nrd)`; setup :math:`O(N^3)` (``eigh`` of :math:`K`).

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import label_graph
    >>> from ssltheory.kernel import kernel_ssl_minimize, kernel_ssl_solve, rbf_kernel
    >>> from ssltheory.losses import SpectralContrastiveLoss
    >>> x = np.random.default_rng(0).standard_normal((8, 2))
    >>> k, a = rbf_kernel(x, bandwidth=0.5), label_graph(np.arange(8) % 4)
    >>> num = kernel_ssl_minimize(k, a, SpectralContrastiveLoss(weighting="none"), n_components=2,
    ...                           ridge=0.1, rng=0)
    >>> exact = kernel_ssl_solve(k, a, n_components=2, loss="spectral_contrastive", weighting="none",
    ...                          ridge=0.1)
    >>> bool(abs(num.loss - exact.loss) < 1e-8 * abs(exact.loss))
    True
    """
    xp = _backend.get_namespace(gram, graph)
    gram = _check_gram(gram, xp=xp)
    graph = _check_graph_for(graph, gram.shape[0], xp=xp, what="gram")
    if not _backend.is_sparse(graph):
        graph = xp.astype(graph, gram.dtype)
    d = _validation.check_int(n_components, name="n_components", minimum=1)
    rho = _validation.check_positive(ridge, name="ridge", strict=False)
    n_steps = _validation.check_int(n_steps, name="n_steps", minimum=1)
    lr = _validation.check_positive(learning_rate, name="learning_rate")
    tol = _validation.check_positive(tol, name="tol")
    rtol = _validation.check_positive(rtol, name="rtol")
    evaluate = _evaluator(loss_fn)
    vr, lam, cond = _eig_gram(gram, xp=xp, rtol=rtol, jitter=0.0, psd=True)
    r = lam.shape[0]
    if d > r:
        raise ValueError(f"n_components={d} is larger than the rank allows: rank(K) = {r}")
    sq = xp.sqrt(lam)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    b0 = xp.asarray(
        gen.standard_normal((d, r)) / math.sqrt(r), dtype=gram.dtype, device=_backend.device(gram)
    )

    def value_grad(b: Any) -> tuple[float, Any]:
        zt = vr @ (sq[:, None] * b.mT)
        val, gz = evaluate(zt, graph)
        grad_b = (sq[:, None] * (vr.mT @ gz)).mT + 2.0 * rho * b
        return float(val) + rho * float(xp.sum(b * b)), grad_b

    if _backend.is_numpy(xp):
        from scipy.optimize import minimize

        def fun(flat: np.ndarray) -> tuple[float, np.ndarray]:
            v, g = value_grad(xp.reshape(xp.asarray(flat), (d, r)))
            return v, np.reshape(np.asarray(g), (-1,))

        res = minimize(
            fun,
            np.reshape(np.asarray(b0), (-1,)),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": n_steps, "maxcor": 30, "gtol": tol, "ftol": 1e-15},
        )
        b = xp.reshape(xp.asarray(res.x), (d, r))
        converged = bool(np.max(np.abs(res.jac)) <= max(tol, 1e3 * np.finfo(float).eps)) or bool(res.success)
    else:
        b, converged = _adam(value_grad, b0, n_steps=n_steps, lr=lr, tol=tol, xp=xp)
    if not converged:
        warnings.warn(
            f"kernel_ssl_minimize did not reach the gradient tolerance {tol:g} in {n_steps} steps; "
            "increase n_steps or tol",
            NotConvergedWarning,
            stacklevel=2,
        )
    loss, _ = value_grad(b)
    y, zt = _orient(b * sq[None, :], vr, xp=xp)
    coef = (y / lam[None, :]) @ vr.mT
    eig = xp.flip(xp.linalg.eigvalsh(y @ y.mT), axis=0)
    return KernelSolution(
        coef=coef,
        embedding=zt,
        train_gram=zt @ zt.mT,
        eigenvalues=eig,
        rank=int(r),
        loss=loss,
        graph_tie=False,
        condition=cond,
    )


def _evaluator(loss_fn: Any):
    method = getattr(loss_fn, "value_and_grad", None)
    if method is None and not callable(loss_fn):
        raise TypeError(
            f"loss_fn must be a ssltheory.losses.Loss or a callable (embedding, graph) -> (value, grad), "
            f"received {type(loss_fn).__name__}"
        )
    fn = method if method is not None else loss_fn

    def evaluate(z: Any, graph: Any) -> tuple[Any, Any]:
        out = fn(z, graph)
        if hasattr(out, "value") and hasattr(out, "grad"):
            return out.value, out.grad
        return out[0], out[1]

    return evaluate


def _adam(value_grad, b: Any, *, n_steps: int, lr: float, tol: float, xp: Any) -> tuple[Any, bool]:
    """Adam (β = 0.9, 0.999) on the backend; stops when max |grad| <= tol."""
    m = xp.zeros_like(b)
    v = xp.zeros_like(b)
    for step in range(1, n_steps + 1):
        _, g = value_grad(b)
        if float(xp.max(xp.abs(g))) <= tol:
            return b, True
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        mh = m / (1 - 0.9**step)
        vh = v / (1 - 0.999**step)
        b = b - lr * mh / (xp.sqrt(vh) + 1e-12)
    return b, False

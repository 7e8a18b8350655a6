"""Optimisers: SGD with momentum and Adam (array API, any backend), L-BFGS (SciPy, host only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ssltheory import _backend, _validation

__all__ = ["Adam", "LBFGS", "Optimizer", "SGD"]  # noqa: RUF022 (plain sorted() order)


class Optimizer:
    """Base class: ``step(parameters, gradients) -> new parameters`` with internal state.

    The state (momentum buffers, moment estimates) is keyed by parameter name; :meth:`reset`
    clears it.
    """

    def __init__(self) -> None:
        self._state: dict[str, Any] = {}
        self._t = 0

    def reset(self) -> None:
        """Forget the state (as a freshly constructed optimiser)."""
        self._state = {}
        self._t = 0

    def step(self, parameters: dict[str, Any], gradients: dict[str, Any], /) -> dict[str, Any]:
        """Return the updated parameters (new arrays; the inputs are not modified)."""
        if set(parameters) != set(gradients):
            raise ValueError(
                f"gradients must have the keys of parameters {sorted(parameters)}, "
                f"received {sorted(gradients)}"
            )
        self._t += 1
        return {k: self._update(k, p, gradients[k]) for k, p in parameters.items()}

    def _update(self, name: str, p: Any, g: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    r"""Stochastic gradient descent with (heavy-ball or Nesterov) momentum, PyTorch's update rule.

    .. math::

        g_t = \nabla_\theta\ell + \lambda\theta_{t-1},\qquad b_t = \mu b_{t-1} + g_t\ (b_1 = g_1),
        \qquad \theta_t = \theta_{t-1} - \eta\,(\,b_t \text{ or } g_t + \mu b_t \text{ if Nesterov}).

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.
    momentum : float, default 0.0
        :math:`\mu\in[0,1)`.
    nesterov : bool, default False
    weight_decay : float, default 0.0
        :math:`\lambda\ge 0` (L2 penalty added to the gradient).

    Notes
    -----
    Matches ``torch.optim.SGD`` with ``dampening=0`` (checked in ``tests/test_nets_train.py``).
    Cost :math:`O(P)` per step for :math:`P` parameters; runs on the parameters' backend.

    Examples
    --------
    >>> import numpy as np
    >>> opt = SGD(learning_rate=0.5)
    >>> opt.step({"w": np.array([1.0])}, {"w": np.array([2.0])})["w"]
    array([0.])
    """

    def __init__(
        self,
        *,
        learning_rate: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__()
        self.learning_rate = _validation.check_positive(learning_rate, name="learning_rate")
        self.momentum = _validation.check_positive(momentum, name="momentum", strict=False)
        if self.momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1), received {self.momentum}")
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, received momentum=0")
        self.weight_decay = _validation.check_positive(weight_decay, name="weight_decay", strict=False)

    def _update(self, name: str, p: Any, g: Any) -> Any:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            buf = self._state.get(name)
            buf = g if buf is None else self.momentum * buf + g
            self._state[name] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        return p - self.learning_rate * g


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015, arXiv:1412.6980), PyTorch's update rule.

    .. math::

        m_t = \beta_1 m_{t-1} + (1-\beta_1)g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2)g_t^2,\quad
        \theta_t = \theta_{t-1} - \eta\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)}+\epsilon}.

    Parameters
    ----------
    learning_rate : float, default 1e-3
        :math:`\eta`.
    betas : tuple of float, default (0.9, 0.999)
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`.
    eps : float, default 1e-8
    weight_decay : float, default 0.0
        L2 penalty added to the gradient (``torch.optim.Adam``'s, not AdamW's).

    Notes
    -----
    Matches ``torch.optim.Adam`` (checked in ``tests/test_nets_train.py``). Cost :math:`O(P)`.

    Examples
    --------
    >>> import numpy as np
    >>> opt = Adam(learning_rate=0.1)
    >>> np.round(opt.step({"w": np.array([1.0])}, {"w": np.array([5.0])})["w"], 6)  # first step moves by lr
    array([0.9])
    """

    def __init__(
        self,
        *,
        learning_rate: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__()
        self.learning_rate = _validation.check_positive(learning_rate, name="learning_rate")
        betas = tuple(betas)
        if len(betas) != 2 or not all(0 <= float(b) < 1 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), received {betas}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _validation.check_positive(eps, name="eps")
        self.weight_decay = _validation.check_positive(weight_decay, name="weight_decay", strict=False)

    def _update(self, name: str, p: Any, g: Any) -> Any:
        xp = _backend.get_namespace(p)
        b1, b2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * p
        m, v = self._state.get(name, (xp.zeros_like(p), xp.zeros_like(p)))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        self._state[name] = (m, v)
        mhat = m / (1 - b1**self._t)
        vhat = v / (1 - b2**self._t)
        return p - self.learning_rate * mhat / (xp.sqrt(vhat) + self.eps)


class LBFGS(Optimizer):
    r"""Limited-memory BFGS for small full-batch problems (SciPy's L-BFGS-B, **runs on the host**).

    Minimises :math:`\theta\mapsto\ell(f_\theta(X))` over all parameters at once with
    :func:`scipy.optimize.minimize` (``method="L-BFGS-B"``, no bounds); one "step" of
    :func:`ssltheory.nets.train` is one L-BFGS iteration.

    Parameters
    ----------
    history_size : int, default 20
        Number of correction pairs kept (SciPy's ``maxcor``).
    gtol : float, default 1e-10
        Stop when the largest gradient entry is below ``gtol``.
    ftol : float, default 1e-15
        Stop when the relative decrease of the loss is below ``ftol``.

    Raises
    ------
    NotImplementedError
        From :func:`~ssltheory.nets.train` for non-NumPy parameters: SciPy's L-BFGS has no
        array-API implementation, and the library never copies a solver's data to the host
        silently. Use :class:`SGD` or :class:`Adam` on other backends.

    Notes
    -----
    Deterministic. Only for full-batch training (``batch_size=None``). Cost per iteration: one or
    a few forward/backward passes plus :math:`O(mP)` for :math:`m` corrections.

    Examples
    --------
    >>> LBFGS(history_size=10)
    LBFGS(history_size=10, gtol=1e-10, ftol=1e-15)
    """

    def __init__(self, *, history_size: int = 20, gtol: float = 1e-10, ftol: float = 1e-15) -> None:
        super().__init__()
        self.history_size = _validation.check_int(history_size, name="history_size", minimum=1)
        self.gtol = _validation.check_positive(gtol, name="gtol", strict=False)
        self.ftol = _validation.check_positive(ftol, name="ftol", strict=False)

    def step(self, parameters: dict[str, Any], gradients: dict[str, Any], /) -> dict[str, Any]:
        raise TypeError(
            "LBFGS has no per-step update; pass it to ssltheory.nets.train(..., optimizer=LBFGS())"
        )

    def minimize(
        self,
        value_and_grad: Callable[[dict[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]],
        parameters: dict[str, np.ndarray],
        /,
        *,
        max_iter: int,
        callback: Callable[[int, float, dict[str, np.ndarray]], bool | None] | None = None,
    ) -> dict[str, np.ndarray]:
        """Run L-BFGS from ``parameters`` (NumPy arrays) for at most ``max_iter`` iterations.

        ``callback(iteration, loss, parameters)`` is called after each iteration; returning
        ``True`` stops. Returns the final parameters.
        """
        from scipy.optimize import minimize

        names = list(parameters)
        shapes = [tuple(parameters[k].shape) for k in names]
        sizes = [int(np.prod(s)) for s in shapes]
        dtype = parameters[names[0]].dtype

        def unflatten(flat: np.ndarray) -> dict[str, np.ndarray]:
            out, start = {}, 0
            for k, s, n in zip(names, shapes, sizes, strict=True):
                out[k] = np.asarray(flat[start : start + n], dtype=dtype).reshape(s)
                start += n
            return out

        n_evals = [0]

        def fun(flat: np.ndarray) -> tuple[float, np.ndarray]:
            n_evals[0] += 1
            value, grads = value_and_grad(unflatten(flat))
            if not np.isfinite(value):
                raise FloatingPointError(
                    f"training diverged: loss is {value} at L-BFGS function evaluation {n_evals[0]}"
                )
            return float(value), np.concatenate(
                [np.asarray(grads[k], dtype=np.float64).ravel() for k in names]
            )

        it = [0]

        def cb(intermediate_result: Any) -> None:
            it[0] += 1
            if callback is not None and callback(
                it[0], float(intermediate_result.fun), unflatten(intermediate_result.x)
            ):
                raise StopIteration

        x0 = np.concatenate([np.asarray(parameters[k], dtype=np.float64).ravel() for k in names])
        res = minimize(
            fun,
            x0,
            jac=True,
            method="L-BFGS-B",
            callback=cb,
            options={"maxiter": max_iter, "maxcor": self.history_size, "gtol": self.gtol, "ftol": self.ftol},
        )
        return unflatten(res.x)

"""Layers with exact backpropagation, written on the array API standard.

Every layer (and every model in :mod:`ssltheory.nets._models`) follows one protocol:

- ``init(rng, *, xp=None, device=None, dtype=None)`` draws the parameters on the host with the
  NumPy generator ``rng`` and moves them to namespace ``xp`` (default NumPy) on ``device`` with
  ``dtype`` (default float64), then returns the layer;
- ``forward(X, /, *, train=True)`` computes the output and caches what the backward pass needs;
- ``backward(grad_output, /)`` returns :class:`Gradients`: the gradient with respect to the input
  of the last ``forward`` and with respect to every trainable parameter;
- ``parameters()`` returns a dict ``name -> array`` (names as in a PyTorch ``state_dict``) and
  ``set_parameters(parameters)`` replaces them (same names and shapes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend, _validation

__all__ = ["Abs", "BatchNorm1d", "Gradients", "LeakyReLU", "Linear", "Module", "ReLU"]


@dataclass(frozen=True)
class Gradients:
    """Result of a backward pass.

    Attributes
    ----------
    input : array, shape (n_samples, n_in)
        Gradient of the scalar objective with respect to the input of the last ``forward``.
    parameters : dict of str to array
        Gradient with respect to each trainable parameter, keyed like ``parameters()``.
    """

    input: Any
    parameters: dict[str, Any]


def _default_xp(xp: ModuleType | None) -> ModuleType:
    if xp is None:
        import array_api_compat.numpy as npx

        return npx
    return xp


def _check_rng(rng: Any) -> np.random.Generator:
    return _validation.check_rng(rng)


class Module:
    """Base class of layers and models (the protocol of :mod:`ssltheory.nets`)."""

    def __init__(self) -> None:
        self._params: dict[str, Any] = {}
        self._cache: Any = None
        self._xp: ModuleType | None = None

    # -------------------------------------------------------------- parameters
    def parameters(self) -> dict[str, Any]:
        """Trainable parameters, ``name -> array`` (a new dict; the arrays are not copied)."""
        return dict(self._params)

    def set_parameters(self, parameters: dict[str, Any], /) -> None:
        """Replace the trainable parameters (same names and shapes as :meth:`parameters`)."""
        current = self.parameters()
        if set(parameters) != set(current):
            raise ValueError(
                f"parameters must have the keys {sorted(current)}, received {sorted(parameters)}"
            )
        for name, value in parameters.items():
            if tuple(value.shape) != tuple(current[name].shape):
                raise ValueError(
                    f"parameters[{name!r}] must have shape {tuple(current[name].shape)}, "
                    f"received {tuple(value.shape)}"
                )
        self._set(dict(parameters))

    def _set(self, parameters: dict[str, Any]) -> None:
        self._params.update(parameters)

    def init(
        self, rng: Any, /, *, xp: ModuleType | None = None, device: Any = None, dtype: Any = None
    ) -> Module:
        """Draw the parameters on the host with ``rng``; move them to ``xp``/``device``/``dtype``.

        ``xp`` defaults to NumPy, ``dtype`` to float64. Returns ``self``.
        """
        rng = _check_rng(rng)
        xp = _default_xp(xp)
        dtype = xp.float64 if dtype is None else dtype
        if isinstance(dtype, str) and isinstance(getattr(xp, dtype, None), type(xp.float64)):
            dtype = getattr(xp, dtype)  # "float32" -> xp.float32
        try:
            floating = xp.isdtype(dtype, "real floating")
        except (TypeError, ValueError, AttributeError):
            floating = False
        if not floating:
            raise TypeError(
                f"dtype must be a real floating dtype of the array library (e.g. float64), received {dtype!r}"
            )
        self._xp = xp
        self._init(rng, xp=xp, device=device, dtype=dtype)
        return self

    def _init(self, rng: np.random.Generator, *, xp: ModuleType, device: Any, dtype: Any) -> None:
        return None

    @staticmethod
    def _put(host: np.ndarray, *, xp: ModuleType, device: Any, dtype: Any) -> Any:
        return xp.asarray(np.ascontiguousarray(host), dtype=dtype, device=device)

    # -------------------------------------------------------------- passes
    def forward(self, X: Any, /, *, train: bool = True) -> Any:
        """Output of the layer for ``X`` of shape ``(n_samples, n_in)``; caches for :meth:`backward`."""
        xp = _backend.get_namespace(X, *self._params.values())
        X = _validation.check_array(X, xp=xp, name="X", ndim=2, finite=False)
        self._check_input(X)
        return self._forward(X, xp=xp, train=bool(train))

    __call__ = forward

    def backward(self, grad_output: Any, /) -> Gradients:
        """Gradients of a scalar objective, given its gradient with respect to the last output."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        xp = _backend.get_namespace(grad_output)
        return self._backward(grad_output, xp=xp)

    def _check_input(self, X: Any) -> None:
        return None

    def _forward(self, X: Any, *, xp: ModuleType, train: bool) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _backward(self, g: Any, *, xp: ModuleType) -> Gradients:  # pragma: no cover - abstract
        raise NotImplementedError

    def _require_init(self) -> None:
        if self._xp is None:
            raise RuntimeError(f"{type(self).__name__} has no parameters yet: call init(rng) first")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class Linear(Module):
    r"""Affine layer :math:`Y = XW^\top + b`.

    .. math::

        \frac{\partial\ell}{\partial W} = G^\top X,\qquad
        \frac{\partial\ell}{\partial b} = \mathbf 1^\top G,\qquad
        \frac{\partial\ell}{\partial X} = G W,

    with :math:`G=\partial\ell/\partial Y`.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths; ``weight`` has shape ``(n_out, n_in)`` (PyTorch's layout).
    bias : bool, default True
        Learn the offset ``bias`` of shape ``(n_out,)``.

    Notes
    -----
    Initialisation (``init``) is PyTorch's default for ``nn.Linear``: weight and bias uniform on
    :math:`[-1/\sqrt{n_{in}},\,1/\sqrt{n_{in}}]`. Cost :math:`O(n\,n_{in}n_{out})` per pass.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Linear(3, 2).init(np.random.default_rng(0))
    >>> X = np.ones((4, 3))
    >>> layer.forward(X).shape
    (4, 2)
    >>> sorted(layer.backward(np.ones((4, 2))).parameters)
    ['bias', 'weight']
    """

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True) -> None:
        super().__init__()
        self.n_in = _validation.check_int(n_in, name="n_in", minimum=1)
        self.n_out = _validation.check_int(n_out, name="n_out", minimum=1)
        self.bias = bool(bias)

    def _init(self, rng: np.random.Generator, *, xp: ModuleType, device: Any, dtype: Any) -> None:
        bound = 1.0 / math.sqrt(self.n_in)
        self._params = {
            "weight": self._put(
                rng.uniform(-bound, bound, (self.n_out, self.n_in)), xp=xp, device=device, dtype=dtype
            )
        }
        if self.bias:
            self._params["bias"] = self._put(
                rng.uniform(-bound, bound, (self.n_out,)), xp=xp, device=device, dtype=dtype
            )

    def _check_input(self, X: Any) -> None:
        self._require_init()
        if X.shape[1] != self.n_in:
            raise ValueError(f"X must have n_in={self.n_in} columns, received shape {tuple(X.shape)}")

    def _forward(self, X: Any, *, xp: ModuleType, train: bool) -> Any:
        self._cache = X
        out = X @ self._params["weight"].mT
        if self.bias:
            out = out + self._params["bias"][None, :]
        return out

    def _backward(self, g: Any, *, xp: ModuleType) -> Gradients:
        X = self._cache
        grads = {"weight": g.mT @ X}
        if self.bias:
            grads["bias"] = xp.sum(g, axis=0)
        return Gradients(input=g @ self._params["weight"], parameters=grads)


class _Activation(Module):
    def _init(self, rng: np.random.Generator, *, xp: ModuleType, device: Any, dtype: Any) -> None:
        return None

    def _forward(self, X: Any, *, xp: ModuleType, train: bool) -> Any:
        self._cache = X
        return self._f(X, xp=xp)

    def _backward(self, g: Any, *, xp: ModuleType) -> Gradients:
        return Gradients(input=g * self._df(self._cache, xp=xp), parameters={})


class ReLU(_Activation):
    r"""Rectifier :math:`\max(x, 0)`, derivative :math:`\mathbf 1\{x>0\}` (0 at the kink, as PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> ReLU().forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    """

    def _f(self, X: Any, *, xp: ModuleType) -> Any:
        # NaN propagates, as in torch.relu (a NaN input must not become a finite 0)
        return xp.where(X <= 0, xp.zeros_like(X), X)

    def _df(self, X: Any, *, xp: ModuleType) -> Any:
        return xp.astype(X > 0, X.dtype)


class LeakyReLU(_Activation):
    r"""Leaky rectifier :math:`x\,\mathbf 1\{x>0\} + s\,x\,\mathbf 1\{x\le 0\}`.

    Parameters
    ----------
    negative_slope : float, default 0.01
        :math:`s` (PyTorch's default); the derivative at 0 is :math:`s`, as in PyTorch.

    Examples
    --------
    >>> import numpy as np
    >>> LeakyReLU(negative_slope=0.5).forward(np.array([[-2.0, 2.0]]))
    array([[-1.,  2.]])
    """

    def __init__(self, *, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = _validation.check_positive(negative_slope, name="negative_slope", strict=False)

    def _f(self, X: Any, *, xp: ModuleType) -> Any:
        return xp.where(X > 0, X, self.negative_slope * X)

    def _df(self, X: Any, *, xp: ModuleType) -> Any:
        one = xp.ones_like(X)
        return xp.where(X > 0, one, self.negative_slope * one)


class Abs(_Activation):
    r"""Absolute value :math:`|x|`, derivative :math:`\mathrm{sign}(x)` (0 at 0, as PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> Abs().forward(np.array([[-1.5, 2.0]]))
    array([[1.5, 2. ]])
    """

    def _f(self, X: Any, *, xp: ModuleType) -> Any:
        return xp.abs(X)

    def _df(self, X: Any, *, xp: ModuleType) -> Any:
        return xp.sign(X)


class BatchNorm1d(Module):
    r"""Batch normalisation over the rows (PyTorch's ``nn.BatchNorm1d`` semantics).

    Training mode, with the batch mean :math:`\mu` and the *biased* batch variance
    :math:`\sigma^2` of each column:

    .. math::

        \hat x = \frac{x-\mu}{\sqrt{\sigma^2+\epsilon}},\qquad y = \gamma\odot\hat x+\beta,\qquad
        \frac{\partial\ell}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
        \Big(g_{\hat x} - \overline{g_{\hat x}} - \hat x\odot\overline{g_{\hat x}\odot\hat x}\Big),

    where :math:`g_{\hat x}=\gamma\odot\partial\ell/\partial y` and the bars are column means.
    The running statistics are updated as
    :math:`r \leftarrow (1-m)\,r + m\,s` with the batch mean and the *unbiased* batch variance
    (as PyTorch). Evaluation mode (``train=False``) normalises with the running statistics.

    Parameters
    ----------
    n_features : int
    eps : float, default 1e-5
        :math:`\epsilon`.
    momentum : float, default 0.1
        :math:`m`, the weight of the new batch in the running statistics.
    affine : bool, default True
        Learn ``weight`` (:math:`\gamma`, initialised to 1) and ``bias`` (:math:`\beta`, 0).

    Attributes
    ----------
    running_mean, running_var : arrays of shape (n_features,)
        Initialised to 0 and 1; not trainable parameters.

    Notes
    -----
    Training mode needs at least 2 rows. Cost :math:`O(n\,n_{features})` per pass.

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm1d(2).init(np.random.default_rng(0))
    >>> Y = bn.forward(np.array([[0.0, 1.0], [2.0, 5.0]]))
    >>> np.round(Y, 3)
    array([[-1., -1.],
           [ 1.,  1.]])
    """

    def __init__(
        self, n_features: int, *, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ) -> None:
        super().__init__()
        self.n_features = _validation.check_int(n_features, name="n_features", minimum=1)
        self.eps = _validation.check_positive(eps, name="eps")
        self.momentum = _validation.check_positive(momentum, name="momentum", strict=False)
        if self.momentum > 1:
            raise ValueError(f"momentum must be in [0, 1], received {self.momentum}")
        self.affine = bool(affine)
        self.running_mean: Any = None
        self.running_var: Any = None

    def _init(self, rng: np.random.Generator, *, xp: ModuleType, device: Any, dtype: Any) -> None:
        k = self.n_features
        self._params = {}
        if self.affine:
            self._params["weight"] = xp.ones((k,), dtype=dtype, device=device)
            self._params["bias"] = xp.zeros((k,), dtype=dtype, device=device)
        self.running_mean = xp.zeros((k,), dtype=dtype, device=device)
        self.running_var = xp.ones((k,), dtype=dtype, device=device)

    def _check_input(self, X: Any) -> None:
        self._require_init()
        if X.shape[1] != self.n_features:
            raise ValueError(
                f"X must have n_features={self.n_features} columns, received shape {tuple(X.shape)}"
            )

    def _forward(self, X: Any, *, xp: ModuleType, train: bool) -> Any:
        n = X.shape[0]
        if train:
            if n < 2:
                raise ValueError(
                    f"X must have at least 2 rows for batch statistics in training mode, received {n}"
                )
            mu = xp.mean(X, axis=0)
            xc = X - mu[None, :]
            var = xp.mean(xc**2, axis=0)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mu
            self.running_var = (1 - m) * self.running_var + m * var * (n / (n - 1))
        else:
            xc = X - self.running_mean[None, :]
            var = self.running_var
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        xhat = xc * inv_std[None, :]
        self._cache = (xhat, inv_std, train)
        if self.affine:
            return xhat * self._params["weight"][None, :] + self._params["bias"][None, :]
        return xhat

    def _backward(self, g: Any, *, xp: ModuleType) -> Gradients:
        xhat, inv_std, train = self._cache
        grads = {}
        if self.affine:
            grads["weight"] = xp.sum(g * xhat, axis=0)
            grads["bias"] = xp.sum(g, axis=0)
            gx = g * self._params["weight"][None, :]
        else:
            gx = g
        if train:
            gx = gx - xp.mean(gx, axis=0, keepdims=True) - xhat * xp.mean(gx * xhat, axis=0, keepdims=True)
        return Gradients(input=gx * inv_std[None, :], parameters=grads)

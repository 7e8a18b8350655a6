"""Models: compositions of layers (Sequential, MLP) and random features with a trainable head."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend, _validation
from ssltheory.nets._layers import Abs, BatchNorm1d, Gradients, LeakyReLU, Linear, Module, ReLU

__all__ = ["MLP", "RandomFeatures", "Sequential"]

_ACTIVATIONS = ("relu", "leaky_relu", "abs")
_KERNELS = ("rbf", "relu")


class Sequential(Module):
    r"""Composition :math:`f = f_L\circ\dots\circ f_1` of layers, backpropagated by the chain rule.

    .. math::

        \frac{\partial\ell}{\partial x_{i-1}} = J_{f_i}(x_{i-1})^\top\frac{\partial\ell}{\partial x_i},
        \qquad x_i = f_i(x_{i-1}).

    Parameters are named ``"{index}.{name}"`` (``"0.weight"``, ``"1.bias"`` ...), as the
    ``state_dict`` of a PyTorch ``nn.Sequential`` with the same layers.

    Parameters
    ----------
    layers : sequence of Module

    Examples
    --------
    >>> import numpy as np
    >>> net = Sequential([Linear(3, 4), ReLU(), Linear(4, 2)]).init(np.random.default_rng(0))
    >>> sorted(net.parameters())
    ['0.bias', '0.weight', '2.bias', '2.weight']
    """

    def __init__(self, layers: Sequence[Module], /) -> None:
        super().__init__()
        layers = list(layers)
        if not layers or not all(isinstance(layer, Module) for layer in layers):
            raise TypeError("layers must be a non-empty sequence of ssltheory.nets layers")
        self.layers = layers

    def _init(self, rng: np.random.Generator, *, xp: ModuleType, device: Any, dtype: Any) -> None:
        for layer in self.layers:
            layer.init(rng, xp=xp, device=device, dtype=dtype)

    def parameters(self) -> dict[str, Any]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.parameters().items()}

    def _set(self, parameters: dict[str, Any]) -> None:
        for i, layer in enumerate(self.layers):
            own = {k.split(".", 1)[1]: v for k, v in parameters.items() if k.split(".", 1)[0] == str(i)}
            if own:
                layer._set(own)

    def forward(self, X: Any, /, *, train: bool = True) -> Any:
        self._require_init()
        # one finiteness check of the input (the layers skip it): NaN/Inf must not pass a ReLU as 0
        xp = _backend.get_namespace(X)
        out = _validation.check_array(X, xp=xp, name="X", ndim=2)
        for layer in self.layers:
            out = layer.forward(out, train=train)
        self._cache = True
        return out

    __call__ = forward

    def backward(self, grad_output: Any, /) -> Gradients:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        grads: dict[str, Any] = {}
        g = grad_output
        for i in range(len(self.layers) - 1, -1, -1):
            out = self.layers[i].backward(g)
            g = out.input
            for k, v in out.parameters.items():
                grads[f"{i}.{k}"] = v
        order = list(self.parameters())
        return Gradients(input=g, parameters={k: grads[k] for k in order})


class MLP(Sequential):
    r"""Multi-layer perceptron: ``Linear → [BatchNorm1d] → activation`` per hidden layer, then ``Linear``.

    .. math::

        h_0 = x,\qquad h_\ell = \sigma\big(\mathrm{BN}(W_\ell h_{\ell-1}+b_\ell)\big),\qquad
        f(x) = W_L h_{L-1} + b_L .

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_in, hidden_1, ..., n_out]`` (at least two entries; two gives a linear model).
    activation : {"relu", "leaky_relu", "abs"}, default "relu"
    batchnorm : bool, default False
        Insert :class:`BatchNorm1d` after every hidden linear layer.
    bn_affine : bool, default True
        Learn the BatchNorm scale and shift.
    bias : bool, default True
    negative_slope : float, default 0.01
        Slope of ``"leaky_relu"`` for negative inputs.
    bn_momentum : float, default 0.1
        Running-statistics momentum of the BatchNorm layers (PyTorch's convention).

    Notes
    -----
    Parameter names follow the PyTorch ``nn.Sequential`` with the same layers, so weights can be
    copied to and from ``torch.nn`` one to one. Initialisation: :class:`Linear` (PyTorch default),
    BatchNorm scale 1 and shift 0. Cost :math:`O(n\sum_\ell d_{\ell-1}d_\ell)` per pass.

    Examples
    --------
    >>> import numpy as np
    >>> net = MLP([3, 8, 2], batchnorm=True).init(np.random.default_rng(0))
    >>> X = np.random.default_rng(1).standard_normal((5, 3))
    >>> net.forward(X).shape
    (5, 2)
    >>> sorted(net.backward(np.ones((5, 2))).parameters)
    ['0.bias', '0.weight', '1.bias', '1.weight', '3.bias', '3.weight']
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        /,
        *,
        activation: str = "relu",
        batchnorm: bool = False,
        bn_affine: bool = True,
        bias: bool = True,
        negative_slope: float = 0.01,
        bn_momentum: float = 0.1,
    ) -> None:
        sizes = [_validation.check_int(s, name="layer_sizes", minimum=1) for s in layer_sizes]
        if len(sizes) < 2:
            raise ValueError(f"layer_sizes must list at least [n_in, n_out], received {list(layer_sizes)}")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {', '.join(map(repr, _ACTIVATIONS))}, received {activation!r}"
            )
        layers: list[Module] = []
        for a, b in itertools.pairwise(sizes[:-1]):
            layers.append(Linear(a, b, bias=bias))
            if batchnorm:
                layers.append(BatchNorm1d(b, momentum=bn_momentum, affine=bn_affine))
            if activation == "relu":
                layers.append(ReLU())
            elif activation == "leaky_relu":
                layers.append(LeakyReLU(negative_slope=negative_slope))
            else:
                layers.append(Abs())
        layers.append(Linear(sizes[-2], sizes[-1], bias=bias))
        super().__init__(layers)
        self.layer_sizes = tuple(sizes)
        self.activation = activation
        self.batchnorm = bool(batchnorm)
        self.bn_affine = bool(bn_affine)


class RandomFeatures(Module):
    r"""Fixed random features with a trainable linear head: :math:`f(x) = W\varphi(x) + b`.

    ``kernel="rbf"`` (random Fourier features, Rahimi & Recht 2007), with frequencies
    :math:`\omega_j\sim\mathcal N(0, I/h^2)` and phases :math:`c_j\sim U[0, 2\pi)`:

    .. math::

        \varphi_j(x) = \sqrt{2/D}\,\cos(\omega_j^\top x + c_j),\qquad
        \mathbb E\,\varphi(x)^\top\varphi(y) = \exp\!\Big(-\frac{\lVert x-y\rVert^2}{2h^2}\Big);

    ``kernel="relu"`` (random ReLU features, Cho & Saul 2009), :math:`\omega_j\sim\mathcal N(0, I/h^2)`:

    .. math::

        \varphi_j(x) = \sqrt{2/D}\,\max(\omega_j^\top x, 0),\qquad
        \mathbb E\,\varphi(x)^\top\varphi(y) = \frac{\lVert x\rVert\lVert y\rVert}{\pi h^2}
        \big(\sin\theta + (\pi-\theta)\cos\theta\big),

    with :math:`\theta` the angle between :math:`x` and :math:`y` (arc-cosine kernel of order 1).

    Parameters
    ----------
    n_in : int
    n_features : int
        :math:`D`, number of random features.
    n_out : int
        Output width of the trainable head.
    kernel : {"rbf", "relu"}, default "rbf"
    bandwidth : float, default 1.0
        :math:`h`.
    bias : bool, default True
        Learn the head's offset.

    Notes
    -----
    Only the head (``weight`` of shape ``(n_out, n_features)``, ``bias``) is trainable; the
    frequencies and phases are drawn by ``init`` and stay fixed (attributes ``frequencies`` of
    shape ``(n_in, n_features)`` and ``phases``). The head is initialised as :class:`Linear`.
    ``backward`` also returns the gradient with respect to the input. Cost
    :math:`O(n\,D\,(n_{in}+n_{out}))` per pass.

    Examples
    --------
    >>> import numpy as np
    >>> rf = RandomFeatures(2, 50, 3).init(np.random.default_rng(0))
    >>> rf.forward(np.zeros((4, 2))).shape
    (4, 3)
    >>> rf.features(np.zeros((1, 2))).shape
    (1, 50)
    """

    def __init__(
        self,
        n_in: int,
        n_features: int,
        n_out: int,
        *,
        kernel: str = "rbf",
        bandwidth: float = 1.0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.n_in = _validation.check_int(n_in, name="n_in", minimum=1)
        self.n_features = _validation.check_int(n_features, name="n_features", minimum=1)
        self.n_out = _validation.check_int(n_out, name="n_out", minimum=1)
        if kernel not in _KERNELS:
            raise ValueError(f"kernel must be one of {', '.join(map(repr, _KERNELS))}, received {kernel!r}")
        self.kernel = kernel
        self.bandwidth = _validation.check_positive(bandwidth, name="bandwidth")
        self.bias = bool(bias)
        self.frequencies: Any = None
        self.phases: Any = None
        self._head = Linear(self.n_features, self.n_out, bias=self.bias)

    def _init(self, rng: np.random.Generator, *, xp: ModuleType, device: Any, dtype: Any) -> None:
        omega = rng.standard_normal((self.n_in, self.n_features)) / self.bandwidth
        phases = rng.uniform(0.0, 2 * math.pi, (self.n_features,))
        self.frequencies = self._put(omega, xp=xp, device=device, dtype=dtype)
        self.phases = self._put(phases, xp=xp, device=device, dtype=dtype)
        self._head.init(rng, xp=xp, device=device, dtype=dtype)

    def parameters(self) -> dict[str, Any]:
        return self._head.parameters()

    def _set(self, parameters: dict[str, Any]) -> None:
        self._head._set(parameters)

    def _check_input(self, X: Any) -> None:
        self._require_init()
        if X.shape[1] != self.n_in:
            raise ValueError(f"X must have n_in={self.n_in} columns, received shape {tuple(X.shape)}")

    def _pre(self, X: Any, *, xp: ModuleType) -> Any:
        u = X @ self.frequencies
        if self.kernel == "rbf":
            u = u + self.phases[None, :]
        return u

    def _phi(self, u: Any, *, xp: ModuleType) -> Any:
        scale = math.sqrt(2.0 / self.n_features)
        if self.kernel == "rbf":
            return scale * xp.cos(u)
        return scale * xp.where(u > 0, u, xp.zeros_like(u))

    def features(self, X: Any, /) -> Any:
        r"""The fixed feature map :math:`\varphi(X)`, shape ``(n_samples, n_features)``."""
        from ssltheory import _backend

        xp = _backend.get_namespace(X, self.frequencies)
        X = _validation.check_array(X, xp=xp, name="X", ndim=2)
        self._check_input(X)
        return self._phi(self._pre(X, xp=xp), xp=xp)

    def _forward(self, X: Any, *, xp: ModuleType, train: bool) -> Any:
        u = self._pre(X, xp=xp)
        self._cache = u
        return self._head.forward(self._phi(u, xp=xp), train=train)

    def _backward(self, g: Any, *, xp: ModuleType) -> Gradients:
        u = self._cache
        out = self._head.backward(g)
        scale = math.sqrt(2.0 / self.n_features)
        dphi = -scale * xp.sin(u) if self.kernel == "rbf" else scale * xp.astype(u > 0, u.dtype)
        return Gradients(input=(out.input * dphi) @ self.frequencies.mT, parameters=out.parameters)

"""The network description used by every splines function (spec/splines.md D1, D2, D12, D13).

A :class:`SplineNet` is an explicit list of :class:`HiddenLayer` (weight of shape
``(n_out, n_in)``, bias, optional batch normalisation with ``gamma``/``beta``) followed by an
optional linear readout. Weights are arrays of any array-API library; every function infers the
namespace from them and from the data.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ssltheory import _backend, _validation
from ssltheory._validation import check_finite
from ssltheory._warnings import SSLTheoryWarning

__all__ = [
    "DegenerateUnitWarning",
    "HiddenLayer",
    "SplineNet",
    "activation_slope",
    "random_spline_net",
]

_SLOPES = {"relu": 0.0, "leaky_relu": 0.01, "abs": -1.0}


class DegenerateUnitWarning(SSLTheoryWarning):
    """A batch-normalised unit is constant (``gamma = 0`` or zero batch variance, spec D5).

    The unit is folded to the constant ``beta`` and masked out of hyperplanes, distances, counts
    and local complexity.
    """


def activation_slope(name: str | float, /) -> float:
    r"""Negative slope :math:`\eta` of the activation :math:`a(u) = \max(\eta u, u)` (spec D2).

    .. math::

        a(u) = \max(\eta u, u), \qquad \eta = 0\ (\mathrm{relu}),\ 0.01\ (\mathrm{leaky\_relu}),
        \ -1\ (\mathrm{abs})

    Parameters
    ----------
    name : {"relu", "leaky_relu", "abs"} or float
        An activation name or a slope :math:`\eta < 1`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Unknown name, or a slope :math:`\eta \ge 1` (then :math:`a` is not the max of the
        two lines) or non-finite.
    TypeError
        Neither a string nor a real number.

    Notes
    -----
    spec/splines.md D2. Only positive homogeneity :math:`a(\lambda u) = \lambda a(u)` is used.

    Examples
    --------
    >>> from ssltheory.splines import activation_slope
    >>> activation_slope("abs"), activation_slope(0.1)
    (-1.0, 0.1)
    """
    if isinstance(name, str):
        if name not in _SLOPES:
            raise ValueError(
                f"activation must be one of 'relu', 'leaky_relu', 'abs' or a slope < 1, received {name!r}"
            )
        return _SLOPES[name]
    if isinstance(name, bool) or not isinstance(name, numbers.Real):
        raise TypeError(f"activation must be a name or a real slope, received {type(name).__name__}")
    eta = float(name)
    if not math.isfinite(eta) or eta >= 1.0:
        raise ValueError(f"negative_slope must be a finite float < 1, received {eta}")
    return eta


@dataclass(frozen=True)
class HiddenLayer:
    """One hidden layer *Linear → optional BN → activation* (spec D1).

    Attributes
    ----------
    weight : array, shape (n_out, n_in)
        :math:`W_\\ell` (rows are the units' normals).
    bias : array, shape (n_out,), or None
        :math:`c_\\ell` (``None`` = 0).
    batch_norm : bool
        Whether a BN layer follows the linear map.
    gamma, beta : array, shape (n_out,), or None
        BN scale and shift (``None`` = 1 and 0, spec D5).
    """

    weight: Any
    bias: Any = None
    batch_norm: bool = False
    gamma: Any = None
    beta: Any = None

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[0])


@dataclass(frozen=True)
class SplineNet:
    """An MLP with piecewise-linear activation: hidden layers and an optional readout (spec D1).

    Attributes
    ----------
    layers : tuple of HiddenLayer
    negative_slope : float
        :math:`\\eta < 1` of :math:`a(u) = \\max(\\eta u, u)`; a name is accepted.
    readout_weight : array, shape (n_classes, n_last), or None
    readout_bias : array, shape (n_classes,), or None
    """

    layers: tuple[HiddenLayer, ...]
    negative_slope: float = 0.0
    readout_weight: Any = None
    readout_bias: Any = None

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        if not layers or not all(isinstance(layer, HiddenLayer) for layer in layers):
            raise TypeError("layers must be a non-empty sequence of HiddenLayer")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "negative_slope", activation_slope(self.negative_slope))
        xp = _backend.get_namespace(*self.arrays())
        width = None
        for i, layer in enumerate(layers):
            w = layer.weight
            if w.ndim != 2:
                raise ValueError(f"layers[{i}].weight must be 2-D (n_out, n_in), received shape {w.shape}")
            if width is not None and w.shape[1] != width:
                raise ValueError(
                    f"layers[{i}].weight must have {width} columns (the width of layer {i - 1}), "
                    f"received shape {tuple(w.shape)}"
                )
            check_finite(w, xp=xp, name=f"layers[{i}].weight")
            for name in ("bias", "gamma", "beta"):
                v = getattr(layer, name)
                if v is not None:
                    if tuple(v.shape) != (w.shape[0],):
                        raise ValueError(
                            f"layers[{i}].{name} must have shape ({w.shape[0]},), received {tuple(v.shape)}"
                        )
                    check_finite(v, xp=xp, name=f"layers[{i}].{name}")
            width = w.shape[0]
        if self.readout_weight is not None:
            r = self.readout_weight
            if r.ndim != 2 or r.shape[1] != width:
                raise ValueError(
                    f"readout_weight must have shape (n_classes, {width}), received {tuple(r.shape)}"
                )
            check_finite(r, xp=xp, name="readout_weight")
            if self.readout_bias is not None:
                if tuple(self.readout_bias.shape) != (r.shape[0],):
                    raise ValueError(f"readout_bias must have shape ({r.shape[0]},)")
                check_finite(self.readout_bias, xp=xp, name="readout_bias")
        elif self.readout_bias is not None:
            raise ValueError("readout_bias given without readout_weight")

    def arrays(self) -> list[Any]:
        """Every array of the net (for namespace inference)."""
        out = []
        for layer in self.layers:
            out += [layer.weight, layer.bias, layer.gamma, layer.beta]
        out += [self.readout_weight, self.readout_bias]
        return [a for a in out if a is not None]

    @property
    def input_dim(self) -> int:
        return self.layers[0].n_in

    @property
    def has_batch_norm(self) -> bool:
        return any(layer.batch_norm for layer in self.layers)


def random_spline_net(
    layer_sizes: Sequence[int],
    *,
    negative_slope: float | str = 0.0,
    batch_norm: bool = False,
    bias: str = "zero",
    n_classes: int | None = None,
    rng: np.random.Generator,
    like: Any = None,
) -> SplineNet:
    r"""A random net with the spec's initialisation and draw order (D12, D13).

    .. math::

        (W_0)_{kd} \sim \mathcal N(0, 1), \quad (W_\ell)_{kd} \sim \mathcal N(0, 1/D_\ell)\ (\ell \ge 1),
        \quad c_{\ell,k} \sim \mathcal N(0, 1)\ (\texttt{bias="normal"})

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(D_0, D_1, ..., D_L)``: input dimension and the hidden widths.
    negative_slope : float or str
        :math:`\eta` or an activation name.
    batch_norm : bool
        BN after every hidden linear layer.
    bias : {"zero", "normal"}
        Hidden biases: zero, or i.i.d. standard normal (drawn after all weights, so that the
        weights are the same for every ``bias``).
    n_classes : int, optional
        Adds a readout with ``n_classes`` logits (std :math:`1/\sqrt{D_L}`).
    rng : numpy.random.Generator
    like : array, optional
        Arrays are created with this array's namespace and device (default NumPy).

    Returns
    -------
    SplineNet

    Raises
    ------
    TypeError
        ``layer_sizes`` not a sequence of integers (a float width such as 2.5 or a string), or
        ``rng`` neither a Generator nor an int seed.
    ValueError
        Fewer than two sizes, a size < 1, a negative seed, or an unknown ``bias``.

    Notes
    -----
    spec/splines.md D12, D13: draw order :math:`W_0..W_{L-1}`, readout, random biases.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net
    >>> net = random_spline_net([2, 6, 6], negative_slope=0.1, rng=np.random.default_rng(0))
    >>> [layer.weight.shape for layer in net.layers]
    [(6, 2), (6, 6)]
    """
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__iter__"):
        raise TypeError(
            f"layer_sizes must be a sequence of ints (D_0, D_1, ...), received {type(layer_sizes).__name__}"
        )
    sizes = [_validation.check_int(s, name=f"layer_sizes[{i}]") for i, s in enumerate(layer_sizes)]
    rng = _validation.check_rng(rng)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"layer_sizes must hold >= 2 positive sizes (D_0, D_1, ...), received {sizes}")
    if bias not in ("zero", "normal"):
        raise ValueError(f"bias must be 'zero' or 'normal', received {bias!r}")
    if like is None:
        import array_api_compat.numpy as xp

        dev = None
    else:
        xp = _backend.get_namespace(like)
        dev = _backend.device(like)

    def arr(a: np.ndarray) -> Any:
        return xp.asarray(a, dtype=xp.float64, device=dev) if dev is not None else xp.asarray(a)

    weights = []
    for i in range(len(sizes) - 1):
        std = 1.0 if i == 0 else 1.0 / math.sqrt(sizes[i])
        weights.append(rng.standard_normal((sizes[i + 1], sizes[i])) * std)
    readout = None
    if n_classes is not None:
        readout = rng.standard_normal((int(n_classes), sizes[-1])) / math.sqrt(sizes[-1])
    biases = [rng.standard_normal(sizes[i + 1]) for i in range(len(sizes) - 1)]
    layers = tuple(
        HiddenLayer(
            weight=arr(w),
            bias=arr(biases[i] if bias == "normal" else np.zeros(w.shape[0])),
            batch_norm=batch_norm,
        )
        for i, w in enumerate(weights)
    )
    return SplineNet(
        layers=layers,
        negative_slope=negative_slope,
        readout_weight=None if readout is None else arr(readout),
        readout_bias=None if readout is None else arr(np.zeros(readout.shape[0])),
    )

"""Adapters from :mod:`ssltheory.nets` models to the splines network description (spec D1, D3)."""

from __future__ import annotations

from typing import Any

from ssltheory.splines._folding import BNStatistics
from ssltheory.splines._model import HiddenLayer, SplineNet

__all__ = ["running_statistics_from_mlp", "spline_net_from_mlp"]


def _walk(mlp: Any) -> tuple[list[dict[str, Any]], Any, float]:
    """Hidden blocks (weight, bias, bn module), the readout Linear and the negative slope."""
    from ssltheory import nets

    if not isinstance(mlp, nets.Sequential):
        raise TypeError(f"expected an ssltheory.nets.MLP (or Sequential), received {type(mlp).__name__}")
    blocks: list[dict[str, Any]] = []
    slope = None
    current: dict[str, Any] | None = None
    for layer in mlp.layers:
        if isinstance(layer, nets.Linear):
            if current is not None:
                raise ValueError("two Linear layers without an activation between them are not a CPA MLP")
            current = {"linear": layer, "bn": None}
        elif isinstance(layer, nets.BatchNorm1d):
            if current is None or current["bn"] is not None:
                raise ValueError("BatchNorm1d must follow a Linear layer (spec D1: Linear → BN → activation)")
            current["bn"] = layer
        elif isinstance(layer, (nets.ReLU, nets.LeakyReLU, nets.Abs)):
            eta = (
                0.0
                if isinstance(layer, nets.ReLU)
                else -1.0
                if isinstance(layer, nets.Abs)
                else layer.negative_slope
            )
            if slope is not None and eta != slope:
                raise ValueError("all activations must share one negative slope")
            if current is None:
                raise ValueError("an activation must follow a Linear layer")
            slope = float(eta)
            blocks.append(current)
            current = None
        else:
            raise TypeError(
                f"unsupported layer {type(layer).__name__} (only Linear, BatchNorm1d, ReLU/LeakyReLU/Abs)"
            )
    if not blocks:
        raise ValueError("the model has no hidden layer")
    return blocks, None if current is None else current["linear"], float(slope)


def spline_net_from_mlp(mlp: Any, /) -> SplineNet:
    r"""The :class:`SplineNet` of an initialised :class:`ssltheory.nets.MLP` (same weights, same layout).

    .. math::

        \texttt{Linear}(W_\ell, c_\ell) \to [\texttt{BatchNorm1d}(\gamma_\ell, \beta_\ell)] \to a
        \ \mapsto\ \texttt{HiddenLayer}(W_\ell, c_\ell, \text{batch\_norm}, \gamma_\ell, \beta_\ell)

    Parameters
    ----------
    mlp : ssltheory.nets.MLP or Sequential
        Linear → [BatchNorm1d] → activation blocks, optionally ending with a Linear readout.

    Returns
    -------
    SplineNet
        Weights are the model's arrays (same backend and device); BN statistics are not part of
        the net: use :func:`bn_statistics` (train mode) or :func:`running_statistics_from_mlp`.

    Raises
    ------
    TypeError
        Not an ``ssltheory.nets`` model, or an unsupported layer.
    ValueError
        Layers not in the order Linear → [BN] → activation.

    Notes
    -----
    spec/splines.md D1, D3. Both use the ``(n_out, n_in)`` weight layout.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.nets import MLP
    >>> from ssltheory.splines import spline_net_from_mlp, forward
    >>> mlp = MLP([2, 5, 3], activation="leaky_relu", negative_slope=0.1).init(np.random.default_rng(0))
    >>> X = np.random.default_rng(1).standard_normal((4, 2))
    >>> bool(np.allclose(forward(spline_net_from_mlp(mlp), X).logits, mlp.forward(X, train=False)))
    True
    """
    blocks, readout, slope = _walk(mlp)
    layers = []
    for b in blocks:
        p = b["linear"].parameters()
        bn = b["bn"]
        gamma = beta = None
        if bn is not None and bn.affine:
            gamma, beta = bn.parameters()["weight"], bn.parameters()["bias"]
        layers.append(HiddenLayer(p["weight"], p.get("bias"), bn is not None, gamma, beta))
    rw = rb = None
    if readout is not None:
        rw, rb = readout.parameters()["weight"], readout.parameters().get("bias")
    return SplineNet(tuple(layers), slope, rw, rb)


def running_statistics_from_mlp(mlp: Any, /) -> BNStatistics:
    r"""The running (eval-mode) BN statistics of an :class:`ssltheory.nets.MLP` (spec D3).

    .. math::

        \mu_\ell = \texttt{running\_mean}_\ell,\quad \sigma^2_\ell = \texttt{running\_var}_\ell,
        \quad \varepsilon = \texttt{eps}

    Parameters
    ----------
    mlp : ssltheory.nets.MLP

    Returns
    -------
    BNStatistics
        ``mode="running"``; ``None`` entries for hidden layers without BN.

    Raises
    ------
    TypeError, ValueError
        As :func:`spline_net_from_mlp`; the BN layers' ``eps`` differ.

    Notes
    -----
    With :func:`fold_batch_norm` this reproduces ``mlp.forward(X, train=False)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.nets import MLP
    >>> from ssltheory import splines
    >>> mlp = MLP([2, 5, 3], batchnorm=True).init(np.random.default_rng(0))
    >>> _ = mlp.forward(np.random.default_rng(1).standard_normal((16, 2)))  # updates running stats
    >>> net, running = splines.spline_net_from_mlp(mlp), splines.running_statistics_from_mlp(mlp)
    >>> folded = splines.fold_batch_norm(net, running)
    >>> X = np.random.default_rng(2).standard_normal((4, 2))
    >>> bool(np.allclose(splines.forward(folded, X).logits, mlp.forward(X, train=False)))
    True
    """
    blocks, _, _ = _walk(mlp)
    eps = {b["bn"].eps for b in blocks if b["bn"] is not None}
    if len(eps) > 1:
        raise ValueError(f"the BatchNorm layers use different eps {sorted(eps)}; one value is expected")
    means = tuple(None if b["bn"] is None else b["bn"].running_mean for b in blocks)
    variances = tuple(None if b["bn"] is None else b["bn"].running_var for b in blocks)
    return BNStatistics(means, variances, eps.pop() if eps else 0.0, None, "running")

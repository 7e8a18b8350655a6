"""Batch-norm statistics and folding BN into an equivalent affine layer (spec D3, D4, D5, §4.1)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend
from ssltheory._validation import check_array, check_finite, eps
from ssltheory.splines._model import DegenerateUnitWarning, SplineNet, activation_slope

__all__ = [
    "BNStatistics",
    "FoldedNet",
    "bn_statistics",
    "fold_batch_norm",
    "update_running_statistics",
]


@dataclass(frozen=True)
class BNStatistics:
    """Per-layer BN statistics of the BN input :math:`p = Wz + c` (``None`` for plain layers).

    Attributes
    ----------
    mean, var : tuple of (array of shape (n_units,) or None)
        :math:`\\mu_\\ell` and the biased variance :math:`\\sigma^2_\\ell` (running variance in
        ``"running"`` mode).
    eps : float
        :math:`\\varepsilon` added to the variance when folding.
    n_samples : int or None
        Batch size :math:`m` (``None`` for running statistics).
    mode : {"batch", "population", "running"}
    """

    mean: tuple[Any, ...]
    var: tuple[Any, ...]
    eps: float
    n_samples: int | None
    mode: str


@dataclass(frozen=True)
class FoldedNet:
    """A plain CPA net equivalent to a :class:`SplineNet` with its BN statistics folded in (D4).

    Attributes
    ----------
    weights : tuple of arrays, shapes (D_{l+1}, D_l)
        :math:`\\tilde W_\\ell`.
    biases : tuple of arrays, shapes (D_{l+1},)
        :math:`\\tilde c_\\ell`.
    unit_mask : tuple of bool arrays, shapes (D_{l+1},)
        ``False`` for constant (degenerate) units, which are masked out of the geometry (D5).
    negative_slope : float
    readout_weight, readout_bias : arrays or None
    """

    weights: tuple[Any, ...]
    biases: tuple[Any, ...]
    unit_mask: tuple[Any, ...]
    negative_slope: float
    readout_weight: Any = None
    readout_bias: Any = None

    def arrays(self) -> list[Any]:
        out = [*self.weights, *self.biases]
        return out + [a for a in (self.readout_weight, self.readout_bias) if a is not None]

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def input_dim(self) -> int:
        return int(self.weights[0].shape[1])

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(int(w.shape[0]) for w in self.weights)


def _activate(u: Any, eta: float, *, xp: ModuleType) -> Any:
    return xp.where(u > 0, u, eta * u)


def _fold_layer(
    weight: Any,
    bias: Any,
    mean: Any,
    var: Any,
    gamma: Any,
    beta: Any,
    eps_bn: float,
    n_samples: int | None,
    *,
    xp: ModuleType,
    layer: int,
) -> tuple[Any, Any, Any]:
    """(W̃, c̃, mask) of one BN layer (D4, D5)."""
    sig = xp.sqrt(var + eps_bn)
    tiny = float(n_samples or 1) * eps(weight.dtype, xp=xp)
    degenerate = gamma == 0
    if eps_bn == 0.0:
        degenerate = degenerate | (var <= tiny * (var + mean * mean))
    if bool(xp.any(degenerate)):
        k = [i for i in range(int(degenerate.shape[0])) if bool(degenerate[i])]
        warnings.warn(
            f"layer {layer}: units {k} are constant (gamma = 0 or zero batch variance); they are "
            "folded to beta and masked out of the partition (spec D5)",
            DegenerateUnitWarning,
            stacklevel=3,
        )
    safe = xp.where(degenerate, xp.ones_like(sig), sig)
    scale = xp.where(degenerate, xp.zeros_like(sig), gamma / safe)
    w_t = scale[:, None] * weight
    c_t = xp.where(degenerate, beta, beta + scale * (bias - mean))
    return w_t, c_t, ~degenerate


def _layer_params(net: SplineNet, i: int, *, xp: ModuleType) -> tuple[Any, Any, Any]:
    layer = net.layers[i]
    w = layer.weight
    dev = _backend.device(w)
    k = w.shape[0]
    bias = layer.bias if layer.bias is not None else xp.zeros(k, dtype=w.dtype, device=dev)
    gamma = layer.gamma if layer.gamma is not None else xp.ones(k, dtype=w.dtype, device=dev)
    beta = layer.beta if layer.beta is not None else xp.zeros(k, dtype=w.dtype, device=dev)
    return bias, gamma, beta


def _as_float_net(net: SplineNet, *, xp: ModuleType) -> SplineNet:
    """Integer weights are promoted to float64 (the library rule)."""
    if all(xp.isdtype(a.dtype, "real floating") for a in net.arrays()):
        return net
    from ssltheory.splines._model import HiddenLayer

    def f(a: Any) -> Any:
        return None if a is None or xp.isdtype(a.dtype, "real floating") else xp.astype(a, xp.float64)

    layers = tuple(
        HiddenLayer(f(la.weight), f(la.bias), la.batch_norm, f(la.gamma), f(la.beta)) for la in net.layers
    )
    return SplineNet(layers, net.negative_slope, f(net.readout_weight), f(net.readout_bias))


def bn_statistics(net: SplineNet, X: Any, /, *, eps: float = 0.0, mode: str = "batch") -> BNStatistics:
    r"""Train-mode BN statistics of batch ``X``, layer by layer (spec D3, §4.1).

    .. math::

        p_\ell = W_\ell z_\ell + c_\ell,\quad \mu_\ell = \tfrac1m\textstyle\sum_n p_{\ell,n},\quad
        \sigma^2_\ell = \tfrac1m\textstyle\sum_n (p_{\ell,n}-\mu_\ell)^2,\quad
        z_{\ell+1} = a(\mathrm{BN}(p_\ell))

    Parameters
    ----------
    net : SplineNet
    X : array, shape (n_samples, n_features)
        The batch (``mode="batch"``) or the whole training set (``mode="population"``).
    eps : float
        :math:`\varepsilon` stored for folding (0 in theory functions, 1e-5 in frameworks).
    mode : {"batch", "population"}
        A label only: both compute the same statistics on ``X``.

    Returns
    -------
    BNStatistics

    Raises
    ------
    ValueError
        ``X`` not 2-D, wrong number of features, fewer than 2 rows (the variance of one sample is
        0), non-finite, or a negative ``eps``.

    Warns
    -----
    DegenerateUnitWarning
        A unit has zero batch variance (with ``eps = 0``) or ``gamma = 0``.

    Notes
    -----
    spec/splines.md D3, §4.1. Later layers see features normalised with the same batch. Cost
    :math:`O(m \sum_\ell D_\ell D_{\ell+1})`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, bn_statistics
    >>> net = random_spline_net([2, 3], batch_norm=True, rng=np.random.default_rng(0))
    >>> stats = bn_statistics(net, np.random.default_rng(1).standard_normal((50, 2)))
    >>> stats.mean[0].shape, stats.n_samples
    ((3,), 50)
    """
    if mode not in ("batch", "population"):
        raise ValueError(f"mode must be 'batch' or 'population', received {mode!r}")
    xp = _backend.get_namespace(X, *net.arrays())
    X = _check_input(X, net.input_dim, xp=xp, min_rows=2)
    net = _as_float_net(net, xp=xp)
    eps_bn = float(eps)
    if not eps_bn >= 0.0:
        raise ValueError(f"eps must be >= 0, received {eps}")
    eta = net.negative_slope
    z = X
    means, variances = [], []
    m = int(X.shape[0])
    for i, layer in enumerate(net.layers):
        bias, gamma, beta = _layer_params(net, i, xp=xp)
        p = z @ layer.weight.mT + bias
        if layer.batch_norm:
            mu = xp.mean(p, axis=0)
            var = xp.mean((p - mu) ** 2, axis=0)
            w_t, c_t, _ = _fold_layer(layer.weight, bias, mu, var, gamma, beta, eps_bn, m, xp=xp, layer=i)
            means.append(mu)
            variances.append(var)
            p = z @ w_t.mT + c_t
        else:
            means.append(None)
            variances.append(None)
        z = _activate(p, eta, xp=xp)
    return BNStatistics(tuple(means), tuple(variances), eps_bn, m, mode)


def update_running_statistics(
    running: BNStatistics | None, batch: BNStatistics, /, *, momentum: float = 0.1
) -> BNStatistics:
    r"""One framework running-statistics update (spec D3).

    .. math::

        \mu_r \leftarrow (1-m_r)\mu_r + m_r\hat\mu_B,\qquad
        \sigma_r^2 \leftarrow (1-m_r)\sigma_r^2 + m_r \tfrac{m}{m-1}\hat\sigma_B^2

    Parameters
    ----------
    running : BNStatistics or None
        Current running statistics; ``None`` starts from :math:`\mu_r = 0, \sigma_r^2 = 1` with
        ``batch.eps``.
    batch : BNStatistics
        Batch statistics (``bn_statistics``); its biased variance is made unbiased.
    momentum : float
        :math:`m_r \in (0, 1]`.

    Returns
    -------
    BNStatistics
        ``mode="running"``, ``n_samples=None``.

    Raises
    ------
    ValueError
        ``momentum`` outside (0, 1], ``batch`` without a batch size, or mismatched layers.

    Notes
    -----
    spec/splines.md D3 (PyTorch's convention). Cost :math:`O(\sum_\ell D_{\ell+1})`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, bn_statistics, update_running_statistics
    >>> net = random_spline_net([2, 3], batch_norm=True, rng=np.random.default_rng(0))
    >>> b = bn_statistics(net, np.random.default_rng(1).standard_normal((8, 2)))
    >>> r = update_running_statistics(None, b)
    >>> bool(np.allclose(r.mean[0], 0.1 * b.mean[0]))
    True
    """
    momentum = float(momentum)
    if not 0.0 < momentum <= 1.0:
        raise ValueError(f"momentum must be in (0, 1], received {momentum}")
    if batch.n_samples is None or batch.n_samples < 2:
        raise ValueError("batch must be batch statistics with n_samples >= 2 (from bn_statistics)")
    if running is not None and len(running.mean) != len(batch.mean):
        raise ValueError(
            f"running and batch statistics describe {len(running.mean)} and {len(batch.mean)} layers"
        )
    m = batch.n_samples
    means, variances = [], []
    for i, (mu_b, var_b) in enumerate(zip(batch.mean, batch.var, strict=True)):
        if mu_b is None:
            means.append(None)
            variances.append(None)
            continue
        if running is None:
            xp = _backend.get_namespace(mu_b)
            mu_r, var_r = xp.zeros_like(mu_b), xp.ones_like(var_b)
        else:
            mu_r, var_r = running.mean[i], running.var[i]
        means.append((1 - momentum) * mu_r + momentum * mu_b)
        variances.append((1 - momentum) * var_r + momentum * (m / (m - 1)) * var_b)
    eps_r = batch.eps if running is None else running.eps
    return BNStatistics(tuple(means), tuple(variances), eps_r, None, "running")


def fold_batch_norm(net: SplineNet, stats: BNStatistics | None = None, /) -> FoldedNet:
    r"""Fold BN into an equivalent affine layer, conditional on the statistics (spec D4, D5).

    .. math::

        \tilde\sigma = \sqrt{\sigma^2 + \varepsilon},\qquad
        \tilde W = \mathrm{diag}(\gamma/\tilde\sigma)\,W,\qquad
        \tilde c = \beta + \gamma \odot (c - \mu)/\tilde\sigma

    Parameters
    ----------
    net : SplineNet
    stats : BNStatistics, optional
        Required when ``net`` has BN layers (batch, population or running statistics).

    Returns
    -------
    FoldedNet
        A plain CPA net computing the same function as ``net`` with the statistics frozen.

    Raises
    ------
    ValueError
        ``net`` has BN layers and ``stats`` is missing, or ``stats`` does not match ``net``.

    Warns
    -----
    DegenerateUnitWarning
        Constant units (``gamma = 0``, or zero variance with ``eps = 0``): folded to ``beta``,
        masked.

    Notes
    -----
    spec/splines.md D4, D5; proofs_checks/test_bn_folding_identity.py. Cost
    :math:`O(\sum_\ell D_\ell D_{\ell+1})`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, bn_statistics, fold_batch_norm
    >>> net = random_spline_net([2, 3], batch_norm=True, rng=np.random.default_rng(0))
    >>> X = np.random.default_rng(1).standard_normal((50, 2))
    >>> folded = fold_batch_norm(net, bn_statistics(net, X))
    >>> h = X @ folded.weights[0].T + folded.biases[0]
    >>> bool(np.allclose(h.mean(0), 0) and np.allclose(h.var(0), 1))
    True
    """
    if not isinstance(net, SplineNet):
        raise TypeError(f"net must be a SplineNet, received {type(net).__name__}")
    xp = _backend.get_namespace(*net.arrays())
    net = _as_float_net(net, xp=xp)
    if net.has_batch_norm:
        if stats is None:
            raise ValueError("net has BatchNorm layers: pass its statistics (bn_statistics(net, X))")
        if len(stats.mean) != len(net.layers):
            raise ValueError(f"stats describe {len(stats.mean)} layers, net has {len(net.layers)}")
    weights, biases, masks = [], [], []
    for i, layer in enumerate(net.layers):
        bias, gamma, beta = _layer_params(net, i, xp=xp)
        if layer.batch_norm:
            mu, var = stats.mean[i], stats.var[i]
            if mu is None or tuple(mu.shape) != (layer.n_out,):
                raise ValueError(f"stats have no statistics of shape ({layer.n_out},) for BN layer {i}")
            check_finite(var, xp=xp, name=f"stats.var[{i}]")
            if bool(xp.any(var < 0)):
                raise ValueError(f"stats.var[{i}] must be non-negative")
            w_t, c_t, mask = _fold_layer(
                layer.weight, bias, mu, var, gamma, beta, stats.eps, stats.n_samples, xp=xp, layer=i
            )
        else:
            w_t, c_t = layer.weight, bias
            mask = xp.ones(layer.n_out, dtype=xp.bool, device=_backend.device(layer.weight))
        weights.append(w_t)
        biases.append(c_t)
        masks.append(mask)
    return FoldedNet(
        tuple(weights), tuple(biases), tuple(masks), net.negative_slope, net.readout_weight, net.readout_bias
    )


def _check_input(X: Any, n_features: int, *, xp: ModuleType, min_rows: int = 1, name: str = "X") -> Any:
    X = check_array(X, xp=xp, name=name, ndim=2, min_rows=min_rows)
    if X.shape[1] != n_features:
        raise ValueError(
            f"{name} must have {n_features} features (the net's input dimension), received shape "
            f"{tuple(X.shape)}"
        )
    return X


def _as_folded(net: Any, *, xp: ModuleType | None = None) -> FoldedNet:
    """A FoldedNet as given; a SplineNet without BN folded trivially; otherwise ``TypeError``."""
    if isinstance(net, FoldedNet):
        activation_slope(net.negative_slope)  # raises for eta >= 1
        if not net.weights or len(net.weights) != len(net.biases) or len(net.weights) != len(net.unit_mask):
            raise ValueError("a FoldedNet needs as many weights, biases and unit masks, at least one of each")
        fxp = _backend.get_namespace(*net.arrays())
        for i, (w, c) in enumerate(zip(net.weights, net.biases, strict=True)):
            if (
                w.ndim != 2
                or tuple(c.shape) != (w.shape[0],)
                or (i and w.shape[1] != net.weights[i - 1].shape[0])
            ):
                raise ValueError(
                    f"FoldedNet layer {i}: weight {tuple(w.shape)} and bias {tuple(c.shape)} do not chain"
                )
            check_finite(w, xp=fxp, name=f"folded.weights[{i}]")
            check_finite(c, xp=fxp, name=f"folded.biases[{i}]")
        return net
    if isinstance(net, SplineNet):
        if net.has_batch_norm:
            raise TypeError(
                "net has BatchNorm layers: fold its statistics first, "
                "fold_batch_norm(net, bn_statistics(net, X))"
            )
        return fold_batch_norm(net)
    raise TypeError(f"expected a FoldedNet or a SplineNet, received {type(net).__name__}")


def _forward_pre(folded: FoldedNet, X: Any, *, xp: ModuleType) -> list[Any]:
    """Pre-activations of every hidden layer."""
    out = []
    z = X
    for w, c in zip(folded.weights, folded.biases, strict=True):
        h = z @ w.mT + c
        out.append(h)
        z = _activate(h, folded.negative_slope, xp=xp)
    return out

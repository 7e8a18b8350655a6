"""Exact distances to the partition and first-order margins (spec D8, D16, §2.5, §4.2)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend
from ssltheory._validation import check_int
from ssltheory.splines._folding import FoldedNet, _as_folded, _check_input
from ssltheory.splines._partition import _affine_chunk

__all__ = [
    "BoundaryDistance",
    "Margin",
    "UnitBoundaryDistance",
    "distance_to_boundary",
    "distance_to_unit_boundary",
    "first_order_margin",
]


@dataclass(frozen=True)
class BoundaryDistance:
    """Dist-1: ``distance`` (n,) to the region boundary; ``layer``/``unit`` (n,) of the nearest
    boundary piece (−1 if none); ``per_layer`` (n, L): :math:`\\min_k r_{\\ell,k}`."""

    distance: Any
    layer: Any
    unit: Any
    per_layer: Any


@dataclass(frozen=True)
class UnitBoundaryDistance:
    """Dist-2 for one unit: ``first_order`` :math:`r_{\\ell,k}`, ``inradius`` :math:`\\rho_\\ell`,
    ``exact`` (``first_order <= inradius``: then it is the exact distance to :math:`F_{\\ell,k}`,
    otherwise the distance is ``>= inradius``)."""

    first_order: Any
    inradius: Any
    exact: Any


@dataclass(frozen=True)
class Margin:
    """Signed distance to the decision boundary (positive iff correct), ``correct`` (bool), and
    ``exact`` (bool: the first-order value is the exact distance)."""

    distance: Any
    correct: Any
    exact: Any


def _unit_distances(folded: FoldedNet, X: Any, *, xp: ModuleType) -> tuple[list[Any], Any, Any]:
    """r_{ℓ,k}(x) for every layer (list of (n, K)), plus final (A_L, b_L); chunked over points so
    that the per-point Jacobians (n, K, D0) stay below ~2^24 entries."""
    n, d0 = int(X.shape[0]), int(X.shape[1])
    step = max(1, 2**24 // (max(folded.widths) * d0))
    parts = []
    for s in range(0, n, step):
        hs, gs, a, b = _affine_chunk(folded, X[s : min(s + step, n), :], xp=xp)
        out = []
        for h, g, mask in zip(hs, gs, folded.unit_mask, strict=True):
            gn = xp.linalg.vector_norm(g, axis=2)
            ok = (gn > 0) & mask
            safe = xp.where(ok, gn, xp.ones_like(gn))
            out.append(xp.where(ok, xp.abs(h) / safe, xp.full_like(gn, math.inf)))
        parts.append((out, a, b))
    if len(parts) == 1:
        return parts[0]
    r = [xp.concat([p[0][i] for p in parts], axis=0) for i in range(folded.n_layers)]
    return r, xp.concat([p[1] for p in parts], axis=0), xp.concat([p[2] for p in parts], axis=0)


def distance_to_boundary(folded: FoldedNet, X: Any, /, *, layers: Any = None) -> BoundaryDistance:
    r"""Exact Euclidean distance from each point to the boundary of its region (Dist-1).

    .. math::

        d(x, \partial\Omega) = \min_{\ell,k} r_{\ell,k}(x),\qquad
        r_{\ell,k}(x) = \frac{|h_{\ell,k}(x)|}{\|\nabla_x h_{\ell,k}(x)\|_2}

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    X : array, shape (n_samples, D_0)
        Any input dimension.
    layers : sequence of int, optional
        Restrict the minimum to these layers' units (distance to the union of their folded
        hyperplanes, exact only when it is at most the in-radius of earlier layers; default all).

    Returns
    -------
    BoundaryDistance
        ``distance`` is ``inf`` for a net whose units are all masked or have zero gradient.

    Raises
    ------
    ValueError
        Bad ``X``; ``layers`` out of range.

    Notes
    -----
    spec/splines.md §2.5 Dist-1 (proof there), §4.2. The region of :math:`x` is the intersection
    of the half-spaces of the hyperplanes :math:`G_\ell[k] y + e_\ell[k] = 0`, so the distance to
    its boundary is the minimum distance to them. A point on a boundary has distance 0. Cost
    :math:`O(n \sum_\ell D_{\ell+1} D_\ell D_0)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import HiddenLayer, SplineNet, distance_to_boundary
    >>> net = SplineNet([HiddenLayer(np.array([[1.0, 0.0], [0.0, 2.0]]))])
    >>> distance_to_boundary(net, np.array([[0.5, -3.0]])).distance.tolist()
    [0.5]
    """
    folded = _as_folded(folded)
    xp = _backend.get_namespace(X, *folded.arrays())
    X = _check_input(X, folded.input_dim, xp=xp)
    n_layers = folded.n_layers
    sel = list(range(n_layers)) if layers is None else [int(i) for i in layers]
    for i in sel:
        check_int(i, name="layers entry", minimum=0, maximum=n_layers - 1)
    if not sel:
        raise ValueError("layers must name at least one layer")
    r, _, _ = _unit_distances(folded, X, xp=xp)
    per_layer = xp.stack([xp.min(r_l, axis=1) for r_l in r], axis=1)
    arg_unit = xp.stack([xp.argmin(r_l, axis=1) for r_l in r], axis=1)
    dev = _backend.device(X)
    chosen = xp.asarray(sel, dtype=xp.int64, device=dev)
    sub = xp.take(per_layer, chosen, axis=1)
    best = xp.argmin(sub, axis=1)
    dist = xp.min(sub, axis=1)
    layer = xp.take(chosen, best)
    unit = xp.sum(xp.where(xp.arange(n_layers, device=dev)[None, :] == layer[:, None], arg_unit, 0), axis=1)
    finite = xp.isfinite(dist)
    layer = xp.where(finite, layer, -1)
    unit = xp.where(finite, unit, -1)
    return BoundaryDistance(dist, layer, unit, per_layer)


def distance_to_unit_boundary(folded: FoldedNet, X: Any, /, *, layer: int, unit: int) -> UnitBoundaryDistance:
    r"""First-order distance to one folded hyperplane and when it is exact (Dist-2).

    .. math::

        \rho_\ell(x) = \min_{\ell' < \ell,\,k'} r_{\ell',k'}(x),\qquad
        d(x, F_{\ell,k}) = r_{\ell,k}(x)\ \text{ if } r_{\ell,k}(x) \le \rho_\ell(x),\
        \text{ else } d(x, F_{\ell,k}) \ge \rho_\ell(x)

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    X : array, shape (n_samples, D_0)
    layer, unit : int
        The unit :math:`(\ell, k)`.

    Returns
    -------
    UnitBoundaryDistance

    Raises
    ------
    ValueError
        Bad ``X``, ``layer`` or ``unit``.

    Notes
    -----
    spec/splines.md §2.5 Dist-2. In 2D ``segment_distance_2d(..., which=(layer, unit))`` gives
    the exact value always. Cost as :func:`distance_to_boundary`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, distance_to_unit_boundary
    >>> net = random_spline_net([2, 3, 3], rng=np.random.default_rng(0), bias="normal")
    >>> d = distance_to_unit_boundary(net, np.zeros((1, 2)), layer=0, unit=1)
    >>> bool(d.exact[0])
    True
    """
    folded = _as_folded(folded)
    xp = _backend.get_namespace(X, *folded.arrays())
    X = _check_input(X, folded.input_dim, xp=xp)
    layer = check_int(layer, name="layer", minimum=0, maximum=folded.n_layers - 1)
    unit = check_int(unit, name="unit", minimum=0, maximum=folded.widths[layer] - 1)
    r, _, _ = _unit_distances(folded, X, xp=xp)
    first = r[layer][:, unit]
    rho = xp.full_like(first, math.inf) if layer == 0 else xp.min(xp.concat(r[:layer], axis=1), axis=1)
    return UnitBoundaryDistance(first, rho, first <= rho)


def first_order_margin(folded: FoldedNet, X: Any, y: Any, /) -> Margin:
    r"""First-order signed margin to the decision boundary, with an exactness flag (D16, Dist-2).

    .. math::

        \text{margin}(x) = \pm\min_{j \ne p}\frac{f_p(x) - f_j(x)}{\|\nabla_x (f_p - f_j)\|_2},
        \quad p = \arg\max_i f_i(x)

    (one logit: :math:`\pm|f|/\|\nabla f\|`, class 1 iff :math:`f > 0`); the sign is + iff
    :math:`p = y`.

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN, with a readout
    X : array, shape (n_samples, D_0)
    y : integer array, shape (n_samples,)
        Labels in ``[0, n_classes)`` (``{0, 1}`` for one logit).

    Returns
    -------
    Margin
        ``exact`` where ``|distance|`` is at most the in-radius of the point's region (then the
        affine map holds up to the boundary). In 2D use :func:`margin_2d` for exact values.

    Raises
    ------
    ValueError
        No readout, bad ``X`` or ``y``.

    Notes
    -----
    spec/splines.md D16, §2.5 Dist-2, §4.4. Ties in the argmax go to the lowest index. Cost as
    :func:`distance_to_boundary`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import HiddenLayer, SplineNet, first_order_margin
    >>> net = SplineNet([HiddenLayer(np.eye(2), np.array([5.0, 5.0]))], readout_weight=np.array([[1.0, 0.0]]),
    ...                 readout_bias=np.array([-5.0]))
    >>> first_order_margin(net, np.array([[0.5, 0.0]]), np.array([1])).distance.tolist()
    [0.5]
    """
    folded = _as_folded(folded)
    if folded.readout_weight is None:
        raise ValueError("the net has no readout: a margin needs readout_weight (the decision boundary)")
    xp = _backend.get_namespace(X, *folded.arrays())
    X = _check_input(X, folded.input_dim, xp=xp)
    y = xp.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0] or not xp.isdtype(y.dtype, "integral"):
        raise ValueError(f"y must be an integer array of shape ({X.shape[0]},), received {y.shape} {y.dtype}")
    n_classes = int(folded.readout_weight.shape[0])
    top = max(n_classes, 2)
    if bool(xp.any(y < 0)) or bool(xp.any(y >= top)):
        raise ValueError(f"y must hold labels in [0, {top}), received values outside")
    r, a, b = _unit_distances(folded, X, xp=xp)
    inradius = xp.min(xp.concat(r, axis=1), axis=1)
    mat = folded.readout_weight @ a  # (n, C, D0)
    f = xp.sum(mat * X[:, None, :], axis=2) + b @ folded.readout_weight.mT
    if folded.readout_bias is not None:
        f = f + folded.readout_bias
    if n_classes == 1:
        g = xp.linalg.vector_norm(mat[:, 0, :], axis=1)
        pred = xp.astype(f[:, 0] > 0, y.dtype)
        safe = xp.where(g > 0, g, xp.ones_like(g))
        dist = xp.where(g > 0, xp.abs(f[:, 0]) / safe, xp.full_like(g, math.inf))
    else:
        pred = xp.argmax(f, axis=1)
        pred_logit = xp.sum(xp.where(xp.arange(n_classes)[None, :] == pred[:, None], f, 0.0), axis=1)
        onehot = xp.arange(n_classes)[None, :] == pred[:, None]
        pred_grad = xp.sum(xp.where(onehot[:, :, None], mat, 0.0), axis=1)
        diff = pred_logit[:, None] - f  # (n, C) >= 0
        gdiff = xp.linalg.vector_norm(pred_grad[:, None, :] - mat, axis=2)
        ok = (~onehot) & (gdiff > 0)
        safe = xp.where(ok, gdiff, xp.ones_like(gdiff))
        dist = xp.min(xp.where(ok, diff / safe, xp.full_like(diff, math.inf)), axis=1)
    correct = pred == y
    signed = xp.where(correct, dist, -dist)
    return Margin(signed, correct, dist <= inradius)

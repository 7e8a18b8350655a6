"""Forward pass, activation codes, hyperplanes and per-region affine maps (spec D6, D7, §2.3)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend
from ssltheory._validation import check_int
from ssltheory.splines._folding import FoldedNet, _activate, _as_folded, _check_input

__all__ = [
    "ForwardPass",
    "Hyperplanes",
    "LocalAffineMaps",
    "RegionCodes",
    "RegionCount",
    "crossing_fraction",
    "forward",
    "local_affine_maps",
    "region_codes",
    "unit_hyperplanes",
    "zaslavsky_count",
]


@dataclass(frozen=True)
class ForwardPass:
    """Pre-activations :math:`h_\\ell` (tuple, shapes (n, D_{l+1})), features :math:`z_{\\ell+1}`,
    and logits (``None`` without readout)."""

    pre_activations: tuple[Any, ...]
    features: tuple[Any, ...]
    logits: Any


@dataclass(frozen=True)
class RegionCodes:
    """Boolean codes (n, n_units) of all hidden units (``h > 0``), the column slice of each layer,
    and the number of distinct codes among the points."""

    codes: Any
    layer_slices: tuple[slice, ...]
    n_distinct: int


@dataclass(frozen=True)
class Hyperplanes:
    """Unit hyperplanes :math:`\\{z : n_k^\\top z = o_k\\}` in a layer's input space (D7).

    ``normals`` (K, D) unit rows, ``offsets`` (K,), ``mask`` (K,) False for constant units (their
    normal and offset are NaN-free zeros)."""

    normals: Any
    offsets: Any
    mask: Any


@dataclass(frozen=True)
class LocalAffineMaps:
    """The affine map of each point's region: output :math:`= A x + b` (§2.3).

    ``matrix`` (n, n_out, D_0), ``offset`` (n, n_out); the output is the logits if the net has
    a readout, else the last hidden features."""

    matrix: Any
    offset: Any


@dataclass(frozen=True)
class RegionCount:
    """Zaslavsky counts: ``total`` regions and ``bounded`` ones."""

    total: int
    bounded: int


def _forward(folded: FoldedNet, X: Any, *, xp: ModuleType) -> ForwardPass:
    pre, feats = [], []
    z = X
    for w, c in zip(folded.weights, folded.biases, strict=True):
        h = z @ w.mT + c
        z = _activate(h, folded.negative_slope, xp=xp)
        pre.append(h)
        feats.append(z)
    logits = None
    if folded.readout_weight is not None:
        logits = z @ folded.readout_weight.mT
        if folded.readout_bias is not None:
            logits = logits + folded.readout_bias
    return ForwardPass(tuple(pre), tuple(feats), logits)


def forward(folded: FoldedNet, X: Any, /) -> ForwardPass:
    r"""Forward pass of a folded net (statistics treated as constants, spec D3).

    .. math::

        h_\ell = \tilde W_\ell z_\ell + \tilde c_\ell,\qquad z_{\ell+1} = a(h_\ell),\qquad
        f = R z_L + r

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    X : array, shape (n_samples, D_0)

    Returns
    -------
    ForwardPass

    Raises
    ------
    ValueError
        Wrong number of features, non-finite or empty ``X``.
    TypeError
        A SplineNet with BN (fold it first) or another object.

    Notes
    -----
    spec/splines.md §2.3. Cost :math:`O(n \sum_\ell D_\ell D_{\ell+1})`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, forward
    >>> net = random_spline_net([2, 4, 3], rng=np.random.default_rng(0), n_classes=2)
    >>> forward(net, np.zeros((5, 2))).logits.shape
    (5, 2)
    """
    folded = _as_folded(folded)
    xp = _backend.get_namespace(X, *folded.arrays())
    X = _check_input(X, folded.input_dim, xp=xp)
    return _forward(folded, X, xp=xp)


def _count_distinct_rows(codes: Any, *, xp: ModuleType) -> int:
    """Exact number of distinct boolean rows (blocks of 52 bits packed exactly into float64)."""
    n, u = codes.shape
    if n == 0:
        return 0
    if u == 0:
        return 1
    ids = None
    for start in range(0, u, 52):
        block = xp.astype(codes[:, start : min(start + 52, u)], xp.float64)
        w = xp.asarray(
            [2.0**i for i in range(block.shape[1])], dtype=xp.float64, device=_backend.device(codes)
        )
        packed = xp.sum(block * w, axis=1)
        inv = xp.reshape(xp.unique_inverse(packed).inverse_indices, (-1,))
        inv = xp.astype(inv, xp.int64)
        if ids is None:
            ids = inv
        else:
            combined = ids * (int(xp.max(inv)) + 1) + inv
            ids = xp.astype(xp.reshape(xp.unique_inverse(combined).inverse_indices, (-1,)), xp.int64)
    return int(xp.max(ids)) + 1


def _codes(pre: tuple[Any, ...], *, xp: ModuleType) -> tuple[Any, tuple[slice, ...]]:
    slices, start = [], 0
    for h in pre:
        slices.append(slice(start, start + int(h.shape[1])))
        start += int(h.shape[1])
    return xp.concat([h > 0 for h in pre], axis=1), tuple(slices)


def region_codes(folded: FoldedNet, X: Any, /) -> RegionCodes:
    r"""Activation codes of points: which region of the partition each point lies in (D6).

    .. math::

        \mathrm{code}_{\ell,k}(x) = [\,h_{\ell,k}(x) > 0\,]

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    X : array, shape (n_samples, D_0)

    Returns
    -------
    RegionCodes
        ``codes`` is a boolean array on ``X``'s backend; ``n_distinct`` counts distinct rows
        (a lower bound on the regions met by the points).

    Raises
    ------
    ValueError
        Wrong number of features, empty or non-finite ``X``.

    Notes
    -----
    spec/splines.md D6, §2.3. Points with equal codes lie in the same (convex) region. Cost
    :math:`O(n \sum_\ell D_\ell D_{\ell+1})`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, region_codes
    >>> net = random_spline_net([2, 3], rng=np.random.default_rng(0), bias="normal")
    >>> rc = region_codes(net, np.random.default_rng(1).uniform(-5, 5, (500, 2)))
    >>> rc.codes.shape, rc.n_distinct <= 7
    ((500, 3), True)
    """
    folded = _as_folded(folded)
    xp = _backend.get_namespace(X, *folded.arrays())
    X = _check_input(X, folded.input_dim, xp=xp)
    codes, slices = _codes(_forward(folded, X, xp=xp).pre_activations, xp=xp)
    return RegionCodes(codes, slices, _count_distinct_rows(codes, xp=xp))


def unit_hyperplanes(folded: FoldedNet, layer: int, /) -> Hyperplanes:
    r"""Each unit's hyperplane in its layer's input space (spec D7).

    .. math::

        n_k = \tilde W_k / \|\tilde W_k\|,\qquad o_k = -\tilde c_k/\|\tilde W_k\|,\qquad
        d(z) = n_k^\top z - o_k\ (> 0 \text{ on the active side})

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    layer : int
        :math:`\ell \in [0, L)`.

    Returns
    -------
    Hyperplanes
        Masked (constant) units get zero normals and offsets and ``mask = False``.

    Raises
    ------
    ValueError
        ``layer`` out of range.

    Notes
    -----
    spec/splines.md D7, §2.2. With BN (β = 0) every hyperplane of layer ℓ passes through the
    centroid :math:`g_\ell`. Cost :math:`O(D_\ell D_{\ell+1})`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import HiddenLayer, SplineNet, unit_hyperplanes
    >>> net = SplineNet([HiddenLayer(np.array([[3.0, 4.0]]), np.array([-10.0]))])
    >>> hp = unit_hyperplanes(net, 0)
    >>> hp.normals.tolist(), hp.offsets.tolist()
    ([[0.6, 0.8]], [2.0])
    """
    folded = _as_folded(folded)
    xp = _backend.get_namespace(*folded.arrays())
    layer = check_int(layer, name="layer", minimum=0, maximum=folded.n_layers - 1)
    w, c, mask = folded.weights[layer], folded.biases[layer], folded.unit_mask[layer]
    norm = xp.linalg.vector_norm(w, axis=1)
    ok = mask & (norm > 0)
    safe = xp.where(ok, norm, xp.ones_like(norm))
    normals = xp.where(ok[:, None], w / safe[:, None], xp.zeros_like(w))
    offsets = xp.where(ok, -c / safe, xp.zeros_like(c))
    return Hyperplanes(normals, offsets, ok)


def _affine_chunk(folded: FoldedNet, X: Any, *, xp: ModuleType) -> tuple[list[Any], list[Any], Any, Any]:
    """Per layer: pre-activations h_ℓ (n, K) and gradients G_ℓ (n, K, D0); final (A_L, b_L)."""
    n = X.shape[0]
    a = b = None  # A_0 = I, b_0 = 0 are never materialised (saves an n·D0² array and its product)
    z = X
    hs, gs = [], []
    eta = folded.negative_slope
    for w, c in zip(folded.weights, folded.biases, strict=True):
        if a is None:
            g = xp.broadcast_to(w[None, :, :], (n, *w.shape))
            e = xp.broadcast_to(c[None, :], (n, c.shape[0]))
        else:
            g = w @ a  # (n, K, D0)
            e = b @ w.mT + c
        h = z @ w.mT + c  # equals G x + e; computed directly for accuracy
        q = xp.where(h > 0, xp.ones_like(h), eta * xp.ones_like(h))
        hs.append(h)
        gs.append(g)
        a = q[:, :, None] * g
        b = q * e
        z = _activate(h, eta, xp=xp)
    return hs, gs, a, b


def local_affine_maps(folded: FoldedNet, X: Any, /, *, chunk_size: int | None = None) -> LocalAffineMaps:
    r"""The affine map of the network on the region of each point (spec §2.3).

    .. math::

        A_0 = I,\ b_0 = 0,\quad G_\ell = \tilde W_\ell A_\ell,\ e_\ell = \tilde W_\ell b_\ell + \tilde c_\ell,
        \quad A_{\ell+1} = \mathrm{diag}(q_\ell) G_\ell,\ b_{\ell+1} = \mathrm{diag}(q_\ell) e_\ell,
        \quad f = R A_L x + R b_L + r

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    X : array, shape (n_samples, D_0)
    chunk_size : int, optional
        Points per chunk (bounds the :math:`n D_\ell D_0` memory).

    Returns
    -------
    LocalAffineMaps
        ``matrix @ x + offset`` reproduces the network output at ``x`` and on its whole region.

    Raises
    ------
    ValueError
        Bad ``X`` or ``chunk_size``.

    Notes
    -----
    spec/splines.md §2.3, §4.2. Cost :math:`O(n \sum_\ell D_{\ell+1} D_\ell D_0)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, local_affine_maps, forward
    >>> net = random_spline_net([3, 5, 4], rng=np.random.default_rng(0), n_classes=2, bias="normal")
    >>> X = np.random.default_rng(1).standard_normal((10, 3))
    >>> m = local_affine_maps(net, X)
    >>> bool(np.allclose(np.einsum("nij,nj->ni", m.matrix, X) + m.offset, forward(net, X).logits))
    True
    """
    folded = _as_folded(folded)
    xp = _backend.get_namespace(X, *folded.arrays())
    X = _check_input(X, folded.input_dim, xp=xp)
    n = int(X.shape[0])
    size = n if chunk_size is None else check_int(chunk_size, name="chunk_size", minimum=1)
    mats, offs = [], []
    for s in range(0, n, size):
        _, _, a, b = _affine_chunk(folded, X[s : min(s + size, n), :], xp=xp)
        if folded.readout_weight is not None:
            r = folded.readout_weight
            b = b @ r.mT
            a = r @ a
            if folded.readout_bias is not None:
                b = b + folded.readout_bias
        mats.append(a)
        offs.append(b)
    return LocalAffineMaps(xp.concat(mats, axis=0), xp.concat(offs, axis=0))


def crossing_fraction(folded: FoldedNet, X: Any, /) -> Any:
    r"""Fraction of unmasked units of each layer whose folded hyperplane splits the batch (R5).

    .. math::

        \mathrm{frac}_\ell = \frac{1}{|U_\ell|}\sum_{k \in U_\ell}
        \big[\min_n h_{\ell,k}(x_n) < 0 < \max_n h_{\ell,k}(x_n)\big]

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    X : array, shape (n_samples, D_0)

    Returns
    -------
    array, shape (n_layers,)
        NaN for a layer without unmasked unit.

    Raises
    ------
    ValueError
        Bad ``X``.

    Notes
    -----
    spec/splines.md R5 (crossing property), T8: with batch-mode BN (β = 0, statistics of ``X``)
    every fraction is 1. Cost: one forward pass.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, bn_statistics, fold_batch_norm, crossing_fraction
    >>> net = random_spline_net([2, 6, 6], batch_norm=True, rng=np.random.default_rng(0))
    >>> X = np.random.default_rng(1).standard_normal((40, 2)) + 3
    >>> crossing_fraction(fold_batch_norm(net, bn_statistics(net, X)), X).tolist()
    [1.0, 1.0]
    """
    folded = _as_folded(folded)
    xp = _backend.get_namespace(X, *folded.arrays())
    X = _check_input(X, folded.input_dim, xp=xp)
    out = []
    for h, mask in zip(_forward(folded, X, xp=xp).pre_activations, folded.unit_mask, strict=True):
        split = (xp.min(h, axis=0) < 0) & (xp.max(h, axis=0) > 0) & mask
        n_unmasked = int(xp.sum(xp.astype(mask, xp.int64)))
        frac = float(xp.sum(xp.astype(split, xp.float64))) / n_unmasked if n_unmasked else math.nan
        out.append(frac)
    return xp.asarray(out, dtype=X.dtype, device=_backend.device(X))


def zaslavsky_count(n_hyperplanes: int, n_dims: int, /, *, central: bool = False) -> RegionCount:
    r"""Regions of :math:`K` generic hyperplanes in :math:`\mathbb R^D` (Zaslavsky; spec R5).

    .. math::

        \text{generic: } \sum_{i=0}^{D}\binom Ki \text{ regions, } \binom{K-1}{D}\text{ bounded};\qquad
        \text{central: } 2\sum_{i=0}^{D-1}\binom{K-1}{i}\ (2^K \text{ if } K \le D)\text{, none bounded}

    Parameters
    ----------
    n_hyperplanes : int
        :math:`K \ge 0`.
    n_dims : int
        :math:`D \ge 1`.
    central : bool
        All hyperplanes through one point (a BN layer with β = 0), otherwise generic.

    Returns
    -------
    RegionCount

    Raises
    ------
    ValueError, TypeError
        Negative or non-integer sizes.

    Notes
    -----
    spec/splines.md R5; Zaslavsky, Mem. AMS 1975. Exact integer arithmetic.

    Examples
    --------
    >>> from ssltheory.splines import zaslavsky_count
    >>> zaslavsky_count(6, 2), zaslavsky_count(6, 2, central=True)
    (RegionCount(total=22, bounded=10), RegionCount(total=12, bounded=0))
    """
    k = check_int(n_hyperplanes, name="n_hyperplanes", minimum=0)
    d = check_int(n_dims, name="n_dims", minimum=1)
    if central:
        if k == 0:
            return RegionCount(1, 0)
        total = 2**k if k <= d else 2 * sum(math.comb(k - 1, i) for i in range(d))
        return RegionCount(total, 0)
    total = sum(math.comb(k, i) for i in range(d + 1))
    return RegionCount(total, math.comb(k - 1, d) if k >= 1 else 0)

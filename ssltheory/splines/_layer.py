"""One layer's arrangement: layer-space distances, windows, power diagram, pivot (§2.2, §2.5, §2.6, R4.4)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ssltheory import _backend
from ssltheory._validation import check_array, check_int, check_positive, default_tol
from ssltheory.splines._folding import (
    FoldedNet,
    _activate,
    _as_folded,
    _check_input,
    _layer_params,
    bn_statistics,
)
from ssltheory.splines._model import SplineNet
from ssltheory.splines._partition import Hyperplanes, _affine_chunk, unit_hyperplanes

__all__ = [
    "LayerPartition",
    "LayerSpaceDistance",
    "PivotSet",
    "PowerDiagram",
    "first_layer_pivot",
    "hyperplane_meets_window",
    "layer_partition",
    "layer_space_distance",
    "power_diagram",
]


@dataclass(frozen=True)
class LayerSpaceDistance:
    """Dist-3 (n, K): ``layer_space`` :math:`|\\tilde h|/\\|\\tilde w\\|` (the TLS distance in the layer's
    input space), ``input_first_order`` :math:`|\\tilde h|/\\|A_\\ell^\\top \\tilde w\\|`, and
    ``spectral_norm`` (n,) :math:`\\|A_\\ell\\|_2`."""

    layer_space: Any
    input_first_order: Any
    spectral_norm: Any


@dataclass(frozen=True)
class LayerPartition:
    """A layer's own arrangement on inputs ``Z``: ``codes`` (n, K), ``signed_distances`` (n, K),
    ``is_centred`` (all hyperplanes share a point), ``common_point`` (least-squares, (D,))."""

    codes: Any
    signed_distances: Any
    is_centred: bool
    common_point: Any


@dataclass(frozen=True)
class PowerDiagram:
    """Power-diagram form of a layer (§2.6): ``codes`` (2^K, K) bool, ``centroids`` (2^K, D)
    :math:`\\mu_q = \\tilde W^\\top q`, ``radii_sq`` (2^K,)
    :math:`r_q^2 = \\|\\mu_q\\|^2 + 2\\langle q, \\tilde c\\rangle`."""

    codes: Any
    centroids: Any
    radii_sq: Any


@dataclass(frozen=True)
class PivotSet:
    """First-layer pivot set (R4.4): ``centroid_g1`` (K,), a ``particular`` point (D,) of
    :math:`G_1`, a ``null_basis`` (D, D−rank) of the directions along it, and the ``residual`` of the
    least-squares solve (0 when :math:`G_1` is non-empty)."""

    centroid_g1: Any
    particular: Any
    null_basis: Any
    residual: float


def layer_space_distance(folded: FoldedNet, X: Any, /, *, layer: int) -> LayerSpaceDistance:
    r"""Distances of points to one layer's hyperplanes in layer space and in input space (Dist-3).

    .. math::

        z = A_\ell x + b_\ell,\quad \tilde h = \tilde w^\top z + \tilde c,\quad
        d_{\rm layer} = \frac{|\tilde h|}{\|\tilde w\|},\quad
        d_{\rm in} = \frac{|\tilde h|}{\|A_\ell^\top \tilde w\|} \ge \frac{d_{\rm layer}}{\|A_\ell\|_2}

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    X : array, shape (n_samples, D_0)
    layer : int

    Returns
    -------
    LayerSpaceDistance
        Masked units and zero gradients give ``inf``.

    Raises
    ------
    ValueError
        Bad ``X`` or ``layer``.

    Notes
    -----
    spec/splines.md §2.5 Dist-3, §8 e): BN's TLS optimality is about ``layer_space``. Cost of
    :func:`distance_to_boundary` plus one 2-norm per point.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, layer_space_distance
    >>> net = random_spline_net([2, 4, 3], rng=np.random.default_rng(0), bias="normal")
    >>> d = layer_space_distance(net, np.random.default_rng(1).standard_normal((5, 2)), layer=1)
    >>> bool(np.all(d.input_first_order >= d.layer_space / d.spectral_norm[:, None] - 1e-12))
    True
    """
    folded = _as_folded(folded)
    xp = _backend.get_namespace(X, *folded.arrays())
    X = _check_input(X, folded.input_dim, xp=xp)
    layer = check_int(layer, name="layer", minimum=0, maximum=folded.n_layers - 1)
    hs, gs, _, _ = _affine_chunk(folded, X, xp=xp)
    h, g, mask = hs[layer], gs[layer], folded.unit_mask[layer]
    wn = xp.linalg.vector_norm(folded.weights[layer], axis=1)
    gn = xp.linalg.vector_norm(g, axis=2)
    inf = xp.full_like(h, math.inf)
    ok_w = (wn > 0) & mask
    ok_g = (gn > 0) & mask
    d_layer = xp.where(ok_w, xp.abs(h) / xp.where(ok_w, wn, xp.ones_like(wn)), inf)
    d_in = xp.where(ok_g, xp.abs(h) / xp.where(ok_g, gn, xp.ones_like(gn)), inf)
    n = int(X.shape[0])
    if layer == 0:
        norm = xp.ones(n, dtype=X.dtype, device=_backend.device(X))
    else:
        # A_ℓ = G_{ℓ−1} scaled by the slopes: recompute it from the previous layer
        q = xp.where(
            hs[layer - 1] > 0,
            xp.ones_like(hs[layer - 1]),
            folded.negative_slope * xp.ones_like(hs[layer - 1]),
        )
        a = q[:, :, None] * gs[layer - 1]
        norm = xp.linalg.matrix_norm(a, ord=2)
    return LayerSpaceDistance(d_layer, d_in, norm)


def hyperplane_meets_window(
    hyperplanes: Hyperplanes, centres: Any, /, *, radius: float, norm: Any = "inf"
) -> Any:
    r"""Whether each hyperplane meets the window of radius ρ around each centre (Dist-4).

    .. math::

        \{n^\top z = o\} \cap \{\|z - x\|_\infty \le \rho\} \ne \emptyset \iff |n^\top x - o| \le \rho\|n\|_1,
        \qquad \text{(2-ball: } \le \rho\|n\|_2)

    Parameters
    ----------
    hyperplanes : Hyperplanes
        From :func:`unit_hyperplanes`.
    centres : array, shape (n, D)
    radius : float
    norm : {"inf", 2}
        Window shape: a cube (``"inf"``) or a Euclidean ball (2).

    Returns
    -------
    bool array, shape (n, K)
        Masked units never meet a window.

    Raises
    ------
    ValueError
        Bad shapes, radius or norm.

    Notes
    -----
    spec/splines.md §2.5 Dist-4 (Qi et al., arXiv 2605.04946). Cost :math:`O(nKD)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import HiddenLayer, SplineNet, unit_hyperplanes, hyperplane_meets_window
    >>> hp = unit_hyperplanes(SplineNet([HiddenLayer(np.array([[1.0, 1.0]]))]), 0)
    >>> hyperplane_meets_window(hp, np.array([[0.8, 0.8]]), radius=1.0, norm=2).tolist()
    [[False]]
    >>> hyperplane_meets_window(hp, np.array([[0.8, 0.8]]), radius=1.0).tolist()
    [[True]]
    """
    xp = _backend.get_namespace(centres, hyperplanes.normals)
    centres = check_array(centres, xp=xp, name="centres", ndim=2)
    if centres.shape[1] != hyperplanes.normals.shape[1]:
        raise ValueError(
            f"centres must have {hyperplanes.normals.shape[1]} columns, received {centres.shape}"
        )
    rho = check_positive(radius, name="radius", strict=False)
    if norm == "inf":
        scale = xp.sum(xp.abs(hyperplanes.normals), axis=1)
    elif norm == 2:
        scale = xp.linalg.vector_norm(hyperplanes.normals, axis=1)
    else:
        raise ValueError(f"norm must be 'inf' or 2, received {norm!r}")
    d = xp.abs(centres @ hyperplanes.normals.mT - hyperplanes.offsets)
    return (d <= rho * scale) & hyperplanes.mask[None, :]


def layer_partition(folded: FoldedNet, layer: int, Z: Any, /) -> LayerPartition:
    r"""One layer's own hyperplane arrangement :math:`\Omega_\ell` on inputs ``Z`` (spec §2.2).

    .. math::

        d_k(z) = n_k^\top z - o_k,\qquad \text{centred} \iff \exists p: N p = o
        \ (p = N^+ o,\ \|Np - o\| \le 4\sqrt{\epsilon}(1 + \|o\|_\infty))

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    layer : int
    Z : array, shape (n, D_layer)
        Points in the layer's input space.

    Returns
    -------
    LayerPartition

    Raises
    ------
    ValueError
        Bad ``layer`` or ``Z``.

    Notes
    -----
    spec/splines.md §2.2, R3: a BN layer (β = 0) is centred at its centroid :math:`g_\ell`. The
    common point is a least-squares solution over unmasked units (pseudo-inverse). Cost
    :math:`O(nKD + KD^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, bn_statistics, fold_batch_norm, layer_partition
    >>> net = random_spline_net([2, 5], batch_norm=True, rng=np.random.default_rng(0))
    >>> X = np.random.default_rng(1).standard_normal((30, 2)) + 4
    >>> lp = layer_partition(fold_batch_norm(net, bn_statistics(net, X)), 0, X)
    >>> lp.is_centred, bool(np.allclose(lp.common_point, X.mean(0)))
    (True, True)
    """
    folded = _as_folded(folded)
    layer = check_int(layer, name="layer", minimum=0, maximum=folded.n_layers - 1)
    hp = unit_hyperplanes(folded, layer)
    xp = _backend.get_namespace(Z, hp.normals)
    Z = _check_input(Z, int(folded.weights[layer].shape[1]), xp=xp, name="Z")
    d = Z @ hp.normals.mT - hp.offsets
    keep = xp.astype(hp.mask, hp.normals.dtype)
    nm = hp.normals * keep[:, None]
    om = hp.offsets * keep
    p = xp.linalg.pinv(nm) @ om
    resid = float(xp.max(xp.abs(nm @ p - om))) if nm.shape[0] else 0.0
    tol = default_tol(nm.dtype, xp=xp) * (1.0 + float(xp.max(xp.abs(om))) if nm.shape[0] else 1.0)
    return LayerPartition(d > 0, d, resid <= tol, p)


def power_diagram(folded: FoldedNet, layer: int, /) -> PowerDiagram:
    r"""A layer's partition as a power diagram (spec §2.6, Balestriero et al. NeurIPS 2019).

    .. math::

        \arg\max_{q \in \{\eta,1\}^K}\langle q, \tilde W z + \tilde c\rangle
        = \arg\min_q \|z - \mu_q\|^2 - r_q^2,\quad \mu_q = \tilde W^\top q,\
        r_q^2 = \|\mu_q\|^2 + 2\langle q, \tilde c\rangle

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    layer : int

    Returns
    -------
    PowerDiagram
        All :math:`2^K` codes (row ``j`` is the binary expansion of ``j``, unit 0 first).

    Raises
    ------
    ValueError
        :math:`K > 16` (65 536 cells), or :math:`\eta = 1` is impossible by construction.

    Notes
    -----
    spec/splines.md §2.6. Cost :math:`O(2^K K D)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, power_diagram, region_codes
    >>> net = random_spline_net([2, 3], rng=np.random.default_rng(0), bias="normal", negative_slope=0.1)
    >>> pd = power_diagram(net, 0)
    >>> z = np.random.default_rng(1).standard_normal((50, 2))
    >>> cell = np.argmin(((z[:, None] - pd.centroids[None]) ** 2).sum(-1) - pd.radii_sq, axis=1)
    >>> bool(np.array_equal(pd.codes[cell], region_codes(net, z).codes))
    True
    """
    folded = _as_folded(folded)
    layer = check_int(layer, name="layer", minimum=0, maximum=folded.n_layers - 1)
    w, c = folded.weights[layer], folded.biases[layer]
    xp = _backend.get_namespace(w)
    k = int(w.shape[0])
    if k > 16:
        raise ValueError(f"power_diagram enumerates 2^K cells: K must be <= 16, layer {layer} has {k} units")
    dev = _backend.device(w)
    j = xp.arange(2**k, device=dev)
    bits = xp.stack([((j // (2**i)) % 2) == 1 for i in range(k)], axis=1)
    q = xp.where(bits, xp.ones(bits.shape, dtype=w.dtype, device=dev), folded.negative_slope)
    mu = q @ w
    r2 = xp.sum(mu * mu, axis=1) + 2.0 * (q @ c)
    return PowerDiagram(bits, mu, r2)


def first_layer_pivot(net: SplineNet, X: Any, /) -> PivotSet:
    r"""The first-layer pivot set of a BN net (β = 0), contained in every layer-1 folded hyperplane (R4.4).

    .. math::

        G_1 = \{x : a((w_k^\top x - w_k^\top g)/b_k) = g_1[k]\ \forall k\},\quad
        W(x - g) = y,\ y_k = b_k\,a^{-1}(g_1[k])

    with :math:`b_k = \sigma_k` (independent of :math:`b`, by homogeneity).

    Parameters
    ----------
    net : SplineNet
        Layer 0 must have BN (γ > 0, β = 0 assumed: only μ and σ are used).
    X : array, shape (n_samples, D_0)
        The batch (statistics and :math:`g_1`).

    Returns
    -------
    PivotSet
        For the absolute value the branch :math:`a^{-1}(y) = +y` is taken (one of :math:`2^{D_1}`);
        ``residual > 0`` when :math:`D_0 < D_1` and :math:`G_1` is (generically) empty.

    Raises
    ------
    ValueError
        Layer 0 without BN, bad ``X``.

    Notes
    -----
    spec/splines.md R4.4 [follow-up App. A.2]. Pseudo-inverse and SVD of :math:`W_0`; cost
    :math:`O(m D_0 D_1 + D_0^2 D_1)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_spline_net, first_layer_pivot
    >>> net = random_spline_net([3, 3, 4], batch_norm=True, rng=np.random.default_rng(0), negative_slope=0.1)
    >>> piv = first_layer_pivot(net, np.random.default_rng(1).standard_normal((40, 3)))
    >>> piv.null_basis.shape, piv.residual < 1e-10
    ((3, 0), True)
    """
    if not isinstance(net, SplineNet) or not net.layers[0].batch_norm:
        raise ValueError("first_layer_pivot needs a SplineNet whose layer 0 has BatchNorm")
    stats = bn_statistics(net, X)
    xp = _backend.get_namespace(X, *net.arrays())
    X = _check_input(X, net.input_dim, xp=xp, min_rows=2)
    w = net.layers[0].weight
    mu, sig = stats.mean[0], xp.sqrt(stats.var[0])
    bias, _, _ = _layer_params(net, 0, xp=xp)
    u = ((X @ w.mT + bias) - mu) / sig
    eta = net.negative_slope
    g1 = xp.mean(_activate(u, eta, xp=xp), axis=0)
    inv = g1 if eta == -1.0 or eta == 0.0 else xp.where(g1 > 0, g1, g1 / eta)
    y = sig * inv
    g = xp.mean(X, axis=0)
    sol = xp.linalg.pinv(w) @ y
    residual = float(xp.max(xp.abs(w @ sol - y)))
    _, s, vt = xp.linalg.svd(w, full_matrices=True)
    tol = default_tol(w.dtype, xp=xp) * (float(s[0]) if s.shape[0] else 1.0)
    rank = int(xp.sum(xp.astype(s > tol, xp.int64)))
    null = vt[rank:, :].mT
    return PivotSet(g1, g + sol, null, residual)

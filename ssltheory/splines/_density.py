"""Local complexity: how many partition boundaries cross a small neighbourhood (spec D15, §4.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ssltheory import _backend, _validation
from ssltheory._validation import check_array, check_int, check_positive
from ssltheory.splines._folding import FoldedNet, _as_folded, _check_input, _forward_pre

__all__ = ["LocalComplexity", "local_complexity", "random_orthonormal_directions"]


@dataclass(frozen=True)
class LocalComplexity:
    """``total`` (n,): number of unmasked hidden units whose code changes over the neighbourhood
    vertices; ``per_layer`` (n, L)."""

    total: Any
    per_layer: Any


def local_complexity(
    folded: FoldedNet,
    X: Any,
    /,
    *,
    radius: float,
    directions: Any = None,
    include_center: bool = True,
) -> LocalComplexity:
    r"""Local complexity (region density) around points (spec D15, §4.5).

    .. math::

        V(x) = \{x\} \cup \{x \pm r v_i\},\qquad
        \mathrm{LC}(x) = \sum_{\ell, k \text{ unmasked}}
        \big[\text{code}_{\ell,k} \text{ not constant on } V(x)\big]

    Parameters
    ----------
    folded : FoldedNet or SplineNet without BN
    X : array, shape (n_samples, D_0)
    radius : float
        :math:`r > 0`.
    directions : array, shape (n_directions, D_0), optional
        Orthonormal rows :math:`v_i` (default the canonical axes: the cross-polytope);
        :func:`random_orthonormal_directions` in high dimension.
    include_center : bool

    Returns
    -------
    LocalComplexity

    Raises
    ------
    ValueError
        Bad ``X``, non-positive ``radius``, ``directions`` of the wrong shape.

    Notes
    -----
    spec/splines.md D15, §4.5 (Humayun, Balestriero, Baraniuk, arXiv 2402.15555). Cost
    :math:`(2 n_{dir} + 1)` forward passes.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import HiddenLayer, SplineNet, local_complexity
    >>> net = SplineNet([HiddenLayer(np.eye(2))])
    >>> local_complexity(net, np.array([[0.05, 3.0], [5.0, 5.0]]), radius=0.1).total.tolist()
    [1, 0]
    """
    folded = _as_folded(folded)
    xp = _backend.get_namespace(X, directions, *folded.arrays())
    X = _check_input(X, folded.input_dim, xp=xp)
    radius = check_positive(radius, name="radius")
    d0 = folded.input_dim
    if directions is None:
        directions = xp.eye(d0, dtype=X.dtype, device=_backend.device(X))
    else:
        directions = check_array(directions, xp=xp, name="directions", ndim=2)
        if directions.shape[1] != d0:
            raise ValueError(f"directions must have shape (n_directions, {d0}), received {directions.shape}")
    verts = [X] if include_center else []
    for i in range(int(directions.shape[0])):
        verts += [X + radius * directions[i, :], X - radius * directions[i, :]]
    n = int(X.shape[0])
    stacked = xp.concat(verts, axis=0)
    pre = _forward_pre(folded, stacked, xp=xp)
    per_layer = []
    for h, mask in zip(pre, folded.unit_mask, strict=True):
        s = xp.reshape(h > 0, (len(verts), n, int(h.shape[1])))
        anyv = xp.any(s, axis=0)
        allv = xp.all(s, axis=0)
        changes = anyv & ~allv & mask[None, :]
        per_layer.append(xp.sum(xp.astype(changes, xp.int64), axis=1))
    per = xp.stack(per_layer, axis=1)
    return LocalComplexity(xp.sum(per, axis=1), per)


def random_orthonormal_directions(
    n_features: int, n_directions: int, /, *, rng: np.random.Generator, like: Any = None
) -> Any:
    r"""Random orthonormal directions (rows) for :func:`local_complexity` in high dimension.

    .. math::

        V = Q^\top_{[:n_{dir}]},\qquad G = QR,\ G_{ij} \sim \mathcal N(0, 1)

    Parameters
    ----------
    n_features : int
    n_directions : int
        At most ``n_features``.
    rng : numpy.random.Generator
    like : array, optional
        Namespace and device of the result (default NumPy).

    Returns
    -------
    array, shape (n_directions, n_features)

    Raises
    ------
    ValueError
        ``n_directions`` outside ``[1, n_features]``.

    Notes
    -----
    spec/splines.md §4.5. The Gaussian matrix is drawn on the host and moved to ``like``'s
    device. Cost :math:`O(D\,n_{dir}^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.splines import random_orthonormal_directions
    >>> v = random_orthonormal_directions(5, 3, rng=np.random.default_rng(0))
    >>> bool(np.allclose(v @ v.T, np.eye(3)))
    True
    """
    d = check_int(n_features, name="n_features", minimum=1)
    k = check_int(n_directions, name="n_directions", minimum=1, maximum=d)
    rng = _validation.check_rng(rng)
    g = rng.standard_normal((d, k))
    if like is None:
        import array_api_compat.numpy as xp

        dev = None
        arr = xp.asarray(g)
    else:
        xp = _backend.get_namespace(like)
        dev = _backend.device(like)
        arr = xp.asarray(g, dtype=xp.float64, device=dev)
    q, _ = xp.linalg.qr(arr)
    return q.mT

"""Representation alignment: linear CKA, relative Gram distance, and the gap to an optimal loss."""

from __future__ import annotations

import math
import numbers
import sys
from dataclasses import dataclass
from typing import Any

from ssltheory import _backend, _validation
from ssltheory.compare._subspace import _center, _check_pair, _frobenius

__all__ = ["LossGap", "gram_distance", "linear_cka", "loss_gap"]

# smallest positive normal double: the floor of the relative gap's denominator (see loss_gap)
_TINY = sys.float_info.min


def linear_cka(a: Any, b: Any, /) -> float:
    r"""Centred linear CKA (centred kernel alignment) between two representations.

    With column-centred :math:`A_c = HA`, :math:`B_c = HB` (:math:`H = I - \tfrac1n\mathbf 1
    \mathbf 1^\top`) and linear kernels :math:`K = AA^\top`, :math:`L = BB^\top`,

    .. math::

        \operatorname{CKA}(A, B)
        = \frac{\lVert B_c^\top A_c\rVert_F^2}{\lVert A_c^\top A_c\rVert_F\,\lVert B_c^\top B_c\rVert_F}
        = \frac{\langle HKH, HLH\rangle_F}{\lVert HKH\rVert_F\,\lVert HLH\rVert_F} \in [0, 1].

    Parameters
    ----------
    a : array, shape (n_samples, k1)
        First representation (rows are the same samples as in ``b``), any array-API backend.
    b : array, shape (n_samples, k2)
        Second representation, same library and device; ``k2`` may differ from ``k1``.

    Returns
    -------
    cka : float
        A Python float in :math:`[0, 1]` (1: equal up to the invariances below), clipped to
        that interval against rounding.

    Raises
    ------
    TypeError
        If ``a`` and ``b`` come from different array libraries, or have a non-real dtype.
    ValueError
        If an input is not 2-D or not finite, the numbers of rows differ, or an input has zero
        variance (every column constant within rounding): CKA is then 0/0.

    See Also
    --------
    gram_distance : a distance between uncentred (or centred) Gram matrices, not scale invariant.
    procrustes : the explicit orthogonal alignment.

    Notes
    -----
    *Invariances*: CKA is unchanged by ``a -> s·a @ Q + 1 mᵀ`` for any orthogonal ``Q``, scale
    ``s != 0`` and translation ``m`` (and likewise for ``b``), and is symmetric in ``(a, b)``.
    It is not invariant to general invertible transforms (use :func:`principal_angles` for
    that).

    *Computation*: the feature-space form above, after centring and scaling each input by its
    largest entry (CKA is scale invariant, so this only prevents overflow of the fourth
    powers). Cost :math:`O(n(k_1+k_2)^2)` time and :math:`O(n(k_1+k_2))` memory; the
    :math:`n\times n` kernels are never formed. An input is rejected as constant when centring
    leaves no more than the rounding error of its mean, ``max|a - mean| <= n·eps·max|a|``.

    References
    ----------
    S. Kornblith, M. Norouzi, H. Lee and G. Hinton, "Similarity of Neural Network
    Representations Revisited", ICML 2019, arXiv:1905.00414.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.compare import linear_cka
    >>> a = np.random.default_rng(0).standard_normal((50, 3))
    >>> q = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))[0]
    >>> print(round(linear_cka(a, 2.5 * a @ q + 7.0), 6))  # rotated, scaled, shifted
    1.0
    """
    xp = _backend.get_namespace(a, b)
    a, b = _check_pair(a, b, xp=xp)
    ac = _center(a, xp=xp, name="a", required=True)
    bc = _center(b, xp=xp, name="b", required=True)
    ac = ac / xp.max(xp.abs(ac))
    bc = bc / xp.max(xp.abs(bc))
    cross = _frobenius(bc.mT @ ac, xp=xp)
    norm_a = _frobenius(ac.mT @ ac, xp=xp)
    norm_b = _frobenius(bc.mT @ bc, xp=xp)
    return min(1.0, max(0.0, (cross / norm_a) * (cross / norm_b)))


def gram_distance(a: Any, b: Any, /, *, center: bool = False) -> float:
    r"""Relative distance between the Gram matrices of ``a`` and ``b`` (``b`` is the reference).

    .. math::

        d(a, b) = \frac{\lVert aa^\top - bb^\top\rVert_F}{\lVert bb^\top\rVert_F}
        = \frac{\lVert R\,J R^\top\rVert_F}{\lVert R_b R_b^\top\rVert_F},
        \qquad [a, b] = Q R,\ R = [R_a, R_b],\ J = \operatorname{diag}(I_{k_1}, -I_{k_2}),

    with ``center=True`` computed on the column-centred :math:`Ha`, :math:`Hb`.

    Parameters
    ----------
    a : array, shape (n_samples, k1)
        The representation to compare (e.g. a trained network's output).
    b : array, shape (n_samples, k2)
        The reference (e.g. the closed-form optimum); ``k2`` may differ from ``k1``.
    center : bool, default False
        Centre both inputs' columns first (translation invariance).

    Returns
    -------
    distance : float
        A non-negative Python float (0: equal Gram matrices; 1 when ``a`` is zero).

    Raises
    ------
    TypeError
        If ``a`` and ``b`` come from different array libraries, have a non-real dtype, or
        ``center`` is not a bool.
    ValueError
        If an input is not 2-D or not finite, the numbers of rows differ, or ``b`` is zero
        (constant with ``center=True``), which leaves the relative distance undefined.

    See Also
    --------
    procrustes : the orthogonal map that realises the alignment.
    linear_cka : also invariant to scaling.

    Notes
    -----
    *Invariances*: :math:`aa^\top` is unchanged by ``a -> a @ Q`` for any ``Q`` with
    orthonormal rows (:math:`QQ^\top = I`), so the distance is invariant to right-orthogonal
    transforms of either input (the rotational freedom of most SSL optima) and, with
    ``center=True``, to translations. It is not symmetric and not scale invariant: a wrong
    scale counts as an error.

    *Computation*: since :math:`aa^\top - bb^\top = [a, b]\,J\,[a, b]^\top = Q (RJR^\top)Q^\top`
    and :math:`Q` has orthonormal columns, only the thin QR of the :math:`n\times(k_1+k_2)`
    matrix :math:`[a, b]` (scaled by its largest entry against overflow) and a
    :math:`(k_1+k_2)\times(k_1+k_2)` product are needed: :math:`O(n(k_1+k_2)^2)` time and
    :math:`O(n(k_1+k_2))` memory, instead of :math:`O(n^2)` for the :math:`n\times n` Gram
    matrices. The absolute rounding error is :math:`O(\varepsilon)` relative to
    :math:`\lVert a\rVert_2^2 + \lVert b\rVert_2^2`, as for the direct formula; distances
    below about :math:`10\,\varepsilon` are rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.compare import gram_distance
    >>> b = np.random.default_rng(0).standard_normal((100, 3))
    >>> q = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))[0]
    >>> print(round(gram_distance(b @ q, b), 6))  # rotations are free
    0.0
    >>> print(round(gram_distance(2.0 * b, b), 6))  # scale is not: ‖4bbᵀ - bbᵀ‖ / ‖bbᵀ‖
    3.0
    """
    xp = _backend.get_namespace(a, b)
    if not isinstance(center, bool):
        raise TypeError(f"center must be a bool, received {type(center).__name__} {center!r}")
    a, b = _check_pair(a, b, xp=xp)
    if center:
        a = _center(a, xp=xp, name="a", required=False)
        b = _center(b, xp=xp, name="b", required=True)
    b_max = float(xp.max(xp.abs(b))) if math.prod(b.shape) else 0.0
    if b_max == 0.0:
        raise ValueError("b (the reference) is zero, so the relative Gram distance is undefined")
    a_max = float(xp.max(xp.abs(a))) if math.prod(a.shape) else 0.0
    k1 = a.shape[1]
    m = xp.concat([a, b], axis=1) / max(a_max, b_max)
    _, r = xp.linalg.qr(m)  # R: (min(n, k1 + k2), k1 + k2)
    ra, rb = r[:, :k1], r[:, k1:]
    gram_b = rb @ rb.mT
    return _frobenius(ra @ ra.mT - gram_b, xp=xp) / _frobenius(gram_b, xp=xp)


@dataclass(frozen=True)
class LossGap:
    """Result of :func:`loss_gap`.

    Attributes
    ----------
    absolute : float
        ``loss - optimum``: positive when the measured loss is above the optimum.
    relative : float
        ``absolute / max(|optimum|, tiny)`` with ``tiny`` the smallest positive normal double.
    """

    absolute: float
    relative: float


def _loss_scalar(x: Any, *, name: str) -> float:
    """A finite real scalar (Python number or 0-d array of any backend) as a Python float."""
    if isinstance(x, bool):
        raise TypeError(f"{name} must be a real number or a 0-d array, received bool {x!r}")
    if isinstance(x, numbers.Real):
        value = float(x)
    elif isinstance(x, numbers.Number):
        raise TypeError(f"{name} must be real, received {type(x).__name__} {x!r}")
    else:
        try:
            xp = _backend.get_namespace(x)
        except TypeError as exc:
            raise TypeError(
                f"{name} must be a real number or a 0-d array, received {type(x).__name__}"
            ) from exc
        if x.ndim != 0:
            raise ValueError(
                f"{name} must be a scalar (a Python float or a 0-d array), received shape {tuple(x.shape)}"
            )
        value = float(_validation.as_float(x, xp=xp, name=name))
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, received {value}")
    return value


def loss_gap(loss: Any, optimum: Any, /) -> LossGap:
    r"""Gap between a measured loss and the closed-form optimal loss.

    .. math::

        \Delta = \mathcal L_{\text{measured}} - \mathcal L^\star, \qquad
        \Delta_{\text{rel}} = \frac{\Delta}{\max(\lvert\mathcal L^\star\rvert,\ \text{tiny})},

    with :math:`\text{tiny} = 2.2\cdot10^{-308}`, the smallest positive normal double.

    Parameters
    ----------
    loss : float or 0-d array
        The loss measured on a trained or optimised representation: a Python (or NumPy) real
        number, or a 0-d array of any array-API backend.
    optimum : float or 0-d array
        The closed-form optimal (minimal) loss; when both are arrays they must come from the same
        library.

    Returns
    -------
    LossGap
        ``absolute`` (:math:`\Delta`) and ``relative`` (:math:`\Delta_{\text{rel}}`) as Python
        floats, computed in double precision whatever the input dtypes.

    Raises
    ------
    TypeError
        If an argument is not a real number or an array (bools and complex values included), or
        the two arrays come from different libraries.
    ValueError
        If an array argument is not 0-d, or a value is not finite.

    Notes
    -----
    *Sign*: closed-form optima are lower bounds on the loss over the feasible set, so
    ``absolute >= 0`` up to rounding (of the order of a few ``eps·|optimum|`` plus the rounding
    of the loss evaluation itself). A gap that is negative beyond rounding means the "optimum"
    is not optimal: the closed form is wrong, its assumptions are violated, or the two losses
    are not the same objective (conventions, normalisation).

    *Denominator*: ``|optimum|`` keeps ``relative`` meaningful for the usual optima; the floor
    only avoids a division by zero. When the optimum is 0 (or tiny) the relative gap is huge and
    meaningless: read ``absolute`` then.

    Examples
    --------
    >>> from ssltheory.compare import loss_gap
    >>> gap = loss_gap(-3.9, -4.0)
    >>> print(round(gap.absolute, 6), round(gap.relative, 6))
    0.1 0.025
    """
    value = _loss_scalar(loss, name="loss")
    best = _loss_scalar(optimum, name="optimum")
    arrays = [x for x in (loss, optimum) if not isinstance(x, numbers.Number)]
    if len(arrays) == 2:
        _backend.get_namespace(*arrays)  # mixed libraries -> TypeError naming them
    absolute = value - best
    return LossGap(absolute=absolute, relative=absolute / max(abs(best), _TINY))

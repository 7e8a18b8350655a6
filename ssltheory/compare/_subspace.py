"""Subspace comparisons: principal angles, subspace distance, orthogonal Procrustes.

Each function compares a theoretical optimum with a measured representation up to exactly what
the theory leaves free: the column space (principal angles, subspace distance) or a right
orthogonal transform (Procrustes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation

__all__ = ["ProcrustesResult", "principal_angles", "procrustes", "subspace_distance"]


# ----------------------------------------------------------------------------- shared helpers
def _check_pair(a: Any, b: Any, *, xp: ModuleType, names: tuple[str, str] = ("a", "b")) -> tuple[Any, Any]:
    """Validate two 2-D, finite arrays with the same number of rows; cast to a common float dtype.

    Integer and boolean inputs become float64; two floating dtypes are promoted together
    (float32 with float64 gives float64).
    """
    a = _validation.check_array(a, xp=xp, name=names[0], ndim=2)
    b = _validation.check_array(b, xp=xp, name=names[1], ndim=2)
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same number of rows (n_samples), received "
            f"{names[0]}.shape={tuple(a.shape)} and {names[1]}.shape={tuple(b.shape)}"
        )
    dtype = xp.result_type(a.dtype, b.dtype)
    return xp.astype(a, dtype, copy=False), xp.astype(b, dtype, copy=False)


def _frobenius(x: Any, *, xp: ModuleType) -> float:
    """``‖x‖_F`` as a Python float, scaled by ``max|x|`` first so that it cannot overflow."""
    if math.prod(x.shape) == 0:
        return 0.0
    scale = float(xp.max(xp.abs(x)))
    if scale == 0.0:
        return 0.0
    return scale * float(xp.linalg.vector_norm(x / scale))


def _center(x: Any, *, xp: ModuleType, name: str, required: bool) -> Any:
    """Subtract the column means; with ``required``, reject an input that is constant.

    An input counts as constant when what centring leaves is at the rounding level of the mean,
    ``max|x - mean| <= n·eps·max|x|`` (the worst-case error of a computed mean), so constant
    columns such as ``0.1`` (whose mean is inexact) are caught too.
    """
    xc = x - xp.mean(x, axis=0, keepdims=True)
    if required:
        empty = math.prod(x.shape) == 0
        scale = 0.0 if empty else float(xp.max(xp.abs(x)))
        left = 0.0 if empty else float(xp.max(xp.abs(xc)))
        tol = x.shape[0] * _validation.eps(x.dtype, xp=xp) * scale
        if scale == 0.0 or left <= tol:
            raise ValueError(
                f"{name} has zero variance: every column is constant (within rounding, "
                f"max|{name} - mean| = {left:.3g} <= {tol:.3g}), so the comparison is undefined"
            )
    return xc


def _bases(a: Any, b: Any, *, xp: ModuleType) -> tuple[Any, Any]:
    """Orthonormal bases (rank-revealing SVD) of the column spaces of validated ``a``, ``b``."""
    qa = _linalg.orthonormal_basis(a, xp=xp) if a.shape[1] else a
    qb = _linalg.orthonormal_basis(b, xp=xp) if b.shape[1] else b
    return qa, qb


def _angles(qa: Any, qb: Any, *, xp: ModuleType) -> Any:
    """Principal angles (ascending) between the spans of orthonormal ``qa`` and ``qb``."""
    if qa.shape[1] == 0 or qb.shape[1] == 0:
        return xp.zeros((0,), dtype=qa.dtype, device=_backend.device(qa))
    if qa.shape[1] < qb.shape[1]:  # the angles are symmetric: let qb span the smaller space
        qa, qb = qb, qa
    m = qa.mT @ qb  # (ra, rb), rb <= ra
    cosines = xp.linalg.svdvals(m)  # descending cosines = ascending angles
    # (I - Qa Qaᵀ) Qb: its singular values are the sines, accurate even for tiny angles
    sines = xp.flip(xp.linalg.svdvals(qb - qa @ m), axis=0)  # ascending sines = ascending angles
    small = cosines**2 >= 0.5  # angle <= π/4: arcsin is well conditioned there, arccos is not
    theta = xp.where(
        small,
        xp.asin(xp.clip(sines, min=0.0, max=1.0)),
        xp.acos(xp.clip(cosines, min=0.0, max=1.0)),
    )
    return xp.sort(theta)


# ----------------------------------------------------------------------------- public functions
def principal_angles(a: Any, b: Any, /) -> Any:
    r"""Principal angles between the column spaces of ``a`` and ``b``, in radians, ascending.

    With orthonormal bases :math:`Q_a` (:math:`n\times r_a`) and :math:`Q_b`
    (:math:`n\times r_b`) of the column spaces, :math:`r=\min(r_a, r_b)`,

    .. math::

        \cos\theta_i = \sigma_i\!\left(Q_a^\top Q_b\right),\qquad
        \sin\theta_i = \sigma_{r+1-i}\!\left(Q_b - Q_a Q_a^\top Q_b\right)
        \quad (r_b \le r_a),\qquad 0\le\theta_1\le\dots\le\theta_r\le\tfrac{\pi}{2}.

    Parameters
    ----------
    a : array, shape (n_samples, k1)
        First set of vectors (e.g. a closed-form optimal embedding), any array-API backend.
    b : array, shape (n_samples, k2)
        Second set of vectors (e.g. a trained representation), same library and device.

    Returns
    -------
    angles : array, shape (min(rank a, rank b),)
        Principal angles in :math:`[0, \pi/2]`, ascending, on the inputs' backend and device,
        in their common floating dtype (integers give float64). Empty when either input has
        numerical rank 0.

    Raises
    ------
    TypeError
        If ``a`` and ``b`` come from different array libraries, or have a non-real dtype.
    ValueError
        If an input is not 2-D, is not finite, or the numbers of rows differ.

    See Also
    --------
    subspace_distance : sine of the largest principal angle.
    scipy.linalg.subspace_angles : the NumPy-only equivalent (angles descending).

    Notes
    -----
    *Invariances*: the angles depend only on the two column spaces, so they are unchanged by
    ``a -> a @ T`` and ``b -> b @ S`` for any invertible ``T``, ``S`` (rescaling, mixing and
    reordering features) and are symmetric in ``(a, b)``. They are not invariant to
    translation: centre the columns first if the theory leaves the mean free.

    *Numerical rank*: bases come from a rank-revealing SVD
    (:func:`ssltheory._linalg.orthonormal_basis`); singular values
    ``<= max(shape)·eps·σ_max`` are dropped, so a rank-deficient input contributes only its
    numerical rank. When the ranks differ, the :math:`r` angles measure how far the smaller
    space is from lying inside the larger one.

    *Accuracy*: this is the cosine/sine combination of Knyazev & Argentati (2002), also used by
    :func:`scipy.linalg.subspace_angles`: ``arcsin`` of the sines for angles up to
    :math:`\pi/4` and ``arccos`` of the cosines above, so an angle of ``1e-9`` is resolved
    to a relative accuracy of about :math:`n\,\varepsilon/\theta` instead of collapsing to 0
    (``arccos`` of a cosine that rounds to 1). Unlike SciPy (1.17), each sine is paired with its
    own cosine: SciPy indexes its ``arcsin``/``arccos`` choice in opposite orders, so a small
    angle next to one above :math:`\pi/4` comes back as 0 there.

    *Cost*: two thin SVDs of the inputs, :math:`O(n(k_1^2+k_2^2))`, and two small SVDs,
    :math:`O(n\,k_1 k_2)`; memory :math:`O(n(k_1+k_2))`.

    References
    ----------
    A. V. Knyazev and M. E. Argentati, "Principal angles between subspaces in an A-based
    scalar product: algorithms and perturbation estimates", SIAM J. Sci. Comput. 23(6), 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.compare import principal_angles
    >>> a = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> t = 1e-9
    >>> b = np.array([[1.0, 0.0], [0.0, np.cos(t)], [0.0, np.sin(t)]])
    >>> [float(f"{x:.6g}") for x in principal_angles(a, b)]
    [0.0, 1e-09]
    """
    xp = _backend.get_namespace(a, b)
    a, b = _check_pair(a, b, xp=xp)
    return _angles(*_bases(a, b, xp=xp), xp=xp)


def subspace_distance(a: Any, b: Any, /) -> float:
    r"""Sine of the largest principal angle between the column spaces of ``a`` and ``b``.

    .. math::

        d(a, b) = \sin\theta_{\max} = \max_i \sin\theta_i \in [0, 1],
        \qquad d(a, b) = \lVert P_a - P_b\rVert_2 \ \text{ when } \operatorname{rank} a =
        \operatorname{rank} b,

    where :math:`P_a` and :math:`P_b` are the orthogonal projectors onto the column spaces.

    Parameters
    ----------
    a : array, shape (n_samples, k1)
        First set of vectors, any array-API backend.
    b : array, shape (n_samples, k2)
        Second set of vectors, same library and device.

    Returns
    -------
    distance : float
        A Python float in :math:`[0, 1]` (0: same space; 1: some direction of one space is
        orthogonal to the other).

    Raises
    ------
    TypeError
        If ``a`` and ``b`` come from different array libraries, or have a non-real dtype.
    ValueError
        If an input is not 2-D, is not finite, the numbers of rows differ, or an input has
        numerical rank 0 (no principal angles; a collapsed representation is never reported as
        close to anything).

    See Also
    --------
    principal_angles : all the angles.

    Notes
    -----
    *Invariances*: as :func:`principal_angles`, invariant to ``a -> a @ T`` and ``b -> b @ S``
    for invertible ``T``, ``S``, and symmetric in ``(a, b)``.

    *Equal ranks*: :math:`\lVert P_a - P_b\rVert_2 = \sin\theta_{\max}`, the usual metric on the
    Grassmannian (Golub & Van Loan, §2.5.3), computed here without forming the
    :math:`n\times n` projectors.

    *Different ranks*: :math:`\lVert P_a - P_b\rVert_2 = 1`, whereas this function returns the
    sine of the largest of the :math:`\min(r_a, r_b)` angles, i.e. how far the smaller space is
    from being contained in the larger one (0 when it is contained). To detect a dimensional
    collapse, compare the ranks, e.g. ``principal_angles(a, b).shape[0]`` with the expected
    number of components.

    *Cost*: as :func:`principal_angles`, :math:`O(n(k_1+k_2)^2)`.

    References
    ----------
    G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., §2.5.3 and §6.4.3, 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.compare import subspace_distance
    >>> a = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> b = np.array([[2.0, 1.0], [0.0, 1.0], [0.0, 1.0]])  # spans e1 and (e2 + e3)/√2
    >>> print(round(subspace_distance(a, b), 6))
    0.707107
    """
    xp = _backend.get_namespace(a, b)
    a, b = _check_pair(a, b, xp=xp)
    qa, qb = _bases(a, b, xp=xp)
    for name, q in (("a", qa), ("b", qb)):
        if q.shape[1] == 0:
            raise ValueError(
                f"{name} has numerical rank 0 (all columns are zero within rounding): there are no "
                "principal angles, so the subspace distance is undefined"
            )
    theta = _angles(qa, qb, xp=xp)
    return min(1.0, max(0.0, math.sin(float(theta[-1]))))


@dataclass(frozen=True)
class ProcrustesResult:
    """Result of :func:`procrustes`.

    Attributes
    ----------
    rotation : array, shape (k, k)
        The orthogonal matrix :math:`R` (a rotation or a reflection, :math:`R^\\top R = I`) on
        the inputs' backend and device.
    residual : float
        :math:`\\lVert aR - b\\rVert_F` (of the centred data with ``center=True``).
    relative_residual : float
        ``residual / ‖b‖_F`` (``b`` centred with ``center=True``).
    """

    rotation: Any
    residual: float
    relative_residual: float


def procrustes(a: Any, b: Any, /, *, center: bool = False) -> ProcrustesResult:
    r"""Orthogonal Procrustes: the orthogonal :math:`R` that best maps ``a`` onto ``b``.

    .. math::

        R^\star = \operatorname*{arg\,min}_{R^\top R = I_k} \lVert aR - b\rVert_F = UV^\top,
        \qquad a^\top b = U\Sigma V^\top,

    and with ``center=True`` the same for the column-centred :math:`a - \mathbf 1\bar a^\top`,
    :math:`b - \mathbf 1\bar b^\top`, which solves
    :math:`\min_{R,\,t}\lVert aR + \mathbf 1t^\top - b\rVert_F` (optimal
    :math:`t = \bar b - R^\top\bar a`).

    Parameters
    ----------
    a : array, shape (n_samples, k)
        The representation to align (e.g. a trained network's output).
    b : array, shape (n_samples, k)
        The reference (e.g. the closed-form optimum), same shape, library and device.
    center : bool, default False
        Centre both inputs' columns first (translation invariance).

    Returns
    -------
    ProcrustesResult
        ``rotation`` (array, shape (k, k), the inputs' backend, device and common floating
        dtype), ``residual`` :math:`\lVert aR^\star - b\rVert_F` and ``relative_residual``
        ``residual / ‖b‖_F`` (Python floats).

    Raises
    ------
    TypeError
        If ``a`` and ``b`` come from different array libraries, have a non-real dtype, or
        ``center`` is not a bool.
    ValueError
        If an input is not 2-D or not finite, the shapes differ, or ``b`` is zero (constant
        with ``center=True``), which leaves the relative residual undefined.

    See Also
    --------
    scipy.linalg.orthogonal_procrustes : the NumPy-only equivalent.
    gram_distance : the same comparison without solving for :math:`R`.

    Notes
    -----
    *Invariances*: the residual is invariant to ``a -> a @ Q`` for any orthogonal ``Q`` (the
    theory's rotational freedom) and, with ``center=True``, to translations of either input. It
    is not invariant to scaling. :math:`R^\star` ranges over the whole orthogonal group
    (reflections included); it is unique iff :math:`a^\top b` has full rank, otherwise one
    minimiser is returned (the residual is always unique).

    *Cost*: :math:`O(nk^2)` for :math:`a^\top b` and the residual, :math:`O(k^3)` for the SVD.
    The residual is computed from :math:`aR^\star - b` directly, not from
    :math:`\lVert a\rVert^2 + \lVert b\rVert^2 - 2\sum\sigma_i`, which would cancel when the
    fit is good.

    References
    ----------
    P. H. Schönemann, "A generalized solution of the orthogonal Procrustes problem",
    Psychometrika 31, 1966.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.compare import procrustes
    >>> b = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    >>> rot = np.array([[0.0, -1.0], [1.0, 0.0]])
    >>> out = procrustes(b @ rot.T, b)  # undo a 90° rotation
    >>> print(np.round(out.rotation, 6) + 0.0)
    [[ 0. -1.]
     [ 1.  0.]]
    >>> print(round(out.relative_residual, 6))
    0.0
    """
    xp = _backend.get_namespace(a, b)
    if not isinstance(center, bool):
        raise TypeError(f"center must be a bool, received {type(center).__name__} {center!r}")
    a, b = _check_pair(a, b, xp=xp)
    _validation.check_same_shape(a, b, names=("a", "b"))
    if center:
        a = _center(a, xp=xp, name="a", required=False)
        b = _center(b, xp=xp, name="b", required=True)
    b_norm = _frobenius(b, xp=xp)
    if b_norm == 0.0:
        raise ValueError("b (the reference) is zero, so the relative residual is undefined")
    # R depends on aᵀb only up to a positive factor: scale both by their largest entries first
    # so that the product cannot overflow
    a_max = float(xp.max(xp.abs(a))) if math.prod(a.shape) else 0.0
    cross = (a / (a_max if a_max > 0.0 else 1.0)).mT @ (b / float(xp.max(xp.abs(b))))
    u, _, vt = xp.linalg.svd(cross, full_matrices=False)
    rotation = u @ vt
    residual = _frobenius(a @ rotation - b, xp=xp)
    return ProcrustesResult(rotation=rotation, residual=residual, relative_residual=residual / b_norm)

"""SimCLR / InfoNCE in graph form (spec/spectral.md §2.3, D6; loss_conventions.md)."""

from __future__ import annotations

from typing import Any

from ssltheory import _backend, _validation
from ssltheory.losses._base import Loss, LossValue, check_convention, pair_indices, prepare

__all__ = ["SimCLRLoss", "simclr_loss"]

_NORM_FLOOR = 1e-12  # rows are divided by max(||z_i||, 1e-12) (spec D6, as F.normalize)
_DEFAULT_TEMPERATURE = {"paper": 0.5, "solo_learn": 0.1, "lightly": 0.5}
_SIMCLR_CONVENTIONS = ("paper", "solo_learn", "lightly")


class SimCLRLoss(Loss):
    r"""SimCLR (InfoNCE / NT-Xent) on a relation graph, with its exact gradient.

    With unit rows :math:`u_i=z_i/\max(\lVert z_i\rVert,10^{-12})` and :math:`S=UU^\top/\tau`,
    ``convention="paper"`` (default) is

    .. math::

        \hat G_{ij}=\frac{e^{S_{ij}}}{\sum_{k\ne i}e^{S_{ik}}}\,1\{i\ne j\},\qquad
        \mathcal L=-\sum_{i,j}G_{ij}\log\hat G_{ij}
        =\sum_{i,j}G_{ij}\Big(\log\sum_{k\ne i}e^{S_{ik}}-S_{ij}\Big),

    divided by :math:`\sum_{ij}G_{ij}` with ``reduction="mean"``. ``"solo_learn"``
    (``simclr_loss_func``, multi-positive, 0/1 graph, every row with a positive):
    :math:`-\frac1N\sum_i\log\frac{\sum_jG_{ij}e^{S_{ij}}}{\sum_{k\ne i}e^{S_{ik}}}`,
    :math:`\tau=0.1`. ``"lightly"`` (``NTXentLoss``, two-view pairing graph): the :math:`2B`-way
    cross-entropy excluding self-similarities, averaged over the :math:`2B` rows, :math:`\tau=0.5`;
    on a pairing graph it equals the paper's loss with ``reduction="mean"``.

    Parameters
    ----------
    temperature : float, optional
        :math:`\tau>0`; default 0.5 (``"paper"``, ``"lightly"``) or 0.1 (``"solo_learn"``).
    reduction : {"sum", "mean"}, optional
        Paper convention: ``"sum"`` (default, the listing) or ``"mean"``. The library conventions
        average over rows and accept only ``"mean"`` (or ``None``).
    convention : {"paper", "solo_learn", "lightly"}

    Raises
    ------
    ValueError
        Non-zero diagonal of ``graph`` (self-pairs, spec D2), fewer than 2 rows, a graph the
        convention does not accept, bad hyper-parameters.

    Notes
    -----
    Spec §2.3 and D6. Cost :math:`O(N^2K)`. Gradient: with :math:`A=\partial\mathcal L/\partial S`
    (paper: :math:`A=\mathrm{diag}(G\mathbf 1)P-G`, :math:`P` the off-diagonal softmax of :math:`S`),
    :math:`\partial\mathcal L/\partial U=(A+A^\top)U/\tau` and, through the normalisation,
    :math:`\nabla_{z_i}=(I-u_iu_i^\top)\,\partial\mathcal L/\partial u_i/\lVert z_i\rVert`
    (:math:`/10^{-12}` without the projection below the floor). Invariant to positive row scalings
    and rotations :math:`ZR`, not to translations (spec §3).

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> G = augmentation_graph(3, 2)
    >>> Z = np.random.default_rng(0).standard_normal((6, 2))
    >>> out = SimCLRLoss(temperature=0.5).value_and_grad(Z, G)
    >>> out.grad.shape
    (6, 2)
    """

    _diagonal = "reject"

    def __init__(
        self, *, temperature: float | None = None, reduction: str | None = None, convention: str = "paper"
    ) -> None:
        self.convention = check_convention(convention, _SIMCLR_CONVENTIONS)
        if temperature is None:
            temperature = _DEFAULT_TEMPERATURE[convention]
        self.temperature = _validation.check_positive(temperature, name="temperature")
        if convention == "paper":
            reduction = "sum" if reduction is None else reduction
            if reduction not in ("sum", "mean"):
                raise ValueError(f"reduction must be 'sum' or 'mean', received {reduction!r}")
        else:
            reduction = "mean" if reduction is None else reduction
            if reduction != "mean":
                raise ValueError(
                    f"convention={convention!r} averages over rows: reduction must be 'mean' or None, "
                    f"received {reduction!r}"
                )
        self.reduction = reduction

    def value_and_grad(self, embedding: Any, graph: Any, /) -> LossValue:
        xp, z, g = prepare(embedding, graph, diagonal="reject")
        n = z.shape[0]
        dev = _backend.device(z)
        if self.convention == "lightly":
            pair_indices(g, xp=xp)  # validates the two-view pairing
        elif self.convention == "solo_learn":
            if not bool(xp.all((g == 0) | (g == 1))):
                raise ValueError(
                    "graph must have 0/1 entries for convention='solo_learn' (positives are samples "
                    "with the same index); use convention='paper' for weighted graphs"
                )
            if not bool(xp.all(xp.sum(g, axis=1) > 0)):
                raise ValueError(
                    "graph must give every row at least one positive for convention='solo_learn' "
                    "(log of an empty positive sum)"
                )
        norms = xp.sqrt(xp.sum(z * z, axis=1))
        denom = xp.clip(norms, min=_NORM_FLOOR)
        u = z / denom[:, None]
        tau = self.temperature
        s = (u @ u.mT) / tau
        eye = xp.eye(n, dtype=z.dtype, device=dev) != 0
        neg_inf = xp.asarray(-float("inf"), dtype=z.dtype, device=dev)
        s_off = xp.where(eye, neg_inf, s)
        smax = xp.max(s_off, axis=1, keepdims=True)
        e = xp.exp(s_off - smax)  # zero on the diagonal
        tot = xp.sum(e, axis=1, keepdims=True)
        lse = xp.log(tot) + smax  # (N, 1): log sum_{k != i} exp(S_ik)
        p = e / tot
        s_safe = xp.where(eye, xp.zeros_like(s), s)
        if self.convention == "solo_learn":
            ge = g * e
            pos = xp.sum(ge, axis=1, keepdims=True)
            value = -xp.sum(xp.log(pos) + smax - lse) / n
            a = (p - ge / pos) / n
        else:
            deg = xp.sum(g, axis=1, keepdims=True)
            value = xp.sum(g * (lse - s_safe))
            a = deg * p - g
            if self.reduction == "mean" or self.convention == "lightly":
                total = xp.sum(g)
                value = value / total
                a = a / total
        gu = ((a + a.mT) @ u) / tau
        radial = xp.sum(gu * u, axis=1, keepdims=True)
        above = (norms > _NORM_FLOOR)[:, None]
        grad = xp.where(above, gu - u * radial, gu) / denom[:, None]
        return LossValue(value, grad)


def simclr_loss(embedding: Any, graph: Any, /, **params: Any) -> Any:
    r"""SimCLR loss value; keyword arguments as :class:`SimCLRLoss`.

    .. math::

        \mathcal L=-\sum_{i,j}G_{ij}\log\hat G(Z)_{ij}

    Parameters
    ----------
    embedding : array, shape (n_samples, n_components)
        :math:`Z`; integer input is promoted to float64.
    graph : array, shape (n_samples, n_samples)
        Relation graph :math:`G` (spec D2).
    **params
        temperature, reduction, convention (see :class:`SimCLRLoss`).

    Returns
    -------
    array
        0-d array of the embedding's namespace, device and dtype.

    Raises
    ------
    ValueError, TypeError
        As :class:`SimCLRLoss`.

    Notes
    -----
    Same as ``SimCLRLoss(**params)(embedding, graph)``; the exact gradient comes from
    :meth:`SimCLRLoss.value_and_grad`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> Z = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])  # views agree, classes orthogonal
    >>> v = simclr_loss(Z, augmentation_graph(2, 2), temperature=1.0)
    >>> print(round(float(v), 6), round(4 * np.log(1 + 2 * np.exp(-1.0)), 6))
    2.205779 2.205779
    """
    return SimCLRLoss(**params)(embedding, graph)

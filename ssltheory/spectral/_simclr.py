"""SimCLR closed form on a balanced equivalence-class graph (spec/spectral.md §4.4)."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation
from ssltheory.spectral._results import SpectralSolution

__all__ = ["simclr_embedding"]


def _class_structure(graph: Any, *, xp: ModuleType) -> tuple[int, int]:
    """``(C, n)`` when ``Ḡ = G + I`` is a union of ``C`` equal-size 0/1 cliques of size ``n``.

    Raises ``ValueError`` naming the violated condition otherwise.
    """
    n_nodes = graph.shape[0]
    binary = bool(xp.all((graph == 0) | (graph == 1)))
    if not binary:
        raise ValueError(
            "graph must have 0/1 entries for simclr_embedding (the closed form holds for balanced "
            "equivalence-class graphs: label or augmentation graphs)"
        )
    gbar = graph + xp.eye(n_nodes, dtype=graph.dtype, device=_backend.device(graph))
    sizes = xp.sum(gbar, axis=1)
    n = int(sizes[0])
    if not bool(xp.all(sizes == n)):
        raise ValueError(
            "graph must be a union of equal-size cliques for simclr_embedding: the rows of G + I "
            f"have different sums (min {int(xp.min(sizes))}, max {int(xp.max(sizes))}), i.e. "
            "unbalanced classes or a graph that is not a clique union"
        )
    # Ḡ is an equivalence relation iff Ḡ² = n Ḡ (exact: small integers in floating point)
    if not bool(xp.all(gbar @ gbar == n * gbar)):
        raise ValueError(
            "graph must be a union of disjoint cliques (G + I an equivalence relation) for "
            "simclr_embedding; related samples are not all related to each other"
        )
    if n < 2:
        raise ValueError("graph must have classes of size n >= 2 for simclr_embedding, received n = 1")
    n_classes = n_nodes // n
    if n_classes < 2:
        raise ValueError(
            "graph must have C >= 2 classes for simclr_embedding, received a single clique (C = 1)"
        )
    return n_classes, n


def _optimal_loss(n_samples: int, n_classes: int, temperature: float) -> float:
    r"""Optimal SimCLR loss of a balanced ``C``-class graph, ``K >= C - 1`` (spec §4.4a)."""
    n = n_samples // n_classes
    decay = math.exp(-n_classes / ((n_classes - 1) * temperature))
    return n_samples * (n - 1) * math.log((n - 1) + (n_samples - n) * decay)


def simclr_embedding(graph: Any, /, *, n_components: int, temperature: float = 0.5) -> SpectralSolution:
    r"""Optimal SimCLR embedding of a balanced equivalence-class graph: the regular simplex.

    For :math:`G` made of :math:`C\ge2` disjoint 0/1 cliques of size :math:`n\ge2` (a label
    graph with balanced classes, or an augmentation graph with :math:`C=N'`, :math:`n=V`) and
    :math:`K\ge C-1`, every minimiser of
    :math:`\mathcal L_{\rm SimCLR}(Z)=-\sum_{ij}G_{ij}\log\hat G(Z)_{ij}` has row-normalised
    embedding :math:`\tilde U` with within-class cosine 1 and between-class cosine
    :math:`-1/(C-1)`:

    .. math::

        \tilde U^*\tilde U^{*\top} = \tfrac{C}{C-1}H\bar GH,\qquad
        \tilde U^* = \sqrt{\tfrac{N}{C-1}}\,E_{C-1},\qquad
        \mathcal L^* = N(n-1)\log\big(n-1+(N-n)e^{-C/((C-1)\tau)}\big),

    with :math:`\bar G=G+I`, :math:`H=I-\mathbf 1\mathbf 1^\top/N` and :math:`E_{C-1}` the top
    :math:`C-1` eigenvectors of :math:`H\bar GH` (eigenvalue :math:`n`), padded with
    :math:`K-C+1` zero columns.

    Parameters
    ----------
    graph : array, shape (n_samples, n_samples)
        Symmetric 0/1 graph with zero diagonal whose components are equal-size cliques.
        A SciPy/``cupyx`` sparse matrix is densified.
    n_components : int
        :math:`K`, at least :math:`C-1`.
    temperature : float, default 0.5
        :math:`\tau>0`; changes only the optimal value, not the minimiser.

    Returns
    -------
    SpectralSolution
        ``embedding`` :math:`\tilde U^*` (unit rows, rank :math:`C-1`), ``eigenvalues`` the top
        :math:`K` eigenvalues of :math:`H\bar GH` (:math:`n` repeated :math:`C-1` times, then 0),
        ``scales`` the squared column norms (:math:`N/(C-1)`, then 0), ``rank`` :math:`C-1`,
        ``loss`` :math:`\mathcal L^*` (``reduction="sum"``), ``tied`` False.

    Raises
    ------
    ValueError
        If ``graph`` is not a valid graph (D2; a non-zero diagonal is rejected), not 0/1, not a
        union of equal-size cliques, has ``C < 2`` classes or classes of size 1, or if
        ``n_components < C - 1`` (no closed form: the class directions then solve a spherical
        energy problem, spec §4.4b).
    TypeError
        If ``graph`` is not an array, or ``n_components``/``temperature`` have the wrong type.

    See Also
    --------
    spectral_contrastive_embedding : the Eckart–Young surrogate of SimCLR (spec §4.5).

    Notes
    -----
    spec/spectral.md §4.4(a) [derived], §5 items 11 and 17; proofs_checks/test_simclr_simplex_value.py
    checks :math:`\mathcal L^*` symbolically. Unique: the Gram matrix
    :math:`\tilde U^*\tilde U^{*\top}` and the loss; free: a rotation :math:`R` and positive
    row scalings (the returned representative has :math:`R=I`, unit rows). MDS reading:
    :math:`\tilde U^*\tilde U^{*\top}=-\tfrac12H\Delta^{(2)}_*H` with
    :math:`\Delta^{(2)}_*=\tfrac{2C}{C-1}(\mathbf 1\mathbf 1^\top-\bar G)`. Cost: one dense
    symmetric eigendecomposition, :math:`O(N^3)` (only :math:`C-1` pairs where SciPy is used).

    References
    ----------
    R. Balestriero, Y. LeCun, *Contrastive and Non-Contrastive Self-Supervised Learning Recover
    Global and Local Spectral Embedding Methods*, NeurIPS 2022, arXiv:2205.11508.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> from ssltheory.spectral import simclr_embedding
    >>> sol = simclr_embedding(augmentation_graph(3, 2), n_components=4)
    >>> sol.rank
    2
    >>> print(np.round(sol.embedding @ sol.embedding.T, 6)[0] + 0.0)
    [ 1.  -0.5 -0.5  1.  -0.5 -0.5]
    """
    xp = _backend.get_namespace(graph)
    graph = _validation.check_graph(graph, xp=xp, diagonal="reject")
    graph = _backend.to_dense(graph, xp=xp)
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    tau = _validation.check_positive(temperature, name="temperature")
    n_classes, _ = _class_structure(graph, xp=xp)
    if k < n_classes - 1:
        raise ValueError(
            f"n_components must be >= C - 1 = {n_classes - 1} for the SimCLR closed form (C = "
            f"{n_classes} classes), received {k}; for K < C - 1 the class directions solve a "
            "spherical energy problem without closed form (spec/spectral.md §4.4b)"
        )
    n_nodes = graph.shape[0]
    dev = _backend.device(graph)
    gbar = graph + xp.eye(n_nodes, dtype=graph.dtype, device=dev)
    # H Ḡ H without forming H: subtract row and column means
    centred = gbar - xp.mean(gbar, axis=0, keepdims=True)
    centred = centred - xp.mean(centred, axis=1, keepdims=True)
    # eigenvalue n has multiplicity exactly C - 1 and the rest are 0: no tie can straddle C - 1
    w, e = _linalg.top_k(centred, n_classes - 1, xp=xp)
    u = math.sqrt(n_nodes / (n_classes - 1)) * e
    # unit rows exactly (D11): divides away rounding only, the rows have norm 1 in exact arithmetic
    u = u / xp.linalg.vector_norm(u, axis=1, keepdims=True)
    u = _linalg.sign_normalize(u, xp=xp)
    pad = k - (n_classes - 1)
    zeros_col = xp.zeros((n_nodes, pad), dtype=graph.dtype, device=dev)
    embedding = xp.concat([u, zeros_col], axis=1)
    zeros = xp.zeros((pad,), dtype=graph.dtype, device=dev)
    eigenvalues = xp.concat([w, zeros])
    scales = xp.concat(
        [xp.full((n_classes - 1,), n_nodes / (n_classes - 1), dtype=graph.dtype, device=dev), zeros]
    )
    return SpectralSolution(
        embedding=embedding,
        eigenvalues=eigenvalues,
        scales=scales,
        rank=n_classes - 1,
        loss=_optimal_loss(n_nodes, n_classes, tau),
        tied=False,
    )

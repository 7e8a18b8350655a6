r"""Theory versus a trained (or any) embedding: ``compare_to_theory`` and its report.

Three model classes: ``"free"`` (the optimum over all embeddings :math:`Z`), ``"linear"``
(:math:`Z = XW + \mathbf 1b^\top` on given features, solved from streamed :math:`D\times D`
statistics, so no :math:`N\times N` matrix is formed) and ``"kernel"`` (the minimum-RKHS-norm map
of a kernel, exact or Nyström).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation
from ssltheory._warnings import DegenerateSpectrumWarning
from ssltheory.compare._alignment import LossGap, loss_gap

__all__ = ["KERNELS", "METHODS", "MODELS", "TheoryGap", "compare_to_theory"]

#: methods understood by :func:`compare_to_theory`, with the weight keywords each accepts
METHODS: dict[str, tuple[str, ...]] = {
    "vicreg": (
        "variance_weight",
        "covariance_weight",
        "invariance_weight",
        "variance_penalty",
        "variance_floor",
        "variance_eps",
        "ddof",
    ),
    "wmse": ("ddof",),
    "simclr": ("temperature",),
    "spectral_contrastive": ("weighting",),
    "barlow_twins": ("redundancy_weight", "eps"),
}

#: model classes of :func:`compare_to_theory`, with the methods that have a closed form under each
MODELS: dict[str, tuple[str, ...]] = {
    "free": tuple(METHODS),
    "linear": ("vicreg", "wmse", "barlow_twins"),
    "kernel": ("vicreg", "wmse", "spectral_contrastive"),
}

#: kernels of ``model="kernel"`` (functions of :mod:`ssltheory.kernel`)
KERNELS: tuple[str, ...] = ("linear", "laplacian", "polynomial", "rbf")

# Graphs given as groups / n_views are materialised for the free and kernel solvers: as a SciPy
# sparse matrix on NumPy (up to this many stored entries), densely elsewhere (up to this many rows).
_SPARSE_NNZ_MAX = 50_000_000
_DENSE_MAX_ROWS = 20_000

_DESCRIPTION = {
    "free": "free embedding: optimum over all Z (N x K), the relation graph alone decides",
    "linear": "linear: Z = X W + 1 b^T on the given features X, optimum over W and b",
    "kernel": "kernel: Z = [f(x_i)], f(x) = C k_x, minimum-RKHS-norm optimum of the kernel",
}


@dataclass(frozen=True)
class TheoryGap:
    """How far an embedding is from the closed-form optimum of an SSL loss on the same graph.

    Attributes
    ----------
    method : str
        The loss (a key of :data:`METHODS`).
    loss : float
        The loss of the given embedding (``convention="paper"``, the weights given; for
        ``model="kernel"`` the kernel-regime objective, see :func:`compare_to_theory`).
    optimal_loss : float
        The closed-form optimal loss of the model class: a lower bound for every member.
    gap : LossGap
        ``loss - optimal_loss`` (absolute and relative; the relative gap is ``nan`` when the
        optimum is zero, where it has no meaning).
    subspace_distance : float
        Sine of the largest principal angle between the compared column spaces (see Notes).
    principal_angles : array
        All principal angles (radians, ascending), on the embedding's backend.
    predicted_rank, observed_rank : int
        Rank of the optimum and numerical rank of the embedding (eigenvalues of the compared
        second-moment matrix above ``rank_tol`` times the largest).
    predicted_spectrum, observed_spectrum : tuple of float
        Descending spectra of the compared second-moment matrices.
    below_optimum : bool
        True when ``loss`` is below the optimum by more than ``loss_rtol``: the embedding beats
        the "optimum", so the closed form, its assumptions, the model class or the weights are
        wrong.
    passed : bool
        Loss within ``loss_rtol`` of the optimum, subspace distance within ``subspace_tol`` and
        ranks equal.
    tied : bool
        The optimal subspace is not unique (an eigenvalue cluster straddles ``n_components``):
        the embedding's subspace is then checked for containment in the kept-plus-tied
        eigenspace instead of equality.
    tolerances : dict
        The tolerances used.
    model : str
        The model class compared with (a key of :data:`MODELS`).
    identifiable : tuple of str
        What the theory determines under this model class (and is therefore compared).
    free_parameters : tuple of str
        What the theory leaves free (and the comparison is invariant to).
    notes : tuple of str
        Remarks printed by :meth:`report` (zero optimum, containment check, tie-break).
    """

    method: str
    loss: float
    optimal_loss: float
    gap: LossGap
    subspace_distance: float
    principal_angles: Any
    predicted_rank: int
    observed_rank: int
    predicted_spectrum: tuple[float, ...]
    observed_spectrum: tuple[float, ...]
    below_optimum: bool
    passed: bool
    tied: bool = False
    tolerances: dict[str, float] = field(default_factory=dict)
    model: str = "free"
    identifiable: tuple[str, ...] = ()
    free_parameters: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def report(self) -> str:
        """A short human-readable report (what ``ssltheory compare`` prints)."""

        def spec(values: tuple[float, ...]) -> str:
            shown = ", ".join(f"{v:.4g}" for v in values[:8])
            return shown + (f", … ({len(values)} total)" if len(values) > 8 else "")

        relative = "nan" if math.isnan(self.gap.relative) else f"{self.gap.relative:.3e}"
        lines = [
            f"method            {self.method}",
            f"model             {self.model} ({_DESCRIPTION.get(self.model, self.model)})",
        ]
        if self.identifiable:
            lines.append(f"identifiable      {'; '.join(self.identifiable)}")
        if self.free_parameters:
            lines.append(f"free              {'; '.join(self.free_parameters)}")
        lines += [
            f"loss              {self.loss:.10g}",
            f"optimal loss      {self.optimal_loss:.10g}   (closed form: a lower bound for the model class)",
            f"gap               {self.gap.absolute:.3e} absolute, {relative} relative "
            f"(tolerance {self.tolerances.get('loss_rtol', float('nan')):.1e})",
            f"subspace distance {self.subspace_distance:.3e}   "
            f"(tolerance {self.tolerances.get('subspace_tol', float('nan')):.1e})",
            f"rank              predicted {self.predicted_rank}, observed {self.observed_rank}",
            f"spectrum          predicted [{spec(self.predicted_spectrum)}]",
            f"                  observed  [{spec(self.observed_spectrum)}]",
        ]
        lines += [f"note              {note}" for note in self.notes]
        if self.below_optimum:
            lines.append(
                "WARNING           the embedding is below the closed-form optimum: check the weights "
                "and the model class"
            )
        lines.append(f"result            {'PASS' if self.passed else 'FAIL'}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- small helpers
def _center(z: Any, *, xp: ModuleType) -> Any:
    return z - xp.mean(z, axis=0, keepdims=True)


def _row_normalize(z: Any, *, xp: ModuleType) -> Any:
    norms = xp.linalg.vector_norm(z, axis=1, keepdims=True)
    return z / xp.clip(norms, min=1e-12)


def _second_moment_spectrum(z: Any, *, xp: ModuleType, denom: float) -> Any:
    """Descending eigenvalues of ``zᵀz / denom`` (non-negative, clipped at 0)."""
    values = xp.linalg.eigvalsh(z.mT @ z / denom)
    return xp.clip(xp.flip(values, axis=0), min=0.0)


def _gram_spectrum(gram: Any, denom: float, *, xp: ModuleType) -> Any:
    """Descending eigenvalues of ``gram / denom`` (non-negative, clipped at 0)."""
    return xp.clip(xp.flip(xp.linalg.eigvalsh(gram / denom), axis=0), min=0.0)


def _numerical_rank(values: Any, *, xp: ModuleType, rank_tol: float) -> int:
    top = float(xp.max(values)) if values.shape[0] else 0.0
    if top <= 0.0:
        return 0
    return int(xp.sum(xp.astype(values > rank_tol * top, xp.int64)))


def _top_left_singular(a: Any, r: int, *, xp: ModuleType, gram: Any = None) -> Any:
    r"""Orthonormal basis of the top-``r`` left singular subspace of ``a`` (N × K, K small).

    From the K × K Gram (``gram = aᵀa`` when the caller has it): :math:`Y = AV_r\Lambda_r^{-1/2}`
    is orthonormal up to :math:`\epsilon\kappa^2`, and one more Gram pass (CholeskyQR2-style)
    makes it orthonormal to rounding; every step is a BLAS-3 pass over ``a`` (a Householder QR
    of N × K costs ~5x more). Ill-conditioned blocks (kept eigenvalues below ``1e-10`` of the
    largest) use a QR instead.
    """
    if gram is None:
        gram = _linalg.symmetrize(a.mT @ a, xp=xp)
    values, vectors = xp.linalg.eigh(gram)  # ascending; K × K, cheap
    k = values.shape[0]
    top, kept = vectors[:, k - r :], values[k - r :]
    low, high = float(kept[0]), float(kept[-1])
    if not (high > 0 and low > 1e-10 * high):
        q, _ = xp.linalg.qr(a @ top)
        return q
    return _reorthonormalize(a @ (top / xp.sqrt(kept)[None, :]), xp=xp)


def _reorthonormalize(y: Any, *, xp: ModuleType) -> Any:
    """A nearly orthonormal, well-conditioned ``y`` made orthonormal by one Gram pass (same span)."""
    w, v = xp.linalg.eigh(_linalg.symmetrize(y.mT @ y, xp=xp))
    if not float(w[0]) > 1e-10 * float(w[-1]):
        q, _ = xp.linalg.qr(y)
        return q
    return y @ (v / xp.sqrt(w)[None, :])


def _angles_between(qa: Any, qb: Any, *, xp: ModuleType) -> tuple[float, Any]:
    """Largest-angle sine and all principal angles (ascending) of orthonormal ``qa`` (N × r) and
    ``qb`` (N × s, s >= r): sines from the residual ``qa − qb qbᵀqa`` (accurate for small angles),
    cosines from ``qbᵀqa`` (accurate for large ones), combined by ``atan2``. Cost O(N r s)."""
    m = qb.mT @ qa
    resid = qa - qb @ m
    sines = xp.sqrt(
        xp.clip(xp.linalg.eigvalsh(_linalg.symmetrize(resid.mT @ resid, xp=xp)), min=0.0, max=1.0)
    )
    cosines = xp.clip(xp.linalg.svdvals(m)[: sines.shape[0]], min=0.0, max=1.0)  # descending
    angles = xp.atan2(sines, cosines)
    return (float(sines[-1]) if sines.shape[0] else 0.0), angles


def _compared(method: str, z: Any, *, xp: ModuleType, ddof: int, model: str = "free") -> tuple[Any, float]:
    """The matrix whose column space and second moment the theory predicts, and its normaliser.

    VICReg and W-MSE centre (translations are free): ``HZ`` with ``Cov = ZᵀHZ / (N − ddof)``.
    SimCLR sees only the row-normalised embedding. Spectral contrastive and BarlowTwins do not
    centre: ``Z`` itself with ``ZᵀZ / N``. The kernel-regime objectives constrain the uncentred
    second moment ``ZᵀZ / N``.
    """
    n = z.shape[0]
    if model == "kernel":
        return z, float(n)
    if method in ("vicreg", "wmse"):
        return _center(z, xp=xp), float(n - ddof)
    if method == "simclr":
        return _row_normalize(z, xp=xp), float(n)
    return z, float(n)


def _call_quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSpectrumWarning)
        return fn(*args, **kwargs)


# ----------------------------------------------------------------------------- the relation
@dataclass(frozen=True)
class _Relation:
    """The relation graph as given: an explicit graph, or clique labels (groups / n_views).

    ``labels``/``counts``/``weights`` describe a union of cliques (component id per row, sizes,
    edge weight per component) when the graph is one (detected in O(nnz)) or was given as labels.
    """

    n: int
    graph: Any
    labels: Any
    counts: Any
    weights: Any
    n_views: int | None

    @property
    def clique_union(self) -> bool:
        return self.labels is not None


def _relation(z: Any, graph: Any, groups: Any, n_views: Any, *, xp: ModuleType) -> _Relation:
    from ssltheory.spectral import _structured
    from ssltheory.spectral._statistics import _compact_labels

    n = z.shape[0]
    given = [
        name for name, v in (("graph", graph), ("groups", groups), ("n_views", n_views)) if v is not None
    ]
    if len(given) > 1:
        raise ValueError(
            f"give the relation graph once: one of graph, groups= or n_views=, received {' and '.join(given)}"
        )
    if not given:
        raise ValueError(
            "compare_to_theory needs the relation graph: pass graph (positional), groups= (one label "
            "per row: a union of cliques) or n_views= (V stacked views, row i and i + N/V are views "
            "of one sample)"
        )
    if graph is not None:
        g = _validation.check_graph(graph, xp=xp, diagonal="keep")
        if g.shape[0] != n:
            raise ValueError(
                f"graph must be (n_samples, n_samples) = ({n}, {n}) to match embedding, "
                f"received {tuple(g.shape)}"
            )
        s = _structured.detect_clique_union(g, xp=xp)
        if s is None:
            return _Relation(n, g, None, None, None, None)
        return _Relation(n, g, s.component, s.counts, s.weights, None)
    if n_views is not None:
        v = _validation.check_int(n_views, name="n_views", minimum=1)
        if v < 2 or n % v:
            raise ValueError(f"n_views must be >= 2 and divide n_samples={n}, received {n_views}")
        m = n // v
        dev = _backend.device(z)
        labels = xp.arange(n, device=dev) % m
        counts = xp.full((m,), v, dtype=labels.dtype, device=dev)
        return _Relation(n, None, labels, counts, xp.ones((m,), dtype=z.dtype, device=dev), v)
    if _backend.is_sparse(groups) or getattr(groups, "ndim", None) != 1:
        raise ValueError(
            f"groups must be a 1-D integer array of shape (n_samples,) = ({n},), received "
            f"{type(groups).__name__} of shape {tuple(getattr(groups, 'shape', ()))}"
        )
    groups = xp.asarray(groups)
    if groups.shape[0] != n:
        raise ValueError(
            f"groups must have shape (n_samples,) = ({n},) to match embedding, received {tuple(groups.shape)}"
        )
    if not xp.isdtype(groups.dtype, "integral"):
        raise TypeError(f"groups must be an integer array (one label per row), received dtype {groups.dtype}")
    inverse, counts = _compact_labels(groups, xp=xp)
    inverse = xp.asarray(inverse)
    counts = xp.asarray(counts)
    weights = xp.ones((counts.shape[0],), dtype=z.dtype, device=_backend.device(z))
    return _Relation(n, None, inverse, counts, weights, None)


def _solver_graph(rel: _Relation, *, xp: ModuleType, why: str) -> Any:
    """A graph the spectral / kernel solvers accept: the given one, or built from the labels."""
    from ssltheory import graphs

    if rel.graph is not None:
        return rel.graph
    if _backend.is_numpy(xp):
        counts = _backend.to_numpy(rel.counts).astype(float)
        nnz = float((counts * (counts - 1)).sum())
        if nnz > _SPARSE_NNZ_MAX:
            raise ValueError(
                f"{why} needs the relation graph itself, and the cliques given by groups= would store "
                f"{nnz:.3g} entries (more than {_SPARSE_NNZ_MAX:.0e}); use model='linear' (streamed "
                "statistics) or fewer rows"
            )
        if rel.n_views is not None:
            return graphs.augmentation_graph(rel.n // rel.n_views, rel.n_views, sparse=True)
        return graphs.label_graph(rel.labels, sparse=True)
    if rel.n > _DENSE_MAX_ROWS:
        raise ValueError(
            f"{why} on this backend needs the dense relation graph, too large at n_samples={rel.n} "
            f"(at most {_DENSE_MAX_ROWS}); use NumPy (sparse graphs) or model='linear'"
        )
    return xp.asarray(graphs.label_graph(rel.labels), dtype=rel.weights.dtype)


def _dense_graph(rel: _Relation, *, xp: ModuleType, why: str) -> Any:
    g = _solver_graph(rel, xp=xp, why=why)
    if _backend.is_sparse(g):
        if rel.n > _DENSE_MAX_ROWS:
            raise ValueError(
                f"{why} has no streamed evaluation and needs the dense relation graph, too large at "
                f"n_samples={rel.n} (at most {_DENSE_MAX_ROWS})"
            )
        g = xp.asarray(g.toarray())
    return g


def _statistics(z: Any, rel: _Relation) -> Any:
    """:class:`~ssltheory.spectral.GraphStatistics` of ``z`` on the relation (no N×N matrix for labels)."""
    from ssltheory.spectral import graph_statistics

    if rel.n_views is not None and z.shape[1] <= 32:
        return _view_major_statistics(z, rel.n_views)
    if rel.graph is None:
        return graph_statistics(z, groups=rel.labels)
    graph = rel.graph
    if rel.clique_union and _backend.is_sparse(graph) and float(graph.diagonal().sum()) == 0.0:
        w = _backend.to_numpy(rel.weights[rel.counts > 1])
        if w.shape[0] and w[0] > 0 and bool((w == w[0]).all()):
            # one edge weight w on every clique: X^T G X etc. scale exactly, streamed from the labels
            return _scaled(graph_statistics(z, groups=rel.labels), float(w[0]))
    return graph_statistics(z, graph=graph)


def _view_major_statistics(z: Any, v: int) -> Any:
    r"""The statistics of a narrow ``z`` on ``V`` stacked views (view-major), in three Grams.

    With :math:`\bar z_s` the mean of the views of sample :math:`s`, :math:`Z^\top LZ =
    V\sum_{s,v}(z_{sv}-\bar z_s)(z_{sv}-\bar z_s)^\top` (for two views :math:`\Delta^\top\Delta`,
    :math:`\Delta = Z_1 - Z_2`, exact however close the views are), :math:`D_G = (V-1)I`. For the
    K-column embeddings compared here this is cheaper than the general streamed statistics.
    """
    from ssltheory.spectral import GraphStatistics

    xp = _backend.get_namespace(z)
    n, k = z.shape
    m = n // v
    mean = xp.mean(z, axis=0)
    zc = z - mean[None, :]
    scatter = _linalg.symmetrize(zc.mT @ zc, xp=xp)
    second = scatter + n * (mean[:, None] * mean[None, :])
    if v == 2:
        delta = z[:m, :] - z[m:, :]
        laplacian = delta.mT @ delta
    else:
        views = xp.reshape(z, (v, m, k))
        dev = xp.reshape(views - xp.mean(views, axis=0)[None, ...], (n, k))
        laplacian = v * (dev.mT @ dev)
    laplacian = _linalg.symmetrize(laplacian, xp=xp)
    degree = (v - 1) * second
    return GraphStatistics(
        n_samples=n,
        mean=mean,
        second_moment=second,
        scatter=scatter,
        adjacency=degree - laplacian,
        degree=degree,
        laplacian=laplacian,
        self_loop_weight=0.0,
    )


def _scaled(stats: Any, w: float) -> Any:
    from dataclasses import replace

    return replace(
        stats, adjacency=w * stats.adjacency, degree=w * stats.degree, laplacian=w * stats.laplacian
    )


# ----------------------------------------------------------------------------- loss evaluation
def _vicreg_value(stats: Any, weights: dict[str, Any], *, xp: ModuleType) -> float:
    r"""Paper-convention VICReg from the statistics: :math:`C = Z^\top HZ/M`, invariance
    :math:`\frac{2\gamma}N\mathrm{Tr}(Z^\top LZ)` (equal to the sum over pairs)."""
    n = stats.n_samples
    alpha = float(weights.get("variance_weight", 1.0))
    beta = float(weights.get("covariance_weight", 1.0))
    gamma = float(weights.get("invariance_weight", 1.0))
    penalty = weights.get("variance_penalty", "square")
    ddof = int(weights.get("ddof", 1))
    m = n - ddof
    cov = stats.scatter / m
    k = cov.shape[0]
    d = xp.linalg.diagonal(cov)
    eye = xp.eye(k, dtype=cov.dtype, device=_backend.device(cov))
    off = cov * (1 - eye)
    from ssltheory.losses._vicreg import variance_term

    var_term, _ = variance_term(
        d,
        penalty=penalty,
        floor=float(weights.get("variance_floor", 1e-6)),
        eps=float(weights.get("variance_eps", 0.0)),
        xp=xp,
    )
    inv = 2.0 * xp.linalg.trace(stats.laplacian) / n
    return float(alpha * var_term + beta * xp.sum(off**2) + gamma * inv)


def _wmse_value(stats: Any, weights: dict[str, Any], *, xp: ModuleType) -> float:
    r""":math:`\frac2N\mathrm{Tr}(Z^\top LZ\,\mathrm{Cov}(Z)^{-1})`."""
    n = stats.n_samples
    m = n - int(weights.get("ddof", 1))
    cov = stats.scatter / m
    values = xp.linalg.eigvalsh(cov)
    if not float(values[0]) > float(xp.finfo(cov.dtype).eps) * max(float(values[-1]), 0.0):
        raise ValueError("embedding has a singular covariance: W-MSE (whitening) is undefined")
    return float(2.0 * xp.linalg.trace(xp.linalg.solve(cov, stats.laplacian)) / n)


def _barlow_value(stats: Any, weights: dict[str, Any], *, xp: ModuleType) -> float:
    r"""Paper BarlowTwins: :math:`C = Z^\top GZ/(\sqrt{d_kd_l}+\varepsilon)`,
    :math:`d = \mathrm{diag}(Z^\top D_GZ)`."""
    if stats.self_loop_weight > 0:
        raise ValueError("graph must have a zero diagonal for barlow_twins (self-pairs are not allowed)")
    lam = float(weights.get("redundancy_weight", 1.0))
    eps = float(weights.get("eps", 1e-12))
    s = xp.sqrt(xp.clip(xp.linalg.diagonal(stats.degree), min=0.0))
    c = stats.adjacency / (s[:, None] * s[None, :] + eps)
    k = c.shape[0]
    eye = xp.eye(k, dtype=c.dtype, device=_backend.device(c))
    return float(xp.sum((xp.linalg.diagonal(c) - 1) ** 2) + lam * xp.sum((c * (1 - eye)) ** 2))


def _kernel_value(stats: Any, kernel_loss: str, weights: dict[str, Any], *, xp: ModuleType) -> float:
    r"""The kernel-regime objectives of :func:`ssltheory.kernel.kernel_ssl_solve` at ``Z`` (ridge 0).

    ``"vicreg"``: :math:`\alpha\lVert Z^\top Z/N - I\rVert_F^2 + \frac{2\gamma}N\mathrm{Tr}(Z^\top LZ)`;
    ``"wmse"``: :math:`\mathrm{Tr}(\hat Z^\top L\hat Z)` with :math:`\hat Z = Z(Z^\top Z/N)^{-1/2}`
    (the constraint :math:`\hat Z^\top\hat Z/N = I` met by whitening); ``"spectral_contrastive"``
    (SC-u): :math:`\lVert Z^\top Z\rVert_F^2 - 2\mathrm{Tr}(Z^\top AZ)`.
    """
    n = stats.n_samples
    second = stats.second_moment
    k = second.shape[0]
    eye = xp.eye(k, dtype=second.dtype, device=_backend.device(second))
    if kernel_loss == "vicreg":
        alpha = float(weights.get("variance_weight", 1.0))
        gamma = float(weights.get("invariance_weight", 1.0))
        return float(
            alpha * xp.sum((second / n - eye) ** 2) + 2.0 * gamma * xp.linalg.trace(stats.laplacian) / n
        )
    if kernel_loss == "wmse":
        values = xp.linalg.eigvalsh(second)
        if not float(values[0]) > float(xp.finfo(second.dtype).eps) * max(float(values[-1]), 0.0):
            raise ValueError("embedding has a singular second moment: the whitened objective is undefined")
        return float(n * xp.linalg.trace(xp.linalg.solve(second, stats.laplacian)))
    return float(xp.sum(second * second) - 2.0 * xp.linalg.trace(stats.adjacency))


def _free_value(
    method: str, z: Any, rel: _Relation, weights: dict[str, Any], evaluator: Any, *, xp: ModuleType
) -> float:
    """Loss of ``z``: the evaluator on a dense graph; streamed statistics for sparse graphs / labels."""
    if rel.graph is not None and not _backend.is_sparse(rel.graph):
        return float(evaluator(z, rel.graph))
    if method in ("vicreg", "wmse", "barlow_twins"):
        return _stats_value(method, _statistics(z, rel), weights, xp=xp)
    return float(evaluator(z, _dense_graph(rel, xp=xp, why=f"the {method} loss")))


def _stats_value(method: str, stats: Any, weights: dict[str, Any], *, xp: ModuleType) -> float:
    if method == "vicreg":
        return _vicreg_value(stats, weights, xp=xp)
    if method == "wmse":
        return _wmse_value(stats, weights, xp=xp)
    return _barlow_value(stats, weights, xp=xp)


# ----------------------------------------------------------------------------- free model solves
def _solve(method: str, graph: Any, k: int, weights: dict[str, Any]) -> tuple[Any, Any]:
    """Closed-form solution and the matching loss evaluator (paper convention).

    A tie at ``k`` (non-unique optimal subspace) is not an error here: the solver's
    ``DegenerateSpectrumWarning`` is absorbed and ``solution.tied`` handled by the caller.
    """
    from ssltheory import losses, spectral

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSpectrumWarning)
        return _solve_raw(method, graph, k, weights, losses=losses, spectral=spectral)


def _solver_weights(method: str, weights: dict[str, Any]) -> dict[str, Any]:
    """The weights the closed forms take (``variance_floor`` only where the penalty uses it;
    ``variance_eps`` is kept when non-zero, so that the solver refuses it with a squared penalty)."""
    out = dict(weights)
    if method == "vicreg" and out.get("variance_penalty", "square") != "hinge":
        out.pop("variance_floor", None)
        if not out.get("variance_eps", 0.0):
            out.pop("variance_eps", None)
    return out


def _solve_raw(
    method: str, graph: Any, k: int, weights: dict[str, Any], *, losses, spectral
) -> tuple[Any, Any]:
    solver_weights = _solver_weights(method, weights)
    if method == "vicreg":
        solution = spectral.vicreg_embedding(graph, n_components=k, **solver_weights)
        evaluator = losses.VICRegLoss(**weights)
    elif method == "wmse":
        solution = spectral.wmse_embedding(graph, n_components=k, **weights)
        evaluator = losses.WMSELoss(**weights)
    elif method == "simclr":
        solution = spectral.simclr_embedding(graph, n_components=k, **weights)
        evaluator = losses.SimCLRLoss(**weights)
    elif method == "spectral_contrastive":
        solution = spectral.spectral_contrastive_embedding(graph, n_components=k, **weights)
        evaluator = losses.SpectralContrastiveLoss(**weights)
    else:  # barlow_twins
        solution = spectral.barlow_twins_embedding(graph, n_components=k, **weights)
        evaluator = losses.BarlowTwinsLoss(**weights)
    return solution, evaluator


def _cluster_end(values: Any, k: int, *, xp: ModuleType) -> int | None:
    """First index ``j >= k`` after the eigenvalue cluster holding position ``k - 1`` (chained
    with the solvers' tie tolerance), or ``None`` if the cluster runs to the end of ``values``."""
    finite = values[xp.isfinite(values)]
    count = finite.shape[0]
    if count < k:
        return None
    tol = _linalg.tie_tolerance(finite, xp=xp)
    j = k
    while j < count and abs(float(finite[j]) - float(finite[j - 1])) <= tol:
        j += 1
    return j if j < count else None


def _wider_free_basis(
    method: str, graph: Any, k: int, weights: dict[str, Any], *, xp: ModuleType, dtype: Any, ddof: int
) -> Any | None:
    """Basis of the kept-plus-tied optimal space for graphs with no closed-form spectrum.

    One wide solve reads the spectrum and locates the end ``j`` of the cluster straddling ``k``
    (the probe width doubles only while the cluster runs past it), then one solve at ``j``
    gives the optimal columns. ``None`` when the wider problem has no closed form or stays tied.
    """
    n = graph.shape[0]
    limit = n - 1 if method == "wmse" else n
    width = min(limit, max(2 * k, k + 8))
    while True:
        try:
            probe, _ = _solve(method, graph, width, weights)
        except ValueError:  # the wider problem has no closed form (e.g. BarlowTwins K > c)
            return None
        end = _cluster_end(probe.eigenvalues, k, xp=xp)
        if end is not None or width >= limit:
            break
        width = min(limit, 2 * width)
    if end is None:
        end = width
    solution = probe
    if end != width:
        try:
            solution, _ = _solve(method, graph, end, weights)
        except ValueError:
            return None
    if solution.tied:
        return None
    compared, denom = _compared(method, xp.asarray(solution.embedding, dtype=dtype), xp=xp, ddof=ddof)
    spectrum = _second_moment_spectrum(compared, xp=xp, denom=denom)
    r = _numerical_rank(spectrum, xp=xp, rank_tol=1e-12)
    return _top_left_singular(compared, r, xp=xp) if r else None


def _clique_residual(u: Any, rel: _Relation, cut: float, *, xp: ModuleType) -> Any:
    r"""``(I − P_S) u`` for the kept-plus-tied Laplacian eigenspace :math:`S` of a clique union.

    :math:`S\cap\mathbf 1^\perp`: vectors constant on every clique whose eigenvalue
    :math:`w_cn_c` exceeds ``cut``, arbitrary on the others. For ``u`` in :math:`\mathbf 1^\perp`
    the residual is ``u`` minus its clique means on the closed cliques (zero on the open ones);
    cost :math:`O(Nr)`, no eigenvector formed.
    """
    n_comp = rel.counts.shape[0]
    counts = xp.astype(rel.counts, u.dtype)
    mu = xp.astype(rel.weights, u.dtype) * counts
    closed = xp.take(mu > cut, rel.labels, axis=0)
    means = _backend._segment_sum(u, rel.labels, n_comp, xp=xp) / counts[:, None]
    deviation = u - xp.take(means, rel.labels, axis=0)
    return xp.where(closed[:, None], deviation, xp.zeros_like(deviation))


def _containment(u_obs: Any, residual: Any, *, xp: ModuleType) -> tuple[float, Any]:
    """Distance and principal angles of ``span(u_obs)`` to a superspace, from ``(I − P)u_obs``."""
    gram = _linalg.symmetrize(residual.mT @ residual, xp=xp)
    sines = xp.sqrt(xp.clip(xp.linalg.eigvalsh(gram), min=0.0, max=1.0))  # ascending
    angles = xp.asin(sines)
    return (float(sines[-1]) if sines.shape[0] else 0.0), angles


# ----------------------------------------------------------------------------- the three models
@dataclass(frozen=True)
class _Prediction:
    optimal_loss: float
    value: float
    star: Any  # the optimal embedding, (N, K)
    tied: bool
    superspace: Any = None  # basis of the kept-plus-tied space (tied cases), or None
    residual: Any = None  # callable u -> (I - P_S) u (closed form), or None
    notes: tuple[str, ...] = ()
    star_gram: Any = None  # compared second moment of the optimum (times its normaliser), if known
    star_basis: Any = None  # callable r -> orthonormal top-r basis of the compared optimum, if known


def _predict_free(
    method: str, z: Any, rel: _Relation, weights: dict[str, Any], *, xp: ModuleType
) -> _Prediction:
    k = z.shape[1]
    graph = _solver_graph(rel, xp=xp, why=f"model='free' ({method})")
    solution, evaluator = _solve(method, graph, k, weights)
    value = _free_value(method, z, rel, weights, evaluator, xp=xp)
    star = xp.asarray(solution.embedding, dtype=z.dtype)
    if not solution.tied:
        return _Prediction(float(solution.loss), value, star, False)
    ddof = int(weights.get("ddof", 1))
    note = (
        "tied eigenvalues: the optimal subspace is not unique; containment in the kept-plus-tied "
        "eigenspace checked"
    )
    if method in ("vicreg", "wmse") and rel.clique_union:
        # closed form: the Laplacian eigenvalues are 0 (between cliques) and w_c n_c (inside)
        lam = solution.eigenvalues[xp.isfinite(solution.eigenvalues)]
        cut = float(lam[min(k, lam.shape[0]) - 1])
        cut += _linalg.tie_tolerance(lam, xp=xp)

        def residual(u: Any) -> Any:
            return _clique_residual(u, rel, cut, xp=xp)

        return _Prediction(
            float(solution.loss), value, star, True, residual=residual, notes=(note + " (closed form)",)
        )
    basis = _wider_free_basis(method, graph, k, weights, xp=xp, dtype=z.dtype, ddof=ddof)
    if basis is None:
        note = (
            "tied eigenvalues: the optimal subspace is not unique and no wider closed form exists; "
            "equality checked"
        )
    return _Prediction(float(solution.loss), value, star, True, superspace=basis, notes=(note,))


def _linear_solve(method: str, stats: Any, k: int, weights: dict[str, Any]) -> tuple[Any, float]:
    """``(LinearSolution, optimal loss)`` of the linear model from the data statistics."""
    from ssltheory import spectral

    if method == "vicreg":
        sol = _call_quiet(
            spectral.vicreg_linear_weights_from_statistics,
            stats,
            n_components=k,
            **_solver_weights(method, weights),
        )
        return sol, float(sol.loss)
    if method == "wmse":
        # W-MSE = the hard constraint Cov(XW) = I: the bottom generalised eigenvectors of
        # (XᵀLX, XᵀHX), i.e. the linear VICReg solve with γ = 0 (c_k = 1 for every kept column)
        ddof = int(weights.get("ddof", 1))
        sol = _call_quiet(
            spectral.vicreg_linear_weights_from_statistics,
            stats,
            n_components=k,
            invariance_weight=0.0,
            ddof=ddof,
        )
        mu = sol.eigenvalues
        if not bool(_backend.get_namespace(mu).all(_backend.get_namespace(mu).isfinite(mu))):
            raise ValueError(
                f"method='wmse' under model='linear' needs n_components <= rank of the centred features; "
                f"n_components={k} exceeds it"
            )
        n = stats.n_samples
        loss = 2.0 * (n - ddof) / n * float(_backend.get_namespace(mu).sum(mu))
        return sol, loss
    sol = _call_quiet(spectral.barlow_twins_linear_weights_from_statistics, stats, n_components=k, **weights)
    return sol, float(sol.loss)


def _predict_linear(
    method: str, z: Any, x: Any, rel: _Relation, weights: dict[str, Any], *, xp: ModuleType
) -> _Prediction:
    k = z.shape[1]
    stats = _statistics(x, rel)
    sol, optimum = _linear_solve(method, stats, k, weights)
    value = _stats_value(method, _statistics(z, rel), weights, xp=xp)
    w_star = xp.asarray(sol.weights, dtype=x.dtype)
    centred = method in ("vicreg", "wmse")
    # the compared optimum H X W* (or X W*) is known through the statistics: its Gram without a
    # pass over X, its top-r basis with one pass (X B − 1 x̄ᵀB, B = W* V_r Λ_r^{-1/2})
    gram_star = _linalg.symmetrize(
        w_star.mT @ ((stats.scatter if centred else stats.second_moment) @ w_star), xp=xp
    )

    def star_basis(r: int) -> Any:
        values, vectors = xp.linalg.eigh(gram_star)
        kept = values[values.shape[0] - r :]
        if not float(kept[0]) > 1e-10 * float(kept[-1]):  # ill-conditioned: form H X W*, QR
            star = x @ w_star
            star = _center(star, xp=xp) if centred else star
            return _top_left_singular(star, r, xp=xp, gram=gram_star)
        b = w_star @ (vectors[:, values.shape[0] - r :] / xp.sqrt(kept)[None, :])
        y = x @ b
        if centred:
            y = y - (stats.mean @ b)[None, :]
        return _reorthonormalize(y, xp=xp)

    if not sol.tied:
        return _Prediction(optimum, value, None, False, star_gram=gram_star, star_basis=star_basis)
    star = x @ w_star
    ddof = int(weights.get("ddof", 1))
    basis = None
    d = x.shape[1]
    try:  # one wide solve reads the whole generalised spectrum, one solve at the cluster end
        wide, _ = _linear_solve(method, stats, d, weights)
        end = _cluster_end(wide.eigenvalues, k, xp=xp)
        end = d if end is None else end
        sol_end = wide if end == d else _linear_solve(method, stats, end, weights)[0]
        if not sol_end.tied:
            compared, denom = _compared(
                method, x @ xp.asarray(sol_end.weights, dtype=x.dtype), xp=xp, ddof=ddof
            )
            r = _numerical_rank(_second_moment_spectrum(compared, xp=xp, denom=denom), xp=xp, rank_tol=1e-12)
            basis = _top_left_singular(compared, r, xp=xp) if r else None
    except ValueError:
        basis = None
    note = (
        "tied generalised eigenvalues: the optimal span(X W) is not unique; containment checked"
        if basis is not None
        else "tied generalised eigenvalues and no wider closed form: equality checked"
    )
    return _Prediction(optimum, value, star, True, superspace=basis, notes=(note,))


def _kernel_function(kernel: str, params: dict[str, Any], x: Any) -> Any:
    from ssltheory import kernel as kmod

    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(map(repr, KERNELS))}, received {kernel!r}")
    params = dict(params)
    if kernel in ("rbf", "laplacian") and "bandwidth" not in params:
        params["bandwidth"] = kmod.median_bandwidth(x)
    fn = {
        "linear": kmod.linear_kernel,
        "laplacian": kmod.laplacian_kernel,
        "polynomial": kmod.polynomial_kernel,
        "rbf": kmod.rbf_kernel,
    }[kernel]

    def apply(a: Any, b: Any) -> Any:
        try:
            return fn(a, b, **params)
        except TypeError as exc:
            raise TypeError(f"kernel_params {params!r} do not fit kernel={kernel!r}: {exc}") from None

    return apply


def _kernel_options(method: str, weights: dict[str, Any]) -> dict[str, Any]:
    if method == "vicreg":
        alpha = float(weights.get("variance_weight", 1.0))
        beta = float(weights.get("covariance_weight", 1.0))
        if alpha != beta:
            raise ValueError(
                "method='vicreg' under model='kernel' is the kernel regime's VIC-soft objective "
                "α‖ZᵀZ/N − I‖² + (2γ/N)Tr(ZᵀLZ), i.e. variance_weight == covariance_weight; received "
                f"variance_weight={alpha}, covariance_weight={beta}"
            )
        stray = sorted(set(weights) - {"variance_weight", "covariance_weight", "invariance_weight"})
        if stray:
            raise ValueError(f"method='vicreg' under model='kernel' does not take {', '.join(stray)}")
        return {
            "loss": "vicreg",
            "variance_weight": alpha,
            "invariance_weight": float(weights.get("invariance_weight", 1.0)),
        }
    if method == "wmse":
        if "ddof" in weights:
            raise ValueError(
                "method='wmse' under model='kernel' constrains ZᵀZ/N (uncentred): it takes no ddof"
            )
        return {"loss": "wmse"}
    weighting = weights.get("weighting", "none")
    if weighting != "none":
        raise ValueError(
            "method='spectral_contrastive' under model='kernel' is compared in its unweighted form "
            f"(weighting='none', SC-u); received weighting={weighting!r}"
        )
    return {"loss": "spectral_contrastive", "weighting": "none"}


def _predict_kernel(
    method: str,
    z: Any,
    x: Any,
    rel: _Relation,
    weights: dict[str, Any],
    *,
    kernel: str,
    kernel_params: dict[str, Any],
    n_landmarks: int | None,
    xp: ModuleType,
) -> _Prediction:
    from ssltheory import kernel as kmod

    k = z.shape[1]
    opts = _kernel_options(method, weights)
    kfun = _kernel_function(kernel, kernel_params, x)
    value = _kernel_value(_statistics(z, rel), opts["loss"], weights, xp=xp)
    if n_landmarks is None:
        graph = _solver_graph(rel, xp=xp, why="model='kernel' without n_landmarks")
        sol = _call_quiet(kmod.kernel_ssl_solve, kfun(x, x), graph, n_components=k, **opts)
        star = xp.asarray(sol.embedding, dtype=z.dtype)
        notes = ("exact kernel matrix (N x N); pass n_landmarks= for Nyström at large N",)
    else:
        n = x.shape[0]
        m = _validation.check_int(n_landmarks, name="n_landmarks", minimum=1, maximum=n)
        idx = xp.asarray([(i * n) // m for i in range(m)], device=_backend.device(x))  # evenly spaced rows
        land = xp.take(x, idx, axis=0)
        phi = kmod.nystrom_features(kfun(x, land), kfun(land, land))
        if rel.graph is None and opts["loss"] != "spectral_contrastive":
            from ssltheory.spectral import graph_statistics

            stats = graph_statistics(phi, groups=rel.labels)
            sol = _call_quiet(kmod.linear_ssl_solve_from_statistics, stats, n_components=k, **opts)
        else:
            sol = _call_quiet(
                kmod.linear_ssl_solve,
                phi,
                _solver_graph(rel, xp=xp, why="model='kernel'"),
                n_components=k,
                **opts,
            )
        star = phi @ xp.asarray(sol.weights, dtype=phi.dtype)
        notes = (f"Nyström features on {m} evenly spaced landmark rows",)
    if sol.graph_tie:
        notes += ("tied graph spectrum resolved by the minimum-RKHS-norm selection (ridge → 0+)",)
    return _Prediction(float(sol.loss), value, star, bool(sol.graph_tie), notes=notes)


def _identifiability(
    model: str, method: str, weights: dict[str, Any]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    centred = method in ("vicreg", "wmse")
    if model == "free":
        span = (
            "span(H Z*)"
            if centred
            else ("span of the row-normalised Z*" if method == "simclr" else "span(Z*)")
        )
        ident = (
            "loss",
            "spectrum of the compared second moment",
            f"{span} (kept-plus-tied eigenspace when tied)",
        )
    elif model == "linear":
        span = "span(H X W*)" if centred else "span(X W*)"
        ident = ("loss", "spectrum of Cov(X W*)" if centred else "spectrum of (X W*)ᵀ(X W*)/N", span)
    else:
        ident = ("loss", "spectrum of Z*ᵀZ*/N", "span(Z*) of the minimum-RKHS-norm map")
    free: list[str] = []
    if model == "linear":
        free.append("bias b" if centred else "components of W in the null space of X")
        free.append("components of W in the null space of H X" if centred else "rotation of W*")
    if centred and model == "free":
        free.append("translation")
    if method == "vicreg" and model != "kernel":
        a, b = float(weights.get("variance_weight", 1.0)), float(weights.get("covariance_weight", 1.0))
        free.append(
            "rotation R ∈ O(K)"
            if a == b
            else ("signed permutations" if b > a else "rotations keeping Cov's diagonal equal")
        )
    elif method == "simclr":
        free += ["row scales", "rotation R ∈ O(K)"]
    else:
        free.append("rotation R ∈ O(K)")
    if model != "kernel":
        free.append("any basis inside a tied eigenspace")
    return ident, tuple(dict.fromkeys(free))


# ----------------------------------------------------------------------------- public function
def compare_to_theory(
    embedding: Any,
    graph: Any = None,
    /,
    *,
    method: str,
    model: str = "free",
    features: Any = None,
    groups: Any = None,
    n_views: int | None = None,
    kernel: str | None = None,
    kernel_params: dict[str, Any] | None = None,
    n_landmarks: int | None = None,
    loss_rtol: float = 1e-3,
    subspace_tol: float = 1e-2,
    rank_tol: float = 1e-3,
    **weights: Any,
) -> TheoryGap:
    r"""Compare an embedding (e.g. a trained network's output) with the closed-form SSL optimum.

    For the loss ``method`` on relation graph :math:`G` with the given weights, the closed form
    :math:`Z^\star` of the model class ``model`` is computed with ``n_components`` equal to the
    embedding's width :math:`K`, and

    .. math::

        \Delta = \mathcal L(Z) - \min_{Z'\in\mathcal M}\mathcal L(Z') \ \ge\ 0, \qquad
        d = \sin\theta_{\max}\big(\operatorname{span} \tilde Z,\ \operatorname{span} \tilde Z^\star\big),

    with the model class :math:`\mathcal M`:

    - ``"free"``: all :math:`Z\in\mathbb R^{N\times K}` (:mod:`ssltheory.spectral` embeddings);
    - ``"linear"``: :math:`Z = XW + \mathbf 1b^\top` on the features :math:`X` (VICReg: the
      generalised eigenproblem :math:`X^\top LXw = \mu X^\top HXw`; W-MSE: its bottom
      :math:`K` vectors with :math:`\mathrm{Cov}(XW) = I`; BarlowTwins: graph CCA), solved from
      :func:`~ssltheory.spectral.graph_statistics`;
    - ``"kernel"``: :math:`Z_i = Ck_{x_i}` of minimum RKHS norm
      (:func:`~ssltheory.kernel.kernel_ssl_solve`, or Nyström features and
      :func:`~ssltheory.kernel.linear_ssl_solve`), whose objectives constrain the uncentred
      :math:`Z^\top Z/N`: VIC-soft :math:`\alpha\lVert Z^\top Z/N-I\rVert_F^2+\frac{2\gamma}N
      \mathrm{Tr}(Z^\top LZ)` (``"vicreg"`` with :math:`\alpha=\beta`), VIC-hard
      :math:`\mathrm{Tr}(\hat Z^\top L\hat Z)` (``"wmse"``, :math:`\hat Z` the whitened
      :math:`Z`) and :math:`\lVert Z^\top Z\rVert_F^2-2\mathrm{Tr}(Z^\top AZ)`
      (``"spectral_contrastive"``, unweighted).

    :math:`\tilde Z` is what the theory determines: :math:`HZ` (VICReg, W-MSE: the mean is free),
    the row-normalised :math:`Z` (SimCLR: row scales are free) or :math:`Z` (spectral
    contrastive, BarlowTwins, every kernel objective). Rotations and signs are free in every case,
    which is why subspaces and spectra are compared, never raw matrices. Ranks and spectra are
    those of :math:`\tilde Z^\top\tilde Z` divided by :math:`N-\mathrm{ddof}` (VICReg, W-MSE:
    the covariance) or :math:`N`.

    Parameters
    ----------
    embedding : array, shape (n_samples, n_components)
        The representation to check, any array-API backend.
    graph : array or sparse matrix, shape (n_samples, n_samples), optional
        The relation graph the embedding was trained on (same library; SciPy sparse with
        NumPy). Exactly one of ``graph``, ``groups`` and ``n_views``.
    method : {"vicreg", "wmse", "simclr", "spectral_contrastive", "barlow_twins"}
        The loss; its weights as keywords (see :data:`METHODS`), in the ``"paper"`` convention
        (convert library weights with :func:`ssltheory.losses.convert_vicreg_weights`).
    model : {"free", "linear", "kernel"}, default "free"
        The model class the embedding comes from (see :data:`MODELS` for the methods each has a
        closed form for).
    features : array, shape (n_samples, n_features), optional
        :math:`X`, rows aligned with ``embedding`` (the inputs of the linear or kernel model);
        required by ``model="linear"`` and ``"kernel"``, refused by ``"free"``.
    groups : integer array, shape (n_samples,), optional
        One label per row: :math:`G_{ij} = 1` for :math:`i\ne j` with the same label (an
        augmentation or label graph, never formed on the linear route).
    n_views : int, optional
        :math:`V` views stacked view-major: rows :math:`i` and :math:`i + N/V` are views of
        one sample (``augmentation_graph(N / V, V)``).
    kernel : {"rbf", "laplacian", "polynomial", "linear"}, optional
        The kernel of ``model="kernel"`` (functions of :mod:`ssltheory.kernel`).
    kernel_params : dict, optional
        Keyword arguments of the kernel (``bandwidth`` for ``"rbf"``/``"laplacian"``, default
        :func:`~ssltheory.kernel.median_bandwidth`; ``degree``, ``gamma``, ``coef0``).
    n_landmarks : int, optional
        ``model="kernel"``: Nyström features on this many evenly spaced rows instead of the
        exact :math:`N\times N` kernel matrix.
    loss_rtol : float
        Pass if :math:`|\Delta| \le` ``loss_rtol`` :math:`\cdot\max(1, |\mathcal L^\star|)`.
    subspace_tol : float
        Pass if :math:`d \le` ``subspace_tol``.
    rank_tol : float
        Eigenvalues above ``rank_tol`` times the largest count towards the observed rank.
    **weights
        Loss weights, e.g. ``variance_weight=1.0, invariance_weight=0.5`` for VICReg
        (``variance_penalty`` is passed to the closed forms).

    Returns
    -------
    TheoryGap
        With ``model``, what is ``identifiable`` under it and what is free.

    Raises
    ------
    ValueError
        Unknown ``method``, ``model``, ``kernel`` or weight keyword; a method without a closed
        form under ``model``; ``features`` missing (linear, kernel), given with ``model="free"``
        or with the wrong number of rows; ``graph`` together with ``groups``/``n_views``, or none
        of them; ``n_views`` not dividing :math:`N`; bad shapes, an invalid graph, or a setting
        with no closed form (the solver's message says which condition fails).
    TypeError
        Non-integer ``groups`` or ``n_views``; arrays from different libraries.

    Notes
    -----
    The observed subspace compared is the top-``r`` principal subspace of :math:`\tilde Z`,
    ``r`` = the predicted rank, against the span of the optimum's non-zero columns: directions
    the optimum leaves empty are not required to be empty in the embedding (the rank check
    covers them). *Ties*: on a union of cliques (augmentation and label graphs, detected in
    :math:`O(\mathrm{nnz})` or given by ``groups``/``n_views``) the Laplacian eigenspaces are
    known (eigenvalue 0 on the functions constant on each clique, :math:`w_cn_c` inside clique
    :math:`c`), so containment in the kept-plus-tied eigenspace is checked by clique means in
    :math:`O(NK)`; otherwise one wider solve reads the spectrum and one solve at the end of the
    tied cluster gives the superspace. *Cost*: free model on a clique union, :math:`O(NK^2)`;
    linear model, two streamed statistics passes (:math:`O(ND^2 + NK^2)`, memory
    :math:`O(ND)`, no :math:`N\times N` matrix); kernel model, :math:`O(N^3)` exact or
    :math:`O(Nl^2)` with ``n_landmarks`` :math:`= l`. A zero optimal loss (e.g. a fully
    invariant free optimum) has no relative gap: it is reported as ``nan``.

    References
    ----------
    R. Balestriero, Y. LeCun, arXiv:2205.11508 (spectral and linear closed forms); B. Kiani et
    al., arXiv:2209.14884 (kernel regime).

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> from ssltheory.spectral import vicreg_embedding
    >>> G = augmentation_graph(6, 2)  # 5 invariant directions: K = 5 keeps the whole cluster
    >>> Z = vicreg_embedding(G, n_components=5, invariance_weight=0.1).embedding
    >>> gap = compare_to_theory(Z + 3.0, G, method="vicreg", invariance_weight=0.1)
    >>> gap.passed, gap.predicted_rank, gap.model
    (True, 5, 'free')
    >>> gap = compare_to_theory(Z, method="vicreg", n_views=2, invariance_weight=0.1)  # no graph
    >>> gap.passed
    True
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, received {method!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(map(repr, MODELS))}, received {model!r}")
    if method not in MODELS[model]:
        raise ValueError(
            f"method={method!r} has no closed form under model={model!r} (available: "
            f"{', '.join(MODELS[model])}); use model='free' or another method"
        )
    unknown = sorted(set(weights) - set(METHODS[method]))
    if unknown:
        raise ValueError(
            f"method={method!r} takes the weights {', '.join(METHODS[method])}; received unknown "
            f"{', '.join(unknown)}"
        )
    if model == "free" and features is not None:
        raise ValueError(
            "features= is used only with model='linear' or model='kernel' (the free model has no inputs)"
        )
    if model != "free" and features is None:
        raise ValueError(f"model={model!r} needs features= (the inputs X, one row per embedding row)")
    if model != "kernel" and (kernel is not None or kernel_params is not None or n_landmarks is not None):
        raise ValueError(
            f"kernel=, kernel_params= and n_landmarks= apply only to model='kernel', received model={model!r}"
        )
    if model == "kernel" and kernel is None:
        raise ValueError(f"model='kernel' needs kernel= (one of {', '.join(map(repr, KERNELS))})")
    if kernel_params is not None and not isinstance(kernel_params, dict):
        raise TypeError(
            f"kernel_params must be a dict of keyword arguments, received {type(kernel_params).__name__}"
        )
    for name, value in (("loss_rtol", loss_rtol), ("subspace_tol", subspace_tol), ("rank_tol", rank_tol)):
        _validation.check_positive(value, name=name)
    xp = _backend.get_namespace(embedding, graph, features)
    z = _validation.check_array(embedding, xp=xp, name="embedding", ndim=2, min_rows=2)
    x = None
    if features is not None:
        x = _validation.check_array(features, xp=xp, name="features", ndim=2)
        if x.shape[0] != z.shape[0]:
            raise ValueError(
                f"features must have one row per embedding row: ({z.shape[0]}, n_features), received "
                f"shape {tuple(x.shape)}"
            )
        if x.dtype != z.dtype:
            x = xp.astype(x, z.dtype)
    rel = _relation(z, graph, groups, n_views, xp=xp)

    if model == "free":
        pred = _predict_free(method, z, rel, weights, xp=xp)
    elif model == "linear":
        pred = _predict_linear(method, z, x, rel, weights, xp=xp)
    else:
        pred = _predict_kernel(
            method,
            z,
            x,
            rel,
            weights,
            kernel=kernel,
            kernel_params=kernel_params or {},
            n_landmarks=n_landmarks,
            xp=xp,
        )
    return _assemble(
        method,
        model,
        z,
        pred,
        weights,
        loss_rtol=loss_rtol,
        subspace_tol=subspace_tol,
        rank_tol=rank_tol,
        xp=xp,
    )


def _assemble(
    method: str,
    model: str,
    z: Any,
    pred: _Prediction,
    weights: dict[str, Any],
    *,
    loss_rtol: float,
    subspace_tol: float,
    rank_tol: float,
    xp: ModuleType,
) -> TheoryGap:
    value, optimum = pred.value, pred.optimal_loss
    gap = loss_gap(value, optimum)
    notes = list(pred.notes)
    # an optimum that is zero up to the rounding of its evaluation has no meaningful relative gap
    if abs(optimum) <= 64.0 * float(xp.finfo(z.dtype).eps) * max(1.0, abs(value)):
        gap = LossGap(absolute=gap.absolute, relative=math.nan)
        notes.append("the optimal loss is zero: the relative gap is undefined (nan); read the absolute gap")

    ddof = int(weights.get("ddof", 1)) if model != "kernel" else 0
    observed, denom = _compared(method, z, xp=xp, ddof=ddof, model=model)
    gram_obs = _linalg.symmetrize(observed.mT @ observed, xp=xp)
    if pred.star_gram is not None:
        predicted, gram_pred = None, pred.star_gram
    else:
        predicted, _ = _compared(method, pred.star, xp=xp, ddof=ddof, model=model)
        gram_pred = _linalg.symmetrize(predicted.mT @ predicted, xp=xp)
    obs_spec = _gram_spectrum(gram_obs, denom, xp=xp)
    pred_spec = _gram_spectrum(gram_pred, denom, xp=xp)
    r_pred = _numerical_rank(pred_spec, xp=xp, rank_tol=rank_tol)
    r_obs = _numerical_rank(obs_spec, xp=xp, rank_tol=rank_tol)

    if r_pred > 0:
        # principal directions (left singular vectors) of both, top r_pred of each
        u_obs = _top_left_singular(observed, r_pred, xp=xp, gram=gram_obs)
        if pred.tied and pred.residual is not None:
            dist, angles = _containment(u_obs, pred.residual(u_obs), xp=xp)
        else:
            u_pred = pred.superspace if (pred.tied and pred.superspace is not None) else None
            if u_pred is None and pred.star_basis is not None:
                u_pred = pred.star_basis(r_pred)
            if u_pred is None:
                u_pred = _top_left_singular(predicted, r_pred, xp=xp, gram=gram_pred)
            dist, angles = _angles_between(u_obs, u_pred, xp=xp)
    else:
        dist, angles = 0.0, xp.zeros((0,), dtype=z.dtype, device=_backend.device(z))

    scale = max(1.0, abs(optimum))
    below = gap.absolute < -loss_rtol * scale
    passed = abs(gap.absolute) <= loss_rtol * scale and dist <= subspace_tol and r_obs == r_pred
    ident, free = _identifiability(model, method, weights)
    return TheoryGap(
        method=method,
        loss=value,
        optimal_loss=optimum,
        gap=gap,
        subspace_distance=float(dist),
        principal_angles=angles,
        predicted_rank=r_pred,
        observed_rank=r_obs,
        predicted_spectrum=tuple(float(v) for v in _backend.to_numpy(pred_spec)),
        observed_spectrum=tuple(float(v) for v in _backend.to_numpy(obs_spec)),
        below_optimum=bool(below),
        passed=bool(passed),
        tied=bool(pred.tied),
        tolerances={"loss_rtol": loss_rtol, "subspace_tol": subspace_tol, "rank_tol": rank_tol},
        model=model,
        identifiable=ident,
        free_parameters=free,
        notes=tuple(notes),
    )

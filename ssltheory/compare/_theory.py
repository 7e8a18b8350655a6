"""Theory versus a trained (or any) embedding: ``compare_to_theory`` and its report."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ssltheory import _backend, _validation
from ssltheory.compare._alignment import LossGap, loss_gap
from ssltheory.compare._subspace import principal_angles, subspace_distance

__all__ = ["METHODS", "TheoryGap", "compare_to_theory"]

#: methods understood by :func:`compare_to_theory`, with the weight keywords each accepts
METHODS: dict[str, tuple[str, ...]] = {
    "vicreg": ("variance_weight", "covariance_weight", "invariance_weight", "variance_penalty", "ddof"),
    "wmse": ("ddof",),
    "simclr": ("temperature",),
    "spectral_contrastive": ("weighting",),
    "barlow_twins": ("redundancy_weight", "eps"),
}


@dataclass(frozen=True)
class TheoryGap:
    """How far an embedding is from the closed-form optimum of an SSL loss on the same graph.

    Attributes
    ----------
    method : str
        The loss (a key of :data:`METHODS`).
    loss : float
        The loss of the given embedding (``convention="paper"``, the weights given).
    optimal_loss : float
        The closed-form optimal loss: a lower bound for every network and every embedding.
    gap : LossGap
        ``loss - optimal_loss`` (absolute and relative).
    subspace_distance : float
        Sine of the largest principal angle between the compared column spaces (see Notes).
    principal_angles : array
        All principal angles (radians, ascending), on the embedding's backend.
    predicted_rank, observed_rank : int
        Rank of the optimum and numerical rank of the embedding (eigenvalues of the compared
        second-moment matrix above ``rank_tol`` times the largest).
    predicted_spectrum, observed_spectrum : tuple of float
        Descending spectra of the compared second-moment matrices (see Notes).
    below_optimum : bool
        True when ``loss`` is below the optimum by more than ``loss_rtol``: the embedding beats
        the "optimum", so the closed form, its assumptions or the weights are wrong.
    tied : bool
        The optimal subspace is not unique (an eigenvalue cluster straddles ``n_components``):
        the embedding's subspace is then checked for containment in the kept-plus-tied
        eigenspace instead of equality.
    passed : bool
        Loss within ``loss_rtol`` of the optimum, subspace distance within ``subspace_tol`` and
        ranks equal.
    tolerances : dict
        The tolerances used.
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

    def report(self) -> str:
        """A short human-readable report (what ``ssltheory compare`` prints)."""

        def spec(values: tuple[float, ...]) -> str:
            shown = ", ".join(f"{v:.4g}" for v in values[:8])
            return shown + (f", … ({len(values)} total)" if len(values) > 8 else "")

        lines = [
            f"method            {self.method}",
            f"loss              {self.loss:.10g}",
            f"optimal loss      {self.optimal_loss:.10g}   (closed form: a lower bound for any network)",
            f"gap               {self.gap.absolute:.3e} absolute, {self.gap.relative:.3e} relative "
            f"(tolerance {self.tolerances.get('loss_rtol', float('nan')):.1e})",
            f"subspace distance {self.subspace_distance:.3e}   "
            f"(tolerance {self.tolerances.get('subspace_tol', float('nan')):.1e})",
            f"rank              predicted {self.predicted_rank}, observed {self.observed_rank}",
            f"spectrum          predicted [{spec(self.predicted_spectrum)}]",
            f"                  observed  [{spec(self.observed_spectrum)}]",
        ]
        if self.tied:
            lines.append(
                "note              tied eigenvalues: the optimal subspace is not unique; containment checked"
            )
        if self.below_optimum:
            lines.append(
                "WARNING           the embedding is below the closed-form optimum: check the weights"
            )
        lines.append(f"result            {'PASS' if self.passed else 'FAIL'}")
        return "\n".join(lines)


def _center(z: Any, *, xp: ModuleType) -> Any:
    return z - xp.mean(z, axis=0, keepdims=True)


def _row_normalize(z: Any, *, xp: ModuleType) -> Any:
    norms = xp.linalg.vector_norm(z, axis=1, keepdims=True)
    return z / xp.clip(norms, min=1e-12)


def _second_moment_spectrum(z: Any, *, xp: ModuleType, denom: float) -> Any:
    """Descending eigenvalues of ``zᵀz / denom`` (non-negative, clipped at 0)."""
    values = xp.linalg.eigvalsh(z.mT @ z / denom)
    return xp.clip(xp.flip(values, axis=0), min=0.0)


def _numerical_rank(values: Any, *, xp: ModuleType, rank_tol: float) -> int:
    top = float(xp.max(values)) if values.shape[0] else 0.0
    if top <= 0.0:
        return 0
    return int(xp.sum(xp.astype(values > rank_tol * top, xp.int64)))


def _solve(method: str, graph: Any, k: int, weights: dict[str, Any]) -> tuple[Any, Any]:
    """Closed-form solution and the matching loss evaluator (paper convention).

    A tie at ``k`` (non-unique optimal subspace) is not an error here: the solver's
    ``DegenerateSpectrumWarning`` is absorbed and ``solution.tied`` handled by the caller.
    """
    import warnings

    from ssltheory import losses, spectral
    from ssltheory._warnings import DegenerateSpectrumWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateSpectrumWarning)
        return _solve_raw(method, graph, k, weights, losses=losses, spectral=spectral)


def _solve_raw(
    method: str, graph: Any, k: int, weights: dict[str, Any], *, losses, spectral
) -> tuple[Any, Any]:
    if method == "vicreg":
        solution = spectral.vicreg_embedding(graph, n_components=k, **weights)
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


def _compared(method: str, z: Any, *, xp: ModuleType, ddof: int) -> tuple[Any, float]:
    """The matrix whose column space and second moment the theory predicts, and its normaliser.

    VICReg and W-MSE centre (translations are free): ``HZ`` with ``Cov = ZᵀHZ / (N − ddof)``.
    SimCLR sees only the row-normalised embedding. Spectral contrastive and BarlowTwins do not
    centre: ``Z`` itself with ``ZᵀZ / N``.
    """
    n = z.shape[0]
    if method in ("vicreg", "wmse"):
        return _center(z, xp=xp), float(n - ddof)
    if method == "simclr":
        return _row_normalize(z, xp=xp), float(n)
    return z, float(n)


def compare_to_theory(
    embedding: Any,
    graph: Any,
    /,
    *,
    method: str,
    loss_rtol: float = 1e-3,
    subspace_tol: float = 1e-2,
    rank_tol: float = 1e-3,
    **weights: Any,
) -> TheoryGap:
    r"""Compare an embedding (e.g. a trained network's output) with the closed-form SSL optimum.

    For the loss ``method`` on relation graph :math:`G` with the given weights, the closed form
    :math:`Z^\star` of :mod:`ssltheory.spectral` is computed with ``n_components`` equal to the
    embedding's width :math:`K`, and

    .. math::

        \Delta = \mathcal L(Z) - \mathcal L(Z^\star) \ \ge\ 0, \qquad
        d = \sin\theta_{\max}\big(\operatorname{span} \tilde Z,\ \operatorname{span} \tilde Z^\star\big),

    where :math:`\tilde Z` is what the theory determines: :math:`HZ` (VICReg, W-MSE: the mean
    is free), the row-normalised :math:`Z` (SimCLR: row scales are free) or :math:`Z`
    (spectral contrastive, BarlowTwins). Rotations and signs are free in every case, which is
    why subspaces and spectra are compared, never raw matrices. Ranks and spectra are those of
    :math:`\tilde Z^\top\tilde Z` divided by :math:`N-\mathrm{ddof}` (VICReg, W-MSE: the
    covariance) or :math:`N`.

    Parameters
    ----------
    embedding : array, shape (n_samples, n_components)
        The representation to check, any array-API backend.
    graph : array, shape (n_samples, n_samples)
        The relation graph the embedding was trained on (same library).
    method : {"vicreg", "wmse", "simclr", "spectral_contrastive", "barlow_twins"}
        The loss; its weights as keywords (see :data:`METHODS`), in the ``"paper"`` convention
        (convert library weights with :func:`ssltheory.losses.convert_vicreg_weights`).
    loss_rtol : float
        Pass if :math:`|\Delta| \le` ``loss_rtol`` :math:`\cdot\max(1, |\mathcal L^\star|)`.
    subspace_tol : float
        Pass if :math:`d \le` ``subspace_tol``.
    rank_tol : float
        Eigenvalues above ``rank_tol`` times the largest count towards the observed rank.
    **weights
        Loss weights, e.g. ``variance_weight=1.0, invariance_weight=0.5`` for VICReg.

    Returns
    -------
    TheoryGap

    Raises
    ------
    ValueError
        Unknown ``method`` or weight keyword, bad shapes, an invalid graph, or a setting with no
        closed form (the solver's message says which condition fails).

    Notes
    -----
    The observed subspace compared is the top-``r`` principal subspace of :math:`\tilde Z`,
    ``r`` = the predicted rank, against the span of the optimum's non-zero columns: directions
    the optimum leaves empty are not required to be empty in the embedding (the rank check
    covers them). Spec: spectral.md §4.7 (what a test can assert). Cost: one closed form plus
    :math:`O(NK^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.graphs import augmentation_graph
    >>> from ssltheory.spectral import vicreg_embedding
    >>> G = augmentation_graph(6, 2)  # 5 invariant directions: K = 5 keeps the whole cluster
    >>> Z = vicreg_embedding(G, n_components=5, invariance_weight=0.1).embedding
    >>> gap = compare_to_theory(Z + 3.0, G, method="vicreg", invariance_weight=0.1)
    >>> gap.passed, gap.predicted_rank
    (True, 5)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, received {method!r}")
    unknown = sorted(set(weights) - set(METHODS[method]))
    if unknown:
        raise ValueError(
            f"method={method!r} takes the weights {', '.join(METHODS[method])}; received unknown "
            f"{', '.join(unknown)}"
        )
    xp = _backend.get_namespace(embedding, graph)
    z = _validation.check_array(embedding, xp=xp, name="embedding", ndim=2, min_rows=2)
    for name, value in (("loss_rtol", loss_rtol), ("subspace_tol", subspace_tol), ("rank_tol", rank_tol)):
        _validation.check_positive(value, name=name)
    k = z.shape[1]
    solution, evaluator = _solve(method, graph, k, weights)
    value = float(evaluator(z, graph))
    optimum = float(solution.loss)
    gap = loss_gap(value, optimum)

    ddof = int(weights.get("ddof", 1))
    observed, denom = _compared(method, z, xp=xp, ddof=ddof)
    star = xp.asarray(solution.embedding, dtype=z.dtype)
    predicted, _ = _compared(method, star, xp=xp, ddof=ddof)
    obs_spec = _second_moment_spectrum(observed, xp=xp, denom=denom)
    pred_spec = _second_moment_spectrum(predicted, xp=xp, denom=denom)
    r_pred = _numerical_rank(pred_spec, xp=xp, rank_tol=rank_tol)
    r_obs = _numerical_rank(obs_spec, xp=xp, rank_tol=rank_tol)

    if r_pred > 0:
        # principal directions (left singular vectors) of both, top r_pred of each
        u_obs = _top_left_singular(observed, r_pred, xp=xp)
        u_pred = _top_left_singular(predicted, r_pred, xp=xp)
        if solution.tied:
            # the optimal subspace is any r-dimensional subspace of the kept-plus-tied eigenspace:
            # widen the solution until the tie is inside it and check containment instead
            wider = _untied_superspace(method, graph, k, weights, xp=xp, dtype=z.dtype, ddof=ddof)
            if wider is not None:
                u_pred = wider
        dist = subspace_distance(u_obs, u_pred)
        angles = principal_angles(u_obs, u_pred)
    else:
        dist, angles = 0.0, xp.zeros((0,), dtype=z.dtype, device=_backend.device(z))

    scale = max(1.0, abs(optimum))
    below = gap.absolute < -loss_rtol * scale
    passed = abs(gap.absolute) <= loss_rtol * scale and dist <= subspace_tol and r_obs == r_pred
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
        tied=bool(solution.tied),
        tolerances={"loss_rtol": loss_rtol, "subspace_tol": subspace_tol, "rank_tol": rank_tol},
    )


def _untied_superspace(
    method: str, graph: Any, k: int, weights: dict[str, Any], *, xp: ModuleType, dtype: Any, ddof: int
) -> Any | None:
    """Basis of the optimal columns of the smallest wider solution whose kept set ends a cluster."""
    n = graph.shape[0]
    for wider_k in range(k + 1, n + 1):
        try:
            solution, _ = _solve(method, graph, wider_k, weights)
        except ValueError:  # the wider problem has no closed form (e.g. BarlowTwins K > c)
            return None
        if not solution.tied:
            compared, denom = _compared(method, xp.asarray(solution.embedding, dtype=dtype), xp=xp, ddof=ddof)
            spectrum = _second_moment_spectrum(compared, xp=xp, denom=denom)
            r = _numerical_rank(spectrum, xp=xp, rank_tol=1e-12)
            return _top_left_singular(compared, r, xp=xp) if r else None
    return None


def _top_left_singular(a: Any, r: int, *, xp: ModuleType) -> Any:
    """Orthonormal basis of the top-``r`` left singular subspace of ``a``."""
    values, vectors = xp.linalg.eigh(a.mT @ a)  # ascending; K × K, cheap
    top = vectors[:, values.shape[0] - r :]
    q, _ = xp.linalg.qr(a @ top)
    return q

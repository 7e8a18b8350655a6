r"""Follow a training run against theory: :class:`TheoryTracker`, its records and :func:`plot_run`.

The tracker is fed the embeddings of each batch (any array-API library: PyTorch, CuPy, NumPy …;
computed on their device) and records, per call, the batch loss in the paper's graph form, the
closed-form optimum for the model class on the same batch, the gap, predicted versus observed
rank and spectrum, the invariance term and the quality metrics of :mod:`ssltheory.compare`
(RankMe, LiDAR, α-ReQ, alignment, uniformity) next to what a random representation gives.
Records are plain dicts of Python floats, ints and lists (``to_records``, ``to_json_lines``).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend, _linalg, _validation
from ssltheory.compare import _quality

__all__ = ["FreeOptimum", "METRICS", "TheoryTracker", "plot_run", "read_json_lines"]  # noqa: RUF022

_METHODS = ("vicreg",)
_MODELS = ("free", "linear")
_WEIGHTS = (
    "variance_weight",
    "covariance_weight",
    "invariance_weight",
    "variance_penalty",
    "ddof",
    "variance_floor",
    "variance_eps",
)
#: the optional metrics (``metrics=``); the loss, optimum, gap and invariance are always recorded
METRICS = ("alignment", "alpha_req", "lidar", "rankme", "spectrum", "uniformity")
_RANKME_EPS = {name: spec[2] for name, spec in _quality.RANKME_VARIANTS.items()}


def _nan_to_none(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _solver_kwargs(solver: Any, weights: dict[str, Any]) -> dict[str, Any]:
    """The weights the solver's signature accepts (``variance_floor`` only where it does)."""
    params = inspect.signature(solver).parameters
    return {k: v for k, v in weights.items() if k in params}


@dataclass(frozen=True)
class FreeOptimum:
    r"""Spectrum and loss of the free (any-embedding) optimum on a batch's augmentation graph.

    The fields of :class:`ssltheory.spectral.SpectralSolution` that the tracker needs, without
    the embedding (unique only up to rotations; :func:`ssltheory.spectral.vicreg_embedding`
    builds it).

    Attributes
    ----------
    eigenvalues : array, shape (n_components,)
        :math:`\lambda_k` of the graph Laplacian on :math:`\mathbf 1^\perp`, ascending (``inf``
        beyond :math:`N-1`).
    scales : array, shape (n_components,)
        :math:`c_k`, the eigenvalues of :math:`\mathrm{Cov}(Z^*)`.
    rank : int
        :math:`\#\{c_k>0\}`.
    loss : float
        :math:`\mathcal L^\star` (paper convention).
    """

    eigenvalues: Any
    scales: Any
    rank: int
    loss: float


class TheoryTracker:
    r"""Record how far a VICReg training run is from the closed-form theory, batch by batch.

    Each recorded call of :meth:`update` stacks the :math:`V` views (view-major, :math:`N=BV`
    rows, :math:`K` columns) and evaluates, with :math:`G` = ``augmentation_graph(B, V)``,
    :math:`C=Z^\top HZ/M`, :math:`M=N-\mathrm{ddof}`:

    .. math::

        \mathcal L(Z)=\alpha\sum_kv(C_{kk})+\beta\sum_{k\ne l}C_{kl}^2
        +\gamma\,\underbrace{\tfrac1N\textstyle\sum_{ij}G_{ij}\lVert z_i-z_j\rVert^2}_{\text{invariance}},
        \qquad \text{gap}=\mathcal L(Z)-\mathcal L^\star\ \ge0,

    with :math:`\mathcal L^\star` the optimum over the model class on this batch: ``"free"``
    (any embedding: the optimum of :func:`ssltheory.spectral.vicreg_embedding` on the
    augmentation graph, from its known spectrum, which depends on :math:`(B,V,K)` and the weights
    only and is computed once, :class:`FreeOptimum`) or ``"linear"`` (:math:`Z=XW`
    for the batch inputs ``features``: :func:`ssltheory.spectral.graph_statistics` with
    ``groups`` = the sample index, then
    :func:`ssltheory.spectral.vicreg_linear_weights_from_statistics`).

    Parameters
    ----------
    method : {"vicreg"}
        The loss (paper convention; convert library weights with
        :func:`ssltheory.losses.convert_vicreg_weights`).
    model : {"free", "linear"}
    every : int, default 1
        Record on steps with ``step % every == 0``; other calls return None at no cost.
    theory_every : int, default 1
        On recorded steps with ``step % theory_every == 0`` also compute the spectral part
        (eigenvalues: spectra, ranks, RankMe, LiDAR, α-ReQ) and, for ``"linear"``, the closed
        form. On other recorded steps those fields are None and the linear optimum is the last
        one computed (flagged by ``theory_step``).
    rank_tol : float, default 1e-3
        Eigenvalues of :math:`C` above ``rank_tol`` times the largest count as observed rank.
    n_spectrum : int, default 32
        How many leading eigenvalues of each spectrum a record keeps.
    lidar_delta, lidar_eps, uniformity_t, alignment_alpha : float
        Parameters of the metrics (see :mod:`ssltheory.compare`): LiDAR's ridge :math:`\delta\ge0`
        and :math:`\epsilon`, classes = the views of one sample; uniformity the mean over the views
        (as Wang & Isola train), alignment the mean over pairs of views.
    rankme_variant : {"paper", "stable_pretraining", "reptrix"}, default "paper"
        RankMe of the stacked views: Garrido et al.'s definition (uncentred singular values) or a
        tool's variant (see :func:`ssltheory.compare.rankme`); ``"reptrix"`` (centred) reuses the
        covariance spectrum and costs no extra eigenvalue problem.
    rankme_eps : float, optional
        RankMe's :math:`\epsilon`; default the variant's constant.
    metrics : "all" or iterable of str, default "all"
        Which optional fields to compute, from :data:`METRICS`: ``"spectrum"`` (observed
        spectrum, rank, ``collapsed``), ``"rankme"``, ``"lidar"``, ``"alpha_req"``, ``"alignment"``,
        ``"uniformity"``. The loss, its terms, the optimum, the gap and the invariance are always
        recorded; the others are None when not requested.
    **weights
        ``variance_weight`` :math:`\alpha`, ``covariance_weight`` :math:`\beta`,
        ``invariance_weight`` :math:`\gamma`, ``variance_penalty`` (``"square"``,
        ``"squared_hinge"``, ``"hinge"``: passed to the solvers as is), ``ddof``,
        ``variance_floor`` (the hinge's clamp, default 1e-6), ``variance_eps`` (the hinge's
        :math:`\epsilon` in :math:`1-\sqrt{C_{kk}+\epsilon}`, default 0; ``to_paper`` gives the
        library's).

    Raises
    ------
    ValueError
        Unknown method, model, weight, metric or RankMe variant; bad cadences or tolerances.
    TypeError
        Wrongly typed cadences, tolerances or ``metrics``.

    See Also
    --------
    ssltheory.compare.compare_to_theory : one embedding against the optimum (subspace included).
    plot_run : the run, theory against observation.

    Notes
    -----
    **Cost per recorded update.** One :math:`N\times N` product of the centred rows,
    :math:`Z_cZ_c^\top` (:math:`O(N^2K)`, only its :math:`V(V+1)/2` view blocks :math:`p\le q`;
    :math:`Z_c^\top Z_c`, :math:`O(NK^2)`, when :math:`N>K`),
    gives :math:`\lVert C\rVert_F^2=\lVert Z_cZ_c^\top\rVert_F^2/M^2`, the per-view Gram blocks of
    uniformity (uncentred: :math:`ZZ^\top=Z_cZ_c^\top+s\mathbf 1^\top+\mathbf 1s^\top+\lVert\mu
    \rVert^2`, :math:`s=Z_c\mu`) and the spectral part; the variance, invariance and alignment
    terms are :math:`O(NK)`. The spectral part (on ``theory_every`` steps) adds one eigenvalue
    problem of that product (covariance spectrum, observed rank, α-ReQ, and RankMe for
    ``"reptrix"``), one more for the uncentred RankMe variants (the same matrix plus the rank-two
    term above; :math:`Z^\top Z=Z_c^\top Z_c+N\mu\mu^\top` when :math:`N>K`) and, for LiDAR,
    a :math:`B(V-1)` Cholesky solve and a :math:`B\times B` eigenvalue problem (Woodbury on
    :math:`\Sigma_w+\delta I` in the coordinates of the views; the :math:`K\times K` generalised
    problem of :func:`ssltheory.compare.lidar` when :math:`N>K`). The free optimum is computed
    once per :math:`(B,V,K)`. The input dtype, namespace and device are kept (float32 stays
    float32, a CUDA tensor stays on its GPU); only scalars and the first ``n_spectrum``
    eigenvalues leave the device. ``benchmarks/bench_track.py`` measures the update against one
    PyTorch training step; use ``every``, ``theory_every`` and ``metrics`` to make it cheaper.

    **Collapse.** ``observed_rank`` counts covariance eigenvalues above ``rank_tol`` times the
    largest (0 when all rows are equal: complete collapse; RankMe, uncentred, is then 1);
    ``collapsed`` is ``observed_rank < predicted_rank``.

    The documented example, a plain PyTorch loop (``torch`` is optional, so this is not a
    doctest; ``tests/test_track_torch.py`` runs it); the head is trained with the libraries'
    VICReg (hinge on the standard deviation), the tracker measures the paper-form loss at the
    converted weights with the squared variance penalty (the default, which has a closed form)::

        import torch
        from ssltheory.losses import convert_vicreg_weights
        from ssltheory.track import TheoryTracker

        torch.manual_seed(0)
        B, D, K = 256, 32, 16
        signal = torch.randn(4096, D)
        head = torch.nn.Linear(D, K)
        opt = torch.optim.Adam(head.parameters(), lr=1e-2)

        def vicreg(z1, z2, sim=25.0, std=25.0, cov=1.0):  # as solo-learn / lightly write it
            inv = torch.nn.functional.mse_loss(z1, z2)
            var = covl = 0.0
            for z in (z1, z2):
                z = z - z.mean(0)
                s = torch.sqrt(z.var(0) + 1e-4)
                var = var + torch.relu(1 - s).mean() / 2
                c = z.T @ z / (z.shape[0] - 1)
                covl = covl + (c - torch.diag(torch.diag(c))).pow(2).sum() / z.shape[1]
            return sim * inv + std * var + cov * covl

        weights = convert_vicreg_weights(variance_weight=25.0, covariance_weight=1.0,
                                         invariance_weight=25.0, n_components=K,
                                         from_convention="reference", to_convention="paper")
        tracker = TheoryTracker(model="linear", every=10, **weights)
        for step in range(200):
            x = signal[torch.randint(0, 4096, (B,))]
            x1 = x + 0.3 * torch.randn_like(x)
            x2 = x + 0.3 * torch.randn_like(x)
            z1, z2 = head(x1), head(x2)
            loss = vicreg(z1, z2)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tracker.update(step, (z1.detach(), z2.detach()), features=(x1, x2))
        tracker.to_json_lines("run.jsonl")

    References
    ----------
    A. Bardes, J. Ponce, Y. LeCun, *VICReg*, ICLR 2022, arXiv:2105.04906. R. Balestriero,
    Y. LeCun, arXiv:2205.11508 (the graph form and closed forms). Metrics: arXiv:2210.02885,
    arXiv:2312.04000, arXiv:2202.05808, arXiv:2005.10242.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((64, 8))
    >>> tracker = TheoryTracker(invariance_weight=0.1)
    >>> rec = tracker.update(0, (x + 0.1 * rng.standard_normal(x.shape), x))
    >>> rec["gap"] >= 0, rec["predicted_rank"], rec["observed_rank"]
    (True, 8, 8)
    """

    def __init__(
        self,
        *,
        method: str = "vicreg",
        model: str = "free",
        every: int = 1,
        theory_every: int = 1,
        rank_tol: float = 1e-3,
        n_spectrum: int = 32,
        lidar_delta: float = 1e-4,
        lidar_eps: float = 1e-7,
        rankme_eps: float | None = None,
        rankme_variant: str = "paper",
        metrics: Any = "all",
        uniformity_t: float = 2.0,
        alignment_alpha: float = 2.0,
        **weights: Any,
    ) -> None:
        if method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}, received {method!r}")
        if model not in _MODELS:
            raise ValueError(f"model must be one of {', '.join(map(repr, _MODELS))}, received {model!r}")
        unknown = sorted(set(weights) - set(_WEIGHTS))
        if unknown:
            raise ValueError(
                f"method={method!r} takes the weights {', '.join(_WEIGHTS)}; "
                f"received unknown {', '.join(unknown)}"
            )
        self.method, self.model = method, model
        self.every = _validation.check_int(every, name="every", minimum=1)
        self.theory_every = _validation.check_int(theory_every, name="theory_every", minimum=1)
        self.rank_tol = _validation.check_positive(rank_tol, name="rank_tol")
        self.n_spectrum = _validation.check_int(n_spectrum, name="n_spectrum", minimum=0)
        self.lidar_delta = _validation.check_positive(lidar_delta, name="lidar_delta", strict=False)
        self.lidar_eps = _validation.check_positive(lidar_eps, name="lidar_eps", strict=False)
        self.rankme_eps = (
            None
            if rankme_eps is None
            else _validation.check_positive(rankme_eps, name="rankme_eps", strict=False)
        )
        if rankme_variant not in _quality.RANKME_VARIANTS:
            raise ValueError(
                f"rankme_variant must be one of {', '.join(map(repr, _quality.RANKME_VARIANTS))}, "
                f"received {rankme_variant!r}"
            )
        self.rankme_variant = rankme_variant
        if isinstance(metrics, str):
            metrics = METRICS if metrics == "all" else (metrics,)
        try:
            chosen = frozenset(metrics)
        except TypeError as exc:
            raise TypeError(f"metrics must be 'all' or an iterable of names, received {metrics!r}") from exc
        bad = sorted(map(str, chosen - set(METRICS)))
        if bad:
            raise ValueError(
                f"metrics must be 'all' or names from {', '.join(METRICS)}; received unknown {', '.join(bad)}"
            )
        self.metrics = chosen
        self.uniformity_t = _validation.check_positive(uniformity_t, name="uniformity_t")
        self.alignment_alpha = _validation.check_positive(alignment_alpha, name="alignment_alpha")
        w = {
            "variance_weight": 1.0,
            "covariance_weight": 1.0,
            "invariance_weight": 1.0,
            "variance_penalty": "square",
            "ddof": 1,
            "variance_floor": 1e-6,
            "variance_eps": 0.0,
        }
        w.update(weights)
        for name in ("variance_weight", "covariance_weight", "invariance_weight"):
            w[name] = _validation.check_positive(w[name], name=name, strict=False)
        if w["variance_penalty"] not in ("square", "squared_hinge", "hinge"):
            raise ValueError(
                "variance_penalty must be 'square', 'squared_hinge' or 'hinge', received "
                f"{w['variance_penalty']!r}"
            )
        w["ddof"] = _validation.check_int(w["ddof"], name="ddof", minimum=0)
        from ssltheory.spectral._vicreg import _check_penalty

        penalty = _check_penalty(w["variance_penalty"], w["variance_floor"], w["variance_eps"])
        w["variance_floor"], w["variance_eps"] = penalty.floor, penalty.eps
        self.weights = w
        self._records: list[dict[str, Any]] = []
        self._cache: dict[Any, Any] = {}
        self._linear: tuple[int, Any] | None = None
        #: the latest closed-form solution (:class:`FreeOptimum` / ``LinearSolution``, arrays on the
        #: input's backend) and observed covariance spectrum (descending, on the input's backend)
        self.last_solution: Any = None
        self.last_spectrum: Any = None

    # ------------------------------------------------------------------ input handling
    @staticmethod
    def _stack(views: Any, *, name: str) -> tuple[ModuleType, Any, int, int]:
        if not isinstance(views, (tuple, list)) or len(views) < 2:
            raise TypeError(
                f"{name} must be a tuple (z1, z2, ...) of at least 2 arrays, received {type(views).__name__}"
            )
        try:
            xp = _backend.get_namespace(*views)
        except TypeError as exc:
            raise TypeError(f"{name}: {exc}") from exc
        shape = tuple(views[0].shape)
        for i, v in enumerate(views):
            if v.ndim != 2:
                raise ValueError(
                    f"{name}[{i}] must be a 2-D array (batch, dim), received shape {tuple(v.shape)}"
                )
            if tuple(v.shape) != shape:
                raise ValueError(
                    f"{name} must all have the same shape: {name}[0] is {shape}, "
                    f"{name}[{i}] is {tuple(v.shape)}"
                )
            if not xp.isdtype(v.dtype, "real floating"):
                raise TypeError(f"{name}[{i}] must have a real floating dtype, received {v.dtype}")
            if v.dtype != views[0].dtype:
                raise TypeError(
                    f"{name} must share one dtype: {name}[0] is {views[0].dtype}, {name}[{i}] is {v.dtype}"
                )
            if _backend.device(v) != _backend.device(views[0]):
                raise ValueError(f"{name} must be on one device: {name}[{i}] is on {_backend.device(v)}")
        if shape[0] < 2 or shape[1] < 1:
            raise ValueError(f"{name} must have at least 2 rows and 1 column each, received shape {shape}")
        z = xp.concat(list(views), axis=0)
        _validation.check_finite(z, xp=xp, name=name)
        return xp, z, len(views), shape[0]

    # ------------------------------------------------------------------ theory
    @contextlib.contextmanager
    def _solver_errors(self) -> Iterator[None]:
        """Re-raise a solver's ValueError with the tracker's setting (a penalty without a closed form)."""
        try:
            yield
        except ValueError as exc:
            raise ValueError(
                f"TheoryTracker(method={self.method!r}, model={self.model!r}, "
                f"variance_penalty={self.weights['variance_penalty']!r}): the closed-form optimum is "
                f"not available: {exc}"
            ) from exc

    def _free_solution(self, b: int, v: int, k: int, *, xp: ModuleType, dtype: Any, dev: Any) -> Any:
        r"""The free optimum's spectrum and loss from the known spectrum of the augmentation graph.

        Each sample's :math:`V` views form a unit-weight clique, whose Laplacian has eigenvalues
        :math:`0` and :math:`V`; on :math:`\mathbf 1^\perp`: :math:`0` (:math:`B-1` times) and
        :math:`V` (:math:`B(V-1)` times). The scales and loss of
        :func:`ssltheory.spectral.vicreg_embedding` follow from these without an eigensolver and
        without forming the embedding (nor its equal-diagonal rotation for :math:`\alpha>\beta`,
        :math:`O(K^4)`): :math:`O(K)`, computed once per :math:`(B, V, K)`.
        """
        key = ("free", b, v, k, _backend.backend_name(xp), str(dtype), str(dev))
        if key not in self._cache:
            from ssltheory.spectral._vicreg import _check_penalty, _check_weights, _optimal_scales

            w = self.weights
            n = b * v
            m = n - w["ddof"]
            with self._solver_errors():
                penalty = _check_penalty(w["variance_penalty"], w["variance_floor"], w["variance_eps"])
                alpha, beta, gamma = _check_weights(
                    w["variance_weight"], w["covariance_weight"], w["invariance_weight"]
                )
            gamma_p = gamma * m / n
            k_eff = min(k, n - 1)
            n_zero = min(k_eff, b - 1)
            lam = xp.concat(
                [
                    xp.zeros((n_zero,), dtype=dtype, device=dev),
                    xp.full((k_eff - n_zero,), float(v), dtype=dtype, device=dev),
                ]
            )
            c, _, loss, _ = _optimal_scales(
                lam, k, alpha=alpha, beta=beta, gamma_p=gamma_p, penalty=penalty, xp=xp, rotation=False
            )
            pad = xp.full((k - k_eff,), math.inf, dtype=dtype, device=dev)
            self._cache[key] = FreeOptimum(
                eigenvalues=xp.concat([lam, pad]),
                scales=c,
                rank=int(xp.sum(xp.astype(c > 0, xp.int64))),
                loss=loss,
            )
        return self._cache[key]

    def _linear_solution(self, x: Any, b: int, v: int, k: int, *, xp: ModuleType) -> Any:
        from ssltheory._warnings import DegenerateSpectrumWarning
        from ssltheory.spectral import graph_statistics, vicreg_linear_weights_from_statistics

        groups = xp.concat([xp.arange(b, device=_backend.device(x))] * v)
        stats = graph_statistics(x, groups=groups)
        with warnings.catch_warnings(), self._solver_errors():
            warnings.simplefilter("ignore", DegenerateSpectrumWarning)
            return vicreg_linear_weights_from_statistics(
                stats, n_components=k, **_solver_kwargs(vicreg_linear_weights_from_statistics, self.weights)
            )

    @staticmethod
    def _predicted_invariance(sol: Any, m: int, n: int, *, xp: ModuleType) -> float:
        """(1/N) Σ G_ij ‖z_i − z_j‖² at the optimum = (2M/N) Σ_k c_k λ_k (c_k = 0 columns dropped)."""
        c, lam = sol.scales, sol.eigenvalues
        kept = c > 0
        terms = xp.where(kept, c * xp.where(kept, lam, xp.zeros_like(lam)), xp.zeros_like(c))
        return 2.0 * m / n * float(xp.sum(terms))

    # ------------------------------------------------------------------ the update
    def update(self, step: int, views: Any, features: Any = None) -> dict[str, Any] | None:
        r"""Record one batch.

        Parameters
        ----------
        step : int
            Training step (``>= 0``), decides the cadences.
        views : tuple of arrays, each shape (batch, n_components)
            The embeddings of the :math:`V\ge2` views (row :math:`i` of each = sample :math:`i`),
            one library, device and floating dtype.
        features : tuple of arrays, each shape (batch, n_features), optional
            The head's inputs for ``model="linear"`` (required there), same layout.

        Returns
        -------
        dict or None
            The record (also kept for :meth:`to_records`), None on steps not recorded. Fields
            of metrics not requested (``metrics``) or not computed on this step
            (``theory_every``) are None.

        Raises
        ------
        TypeError
            ``views``/``features`` not a tuple of arrays, mixed libraries, integer dtype.
        ValueError
            Different shapes, non-finite entries, ``features`` missing for ``model="linear"`` or
            with the wrong number of rows; a setting the closed-form solver rejects (its
            message, prefixed with the tracker's setting).
        """
        step = _validation.check_int(step, name="step", minimum=0)
        if step % self.every:
            return None
        xp, z, v, b = self._stack(views, name="views")
        n, k = z.shape
        w = self.weights
        m = n - w["ddof"]
        if m <= 0:
            raise ValueError(f"views: {n} stacked rows leave no degrees of freedom with ddof={w['ddof']}")
        theory = step % self.theory_every == 0
        dev, dtype = _backend.device(z), z.dtype
        x = None
        if self.model == "linear":
            if features is None:
                raise ValueError(
                    "features (the head's inputs, a tuple like views) are required for model='linear'"
                )
            fxp, x, fv, fb = self._stack(features, name="features")
            if _backend.backend_name(fxp) != _backend.backend_name(xp):
                raise TypeError(
                    f"features must come from the library of views ({_backend.backend_name(xp)}), "
                    f"received {_backend.backend_name(fxp)}"
                )
            if fv != v or fb != b:
                raise ValueError(
                    f"features must match views: {v} arrays of {b} rows each, "
                    f"received {fv} arrays of {fb} rows"
                )
        wanted = self.metrics

        # ---- loss terms: centred data, one N×N (N <= K) or K×K (N > K) product
        mu = xp.mean(z, axis=0)
        zc = z - mu[None, :]
        var = xp.sum(zc * zc, axis=0) / m  # C_kk
        # covariance below max(N, K)·eps·(mean squared norm) is rounding of the centring (all
        # rows equal gives ~eps·‖μ‖², not 0): complete collapse, where rank-0 metrics are undefined
        floor = max(n, k) * float(xp.finfo(dtype).eps) * float(xp.sum(z * z)) / m
        complete_collapse = float(xp.sum(var)) <= floor
        blocks = cov = None
        if n <= k:
            # H Z Zᵀ H from centred rows (no cancellation), by view blocks: the V(V+1)/2 blocks
            # p <= q suffice (G_qp = G_pqᵀ), 3/4 of the product for two views
            zr = [zc[p * b : (p + 1) * b, :] for p in range(v)]
            upper = {(p, q): zr[p] @ zr[q].mT for p in range(v) for q in range(p, v)}
            blocks = [[upper[(p, q)] if p <= q else upper[(q, p)].mT for q in range(v)] for p in range(v)]
            fro2 = sum(float(xp.sum(g * g)) * (1 if p == q else 2) for (p, q), g in upper.items())
            fro2 = fro2 / (m * m)  # ‖C‖_F² = ‖HZZᵀH‖_F² / M²
        else:
            cov = zc.mT @ zc / m
            fro2 = xp.sum(cov * cov)
        cov_term = float(fro2 - xp.sum(var * var))
        from ssltheory.losses._vicreg import variance_term

        var_term = float(
            variance_term(
                var, penalty=w["variance_penalty"], floor=w["variance_floor"], eps=w["variance_eps"], xp=xp
            )[0]
        )
        rows = [z[p * b : (p + 1) * b, :] for p in range(v)]
        pairs = [(p, q) for p in range(v) for q in range(p + 1, v)]
        # (1/N) Σ_ij G_ij ‖z_i − z_j‖²: each unordered pair of views of a sample counted twice
        pair_sq = sum(float(xp.sum((rows[p] - rows[q]) ** 2)) for p, q in pairs)
        invariance = 2.0 * pair_sq / n
        loss = (
            w["variance_weight"] * var_term
            + w["covariance_weight"] * cov_term
            + w["invariance_weight"] * invariance
        )

        # ---- alignment, uniformity (Wang & Isola) on the normalised rows
        align = unif = None
        if "alignment" in wanted or "uniformity" in wanted:
            inv_norm = 1.0 / xp.clip(xp.linalg.vector_norm(z, axis=1), min=1e-12)  # F.normalize's eps
            u = [rows[p] * inv_norm[p * b : (p + 1) * b, None] for p in range(v)]
            if "alignment" in wanted:
                a = self.alignment_alpha
                align = sum(
                    float(xp.mean(xp.linalg.vector_norm(u[p] - u[q], axis=1) ** a)) for p, q in pairs
                ) / len(pairs)
            if "uniformity" in wanted:
                if blocks is not None:  # per-view Gram blocks of Z Zᵀ = G_c + s1ᵀ + 1sᵀ + ‖μ‖², s = Zc μ
                    s = zc @ mu
                    mu2 = xp.sum(mu * mu)
                grams = []
                for p in range(v):
                    sl = slice(p * b, (p + 1) * b)
                    if blocks is not None:
                        gp = blocks[p][p] + s[sl][:, None] + s[sl][None, :] + mu2
                        gp = gp * inv_norm[sl][:, None] * inv_norm[sl][None, :]
                    else:
                        gp = u[p] @ u[p].mT
                    grams.append(gp)
                t = self.uniformity_t
                idx = xp.arange(b, device=dev)
                off = idx[:, None] != idx[None, :]
                vals = []
                for gp in grams:
                    dg = xp.linalg.diagonal(gp)
                    d2 = xp.clip(dg[:, None] + dg[None, :] - 2 * gp, min=0.0)
                    total = float(xp.sum(xp.where(off, xp.exp(-t * d2), xp.zeros_like(d2))))
                    vals.append(math.log(total / (b * (b - 1))) if total > 0 else -math.inf)
                unif = sum(vals) / len(vals)

        # ---- closed form
        theory_step = step
        if self.model == "free":
            sol = self._free_solution(b, v, k, xp=xp, dtype=dtype, dev=dev)
        else:
            if theory or self._linear is None:
                self._linear = (step, self._linear_solution(x, b, v, k, xp=xp))
            theory_step, sol = self._linear
        self.last_solution = sol
        optimum = float(sol.loss)
        pred_spec = xp.flip(xp.sort(sol.scales), axis=0)
        predicted_rank = int(sol.rank)

        rec: dict[str, Any] = {
            "step": step,
            "theory_step": theory_step,
            "method": self.method,
            "model": self.model,
            "n_samples": b,
            "n_views": v,
            "n_components": k,
            "loss": loss,
            "variance_term": var_term,
            "covariance_term": cov_term,
            "invariance": invariance,
            "optimal_loss": optimum,
            "gap": loss - optimum,
            "relative_gap": (loss - optimum) / max(abs(optimum), 1e-300),
            "predicted_invariance": self._predicted_invariance(sol, m, n, xp=xp),
            "predicted_rank": predicted_rank,
            "predicted_spectrum": [float(c) for c in _backend.to_numpy(pred_spec[: min(self.n_spectrum, k)])],
            "alignment": align,
            "uniformity": unif,
            "uniformity_reference": self._reference("uniformity", k) if "uniformity" in wanted else None,
            "rankme_reference": self._reference("rankme", n, k) if "rankme" in wanted else None,
            "observed_rank": None,
            "collapsed": None,
            "observed_spectrum": None,
            "rankme": None,
            "lidar": None,
            "alpha_req": None,
        }

        # ---- spectral part: one eigenvalue problem of the covariance, shared
        if theory:
            gc = None
            if blocks is not None and {"spectrum", "alpha_req", "rankme"} & wanted:
                gc = xp.concat([xp.concat(row, axis=1) for row in blocks], axis=0)
            need_spec = bool({"spectrum", "alpha_req"} & wanted) or (
                "rankme" in wanted and self.rankme_variant == "reptrix"
            )
            if need_spec:
                # eigvalsh reads one triangle: the products above are symmetric by construction
                spec = xp.linalg.eigvalsh(gc) / m if gc is not None else xp.linalg.eigvalsh(cov)
                spec = xp.clip(xp.flip(spec, axis=0), min=0.0)
                full = spec  # all K eigenvalues of C: the N×N route misses K - N exact zeros
                if spec.shape[0] < k:
                    full = xp.concat([spec, xp.zeros((k - spec.shape[0],), dtype=spec.dtype, device=dev)])
                self.last_spectrum = full
                if "spectrum" in wanted:
                    thresh = max(self.rank_tol * float(spec[0]), floor)
                    rank = 0 if complete_collapse else int(xp.sum(xp.astype(spec > thresh, xp.int64)))
                    rec["observed_rank"] = rank
                    rec["collapsed"] = rank < predicted_rank
                    rec["observed_spectrum"] = [
                        float(c) for c in _backend.to_numpy(full[: min(self.n_spectrum, k)])
                    ]
                if "alpha_req" in wanted and not complete_collapse:
                    rec["alpha_req"] = _quality._powerlaw_exponent(
                        spec, fit_range=(1, None), weighting="uniform", xp=xp
                    )
            if "rankme" in wanted:
                if self.rankme_variant == "reptrix":  # centred: σ² = M × covariance eigenvalues
                    sq_sv = spec * m
                elif gc is not None:  # uncentred Gram Z Zᵀ from the centred one
                    s = zc @ mu
                    sq_sv = xp.linalg.eigvalsh(gc + s[:, None] + s[None, :] + xp.sum(mu * mu))
                else:  # ZᵀZ = ZcᵀZc + N μμᵀ
                    sq_sv = xp.linalg.eigvalsh(cov * m + n * (mu[:, None] * mu[None, :]))
                eps = _RANKME_EPS[self.rankme_variant] if self.rankme_eps is None else self.rankme_eps
                rec["rankme"] = _quality._rankme_from_spectrum(
                    sq_sv, min(n, k), variant=self.rankme_variant, eps=eps, xp=xp
                )
            if "lidar" in wanted and not complete_collapse:
                rec["lidar"] = self._lidar(blocks, z, b, v, k, xp=xp)
        for key in (
            "loss",
            "variance_term",
            "covariance_term",
            "invariance",
            "gap",
            "relative_gap",
            "alignment",
            "uniformity",
            "rankme",
            "lidar",
            "alpha_req",
        ):
            if rec[key] is not None:
                rec[key] = _nan_to_none(rec[key])
        self._records.append(rec)
        return rec

    def _reference(self, kind: str, *shape: int) -> float:
        key = (kind, *shape)
        if key not in self._cache:
            if kind == "uniformity":
                self._cache[key] = _quality.uniformity_reference(shape[0], t=self.uniformity_t)
            else:
                self._cache[key] = _quality.rankme_reference(
                    shape[0], shape[1], eps=self.rankme_eps, variant=self.rankme_variant
                )
        return self._cache[key]

    def _lidar(self, blocks: Any, z: Any, b: int, v: int, k: int, *, xp: ModuleType) -> float:
        r"""LiDAR with classes = samples; for :math:`N\le K` from the centred Gram blocks.

        With :math:`G^{pq}=Z^c_p{Z^c_q}^\top` (LiDAR is translation invariant), Helmert contrasts
        :math:`c_{ih}=\sum_pH_{hp}z^p_i` give :math:`\sum_{i,p}(z^p_i-\mu_i)(\cdot)^\top=
        \sum_{i,h}c_{ih}c_{ih}^\top`; with :math:`\tilde M` (centred means / :math:`\sqrt{B-1}`) and
        :math:`\tilde W` (contrasts / :math:`\sqrt{B(V-1)}`), the nonzero eigenvalues of
        :math:`(\tilde W^\top\tilde W+\delta I)^{-1}\tilde M^\top\tilde M` are those of
        :math:`\frac1\delta\big(\tilde M\tilde M^\top-\tilde M\tilde W^\top(\delta I+\tilde W
        \tilde W^\top)^{-1}\tilde W\tilde M^\top\big)` (Woodbury); the other :math:`K-B` are zero.
        NaN where LiDAR is undefined (zero between-class scatter, singular :math:`\Sigma_w` at
        :math:`\delta=0`).
        """
        delta, eps = self.lidar_delta, self.lidar_eps
        if blocks is None:  # N > K: the K×K generalised problem
            groups = xp.concat([xp.arange(b, device=_backend.device(z))] * v)
            try:
                return _quality.lidar(z, groups, delta=delta, eps=eps)
            except ValueError:
                return math.nan
        if delta == 0:  # Σ_w has rank <= B(V-1) < K: singular
            return math.nan
        helmert = [[0.0] * v for _ in range(v - 1)]
        for h in range(1, v):
            for p in range(h):
                helmert[h - 1][p] = 1.0 / math.sqrt(h * (h + 1))
            helmert[h - 1][h] = -h / math.sqrt(h * (h + 1))
        dev, dtype = _backend.device(z), z.dtype
        hb = xp.eye(b, dtype=dtype, device=dev) - 1.0 / b
        colsum = [sum(blocks[u][q] for u in range(v)) for q in range(v)]  # Σ_u G^{uq}
        gmu = sum(colsum) / (v * v)
        mm = hb @ gmu @ hb / (b - 1)
        ft = [hb @ sum(helmert[h][q] * colsum[q] for q in range(v)) / v for h in range(v - 1)]
        ct = [
            [
                sum(helmert[h][p] * helmert[g][q] * blocks[p][q] for p in range(v) for q in range(v))
                for g in range(v - 1)
            ]
            for h in range(v - 1)
        ]
        scale_w = b * (v - 1)
        s = xp.concat([xp.concat(row, axis=1) for row in ct], axis=0) / scale_w
        s = s + delta * xp.eye(s.shape[0], dtype=dtype, device=dev)
        f = xp.concat(ft, axis=1) / math.sqrt((b - 1) * scale_w)  # M̃ W̃ᵀ, (B, B(V-1))
        try:
            chol = xp.linalg.cholesky(_linalg.symmetrize(s, xp=xp))
        except Exception:  # not positive definite: only if delta is negligible against rounding
            return math.nan
        y = xp.linalg.solve(chol, f.mT)
        lam = xp.linalg.eigvalsh((mm - y.mT @ y) / delta)
        return _quality._entropy_rank(lam, eps=eps, n_total=k, xp=xp)

    # ------------------------------------------------------------------ output
    def to_records(self) -> list[dict[str, Any]]:
        """The records so far (a list of dicts of floats, ints, lists and None), oldest first."""
        return [dict(r) for r in self._records]

    def to_json_lines(self, path: str | os.PathLike[str], /) -> None:
        """Write the records as JSON lines (one object per line; absent values are ``null``)."""
        with open(path, "w", encoding="utf-8") as fh:
            for rec in self._records:
                fh.write(json.dumps(rec, allow_nan=False) + "\n")


def read_json_lines(path: str | os.PathLike[str], /) -> list[dict[str, Any]]:
    """Read records written by :meth:`TheoryTracker.to_json_lines`.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> tr = TheoryTracker()
    >>> _ = tr.update(0, (np.eye(4), np.eye(4)))
    >>> path = os.path.join(tempfile.mkdtemp(), "run.jsonl")
    >>> tr.to_json_lines(path)
    >>> read_json_lines(path) == tr.to_records()
    True
    """
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def plot_run(
    records_or_tracker: Any,
    /,
    *,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
    dynamics: tuple[Any, Any] | None = None,
) -> Any:
    r"""One matplotlib figure of a run: theory against observation over the steps.

    Panels: loss and closed-form optimum; predicted and observed rank; invariance, observed and
    at the optimum; RankMe and the Marchenko–Pastur reference; uniformity and the
    uniform-sphere reference; LiDAR and α-ReQ. With ``dynamics``, a seventh panel overlays a
    predicted trajectory of the covariance eigenvalues on the observed spectrum of each record.

    Parameters
    ----------
    records_or_tracker : TheoryTracker or list of dict
    path : path, optional
        Save the figure there.
    title : str, optional
    dynamics : (steps, eigenvalues), optional
        A closed-form training trajectory in the tracker's steps: ``steps`` of shape (T,) and
        ``eigenvalues`` of shape (T, m), the predicted eigenvalues of the embedding covariance
        (the quantity of the records' ``observed_spectrum``), e.g. from
        :func:`ssltheory.dynamics.stepwise_trajectory` evaluated at ``η · steps`` in a setting
        where its eigenvalues are those of :math:`\mathrm{Cov}(Z)`. Drawn dashed over the
        observed eigenvalues (solid, one line per index). The caller states that the setting
        matches; nothing is inferred.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        matplotlib is missing (``pip install ssltheory[plot]``).
    ValueError
        No records; ``dynamics`` not a pair of a 1-D ``steps`` and a (len(steps), m) array.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.dynamics import stepwise_trajectory
    >>> tracker = TheoryTracker()
    >>> rng = np.random.default_rng(0)
    >>> for step in range(0, 30, 10):
    ...     z = rng.standard_normal((16, 2))
    ...     _ = tracker.update(step, (z, z + 0.1))
    >>> steps = np.arange(30.0)
    >>> predicted = stepwise_trajectory(np.array([1.0, 0.5]), 0.05 * steps, init_scale=0.1).eigenvalues
    >>> fig = plot_run(tracker, dynamics=(steps, predicted))  # doctest: +SKIP
    """
    records = (
        records_or_tracker.to_records()
        if isinstance(records_or_tracker, TheoryTracker)
        else list(records_or_tracker)
    )
    if not records:
        raise ValueError("records_or_tracker holds no records: call update(...) first")
    import numpy as np  # plotting is on the host

    if dynamics is not None:
        if not isinstance(dynamics, tuple) or len(dynamics) != 2:
            raise ValueError(
                f"dynamics must be a pair (steps, eigenvalues), received {type(dynamics).__name__}"
            )
        dyn_steps = np.asarray(_backend.to_numpy(dynamics[0]), dtype=float)
        dyn_values = np.asarray(_backend.to_numpy(dynamics[1]), dtype=float)
        if dyn_steps.ndim != 1 or dyn_values.ndim != 2 or dyn_values.shape[0] != dyn_steps.shape[0]:
            raise ValueError(
                "dynamics must be (steps of shape (T,), eigenvalues of shape (T, m)), received shapes "
                f"{dyn_steps.shape} and {dyn_values.shape}"
            )
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError("plot_run needs matplotlib: pip install ssltheory[plot]") from exc

    def series(key: str) -> tuple[list[int], list[float]]:
        pts = [(r["step"], r[key]) for r in records if r.get(key) is not None]
        return [p[0] for p in pts], [p[1] for p in pts]

    fig = Figure(figsize=(16 if dynamics is not None else 12, 7), layout="constrained")
    axes = fig.subplots(2, 4 if dynamics is not None else 3)
    if dynamics is not None:
        spec_ax, extra = axes[0, 3], axes[1, 3]
        extra.set_axis_off()
        axes = axes[:, :3]
        spectra = [(r["step"], r["observed_spectrum"]) for r in records if r.get("observed_spectrum")]
        m = dyn_values.shape[1]
        for j in range(m):
            (line,) = spec_ax.plot(dyn_steps, dyn_values[:, j], "--", label="predicted" if j == 0 else None)
            pts = [(st, sp[j]) for st, sp in spectra if len(sp) > j]
            if pts:
                spec_ax.plot(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    marker=".",
                    color=line.get_color(),
                    label="observed" if j == 0 else None,
                )
        spec_ax.set_title("spectrum: dynamics")
        spec_ax.set_xlabel("step")
        spec_ax.set_ylabel("eigenvalues of Cov(Z)")
        spec_ax.legend(fontsize="small")
    panels = [
        ("loss", [("loss", "observed"), ("optimal_loss", "closed-form optimum")]),
        ("rank", [("observed_rank", "observed"), ("predicted_rank", "predicted")]),
        ("invariance", [("invariance", "observed"), ("predicted_invariance", "at the optimum")]),
        ("RankMe", [("rankme", "observed"), ("rankme_reference", "isotropic Gaussian (MP)")]),
        ("uniformity", [("uniformity", "observed"), ("uniformity_reference", "uniform on the sphere")]),
        ("LiDAR / α-ReQ", [("lidar", "LiDAR"), ("alpha_req", "α-ReQ")]),
    ]
    for ax, (name, lines) in zip(np.ravel(axes), panels, strict=True):
        for key, label in lines:
            xs, ys = series(key)
            if xs:
                ax.plot(xs, ys, marker="." if len(xs) < 50 else None, label=label)
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path)
    return fig

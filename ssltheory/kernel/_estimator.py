"""``KernelSSL``: the kernel-regime closed forms as a scikit-learn transformer (spec/kernel.md)."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError

from ssltheory import _backend, _validation
from ssltheory.kernel import _kernels
from ssltheory.kernel._solve import kernel_ssl_solve, linear_ssl_solve

__all__ = ["KernelSSL"]

_KERNELS = ("rbf", "laplacian", "linear", "polynomial", "precomputed")
_MEDIAN_MAX_ROWS = 2000  # the median heuristic uses at most this many evenly spaced training views


def _as_array(x: Any, name: str) -> Any:
    """Arrays pass through (any backend); lists and other array-likes become NumPy (scikit-learn)."""
    if x is None:
        return x
    if _backend.is_sparse(x):
        if name == "graph":
            return x
        raise TypeError(
            f"Sparse data was passed for {name}, but dense data is required (sparse input is not supported)"
        )
    if not array_api_compat.is_array_api_obj(x):
        try:
            x = np.asarray(x)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array or array-like, received {type(x).__name__}") from exc
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "c":
            raise ValueError(f"Complex data not supported: {name} has dtype {x.dtype}")
        if x.dtype.kind == "O":
            x = x.astype(np.float64)  # TypeError / ValueError from NumPy name the offending entry
    return x


def _check_x(x: Any, *, xp: ModuleType, min_samples: int) -> Any:
    """2-D, non-empty, finite (messages in scikit-learn's vocabulary), floating."""
    if x.ndim != 2:
        raise ValueError(
            f"X must be a 2-D array of shape (n_samples, n_features), received shape {tuple(x.shape)}. "
            "Reshape your data either using array.reshape(-1, 1) if your data has a single feature "
            "or array.reshape(1, -1) if it contains a single sample."
        )
    if x.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={tuple(x.shape)}) while a minimum of 1 is required."
        )
    if x.shape[0] < min_samples:
        raise ValueError(
            f"Found array with n_samples={x.shape[0]}, while a minimum of {min_samples} is required"
        )
    x = _validation.as_float(x, xp=xp, name="X")
    if not bool(xp.all(xp.isfinite(x))):
        raise ValueError("Input X contains NaN or inf; KernelSSL needs finite data")
    return x


class KernelSSL(TransformerMixin, BaseEstimator):
    r"""Joint-embedding SSL in the kernel regime: closed-form minimum-norm map and induced kernel.

    .. math::

        f(x) = Ck_x,\qquad k^*(x, x') = f(x)^\top f(x') = k_x^\top K^+ M K^+ k_{x'},

    where :math:`C` minimises the chosen SSL loss on the training views (relations given by
    ``groups`` or ``graph``) plus :math:`\rho\lVert W\rVert_{HS}^2`, in the minimum-norm limit
    for ``ridge=0`` (see :func:`~ssltheory.kernel.kernel_ssl_solve` for the losses).

    Parameters
    ----------
    n_components : int, default 2
        Output dimension :math:`d`.
    loss : {"wmse", "vicreg", "spectral_contrastive"}, default "wmse"
    kernel : {"rbf", "laplacian", "linear", "polynomial", "precomputed"} or callable, default "rbf"
        A callable takes ``(x, y)`` arrays and returns their Gram matrix. With ``"precomputed"``
        ``fit`` takes the training Gram matrix and ``transform`` the kernel between new points
        (rows) and training views (columns), scikit-learn's convention.
    bandwidth : "median" or float, default "median"
        RBF / Laplacian bandwidth :math:`\sigma`; ``"median"``: :func:`median_bandwidth` of the
        training views (at most 2,000 evenly spaced ones).
    normalization, weighting, center, invariance_weight, variance_weight, ridge
        As in :func:`~ssltheory.kernel.kernel_ssl_solve`.
    output_penalty, jitter, extension_smoothing, rtol, tie_break, tie_tol
        As in :func:`~ssltheory.kernel.kernel_ssl_solve`.
    self_loops : bool, default False
        Graph built from ``groups``: ``label_graph(groups, self_loops=...)`` (spec K3).
    n_landmarks : int, optional
        Nyström scale-out with this many landmarks drawn without replacement from the training
        views (spec §3.9); ``None`` solves exactly.
    random_state : int or numpy.random.Generator, optional
        Seed of the landmark draw.

    Attributes
    ----------
    embedding_ : array, shape (n_samples, n_components)
        :math:`Z^\top`, the training representations.
    coef_ : array, shape (n_components, n_samples) or None
        :math:`C` (exact solver only).
    weights_ : array, shape (n_landmarks, n_components) or None
        Weights on the Nyström features (Nyström only).
    landmarks_ : array or None
        The landmark views (Nyström only).
    X_fit_ : array
        Training views (the Gram matrix for ``kernel="precomputed"``).
    eigenvalues_, loss_, graph_tie_, rank_, condition_
        From the solution.
    bandwidth_ : float or None
        The bandwidth used.
    n_features_in_ : int

    Raises
    ------
    ValueError
        Both ``groups`` and ``graph``, a graph or groups that do not match ``X``, NaN, a
        non-PSD precomputed kernel, ``n_components`` above the rank, bad options.

    See Also
    --------
    kernel_ssl_solve, induced_kernel, linear_ssl_solve

    Notes
    -----
    spec/kernel.md §1 (public names), §3.10 (recipe). Without ``groups`` and ``graph`` every
    view is its own group (the no-augmentation limit, §3.9: whitened uncentred kernel PCA for
    the VIC losses). Cost :math:`O(N^3)` exact, :math:`O(Nl^2 + \mathrm{nnz}(A)\,l)` Nyström.
    Works on any array-API backend (NumPy, CuPy, torch ...) end to end; the arrays decide.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.kernel import KernelSSL
    >>> rng = np.random.default_rng(0)
    >>> base = rng.standard_normal((6, 2))
    >>> X = np.concatenate([base, base + 0.05 * rng.standard_normal((6, 2))])
    >>> groups = np.concatenate([np.arange(6), np.arange(6)])
    >>> model = KernelSSL(n_components=2).fit(X, groups=groups)
    >>> model.transform(X).shape
    (12, 2)
    >>> k = model.induced_kernel(X)
    >>> bool(np.abs(k - model.embedding_ @ model.embedding_.T).max() < 1e-6)
    True
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        loss: str = "wmse",
        kernel: str | Callable[[Any, Any], Any] = "rbf",
        bandwidth: str | float = "median",
        normalization: str = "output",
        weighting: str = "degree",
        center: bool = False,
        self_loops: bool = False,
        invariance_weight: float = 1.0,
        variance_weight: float = 1.0,
        ridge: float = 0.0,
        output_penalty: float = 0.0,
        jitter: float = 0.0,
        extension_smoothing: float = 0.0,
        rtol: float = 1e-10,
        tie_break: str | None = "kernel",
        tie_tol: float | None = None,
        n_landmarks: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.n_components = n_components
        self.loss = loss
        self.kernel = kernel
        self.bandwidth = bandwidth
        self.normalization = normalization
        self.weighting = weighting
        self.center = center
        self.self_loops = self_loops
        self.invariance_weight = invariance_weight
        self.variance_weight = variance_weight
        self.ridge = ridge
        self.output_penalty = output_penalty
        self.jitter = jitter
        self.extension_smoothing = extension_smoothing
        self.rtol = rtol
        self.tie_break = tie_break
        self.tie_tol = tie_tol
        self.n_landmarks = n_landmarks
        self.random_state = random_state

    # ------------------------------------------------------------------ scikit-learn plumbing
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.kernel == "precomputed"
        tags.array_api_support = True
        tags.requires_fit = True
        return tags

    def _solver_options(self) -> dict[str, Any]:
        return {
            "n_components": self.n_components,
            "loss": self.loss,
            "normalization": self.normalization,
            "weighting": self.weighting,
            "center": self.center,
            "invariance_weight": self.invariance_weight,
            "variance_weight": self.variance_weight,
            "ridge": self.ridge,
            "output_penalty": self.output_penalty,
            "extension_smoothing": self.extension_smoothing,
            "rtol": self.rtol,
            "tie_break": self.tie_break,
            "tie_tol": self.tie_tol,
        }

    def _check_kernel_param(self) -> None:
        if not (callable(self.kernel) or (isinstance(self.kernel, str) and self.kernel in _KERNELS)):
            raise ValueError(
                f"kernel must be one of {', '.join(map(repr, _KERNELS))} or a callable, "
                f"received {self.kernel!r}"
            )

    def _resolve_bandwidth(self, x: Any, *, xp: ModuleType) -> float | None:
        if self.kernel not in ("rbf", "laplacian"):
            return None
        if isinstance(self.bandwidth, str):
            if self.bandwidth != "median":
                raise ValueError(
                    f"bandwidth must be 'median' or a positive float, received {self.bandwidth!r}"
                )
            n = x.shape[0]
            if n > _MEDIAN_MAX_ROWS:
                idx = xp.arange(0, n, n // _MEDIAN_MAX_ROWS, device=_backend.device(x))[:_MEDIAN_MAX_ROWS]
                x = xp.take(x, idx, axis=0)
            return _kernels.median_bandwidth(x)
        if not isinstance(self.bandwidth, numbers.Real):
            raise TypeError(f"bandwidth must be 'median' or a positive float, received {self.bandwidth!r}")
        return _validation.check_positive(self.bandwidth, name="bandwidth")

    def _gram(self, x: Any, y: Any = None) -> Any:
        k = self.kernel
        if callable(k):
            return k(x, x if y is None else y)
        if k == "rbf":
            return _kernels.rbf_kernel(x, y, bandwidth=self.bandwidth_)
        if k == "laplacian":
            return _kernels.laplacian_kernel(x, y, bandwidth=self.bandwidth_)
        if k == "linear":
            return _kernels.linear_kernel(x, y)
        return _kernels.polynomial_kernel(x, y)

    def _check_fitted(self) -> None:
        if not hasattr(self, "embedding_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator."
            )

    # ------------------------------------------------------------------ fit / transform
    def fit(self, X: Any, y: Any = None, *, groups: Any = None, graph: Any = None) -> KernelSSL:
        """Solve the closed form on the training views ``X``.

        Parameters
        ----------
        X : array, shape (n_samples, n_features), or (n_samples, n_samples) if precomputed
            All augmented views (any array-API backend).
        y : ignored
            Present for :class:`sklearn.pipeline.Pipeline`.
        groups : array, shape (n_samples,), optional
            Original of each view; the graph is ``label_graph(groups, self_loops=self_loops)``.
        graph : array or sparse matrix, shape (n_samples, n_samples), optional
            Relation graph instead of ``groups`` (at most one of the two).

        Returns
        -------
        self
        """
        self._check_kernel_param()
        X = _as_array(X, "X")
        groups = _as_array(groups, "groups")
        graph = _as_array(graph, "graph")
        xp = _backend.get_namespace(X)
        X = _check_x(X, xp=xp, min_samples=2)
        n = X.shape[0]
        if groups is not None and graph is not None:
            raise ValueError("pass at most one of groups and graph, received both")
        if graph is None:
            from ssltheory.graphs import label_graph

            if groups is None:
                groups = xp.arange(n, device=_backend.device(X))
            elif _backend.get_namespace(groups) is not xp:
                groups = xp.asarray(_backend.to_numpy(groups), device=_backend.device(X))
            if groups.ndim != 1 or groups.shape[0] != n:
                raise ValueError(
                    f"groups must have shape ({n},) to match the {n} rows of X, "
                    f"received {tuple(groups.shape)}"
                )
            graph = label_graph(
                groups,
                self_loops=self.self_loops,
                sparse=self.n_landmarks is not None and _backend.is_numpy(xp) and n > 2000,
            )
        elif graph.shape[0] != n or graph.shape[1] != n:
            raise ValueError(
                f"graph must have shape ({n}, {n}) to match the {n} rows of X, received {tuple(graph.shape)}"
            )
        opts = self._solver_options()
        self.bandwidth_ = self._resolve_bandwidth(X, xp=xp)
        if self.n_landmarks is None:
            if self.kernel == "precomputed":
                _validation.check_square(X, name="X (a precomputed kernel matrix)")
                gram = X
            else:
                gram = self._gram(X)
            sol = kernel_ssl_solve(gram, graph, jitter=self.jitter, **opts)
            self.coef_ = sol.coef
            self.weights_ = None
            self.landmarks_ = None
            self._nystrom_map = None
        else:
            if self.kernel == "precomputed":
                raise ValueError("n_landmarks (Nyström) needs a kernel function, not kernel='precomputed'")
            if self.jitter:
                raise ValueError("jitter is not supported with n_landmarks (Nyström); use rtol instead")
            n_land = _validation.check_int(self.n_landmarks, name="n_landmarks", minimum=1, maximum=n)
            rng = (
                self.random_state
                if isinstance(self.random_state, np.random.Generator)
                else (np.random.default_rng(self.random_state))
            )
            idx = np.sort(rng.choice(n, size=n_land, replace=False))
            land = xp.take(X, xp.asarray(idx, device=_backend.device(X)), axis=0)
            k_ll = self._gram(land)
            from ssltheory import _linalg

            self._nystrom_map = _linalg.psd_inv_sqrt(_linalg.symmetrize(k_ll, xp=xp), xp=xp, rcond=self.rtol)
            features = self._gram(X, land) @ self._nystrom_map
            sol = linear_ssl_solve(features, graph, **opts)
            self.coef_ = None
            self.weights_ = sol.weights
            self.landmarks_ = land
        self.X_fit_ = X
        self.n_features_in_ = int(X.shape[1])
        self.embedding_ = sol.embedding
        self.eigenvalues_ = sol.eigenvalues
        self.loss_ = sol.loss
        self.graph_tie_ = sol.graph_tie
        self.rank_ = sol.rank
        self.condition_ = sol.condition
        return self

    def transform(self, X: Any) -> Any:
        """Representations :math:`f(x) = Ck_x` of new points, shape (n_points, n_components).

        With ``kernel="precomputed"``, ``X`` is the kernel between the new points (rows) and the
        training views (columns).
        """
        self._check_fitted()
        X = _as_array(X, "X")
        xp = _backend.get_namespace(X, self.embedding_)
        X = _check_x(X, xp=xp, min_samples=1)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        if self.weights_ is not None:
            return (self._gram(X, self.landmarks_) @ self._nystrom_map) @ self.weights_
        k_cross = X.mT if self.kernel == "precomputed" else self._gram(self.X_fit_, X)
        return (self.coef_ @ k_cross).mT

    def induced_kernel(self, X: Any, Y: Any = None) -> Any:
        """Induced kernel :math:`k^*(x, y) = f(x)^\\top f(y)` between rows of ``X`` and ``Y``.

        ``Y=None`` uses ``X``. Shape (n_points_x, n_points_y).
        """
        fx = self.transform(X)
        fy = fx if Y is None else self.transform(Y)
        return fx @ fy.mT

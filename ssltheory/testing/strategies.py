"""Hypothesis strategies for relation graphs, PSD matrices, data matrices, embeddings and paired views.

Import this module explicitly (it imports hypothesis, which ``pip install "ssltheory[testing]"``
installs; ``ssltheory.testing`` itself does not need it)::

    from ssltheory.testing.strategies import embeddings, graphs, paired_views, psd_matrices

Every strategy produces **NumPy float64 arrays** on the host; convert them inside the test with
``xp.asarray(x)`` (or ``xp.asarray(x, dtype=xp.float32)``, ``torch.as_tensor(x)``) for the
backend under test. Sizes and element magnitudes are bounded, so examples stay fast and well
scaled (bounded entries also stay clear of CuPy's known ``eigh`` failures on huge entries).

All random structure comes from one drawn integer seed fed to a NumPy
:class:`~numpy.random.Generator`, so generation is fast and failing examples shrink to small
sizes and small seeds. A **size argument** (``n``, ``n_samples``, ``n_features``,
``n_components``, ``n_pairs``) is, as in :mod:`hypothesis.extra.numpy`:

- an ``int`` (fixed);
- a ``(min, max)`` pair of ints (inclusive range, drawn with ``st.integers``);
- a hypothesis strategy of ints, e.g. ``st.integers(3, 12).map(lambda b: 2 * b)`` for even
  batch sizes or ``st.sampled_from([8, 16, 32])``. Drawn values are checked like fixed ones
  (``TypeError``/``ValueError`` naming the argument). Where two sizes are coupled
  (``full_rank=True`` needs ``n_samples >= n_components``; a PSD ``rank`` needs ``n >= rank``)
  and one of them is a strategy, draws that break the coupling are rejected with
  :func:`hypothesis.assume`; hypothesis' ``filter_too_much`` health check reports a strategy
  that makes this frequent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ModuleNotFoundError as _exc:  # pragma: no cover - exercised in a subprocess by the tests
    if _exc.name != "hypothesis":
        raise
    raise ModuleNotFoundError(
        "ssltheory.testing.strategies needs hypothesis, which is not installed; install the testing "
        'extra: pip install "ssltheory[testing]" (or pip install "hypothesis>=6.100"). '
        "The assertion helpers (ssltheory.testing, ssltheory.testing.properties) work without it.",
        name="hypothesis",
    ) from _exc

__all__ = [
    "GRAPH_FAMILIES",
    "PAIR_RELATIONS",
    "PairedViews",
    "data_matrices",
    "embeddings",
    "graphs",
    "paired_views",
    "psd_matrices",
]

GRAPH_FAMILIES = ("weighted", "binary", "augmentation", "label", "knn", "disconnected")
"""The graph families :func:`graphs` can draw from."""

PAIR_RELATIONS = ("noisy", "copy", "permutation")
"""The relations between the two branches :func:`paired_views` can draw."""

_SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
_MIN_NODES = {"weighted": 1, "binary": 1, "augmentation": 2, "label": 1, "knn": 2, "disconnected": 2}
_BINARY_FAMILIES = ("binary", "augmentation", "label", "knn")
_MAX_VIEWS = 4
_MAX_KNN_FEATURES = 3
_MAX_COMPONENTS = 4
_WEIGHT_LOG10 = (-1.0, 1.0)  # positive weights are log-uniform in [0.1, 10]
# paired views draw a second seed; a distinct SeedSequence stream keeps the noise (or permutation)
# independent of the signal even when hypothesis draws the same seed twice (it likes 0)
_NOISE_STREAM, _PERMUTATION_STREAM = 1, 2


# ----------------------------------------------------------------------------- argument checks
def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, received {type(value).__name__} {value!r}")
    return int(value)


def _bounds(value: Any, name: str, minimum: int) -> tuple[int, int]:
    """``(lo, hi)`` from an int or a pair of ints, with ``minimum <= lo <= hi``."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a (min, max) pair, received {value!r}")
        lo, hi = _int(value[0], f"{name}[0]"), _int(value[1], f"{name}[1]")
    else:
        lo = hi = _int(value, name)
    if lo < minimum:
        raise ValueError(f"{name} must be >= {minimum}, received {value!r}")
    if lo > hi:
        raise ValueError(f"{name} must satisfy min <= max, received {value!r}")
    return lo, hi


def _size(value: Any, name: str, minimum: int) -> tuple[int, int] | st.SearchStrategy[int]:
    """A size argument: bounds ``(lo, hi)`` checked now, or a strategy whose draws are checked later."""
    if isinstance(value, st.SearchStrategy):
        return value
    if isinstance(value, (bool, str)) or not isinstance(value, (int, np.integer, Sequence)):
        raise TypeError(
            f"{name} must be an int, a (min, max) pair of ints or a hypothesis strategy of ints, "
            f"received {type(value).__name__} {value!r}"
        )
    return _bounds(value, name, minimum)


def _draw_size(draw: Any, size: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    """Draw one size: from the bounds (intersected with ``maximum``) or from the user's strategy."""
    if isinstance(size, tuple):
        hi = size[1] if maximum is None else min(size[1], maximum)
        return draw(st.integers(size[0], hi))
    value = draw(size)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must draw integers, but its strategy drew {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, but its strategy drew {value}")
    return int(value)


def _real(value: Any, name: str, *, minimum: float, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, received {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or (value <= minimum if strict else value < minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum} and finite, received {value}")
    return value


# ----------------------------------------------------------------------------- building blocks
def _orthogonal(rng: np.random.Generator, n: int, k: int | None = None) -> np.ndarray:
    """``n x k`` matrix with orthonormal columns, Haar-distributed (QR of a Gaussian, sign fix)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n if k is None else k)))
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    return q * signs


def _weights(rng: np.random.Generator, size: Any) -> np.ndarray:
    return 10.0 ** rng.uniform(*_WEIGHT_LOG10, size=size)


def _erdos_renyi(rng: np.random.Generator, n: int, *, weighted: bool, p_min: float = 0.1) -> np.ndarray:
    """Symmetric zero-diagonal graph; each pair is an edge with a drawn probability ``p``."""
    p = rng.uniform(p_min, 1.0)
    upper = np.triu(rng.random((n, n)) < p, k=1)
    g = np.where(upper, _weights(rng, (n, n)) if weighted else 1.0, 0.0)
    return g + g.T


def _augmentation(n_samples: int, n_views: int) -> np.ndarray:
    """View-major augmentation graph: ``G_ij = 1`` iff ``i ≡ j (mod n_samples)``, ``i != j``."""
    idx = np.arange(n_samples * n_views)
    same = (idx[:, None] % n_samples) == (idx[None, :] % n_samples)
    return (same & (idx[:, None] != idx[None, :])).astype(np.float64)


def _label(labels: np.ndarray) -> np.ndarray:
    """``G_ij = 1{y_i = y_j, i != j}``."""
    same = labels[:, None] == labels[None, :]
    return (same & ~np.eye(labels.shape[0], dtype=bool)).astype(np.float64)


def _knn(points: np.ndarray, n_neighbors: int) -> np.ndarray:
    """Binary kNN graph (self excluded, ties to the lower index), symmetrised with ``max(B, Bᵀ)``."""
    n = points.shape[0]
    d2 = np.sum((points[:, None, :] - points[None, :, :]) ** 2, axis=-1)
    np.fill_diagonal(d2, np.inf)
    nearest = np.argsort(d2, axis=1, kind="stable")[:, :n_neighbors]
    b = np.zeros((n, n))
    b[np.repeat(np.arange(n), n_neighbors), nearest.ravel()] = 1.0
    return np.maximum(b, b.T)


def _disconnected(rng: np.random.Generator, n: int, n_components: int) -> np.ndarray:
    """Union of ``n_components`` weighted blocks with no edge between blocks, nodes shuffled."""
    cuts = np.sort(rng.choice(np.arange(1, n), size=n_components - 1, replace=False))
    sizes = np.diff(np.concatenate(([0], cuts, [n])))
    g = np.zeros((n, n))
    start = 0
    for size in sizes:
        g[start : start + size, start : start + size] = _erdos_renyi(rng, int(size), weighted=True, p_min=0.3)
        start += size
    perm = rng.permutation(n)
    return g[np.ix_(perm, perm)]


def _connect(g: np.ndarray, rng: np.random.Generator, *, binary: bool) -> np.ndarray:
    """Join the connected components by a path of bridge edges (one per pair of neighbours)."""
    n_comp, labels = connected_components(g, directed=False)
    if n_comp == 1:
        return g
    g = g.copy()
    reps = [int(rng.choice(np.flatnonzero(labels == c))) for c in range(n_comp)]
    order = rng.permutation(n_comp)
    for c1, c2 in itertools.pairwise(order):
        i, j = reps[c1], reps[c2]
        g[i, j] = g[j, i] = 1.0 if binary else float(_weights(rng, None))
    return g


# ----------------------------------------------------------------------------- graphs
def _feasible_views(min_nodes: int, max_nodes: int) -> list[int]:
    return [v for v in range(2, _MAX_VIEWS + 1) if max(1, -(-min_nodes // v)) <= max_nodes // v]


@st.composite
def _graph_strategy(
    draw: Any, families: tuple[str, ...], min_nodes: int, max_nodes: int, connected: bool
) -> np.ndarray:
    family = draw(st.sampled_from(families))
    if family == "augmentation":
        n_views = draw(st.sampled_from(_feasible_views(min_nodes, max_nodes)))
        n_samples = draw(st.integers(max(1, -(-min_nodes // n_views)), max_nodes // n_views))
        rng = np.random.default_rng(draw(_SEEDS))
        g = _augmentation(n_samples, n_views)
    else:
        n = draw(st.integers(max(min_nodes, _MIN_NODES[family]), max_nodes))
        if family == "label":
            n_classes = draw(st.integers(1, n))
        elif family == "knn":
            n_neighbors = draw(st.integers(1, n - 1))
            n_features = draw(st.integers(1, _MAX_KNN_FEATURES))
        elif family == "disconnected":
            n_components = draw(st.integers(2, min(n, _MAX_COMPONENTS)))
        rng = np.random.default_rng(draw(_SEEDS))
        if family == "weighted":
            g = _erdos_renyi(rng, n, weighted=True)
        elif family == "binary":
            g = _erdos_renyi(rng, n, weighted=False)
        elif family == "label":
            g = _label(rng.integers(0, n_classes, size=n))
        elif family == "knn":
            g = _knn(rng.standard_normal((n, n_features)), n_neighbors)
        else:
            g = _disconnected(rng, n, n_components)
    if connected:
        g = _connect(g, rng, binary=family in _BINARY_FAMILIES)
    return g


def graphs(
    family: str | Sequence[str] = GRAPH_FAMILIES,
    *,
    min_nodes: int = 2,
    max_nodes: int = 24,
    connected: bool = False,
) -> st.SearchStrategy[np.ndarray]:
    r"""Relation graphs: symmetric, non-negative, finite, zero-diagonal ``(N, N)`` float64 arrays.

    .. math::

        G = G^\top,\quad G_{ij} \ge 0,\quad G_{ii} = 0,\quad
        \mathrm{min\_nodes} \le N \le \mathrm{max\_nodes}

    the relation graphs every loss and solver of the library takes. Families (drawn uniformly
    among those requested):

    - ``"weighted"``: Erdős–Rényi with a drawn edge probability in ``[0.1, 1]`` and positive
      weights, log-uniform in ``[0.1, 10]``;
    - ``"binary"``: the same with 0/1 weights;
    - ``"augmentation"``: view-major augmentation graph (as
      :func:`ssltheory.graphs.augmentation_graph`), ``n_views`` in ``2..4``,
      ``N = n_views · n_samples``, ``G_ij = 1`` iff ``i ≡ j (mod n_samples)``, ``i ≠ j``; every
      row sums to ``n_views - 1``;
    - ``"label"``: ``G_ij = 1{y_i = y_j, i ≠ j}`` for drawn labels (``1..N`` classes);
    - ``"knn"``: binary kNN graph of ``N`` drawn points in 1 to 3 dimensions, self excluded,
      ``1 <= n_neighbors <= N - 1``, symmetrised with ``max(B, Bᵀ)`` (as :func:`ssltheory.graphs.knn_graph`);
    - ``"disconnected"``: a union of 2 to 4 weighted blocks with no edge between them, nodes
      shuffled: at least two connected components.

    Parameters
    ----------
    family : str or sequence of str, default all of :data:`GRAPH_FAMILIES`
        The families to draw from.
    min_nodes, max_nodes : int, default 2 and 24
        Bounds on ``N`` (inclusive). Families with a larger minimum (``knn``, ``disconnected``,
        ``augmentation``: 2) raise the lower bound for themselves.
    connected : bool, default False
        If True, every graph is connected: its components are joined by a path of bridge edges
        between randomly chosen nodes (weight 1 for the 0/1 families, so they stay binary; a
        drawn weight in ``[0.1, 10]`` for ``"weighted"``). ``"disconnected"`` is then left
        out. If False, connectivity is not guaranteed either way.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of NumPy float64 arrays of shape ``(N, N)``; convert with ``xp.asarray``.

    Raises
    ------
    ValueError
        Unknown or empty ``family``; bounds out of order; a requested family that cannot be
        built within ``[min_nodes, max_nodes]`` (e.g. ``"augmentation"`` with
        ``min_nodes = max_nodes = 5``); ``connected=True`` with only ``"disconnected"``.

    See Also
    --------
    psd_matrices, data_matrices

    Examples
    --------
    Building the strategy is cheap and checks its arguments:

    >>> from ssltheory.testing.strategies import graphs
    >>> strategy = graphs(family=("augmentation", "label"), max_nodes=12, connected=True)

    Use it in a test (not run here: ``.example()`` is for interactive use only):

    .. code-block:: python

        from hypothesis import given

        @given(graph=graphs(connected=True))
        def test_laplacian_has_one_zero_eigenvalue(graph):
            lap = graph_laplacian(xp.asarray(graph))
            ...
    """
    families = (family,) if isinstance(family, str) else tuple(family)
    if not families:
        raise ValueError(f"family must name at least one of {GRAPH_FAMILIES}, received none")
    unknown = [f for f in families if f not in GRAPH_FAMILIES]
    if unknown:
        raise ValueError(f"unknown graph family {unknown[0]!r}; choose from {', '.join(GRAPH_FAMILIES)}")
    families = tuple(dict.fromkeys(families))
    min_nodes = _int(min_nodes, "min_nodes")
    max_nodes = _int(max_nodes, "max_nodes")
    if min_nodes < 1 or min_nodes > max_nodes:
        raise ValueError(
            f"need 1 <= min_nodes <= max_nodes, received min_nodes={min_nodes}, max_nodes={max_nodes}"
        )
    if not isinstance(connected, bool):
        raise TypeError(f"connected must be a bool, received {type(connected).__name__}")
    if connected:
        families = tuple(f for f in families if f != "disconnected")
        if not families:
            raise ValueError("connected=True leaves no family: 'disconnected' graphs are never connected")
    for f in families:
        if max_nodes < _MIN_NODES[f]:
            raise ValueError(f"family {f!r} needs at least {_MIN_NODES[f]} nodes, but max_nodes={max_nodes}")
        if f == "augmentation" and not _feasible_views(min_nodes, max_nodes):
            raise ValueError(
                f"no augmentation graph with n_views in 2..{_MAX_VIEWS} has a size in "
                f"[{min_nodes}, {max_nodes}] (N = n_views * n_samples)"
            )
    return _graph_strategy(families, min_nodes, max_nodes, connected)


# ----------------------------------------------------------------------------- PSD matrices
@st.composite
def _psd_strategy(
    draw: Any,
    n_size: tuple[int, int] | st.SearchStrategy[int],
    n_max: int | None,
    rank: int | None,
    eigengap: float | None,
    low: float,
    high: float,
) -> np.ndarray:
    if isinstance(n_size, tuple):
        n = draw(st.integers(*n_size))
    else:  # a user strategy: its draws are checked, infeasible ones rejected
        n = _draw_size(draw, n_size, "n", 1)
        assume((rank is None or n >= rank) and (n_max is None or n <= n_max))
    m = n if rank is None else rank  # number of eigenvalues drawn in [low, high]
    tied = eigengap is None and m >= 2 and draw(st.booleans())
    rng = np.random.default_rng(draw(_SEEDS))
    if tied:
        levels = rng.uniform(low, high, size=int(rng.integers(1, min(m, 3) + 1)))
        values = np.sort(rng.choice(levels, size=m))
    else:
        gap = 0.0 if eigengap is None else eigengap
        slack = max(0.0, (high - low) - (m - 1) * gap)
        values = low + gap * np.arange(m) + slack * np.sort(rng.uniform(0.0, 1.0, size=m))
    spectrum = np.concatenate((np.zeros(n - m), values))
    q = _orthogonal(rng, n)
    a = (q * spectrum) @ q.T
    return (a + a.T) / 2


def psd_matrices(
    n: int | tuple[int, int] | st.SearchStrategy[int] = (1, 12),
    *,
    rank: int | None = None,
    eigengap: float | None = None,
    min_eigenvalue: float = 0.0,
    max_eigenvalue: float = 10.0,
) -> st.SearchStrategy[np.ndarray]:
    r"""Symmetric positive semi-definite ``(n, n)`` float64 matrices with a prescribed spectrum.

    .. math::

        A = Q \,\mathrm{diag}(\lambda)\, Q^\top,\qquad Q \text{ Haar-orthogonal},\qquad
        \lambda_{i+1} - \lambda_i \ge \mathrm{eigengap}

    ``Q`` is the QR factor of a Gaussian matrix with the signs of ``diag(R)`` fixed (uniformly
    distributed on the orthogonal group).

    Parameters
    ----------
    n : int, (int, int) or strategy of ints, default (1, 12)
        Matrix size: fixed, drawn from an inclusive range, or drawn from a strategy (sizes below
        ``rank`` or above what ``eigengap`` allows are then rejected).
    rank : int, optional
        Number of non-zero eigenvalues (the other ``n - rank`` are exactly 0 before rounding);
        ``n`` is drawn ``>= rank``. The non-zero eigenvalues then lie in
        ``[max(min_eigenvalue, eigengap, max_eigenvalue / 100), max_eigenvalue]``, so the
        numerical rank is unambiguous (condition number of the non-zero part <= 100). Default:
        all ``n`` eigenvalues lie in ``[min_eigenvalue, max_eigenvalue]``.
    eigengap : float, optional
        Guaranteed gap between consecutive distinct eigenvalues (and, with ``rank``, between 0
        and the smallest non-zero one), so every spectral subspace is well defined. ``n`` is
        drawn no larger than the gap allows. Default None promises no gap: about half of the
        examples then have exactly repeated eigenvalues (1 to 3 distinct levels), to exercise
        degenerate-spectrum handling.
    min_eigenvalue, max_eigenvalue : float, default 0.0 and 10.0
        Bounds on the spectrum (and so on the entries: ``|A_ij| <= max_eigenvalue``).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of symmetric NumPy float64 arrays. Their eigenvalues equal the drawn ones up to rounding
        in forming :math:`Q\Lambda Q^\top`, ``O(n·eps·max_eigenvalue)`` by Weyl's inequality; a
        zero eigenvalue may come out as ``-1e-15``.

    Raises
    ------
    ValueError
        Out-of-range arguments, or a spectrum that cannot fit: ``(m - 1)·eigengap`` larger than
        the eigenvalue interval for the smallest admissible number ``m`` of eigenvalues.

    Examples
    --------
    >>> from ssltheory.testing.strategies import psd_matrices
    >>> strategy = psd_matrices(n=(3, 8), rank=2, eigengap=0.5)

    .. code-block:: python

        @given(a=psd_matrices(n=6, eigengap=0.1))
        def test_top_eigenvectors(a):
            w, v = top_k(xp.asarray(a), 2, xp=xp)
            ...
    """
    size = _size(n, "n", 1)
    lo_n, hi_n = size if isinstance(size, tuple) else (1, None)
    high = _real(max_eigenvalue, "max_eigenvalue", minimum=0.0, strict=True)
    low = _real(min_eigenvalue, "min_eigenvalue", minimum=0.0)
    if low > high:
        raise ValueError(f"min_eigenvalue {low} must be <= max_eigenvalue {high}")
    gap = None if eigengap is None else _real(eigengap, "eigengap", minimum=0.0, strict=True)
    n_max = None
    if rank is not None:
        rank = _int(rank, "rank")
        if rank < 0 or (hi_n is not None and rank > hi_n):
            raise ValueError(f"rank must be in [0, {hi_n}] (the largest n), received {rank}")
        lo_n = max(lo_n, rank)
        low = max(low, gap or 0.0, high / 100.0)
        if low > high:
            raise ValueError(
                f"eigengap {gap} exceeds max_eigenvalue {high}: no room for a non-zero eigenvalue"
            )
        if gap is not None and (rank - 1) * gap > high - low:
            raise ValueError(
                f"{rank} non-zero eigenvalues with gaps >= {gap} do not fit in [{low:.3g}, {high:.3g}]"
            )
    elif gap is not None:
        n_max = 1 + math.floor((high - low) / gap)
        if n_max < lo_n:
            raise ValueError(
                f"n >= {lo_n} eigenvalues with gaps >= {gap} do not fit in [{low:.3g}, {high:.3g}] "
                f"(at most {n_max})"
            )
        if hi_n is not None:
            hi_n = min(hi_n, n_max)
    if isinstance(size, tuple):
        size = (lo_n, hi_n)
    return _psd_strategy(size, n_max, rank, gap, low, high)


# ----------------------------------------------------------------------------- data matrices
def _draw_shape(
    draw: Any, rows: Any, cols: Any, names: tuple[str, str], full_rank: bool, min_rows: int = 1
) -> tuple[int, int]:
    """``(n_rows, n_cols)``; with ``full_rank`` the drawn shape has ``n_rows >= n_cols``."""
    if not full_rank:
        return _draw_size(draw, rows, names[0], min_rows), _draw_size(draw, cols, names[1], 1)
    if isinstance(cols, tuple):
        if isinstance(rows, tuple):  # both ranges: only feasible shapes are drawn
            n_cols = draw(st.integers(cols[0], min(cols[1], rows[1])))
            return draw(st.integers(max(rows[0], n_cols), rows[1])), n_cols
        n_rows = _draw_size(draw, rows, names[0], min_rows)
        assume(cols[0] <= n_rows)
        return n_rows, _draw_size(draw, cols, names[1], 1, maximum=n_rows)
    n_cols = _draw_size(draw, cols, names[1], 1)
    if isinstance(rows, tuple):
        assume(n_cols <= rows[1])
        return draw(st.integers(max(rows[0], n_cols), rows[1])), n_cols
    n_rows = _draw_size(draw, rows, names[0], min_rows)
    assume(n_rows >= n_cols)
    return n_rows, n_cols


def _draw_matrix(
    draw: Any, n_rows: int, n_cols: int, full_rank: bool, max_condition: float, max_abs: float
) -> np.ndarray:
    """One bounded ``n_rows x n_cols`` matrix (the construction :func:`data_matrices` documents)."""
    if full_rank:
        rng = np.random.default_rng(draw(_SEEDS))
        s_max = max_abs * rng.uniform(0.1, 1.0)
        cond = max_condition ** rng.uniform(0.0, 1.0)
        t = np.sort(rng.uniform(0.0, 1.0, size=n_cols))
        if n_cols >= 2:
            t[0], t[-1] = 0.0, 1.0
        else:
            t[:] = 0.0
        singular = s_max * cond ** (-t)
        u = _orthogonal(rng, n_rows, n_cols)
        v = _orthogonal(rng, n_cols)
        return (u * singular) @ v.T
    low_rank = draw(st.booleans())
    inner = draw(st.integers(1, min(n_rows, n_cols))) if low_rank else None
    rng = np.random.default_rng(draw(_SEEDS))
    if inner is None:
        x = rng.standard_normal((n_rows, n_cols))
    else:
        x = rng.standard_normal((n_rows, inner)) @ rng.standard_normal((inner, n_cols))
    peak = float(np.max(np.abs(x)))
    return x * (max_abs * rng.uniform(0.1, 1.0) / peak) if peak > 0 else x


@st.composite
def _matrix_strategy(
    draw: Any,
    rows: Any,
    cols: Any,
    names: tuple[str, str],
    full_rank: bool,
    max_condition: float,
    max_abs: float,
) -> np.ndarray:
    n_rows, n_cols = _draw_shape(draw, rows, cols, names, full_rank)
    return _draw_matrix(draw, n_rows, n_cols, full_rank, max_condition, max_abs)


def _check_matrix_args(
    rows: Any,
    cols: Any,
    names: tuple[str, str],
    full_rank: bool,
    max_condition: float,
    max_abs: float,
    min_rows: int = 1,
) -> tuple[Any, Any, float, float]:
    row_size = _size(rows, names[0], min_rows)
    col_size = _size(cols, names[1], 1)
    if not isinstance(full_rank, bool):
        raise TypeError(f"full_rank must be a bool, received {type(full_rank).__name__}")
    max_condition = _real(max_condition, "max_condition", minimum=1.0)
    max_abs = _real(max_abs, "max_abs", minimum=0.0, strict=True)
    both_ranges = isinstance(row_size, tuple) and isinstance(col_size, tuple)
    if full_rank and both_ranges and col_size[0] > row_size[1]:
        raise ValueError(
            f"full_rank=True needs {names[0]} >= {names[1]}, but {names[1]} >= {col_size[0]} and "
            f"{names[0]} <= {row_size[1]}"
        )
    return row_size, col_size, max_condition, max_abs


def _matrices(
    rows: Any, cols: Any, names: tuple[str, str], full_rank: bool, max_condition: float, max_abs: float
) -> st.SearchStrategy[np.ndarray]:
    row_size, col_size, max_condition, max_abs = _check_matrix_args(
        rows, cols, names, full_rank, max_condition, max_abs
    )
    return _matrix_strategy(row_size, col_size, names, full_rank, max_condition, max_abs)


def data_matrices(
    n_samples: int | tuple[int, int] | st.SearchStrategy[int] = (1, 24),
    n_features: int | tuple[int, int] | st.SearchStrategy[int] = (1, 8),
    *,
    full_rank: bool = False,
    max_condition: float = 100.0,
    max_abs: float = 10.0,
) -> st.SearchStrategy[np.ndarray]:
    r"""Data matrices ``X`` of shape ``(n_samples, n_features)``: finite, bounded float64.

    .. math::

        |X_{ij}| \le \mathrm{max\_abs};\qquad
        \texttt{full\_rank=True}:\ X = U\,\mathrm{diag}(\sigma)\,V^\top,\
        \sigma_1/\sigma_D \le \mathrm{max\_condition}

    Parameters
    ----------
    n_samples, n_features : int, (int, int) or strategy of ints, default (1, 24) and (1, 8)
        Shape: fixed, drawn from inclusive ranges, or drawn from strategies (see the module
        docstring; with ``full_rank=True`` draws with ``n_samples < n_features`` are rejected).
    full_rank : bool, default False
        If True, ``X`` has full column rank by construction (``n_samples >= n_features`` is
        drawn): orthonormal ``U`` (``n_samples x n_features``) and ``V`` from QR of Gaussians,
        singular values from ``σ_max ∈ [0.1, 1]·max_abs`` down to ``σ_max / c`` with a drawn
        condition number ``c <= max_condition``. If False: Gaussian entries, or (half of the
        examples) a product of Gaussian factors of drawn inner rank, rescaled so that
        ``max |X_ij|`` is in ``[0.1, 1]·max_abs``; no rank is promised.
    max_condition : float, default 100.0
        Bound on the 2-norm condition number when ``full_rank=True``.
    max_abs : float, default 10.0
        Bound on the entries (``|X_ij| <= ||X||_2 = σ_max`` for the full-rank construction).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of NumPy float64 arrays; convert with ``xp.asarray``.

    Raises
    ------
    ValueError
        Out-of-range bounds, or ``full_rank=True`` when no drawable shape has
        ``n_samples >= n_features``.

    See Also
    --------
    embeddings

    Examples
    --------
    >>> from ssltheory.testing.strategies import data_matrices
    >>> strategy = data_matrices(n_samples=(4, 16), n_features=3, full_rank=True)

    .. code-block:: python

        @given(x=data_matrices(n_features=(1, 4), full_rank=True))
        def test_whitening(x):
            ...
    """
    return _matrices(n_samples, n_features, ("n_samples", "n_features"), full_rank, max_condition, max_abs)


def embeddings(
    n_samples: int | tuple[int, int] | st.SearchStrategy[int] = (2, 24),
    n_components: int | tuple[int, int] | st.SearchStrategy[int] = (1, 6),
    *,
    full_rank: bool = False,
    max_condition: float = 100.0,
    max_abs: float = 10.0,
) -> st.SearchStrategy[np.ndarray]:
    r"""Embeddings ``Z`` of shape ``(n_samples, n_components)``: finite, bounded float64.

    .. math::

        |Z_{ik}| \le \mathrm{max\_abs}

    The same construction as :func:`data_matrices` (rows are samples), with the
    library's vocabulary for the columns; use it for the ``embedding`` argument of losses.

    Parameters
    ----------
    n_samples, n_components : int, (int, int) or strategy of ints, default (2, 24) and (1, 6)
        Shape: fixed, drawn from inclusive ranges, or drawn from strategies, e.g.
        ``n_samples=st.integers(3, 12).map(lambda b: 2 * b)`` for even batch sizes.
    full_rank : bool, default False
        Full column rank by construction (``n_samples >= n_components``), condition number
        ``<= max_condition``.
    max_condition : float, default 100.0
    max_abs : float, default 10.0

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of NumPy float64 arrays; convert with ``xp.asarray``.

    Raises
    ------
    ValueError
        As for :func:`data_matrices`.

    See Also
    --------
    paired_views : two branches of one batch, for two-branch (library-style) losses.

    Examples
    --------
    >>> from hypothesis import strategies as st
    >>> from ssltheory.testing.strategies import embeddings
    >>> strategy = embeddings(n_samples=8, n_components=(1, 3))
    >>> even = embeddings(n_samples=st.integers(3, 12).map(lambda b: 2 * b))

    .. code-block:: python

        @given(z=embeddings(n_samples=8), graph=graphs(min_nodes=8, max_nodes=8))
        def test_loss_is_finite(z, graph):
            ...
    """
    return _matrices(
        n_samples, n_components, ("n_samples", "n_components"), full_rank, max_condition, max_abs
    )


# ----------------------------------------------------------------------------- paired views
@dataclass(frozen=True, eq=False)
class PairedViews:
    r"""Two branches ``z1, z2`` (``n_pairs × n_components``) of one batch, drawn by :func:`paired_views`.

    Row ``i`` of both branches belongs to the same sample (as in every two-branch SSL loss). The
    object unpacks like a pair, ``z1, z2 = views``, and ``loss(*views)`` calls a two-branch loss.

    Attributes
    ----------
    z1, z2 : numpy.ndarray, shape (n_pairs, n_components)
        The branches, float64.
    relation : {"noisy", "copy", "permutation"}
        How the branches were made from the shared signal (see :func:`paired_views`).
    noise : float
        The drawn noise-to-signal ratio :math:`\sigma` (0 for ``"copy"`` and ``"permutation"``).
    permutation : numpy.ndarray of int, shape (n_pairs,)
        ``z2[i]`` is a view of sample ``permutation[i]`` of ``z1``; the identity except for
        ``"permutation"``.
    """

    z1: np.ndarray
    z2: np.ndarray
    relation: str
    noise: float
    permutation: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.z1, self.z2))

    def __repr__(self) -> str:
        # arrays above 200 entries are summarised, so hypothesis can print a failing example
        with np.printoptions(threshold=200):
            return (
                f"PairedViews(relation={self.relation!r}, noise={self.noise:.6g}, shape={self.z1.shape},\n"
                f"    z1={self.z1!r},\n    z2={self.z2!r},\n    permutation={self.permutation!r})"
            )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis' (and IPython's) printer
        printer.text(repr(self))

    @property
    def stacked(self) -> np.ndarray:
        """``concat(z1, z2)``: the view-major ``(2 n_pairs, n_components)`` embedding of the paper form.

        Rows ``i`` and ``i + n_pairs`` are the two views of sample ``i``, the layout of
        ``ssltheory.graphs.augmentation_graph(n_pairs, 2)``.
        """
        return np.concatenate((self.z1, self.z2), axis=0)


def _cycle(rng: np.random.Generator, n: int) -> np.ndarray:
    """A uniformly random ``n``-cycle (Sattolo's algorithm): a permutation without fixed points."""
    perm = np.arange(n)
    for i in range(n - 1, 0, -1):
        j = int(rng.integers(0, i))
        perm[i], perm[j] = perm[j], perm[i]
    return perm


@st.composite
def _paired_strategy(
    draw: Any,
    pairs: Any,
    comps: Any,
    relations: tuple[str, ...],
    noise: tuple[float, float],
    full_rank: bool,
    max_condition: float,
    max_abs: float,
) -> PairedViews:
    relation = draw(st.sampled_from(relations))
    n_pairs, k = _draw_shape(draw, pairs, comps, ("n_pairs", "n_components"), full_rank, min_rows=2)
    signal = _draw_matrix(draw, n_pairs, k, full_rank, max_condition, max_abs)
    identity = np.arange(n_pairs)
    if relation == "copy":
        return PairedViews(signal, signal.copy(), relation, 0.0, identity)
    if relation == "permutation":
        perm = _cycle(np.random.default_rng([draw(_SEEDS), _PERMUTATION_STREAM]), n_pairs)
        return PairedViews(signal, signal[perm], relation, 0.0, perm)
    sigma = draw(st.floats(*noise)) if noise[0] < noise[1] else noise[0]
    rng = np.random.default_rng([draw(_SEEDS), _NOISE_STREAM])
    rms = float(np.sqrt(np.mean(signal**2)))
    z1 = signal + sigma * rms * rng.standard_normal(signal.shape)
    z2 = signal + sigma * rms * rng.standard_normal(signal.shape)
    peak = max(float(np.max(np.abs(z1))), float(np.max(np.abs(z2))))
    if peak > max_abs:  # one common factor: the noise-to-signal ratio is unchanged
        z1, z2 = z1 * (max_abs / peak), z2 * (max_abs / peak)
    return PairedViews(z1, z2, relation, float(sigma), identity)


def paired_views(
    n_pairs: int | tuple[int, int] | st.SearchStrategy[int] = (2, 16),
    n_components: int | tuple[int, int] | st.SearchStrategy[int] = (1, 6),
    *,
    relation: str | Sequence[str] = "noisy",
    noise: float | tuple[float, float] = (0.0, 1.0),
    full_rank: bool = False,
    max_condition: float = 100.0,
    max_abs: float = 10.0,
) -> st.SearchStrategy[PairedViews]:
    r"""Paired views: the two branches ``z1, z2`` of one batch, with a controllable relation.

    A shared signal :math:`S\in\mathbb R^{B\times K}` (``B = n_pairs``, ``K = n_components``) is
    drawn as :func:`embeddings` draws, then

    .. math::

        \texttt{noisy}:\ z^{(b)} = c\,\big(S + \sigma\,\mathrm{rms}(S)\,E^{(b)}\big),\ b = 1, 2;
        \qquad \texttt{copy}:\ z^{(1)} = z^{(2)} = S;
        \qquad \texttt{permutation}:\ z^{(1)} = S,\ z^{(2)} = P S,

    with :math:`E^{(b)}` independent standard Gaussian,
    :math:`\mathrm{rms}(S)=\lVert S\rVert_F/\sqrt{BK}`, :math:`c\le1` one common factor that keeps
    every entry within ``max_abs``, and :math:`P` a random :math:`B`-cycle (no row keeps its
    partner). ``"noisy"`` is the typical input of an SSL loss (two augmentations share the
    content and differ by noise; ``noise=0`` gives copies). ``"copy"`` is a minimiser of the
    invariance term. ``"permutation"`` mismatches every pair but keeps each branch's multiset of
    rows, so per-branch statistics (column means and covariances, hence VICReg's variance and
    covariance terms) equal those of ``"copy"`` and only the pairing terms change.

    Parameters
    ----------
    n_pairs : int, (int, int) or strategy of ints, default (2, 16)
        ``B``, the batch size: fixed, an inclusive range, or a strategy (e.g.
        ``st.integers(3, 12).map(lambda b: 2 * b)``); at least 2 (the libraries' variances need
        two rows).
    n_components : int, (int, int) or strategy of ints, default (1, 6)
        ``K``, the embedding dimension.
    relation : str or sequence of str, default "noisy"
        One or several of :data:`PAIR_RELATIONS`, drawn uniformly among those given.
    noise : float or (float, float), default (0.0, 1.0)
        The noise-to-signal ratio :math:`\sigma\ge0` of ``"noisy"``: fixed, or drawn from the
        inclusive range (a hypothesis float: it shrinks towards the lower end).
    full_rank : bool, default False
        The signal has full column rank with condition number ``<= max_condition``
        (``n_pairs >= n_components`` is drawn, or enforced by rejection for strategy sizes).
    max_condition : float, default 100.0
    max_abs : float, default 10.0
        Bound on every entry of both branches.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of :class:`PairedViews`: ``z1, z2 = views`` (float64 NumPy arrays of equal shape),
        ``views.relation``, ``views.noise``, ``views.permutation``, ``views.stacked``.

    Raises
    ------
    ValueError
        Unknown or empty ``relation``, ``noise`` negative or out of order, sizes out of range.
    TypeError
        Sizes neither ints, pairs of ints nor strategies.

    See Also
    --------
    embeddings : one embedding matrix (the paper form's stacked ``Z``).
    ssltheory.testing.properties.assert_matches_convention : compare a two-branch loss with a
        library's on these views.

    Examples
    --------
    >>> from hypothesis import strategies as st
    >>> from ssltheory.testing.strategies import paired_views
    >>> strategy = paired_views(n_pairs=st.integers(3, 12).map(lambda b: 2 * b), n_components=(1, 8),
    ...                         relation=("noisy", "copy", "permutation"))

    .. code-block:: python

        from hypothesis import given
        from ssltheory.testing.properties import assert_matches_convention

        @given(views=strategy)
        def test_my_vicreg_is_the_reference_one(views):
            assert_matches_convention(my_vicreg, *views, method="vicreg", convention="reference")
    """
    relations = (relation,) if isinstance(relation, str) else tuple(relation)
    if not relations:
        raise ValueError(f"relation must name at least one of {PAIR_RELATIONS}, received none")
    unknown = [r for r in relations if r not in PAIR_RELATIONS]
    if unknown:
        raise ValueError(f"unknown relation {unknown[0]!r}; choose from {', '.join(PAIR_RELATIONS)}")
    relations = tuple(dict.fromkeys(relations))
    if isinstance(noise, Sequence) and not isinstance(noise, str):
        if len(noise) != 2:
            raise ValueError(f"noise must be a float or a (min, max) pair, received {noise!r}")
        lo = _real(noise[0], "noise[0]", minimum=0.0)
        hi = _real(noise[1], "noise[1]", minimum=0.0)
        if lo > hi:
            raise ValueError(f"noise must satisfy min <= max, received {noise!r}")
    else:
        lo = hi = _real(noise, "noise", minimum=0.0)
    row_size, col_size, max_condition, max_abs = _check_matrix_args(
        n_pairs, n_components, ("n_pairs", "n_components"), full_rank, max_condition, max_abs, min_rows=2
    )
    return _paired_strategy(row_size, col_size, relations, (lo, hi), full_rank, max_condition, max_abs)

"""Input validation: one place, clear messages naming the argument, expected vs received.

Private helpers take the namespace as the keyword ``xp`` and never re-infer it.
"""

from __future__ import annotations

import math
import numbers
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend

__all__ = [
    "as_float",
    "check_array",
    "check_finite",
    "check_graph",
    "check_hinge_params",
    "check_int",
    "check_n_components",
    "check_positive",
    "check_rng",
    "check_same_shape",
    "check_square",
    "check_symmetric",
    "default_tol",
    "eps",
]


def eps(dtype: Any, *, xp: ModuleType) -> float:
    """Machine epsilon of a floating dtype of ``xp``."""
    return float(xp.finfo(dtype).eps)


def default_tol(dtype: Any, *, xp: ModuleType) -> float:
    """``4*sqrt(eps)``: the library's default relative tolerance (DESIGN §5)."""
    return 4.0 * math.sqrt(eps(dtype, xp=xp))


def as_float(x: Any, *, xp: ModuleType, name: str) -> Any:
    """Return ``x`` with a real floating dtype: integers and booleans become float64.

    Raises ``TypeError`` naming ``name`` for complex and other non-real dtypes.
    """
    dtype = x.dtype
    if _backend.is_sparse(x):
        kind = x.dtype.kind
        if kind in "biu":
            return x.astype("float64")
        if kind == "f":
            return x
        raise TypeError(f"{name} must have a real dtype, received {dtype}")
    if xp.isdtype(dtype, "real floating"):
        return x
    if xp.isdtype(dtype, "bool") or xp.isdtype(dtype, "integral"):
        return xp.astype(x, xp.float64)
    raise TypeError(f"{name} must have a real (integer, boolean or floating) dtype, received {dtype}")


def _first_bad_index(mask: Any, *, xp: ModuleType) -> tuple[int, ...]:
    """Index (tuple) of the first True entry of a boolean array (C order)."""
    flat = xp.reshape(mask, (-1,))
    pos = int(xp.argmax(xp.astype(flat, xp.int8)))
    idx = []
    for dim in reversed(mask.shape):
        idx.append(pos % dim)
        pos //= dim
    return tuple(reversed(idx))


def check_finite(x: Any, *, xp: ModuleType, name: str) -> None:
    """Raise ``ValueError`` naming ``name`` and the first non-finite entry."""
    data = x.data if _backend.is_sparse(x) else x
    data = xp.asarray(data) if _backend.is_sparse(x) else data
    if xp.isdtype(data.dtype, "real floating") and data.size:
        # fast path: one reduction, no boolean temporary. NaN/inf make the sum non-finite; a
        # non-finite sum of finite entries (overflow) falls through to the exact check below
        with np.errstate(over="ignore", invalid="ignore"):
            if bool(xp.isfinite(xp.sum(data))):
                return
    bad = ~xp.isfinite(data)
    if bool(xp.any(bad)):
        if _backend.is_sparse(x):
            coo = x.tocoo()
            i = int(_first_bad_index(bad, xp=xp)[0])
            raise ValueError(
                f"{name} must be finite, but entry ({int(coo.row[i])}, {int(coo.col[i])}) is {float(data[i])}"
            )
        idx = _first_bad_index(bad, xp=xp)
        raise ValueError(f"{name} must be finite, but entry {idx} is {float(x[idx])}")


def check_array(
    x: Any,
    *,
    xp: ModuleType,
    name: str,
    ndim: int | None = None,
    min_rows: int = 1,
    finite: bool = True,
    floating: bool = True,
) -> Any:
    """Validate a dense array: dimensionality, at least ``min_rows`` rows, finite; cast to float.

    Returns the (possibly promoted) array.
    """
    if _backend.is_sparse(x):
        raise TypeError(f"{name} must be a dense array, received a sparse matrix")
    if ndim is not None and x.ndim != ndim:
        shape = "(n_samples,)" if ndim == 1 else "(n_samples, n_features)" if ndim == 2 else f"{ndim}-D"
        raise ValueError(f"{name} must be a {ndim}-D array of shape {shape}, received shape {tuple(x.shape)}")
    if x.ndim >= 1 and x.shape[0] < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} row(s), received shape {tuple(x.shape)}")
    if floating:
        x = as_float(x, xp=xp, name=name)
    if finite and (floating or xp.isdtype(x.dtype, "real floating")):
        check_finite(x, xp=xp, name=name)
    return x


def check_square(x: Any, *, name: str) -> None:
    """Raise ``ValueError`` unless ``x`` is a square 2-D matrix."""
    if len(x.shape) != 2 or x.shape[0] != x.shape[1]:
        raise ValueError(f"{name} must be a square (n, n) matrix, received shape {tuple(x.shape)}")


def check_same_shape(a: Any, b: Any, *, names: tuple[str, str]) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, received "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )


def check_symmetric(a: Any, *, xp: ModuleType, name: str, hint: str = "", min_scale: float = 0.0) -> None:
    """Refuse a dense square matrix that is not symmetric to ``4*sqrt(eps)*max(max|A|, min_scale)``.

    It is never symmetrised silently; ``hint`` (e.g. what the matrix should be) ends the message.
    """
    scale = max(float(xp.max(xp.abs(a))) if a.shape[0] else 0.0, min_scale)
    asym = float(xp.max(xp.abs(a - a.mT))) if a.shape[0] else 0.0
    tol = default_tol(a.dtype, xp=xp) * scale
    if asym > tol:
        raise ValueError(
            f"{name} must be symmetric: max |A - Aᵀ| = {asym:.3g} exceeds the tolerance {tol:.3g}; it is "
            f"never symmetrised silently{'; ' + hint if hint else ''}"
        )


def check_graph(
    graph: Any,
    *,
    xp: ModuleType,
    name: str = "graph",
    diagonal: str = "ignore",
    sym_tol: float | None = None,
) -> Any:
    """Validate a relation graph (spec/spectral.md D2) and return it with a floating dtype.

    A graph is a square, symmetric (to ``4*sqrt(eps)*max|G|``), non-negative, finite matrix,
    dense or sparse. It is never symmetrised silently.

    Parameters
    ----------
    diagonal : {"ignore", "reject", "keep"}
        ``"reject"`` raises on a non-zero diagonal (SimCLR, BarlowTwins); ``"ignore"`` and
        ``"keep"`` accept it (the caller decides whether it cancels or counts).
    """
    if diagonal not in ("ignore", "reject", "keep"):
        raise ValueError(f"diagonal must be 'ignore', 'reject' or 'keep', received {diagonal!r}")
    sparse = _backend.is_sparse(graph)
    if not sparse and graph.ndim != 2:
        raise ValueError(f"{name} must be a square (n, n) matrix, received shape {tuple(graph.shape)}")
    check_square(graph, name=name)
    if graph.shape[0] == 0:
        raise ValueError(f"{name} must have at least one node, received shape {tuple(graph.shape)}")
    graph = as_float(graph, xp=xp, name=name)
    check_finite(graph, xp=xp, name=name)
    if sparse:
        graph = graph.tocsr()
        data = graph.data
        if data.size and bool((data < 0).any()):
            coo = graph.tocoo()
            i = int(_first_bad_index(coo.data < 0, xp=xp)[0])
            raise ValueError(
                f"{name} must be non-negative, but entry ({int(coo.row[i])}, {int(coo.col[i])}) is "
                f"{float(coo.data[i])}"
            )
        scale = float(abs(data).max()) if data.size else 0.0
        diff = (graph - graph.T).tocoo()
        asym = float(abs(diff.data).max()) if diff.nnz else 0.0
        tol = sym_tol if sym_tol is not None else default_tol(graph.dtype, xp=xp) * scale
        if asym > tol:
            j = int(abs(diff.data).argmax())
            r, c = int(diff.row[j]), int(diff.col[j])
            raise ValueError(
                f"{name} must be symmetric: entries ({r}, {c}) and ({c}, {r}) differ by {asym:.3g} "
                f"(tolerance {tol:.3g}); it is never symmetrised silently, pass (G + G.T) / 2 if "
                "that is what you mean"
            )
        if diagonal == "reject":
            d = graph.diagonal()
            if bool((d != 0).any()):
                i = int((d != 0).argmax())
                raise ValueError(
                    f"{name} must have a zero diagonal for this loss (self-pairs are not allowed), "
                    f"but entry ({i}, {i}) is {float(d[i])}"
                )
        return graph
    neg = graph < 0
    if bool(xp.any(neg)):
        idx = _first_bad_index(neg, xp=xp)
        raise ValueError(f"{name} must be non-negative, but entry {idx} is {float(graph[idx])}")
    scale = float(xp.max(xp.abs(graph)))
    diff = xp.abs(graph - graph.mT)
    tol = sym_tol if sym_tol is not None else default_tol(graph.dtype, xp=xp) * scale
    if float(xp.max(diff)) > tol:
        idx = _first_bad_index(diff > tol, xp=xp)
        r, c = idx
        raise ValueError(
            f"{name} must be symmetric: entries ({r}, {c}) and ({c}, {r}) differ by "
            f"{float(diff[idx]):.3g} (tolerance {tol:.3g}); it is never symmetrised silently, "
            "pass (G + G.T) / 2 if that is what you mean"
        )
    if diagonal == "reject":
        d = xp.linalg.diagonal(graph)
        nz = d != 0
        if bool(xp.any(nz)):
            i = int(_first_bad_index(nz, xp=xp)[0])
            raise ValueError(
                f"{name} must have a zero diagonal for this loss (self-pairs are not allowed), "
                f"but entry ({i}, {i}) is {float(d[i])}"
            )
    return graph


def check_int(value: Any, *, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` after checking type and bounds (``bool`` is rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, received {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, received {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, received {value}")
    return value


def check_positive(value: Any, *, name: str, strict: bool = True) -> float:
    """Return ``value`` as a finite ``float``, checking ``> 0`` (or ``>= 0`` if not strict)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, received {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or (value <= 0 if strict else value < 0):
        raise ValueError(f"{name} must be {'> 0' if strict else '>= 0'} and finite, received {value}")
    return value


def check_n_components(n_components: Any, *, maximum: int, reason: str) -> int:
    """Check ``1 <= n_components <= maximum``; ``reason`` explains where the bound comes from."""
    k = check_int(n_components, name="n_components", minimum=1)
    if k > maximum:
        raise ValueError(f"n_components must be <= {maximum} ({reason}), received {k}")
    return k


def check_hinge_params(variance_floor: Any, variance_eps: Any) -> tuple[float, float]:
    """Validate ``variance_floor`` (> 0) and ``variance_eps`` (>= 0) with ``floor + eps < 1``."""
    floor = check_positive(variance_floor, name="variance_floor")
    eps = check_positive(variance_eps, name="variance_eps", strict=False)
    if floor + eps >= 1.0:
        raise ValueError(
            "variance_floor + variance_eps must be < 1 (otherwise the hinge is identically zero and "
            f"every collapsed embedding is optimal), received {floor} + {eps}"
        )
    return floor, eps


def check_rng(rng: Any, *, name: str = "rng") -> Any:
    """A ``numpy.random.Generator`` from ``rng``: a Generator as is, or a non-negative int seed."""
    import numpy as np

    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if int(rng) < 0:
            raise ValueError(f"{name} seed must be a non-negative integer, received {int(rng)}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator or a non-negative int seed, received {type(rng).__name__}"
    )

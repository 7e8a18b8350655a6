"""Shared pieces of the loss evaluators: the result type, the base class, graph-side helpers."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssltheory import _backend, _validation

__all__ = ["CONVENTIONS", "Loss", "LossValue", "check_convention", "pair_indices", "prepare", "scatter_rows"]

CONVENTIONS = ("paper", "reference", "solo_learn", "lightly")


@dataclass(frozen=True)
class LossValue:
    """A loss value and its exact gradient with respect to the embedding.

    ``value`` is a 0-d array and ``grad`` an ``(n_samples, n_components)`` array, both of the
    embedding's namespace, device and dtype.
    """

    value: Any
    grad: Any


class Loss:
    """Base class of the loss evaluators.

    Subclasses hold the hyper-parameters (validated in ``__init__``) and implement
    :meth:`value_and_grad`; calling the evaluator returns the value alone.
    """

    #: diagonal policy for :func:`ssltheory._validation.check_graph` (spec D2)
    _diagonal = "ignore"

    def value_and_grad(self, embedding: Any, graph: Any, /) -> LossValue:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement value_and_grad")

    def __call__(self, embedding: Any, graph: Any, /) -> Any:
        return self.value_and_grad(embedding, graph).value

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


def check_convention(convention: str, allowed: tuple[str, ...] = CONVENTIONS) -> str:
    if convention not in allowed:
        raise ValueError(
            f"convention must be one of {', '.join(map(repr, allowed))}, received {convention!r}"
        )
    return convention


def prepare(embedding: Any, graph: Any, *, diagonal: str, min_rows: int = 2) -> tuple[ModuleType, Any, Any]:
    """Namespace, validated float embedding ``(N, K)`` and dense graph ``(N, N)`` of a loss call."""
    xp = _backend.get_namespace(embedding, graph)
    z = _validation.check_array(embedding, xp=xp, name="embedding", ndim=2, min_rows=min_rows)
    g = _validation.check_graph(graph, xp=xp, diagonal=diagonal)
    if _backend.is_sparse(g):
        g = g.toarray()
    if g.shape[0] != z.shape[0]:
        raise ValueError(
            f"graph must be (n_samples, n_samples) = ({z.shape[0]}, {z.shape[0]}) to match embedding, "
            f"received {tuple(g.shape)}"
        )
    if g.dtype != z.dtype:
        g = xp.astype(g, z.dtype)
    return xp, z, g


def pair_indices(graph: Any, *, xp: ModuleType) -> tuple[Any, Any]:
    """Left/right rows of a two-view pairing graph (each node has exactly one partner, weight 1).

    The library conventions of the official codes (``"reference"``, ``"solo_learn"``,
    ``"lightly"``) are defined for two branches; in graph form a branch split exists only for a
    perfect matching. Returns ``(left, right)`` index arrays with ``left[p] < right[p]``, ordered
    by ``left``; for ``augmentation_graph(B, 2)`` these are ``arange(B)`` and ``arange(B, 2B)``.
    """
    n = graph.shape[0]
    ones = xp.ones((n,), dtype=graph.dtype, device=_backend.device(graph))
    binary = bool(xp.all((graph == 0) | (graph == 1)))
    diag_zero = bool(xp.all(xp.linalg.diagonal(graph) == 0))
    if not (binary and diag_zero and bool(xp.all(xp.sum(graph, axis=1) == ones)) and n % 2 == 0):
        raise ValueError(
            "graph must be a two-view pairing (0/1 entries, zero diagonal, exactly one partner per row) "
            "for the library conventions ('reference', 'solo_learn', 'lightly'), which are defined on two "
            "branches; use convention='paper' for general graphs"
        )
    partner = xp.argmax(graph, axis=1)
    idx = xp.arange(n, device=_backend.device(graph))
    left_mask = idx < partner
    left = idx[left_mask]
    right = partner[left_mask]
    return left, right


def scatter_rows(target: Any, rows: Any, values: Any, *, xp: ModuleType) -> Any:
    """``target[rows] += values`` for distinct ``rows`` without in-place fancy assignment
    (not in the array API): a one-hot matrix product, exact for 0/1 weights."""
    n = target.shape[0]
    idx = xp.arange(n, device=_backend.device(target))
    onehot = xp.astype(idx[:, None] == rows[None, :], target.dtype)
    return target + onehot @ values

"""The claim registry: ``register``, ``get``, ``all_claims``.

The library's own claims live in private modules listed in ``_BUILTIN_MODULES`` and register
themselves when first imported; the registry imports them on first use, so ``import ssltheory``
stays light. Users register their own claims with :func:`register` and get the same machinery
(tests, ``ssltheory verify``, the report).
"""

from __future__ import annotations

import difflib
import importlib

from ssltheory.claims._core import Claim

__all__ = ["all_claims", "areas", "get", "register", "unregister"]

_REGISTRY: dict[str, Claim] = {}
_BUILTIN_MODULES = (
    "ssltheory.claims._graphs",
    "ssltheory.claims._losses",
    "ssltheory.claims._spectral",
    "ssltheory.claims._hinge",
    "ssltheory.claims._spectral_contrastive",
    "ssltheory.claims._nets",
    "ssltheory.claims._kernel",
    "ssltheory.claims._independence",
    "ssltheory.claims._splines",
    "ssltheory.claims._dynamics_stepwise",
    "ssltheory.claims._dynamics_byol",
    "ssltheory.claims._dynamics_collapse",
    "ssltheory.claims._dynamics_sigreg",
)
_loaded = False


def _load_builtin() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _BUILTIN_MODULES:
            importlib.import_module(module)


def register(claim: Claim, *, replace: bool = False) -> Claim:
    """Add ``claim`` to the registry and return it.

    Raises ``ValueError`` if a claim with the same id exists (``replace=True`` overwrites it),
    ``TypeError`` if ``claim`` is not a :class:`Claim`.
    """
    if not isinstance(claim, Claim):
        raise TypeError(f"claim must be a ssltheory.claims.Claim, received {type(claim).__name__}")
    if claim.id in _REGISTRY and not replace:
        raise ValueError(
            f"a claim with id {claim.id!r} is already registered; pass replace=True to overwrite it"
        )
    _REGISTRY[claim.id] = claim
    return claim


def unregister(claim_id: str) -> None:
    """Remove a claim (``KeyError`` if absent)."""
    _load_builtin()
    if claim_id not in _REGISTRY:
        raise KeyError(f"no claim with id {claim_id!r} is registered")
    del _REGISTRY[claim_id]


def get(claim_id: str) -> Claim:
    """The claim with id ``claim_id``; ``KeyError`` naming close matches otherwise."""
    _load_builtin()
    try:
        return _REGISTRY[claim_id]
    except KeyError:
        close = difflib.get_close_matches(claim_id, list(_REGISTRY), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; run `ssltheory list` to see them"
        raise KeyError(f"no claim with id {claim_id!r} is registered{hint}") from None


def all_claims(area: str | None = None) -> list[Claim]:
    """Registered claims sorted by id, optionally only those of one area.

    Raises
    ------
    TypeError
        ``area`` is not a string.
    ValueError
        ``area`` names no registered area (the message lists them).
    """
    _load_builtin()
    claims = sorted(_REGISTRY.values(), key=lambda c: c.id)
    if area is not None:
        if not isinstance(area, str):
            raise TypeError(f"area must be a string such as 'spectral', received {type(area).__name__}")
        known = sorted({c.area for c in claims})
        if area not in known:
            raise ValueError(f"area must be one of {', '.join(map(repr, known))}, received {area!r}")
        claims = [c for c in claims if c.area == area]
    return claims


def areas() -> list[str]:
    """Sorted areas that have at least one registered claim."""
    return sorted({c.area for c in all_claims()})

"""Test helpers for users' own CI: closeness, subspace and eigenpair assertions on any backend.

``from ssltheory.testing import assert_close`` stays light (NumPy and array-api-compat only).
Two submodules are imported explicitly (or on first attribute access)::

    from ssltheory.testing.properties import assert_matches_convention  # no extra dependency
    from ssltheory.testing.strategies import paired_views, graphs       # needs hypothesis

:mod:`ssltheory.testing.properties` holds ready-made properties for a user's own SSL loss (it
equals a library convention, its gradient matches finite differences, its value at the
closed-form optimum is the predicted one, and it satisfies the exact identities of the spectral
contrastive loss, the contrastive / non-contrastive duality and InfoNCE on the relation graph);
:mod:`ssltheory.testing.strategies` holds the
hypothesis strategies, and needs the ``testing`` extra: ``pip install "ssltheory[testing]"``.

All assertions copy their inputs to the host and compare in float64; their default tolerances
derive from the least precise floating input (DESIGN §5: ``4*sqrt(eps)`` for values and
subspaces, ``n*eps``-scaled residuals for eigenpairs).
"""

from __future__ import annotations

import importlib
import typing

from ssltheory.testing._asserts import assert_close, assert_eigenpairs, assert_same_subspace, default_rtol

__all__ = [
    "assert_close",
    "assert_eigenpairs",
    "assert_same_subspace",
    "default_rtol",
    "properties",
]

# submodules loaded on first attribute access; "strategies" is left out of __all__ (it needs hypothesis)
_SUBPACKAGES = ("properties",)
_LAZY = ("properties", "strategies")


def __getattr__(name: str) -> typing.Any:
    if name in _LAZY:
        module = importlib.import_module(f"ssltheory.testing.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ssltheory.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

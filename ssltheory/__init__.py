"""ssltheory: the theory of self-supervised learning as code that can be run, checked and trusted.

Closed-form optimal representations for SSL losses written on a relation graph, tools to compare
them with trained networks, and a registry of checkable claims behind ``ssltheory verify``.

Subpackages are imported lazily on first attribute access, so ``import ssltheory`` stays light
(it never imports CuPy, Dask, matplotlib, sympy or hypothesis).
"""

from __future__ import annotations

import importlib
import typing

from ssltheory._warnings import DegenerateSpectrumWarning, NotConvergedWarning, SSLTheoryWarning

__version__ = "0.1.0"

__all__ = [
    "DegenerateSpectrumWarning",
    "NotConvergedWarning",
    "SSLTheoryWarning",
    "__version__",
    "claims",
    "compare",
    "dynamics",
    "graphs",
    "independence",
    "integrations",
    "kernel",
    "losses",
    "nets",
    "spectral",
    "splines",
    "testing",
    "track",
]

_SUBPACKAGES = (
    "claims",
    "compare",
    "dynamics",
    "graphs",
    "independence",
    "integrations",
    "kernel",
    "losses",
    "nets",
    "spectral",
    "splines",
    "testing",
    "track",
)


def __getattr__(name: str) -> typing.Any:
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"ssltheory.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ssltheory' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBPACKAGES))

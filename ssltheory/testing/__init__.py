"""Test helpers for users' own CI: closeness, subspace and eigenpair assertions on any backend.

``from ssltheory.testing import assert_close`` stays light (NumPy and array-api-compat only). The
hypothesis strategies live in :mod:`ssltheory.testing.strategies`, which imports hypothesis and is
imported explicitly::

    from ssltheory.testing.strategies import graphs, psd_matrices

All assertions copy their inputs to the host and compare in float64; their default tolerances
derive from the least precise floating input (DESIGN §5: ``4*sqrt(eps)`` for values and
subspaces, ``n*eps``-scaled residuals for eigenpairs).
"""

from __future__ import annotations

from ssltheory.testing._asserts import assert_close, assert_eigenpairs, assert_same_subspace, default_rtol

__all__ = [
    "assert_close",
    "assert_eigenpairs",
    "assert_same_subspace",
    "default_rtol",
]

"""Closed-form optimal representations and linear weights of SSL losses (spec/spectral.md).

Every solver takes the relation graph ``G`` (and data ``X`` for linear weights) and returns a
frozen result (:class:`SpectralSolution`, :class:`LinearSolution`) holding the deterministic
representative of the optimal set, the operator eigenvalues used, the rank and the optimal loss.
"""

from ssltheory.spectral._results import LinearSolution, SpectralSolution

__all__ = [
    "LinearSolution",
    "SpectralSolution",
]

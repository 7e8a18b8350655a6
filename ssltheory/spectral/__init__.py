"""Closed-form optimal representations and linear weights of SSL losses (spec/spectral.md).

Every solver takes the relation graph ``G`` (and data ``X`` for linear weights) and returns a
frozen result (:class:`SpectralSolution`, :class:`LinearSolution`) holding the deterministic
representative of the optimal set, the operator eigenvalues used, the rank and the optimal loss.
"""

from ssltheory.spectral._barlow_twins import barlow_twins_embedding, barlow_twins_linear_weights, graph_cca
from ssltheory.spectral._linear import vicreg_linear_weights
from ssltheory.spectral._results import LinearSolution, SpectralSolution
from ssltheory.spectral._simclr import simclr_embedding
from ssltheory.spectral._spectral_contrastive import spectral_contrastive_embedding
from ssltheory.spectral._statistics import (
    GraphStatistics,
    barlow_twins_linear_weights_from_statistics,
    graph_cca_from_statistics,
    graph_statistics,
    vicreg_linear_weights_from_statistics,
)
from ssltheory.spectral._vicreg import laplacian_eigenmaps, vicreg_embedding, wmse_embedding

__all__ = [
    "GraphStatistics",
    "LinearSolution",
    "SpectralSolution",
    "barlow_twins_embedding",
    "barlow_twins_linear_weights",
    "barlow_twins_linear_weights_from_statistics",
    "graph_cca",
    "graph_cca_from_statistics",
    "graph_statistics",
    "laplacian_eigenmaps",
    "simclr_embedding",
    "spectral_contrastive_embedding",
    "vicreg_embedding",
    "vicreg_linear_weights",
    "vicreg_linear_weights_from_statistics",
    "wmse_embedding",
]

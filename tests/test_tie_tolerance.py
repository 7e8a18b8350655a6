"""``tie_tol`` is validated: NaN, negative, infinite or non-numeric values used to turn tie detection
off silently (a tied optimum reported as unique, with no warning)."""

from __future__ import annotations

import numpy as np
import pytest

from ssltheory.graphs import augmentation_graph
from ssltheory.spectral import (
    graph_cca,
    spectral_contrastive_embedding,
    vicreg_embedding,
    vicreg_linear_weights,
)

G = augmentation_graph(4, 2)  # eigenvalue 0 three times on 1⊥: keeping 2 columns splits a tie
X = np.random.default_rng(0).standard_normal((8, 5))

CALLS = {
    "spectral_contrastive_embedding": lambda tol: spectral_contrastive_embedding(
        G, n_components=2, tie_tol=tol
    ),
    "vicreg_embedding": lambda tol: vicreg_embedding(G, n_components=2, invariance_weight=0.1, tie_tol=tol),
    "vicreg_embedding_hinge": lambda tol: vicreg_embedding(
        G, n_components=2, variance_weight=12.5, variance_penalty="hinge", tie_tol=tol
    ),
    "vicreg_linear_weights": lambda tol: vicreg_linear_weights(X, G, n_components=2, tie_tol=tol),
    "graph_cca": lambda tol: graph_cca(X, G, n_components=2, tie_tol=tol),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("bad", [float("nan"), -1.0, float("inf")])
def test_invalid_tie_tol_is_refused(name, bad):
    with pytest.raises(ValueError, match="tie_tol must be >= 0 and finite"):
        CALLS[name](bad)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_non_numeric_tie_tol_is_refused(name):
    with pytest.raises(TypeError, match="tie_tol must be a real number"):
        CALLS[name]("1e-8")


def test_the_issue_example_warns_instead_of_hiding_the_tie():
    # the default tolerance detects the tie (the optimal subspace is not unique)
    from ssltheory import DegenerateSpectrumWarning

    with pytest.warns(DegenerateSpectrumWarning):
        sol = spectral_contrastive_embedding(G, n_components=2)
    assert sol.tied

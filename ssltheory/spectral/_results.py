"""Result types of the spectral closed forms (spec/spectral.md D14)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["LinearSolution", "SpectralSolution"]


@dataclass(frozen=True)
class SpectralSolution:
    """A closed-form optimal embedding and what is unique about it.

    Attributes
    ----------
    embedding : array, shape (n_samples, n_components)
        The deterministic representative of the optimal set (spec D11): eigenvector signs
        normalised, mean zero, rotation ``R = I`` unless the method fixes another.
    eigenvalues : array, shape (n_components,)
        The operator eigenvalues used, one per column (Laplacian ascending, adjacency descending).
    scales : array, shape (n_components,)
        Per-column weights of the solution (``c_k`` for VICReg, ``ω_k`` for spectral contrastive…).
    rank : int
        Rank of the (centred, where the method centres) optimal embedding.
    loss : float
        The loss at the optimum, ``convention="paper"``.
    tied : bool
        True when an eigenvalue cluster straddles ``n_components`` with positive weight, i.e.
        the optimal subspace is not unique (a ``DegenerateSpectrumWarning`` was issued).
    """

    embedding: Any
    eigenvalues: Any
    scales: Any
    rank: int
    loss: float
    tied: bool = False


@dataclass(frozen=True)
class LinearSolution:
    """Closed-form optimal linear weights ``W`` (``Z = X W``) and what is unique about them.

    Attributes
    ----------
    weights : array, shape (n_features, n_components)
        Minimum-norm optimal weights (no bias; the bias is free where the loss centres).
    eigenvalues : array, shape (n_components,)
        Generalised eigenvalues used (``μ_k`` for VICReg, canonical correlations for BarlowTwins).
    scales : array, shape (n_components,)
        Per-column weights (``c_k`` for VICReg; ones for BarlowTwins).
    rank : int
        Rank of the optimal embedding ``X W`` after centring.
    loss : float
        The loss at the optimum, ``convention="paper"``.
    tied : bool
        True when the optimal subspace is not unique (see :class:`SpectralSolution`).
    """

    weights: Any
    eigenvalues: Any
    scales: Any
    rank: int
    loss: float
    tied: bool = False

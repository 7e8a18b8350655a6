"""Relation graphs :math:`G` and their Laplacians (spec/spectral.md §2.1, §3, D2, D9, D10).

Builders return the paper's zero-diagonal :math:`G` (``self_loops=True`` gives
:math:`\\bar G = G + I`):

- :func:`augmentation_graph`: :math:`V` views of :math:`N'` samples, stacked view-major;
- :func:`label_graph`: samples sharing a label;
- :func:`knn_graph`: symmetrised k-nearest neighbours (NNCLR).

Operators on any graph (dense array of any array-API backend, or SciPy / ``cupyx.scipy`` sparse
matrix): :func:`graph_laplacian` (combinatorial, symmetric, random-walk), :func:`degree`,
:func:`normalized_adjacency`. Results stay on the input's backend and device.
"""

from ssltheory.graphs._builders import augmentation_graph, knn_graph, label_graph
from ssltheory.graphs._laplacian import degree, graph_laplacian, normalized_adjacency

__all__ = [
    "augmentation_graph",
    "degree",
    "graph_laplacian",
    "knn_graph",
    "label_graph",
    "normalized_adjacency",
]

"""Spline partitions of piecewise-linear networks and the geometry of batch normalisation.

spec/splines.md. A network is described explicitly (:class:`SplineNet` of :class:`HiddenLayer`,
weights of shape ``(n_out, n_in)``); BN statistics (:func:`bn_statistics`, running updates) are
folded into an equivalent plain CPA net (:func:`fold_batch_norm`), on which every geometric
function works:

- codes, hyperplanes, per-region affine maps: :func:`region_codes`, :func:`unit_hyperplanes`,
  :func:`local_affine_maps`, :func:`forward`;
- exact distances in any dimension: :func:`distance_to_boundary` (Dist-1),
  :func:`distance_to_unit_boundary` (Dist-2), :func:`first_order_margin`;
- exact 2D partitions: :func:`enumerate_regions_2d`, :func:`segment_distance_2d`,
  :func:`margin_2d`, :func:`count_codes_on_grid` (host NumPy output, spec D10);
- density: :func:`local_complexity`;
- ``ssltheory.nets`` models: :func:`spline_net_from_mlp`, :func:`running_statistics_from_mlp`;
- BN predictions: :func:`bn_recentring`, :func:`tls_objective`, :func:`crossing_fraction`,
  :func:`boundary_jitter`, :func:`sample_boundary_jitter`, separation probabilities,
  :func:`zaslavsky_count`.
"""

from ssltheory.splines._adapters import running_statistics_from_mlp, spline_net_from_mlp
from ssltheory.splines._density import LocalComplexity, local_complexity, random_orthonormal_directions
from ssltheory.splines._distance import (
    BoundaryDistance,
    Margin,
    UnitBoundaryDistance,
    distance_to_boundary,
    distance_to_unit_boundary,
    first_order_margin,
)
from ssltheory.splines._enumerate import (
    Partition2D,
    count_codes_on_grid,
    enumerate_regions_2d,
    margin_2d,
    segment_distance_2d,
)
from ssltheory.splines._folding import (
    BNStatistics,
    FoldedNet,
    bn_statistics,
    fold_batch_norm,
    update_running_statistics,
)
from ssltheory.splines._jitter import JitterPrediction, JitterSample, boundary_jitter, sample_boundary_jitter
from ssltheory.splines._layer import (
    LayerPartition,
    LayerSpaceDistance,
    PivotSet,
    PowerDiagram,
    first_layer_pivot,
    hyperplane_meets_window,
    layer_partition,
    layer_space_distance,
    power_diagram,
)
from ssltheory.splines._model import (
    DegenerateUnitWarning,
    HiddenLayer,
    SplineNet,
    activation_slope,
    random_spline_net,
)
from ssltheory.splines._partition import (
    ForwardPass,
    Hyperplanes,
    LocalAffineMaps,
    RegionCodes,
    RegionCount,
    crossing_fraction,
    forward,
    local_affine_maps,
    region_codes,
    unit_hyperplanes,
    zaslavsky_count,
)
from ssltheory.splines._separation import (
    ball_separation_bounds,
    ball_separation_probability,
    cluster_separation_bound,
    pair_separation_probability,
)
from ssltheory.splines._tls import BNRecentring, bn_recentring, tls_objective

__all__ = [
    "BNRecentring",
    "BNStatistics",
    "BoundaryDistance",
    "DegenerateUnitWarning",
    "FoldedNet",
    "ForwardPass",
    "HiddenLayer",
    "Hyperplanes",
    "JitterPrediction",
    "JitterSample",
    "LayerPartition",
    "LayerSpaceDistance",
    "LocalAffineMaps",
    "LocalComplexity",
    "Margin",
    "Partition2D",
    "PivotSet",
    "PowerDiagram",
    "RegionCodes",
    "RegionCount",
    "SplineNet",
    "UnitBoundaryDistance",
    "activation_slope",
    "ball_separation_bounds",
    "ball_separation_probability",
    "bn_recentring",
    "bn_statistics",
    "boundary_jitter",
    "cluster_separation_bound",
    "count_codes_on_grid",
    "crossing_fraction",
    "distance_to_boundary",
    "distance_to_unit_boundary",
    "enumerate_regions_2d",
    "first_layer_pivot",
    "first_order_margin",
    "fold_batch_norm",
    "forward",
    "hyperplane_meets_window",
    "layer_partition",
    "layer_space_distance",
    "local_affine_maps",
    "local_complexity",
    "margin_2d",
    "pair_separation_probability",
    "power_diagram",
    "random_orthonormal_directions",
    "random_spline_net",
    "region_codes",
    "running_statistics_from_mlp",
    "sample_boundary_jitter",
    "segment_distance_2d",
    "spline_net_from_mlp",
    "tls_objective",
    "unit_hyperplanes",
    "update_running_statistics",
    "zaslavsky_count",
]

"""Closed-form training dynamics of linear self-supervised learning.

Where linear SSL training goes, and how it gets there: stepwise learning of Barlow Twins-type losses
(Simon et al., arXiv:2303.15438), the eigen-decoupled dynamics of BYOL/SimSiam with a linear
predictor (Tian, Chen & Ganguli, arXiv:2102.06810), dimensional collapse in contrastive learning
(Jing et al., arXiv:2110.09348) and the SIGReg isotropic-Gaussian regulariser of LeJEPA
(Balestriero & LeCun, 2025). Each closed form is checked against training with
:mod:`ssltheory.nets` by the claims of the ``dynamics`` area.
"""

from ssltheory.dynamics._byol import (
    BYOLFixedPoints,
    BYOLModeRates,
    BYOLTrajectory,
    balance_decay,
    balance_quantity,
    byol_fixed_points,
    byol_mode_odes,
    byol_mode_trajectory,
    collapse_boundary,
    directpred_predictor,
)
from ssltheory.dynamics._collapse import (
    CollapsePrediction,
    ContrastiveOperator,
    canonical_view_correlations,
    collapse_threshold,
    infonce_gradient_operator,
    infonce_linear_gradient,
    predicted_collapse_rank,
)
from ssltheory.dynamics._sigreg import (
    EppsPulleyExpectation,
    SIGRegResult,
    epps_pulley,
    epps_pulley_expectation,
    epps_pulley_grad,
    epps_pulley_null_variance,
    epps_pulley_optimal_scale,
    random_directions,
    sigreg,
)
from ssltheory.dynamics._stepwise import (
    StepwiseModes,
    StepwiseTrajectory,
    stepwise_final_weights,
    stepwise_gamma,
    stepwise_learning_times,
    stepwise_modes,
    stepwise_trajectory,
)

__all__ = [
    "BYOLFixedPoints",
    "BYOLModeRates",
    "BYOLTrajectory",
    "CollapsePrediction",
    "ContrastiveOperator",
    "EppsPulleyExpectation",
    "SIGRegResult",
    "StepwiseModes",
    "StepwiseTrajectory",
    "balance_decay",
    "balance_quantity",
    "byol_fixed_points",
    "byol_mode_odes",
    "byol_mode_trajectory",
    "canonical_view_correlations",
    "collapse_boundary",
    "collapse_threshold",
    "directpred_predictor",
    "epps_pulley",
    "epps_pulley_expectation",
    "epps_pulley_grad",
    "epps_pulley_null_variance",
    "epps_pulley_optimal_scale",
    "infonce_gradient_operator",
    "infonce_linear_gradient",
    "predicted_collapse_rank",
    "random_directions",
    "sigreg",
    "stepwise_final_weights",
    "stepwise_gamma",
    "stepwise_learning_times",
    "stepwise_modes",
    "stepwise_trajectory",
]

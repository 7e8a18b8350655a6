"""VCReg and pairwise independence (spec/independence.md).

- HSIC estimators on any array-API backend: :func:`hsic` (biased/unbiased/normalised; Gaussian,
  Laplacian, linear or precomputed kernels), :func:`rf_hsic` (random features, linear time),
  :func:`pairwise_hsic` (all pairs of columns at once), :func:`dhsic` (joint independence);
  tests :func:`hsic_test` (permutation, gamma), :func:`rf_hsic_test` (random features, linear
  time) and :func:`dhsic_test`.
- VCReg/VICReg evaluators (:func:`vcreg_loss`, :func:`vicreg_loss`, :func:`convert_vicreg_weights`),
  separable random-feature projectors (:func:`random_feature_projector`) and Theorem A's exact
  split of the covariance penalty into pairwise HSIC and marginal terms
  (:func:`covariance_decomposition`).
- VCReg-ICA (:func:`vcreg_ica`) with :func:`amari_distance`, :func:`mcc`, :func:`whiten` and the
  data generators :func:`make_ica_data`, :func:`make_pairwise_not_mutual`.
"""

from ssltheory.independence._features import RandomFeatureProjector, random_feature_projector
from ssltheory.independence._hsic import PairwiseHSICResult, dhsic, hsic, pairwise_hsic, rf_hsic
from ssltheory.independence._ica import (
    ICAResult,
    amari_distance,
    make_ica_data,
    make_pairwise_not_mutual,
    mcc,
    vcreg_ica,
    whiten,
)
from ssltheory.independence._kernels import gram, median_bandwidth
from ssltheory.independence._rftest import rf_hsic_test
from ssltheory.independence._stattests import HSICResult, dhsic_test, hsic_test
from ssltheory.independence._vcreg import (
    CovDecomposition,
    VCRegTerms,
    VICRegTerms,
    convert_vicreg_weights,
    covariance_decomposition,
    vcreg_loss,
    vicreg_loss,
)

__all__ = [
    "CovDecomposition",
    "HSICResult",
    "ICAResult",
    "PairwiseHSICResult",
    "RandomFeatureProjector",
    "VCRegTerms",
    "VICRegTerms",
    "amari_distance",
    "convert_vicreg_weights",
    "covariance_decomposition",
    "dhsic",
    "dhsic_test",
    "gram",
    "hsic",
    "hsic_test",
    "make_ica_data",
    "make_pairwise_not_mutual",
    "mcc",
    "median_bandwidth",
    "pairwise_hsic",
    "random_feature_projector",
    "rf_hsic",
    "rf_hsic_test",
    "vcreg_ica",
    "vcreg_loss",
    "vicreg_loss",
    "whiten",
]

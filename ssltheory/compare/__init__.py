"""Theory versus measurement: compare a closed-form optimum with a trained representation.

Each comparison is invariant to exactly what the theory leaves free:

- :func:`principal_angles`, :func:`subspace_distance`: only the column space matters
  (any invertible mixing of the features is free);
- :func:`procrustes`, :func:`gram_distance`: a right orthogonal transform is free (optionally
  a translation too); scale is not;
- :func:`linear_cka`: orthogonal transforms, isotropic scaling and translations are free;
- :func:`loss_gap`: only the loss value is compared;
- :func:`compare_to_theory`: an embedding against the closed-form optimum of an SSL loss
  (loss gap, subspace, rank, spectrum), also ``ssltheory compare`` on the command line;
- :func:`rankme`, :func:`lidar`, :func:`alpha_req`, :func:`alignment`, :func:`uniformity`,
  :func:`spectral_contrastive_probe_bound`: representation-quality metrics, with
  :func:`rankme_reference` and :func:`uniformity_reference` (what a random representation gives).

All accept arrays of any array-API backend (NumPy, CuPy, PyTorch, array-api-strict ...) and
compute on the inputs' backend and device. Arrays (angles, rotations) come back on that backend;
scalar summaries come back as Python floats (one device synchronisation per call), ready for
reports and assertions.
"""

from ssltheory.compare._alignment import LossGap, gram_distance, linear_cka, loss_gap
from ssltheory.compare._quality import (
    RANKME_VARIANTS,
    ProbeErrorBound,
    alignment,
    alpha_req,
    lidar,
    rankme,
    rankme_reference,
    spectral_contrastive_probe_bound,
    uniformity,
    uniformity_reference,
)
from ssltheory.compare._subspace import ProcrustesResult, principal_angles, procrustes, subspace_distance
from ssltheory.compare._theory import METHODS, TheoryGap, compare_to_theory

__all__ = [  # noqa: RUF022 (plain sorted(), as tests/test_public_api.py requires)
    "LossGap",
    "METHODS",
    "ProbeErrorBound",
    "ProcrustesResult",
    "RANKME_VARIANTS",
    "TheoryGap",
    "alignment",
    "alpha_req",
    "compare_to_theory",
    "gram_distance",
    "lidar",
    "linear_cka",
    "loss_gap",
    "principal_angles",
    "procrustes",
    "rankme",
    "rankme_reference",
    "spectral_contrastive_probe_bound",
    "subspace_distance",
    "uniformity",
    "uniformity_reference",
]

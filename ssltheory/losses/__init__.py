"""SSL losses on a relation graph, as evaluators with exact gradients (spec/spectral.md §2, D2–D8).

Each loss is a class with keyword-only hyper-parameters and ``value_and_grad(embedding, graph, /)``
returning a :class:`LossValue` (value and exact gradient with respect to the embedding), plus a
functional form ``xxx_loss(embedding, graph, /, **params)`` returning the value. ``convention=``
selects the paper's normalisation (default) or a training library's. The versioned registry of
the libraries' conventions (:func:`list_conventions`, :func:`get_convention`), their exact
re-implementations on two branches (:func:`library_loss`) and the conversion to the paper form
(:func:`to_paper`) live in ``_conventions.py``.
"""

from ssltheory.losses._barlow_twins import BarlowTwinsLoss, barlow_twins_loss
from ssltheory.losses._base import CONVENTIONS, Loss, LossValue
from ssltheory.losses._conventions import (
    Convention,
    PaperProblem,
    get_convention,
    library_loss,
    list_conventions,
    to_paper,
)
from ssltheory.losses._simclr import SimCLRLoss, simclr_loss
from ssltheory.losses._spectral_contrastive import SpectralContrastiveLoss, spectral_contrastive_loss
from ssltheory.losses._vicreg import VICRegLoss, convert_vicreg_weights, vicreg_loss
from ssltheory.losses._wmse import WMSELoss, wmse_loss

__all__ = [  # noqa: RUF022 - plain sorted() order, as tests/test_public_api.py requires
    "BarlowTwinsLoss",
    "CONVENTIONS",
    "Convention",
    "Loss",
    "LossValue",
    "PaperProblem",
    "SimCLRLoss",
    "SpectralContrastiveLoss",
    "VICRegLoss",
    "WMSELoss",
    "barlow_twins_loss",
    "convert_vicreg_weights",
    "get_convention",
    "library_loss",
    "list_conventions",
    "simclr_loss",
    "spectral_contrastive_loss",
    "to_paper",
    "vicreg_loss",
    "wmse_loss",
]

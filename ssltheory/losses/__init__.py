"""SSL losses on a relation graph, as evaluators with exact gradients (spec/spectral.md §2, D2–D8).

Each loss is a class with keyword-only hyper-parameters and ``value_and_grad(embedding, graph, /)``
returning a :class:`LossValue` (value and exact gradient with respect to the embedding), plus a
functional form ``xxx_loss(embedding, graph, /, **params)`` returning the value. ``convention=``
selects the paper's normalisation (default) or a training library's (loss_conventions.md).
"""

from ssltheory.losses._barlow_twins import BarlowTwinsLoss, barlow_twins_loss
from ssltheory.losses._base import CONVENTIONS, Loss, LossValue
from ssltheory.losses._simclr import SimCLRLoss, simclr_loss
from ssltheory.losses._spectral_contrastive import SpectralContrastiveLoss, spectral_contrastive_loss
from ssltheory.losses._vicreg import VICRegLoss, convert_vicreg_weights, vicreg_loss
from ssltheory.losses._wmse import WMSELoss, wmse_loss

__all__ = [  # noqa: RUF022 - plain sorted() order, as tests/test_public_api.py requires
    "BarlowTwinsLoss",
    "CONVENTIONS",
    "Loss",
    "LossValue",
    "SimCLRLoss",
    "SpectralContrastiveLoss",
    "VICRegLoss",
    "WMSELoss",
    "barlow_twins_loss",
    "convert_vicreg_weights",
    "simclr_loss",
    "spectral_contrastive_loss",
    "vicreg_loss",
    "wmse_loss",
]

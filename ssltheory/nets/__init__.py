"""Small trainable networks with exact backpropagation, optimisers and a training loop.

Models (:class:`Linear`, :class:`MLP` with optional BatchNorm, :class:`RandomFeatures`) are written
on the array API standard: the same code runs on NumPy, CuPy, PyTorch and array-api-strict.
Every model has ``init(rng, xp=..., device=...)``, ``forward(X, train=...)``,
``backward(grad_output) -> Gradients`` and ``parameters()``/``set_parameters()``; gradients are
checked against central finite differences and PyTorch autograd (``tests/test_nets.py``).
:func:`train` runs :class:`SGD`, :class:`Adam` (any backend) or :class:`LBFGS` (NumPy, on the
host) on a loss of :mod:`ssltheory.losses` with mini-batches that keep the views of an original
together.
"""

from ssltheory.nets._layers import Abs, BatchNorm1d, Gradients, LeakyReLU, Linear, Module, ReLU
from ssltheory.nets._models import MLP, RandomFeatures, Sequential
from ssltheory.nets._optim import LBFGS, SGD, Adam, Optimizer
from ssltheory.nets._train import TrainingHistory, train

__all__ = [  # noqa: RUF022 (plain sorted() order, as tests/test_public_api.py checks)
    "Abs",
    "Adam",
    "BatchNorm1d",
    "Gradients",
    "LBFGS",
    "LeakyReLU",
    "Linear",
    "MLP",
    "Module",
    "Optimizer",
    "RandomFeatures",
    "ReLU",
    "SGD",
    "Sequential",
    "TrainingHistory",
    "train",
]

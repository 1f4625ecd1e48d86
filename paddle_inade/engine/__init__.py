"""Training machinery: the loss model, optimisers, trainer, checkpoints, logging."""
from .model import Pix2PixModel
from .optim import OptimSettings, make_optimizers, set_learning_rates

__all__ = ["Pix2PixModel", "OptimSettings", "make_optimizers", "set_learning_rates"]

"""An exponential moving average of the generator's (and encoder's) weights, for sampling.

As in ProGAN / StyleGAN (Karras et al.): the images of a GAN generator whose weights are
averaged over the last steps are better than those of its current weights, which follow every
step of the adversarial game. After every generator step,

    ema = beta * ema + (1 - beta) * current,    beta = 0.5 ** (batch / half_life)

with the half-life counted in training images (``ema_nimg``) and, early in training, shortened
to ``ema_rampup`` times the images seen so far (so the average does not remember the random
initialisation for long). What is not trained by the optimiser (BatchNorm running statistics,
spectral-norm ``u``/``v``) is copied from the current networks, not averaged. The averaged copies are used for the samples
during training, saved beside the checkpoint (``<tag>_net_G_ema.pdparams``, ``_net_E_ema``) and
preferred by :class:`~paddle_inade.pipeline.INADEPipeline`; the training itself never sees them.
"""
from __future__ import annotations

import copy
from typing import Mapping, Optional

import paddle
from paddle import nn


def ema_beta(batch: int, images_seen: int, half_life: float, rampup: Optional[float]) -> float:
    """The averaging factor of one step of ``batch`` images after ``images_seen`` images."""
    if rampup is not None and rampup > 0:
        half_life = min(half_life, images_seen * rampup)
    return 0.5 ** (batch / max(half_life, 1e-8))


class WeightAverage:
    """Averaged copies of ``nets`` ({'G': netG, 'E': netE}); ``nets[k]`` stays the trained one.

    Args:
        nets: the networks to average (their current weights start the average).
        half_life: in images (``--ema_nimg``). rampup: ``--ema_rampup`` or None.
    """

    def __init__(self, nets: Mapping[str, nn.Layer], half_life: float, rampup: Optional[float]):
        self.half_life, self.rampup = half_life, rampup
        self.nets = {key: _frozen_copy(net) for key, net in nets.items()}

    @paddle.no_grad()
    def update(self, nets: Mapping[str, nn.Layer], batch: int, images_seen: int) -> float:
        """Move the average towards ``nets``' current weights; returns the beta used."""
        beta = ema_beta(batch, images_seen, self.half_life, self.rampup)
        for key, net in nets.items():
            trained = {name for name, p in net.named_parameters() if not p.stop_gradient}
            average = self.nets[key].state_dict()
            for name, value in net.state_dict().items():
                if name in trained:
                    average[name].lerp_(value.detach(), 1.0 - beta)
                else:  # buffers, and Paddle's BatchNorm statistics (parameters without gradient)
                    paddle.assign(value.detach(), output=average[name])
        return beta

    def state_dicts(self) -> dict[str, dict]:
        """{'G': state, 'E': state} of the averaged networks."""
        return {key: net.state_dict() for key, net in self.nets.items()}


def _frozen_copy(net: nn.Layer) -> nn.Layer:
    """A deep copy in eval mode whose parameters take no gradient."""
    average = copy.deepcopy(net)
    average.eval()
    for p in average.parameters():
        p.stop_gradient = True
    return average

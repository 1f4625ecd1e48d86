"""SMISModel: GroupDNet's networks and the loss computation of one G or D step (SMIS's SmisModel).

The generator step encodes the class crops of the real photo into per-class codes
(mu, logvar [N, 8 L, sh, sw]), samples z = mu + eps * exp(0.5 logvar), generates, and sums
KLD * lambda_kld, the hinge GAN loss, feature matching over every discriminator layer
(SPADE's) and the VGG loss with SPADE's weights. The discriminator step regenerates the fake
without gradient (encoder and generator in their current mode, as SMIS) and scores fake and real
in one batch. What is the same as INADE's model (discriminate, the losses, the D step,
the parameter groups) is inherited from :class:`~paddle_inade.engine.model.Pix2PixModel`.
"""
from __future__ import annotations

import paddle

from ..engine.model import Pix2PixModel
from ..models import kld_loss
from ..models.vgg import SPADE_WEIGHTS
from .class_crops import encoder_input
from .config import SMISConfig


def reparameterized_codes(netE, cfg: SMISConfig, semantics, image, noise=None):
    """(z, KLD before lambda_kld): every class's code from the class crops of ``image``,
    z = mu + eps * exp(0.5 logvar) [N, 8 L, sh, sw] (eps = ``noise`` or drawn from N(0, 1))."""
    mu, logvar = netE(encoder_input(cfg, semantics, image))
    std = paddle.exp(0.5 * logvar)
    eps = paddle.randn(std.shape) if noise is None else noise
    return eps * std + mu, kld_loss(mu, logvar)


def class_codes(netE, cfg: SMISConfig, semantics, image, instances=None):
    """The generator's z encoded from the class crops of ``image`` (the family's ``style_codes``)."""
    return reparameterized_codes(netE, cfg, semantics, image)[0]


class SMISModel(Pix2PixModel):
    """netG (GroupDNet generator), netE (group conv encoder), netD (multiscale) and the losses.

    ``noise`` in the step methods is the reparameterisation noise eps [N, 8 L, sh, sw] (drawn
    from N(0, 1) when None); instances and sketches are not used by GroupDNet.
    """

    def __init__(self, cfg: SMISConfig, with_discriminator: bool = True, vgg_weights=None):
        super().__init__(cfg, with_discriminator, vgg_weights)

    @staticmethod
    def build_networks(cfg: SMISConfig, with_discriminator: bool):
        from . import build_discriminator, build_encoder, build_generator
        return (build_generator(cfg), build_encoder(cfg),
                build_discriminator(cfg) if with_discriminator else None)

    # SPADE's loss choices: its VGG weights, feature matching over every layer, no INADE training aids
    def vgg_layer_weights(self):
        return SPADE_WEIGHTS

    def feat_min_layer(self) -> int:
        return 0

    def lambda_l1(self) -> float:
        return 0.0

    def prior_count(self, batch: int) -> int:
        return 0

    def class_crops(self, semantics: paddle.Tensor, image: paddle.Tensor) -> paddle.Tensor:
        """[N, 3 L, Ht, Wt]: the encoder's input (see :mod:`.class_crops`)."""
        return encoder_input(self.cfg, semantics, image)

    def encode_codes(self, semantics: paddle.Tensor, image: paddle.Tensor):
        """(mu, logvar), each [N, 8 L, sh, sw]: every class's code distribution in ``image``."""
        return self.netE(self.class_crops(semantics, image))

    def generate_fake(self, semantics, image, instances=None, sketch=None, noise=None,
                      noise_ins=None, compute_kld: bool = False):
        """Fake image [N, 3, H, W] from the codes of ``image``, and KLD * lambda_kld (or None)."""
        z, kld = reparameterized_codes(self.netE, self.cfg, semantics, image, noise)
        return self.netG(semantics, z), kld * self.cfg.lambda_kld if compute_kld else None

    def sample(self, semantics, instances=None, sketch=None):
        """Generator output [N, 3, H, W] from class codes drawn from N(0, 1)."""
        return self.netG(semantics)

"""Pix2PixModel: the networks plus the loss computation of one G or D step.

Behaviour of the original's ``Pix2PixModel``: the generator step computes KLD (with
an encoder), GAN, GAN_Feat (INADE: discriminator layers >= 3 only) and VGG; the
discriminator step regenerates the fake under ``no_grad`` (the generator stays in
its current mode, so train-mode spectral-norm power iterations and BatchNorm
statistics advance exactly as in the original), then hinge/ls/... on fake and real,
fed to D in one batch (fake first).
"""
from __future__ import annotations

from typing import Optional

import paddle
from paddle import nn

from ..config import INADEConfig
from ..models import (GANLoss, build_discriminator, build_encoder, build_generator,
                      feature_matching_loss, kld_loss)
from ..models.vgg import INADE_WEIGHTS, SPADE_WEIGHTS, VGGLoss, load_vgg19

#: INADE's feature matching uses discriminator layers with index >= 3 only.
INADE_FEAT_MIN_LAYER = 3


def encode_styles(netE, is_inade: bool, image, input_instances):
    """Encode ``image`` [N, 3, H, W]: (z for the generator, KLD loss before ``lambda_kld``).

    inade: z = [s_mu, s_std, b_mu, b_std] each [N, K, noise_nc] (std = exp(0.5 logvar)), KLD
    averaged over scale and bias; spade: z = mu + eps * std, [N, z_dim].
    """
    if is_inade:
        s_mu, s_logvar, b_mu, b_logvar = netE(image, input_instances)
        z = [s_mu, paddle.exp(0.5 * s_logvar), b_mu, paddle.exp(0.5 * b_logvar)]
        return z, (kld_loss(s_mu, s_logvar) + kld_loss(b_mu, b_logvar)) / 2
    mu, logvar = netE(image)
    std = paddle.exp(0.5 * logvar)
    return paddle.randn(std.shape) * std + mu, kld_loss(mu, logvar)


def style_codes(netE, cfg: INADEConfig, semantics, image, input_instances):
    """The generator's z encoded from ``image`` (the family's ``style_codes``; see :func:`encode_styles`)."""
    return encode_styles(netE, cfg.is_inade, image, input_instances)[0]


class Pix2PixModel(nn.Layer):
    """Holds netG, netE (or None), netD (or None) and the loss terms.

    Args:
        cfg: model options.
        with_discriminator: build netD and the training losses.
        vgg_weights: VGG19 weights file for the VGG loss (ignored with ``no_vgg_loss``).
    """

    def __init__(self, cfg: INADEConfig, with_discriminator: bool = True,
                 vgg_weights: Optional[str] = None):
        super().__init__()
        self.cfg = cfg
        self.netG, self.netE, self.netD = self.build_networks(cfg, with_discriminator)
        self.criterion_gan = GANLoss(cfg.gan_mode)
        self.criterion_vgg = None
        if with_discriminator and not cfg.no_vgg_loss:
            self.criterion_vgg = VGGLoss(load_vgg19(vgg_weights), self.vgg_layer_weights())

    @staticmethod
    def build_networks(cfg: INADEConfig, with_discriminator: bool):
        """(netG, netE or None, netD or None), initialised as the original."""
        return (build_generator(cfg), build_encoder(cfg) if cfg.use_vae else None,
                build_discriminator(cfg) if with_discriminator else None)

    # ------------------------------------------------- the loss choices of the model
    def vgg_layer_weights(self):
        """The VGG loss's layer weights: INADE's, or SPADE's."""
        return INADE_WEIGHTS if self.cfg.is_inade else SPADE_WEIGHTS

    def feat_min_layer(self) -> int:
        """The first discriminator layer of feature matching (INADE: 3)."""
        return INADE_FEAT_MIN_LAYER if self.cfg.is_inade else 0

    def lambda_l1(self) -> float:
        """Weight of the L1 reconstruction loss (a training aid; 0: off)."""
        return self.cfg.lambda_l1

    # ----------------------------------------------------------------- encoding
    def encode(self, image, input_instances):
        """Return (z for the generator, KLD loss before ``lambda_kld``); see :func:`encode_styles`."""
        return encode_styles(self.netE, self.cfg.is_inade, image, input_instances)

    def prior_count(self, batch: int) -> int:
        """How many of ``batch`` samples take prior styles instead of encoded ones (the last ones)."""
        return int(round(self.cfg.prior_fraction * batch)) if self.netE is not None and self.cfg.is_inade else 0

    def generate_fake(self, semantics, image, instances, sketch=None, noise=None,
                      noise_ins=None, compute_kld: bool = False):
        """Fake image [N, 3, H, W] and the weighted KLD loss (or None).

        With ``prior_fraction`` the last :meth:`prior_count` samples get the prior N(0, 1) in place
        of their encoded styles (mu 0, std 1), so the GAN loss also trains prior samples.
        """
        z, kld = None, None
        if self.netE is not None:
            z, kld = self.encode(image, instances)
            kld = kld * self.cfg.lambda_kld if compute_kld else None
            n_prior = self.prior_count(image.shape[0])
            if n_prior:
                keep = paddle.concat([paddle.ones([image.shape[0] - n_prior, 1, 1]), paddle.zeros([n_prior, 1, 1])])
                s_mu, s_std, b_mu, b_std = z
                z = [s_mu * keep, s_std * keep + (1 - keep), b_mu * keep, b_std * keep + (1 - keep)]
        fake = self.netG(semantics, z=z, input_instances=instances, sketch=sketch,
                         noise=noise, noise_ins=noise_ins)
        return fake, kld

    # -------------------------------------------------------------------- losses
    def discriminate(self, semantics, fake, real):
        """D on [fake; real] in one batch -> (pred_fake, pred_real), lists per scale/layer."""
        both = paddle.concat([paddle.concat([semantics, fake], 1),
                              paddle.concat([semantics, real], 1)], 0)
        halves = [[paddle.split(t, 2, axis=0) for t in scale] for scale in self.netD(both)]
        return ([[f for f, _ in scale] for scale in halves], [[r for _, r in scale] for scale in halves])

    def generator_losses(self, semantics, image, instances, sketch=None, noise=None,
                         noise_ins=None):
        """Loss terms of the generator step (dict of scalars) and the fake image.

        The reconstruction terms (feature matching, VGG, L1) compare only the samples generated
        from their own encoded styles with their photos, not the prior samples of
        ``prior_fraction``.
        """
        losses = {}
        fake, kld = self.generate_fake(semantics, image, instances, sketch, noise, noise_ins,
                                       compute_kld=self.netE is not None)
        if kld is not None:
            losses["KLD"] = kld
        pred_fake, pred_real = self.discriminate(semantics, fake, image)
        losses["GAN"] = self.criterion_gan(pred_fake, True, for_discriminator=False)
        n_rec = fake.shape[0] - self.prior_count(fake.shape[0])
        fake_rec, real_rec = fake, image
        if n_rec < fake.shape[0]:
            pred_fake = [[t[:n_rec] for t in scale] for scale in pred_fake]
            pred_real = [[t[:n_rec] for t in scale] for scale in pred_real]
            fake_rec, real_rec = fake[:n_rec], image[:n_rec]
        if n_rec > 0:
            losses.update(self._reconstruction_losses(pred_fake, pred_real, fake_rec, real_rec))
        return losses, fake

    def _reconstruction_losses(self, pred_fake, pred_real, fake, image) -> dict:
        """GAN_Feat (INADE: discriminator layers >= 3 only), VGG and L1 of fakes against their photos."""
        losses = {}
        if not self.cfg.no_ganFeat_loss:
            losses["GAN_Feat"] = feature_matching_loss(pred_fake, pred_real, self.cfg.lambda_feat,
                                                       self.feat_min_layer())
        if self.criterion_vgg is not None:
            losses["VGG"] = self.criterion_vgg(fake, image) * self.cfg.lambda_vgg
        if self.lambda_l1() > 0:
            losses["L1"] = paddle.abs(fake - image).mean() * self.lambda_l1()
        return losses

    def discriminator_losses(self, semantics, image, instances, sketch=None, noise=None,
                             noise_ins=None):
        """Loss terms of the discriminator step: D_Fake and D_real."""
        with paddle.no_grad():
            fake, _ = self.generate_fake(semantics, image, instances, sketch, noise, noise_ins)
        fake = fake.detach()
        pred_fake, pred_real = self.discriminate(semantics, fake, image)
        return {"D_Fake": self.criterion_gan(pred_fake, False, for_discriminator=True),
                "D_real": self.criterion_gan(pred_real, True, for_discriminator=True)}

    def sample(self, semantics, instances=None, sketch=None):
        """Generator output [N, 3, H, W] with the random inputs drawn from the prior."""
        return self.netG(semantics, input_instances=instances, sketch=sketch)

    def generator_parameters(self):
        """G's parameters, then E's (one optimiser, as the original)."""
        params = list(self.netG.parameters())
        if self.netE is not None:
            params += list(self.netE.parameters())
        return params

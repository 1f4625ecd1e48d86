"""Losses of SPADE / INADE: GAN (hinge, ls, original, w), feature matching, KLD."""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

from ..config import GAN_MODES


class GANLoss(nn.Layer):
    """Adversarial loss over a multiscale discriminator's output.

    ``loss(pred, target_is_real, for_discriminator)``: ``pred`` is a tensor or the
    list (per scale) of lists (per layer) returned by the discriminator, in which case
    each scale's last tensor is used and the losses are averaged over scales.
    """

    def __init__(self, gan_mode: str = "hinge", real_label: float = 1.0, fake_label: float = 0.0):
        super().__init__()
        if gan_mode not in GAN_MODES:
            raise ValueError(f"gan_mode {gan_mode!r} is not one of {list(GAN_MODES)}")
        self.gan_mode, self.real_label, self.fake_label = gan_mode, real_label, fake_label

    def single(self, pred: paddle.Tensor, target_is_real: bool, for_discriminator: bool):
        """Scalar loss of one prediction map [N, 1, h, w]."""
        if self.gan_mode in ("original", "ls"):
            target = paddle.full_like(pred, self.real_label if target_is_real else self.fake_label)
            if self.gan_mode == "original":
                return F.binary_cross_entropy_with_logits(pred, target)
            return F.mse_loss(pred, target)
        if self.gan_mode == "hinge":
            if not for_discriminator:
                if not target_is_real:
                    raise ValueError("the generator's hinge loss must aim for real")
                return -pred.mean()
            sign = 1.0 if target_is_real else -1.0
            return -paddle.minimum(sign * pred - 1, paddle.zeros_like(pred)).mean()
        return -pred.mean() if target_is_real else pred.mean()

    def forward(self, pred, target_is_real: bool, for_discriminator: bool = True):
        if not isinstance(pred, (list, tuple)):
            return self.single(pred, target_is_real, for_discriminator)
        losses = []
        for scale in pred:
            scale_pred = scale[-1] if isinstance(scale, (list, tuple)) else scale
            losses.append(self.single(scale_pred, target_is_real, for_discriminator))
        return paddle.add_n(losses) / len(losses)


def feature_matching_loss(pred_fake, pred_real, lambda_feat: float, min_layer: int = 0):
    """L1 between fake and (detached) real discriminator features, weighted by
    ``lambda_feat / num_D``; the patch logits (last layer) are excluded.

    INADE uses only layers with index >= 3 (``min_layer=3``), SPADE uses all (0).
    """
    num_d = len(pred_fake)
    terms = []
    for fake_scale, real_scale in zip(pred_fake, pred_real):
        for j in range(len(fake_scale) - 1):
            if j >= min_layer:
                terms.append(F.l1_loss(fake_scale[j], real_scale[j].detach()))
    if not terms:
        return paddle.zeros([])
    return paddle.add_n(terms) * (lambda_feat / num_d)


def kld_loss(mu: paddle.Tensor, logvar: paddle.Tensor) -> paddle.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) summed over every element."""
    return -0.5 * paddle.sum(1 + logvar - mu.pow(2) - logvar.exp())

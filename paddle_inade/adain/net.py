"""The AdaIN training network: frozen VGG encoder, trainable decoder, content and style losses.

As pytorch-AdaIN's ``net.Net``: the stylised image ``g(t)`` of ``t = alpha * AdaIN(f(c), f(s))
+ (1 - alpha) * f(c)`` is encoded again; the content loss is the mean squared error between
its relu4_1 and ``t``, the style loss the sum over relu1_1..relu4_1 of the mean squared
errors between the channel means and between the channel standard deviations of its
features and the style image's.
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

from .decoder import Decoder
from .function import adaptive_instance_normalization, blend, calc_mean_std
from .vgg import VGGEncoder


def _same_shape(a: paddle.Tensor, b: paddle.Tensor, what: str) -> None:
    if list(a.shape) != list(b.shape):
        raise ValueError(f"{what}: input {list(a.shape)} and target {list(b.shape)} differ in shape")


class Net(nn.Layer):
    """encoder: :class:`VGGEncoder` (frozen, up to relu4_1); decoder: :class:`Decoder`.

    ``forward(content [N, 3, H, W], style [N, 3, H', W'], alpha)`` -> (loss_c, loss_s),
    scalars, for a training step on the decoder's parameters.
    """

    def __init__(self, encoder: VGGEncoder, decoder: Decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        for param in self.encoder.parameters():
            param.stop_gradient = True

    def encode_with_intermediate(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        """[relu1_1, relu2_1, relu3_1, relu4_1] of x [N, 3, H, W]."""
        return self.encoder.encode_with_intermediate(x)

    def encode(self, x: paddle.Tensor) -> paddle.Tensor:
        """relu4_1 of x."""
        return self.encoder.encode(x)

    @staticmethod
    def calc_content_loss(input: paddle.Tensor, target: paddle.Tensor) -> paddle.Tensor:
        """Mean squared error (the target is a constant)."""
        _same_shape(input, target, "content loss")
        return F.mse_loss(input, target.detach())

    @staticmethod
    def calc_style_loss(input: paddle.Tensor, target: paddle.Tensor) -> paddle.Tensor:
        """MSE of the channel means plus MSE of the channel stds (the target is a constant)."""
        _same_shape(input, target, "style loss")
        input_mean, input_std = calc_mean_std(input)
        target_mean, target_std = calc_mean_std(target.detach())
        return F.mse_loss(input_mean, target_mean) + F.mse_loss(input_std, target_std)

    def forward(self, content: paddle.Tensor, style: paddle.Tensor, alpha: float = 1.0):
        style_feats = self.encode_with_intermediate(style)
        content_feat = self.encode(content)
        t = blend(adaptive_instance_normalization(content_feat, style_feats[-1]), content_feat, alpha)
        g_t_feats = self.encode_with_intermediate(self.decoder(t))
        loss_c = self.calc_content_loss(g_t_feats[-1], t)
        loss_s = paddle.add_n([self.calc_style_loss(g, s) for g, s in zip(g_t_feats, style_feats)])
        return loss_c, loss_s

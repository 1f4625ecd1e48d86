"""ConvEncoder: SPADE's VAE image encoder, image -> (mu, logvar) of a 256-d z."""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

from ..nn import PlainNormSpec
from .norm_layers import conv_norm


class ConvEncoder(nn.Layer):
    """E(image [N, 3, H, W]) -> (mu, logvar), each [N, 256].

    The image is resized (bilinear) to 256x256 first, as the original. Six stride-2
    conv layers when ``crop_size >= 256`` (else five; the original then only works
    for 256 inputs anyway), widths from ``ngf`` as in the original.
    """

    def __init__(self, ngf: int, norm: PlainNormSpec, crop_size: int):
        super().__init__()
        nf = ngf
        widths = [3, nf, nf * 2, nf * 4, nf * 8, nf * 8, nf * 8]
        self.n_layers = 6 if crop_size >= 256 else 5
        for i in range(self.n_layers):
            setattr(self, f"layer{i + 1}", conv_norm(widths[i], widths[i + 1], 3, 2, 1, norm))
        self.fc_mu = nn.Linear(nf * 8 * 4 * 4, 256)
        self.fc_var = nn.Linear(nf * 8 * 4 * 4, 256)

    def forward(self, x: paddle.Tensor):
        if x.shape[2] != 256 or x.shape[3] != 256:
            x = F.interpolate(x, size=[256, 256], mode="bilinear", align_corners=False)
        x = self.layer1(x)
        for i in range(2, self.n_layers + 1):
            x = getattr(self, f"layer{i}")(F.leaky_relu(x, 0.2))
        x = F.leaky_relu(x, 0.2).flatten(1)
        return self.fc_mu(x), self.fc_var(x)

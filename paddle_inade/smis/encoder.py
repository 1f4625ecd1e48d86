"""GroupDNet's encoder (SMIS's ``ConvEncoder`` with group convolutions).

Input: the class crops [N, 3 L, Ht, Wt] (``class_crops``), class c in channels 3c..3c+2.
Five or six stride-2 3x3 convolutions in L groups (each class is encoded by its own slice of
the network), each followed by the ``norm_E`` norm and a leaky ReLU, then two 3x3 convolutions
in L groups give the mean and log-variance of every class's 8-channel code:
mu, logvar [N, 8 L, Ht / 2**layers, Wt / 2**layers].
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

from ..models.norm_layers import conv_norm
from ..nn.channel_bias import Conv2D
from ..nn.norm_spec import PlainNormSpec
from .plan import CODE_NC, encoder_widths


class ConvEncoder(nn.Layer):
    """E(crops [N, 3 L, Ht, Wt]) -> (mu, logvar), each [N, 8 L, Ht / 2**n, Wt / 2**n].

    Args:
        label_nc: L, the number of classes (= groups).
        nef: width of the first layer (SMIS: 256 / 350 / 604 per family).
        norm: ``norm_E`` (SMIS: spectralinstance).
        n_layers: stride-2 layers (6 when crop_size >= 256, else 5).
    """

    def __init__(self, label_nc: int, nef: int, norm: PlainNormSpec, n_layers: int):
        super().__init__()
        self.label_nc, self.n_layers = label_nc, n_layers
        widths = [3 * label_nc] + encoder_widths(nef, n_layers)
        for i in range(n_layers):
            setattr(self, f"layer{i + 1}", conv_norm(widths[i], widths[i + 1], 3, 2, 1, norm,
                                                     groups=label_nc, precise=True))
        self.fc_mu = Conv2D(widths[-1], CODE_NC * label_nc, 3, padding=1, groups=label_nc)
        self.fc_var = Conv2D(widths[-1], CODE_NC * label_nc, 3, padding=1, groups=label_nc)

    def forward(self, x: paddle.Tensor):
        if x.ndim != 4 or x.shape[1] != 3 * self.label_nc:
            raise ValueError(f"the encoder takes class crops [N, 3 * {self.label_nc}, H, W], "
                             f"got {list(x.shape)}")
        x = self.layer1(x)
        for i in range(2, self.n_layers + 1):
            x = getattr(self, f"layer{i}")(F.leaky_relu(x, 0.2))
        x = F.leaky_relu(x, 0.2)
        return self.fc_mu(x), self.fc_var(x)

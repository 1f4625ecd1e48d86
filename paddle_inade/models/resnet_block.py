"""The generator's residual block: norm -> leaky ReLU -> conv, twice, plus a shortcut.

With ``norm_mode=spade`` the norms are :class:`SPADE`; with ``inade`` they are
:class:`ILADE` and also take the instance map, the per-instance noise and the
optional sketch. The shortcut is learned (norm -> 1x1 conv without bias) when the
channel count changes.
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

from ..nn import ILADE, SPADE, SpadeNormSpec, make_conv
from ..nn.spade import shared_features


class SPADEResnetBlock(nn.Layer):
    """x [N, fin, H, W] -> [N, fout, H, W], conditioned on the label map (and instances).

    ``groups`` splits the three convolutions into groups and ``make_norm(channels)``, when
    given, builds the norms (GroupDNet's ``SPADEV2ResnetBlock`` uses both; see
    ``paddle_inade.smis.resnet_block``).
    """

    def __init__(self, fin: int, fout: int, *, norm: SpadeNormSpec, norm_mode: str,
                 semantic_nc: int, label_channels: int, noise_nc: int = 0,
                 add_sketch: bool = False, groups: int = 1, make_norm=None):
        super().__init__()
        self.learned_shortcut = fin != fout
        self.inade = norm_mode == "inade"
        fmiddle = min(fin, fout)
        conv = dict(spectral=norm.spectral, groups=groups)
        self.conv_0 = make_conv(fin, fmiddle, 3, padding=1, **conv)
        self.conv_1 = make_conv(fmiddle, fout, 3, padding=1, **conv)
        if self.learned_shortcut:
            self.conv_s = make_conv(fin, fout, 1, bias=False, **conv)

        def default_norm(channels: int) -> nn.Layer:
            if self.inade:
                return ILADE(channels, label_channels, noise_nc, norm.param_free, add_sketch)
            return SPADE(channels, semantic_nc, norm.param_free, norm.kernel_size)

        make_norm = make_norm or default_norm

        self.norm_0 = make_norm(fin)
        self.norm_1 = make_norm(fmiddle)
        if self.learned_shortcut:
            self.norm_s = make_norm(fin)
        #: SPADE norms' ``mlp_shared`` features: 'auto', 'separate' or 'stacked' (see
        #: :func:`~paddle_inade.nn.spade.shared_features`; all the block's norms read one label map
        #: at one size)
        self.shared = "auto"

    def _spade_features(self, seg, size) -> dict:
        """{norm name: its mlp_shared features} for SPADE norms, computed together; {} for ILADE."""
        names = [n for n in ("norm_s", "norm_0", "norm_1") if hasattr(self, n)]
        layers = [getattr(self, n) for n in names]
        if self.inade or not all(isinstance(layer, SPADE) for layer in layers):
            return {}
        return dict(zip(names, shared_features(layers, seg, size, self.shared)))

    def _norm(self, layer: nn.Layer, x, seg, instances, noise, sketch, index_maps, actv=None):
        if self.inade:
            return layer(x, seg, instances, noise, sketch, index_maps)
        return layer(x, seg) if actv is None else layer(x, seg, actv)

    def forward(self, x: paddle.Tensor, seg: paddle.Tensor, input_instances=None,
                noise=None, sketch=None, index_maps=None) -> paddle.Tensor:
        """x [N, fin, H, W]; seg [N, semantic_nc, H0, W0]; (inade) input_instances [N, K, H0, W0],
        noise [N, K, 2, noise_nc], sketch [N, 1, H0, W0] or None, ``index_maps``: the
        generator's per-forward :class:`~paddle_inade.nn.index_maps.IndexMaps` (one-hot maps) or
        None. Returns [N, fout, H, W]."""
        cond = (seg, input_instances, noise, sketch, index_maps)
        # Without autograd the fresh norm / conv outputs can be updated in place (saves a
        # full-size allocation and pass each); with it, the usual out-of-place ops.
        inplace = not paddle.is_grad_enabled()
        act = F.leaky_relu_ if inplace else F.leaky_relu
        feats = self._spade_features(seg, x.shape[2:])
        x_s = self.conv_s(self._norm(self.norm_s, x, *cond, feats.get("norm_s"))) if self.learned_shortcut else x
        dx = self.conv_0(act(self._norm(self.norm_0, x, *cond, feats.get("norm_0")), 0.2))
        dx = self.conv_1(act(self._norm(self.norm_1, dx, *cond, feats.get("norm_1")), 0.2))
        return dx.add_(x_s) if inplace else x_s + dx

"""Spectral normalisation that reproduces ``torch.nn.utils.spectral_norm`` exactly.

Stored state has torch's names: ``weight_orig`` (parameter), ``weight_u`` [out] and
``weight_v`` [in*kh*kw] (buffers), so released checkpoints load without renaming.

* eval: ``W = weight_orig / sigma`` with ``sigma = u . (W_mat v)`` from the stored
  ``u, v``; no power iteration.
* train: one power iteration per forward, without gradient and in torch's order
  (``v <- normalize(W_mat^T u)``, then ``u <- normalize(W_mat v)``), both stored;
  then ``sigma = u . (W_mat v)`` with ``u, v`` constant, so the gradient flows
  through ``weight_orig`` only.
"""
from __future__ import annotations

import paddle
from paddle import nn

from .channel_bias import Conv2D, conv2d

_EPS = 1e-12


def _normalize(x: paddle.Tensor) -> paddle.Tensor:
    """``x / max(||x||, 1e-12)`` as torch's ``F.normalize(x, dim=0)``."""
    return x / paddle.clip(paddle.linalg.norm(x), min=_EPS)


def spectral_weight(weight_orig: paddle.Tensor, u: paddle.Tensor, v: paddle.Tensor,
                    power_iteration: bool) -> paddle.Tensor:
    """Return ``weight_orig / sigma``; updates ``u`` and ``v`` in place when asked.

    Args:
        weight_orig: [out, ...] the raw weight.
        u: [out] left singular vector estimate (buffer).
        v: [prod(...)] right singular vector estimate (buffer).
        power_iteration: run one power iteration first (train mode).
    """
    w_mat = weight_orig.reshape([weight_orig.shape[0], -1])
    if power_iteration:
        with paddle.no_grad():
            w_detached = w_mat.detach()
            new_v = _normalize(paddle.matmul(u, w_detached))  # W^T u, without copying W^T
            new_u = _normalize(paddle.mv(w_detached, new_v))
            paddle.assign(new_v, output=v)
            paddle.assign(new_u, output=u)
    sigma = paddle.dot(u.detach(), paddle.mv(w_mat, v.detach()))
    return weight_orig / sigma


class SpectralConv2D(nn.Layer):
    """A Conv2D whose weight is spectrally normalised (state: weight_orig, weight_u, weight_v, bias).

    Input [N, in_channels, H, W] -> output [N, out_channels, H', W']. With ``groups`` > 1 the
    weight is [out, in / groups, k, k] and, as torch does, the norm is taken of that weight
    reshaped to [out, -1] (all groups together). ``impl``: the grouped convolution's path (see
    :func:`~.grouped_conv.grouped_conv2d`); ``pad_mode``: as :class:`~.channel_bias.Conv2D`'s.
    """

    impl = "auto"
    pad_mode = "zeros"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: int = 0, bias: bool = True, groups: int = 1):
        super().__init__()
        self.stride, self.padding, self.groups = stride, padding, groups
        self.in_channels, self.out_channels = in_channels, out_channels
        self.weight_orig = self.create_parameter(
            [out_channels, in_channels // groups, kernel_size, kernel_size],
            default_initializer=nn.initializer.KaimingUniform())
        self.bias = self.create_parameter([out_channels], is_bias=True) if bias else None
        u = _normalize(paddle.randn([out_channels]))
        v = _normalize(paddle.randn([in_channels // groups * kernel_size * kernel_size]))
        self.register_buffer("weight_u", u)
        self.register_buffer("weight_v", v)

    @property
    def weight(self) -> paddle.Tensor:
        """The effective (normalised) weight, without power iteration."""
        return spectral_weight(self.weight_orig, self.weight_u, self.weight_v, False)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        weight = spectral_weight(self.weight_orig, self.weight_u, self.weight_v, self.training)
        return conv2d(x, weight, self.bias, stride=self.stride, padding=self.padding,
                      groups=self.groups, impl=self.impl, pad_mode=self.pad_mode)


def make_conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
              padding: int = 0, bias: bool = True, spectral: bool = False,
              groups: int = 1) -> nn.Layer:
    """A plain :class:`~.channel_bias.Conv2D` (``paddle.nn.Conv2D``) or a :class:`SpectralConv2D`
    with the same arguments."""
    if spectral:
        return SpectralConv2D(in_channels, out_channels, kernel_size, stride, padding, bias, groups)
    return Conv2D(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                  groups=groups, bias_attr=None if bias else False)


def remove_spectral_norm(model: nn.Layer) -> int:
    """Replace every :class:`SpectralConv2D` in ``model`` by a plain ``nn.Conv2D`` holding its
    current effective weight ``weight_orig / sigma`` (as ``torch.nn.utils.remove_spectral_norm``).

    For inference: the eval forward no longer recomputes sigma, and the outputs are the same.
    The state keys change from ``weight_orig/weight_u/weight_v`` to ``weight``, so load
    checkpoints *before* calling this; training continues only on the unmodified model.
    Returns the number of layers replaced.
    """
    replaced = 0
    for parent in [model, *model.sublayers()]:
        for name, child in list(parent.named_children()):
            if not isinstance(child, SpectralConv2D):
                continue
            zeros = paddle.ParamAttr(initializer=nn.initializer.Constant(0.0))  # no RNG draw
            conv = Conv2D(child.in_channels, child.out_channels, child.weight_orig.shape[-1],
                          stride=child.stride, padding=child.padding, groups=child.groups,
                          weight_attr=zeros,
                             bias_attr=zeros if child.bias is not None else False)
            with paddle.no_grad():
                conv.weight.set_value(child.weight.detach())
                if child.bias is not None:
                    conv.bias.set_value(child.bias.detach())
            conv.training, conv.pad_mode = child.training, child.pad_mode
            setattr(parent, name, conv)
            replaced += 1
    return replaced

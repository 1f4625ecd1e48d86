"""The normalised VGG-19 encoder of AdaIN, in the layer layout of pytorch-AdaIN's ``net.vgg``.

The released ``vgg_normalised.pth`` is a ``Sequential`` of 53 modules whose state keys are
the module indices (``0.weight``, ``0.bias``, ``2.weight``, ...): a 1x1 convolution that
maps the [0, 1] RGB input into VGG's input space, then VGG-19's sixteen 3x3 convolutions,
each behind a one-pixel reflection padding and followed by a ReLU, with 2x2 max pools
(``ceil_mode``) between the blocks. AdaIN uses the first 31 modules, up to relu4_1;
:class:`VGGEncoder` keeps exactly those (same indices, so the file loads key by key; the
weights of the unused modules 31..52 are checked and dropped, as the original's
``nn.Sequential(*list(vgg.children())[:31])`` drops them).
"""
from __future__ import annotations

from collections import OrderedDict

import paddle
from paddle import nn

from .layers import ReflectionPad1

#: VGG-19's convolution widths, 'M' = max pool.
VGG19_WIDTHS = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
                512, 512, 512, 512, "M", 512, 512, 512, 512)
#: Module counts of the released file (whole network) and of the encoder (up to relu4_1).
FULL_LAYERS, ENCODER_LAYERS = 53, 31
#: Ends of the slices input->relu1_1, ->relu2_1, ->relu3_1, ->relu4_1 (the original's enc_1..4).
STAGE_ENDS = (4, 11, 18, 31)
STAGE_NAMES = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


def vgg_normalised_spec() -> list[tuple]:
    """The 53 modules as ('conv', in, out, kernel) / ('pad',) / ('relu',) / ('pool',) tuples."""
    spec, channels = [("conv", 3, 3, 1)], 3
    for width in VGG19_WIDTHS:
        if width == "M":
            spec.append(("pool",))
        else:
            spec += [("pad",), ("conv", channels, width, 3), ("relu",)]
            channels = width
    assert len(spec) == FULL_LAYERS
    return spec


def vgg_normalised_shapes(n_layers: int = FULL_LAYERS) -> "OrderedDict[str, list[int]]":
    """State keys and shapes of the first ``n_layers`` modules (no weights are allocated)."""
    shapes = OrderedDict()
    for index, entry in enumerate(vgg_normalised_spec()[:n_layers]):
        if entry[0] == "conv":
            _, cin, cout, k = entry
            shapes[f"{index}.weight"] = [cout, cin, k, k]
            shapes[f"{index}.bias"] = [cout]
    return shapes


def _module(entry: tuple) -> nn.Layer:
    kind = entry[0]
    if kind == "conv":
        return nn.Conv2D(entry[1], entry[2], entry[3])
    if kind == "pad":
        return ReflectionPad1()
    if kind == "relu":
        return nn.ReLU()
    return nn.MaxPool2D(kernel_size=2, stride=2, padding=0, ceil_mode=True)


def min_image_size(n_layers: int = ENCODER_LAYERS) -> int:
    """Smallest height/width the first ``n_layers`` modules can run on.

    A reflection padding of one pixel needs an input of at least 2 pixels; the pools halve
    (rounding up) in between. For relu4_1 that is 9 pixels (9 -> 5 -> 3 -> 2). The
    receptive field of a relu4_1 unit is larger (68 pixels): smaller images run, their
    statistics are then those of reflected borders.
    """
    size = 1
    for entry in reversed(vgg_normalised_spec()[:n_layers]):
        if entry[0] == "pad":
            size = max(size, 2)
        elif entry[0] == "pool" and size > 1:
            size = 2 * size - 1  # smallest s with ceil(s / 2) >= size
    return size


def check_image_size(height: int, width: int, what: str, n_layers: int = ENCODER_LAYERS) -> None:
    """ValueError naming ``what`` when the image is too small for the encoder."""
    least = min_image_size(n_layers)
    if height < least or width < least:
        raise ValueError(f"{what} is {height}x{width} pixels (HxW); the VGG encoder up to relu4_1 needs "
                         f"at least {least}x{least}: use a larger image (or a larger --content_size/"
                         "--style_size)")


class VGGEncoder(nn.Sequential):
    """The released normalised VGG up to relu4_1 (31 modules; ``n_layers=53``: all of it).

    Input: [N, 3, H, W] RGB in [0, 1]. ``forward``/``encode``: relu4_1 [N, 512, H/8, W/8]
    (sizes rounded up at each pool). Parameters are frozen (``stop_gradient``), as the
    original's encoder; gradients still flow to the input.
    """

    def __init__(self, n_layers: int = ENCODER_LAYERS):
        if not 1 <= n_layers <= FULL_LAYERS:
            raise ValueError(f"n_layers must be in 1..{FULL_LAYERS}, got {n_layers}")
        super().__init__(*[_module(e) for e in vgg_normalised_spec()[:n_layers]])
        self.n_layers = n_layers
        for param in self.parameters():
            param.stop_gradient = True

    def encode_with_intermediate(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        """[relu1_1, relu2_1, relu3_1, relu4_1] of x [N, 3, H, W] (64, 128, 256, 512 channels)."""
        if self.n_layers < STAGE_ENDS[-1]:
            raise ValueError(f"this encoder stops at module {self.n_layers}, before relu4_1")
        outs, start = [], 0
        for end in STAGE_ENDS:
            for index in range(start, end):
                x = self[index](x)
            outs.append(x)
            start = end
        return outs

    def encode(self, x: paddle.Tensor) -> paddle.Tensor:
        """relu4_1 [N, 512, h, w] of x [N, 3, H, W] (the output of the first 31 modules)."""
        for index in range(min(self.n_layers, STAGE_ENDS[-1])):
            x = self[index](x)
        return x

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.encode(x)

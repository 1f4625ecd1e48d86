"""VGG19 perceptual loss (SPADE's), with weights from a file.

The features are torchvision's / Paddle's ``vgg19().features`` layout, cut after
relu1_1, relu2_1, relu3_1, relu4_1, relu5_1. The images go in as they are ([-1, 1],
no ImageNet normalisation), as the original. INADE weights the five levels
(0, 0, 0, 1/4, 1); SPADE (1/32, 1/16, 1/8, 1/4, 1).
"""
from __future__ import annotations

import os

import paddle
import paddle.nn.functional as F
from paddle import nn

from ..nn.channel_bias import Conv2D

# conv widths of VGG19, 'M' = max pool (same indices as torchvision's features)
_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512]
_CUTS = (2, 7, 12, 21, 30)
INADE_WEIGHTS = (0.0, 0.0, 0.0, 1.0 / 4, 1.0)
SPADE_WEIGHTS = (1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0)


def vgg19_features() -> nn.Sequential:
    """The first 30 modules of VGG19's ``features`` (up to relu5_1), untrained."""
    layers, channels = [], 3
    for v in _CFG:
        if v == "M":
            layers.append(nn.MaxPool2D(2, 2))
        else:
            layers += [Conv2D(channels, v, 3, padding=1), nn.ReLU()]
            channels = v
    return nn.Sequential(*layers[:_CUTS[-1]])


class VGG19(nn.Layer):
    """x [N, 3, H, W] -> the five relu feature maps. Parameters are frozen."""

    def __init__(self):
        super().__init__()
        self.features = vgg19_features()
        for p in self.parameters():
            p.stop_gradient = True

    def forward(self, x):
        outs, start = [], 0
        for cut in _CUTS:
            for i in range(start, cut):
                x = self.features[i](x)
            outs.append(x)
            start = cut
        return outs


def vgg19_feature_state(state):
    """The entries of a VGG19 state dict that :class:`VGG19` has (``features.<i>`` up to relu5_1)."""
    return {k: v for k, v in state.items() if k.startswith("features.") and k.split(".")[1].isdigit()
            and int(k.split(".")[1]) < _CUTS[-1]}


def load_vgg19(path: str | None) -> VGG19:
    """VGG19 with weights from ``path`` (.pdparams, or torchvision's vgg19 .pth), or
    Paddle's ImageNet weights when ``path`` is None (downloaded once into Paddle's weights
    cache; a clear error offline). Every file is read through the allow-listed reader."""
    from ..weights import TorchState, load_state_file, load_weights
    vgg = VGG19()
    if path is None:
        source, state = "Paddle's ImageNet VGG19", load_state_file(imagenet_vgg19_file())
    elif not os.path.isfile(path):
        raise FileNotFoundError(f"--vgg_weights {path}: no such file")
    else:
        source, state = f"--vgg_weights {path}", load_state_file(path)
    features = vgg19_feature_state(state)
    return load_weights(vgg, TorchState(features) if isinstance(state, TorchState) else features,
                        source=source)


class VGGWeightsUnavailable(FileNotFoundError):
    """Paddle's ImageNet VGG19 weights are not in the cache and cannot be downloaded (the
    tools answer it with one ``error:`` line, as any missing file)."""


def imagenet_vgg19_file() -> str:
    """The path of Paddle's ImageNet ``vgg19.pdparams`` (``paddle.vision``'s, md5-checked),
    downloaded into Paddle's weights cache when it is not there yet. Without a connection to
    the download host this fails at once (one try, 10 s at most) instead of Paddle's retries."""
    from paddle.utils.download import WEIGHTS_HOME, get_weights_path_from_url
    from paddle.vision.models.vgg import model_urls
    url, md5 = model_urls["vgg19"]
    try:
        if not os.path.exists(os.path.join(WEIGHTS_HOME, os.path.basename(url))):
            _check_reachable(url)
        return get_weights_path_from_url(url, md5)
    except Exception as exc:  # no network, a partial download, a full disk
        raise VGGWeightsUnavailable(
            f"could not get VGG19 ImageNet weights for the VGG loss from {url} "
            f"({type(exc).__name__}: {exc}); pass --vgg_weights FILE (.pdparams or torchvision's "
            "vgg19 .pth) or --no_vgg_loss") from None


def _check_reachable(url: str, timeout: float = 10.0) -> None:
    """One TCP connection to ``url``'s host (OSError if there is none)."""
    import socket
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout).close()


class VGGLoss(nn.Layer):
    """Weighted L1 between VGG features of x and (detached) y."""

    def __init__(self, vgg: VGG19, weights=INADE_WEIGHTS):
        super().__init__()
        self.vgg = vgg
        self.weights = tuple(weights)

    def forward(self, x, y):
        fx, fy = self.vgg(x), self.vgg(y)
        terms = [w * F.l1_loss(a, b.detach()) for w, a, b in zip(self.weights, fx, fy) if w]
        return paddle.add_n(terms)

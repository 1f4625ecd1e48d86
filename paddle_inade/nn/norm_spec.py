"""Parsing of the original's normalisation strings into typed specs.

The original encodes layer choices in strings such as ``spectralspadesyncbatch3x3``
(generator) or ``spectralinstance`` (discriminator, encoder) and tests them with
substring checks all over the code. Here they are parsed once, at the config edge,
into small frozen dataclasses that the layers take as explicit arguments.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PARAM_FREE_KINDS = ("instance", "batch", "syncbatch")
PLAIN_NORM_KINDS = ("none", "instance", "batch", "syncbatch")

_SPADE_RE = re.compile(r"^(spectral)?spade(instance|batch|syncbatch)(\d)x(\d)$")
_PLAIN_RE = re.compile(r"^(spectral)?(none|instance|batch|sync_batch|syncbatch)?$")


@dataclass(frozen=True)
class SpadeNormSpec:
    """Generator normalisation (``norm_G``): e.g. ``spectralspadesyncbatch3x3``.

    Attributes:
        spectral: spectral norm on the residual blocks' convolutions.
        param_free: the parameter-free norm inside SPADE / ILADE
            (``instance``, ``batch`` or ``syncbatch``).
        kernel_size: kernel of SPADE's convolutions (ILADE has none).
    """

    spectral: bool
    param_free: str
    kernel_size: int

    @classmethod
    def parse(cls, text: str, option: str = "norm_G") -> "SpadeNormSpec":
        match = _SPADE_RE.match(text)
        if match is None:
            raise ValueError(
                f"--{option} {text!r} is not a SPADE norm string; expected "
                "[spectral]spade(instance|batch|syncbatch)<k>x<k>, e.g. spectralspadesyncbatch3x3")
        return cls(spectral=bool(match.group(1)), param_free=match.group(2),
                   kernel_size=int(match.group(3)))


@dataclass(frozen=True)
class PlainNormSpec:
    """Discriminator / conv-encoder normalisation (``norm_D``, ``norm_E``).

    ``spectralinstance`` means: spectral norm on the convolution, its bias removed,
    followed by a parameter-free InstanceNorm. ``kind`` is ``none``, ``instance``,
    ``batch`` (affine BatchNorm) or ``syncbatch``.
    """

    spectral: bool
    kind: str

    @classmethod
    def parse(cls, text: str, option: str = "norm_D") -> "PlainNormSpec":
        match = _PLAIN_RE.match(text)
        if match is None or text == "":
            raise ValueError(
                f"--{option} {text!r} is not a norm string; expected "
                "[spectral](none|instance|batch|syncbatch), e.g. spectralinstance")
        kind = match.group(2) or "none"
        return cls(spectral=bool(match.group(1)), kind=kind.replace("sync_batch", "syncbatch"))

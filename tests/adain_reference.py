"""The AdaIN parity fixtures (tests/fixtures/adain, made by running pytorch-AdaIN) and the seeded
weights they were made with, written as torch-format files so that loading goes through the
torch-free reader as the released files do."""
from __future__ import annotations

import json
import sys
from functools import lru_cache

import numpy as np

from conftest import FIXTURES
from torch_format import write_torch_legacy, write_torch_zip

ADAIN = FIXTURES / "adain"
sys.path.insert(0, str(ADAIN))
from seeded_weights import DECODER_SEED, VGG_SEED, released_layouts, seeded_state  # noqa: E402

ENCODER_KEYS = 20  # state keys of the VGG up to relu4_1 (10 convolutions)


@lru_cache(maxsize=1)
def io() -> dict:
    with np.load(ADAIN / "io.npz") as data:
        return {k: data[k] for k in data.files}


@lru_cache(maxsize=1)
def config() -> dict:
    return json.loads((ADAIN / "config.json").read_text())


@lru_cache(maxsize=1)
def vgg_state() -> dict:
    """The seeded VGG up to relu4_1 (the full draw's first keys)."""
    return dict(seeded_state(released_layouts()["vgg_normalised.pth"], VGG_SEED, stop_after=ENCODER_KEYS))


@lru_cache(maxsize=1)
def decoder_state() -> dict:
    return dict(seeded_state(released_layouts()["decoder.pth"], DECODER_SEED))


def write_weights(folder, legacy: bool = False) -> tuple:
    """(vgg .pth, decoder .pth) of the seeded weights in ``folder``: zip format, or torch's
    pre-1.6 format (as the 2018 release) with ``legacy``."""
    paths = (folder / "vgg_normalised.pth", folder / "decoder.pth")
    for path, state in zip(paths, (vgg_state(), decoder_state())):
        if legacy:
            tensors = [{"name": k, "key": str(i), "shape": v.shape, "stride": [s // 4 for s in v.strides],
                        "offset": 0} for i, (k, v) in enumerate(state.items())]
            write_torch_legacy(path, tensors, {str(i): v.reshape(-1) for i, v in enumerate(state.values())})
        else:
            write_torch_zip(path, state)
    return paths

"""The SMIS fixtures (tests/fixtures/smis, made by SMIS's own code; see make_smis_fixtures.py).

Large arrays are stored as ``flat[::stride]`` with the stride under ``<key>__stride``; networks
listed under ``seeded`` in config.json keep only their buffers in ``<net>_buffers.pth`` and get
their parameters from :mod:`smis_seeded`.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import paddle

from conftest import FIXTURES, rel_err
from smis_seeded import seeded_parameters

SMIS_FIXTURES = FIXTURES / "smis"
NAMES = ("ade20k_step", "deepfashion_more", "cityscapes_normal")


class SMISReference:
    def __init__(self, name: str, root=SMIS_FIXTURES):
        self.name = name
        self.dir = Path(root) / name
        self.options = json.loads((self.dir / "config.json").read_text())
        self.io = np.load(self.dir / "io.npz")

    def config(self):
        from paddle_inade.smis import SMISConfig
        keys = set(SMISConfig.__dataclass_fields__)
        return SMISConfig.from_dict({k: v for k, v in self.options.items() if k in keys})

    def __getitem__(self, key):
        return self.io[key]

    def has(self, key: str) -> bool:
        return key in self.io.files

    def data(self) -> dict:
        """label, instance [N, 1, H, W] int64 and the image [N, 3, H, W] as the fixture made them."""
        label = self.io["label"].astype(np.int64)
        shape = (label.shape[0], 3, *label.shape[2:])
        image = np.random.RandomState(self.options["image_seed"]).uniform(-1, 1, shape).astype(np.float32)
        return {"label": label, "instance": self.io["instance"].astype(np.int64), "image": image}

    def torch_state(self, net: str) -> dict:
        """The network's torch state dict: the .pth, or seeded parameters + saved buffers."""
        from paddle_inade.convert import read_torch_checkpoint
        if net not in self.options["seeded"]:
            return dict(read_torch_checkpoint(str(self.dir / f"{net}.pth")))
        params = seeded_parameters(self.options["seeded_shapes"][net], self.options["seeded_seed"])
        return {**params, **read_torch_checkpoint(str(self.dir / f"{net}_buffers.pth"))}

    def error(self, ours, key: str) -> float:
        """Relative error of ``ours`` against the stored (possibly strided) reference ``key``."""
        ours = np.asarray(ours.numpy() if isinstance(ours, paddle.Tensor) else ours)
        ref = self.io[key]
        stride_key = f"{key}__stride"
        if stride_key in self.io.files:
            ours = np.ascontiguousarray(ours).reshape(-1)[:: int(self.io[stride_key])]
        return rel_err(ours, ref)


def load_smis_model(ref: SMISReference, train: bool = False):
    """SMISModel with the fixture's G, E and D loaded through the torch-free converter."""
    from paddle_inade.weights import load_torch_weights
    from paddle_inade.smis.model import SMISModel
    model = SMISModel(ref.config())
    for net, layer in (("G", model.netG), ("E", model.netE), ("D", model.netD)):
        load_torch_weights(layer, ref.torch_state(net))
    model.train() if train else model.eval()
    return model


def inputs(ref: SMISReference, cfg):
    """(input_semantics, image) tensors from the fixture's label, instance and image."""
    from paddle_inade.models import preprocess_input
    semantics, image, _, _ = preprocess_input(ref.data(), cfg)
    return semantics, image

"""What every family's pipeline shares: its device (loading and every computing method run on
the networks' device and give the caller's current device back: :func:`on_device`), and symmetric ``save_pretrained`` /
``from_pretrained`` (one ``pipeline.json`` naming the pipeline and holding its options, and one
``.pdparams`` per network), in the manner of diffusers' ``DiffusionPipeline``.

A subclass sets :attr:`Pipeline.name` and :attr:`Pipeline.weight_files` and builds itself from
its options without weights in :meth:`Pipeline._from_config`.
"""
from __future__ import annotations

import copy
import functools
import json
import os
from typing import Optional, Union

import paddle

from .device import device_scope, place_device, resolve_device
from .files import atomic_folder
from .nn import remove_spectral_norm
from .weights import load_weights

PathLike = Union[str, os.PathLike]
PIPELINE_FILE = "pipeline.json"


def device_arg(device) -> str:
    """None/'auto' -> '0' (a GPU when one is visible); 'cpu' -> '-1'; 'gpu[:N]' -> 'N'; ids pass."""
    if device is None or str(device).lower() == "auto":
        return "0"
    text = str(device).lower()
    if text == "cpu":
        return "-1"
    if text.startswith("gpu"):
        return text.partition(":")[2] or "0"
    return text


def loading_scope(device):
    """:func:`~paddle_inade.device.device_scope` of a loader's ``device`` argument (None/'auto',
    'cpu', 'gpu[:N]', or gpu ids): the networks are built and loaded there."""
    return device_scope(resolve_device(device_arg(device)))


def on_device(method):
    """A pipeline method that computes: it runs with Paddle's current device set to the
    pipeline's (:attr:`Pipeline.device`) and the caller's restored after it."""
    @functools.wraps(method)
    def computing(self, *args, **kwargs):
        with device_scope(self.device):
            return method(self, *args, **kwargs)
    return computing


def folded_state(net) -> dict:
    """``net``'s state with its spectral norms folded into the convolutions (what the loaders
    build for inference), computed on a copy: ``net`` itself is unchanged."""
    folded = copy.deepcopy(net)
    folded.eval()
    remove_spectral_norm(folded)
    return folded.state_dict()


def for_inference(*nets) -> None:
    """Networks a loader built: eval mode, spectral norms folded (sigma once, not per forward)."""
    for net in nets:
        if net is not None:
            net.eval()
            remove_spectral_norm(net)


class Pipeline:
    """Base of INADEPipeline, GroupDNetPipeline and AdaINPipeline."""

    #: written to pipeline.json and checked when loading
    name: str = ""
    #: network attribute -> its file in a save_pretrained folder (a missing optional one is None)
    weight_files: dict = {}
    optional_weights: tuple = ()

    def _config_values(self) -> dict:
        return self.cfg.to_dict()

    @property
    def device(self) -> str:
        """Where the networks' weights are ('cpu', 'gpu:N'): where the pipeline computes."""
        for attr in self.weight_files:
            net = getattr(self, attr, None)
            for param in net.parameters() if net is not None else ():
                return place_device(param.place)
        return "cpu"

    @classmethod
    def _from_config(cls, values: dict, source: str) -> "Pipeline":
        """The pipeline of these options with networks built for inference, without weights."""
        raise NotImplementedError

    def save_pretrained(self, folder: PathLike) -> None:
        """Write ``pipeline.json`` and one ``.pdparams`` per network (spectral norms folded) into
        ``folder``: all go to a temporary folder first, which replaces ``folder`` when complete."""
        with atomic_folder(folder) as tmp:
            with open(os.path.join(tmp, PIPELINE_FILE), "w", encoding="utf-8") as fh:
                json.dump({"pipeline": self.name, "config": self._config_values()}, fh, indent=1, sort_keys=True)
            for attr, file in self.weight_files.items():
                net = getattr(self, attr)
                if net is not None:
                    paddle.save(folded_state(net), os.path.join(tmp, file))

    @classmethod
    def read_pipeline_file(cls, folder: PathLike) -> dict:
        """The options in ``folder``'s pipeline.json, checked to be this pipeline's."""
        path = os.path.join(os.fspath(folder), PIPELINE_FILE)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{os.fspath(folder)}: no {PIPELINE_FILE} (not written by save_pretrained)")
        with open(path, encoding="utf-8") as fh:
            saved = json.load(fh)
        if not isinstance(saved, dict) or saved.get("pipeline") != cls.name:
            found = saved.get("pipeline") if isinstance(saved, dict) else None
            raise ValueError(f"{path}: a {found!r} pipeline, not {cls.name!r}; load it with that pipeline's "
                             "from_pretrained")
        return saved.get("config", {})

    @classmethod
    def from_pretrained(cls, folder: PathLike, device: Optional[str] = None) -> "Pipeline":
        """Inverse of :meth:`save_pretrained`. ``device``: None/'auto', 'cpu', 'gpu[:N]'."""
        folder = os.fspath(folder)
        values = cls.read_pipeline_file(folder)
        with loading_scope(device):
            pipe = cls._from_config(values, os.path.join(folder, PIPELINE_FILE))
            for attr, file in cls.weight_files.items():
                path = os.path.join(folder, file)
                if getattr(pipe, attr) is None:
                    continue
                if attr in cls.optional_weights and not os.path.isfile(path):
                    setattr(pipe, attr, None)
                    continue
                load_weights(getattr(pipe, attr), path)
        return pipe


class SynthesisPipeline(Pipeline):
    """A generator and an optional encoder built from one config (INADE's and GroupDNet's): a
    subclass sets :attr:`config_class` and the builders ``build_generator(cfg, init=False)`` /
    ``build_encoder(cfg, init=False)`` (as staticmethods)."""

    weight_files = {"netG": "G.pdparams", "netE": "E.pdparams"}
    optional_weights = ("netE",)
    config_class = None

    def __init__(self, cfg, netG, netE=None):
        self.cfg, self.netG, self.netE = cfg, netG, netE

    @classmethod
    def _from_config(cls, values: dict, source: str) -> "SynthesisPipeline":
        cfg = cls.config_class.from_dict(values, source=source)
        netG, netE = cls.build_generator(cfg, init=False), cls.build_encoder(cfg, init=False)
        for_inference(netG, netE)
        return cls(cfg, netG, netE)

"""INADEPipeline: generate diverse images, encode instance styles, restyle instances.

    pipe = INADEPipeline.from_checkpoint("checkpoints/toy_inade")
    images = pipe.generate(label, instance, n_samples=4, seed=0)      # uint8 [N, S, H, W, 3]
    styles = pipe.encode(image, instance)                             # per-instance mu / logvar
    out = pipe.restyle(label, instance, ref_image, ref_label, ref_instance, {2: 5}, seed=0)

Layouts are NumPy arrays: ``label`` [H, W] or [N, H, W] class ids, ``instance`` the same
shape with any integer ids (re-indexed internally; ``restyle`` mappings use the ids as
given). Images are uint8 [H, W, 3] / [N, H, W, 3] RGB.
"""
from __future__ import annotations

import logging
import os
from typing import Mapping, Optional, Union

import numpy as np
import paddle

from .config import INADEConfig
from .device import select_device
from .models import build_encoder, build_generator, preprocess_input

log = logging.getLogger(__name__)
PathLike = Union[str, os.PathLike]


def _batch_map(array, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3:
        raise ValueError(f"{name} must be [H, W] or [N, H, W], got shape {array.shape}")
    return array.astype(np.int64)


def _batch_image(image) -> np.ndarray:
    """uint8 [H, W, 3] / [N, H, W, 3] -> float32 [N, 3, H, W] in [-1, 1]."""
    image = np.asarray(image)
    if image.ndim == 3:
        image = image[None]
    if image.ndim != 4 or image.shape[-1] != 3:
        raise ValueError(f"images must be uint8 [H, W, 3] or [N, H, W, 3], got shape {image.shape}")
    return image.astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0


def _to_uint8(fake: paddle.Tensor) -> np.ndarray:
    """[N, 3, H, W] in [-1, 1] -> uint8 [N, H, W, 3]."""
    return np.clip((fake.numpy().transpose(0, 2, 3, 1) + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8)


class Layout:
    """A batch of label + instance maps, with instance ids re-indexed per image."""

    def __init__(self, label, instance, cfg: INADEConfig, name: str = "layout"):
        label, instance = _batch_map(label, f"{name} label"), _batch_map(instance, f"{name} instance")
        if label.shape != instance.shape:
            raise ValueError(f"{name}: instance map {instance.shape[1:]} must have the label map's size "
                             f"{label.shape[1:]}")
        limit = cfg.label_channels
        if label.min() < 0 or label.max() >= limit:
            raise ValueError(f"{name}: class {int(label.max())} found but the model has label_nc "
                             f"{cfg.label_nc}{' + dontcare' if cfg.contain_dontcare_label else ''} "
                             f"(classes 0..{limit - 1})")
        self.ids = [np.unique(inst) for inst in instance]
        self.compact = np.stack([np.searchsorted(ids, inst) for ids, inst in zip(self.ids, instance)])
        self.label, self.cfg, self.name = label, cfg, name

    @property
    def batch(self) -> int:
        return self.label.shape[0]

    def index_of(self, sample: int, instance_id: int) -> int:
        ids = self.ids[sample]
        pos = int(np.searchsorted(ids, instance_id))
        if pos >= ids.size or ids[pos] != instance_id:
            raise ValueError(f"{self.name}: instance id {instance_id} does not exist in sample {sample} "
                             f"(ids: {ids.tolist()})")
        return pos

    def inputs(self, image: Optional[np.ndarray] = None, sketch=None):
        data = {"label": self.label[:, None], "instance": self.compact[:, None]}
        if image is not None:
            data["image"] = image
        if sketch is not None:
            data["sketch"] = np.asarray(sketch, np.float32).reshape(self.batch, 1, *self.label.shape[1:])
        return preprocess_input(data, self.cfg)


class INADEPipeline:
    """A generator (and encoder) in eval mode, with NumPy in and out."""

    def __init__(self, cfg: INADEConfig, netG, netE=None):
        self.cfg, self.netG, self.netE = cfg, netG, netE
        self.netG.eval()
        if netE is not None:
            netE.eval()

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_checkpoint(cls, path: PathLike, config: Union[INADEConfig, Mapping, PathLike, None] = None,
                        preset: Optional[str] = None, which_epoch: str = "latest",
                        encoder: Optional[PathLike] = None, device: Optional[str] = None) -> "INADEPipeline":
        """From a training folder (``opt.yaml`` + ``<which_epoch>_net_G/E.pdparams``) or a
        generator file (``.pdparams``, or the original's ``.pth``) with ``config``/``preset``.
        A file that does not fit the options is an error naming it and the keys."""
        from .engine.checkpoints import load_state_strict
        from .convert import load_torch_weights
        select_device(device if device is not None else "0")
        path = os.fspath(path)
        if os.path.isdir(path):
            cfg = _config_from(config, preset, os.path.join(path, "opt.yaml"))
            g_file = os.path.join(path, f"{which_epoch}_net_G.pdparams")
            e_file = os.path.join(path, f"{which_epoch}_net_E.pdparams")
            encoder = encoder or (e_file if os.path.isfile(e_file) else None)
        else:
            cfg, g_file = _config_from(config, preset, None), path
        if not os.path.isfile(g_file):
            raise FileNotFoundError(f"{g_file}: no generator checkpoint")
        netG = build_generator(cfg, init=False)
        netE = build_encoder(cfg, init=False) if encoder else None
        for net, file in ((netG, g_file), (netE, encoder)):
            if net is None:
                continue
            file = os.fspath(file)
            if file.endswith(".pth"):
                load_torch_weights(net, file)
            else:
                load_state_strict(net, paddle.load(file), file)
        return cls(cfg, netG, netE)

    # --------------------------------------------------------------- internals
    def _check_size(self, layout: Layout) -> None:
        expected = tuple(self.cfg.image_size)
        if layout.label.shape[1:] != expected:
            raise ValueError(f"{layout.name} is {layout.label.shape[1]}x{layout.label.shape[2]} (HxW) but this "
                             f"model makes {expected[0]}x{expected[1]} images; resize it (nearest)")

    def _noises(self, batch: int, n_instances: int):
        """(noise [N, K, 2, noise_nc], noise_ins [N, z_dim]) from the current Paddle RNG."""
        noise_ins = paddle.randn([batch, self.cfg.z_dim])
        noise = paddle.randn([batch, n_instances, 2, self.cfg.noise_nc])
        return noise, noise_ins

    def _generate(self, layout: Layout, n_samples: int, seed: Optional[int], z=None,
                  image=None, sketch=None, shared_noise: bool = False) -> np.ndarray:
        self._check_size(layout)
        semantics, _, instances, sketch_t = layout.inputs(image, sketch)
        if seed is not None:
            paddle.seed(seed)
        out = []
        with paddle.no_grad():
            for _ in range(n_samples):
                noise, noise_ins = self._noises(layout.batch, instances.shape[1] if instances is not None else 0)
                if shared_noise:  # control: every instance gets the first one's noise
                    noise = paddle.expand_as(noise[:, :1], noise)
                fake = self.netG(semantics, z=z, input_instances=instances, sketch=sketch_t,
                                 noise=noise if self.cfg.is_inade else None, noise_ins=noise_ins)
                out.append(_to_uint8(fake))
        return np.stack(out, axis=1)

    def _encode(self, layout: Layout, image) -> tuple:
        """(s_mu, s_logvar, b_mu, b_logvar), each [N, K, noise_nc]."""
        if self.netE is None:
            raise ValueError("this pipeline has no encoder (train with --use_vae, or pass encoder=...)")
        image = _batch_image(image)
        if image.shape[2:] != layout.label.shape[1:]:
            raise ValueError(f"image {image.shape[2]}x{image.shape[3]} must have its instance map's size "
                             f"{layout.label.shape[1]}x{layout.label.shape[2]}")
        _, image_t, instances, _ = layout.inputs(image)
        with paddle.no_grad():
            return self.netE(image_t, instances)

    def _z(self, layout: Layout, image) -> list:
        s_mu, s_lv, b_mu, b_lv = self._encode(layout, image)
        return [s_mu, paddle.exp(0.5 * s_lv), b_mu, paddle.exp(0.5 * b_lv)]

    # ------------------------------------------------------------------- public
    def generate(self, label, instance, n_samples: int = 1, seed: Optional[int] = None,
                 sketch=None, image=None, shared_noise: bool = False) -> np.ndarray:
        """``n_samples`` images per layout, uint8 [N, n_samples, H, W, 3].

        Every sample draws new per-instance noise, so each instance changes style
        independently. With ``image`` (and an encoder) the noise is remapped by the
        styles encoded from it (the original's test-time behaviour with ``--use_vae``).
        ``shared_noise`` gives every instance the same noise (a class-level control)."""
        layout = Layout(label, instance, self.cfg)
        z = self._z(layout, image) if image is not None else None
        return self._generate(layout, n_samples, seed, z=z, sketch=sketch, shared_noise=shared_noise)

    def encode(self, image, instance) -> dict[str, np.ndarray]:
        """Per-instance distribution parameters of ``image``: s_mu, s_logvar, b_mu, b_logvar,
        each [N, K, noise_nc], K over the sorted instance ids of ``instance``."""
        inst = _batch_map(instance, "instance")
        layout = Layout(np.zeros_like(inst), inst, self.cfg, "image")
        names = ("s_mu", "s_logvar", "b_mu", "b_logvar")
        return {n: v.numpy() for n, v in zip(names, self._encode(layout, image))}

    def restyle(self, label, instance, ref_image, ref_label, ref_instance,
                mapping: Mapping[int, int], seed: Optional[int] = None, n_samples: int = 1,
                sketch=None) -> np.ndarray:
        """Give instance ``t`` of the layout the style of instance ``mapping[t]`` of the
        reference (encoded from ``ref_image``); unmapped instances sample from the prior.
        Returns uint8 [N, n_samples, H, W, 3]."""
        layout = Layout(label, instance, self.cfg)
        ref = Layout(ref_label, ref_instance, self.cfg, "reference")
        if ref.batch not in (1, layout.batch):
            raise ValueError(f"reference batch {ref.batch} must be 1 or the layout's {layout.batch}")
        z_ref = self._z(ref, ref_image)
        k = max(len(ids) for ids in layout.ids)
        base = [np.zeros((layout.batch, k, self.cfg.noise_nc), np.float32),
                np.ones((layout.batch, k, self.cfg.noise_nc), np.float32)]
        z = [base[0].copy(), base[1].copy(), base[0].copy(), base[1].copy()]
        ref_np = [t.numpy() for t in z_ref]
        for n in range(layout.batch):
            r = n if ref.batch > 1 else 0
            for target, source in mapping.items():
                t, s = layout.index_of(n, target), ref.index_of(r, source)
                for part in range(4):
                    z[part][n, t] = ref_np[part][r, s]
        return self._generate(layout, n_samples, seed, z=[paddle.to_tensor(p) for p in z], sketch=sketch)


def _config_from(config, preset: Optional[str], saved: Optional[str]) -> INADEConfig:
    import yaml
    if isinstance(config, INADEConfig):
        return config
    if isinstance(config, Mapping):
        values = dict(config)
    elif config is not None:
        with open(config, encoding="utf-8") as fh:
            loaded = yaml.safe_load(fh) or {}
        values = loaded.get("model", loaded)
    elif saved is not None and os.path.isfile(saved):
        with open(saved, encoding="utf-8") as fh:
            values = yaml.safe_load(fh)["model"]
    elif preset is not None:
        return INADEConfig.preset(preset)
    else:
        raise ValueError("no options: pass config=... or preset=..., or a training folder with opt.yaml")
    base = INADEConfig.preset(preset).to_dict() if preset else {}
    return INADEConfig.from_dict({**base, **values}, source=str(config or saved))

"""INADEPipeline: generate diverse images, encode instance styles, restyle instances.

    pipe = INADEPipeline.from_checkpoint("checkpoints/toy_inade")
    images = pipe.generate(label, instance, n_samples=4, seed=0)      # uint8 [N, S, H, W, 3]
    styles = pipe.encode(image, instance)                             # per-instance mu / logvar
    out = pipe.restyle(label, instance, ref_image, ref_label, ref_instance, {2: 5}, seed=0)

Layouts are NumPy arrays: ``label`` [H, W], [N, H, W] or [N, 1, H, W] class ids,
``instance`` the same shape with any integer ids (re-indexed internally in sorted order;
``restyle`` mappings use the ids as given). Images are uint8 [H, W, 3] / [N, H, W, 3] RGB.
"""
from __future__ import annotations

import logging
import os
from typing import Mapping, Optional, Union

import numpy as np
import paddle

from .config import INADEConfig
from .device import select_device
from .io import (SavedOptions, check_run_folder, load_weights, missing_weights_message, read_options_file,
                 read_saved_options, run_weights)
from .models import build_encoder, build_generator, preprocess_input
from .nn import remove_spectral_norm

log = logging.getLogger(__name__)
PathLike = Union[str, os.PathLike]
OUTPUTS = ("uint8", "float")
STYLE_KEYS = ("s_mu", "s_logvar", "b_mu", "b_logvar")


# --------------------------------------------------------------------------- arrays
def _batch_map(array, name: str) -> np.ndarray:
    """[H, W] / [N, H, W] / [N, 1, H, W] integer map -> int64 [N, H, W]."""
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3:
        raise ValueError(f"{name} must be [H, W], [N, H, W] or [N, 1, H, W], got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        if not np.array_equal(array, np.round(array)):
            raise ValueError(f"{name} must hold integer ids, got non-integer values ({array.dtype})")
    return array.astype(np.int64)


def _batch_image(image) -> np.ndarray:
    """uint8 [H, W, 3] / [N, H, W, 3] -> float32 [N, 3, H, W] in [-1, 1]."""
    image = np.asarray(image)
    if image.ndim == 3:
        image = image[None]
    if image.ndim != 4 or image.shape[-1] != 3:
        raise ValueError(f"images must be uint8 [H, W, 3] or [N, H, W, 3], got shape {image.shape}")
    return image.astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0


def to_uint8(fake: np.ndarray) -> np.ndarray:
    """[..., 3, H, W] float in [-1, 1] -> uint8 [..., H, W, 3] (rounded, clipped)."""
    hwc = np.moveaxis(np.asarray(fake), -3, -1)
    return np.clip((hwc + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def _device_arg(device) -> str:
    """None/'auto' -> '0' (a GPU when one is visible); 'cpu' -> '-1'; 'gpu[:N]' -> 'N'; ids pass."""
    if device is None or str(device).lower() == "auto":
        return "0"
    text = str(device).lower()
    if text == "cpu":
        return "-1"
    if text.startswith("gpu"):
        return text.partition(":")[2] or "0"
    return text


# --------------------------------------------------------------------------- layouts
class Layout:
    """A batch of label + instance maps, with instance ids re-indexed per image.

    ``label``/``instance``: int64 [N, H, W]; ``ids[n]``: the sorted original instance ids
    of sample n; ``compact``: [N, H, W] positions in ``ids`` (0..K_n-1).
    """

    def __init__(self, label, instance, cfg: INADEConfig, name: str = "layout"):
        label, instance = _batch_map(label, f"{name} label"), _batch_map(instance, f"{name} instance")
        if label.shape != instance.shape:
            raise ValueError(f"{name}: instance map {instance.shape[1:]} must have the label map's size "
                             f"{label.shape[1:]} (and batch {label.shape[0]})")
        _check_classes(label, cfg, name)
        self.ids = [np.unique(inst) for inst in instance]
        self.compact = np.stack([np.searchsorted(ids, inst) for ids, inst in zip(self.ids, instance)])
        self.label, self.cfg, self.name = label, cfg, name

    @property
    def batch(self) -> int:
        return self.label.shape[0]

    @property
    def n_instances(self) -> int:
        """K of the one-hot instance tensor: the largest instance count in the batch."""
        return max(len(ids) for ids in self.ids)

    def index_of(self, sample: int, instance_id: int) -> int:
        """Position of ``instance_id`` in sample ``sample`` (its one-hot channel)."""
        ids = self.ids[sample]
        pos = int(np.searchsorted(ids, instance_id))
        if pos >= ids.size or ids[pos] != instance_id:
            raise ValueError(f"{self.name}: instance id {instance_id} does not exist in sample {sample} "
                             f"(ids: {ids.tolist()})")
        return pos

    def inputs(self, image: Optional[np.ndarray] = None, sketch=None):
        """(input_semantics, image, input_instances [N, K, H, W], sketch) as Paddle tensors."""
        data = {"label": self.label[:, None], "instance": self.compact[:, None]}
        if image is not None:
            data["image"] = image
        if sketch is not None:
            data["sketch"] = np.asarray(sketch, np.float32).reshape(self.batch, 1, *self.label.shape[1:])
        return preprocess_input(data, self.cfg)


def _check_classes(label: np.ndarray, cfg: INADEConfig, name: str) -> None:
    limit = cfg.label_channels
    lo, hi = int(label.min()), int(label.max())
    if lo < 0 or hi >= limit:
        bad = lo if lo < 0 else hi
        dontcare = " + dontcare" if cfg.contain_dontcare_label else ""
        raise ValueError(f"{name}: class {bad} found but the model has label_nc {cfg.label_nc}{dontcare} "
                         f"(classes 0..{limit - 1})")


# --------------------------------------------------------------------------- pipeline
class INADEPipeline:
    """A generator (and encoder) in eval mode, with NumPy in and out.

    Args:
        cfg: the model options the networks were built with.
        netG: the generator. netE: the instance encoder (needed by ``encode``/``restyle``
            and by ``generate(image=...)``), or None.
    """

    def __init__(self, cfg: INADEConfig, netG, netE=None):
        self.cfg, self.netG, self.netE = cfg, netG, netE
        self.netG.eval()
        if netE is not None:
            netE.eval()

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_checkpoint(cls, path: PathLike, config: Union[INADEConfig, Mapping, PathLike, None] = None,
                        preset: Optional[str] = None, which_epoch: str = "latest",
                        encoder: Optional[PathLike] = None, device: Optional[str] = None,
                        ema: bool = True) -> "INADEPipeline":
        """Load a trained or converted model.

        Args:
            path: a training folder (``opt.yaml`` + ``<which_epoch>_net_G.pdparams``, and
                ``_net_E`` when present) or a generator file (``.pdparams``, or the original's
                ``.pth`` read through the torch converter).
            config: INADEConfig, a dict of its fields, or a YAML file (fields at the top or
                under ``model``); overrides ``opt.yaml``. preset: a named preset (the base the
                others are laid over). Either is needed for a bare file.
            encoder: the encoder file to go with a bare generator file (``.pdparams``/``.pth``).
            device: None/'auto' (a GPU if Paddle has CUDA and one is visible, else the CPU),
                'cpu', 'gpu', 'gpu:N', or the original's gpu_ids ('-1' = CPU, '0', ...).
            ema: in a training folder, take the weight averages (``<which_epoch>_net_G_ema`` and
                ``_net_E_ema``, written when trained with ``--ema_nimg``) when there are any;
                False takes the trained weights themselves.

        The networks are for inference: their spectral norms are folded into plain
        convolutions once (:func:`~paddle_inade.nn.remove_spectral_norm`; same outputs, no
        ``weight_orig`` in their state any more). To train on, build and load the networks
        yourself (``build_generator`` + ``set_state_dict``).

        Raises:
            FileNotFoundError: no generator (or given encoder) file.
            ValueError: no options, or a file that does not fit them (naming file and keys).
        """
        select_device(_device_arg(device))
        cfg, g_file, e_file = _resolve_files(os.fspath(path), config, preset, which_epoch, encoder, ema)
        netG = load_weights(build_generator(cfg, init=False), g_file)
        netE = None
        if e_file is not None:
            netE = build_encoder(cfg, init=False)
            if netE is None:
                raise ValueError(f"{e_file}: these options build no encoder (use_vae off, norm_mode spade)")
            load_weights(netE, e_file)
        elif cfg.use_vae:
            log.info("no encoder file: encode/restyle and encoder-driven generation are unavailable")
        log.debug("loaded %s%s", g_file, f" and {e_file}" if e_file else "")
        for net in (netG, netE):
            if net is not None:
                remove_spectral_norm(net)  # inference only: sigma once, not in every forward
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

    def _generate(self, layout: Layout, n_samples: int, seed: Optional[int], z=None, sketch=None,
                  shared_noise: bool = False, output: str = "uint8") -> np.ndarray:
        """[N, S, H, W, 3] uint8 or [N, S, 3, H, W] float32; sample s draws all its noises anew."""
        _check_request(n_samples, output)
        self._check_size(layout)
        semantics, _, instances, sketch_t = layout.inputs(None, sketch)
        if seed is not None:
            paddle.seed(seed)
        out = []
        with paddle.no_grad():
            for _ in range(n_samples):
                noise, noise_ins = self._noises(layout.batch, layout.n_instances)
                if shared_noise:  # control: every instance gets the first one's noise
                    noise = paddle.expand_as(noise[:, :1], noise)
                fake = self.netG(semantics, z=z, input_instances=instances, sketch=sketch_t,
                                 noise=noise if self.cfg.is_inade else None, noise_ins=noise_ins)
                out.append(fake.numpy())
        fakes = np.stack(out, axis=1)
        return to_uint8(fakes) if output == "uint8" else fakes.astype(np.float32)

    def _encode(self, layout: Layout, image) -> tuple:
        """(s_mu, s_logvar, b_mu, b_logvar) tensors, each [N, K, noise_nc]."""
        if self.netE is None:
            raise ValueError("this pipeline has no encoder (a model trained with --use_vae has "
                             "<epoch>_net_E.pdparams; with a bare file pass encoder=...)")
        image = _batch_image(image)
        if image.shape[0] != layout.batch or image.shape[2:] != layout.label.shape[1:]:
            raise ValueError(f"{layout.name} image {list(image.shape[:1]) + list(image.shape[2:])} (N, H, W) "
                             f"must match its instance map {list(layout.label.shape)}")
        _, image_t, instances, _ = layout.inputs(image)
        with paddle.no_grad():
            return self.netE(image_t, instances)

    def _z(self, layout: Layout, image) -> list:
        """The generator's remapping [s_mu, s_std, b_mu, b_std] (std = exp(0.5 logvar))."""
        s_mu, s_lv, b_mu, b_lv = self._encode(layout, image)
        return [s_mu, paddle.exp(0.5 * s_lv), b_mu, paddle.exp(0.5 * b_lv)]

    def _restyle_z(self, layout: Layout, ref: Layout, z_ref: list, mapping: Mapping[int, int]) -> list:
        """Prior (mu 0, std 1) for every instance, then mapped ones take the reference's."""
        shape = (layout.batch, layout.n_instances, self.cfg.noise_nc)
        z = [np.zeros(shape, np.float32), np.ones(shape, np.float32),
             np.zeros(shape, np.float32), np.ones(shape, np.float32)]
        ref_np = [t.numpy() for t in z_ref]
        for n in range(layout.batch):
            r = n if ref.batch > 1 else 0
            for target, source in mapping.items():
                t, s = layout.index_of(n, int(target)), ref.index_of(r, int(source))
                for part in range(4):
                    z[part][n, t] = ref_np[part][r, s]
        return [paddle.to_tensor(p) for p in z]

    # ------------------------------------------------------------------- public
    def generate(self, label, instance, n_samples: int = 1, seed: Optional[int] = None,
                 sketch=None, image=None, shared_noise: bool = False, output: str = "uint8") -> np.ndarray:
        """``n_samples`` images per layout.

        Args:
            label, instance: [H, W], [N, H, W] or [N, 1, H, W] integer maps of the model's size.
            n_samples: S; every sample draws new per-instance noise (and a new start vector),
                so each instance changes style independently.
            seed: ``paddle.seed(seed)`` first (same seed, same images); None continues
                Paddle's global random stream.
            sketch: [H, W] / [N, 1, H, W] float edge map for models with add_sketch.
            image: uint8 [H, W, 3] / [N, H, W, 3]: remap the noise with the styles encoded
                from it (the original's test-time behaviour with --use_vae); needs the encoder.
            shared_noise: every instance gets the same noise (a class-level control).
            output: 'uint8' -> uint8 [N, S, H, W, 3]; 'float' -> float32 [N, S, 3, H, W] in [-1, 1].
        """
        layout = Layout(label, instance, self.cfg)
        z = self._z(layout, image) if image is not None else None
        return self._generate(layout, n_samples, seed, z=z, sketch=sketch, shared_noise=shared_noise,
                              output=output)

    def encode(self, image, instance) -> dict[str, np.ndarray]:
        """Per-instance distribution parameters of ``image`` (uint8 [H, W, 3] / [N, H, W, 3]).

        Returns:
            {'s_mu', 's_logvar', 'b_mu', 'b_logvar'}: float32 [N, K, noise_nc] each, K over the
            sorted instance ids of ``instance`` (the largest count in the batch).
        """
        inst = _batch_map(instance, "instance")
        layout = Layout(np.zeros_like(inst), inst, self.cfg, "image")
        return {n: v.numpy() for n, v in zip(STYLE_KEYS, self._encode(layout, image))}

    def restyle(self, label, instance, ref_image, ref_label, ref_instance,
                mapping: Mapping[int, int], seed: Optional[int] = None, n_samples: int = 1,
                sketch=None, output: str = "uint8") -> np.ndarray:
        """Give instance ``t`` of the layout the style of instance ``mapping[t]`` of the reference.

        The mapped instances take the reference instance's encoded (mu, std) for both the
        scale and the bias noise; all others sample from the prior N(0, 1), as the
        original's DeepFashion demo does for one instance (it aliased the scale and bias
        parameters of that instance; here they are kept apart). ``ref_*`` may be one layout
        (shared by the batch) or one per layout, of any size. With the identity mapping and
        the layout's own image as reference, the result equals ``generate(image=...)``.

        Returns: as :meth:`generate` (``n_samples`` per layout).
        Raises: ValueError for an id not in its map, or as :meth:`generate`.
        """
        layout = Layout(label, instance, self.cfg)
        ref = Layout(ref_label, ref_instance, self.cfg, "reference")
        if ref.batch not in (1, layout.batch):
            raise ValueError(f"reference batch {ref.batch} must be 1 or the layout's {layout.batch}")
        z = self._restyle_z(layout, ref, self._z(ref, ref_image), _check_mapping(mapping))
        return self._generate(layout, n_samples, seed, z=z, sketch=sketch, output=output)

    def export_inputs(self, label, instance, n_instances: Optional[int] = None,
                      seed: Optional[int] = None) -> dict[str, np.ndarray]:
        """Inputs of a generator exported by :mod:`paddle_inade.export`, as float32 arrays.

        inade: ``input_semantics`` [N, semantic_nc, H, W], ``input_instances`` [N, K, H, W],
        ``noise`` [N, K, 2, noise_nc], ``noise_ins`` [N, z_dim]; the instance channels and
        noises beyond the layout's own count are zero-padded up to ``n_instances`` K (the
        count the program was exported with; empty channels do not change the image). The
        noises are drawn as :meth:`generate` draws its first sample, so the exported program
        gives ``generate(label, instance, seed=seed, output='float')[:, 0]``.
        spade: ``input_semantics`` (and ``z`` [N, z_dim] with use_vae).
        """
        layout = Layout(label, instance, self.cfg)
        self._check_size(layout)
        semantics, _, instances, _ = layout.inputs()
        if seed is not None:
            paddle.seed(seed)
        if not self.cfg.is_inade:
            feed = {"input_semantics": semantics.numpy()}
            if self.cfg.use_vae:
                feed["z"] = paddle.randn([layout.batch, self.cfg.z_dim]).numpy()
            return feed
        noise, noise_ins = self._noises(layout.batch, layout.n_instances)
        k = layout.n_instances if n_instances is None else int(n_instances)
        if k < layout.n_instances:
            raise ValueError(f"the layout has {layout.n_instances} instances but the exported program "
                             f"takes {k}: export with --n_instances {layout.n_instances} or more")
        pad = ((0, 0), (0, k - layout.n_instances), (0, 0), (0, 0))
        return {"input_semantics": semantics.numpy(), "input_instances": np.pad(instances.numpy(), pad),
                "noise": np.pad(noise.numpy(), pad), "noise_ins": noise_ins.numpy()}


# --------------------------------------------------------------------------- helpers
def _check_request(n_samples: int, output: str) -> None:
    if int(n_samples) < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")


def _check_mapping(mapping) -> dict[int, int]:
    if not isinstance(mapping, Mapping):
        raise ValueError(f"mapping must be a dict {{target instance id: reference instance id}}, got "
                         f"{type(mapping).__name__}")
    out = {}
    for target, source in mapping.items():
        if not (np.issubdtype(type(target), np.integer) and np.issubdtype(type(source), np.integer)):
            raise ValueError(f"mapping {target!r}: {source!r}: instance ids must be integers")
        out[int(target)] = int(source)
    return out


def _resolve_files(path: str, config, preset, which_epoch: str, encoder, ema: bool = True):
    """(cfg, generator file, encoder file or None) for :meth:`INADEPipeline.from_checkpoint`."""
    if os.path.isdir(path):
        cfg = _config_from(config, preset, read_saved_options(path))
        averaged = ema and run_weights(path, which_epoch, "G_ema") is not None
        suffix = "_ema" if averaged else ""
        g_file = run_weights(path, which_epoch, "G" + suffix)
        if g_file is None:
            raise FileNotFoundError(missing_weights_message(path, which_epoch, "G"))
        encoder = encoder or run_weights(path, which_epoch, "E" + suffix)
    elif os.path.isfile(path):
        cfg, g_file = _config_from(config, preset, None), path
    elif os.path.splitext(path)[1]:
        raise FileNotFoundError(f"{path}: no such generator file")
    else:
        check_run_folder(path)  # raises, naming the runs that are there
    if encoder is not None and not os.path.isfile(encoder):
        raise FileNotFoundError(f"{encoder}: no such encoder file")
    return cfg, g_file, None if encoder is None else os.fspath(encoder)


def _config_from(config, preset: Optional[str], saved: Optional[SavedOptions]) -> INADEConfig:
    """The options: ``config`` > options saved in the run folder > ``preset`` (as base)."""
    if isinstance(config, INADEConfig):
        return config
    if isinstance(config, Mapping):
        values, source = dict(config), "config"
    elif config is not None:
        values, source = read_options_file(config).model, os.fspath(config)
    elif saved is not None:
        if saved.train.get("model") == "smis":
            raise ValueError(f"{saved.path}: a GroupDNet run (--model smis), not INADE / SPADE; load it "
                             "with paddle_inade.smis.pipeline.GroupDNetPipeline (tools/test.py --model smis)")
        values, source = saved.model, saved.path
    elif preset is not None:
        return INADEConfig.preset(preset)
    else:
        raise ValueError("no model options: the folder has no opt.yaml or opt.txt and none were given; "
                         "pass config=... or preset=... (tools: --config FILE, --preset NAME or the "
                         "model options such as --dataset_mode, --norm_mode, --label_nc)")
    base = INADEConfig.preset(preset).to_dict() if preset else {}
    return INADEConfig.from_dict({**base, **values}, source=source)

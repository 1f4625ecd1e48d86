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
from .models import build_encoder, build_generator, preprocess_input
from .nn.modes import eval_mode
from .noise import Seed, draw_noises, generators
from .pipeline_base import SynthesisPipeline, for_inference, loading_scope, on_device
from .runs import check_run_folder, run_weight_files
from .saved_options import SavedOptions, read_options_file, read_saved_options
from .train_options import MODEL_CONFIGS
from .weights import load_weights

log = logging.getLogger(__name__)
PathLike = Union[str, os.PathLike]
OUTPUTS = ("uint8", "float")
STYLE_KEYS = ("s_mu", "s_logvar", "b_mu", "b_logvar")


# --------------------------------------------------------------------------- arrays
def _batch_map(array, name: str) -> np.ndarray:
    """[H, W] / [N, H, W] / [N, 1, H, W] integer map -> int64 [N, H, W]."""
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] in (3, 4) and min(array.shape[:2]) >= 4 * array.shape[2]:
        raise ValueError(f"{name} has shape {array.shape}, a colour image [H, W, {array.shape[2]}]: pass the "
                         "map of integer ids [H, W] (a single-channel PNG, read unchanged)")
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


def _batch_image(image, name: str = "image") -> np.ndarray:
    """uint8 [H, W, 3] / [N, H, W, 3] RGB in 0..255 -> float32 [N, 3, H, W] in [-1, 1]."""
    image = np.asarray(image)
    if image.ndim == 3:
        image = image[None]
    if image.ndim != 4 or image.shape[-1] != 3:
        raise ValueError(f"{name} must be uint8 RGB [H, W, 3] or [N, H, W, 3], got shape {image.shape}")
    if image.dtype != np.uint8:
        lo, hi = (float(image.min()), float(image.max())) if image.size else (0.0, 0.0)
        raise ValueError(f"{name} must be uint8 RGB in 0..255, got {image.dtype} in [{lo:g}, {hi:g}]"
                         + ("; for floats in [0, 1] pass (image * 255).round().astype(np.uint8)"
                            if image.dtype.kind == "f" else ""))
    return image.astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0


def to_uint8(fake: np.ndarray) -> np.ndarray:
    """[..., 3, H, W] float in [-1, 1] -> uint8 [..., H, W, 3] (rounded, clipped)."""
    hwc = np.moveaxis(np.asarray(fake), -3, -1)
    return np.clip((hwc + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- layouts
class UnknownInstanceError(ValueError):
    """An instance id that the instance map does not hold (a ValueError naming the ids it does)."""


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
            raise UnknownInstanceError(f"{self.name}: instance id {instance_id} does not exist in sample {sample} "
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
class INADEPipeline(SynthesisPipeline):
    """A generator (and encoder) run in eval mode, with NumPy in and out; networks passed in
    are left as they are (each call runs them in eval mode and gives their modes back).

    Call ``paddle_inade.setup_cpu_process()`` first thing in a script (threads, allocator, MKL):
    the pipeline runs without it, but on the CPU several times slower (README, Speed).

    Args:
        cfg: the model options the networks were built with.
        netG: the generator. netE: the instance encoder (needed by ``encode``/``restyle``
            and by ``generate(image=...)``), or None.
    """

    name = "inade"
    config_class = INADEConfig
    build_generator = staticmethod(build_generator)
    build_encoder = staticmethod(build_encoder)

    @property
    def takes_sketch(self) -> bool:
        """Whether ``generate`` needs the dataset's sketches (``add_sketch``)."""
        return self.cfg.add_sketch

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
        with loading_scope(device):
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
            for_inference(netG, netE)  # the pipeline's own networks: eval mode, spectral norms folded
            return cls(cfg, netG, netE)

    # --------------------------------------------------------------- internals
    def _check_size(self, layout: Layout) -> None:
        expected = tuple(self.cfg.image_size)
        if layout.label.shape[1:] != expected:
            raise ValueError(f"{layout.name} is {layout.label.shape[1]}x{layout.label.shape[2]} (HxW) but this "
                             f"model makes {expected[0]}x{expected[1]} images; resize it (nearest)")

    def _noises(self, layout: Layout, rngs) -> tuple[np.ndarray, np.ndarray]:
        """(noise [N, K, 2, noise_nc], noise_ins [N, z_dim]) float32, from ``rngs`` (one per layout)."""
        return draw_noises(rngs, [len(ids) for ids in layout.ids], layout.n_instances, self.cfg.z_dim,
                           self.cfg.noise_nc)

    def _generate(self, layout: Layout, n_samples: int, seed: Seed, z=None, sketch=None,
                  shared_noise: bool = False, output: str = "uint8") -> np.ndarray:
        """[N, S, H, W, 3] uint8 or [N, S, 3, H, W] float32; sample s draws all its noises anew."""
        _check_request(n_samples, output)
        self._check_size(layout)
        semantics, _, instances, sketch_t = layout.inputs(None, sketch)
        rngs = generators(seed, layout.batch)
        out = []
        with paddle.no_grad(), eval_mode(self.netG):
            for _ in range(n_samples):
                noise, noise_ins = self._noises(layout, rngs)
                if shared_noise:  # control: every instance gets the first one's noise
                    noise = np.broadcast_to(noise[:, :1], noise.shape)
                noise, noise_ins = paddle.to_tensor(np.ascontiguousarray(noise)), paddle.to_tensor(noise_ins)
                start = z
                if not self.cfg.is_inade:  # SPADE: a VAE model starts from z (drawn here), the others need none
                    start = noise_ins if z is None and self.cfg.use_vae else z
                    noise = None
                fake = self.netG(semantics, z=start, input_instances=instances, sketch=sketch_t,
                                 noise=noise, noise_ins=noise_ins)
                out.append(fake.numpy())
        fakes = np.stack(out, axis=1)
        return to_uint8(fakes) if output == "uint8" else fakes.astype(np.float32)

    def _encode(self, layout: Layout, image, name: str = "image") -> tuple:
        """(s_mu, s_logvar, b_mu, b_logvar) tensors, each [N, K, noise_nc]."""
        if self.netE is None:
            raise ValueError("this pipeline has no encoder (a model trained with --use_vae has "
                             "<epoch>_net_E.pdparams; with a bare file pass encoder=...)")
        image = _batch_image(image, name)
        if image.shape[0] != layout.batch or image.shape[2:] != layout.label.shape[1:]:
            raise ValueError(f"{name} {list(image.shape[:1]) + list(image.shape[2:])} (N, H, W) "
                             f"must match its instance map {list(layout.label.shape)}")
        _, image_t, instances, _ = layout.inputs(image)
        with paddle.no_grad(), eval_mode(self.netE):
            return self.netE(image_t, instances)

    def _z(self, layout: Layout, image, name: str = "image") -> list:
        """The generator's remapping [s_mu, s_std, b_mu, b_std] (std = exp(0.5 logvar))."""
        s_mu, s_lv, b_mu, b_lv = self._encode(layout, image, name)
        return [s_mu, paddle.exp(0.5 * s_lv), b_mu, paddle.exp(0.5 * b_lv)]

    def _restyle_z(self, layout: Layout, ref: Layout, z_ref: list, mapping: Mapping[int, int],
                   sample_style: bool) -> list:
        """Prior (mu 0, std 1) for every instance, then mapped ones take the reference's mu (and its
        std with ``sample_style``; else std 0: the posterior mean)."""
        shape = (layout.batch, layout.n_instances, self.cfg.noise_nc)
        z = [np.zeros(shape, np.float32), np.ones(shape, np.float32),
             np.zeros(shape, np.float32), np.ones(shape, np.float32)]
        ref_np = [t.numpy() for t in z_ref]
        for n in range(layout.batch):
            r = n if ref.batch > 1 else 0
            for target, source in mapping.items():
                t, s = layout.index_of(n, int(target)), ref.index_of(r, int(source))
                for part in range(4):
                    z[part][n, t] = ref_np[part][r, s] if sample_style or part in (0, 2) else 0.0
        return [paddle.to_tensor(p) for p in z]

    # ------------------------------------------------------------------- public
    @on_device
    def generate(self, label, instance, n_samples: int = 1, seed: Seed = None,
                 sketch=None, image=None, shared_noise: bool = False, output: str = "uint8") -> np.ndarray:
        """``n_samples`` images per layout.

        Args:
            label, instance: [H, W], [N, H, W] or [N, 1, H, W] integer maps of the model's size.
            n_samples: S; every sample draws new per-instance noise (and a new start vector),
                so each instance changes style independently.
            seed: the noise source (:mod:`paddle_inade.noise`): an int (same seed, same
                images), one int per layout (each layout's images then do not depend on the
                rest of the batch), a ``numpy.random.Generator``, or None (fresh randomness).
                Paddle's global random stream is neither used nor reseeded.
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

    @on_device
    def encode(self, image, instance) -> dict[str, np.ndarray]:
        """Per-instance distribution parameters of ``image`` (uint8 [H, W, 3] / [N, H, W, 3]).

        Returns:
            {'s_mu', 's_logvar', 'b_mu', 'b_logvar'}: float32 [N, K, noise_nc] each, K over the
            sorted instance ids of ``instance`` (the largest count in the batch).
        """
        inst = _batch_map(instance, "instance")
        layout = Layout(np.zeros_like(inst), inst, self.cfg, "instance")
        return {n: v.numpy() for n, v in zip(STYLE_KEYS, self._encode(layout, image))}

    @on_device
    def restyle(self, label, instance, ref_image, ref_label, ref_instance,
                mapping: Mapping[int, int], seed: Seed = None, n_samples: int = 1,
                sketch=None, output: str = "uint8", sample_style: bool = False) -> np.ndarray:
        """Give instance ``t`` of the layout the style of instance ``mapping[t]`` of the reference.

        The mapped instances take the reference instance's encoded style for both the scale and
        the bias noise; all others sample from the prior N(0, 1). By default a mapped instance
        gets the mean of the reference's encoded distribution (its noise is not drawn), so it
        looks as close to the reference as the model can make it in every sample; with
        ``sample_style=True`` its noise is drawn from that distribution (mu + std * noise), as the
        original's DeepFashion demo does for one instance (which aliased the scale and bias
        parameters of that instance; here they are kept apart). ``ref_*`` may be one layout
        (shared by the batch) or one per layout, of any size. With the identity mapping, the
        layout's own image as reference and ``sample_style=True``, the result equals
        ``generate(image=...)``.

        Returns: as :meth:`generate` (``n_samples`` per layout).
        Raises: ValueError for an id not in its map, or as :meth:`generate`.
        """
        layout = Layout(label, instance, self.cfg)
        ref = Layout(ref_label, ref_instance, self.cfg, "reference")
        if ref.batch not in (1, layout.batch):
            raise ValueError(f"reference batch {ref.batch} must be 1 or the layout's {layout.batch}")
        z = self._restyle_z(layout, ref, self._z(ref, ref_image, "reference image"), _check_mapping(mapping),
                            sample_style)
        return self._generate(layout, n_samples, seed, z=z, sketch=sketch, output=output)

    @on_device
    def synthesize(self, label, instance, noise, noise_ins, styles: Optional[Mapping] = None,
                   sketch=None, output: str = "uint8") -> np.ndarray:
        """One image per layout from explicit noises: nothing random is drawn (inade models).

        Args:
            label, instance: [H, W], [N, H, W] or [N, 1, H, W] integer maps of the model's size.
            noise: float [N, K, 2, noise_nc]: per-instance scale (``[:, :, 0]``) and bias
                (``[:, :, 1]``) noise, K over the sorted instance ids (the largest count in
                the batch). noise_ins: float [N, z_dim], the generator's start vector.
            styles: None (prior: the noise as it is), or per-instance distributions as
                :meth:`encode` returns them, ``{'s_mu', 's_logvar', 'b_mu', 'b_logvar'}`` each
                [N, K, noise_nc]: the noise becomes ``noise * exp(0.5 * logvar) + mu``.
            sketch, output: as :meth:`generate`.
        Returns:
            uint8 [N, H, W, 3] or float32 [N, 3, H, W] in [-1, 1].
        """
        if not self.cfg.is_inade:
            raise ValueError("synthesize needs an inade model (norm_mode inade); use generate for spade")
        _check_request(1, output)
        layout = Layout(label, instance, self.cfg)
        self._check_size(layout)
        semantics, _, instances, sketch_t = layout.inputs(None, sketch)
        z = None
        if styles is not None:
            missing = [k for k in STYLE_KEYS if k not in styles]
            if missing:
                raise ValueError(f"styles lacks {missing} (expected the keys {list(STYLE_KEYS)})")
            mu_std = [styles["s_mu"], np.exp(0.5 * np.asarray(styles["s_logvar"])),
                      styles["b_mu"], np.exp(0.5 * np.asarray(styles["b_logvar"]))]
            z = [paddle.to_tensor(np.asarray(t, np.float32)) for t in mu_std]
        with paddle.no_grad(), eval_mode(self.netG):
            fake = self.netG(semantics, z=z, input_instances=instances, sketch=sketch_t,
                             noise=paddle.to_tensor(np.asarray(noise, np.float32)),
                             noise_ins=paddle.to_tensor(np.asarray(noise_ins, np.float32))).numpy()
        return to_uint8(fake) if output == "uint8" else fake.astype(np.float32)

    @on_device
    def export_inputs(self, label, instance, n_instances: Optional[int] = None,
                      seed: Seed = None) -> dict[str, np.ndarray]:
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
        k = layout.n_instances if n_instances is None else int(n_instances)
        if k < layout.n_instances:
            raise ValueError(f"the layout has {layout.n_instances} instances but the exported program "
                             f"takes {k}: export with --n_instances {layout.n_instances} or more")
        noise, noise_ins = self._noises(layout, generators(seed, layout.batch))
        if not self.cfg.is_inade:
            feed = {"input_semantics": semantics.numpy()}
            if self.cfg.use_vae:
                feed["z"] = noise_ins
            return feed
        pad = ((0, 0), (0, k - layout.n_instances), (0, 0), (0, 0))
        return {"input_semantics": semantics.numpy(), "input_instances": np.pad(instances.numpy(), pad),
                "noise": np.pad(noise, pad), "noise_ins": noise_ins}


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
        g_file, e_file = run_weight_files(path, which_epoch, ema)
        encoder = encoder or e_file
    elif os.path.isfile(path):
        cfg, g_file = _config_from(config, preset, None), path
    elif os.path.splitext(path)[1]:
        raise FileNotFoundError(f"{path}: no such generator file")
    else:
        check_run_folder(path)  # raises, naming the runs that are there
    if encoder is not None and not os.path.isfile(encoder):
        raise FileNotFoundError(f"{encoder}: no such encoder file")
    return cfg, g_file, None if encoder is None else os.fspath(encoder)


def _check_family(saved: SavedOptions) -> None:
    """A ValueError naming what loads the run when ``saved`` is another family's run."""
    model = str(saved.train.get("model", INADEConfig.model_names[0]))
    other = MODEL_CONFIGS.get(model, INADEConfig)
    if other is not INADEConfig:
        raise ValueError(f"{saved.path}: a {other.title} run (--model {model}), not INADE / SPADE; load it "
                         f"with {other.tools_hint}")


def _config_from(config, preset: Optional[str], saved: Optional[SavedOptions]) -> INADEConfig:
    """The options: ``config`` > options saved in the run folder > ``preset`` (as base)."""
    if isinstance(config, INADEConfig):
        return config
    if isinstance(config, Mapping):
        values, source = dict(config), "config"
    elif config is not None:
        values, source = read_options_file(config).model, os.fspath(config)
    elif saved is not None:
        _check_family(saved)
        values, source = saved.model, saved.path
    elif preset is not None:
        return INADEConfig.preset(preset)
    else:
        raise ValueError("no model options: the folder has no opt.yaml or opt.txt and none were given; "
                         "pass config=... or preset=... (tools: --config FILE, --preset NAME or the "
                         "model options such as --dataset_mode, --norm_mode, --label_nc)")
    base = INADEConfig.preset(preset).to_dict() if preset else {}
    return INADEConfig.from_dict({**base, **values}, source=source)

"""GroupDNetPipeline: generate with class-wise codes, resample one class, encode from a photo.

    pipe = GroupDNetPipeline.from_checkpoint("checkpoints/toy_smis")        # or an SMIS folder
    images = pipe.generate(label, n_samples=4, seed=0)                     # uint8 [N, S, H, W, 3]
    images = pipe.resample(label, class_id=3, n_samples=4, seed=0)         # only class 3 changes
    codes = pipe.encode(label, photo)                                      # per-class mu / logvar

The code z [N, 8 L, sh, sw] holds 8 channels per class (channels 8c..8c+7: class c). As SMIS's
test, codes are drawn as [N, L, 8, sh * sw] normals and reshaped; ``resample`` keeps one draw and
redraws class c's slice for every sample (SMIS's ``--test_mask c``). Layouts: ``label`` [H, W] /
[N, H, W] / [N, 1, H, W] class ids (dontcare already ``label_nc``); ``instance`` likewise, needed
only by models with instance edges (None: every class region is one instance). Photos are uint8
[H, W, 3] / [N, H, W, 3]. Randomness comes from ``seed`` only (NumPy generators; Paddle's global
RNG is not touched).
"""
from __future__ import annotations

import logging
import os
from typing import Mapping, Optional, Union

import numpy as np
import paddle

from ..device import cpu_threads
from ..models import preprocess_input
from ..nn import SpectralConv2D
from ..nn.modes import eval_mode, sublayer_attribute
from ..nn.onednn_program import ProgramCache, check_impl, choose_impl, fall_back
from ..noise import Seed, generators
from ..pipeline import _batch_image, _batch_map, to_uint8
from ..pipeline_base import SynthesisPipeline, for_inference, loading_scope, on_device
from ..runs import check_run_folder, run_weight_files, run_weights
from ..saved_options import read_saved_options
from ..weights import load_weights
from . import build_encoder, build_generator
from .config import MODEL_NAME, SMISConfig
from .class_crops import encoder_input
from .plan import CODE_NC

log = logging.getLogger(__name__)
PathLike = Union[str, os.PathLike]


class GroupDNetPipeline(SynthesisPipeline):
    """Inference with a GroupDNet generator (and, for ``encode``, its encoder).

    Each call runs the networks in eval mode and gives their modes back; networks passed in are
    otherwise left as they are. The loaders fold the spectral norms of the networks they build
    into the convolutions (:func:`~paddle_inade.nn.remove_spectral_norm`: same outputs).

    On the CPU the generator runs as a Paddle Inference program with oneDNN
    (:mod:`~paddle_inade.nn.onednn_program`), several times faster than eagerly: one program per
    input size, built at its first call from the generator's weights as they are then, rebuilt
    when they change (the encoder stays eager: as a program it took 3x as long). ``impl``: 'auto'
    (that, on the CPU, for a generator whose spectral norms are folded, as the loaders do),
    'onednn', or 'reference' (eager, as on a GPU).
    """

    name = MODEL_NAME
    config_class = SMISConfig
    build_generator = staticmethod(build_generator)
    build_encoder = staticmethod(build_encoder)

    takes_sketch = False  # GroupDNet takes no sketch (see generate)

    def __init__(self, cfg, netG, netE=None, impl: str = "auto"):
        super().__init__(cfg, netG, netE)
        self.impl = check_impl(impl)
        self._programs = ProgramCache(_GeneratorCall)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_checkpoint(cls, path: PathLike, config: Union[SMISConfig, Mapping, None] = None,
                        preset: Optional[str] = None, which_epoch: str = "latest",
                        encoder: Optional[PathLike] = None, device: Optional[str] = None,
                        ema: bool = True, impl: str = "auto", **options) -> "GroupDNetPipeline":
        """Load a run of ``tools/train.py --model smis`` (``opt.yaml`` + ``<epoch>_net_G.pdparams``),
        a folder of SMIS's own checkpoints (``<epoch>_net_G.pth``, options from ``preset``,
        ``config`` and ``options`` such as ``netG='ADE20K', ngf=64``) or one generator file.

        The encoder is loaded when its file is there (``<epoch>_net_E.*`` or ``encoder``). ``ema``:
        in a run folder, take the weight averages (``<epoch>_net_G_ema`` and ``_net_E_ema``, written
        when trained with ``--ema_nimg``) when there are any, as INADEPipeline; False takes the
        trained weights themselves. Spectral norms are folded into the convolutions (inference only).
        ``impl``: as the constructor's.
        """
        with loading_scope(device):
            cfg, g_file, e_file = resolve_checkpoint(os.fspath(path), config, preset, which_epoch, encoder,
                                                     options, ema)
            netG = build_generator(cfg, init=False)
            load_weights(netG, g_file)
            netE = None
            if e_file is not None:
                netE = build_encoder(cfg, init=False)
                load_weights(netE, e_file)
            for_inference(netG, netE)  # eval mode, spectral norms folded (sigma once, not per forward)
            return cls(cfg, netG, netE, impl=impl)

    # ------------------------------------------------------------------ inputs
    def _semantics(self, label, instance=None, image=None):
        label = _batch_map(label, "label")
        limit = self.cfg.label_channels
        if label.min() < 0 or label.max() >= limit:
            dontcare = " + dontcare" if self.cfg.contain_dontcare_label else ""
            raise ValueError(f"label: class {int(label.max() if label.max() >= limit else label.min())} "
                             f"found but the model has label_nc {self.cfg.label_nc}{dontcare} (ids 0.."
                             f"{limit - 1}); check --label_nc / the dataset's classes")
        if list(label.shape[1:]) != list(self.cfg.image_size):
            raise ValueError(f"label is {list(label.shape[1:])} but the model makes "
                             f"{list(self.cfg.image_size)} images (crop_size, aspect_ratio)")
        instance = label if instance is None else _batch_map(instance, "instance")
        if instance.shape != label.shape:
            raise ValueError(f"instance map {list(instance.shape)} must have the label map's shape "
                             f"{list(label.shape)}")
        data = {"label": label[:, None], "instance": instance[:, None]}
        if image is not None:
            data["image"] = _batch_image(image)
            if data["image"].shape[2:] != label.shape[1:]:
                raise ValueError(f"photo {list(data['image'].shape[2:])} and label {list(label.shape[1:])} "
                                 "differ in size")
        semantics, image, _, _ = preprocess_input(data, self.cfg)
        return semantics, image

    def check_class(self, class_id: int, option: str = "--test_mask") -> int:
        """``class_id`` as an int in 0..semantic_nc-1, or a ValueError naming ``option``."""
        if not isinstance(class_id, (int, np.integer)) or not 0 <= int(class_id) < self.cfg.semantic_nc:
            raise ValueError(f"{option} {class_id}: the model has class codes 0..{self.cfg.semantic_nc - 1} "
                             f"(semantic_nc {self.cfg.semantic_nc}, label_nc {self.cfg.label_nc})")
        return int(class_id)

    def sample_codes(self, batch: int, seed: Seed = None) -> np.ndarray:
        """float32 [N, 8 L, sh, sw] from N(0, 1), drawn per class as SMIS does ([L, 8, sh * sw] per
        layout). ``seed``: see :mod:`paddle_inade.noise` (an int, one int per layout, a Generator)."""
        return self._codes(generators(seed, batch))

    def _codes(self, rngs: list) -> np.ndarray:
        sh, sw = self.cfg.latent_size
        draws = [rng.standard_normal((self.cfg.semantic_nc, CODE_NC, sh * sw), dtype=np.float32) for rng in rngs]
        return np.stack(draws).reshape(len(rngs), self.cfg.code_nc, sh, sw)

    def _program(self, semantics, codes: np.ndarray):
        """The oneDNN program of the generator for these shapes, or None for the eager path."""
        spectral = any(isinstance(layer, SpectralConv2D) for layer in self.netG.sublayers())
        if self.impl == "onednn" and spectral:
            raise ValueError("impl='onednn' needs the generator's spectral norms folded "
                             "(paddle_inade.nn.remove_spectral_norm, as the loaders do)")
        if spectral or choose_impl(self.impl, self.device) != "onednn":
            return None
        with sublayer_attribute(self.netG, "impl", "reference"):  # oneDNN's own grouped kernels
            return self._programs.get(self.netG, [semantics.shape, codes.shape], cpu_threads())

    def _run(self, semantics, codes: np.ndarray) -> np.ndarray:
        """semantics [N, semantic_nc, H, W], codes [N, 8 L, sh, sw] -> float32 [N, 3, H, W]."""
        with paddle.no_grad(), eval_mode(self.netG):
            try:
                program = self._program(semantics, codes)
                if program is not None:
                    return program(semantics.numpy(), codes)
            except Exception as exc:  # noqa: BLE001  (the fast path failed: the reference runs)
                fall_back(self, exc, "program")
            return self.netG(semantics, paddle.to_tensor(codes)).numpy()

    # ------------------------------------------------------------------ public
    @on_device
    def generate(self, label, instance=None, n_samples: int = 1, seed: Seed = None,
                 codes: Optional[np.ndarray] = None, image=None, sketch=None) -> np.ndarray:
        """uint8 [N, S, H, W, 3]: ``n_samples`` images per layout, each from fresh class codes
        (or from ``codes`` [N, 8 L, sh, sw] for every sample; or, with ``image``, from the codes'
        means encoded from that photo). ``sketch`` is not used by GroupDNet and must be None."""
        if sketch is not None:
            raise ValueError("GroupDNet takes no sketch")
        _check_n(n_samples)
        semantics, _ = self._semantics(label, instance)
        rngs = generators(seed, semantics.shape[0])
        if image is not None:
            codes = self.encode(label, image, instance)["mu"]
        outs = [self._run(semantics, codes if codes is not None else self._codes(rngs)) for _ in range(n_samples)]
        return to_uint8(np.stack(outs, axis=1))

    @on_device
    def resample(self, label, class_id: int, instance=None, n_samples: int = 1,
                 seed: Seed = None, codes: Optional[np.ndarray] = None) -> np.ndarray:
        """uint8 [N, S, H, W, 3]: one set of codes (``codes`` or drawn), and for each sample class
        ``class_id``'s 8 channels drawn anew (SMIS's ``--test_mask``): only that class should change."""
        class_id = self.check_class(class_id, "class_id (--test_mask)")
        _check_n(n_samples)
        semantics, _ = self._semantics(label, instance)
        rngs = generators(seed, semantics.shape[0])
        base = self._codes(rngs) if codes is None else np.array(codes, np.float32)
        outs = []
        for _ in range(n_samples):
            fresh = self._codes(rngs)
            z = base.copy()
            z[:, CODE_NC * class_id:CODE_NC * (class_id + 1)] = fresh[:, CODE_NC * class_id:CODE_NC * (class_id + 1)]
            outs.append(self._run(semantics, z))
        return to_uint8(np.stack(outs, axis=1))

    @on_device
    def encode(self, label, image, instance=None) -> dict[str, np.ndarray]:
        """{'mu', 'logvar'}: float32 [N, 8 L, sh, sw], every class's code distribution in ``image``."""
        if self.netE is None:
            raise ValueError("no encoder loaded (<epoch>_net_E beside the generator, or encoder=FILE)")
        semantics, photo = self._semantics(label, instance, image)
        with paddle.no_grad(), eval_mode(self.netE):
            mu, logvar = self.netE(encoder_input(self.cfg, semantics, photo))
        return {"mu": mu.numpy(), "logvar": logvar.numpy()}

    def with_test_mask(self, class_id: int) -> "_TestMaskView":
        """A view whose ``generate`` resamples only ``class_id`` (for batch tools)."""
        return _TestMaskView(self, self.check_class(class_id))


class _GeneratorCall(paddle.nn.Layer):
    """``netG(semantics, z)`` as one layer, for the exported program."""

    def __init__(self, netG):
        super().__init__()
        self.netG = netG

    def forward(self, semantics, z):
        return self.netG(semantics, z)


class _TestMaskView:
    takes_sketch = False

    def __init__(self, pipe: GroupDNetPipeline, class_id: int):
        self.pipe, self.class_id, self.cfg = pipe, class_id, pipe.cfg

    def generate(self, label, instance=None, n_samples: int = 1, seed=None, sketch=None, image=None):
        return self.pipe.resample(label, self.class_id, instance, n_samples, seed)


def _check_n(n_samples: int) -> None:
    if int(n_samples) < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")


def resolve_checkpoint(path: str, config, preset, which_epoch: str, encoder, options: Mapping,
                       ema: bool = True):
    """(SMISConfig, generator file, encoder file or None) for :meth:`GroupDNetPipeline.from_checkpoint`
    (in a run folder, the weight averages when ``ema`` and the run has them)."""
    if os.path.isfile(path):
        cfg, g_file = _config(config, preset, options, None, path), path
    elif os.path.splitext(path)[1]:
        raise FileNotFoundError(f"{path}: no such generator file")
    else:
        check_run_folder(path)  # raises, naming the runs that are there
        cfg = _config(config, preset, options, read_saved_options(path), path)
        if run_weights(path, which_epoch, "G") is None:
            raise FileNotFoundError(f"{path}: no {which_epoch}_net_G.pdparams or {which_epoch}_net_G.pth "
                                    f"(the folder holds: {', '.join(sorted(os.listdir(path))[:8])})")
        g_file, e_file = run_weight_files(path, which_epoch, ema)
        encoder = encoder or e_file
    if encoder is not None and not os.path.isfile(encoder):
        raise FileNotFoundError(f"{encoder}: no encoder checkpoint")
    return cfg, g_file, None if encoder is None else os.fspath(encoder)


def _config(config, preset, options: Mapping, saved, where: str) -> SMISConfig:
    """config > options > the options saved with a ``--model smis`` run > preset."""
    if isinstance(config, SMISConfig):
        return config.replace(**options) if options else config
    values = {}
    if saved is not None:
        if saved.train.get("model", "inade") != MODEL_NAME:
            raise ValueError(f"{saved.path}: an INADE / SPADE run (--model inade), not GroupDNet; load it "
                             "with INADEPipeline (tools/test.py without --model smis)")
        values = dict(saved.model)
    elif preset is None and config is None and not options:
        raise ValueError(f"{where}: no model options (no opt.yaml): pass preset=... or SMIS's options "
                         "(tools: --preset NAME, or --netG --ngf --dataset_mode ... as in SMIS's scripts)")
    base = SMISConfig.preset(preset).to_dict() if preset else {}
    return SMISConfig.from_dict({**base, **values, **dict(config or {}), **options}, source=where)

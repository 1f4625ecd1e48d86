"""Training an AdaIN decoder as pytorch-AdaIN's ``train.py`` does, with exact resume.

Iteration ``i`` (from 0): lr = ``lr / (1 + lr_decay * i)``; a content and a style batch;
``loss = content_weight * loss_c + style_weight * loss_s`` (:class:`~.net.Net`); one Adam
step on the decoder. VisualDL scalars ``loss_content`` / ``loss_style`` (the original's
TensorBoard tags, weighted as it logs them) and ``lr`` at every iteration; at every save an
image grid (content | style | output) under the tag ``samples`` and as
``save_dir/samples/iter_<n>.png``.

``save_dir`` holds ``decoder_iter_<n>.pdparams`` every ``save_model_interval`` iterations and
at the end (the original's ``decoder_iter_<n>.pth.tar``), ``vgg.pdparams`` (the encoder the
decoder is trained for), ``opt.yaml`` and the resume state ``latest_net_decoder.pdparams``,
``latest_optim.pdopt``, ``latest_trainer.pdstate``, each save written under temporary names
and renamed when complete. The decoder starts from PyTorch's default initialisation drawn
with ``seed``; the data order and crops are functions of ``(seed, iteration)``
(:mod:`.data`), so a resumed run continues exactly as the uninterrupted one.
"""
from __future__ import annotations

import logging
import os
from typing import Callable, Optional

import numpy as np
import paddle
import yaml

from ..data.visualize import make_grid, save_image
from ..engine.checkpoints import load_checkpoint, save_checkpoint
from ..engine.trainer import TrainingDiverged
from ..saved_options import contradiction_text, contradictions
from ..files import atomic_save, atomic_write_text
from .data import BatchStream, FlatFolderDataset
from .decoder import Decoder, init_decoder
from .function import adaptive_instance_normalization
from .net import Net
from .train_options import DEFAULT_VGG, IMAGENET, PER_RUN, TrainConfig
from .vgg import VGGEncoder
from .weights import imagenet_vgg_state, load_encoder_weights

log = logging.getLogger(__name__)
VGG_NAME, OPTIONS_NAME, TAG = "vgg.pdparams", "opt.yaml", "latest"


def data_roots(cfg: TrainConfig) -> tuple[str, str]:
    """(content folder, style folder); the demo's are generated on first use."""
    if not cfg.demo:
        return cfg.content_dir, cfg.style_dir
    from ..data.textures import ensure_texture_dataset
    from ..data.toy_scenes import ensure_toy_dataset
    return os.path.join(ensure_toy_dataset(), "train_img"), ensure_texture_dataset()


def _check_fresh(cfg: TrainConfig) -> None:
    if not os.path.isdir(cfg.save_dir) or cfg.overwrite:
        return
    existing = [f for f in os.listdir(cfg.save_dir) if f.endswith((".pdparams", ".pdstate"))]
    if existing:
        raise FileExistsError(f"{cfg.save_dir} already holds checkpoints ({len(existing)} files): pass "
                              "--continue_train to resume, another --save_dir, or --overwrite")


def _check_resume(cfg: TrainConfig) -> None:
    path = os.path.join(cfg.save_dir, OPTIONS_NAME)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--continue_train: {path} not found (no run to resume in {cfg.save_dir})")
    with open(path, encoding="utf-8") as fh:
        saved = yaml.safe_load(fh) or {}
    conflicts = contradictions(saved, {k: v for k, v in cfg.to_dict().items() if k not in PER_RUN})
    if conflicts:
        raise ValueError(f"--continue_train with other options than {path}: " + contradiction_text(conflicts))


def build_encoder(cfg: TrainConfig) -> VGGEncoder:
    """The frozen encoder: on resume the run's own ``vgg.pdparams``, else ``--vgg`` (or the
    ImageNet VGG-19 when none is given and models/vgg_normalised.pth does not exist)."""
    encoder = VGGEncoder()
    source = cfg.resolved_vgg()
    if cfg.continue_train:
        load_encoder_weights(encoder, os.path.join(cfg.save_dir, VGG_NAME), "the resumed run")
    elif source == IMAGENET:
        if cfg.vgg is None:
            log.warning("no --vgg and no %s: using Paddle's ImageNet VGG-19 (not the released normalised "
                        "VGG; a decoder trained here belongs to it)", DEFAULT_VGG)
        try:
            state = imagenet_vgg_state(encoder.n_layers)
        except RuntimeError as exc:
            given = "--vgg imagenet" if cfg.vgg else f"no --vgg given and {DEFAULT_VGG} does not exist"
            raise RuntimeError(f"{given}: {exc}") from exc
        load_encoder_weights(encoder, state, "--vgg")
    else:
        load_encoder_weights(encoder, source, "--vgg")
    encoder.eval()
    return encoder


def _to_tensor(batch: np.ndarray) -> paddle.Tensor:
    """uint8 [N, H, W, 3] -> float32 [N, 3, H, W] in [0, 1] (ToTensor)."""
    return paddle.to_tensor(batch.transpose(0, 3, 1, 2).astype(np.float32) / 255.0)


def sample_grid(net: Net, content: np.ndarray, style: np.ndarray, n: int = 4) -> np.ndarray:
    """uint8 grid: one row per sample (up to ``n``): content | style | stylised output."""
    with paddle.no_grad():
        c, s = _to_tensor(content[:n]), _to_tensor(style[:n])
        out = net.decoder(adaptive_instance_normalization(net.encode(c), net.encode(s))).numpy()
    h, w = content.shape[1:3]
    out = np.clip(out[:, :, :h, :w].transpose(0, 2, 3, 1) * 255 + 0.5, 0, 255).astype(np.uint8)
    return make_grid([[c_, s_, o] for c_, s_, o in zip(content[:n], style[:n], out)])


class AdaINTrainer:
    """Builds the networks, optimiser and data of ``cfg`` and runs the iterations."""

    def __init__(self, cfg: TrainConfig):
        cfg.check()
        self.cfg = cfg
        if cfg.continue_train:
            _check_resume(cfg)
        else:
            _check_fresh(cfg)
        encoder = build_encoder(cfg)  # first: a missing VGG is reported before any data is generated
        content_root, style_root = data_roots(cfg)
        self.content = FlatFolderDataset(content_root, "content_dir", cfg.load_size, cfg.crop_size)
        self.style = FlatFolderDataset(style_root, "style_dir", cfg.load_size, cfg.crop_size)
        decoder = Decoder()
        init_decoder(decoder, cfg.seed)
        self.net = Net(encoder, decoder)
        self.optimizer = paddle.optimizer.Adam(learning_rate=cfg.lr, parameters=decoder.parameters())
        self.iteration = 0
        if cfg.continue_train:
            state = load_checkpoint(cfg.save_dir, TAG, {"decoder": decoder}, {"decoder": self.optimizer})
            self.iteration = int(state["iteration"])
        else:
            os.makedirs(cfg.save_dir, exist_ok=True)
            atomic_save(os.path.join(cfg.save_dir, VGG_NAME), self.net.encoder.state_dict())
            atomic_write_text(os.path.join(cfg.save_dir, OPTIONS_NAME), yaml.safe_dump(cfg.to_dict(), sort_keys=False))

    def lr_at(self, iteration: int) -> float:
        """The original's ``adjust_learning_rate``."""
        return self.cfg.lr / (1.0 + self.cfg.lr_decay * iteration)

    def step(self, content: np.ndarray, style: np.ndarray) -> tuple[float, float]:
        """One iteration on uint8 batches; returns the weighted (loss_c, loss_s)."""
        self.optimizer.set_lr(self.lr_at(self.iteration))
        loss_c, loss_s = self.net(_to_tensor(content), _to_tensor(style))
        loss_c, loss_s = self.cfg.content_weight * loss_c, self.cfg.style_weight * loss_s
        values = float(loss_c), float(loss_s)
        for name, value in zip(("content", "style"), values):
            if not np.isfinite(value):
                raise TrainingDiverged(f"{name} loss is {value} at iteration {self.iteration + 1}; "
                                       "nothing saved over the last checkpoint (lower --lr?)")
        self.optimizer.clear_grad()
        (loss_c + loss_s).backward()
        self.optimizer.step()
        self.iteration += 1
        return values

    def save(self, content: np.ndarray, style: np.ndarray, writer) -> str:
        """decoder_iter_<n>.pdparams, the resume state, and the sample grid."""
        n, save_dir = self.iteration, self.cfg.save_dir
        path = os.path.join(save_dir, f"decoder_iter_{n}.pdparams")
        atomic_save(path, self.net.decoder.state_dict())
        save_checkpoint(save_dir, TAG, {"decoder": self.net.decoder}, {"decoder": self.optimizer},
                        {"iteration": n})
        grid = sample_grid(self.net, content, style)
        os.makedirs(os.path.join(save_dir, "samples"), exist_ok=True)
        save_image(os.path.join(save_dir, "samples", f"iter_{n:06d}.png"), grid)
        writer.add_image("samples", grid, n, dataformats="HWC")
        return path

    def train(self, report: Optional[Callable[[int, float, float, float], None]] = None) -> list[str]:
        """Iterate up to ``max_iter``; ``report(iteration, loss_c, loss_s, lr)`` after each.
        Returns the decoder files written."""
        from visualdl import LogWriter
        cfg = self.cfg
        content_stream = BatchStream(self.content, cfg.batch_size, cfg.seed + 1, cfg.n_threads)
        style_stream = BatchStream(self.style, cfg.batch_size, cfg.seed + 2, cfg.n_threads)
        written = []
        self.net.train()
        with LogWriter(logdir=cfg.log_dir) as writer:
            try:
                while self.iteration < cfg.max_iter:
                    lr = self.lr_at(self.iteration)
                    content = content_stream.batch(self.iteration)
                    style = style_stream.batch(self.iteration)
                    loss_c, loss_s = self.step(content, style)
                    for tag, value in (("loss_content", loss_c), ("loss_style", loss_s), ("lr", lr)):
                        writer.add_scalar(tag, value, self.iteration)
                    if report is not None:
                        report(self.iteration, loss_c, loss_s, lr)
                    if self.iteration % cfg.save_model_interval == 0 or self.iteration == cfg.max_iter:
                        written.append(self.save(content, style, writer))
            finally:
                content_stream.close()
                style_stream.close()
        return written

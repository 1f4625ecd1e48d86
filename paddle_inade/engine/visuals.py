"""VisualDL logging: loss scalars and image grids of the current generator."""
from __future__ import annotations

import os

import numpy as np
import paddle

from ..config import INADEConfig
from ..models import preprocess_input


class VisualLogger:
    """Writes under ``logdir`` (``visualdl --logdir <it>`` shows it).

    Scalars: ``loss/<term>`` for every loss term, ``lr/G`` and ``lr/D``. Images:
    ``samples``: one row per batch element (up to 4): label colours | instance
    boundaries | real | reconstruction (encoder-driven, with an encoder) | K samples
    drawn from the prior with different noise.
    """

    def __init__(self, logdir: str, cfg: INADEConfig, style_codes):
        """``style_codes``: the model family's encoder step (see :func:`sample_grid`)."""
        from visualdl import LogWriter
        self.writer = LogWriter(logdir=logdir)
        self.logdir = logdir
        self.cfg = cfg
        self.style_codes = style_codes

    def scalars(self, losses: dict, lr_g: float, lr_d: float, step: int) -> None:
        for key, value in losses.items():
            self.writer.add_scalar(f"loss/{key}", float(value), step)
        self.writer.add_scalar("lr/G", float(lr_g), step)
        self.writer.add_scalar("lr/D", float(lr_d), step)
        self.writer.flush()

    def samples(self, netG, netE, batch: dict, step: int, n_samples: int, seed: int,
                png_dir: str | None = None) -> None:
        """Log the grid of :func:`sample_grid` as image tag ``samples``; also write
        ``png_dir/step_<step>.png``."""
        grid = sample_grid(netG, netE, batch, self.cfg, self.style_codes, n_samples, seed)
        self.writer.add_image("samples", grid, step, dataformats="HWC")
        self.writer.flush()
        if png_dir is not None:
            from ..data.visualize import save_image
            os.makedirs(png_dir, exist_ok=True)
            save_image(os.path.join(png_dir, f"step_{step:06d}.png"), grid)

    def quality(self, scalars: dict, step: int) -> None:
        """Log the quality measure's numbers as ``quality/<name>``."""
        for key, value in scalars.items():
            self.writer.add_scalar(f"quality/{key}", float(value), step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def sample_grid(netG, netE, batch: dict, cfg: INADEConfig, style_codes, n_samples: int, seed: int,
                max_rows: int = 4) -> np.ndarray:
    """uint8 [H', W', 3] grid of ``netG``'s outputs for ``batch`` (``netE``: encoder or None;
    ``style_codes(netE, cfg, semantics, image, instances)``: the family's z encoded from the photo).

    Rows (up to ``max_rows`` batch elements): label colours | instance boundaries | real |
    reconstruction (from the encoded photo, with an encoder) | ``n_samples`` prior samples. Runs
    in eval mode under a fixed seed and restores the modes and the RNG state, so logging does not
    change the training run.
    """
    from ..data.visualize import colorize_label, instance_boundaries, make_grid, to_uint8_image
    rng_state = paddle.get_rng_state()
    nets = [net for net in (netG, netE) if net is not None]
    modes = [net.training for net in nets]
    for net in nets:
        net.eval()
    try:
        paddle.seed(seed)
        semantics, image, instances, sketch = preprocess_input(batch, cfg)
        columns = []
        with paddle.no_grad():
            if netE is not None:
                z = style_codes(netE, cfg, semantics, image, instances)
                columns.append(netG(semantics, z=z, input_instances=instances, sketch=sketch))
            for _ in range(n_samples):
                columns.append(netG(semantics, input_instances=instances, sketch=sketch))
        label = np.asarray(batch["label"])[:, 0]
        inst = np.asarray(batch["instance"])[:, 0]
        rows = []
        for b in range(min(label.shape[0], max_rows)):
            real = to_uint8_image(image[b].numpy())
            rows.append([colorize_label(label[b], cfg.label_channels), instance_boundaries(inst[b], real),
                         real] + [to_uint8_image(col[b].numpy()) for col in columns])
        return make_grid(rows)
    finally:
        for net, mode in zip(nets, modes):
            net.train() if mode else net.eval()
        paddle.set_rng_state(rng_state)

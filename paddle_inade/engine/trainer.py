"""The training loop: the original's Pix2PixTrainer behaviour with exact resume.

Per iteration: one generator step, then ``D_steps_per_G`` discriminator steps. The
learning rate is constant for ``niter`` epochs then decays linearly to 0 over
``niter_decay`` epochs. Data order and augmentation are a function of (seed, epoch,
index), and the Paddle RNG state is saved with every checkpoint, so a resumed run
continues with exactly the batches and noises the uninterrupted run would have used.
"""
from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from typing import Callable, Optional

import paddle
from tqdm import tqdm

from ..config import INADEConfig
from ..family import ModelFamily
from ..models import preprocess_input
from ..files import atomic_write_text
from .checkpoints import load_checkpoint, save_checkpoint
from .trainer_state import decode_rng_state, encode_rng_state
from .ema import WeightAverage
from .optim import OptimSettings, make_optimizers, set_learning_rates
from .options import TrainOptions, options_to_yaml
from .sampling import EpochBatchSampler, SeededDataset
from .step import discriminator_step, generator_step
from .visuals import VisualLogger

log = logging.getLogger(__name__)


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite."""


class TrainingInterrupted(Exception):
    """:meth:`Trainer.train` stopped because ``should_stop()`` said so, after saving the
    checkpoint ``latest`` of the last finished step (``state``)."""

    def __init__(self, state: "TrainerState", directory: str):
        super().__init__(f"stopped after step {state.total_steps}; saved {directory}/latest")
        self.state, self.directory = state, directory


@dataclass
class TrainerState:
    """Where training stands: the next epoch / batch to run and the steps done."""

    epoch: int = 1
    epoch_iter: int = 0
    total_steps: int = 0


class Trainer:
    """Builds everything from the three option groups and runs :meth:`train`."""

    def __init__(self, model_cfg: INADEConfig, data_cfg, opts: TrainOptions, dataset,
                 collate_fn=None, should_stop: Optional[Callable[[], bool]] = None, *, family: ModelFamily,
                 on_step: Optional[Callable[[int, int], None]] = None):
        """``family``: the model family of ``model_cfg`` (its training model, style codes and
        pipeline; :func:`paddle_inade.families.family_of`). ``should_stop``: asked after every
        step; when it says True, training saves ``latest`` and raises :class:`TrainingInterrupted`
        (the tools pass a flag set by SIGINT / SIGTERM). ``on_step(steps done, steps of the run)``:
        called after every step (the web demo shows it while it trains its model)."""
        self.cfg, self.data_cfg, self.opts, self.family = model_cfg, data_cfg, opts, family
        self.should_stop = should_stop or (lambda: False)
        self.on_step = on_step or (lambda done, total: None)
        self.rank = paddle.distributed.get_rank()
        self.world = paddle.distributed.get_world_size()
        self.dir = opts.experiment_dir
        self.dataset = SeededDataset(dataset, opts.seed, collate_fn)
        self.sampler = EpochBatchSampler(len(dataset), opts.batchSize, opts.seed,
                                         shuffle=not getattr(data_cfg, "serial_batches", False),
                                         rank=self.rank, world=self.world)
        if len(self.sampler) == 0:
            raise ValueError(f"the dataset has {len(dataset)} samples: fewer than one batch of "
                             f"--batchSize {opts.batchSize} per process")
        paddle.seed(opts.seed + self.rank)
        self.model = family.build_model(model_cfg, vgg_weights=opts.vgg_weights)
        self.optim = OptimSettings(opts.lr, opts.beta1, opts.beta2, opts.no_TTUR, opts.niter,
                                   opts.niter_decay)
        self.opt_g, self.opt_d = make_optimizers(self.model.generator_parameters(),
                                                 self.model.netD.parameters(), self.optim)
        self.scalers = self._amp_scalers()
        self.ema = None
        if opts.ema_nimg > 0:
            self.ema = WeightAverage(self._generator_nets(), opts.ema_nimg, opts.ema_rampup)
        self.quality_layouts = None  # the fixed evaluation layouts, read at the first measurement
        self.state = TrainerState()
        self.history: list[dict[str, float]] = []  # losses of every step run by this object
        self.last_quality = None  # (step, QualityReport) of the last measurement, for the closing lines
        self.visuals = (VisualLogger(os.path.join(self.dir, "vdl"), model_cfg, family.style_codes)
                        if self.rank == 0 else None)

    # ------------------------------------------------------------------ set-up
    def _amp_scalers(self):
        if not self.opts.use_amp:
            return None, None
        if not paddle.device.get_device().startswith("gpu"):
            raise ValueError("--use_amp needs a CUDA GPU (paddle.amp float16); it is not "
                             "supported on the CPU: run without --use_amp")
        return (paddle.amp.GradScaler(init_loss_scaling=2.0 ** 15),
                paddle.amp.GradScaler(init_loss_scaling=2.0 ** 15))

    def _generator_nets(self) -> dict[str, paddle.nn.Layer]:
        nets = {"G": self.model.netG}
        if self.model.netE is not None:
            nets["E"] = self.model.netE
        return nets

    def nets(self) -> dict[str, paddle.nn.Layer]:
        """Every network a checkpoint holds: G, D, E, and the weight averages G_ema, E_ema."""
        nets = {**self._generator_nets(), "D": self.model.netD}
        if self.ema is not None:
            nets.update({f"{key}_ema": net for key, net in self.ema.nets.items()})
        return nets

    def sampling_nets(self):
        """(G, E or None) for pictures and measurements: the weight averages when kept."""
        nets = self.ema.nets if self.ema is not None else self._generator_nets()
        return nets["G"], nets.get("E")

    def resume(self, tag: str) -> None:
        """Load the checkpoint ``tag`` and the RNG state saved with it."""
        if not os.path.isfile(os.path.join(self.dir, f"{tag}_trainer.pdstate")):
            saved = sorted({f.split("_trainer.pdstate")[0] for f in os.listdir(self.dir)
                            if f.endswith("_trainer.pdstate")}) if os.path.isdir(self.dir) else []
            raise FileNotFoundError(
                f"--continue_train: no checkpoint '{tag}' was saved in {self.dir} "
                + (f"(it has --which_epoch {' / '.join(saved)})" if saved else
                   "yet: there is nothing to resume; start without --continue_train (with --overwrite "
                   "if the folder is in the way)"))
        nets = self.nets()
        if self.ema is not None and not os.path.isfile(os.path.join(self.dir, f"{tag}_net_G_ema.pdparams")):
            log.info("checkpoint %s/%s has no weight average: it starts from the loaded weights", self.dir, tag)
            nets = {k: v for k, v in nets.items() if not k.endswith("_ema")}
        saved = load_checkpoint(self.dir, tag, nets, {"G": self.opt_g, "D": self.opt_d})
        if self.ema is not None and "G_ema" not in nets:
            self.ema = WeightAverage(self._generator_nets(), self.opts.ema_nimg, self.opts.ema_rampup)
        self.state = TrainerState(saved["epoch"], saved["epoch_iter"], saved["total_steps"])
        paddle.set_rng_state(decode_rng_state(saved["paddle_rng"], f"{self.dir}/{tag}_trainer.pdstate"))
        log.info("resumed from %s/%s at epoch %d, iteration %d", self.dir, tag,
                 self.state.epoch, self.state.total_steps)

    def save(self, tag: str) -> None:
        if self.rank != 0:
            return
        state = {"epoch": self.state.epoch, "epoch_iter": self.state.epoch_iter,
                 "total_steps": self.state.total_steps, "lr": float(self.opt_g.get_lr()),
                 "paddle_rng": encode_rng_state(paddle.get_rng_state())}
        save_checkpoint(self.dir, str(tag), self.nets(), {"G": self.opt_g, "D": self.opt_d}, state)

    def write_options(self) -> None:
        if self.rank == 0:
            os.makedirs(self.dir, exist_ok=True)
            atomic_write_text(os.path.join(self.dir, "opt.yaml"),
                              options_to_yaml(self.cfg, self.data_cfg, self.opts))

    # -------------------------------------------------------------------- loop
    @property
    def total_epochs(self) -> int:
        return self.opts.niter + self.opts.niter_decay

    def _batches(self, epoch: int, skip: int):
        self.dataset.epoch = epoch
        for idx in self.sampler.batches(epoch)[skip:]:
            yield self.dataset.collate([self.dataset[i] for i in idx])

    def run_iteration(self, batch: dict, noise=None, noise_ins=None) -> dict[str, float]:
        """One G step and ``D_steps_per_G`` D steps on ``batch``; returns float losses.

        ``noise`` / ``noise_ins`` fix the generator's random inputs (drawn when None)."""
        inputs = preprocess_input(batch, self.cfg)
        g_losses, _ = generator_step(self.model, self.opt_g, inputs, noise, noise_ins,
                                     scaler=self.scalers[0])
        if self.ema is not None:
            images = (self.state.total_steps + 1) * self.opts.batchSize * self.world
            self.ema.update(self._generator_nets(), self.opts.batchSize * self.world, images)
        r1_due = self.state.total_steps % self.cfg.r1_every == 0  # lazy R1: by the global step
        for i in range(self.opts.D_steps_per_G):
            d_losses = discriminator_step(self.model, self.opt_d, inputs, noise, noise_ins,
                                          scaler=self.scalers[1], r1=r1_due and i == 0)
        losses = {f"G_{k}": float(v) for k, v in g_losses.items()}
        losses.update({k: float(v) for k, v in d_losses.items()})
        bad = {k: v for k, v in losses.items() if not math.isfinite(v)}
        if bad:
            raise TrainingDiverged(
                f"non-finite loss {bad} at step {self.state.total_steps + 1}; stopped without "
                f"saving, the last good checkpoint in {self.dir} is kept")
        return losses

    def train(self) -> TrainerState:
        self.write_options()
        steps_per_epoch = len(self.sampler)
        budget = self.total_epochs * steps_per_epoch
        if self.opts.max_steps is not None:
            budget = min(budget, self.opts.max_steps)
        bar = tqdm(total=budget, initial=min(self.state.total_steps, budget),
                   disable=self.rank != 0, desc=self.opts.name, dynamic_ncols=True)
        self.model.train()
        batch = None
        while self.state.epoch <= self.total_epochs and self.state.total_steps < budget:
            epoch = self.state.epoch
            set_learning_rates(self.opt_g, self.opt_d, self.optim, self.optim.base_lr_at(epoch))
            for batch in self._batches(epoch, self.state.epoch_iter):
                losses = self.run_iteration(batch)
                self.history.append(losses)
                self.state.epoch_iter += 1
                self.state.total_steps += 1
                self._after_step(batch, losses, bar)
                self.on_step(self.state.total_steps, budget)
                if self.state.total_steps >= budget or self.should_stop():
                    break
            if self.should_stop():
                bar.close()
                self.save("latest")
                raise TrainingInterrupted(self.state, self.dir)
            if self.state.epoch_iter >= steps_per_epoch:
                self._end_epoch(epoch)
        bar.close()
        self.save("latest")
        if self.visuals is not None and batch is not None:
            self.visuals.samples(*self.sampling_nets(), batch, self.state.total_steps,
                                 self.opts.n_display_samples, self.opts.seed,
                                 os.path.join(self.dir, "samples"))
            if self.opts.quality_freq and self.state.total_steps % self.opts.quality_freq:
                self.measure_quality()
        return self.state

    def _after_step(self, batch, losses, bar) -> None:
        step = self.state.total_steps
        bar.update(1)
        bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()}, refresh=False)
        if self.visuals is not None:
            if step % self.opts.print_freq == 0 or step == 1:
                self.visuals.scalars(losses, self.opt_g.get_lr(), self.opt_d.get_lr(), step)
            if step % self.opts.display_freq == 0 or step == 1:
                self.visuals.samples(*self.sampling_nets(), batch, step, self.opts.n_display_samples,
                                     self.opts.seed, os.path.join(self.dir, "samples"))
            if self.opts.quality_freq and step % self.opts.quality_freq == 0:
                self.measure_quality()
        if step % self.opts.save_latest_freq == 0:
            self.save("latest")

    def measure_quality(self):
        """The quality measure (:mod:`paddle_inade.eval.quality`) of the sampling networks on a fixed
        set of evaluation layouts, logged to VisualDL as ``quality/*``; returns the report."""
        from ..eval.quality import evaluate_quality
        if self.quality_layouts is None:
            from ..data.setup import evaluation_layouts
            self.quality_layouts = evaluation_layouts(self.data_cfg, self.cfg, self.opts.quality_layouts)
        netG, netE = self.sampling_nets()  # the pipeline runs them in eval mode and gives their modes back
        rng_state = paddle.get_rng_state()
        try:
            report = evaluate_quality(self.family.pipeline_class(self.cfg, netG, netE), self.quality_layouts,
                                      self.opts.quality_samples, seed=self.opts.seed, n_restyle=2)
        finally:
            paddle.set_rng_state(rng_state)
        self.visuals.quality(report.scalars(), self.state.total_steps)
        self.last_quality = (self.state.total_steps, report)
        return report

    def _end_epoch(self, epoch: int) -> None:
        self.state.epoch, self.state.epoch_iter = epoch + 1, 0
        freq = self.opts.save_epoch_freq  # 0: only latest (the toy preset: a copy of latest weighs 70 MB)
        if freq and (epoch % freq == 0 or epoch == self.total_epochs):
            self.save(str(epoch))
        self.save("latest")

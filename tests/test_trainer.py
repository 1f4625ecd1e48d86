"""The trainer: step parity through the trainer, exact resume, atomic saves, VisualDL, LR."""
from __future__ import annotations

import os

import numpy as np
import paddle
import pytest

from conftest import Reference, assert_close
from paddle_inade import INADEConfig
from paddle_inade.engine.checkpoints import load_checkpoint
from paddle_inade.engine.optim import OptimSettings
from paddle_inade.engine.options import TrainOptions
from paddle_inade.engine.trainer import Trainer, TrainingDiverged
from paddle_inade.families import INADE
from paddle_inade.weights import load_torch_weights
from test_train_step import reproduce_fixture_prelude

TINY = dict(norm_mode="inade", use_vae=True, norm_G="spectralspadebatch3x3", label_nc=3,
            crop_size=32, ngf=2, ndf=4, z_dim=8, noise_nc=2, no_vgg_loss=True, num_D=1,
            n_layers_D=3)


class BlockScenes:
    """Eight random 32x32 layouts of blocks, kept in memory."""

    def __init__(self, n=8, size=32, seed=0):
        rng = np.random.RandomState(seed)
        self.items = []
        for _ in range(n):
            label = np.kron(rng.randint(0, 3, (4, 4)), np.ones((8, 8), int))[None]
            inst = np.kron(rng.randint(0, 3, (4, 4)), np.ones((8, 8), int))[None]
            image = rng.uniform(-1, 1, (3, size, size)).astype("float32")
            self.items.append({"label": label.astype("int64"), "instance": inst.astype("int64"),
                               "image": image})

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        flip = np.random.rand() < 0.5  # augmentation drawn from the seeded global RNG
        item = self.items[i]
        return {k: (v[..., ::-1].copy() if flip else v) for k, v in item.items()}


def collate(samples):
    return {k: np.stack([s[k] for s in samples]) for k in samples[0]}


def make_trainer(tmp_path, name="run", **train):
    opts = TrainOptions(name=name, checkpoints_dir=str(tmp_path), batchSize=2, niter=2,
                        niter_decay=1, print_freq=1, display_freq=3, save_latest_freq=1000,
                        **train)
    return Trainer(INADEConfig(**TINY), None, opts, BlockScenes(), collate_fn=collate, family=INADE)


def test_step_through_trainer_matches_fixture():
    ref = Reference("tiny_inade")
    opts = TrainOptions(name="x", checkpoints_dir="/nonexistent-never-written", batchSize=2)
    trainer = Trainer(ref.config(), None, opts, BlockScenes(), collate_fn=collate, family=INADE)
    for key, net in trainer.nets().items():
        load_torch_weights(net, str(ref.pth(key)))
    trainer.model.train()
    T = paddle.to_tensor
    noise, noise_ins = T(ref["noise"]), T(ref["noise_ins"])
    inputs = (T(ref["input_semantics"]), T(ref["image"]), T(ref["input_instances"]), None)
    reproduce_fixture_prelude(trainer.model, ref, inputs, noise, noise_ins)
    batch = {"label": ref["label"], "instance": ref["instance"], "image": ref["image"]}
    losses = trainer.run_iteration(batch, noise, noise_ins)
    for key in ("KLD", "GAN", "GAN_Feat"):
        assert_close(losses[f"G_{key}"], float(ref[f"loss_G_{key}"]), 1e-4, key)
    for key in ("D_Fake", "D_real"):
        assert_close(losses[key], float(ref[f"loss_D_{key}"]), 1e-4, key)


def test_resume_is_exact(tmp_path):
    straight = make_trainer(tmp_path, "straight", max_steps=4)
    straight.train()
    first = make_trainer(tmp_path, "resumed", max_steps=2)
    first.train()
    second = make_trainer(tmp_path, "resumed", max_steps=4, continue_train=True)
    second.resume("latest")
    second.train()
    assert len(straight.history) == 4 and len(second.history) == 2
    resumed = first.history + second.history
    for a, b in zip(straight.history, resumed):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k] == pytest.approx(b[k], rel=1e-6, abs=1e-7), k


def test_interrupted_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    trainer = make_trainer(tmp_path, max_steps=1)
    trainer.train()
    before = {k: v.numpy().copy() for k, v in trainer.model.netG.state_dict().items()}
    trainer.run_iteration(trainer.dataset.collate([trainer.dataset[0], trainer.dataset[1]]))
    calls = {"n": 0}
    real_save = paddle.save

    def failing_save(obj, path, *a, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            real_save(obj, path, *a, **kw)
            with open(path, "r+b") as fh:  # half-written file, then the crash
                fh.truncate(10)
            raise KeyboardInterrupt("killed while saving")
        return real_save(obj, path, *a, **kw)

    monkeypatch.setattr(paddle, "save", failing_save)
    with pytest.raises(KeyboardInterrupt):
        trainer.save("latest")
    monkeypatch.setattr(paddle, "save", real_save)
    assert not [f for f in os.listdir(trainer.dir) if ".tmp-" in f]
    fresh = make_trainer(tmp_path, "other", max_steps=1)
    state = load_checkpoint(trainer.dir, "latest", fresh.nets())
    assert state["total_steps"] == 1
    for k, v in fresh.model.netG.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_a_mixed_checkpoint_set_is_refused(tmp_path):
    """Each file of a save is recorded in its trainer state: a G from another save is refused."""
    import shutil
    trainer = make_trainer(tmp_path, max_steps=1)
    trainer.train()
    trainer.save("1")
    trainer.run_iteration(trainer.dataset.collate([trainer.dataset[0], trainer.dataset[1]]))
    trainer.save("latest")
    shutil.copy(os.path.join(trainer.dir, "1_net_G.pdparams"), os.path.join(trainer.dir, "latest_net_G.pdparams"))
    fresh = make_trainer(tmp_path, "other", max_steps=1)
    with pytest.raises(ValueError, match=r"latest_net_G.pdparams was not written together with .*"
                                         r"latest_trainer.pdstate .*another --which_epoch"):
        load_checkpoint(trainer.dir, "latest", fresh.nets())
    assert load_checkpoint(trainer.dir, "1", fresh.nets())["total_steps"] == 1


def test_visualdl_records_losses_lrs_and_images(tmp_path):
    from visualdl import LogReader
    trainer = make_trainer(tmp_path, max_steps=3)
    trainer.train()
    reader = LogReader(file_path=_vdl_file(trainer))
    tags = reader.get_tags()
    scalars = set(tags.get("scalar", []))
    assert {"loss/G_GAN", "loss/G_KLD", "loss/G_GAN_Feat", "loss/D_Fake", "loss/D_real",
            "lr/G", "lr/D"} <= scalars
    assert "samples" in tags.get("image", [])
    steps = [r.id for r in reader.get_data("scalar", "loss/G_GAN")]
    assert steps == [1, 2, 3]
    assert os.listdir(os.path.join(trainer.dir, "samples"))


def _vdl_file(trainer):
    logdir = os.path.join(trainer.dir, "vdl")
    files = [f for f in os.listdir(logdir) if f.startswith("vdlrecords")]
    assert len(files) == 1
    return os.path.join(logdir, files[0])


def test_non_finite_loss_stops_and_keeps_checkpoint(tmp_path, monkeypatch):
    trainer = make_trainer(tmp_path, max_steps=1)
    trainer.train()
    saved = os.path.getmtime(os.path.join(trainer.dir, "latest_net_G.pdparams"))
    more = make_trainer(tmp_path, max_steps=3, continue_train=True)
    more.resume("latest")
    monkeypatch.setattr(more.model.criterion_gan, "single",
                        lambda pred, *a, **k: pred.mean() * float("nan"))
    with pytest.raises(TrainingDiverged, match=r"non-finite loss .*G_GAN.*step 2"):
        more.train()
    assert os.path.getmtime(os.path.join(trainer.dir, "latest_net_G.pdparams")) == saved


def test_learning_rate_schedule():
    s = OptimSettings(lr=0.0002, niter=2, niter_decay=4)
    assert [s.base_lr_at(e) for e in range(1, 7)] == pytest.approx(
        [0.0002, 0.0002, 0.0002, 0.00015, 0.0001, 0.00005])
    assert s.lrs() == (0.0001, 0.0004)
    assert OptimSettings(no_TTUR=True).lrs() == (0.0002, 0.0002)


def test_lr_changes_over_epochs_in_training(tmp_path):
    trainer = make_trainer(tmp_path, max_steps=12)
    trainer.train()  # 4 steps per epoch, niter 2 + niter_decay 1: epochs 1-3 at full lr
    assert trainer.opt_g.get_lr() == pytest.approx(0.0001)
    assert trainer.state.total_steps == 12

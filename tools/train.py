"""Train INADE (or SPADE) with the original's options.

    python tools/train.py                      # the toy scenes, minutes on a CPU
    python tools/train.py --dataset_mode ade20k --dataroot DIR --norm_mode inade --use_vae --name ade
    python -m paddle.distributed.launch --gpus 0,1 tools/train.py ...   # several GPUs
    visualdl --logdir checkpoints/<name>/vdl
"""
from __future__ import annotations

import logging
import os
import sys

if __package__:  # imported: tools.<name>, or paddle_inade_tools.<name> of an installed package
    from . import _common  # noqa: F401  (first: Paddle's import noise filtered, CPU set up)
else:  # python tools/<name>.py in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tools._common as _common  # noqa: E402,F401


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from paddle_inade.training_cli import main as run
    from paddle_inade.engine.trainer import TrainingDiverged, TrainingInterrupted
    stop = StopOnSignal()
    try:
        trainer = run(argv, should_stop=stop)
    except (ValueError, FileNotFoundError, FileExistsError, TrainingDiverged) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TrainingInterrupted as exc:
        parent, name = os.path.split(os.path.normpath(exc.directory))
        print(f"\n{stop.name}: stopped after step {exc.state.total_steps}, saved {exc.directory}/latest_*; "
              f"resume with: python tools/train.py --name {name} --checkpoints_dir {parent or '.'} "
              "--continue_train", file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:
        what = ("stopped at once (a second signal): the last saved checkpoint is kept" if stop.training
                else "before the first step finished: nothing was trained or saved")
        print(f"\n{stop.name or 'interrupted'}: {what}", file=sys.stderr)
        return stop.exit_code or 130
    if trainer.rank == 0:
        exp = os.path.abspath(trainer.dir)
        print(f"\ncheckpoints: {exp}/latest_net_G.pdparams (and _D, _E, optimiser and trainer state)")
        print(f"samples:     {exp}/samples/*.png (label | instances | real | reconstruction | samples)")
        print(f"VisualDL:    visualdl --logdir {exp}/vdl")
        if trainer.last_quality is not None:
            step, report = trainer.last_quality
            print(f"\nquality at step {step} (logged as quality/*; all of it: python tools/eval_quality.py "
                  f"--name {os.path.basename(exp)} --checkpoints_dir {os.path.dirname(exp)}):")
            print(report.format(per_class=False))
    return 0


class StopOnSignal:
    """SIGINT (Ctrl-C) and SIGTERM: during training, finish the current step, save and stop
    (the trainer asks this object after every step); before the first step, stop at once. A
    second Ctrl-C stops at once too."""

    def __init__(self):
        import signal
        self.name, self.exit_code, self.training = None, 0, False
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum, frame):
        import signal
        first = self.name is None
        self.name = signal.Signals(signum).name
        self.exit_code = 128 + signum
        if not self.training or not first:
            raise KeyboardInterrupt

    def __call__(self) -> bool:
        self.training = True
        return self.name is not None


if __name__ == "__main__":
    sys.exit(main())

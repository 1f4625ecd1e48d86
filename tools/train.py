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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tools._common  # noqa: E402,F401  (first: Paddle's import noise filtered, CPU set up)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from paddle_inade.engine.run import main as run
    from paddle_inade.engine.trainer import TrainingDiverged
    try:
        trainer = run(argv)
    except (ValueError, FileNotFoundError, FileExistsError, TrainingDiverged) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if trainer.rank == 0:
        exp = os.path.abspath(trainer.dir)
        print(f"\ncheckpoints: {exp}/latest_net_G.pdparams (and _D, _E, optimiser and trainer state)")
        print(f"samples:     {exp}/samples/*.png (label | instances | real | reconstruction | samples)")
        print(f"VisualDL:    visualdl --logdir {exp}/vdl")
    return 0


if __name__ == "__main__":
    sys.exit(main())

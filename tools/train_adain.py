r"""Train an AdaIN decoder with pytorch-AdaIN's train.py options.

    python tools/train_adain.py --vgg models/vgg_normalised.pth              # built-in demo data
    python tools/train_adain.py --content_dir COCO/train2014 --style_dir wikiart/train \
        --vgg models/vgg_normalised.pth [--lr 1e-4 --lr_decay 5e-5 --max_iter 160000 --batch_size 8 ...]
    python tools/train_adain.py ... --continue_train                         # exact resume from --save_dir
    visualdl --logdir ./logs

Without --content_dir/--style_dir it trains on the toy scenes (content) and procedural textures
(styles), generated on first use, with small demo defaults (150 iterations of 4 crops of 48x48).
The VGG: --vgg FILE (the released vgg_normalised.pth, or .pdparams); without it
models/vgg_normalised.pth when that exists, else Paddle's ImageNet VGG-19 (downloaded; offline
that is an error: there are no pretrained VGG weights offline).
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
    from tqdm import tqdm

    from paddle_inade.adain.train_options import config_from_args
    from paddle_inade.adain.training import AdaINTrainer
    from paddle_inade.convert import CheckpointFormatError, UnsafeCheckpointError
    from paddle_inade.engine.trainer import TrainingDiverged
    try:
        cfg = config_from_args(argv, __doc__)
        trainer = AdaINTrainer(cfg)
        bar = tqdm(total=cfg.max_iter, initial=trainer.iteration, desc="train_adain")

        def report(iteration, loss_c, loss_s, lr):
            bar.update(1)
            bar.set_postfix(loss_c=f"{loss_c:.3f}", loss_s=f"{loss_s:.3f}", lr=f"{lr:.2e}")

        written = trainer.train(report)
        bar.close()
    except (ValueError, FileNotFoundError, FileExistsError, RuntimeError, CheckpointFormatError,
            UnsafeCheckpointError, TrainingDiverged) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    save_dir = os.path.abspath(cfg.save_dir)
    last = os.path.abspath(written[-1]) if written else os.path.join(save_dir, "latest_net_decoder.pdparams")
    print(f"\ndecoder:   {last}")
    print(f"encoder:   {os.path.join(save_dir, 'vgg.pdparams')} (the VGG it was trained with)")
    print(f"samples:   {os.path.join(save_dir, 'samples')}/iter_*.png (content | style | output)")
    print(f"VisualDL:  visualdl --logdir {os.path.abspath(cfg.log_dir)}")
    print(f"stylise:   python tools/style_transfer.py --vgg {os.path.join(save_dir, 'vgg.pdparams')} "
          f"--decoder {last} --content C.jpg --style S.jpg")
    return 0


if __name__ == "__main__":
    sys.exit(main())

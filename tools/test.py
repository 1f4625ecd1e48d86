r"""Generate K diverse images per layout of a dataset, with grids and an index.html.

    python tools/test.py --name toy_inade                       # options saved beside the checkpoint
    python tools/test.py --name toy_inade --n_samples 6 --how_many 20 --seed 3
    python tools/test.py --checkpoint ade20k_G.pdparams --encoder ade20k_E.pdparams --preset ade20k \
        --dataset_mode ade20k --dataroot datasets/ADEChallengeData2016 --results_dir results/ade20k
    python tools/test.py --model smis --name toy_smis --test_mask 2 --n_samples 4   # GroupDNet (SMIS's options)

Writes <results_dir>/<name>/<phase>_<which_epoch>/: images/<stem>_real.png, images/<stem>_sample<k>.png,
grids/<stem>.png (label colours | instance boundaries | real | samples) and index.html; the folder
appears only when complete. As the original's test.py, a use_vae model with its encoder remaps the
noise with the styles encoded from the real image; --no-use_vae samples every instance from the prior.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from paddle_inade.device import setup_cpu_process  # noqa: E402

setup_cpu_process()


def parse_args(argv=None):
    from paddle_inade.cli import add_checkpoint_args
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_checkpoint_args(parser)
    parser.add_argument("--results_dir", default="./results")
    parser.add_argument("--how_many", type=int, default=None, help="layouts to process (default: all)")
    parser.add_argument("--n_samples", type=int, default=3, help="diverse samples per layout")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--use_vae", action=argparse.BooleanOptionalAction, default=None,
                        help="remap the noise with the styles encoded from the real image (default, as the "
                             "original: when the model has use_vae and an encoder); --no-use_vae: prior")
    parser.add_argument("--dataset_mode")
    parser.add_argument("--dataroot")
    parser.add_argument("--load_size", type=int, help="default: the saved run's or the dataset's")
    parser.add_argument("--preprocess_mode", help="default: the saved run's or the dataset's")
    parser.add_argument("--phase", default="test")
    parser.add_argument("--gpu_ids", default="0")
    return parser.parse_args(argv)


def build(args):
    from paddle_inade.data import DataConfig, create_dataset
    from paddle_inade.cli import checkpoint_source, pipeline_from_args
    from paddle_inade.io import read_saved_options
    pipe = pipeline_from_args(args, device=args.gpu_ids)
    source = checkpoint_source(args)
    if args.checkpoint:
        saved_data, name = {}, os.path.splitext(os.path.basename(args.checkpoint))[0]
    else:
        saved = read_saved_options(source)
        saved_data, name = (saved.data if saved else {}), args.name
    data = {**saved_data, "phase": args.phase, "no_flip": True}
    if args.dataset_mode and args.dataset_mode != saved_data.get("dataset_mode"):
        data = {**dataclasses.asdict(DataConfig.for_dataset(args.dataset_mode, args.phase)), "no_flip": True}
    data.update({k: getattr(args, k) for k in ("dataroot", "load_size", "preprocess_mode")
                 if getattr(args, k) is not None})
    if "dataset_mode" not in data:
        raise ValueError("no dataset: pass --dataset_mode and --dataroot")
    shared = {k: getattr(pipe.cfg, k) for k in ("label_nc", "contain_dontcare_label", "crop_size",
                                                 "aspect_ratio", "add_sketch")}
    dataset = create_dataset(DataConfig.from_dict({**data, **shared}))
    out = os.path.join(args.results_dir, name, f"{args.phase}_{args.which_epoch}")
    return pipe, dataset, out


def use_encoder(args, pipe) -> bool:
    """--use_vae given: obey (an error without encoder); not given: the model's use_vae if it has an E."""
    if args.use_vae and pipe.netE is None:
        raise ValueError("--use_vae: no encoder (<epoch>_net_E.pdparams beside the checkpoint, or --encoder FILE)")
    if args.use_vae is None:
        if pipe.cfg.use_vae and pipe.netE is None:
            print("note: no encoder file, sampling styles from the prior", file=sys.stderr)
        return bool(pipe.cfg.use_vae and pipe.netE is not None)
    return args.use_vae


def main(argv=None) -> int:
    from tqdm import tqdm
    from paddle_inade.inference import write_results
    from paddle_inade.smis.cli import test_main, wants_smis
    if wants_smis(sys.argv[1:] if argv is None else argv):  # GroupDNet: SMIS's test options
        try:
            n, out, k = test_main(argv)
        except (ValueError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{n} layouts x {k} samples: {os.path.abspath(out)}/index.html")
        return 0
    args = parse_args(argv)
    try:
        pipe, dataset, out = build(args)
        encoder = use_encoder(args, pipe)
        total = len(dataset) if args.how_many is None else min(args.how_many, len(dataset))
        with tqdm(total=total, desc="generating") as bar:
            n = write_results(pipe, dataset, out, args.n_samples, args.seed, args.how_many,
                              use_encoder=encoder, progress=bar.update)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{n} layouts x {args.n_samples} samples: {os.path.abspath(out)}/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())

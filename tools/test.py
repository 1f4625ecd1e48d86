r"""Generate images for the layouts of a dataset with a trained model, as the original's test.py.

    python tools/test.py --name toy_inade                          # a run of tools/train.py (opt.yaml)
    python tools/test.py --name my_run --which_epoch 20            # a run of the original's train.py (opt.txt, .pth)
    python tools/test.py --name inade_ade20k --norm_mode inade --batchSize 1 --gpu_ids 0 --which_epoch best \
        --dataset_mode ade20k --dataroot datasets/ADEChallengeData2016 --use_vae   # released checkpoints
    python tools/test.py --name toy_inade --n_samples 6 --how_many 20 --seed 3
    python tools/test.py --model smis --name deepfashion_smis --dataset_mode deepfashion --dataroot DIR \
        --no_instance --ngf 160 --netG deepfashion --test_mask 3 --test_times 4   # GroupDNet (SMIS's options)

The run folder is <checkpoints_dir>/<name>/ with <which_epoch>_net_G.pdparams or the original's .pth
(read as it is, without torch) and <which_epoch>_net_E.* for the encoder. Its options come from its
opt.yaml or opt.txt; a folder without either (released checkpoints) takes the original's test
defaults and what --dataset_mode sets, then the command line. An option that contradicts the saved
ones is an error naming both.

Writes <results_dir>/<name>/<phase>_<which_epoch>/ as the original (index.html,
images/input_label/, images/synthesized_image/) plus images/real_image/,
images/synthesized_image_<k>/ for --n_samples > 1 and grids/ (label | instances | real | samples);
the folder is replaced only when the new one is complete. With --use_vae (the default for a model
trained with it, when its encoder is there) each sample's noise is remapped with the styles encoded
from the real image, as the original's test.py; --no-use_vae samples every instance from the prior.
"""
from __future__ import annotations

import math
import os
import sys

if __package__:  # imported: tools.<name>, or paddle_inade_tools.<name> of an installed package
    from . import _common  # noqa: F401  (first: Paddle's import noise filtered, CPU set up)
else:  # python tools/<name>.py in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tools._common as _common  # noqa: E402,F401


def parse_args(argv=None):
    from paddle_inade.cli import HelpFormatter, add_checkpoint_args, add_data_args
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__, formatter_class=HelpFormatter)
    add_checkpoint_args(parser)
    add_data_args(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--results_dir", default="./results/", help="results go to <results_dir>/<name>/<phase>_<epoch>")
    out.add_argument("--how_many", type=float, default=math.inf, help="layouts to process (the first ones)")
    out.add_argument("--batchSize", type=int, default=1, help="layouts generated together (same images either way)")
    out.add_argument("--n_samples", type=int, default=1, help="diverse samples per layout")
    out.add_argument("--seed", type=int, default=0, help="layout i draws its noise from seed + i")
    return parser.parse_args(argv)


def check_counts(args) -> None:
    """Refuse counts that would produce nothing, before any work."""
    if not (args.how_many >= 1):
        raise ValueError(f"--how_many {args.how_many:g}: nothing to generate (it must be >= 1); no results "
                         "folder is written or replaced")
    if args.how_many != math.inf and args.how_many != int(args.how_many):
        raise ValueError(f"--how_many {args.how_many:g} is not a whole number")
    for option in ("n_samples", "batchSize"):
        if getattr(args, option) < 1:
            raise ValueError(f"--{option} {getattr(args, option)} must be >= 1")


def build(args):
    """(pipeline, dataset, output folder, model source)."""
    from paddle_inade.cli import data_values, model_source, pipeline_from_source
    from paddle_inade.data import DataConfig, create_dataset
    check_counts(args)
    source = model_source(args)
    data_cfg = DataConfig.from_dict(data_values(args, source), source="data options")
    dataset = create_dataset(data_cfg)
    pipe = pipeline_from_source(source, device=args.gpu_ids)
    out = os.path.join(args.results_dir, source.name, f"{data_cfg.phase}_{args.which_epoch}")
    return pipe, dataset, out, source


def use_encoder(args, pipe, source) -> bool:
    """--use_vae given: obey (an error without encoder); not given: the model's use_vae if it has an E."""
    given = getattr(args, "use_vae", None)
    if given and pipe.netE is None:
        raise ValueError("--use_vae: the model has no encoder file (<which_epoch>_net_E.pdparams or .pth "
                         "beside the generator, or --encoder FILE)")
    if given is None:
        if pipe.cfg.use_vae and pipe.netE is None:
            print("note: no encoder file, sampling styles from the prior", file=sys.stderr)
        return bool(pipe.cfg.use_vae and pipe.netE is not None)
    return given


def main(argv=None) -> int:
    from tqdm import tqdm
    from paddle_inade.inference import write_results
    from paddle_inade.families import family_of_test_args
    family = family_of_test_args(sys.argv[1:] if argv is None else argv)
    if family.test_main is not None:  # the family's own test command (GroupDNet: SMIS's options)
        try:
            n, out, k = family.test_main(argv)
        except (ValueError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{n} layouts x {k} samples: {os.path.abspath(out)}/index.html")
        return 0
    args = parse_args(argv)
    try:
        pipe, dataset, out, source = build(args)
        encoder = use_encoder(args, pipe, source)
        how_many = None if args.how_many == math.inf else int(args.how_many)
        total = len(dataset) if how_many is None else min(how_many, len(dataset))
        title = f"{source.name}, phase {dataset.cfg.phase}, epoch {args.which_epoch}"
        with tqdm(total=total, desc="generating", disable=None) as bar:
            n = write_results(pipe, dataset, out, args.n_samples, args.seed, how_many, use_encoder=encoder,
                              batch_size=args.batchSize, workers=getattr(args, "nThreads", 0),
                              progress=bar.update, title=title)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{n} layouts x {args.n_samples} samples: {os.path.abspath(out)}/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())

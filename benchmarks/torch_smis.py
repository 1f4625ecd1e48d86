"""Run with a torch interpreter by ``bench_groupdnet.py``: SMIS's own GroupDNet generator and
encoder forward (eval, ``torch.no_grad``), the minimum wall time of ``--repeats`` runs after a
warm-up. Prints one JSON line: {"generator": s, "encoder": s, "threads": n}.

    python torch_smis.py SMIS_SRC --ngf 32 --label_nc 8 --size 256 [--batch 1] [--repeats 3]
"""
import argparse
import json
import time
from types import SimpleNamespace

from torch_side import prepare_original

parser = argparse.ArgumentParser()
parser.add_argument("src")
parser.add_argument("--ngf", type=int, default=32)
parser.add_argument("--label_nc", type=int, default=8)
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()
prepare_original(args.src)

import torch  # noqa: E402

from models.networks.encoder import ConvEncoder  # noqa: E402
from models.networks.generator import DeepFashionGenerator  # noqa: E402


def options():
    """SMIS's DeepFashion options (scripts/deepfashion_test.sh with its dataset's defaults)."""
    return SimpleNamespace(
        ngf=args.ngf, label_nc=args.label_nc, semantic_nc=args.label_nc, crop_size=args.size,
        aspect_ratio=1.0, num_upsampling_layers="more", use_vae=True, norm_G="spectralspadesyncbatch3x3",
        norm_E="spectralinstance", dataset_mode="deepfashion", contain_dontcare_label=False,
        no_instance=True, output_nc=3, z_dim=256)


def best_time(fn) -> float:
    with torch.no_grad():
        fn()
        best = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    torch.manual_seed(0)
    opt = options()
    gen, enc = DeepFashionGenerator(opt).eval(), ConvEncoder(opt).eval()
    labels = torch.randint(0, args.label_nc, (args.batch, args.size, args.size))
    seg = torch.nn.functional.one_hot(labels, args.label_nc).permute(0, 3, 1, 2).float()
    z = torch.randn(args.batch, 8 * args.label_nc, gen.sh, gen.sw)
    crops = torch.randn(args.batch, 3 * args.label_nc, args.size, args.size)
    print(json.dumps({"generator": best_time(lambda: gen(seg, z)), "encoder": best_time(lambda: enc(crops)),
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()

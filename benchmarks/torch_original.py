"""Forward time of the ORIGINAL PyTorch INADE generator (and instance-adaptive encoder).

Run with a python that has torch (never needed by the project); prints one JSON line.
The original's sources (github.com/tzt101/INADE) are imported from ``--src``; torchvision,
which they import only for the VGG loss, is stubbed.

    /path/to/torch/python benchmarks/torch_original.py --src /work/inade_src [--size 256] [--ngf 64]
"""
import argparse
import json
import os
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--src", required=True)
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--ngf", type=int, default=64)
parser.add_argument("--instances", type=int, default=12)
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--encoder", action="store_true", help="also time the instance-adaptive encoder")
args = parser.parse_args()

import torch

from torch_side import prepare_original  # noqa: E402

prepare_original(args.src)
from models import networks

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import synthetic_scene

opt = argparse.Namespace(
    norm_G="spectralspadesyncbatch3x3", norm_E="spectralinstance", norm_mode="inade", use_vae=False,
    ngf=args.ngf, z_dim=256, noise_nc=64, label_nc=150, contain_dontcare_label=True, no_instance=False,
    crop_size=args.size, aspect_ratio=1.0, num_upsampling_layers="normal", add_sketch=False, isTrain=False,
    gpu_ids=[], init_type="xavier", init_variance=0.02, netG="spade", nef=16)
opt.semantic_nc = opt.label_nc + 1 + 1


def best(fn):
    fn()
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


torch.manual_seed(0)
G = networks.define_G(opt).eval()
labels, inst = synthetic_scene(args.batch, args.size, args.size, args.instances, opt.label_nc + 1)
label = torch.from_numpy(labels)
semantics = torch.nn.functional.one_hot(label, opt.label_nc + 1).permute(0, 3, 1, 2).float()
semantics = torch.cat([semantics, torch.zeros(args.batch, 1, args.size, args.size)], 1)
instances = torch.nn.functional.one_hot(torch.from_numpy(inst), args.instances).permute(0, 3, 1, 2).float()
noise = torch.randn(args.batch, args.instances, 2, opt.noise_nc)
noise_ins = torch.randn(args.batch, opt.z_dim)
out = {"torch": torch.__version__}
with torch.no_grad():
    out["generator"] = best(lambda: G(semantics, input_instances=instances, noise=noise, noise_ins=noise_ins))
    if args.encoder:
        E = networks.define_IE(opt).eval()
        image = torch.rand(args.batch, 3, args.size, args.size) * 2 - 1
        out["encoder"] = best(lambda: E(image, instances))
print(json.dumps(out))

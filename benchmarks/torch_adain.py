"""Style transfer time of the ORIGINAL pytorch-AdaIN (its net.py / function.py, as its test.py runs them).

Run with a python that has torch (never needed by the project); prints one JSON line.

    /path/to/torch/python benchmarks/torch_adain.py --src /work/src/AdaIN [--size 512] [--repeats 3]
"""
import argparse
import json
import os
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--src", required=True)
parser.add_argument("--size", type=int, default=512)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()

import torch

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
sys.path.insert(0, args.src)
import net
from function import adaptive_instance_normalization

torch.manual_seed(0)
vgg = torch.nn.Sequential(*list(net.vgg.children())[:31]).eval()
decoder = net.decoder.eval()
content = torch.rand(1, 3, args.size, args.size)
style = torch.rand(1, 3, args.size, args.size)


def transfer(alpha=1.0):
    """test.py's style_transfer (no interpolation) under torch.no_grad, as test.py calls it."""
    with torch.no_grad():
        content_f, style_f = vgg(content), vgg(style)
        feat = adaptive_instance_normalization(content_f, style_f)
        return decoder(feat * alpha + content_f * (1 - alpha))


def best(fn):
    fn()
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


print(json.dumps({"transfer": best(transfer), "torch": torch.__version__,
                  "threads": torch.get_num_threads()}))

"""Time one training iteration (G step + D step) of the ORIGINAL PyTorch INADE code.

Run with a python that has torch, PIL and dill (never needed by the project); prints one JSON
line. The original's sources (github.com/tzt101/INADE) are imported from ``--src``; torchvision,
which they import only for the VGG loss, is stubbed (the benchmark runs without VGG loss).
``--data`` is an ``.npz`` written by ``bench_train_step.py`` with ``label``, ``instance`` [N, 1, H, W]
int64 and ``image`` [N, 3, H, W] float32, and ``--options`` a JSON dict of the model options.

    /path/to/torch/python benchmarks/torch_original_train.py --src DIR --data batch.npz --options opt.json
"""
import argparse
import json
import time

parser = argparse.ArgumentParser()
parser.add_argument("--src", required=True)
parser.add_argument("--data", required=True)
parser.add_argument("--options", required=True)
parser.add_argument("--iterations", type=int, default=5)
args = parser.parse_args()

import numpy as np
import torch

from torch_side import prepare_original  # noqa: E402

prepare_original(args.src)
# The original draws its noises on ``input.get_device()``, which is -1 for a CPU tensor (it was
# written for GPUs): answer "cpu" there so that it runs on this CPU unchanged otherwise.
_get_device = torch.Tensor.get_device
torch.Tensor.get_device = lambda self: _get_device(self) if self.is_cuda else "cpu"
from trainers.pix2pix_trainer import Pix2PixTrainer  # noqa: E402

with open(args.options, encoding="utf-8") as fh:
    options = json.load(fh)
base = dict(isTrain=True, continue_train=False, gpu_ids=[], use_amp=False, netG="spade", netD="multiscale",
            norm_E="spectralinstance", norm_D="spectralinstance", netD_subarch="n_layer", nef=16,
            init_type="xavier", init_variance=0.02, output_nc=3, no_TTUR=False, beta1=0.0, beta2=0.9,
            lr=0.0002, num_D=2, n_layers_D=4, gan_mode="hinge", lambda_feat=10.0, lambda_vgg=10.0,
            lambda_kld=0.05, no_ganFeat_loss=False, no_vgg_loss=True, add_sketch=False, no_instance=False,
            aspect_ratio=1.0, num_upsampling_layers="normal", contain_dontcare_label=False)
base.update(options)
base["semantic_nc"] = base["label_nc"] + int(base["contain_dontcare_label"]) + int(not base["no_instance"])
opt = argparse.Namespace(**base)

torch.manual_seed(0)
batch = np.load(args.data)
data = {"label": torch.from_numpy(batch["label"]), "instance": torch.from_numpy(batch["instance"]),
        "image": torch.from_numpy(batch["image"]), "sketch": torch.zeros(1)}
trainer = Pix2PixTrainer(opt)


def iteration():
    trainer.run_generator_one_step(dict(data))
    trainer.run_discriminator_one_step(dict(data))


iteration()  # warm-up: optimiser state exists from here on
times = []
for _ in range(args.iterations):
    t0 = time.perf_counter()
    iteration()
    times.append(time.perf_counter() - t0)
print(json.dumps({"torch": torch.__version__, "seconds_min": min(times),
                  "seconds_median": float(np.median(times)), "threads": torch.get_num_threads()}))

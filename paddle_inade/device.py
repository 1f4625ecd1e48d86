"""Run-time device choice: a GPU when Paddle has CUDA and one is visible, else the CPU."""
from __future__ import annotations

import logging
import os

import paddle

log = logging.getLogger(__name__)


def set_cpu_threads() -> int:
    """Set OMP/MKL threads to the core count unless the user already did; return it.

    Must run before Paddle starts its thread pools (the tools call it first thing).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(cores))
    return cores


def select_device(gpu_ids: str = "0") -> str:
    """``gpu_ids`` as the original's option: '-1' forces the CPU; '0' or '0,1' asks for GPUs.

    Under ``paddle.distributed.launch`` each process takes the GPU the launcher gave it.
    Returns the device string that was set ('cpu' or 'gpu:N').
    """
    ids = [int(i) for i in str(gpu_ids).split(",") if i.strip() != ""]
    want_gpu = bool(ids) and ids[0] >= 0
    has_gpu = paddle.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0
    if want_gpu and has_gpu:
        if paddle.distributed.get_world_size() > 1:
            device = f"gpu:{paddle.distributed.ParallelEnv().device_id}"
        else:
            device = f"gpu:{ids[0]}"
    else:
        if want_gpu:
            log.info("no CUDA GPU visible to Paddle: running on the CPU")
        device = "cpu"
    paddle.set_device(device)
    return device

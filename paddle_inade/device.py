"""Run-time device choice: a GPU when Paddle has CUDA and one is visible, else the CPU."""
from __future__ import annotations

import contextlib
import ctypes
import logging
import os

import paddle

log = logging.getLogger(__name__)


def _core_share() -> int:
    """The cores this process may use; under ``paddle.distributed.launch`` the machine's
    processes share them (``PADDLE_LOCAL_SIZE``)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, int(os.environ.get("PADDLE_LOCAL_SIZE", "1") or 1)))


def set_cpu_threads() -> int:
    """Set OMP/MKL threads to the core count unless the user already did; return the count.

    "Already did" means set in the environment the process started with, or in ``os.environ``
    before ``paddle_inade`` (or paddle) was imported, or changed since ``paddle_inade`` was
    imported: importing paddle itself sets ``OMP_NUM_THREADS=1`` when it is unset, and that
    value is not taken for the user's (:mod:`paddle_inade.thread_env`). Under
    ``paddle.distributed.launch`` the cores are shared by the machine's processes
    (``PADDLE_LOCAL_SIZE``). An unset ``MKL_NUM_THREADS`` follows ``OMP_NUM_THREADS``. Must
    run before the first computation starts the OpenMP pool.
    """
    from .thread_env import user_choice

    chosen = user_choice()
    threads = cpu_threads()
    os.environ["OMP_NUM_THREADS"] = chosen["OMP_NUM_THREADS"] or str(threads)
    os.environ["MKL_NUM_THREADS"] = chosen["MKL_NUM_THREADS"] or str(threads)
    return threads


def cpu_threads() -> int:
    """The CPU threads to compute with: the user's ``OMP_NUM_THREADS`` (as :func:`set_cpu_threads`
    tells it apart from the 1 that ``import paddle`` writes), else this process's share of the
    cores. Sets nothing."""
    from .thread_env import user_choice

    share = _core_share()
    first = (user_choice()["OMP_NUM_THREADS"] or str(share)).split(",")[0]  # OpenMP allows "4,2"
    return int(first) if first.strip().isdigit() else share


# glibc malloc settings of tune_malloc (also glibc's MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_
# environment variables, read when a process starts).
MMAP_THRESHOLD, TRIM_THRESHOLD = 1 << 30, (1 << 31) - 1


def tune_malloc() -> bool:
    """Make glibc's malloc keep large freed blocks in the process; True if it was changed.

    Paddle's CPU allocator takes every tensor from ``malloc``. With glibc's defaults a
    tensor above the mmap threshold (at most 32 MiB) is a fresh ``mmap`` whose pages fault in
    on first touch, which costs as much as the arithmetic of an element-wise op: measured
    here, an ADE20K-size training iteration takes 1.4x as long and a generator forward 1.7x
    (``benchmarks/README.md``). Raising the mmap and trim thresholds keeps that memory in
    the process for reuse. Off when ``PADDLE_INADE_MALLOC=default``, or when the C library is
    not glibc. Process-wide, so the tools call it, never the library.
    """
    if os.environ.get("PADDLE_INADE_MALLOC", "") == "default":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, MMAP_THRESHOLD)) and bool(mallopt(m_trim_threshold, TRIM_THRESHOLD))


def _cpu_info() -> tuple[str, set[str]]:
    """(vendor id, flags) of the first CPU in ``/proc/cpuinfo``; ('', set()) where unreadable."""
    vendor, flags = "", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "vendor_id" and not vendor:
                    vendor = value.strip()
                elif key == "flags" and not flags:
                    flags = set(value.split())
                if vendor and flags:
                    break
    except OSError:
        pass
    return vendor, flags


def tune_mkl() -> bool:
    """Let Paddle's MKL use its AVX2 kernels on AMD CPUs; True if it was changed.

    The MKL that Paddle's CPU wheel ships picks its slow generic code path on CPUs whose vendor
    is not Intel, unless ``MKL_DEBUG_CPU_TYPE=5`` asks for the AVX2 path. Measured on this AMD
    EPYC (``benchmarks/README.md``): a [128, 1152] x [1152, 128] product 1.48 -> 0.43 ms, the
    convolutions of a small training step about 1.5-3x faster. Set only on an AMD CPU with AVX2
    and FMA, never over a value the user set, and not when ``PADDLE_INADE_MKL=default``. MKL
    reads the variable at its first call, so this must run before any computation (the tools
    call it first thing; the library never does).
    """
    if os.environ.get("PADDLE_INADE_MKL", "") == "default" or "MKL_DEBUG_CPU_TYPE" in os.environ:
        return False
    vendor, flags = _cpu_info()
    if vendor != "AuthenticAMD" or not {"avx2", "fma"} <= flags:
        return False
    os.environ["MKL_DEBUG_CPU_TYPE"] = "5"
    return True


def setup_cpu_process() -> int:
    """Set this process up for fast CPU work; returns the OMP threads (the cores by default).

    Call it first thing, before the first computation (``paddle_inade.setup_cpu_process()``;
    the tools and the notebooks do). It sets process-wide state, which is why no other library
    call does it (issue #22):

    * :func:`tune_malloc`: glibc keeps large freed blocks in the process instead of a fresh
      ``mmap`` per big tensor (off with ``PADDLE_INADE_MALLOC=default``);
    * :func:`tune_mkl`: MKL's AVX2 kernels on AMD CPUs (``MKL_DEBUG_CPU_TYPE=5``; off with
      ``PADDLE_INADE_MKL=default`` or a ``MKL_DEBUG_CPU_TYPE`` of your own);
    * :func:`set_cpu_threads`: ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` = the cores, unless you
      set them yourself (``import paddle`` alone would leave one thread).

    Calling it again changes nothing more.
    """
    tuned = tune_malloc()
    mkl = tune_mkl()
    cores = set_cpu_threads()
    log.debug("CPU threads %d, malloc tuned: %s, MKL AVX2 path requested: %s", cores, tuned, mkl)
    return cores


def select_device(gpu_ids: str = "0") -> str:
    """Make :func:`resolve_device`'s choice Paddle's current device for the whole process (the
    tools' edge does it; library calls use :func:`device_scope`). Returns it ('cpu' or 'gpu:N')."""
    device = resolve_device(gpu_ids)
    paddle.set_device(device)
    return device


@contextlib.contextmanager
def device_scope(device: str):
    """Paddle's current device is ``device`` ('cpu', 'gpu:N') inside the block, and whatever it
    was before again after it: a library call computes where its networks are and leaves the
    caller's choice alone."""
    previous = paddle.get_device()
    if previous == device:
        yield device
        return
    paddle.set_device(device)
    try:
        yield device
    finally:
        paddle.set_device(previous)


def place_device(place) -> str:
    """The device string ('cpu', 'gpu:N') of a tensor's ``place``."""
    return f"gpu:{place.gpu_device_id()}" if place.is_gpu_place() else "cpu"


def resolve_device(gpu_ids: str = "0") -> str:
    """``gpu_ids`` as the original's option: '-1' forces the CPU; '0' or '0,1' asks for GPUs.

    Under ``paddle.distributed.launch`` each process takes the GPU the launcher gave it.
    Returns the device to use ('cpu' or 'gpu:N'); sets nothing.
    """
    try:
        ids = [int(i) for i in str(gpu_ids).split(",") if i.strip() != ""]
    except ValueError:
        raise ValueError(f"--gpu_ids {gpu_ids!r}: expected GPU ids such as 0 or 0,1, or -1 for the CPU") from None
    want_gpu = bool(ids) and ids[0] >= 0
    has_gpu = paddle.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0
    if want_gpu and has_gpu:
        if paddle.distributed.get_world_size() > 1:
            device = f"gpu:{paddle.distributed.ParallelEnv().device_id}"
        else:
            device = f"gpu:{ids[0]}"
    else:
        if want_gpu and paddle.is_compiled_with_cuda():  # a CPU-only Paddle: nothing to say
            log.info("no CUDA GPU visible to Paddle: running on the CPU")
        device = "cpu"
    return device


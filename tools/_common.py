"""What every tool imports first, before anything imports paddle.

Puts the repository on ``sys.path`` (tools run from a checkout), filters Paddle's known noise
(the "No ccache found" warning that ``import paddle`` emits: it is about compiling C++
extensions, which no tool does) and sets up the CPU process (threads, malloc, MKL: see
:func:`paddle_inade.device.setup_cpu_process`). :func:`quiet_native_stderr` drops known
lines that Paddle's C++ code logs during one call. Nothing else is filtered: errors and
any other warning still show.
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

#: Lines Paddle's C++ code logs that say nothing to a user of the tools.
NATIVE_NOISE = ("Paddle static graph(PIR) not support input out tensor for now",)

warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning,
                        module=r"paddle\.utils\.cpp_extension")

from paddle_inade.device import setup_cpu_process  # noqa: E402

CORES = setup_cpu_process()


@contextlib.contextmanager
def quiet_native_stderr(noise=NATIVE_NOISE):
    """Within the block, what C++ code writes to stderr (file descriptor 2) is held in a
    temporary file; afterwards (also on an exception) every line is written out except those
    containing one of ``noise``."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            for line in held.read().decode(errors="replace").splitlines(keepends=True):
                if not any(text in line for text in noise):
                    sys.stderr.write(line)
            sys.stderr.flush()

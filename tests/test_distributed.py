"""Data parallel on the CPU: two gloo processes average to one process on the whole batch."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from conftest import rel_err

WORKER = Path(__file__).parent / "helpers" / "dp_worker.py"


def _run(args, cwd, timeout=300):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_two_processes_equal_one_process_on_the_concatenated_batch(tmp_path):
    single, multi = tmp_path / "single", tmp_path / "multi"
    single.mkdir(), multi.mkdir()
    _run([str(WORKER), "--single", "--out", str(single)], tmp_path)
    _run(["-m", "paddle.distributed.launch", "--nproc_per_node", "2", "--log_dir",
          str(tmp_path / "log"), str(WORKER), "--out", str(multi)], tmp_path)
    ref = np.load(single / "rank0.npz")
    ranks = [np.load(multi / f"rank{r}.npz") for r in range(2)]
    assert set(ref.files) == set(ranks[0].files) and len(ref.files) > 20
    for key in ref.files:
        np.testing.assert_array_equal(ranks[0][key], ranks[1][key])  # all-reduced: identical
        if np.linalg.norm(ref[key]) > 1e-6:
            assert rel_err(ranks[0][key], ref[key]) < 1e-4, key

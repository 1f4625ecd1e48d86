"""Process set-up (threads, allocator, MKL): each case in a fresh interpreter; the docs and notebooks call it."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SNIPPET = ("from paddle_inade.device import setup_cpu_process, tune_malloc; import os; "
           "cores = setup_cpu_process(); print(tune_malloc(), cores, os.environ['OMP_NUM_THREADS'])")


def _run(**env):
    drop = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "PADDLE_INADE_MALLOC", "PADDLE_LOCAL_SIZE")
    full = {k: v for k, v in os.environ.items() if k not in drop}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", SNIPPET], cwd=ROOT, env=full, capture_output=True,
                         text=True, check=True)
    return out.stdout.split()


def test_all_cores_and_tune_malloc_on_glibc_unless_turned_off():
    tuned, cores, threads = _run()
    # all cores, although importing paddle (through paddle_inade) had set OMP_NUM_THREADS=1
    assert threads == cores == str(len(os.sched_getaffinity(0)))
    assert tuned == str(platform.libc_ver()[0] == "glibc")  # mallopt is glibc's; a no-op elsewhere
    assert _run(PADDLE_INADE_MALLOC="default")[0] == "False"


def test_user_thread_setting_is_kept():
    assert _run(OMP_NUM_THREADS="1")[2] == "1"


def test_launched_processes_share_the_cores():
    cores = len(os.sched_getaffinity(0))
    assert _run(PADDLE_LOCAL_SIZE="2")[2] == str(max(1, cores // 2))


MKL_SNIPPET = ("from paddle_inade.device import tune_mkl; import os; "
               "print(tune_mkl(), os.environ.get('MKL_DEBUG_CPU_TYPE', '-'))")


def _run_mkl(**env):
    full = {k: v for k, v in os.environ.items() if k not in ("MKL_DEBUG_CPU_TYPE", "PADDLE_INADE_MKL")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", MKL_SNIPPET], cwd=ROOT, env=full, capture_output=True,
                          text=True, check=True).stdout.split()


def test_mkl_avx2_path_requested_exactly_on_amd_with_avx2():
    from paddle_inade.device import _cpu_info
    vendor, flags = _cpu_info()
    amd = vendor == "AuthenticAMD" and {"avx2", "fma"} <= flags
    assert _run_mkl() == (["True", "5"] if amd else ["False", "-"])
    assert _run_mkl(PADDLE_INADE_MKL="default") == ["False", "-"]
    assert _run_mkl(MKL_DEBUG_CPU_TYPE="2") == ["False", "2"]  # the user's value is kept


ORDER_SNIPPET = ("import os, sys; {first}import paddle_inade; {between}"
                 "print(paddle_inade.setup_cpu_process(), paddle_inade.setup_cpu_process(), "
                 "os.environ['OMP_NUM_THREADS'], os.environ['MKL_NUM_THREADS'])")


def _run_order(first: str = "", between: str = "", **env):
    full = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                             "PADDLE_LOCAL_SIZE")}
    full.update(env)
    code = ORDER_SNIPPET.format(first=first, between=between)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True,
                          text=True, check=True).stdout.split()


def test_paddle_imported_first_its_one_thread_is_not_taken_for_the_users():
    cores = str(len(os.sched_getaffinity(0)))
    # `import paddle` wrote OMP_NUM_THREADS=1 before paddle_inade could record the environment
    assert _run_order(first="import paddle; ") == [cores] * 4  # twice the same: harmless
    assert _run_order(first="import paddle; ", OMP_NUM_THREADS="1") == ["1"] * 4  # the user's 1


def test_thread_choice_made_after_import_is_kept_and_mkl_follows_omp():
    assert _run_order(between="os.environ['OMP_NUM_THREADS'] = '3'; ") == ["3"] * 4
    assert _run_order(OMP_NUM_THREADS="1", MKL_NUM_THREADS="2") == ["1", "1", "1", "2"]


BUILDS = ("Pipeline.from_", "build_generator(", "load_exported(")


def _python_snippets(path):
    return [part.split("```")[0] for part in path.read_text(encoding="utf-8").split("```python\n")[1:]]


def test_every_snippet_that_builds_a_model_and_every_notebook_calls_setup_first():
    docs = [Path(ROOT) / "README.md", *sorted(Path(ROOT).glob("docs_*.md"))]
    for doc in docs:
        for code in _python_snippets(doc):
            builds = [code.find(b) for b in BUILDS if b in code]
            if builds:
                assert -1 < code.find("setup_cpu_process()") < min(builds), f"{doc.name}:\n{code}"
    for nb in sorted((Path(ROOT) / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        first = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
        assert "paddle_inade.setup_cpu_process()" in first, nb.name

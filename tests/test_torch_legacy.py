"""The torch-free reader on torch's legacy (pre-1.6) checkpoint format, in which older releases
such as pytorch-AdaIN's vgg_normalised.pth / decoder.pth (2018) were saved."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import FIXTURES
from paddle_inade.convert import CheckpointFormatError, UnsafeCheckpointError, read_torch_checkpoint
from torch_format import malicious_pickle, write_torch_legacy

LEGACY = FIXTURES / "adain" / "legacy_state.pth"


def test_reads_a_file_written_by_torch_in_the_legacy_format():
    """Written by torch.save(..., _use_new_zipfile_serialization=False) (make_adain_fixtures.py):
    tensors sharing one storage at offsets, a transposed view, float16, int64, a scalar."""
    state = read_torch_checkpoint(LEGACY)
    with np.load(FIXTURES / "adain" / "legacy_state.npz") as expected:
        assert list(state) == list(expected.files)
        for key in expected.files:
            assert state[key].dtype == expected[key].dtype, key
            np.testing.assert_array_equal(state[key], expected[key])


def test_old_torch_storage_views_python2_names_and_rebuild_tensor(tmp_path):
    """torch < 0.4 pickled slices of storages as view metadata, Python 2 wrote names as byte
    strings, and tensors were rebuilt by _rebuild_tensor (no flags)."""
    root = np.arange(20, dtype=np.float32)
    path = tmp_path / "old.pth"
    write_torch_legacy(path, [
        {"name": "w", "key": "r0", "shape": (2, 3), "stride": (3, 1), "offset": 1, "view": ("v1", 4, 10)},
        {"name": "t", "key": "r0", "shape": (3, 2), "stride": (1, 3), "offset": 0},
        {"name": "i", "key": "r1", "shape": (2,), "stride": (1,), "offset": 0}],
        {"r0": root, "r1": np.array([7, 8], np.int64)}, python2=True, rebuild="_rebuild_tensor")
    state = read_torch_checkpoint(path)
    np.testing.assert_array_equal(state["w"], root[5:11].reshape(2, 3))
    np.testing.assert_array_equal(state["t"], root[:6].reshape(2, 3).T)
    np.testing.assert_array_equal(state["i"], [7, 8])


def test_truncated_legacy_file_names_the_file(tmp_path):
    data = LEGACY.read_bytes()
    for cut, name in ((len(data) - 5, "short.pth"), (60, "head.pth")):
        path = tmp_path / name
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointFormatError, match=name):
            read_torch_checkpoint(path)


def test_malicious_legacy_pickle_is_refused_and_not_run(tmp_path):
    import pickle
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    with open(path, "wb") as fh:
        for value in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            fh.write(pickle.dumps(value, protocol=2))
        fh.write(malicious_pickle(f"touch {marker}"))
    with pytest.raises(UnsafeCheckpointError, match=r"evil.pth: refusing to load 'os.system'"):
        read_torch_checkpoint(path)
    assert not marker.exists()


def test_a_plain_pickle_is_not_a_checkpoint(tmp_path):
    import pickle
    path = tmp_path / "plain.pth"
    path.write_bytes(pickle.dumps({"a": 1}, protocol=2))
    with pytest.raises(CheckpointFormatError, match="plain.pth: not a torch checkpoint"):
        read_torch_checkpoint(path)

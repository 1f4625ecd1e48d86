"""Index maps of one-hot label and instance maps, per resolution, shared by all ILADE layers.

For one-hot maps ILADE's class-wise and instance-wise sums pick one class row and one
instance row per pixel, so the modulation is constant over each (sample, class, instance)
*pair*, and a layout has few pairs (tens). The generator checks once per forward pass that
its maps are one-hot and builds one :class:`IndexMaps`: each pixel's pair index, and per
resolution the pair map's one-hot form (made once, by nearest resizing as the readable path
resizes the one-hot maps, and reused by every ILADE layer at that resolution). With maps that
are not one-hot :meth:`IndexMaps.maybe` returns None and ILADE takes its readable path.

Building them waits for the device once per forward pass (the number of pairs fixes shapes):
the check, the (class, instance) codes and their compaction run where the maps live
(:func:`compact_pairs_device`), and only the one-hot flag and the number of pairs are copied to
the host. :func:`compact_pairs_host` is the readable numpy version (``impl="host"``); both took
the same time on the CPU, so every device runs the same code.
"""
from __future__ import annotations

import numpy as np
import paddle
import paddle.nn.functional as F


def one_hot_check(maps: paddle.Tensor) -> tuple[paddle.Tensor, paddle.Tensor]:
    """Index map of a one-hot map and where it is one-hot, without waiting for the device.

    Args:
        maps: [N, L, H, W].
    Returns:
        ([N, H*W] int64 the channel holding the 1 at each pixel (meaningless where not ok),
        [N, H*W] bool ok: the pixel's entries are non-negative, sum to 1 and are concentrated on
        one channel).

    Uses matrix products for the channel reductions (Paddle's reductions over axis 1 of NCHW
    are slow on the CPU): with ``s_k = sum_l l^k x_l`` the map is one-hot iff ``sum_l |x_l| =
    s_0 = 1`` (non-negative, sums to 1) and ``s_2 = s_1^2`` (zero variance of the channel index
    under that distribution), all exact in float for one-hot maps.
    """
    n, l, h, w = maps.shape
    flat = maps.reshape([n, l, h * w]).astype("float32")
    ch = paddle.arange(l, dtype="float32")
    moments = paddle.stack([paddle.ones([l]), ch, ch * ch])  # [3, L]
    s = paddle.matmul(moments, flat)  # [N, 3, HW]
    s_abs = paddle.matmul(paddle.ones([1, l]), paddle.abs(flat))  # [N, 1, HW]
    s0, s1, s2 = s[:, 0], s[:, 1], s[:, 2]
    ok = (s_abs[:, 0] == 1) & (s0 == 1) & (s2 == s1 * s1) & (s1 == paddle.round(s1))
    index = paddle.where(ok, s1, paddle.zeros_like(s1)).astype("int64")
    return index, ok


def one_hot_index(maps: paddle.Tensor) -> paddle.Tensor | None:
    """[N, L, H, W] -> [N, H*W] int64 index map of a one-hot map, or None if it is not one-hot
    (:func:`one_hot_check`; one wait for the device)."""
    index, ok = one_hot_check(maps)
    return index if bool(ok.all()) else None


def pair_codes(labels: paddle.Tensor, instances: paddle.Tensor) -> paddle.Tensor:
    """[N, H*W] int64 ``label * K + instance`` of one-hot labels [N, L, H, W] and instances
    [N, K, H, W]; -1 at pixels where either map is not one-hot."""
    label_idx, label_ok = one_hot_check(labels)
    inst_idx, inst_ok = one_hot_check(instances)
    code = label_idx * instances.shape[1] + inst_idx
    return paddle.where(label_ok & inst_ok, code, paddle.full_like(code, -1))


def compact_pairs_host(code: np.ndarray):
    """The readable compaction: [N, HW] codes -> (inverse [N, HW] int64 pair index per pixel,
    pair_code [N, U] int64 the sorted codes of each sample, zero-padded)."""
    per_sample = [np.unique(c, return_inverse=True) for c in code]
    num = max(u.size for u, _ in per_sample)
    pair_code = np.zeros((code.shape[0], num), dtype=np.int64)
    for b, (u, _) in enumerate(per_sample):
        pair_code[b, :u.size] = u
    inverse = np.stack([inv.reshape(-1) for _, inv in per_sample]).astype(np.int64)
    return inverse, pair_code


def compact_pairs_device(code: paddle.Tensor, num_codes: int):
    """:func:`compact_pairs_host` with Paddle ops where ``code`` [N, HW] lives (codes in
    0..num_codes-1, or -1 anywhere: then None). One device-to-host copy (the flag and U).
    Returns (inverse [N, HW] int64, pair_code [N, U] int64) or None."""
    n = code.shape[0]
    valid = code >= 0
    present = paddle.zeros([n, num_codes + 1], dtype="int64")  # column num_codes: discarded
    present = paddle.put_along_axis(present, paddle.where(valid, code, paddle.full_like(code, num_codes)),
                                    paddle.ones(code.shape, "int64"), axis=1, reduce="assign")[:, :num_codes]
    stats = paddle.stack([valid.all().astype("int64"), present.sum(axis=1).max()]).numpy()
    if not stats[0]:
        return None
    num = int(stats[1])
    rank = paddle.cumsum(present, axis=1) - 1  # [N, num_codes]: pair index of each present code
    inverse = paddle.take_along_axis(rank, code, axis=1)
    slot = paddle.where(present > 0, rank, paddle.full_like(rank, num))
    codes = paddle.arange(num_codes, dtype="int64").reshape([1, -1]).expand([n, num_codes])
    pair_code = paddle.put_along_axis(paddle.zeros([n, num + 1], "int64"), slot, codes, axis=1,
                                      reduce="assign")[:, :num]
    return inverse, pair_code


class IndexMaps:
    """Label/instance pairs of one forward pass, as index maps per resolution.

    Args:
        pairs: [N, 1, H, W] float32, each pixel's pair index within its sample (0..U_n-1).
        pair_label: [N*U] int64, the class of pair u of sample n (row n*U + u; unused rows 0).
        pair_instance: [N*U] int64, ``n * K + instance`` of that pair.
        num_pairs: U, the largest per-sample number of pairs.
    """

    def __init__(self, pairs: paddle.Tensor, pair_label: paddle.Tensor,
                 pair_instance: paddle.Tensor, num_pairs: int):
        self.pairs = pairs
        self.pair_label = pair_label
        self.pair_instance = pair_instance
        self.num_pairs = num_pairs
        self._one_hot: dict[tuple[int, int], paddle.Tensor] = {}

    @classmethod
    def maybe(cls, labels: paddle.Tensor | None, instances: paddle.Tensor | None,
              impl: str | None = None) -> IndexMaps | None:
        """From one-hot labels [N, L, H, W] and instances [N, K, H, W]; None unless both are one-hot.

        One device-to-host copy. ``impl``: ``device`` (default: Paddle ops where the maps live)
        or ``host`` (the readable numpy compaction of a host copy of the codes)."""
        if labels is None or instances is None or list(labels.shape[2:]) != list(instances.shape[2:]):
            return None
        if impl not in (None, "device", "host"):
            raise ValueError(f"IndexMaps impl {impl!r} is not one of ['device', 'host']")
        n, l, h, w = labels.shape
        k = instances.shape[1]
        code = pair_codes(labels, instances)  # [N, HW]
        if impl == "host":
            code = code.numpy()
            found = None if (code < 0).any() else compact_pairs_host(code)
            found = found and tuple(paddle.to_tensor(a, place=labels.place) for a in found)
        else:
            found = compact_pairs_device(code, l * k)
        if found is None:
            return None
        inverse, pair_code = found  # [N, HW], [N, U]
        offset = paddle.arange(n, dtype="int64").reshape([n, 1]) * k
        return cls(inverse.astype("float32").reshape([n, 1, h, w]), (pair_code // k).reshape([-1]),
                   (pair_code % k + offset).reshape([-1]), pair_code.shape[1])

    def one_hot(self, height: int, width: int) -> paddle.Tensor:
        """[N, height*width, U] float32 one-hot pair map at that size (cached)."""
        key = (height, width)
        if key not in self._one_hot:
            pairs = self.pairs
            if list(pairs.shape[2:]) != [height, width]:
                pairs = F.interpolate(pairs, size=[height, width], mode="nearest")
            index = pairs.reshape([pairs.shape[0], height * width]).astype("int64")
            self._one_hot[key] = F.one_hot(index, self.num_pairs).astype("float32")
        return self._one_hot[key]

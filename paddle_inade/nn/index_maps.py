"""Index maps of one-hot label and instance maps, per resolution, shared by all ILADE layers.

For one-hot maps ILADE's class-wise and instance-wise sums pick one class row and one
instance row per pixel, so the modulation is constant over each (sample, class, instance)
*pair*, and a layout has few pairs (tens). The generator checks once per forward pass that
its maps are one-hot and builds one :class:`IndexMaps`: each pixel's pair index, and per
resolution the pair map's one-hot form (made once, by nearest resizing as the readable path
resizes the one-hot maps, and reused by every ILADE layer at that resolution). With maps that
are not one-hot :meth:`IndexMaps.maybe` returns None and ILADE takes its readable path.
"""
from __future__ import annotations

import numpy as np
import paddle
import paddle.nn.functional as F


def one_hot_index(maps: paddle.Tensor) -> paddle.Tensor | None:
    """Index map of a one-hot map, or None if it is not one-hot.

    Args:
        maps: [N, L, H, W].
    Returns:
        [N, H*W] int64 (the channel holding the 1 at each pixel), or None unless every pixel
        has non-negative entries summing to 1 concentrated on one channel.

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
    if not bool(ok.all()):
        return None
    return s1.astype("int64")


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
    def maybe(cls, labels: paddle.Tensor | None,
              instances: paddle.Tensor | None) -> IndexMaps | None:
        """From one-hot labels [N, L, H, W] and instances [N, K, H, W]; None unless both are one-hot."""
        if labels is None or instances is None or list(labels.shape[2:]) != list(instances.shape[2:]):
            return None
        label_idx = one_hot_index(labels)
        if label_idx is None:
            return None
        inst_idx = one_hot_index(instances)
        if inst_idx is None:
            return None
        n, _, h, w = labels.shape
        k = instances.shape[1]
        # Compact the (class, instance) codes of each sample on the host (a small int map).
        code = label_idx.numpy() * k + inst_idx.numpy()  # [N, HW]
        per_sample = [np.unique(c, return_inverse=True) for c in code]
        num = max(u.size for u, _ in per_sample)
        pair_code = np.zeros((n, num), dtype=np.int64)
        for b, (u, _) in enumerate(per_sample):
            pair_code[b, :u.size] = u
        inverse = np.stack([inv.reshape(-1) for _, inv in per_sample]).astype(np.float32)
        place = labels.place
        pair_instance = pair_code % k + np.arange(n)[:, None] * k
        return cls(paddle.to_tensor(inverse.reshape(n, 1, h, w), place=place),
                   paddle.to_tensor((pair_code // k).reshape(-1), place=place),
                   paddle.to_tensor(pair_instance.reshape(-1), place=place), num)

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

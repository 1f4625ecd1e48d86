"""ILADE, the INADE normalisation: class-wise distributions, instance-wise samples.

Each class ``l`` owns a scale and a bias distribution per channel, given by
``weight[l, c, k]`` and ``bias[l, c, k]`` (``k = 0`` for the modulation scale,
``k = 1`` for the modulation bias). Each instance ``i`` has one noise vector per
k, ``noise[n, i, k]`` ([noise_nc]), shared by every ILADE layer of the generator;
``fc_noise`` maps it to the layer's channels. At a pixel of class ``l`` and
instance ``i``:

    m_k = weight[l, :, k] * fc_noise(noise[n, i, k]) + bias[l, :, k]
    out = m_0 * param_free_norm(x) + m_1

With one-hot maps the sums below pick exactly one class and one instance per
pixel; the general form (matrix products over the one-hot channels) is what the
original computes with ``torch.einsum``, so soft maps give the same numbers too.

Two paths with the same numbers:

* readable (:meth:`ILADE.modulation`): resize the one-hot maps to x's size, four matrix
  products over the class / instance channels, ``scale * param_free_norm(x) + bias``.
  Taken for any maps, and always when no :class:`IndexMaps` is passed.
* look-up (:meth:`ILADE.lookup`), when the generator passes the :class:`IndexMaps` of its
  one-hot maps: the modulation is constant over each (sample, class, instance) pair, so a
  layer computes two small tables [N, U, C] (U pairs, tens), side by side, spreads them to
  the pixels with one matrix product against the pair one-hot map shared by every layer at
  that resolution, and returns ``norm(x) * a_map + b_map`` (with running statistics the norm is
  folded into the tables: ``x * a_map + b_map``): no resized label map, no product over all
  classes. (A gather along the channel-major layout is several times
  slower than these thin matrix products in Paddle on the CPU.)
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

from .channel_bias import Conv2D
from .index_maps import IndexMaps
from .param_free_norm import ParamFreeNorm


def _check_noise(noise: paddle.Tensor, batch: int, n_instances: int, noise_nc: int) -> None:
    expected = [batch, n_instances, 2, noise_nc]
    if list(noise.shape) != expected:
        raise ValueError(f"ILADE noise must have shape [B, K, 2, noise_nc] = {expected} "
                         f"(K = instance channels), got {list(noise.shape)}")


def project_maps(table: paddle.Tensor, maps: paddle.Tensor) -> paddle.Tensor:
    """``einsum('nlc,nlhw->nchw')`` as a batched matrix product.

    Args:
        table: [L, C] (shared) or [N, L, C] (per sample).
        maps: [N, L, H, W] one-hot (or soft) maps.
    Returns:
        [N, C, H, W]
    """
    n, l, h, w = maps.shape
    flat = maps.reshape([n, l, h * w])
    out = paddle.matmul(table, flat, transpose_x=True)  # [(N,) C, L] @ [N, L, HW]
    return out.reshape([n, -1, h, w])


def _side_by_side(table: paddle.Tensor) -> paddle.Tensor:
    """[L, C, 2] (the parameter's layout, as the original's) -> [L, 2C]: k = 0's C values, then k = 1's."""
    # Two slices, not a transpose: a transpose's backward leaves the parameter a strided
    # (non-contiguous) gradient, which collectives such as all_reduce refuse.
    return paddle.concat([table[:, :, 0], table[:, :, 1]], axis=1)


class ILADE(nn.Layer):
    """Instance-Adaptive DEnormalisation.

    Args:
        norm_nc: channels of the normalised activation.
        label_nc: one-hot label channels (with the dontcare class, without the edge map).
        noise_nc: width of the per-instance noise.
        param_free: ``instance``, ``batch`` or ``syncbatch``.
        add_sketch: add the sketch branch (``sketch_conv`` then 1x1 ``merge_conv``).
    """

    def __init__(self, norm_nc: int, label_nc: int, noise_nc: int,
                 param_free: str = "syncbatch", add_sketch: bool = False):
        super().__init__()
        self.norm_nc, self.label_nc, self.noise_nc = norm_nc, label_nc, noise_nc
        self.param_free_norm = ParamFreeNorm(norm_nc, param_free)
        self.weight = self.create_parameter(
            [label_nc, norm_nc, 2], default_initializer=nn.initializer.Uniform(0.0, 1.0))
        self.bias = self.create_parameter(
            [label_nc, norm_nc, 2], default_initializer=nn.initializer.Constant(0.0))
        self.fc_noise = nn.Linear(noise_nc, norm_nc)
        self.add_sketch = add_sketch
        if add_sketch:
            self.sketch_conv = Conv2D(1, norm_nc, 3, padding=1)
            self.merge_conv = Conv2D(2 * norm_nc, norm_nc, 1, bias_attr=False)

    def modulation(self, segmap: paddle.Tensor, instances: paddle.Tensor,
                   noise: paddle.Tensor) -> tuple[paddle.Tensor, paddle.Tensor]:
        """Scale and bias maps, both [N, norm_nc, H, W].

        Args:
            segmap: [N, label_nc, H, W] one-hot labels at the activation's size.
            instances: [N, K, H, W] one-hot instances at the activation's size.
            noise: [N, K, 2, noise_nc].
        """
        noise_fc = self.fc_noise(noise)  # [N, K, 2, C]
        maps = []
        for k in range(2):
            class_weight = project_maps(self.weight[:, :, k], segmap)
            class_bias = project_maps(self.bias[:, :, k], segmap)
            instance_noise = project_maps(noise_fc[:, :, k, :], instances)
            maps.append(class_weight * instance_noise + class_bias)
        return maps[0], maps[1]

    def lookup(self, x: paddle.Tensor, maps: IndexMaps, noise: paddle.Tensor) -> paddle.Tensor:
        """``scale * param_free_norm(x) + shift`` by table look-up (one-hot maps only).

        Args:
            x: [N, C, H, W] the activation (not normalised).
            maps: the generator's :class:`IndexMaps` of this forward pass.
            noise: [N, K, 2, noise_nc].
        Returns:
            [N, C, H, W], the readable path's numbers up to float rounding.

        With running statistics (a batch norm in eval mode) the normalisation is an affine map
        per channel and is folded into the tables (``a = scale * inv_std``, ``b = shift - mean *
        a``), so the activation is read once; otherwise the fused norm kernel normalises first.
        """
        n, c, h, w = x.shape
        u = maps.num_pairs
        # scale and shift side by side along the last axis ([..., :C] scale, [..., C:] shift): one
        # gather, product and sum for both tables
        inst = paddle.gather(self.fc_noise(noise).reshape([-1, 2 * c]), maps.pair_instance)  # [N*U, 2C]
        weight = paddle.gather(_side_by_side(self.weight), maps.pair_label)  # [N*U, 2C]
        bias = paddle.gather(_side_by_side(self.bias), maps.pair_label)
        ab = (weight * inst + bias).reshape([n, u, 2 * c])  # [N, U, 2C]
        fold = self.param_free_norm.kind != "instance" and not self.param_free_norm.training
        if fold:
            mean, inv_std = self.param_free_norm.affine(x)  # [1, C]
            a = ab[:, :, :c] * inv_std.reshape([1, 1, c])
            ab = paddle.concat([a, ab[:, :, c:] - mean.reshape([1, 1, c]) * a], axis=2)
        else:
            x = self.param_free_norm(x)
        one_hot = maps.one_hot(h, w)  # [N, HW, U]
        ab_map = paddle.matmul(ab, one_hot, transpose_x=True, transpose_y=True)  # [N, 2C, HW]
        a_map, b_map = paddle.split(ab_map, 2, axis=1)  # [N, C, HW] each
        x = x.reshape([n, c, h * w])
        if paddle.is_grad_enabled() and not (x.stop_gradient and a_map.stop_gradient):
            out = x * a_map + b_map
        else:  # nothing to differentiate: work in a_map's memory
            out = a_map.multiply_(x).add_(b_map)
        return out.reshape([n, c, h, w])

    def forward(self, x: paddle.Tensor, segmap: paddle.Tensor, input_instances: paddle.Tensor,
                noise: paddle.Tensor, sketch: paddle.Tensor | None = None,
                index_maps: IndexMaps | None = None) -> paddle.Tensor:
        """x [N, norm_nc, H, W]; segmap [N, label_nc + 1, H0, W0] (the last channel, the
        instance edge map, is not used); input_instances [N, K, H0, W0]; noise [N, K, 2,
        noise_nc]; sketch [N, 1, H0, W0] when ``add_sketch``; ``index_maps``: the
        :class:`IndexMaps` of these (one-hot) maps, selects the look-up path. Returns
        [N, norm_nc, H, W]."""
        _check_noise(noise, x.shape[0], input_instances.shape[1], self.noise_nc)
        size = x.shape[2:]
        if index_maps is not None:
            out = self.lookup(x, index_maps, noise)
        else:
            normalized = self.param_free_norm(x)
            segmap = F.interpolate(segmap, size=size, mode="nearest")[:, : self.label_nc]
            instances = F.interpolate(input_instances, size=size, mode="nearest")
            scale, bias = self.modulation(segmap, instances, noise)
            out = scale * normalized + bias
        if self.add_sketch:
            if sketch is None:
                raise ValueError("ILADE was built with add_sketch=True: pass sketch [N, 1, H, W]")
            sketch = self.sketch_conv(F.interpolate(sketch, size=size, mode="nearest"))
            out = self.merge_conv(paddle.concat([out, sketch], axis=1))
        return out

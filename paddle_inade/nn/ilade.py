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
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

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
            self.sketch_conv = nn.Conv2D(1, norm_nc, 3, padding=1)
            self.merge_conv = nn.Conv2D(2 * norm_nc, norm_nc, 1, bias_attr=False)

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

    def forward(self, x: paddle.Tensor, segmap: paddle.Tensor, input_instances: paddle.Tensor,
                noise: paddle.Tensor, sketch: paddle.Tensor | None = None) -> paddle.Tensor:
        """x [N, norm_nc, H, W]; segmap [N, label_nc + 1, H0, W0] (the last channel, the
        instance edge map, is not used); input_instances [N, K, H0, W0]; noise [N, K, 2,
        noise_nc]; sketch [N, 1, H0, W0] when ``add_sketch``. Returns [N, norm_nc, H, W]."""
        _check_noise(noise, x.shape[0], input_instances.shape[1], self.noise_nc)
        size = x.shape[2:]
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

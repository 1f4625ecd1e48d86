"""InstanceAdaptiveEncoder: per-instance distribution parameters from a reference image.

A small U-Net of :class:`InstanceAwareConv2d` layers (so features never mix
instances) followed by four heads (scale mu / logvar, bias mu / logvar) that are
averaged over each instance's pixels (:func:`inst_avg_pooling`). The widths follow
the original, which uses ``ngf`` (not ``nef``) here.
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

from ..nn import InstanceAwareConv2d
from ..nn.fast_instance_conv import fast_instance_conv2d
from ..nn.geometry_choice import instance_conv_geometries
from ..nn.instance_geometry import ConvSpec, InstanceConvGeometry
from ..nn.param_free_norm import instance_norm

#: (layer, its input size as a fraction 1/d of the image's) in the order of the forward pass.
_LAYER_SCALES = (("layer1", 1), ("layer2", 2), ("layer3", 4), ("layer4", 8), ("middle", 16),
                 ("up1", 8), ("up2", 4), ("up3", 2), ("scale_conv_mu", 1), ("scale_conv_var", 1),
                 ("bias_conv_mu", 1), ("bias_conv_var", 1))


def inst_avg_pooling(x: paddle.Tensor, instances: paddle.Tensor) -> paddle.Tensor:
    """Mean of ``x`` over each instance's pixels, in one batched reduction.

    Args:
        x: [N, C, H, W] features.
        instances: [N, K, H, W] one-hot instance map at the same size.
    Returns:
        [N, K, C]; an empty instance gives 0 (its pixel count is taken as 1, as the original).
    """
    n, c, h, w = x.shape
    k = instances.shape[1]
    masks = instances.reshape([n, k, h * w])
    sums = paddle.matmul(masks, x.reshape([n, c, h * w]), transpose_y=True)  # [N, K, C]
    counts = masks.sum(axis=2, keepdim=True)
    counts = paddle.where(counts == 0, paddle.ones_like(counts), counts)
    return sums / counts


class InstanceAdaptiveEncoder(nn.Layer):
    """E(image [N, 3, H, W], input_instances [N, K, H, W]) ->
    (s_mu, s_logvar, b_mu, b_logvar), each [N, K, noise_nc]. H and W must be multiples of 16."""

    def __init__(self, ngf: int, noise_nc: int):
        super().__init__()
        nf = ngf
        conv = InstanceAwareConv2d
        self.layer1 = conv(3, nf, 3, stride=2, padding=1)
        self.layer2 = conv(nf, nf * 2, 3, stride=2, padding=1)
        self.layer3 = conv(nf * 2, nf * 4, 3, stride=2, padding=1)
        self.layer4 = conv(nf * 4, nf * 8, 3, stride=2, padding=1)
        self.middle = conv(nf * 8, nf * 4, 3, stride=1, padding=1)
        self.up1 = conv(nf * 8, nf * 2, 3, stride=1, padding=1)
        self.up2 = conv(nf * 4, nf, 3, stride=1, padding=1)
        self.up3 = conv(nf * 2, nf, 3, stride=1, padding=1)
        self.scale_conv_mu = conv(nf, noise_nc, 3, stride=1, padding=1)
        self.scale_conv_var = conv(nf, noise_nc, 3, stride=1, padding=1)
        self.bias_conv_mu = conv(nf, noise_nc, 3, stride=1, padding=1)
        self.bias_conv_var = conv(nf, noise_nc, 3, stride=1, padding=1)

    @staticmethod
    def _act(x: paddle.Tensor) -> paddle.Tensor:
        return F.leaky_relu(instance_norm(x), 0.2)

    @staticmethod
    def _up(x: paddle.Tensor) -> paddle.Tensor:
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

    def geometries(self, ids: paddle.Tensor, resized: dict | None = None) -> dict[str, InstanceConvGeometry]:
        """Boundary geometries of ``ids`` [N, 1, H, W] for every fast layer, by name.

        Computed together before the first convolution (one wait for the device on a GPU, instead
        of one per layer); empty while a static graph is traced (the layers then run unfold).
        ``resized``: filled with {(height, width): ids at that size} for the layers to reuse."""
        if not paddle.in_dynamic_mode():
            return {}
        h, w = ids.shape[2:]
        specs = {}
        for name, d in _LAYER_SCALES:
            layer = getattr(self, name)
            if layer.impl == "fast":
                specs[name] = ConvSpec(h // d, w // d, layer.kw, layer.stride, layer.padding)
        found = instance_conv_geometries(ids, list(specs.values()), resized=resized)
        return {name: found[spec] for name, spec in specs.items()}

    def features(self, image: paddle.Tensor, ids: paddle.Tensor,
                 geometries: dict[str, InstanceConvGeometry] | None = None,
                 resized: dict | None = None) -> paddle.Tensor:
        """U-Net features [N, ngf, H, W]; ``ids`` [N, 1, H, W] instance ids as floats;
        ``geometries`` and ``resized``: from :meth:`geometries` (computed here when None)."""
        if geometries is None:
            resized = {}
            geometries = self.geometries(ids, resized)
        resized = resized or {}

        def conv(name: str, x: paddle.Tensor) -> paddle.Tensor:
            ids_here = resized.get(tuple(x.shape[2:]), ids)  # else the layer resizes them
            return self._act(getattr(self, name)(x, ids_here, geometry=geometries.get(name)))

        x1 = conv("layer1", image)
        x2 = conv("layer2", x1)
        x3 = conv("layer3", x2)
        x4 = conv("layer4", x3)
        y = self._up(conv("middle", x4))
        y = self._up(conv("up1", paddle.concat([y, x3], 1)))
        y = self._up(conv("up2", paddle.concat([y, x2], 1)))
        return self._up(conv("up3", paddle.concat([y, x1], 1)))

    def forward(self, image: paddle.Tensor, input_instances: paddle.Tensor):
        if image.ndim != 4 or image.shape[1] != 3:
            raise ValueError(f"image must be [N, 3, H, W], got {list(image.shape)}")
        if input_instances.ndim != 4 or list(input_instances.shape[2:]) != list(image.shape[2:]) \
                or input_instances.shape[0] != image.shape[0]:
            raise ValueError(f"input_instances must be [N={image.shape[0]}, K, {image.shape[2]}, "
                             f"{image.shape[3]}] like the image, got {list(input_instances.shape)}")
        if image.shape[2] % 16 or image.shape[3] % 16:
            raise ValueError(f"the instance-adaptive encoder needs H and W divisible by 16, "
                             f"got {list(image.shape[2:])}")
        ids = paddle.argmax(input_instances, axis=1, keepdim=True).astype(image.dtype)
        resized: dict = {}
        geometries = self.geometries(ids, resized)
        y = self.features(image, ids, geometries, resized)
        names = ("scale_conv_mu", "scale_conv_var", "bias_conv_mu", "bias_conv_var")
        heads = [getattr(self, name) for name in names]
        if any(head.impl != "fast" for head in heads):
            return tuple(inst_avg_pooling(head(y, ids, geometry=geometries.get(name)), input_instances)
                         for name, head in zip(names, heads))
        # the four heads see the same input and ids: one convolution with their weights stacked
        weight = paddle.concat([head.weight for head in heads])
        bias = paddle.concat([head.bias for head in heads])
        out = fast_instance_conv2d(y, ids, weight, bias, 1, 1, geometry=geometries.get(names[0]))
        return tuple(paddle.split(inst_avg_pooling(out, input_instances), len(heads), axis=2))

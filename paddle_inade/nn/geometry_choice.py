"""The boundary geometries of one id map for several convolutions, each built where it is
fastest: NumPy on the host for CPU tensors (the readable reference), Paddle ops on the device
elsewhere (:mod:`.instance_geometry_device`, compared with the host's field for field)."""
from __future__ import annotations

from typing import Sequence

import paddle

from .instance_geometry import (IMPLS, ConvSpec, InstanceConvGeometry, _host_geometries, default_impl,
                                resized_ids)
from .instance_geometry_device import device_geometries


def instance_conv_geometries(ids: paddle.Tensor, specs: Sequence[ConvSpec], impl: str | None = None,
                             resized: dict | None = None) -> dict[ConvSpec, InstanceConvGeometry]:
    """The geometries of one id map for several convolutions, with one device-to-host copy.

    Args:
        ids: [N, 1, H, W] instance ids (floats); resized (nearest) to each spec's input size.
        specs: the convolutions (repeats are computed once).
        impl: ``host`` or ``device``; None: :func:`default_impl` of the ids' place.
        resized: optional {(height, width): ids at that size} to use (and fill) instead of
            resizing here, so that a caller passes the same maps to its layers.
    Returns:
        {spec: geometry}; :meth:`InstanceConvGeometry.empty` where no window crosses a boundary.
    """
    specs = list(dict.fromkeys(specs))
    impl = impl or default_impl(ids.place)
    if impl not in IMPLS:
        raise ValueError(f"geometry impl {impl!r} is not one of {list(IMPLS)}")
    if not specs:
        return {}
    resized = {} if resized is None else resized
    for s in specs:
        if (s.height, s.width) not in resized:
            resized[(s.height, s.width)] = resized_ids(ids, s.height, s.width)
    maps = [resized[(s.height, s.width)] for s in specs]
    build = _host_geometries if impl == "host" else device_geometries
    return dict(zip(specs, build(maps, specs)))


def instance_conv_geometry(instances: paddle.Tensor, kernel: int, stride: int,
                           padding: int) -> InstanceConvGeometry | None:
    """Boundary geometry of an id map for one k x k convolution; None if no window crosses one.

    Args:
        instances: [N, 1, H, W] instance ids (floats) at the convolution input's size.
        kernel, stride, padding: the convolution's.
    Returns:
        An :class:`InstanceConvGeometry`, or None when every window lies in one instance (then
        the instance-aware convolution is exactly the plain one).
    """
    h, w = instances.shape[2:]
    geometry = instance_conv_geometries(instances, [ConvSpec(h, w, kernel, stride, padding)])
    geometry = next(iter(geometry.values()))
    return geometry if geometry.num_positions else None

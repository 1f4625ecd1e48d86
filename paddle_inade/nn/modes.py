"""Running a caller's networks in eval mode without changing them for good."""
from __future__ import annotations

import contextlib
from typing import Iterator


@contextlib.contextmanager
def eval_mode(*nets) -> Iterator[None]:
    """Within the block, ``nets`` (paddle Layers, None skipped) are in eval mode; afterwards every
    layer has its own mode back (also a layer the caller had set apart from its parent)."""
    layers = [(layer, layer.training) for net in nets if net is not None
              for layer in net.sublayers(include_self=True)]
    for net in nets:
        if net is not None:
            net.eval()
    try:
        yield
    finally:
        for layer, training in layers:
            layer.training = training


@contextlib.contextmanager
def sublayer_attribute(net, name: str, value) -> Iterator[None]:
    """Within the block, every sublayer of ``net`` that has attribute ``name`` has ``value``;
    afterwards each has its own value back (e.g. ``impl`` of the convolutions)."""
    layers = [(layer, getattr(layer, name)) for layer in net.sublayers(include_self=True)
              if hasattr(layer, name)]
    for layer, _ in layers:
        setattr(layer, name, value)
    try:
        yield
    finally:
        for layer, old in layers:
            setattr(layer, name, old)

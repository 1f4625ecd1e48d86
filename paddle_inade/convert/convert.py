"""Convert a PyTorch checkpoint of the original into a Paddle ``.pdparams`` file."""
from __future__ import annotations

import logging

from .. import models
from ..config import INADEConfig
from ..files import atomic_save
from ..weights import TorchState, check_weights, load_state_file

log = logging.getLogger(__name__)
NETS = ("G", "E", "D", "vgg19")


def build_net(net: str, cfg, networks=models):
    """The Paddle network that a ``--net`` checkpoint belongs to (uninitialised), built by
    ``networks`` (the model family's ``build_generator`` / ``build_encoder`` /
    ``build_discriminator``: INADE's :mod:`paddle_inade.models` unless given) from ``cfg``."""
    if net == "vgg19":
        from ..models.vgg import VGG19
        return VGG19()
    if cfg is None:
        raise ValueError(f"--net {net} needs the model options: pass --preset or --config")
    if net == "G":
        return networks.build_generator(cfg, init=False)
    if net == "E":
        encoder = networks.build_encoder(cfg, init=False)
        if encoder is None:
            raise ValueError("--net E: these options have no encoder (use_vae is off and norm_mode is spade)")
        return encoder
    if net == "D":
        return networks.build_discriminator(cfg, init=False)
    raise ValueError(f"--net {net!r} is not one of {list(NETS)}")


def convert_checkpoint(src: str, dst: str, net: str, cfg: INADEConfig | None, networks=models) -> int:
    """Read ``src`` (torch), check it against the network of ``net``/``cfg`` (built by
    ``networks``, see :func:`build_net`) key by key, and write ``dst`` (Paddle). Returns the
    number of tensors written. Nothing is written if anything does not fit."""
    layer = build_net(net, cfg, networks)
    torch_state = load_state_file(src)
    if not isinstance(torch_state, TorchState):
        raise ValueError(f"{src} is a Paddle state dict already (paddle.save): there is nothing to convert; "
                         "load it as it is")
    if net == "vgg19":
        from ..models.vgg import vgg19_feature_state
        torch_state = TorchState(vgg19_feature_state(torch_state))
    state = check_weights(layer, torch_state, source=src, options=cfg)
    import paddle
    atomic_save(dst, {k: paddle.to_tensor(v) for k, v in state.items()})
    log.debug("wrote %d tensors to %s", len(state), dst)
    return len(state)

"""Convert a PyTorch checkpoint of the original into a Paddle ``.pdparams`` file."""
from __future__ import annotations

import logging

from ..config import INADEConfig
from ..io import TorchState, atomic_save, check_weights, load_state_file

log = logging.getLogger(__name__)
NETS = ("G", "E", "D", "vgg19")


def build_net(net: str, cfg):
    """The Paddle network that a ``--net`` checkpoint belongs to (uninitialised); ``cfg`` is an
    :class:`INADEConfig` or, for GroupDNet, a :class:`~paddle_inade.smis.SMISConfig`."""
    from .. import models, smis
    family = smis if isinstance(cfg, smis.SMISConfig) else models
    if net == "vgg19":
        from ..models.vgg import VGG19
        return VGG19()
    if cfg is None:
        raise ValueError(f"--net {net} needs the model options: pass --preset or --config")
    if net == "G":
        return family.build_generator(cfg, init=False)
    if net == "E":
        encoder = family.build_encoder(cfg, init=False)
        if encoder is None:
            raise ValueError("--net E: these options have no encoder (use_vae is off and norm_mode is spade)")
        return encoder
    if net == "D":
        return family.build_discriminator(cfg, init=False)
    raise ValueError(f"--net {net!r} is not one of {list(NETS)}")


def convert_checkpoint(src: str, dst: str, net: str, cfg: INADEConfig | None) -> int:
    """Read ``src`` (torch), check it against the network of ``net``/``cfg`` key by key,
    and write ``dst`` (Paddle). Returns the number of tensors written. Nothing is written
    if anything does not fit."""
    layer = build_net(net, cfg)
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

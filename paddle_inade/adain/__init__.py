"""AdaIN (Huang and Belongie, ICCV 2017) as pytorch-AdaIN implements it: the normalisation that
SPADE and INADE grow from, with its released weights (read without PyTorch).

    from paddle_inade.adain import AdaINPipeline
    pipe = AdaINPipeline.from_pretrained(vgg="vgg_normalised.pth", decoder="decoder.pth")
    out = pipe.transfer(content, style, alpha=0.8)        # uint8 [H, W, 3] in and out
"""
from .color import coral
from .decoder import Decoder, init_decoder
from .function import adain, adaptive_instance_normalization, calc_mean_std, masked_adain
from .net import Net
from .pipeline import AdaINPipeline
from .vgg import VGGEncoder
from .weights import load_decoder_weights, load_encoder_weights

__all__ = ["AdaINPipeline", "VGGEncoder", "Decoder", "Net", "init_decoder", "calc_mean_std",
           "adaptive_instance_normalization", "adain", "masked_adain", "coral",
           "load_encoder_weights", "load_decoder_weights"]

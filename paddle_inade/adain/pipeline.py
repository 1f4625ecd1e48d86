"""AdaINPipeline: arbitrary style transfer with NumPy images in and out.

    pipe = AdaINPipeline.from_pretrained(vgg="models/vgg_normalised.pth", decoder="models/decoder.pth")
    out = pipe.transfer(content, style)                                    # uint8 [H', W', 3]
    out = pipe.transfer(content, style, alpha=0.5, preserve_color=True)
    out = pipe.transfer(content, [s1, s2, s3], interpolation_weights=[1, 1, 2])
    out = pipe.transfer(content, [fg_style, bg_style], mask=mask)          # mask: [H, W] binary
    pipe.save_pretrained("adain_weights")                                  # .pdparams pair

Images are RGB [H, W, 3]: uint8, or float in [0, 1]. What is computed follows
pytorch-AdaIN's ``test.py`` on an image that has already been resized (the tools do that):
encode content and style(s) up to relu4_1, AdaIN (or the weighted mix of several styles,
or per mask region), blend with the content features by ``alpha``, decode. The output is
8 * ceil(ceil(ceil(H / 2) / 2) / 2) high (and so wide): the input size when it is a
multiple of 8.
"""
from __future__ import annotations

import logging
import os
from typing import Optional, Sequence, Union

import numpy as np
import paddle

from ..device import cpu_threads
from ..nn.modes import eval_mode
from ..pipeline_base import PIPELINE_FILE, Pipeline, loading_scope, on_device
from .color import coral
from .decoder import Decoder
from .function import (adaptive_instance_normalization, blend, check_alpha, interpolate_styles,
                       masked_adain, nearest_resize_mask, normalize_weights)
from ..nn.onednn_program import ProgramCache, check_impl, choose_impl, fall_back
from .onednn import encoder_part, static_layers
from .vgg import VGGEncoder, check_image_size
from .weights import load_decoder_weights, load_encoder_weights

log = logging.getLogger(__name__)
PathLike = Union[str, os.PathLike]
VGG_FILE, DECODER_FILE = "vgg_normalised.pdparams", "decoder.pdparams"
OUTPUTS = ("uint8", "float")


def as_rgb(image, what: str) -> np.ndarray:
    """RGB [H, W, 3] uint8 (or float in [0, 1]) -> float32 [3, H, W] in [0, 1], checked."""
    image = np.asarray(image)
    channels = image.shape[2] if image.ndim == 3 else (1 if image.ndim == 2 else None)
    if channels in (1, 2):
        raise ValueError(f"{what} is grayscale ({image.shape}); AdaIN needs RGB [H, W, 3]: convert it "
                         "(e.g. np.repeat(gray[..., None], 3, axis=2) or cv2.cvtColor)")
    if channels == 4:
        raise ValueError(f"{what} has an alpha channel ({image.shape}); AdaIN needs RGB [H, W, 3]: drop "
                         "or composite the alpha channel first")
    if channels != 3:
        raise ValueError(f"{what} must be an RGB image [H, W, 3], got shape {image.shape}")
    if image.dtype == np.uint8:
        out = image.astype(np.float32) / 255.0
    elif np.issubdtype(image.dtype, np.floating):
        out = image.astype(np.float32)
        if not np.isfinite(out).all():
            raise ValueError(f"{what} has NaN or infinite values")
    else:
        raise ValueError(f"{what} must be uint8 or float in [0, 1], got {image.dtype}")
    check_image_size(out.shape[0], out.shape[1], what)
    return np.ascontiguousarray(out.transpose(2, 0, 1))


def as_mask(mask, size: tuple[int, int], what: str = "mask") -> np.ndarray:
    """A binary [H, W] mask (bool, 0/1 or 0/255) of the content's size -> bool [H, W]."""
    mask = np.asarray(mask)
    if mask.ndim == 3 and mask.shape[2] == 1:
        mask = mask[..., 0]
    if mask.ndim != 2:
        raise ValueError(f"{what} must be a single-channel [H, W] map, got shape {mask.shape}")
    if mask.shape != tuple(size):
        raise ValueError(f"{what} is {mask.shape[0]}x{mask.shape[1]} (HxW) but the content image is "
                         f"{size[0]}x{size[1]}: give a mask of the content's size")
    if mask.dtype == bool:
        return mask
    values = set(np.unique(mask).tolist())
    if not (values <= {0, 1} or values <= {0, 255}):
        shown = sorted(values)[:6]
        raise ValueError(f"{what} must be binary (0/1 or 0/255), found values {shown}"
                         f"{' ...' if len(values) > 6 else ''}")
    return mask > 0


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float [3, H, W] (about [0, 1]) -> uint8 [H, W, 3], rounded and clipped as torchvision's
    ``save_image`` does."""
    return np.clip(np.asarray(image).transpose(1, 2, 0) * 255.0 + 0.5, 0, 255).astype(np.uint8)


class AdaINPipeline(Pipeline):
    """A normalised VGG encoder (up to relu4_1) and a decoder, run in eval mode (networks passed
    in keep their own mode between calls).

    On the CPU the networks run as a Paddle Inference program with oneDNN (:mod:`.onednn`),
    several times faster than eagerly and without ``paddle_inade.setup_cpu_process()``; it is
    built from the networks' weights at the first transfer, and again whenever they changed.

    Args:
        encoder: :class:`VGGEncoder`. decoder: :class:`Decoder`.
        impl: 'auto' (oneDNN on the CPU when Paddle has it, else eager), 'onednn', or
            'reference' (the eager networks, as on a GPU).
    """

    name = "adain"
    weight_files = {"encoder": VGG_FILE, "decoder": DECODER_FILE}

    def __init__(self, encoder: VGGEncoder, decoder: Decoder, impl: str = "auto"):
        self.encoder, self.decoder, self.impl = encoder, decoder, check_impl(impl)
        self._programs = (ProgramCache(encoder_part), ProgramCache(static_layers))

    # ------------------------------------------------------------------ weights
    @classmethod
    def from_pretrained(cls, path: Optional[PathLike] = None, vgg: Optional[PathLike] = None,
                        decoder: Optional[PathLike] = None, device: Optional[str] = None,
                        impl: str = "auto") -> "AdaINPipeline":
        """Load weights.

        Args:
            path: a folder written by :meth:`save_pretrained` (``vgg_normalised.pdparams``,
                ``decoder.pdparams``).
            vgg, decoder: weight files, overriding the folder's: the released
                ``vgg_normalised.pth`` / ``decoder.pth`` (read without torch), a trained
                ``decoder_iter_N.pdparams``, or ``.pdparams`` of :meth:`save_pretrained`.
            device: None/'auto' (a GPU when Paddle has CUDA and one is visible), 'cpu', 'gpu[:N]'.
            impl: as the constructor's.

        Raises:
            FileNotFoundError: a missing file. WeightMismatchError / CheckpointFormatError:
            a file that is not these networks' weights (naming every bad key); nothing loads.
        """
        if path is not None:
            folder = os.fspath(path)
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"{folder}: no such folder (from_pretrained expects a folder "
                                        "written by save_pretrained, or vgg=... and decoder=... files)")
            if os.path.isfile(os.path.join(folder, PIPELINE_FILE)):
                cls.read_pipeline_file(folder)  # another family's folder is refused by name
            vgg = vgg if vgg is not None else os.path.join(folder, VGG_FILE)
            decoder = decoder if decoder is not None else os.path.join(folder, DECODER_FILE)
        if vgg is None or decoder is None:
            raise ValueError("from_pretrained needs the VGG and the decoder weights: a folder, or "
                             "vgg=... and decoder=... files")
        with loading_scope(device):
            encoder, dec = VGGEncoder(), Decoder()
            load_encoder_weights(encoder, vgg)
            load_decoder_weights(dec, decoder)
            log.debug("loaded %s and %s", vgg, decoder)
            return cls(encoder, dec, impl=impl)

    def _config_values(self) -> dict:
        return {}  # the networks have no options

    # ----------------------------------------------------------------- transfer
    def _compiled(self) -> Optional[tuple]:
        """(encoder program, decoder program) of the networks' current weights (any map size), or
        None for the eager path."""
        if choose_impl(self.impl, self.device) != "onednn":
            return None
        threads = cpu_threads()
        encoder, decoder = self._programs
        return (encoder.get(self.encoder, [[None, 3, None, None]], threads),
                decoder.get(self.decoder, [[None, 512, None, None]], threads))

    def _features(self, image: np.ndarray, compiled: Optional[tuple]) -> paddle.Tensor:
        """float32 [3, H, W] -> relu4_1 [1, 512, h, w]."""
        if compiled is not None:
            return paddle.to_tensor(compiled[0](image[None]))
        return self.encoder.encode(paddle.to_tensor(image[None]))

    def _decode(self, features: paddle.Tensor, compiled: Optional[tuple]) -> np.ndarray:
        """[1, 512, h, w] -> float32 [3, 8h, 8w]."""
        if compiled is not None:
            return compiled[1](features.numpy())[0]
        return self.decoder(features)[0].numpy()

    @on_device
    def transfer(self, content, style, alpha: float = 1.0,
                 interpolation_weights: Optional[Sequence[float]] = None, preserve_color: bool = False,
                 mask=None, masks: Optional[Sequence] = None, output: str = "uint8") -> np.ndarray:
        """Stylise ``content`` with ``style``.

        Args:
            content: RGB [H, W, 3] uint8 (or float in [0, 1]), at least 9x9.
            style: one such image, or a list of them (of any sizes) for interpolation or masks.
            alpha: degree of stylisation in [0, 1] (0: the content's own features, decoded).
            interpolation_weights: one weight per style, normalised to sum 1: the styles'
                AdaIN targets are mixed with them.
            preserve_color: re-colour each style with the content's colour statistics first
                (:func:`~paddle_inade.adain.color.coral`).
            mask: binary [H, W] of the content's size: style[0] where it is set, style[1]
                elsewhere (two styles; the Lua ``test.lua``'s spatial control).
            masks: one binary [H, W] mask per style, covering every pixel exactly once
                (after the resize to the relu4_1 size).
            output: 'uint8' -> [H', W', 3] uint8; 'float' -> float32 [3, H', W'] unclipped.
        """
        check_alpha(alpha)
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        content_img = as_rgb(content, "content image")
        styles = list(style) if isinstance(style, (list, tuple)) else [style]
        if not styles:
            raise ValueError("no style image given")
        style_imgs = [as_rgb(s, f"style image {i}" if len(styles) > 1 else "style image")
                      for i, s in enumerate(styles)]
        regions, weights = self._plan(content_img.shape[1:], len(style_imgs), interpolation_weights,
                                      mask, masks)
        if preserve_color:
            style_imgs = [coral(s, content_img) for s in style_imgs]
        with paddle.no_grad(), eval_mode(self.encoder, self.decoder):
            image = None
            if choose_impl(self.impl, self.device) == "onednn":
                try:
                    image = self._stylise(content_img, style_imgs, regions, weights, alpha, self._compiled())
                except Exception as exc:  # noqa: BLE001  (the fast path failed: the reference runs)
                    fall_back(self, exc, "programs")
            if image is None:
                image = self._stylise(content_img, style_imgs, regions, weights, alpha, None)
        return to_uint8(image) if output == "uint8" else image

    def _stylise(self, content_img, style_imgs, regions, weights, alpha, compiled) -> np.ndarray:
        """float32 [3, H', W'] of checked [3, H, W] images (the networks' part of :meth:`transfer`)."""
        content_feat = self._features(content_img, compiled)
        style_feats = [self._features(s, compiled) for s in style_imgs]
        if regions is not None:
            h, w = content_feat.shape[2:]
            target = masked_adain(content_feat, style_feats, [nearest_resize_mask(r, h, w) for r in regions])
        elif weights is not None:
            target = interpolate_styles(content_feat, style_feats, weights)
        else:
            target = adaptive_instance_normalization(content_feat, style_feats[0])
        return self._decode(blend(target, content_feat, alpha), compiled)

    @staticmethod
    def _plan(size, n_styles: int, interpolation_weights, mask, masks):
        """(regions or None, normalised weights or None) for :meth:`transfer`, checked."""
        if mask is not None and masks is not None:
            raise ValueError("give either mask (two styles) or masks (one per style), not both")
        if mask is not None:
            if n_styles != 2:
                raise ValueError(f"mask takes two styles (where set, elsewhere), got {n_styles}")
            masks = [as_mask(mask, size), ~as_mask(mask, size)]
        if masks is not None:
            if interpolation_weights is not None:
                raise ValueError("spatial control (masks) and style interpolation cannot be combined")
            if len(masks) != n_styles:
                raise ValueError(f"{len(masks)} masks for {n_styles} styles: give one mask per style")
            return [as_mask(m, size, f"mask {i}") for i, m in enumerate(masks)], None
        if interpolation_weights is not None:
            return None, normalize_weights(interpolation_weights, n_styles)
        if n_styles > 1:
            raise ValueError(f"{n_styles} styles: give interpolation_weights (one per style) to mix them, "
                             "or masks to place them")
        return None, None

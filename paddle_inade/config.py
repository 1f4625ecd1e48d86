"""The typed configuration of the networks and losses: SynthesisOptions, the options and checks
INADE/SPADE's and GroupDNet's share, and INADEConfig with its presets.

Field names and defaults are the original's command-line options (INADE on top of
NVlabs SPADE), so a user's ``--label_nc 150 --norm_mode inade`` maps one to one.
The norm strings are parsed here, once, into typed specs; layers below receive
explicit arguments and never see this object.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from .config_base import OptionsBase, check_choice
from .nn.norm_spec import PlainNormSpec, SpadeNormSpec

NORM_MODES = ("spade", "inade")
UPSAMPLING_MODES = {"normal": 5, "more": 6, "most": 7}
GAN_MODES = ("hinge", "ls", "original", "w")
PADDINGS = ("zeros", "reflect")
UPSAMPLINGS = ("nearest", "bilinear")
INIT_TYPES = ("xavier", "normal", "xavier_uniform", "kaiming", "orthogonal", "none")


@dataclass
class SynthesisOptions(OptionsBase):
    """The options INADE/SPADE's and GroupDNet's dataclasses share, from the original's (sizes,
    generator, discriminator, losses, R1, initialisation; INADE's defaults: a family redeclares
    a field whose default differs), their checks (:meth:`_check_shared`, :meth:`_check_latent_size`)
    and what both derive from them (``label_channels``, ``latent_size``, ``image_size``, the
    parsed ``norm_G/D/E``).

    Each family's options name it: ``model_names`` (its ``--model`` values, the first is saved
    with a run), ``title`` (for messages) and ``tools_hint`` (what loads its runs, for the
    message of a tool of another family)."""

    model_names: ClassVar[tuple] = ()
    title: ClassVar[str] = ""
    tools_hint: ClassVar[str] = ""

    # sizes
    label_nc: int = 182
    contain_dontcare_label: bool = False
    no_instance: bool = False
    output_nc: int = 3
    crop_size: int = 512
    aspect_ratio: float = 1.0
    # generator / encoder
    ngf: int = 64
    z_dim: int = 256
    norm_G: str = "spectralspadesyncbatch3x3"
    num_upsampling_layers: str = "normal"
    use_vae: bool = False
    norm_E: str = "spectralinstance"
    # discriminator
    ndf: int = 64
    norm_D: str = "spectralinstance"
    num_D: int = 2
    n_layers_D: int = 4
    netD_subarch: str = "n_layer"
    # losses
    gan_mode: str = "hinge"
    lambda_feat: float = 10.0
    lambda_vgg: float = 10.0
    lambda_kld: float = 0.05
    no_ganFeat_loss: bool = False
    no_vgg_loss: bool = False
    # training aid (not in the originals; 0 keeps their behaviour)
    r1_gamma: float = 0.0
    r1_every: int = 4
    # initialisation
    init_type: str = "xavier"
    init_variance: float = 0.02

    @property
    def label_channels(self) -> int:
        """One-hot label channels: ``label_nc`` plus the dontcare class if any."""
        return self.label_nc + (1 if self.contain_dontcare_label else 0)

    @property
    def latent_size(self) -> tuple[int, int]:
        """(sh, sw): spatial size of the generator's first tensor, as the original."""
        sw = self.crop_size // (2 ** UPSAMPLING_MODES[self.num_upsampling_layers])
        return round(sw / self.aspect_ratio), sw

    @property
    def image_size(self) -> tuple[int, int]:
        """(H, W) of the generated image."""
        sh, sw = self.latent_size
        scale = 2 ** UPSAMPLING_MODES[self.num_upsampling_layers]
        return sh * scale, sw * scale

    @property
    def g_norm(self) -> SpadeNormSpec:
        return SpadeNormSpec.parse(self.norm_G, "norm_G")

    @property
    def d_norm(self) -> PlainNormSpec:
        return PlainNormSpec.parse(self.norm_D, "norm_D")

    @property
    def e_norm(self) -> PlainNormSpec:
        return PlainNormSpec.parse(self.norm_E, "norm_E")

    def _check_shared(self, positive: tuple[str, ...], own: Callable[[], None]) -> None:
        """Raise ValueError naming the option for a bad setting of the shared options (but the
        latent size: :meth:`_check_latent_size`). ``positive`` are the options that must be >= 1,
        checked in that order; ``own``, the family's checks of its other values, runs after them."""
        check_choice("num_upsampling_layers", self.num_upsampling_layers, tuple(UPSAMPLING_MODES))
        check_choice("gan_mode", self.gan_mode, GAN_MODES)
        check_choice("init_type", self.init_type, INIT_TYPES)
        check_choice("netD_subarch", self.netD_subarch, ("n_layer",))
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"--{name} must be >= 1, got {getattr(self, name)}")
        own()
        self._check_r1()
        if self.aspect_ratio <= 0:
            raise ValueError(f"--aspect_ratio must be > 0, got {self.aspect_ratio}")
        self.g_norm, self.d_norm, self.e_norm  # parse (raises on bad strings)

    def _check_latent_size(self, latent: str = "a latent size") -> None:
        """ValueError unless the generator's first tensor (``latent`` in the message) is at least 1x1."""
        sh, sw = self.latent_size
        if sh < 1 or sw < 1:
            raise ValueError(
                f"--crop_size {self.crop_size} with --aspect_ratio {self.aspect_ratio} and "
                f"--num_upsampling_layers {self.num_upsampling_layers} gives {latent} "
                f"{sh}x{sw}; crop_size must be at least "
                f"{2 ** UPSAMPLING_MODES[self.num_upsampling_layers]}")

    def _check_r1(self) -> None:
        """The R1 aid's options (``r1_gamma``, ``r1_every``)."""
        if self.r1_gamma < 0:
            raise ValueError(f"--r1_gamma must be >= 0, got {self.r1_gamma}")
        if self.r1_every < 1:
            raise ValueError(f"--r1_every must be >= 1, got {self.r1_every}")
        if self.r1_gamma > 0 and self.d_norm.kind not in ("instance", "none"):
            raise ValueError(f"--r1_gamma {self.r1_gamma} needs a discriminator without batch statistics "
                             f"(--norm_D spectralinstance, instance, spectral or none), got --norm_D {self.norm_D}")


@dataclass
class INADEConfig(SynthesisOptions):
    """Options of the generator, encoders, discriminator and losses.

    ``semantic_nc`` (label channels + dontcare + instance edge channel) is derived.
    Unknown keys in :meth:`from_dict` are an error.
    """

    # generator
    noise_nc: int = 64
    norm_mode: str = "spade"
    add_sketch: bool = False
    # encoders
    nef: int = 16
    # training aids (not in the original; 0 / zeros / nearest keep its behaviour)
    lambda_l1: float = 0.0
    prior_fraction: float = 0.0
    padding_G: str = "zeros"
    upsampling_G: str = "nearest"

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ derived
    @property
    def semantic_nc(self) -> int:
        """Channels of ``input_semantics``: label channels plus the edge map."""
        return self.label_channels + (0 if self.no_instance else 1)

    @property
    def is_inade(self) -> bool:
        return self.norm_mode == "inade"

    # --------------------------------------------------------------- validation
    def validate(self) -> None:
        """Raise ValueError naming the option for any inconsistent setting."""
        check_choice("norm_mode", self.norm_mode, NORM_MODES)
        check_choice("padding_G", self.padding_G, PADDINGS)
        check_choice("upsampling_G", self.upsampling_G, UPSAMPLINGS)
        self._check_shared(("label_nc", "ngf", "ndf", "z_dim", "noise_nc", "crop_size", "num_D",
                            "n_layers_D", "output_nc"), own=self._check_aids)
        self._check_latent_size()
        if self.is_inade and self.no_instance:
            raise ValueError("--norm_mode inade needs instance maps: --no_instance is not supported")
        if self.num_upsampling_layers == "most" and self.ngf < 2:
            raise ValueError("--num_upsampling_layers most needs --ngf >= 2 (its last block has ngf//2 channels)")
        if self.use_vae and not self.is_inade:
            if self.crop_size < 256 or self.z_dim != 256:
                raise ValueError(
                    "SPADE's conv encoder (--norm_mode spade --use_vae) needs --crop_size >= 256 and "
                    f"--z_dim 256 (its output is 256 wide); got crop_size {self.crop_size}, z_dim {self.z_dim}")

    def _check_aids(self) -> None:
        """The training aids' options (``lambda_l1``, ``prior_fraction``)."""
        if self.lambda_l1 < 0:
            raise ValueError(f"--lambda_l1 must be >= 0, got {self.lambda_l1}")
        if not 0 <= self.prior_fraction <= 1:
            raise ValueError(f"--prior_fraction must be in [0, 1], got {self.prior_fraction}")
        if self.prior_fraction > 0 and not (self.use_vae and self.is_inade):
            raise ValueError(f"--prior_fraction {self.prior_fraction} needs --norm_mode inade --use_vae (it replaces "
                             "the encoded styles of part of the batch by prior samples); the toy preset sets "
                             "it: add --prior_fraction 0")


_RELEASED = dict(norm_mode="inade", use_vae=True, norm_G="spectralspadesyncbatch3x3",
                 ngf=64, z_dim=256, noise_nc=64, crop_size=256)

#: Dataset defaults of the original (``data/*_dataset.py``) with the released models' options.
PRESETS: dict[str, dict[str, Any]] = {
    "ade20k": {**_RELEASED, "label_nc": 150, "contain_dontcare_label": True},
    "cityscapes": {**_RELEASED, "label_nc": 35, "crop_size": 512, "aspect_ratio": 2.0,
                   "num_upsampling_layers": "more"},
    "celeba": {**_RELEASED, "label_nc": 19},
    "deepfashion": {**_RELEASED, "label_nc": 8, "noise_nc": 8},
    "coco": {**_RELEASED, "label_nc": 182, "contain_dontcare_label": True},
    # Built-in toy scenes: a model small enough to train on a 2-core CPU in minutes.
    # With the training aids that make it learn the class colours and the encoder's styles in
    # minutes (prior samples in the G step, L1 reconstruction, a weak KLD, R1) and keep the image
    # border clean (reflection padding); docs: README.
    "toy": dict(norm_mode="inade", use_vae=True, norm_G="spectralspadebatch3x3", label_nc=6,
                crop_size=64, ngf=16, ndf=16, z_dim=32, noise_nc=8, no_vgg_loss=True,
                init_variance=1.0, lambda_kld=0.002, lambda_l1=10.0, prior_fraction=0.5,
                r1_gamma=0.1, padding_G="reflect"),
}


INADEConfig.presets = PRESETS
INADEConfig.model_names = ("inade", "pix2pix")  # the original INADE calls its model pix2pix
INADEConfig.title = "INADE / SPADE"

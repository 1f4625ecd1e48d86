"""SMISConfig: GroupDNet's options under SMIS's names and defaults, with presets and validation.

SMIS (github.com/Seanseattle/SMIS) builds its networks from ``--netG``, ``--ngf``, the
dataset's label count and, in several places, ``--dataset_mode``. Here the generator family
(``netG``, case-insensitive as SMIS's class look-up: ``deepfashion``, ``Cityscapes``,
``ADE20K``) decides all of it; the training tool checks that a real ``--dataset_mode`` agrees.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..config import SynthesisOptions
from ..config_base import check_choice
from . import plan

MODEL_NAME = "smis"


@dataclass
class SMISConfig(SynthesisOptions):
    """Options of GroupDNet's generator, encoder, discriminator and losses.

    Defaults are SMIS's (``options/*.py`` and what its generators set: ``norm_G``
    ``spectralspadesyncbatch3x3``, ``num_upsampling_layers`` ``more``). ``nef`` None means the
    encoder width SMIS hard-codes per family (256, 350, 604); SMIS itself ignores ``--nef``.
    ``z_dim`` exists because SMIS has the option; its GroupDNet networks never read it.
    """

    netG: str = "deepfashion"
    netE: str = "conv"
    # generator / encoder: nef, and the two options of SynthesisOptions (which holds the others,
    # at SMIS's defaults too) whose SMIS default is not INADE's
    nef: Optional[int] = None
    num_upsampling_layers: str = "more"
    use_vae: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.netG, str):
            self.netG = self.netG.lower()
        self.validate()

    # ------------------------------------------------------------------ derived
    model = MODEL_NAME
    is_inade = False  # preprocess_input's question: no instance one-hot maps (GroupDNet codes classes)

    @property
    def layout(self) -> str:
        """The generator family: ``deepfashion``, ``cityscapes`` or ``ade20k``."""
        return self.netG

    @property
    def input_nc(self) -> int:
        """Channels of ``input_semantics``: label channels plus the instance edge map."""
        return self.label_channels + (0 if self.no_instance else 1)

    @property
    def semantic_nc(self) -> int:
        """SMIS's ``semantic_nc`` (L): the classes that own a code and a group. The Cityscapes
        generator does not count the edge map (it pairs it with every class instead)."""
        return self.label_channels if self.layout == "cityscapes" else self.input_nc

    @property
    def code_nc(self) -> int:
        """Channels of the latent code: 8 per class."""
        return plan.CODE_NC * self.semantic_nc

    @property
    def encoder_layers(self) -> int:
        """Stride-2 layers of the encoder: six when crop_size >= 256 (as SMIS), else five."""
        return 6 if self.crop_size >= 256 else 5

    @property
    def encoder_nf(self) -> int:
        return self.nef if self.nef is not None else plan.ENCODER_NF[self.layout]

    @property
    def crop_target(self) -> tuple[int, int]:
        """(H, W) every class crop is resized to before the encoder: the code size times
        2 ** encoder_layers (SMIS's fixed 256x256, or 256x512 for Cityscapes, at its sizes)."""
        sh, sw = self.latent_size
        return sh * 2 ** self.encoder_layers, sw * 2 ** self.encoder_layers

    @property
    def most(self) -> bool:
        return self.num_upsampling_layers == "most"

    def blocks(self) -> list[plan.BlockSpec]:
        return plan.generator_blocks(self.layout, self.semantic_nc, self.ngf, self.most)

    # --------------------------------------------------------------- validation
    def validate(self) -> None:
        """Raise ValueError naming the option for any setting GroupDNet cannot be built with."""
        check_choice("netG", self.netG, plan.LAYOUTS)
        check_choice("netE", self.netE, ("conv",), "SMIS's other encoder (fc) gives one 256-d vector, "
                "which its GroupDNet generators cannot take")
        self._check_shared(("label_nc", "ngf", "ndf", "crop_size", "num_D", "n_layers_D", "output_nc"),
                           own=self._check_nef)
        if not self.use_vae:
            raise ValueError("--model smis needs use_vae: every GroupDNet generator starts from the "
                             "class codes (SMIS has no other input path; it fails without them)")
        if self.z_dim != 256:
            raise ValueError(f"--z_dim {self.z_dim}: GroupDNet does not use z_dim (each class's code "
                             f"has {plan.CODE_NC} channels, fixed in SMIS); leave it at 256")
        self._check_latent_size("a code of")
        if self.layout == "cityscapes" and self.no_instance:
            raise ValueError("--netG cityscapes pairs the instance edge map with every class: it "
                             "cannot run with --no_instance")
        if self.most and self.layout != "deepfashion":
            raise ValueError(f"--num_upsampling_layers most: SMIS's {self.layout} generator has no "
                             "working 'most' variant (only deepfashion's); use normal or more")
        if self.most and self.ngf < 2:
            raise ValueError("--num_upsampling_layers most needs --ngf >= 2 (its last block has ngf//2)")
        self._check_groups()

    def _check_nef(self) -> None:
        if self.nef is not None and self.nef < 1:
            raise ValueError(f"--nef must be >= 1, got {self.nef}")

    def _check_groups(self) -> None:
        problem = plan.first_bad_conv(plan.grouped_convs(
            self.layout, self.semantic_nc, self.ngf, self.most, self.encoder_nf, self.encoder_layers))
        if problem is None:
            return
        good = [n for n in range(1, 4097) if plan.first_bad_conv(plan.grouped_convs(
            self.layout, self.semantic_nc, n, self.most, self.encoder_nf, self.encoder_layers)) is None]
        hint = (f"--ngf values that fit: {', '.join(map(str, good[:6]))}{' ...' if len(good) > 6 else ''}"
                if good else "no --ngf fits this number of classes")
        if problem.startswith("E."):
            hint = f"--nef must be a multiple of semantic_nc {self.semantic_nc}"
        raise ValueError(f"--netG {self.layout} with --ngf {self.ngf}, --nef {self.encoder_nf} and "
                         f"semantic_nc {self.semantic_nc} (label_nc {self.label_nc}"
                         f"{' + dontcare' if self.contain_dontcare_label else ''}"
                         f"{'' if self.no_instance or self.layout == 'cityscapes' else ' + instance edges'}): "
                         f"{problem}. {hint}")

#: The released models: SMIS's scripts/*.sh options on top of its dataset classes' defaults.
PRESETS: dict[str, dict[str, Any]] = {
    "deepfashion": dict(netG="deepfashion", label_nc=8, no_instance=True, ngf=160, crop_size=256),
    "cityscapes": dict(netG="cityscapes", label_nc=35, ngf=280, crop_size=512, aspect_ratio=2.0),
    "ade20k": dict(netG="ade20k", label_nc=150, contain_dontcare_label=True, no_instance=True,
                   ngf=64, crop_size=256),
    # Built-in toy scenes (6 classes, no dontcare, no instance channel): small enough for minutes on a CPU.
    "toy": dict(netG="ade20k", label_nc=6, no_instance=True, ngf=4, nef=24, crop_size=64,
                num_upsampling_layers="normal", ndf=16, no_vgg_loss=True, init_variance=1.0,
                norm_G="spectralspadebatch3x3"),
}


SMISConfig.presets = PRESETS
SMISConfig.model_names = (MODEL_NAME,)
SMISConfig.title = "GroupDNet"
SMISConfig.tools_hint = "tools/test.py --model smis or paddle_inade.smis.pipeline.GroupDNetPipeline"
SMISConfig.preset_kind = "SMIS preset"
SMISConfig.ignored_keys = frozenset({"semantic_nc", "model"})

"""GroupDNet's entry in the model-family table (:mod:`paddle_inade.families`)."""
from __future__ import annotations

from .. import smis
from ..family import ModelFamily
from .cli import test_main
from .config import SMISConfig
from .model import SMISModel, class_codes
from .pipeline import GroupDNetPipeline
from .run_presets import RUN_PRESETS

FAMILY = ModelFamily(
    config_class=SMISConfig,
    run_presets=RUN_PRESETS,
    build_model=SMISModel,
    style_codes=class_codes,
    networks=smis,
    pipeline_class=GroupDNetPipeline,
    no_quality="the quality measure is INADE's (instance noises and restyling through its encoder); a "
               "--model smis run takes --quality_freq 0 (compare GroupDNet with INADE by "
               "tools/eval_class_vs_instance.py)",
    test_main=test_main,
)

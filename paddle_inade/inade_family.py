"""INADE / SPADE's entry in the model-family table (:mod:`paddle_inade.families`)."""
from __future__ import annotations

from . import models
from .config import INADEConfig
from .engine.model import Pix2PixModel, style_codes
from .family import ModelFamily
from .pipeline import INADEPipeline
from .run_presets import RUN_PRESETS

FAMILY = ModelFamily(
    config_class=INADEConfig,
    run_presets=RUN_PRESETS,
    build_model=Pix2PixModel,
    style_codes=style_codes,
    networks=models,
    pipeline_class=INADEPipeline,
)

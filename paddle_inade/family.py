"""ModelFamily: what one model family (INADE / SPADE, GroupDNet, ...) gives the shared tools.

A family is described once, in its own package (``paddle_inade.inade_family``,
``paddle_inade.smis.family``), and listed in :mod:`paddle_inade.families`. The training engine,
the tools, the web demo and the evaluation ask the family for what differs between models, and
never test a family's name. This module only defines the interface: it imports nothing of the
package, so every layer may name the type.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence


@dataclass(frozen=True)
class ModelFamily:
    """One family of models.

    Attributes:
        config_class: its model options (an ``OptionsBase`` with ``model_names``, ``presets``).
        run_presets: complete training runs (model, data and loop options) by name.
        build_model: ``(cfg, with_discriminator=True, vgg_weights=None)`` -> the training model
            (netG, netE, netD and the losses of one G or D step).
        style_codes: ``(netE, cfg, semantics, image, instances)`` -> the generator's ``z`` encoded
            from ``image`` (the reconstruction column of the training sample grid).
        networks: a namespace with ``build_generator``, ``build_encoder``, ``build_discriminator``
            ``(cfg, init=True)`` (weight conversion).
        pipeline_class: inference; ``pipeline_class.from_checkpoint(folder, ...)`` loads a run.
        no_quality: None when training can log the quality measure (``--quality_freq``), else why not.
        test_main: the family's own ``tools/test.py`` command line, ``(argv) -> (layouts written,
            output folder, samples per layout)``; None: the shared one.
    """

    config_class: type
    run_presets: Mapping[str, Mapping[str, Any]]
    build_model: Callable[..., Any]
    style_codes: Callable[..., Any]
    networks: Any
    pipeline_class: type
    no_quality: Optional[str] = None
    test_main: Optional[Callable[[Optional[Sequence[str]]], tuple]] = None

    @property
    def name(self) -> str:
        """The family's ``--model`` value as saved with a run (e.g. 'inade' for ``--model pix2pix``)."""
        return self.config_class.model_names[0]

    @property
    def model_names(self) -> tuple:
        """Every ``--model`` value that selects this family."""
        return tuple(self.config_class.model_names)

    @property
    def title(self) -> str:
        return self.config_class.title

    @property
    def quality_logging(self) -> bool:
        """Whether training can log the quality measure (``--quality_freq``)."""
        return self.no_quality is None

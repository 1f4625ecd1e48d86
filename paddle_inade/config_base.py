"""What every typed option group shares: building from a mapping, presets, copies, JSON, choices."""
from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar, Mapping


class OptionsBase:
    """Mixin for the option dataclasses (:class:`~paddle_inade.config.INADEConfig`,
    :class:`~paddle_inade.smis.config.SMISConfig`).

    Subclasses set ``presets`` (name -> option values), ``preset_kind`` (how an unknown preset is
    called in the error) and ``ignored_keys`` (keys a saved file may hold that are not fields, e.g.
    the derived ``semantic_nc``).
    """

    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    preset_kind: ClassVar[str] = "preset"
    ignored_keys: ClassVar[frozenset] = frozenset({"semantic_nc"})

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], source: str = "config"):
        """Build from a mapping; unknown keys raise ValueError naming ``source``."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known - cls.ignored_keys)
        if unknown:
            raise ValueError(f"{source}: unknown {cls.__name__} option(s) {unknown}")
        return cls(**{k: v for k, v in values.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any):
        return self.from_dict({**self.to_dict(), **changes}, source="replace()")

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def preset(cls, name: str, **overrides: Any):
        """The options of preset ``name`` with ``overrides`` on top."""
        if name not in cls.presets:
            raise ValueError(f"unknown {cls.preset_kind} {name!r}; choose one of {sorted(cls.presets)}")
        return cls.from_dict({**cls.presets[name], **overrides}, source=f"{cls.preset_kind} {name}")


def check_choice(option: str, value: Any, choices: tuple, why: str = "") -> None:
    """ValueError '--option value is not one of [...]' (and why) unless ``value`` is a choice."""
    if value not in choices:
        raise ValueError(f"--{option} {value!r} is not one of {list(choices)}" + (f": {why}" if why else ""))

"""Instance-level control for people: the logic behind ``tools/app.py`` (no UI code here).

- :mod:`.session`: :class:`InstanceSession` (K samples, per-instance noises and styles,
  resample / restyle / class-level operations, leak measurement), :class:`ReferenceStyles`.
- :mod:`.inputs`: layouts and reference photos from files or a dataset, fitted to the model.
- :mod:`.strip`: pictures side by side and clicks back to (picture, row, col).
- :mod:`.export`: the shown images as PNG files.
"""
from .export import export_pngs
from .inputs import Scenes, fit_layout, fit_reference, read_layout_files, read_reference_files
from .session import Change, InstanceSession, Leak, ReferenceStyles, measure_leak
from .strip import locate, outline, tile_strip

__all__ = ["InstanceSession", "ReferenceStyles", "Change", "Leak", "measure_leak", "Scenes", "fit_layout",
           "fit_reference", "read_layout_files", "read_reference_files", "locate", "outline", "tile_strip",
           "export_pngs"]

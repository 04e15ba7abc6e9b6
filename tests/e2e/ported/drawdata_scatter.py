"""drawdata 0.5's `ScatterWidget` (a d3 drawing canvas) on `widgets.Model`.

Its module pushes each drawn point into the array `model.get("data")` returned, then sets a
deep-equal copy of it and calls `save_changes()`.
"""

from __future__ import annotations

from pathlib import Path

import drawdata  # type: ignore[import-untyped]

import widgets

from . import synced_traits

STATIC = Path(drawdata.__file__).parent / "static"  # where drawdata's own class points its _esm/_css


class ScatterWidget(widgets.Model):
    _esm = STATIC / "scatter_widget.js"
    _css = STATIC / "scatter_widget.css"
    locals().update(synced_traits(drawdata.ScatterWidget))  # data, brushsize, width, height, n_classes

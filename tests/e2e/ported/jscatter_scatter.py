"""jupyter-scatter 1.0's `JupyterScatter` widget (regl-scatterplot, WebGL) on `widgets.Model`.

Several of its traits are declared with traitlets' own `read_only=True` (`dom_element_id`,
`zoom_level`, `label_tiles`, `view_data`, `lasso_selection_polygon`, `event_types`): Python code
may not assign them, but its module writes them from the browser, as ipywidgets allows.
"""

from __future__ import annotations

import unittest.mock
from pathlib import Path
from typing import Any

import jscatter.jscatter  # type: ignore[import-untyped]
import jscatter.widget  # type: ignore[import-untyped]
from traitlets import observe

import widgets

from . import synced_traits

Original = jscatter.widget.JupyterScatter
BUNDLE = Path(jscatter.widget.__file__).parent  # where jupyter-scatter's own class points its _esm/_css


class JupyterScatter(widgets.Model):
    _esm = BUNDLE / "bundle.js"
    _css = BUNDLE / "bundle.css"
    locals().update(synced_traits(Original))  # the ~150 traits of jscatter/widget.py, tags and read_only kept

    def __init__(self, data: Any = None, label_placement: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data = data
        self.label_placement = label_placement

    # Its own methods, unchanged: `Scatter.show()` calls `show`; new label tiles from the browser set `labels`.
    show = Original.show
    _label_tiles_changed = observe("label_tiles")(Original._label_tiles_changed.func)


def port_widget(scatter: Any) -> JupyterScatter:
    """`scatter.widget`, built as the port: jupyter-scatter's `Scatter.widget` computes its ~140
    keyword arguments and calls the class its module names `JupyterScatter`. Later changes through
    the `Scatter` API (`scatter.selection(...)`) go to this widget."""
    with unittest.mock.patch.object(jscatter.jscatter, "JupyterScatter", JupyterScatter):
        widget: JupyterScatter = scatter.widget
    return widget

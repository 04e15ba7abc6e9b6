"""lonboard 0.16's `Map` (deck.gl) and `ScatterplotLayer` on `widgets.Model`.

The map's `layers` trait holds the layer models; its module receives each as an
`"IPY_MODEL_<id>"` string, strips the prefix and calls `widget_manager.get_model(id)` itself,
then reads the layer's GeoArrow table (Parquet bytes, one buffer per chunk) with parquet-wasm,
whose `.wasm` it fetches from a CDN when it loads.

Ported: the map and the one layer class used; the controls, the basemap (it would fetch tiles)
and the experimental views are left out (empty / `None`, which lonboard allows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lonboard
import lonboard.traits
from lonboard._constants import OGC_84
from lonboard._geoarrow.c_stream_import import import_arrow_c_stream
from lonboard._geoarrow.ops.coord_layout import make_geometry_interleaved
from lonboard._geoarrow.ops.reproject import reproject_table
from lonboard._geoarrow.parse_wkb import parse_serialized_table
from lonboard._serialization import infer_rows_per_chunk
from lonboard.layer._base import BaseArrowLayer, BaseLayer, default_geoarrow_viewport
from traitlets import Instance, default

import widgets

from . import synced_traits

STATIC = Path(lonboard.__file__).parent / "static"  # where lonboard's own class points its _esm/_css


class ScatterplotLayer(widgets.Model):
    """A child model: no view of its own, the map's module reads its traits."""

    locals().update(synced_traits(lonboard.ScatterplotLayer, BaseArrowLayer, BaseLayer))
    _bbox = BaseLayer._bbox
    _weighted_centroid = BaseLayer._weighted_centroid
    _rows_per_chunk: int

    def __init__(self, table: Any, **kwargs: Any) -> None:
        """What `BaseArrowLayer.__init__` does to a GeoArrow table before it becomes the trait."""
        table = import_arrow_c_stream(table)
        (table,) = parse_serialized_table(table)
        table = reproject_table(make_geometry_interleaved(table), to_crs=OGC_84)
        viewport = default_geoarrow_viewport(table)
        if viewport is not None:
            self._bbox, self._weighted_centroid = viewport
        self._rows_per_chunk = infer_rows_per_chunk(table)
        super().__init__(table=table.rechunk(max_chunksize=self._rows_per_chunk), **kwargs)


class Map(widgets.Model):
    _esm = STATIC / "index.js"
    _css = STATIC / "index.css"
    locals().update(synced_traits(lonboard.Map, skip=("layers", "controls", "view", "basemap")))
    # The references, to our port classes (lonboard declares them with ipywidgets' serializers,
    # which the framework replaces: a model anywhere in a value goes out as "IPY_MODEL_<id>").
    layers = lonboard.traits.VariableLengthTuple(Instance(ScatterplotLayer)).tag(sync=True)
    controls = lonboard.traits.VariableLengthTuple(Instance(widgets.Model), default_value=()).tag(sync=True)
    view = Instance(widgets.Model, allow_none=True).tag(sync=True)
    basemap = Instance(widgets.Model, allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, layers: Any, **kwargs: Any) -> None:
        super().__init__(layers=layers, **kwargs)

    # Its own methods, unchanged: the initial view fits the layers; `set_view_state` moves the map.
    _default_initial_view_state = default("view_state")(lonboard.Map._default_initial_view_state.func)
    set_view_state = lonboard.Map.set_view_state

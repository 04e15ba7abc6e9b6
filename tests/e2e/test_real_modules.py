"""Real anywidget modules from PyPI, ported onto `widgets.Model` (tests/e2e/ported/), driven in a
real browser in JupyterLab and in Notebook 7.

The page has no network: every request that does not go to the Jupyter server is answered from
a local file (a mirror, as a user offline would set up) or refused and recorded (tests/e2e/offline.py).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lonboard  # type: ignore[import-untyped]
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from .jupyter import Notebook, Server, open_notebook, write_notebook
from .offline import Offline, npm_package_file

ROOT = Path(__file__).parents[2]
PORTED = f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"  # the kernel imports tests.e2e.ported
# What lonboard 0.16's bundle fetches when it loads (the version is written into its index.js).
PARQUET_WASM_VERSION = "0.7.1"
PARQUET_WASM_URL = f"https://cdn.jsdelivr.net/npm/parquet-wasm@{PARQUET_WASM_VERSION}/esm/parquet_wasm_bg.wasm"


def open_cells(page: Page, server: Server, name: str, cells: list[str]) -> Notebook:
    notebook = open_notebook(page, server, write_notebook(server.root, f"{name}_{server.app}.ipynb", cells))
    notebook.run_all()
    return notebook


def kernel_json(notebook: Notebook, expression: str) -> Any:
    return json.loads(notebook.execute(f"import json\nprint(json.dumps({expression}))"))


def console_errors(page: Page, known: str | None = None) -> list[str]:
    """Errors modules log themselves (lonboard reports a failed child model only with console.error),
    but for one `known` message the module causes in any host."""
    logged: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error" and (known is None or known not in message.text):
            logged.append(message.text)

    page.on("console", keep)
    return logged


def assert_clean(notebook: Notebook, offline: Offline, logged: list[str] | None = None) -> None:
    """No refused value or failing callback shown above a view, no uncaught or logged error,
    nothing fetched from outside."""
    errors = notebook.page.locator(".jp-OutputArea .widgets-error, .jp-OutputArea .widgets-render-error")
    assert errors.all_inner_texts() == []
    assert notebook.page_errors() == []
    assert logged is None or logged == []
    assert offline.refused == []


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """`check()` once it is truthy; its last value if it never is (for the assertion to show)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


PIXELS = """async (png) => {
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
  const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext("2d");
  context.drawImage(bitmap, 0, 0);
  const { data, width } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  const kinds = { dark: [], colored: [], red: [], blue: [] };
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    const at = [(i / 4) % width, Math.floor(i / 4 / width)];
    if (r + g + b < 200) kinds.dark.push(at);
    else if (Math.max(r, g, b) - Math.min(r, g, b) > 60) kinds.colored.push(at);
    if (r > 180 && g < 90 && b < 90) kinds.red.push(at);
    if (b > 180 && r < 90 && g < 90) kinds.blue.push(at);
  }
  const summary = {};
  for (const [kind, points] of Object.entries(kinds)) {
    const n = points.length;
    summary[kind] = { count: n, centre: n ? [points.reduce((s, p) => s + p[0], 0) / n,
                                            points.reduce((s, p) => s + p[1], 0) / n] : null };
  }
  return summary;
}"""


def pixels(page: Page, target: Locator) -> dict[str, Any]:
    """What is on screen over `target` (WebGL included): for dark, colored, red and blue pixels,
    how many and their centre, in CSS pixels from the element's corner."""
    summary: dict[str, Any] = page.evaluate(PIXELS, base64.b64encode(target.screenshot()).decode())
    return summary


# --- drawdata -------------------------------------------------------------------------------


def stroke(page: Page, canvas: Locator, points: list[tuple[float, float]]) -> None:
    """Press the mouse at the first point (fractions of the canvas), drag through the others, release."""
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


def drawn_points(canvas: Locator, height: int) -> list[tuple[float, float]]:
    """The points the view shows, in the widget's data coordinates (y up)."""
    circles = canvas.evaluate(
        "(svg) => [...svg.querySelectorAll('circle.drawn')].map((c) => [+c.getAttribute('cx'), +c.getAttribute('cy')])"
    )
    return sorted((round(x, 6), round(height - y, 6)) for x, y in circles)


def test_drawdata_scatter_two_strokes_reach_the_kernel(page: Page, server: Server) -> None:
    """drawdata pushes into the array `get("data")` returned, then sets a deep-equal copy: both
    strokes' points must reach the kernel, and the kernel's value must not erase the drawing."""
    offline = Offline(page, server)
    logged = console_errors(page, known='<svg> attribute height: Expected length, "auto"')  # drawdata's svg, anywhere
    notebook = open_cells(
        page,
        server,
        "drawdata",
        [PORTED + "from tests.e2e.ported.drawdata_scatter import ScatterWidget\n\nw = ScatterWidget()\nw"],
    )
    canvas = page.locator(".jp-OutputArea svg.dd-scatter-svg")
    expect(canvas).to_be_visible(timeout=60_000)
    height = kernel_json(notebook, "w.height")

    stroke(page, canvas, [(0.2, 0.3), (0.3, 0.4), (0.4, 0.5)])
    first = drawn_points(canvas, height)
    assert len(first) > 3
    data = kernel_json(notebook, "w.data")
    assert sorted((round(p["x"], 6), round(p["y"], 6)) for p in data) == first
    assert {p["batch"] for p in data} == {0}

    stroke(page, canvas, [(0.6, 0.6), (0.7, 0.5), (0.8, 0.4)])
    both = drawn_points(canvas, height)
    assert len(both) > len(first) and set(first) <= set(both)
    data = kernel_json(notebook, "w.data")
    assert sorted((round(p["x"], 6), round(p["y"], 6)) for p in data) == both
    assert {p["batch"] for p in data} == {0, 1}
    assert drawn_points(canvas, height) == both  # the kernel's answer did not erase the drawing
    assert_clean(notebook, offline, logged)


# --- jupyter-scatter ------------------------------------------------------------------------

JSCATTER = (
    PORTED
    + """import numpy as np
import jscatter
from tests.e2e.ported.jscatter_scatter import port_widget

# a diamond around a centre point (index 4), black on white, no axes over the canvas
scatter = jscatter.Scatter(x=np.array([0.0, 1, 2, 1, 1]), y=np.array([1.0, 0, 1, 2, 1]), size=16, axes=False)
w = port_widget(scatter)
scatter.show()"""
)


def test_jscatter_draws_and_its_module_writes_traitlets_read_only_traits(page: Page, server: Server) -> None:
    """jupyter-scatter writes traits declared with traitlets' `read_only=True` (`dom_element_id`
    at render, `zoom_level` when the view zooms): no error, and the kernel gets the values.
    Selections go both ways through its binary (numpy) serializers."""
    offline = Offline(page, server)
    logged = console_errors(page)
    notebook = open_cells(page, server, "jscatter", [JSCATTER])
    canvas = page.locator(".jp-OutputArea canvas").first
    expect(canvas).to_be_visible(timeout=60_000)
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    drawn = eventually(lambda: pixels(page, canvas)["dark"]["count"] > 0 and pixels(page, canvas))
    assert drawn, "no point drawn"
    centre = drawn["dark"]["centre"]  # the diamond is symmetric: its centre is point 4
    assert abs(centre[0] - box["width"] / 2) < 3 and abs(centre[1] - box["height"] / 2) < 3

    dom_id = eventually(lambda: kernel_json(notebook, "w.dom_element_id"))
    assert dom_id, "the id the module wrote at render never reached the kernel"
    assert page.locator(f".jp-OutputArea [id='{dom_id}']").count() > 0  # its plot's container (and full-screen one)

    notebook.execute("scatter.selection([0])")  # from Python: the view highlights point 0 (left)
    selected = eventually(lambda: (p := pixels(page, canvas))["colored"]["count"] > 0 and p)
    assert selected and selected["colored"]["centre"][0] < box["width"] / 2 - 50, selected

    box = canvas.bounding_box()  # where the canvas is now
    assert box is not None
    page.mouse.click(box["x"] + centre[0], box["y"] + centre[1])  # from the browser: point 4
    assert eventually(lambda: kernel_json(notebook, "scatter.selection().tolist()") == [4])
    selected = pixels(page, canvas)
    assert abs(selected["colored"]["centre"][0] - centre[0]) < 3, selected

    assert kernel_json(notebook, "w.zoom_level") == 0
    page.mouse.move(box["x"] + centre[0], box["y"] + centre[1])
    page.mouse.wheel(0, -300)  # zoom in around point 4
    assert eventually(lambda: kernel_json(notebook, "w.zoom_level") > 0.5), "zoom_level never reached the kernel"
    assert pixels(page, canvas)["colored"]["count"] > selected["colored"]["count"]  # point 4, bigger
    assert_clean(notebook, offline, logged)


# --- lonboard -------------------------------------------------------------------------------

LONBOARD = (
    PORTED
    + """import json
import pyarrow as pa
from tests.e2e.ported.lonboard_map import Map, ScatterplotLayer

def points(coords):  # a GeoArrow point table: longitude, latitude in OGC:CRS84
    storage = pa.array(coords, type=pa.list_(pa.field("xy", pa.float64()), 2))
    meta = {"ARROW:extension:name": "geoarrow.point", "ARROW:extension:metadata": json.dumps({"crs": "OGC:CRS84"})}
    return pa.table([storage], schema=pa.schema([pa.field("geometry", storage.type, metadata=meta)]))

red = ScatterplotLayer(points([[0.0, 0.0], [0.01, 0.01]]), get_fill_color=[255, 0, 0], radius_min_pixels=8)
blue = ScatterplotLayer(points([[0.05, 0.0], [0.06, 0.01]]), get_fill_color=[0, 0, 255], radius_min_pixels=8)
m = Map([red, blue], height=400)
m"""
)


def test_lonboard_map_resolves_its_two_layer_models(page: Page, server: Server) -> None:
    """lonboard's map gets its layers as "IPY_MODEL_<id>" strings and resolves them itself with
    `widget_manager.get_model`; both layers must be drawn, and the view state must go both ways.

    Its module fetches parquet-wasm's .wasm from jsDelivr when it loads; the page is offline, so
    the test serves that file from the npm package, fetched once with `npm pack` into
    ~/.cache/widgets-e2e/ (tests/e2e/offline.py), as a user's offline mirror would.
    """
    bundle = (Path(lonboard.__file__).parent / "static" / "index.js").read_text(encoding="utf-8")
    assert f'"{PARQUET_WASM_VERSION}"' in bundle and "cdn.jsdelivr.net/npm/parquet-wasm@${" in bundle
    offline = Offline(page, server)
    offline.serve(PARQUET_WASM_URL, npm_package_file("parquet-wasm", PARQUET_WASM_VERSION, "esm/parquet_wasm_bg.wasm"))
    logged = console_errors(page)
    notebook = open_cells(page, server, "lonboard", [LONBOARD])
    canvas = page.locator(".jp-OutputArea canvas#deckgl-overlay")
    expect(canvas).to_be_visible(timeout=60_000)
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100

    drawn = eventually(lambda: (p := pixels(page, canvas))["red"]["count"] > 0 and p["blue"]["count"] > 0 and p)
    assert drawn, f"the layers were not drawn: {pixels(page, canvas)}, console errors: {logged}"
    assert drawn["red"]["centre"][0] < drawn["blue"]["centre"][0]  # red to the west of blue
    assert offline.served == [PARQUET_WASM_URL]

    # From Python: centre on the blue layer, close in; the red layer leaves the view.
    notebook.execute("m.set_view_state(longitude=0.055, latitude=0.005, zoom=14)")
    moved = eventually(lambda: (p := pixels(page, canvas))["red"]["count"] == 0 and p["blue"]["count"] > 0 and p)
    assert moved, pixels(page, canvas)
    assert abs(moved["blue"]["centre"][0] - box["width"] / 2) < 40, moved

    # From the browser: drag the map east by 200 px; the kernel's view state follows.
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 200, y, steps=10)
    page.mouse.up()
    longitude = eventually(lambda: (v := kernel_json(notebook, "m.view_state.longitude")) > 0.056 and v)
    assert longitude, kernel_json(notebook, "[m.view_state.longitude, m.view_state.zoom]")
    assert kernel_json(notebook, "m.view_state.zoom") == 14
    assert_clean(notebook, offline, logged)

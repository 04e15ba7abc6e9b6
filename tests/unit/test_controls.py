"""The controls (widgets/controls/): values both ways through the headless frontend, validation as
ipywidgets users expect, Button's click callbacks, layout/style dicts, the lazy names and the views'
modules (one prelude, plain DOM, no imports)."""

from __future__ import annotations

import ast
import datetime
import math
import pathlib
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest
from traitlets import TraitError

import widgets
import widgets.controls as controls
from widgets.testing import InProcessFrontend

JS = pathlib.Path(controls.__file__).parent / "js"

# control class, a value the kernel sets, a value the view sets (as the browser sends it)
ROUND_TRIPS: list[tuple[type[widgets.Model], Any, Any]] = [
    (controls.IntSlider, 7, 42),
    (controls.FloatSlider, 2.5, 7.25),
    (controls.IntRangeSlider, (10, 20), [30, 40]),
    (controls.FloatRangeSlider, (1.5, 2.5), [3.5, 4.5]),
    (controls.IntText, -3, 12),
    (controls.FloatText, 0.5, 1e6),
    (controls.Text, "kernel", "view"),
    (controls.Textarea, "a\nb", "c\nd"),
    (controls.Checkbox, True, False),
    (controls.ToggleButton, True, False),
    (controls.IntProgress, 30, 60),
    (controls.FloatProgress, 30.5, 60.5),
    (controls.HTML, "<b>kernel</b>", "<i>view</i>"),
    (controls.Label, "kernel", "view"),
    (controls.ColorPicker, "#ff0000", "#00ff00"),
]


@pytest.mark.parametrize(("cls", "kernel_value", "view_value"), ROUND_TRIPS, ids=lambda p: getattr(p, "__name__", ""))
def test_value_round_trips_both_ways(frontend: InProcessFrontend, cls: Any, kernel_value: Any, view_value: Any) -> None:
    model = cls()
    view = frontend.model(model)
    assert view.esm and "export default" in view.esm and view.css and ".widgets-control" in view.css
    assert view.get("_kind") in cls.__name__.lower() or view.get("_kind").replace("-", "") == cls.__name__.lower()
    model.value = kernel_value
    frontend.flush()
    expected = list(kernel_value) if isinstance(kernel_value, tuple) else kernel_value
    assert view.get("value") == expected
    view.set("value", view_value)
    view.save_changes()
    assert model.value == (tuple(view_value) if isinstance(view_value, list) else view_value)
    assert not view.errors


@pytest.mark.parametrize("cls", [controls.Dropdown, controls.RadioButtons, controls.Select])
def test_selection_round_trips_the_index(frontend: InProcessFrontend, cls: Any) -> None:
    model = cls(options=[("one", 1), ("two", 2), ("three", 3)], value=2)
    view = frontend.model(model)
    assert view.get("_options_labels") == ["one", "two", "three"] and view.get("index") == 1
    model.value = 3
    frontend.flush()
    assert view.get("index") == 2
    view.set("index", 0)
    view.save_changes()
    assert (model.index, model.value, model.label) == (0, 1, "one")
    view.set("index", 7)
    view.save_changes()
    assert view.errors[-1]["kind"] == "validation" and view.get("index") == 0
    view.set("_options_labels", ["x"])
    view.save_changes()
    assert view.errors[-1]["kind"] == "read_only"


def test_button_click_callbacks(frontend: InProcessFrontend) -> None:
    button = controls.Button(description="Run")
    view = frontend.model(button)
    clicked: list[Any] = []
    button.on_click(clicked.append)
    button.on_click(clicked.append)  # once only
    view.send({"event": "click"})
    view.send({"event": "other"})
    assert clicked == [button]
    button.on_click(clicked.append, remove=True)
    view.send({"event": "click"})
    assert clicked == [button]


def test_a_raising_click_callback_is_a_handler_error_and_the_others_run(frontend: InProcessFrontend) -> None:
    button = controls.Button()
    view = frontend.model(button)
    ran: list[str] = []

    def boom(b: controls.Button) -> None:
        raise ValueError("no luck")

    button.on_click(boom)
    button.on_click(lambda b: ran.append(b.description))
    view.send({"event": "click"})
    assert ran == [""]
    error = view.errors[-1]
    assert error["kind"] == "handler" and "ValueError: no luck" in error["message"]
    assert "boom" in error["traceback"]
    with pytest.raises(ValueError):
        button.click()


def test_sliders_clamp_and_keep_min_below_max(frontend: InProcessFrontend) -> None:
    slider = controls.IntSlider(value=150, max=200)
    assert slider.value == 150
    assert controls.IntSlider(value=150).value == 100
    assert controls.IntSlider(5, 0, 10, 2).step == 2
    slider.value = -5
    assert slider.value == 0
    slider.value = 120
    slider.max = 100
    assert slider.value == 100
    slider.min = 50
    slider.value = 10
    assert slider.value == 50
    with pytest.raises(TraitError):
        slider.min = 101
    with pytest.raises(TraitError):
        slider.max = 49
    view = frontend.model(slider)
    view.set("value", 1000)
    view.save_changes()
    assert slider.value == 100 and view.get("value") == 100  # the view shows the clamped value
    view.set("min", 500)
    view.save_changes()
    assert view.errors[-1]["kind"] == "validation" and slider.min == 50 and view.get("min") == 50


def test_floats_refuse_nan_and_infinity() -> None:
    slider = controls.FloatSlider()
    for bad in (math.nan, math.inf):
        with pytest.raises(TraitError):
            slider.value = bad
        with pytest.raises(TraitError):
            slider.max = bad
    with pytest.raises(TraitError):
        controls.FloatText(value=math.nan)
    with pytest.raises(TraitError):
        controls.FloatRangeSlider(value=(0.0, math.nan))


def test_range_sliders_order_and_clamp() -> None:
    assert controls.IntRangeSlider().value == (25, 75)
    assert controls.IntRangeSlider(min=0, max=10).value == (2, 7)
    assert controls.FloatRangeSlider(min=0, max=1).value == (0.25, 0.75)
    r = controls.IntRangeSlider(value=(-10, 500))
    assert r.value == (0, 100)
    with pytest.raises(TraitError):
        r.value = (60, 40)
    r.value = (20, 90)
    r.max = 50
    assert r.value == (20, 50)


def test_dropdown_options_value_label_index() -> None:
    d = controls.Dropdown(options=["a", "b", "c"])
    assert (d.index, d.value, d.label, d._options_labels) == (0, "a", "a", ("a", "b", "c"))
    d.label = "c"
    assert (d.index, d.value) == (2, "c")
    d = controls.Dropdown(options={"one": 1, "two": 2}, value=2)
    assert (d.index, d.label) == (1, "two")
    d = controls.Dropdown(options=[("low", 0), ("high", 10)], label="high")
    assert (d.index, d.value) == (1, 10)
    d = controls.Dropdown(options=[1, 2, 3], index=2)
    assert (d.value, d.label, d._options_labels) == (3, "3", ("1", "2", "3"))
    with pytest.raises(TraitError):
        d.value = 4
    with pytest.raises(TraitError):
        d.label = "4"
    with pytest.raises(TraitError):
        d.index = 3
    assert d.value == 3
    d.options = [3, 30]  # the value is kept when it is still an option
    assert (d.index, d.value) == (0, 3)
    d.options = ["x", "y"]
    assert (d.index, d.value) == (0, "x")
    d.options = []
    assert (d.index, d.value, d.label) == (None, None, None)
    d.index = None
    with pytest.raises(TraitError):
        controls.Dropdown(options="abc")
    assert controls.Dropdown().index is None
    d = controls.Dropdown(options=(n * n for n in range(3)), value=4)
    assert (d.options, d.index, d._options_labels) == ((0, 1, 4), 2, ("0", "1", "4"))


def test_layout_and_style_dicts(frontend: InProcessFrontend) -> None:
    slider = controls.IntSlider(layout={"width": "300px", "justify_content": "center"}, style={"handle_color": "red"})
    view = frontend.model(slider)
    assert view.get("layout") == {"width": "300px", "justify_content": "center"}
    assert view.get("style") == {"handle_color": "red"}
    slider.layout.margin = "4px"  # as ipywidgets users write it
    assert slider.layout.margin == "4px" and slider.layout.height is None
    frontend.flush()
    assert view.get("layout") == {"width": "300px", "justify_content": "center", "margin": "4px"}
    del slider.layout.margin
    slider.layout = widgets.Layout(width="50%", grid_area="a")
    frontend.flush()
    assert view.get("layout") == {"width": "50%", "grid_area": "a"}
    with pytest.raises(TraitError, match=r"unknown layout key\(s\) 'colour'"):
        controls.IntSlider(layout={"colour": "red"})
    with pytest.raises(TraitError, match="unknown layout key"):
        widgets.Layout(colour="red")
    with pytest.raises(TraitError, match="unknown style key"):
        controls.Text(style={"bar_color": "red"})
    with pytest.raises(TraitError):
        controls.Text(layout={"width": ["300px"]})
    assert controls.FloatProgress(style={"bar_color": "green"}).style.bar_color == "green"
    assert controls.Text(layout={"width": 300}).layout == {"width": "300px"}
    view.set("layout", {"bogus": "1px"})
    view.save_changes()
    assert view.errors[-1]["kind"] == "validation" and "bogus" in view.errors[-1]["message"]


def test_common_traits_sync(frontend: InProcessFrontend) -> None:
    for cls in (controls.IntSlider, controls.Text, controls.Button, controls.Dropdown, controls.Checkbox):
        model = cls(description="Pick", disabled=True, tooltip="help")
        view = frontend.model(model)
        assert (view.get("description"), view.get("disabled"), view.get("tooltip")) == ("Pick", True, "help")
        view.set("_kind", "other")
        view.save_changes()
        assert view.errors[-1]["kind"] == "read_only"


def test_import_widgets_does_not_import_the_controls() -> None:
    code = "import sys, widgets; print('widgets.controls' in sys.modules, 'IntSlider' in dir(widgets))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
    timed = subprocess.run([sys.executable, "-X", "importtime", "-c", "import widgets"], capture_output=True, text=True)
    assert "widgets.controls" not in timed.stderr
    code = "import sys, widgets; s = widgets.IntSlider(3); print('widgets.controls' in sys.modules, s.value)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "3"]


def test_the_lazy_names_are_the_controls_names() -> None:
    public = set(controls.__all__) - {"Control", "CssProps", "LAYOUT_KEYS"}
    assert set(widgets._CONTROLS) == public
    assert public <= set(widgets.__all__) and public <= set(dir(widgets))
    assert widgets.IntSlider is controls.IntSlider
    with pytest.raises(AttributeError):
        widgets.NoSuchControl  # noqa: B018


def test_every_control_has_its_kind_and_a_self_contained_module() -> None:
    named = [getattr(controls, name) for name in widgets._CONTROLS]
    classes = [cls for cls in named if isinstance(cls, type) and issubclass(cls, controls.Control)]
    kinds = {cls.class_traits()["_kind"].default_value for cls in classes}
    assert len(kinds) == len({cls for cls in classes})  # Progress is FloatProgress
    prelude = (JS / "_prelude.js").read_text().replace("export function", "function")
    for cls in classes:
        assert cls._esm_asset is not None and cls._css_asset is not None
        source = cls._esm_asset.source
        assert source.startswith(prelude) and "_prelude.js" not in source and "\nexport function" not in source
        assert cls._css_asset.path == JS / "controls.css"


def test_modules_import_only_the_shared_helpers() -> None:
    helpers = {path.name for path in JS.glob("_*.js")}
    assert helpers == {"_prelude.js", "_children.js"}
    for path in sorted(JS.glob("*.js")):
        source = path.read_text()
        imports = re.findall(r"^\s*import\b.*$|\bimport\(", source, re.M)
        named = [re.search(r'from "\./(_\w+\.js)";$', line) for line in imports]
        assert all(named), path.name  # no other imports, no dynamic import()
        assert {m.group(1) for m in named if m} <= helpers - {path.name}, path.name
        if path.name not in helpers:
            assert source.startswith("import {") and "_prelude.js" in source.split("\n\n", 1)[0], path.name
        assert "innerHTML" not in source or path.name == "html.js", path.name


def test_shared_helpers_are_inlined_once_dependencies_first() -> None:
    source = controls.base.module("tabs.js")
    assert not re.search(r"^import ", source, re.M)
    assert source.count("function control(") == 1 and source.count("function slots(") == 1
    assert source.index("function childWidget(") < source.index("function slots(") < source.index("export default")
    assert "function slots(" not in controls.base.module("slider.js")


def test_a_module_without_the_prelude_import_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must start with its import from \./_prelude\.js"):
        controls.base.module("controls.css")


def test_select_multiple_round_trips_indexes(frontend: InProcessFrontend) -> None:
    model: Any = controls.SelectMultiple(options={"a": 1, "b": 2, "c": 3}, value=(1, 3))
    view = frontend.model(model)
    assert view.get("index") == [0, 2] and model.label == ("a", "c")
    model.label = ("b",)
    frontend.flush()
    assert view.get("index") == [1] and model.value == (2,)
    view.set("index", [0, 1])
    view.save_changes()
    assert (model.index, model.value, model.label) == ((0, 1), (1, 2), ("a", "b"))
    view.set("index", [5])
    view.save_changes()
    assert view.errors[-1]["kind"] == "validation" and model.index == (0, 1)
    with pytest.raises(TraitError):
        model.value = (4,)
    model.options = {"b": 2, "z": 26}
    assert (model.index, model.value) == ((0,), (2,))
    assert controls.SelectMultiple(options=[1, 2]).value == ()


def test_color_picker_validates(frontend: InProcessFrontend) -> None:
    picker = controls.ColorPicker(value="red", concise=True)
    view = frontend.model(picker)
    assert view.get("value") == "red" and view.get("concise") is True
    for bad in ("not a colour!", "#12", "rgb(1,2)"):
        with pytest.raises(TraitError):
            picker.value = bad
    view.set("value", "#12")
    view.save_changes()
    assert view.errors[-1]["kind"] == "validation" and view.get("value") == "red"


def test_date_picker_round_trips_iso_dates(frontend: InProcessFrontend) -> None:
    picker = controls.DatePicker(value=datetime.date(2026, 12, 2), description="When")
    view = frontend.model(picker)
    assert view.get("value") == "2026-12-02" and view.get("min") is None
    view.set("value", "2027-01-31")
    view.save_changes()
    assert picker.value == datetime.date(2027, 1, 31)
    picker.value = None
    frontend.flush()
    assert view.get("value") is None
    view.set("value", "31/01/2027")
    view.save_changes()
    assert view.errors[-1]["kind"] == "validation" and picker.value is None
    picker.value = datetime.date(2020, 1, 1)
    picker.min = datetime.date(2021, 1, 1)
    assert picker.value == datetime.date(2021, 1, 1)
    picker.value = datetime.date(2030, 1, 1)
    picker.max = datetime.date(2025, 6, 1)
    assert picker.value == datetime.date(2025, 6, 1)
    with pytest.raises(TraitError):
        picker.min = datetime.date(2026, 1, 1)


def test_image_sends_bytes_as_a_buffer(frontend: InProcessFrontend, tmp_path: pathlib.Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    image = controls.Image(value=png, width=100, description="a logo")
    view = frontend.model(image)
    assert bytes(view.get("value")) == png and view.get("width") == "100" and view.get("format") == "png"
    assert any(m.direction == "to_browser" and png in [bytes(b) for b in m.buffers] for m in frontend.messages)
    image.value = b"GIF89a"
    image.format = "gif"
    frontend.flush()
    assert bytes(view.get("value")) == b"GIF89a"
    with pytest.raises(TraitError):
        image.value = "not bytes"  # type: ignore[assignment]
    path = tmp_path / "x.svg"
    path.write_bytes(b"<svg/>")
    assert controls.Image.from_file(path).format == "svg+xml"
    url = controls.Image.from_url("https://example.org/a.png")
    assert (url.value, url.format) == (b"https://example.org/a.png", "url")


def test_the_controls_use_only_the_public_model_api() -> None:
    package = pathlib.Path(controls.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                assert node.module in {"model", "traits"}, f"{path.name} imports widgets.{node.module}"


NODE = shutil.which("node")
HAPPY_DOM = pathlib.Path(__file__).parents[2] / "node_modules" / "happy-dom" / "lib" / "index.js"


def test_the_views_in_a_headless_dom() -> None:
    """Each module rendered against a stand-in model (happy-dom): what it shows, what it sends, what it
    removes; the real browser tests (tests/e2e) cover the runtime around them."""
    assert NODE is not None and HAPPY_DOM.exists(), "needs node and happy-dom: `npm ci` (make test runs it)"
    script = pathlib.Path(__file__).parent / "controls_views.mjs"
    run = subprocess.run(
        [str(NODE), str(script), str(HAPPY_DOM), f"{JS}/"], capture_output=True, text=True, timeout=60, check=False
    )
    failed = [line for line in run.stdout.splitlines() if not line.startswith("ok ")]
    assert run.returncode == 0 and not failed, run.stdout + run.stderr
    assert run.stdout.count("ok ") >= 40

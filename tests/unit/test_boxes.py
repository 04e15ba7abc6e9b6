"""The layout boxes (widgets/controls/boxes.py): children by reference, what they accept, Tab /
Accordion / Stack selection and titles as ipywidgets 8 users expect, and their views in happy-dom."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
from typing import Any

import pytest
from traitlets import TraitError

import widgets
import widgets.controls as controls
from widgets.testing import InProcessFrontend

JS = pathlib.Path(controls.__file__).parent / "js"


def ref(model: widgets.Model) -> str:
    return f"IPY_MODEL_{model.model_id}"


@pytest.mark.parametrize("cls", [controls.Box, controls.HBox, controls.VBox, controls.GridBox])
def test_children_travel_by_reference(frontend: InProcessFrontend, cls: Any) -> None:
    slider, label = controls.IntSlider(3), controls.Label("hi")
    box = cls([slider, label], box_style="info", layout={"grid_template_columns": "1fr 1fr"})
    view = frontend.model(box)
    assert view.get("children") == [ref(slider), ref(label)]
    assert view.get("_kind") == cls.__name__.lower() and view.get("box_style") == "info"
    assert view.get("layout") == {"grid_template_columns": "1fr 1fr"}
    assert frontend.model(slider).get("value") == 3  # the child is a model of its own on the wire
    other = controls.Button(description="go")
    box.children = [other, slider]  # a list, as ipywidgets users write it
    assert box.children == (other, slider)
    frontend.flush()
    assert view.get("children") == [ref(other), ref(slider)]
    box.children += (label,)
    frontend.flush()
    assert view.get("children") == [ref(other), ref(slider), ref(label)]
    view.set("children", [ref(label)])  # the browser sends references; the kernel sees models
    view.save_changes()
    assert box.children == (label,) and not view.errors


def test_any_model_can_be_a_child(frontend: InProcessFrontend) -> None:
    class Custom(widgets.Model):
        _esm = "export default { render({ el }) { el.textContent = 'custom'; } }"

    custom = Custom()
    inner = controls.VBox([controls.Label("inner")])
    box = controls.HBox(children=(custom, inner))
    assert frontend.model(box).get("children") == [ref(custom), ref(inner)]
    assert controls.Box(child for child in (custom, inner)).children == (custom, inner)  # any ordered iterable


def test_children_are_checked(frontend: InProcessFrontend) -> None:
    label = controls.Label("x")
    with pytest.raises(TraitError, match=r"children\[1\] must be a widget \(a Model\), got int: 3"):
        controls.VBox([label, 3])  # type: ignore[list-item]
    for bad in (label, "ab", {label}, 5, {"a": label}):
        with pytest.raises(TraitError, match="children must be a list of widgets"):
            controls.HBox(bad)  # type: ignore[arg-type]
    box = controls.VBox([label])
    with pytest.raises(TraitError, match="inside itself"):
        box.children = [box]
    outer = controls.HBox([controls.Tab([box])])
    with pytest.raises(TraitError, match=r"children\[0\] would put VBox inside itself"):
        box.children = [outer]
    assert box.children == (label,)
    view = frontend.model(box)
    view.set("children", ["IPY_MODEL_nope"])
    view.save_changes()
    assert view.errors[-1]["kind"] == "validation" and box.children == (label,)
    view.set("children", [ref(box)])
    view.save_changes()
    assert "inside itself" in view.errors[-1]["message"] and view.get("children") == [ref(label)]
    with pytest.raises(TraitError):
        controls.Box(box_style="loud")
    assert controls.Box(box_style="DANGER").box_style == "danger"


def test_one_child_in_two_boxes_is_one_model(frontend: InProcessFrontend) -> None:
    slider = controls.IntSlider()
    first, second = controls.HBox([slider]), controls.VBox([slider])
    assert frontend.model(first).get("children") == frontend.model(second).get("children") == [ref(slider)]
    frontend.model(slider).set("value", 9)
    frontend.model(slider).save_changes()
    assert slider.value == 9


def test_tab_selects_the_first_child_and_keeps_a_selection() -> None:
    a, b, c = (controls.Label(name) for name in "abc")
    assert controls.Tab().selected_index is None
    tab = controls.Tab([a, b, c])
    assert tab.selected_index == 0
    assert controls.Tab([a, b, c], selected_index=2).selected_index == 2
    assert controls.Tab([a, b], selected_index=None).selected_index == 0  # a Tab with tabs shows one (ipywidgets)
    with pytest.raises(TraitError, match=r"selected_index must be None or in 0\.\.2, got 3"):
        tab.selected_index = 3
    tab.selected_index = 2
    tab.children = [a, b]  # the selected child went: the last one now
    assert tab.selected_index == 1
    tab.children = [c, a, b]  # the selected child (b) moved: the selection follows it
    assert tab.selected_index == 2
    tab.children = [b]
    assert tab.selected_index == 0
    tab.children = []
    assert tab.selected_index is None
    tab.children = [a, b]
    assert tab.selected_index == 0
    tab.selected_index = 1
    tab.children = [a, c]  # b went; c took its place
    assert tab.selected_index == 1


def test_accordion_opens_none_by_default_and_closes_when_its_section_goes() -> None:
    a, b, c = (controls.Label(name) for name in "abc")
    accordion = controls.Accordion([a, b, c])
    assert accordion.selected_index is None
    accordion.children = [a, b]
    assert accordion.selected_index is None  # adding or removing does not open one
    accordion.selected_index = 1
    accordion.children = [b, a]
    assert accordion.selected_index == 0
    accordion.children = [a, c]
    assert accordion.selected_index is None
    accordion.selected_index = 1
    accordion.selected_index = None
    assert controls.Accordion([a, b], selected_index=1).selected_index == 1


def test_stack_shows_its_first_child_unless_told() -> None:
    a, b = controls.Label("a"), controls.Label("b")
    assert controls.Stack([a, b]).selected_index == 0
    assert controls.Stack([a, b], selected_index=1).selected_index == 1
    assert controls.Stack([a, b], selected_index=None).selected_index is None
    assert controls.Stack().selected_index is None
    stack = controls.Stack([a, b], selected_index=1)
    stack.children = [a]
    assert stack.selected_index == 0


@pytest.mark.parametrize("cls", [controls.Tab, controls.Accordion, controls.Stack])
def test_titles_and_set_title(frontend: InProcessFrontend, cls: Any) -> None:
    a, b, c = (controls.Label(name) for name in "abc")
    box = cls([a, b, c], titles=["One"])  # shorter than children: padded, as ipywidgets 8
    assert box.titles == ("One", "", "")
    view = frontend.model(box)
    assert view.get("titles") == ["One", "", ""] and view.get("_kind") == cls.__name__.lower()
    box.set_title(2, "Three")
    box.set_title(0, None)  # ipywidgets 7's way to clear one
    assert box.titles == ("", "", "Three") and box.get_title(2) == "Three" and box.get_title(1) == ""
    frontend.flush()
    assert view.get("titles") == ["", "", "Three"]
    with pytest.raises(IndexError):
        box.set_title(3, "four")
    box.children = [a, b, c, controls.Label("d")]
    assert box.titles == ("", "", "Three", "")
    box.children = [a]  # titles of children that went are kept (set them again if you like)
    assert box.titles == ("", "", "Three", "")
    box.titles = [1, None]
    assert box.titles == ("1", "")
    with pytest.raises(TraitError):
        box.titles = "abc"
    empty = cls()
    empty.titles = ["p", "q"]  # titles before children are kept
    empty.children = [a, b]
    assert empty.titles == ("p", "q")


def test_selected_index_from_the_view(frontend: InProcessFrontend) -> None:
    tab = controls.Tab([controls.Label("a"), controls.Label("b")])
    view = frontend.model(tab)
    assert view.get("selected_index") == 0
    view.set("selected_index", 1)
    view.save_changes()
    assert tab.selected_index == 1
    view.set("selected_index", 5)
    view.save_changes()
    assert view.errors[-1]["kind"] == "validation" and view.get("selected_index") == 1
    accordion = controls.Accordion([controls.Label("a")], selected_index=0)
    other = frontend.model(accordion)
    other.set("selected_index", None)  # the open section clicked: closed
    other.save_changes()
    assert accordion.selected_index is None and not other.errors
    tab.children = tab.children[:1]
    frontend.flush()
    assert view.get("selected_index") == 0 and len(view.get("children")) == 1


def _source(cls: type[widgets.Model]) -> str:
    assert cls._esm_asset is not None
    return cls._esm_asset.source


def test_boxes_share_the_box_and_tabs_modules() -> None:
    assert _source(controls.HBox) == _source(controls.Box) == _source(controls.GridBox)
    assert _source(controls.Tab) == _source(controls.Accordion) == _source(controls.Stack)
    assert ".getWidget(" in _source(controls.Box) and ".getWidget(" in _source(controls.Tab)


NODE = shutil.which("node")
HAPPY_DOM = pathlib.Path(__file__).parents[2] / "node_modules" / "happy-dom" / "lib" / "index.js"


def test_the_layout_views_in_a_headless_dom() -> None:
    """box.js and tabs.js against a stand-in model and host (happy-dom): children kept, moved, disposed
    and rendered once, a change while children resolve, a failing child, tabs' ARIA and keyboard,
    the accordion and the stack; tests/e2e/test_layout.py runs them in the real runtime."""
    assert NODE is not None and HAPPY_DOM.exists(), "needs node and happy-dom: `npm ci` (make test runs it)"
    script = pathlib.Path(__file__).parent / "boxes_views.mjs"
    run = subprocess.run(
        [str(NODE), str(script), str(HAPPY_DOM), f"{JS}/"], capture_output=True, text=True, timeout=60, check=False
    )
    failed = [line for line in run.stdout.splitlines() if not line.startswith("ok ")]
    assert run.returncode == 0 and not failed, run.stdout + run.stderr
    assert run.stdout.count("ok ") >= 40

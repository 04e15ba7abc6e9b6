"""Layout: boxes that hold other widgets by reference and lay out their views.

`children` is a tuple of models (any `Model`, not only controls); the views render each child's
own view through `host.getWidget`, so a child shown in two boxes stays one model with two views.
HBox and VBox are flex rows and columns, GridBox a CSS grid (`layout.grid_template_columns`, ...);
Tab, Accordion and Stack show one child at a time (Accordion: any number open is not supported,
as in ipywidgets 8: `selected_index` is the open one, or None).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from traitlets import CaselessStrEnum, CInt, TraitError, Tuple, Unicode, observe, validate

from ..model import Model
from .base import Control, module

BOX_STYLES = ["success", "info", "warning", "danger", ""]


class Box(Control):
    """Children laid out by the box's `layout` (a flex row by default)."""

    _esm = module("box.js")
    _kind = Unicode("box").tag(sync=True, read_only=True)
    children = Tuple().tag(sync=True)
    box_style = CaselessStrEnum(BOX_STYLES, "").tag(sync=True)

    def __init__(self, children: Iterable[Model] | None = None, **kwargs: Any) -> None:
        if children is not None:
            kwargs["children"] = children
        super().__init__(**kwargs)

    @validate("children")
    def _check_children(self, proposal: Any) -> tuple[Model, ...]:
        value = proposal["value"]
        if isinstance(value, Model) or not isinstance(value, Iterable):
            raise TraitError(f"children must be a list of widgets, got {type(value).__name__}")
        children = tuple(value)
        for i, child in enumerate(children):
            if not isinstance(child, Model):
                raise TraitError(f"children[{i}] must be a widget (a Model), got {type(child).__name__}: {child!r}")
        return children


class HBox(Box):
    """Children side by side, in a row."""

    _kind = Unicode("hbox").tag(sync=True, read_only=True)


class VBox(Box):
    """Children one under the other, in a column."""

    _kind = Unicode("vbox").tag(sync=True, read_only=True)


class GridBox(Box):
    """Children in a CSS grid: `layout=Layout(grid_template_columns="repeat(3, 1fr)")`."""

    _kind = Unicode("gridbox").tag(sync=True, read_only=True)


class _Selector(Box):
    """A box that shows one child at a time: `selected_index` (None: none), `titles` per child."""

    titles = Tuple().tag(sync=True)
    selected_index = CInt(None, allow_none=True).tag(sync=True)

    @validate("titles")
    def _check_titles(self, proposal: Any) -> tuple[str, ...]:
        value = proposal["value"]
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise TraitError(f"titles must be a list of strings, got {type(value).__name__}")
        return tuple("" if title is None else str(title) for title in value)

    @validate("selected_index")
    def _check_index(self, proposal: Any) -> int | None:
        index = proposal["value"]
        if index is not None and not 0 <= index < len(self.children):
            raise TraitError(f"selected_index must be None or in 0..{len(self.children) - 1}, got {index}")
        return index  # type: ignore[no-any-return]

    @observe("children")
    def _children_changed(self, change: Any) -> None:
        count = len(change["new"])
        if self.selected_index is not None and self.selected_index >= count:
            self.selected_index = count - 1 if count else None
        elif self.selected_index is None and count and self._selects_first:
            self.selected_index = 0

    _selects_first = True

    def set_title(self, index: int, title: str | None) -> None:
        """Set the title of child `index` (ipywidgets' method; `titles` is the trait)."""
        titles = list(self.titles) + [""] * (len(self.children) - len(self.titles))
        titles[index] = "" if title is None else str(title)
        self.titles = tuple(titles)

    def get_title(self, index: int) -> str:
        return self.titles[index] if index < len(self.titles) else ""


class Tab(_Selector):
    """One child per tab; the tab list is keyboard navigable (arrow keys, Home/End), as WAI-ARIA's tabs."""

    _esm = module("tabs.js")
    _kind = Unicode("tab").tag(sync=True, read_only=True)


class Accordion(_Selector):
    """Collapsible sections, one open at a time (`selected_index`; None: all closed)."""

    _esm = module("tabs.js")
    _kind = Unicode("accordion").tag(sync=True, read_only=True)
    _selects_first = False


class Stack(_Selector):
    """Only the selected child is shown, with no tabs or headers (pair it with a Dropdown via `jslink`)."""

    _esm = module("tabs.js")
    _kind = Unicode("stack").tag(sync=True, read_only=True)

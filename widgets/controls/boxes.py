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

from traitlets import CaselessStrEnum, CInt, TraitError, TraitType, Tuple, Unicode, observe, validate

from ..model import Model
from .base import Control, module

BOX_STYLES = ["success", "info", "warning", "danger", ""]


class Children(TraitType[tuple[Any, ...], Iterable[Any]]):
    """`children`: a tuple of widgets; any ordered iterable of them is taken (a list, a generator),
    so `box.children = [a, b]` type-checks as ipywidgets users write it."""

    info_text = "a list of widgets"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_value=(), **kwargs)

    def validate(self, obj: Any, value: Any) -> tuple[Any, ...]:
        if isinstance(value, (Model, str, bytes, dict, set, frozenset)) or not isinstance(value, Iterable):
            raise TraitError(f"children must be a list of widgets, got {type(value).__name__}: {value!r}")
        return tuple(value)


class Box(Control):
    """Children laid out by the box's `layout` (a flex row by default)."""

    _esm = module("box.js")
    _kind = Unicode("box").tag(sync=True, read_only=True)
    children = Children().tag(sync=True)
    box_style = CaselessStrEnum(BOX_STYLES, "").tag(sync=True)

    def __init__(self, children: Iterable[Model] | None = None, **kwargs: Any) -> None:
        if children is not None:
            kwargs["children"] = children
        super().__init__(**kwargs)

    @validate("children")
    def _check_children(self, proposal: Any) -> tuple[Model, ...]:
        children: tuple[Any, ...] = proposal["value"]
        for i, child in enumerate(children):
            if not isinstance(child, Model):
                raise TraitError(f"children[{i}] must be a widget (a Model), got {type(child).__name__}: {child!r}")
            if child is self or (isinstance(child, Box) and child._contains(self)):
                # its view would render itself inside itself, without end
                raise TraitError(f"children[{i}] would put {type(self).__name__} inside itself")
        return children

    def _contains(self, box: Box) -> bool:
        """Whether `box` is among this box's children, at any depth."""
        seen: set[int] = set()
        todo: list[Box] = [self]
        while todo:
            current = todo.pop()
            for child in current.children:
                if child is box:
                    return True
                if isinstance(child, Box) and id(child) not in seen:
                    seen.add(id(child))
                    todo.append(child)
        return False


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
    """A box that shows one child at a time: `selected_index` (None: none), `titles` per child.

    When `children` changes, the selection follows the selected child to its new place; if that child
    went away, the child now at its place is selected (the last one if the list got shorter), or none
    for an Accordion. `titles` is padded with "" to one per child (a longer tuple is kept as it is).
    """

    titles = Tuple().tag(sync=True)
    selected_index = CInt(None, allow_none=True).tag(sync=True)

    _selects_first = True  # a Tab always shows a tab when it has children
    _closes_when_removed = False  # an Accordion closes when its open section goes

    @validate("titles")
    def _check_titles(self, proposal: Any) -> tuple[str, ...]:
        titles = tuple("" if title is None else str(title) for title in proposal["value"])
        return titles + ("",) * (len(self.children) - len(titles))

    @validate("selected_index")
    def _check_index(self, proposal: Any) -> int | None:
        index = proposal["value"]
        if index is not None and not 0 <= index < len(self.children):
            raise TraitError(f"selected_index must be None or in 0..{len(self.children) - 1}, got {index}")
        return index  # type: ignore[no-any-return]

    @observe("children")
    def _children_changed(self, change: Any) -> None:
        old, new = change["old"] or (), change["new"]
        index = self.selected_index
        if index is not None and index < len(old) and not (index < len(new) and new[index] is old[index]):
            moved = next((i for i, child in enumerate(new) if child is old[index]), None)
            if moved is not None:
                index = moved
            elif self._closes_when_removed:
                index = None
        if index is not None and index >= len(new):
            index = len(new) - 1 if new else None
        if index is None and new and self._selects_first:
            index = 0
        self.selected_index = index
        if len(self.titles) < len(new):
            self.titles = self.titles  # validation pads it

    def set_title(self, index: int, title: str | None) -> None:
        """Set the title of child `index` (ipywidgets' method; `titles` is the trait)."""
        titles = list(self.titles)
        titles[index] = "" if title is None else str(title)
        self.titles = tuple(titles)

    def get_title(self, index: int) -> str:
        """The title of child `index` ("" when it has none)."""
        return str(self.titles[index])


class Tab(_Selector):
    """One child per tab; the tab list is keyboard navigable (arrow keys, Home/End), as WAI-ARIA's tabs."""

    _esm = module("tabs.js")
    _kind = Unicode("tab").tag(sync=True, read_only=True)


class Accordion(_Selector):
    """Collapsible sections, one open at a time (`selected_index`; None: all closed)."""

    _esm = module("tabs.js")
    _kind = Unicode("accordion").tag(sync=True, read_only=True)
    _selects_first = False
    _closes_when_removed = True


class Stack(_Selector):
    """Only the selected child is shown, with no tabs or headers (pair it with a Dropdown via `jslink`)."""

    _esm = module("tabs.js")
    _kind = Unicode("stack").tag(sync=True, read_only=True)
    _selects_first = False

    def __init__(self, children: Iterable[Model] | None = None, **kwargs: Any) -> None:
        # the first child is shown unless told otherwise (`selected_index=None` shows none)
        if isinstance(children, Iterable) and not isinstance(children, (Model, str, bytes, dict, set)):
            children = tuple(children)  # a generator is read once, here
        if children and "selected_index" not in kwargs:
            kwargs["selected_index"] = 0
        super().__init__(children, **kwargs)

"""The base of every control: `description`, `disabled`, `tooltip`, and `layout` / `style` CSS dicts.

`layout` holds CSS properties of the view's root element (snake_case keys: `justify_content` is
`justify-content`); `style` holds per-control properties (`description_width`, `bar_color`, ...)
that the view sets as CSS custom properties (`--w-bar-color`), read by the shared stylesheet.
Both accept a dict (`IntSlider(layout={"width": "300px"})`, or `layout=Layout(width="300px")`)
and attribute access as ipywidgets users write it (`slider.layout.width = "300px"`).
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from traitlets import Bool, CFloat, HasTraits, TraitError, TraitType, Unicode

from ..model import Model

LAYOUT_KEYS = frozenset(
    [
        "align_content",
        "align_items",
        "align_self",
        "border",
        "border_top",
        "border_right",
        "border_bottom",
        "border_left",
        "bottom",
        "display",
        "flex",
        "flex_flow",
        "flex_direction",
        "flex_wrap",
        "flex_grow",
        "flex_shrink",
        "flex_basis",
        "gap",
        "grid_area",
        "grid_auto_columns",
        "grid_auto_flow",
        "grid_auto_rows",
        "grid_column",
        "grid_gap",
        "grid_row",
        "grid_template_areas",
        "grid_template_columns",
        "grid_template_rows",
        "height",
        "justify_content",
        "justify_items",
        "left",
        "margin",
        "max_height",
        "max_width",
        "min_height",
        "min_width",
        "object_fit",
        "object_position",
        "order",
        "overflow",
        "overflow_x",
        "overflow_y",
        "padding",
        "right",
        "top",
        "visibility",
        "width",
    ]
)
DESCRIPTION_STYLE = frozenset({"description_width", "font_size", "text_color", "background"})


class CssProps(dict):  # type: ignore[type-arg]
    """A dict of CSS properties that also reads and writes as attributes: `layout.width = "300px"`.

    Writing an attribute (or an item) assigns a new dict to the owning trait, so the change is sent.
    """

    __slots__ = ("_owner", "_trait")

    def __init__(self, values: Any = (), owner: HasTraits | None = None, trait: str = "") -> None:
        super().__init__(values)
        object.__setattr__(self, "_owner", weakref.ref(owner) if owner is not None else None)
        object.__setattr__(self, "_trait", trait)

    def _keys(self) -> frozenset[str]:
        owner = self._owner() if self._owner is not None else None
        if owner is None:
            return frozenset(self) | LAYOUT_KEYS
        return owner.traits()[self._trait].keys  # type: ignore[no-any-return,attr-defined]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._keys():
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __setitem__(self, name: str, value: Any) -> None:
        owner = self._owner() if self._owner is not None else None
        if owner is None:
            super().__setitem__(name, value)
        else:
            setattr(owner, self._trait, {**self, name: value})

    def __delattr__(self, name: str) -> None:
        self[name] = None

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


class CssDict(TraitType[CssProps, Any]):
    """A synced dict of CSS properties whose keys are among `keys`; values are strings (or None: unset)."""

    info_text = "a dict of CSS properties"

    def __init__(self, keys: Iterable[str], what: str = "layout", **kwargs: Any) -> None:
        self.keys = frozenset(keys)
        self.what = what
        super().__init__(default_value={}, **kwargs)

    def make_dynamic_default(self) -> CssProps:
        return CssProps()

    def validate(self, obj: Any, value: Any) -> CssProps:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise TraitError(f"{self.what} must be a dict of CSS properties, got {type(value).__name__}")
        unknown = sorted(str(key) for key in value if key not in self.keys)
        if unknown:
            known = ", ".join(sorted(self.keys))
            raise TraitError(f"unknown {self.what} key(s) {', '.join(map(repr, unknown))}: {self.what} knows {known}")
        result: dict[str, str] = {}
        for key, item in value.items():
            if item is None or item == "":
                continue
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise TraitError(f"{self.what}[{key!r}] must be a string such as '300px', got {item!r}")
            result[key] = item if isinstance(item, str) else f"{item}px"
        return CssProps(result, obj, str(self.name))


def Layout(**properties: Any) -> dict[str, Any]:
    """`layout=Layout(width="300px")`: the same as `layout={"width": "300px"}`, checked here."""
    unknown = sorted(set(properties) - LAYOUT_KEYS)
    if unknown:
        raise TraitError(f"unknown layout key(s) {', '.join(map(repr, unknown))}")
    return properties


JS = Path(__file__).parent / "js"
_HELPER_IMPORT = re.compile(r'^import \{[\w\s,]*\} from "\./(_\w+\.js)";\n', re.M)


def _read(name: str) -> str:
    return (JS / name).read_text(encoding="utf-8")


def module(name: str) -> str:
    """The control module `js/<name>` as one self-contained source: its imports of the shared helpers
    (`_prelude.js`, `_children.js`) replaced by those files' text, each once, dependencies first,
    without `export`, so it needs no loader that resolves relative imports (anywidget's has none)."""
    source = _read(name)
    imports = _HELPER_IMPORT.findall(source)
    if "_prelude.js" not in imports:
        raise ValueError(f"js/{name} must start with its import from ./_prelude.js")
    order: list[str] = []

    def visit(helper: str) -> None:
        if helper not in order:
            for dependency in _HELPER_IMPORT.findall(_read(helper)):
                visit(dependency)
            order.append(helper)

    for helper in imports:
        visit(helper)
    helpers = [re.sub(r"^export ", "", _HELPER_IMPORT.sub("", _read(helper)), flags=re.M) for helper in order]
    return "".join(helpers) + _HELPER_IMPORT.sub("", source)


class Float(CFloat):  # type: ignore[type-arg]
    """A float that refuses NaN and infinities (which JSON cannot carry)."""

    def validate(self, obj: Any, value: Any) -> Any:
        value = super().validate(obj, value)
        if value is not None and not math.isfinite(value):
            raise TraitError(f"The '{self.name}' trait of {type(obj).__name__} must be a finite number, not {value!r}")
        return value


class Control(Model):
    """Base of the controls: the stylesheet they share and the traits every control has."""

    _css = "js/controls.css"
    _kind = Unicode("control").tag(sync=True, read_only=True)
    description = Unicode("").tag(sync=True)
    disabled = Bool(False).tag(sync=True)
    tooltip = Unicode(None, allow_none=True).tag(sync=True)
    layout = CssDict(LAYOUT_KEYS).tag(sync=True)
    style = CssDict(DESCRIPTION_STYLE, "style").tag(sync=True)

    def __init__(self, value: Any = None, **kwargs: Any) -> None:
        if value is not None:
            kwargs["value"] = value
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        """`IntSlider(value=3, min=0, ...)`: the public traits that differ from their defaults (as ipywidgets)."""
        traits = self.traits()
        shown = []
        for name in sorted(traits):
            if name.startswith("_") or not (traits[name].metadata.get("sync") or name in ("value", "label", "options")):
                continue
            value = getattr(self, name)
            try:
                if value == traits[name].default_value and name != "value":
                    continue
            except Exception:
                pass
            text = repr(value)
            shown.append(f"{name}={text if len(text) <= 40 else text[:37] + '...'}")
        return f"{type(self).__name__}({', '.join(shown)})"

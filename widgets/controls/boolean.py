"""On/off controls and the button."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

from traitlets import Bool, CaselessStrEnum, Unicode, validate

from .base import DESCRIPTION_STYLE, JS, Control, CssDict, module

BUTTON_STYLES = ["primary", "success", "info", "warning", "danger", ""]
BUTTON_STYLE = DESCRIPTION_STYLE | {"button_color", "font_weight", "font_style", "font_family", "text_decoration"}
# The icons the views draw: js/controls.css holds them (one rule per icon, FontAwesome names and aliases).
ICONS = frozenset(re.findall(r'\[data-icon="([\w-]+)"\]', (JS / "controls.css").read_text(encoding="utf-8")))
_warned: set[str] = set()


def icon_name(icon: str) -> str:
    """The built-in icon an ipywidgets-style name means: "check", "fa-check" and "fa fa-check" are "check"."""
    words = icon.split()
    return words[-1].removeprefix("fa-") if words else ""


class _Icon(Control):
    """`icon`: a FontAwesome name drawn by the view; a name it cannot draw warns once (the button shows no icon).

    Not an error, so that ipywidgets code using any of FontAwesome's many icons still runs.
    """

    icon = Unicode("").tag(sync=True)

    @validate("icon")
    def _check_icon(self, proposal: Any) -> Any:
        icon = proposal["value"]
        name = icon_name(icon)
        if name and name not in ICONS and name not in _warned:
            _warned.add(name)
            warnings.warn(
                f"{type(self).__name__}: no built-in icon {icon!r}, so the button shows none "
                "(widgets.controls.boolean.ICONS lists them; docs/controls.md)",
                UserWarning,
                stacklevel=2,
            )
        return icon


class Checkbox(Control):
    """A check box; `indent` lines it up with the controls that have a description on their left."""

    _esm = module("checkbox.js")
    _kind = Unicode("checkbox").tag(sync=True, read_only=True)
    value = Bool(False).tag(sync=True)
    indent = Bool(True).tag(sync=True)


class ToggleButton(_Icon):
    """A button that stays pressed: `value` True while pressed (`aria-pressed`)."""

    _esm = module("toggle_button.js")
    _kind = Unicode("toggle-button").tag(sync=True, read_only=True)
    value = Bool(False).tag(sync=True)
    button_style = CaselessStrEnum(BUTTON_STYLES, "").tag(sync=True)
    style = CssDict(BUTTON_STYLE, "style").tag(sync=True)


ClickCallback = Callable[["Button"], Any]


class Button(_Icon):
    """A button; `on_click(callback)` calls `callback(button)` on each click in a view.

    A callback that raises is reported in the views (a `handler` error with its traceback), like
    any `on_msg` callback; the other callbacks still run.
    """

    _esm = module("button.js")
    _kind = Unicode("button").tag(sync=True, read_only=True)
    button_style = CaselessStrEnum(BUTTON_STYLES, "").tag(sync=True)
    style = CssDict(BUTTON_STYLE, "style").tag(sync=True)
    _clicks: dict[Any, Any] | None = None

    def on_click(self, callback: ClickCallback, remove: bool = False) -> None:
        """Call `callback(button)` when the button is clicked; `remove=True` stops it."""
        if self._clicks is None:
            self._clicks = {}
        if remove:
            registered = self._clicks.pop(callback, None)
            if registered is not None:
                self.on_msg(registered, remove=True)
            return
        if callback in self._clicks:
            return

        def handler(model: Any, content: Any, buffers: Any) -> None:
            if isinstance(content, dict) and content.get("event") == "click":
                callback(self)

        self._clicks[callback] = handler
        self.on_msg(handler)

    def click(self) -> None:
        """Call the click callbacks, as a click in a view does (their exceptions are raised here)."""
        for handler in list((self._clicks or {}).values()):
            handler(self, {"event": "click"}, [])

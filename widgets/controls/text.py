"""Text: one-line and multi-line boxes, HTML and labels."""

from __future__ import annotations

from traitlets import Bool, CInt, Unicode

from .base import Control, module


class Text(Control):
    """A one-line text box; with `continuous_update=False` the value is sent on Enter or leaving the box."""

    _esm = module("text.js")
    _kind = Unicode("text").tag(sync=True, read_only=True)
    value = Unicode("").tag(sync=True)
    placeholder = Unicode("").tag(sync=True)
    continuous_update = Bool(True).tag(sync=True)


class Textarea(Text):
    """A multi-line text box (`rows` lines high)."""

    _kind = Unicode("textarea").tag(sync=True, read_only=True)
    rows = CInt(None, allow_none=True).tag(sync=True)


class HTML(Control):
    """HTML shown as it is: `value` is trusted markup, as in ipywidgets (never put untrusted text in it)."""

    _esm = module("html.js")
    _kind = Unicode("html").tag(sync=True, read_only=True)
    value = Unicode("").tag(sync=True)
    placeholder = Unicode("").tag(sync=True)


class Label(Control):
    """Plain text (never interpreted as HTML)."""

    _esm = module("html.js")
    _kind = Unicode("label").tag(sync=True, read_only=True)
    value = Unicode("").tag(sync=True)
    placeholder = Unicode("").tag(sync=True)

"""Pickers and media: ColorPicker, DatePicker, Image."""

from __future__ import annotations

import datetime
import pathlib
import re
from typing import Any

from traitlets import Bool, CUnicode, Instance, TraitError, Unicode, observe, validate

from ..traits import Array
from .base import Control, module

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_NAME = re.compile(r"[a-zA-Z]{3,24}")


class ColorPicker(Control):
    """A colour: `value` is "#rrggbb" (or #rgb, or a CSS colour name such as "red")."""

    _esm = module("color_picker.js")
    _kind = Unicode("color-picker").tag(sync=True, read_only=True)
    value = Unicode("black").tag(sync=True)
    concise = Bool(False).tag(sync=True)

    @validate("value")
    def _check_value(self, proposal: Any) -> Any:
        value = proposal["value"].strip()
        if not (_HEX.fullmatch(value) or _NAME.fullmatch(value)):
            raise TraitError(f"{value!r} is not a colour: give '#rrggbb', '#rgb' or a CSS colour name")
        return value


def _date_to_json(value: datetime.date | None, model: Any) -> str | None:
    return None if value is None else value.isoformat()


def _date_from_json(value: Any, model: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TraitError(f"a date is sent as 'YYYY-MM-DD', got {value!r}")
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        raise TraitError(f"{value!r} is not a date ('YYYY-MM-DD')") from None


def _date_trait() -> Any:
    return Instance(datetime.date, allow_none=True).tag(sync=True, to_json=_date_to_json, from_json=_date_from_json)


class DatePicker(Control):
    """A date (a native date input): `value` a `datetime.date` or None, kept within [min, max] when given."""

    _esm = module("date_picker.js")
    _kind = Unicode("date-picker").tag(sync=True, read_only=True)
    value = _date_trait()
    min = _date_trait()
    max = _date_trait()

    @validate("value")
    def _check_value(self, proposal: Any) -> Any:
        value = proposal["value"]
        if isinstance(value, datetime.datetime):
            value = value.date()
        if value is None:
            return value
        if self.min is not None and value < self.min:
            return self.min
        if self.max is not None and value > self.max:
            return self.max
        return value

    @validate("min", "max")
    def _check_bounds(self, proposal: Any) -> Any:
        bound = proposal["value"]
        low, high = (bound, self.max) if proposal["trait"].name == "min" else (self.min, bound)
        if low is not None and high is not None and low > high:
            raise TraitError(f"min ({low}) may not be after max ({high})")
        return bound

    @observe("min", "max")
    def _bounds_changed(self, change: Any) -> None:
        self.value = self._check_value({"value": self.value})


class Image(Control):
    """An image from bytes (`value`, sent as a binary buffer), of `format` png, jpeg, gif, svg+xml, webp...

    `format="url"` makes `value` the bytes of a URL. `width` / `height` are CSS sizes or pixel counts;
    `description` is the image's alternative text.
    """

    _esm = module("image.js")
    _kind = Unicode("image").tag(sync=True, read_only=True)
    value = Array(b"").tag(sync=True)
    format = Unicode("png").tag(sync=True)
    width = CUnicode("").tag(sync=True)
    height = CUnicode("").tag(sync=True)

    @classmethod
    def from_file(cls, filename: str | pathlib.Path, **kwargs: Any) -> Image:
        """An Image of a file's bytes, its format from the file's extension."""
        path = pathlib.Path(filename)
        suffix = path.suffix.lower().lstrip(".")
        kwargs.setdefault("format", {"jpg": "jpeg", "svg": "svg+xml"}.get(suffix, suffix or "png"))
        return cls(value=path.read_bytes(), **kwargs)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Image:
        """An Image that the browser loads from `url`."""
        return cls(value=url.encode("utf-8"), format="url", **kwargs)

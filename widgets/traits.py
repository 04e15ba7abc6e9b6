"""Trait types the framework adds to traitlets'."""

from __future__ import annotations

from typing import Any

from traitlets import Any as AnyTrait
from traitlets import HasTraits

from .buffers import is_ndarray


class Array(AnyTrait):  # type: ignore[type-arg]
    """A binary value: a numpy array, or `bytes`/`bytearray`/`memoryview`; sent as a comm buffer.

    Changes are detected by identity. traitlets' other traits compare `old == new`, which for a
    numpy array is element by element: ~270 ms for 10 million floats, on every assignment. So
    assign a new array (or `model.touch(name)` after changing one in place).
    """

    info_text = "a numpy array or a bytes-like object"
    allow_none = False  # traitlets' Any allows None; an Array holds binary unless told `allow_none=True`

    def validate(self, obj: Any, value: Any) -> Any:
        if value is None and self.allow_none:
            return value
        if isinstance(value, (bytes, bytearray, memoryview)) or is_ndarray(value):
            return value
        self.error(obj, value)

    def set(self, obj: HasTraits, value: Any) -> None:
        name = str(self.name)
        new_value = self._validate(obj, value)
        old_value = obj._trait_values.get(name, self.default_value)
        obj._trait_values[name] = new_value
        if old_value is not new_value:
            obj._notify_trait(name, old_value, new_value)

"""Choosing among options: Dropdown, RadioButtons, Select (one) and SelectMultiple (several).

`options` is a list of values (labelled by `str(value)`), a list of `(label, value)` pairs, or a
dict `{label: value}`. Views see only the labels (`_options_labels`) and the `index`; `value`,
`label` and `index` are kept consistent in the kernel, so values need not be JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from traitlets import Any as AnyTrait
from traitlets import CInt, TraitError, Tuple, Unicode, observe, validate

from .base import Control, module


def _pairs(options: Any) -> tuple[tuple[str, Any], ...]:
    if isinstance(options, Mapping):
        return tuple((str(label), value) for label, value in options.items())
    if isinstance(options, str) or not isinstance(options, Iterable):
        raise TraitError(f"options must be a list, a list of (label, value) pairs or a dict, got {options!r}")
    pairs = []
    for item in options:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            pairs.append((item[0], item[1]))
        else:
            pairs.append((str(item), item))
    return tuple(pairs)


def _position(values: list[Any], value: Any) -> int:
    for i, candidate in enumerate(values):
        if candidate is value:
            return i
    for i, candidate in enumerate(values):
        try:
            if bool(candidate == value):
                return i
        except Exception:
            continue
    raise ValueError(value)


class _Selection(Control):
    options = AnyTrait(()).tag(sync=False)
    _options_labels = Tuple().tag(sync=True, read_only=True)
    index = CInt(None, allow_none=True).tag(sync=True)
    value = AnyTrait(None, allow_none=True)
    label = Unicode(None, allow_none=True)
    _pairs: tuple[tuple[str, Any], ...] = ()
    _syncing = False

    def __init__(self, options: Any = None, **kwargs: Any) -> None:
        given = {name: kwargs.pop(name) for name in ("value", "label", "index") if name in kwargs}
        if options is not None:
            kwargs["options"] = options
        super().__init__(**kwargs)
        if not given and self._pairs and self.index is None:
            self.index = 0
        for name, value in given.items():
            setattr(self, name, value)

    @validate("options")
    def _check_options(self, proposal: Any) -> Any:
        options = proposal["value"]
        if not isinstance(options, (Mapping, str)) and isinstance(options, Iterable):
            options = tuple(options)  # a generator is read once
        self._pairs = _pairs(options)
        return options

    @observe("options")
    def _options_changed(self, change: Any) -> None:
        old_value = self.value
        with self.hold_trait_notifications():
            self._options_labels = tuple(label for label, _ in self._pairs)
            try:
                index: int | None = _position([v for _, v in self._pairs], old_value)
            except ValueError:
                index = 0 if self._pairs else None
            self._set_index(index, force=True)

    @validate("index")
    def _check_index(self, proposal: Any) -> Any:
        index = proposal["value"]
        if index is not None and not 0 <= index < len(self._pairs):
            raise TraitError(f"index {index} is out of range: there are {len(self._pairs)} options")
        return index

    @validate("value")
    def _check_value(self, proposal: Any) -> Any:
        value = proposal["value"]
        if value is not None:
            try:
                _position([v for _, v in self._pairs], value)
            except ValueError:
                raise TraitError(f"invalid selection: {value!r} is not among the options") from None
        return value

    @validate("label")
    def _check_label(self, proposal: Any) -> Any:
        label = proposal["value"]
        if label is not None and label not in [text for text, _ in self._pairs]:
            raise TraitError(f"invalid selection: no option is labelled {label!r}")
        return label

    def _set_index(self, index: int | None, force: bool = False) -> None:
        if self._syncing and not force:
            return
        self._syncing = True
        try:
            self.index = index
            self.value = None if index is None else self._pairs[index][1]
            self.label = None if index is None else self._pairs[index][0]
        finally:
            self._syncing = False

    @observe("index")
    def _index_changed(self, change: Any) -> None:
        self._set_index(change["new"])

    @observe("value")
    def _value_changed(self, change: Any) -> None:
        if not self._syncing:
            value = change["new"]
            self._set_index(None if value is None else _position([v for _, v in self._pairs], value))

    @observe("label")
    def _label_changed(self, change: Any) -> None:
        if not self._syncing:
            label = change["new"]
            self._set_index(None if label is None else [text for text, _ in self._pairs].index(label))


class Dropdown(_Selection):
    """A drop-down list (a native `<select>`: arrow keys, type-ahead)."""

    _esm = module("dropdown.js")
    _kind = Unicode("dropdown").tag(sync=True, read_only=True)


class RadioButtons(_Selection):
    """One choice among radio buttons (arrow keys move between them)."""

    _esm = module("radio_buttons.js")
    _kind = Unicode("radio-buttons").tag(sync=True, read_only=True)


class Select(_Selection):
    """A list box showing `rows` options at once."""

    _esm = module("dropdown.js")
    _kind = Unicode("select").tag(sync=True, read_only=True)
    rows = CInt(5).tag(sync=True)


class SelectMultiple(Control):
    """A list box where several options may be chosen (Shift / Ctrl with the arrow keys, or clicks).

    `value`, `label` and `index` are tuples (of values, labels and positions), kept consistent.
    """

    _esm = module("dropdown.js")
    _kind = Unicode("select-multiple").tag(sync=True, read_only=True)
    options = AnyTrait(()).tag(sync=False)
    _options_labels = Tuple().tag(sync=True, read_only=True)
    index = Tuple().tag(sync=True)
    value = Tuple()
    label = Tuple()
    rows = CInt(5).tag(sync=True)
    _pairs: tuple[tuple[str, Any], ...] = ()
    _syncing = False

    def __init__(self, options: Any = None, **kwargs: Any) -> None:
        given = {name: kwargs.pop(name) for name in ("value", "label", "index") if name in kwargs}
        if options is not None:
            kwargs["options"] = options
        super().__init__(**kwargs)
        for name, value in given.items():
            setattr(self, name, value)

    @validate("options")
    def _check_options(self, proposal: Any) -> Any:
        options = proposal["value"]
        if not isinstance(options, (Mapping, str)) and isinstance(options, Iterable):
            options = tuple(options)  # a generator is read once
        self._pairs = _pairs(options)
        return options

    @observe("options")
    def _options_changed(self, change: Any) -> None:
        values = [v for _, v in self._pairs]
        kept = []
        for old in self.value:
            try:
                kept.append(_position(values, old))
            except ValueError:
                continue
        with self.hold_trait_notifications():
            self._options_labels = tuple(label for label, _ in self._pairs)
            self._set_index(tuple(kept), force=True)

    @validate("index")
    def _check_index(self, proposal: Any) -> Any:
        for i in proposal["value"]:
            if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(self._pairs):
                raise TraitError(f"index {i!r} is out of range: there are {len(self._pairs)} options")
        return tuple(proposal["value"])

    @validate("value")
    def _check_value(self, proposal: Any) -> Any:
        values = [v for _, v in self._pairs]
        for value in proposal["value"]:
            try:
                _position(values, value)
            except ValueError:
                raise TraitError(f"invalid selection: {value!r} is not among the options") from None
        return proposal["value"]

    @validate("label")
    def _check_label(self, proposal: Any) -> Any:
        labels = [text for text, _ in self._pairs]
        for label in proposal["value"]:
            if label not in labels:
                raise TraitError(f"invalid selection: no option is labelled {label!r}")
        return proposal["value"]

    def _set_index(self, index: tuple[int, ...], force: bool = False) -> None:
        if self._syncing and not force:
            return
        self._syncing = True
        try:
            self.index = index
            self.value = tuple(self._pairs[i][1] for i in index)
            self.label = tuple(self._pairs[i][0] for i in index)
        finally:
            self._syncing = False

    @observe("index")
    def _index_changed(self, change: Any) -> None:
        self._set_index(change["new"])

    @observe("value")
    def _value_changed(self, change: Any) -> None:
        if not self._syncing:
            values = [v for _, v in self._pairs]
            self._set_index(tuple(_position(values, value) for value in change["new"]))

    @observe("label")
    def _label_changed(self, change: Any) -> None:
        if not self._syncing:
            labels = [text for text, _ in self._pairs]
            self._set_index(tuple(labels.index(label) for label in change["new"]))

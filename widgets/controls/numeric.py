"""Numbers: sliders, range sliders, number boxes and progress bars."""

from __future__ import annotations

from typing import Any

from traitlets import Bool, CaselessStrEnum, CInt, TraitError, Tuple, Unicode, observe, validate

from .base import DESCRIPTION_STYLE, Control, CssDict, Float, module

SLIDER_STYLE = DESCRIPTION_STYLE | {"handle_color", "track_color"}
PROGRESS_STYLE = DESCRIPTION_STYLE | {"bar_color"}


class _Bounded(Control):
    """`value` kept within [`min`, `max`], `min <= max` kept (a bound past the other is refused)."""

    def __init__(self, value: Any = None, min: Any = None, max: Any = None, step: Any = None, **kwargs: Any) -> None:
        for name, given in (("min", min), ("max", max), ("step", step)):
            if given is not None:
                kwargs[name] = given
        super().__init__(value, **kwargs)

    def _clamp(self, number: Any) -> Any:
        return max(self.min, min(self.max, number))  # type: ignore[attr-defined]

    @validate("min")
    def _check_min(self, proposal: Any) -> Any:
        if proposal["value"] > self.max:  # type: ignore[attr-defined]
            raise TraitError(f"min ({proposal['value']}) may not exceed max ({self.max})")  # type: ignore[attr-defined]
        return proposal["value"]

    @validate("max")
    def _check_max(self, proposal: Any) -> Any:
        if proposal["value"] < self.min:  # type: ignore[attr-defined]
            raise TraitError(f"max ({proposal['value']}) may not be below min ({self.min})")  # type: ignore[attr-defined]
        return proposal["value"]

    @validate("value")
    def _check_value(self, proposal: Any) -> Any:
        return self._clamp(proposal["value"])

    @observe("min", "max")
    def _bounds_changed(self, change: Any) -> None:
        self.value = self._check_value({"value": self.value})  # type: ignore[has-type]


class _Range(_Bounded):
    """`value` a (lower, upper) pair within [`min`, `max`]; by default the middle half of the range."""

    def __init__(self, value: Any = None, min: Any = None, max: Any = None, step: Any = None, **kwargs: Any) -> None:
        if value is None and "value" not in kwargs:
            low = self.class_traits()["min"].default_value if min is None else min
            high = self.class_traits()["max"].default_value if max is None else max
            span = high - low
            value = (low + span * 0.25, low + span * 0.75)
            if isinstance(self, IntRangeSlider):
                value = (int(value[0]), int(value[1]))
        super().__init__(value, min, max, step, **kwargs)

    def _clamp(self, pair: Any) -> Any:
        lower, upper = pair
        if lower > upper:
            raise TraitError(f"the lower value ({lower}) may not exceed the upper ({upper})")
        return (max(self.min, min(self.max, lower)), max(self.min, min(self.max, upper)))  # type: ignore[attr-defined]


class _SliderTraits(Control):
    orientation = CaselessStrEnum(["horizontal", "vertical"], "horizontal").tag(sync=True)
    readout = Bool(True).tag(sync=True)
    continuous_update = Bool(True).tag(sync=True)
    style = CssDict(SLIDER_STYLE, "style").tag(sync=True)


class IntSlider(_Bounded, _SliderTraits):
    """A slider of integers in [min, max], by step; arrow keys move it."""

    _esm = module("slider.js")
    _kind = Unicode("int-slider").tag(sync=True, read_only=True)
    value = CInt(0).tag(sync=True)
    min = CInt(0).tag(sync=True)
    max = CInt(100).tag(sync=True)
    step = CInt(1).tag(sync=True)
    readout_format = Unicode("d").tag(sync=True)


class FloatSlider(_Bounded, _SliderTraits):
    """A slider of floats in [min, max], by step."""

    _esm = module("slider.js")
    _kind = Unicode("float-slider").tag(sync=True, read_only=True)
    value = Float(0.0).tag(sync=True)
    min = Float(0.0).tag(sync=True)
    max = Float(100.0).tag(sync=True)
    step = Float(0.1, allow_none=True).tag(sync=True)
    readout_format = Unicode(".2f").tag(sync=True)


class IntRangeSlider(_Range, _SliderTraits):
    """Two handles: `value` is (lower, upper), integers in [min, max]."""

    _esm = module("range_slider.js")
    _kind = Unicode("int-range-slider").tag(sync=True, read_only=True)
    value = Tuple(CInt(), CInt(), default_value=(25, 75)).tag(sync=True)
    min = CInt(0).tag(sync=True)
    max = CInt(100).tag(sync=True)
    step = CInt(1).tag(sync=True)
    readout_format = Unicode("d").tag(sync=True)


class FloatRangeSlider(_Range, _SliderTraits):
    """Two handles: `value` is (lower, upper), floats in [min, max]."""

    _esm = module("range_slider.js")
    _kind = Unicode("float-range-slider").tag(sync=True, read_only=True)
    value = Tuple(Float(), Float(), default_value=(25.0, 75.0)).tag(sync=True)
    min = Float(0.0).tag(sync=True)
    max = Float(100.0).tag(sync=True)
    step = Float(0.1, allow_none=True).tag(sync=True)
    readout_format = Unicode(".2f").tag(sync=True)


class IntText(Control):
    """A number box of integers (sent on Enter or leaving the box unless `continuous_update`)."""

    _esm = module("number.js")
    _kind = Unicode("int-text").tag(sync=True, read_only=True)
    value = CInt(0).tag(sync=True)
    step = CInt(1).tag(sync=True)
    continuous_update = Bool(False).tag(sync=True)


class FloatText(Control):
    """A number box of floats."""

    _esm = module("number.js")
    _kind = Unicode("float-text").tag(sync=True, read_only=True)
    value = Float(0.0).tag(sync=True)
    step = Float(None, allow_none=True).tag(sync=True)
    continuous_update = Bool(False).tag(sync=True)


class FloatProgress(_Bounded):
    """A progress bar: `value` within [min, max]; `bar_style` success, info, warning or danger."""

    _esm = module("progress.js")
    _kind = Unicode("float-progress").tag(sync=True, read_only=True)
    value = Float(0.0).tag(sync=True)
    min = Float(0.0).tag(sync=True)
    max = Float(100.0).tag(sync=True)
    orientation = CaselessStrEnum(["horizontal", "vertical"], "horizontal").tag(sync=True)
    bar_style = CaselessStrEnum(["success", "info", "warning", "danger", ""], "", allow_none=True).tag(sync=True)
    style = CssDict(PROGRESS_STYLE, "style").tag(sync=True)


Progress = FloatProgress


class IntProgress(FloatProgress):
    """A progress bar of integers."""

    _kind = Unicode("int-progress").tag(sync=True, read_only=True)
    value = CInt(0).tag(sync=True)
    min = CInt(0).tag(sync=True)
    max = CInt(100).tag(sync=True)

"""interact: controls made from a function's arguments, and its output shown under them.

`interact(f, x=(0, 10))` builds an `interactive` (a VBox of one control per argument, then an
Output), displays it and calls `f` with the controls' values each time one changes. The
abbreviations are ipywidgets' (see `control_for`). A slider drag does not queue calls: the browser
has at most one update of a model in flight and merges what is saved meanwhile, and the kernel
acknowledges an update only once its observers (so `f`) have run; the final value always runs.
"""

from __future__ import annotations

import contextlib
import enum
import inspect
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from numbers import Integral, Real
from typing import Any, TypeVar, overload

from traitlets import Unicode

from ..model import Model
from .boolean import Button, Checkbox
from .boxes import VBox
from .numeric import FloatSlider, FloatText, IntSlider, IntText
from .output import Output, error_output, format_display
from .selection import Dropdown
from .text import Text

EMPTY = inspect.Parameter.empty
F = TypeVar("F", bound=Callable[..., Any])
OPTIONS = {"manual": False, "manual_name": "Run Interact", "auto_display": False, "clear_output": True}
LOG = logging.getLogger("widgets.interact")
MAX_RERUNS = 10
"""Runs in a row when `f` itself changes its controls' values (each change asks for another run)."""


class fixed:  # ipywidgets' name
    """A value passed to the function as it is, with no control shown: `interact(f, data=fixed(df))`."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def get_interact_value(self) -> Any:
        return self.value

    def __repr__(self) -> str:
        return f"fixed({self.value!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, fixed) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)


Control = Model | fixed


# --- abbreviations -> controls ---------------------------------------------------------------


def _number(value: Any) -> int | float:
    return int(value) if isinstance(value, Integral) else float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _slider(low: Any, high: Any, step: Any = None) -> Model:
    """(min, max[, step]): an IntSlider if all are integers, else a FloatSlider; its value in the middle."""
    ints = all(isinstance(x, Integral) for x in (low, high, step) if x is not None)
    low, high = _number(low), _number(high)
    if low > high:
        raise ValueError(f"a (min, max) range needs min <= max, got ({low}, {high})")
    if step is not None:
        step = _number(step)
        if step <= 0:
            raise ValueError(f"the step of a (min, max, step) range must be > 0, got {step}")
    middle = low + (high - low) // 2 if ints else low + (high - low) / 2
    if step is not None:
        middle = low + int((middle - low) / step) * step
    cls = IntSlider if ints else FloatSlider
    extra = {} if step is None else {"step": step}
    return cls(value=middle, min=low, max=high, **extra)


def _around(value: Any) -> Model:
    """A single number: a slider from -value to 3 * value (0: from 0 to 1), as ipywidgets."""
    number = _number(value)
    low, high = (number, number + 1) if number == 0 else (-number, 3 * number) if number > 0 else (3 * number, -number)
    cls = IntSlider if isinstance(number, int) else FloatSlider
    return cls(value=number, min=low, max=high)


def _from_annotation(annotation: Any) -> Model | None:
    if annotation is str:
        return Text()
    if annotation is bool:
        return Checkbox()
    if annotation in (int, Integral):
        return IntText()
    if annotation in (float, Real):
        return FloatText()
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return Dropdown(options={member.name: member for member in annotation})
    return None


def _known_annotation(annotation: Any) -> bool:
    """An annotation that makes a control (str, bool, int, float, an Enum class)."""
    if annotation in (str, bool, int, float, Integral, Real):
        return True
    return isinstance(annotation, type) and issubclass(annotation, enum.Enum)


def _with_default(widget: Model, default: Any) -> Model:
    """The signature's default as the control's first value, where it fits (else the abbreviation's)."""
    if default is not EMPTY:
        with contextlib.suppress(Exception):
            widget.value = default  # type: ignore[attr-defined]
    return widget


def control_for(name: str, abbrev: Any, default: Any = EMPTY) -> Control:
    """The control of one argument.

    A widget (any Model with a `value`) is used as it is, `fixed(v)` passes v with no control;
    `(min, max)` / `(min, max, step)` of numbers: IntSlider (all integers) or FloatSlider; a bool: a
    Checkbox; a str: Text; an int or float: a slider around it; a list or any other tuple (values or
    `(label, value)` pairs), a dict or another iterable: a Dropdown; an Enum member or class: a
    Dropdown of its members; the types str, bool, int, float: Text, Checkbox, IntText, FloatText.
    """
    if isinstance(abbrev, fixed):
        return abbrev
    if isinstance(abbrev, Model):
        if "value" not in abbrev.trait_names() and not hasattr(abbrev, "get_interact_value"):
            raise TypeError(f"interact: {name}={abbrev!r} is a widget without a value, so it cannot be an argument")
        return abbrev
    if isinstance(abbrev, type):
        widget = _from_annotation(abbrev)
        if widget is None:
            raise ValueError(f"interact: no control for {name} of type {abbrev.__name__}")
        return _with_default(widget, default)
    if isinstance(abbrev, tuple) and len(abbrev) in (2, 3) and all(map(_is_number, abbrev)):
        return _with_default(_slider(*abbrev), default)
    if isinstance(abbrev, bool):
        return Checkbox(value=abbrev)
    if isinstance(abbrev, str):
        return Text(value=abbrev)
    if isinstance(abbrev, enum.Enum):
        return Dropdown(options={member.name: member for member in type(abbrev)}, value=abbrev)
    if _is_number(abbrev):
        return _around(abbrev)
    if isinstance(abbrev, Mapping):
        return _with_default(Dropdown(options=dict(abbrev)), default)
    if isinstance(abbrev, Iterable) and not isinstance(abbrev, (bytes, bytearray, memoryview)):
        return _with_default(Dropdown(options=list(abbrev)), default)
    raise ValueError(
        f"interact: cannot make a control for {name}={abbrev!r}: use a widget, fixed(value), (min, max[, step]), "
        "a bool, a str, a number, or a list or dict of choices"
    )


def _abbreviations(f: Callable[..., Any], kwargs: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(name, abbreviation, signature default) for each argument of `f` that gets a control."""
    given = dict(kwargs)
    try:
        try:
            signature = inspect.signature(f, eval_str=True)  # annotations under `from __future__ import annotations`
        except Exception:  # an annotation that does not evaluate: the signature as written
            signature = inspect.signature(f)
        parameters = list(signature.parameters.values())
    except (TypeError, ValueError):  # a callable whose signature cannot be read: the keywords are all there is
        return [(name, value, EMPTY) for name, value in given.items()]
    found: list[tuple[str, Any, Any]] = []
    takes_any = False
    for parameter in parameters:
        name, default = parameter.name, parameter.default
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            takes_any = True
            continue
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if name in given and parameter.kind is not inspect.Parameter.POSITIONAL_ONLY:
            found.append((name, given.pop(name), default))
        elif default is not EMPTY:
            if parameter.kind is not inspect.Parameter.POSITIONAL_ONLY:
                found.append((name, default, default))
        elif _known_annotation(parameter.annotation):
            found.append((name, parameter.annotation, default))
        else:
            raise ValueError(
                f"interact: no control for argument {name!r} of {getattr(f, '__name__', f)!r}: give it a default "
                f"or an abbreviation ({name}=(0, 10), {name}=['a', 'b'], {name}=fixed(value), ...)"
            )
    if given and not takes_any:
        unknown = ", ".join(map(repr, given))
        raise TypeError(f"interact: {getattr(f, '__name__', f)!r} has no parameter {unknown}")
    found.extend((name, value, EMPTY) for name, value in given.items())
    return found


def _value_of(control: Any) -> Any:
    get = getattr(control, "get_interact_value", None)
    return get() if callable(get) else control.value


def _show_inline_plots() -> None:
    """Figures made by `f` with matplotlib's inline backend are shown now, in the Output (else only
    when the cell ends)."""
    backend = sys.modules.get("matplotlib_inline.backend_inline")
    matplotlib = sys.modules.get("matplotlib")
    if backend is not None and matplotlib is not None and "inline" in str(matplotlib.get_backend()):
        backend.flush_figures()


def _display(widget: Model) -> None:
    """Display in the cell's output as `display(widget)` does, when there is an IPython shell."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    if shell is None:
        return
    data, metadata = format_display(widget)
    shell.display_pub.publish(data=data, metadata=metadata)


# --- the widget ------------------------------------------------------------------------------


class interactive(VBox):  # ipywidgets' name
    """The controls of `f`'s arguments and an Output: `f(**kwargs)` runs on each change of a value
    (or, with `manual=True`, on each click of the "Run Interact" button), its output shown cleared per run.

    `interactive(f, options, **abbreviations)`; options: `manual`, `manual_name`, `auto_display`
    (display the return value when not None; `interact` sets it), `clear_output` (default True).
    Attributes: `f`, `result` (the last return value; None after an exception), `kwargs` (the last
    values), `kwargs_widgets` (the controls, `fixed` included), `out` (the Output), `manual_button`.
    Changes made inside `with w.hold_sync():` run `f` once, when the block ends.
    """

    _kind = Unicode("interactive").tag(sync=True, read_only=True)

    def __init__(self, f: Callable[..., Any], options: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        unknown = sorted(set(options or {}) - set(OPTIONS))
        if unknown:
            raise ValueError(
                f"interactive: unknown option(s) {', '.join(map(repr, unknown))}; known: {sorted(OPTIONS)}"
            )
        chosen = {**OPTIONS, **(options or {})}
        self.f = f
        self.manual = bool(chosen["manual"])
        self.manual_name = str(chosen["manual_name"])
        self.auto_display = bool(chosen["auto_display"])
        self.clear_output = bool(chosen["clear_output"])
        self.result: Any = None
        self.kwargs: dict[str, Any] = {}
        self._holding = 0
        self._running = False
        self._again = False
        self._named: list[tuple[str, Control]] = []
        for name, abbrev, default in _abbreviations(f, kwargs):
            control = control_for(name, abbrev, default)
            if isinstance(control, Model) and hasattr(control, "description") and not control.description:
                control.description = name
            self._named.append((name, control))
        self.kwargs_widgets = [control for _, control in self._named]
        children: list[Model] = [c for c in self.kwargs_widgets if isinstance(c, Model)]
        self.manual_button: Button | None = None
        if self.manual:
            self.manual_button = Button(description=self.manual_name)
            children.append(self.manual_button)
        self.out = Output()
        children.append(self.out)
        super().__init__(children)
        if self.manual:
            assert self.manual_button is not None
            self.manual_button.on_click(lambda _button: self.update())
            for control in children:  # Enter in a text field runs it too, as in ipywidgets
                if isinstance(control, Text):
                    control.continuous_update = False
                    control.observe(self._value_changed, names="value")
        else:
            for control in children[:-1]:
                control.observe(self._value_changed, names="value")
            self.update()

    @property
    def widget(self) -> interactive:
        """This widget (`interact(f)` returns `f`, whose `f.widget` is the same)."""
        return self

    def _value_changed(self, change: Any) -> None:
        if self._holding or self._running:
            self._again = True
            return
        self.update()

    @contextlib.contextmanager
    def hold_sync(self) -> Iterator[None]:
        """Batch the changes of this widget and its controls; `f` runs once when the block ends."""
        with contextlib.ExitStack() as stack:
            stack.enter_context(super().hold_sync())
            for control in self.kwargs_widgets:
                if isinstance(control, Model):
                    stack.enter_context(control.hold_sync())
            self._holding += 1
            try:
                yield
            finally:
                self._holding -= 1
                if not self._holding and self._again and not self._running:
                    self._again = False
                    self.update()

    def update(self, *args: Any) -> None:
        """Run `f` with the controls' values now (again while `f` changed them, at most MAX_RERUNS times)."""
        if self._running:
            self._again = True
            return
        self._running = True
        try:
            for _ in range(MAX_RERUNS):
                self._again = False
                self._run()
                if not self._again:
                    break
        finally:
            self._running = False

    def _run(self) -> None:
        values = {name: _value_of(control) for name, control in self._named}
        self.kwargs = values
        button = self.manual_button
        if button is not None:
            button.disabled = True
        out = self.out
        if self.clear_output:
            out.clear_output(wait=True)
        try:
            with out:
                self.result = None
                try:
                    self.result = self.f(**values)
                except Exception as error:  # its traceback from `f` on, without this frame
                    tb = error.__traceback__
                    out._add(error_output(type(error), error, tb.tb_next if tb is not None else None))
                    if out.closed:  # no comm: no one sees the Output
                        LOG.warning("the interact function %r raised", self.f, exc_info=True)
                    return
                _show_inline_plots()
                if self.auto_display and self.result is not None:
                    out.append_display_data(self.result)
        finally:
            out.settle()
            if button is not None:
                button.disabled = False


class _InteractFactory:
    """`interact` and `interact_manual`: call with a function (or use as a decorator, with or without
    abbreviations); `.options(manual=True, ...)` makes another one; `.widget(f)` builds without displaying."""

    def __init__(self, options: Mapping[str, Any], kwargs: Mapping[str, Any] | None = None) -> None:
        self.opts = dict(options)
        self.kwargs = dict(kwargs or {})

    def widget(self, f: Callable[..., Any]) -> interactive:
        return interactive(f, self.opts, **self.kwargs)

    @overload
    def __call__(self, f: F, /, **kwargs: Any) -> F: ...
    @overload
    def __call__(self, f: None = None, /, **kwargs: Any) -> _InteractFactory: ...
    def __call__(self, f: Callable[..., Any] | None = None, /, **kwargs: Any) -> Any:
        factory = _InteractFactory(self.opts, {**self.kwargs, **kwargs}) if kwargs else self
        if f is None:  # @interact(x=(0, 10))
            return factory
        widget = factory.widget(f)
        result = f
        try:
            result.widget = widget  # type: ignore[attr-defined]
        except AttributeError:  # a bound method or a builtin takes no attributes: a wrapper that does

            def result(*args: Any, **kw: Any) -> Any:
                return f(*args, **kw)

            result.widget = widget  # type: ignore[attr-defined]
        _display(widget)
        return result

    def options(self, **options: Any) -> _InteractFactory:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise ValueError(f"interact: unknown option(s) {', '.join(map(repr, unknown))}; known: {sorted(OPTIONS)}")
        return _InteractFactory({**self.opts, **options}, self.kwargs)


interact = _InteractFactory({**OPTIONS, "auto_display": True})
interact_manual = interact.options(manual=True, manual_name="Run Interact")


def interactive_output(f: Callable[..., Any], controls: Mapping[str, Model]) -> Output:
    """An Output that shows `f(**values)` of controls laid out elsewhere, rerun on each change (ipywidgets')."""
    out = Output()

    def run(change: Any = None) -> None:
        out.clear_output(wait=True)
        with out:
            f(**{name: _value_of(control) for name, control in controls.items()})
            _show_inline_plots()
        out.settle()

    for control in controls.values():
        control.observe(run, names="value")
    run()
    return out

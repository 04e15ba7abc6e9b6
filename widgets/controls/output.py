"""Output: a widget that shows captured output (prints, rich displays, tracebacks).

The captured outputs live in the synced `outputs` trait, a tuple of nbformat-like dicts, and the
view renders them itself, so an Output works in every host (JupyterLab, Notebook 7, anywidget's
runtime, saved notebooks and exported pages) without a frontend hook into the kernel's messages.

Capturing is per thread (and per asyncio task: the stack of active Outputs is a context variable).
While at least one `with out:` block is active anywhere, sys.stdout / sys.stderr and IPython's
display publisher are wrapped; writes from code that is not inside a `with out:` block pass
through untouched, and the wrappers are removed when the last block ends.

Thread safety: the outputs live in one list guarded by a lock, so writes from several threads
never lose text; each write tells the sync, which sends at most one update per interval.
"""

from __future__ import annotations

import base64
import contextvars
import functools
import inspect
import json
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar

from traitlets import TraitError, TraitType, Unicode

from widgets import MIMETYPE

from ..model import live
from .base import Control, module

WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"
"""The mimetype ipywidgets and anywidget display widgets with (`model_id` inside)."""

OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")
F = TypeVar("F", bound=Callable[..., Any])

_capturing: contextvars.ContextVar[tuple[Output, ...]] = contextvars.ContextVar("widgets_output", default=())


def capturing() -> Output | None:
    """The Output the calling thread (or task) captures into, or None."""
    stack = _capturing.get()
    return stack[-1] if stack else None


def _shell() -> Any:
    """The running IPython shell, or None (IPython is not imported for this: a plain process has none)."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    return get() if get is not None else None


# --- formatting ------------------------------------------------------------------------------

_REPR_METHODS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("text/latex", "_repr_latex_"),
    ("application/json", "_repr_json_"),
)


def _sendable(value: Any) -> Any:
    """A mimebundle value as JSON can carry it: bytes as base64 (as Jupyter sends images), else as is."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _json_ok(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def format_display(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The mimebundle and metadata of `obj` as `display(obj)` publishes it: IPython's formatter in a
    shell, else the object's own `_repr_mimebundle_` / `_repr_*_` methods and its repr."""
    shell = _shell()
    formatter = getattr(shell, "display_formatter", None)
    data: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    if formatter is not None:
        formatted, extra = formatter.format(obj)
        return dict(formatted), dict(extra or {})
    bundle = getattr(obj, "_repr_mimebundle_", None)
    if callable(bundle):
        found = bundle(include=None, exclude=None)
        if isinstance(found, tuple):
            found, metadata = found[0], dict(found[1] or {})
        data.update(found or {})
    for mime, name in _REPR_METHODS:
        method = getattr(obj, name, None)
        if mime in data or not callable(method) or isinstance(obj, type):
            continue
        value = method()
        if isinstance(value, tuple):
            value, metadata[mime] = value
        if value is not None:
            data[mime] = value
    data.setdefault("text/plain", repr(obj))
    return data, metadata


def display_output(data: dict[str, Any], metadata: dict[str, Any] | None = None, transient: Any = None) -> Any:
    """A display_data output for a published mimebundle (a value JSON cannot carry is left out; a widget's
    own model is kept in it, under "widget", so it stays alive and saved pages include it)."""
    clean = {mime: _sendable(value) for mime, value in data.items() if isinstance(mime, str)}
    clean = {mime: value for mime, value in clean.items() if _json_ok(value)}
    clean.setdefault("text/plain", "")
    output: dict[str, Any] = {"output_type": "display_data", "data": clean, "metadata": {}}
    meta = metadata or {}
    if _json_ok(meta):
        output["metadata"] = dict(meta)
    if isinstance(transient, dict) and isinstance(transient.get("display_id"), str):
        output["transient"] = {"display_id": transient["display_id"]}
    for mime in (MIMETYPE, WIDGET_VIEW_MIMETYPE):
        view = clean.get(mime)
        model = live.get(str(view.get("model_id"))) if isinstance(view, dict) else None
        if model is not None:
            output["widget"] = model
            break
    return output


def error_output(etype: type[BaseException], evalue: BaseException, tb: TracebackType | None) -> dict[str, Any]:
    """An error output: IPython's coloured traceback in a shell, Python's plain one otherwise."""
    lines: list[str] | None = None
    shell = _shell()
    formatter = getattr(shell, "InteractiveTB", None)
    if formatter is not None:
        try:
            lines = list(formatter.structured_traceback(etype, evalue, tb, tb_offset=0))
        except Exception:  # a broken traceback formatter must not hide the error itself
            lines = None
    if lines is None:
        lines = traceback.format_exception(etype, evalue, tb)
    return {
        "output_type": "error",
        "ename": etype.__name__,
        "evalue": str(evalue),
        "traceback": [line.rstrip("\n") for line in lines],
    }


_OVERWRITTEN = re.compile(r"[^\n]*\r+(?=[^\r\n])")


def _overwrite(text: str) -> str:
    """Text as a terminal shows it: a carriage return goes back to the start of the line (progress
    bars rewrite one line instead of growing it). A trailing `\\r` waits for what comes next."""
    if "\r" not in text:
        return text
    return _OVERWRITTEN.sub("", text.replace("\r\n", "\n"))


# --- the outputs trait -----------------------------------------------------------------------


def _check_output(index: int, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TraitError(f"outputs[{index}] must be a dict (an nbformat output), got {type(value).__name__}")
    kind = value.get("output_type")
    if kind not in OUTPUT_TYPES:
        raise TraitError(f"outputs[{index}]['output_type'] must be one of {', '.join(OUTPUT_TYPES)}, got {kind!r}")
    output = dict(value)
    if kind == "stream":
        text = output.get("text", "")
        output["text"] = "".join(text) if isinstance(text, list) else text
        if output.get("name") not in ("stdout", "stderr") or not isinstance(output["text"], str):
            raise TraitError(f"outputs[{index}]: a stream has a name ('stdout' or 'stderr') and a text")
    elif kind == "error":
        if not isinstance(output.get("traceback", []), list):
            raise TraitError(f"outputs[{index}]: an error's traceback is a list of lines")
        output.setdefault("ename", "Error")
        output.setdefault("evalue", "")
        output.setdefault("traceback", [])
    else:
        data = output.get("data")
        if not isinstance(data, dict):
            raise TraitError(f"outputs[{index}]: a {kind} has a 'data' dict (a mimebundle)")
        output["data"] = {
            m: "".join(v) if isinstance(v, list) and m.startswith("text/") else v for m, v in data.items()
        }
        output.setdefault("metadata", {})
    return output


class Outputs(TraitType[tuple[dict[str, Any], ...], Any]):
    """The Output's outputs. Reading gives the outputs as they are now (captured text included at
    once); assigning replaces them (and notifies observers). Captured output and the append and
    clear methods update the views without traitlets notifications: a loop of prints stays cheap."""

    info_text = "a tuple of output dicts (nbformat-like: stream, display_data, error)"
    default_value: tuple[dict[str, Any], ...] = ()

    def validate(self, obj: Any, value: Any) -> tuple[dict[str, Any], ...]:
        if value is None:
            return ()
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
            raise TraitError(f"outputs must be a list of output dicts, got {type(value).__name__}")
        return tuple(_check_output(i, item) for i, item in enumerate(value))

    def get(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            return self
        return obj._snapshot()

    def set(self, obj: Any, value: Any) -> None:
        new = self._validate(obj, value)
        old = obj._snapshot()
        obj._replace(new)
        obj._trait_values[self.name] = new
        if old != new:
            obj._notify_trait(self.name, old, new)


# --- the hooks -------------------------------------------------------------------------------


class _Stream:
    """sys.stdout or sys.stderr while some Output captures: the writes of code inside `with out:` go
    to that Output, every other write to the stream it replaced."""

    def __init__(self, name: str, original: Any) -> None:
        self._name = name
        self._original = original

    def write(self, text: str) -> int:
        out = capturing()
        if out is None:
            return self._original.write(text)  # type: ignore[no-any-return]
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        out._write(self._name, text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        flush = getattr(self._original, "flush", None)
        if flush is not None:
            flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _publish(original: Callable[..., Any], data: Any, metadata: Any = None, *args: Any, **kwargs: Any) -> Any:
    """The display publisher's `publish` while some Output captures (IPython's `display`, `update_display`)."""
    out = capturing()
    transient = kwargs.get("transient")
    if out is None or not isinstance(data, dict):
        return original(data, metadata, *args, **kwargs)
    if kwargs.get("update"):
        display_id = transient.get("display_id") if isinstance(transient, dict) else None
        if not out._update_display(display_id, display_output(data, metadata, transient)):
            return original(data, metadata, *args, **kwargs)  # a display of that id elsewhere
        return None
    out._add(display_output(data, metadata, transient))
    return None


def _clear(original: Callable[..., Any], wait: bool = False) -> Any:
    out = capturing()
    if out is None:
        return original(wait)
    out.clear_output(wait=wait)
    return None


_NOTHING = object()
_hook_lock = threading.Lock()
_active = 0
_installed: dict[str, Any] = {}


def _install() -> None:
    for name in ("stdout", "stderr"):
        stream = _Stream(name, getattr(sys, name))
        setattr(sys, name, stream)
        _installed[name] = stream
    publisher = getattr(_shell(), "display_pub", None)
    if publisher is not None:
        before = {name: publisher.__dict__.get(name, _NOTHING) for name in ("publish", "clear_output")}
        publish = functools.partial(_publish, publisher.publish)
        clear = functools.partial(_clear, publisher.clear_output)
        publisher.publish, publisher.clear_output = publish, clear
        _installed["publisher"] = (publisher, {"publish": publish, "clear_output": clear}, before)


def _uninstall() -> None:
    for name in ("stdout", "stderr"):
        stream = _installed.pop(name, None)
        if stream is not None and getattr(sys, name) is stream:  # else someone replaced it since: leave theirs
            setattr(sys, name, stream._original)
    hooked = _installed.pop("publisher", None)
    if hooked is not None:
        publisher, ours, before = hooked
        for attribute, hook in ours.items():
            if publisher.__dict__.get(attribute) is not hook:
                continue  # replaced since: leave it
            if before[attribute] is _NOTHING:
                delattr(publisher, attribute)
            else:
                setattr(publisher, attribute, before[attribute])


def _retain() -> None:
    global _active
    with _hook_lock:
        _active += 1
        if _active == 1:
            _install()


def _release() -> None:
    global _active
    with _hook_lock:
        _active -= 1
        if _active == 0:
            _uninstall()


# --- the widget ------------------------------------------------------------------------------


class Output(Control):
    """Shows what code prints, displays or raises inside `with out:` (or `@out.capture()`).

    An exception raised inside the block is shown in the Output as its traceback and suppressed
    when the Output has a comm (in a kernel: someone can see it); in a plain Python process it is
    recorded and raised again. KeyboardInterrupt is recorded and always raised again.
    """

    _esm = module("output.js")
    _kind = Unicode("output-area").tag(sync=True, read_only=True)
    outputs = Outputs().tag(sync=True, read_only=True)

    def __init__(self, **kwargs: Any) -> None:
        self._lock = threading.Lock()
        self._state: list[dict[str, Any]] = []
        self._tail: list[str] = []  # text written to the last (stream) output, not yet joined
        self._clear_next = False
        super().__init__(**kwargs)

    # --- the outputs, under the lock ---------------------------------------------------------

    def _join_tail(self) -> None:
        if self._tail:
            last = self._state[-1]
            self._state[-1] = {**last, "text": _overwrite(last["text"] + "".join(self._tail))}
            self._tail = []

    def _snapshot(self) -> tuple[dict[str, Any], ...]:
        with self._lock:
            self._join_tail()
            return tuple(self._state)

    def _replace(self, outputs: tuple[dict[str, Any], ...]) -> None:
        with self._lock:
            self._state = list(outputs)
            self._tail = []
            self._clear_next = False

    def _changed(self) -> None:
        """Tell the sync the outputs changed (from any thread: callbacks run without the sync lock held)."""
        if self._sync is not None and not self.closed:
            self.touch("outputs")

    def _pending_clear(self) -> None:
        if self._clear_next:
            self._state, self._tail, self._clear_next = [], [], False

    def _write(self, name: str, text: str) -> None:
        if not text:
            return
        with self._lock:
            self._pending_clear()
            last = self._state[-1] if self._state else None
            if last is not None and last["output_type"] == "stream" and last["name"] == name:
                self._tail.append(text)
                if "\r" in text:
                    self._join_tail()
            else:
                self._join_tail()
                self._state.append({"output_type": "stream", "name": name, "text": _overwrite(text)})
        self._changed()

    def _add(self, output: dict[str, Any]) -> None:
        with self._lock:
            self._pending_clear()
            self._join_tail()
            self._state.append(output)
        self._changed()

    def _update_display(self, display_id: Any, output: dict[str, Any]) -> bool:
        """Replace the displays of `display_id` (IPython's `update_display`); False if there is none here."""
        if not isinstance(display_id, str):
            return False
        with self._lock:
            self._join_tail()
            found = False
            for index, old in enumerate(self._state):
                if (old.get("transient") or {}).get("display_id") == display_id:
                    self._state[index] = output
                    found = True
        if found:
            self._changed()
        return found

    # --- the API users know ------------------------------------------------------------------

    def clear_output(self, wait: bool = False) -> None:
        """Remove the outputs; `wait=True` removes them only when the next output arrives (no flashing)."""
        with self._lock:
            if wait:
                self._clear_next = True
                return
            self._state, self._tail, self._clear_next = [], [], False
        self._changed()

    def append_stdout(self, text: str) -> None:
        """Add text to the output's stdout (merged with the stdout text just before it)."""
        self._write("stdout", text)

    def append_stderr(self, text: str) -> None:
        self._write("stderr", text)

    def append_display_data(self, obj: Any) -> None:
        """Add a rich display of `obj` (a widget, an IPython display object, anything with `_repr_*_`)."""
        self._add(display_output(*format_display(obj)))

    def append_error(self, error: BaseException) -> None:
        """Add the traceback of `error`, as an exception raised inside `with out:` is shown."""
        self._add(error_output(type(error), error, error.__traceback__))

    def settle(self) -> None:
        """A `clear_output(wait=True)` still waiting for output clears now (interact: a run that showed nothing)."""
        with self._lock:
            if not self._clear_next:
                return
            self._state, self._tail, self._clear_next = [], [], False
        self._changed()

    def capture(self, clear_output: bool = False, wait: bool = False) -> Callable[[F], F]:
        """Decorator: the function's output goes to this Output (`clear_output=True`: cleared first)."""

        def decorate(func: F) -> F:
            if inspect.iscoroutinefunction(func):

                @functools.wraps(func)
                async def run_async(*args: Any, **kwargs: Any) -> Any:
                    if clear_output:
                        self.clear_output(wait=wait)
                    with self:
                        return await func(*args, **kwargs)

                return run_async  # type: ignore[return-value]

            @functools.wraps(func)
            def run(*args: Any, **kwargs: Any) -> Any:
                if clear_output:
                    self.clear_output(wait=wait)
                with self:
                    return func(*args, **kwargs)

            return run  # type: ignore[return-value]

        return decorate

    def __enter__(self) -> Output:
        for stream in (sys.stdout, sys.stderr):  # what was printed before goes where it was going
            flush = getattr(stream, "flush", None)
            if flush is not None:
                flush()
        _capturing.set((*_capturing.get(), self))
        _retain()
        return self

    def __exit__(
        self, etype: type[BaseException] | None, evalue: BaseException | None, tb: TracebackType | None
    ) -> bool:
        stack = list(_capturing.get())
        for index in range(len(stack) - 1, -1, -1):
            if stack[index] is self:
                del stack[index]
                break
        _capturing.set(tuple(stack))
        _release()
        if etype is None or evalue is None:
            return False
        if isinstance(evalue, (Exception, KeyboardInterrupt)):
            self._add(error_output(etype, evalue, tb))
        return isinstance(evalue, Exception) and not self.closed

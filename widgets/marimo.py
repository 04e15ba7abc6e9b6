"""What marimo's `mo.ui.anywidget(widget)` reads from a widget: ipywidgets' `comm`, `get_state`, `set_state`.

marimo (0.25) displays a model speaking anywidget's protocol (widgets/compat.py) by itself: its
comm is a live marimo comm and the widget-view repr becomes marimo's own anywidget element. To
make cells rerun when the browser changes a widget, a user wraps it: `w = mo.ui.anywidget(model)`.
That wrapper reads `model.comm` (it tags that comm with the UI element's id, which is how a
browser update reruns the cells reading `w`), `model._model_id`, `model.get_state()` (as
`w.value`) and, after the comm has delivered a browser update, calls `model.set_state(state)`
with the same state again (without its buffers). `MarimoWidget` gives `Model` those three names;
marimo itself is never imported (docs/hosts.md, "marimo").
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from .flusher import LOCK
from .patch import json_same
from .protocol import JSONDict, Path
from .serialize import to_json
from .sync import ModelSync


class StatefulModel(Protocol):
    """What these functions use of a model (widgets.model.Model)."""

    _sync: ModelSync | None

    @property
    def protocol(self) -> str | None: ...

    def sync_keys(self) -> list[str]: ...

    def hold_sync(self) -> AbstractContextManager[None]: ...

    def encode_key(self, key: str) -> Any: ...

    def decode_value(self, key: str, value: Any, model: Any = None) -> Any: ...


class MarimoWidget:
    """ipywidgets' `comm`, `get_state` and `set_state`, as a base of `Model` (what `mo.ui.anywidget` reads)."""

    __slots__ = ()

    @property
    def comm(self: StatefulModel) -> Any:
        """The open comm of this model (a marimo comm in marimo), else None."""
        return comm_of(self)

    def get_state(self: StatefulModel, key: str | Iterable[str] | None = None) -> dict[str, Any]:
        """The synced traits as the browser holds them; see `get_state` in widgets/marimo.py."""
        return get_state(self, key)

    def set_state(self: StatefulModel, state: dict[str, Any]) -> None:
        """Apply a state as if the browser had sent it; see `set_state` in widgets/marimo.py."""
        set_state(self, state)


def comm_of(model: StatefulModel) -> Any:
    sync = model._sync
    return sync.comm if sync is not None and not sync.closed else None


def get_state(model: StatefulModel, key: str | Iterable[str] | None = None) -> dict[str, Any]:
    """ipywidgets' `Widget.get_state`: the synced traits (all, one name, or several) as JSON values,
    model references as `"IPY_MODEL_<id>"`, binary values as bytes in place (an ndarray as
    `{"dtype", "shape", "buffer"}`, anywidget's layout). A snapshot: nothing in it is a trait's value."""
    known = model.sync_keys()
    names = known if key is None else [key] if isinstance(key, str) else list(key)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise KeyError(f"not synced traits of {type(model).__name__}: {', '.join(map(repr, unknown))}")
    state: dict[str, Any] = {}
    for name in names:
        value, binaries = to_json(model.encode_key(name))
        root = {name: value}
        for path, buffer in binaries:
            _put(root, [name, *path], buffer)
        state[name] = root[name]
    return state


def set_state(model: StatefulModel, state: dict[str, Any]) -> None:
    """ipywidgets' `Widget.set_state`: apply `state` (JSON values, bytes-likes in place of buffers) as
    if the browser had sent it: the same checks and validation, observers fire, a refused value is
    answered with the kernel's (and logged, as anywidget's protocol has no error message).

    A model speaking our own protocol takes each value through the same checks, then sets it.
    Keys whose value the kernel already has from the browser are skipped: marimo calls this with
    the very update its comm has just delivered, and without that update's buffers.
    """
    if not isinstance(state, dict) or not all(isinstance(name, str) for name in state):
        raise TypeError(f"set_state takes a dict of trait names to values, not {type(state).__name__}")
    sync = model._sync
    if sync is None or model.protocol != "anywidget":
        values = {name: model.decode_value(name, value, model) for name, value in state.items()}
        with model.hold_sync():
            for name, value in values.items():
                setattr(model, name, value)
        return
    with LOCK:
        if sync.closed:
            return
        fresh = {name: value for name, value in state.items() if not _delivered(sync, name, value)}
    if not fresh:
        return
    plain, paths, buffers = _split(fresh)
    data = {"method": "update", "state": plain, "buffer_paths": paths}
    sync.handle_msg({"content": {"data": data}, "buffers": buffers})


def _delivered(sync: ModelSync, name: str, value: Any) -> bool:
    """The browser's last value of `name` is this one (the kernel has it), or is binary while `value`
    carries no buffer (marimo's copy of an update whose buffers the comm has delivered)."""
    shadow = sync.shadow.get(name)
    if shadow is None:
        return False
    if shadow[1]:
        return not _has_binary(value)
    try:
        return type(shadow[0]) is type(value) and json_same(shadow[0], value)
    except Exception:
        return False


_BINARY = (bytes, bytearray, memoryview)


def _has_binary(value: Any) -> bool:
    if isinstance(value, _BINARY):
        return True
    if isinstance(value, dict):
        return any(_has_binary(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_binary(item) for item in value)
    return False


def _split(state: JSONDict) -> tuple[JSONDict, list[Path], list[memoryview]]:
    """ipywidgets' `_remove_buffers`: bytes-likes out of `state` (copied where they were), with their paths."""
    paths: list[Path] = []
    buffers: list[memoryview] = []

    def walk(value: Any, path: Path) -> Any:
        if isinstance(value, _BINARY):
            paths.append(list(path))
            view = memoryview(value)
            buffers.append(view.cast("B") if view.c_contiguous else memoryview(view.tobytes()))
            return None
        if isinstance(value, dict) and _has_binary(value):
            return {k: walk(v, [*path, k]) for k, v in value.items()}
        if isinstance(value, (list, tuple)) and _has_binary(value):
            return [walk(v, [*path, i]) for i, v in enumerate(value)]
        return value

    plain = {name: walk(value, [name]) for name, value in state.items()}
    return plain, paths, buffers


def _put(root: dict[str, Any], path: Path, buffer: memoryview) -> None:
    """Replace the binary placeholder at `path` with its bytes (an ndarray's with anywidget's layout)."""
    parent: Any = root
    for step in path[:-1]:
        parent = parent[step]
    placeholder = parent[path[-1]]
    data = bytes(buffer)
    if placeholder.get("$binary") == "ndarray":
        parent[path[-1]] = {"dtype": placeholder["dtype"], "shape": placeholder["shape"], "buffer": data}
    else:
        parent[path[-1]] = data

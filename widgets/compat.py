"""anywidget's flavour of the ipywidgets protocol (2.1) for one model, where our extension is not the renderer.

`CompatSync` is a `ModelSync`: the shadow, `held()`, the rate limit and the background flusher,
the key checks and the traits' validation are the same code. Only the wire differs
(docs/protocol.md, "Compatibility mode"): target `jupyter.widget`, the state carries anywidget's
`_model_*`/`_view_*` names and the module source (`_esm`, `_css`), updates hold whole values,
binary values are comm buffers at `buffer_paths` relative to `state`, `request_state` is answered
with the whole state. That wire has no acks and no errors: a browser write the kernel refuses is
answered with the kernel's value (so the view reverts) and a warning is logged once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

from . import serialize
from .buffers import insert_buffers
from .commands import Outcome, unsendable
from .flusher import LOCK
from .hosts import warn_once
from .incoming import json_problem
from .patch import json_same
from .protocol import Ack, ErrorEntry, JSONDict, KernelUpdate, Path, ProtocolError, is_utf8, truncate
from .serialize import Binaries
from .sync import ModelSync, SyncedModel, _Change, _encode_error, _given, handler_error

COMPAT_TARGET = "jupyter.widget"
WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"
IPYWIDGETS_PROTOCOL_VERSION = "2.1.0"
ANYWIDGET_FALLBACK_VERSION = "~0.9.*"
"""anywidget's JS semver range when anywidget is not installed in the kernel (hosts that load the
module by version, Colab's CDN loader, find 0.9.x; marimo and VS Code do not look at it)."""

_Layout = tuple[JSONDict, list[Path], list[memoryview]]
_ARRAY_KEYS = frozenset(["dtype", "shape", "buffer"])


class CompatModel(SyncedModel, Protocol):
    """What a CompatSync needs beyond SyncedModel (widgets.model.Model implements it)."""

    def compat_fields(self) -> JSONDict:
        """`_esm`, `_css` (when the class has one) and `_anywidget_id`."""

    def open_references_compat(self, key: str) -> None:
        """Move the models a trait's value refers to onto this protocol (a host renders only those)."""


@functools.lru_cache(maxsize=1)
def anywidget_version() -> str:
    """The `_model_module_version` anywidget itself would send: "~<major>.<minor>.*" of the installed anywidget."""
    import importlib.metadata  # once, at the first compat open: keeps `import widgets` fast

    try:
        version = importlib.metadata.version("anywidget")
    except importlib.metadata.PackageNotFoundError:
        return ANYWIDGET_FALLBACK_VERSION
    major, _, rest = version.partition(".")
    minor = rest.split(".", 1)[0]
    if not (major.isdigit() and minor.isdigit()):
        return ANYWIDGET_FALLBACK_VERSION
    return f"~{major}.{minor}.*"


def module_fields() -> JSONDict:
    version = anywidget_version()
    return {
        "_model_module": "anywidget",
        "_model_name": "AnyModel",
        "_model_module_version": version,
        "_view_module": "anywidget",
        "_view_name": "AnyView",
        "_view_module_version": version,
    }


def _copy_json(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _copy_json(v) for k, v in value.items()}
    if kind is list:
        return [_copy_json(v) for v in value]
    return value


def split_buffers(key: str, value: Any, binaries: Binaries) -> tuple[Any, list[Path], list[memoryview], bool]:
    """ipywidgets' layout of one state value: the JSON with each binary taken out (a dict key removed, a
    list item set to null; an ndarray becomes `{"dtype", "shape", "buffer"}`), its paths from `state`,
    the buffers, and whether the value itself is absent (it was binary)."""
    if not binaries:
        return value, [], [], False
    root: JSONDict = {key: _copy_json(value)}
    paths: list[Path] = []
    buffers: list[memoryview] = []
    for path, buffer in binaries:
        parent: Any = root
        for step in [key, *path][:-1]:
            parent = parent[step]
        leaf = [key, *path][-1]
        placeholder = parent[leaf]
        if placeholder.get("$binary") == "ndarray":
            parent[leaf] = {"dtype": placeholder["dtype"], "shape": placeholder["shape"]}
            paths.append([key, *path, "buffer"])
        else:
            if isinstance(parent, dict):
                del parent[leaf]
            else:
                parent[leaf] = None
            paths.append([key, *path])
        buffers.append(buffer)
    return root.get(key), paths, buffers, key not in root


def place_buffers(state: JSONDict, paths: object, buffers: list[Any]) -> set[str]:
    """Put a browser message's buffers into `state` (decoded as our `insert_buffers` does, with its exact
    framing checks); `{"dtype", "shape", "buffer"}` objects become numpy arrays. Return the keys holding binary."""
    if paths is None:
        paths = []
    if not isinstance(paths, list) or not all(isinstance(p, list) and p for p in paths):
        raise ProtocolError("bad_buffer", "buffer_paths must be a list of non-empty lists of keys and indexes")
    ours: list[Path] = []
    for path in paths:
        target = list(path)
        parent: Any = state
        try:
            for step in target[:-1]:
                parent = parent[step]
            leaf = target[-1]
            if isinstance(parent, list) and not (type(leaf) is int and 0 <= leaf < len(parent)):
                raise TypeError
            if not isinstance(parent, (dict, list)) or (isinstance(parent, dict) and not isinstance(leaf, str)):
                raise TypeError
        except (KeyError, IndexError, TypeError):
            raise ProtocolError("bad_buffer", f"buffer path {str(path)[:200]} does not resolve") from None
        placeholder: JSONDict = {"$binary": "bytes"}
        if (
            leaf == "buffer"
            and len(target) >= 2
            and isinstance(parent, dict)
            and {"dtype", "shape"} <= set(parent) <= _ARRAY_KEYS
        ):
            grand: Any = state
            for step in target[:-2]:
                grand = grand[step]
            placeholder = {"$binary": "ndarray", "dtype": parent.get("dtype"), "shape": parent.get("shape")}
            grand[target[-2]] = placeholder
            target = target[:-1]
        else:
            parent[leaf] = placeholder
        ours.append(["state", *target])
    insert_buffers({"state": state, "buffer_paths": ours}, buffers)
    return {str(path[1]) for path in ours}


class CompatSync(ModelSync):
    """The kernel's side of one model comm in anywidget's protocol."""

    model: CompatModel

    def __init__(self, model: CompatModel) -> None:
        super().__init__(model)

    # --- outgoing -------------------------------------------------------------------------

    def serialize_key(self, key: str) -> tuple[Any, Binaries]:
        self.model.open_references_compat(key)
        return super().serialize_key(key)

    def full_state(self) -> tuple[_Layout, dict[str, tuple[Any, bool]]]:
        """The whole state in ipywidgets' layout (with anywidget's fields), and the shadow entries it sets."""
        state: JSONDict = {**module_fields(), **self.model.compat_fields()}
        paths: list[Path] = []
        buffers: list[memoryview] = []
        fresh: dict[str, tuple[Any, bool]] = {}
        for key in self.model.sync_keys():
            try:
                value, binaries = self.serialize_key(key)
            except TypeError as error:
                raise TypeError(truncate(f"'{key}' cannot be sent to the browser: {error}")) from None
            fresh[key] = (value, bool(binaries))
            wire, key_paths, key_buffers, absent = split_buffers(key, value, binaries)
            if not absent:
                state[key] = wire
            paths.extend(key_paths)
            buffers.extend(key_buffers)
        return (state, paths, buffers), fresh

    def open_comm(self, manager: Any, create_comm: Callable[..., Any], target: str, comm_id: str) -> None:
        """Open the comm as anywidget does; a value that cannot be sent raises here, naming its key."""
        (state, paths, buffers), fresh = self.full_state()
        try:
            self.comm = create_comm(
                target_name=target,
                comm_id=comm_id,
                data={"state": state, "buffer_paths": paths},
                metadata={"version": IPYWIDGETS_PROTOCOL_VERSION},
                buffers=buffers or None,
            )
        except Exception as error:
            bad = [key for key, value in state.items() if _encode_error(value) is not None]
            if not bad:
                raise
            raise TypeError(truncate(f"{', '.join(map(repr, bad))} cannot be sent to the browser: {error}")) from None
        self.shadow.update(fresh)

    def _change(self, key: str, value: Any, binaries: Binaries, whole: bool) -> _Change | None:
        """Always the whole value (no JSON Patch here); nothing when it equals what the browser has."""
        old = self.shadow.get(key)
        if not whole and old is not None and not binaries and not old[1]:
            try:
                if type(old[0]) is type(value) and json_same(old[0], value):
                    return None
            except Exception:
                pass
        return _Change("state", value, binaries, (value, bool(binaries)))

    def _update_message(
        self, rev: int, changes: dict[str, _Change], ack: Ack | None, errors: list[ErrorEntry]
    ) -> tuple[KernelUpdate, list[memoryview]]:
        if errors:
            self.send_error(*errors)
        state: JSONDict = {}
        paths: list[Path] = []
        buffers: list[memoryview] = []
        for key, change in changes.items():
            wire, key_paths, key_buffers, absent = split_buffers(key, change.wire, change.binaries)
            if not absent:
                state[key] = wire
            paths.extend(key_paths)
            buffers.extend(key_buffers)
        message: Any = {"method": "update", "state": state, "buffer_paths": paths}
        return message, buffers

    def _send(self, message_and_buffers: tuple[Any, list[memoryview]]) -> None:
        message, buffers = message_and_buffers
        if message.get("state") or message.get("buffer_paths"):  # errors alone have nowhere to go
            self.comm.send(message, buffers=buffers or None)

    def _custom_message(self, value: Any, binaries: Binaries, extra: list[memoryview]) -> tuple[Any, list[memoryview]]:
        if binaries:
            raise TypeError(
                "in anywidget's protocol a custom message's content is JSON only: pass binary data in `buffers`"
            )
        return {"method": "custom", "content": value}, extra

    def send_state(self, manager: Any = None, client: str | None = None) -> None:
        """Answer `request_state`: any pending update, then the whole state in one `update`."""
        with LOCK:
            if self.closed or self.comm is None:
                return
            if self.dirty:
                self.flush()
            (state, paths, buffers), fresh = self.full_state()
            self.comm.send({"method": "update", "state": state, "buffer_paths": paths}, buffers=buffers or None)
            self.shadow.update(fresh)

    def send_error(self, *entries: ErrorEntry) -> None:
        """anywidget's protocol has no error message: each distinct problem is logged once."""
        name = type(self.model).__qualname__
        for entry in entries:
            kind, key = entry["kind"], entry.get("key", "")
            detail = "" if key and kind != "handler" else entry["message"]  # a refused key: once per key
            text = f"{name}: {entry['message']}"
            if kind in ("validation", "read_only", "stale", "bad_patch") and key:
                text += " (the view was sent the kernel's value)"
            if "traceback" in entry:
                text += "\n" + entry["traceback"]
            warn_once(f"compat:{name}:{kind}:{key}:{detail}", text)

    # --- incoming -------------------------------------------------------------------------

    def handle_msg(self, msg: JSONDict) -> None:
        """Entry point for every comm message from the browser; never raises."""
        try:
            content = msg.get("content") or {}
            data = content.get("data")
            if not isinstance(data, dict) or not isinstance(data.get("method"), str):
                raise ProtocolError("bad_message", "a message's data must be an object with a 'method'")
            buffers = list(msg.get("buffers") or [])
            method = data["method"]
            if method == "update":  # as ModelSync.handle_msg: user code runs without LOCK held
                self._on_compat_update(data, buffers)
            elif method == "custom":
                self._on_compat_custom(data, buffers)
            elif method == "request_state":
                self.send_state()
            else:
                raise ProtocolError("bad_message", f"unknown method {truncate(method, 40)!r}")
        except ProtocolError as error:
            self._report(error.as_entry())
        except Exception as error:  # a bug of ours must not reach the kernel's main loop
            self._report({**handler_error(error), "kind": "bad_message"})

    def answer(self, outcome: Outcome) -> None:
        """anywidget's `anywidget-command-response` (its wire has no errors: they are logged, the response is null)."""
        with LOCK:
            if self.closed or self.comm is None or outcome.call_id is None:
                if outcome.error is not None:
                    self.send_error({"kind": outcome.error["kind"], "message": outcome.error["message"]})
                return
            if self.dirty:
                self.flush()
            response: Any = None
            extra = outcome.extra
            if outcome.error is None:
                try:
                    wire, binaries = serialize.to_json(outcome.value)
                    if binaries:
                        raise TypeError("binary data inside the result: return it as the buffers of (value, buffers)")
                    response = wire
                except TypeError as error:
                    outcome = unsendable(outcome, error)
            if outcome.error is not None:
                self._log_command_error(outcome)
                extra = []
            content = {"id": outcome.call_id, "kind": "anywidget-command-response", "response": response}
            self.comm.send({"method": "custom", "content": content}, buffers=extra or None)

    def _log_command_error(self, outcome: Outcome) -> None:
        assert outcome.error is not None
        entry: ErrorEntry = {"kind": outcome.error["kind"], "message": outcome.error["message"]}
        if "traceback" in outcome.error:
            entry["traceback"] = outcome.error["traceback"]
        self.send_error(entry)

    def _on_compat_custom(self, data: JSONDict, buffers: list[Any]) -> None:
        content = data.get("content")
        if isinstance(content, dict) and content.get("kind") == "anywidget-command":
            self.invocations.invoke_compat(content, buffers)
            return
        problem = json_problem(data.get("content"))
        if problem:
            raise ProtocolError("bad_message", f"custom message refused: {problem}")
        content = self.model.decode_content(data.get("content"))
        extra = [memoryview(b) for b in buffers]
        for callback in list(self.model.message_callbacks()):
            try:
                callback(self.model, content, extra)
            except Exception as error:
                self.send_error(handler_error(error))

    def _on_compat_update(self, data: JSONDict, buffers: list[Any]) -> None:
        state = data.get("state", {})
        if not isinstance(state, dict) or not all(isinstance(k, str) and is_utf8(k) for k in state):
            raise ProtocolError("bad_message", "'state' must be an object with UTF-8 keys")
        raw = dict(state)  # the JSON as the browser holds it, before buffers are put in
        binary_keys = place_buffers(state, data.get("buffer_paths"), buffers)
        errors: list[ErrorEntry] = []
        accepted: dict[str, Any] = {}
        fixed = set(state) & set(self.model.compat_fields()) | set(state) & set(module_fields())
        with LOCK:
            for key, value in state.items():
                if key in fixed:
                    errors.append({"kind": "read_only", "key": key, "message": f"'{key}' is set by the kernel"})
                    continue
                self._accept(key, functools.partial(_given, value), accepted, errors)
        with self.held(flush_at_end=False):
            for key, value in accepted.items():
                with LOCK:  # what the browser holds, as a private copy (the trait may keep the object itself)
                    self.shadow[key] = (None, True) if key in binary_keys else (_copy_json(raw[key]), False)
                try:
                    self.model.set_decoded(key, value)  # observers: user code, LOCK released
                except Exception as error:
                    errors.append(handler_error(error, key))
                if key in binary_keys and self.model.encode_key(key) is value:
                    with LOCK:
                        self.dirty.discard(key)  # the browser has exactly this: no echo
        refused = {e["key"] for e in errors if "key" in e}
        if errors:
            self.send_error(*errors)
        with LOCK:
            self.flush(resend=refused & set(self.model.sync_keys()))
            if refused & fixed and not self.closed and self.comm is not None:
                fields = {**module_fields(), **self.model.compat_fields()}
                state = {k: fields[k] for k in refused & fixed}
                self.comm.send({"method": "update", "state": state, "buffer_paths": []})

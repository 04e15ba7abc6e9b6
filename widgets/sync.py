"""Per-model synchronisation: shadow state, diffs, rate limiting, and browser updates.

Mirrors frontend/src/sync.ts. One `ModelSync` exists per model that has a comm. Everything that
touches sync state runs under `LOCK`, shared with the background flusher thread, so a loop in a
long cell still gets its final value sent within one interval.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import TYPE_CHECKING, Any

from traitlets import TraitError

from . import serialize
from .buffers import insert_buffers
from .patch import PatchError, apply_patch, make_patch
from .protocol import JSONDict, ProtocolError, check_envelope, envelope, error_message
from .serialize import Binaries

if TYPE_CHECKING:
    from .model import Model

LOCK = threading.RLock()
# The last update `seq` read from each browser client, to acknowledge in a `state` snapshot
# (a client that lost an `update` to a gap would otherwise never see that ack).
last_seq: dict[str, int] = {}
_MISSING = object()


def handler_error(error: BaseException, key: str | None = None) -> JSONDict:
    """An error entry for an exception raised by user code, with its traceback."""
    import traceback

    entry: JSONDict = {
        "kind": "handler",
        "message": f"{type(error).__name__}: {error}",
        "traceback": "".join(traceback.format_exception(error)),
    }
    if key is not None:
        entry["key"] = key
    return entry


def _patch_wins(ops: list[Any], value: Any) -> bool:
    import json

    text = json.dumps(ops, separators=(",", ":"))
    if len(text) < 1024 and len(value) > 1024:
        return True
    return len(text) < len(json.dumps(value, separators=(",", ":")))


class ModelSync:
    """The kernel's side of one model comm."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.comm: Any = None
        self.rev = 0
        # Last value sent per key, as JSON, and whether it held binary. Binary values are never
        # patched, and their buffers are not kept: holding a view would pin the user's array.
        self.shadow: dict[str, tuple[Any, bool]] = {}
        self.key_rev: dict[str, int] = {}
        self.dirty: set[str] = set()
        self.holds = 0
        self.last_sent = 0.0
        self.scheduled = False
        self.closed = False

    # --- outgoing -------------------------------------------------------------------------

    def serialize_key(self, key: str) -> tuple[Any, Binaries]:
        model = self.model
        value = getattr(model, key)
        to_json = model.traits()[key].metadata.get("to_json")
        if to_json is not None:
            value = to_json(value, model)
        return serialize.to_json(value)

    def snapshot_state(self) -> tuple[JSONDict, Binaries]:
        """Full state as last sent, with binaries by key (binary values are read afresh)."""
        state: JSONDict = {}
        binaries: Binaries = []
        for key in self.model.sync_keys():
            shadow = self.shadow.get(key)
            if shadow is None or shadow[1]:
                value, key_binaries = self.serialize_key(key)
                self.shadow[key] = (value, bool(key_binaries))
                binaries.extend(([key, *path], buffer) for path, buffer in key_binaries)
            else:
                value = shadow[0]
            state[key] = value
        return state, binaries

    def state_fields(self, manager: Any, include_all_assets: bool = False) -> tuple[JSONDict, list[memoryview]]:
        """The body shared by `open`, `state` and each restored model."""
        from . import assets

        model = self.model
        state, binaries = self.snapshot_state()
        hashes, sources = assets.fields(type(model), manager, include_all_assets)
        body: JSONDict = {
            "class": type(model).class_name(),
            "rev": self.rev,
            "state": state,
            "buffer_paths": [["state", *path] for path, _ in binaries],
            **hashes,
            "assets": sources,
            "read_only": model.read_only_keys(),
        }
        return body, [buffer for _, buffer in binaries]

    def mark_dirty(self, key: str) -> None:
        with LOCK:
            if self.closed:
                return
            self.dirty.add(key)
            if self.holds:
                return
            interval = self.model._sync_interval
            now = time.monotonic()
            if now - self.last_sent >= interval:
                self.flush(raise_unsendable=True)
            elif not self.scheduled:
                self.scheduled = True
                FLUSHER.schedule(self, self.last_sent + interval)

    def flush(
        self,
        ack: JSONDict | None = None,
        errors: list[JSONDict] | None = None,
        resend: set[str] | None = None,
        raise_unsendable: bool = False,
    ) -> None:
        """Send one `update` with every changed key (and the ack/errors, if any).

        A value that cannot be serialized is reported to the views (kind `unsendable`) and, when
        the flush runs in the code that made the change, raised there too; other keys still go.
        """
        errors = list(errors or [])
        unsendable: list[TypeError] = []
        with LOCK:
            self.scheduled = False
            if self.closed or self.comm is None:
                self.dirty.clear()
                return
            keys, self.dirty = self.dirty, set()
            state: JSONDict = {}
            patch: JSONDict = {}
            paths: list[list[Any]] = []
            buffers: list[memoryview] = []
            for key in sorted(keys | (resend or set())):
                try:
                    value, binaries = self.serialize_key(key)
                except TypeError as error:
                    unsendable.append(error)
                    errors.append({"kind": "unsendable", "key": key, "message": f"'{key}' cannot be sent: {error}"})
                    continue
                old = self.shadow.get(key)
                if resend and key in resend:
                    state[key] = value
                elif old is not None and not binaries and not old[1]:
                    if type(old[0]) is type(value) and type(value) in (list, dict):
                        ops = make_patch(old[0], value, max_ops=max(16, len(value) // 4))
                        if ops == []:
                            continue
                        if ops is not None and _patch_wins(ops, value):
                            patch[key] = ops
                        else:
                            state[key] = value
                    elif type(old[0]) is type(value) and old[0] == value:
                        continue
                    else:
                        state[key] = value
                else:
                    state[key] = value
                for path, buffer in binaries:
                    paths.append(["state", key, *path])
                    buffers.append(buffer)
                self.shadow[key] = (value, bool(binaries))
            if not state and not patch and ack is None and not errors:
                return
            self.rev += 1
            for key in (*state, *patch):
                self.key_rev[key] = self.rev
            message = envelope("update", rev=self.rev)
            if state:
                message["state"] = state
            if patch:
                message["patch"] = patch
            if paths:
                message["buffer_paths"] = paths
            if ack is not None:
                message["ack"] = ack
            if errors:
                message["errors"] = errors
            self.last_sent = time.monotonic()
            self.comm.send(message, buffers=buffers or None)
        if unsendable and raise_unsendable:
            raise unsendable[0]

    def send_custom(self, content: Any, buffers: list[Any] | None) -> None:
        with LOCK:
            if self.closed or self.comm is None:
                return
            if self.dirty:
                self.flush()
            value, binaries = serialize.to_json(content)
            message = envelope("custom", content=value, buffer_paths=[["content", *p] for p, _ in binaries])
            extra = [memoryview(b) if not isinstance(b, memoryview) else b for b in buffers or []]
            self.comm.send(message, buffers=[b for _, b in binaries] + extra or None)

    def send_error(self, *entries: JSONDict) -> None:
        with LOCK:
            if not self.closed and self.comm is not None:
                self.comm.send(error_message(*entries))

    # --- incoming -------------------------------------------------------------------------

    def handle_msg(self, msg: JSONDict) -> None:
        """Entry point for every comm message from the browser; never raises."""
        try:
            content = msg.get("content") or {}
            data = check_envelope(content.get("data"))
            buffers = list(msg.get("buffers") or [])
            method = data["method"]
            with LOCK:
                if method == "update":
                    self._on_update(data, buffers)
                elif method == "custom":
                    self._on_custom(data, buffers)
                elif method == "request_state":
                    client = data.get("client")
                    self.send_state(client=client if isinstance(client, str) else None)
                else:
                    raise ProtocolError("bad_message", f"unknown method {method!r}")
        except ProtocolError as error:
            self.send_error(error.as_entry())
        except Exception as error:  # a bug of ours must not reach the cell output either
            self.send_error({**handler_error(error), "kind": "bad_message"})

    def send_state(self, manager: Any = None, client: str | None = None) -> None:
        import comm

        if self.dirty:
            self.flush()
        body, buffers = self.state_fields(manager or comm.get_comm_manager())
        if client in last_seq:
            body["ack"] = {"client": client, "seq": last_seq[client]}
        self.comm.send(envelope("state", **body), buffers=buffers or None)

    def _on_custom(self, data: JSONDict, buffers: list[Any]) -> None:
        extra = insert_buffers(data, buffers)
        content = serialize.from_json(data.get("content"))
        for callback in list(self.model._msg_callbacks()):
            try:
                callback(self.model, content, extra)
            except Exception as error:
                self.send_error(handler_error(error))

    def _on_update(self, data: JSONDict, buffers: list[Any]) -> None:
        client, seq = data.get("client"), data.get("seq")
        if not isinstance(client, str) or not isinstance(seq, int) or isinstance(seq, bool):
            raise ProtocolError("bad_message", "an update needs a string 'client' and an integer 'seq'")
        ack = {"client": client, "seq": seq}
        last_seq[client] = max(seq, last_seq.get(client, seq))
        state, patch = data.get("state", {}), data.get("patch", {})
        if not isinstance(state, dict) or not isinstance(patch, dict):
            self.flush(ack=ack, errors=[ProtocolError("bad_message", "'state' and 'patch' must be objects").as_entry()])
            return
        mentioned = set(state) | set(patch)
        try:
            insert_buffers(data, buffers)
        except ProtocolError as error:
            self.flush(ack=ack, errors=[error.as_entry()], resend=mentioned & set(self.model.sync_keys()))
            return
        errors: list[JSONDict] = []
        accepted: dict[str, Any] = {}
        for key, value in state.items():
            self._accept(key, lambda v=value: v, accepted, errors)
        if patch:
            base = data.get("base")
            if not isinstance(base, int) or isinstance(base, bool):
                errors.append(ProtocolError("bad_message", "a patch needs an integer 'base' revision").as_entry())
            else:
                for key, ops in patch.items():
                    self._accept(key, lambda k=key, o=ops: self._patched(k, o, base), accepted, errors)
        refused = {e["key"] for e in errors if "key" in e and e["kind"] != "handler"}
        self.holds += 1
        try:
            for key, value in accepted.items():
                try:
                    self.model._set_validated(key, value)
                except Exception as error:
                    errors.append(handler_error(error, key))
        finally:
            self.holds -= 1
        self.flush(ack=ack, errors=errors, resend=refused & set(self.model.sync_keys()))

    def _patched(self, key: str, ops: Any, base: int) -> Any:
        if self.key_rev.get(key, 0) > base:
            raise ProtocolError(
                "stale", f"'{key}' changed in the kernel after revision {base}; the patch was not applied", key
            )
        shadow = self.shadow.get(key)
        if shadow is None or shadow[1]:
            raise ProtocolError(
                "bad_patch", f"'{key}' cannot be patched (it holds binary data); send the whole value", key
            )
        try:
            return apply_patch(shadow[0], ops)
        except PatchError as error:
            raise ProtocolError("bad_patch", f"patch for '{key}' does not apply: {error}", key) from None

    def _accept(self, key: str, produce: Any, accepted: dict[str, Any], errors: list[JSONDict]) -> None:
        """Validate one incoming key; on success store the coerced value in `accepted`."""
        model = self.model
        try:
            if key not in model.sync_keys():
                raise ProtocolError("unknown_key", f"'{key}' is not a synced trait of {type(model).__name__}", key)
            if key in model.read_only_keys():
                raise ProtocolError("read_only", f"'{key}' is read-only: only the kernel may change it", key)
            value = serialize.from_json(produce())
            from_json = model.traits()[key].metadata.get("from_json")
            if from_json is not None:
                value = from_json(value, model)
            accepted[key] = model._validate_value(key, value)
        except ProtocolError as error:
            errors.append(error.as_entry())
        except TraitError as error:
            errors.append({"kind": "validation", "key": key, "message": str(error)})
        except Exception as error:  # a validator or from_json raised something else
            errors.append({**handler_error(error, key), "kind": "validation"})

    def close(self) -> None:
        with LOCK:
            self.closed = True
            self.dirty.clear()
            self.shadow.clear()


class _Flusher:
    """One daemon thread that sends trailing updates when their interval ends."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, ModelSync]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition(LOCK)
        self._thread: threading.Thread | None = None

    def schedule(self, sync: ModelSync, deadline: float) -> None:
        with self._wake:
            heapq.heappush(self._queue, (deadline, next(self._counter), sync))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="widgets-flusher", daemon=True)
                self._thread.start()
            self._wake.notify()

    def flush_all(self) -> None:
        with self._wake:
            pending, self._queue = self._queue, []
            for _, _, sync in pending:
                if sync.scheduled:
                    sync.flush()

    def _run(self) -> None:
        with self._wake:
            while True:
                if not self._queue:
                    self._wake.wait()
                    continue
                delay = self._queue[0][0] - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                _, _, sync = heapq.heappop(self._queue)
                if sync.scheduled and not sync.holds:
                    try:
                        sync.flush()
                    except Exception:  # never let the flusher die; the next change retries
                        sync.dirty.clear()


FLUSHER = _Flusher()

"""Per-model synchronisation: shadow state, diffs, rate limiting, and browser updates.

Mirrors frontend/src/sync.ts. One `ModelSync` exists per model that has a comm; it reaches its
model only through `SyncedModel`. Everything that touches sync state runs under `LOCK`, shared
with the background flusher thread, so a loop in a long cell still gets its final value sent
within one interval. `rev`, `key_rev` and the shadow advance only once `comm.send` has returned.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from traitlets import TraitError

from . import serialize
from .buffers import insert_buffers
from .commands import Command, Invocations, Outcome, reply_message, unsendable
from .flusher import FLUSHER, LOCK
from .incoming import Clients, check_update, json_problem, mentioned_keys
from .patch import MAX_PATCH_OPS, PatchError, apply_patch, make_patch
from .protocol import (
    PROTOCOL_VERSION,
    Ack,
    ErrorEntry,
    JSONDict,
    KernelUpdate,
    ProtocolError,
    check_client,
    check_envelope,
    check_seq,
    envelope,
    error_message,
    traceback_text,
    truncate,
)
from .serialize import Binaries

MessageCallback = Callable[[Any, Any, list[memoryview]], None]


class SyncedModel(Protocol):
    """What a ModelSync needs from its model (widgets.model.Model is the one implementation)."""

    def sync_keys(self) -> list[str]: ...

    def sync_interval(self) -> float: ...

    def check_key(self, key: str) -> None:
        """Raise `unknown_key` / `read_only` for a key the browser may not write."""

    def encode_key(self, key: str) -> Any:
        """The trait's value through its `to_json` converter (not yet serialized)."""

    def decode_key(self, key: str, value: Any) -> Any:
        """A value from the browser, checked, resolved and validated: what `set_decoded` will store."""

    def set_decoded(self, key: str, value: Any) -> None: ...

    def decode_content(self, content: Any) -> Any:
        """A custom message's content with its references resolved."""

    def message_callbacks(self) -> list[MessageCallback]: ...

    def command_table(self) -> Mapping[str, Command]:
        """The commands views may invoke (widgets.commands.collect_commands of the model's class)."""

    def describe(self, manager: Any, include_all_assets: bool) -> JSONDict:
        """`class`, `esm`, `css`, `assets` and `read_only` of open/state/restore."""


def handler_error(error: BaseException, key: str | None = None) -> ErrorEntry:
    """An error entry for an exception raised by user code, with its traceback (its message truncated)."""
    summary = truncate(f"{type(error).__name__}: {error}")
    entry: ErrorEntry = {"kind": "handler", "message": summary, "traceback": traceback_text(error, summary)}
    if key is not None:
        entry["key"] = key
    return entry


def _unsendable(key: str, error: BaseException) -> ErrorEntry:
    return {"kind": "unsendable", "key": key, "message": truncate(f"'{key}' cannot be sent: {error}")}


def _encode_error(value: Any) -> Exception | None:
    """Why `value` fails to encode as Jupyter's session does (JSON without NaN, then UTF-8), or None."""
    import json  # imported by every kernel already; not by `import widgets` (bench/core.py times it)

    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as error:
        return error
    return None


def _given(value: Any) -> Any:
    return value


def _patch_wins(ops: list[Any], value: Any) -> bool:
    import json  # as above

    text = json.dumps(ops, separators=(",", ":"))
    if len(text) < 1024 and len(value) > 1024:
        return True
    return len(text) < len(json.dumps(value, separators=(",", ":")))


class _Change:
    """How one key travels in an update: `field` is "state" (whole) or "patch"."""

    __slots__ = ("binaries", "field", "shadow", "wire")

    def __init__(self, field: str, wire: Any, binaries: Binaries, shadow: tuple[Any, bool]) -> None:
        self.field, self.wire, self.binaries, self.shadow = field, wire, binaries, shadow


class ModelSync:
    """The kernel's side of one model comm."""

    def __init__(self, model: SyncedModel) -> None:
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
        # False while a browser-created model's constructor runs: its `state` answer comes first.
        self.announced = True
        # The last `seq` read from each browser client, to acknowledge in a `state` snapshot (a
        # client that lost an update to a gap still settles), and the session each is bound to.
        self.clients = Clients()
        self._invocations: Invocations | None = None

    @property
    def invocations(self) -> Invocations:
        """The commands views invoked on this comm, made at the first invoke."""
        if self._invocations is None:
            self._invocations = Invocations(self.model, self.answer)
        return self._invocations

    # --- outgoing -------------------------------------------------------------------------

    def serialize_key(self, key: str) -> tuple[Any, Binaries]:
        return serialize.to_json(self.model.encode_key(key))

    def state_fields(
        self, manager: Any, include_all_assets: bool = False
    ) -> tuple[JSONDict, list[memoryview], dict[str, tuple[Any, bool]]]:
        """The body shared by `open`, `state` and each restored model, its buffers, and the shadow
        entries to keep once it has been sent (keys never sent before; binary values read afresh)."""
        state: JSONDict = {}
        binaries: Binaries = []
        fresh: dict[str, tuple[Any, bool]] = {}
        for key in self.model.sync_keys():
            shadow = self.shadow.get(key)
            if shadow is None or shadow[1]:
                try:
                    value, key_binaries = self.serialize_key(key)
                except TypeError as error:
                    raise TypeError(truncate(f"'{key}' cannot be sent to the browser: {error}")) from None
                fresh[key] = (value, bool(key_binaries))
                binaries.extend(([key, *path], buffer) for path, buffer in key_binaries)
            else:
                value = shadow[0]
            state[key] = value
        described = self.model.describe(manager, include_all_assets)
        body: JSONDict = {
            "class": described["class"],
            "rev": self.rev,
            "state": state,
            "buffer_paths": [["state", *path] for path, _ in binaries],
            "esm": described["esm"],
            "css": described["css"],
            "assets": described["assets"],
            "read_only": described["read_only"],
        }
        if described.get("eager"):
            body["eager"] = True
        return body, [buffer for _, buffer in binaries], fresh

    def open_comm(self, manager: Any, create_comm: Callable[..., Any], target: str, comm_id: str) -> None:
        """Open the model's comm with the full state; a value that cannot be sent raises here, naming its key."""
        body, buffers, fresh = self.state_fields(manager)
        try:
            self.comm = create_comm(
                target_name=target, comm_id=comm_id, data=envelope("open", **body), buffers=buffers or None
            )
        except Exception as error:
            bad = [key for key, value in body["state"].items() if _encode_error(value) is not None]
            if not bad:
                raise
            raise TypeError(truncate(f"{', '.join(map(repr, bad))} cannot be sent to the browser: {error}")) from None
        self.shadow.update(fresh)

    def adopt(self, browser_comm: Any) -> None:
        """Bind to a comm the browser opened; nothing is sent until `announce`."""
        self.comm = browser_comm
        self.announced = False

    def announce(self) -> None:
        """The browser-created model's constructor has returned: answer with its whole state."""
        with LOCK:
            self.announced = True
            self.dirty.clear()  # the snapshot holds every value
            self.send_state()

    def mark_dirty(self, key: str) -> None:
        with LOCK:
            if self.closed:
                return
            self.dirty.add(key)
            if self.holds or not self.announced:
                return
            interval = self.model.sync_interval()
            now = time.monotonic()
            if now - self.last_sent >= interval:
                self.flush(raise_unsendable=True)
            elif not self.scheduled:
                self.scheduled = True
                FLUSHER.schedule(self, self.last_sent + interval)

    @contextlib.contextmanager
    def held(self, flush_at_end: bool = True) -> Iterator[None]:
        """Defer sending: every change made inside goes out in one message when the outermost block ends."""
        with LOCK:
            self.holds += 1
        try:
            yield
        finally:
            with LOCK:
                self.holds -= 1
                if flush_at_end and not self.holds and self.dirty:
                    self.flush(raise_unsendable=True)

    def _change(self, key: str, value: Any, binaries: Binaries, whole: bool) -> _Change | None:
        """How `key` travels: whole, as a patch against the shadow, or not at all (unchanged)."""
        shadow = (value, bool(binaries))
        old = self.shadow.get(key)
        if whole or old is None or binaries or old[1]:
            return _Change("state", value, binaries, shadow)
        if type(old[0]) is type(value) and type(value) in (list, dict):
            ops = make_patch(old[0], value, max_ops=min(MAX_PATCH_OPS, max(16, len(value) // 4)))
            if ops == []:
                return None
            if ops is not None and _patch_wins(ops, value):
                return _Change("patch", ops, [], shadow)
            return _Change("state", value, [], shadow)
        if type(old[0]) is type(value) and old[0] == value:
            return None
        return _Change("state", value, [], shadow)

    def flush(
        self,
        ack: Ack | None = None,
        errors: list[ErrorEntry] | None = None,
        resend: set[str] | None = None,
        raise_unsendable: bool = False,
    ) -> None:
        """Send one `update` with every changed key (and the ack/errors, if any).

        A value that cannot be serialized or encoded is reported to the views (kind `unsendable`)
        and, when the flush runs in the code that made the change, raised there too; other keys
        still go. If the message cannot be sent at all, nothing advances, the keys stay dirty (the
        next flush retries them) and the exception propagates.
        """
        errors = list(errors or [])
        failures: list[Exception] = []
        with LOCK:
            self.scheduled = False
            if self.closed or self.comm is None:
                self.dirty.clear()
                return
            if not self.announced:
                return
            keys = self.dirty | (resend or set())
            settled: set[str] = set()  # unchanged or unsendable: no longer dirty once this flush is sent
            changes: dict[str, _Change] = {}
            for key in sorted(keys):
                try:
                    value, binaries = self.serialize_key(key)
                except Exception as error:  # TypeError from serialize, or anything a to_json converter raised
                    failures.append(error)
                    errors.append(_unsendable(key, error))
                    settled.add(key)
                    continue
                change = self._change(key, value, binaries, whole=key in (resend or ()))
                if change is None:
                    settled.add(key)
                else:
                    changes[key] = change
            if not changes and ack is None and not errors:
                self.dirty -= settled
                return
            for key, problem in self._send_update(changes, ack, errors):
                failures.append(problem)
                settled.add(key)
            self.dirty -= settled | set(changes)
        if failures and raise_unsendable:
            raise failures[0]

    def _send_update(
        self, changes: dict[str, _Change], ack: Ack | None, errors: list[ErrorEntry]
    ) -> list[tuple[str, Exception]]:
        """Send the update; on failure find the keys that cannot be encoded, report and drop them, and
        send the rest. Commit rev, key_rev and shadow only after a send returned. Return the dropped keys."""
        rev = self.rev + 1
        dropped: list[tuple[str, Exception]] = []
        try:
            self._send(self._update_message(rev, changes, ack, errors))
        except Exception:
            for key, change in list(changes.items()):
                error = _encode_error(change.wire)
                if error is not None:
                    dropped.append((key, error))
                    errors.append(_unsendable(key, error))
                    del changes[key]
            if not dropped:
                raise
            self._send(self._update_message(rev, changes, ack, errors))
        self.rev = rev
        for key, change in changes.items():
            self.key_rev[key] = rev
            self.shadow[key] = change.shadow
        self.last_sent = time.monotonic()
        return dropped

    def _update_message(
        self, rev: int, changes: dict[str, _Change], ack: Ack | None, errors: list[ErrorEntry]
    ) -> tuple[KernelUpdate, list[memoryview]]:
        message: KernelUpdate = {"protocol": PROTOCOL_VERSION, "method": "update", "rev": rev}
        state = {key: c.wire for key, c in changes.items() if c.field == "state"}
        patch = {key: c.wire for key, c in changes.items() if c.field == "patch"}
        paths: list[list[Any]] = []
        buffers: list[memoryview] = []
        for key, change in changes.items():
            for path, buffer in change.binaries:
                paths.append(["state", key, *path])
                buffers.append(buffer)
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
        return message, buffers

    def _send(self, message_and_buffers: tuple[Any, list[memoryview]]) -> None:
        message, buffers = message_and_buffers
        self.comm.send(message, buffers=buffers or None)

    def send_custom(self, content: Any, buffers: list[Any] | None) -> None:
        with LOCK:
            if self.closed or self.comm is None:
                return
            if self.dirty:
                self.flush()
            value, binaries = serialize.to_json(content)
            extra = [b if isinstance(b, memoryview) else memoryview(b) for b in buffers or []]
            message, sent = self._custom_message(value, binaries, extra)
            self.comm.send(message, buffers=sent or None)

    def _custom_message(self, value: Any, binaries: Binaries, extra: list[memoryview]) -> tuple[Any, list[memoryview]]:
        """Our shape: binary values inside `content` travel as buffers at their paths under "content"."""
        message = envelope("custom", content=value, buffer_paths=[["content", *p] for p, _ in binaries])
        return message, [b for _, b in binaries] + extra

    def answer(self, outcome: Outcome) -> None:
        """Send an invoke's one `invoke_reply`, after any pending update (a command's trait changes
        reach the browser before its result, in their own update)."""
        with LOCK:
            if self.closed or self.comm is None:
                return
            if self.dirty:
                self.flush()
            try:
                message, buffers = reply_message(outcome)
                self.comm.send(message, buffers=buffers or None)
            except Exception as error:  # the result cannot be serialized or encoded
                if outcome.error is not None:
                    raise
                message, buffers = reply_message(unsendable(outcome, error))
                self.comm.send(message, buffers=buffers or None)

    def send_error(self, *entries: ErrorEntry) -> None:
        with LOCK:
            if not self.closed and self.comm is not None:
                self.comm.send(error_message(*entries))

    def send_state(self, manager: Any = None, client: str | None = None) -> None:
        """A `state` snapshot (after any pending update); a key that cannot be encoded is left out and reported."""
        import comm  # present whenever a model has a comm; not imported by `import widgets`

        with LOCK:
            if self.closed or self.comm is None:
                return
            if self.dirty:
                self.flush()
            body, buffers, fresh = self.state_fields(manager or comm.get_comm_manager())
            last_seq = self.clients.last_seq(client) if client is not None else None
            if client is not None and last_seq is not None:
                body["ack"] = {"client": client, "seq": last_seq}
            try:
                self.comm.send(envelope("state", **body), buffers=buffers or None)
            except Exception:
                found = {key: _encode_error(value) for key, value in body["state"].items()}
                bad = {key: problem for key, problem in found.items() if problem is not None}
                if not bad:
                    raise
                for key in bad:
                    del body["state"][key]
                    fresh.pop(key, None)
                self.comm.send(envelope("state", **body), buffers=buffers or None)
                self.comm.send(error_message(*(_unsendable(key, problem) for key, problem in bad.items())))
            self.shadow.update(fresh)

    # --- incoming -------------------------------------------------------------------------

    def handle_msg(self, msg: JSONDict) -> None:
        """Entry point for every comm message from the browser; never raises."""
        try:
            content = msg.get("content") or {}
            session = (msg.get("header") or {}).get("session")
            data = check_envelope(content.get("data"))
            buffers = list(msg.get("buffers") or [])
            method = data["method"]
            # User code (observers, on_msg callbacks, commands) runs without LOCK held, so it may
            # wait on threads that change models (a worker updating a progress bar) without a deadlock.
            if method == "update":
                self._on_update(data, buffers, session)
            elif method == "custom":
                self._on_custom(data, buffers)
            elif method == "request_state":
                with LOCK:
                    client = data.get("client")
                    if client is not None:
                        self.clients.check(check_client(client), session)
                    if buffers:
                        raise ProtocolError("bad_buffer", "request_state carries no buffers")
                    self.send_state(client=client)
            elif method == "invoke":  # the invocations are the main thread's alone; answers take LOCK
                self.invocations.invoke(data, buffers)
            elif method == "invoke_abort":
                self.invocations.abort(data, buffers)
            else:
                raise ProtocolError("bad_message", f"unknown method {truncate(method, 40)!r}")
        except ProtocolError as error:
            self._report(error.as_entry())
        except Exception as error:  # a bug of ours must not reach the cell output either
            self._report({**handler_error(error), "kind": "bad_message"})

    def _report(self, entry: ErrorEntry) -> None:
        with contextlib.suppress(Exception):  # the comm itself failing: there is no one left to tell
            self.send_error(entry)

    def _on_custom(self, data: JSONDict, buffers: list[Any]) -> None:
        extra = insert_buffers(data, buffers, extra=True)
        problem = json_problem(data.get("content"))
        if problem:
            raise ProtocolError("bad_message", f"custom message refused: {problem}")
        content = self.model.decode_content(data.get("content"))
        for callback in list(self.model.message_callbacks()):
            try:
                callback(self.model, content, extra)
            except Exception as error:
                self.send_error(handler_error(error))

    def _on_update(self, data: JSONDict, buffers: list[Any], session: str | None) -> None:
        """Check and validate under LOCK (against the revision and shadow), then set the values with
        LOCK released (their observers are user code), then send the ack with what the kernel holds."""
        with LOCK:
            client, seq = check_client(data.get("client")), check_seq(data.get("seq"))
            self.clients.read(client, seq, session)
            ack: Ack = {"client": client, "seq": seq}
            try:
                state, patch, base = check_update(data, buffers, self.rev)
            except ProtocolError as error:
                mentioned = mentioned_keys(data)
                self.flush(ack=ack, errors=[error.as_entry()], resend=mentioned & set(self.model.sync_keys()))
                return
            errors: list[ErrorEntry] = []
            accepted: dict[str, Any] = {}
            for key, value in state.items():
                self._accept(key, functools.partial(_given, value), accepted, errors)
            for key, ops in patch.items():
                self._accept(key, functools.partial(self._patched, key, ops, base), accepted, errors)
            refused = {e["key"] for e in errors if "key" in e}
        with self.held(flush_at_end=False):
            for key, value in accepted.items():
                try:
                    self.model.set_decoded(key, value)
                except Exception as error:
                    errors.append(handler_error(error, key))
        self.flush(ack=ack, errors=errors, resend=refused & set(self.model.sync_keys()))

    def _patched(self, key: str, ops: Any, base: int) -> Any:
        if key in self.dirty or self.key_rev.get(key, 0) > base:
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

    def _accept(self, key: str, produce: Callable[[], Any], accepted: dict[str, Any], errors: list[ErrorEntry]) -> None:
        """Check and validate one incoming key; on success store the value to set in `accepted`."""
        try:
            self.model.check_key(key)
            accepted[key] = self.model.decode_key(key, produce())
        except ProtocolError as error:
            errors.append(error.as_entry())
        except TraitError as error:
            errors.append({"kind": "validation", "key": key, "message": truncate(str(error))})
        except Exception as error:  # a validator or from_json raised something else
            errors.append({"kind": "validation", "key": key, "message": truncate(f"{type(error).__name__}: {error}")})

    def close(self) -> None:
        with LOCK:
            self.closed = True
            self.dirty.clear()
            self.shadow.clear()
            self.clients.clear()
            if self._invocations is not None:
                self._invocations.close()

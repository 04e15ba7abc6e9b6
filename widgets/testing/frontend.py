"""A headless browser client that follows the browser runtime's rules (frontend/src/sync.ts, model.ts).

Per model it keeps what the runtime keeps: the confirmed state (the private baseline patches are
computed against; views get copies), one record per local write (unsaved, queued or in flight),
at most one update in flight (later saves are merged and sent when its ack arrives), the same
patch-or-whole rule (`smaller_patch`), a stale patch retried whole, and `request_state` on a gap
in `rev`. tests/protocol_cases/exchange_cases.json is recorded with it and replayed against the
real runtime, so the two cannot drift apart unnoticed.

Every message is recorded with its size. The transport is a subclass's business:
`InProcessFrontend` (widgets.testing) runs inside the kernel process, the integration tests drive
a real kernel over ZMQ.
"""

from __future__ import annotations

import contextlib
import decimal
import json
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from ..buffers import insert_buffers, is_ndarray
from ..patch import MAX_PATCH_OPS, Op, PatchError, apply_patch, make_patch
from ..protocol import CONTROL_TARGET, MODEL_TARGET, REFERENCE_PREFIX, JSONDict, envelope
from ..serialize import copy_json, to_json
from .commands import Invocation


@dataclass
class WireMessage:
    """One comm message as it crossed the wire."""

    direction: str  # "to_browser" or "to_kernel"
    kind: str  # comm_open, comm_msg or comm_close
    comm_id: str
    data: JSONDict
    buffers: list[bytes]
    json_bytes: int

    @property
    def size(self) -> int:
        """Bytes on the wire: the JSON of `data` plus every buffer."""
        return self.json_bytes + sum(len(b) for b in self.buffers)

    @property
    def method(self) -> str | None:
        return self.data.get("method") if isinstance(self.data, dict) else None


def encode(data: Any) -> bytes:
    """JSON as Jupyter's session packer writes it: no NaN, not ASCII-escaped, then strict UTF-8.

    A value the kernel's session could not send (NaN, a lone surrogate) raises here too.
    """
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


# --- the runtime's patch rule ---------------------------------------------------------------


def _js_number(x: float) -> str:
    """`String(x)` in JavaScript, for the length of JSON.stringify."""
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    text = repr(x)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = int(exponent)
    if power >= 21 or power <= -7:
        return f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"
    return format(decimal.Decimal(text), "f")


def _floats(value: Any) -> Iterator[float]:
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is float:
            yield item
        elif type(item) is list:
            stack.extend(item)
        elif type(item) is dict:
            stack.extend(item.values())


def js_length(value: Any) -> int:
    """`JSON.stringify(value).length`: UTF-16 code units, numbers as JavaScript writes them."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    length = len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    return length + sum(len(_js_number(x)) - len(repr(x)) for x in _floats(value))


def _is_binary(value: Any) -> bool:
    return isinstance(value, (bytes, bytearray, memoryview)) or is_ndarray(value)


def smaller_patch(base: Any, value: Any) -> list[Op] | None:
    """sync.ts's `smallerPatch`: a patch for `value` against `base` when smaller, else None (send it whole).

    Budget max(16, size >> 2), at most MAX_PATCH_OPS; a patch whose JSON is under 1024 characters
    for a value of more than 1024 elements, else one shorter than the whole value's JSON. Never a
    patch with no operations, never one holding binary.
    """
    if base is value or type(base) is not type(value) or type(value) not in (list, dict):
        return None
    size = len(value)
    ops = make_patch(base, value, max_ops=min(MAX_PATCH_OPS, max(16, size >> 2)))
    if not ops:
        return None
    wire, binaries = to_json(ops)
    if binaries:
        return None
    text = js_length(wire)
    if text < 1024 and size > 1024:
        return ops
    return ops if text < js_length(to_json(value)[0]) else None


# --- one model ------------------------------------------------------------------------------


@dataclass
class LocalWrite:
    """A value set in this browser, the one place it lives until the kernel has answered it."""

    value: Any
    phase: Literal["unsaved", "queued", "in-flight"] = "unsaved"
    seq: int | None = None
    whole: bool = False  # send it whole, never as a patch (a stale patch is retried so)


@dataclass
class FrontendModel:
    """The browser's copy of one model."""

    frontend: Frontend
    model_id: str
    class_name: str = ""
    rev: int = 0
    confirmed: JSONDict = field(default_factory=dict)  # the private baseline: what the kernel established
    writes: dict[str, LocalWrite] = field(default_factory=dict)
    in_flight: int | None = None
    resyncing: bool = False
    read_only: list[str] = field(default_factory=list)
    esm_hash: str | None = None
    css_hash: str | None = None
    errors: list[JSONDict] = field(default_factory=list)
    custom: list[tuple[Any, list[bytes]]] = field(default_factory=list)
    invocations: dict[str, Invocation] = field(default_factory=dict)
    closed: bool = False
    gaps: int = 0
    _copies: dict[str, Any] = field(default_factory=dict)

    @property
    def esm(self) -> str | None:
        """The view's module source (fetched on the control comm if this client missed it)."""
        return self.frontend.asset(self.esm_hash)

    @property
    def css(self) -> str | None:
        return self.frontend.asset(self.css_hash)

    def get(self, key: str) -> Any:
        """What a view shows: the local value if any, else a copy of the confirmed one (made once per change)."""
        write = self.writes.get(key)
        if write is not None:
            return write.value
        if key not in self.confirmed:
            return None
        if key not in self._copies:
            self._copies[key] = copy_json(self.confirmed[key])
        return self._copies[key]

    @property
    def state(self) -> JSONDict:
        return {key: self.get(key) for key in {*self.confirmed, *self.writes}}

    @property
    def pending(self) -> dict[str, tuple[Any, int | None]]:
        """Saved writes the kernel has not acknowledged: key -> (value, seq; None while queued)."""
        return {k: (w.value, w.seq) for k, w in self.writes.items() if w.phase != "unsaved"}

    # --- browser -> kernel -----------------------------------------------------------------

    def set(self, key: str, value: Any) -> None:
        """`model.set(key, value)`: shown at once; a read-only key is refused here, as the runtime does."""
        self.set_many({key: value})

    def set_many(self, values: JSONDict) -> None:
        for key, value in values.items():
            if key in self.read_only:
                self.errors.append(
                    {"kind": "read_only", "key": key, "message": f"'{key}' is read-only: only the kernel may change it"}
                )
                continue
            self.writes[key] = LocalWrite(value)
            self._copies.pop(key, None)

    def save_changes(self) -> int | None:
        """Send the unsaved values: at once as one update (its seq is returned), or merged into the
        next one when an update is in flight (None: sent when its ack arrives)."""
        for write in self.writes.values():
            if write.phase == "unsaved":
                write.phase = "queued"
        seq = self._flush()
        self.frontend.send_outbox()
        return seq

    def _flush(self, now: bool = False) -> int | None:
        queued = [(key, w) for key, w in self.writes.items() if w.phase == "queued"]
        if not queued or (self.in_flight is not None and not now):
            return None
        seq = self.frontend.next_seq()
        state: JSONDict = {}
        patch: JSONDict = {}
        for key, write in queued:
            wire = _wire(write.value)
            ops = None if write.whole else smaller_patch(self.confirmed.get(key), wire)
            if ops is not None:
                patch[key] = ops
            else:
                state[key] = wire
            write.phase, write.seq, write.whole = "in-flight", seq, False
        message = envelope("update", client=self.frontend.client, seq=seq)
        if state:
            message["state"] = state
        if patch:
            message["patch"] = patch
            message["base"] = self.rev
        self.in_flight = seq
        self.frontend.send_to_model(self.model_id, message)
        return seq

    def send(self, content: Any, buffers: list[bytes] | None = None) -> None:
        """A custom message, after every value saved before it (sent even with an update in flight)."""
        self._flush(now=True)
        self.frontend.send_to_model(self.model_id, envelope("custom", content=_wire(content)), extra=buffers)
        self.frontend.send_outbox()

    def start_invoke(self, name: str, args: Any = None, buffers: list[bytes] | None = None) -> Invocation:
        """Send an `invoke` of command `name` (binary inside `args` as buffers, then the extra `buffers`)
        without waiting; its reply lands in the returned Invocation. Sent after the values saved before it."""
        call_id = self.frontend.next_invoke_id()
        call = self.invocations[call_id] = Invocation(call_id, name)
        if self.closed:
            call.reply = {"error": {"kind": "closed", "message": "the model was closed"}}
            return call
        self._flush(now=True)
        message = envelope("invoke", id=call_id, name=name, args=_wire(args))
        self.frontend.send_to_model(self.model_id, message, extra=buffers)
        self.frontend.send_outbox()
        return call

    def invoke(self, name: str, args: Any = None, buffers: list[bytes] | None = None, timeout: float = 10.0) -> Any:
        """`await model.invoke(name, args, {buffers})`: the command's result, or CommandError (with the
        Python exception's type, message and traceback). The reply's extra buffers: `invocations[id].buffers`."""
        call = self.start_invoke(name, args, buffers)
        self.frontend.wait_for(lambda: call.done, timeout)
        return call.outcome()

    def abort_invoke(self, call: Invocation) -> None:
        """The caller's signal aborted: `invoke_abort` goes to the kernel, the call fails at once."""
        if call.done:
            return
        call.aborted = True
        self.frontend.send_to_model(self.model_id, envelope("invoke_abort", id=call.call_id))
        self.frontend.send_outbox()

    def fail_invocations(self, kind: str, message: str) -> None:
        """Every call still waiting fails at once (the model closed), as in the browser."""
        for call in self.invocations.values():
            if not call.done:
                call.reply = {"error": {"kind": kind, "message": message}}

    def _on_invoke_reply(self, data: JSONDict) -> None:
        call = self.invocations.get(data.get("id", ""))
        if call is None:
            self.errors.append({"kind": "bad_message", "message": f"a reply to an invoke never sent: {data.get('id')}"})
        elif call.done:
            call.late += 1
        else:
            call.reply = data
            call.buffers = data.pop("extra", [])

    def request_state(self) -> None:
        """Ask for a `state` snapshot; only one is asked for until it arrives."""
        if self.resyncing:
            return
        self.resyncing = True
        self.frontend.send_to_model(self.model_id, envelope("request_state", client=self.frontend.client))
        self.frontend.send_outbox()

    def close(self) -> None:
        self.closed = True
        self.frontend.close_comm(self.model_id)

    # --- kernel -> browser -----------------------------------------------------------------

    def apply(self, data: JSONDict) -> None:
        """Apply one kernel message (the browser rules of docs/protocol.md); a refused one is an error."""
        method = data["method"]
        ack = data.get("ack")
        if (
            isinstance(ack, dict)
            and ack.get("client") == self.frontend.client
            and ack.get("seq", 0) > self.frontend.last_seq
        ):
            self.errors.append({"kind": "bad_message", "message": f"an ack of seq {ack['seq']}, never sent"})
            if method == "update":
                self.request_state()
            return
        if method in ("open", "state"):
            self.apply_snapshot(data)
        elif method == "update":
            self._apply_update(data)
        elif method == "custom":
            self.custom.append((data.get("content"), data.get("extra", [])))
        elif method == "invoke_reply":
            self._on_invoke_reply(data)
        elif method == "error":
            self.errors.extend(data.get("errors", []))

    def _apply_update(self, data: JSONDict) -> None:
        if data["rev"] != self.rev + 1:
            self.gaps += 1
            self.request_state()
            return
        try:  # every patch applies before anything is committed: all or nothing
            patched = {key: apply_patch(self.confirmed.get(key), ops) for key, ops in data.get("patch", {}).items()}
        except PatchError as error:
            self.errors.append({"kind": "bad_patch", "message": str(error)})
            self.request_state()
            return
        self.rev = data["rev"]
        for key, value in [*data.get("state", {}).items(), *patched.items()]:
            self.confirmed[key] = value
            self._copies.pop(key, None)
        errors = data.get("errors", [])
        self._acknowledge(data.get("ack"), errors)
        self.errors.extend(errors)

    def _acknowledge(self, ack: JSONDict | None, errors: list[JSONDict]) -> None:
        """An ack for this client's seq n settles the writes in flight with seq <= n; a stale one is
        queued again, whole. Then what waits is sent."""
        if not ack or ack.get("client") != self.frontend.client:
            return
        stale = {e["key"] for e in errors if e.get("kind") == "stale" and "key" in e}
        for key, write in list(self.writes.items()):
            if write.phase != "in-flight" or (write.seq or 0) > ack["seq"]:
                continue
            if key in stale:
                write.phase, write.seq, write.whole = "queued", None, True
            else:
                del self.writes[key]
        if self.in_flight is not None and ack["seq"] >= self.in_flight:
            self.in_flight = None
        self._flush()

    def resolve_pending(self, ack: JSONDict | None) -> None:
        self._acknowledge(ack, [])

    def apply_snapshot(self, body: JSONDict) -> None:
        self.class_name = body.get("class", self.class_name)
        self.rev = body["rev"]
        self.resyncing = False
        self.confirmed = dict(body["state"])
        self._copies.clear()
        self.read_only = list(body.get("read_only", []))
        self.esm_hash, self.css_hash = body.get("esm"), body.get("css")
        self._acknowledge(body.get("ack"), [])
        for digest in (self.esm_hash, self.css_hash):
            self.frontend.asset(digest)  # fetch what this client lacks, as the browser does


def _wire(value: Any) -> Any:
    """Browser-side values as they are written: FrontendModels (as a view may set) become references."""
    if isinstance(value, FrontendModel):
        return REFERENCE_PREFIX + value.model_id
    if isinstance(value, list):
        return [_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    return value


_Outgoing = tuple[str, str, JSONDict, list[bytes], str | None]


class Frontend:
    """Transport-independent browser client; subclasses implement `transmit`.

    Like the browser's event loop, it never sends from inside the handling of a kernel message
    when `synchronous` (the in-process transport, where the kernel is still inside `comm.send`):
    messages are decided and recorded then, and go out when control returns to the test.
    """

    synchronous: ClassVar[bool] = False

    def __init__(self, client: str | None = None) -> None:
        self.client = client or uuid.uuid4().hex
        self.session = uuid.uuid4().hex  # the Jupyter session this client's messages come from
        self.models: dict[str, FrontendModel] = {}
        self.messages: list[WireMessage] = []
        self.assets: dict[str, str] = {}
        self.replies: dict[str, JSONDict] = {}
        self.control_errors: list[JSONDict] = []
        self.closed_comms: list[tuple[str, JSONDict]] = []
        self.last_seq = 0
        self._control_id: str | None = None
        self._requests = 0
        self._invokes = 0
        self._asked: set[str] = set()
        self._outbox: deque[_Outgoing] = deque()
        self._held_back: list[tuple[str, str, JSONDict, list[bytes], str | None]] | None = None
        self._drop = 0
        self._local = threading.local()

    # --- transport hooks ---------------------------------------------------------------------

    def transmit(self, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes], target: str | None) -> None:
        raise NotImplementedError

    def wait_for(self, condition: Any, timeout: float = 10.0) -> None:
        """Process kernel messages until `condition()` holds (the in-process transport is synchronous)."""
        self.send_outbox()
        if not condition():
            raise AssertionError("condition not met")

    def record(self, direction: str, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes]) -> JSONDict:
        """Encode as the wire does, record it, and hand back an independent decoded copy."""
        raw = encode(data)
        decoded: JSONDict = json.loads(raw)
        self.messages.append(WireMessage(direction, kind, comm_id, decoded, buffers, len(raw)))
        return json.loads(raw)  # type: ignore[no-any-return]

    # --- browser -> kernel ---------------------------------------------------------------

    def next_invoke_id(self) -> str:
        self._invokes += 1
        return f"i{self._invokes}"

    def next_seq(self) -> int:
        self.last_seq += 1
        return self.last_seq

    def _outgoing(self, data: JSONDict, extra: list[bytes] | None) -> tuple[JSONDict, list[bytes]]:
        body, binaries = to_json(data)
        paths = [list(path) for path, _ in binaries]
        if paths:
            body["buffer_paths"] = paths
        return body, [bytes(b) for _, b in binaries] + [bytes(b) for b in extra or []]

    def _queue(self, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes], target: str | None) -> None:
        """Record a message now (its content is decided now) and put it in the outbox."""
        self._outbox.append((kind, comm_id, self.record("to_kernel", kind, comm_id, data, buffers), buffers, target))

    def send_outbox(self) -> None:
        """Transmit what was queued, in order, unless inside the handling of a kernel message."""
        local = self._local
        if getattr(local, "busy", False) or (self.synchronous and getattr(local, "delivering", False)):
            return
        local.busy = True
        try:
            while self._outbox:
                self.transmit(*self._outbox.popleft())
        finally:
            local.busy = False

    def send_to_model(self, model_id: str, data: JSONDict, extra: list[bytes] | None = None) -> None:
        body, buffers = self._outgoing(data, extra)
        self._queue("comm_msg", model_id, body, buffers, None)
        self.send_outbox()

    def close_comm(self, comm_id: str) -> None:
        self._queue("comm_close", comm_id, {}, [], None)
        self.send_outbox()

    def create(self, class_name: str, **state: Any) -> FrontendModel:
        """Open a model comm from the browser against a class registered in Python."""
        comm_id = uuid.uuid4().hex
        model = FrontendModel(self, comm_id, class_name)
        self.models[comm_id] = model
        body, buffers = self._outgoing(envelope("create", **{"class": class_name, "state": _wire(state)}), None)
        self._queue("comm_open", comm_id, body, buffers, MODEL_TARGET)
        self.send_outbox()
        return model

    def control(self, method: str, **fields: Any) -> str:
        """Send a request on the control comm (opened on first use); return its request id."""
        if self._control_id is None:
            self._control_id = uuid.uuid4().hex
            self._queue("comm_open", self._control_id, envelope("hello", client=self.client), [], CONTROL_TARGET)
        self._requests += 1
        request = f"r{self._requests}"
        self._queue("comm_msg", self._control_id, envelope(method, request=request, **fields), [], None)
        self.send_outbox()
        return request

    # --- kernel -> browser ---------------------------------------------------------------

    @contextlib.contextmanager
    def delayed(self) -> Iterator[None]:
        """Hold back the kernel's messages (a slow network) until the block ends, then deliver them in order."""
        assert self._held_back is None, "delayed() does not nest"
        self._held_back = []
        try:
            yield
        finally:
            held, self._held_back = self._held_back, None
            for args in held:
                self.receive(*args)
            self.send_outbox()

    def drop_next(self, count: int = 1) -> None:
        """Lose the kernel's next `count` comm messages, as a broken connection would."""
        self._drop += count

    def receive(self, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes], target: str | None = None) -> None:
        """Handle one message from the kernel, as the browser runtime does."""
        if self._held_back is not None:
            self._held_back.append((kind, comm_id, data, buffers, target))
            return
        if self._drop:
            self._drop -= 1
            return
        local = self._local
        nested = getattr(local, "delivering", False)
        local.delivering = True
        try:
            self._deliver(kind, comm_id, data, buffers, target)
        finally:
            local.delivering = nested
        if not nested and not self.synchronous:
            self.send_outbox()

    def _deliver(self, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes], target: str | None) -> None:
        data = self.record("to_browser", kind, comm_id, data, buffers)
        if kind == "comm_close":
            if comm_id in self.models:
                self.models[comm_id].closed = True
                self.models[comm_id].fail_invocations("closed", "the model was closed")
            self.closed_comms.append((comm_id, data))
            return
        extra: list[memoryview] = []
        with_extra = data.get("method") in ("custom", "invoke_reply")
        if buffers or data.get("buffer_paths"):
            extra = insert_buffers(data, [memoryview(b) for b in buffers], extra=with_extra)
        if with_extra:
            data["extra"] = [bytes(b) for b in extra]
        self.assets.update(data.get("assets") or {})
        if comm_id == self._control_id:
            self._on_control(data)
            return
        if kind == "comm_open" and target == MODEL_TARGET:
            self.models[comm_id] = FrontendModel(self, comm_id)
        model = self.models.get(comm_id)
        if model is not None:
            model.apply(data)

    def _on_control(self, data: JSONDict) -> None:
        if data["method"] == "error":
            self.control_errors.extend(data["errors"])
            return
        self.replies[data["request"]] = data
        if data["method"] == "restore_reply":
            for body in data["models"]:
                model = self.models.get(body["model_id"]) or FrontendModel(self, body["model_id"])
                self.models[model.model_id] = model
                model.closed = False
                model.apply_snapshot(body)

    def asset(self, digest: str | None) -> str | None:
        if digest is None:
            return None
        if digest not in self.assets and digest not in self._asked:
            self._asked.add(digest)
            self.control("assets", hashes=[digest])
        self.send_outbox()  # asked while a kernel message was handled: goes out now
        return self.assets.get(digest)

    # --- conveniences for tests ----------------------------------------------------------

    def model(self, model: Any) -> FrontendModel:
        """The browser's copy of a kernel `Model` (or of a model id)."""
        return self.models[model if isinstance(model, str) else model.model_id]

    def resolve(self, reference: str) -> FrontendModel:
        """The model a reference names (`"IPY_MODEL_<id>"` or a bare id), as `widget_manager.get_model` does."""
        if reference.startswith(REFERENCE_PREFIX):
            reference = reference[len(REFERENCE_PREFIX) :]
        return self.models[reference]

    def invoke(self, model: Any, name: str, args: Any = None, buffers: list[bytes] | None = None) -> Any:
        """Call command `name` of a kernel `Model` as a view would (`FrontendModel.invoke`): its result,
        or CommandError with the exception's `type`, `message` and `traceback`."""
        return self.model(model).invoke(name, args, buffers)

    def restore(self) -> list[FrontendModel]:
        """Ask the kernel for every live model (a page reload) and return them."""
        request = self.control("restore")
        self.wait_for(lambda: request in self.replies)
        reply = self.replies[request]
        return [self.models[body["model_id"]] for body in reply["models"]]

    def sent(self, direction: str = "to_browser", method: str | None = None) -> list[WireMessage]:
        return [m for m in self.messages if m.direction == direction and (method is None or m.method == method)]

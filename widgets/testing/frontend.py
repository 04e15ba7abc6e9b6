"""A headless browser client that speaks the wire protocol (docs/protocol.md) like the real one.

`Frontend` keeps, per model, the confirmed state and pending writes exactly as the browser
runtime does, and records every message with its size. The transport is a subclass's business:
`InProcessFrontend` (widgets.testing) runs inside the kernel process, the integration tests drive
a real kernel over ZMQ.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..buffers import insert_buffers
from ..patch import apply_patch, make_patch
from ..protocol import CONTROL_TARGET, MODEL_TARGET, REFERENCE_PREFIX, JSONDict, envelope
from ..serialize import to_json


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
    """JSON as Jupyter's session packer writes it (no NaN, UTF-8)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


@dataclass
class FrontendModel:
    """The browser's copy of one model."""

    frontend: Frontend
    model_id: str
    class_name: str = ""
    rev: int = 0
    confirmed: JSONDict = field(default_factory=dict)
    pending: dict[str, tuple[Any, int]] = field(default_factory=dict)
    unsaved: dict[str, Any] = field(default_factory=dict)
    read_only: list[str] = field(default_factory=list)
    esm_hash: str | None = None
    css_hash: str | None = None
    errors: list[JSONDict] = field(default_factory=list)
    custom: list[tuple[Any, list[bytes]]] = field(default_factory=list)
    closed: bool = False
    gaps: int = 0

    @property
    def esm(self) -> str | None:
        """The view's module source (fetched on the control comm if this client missed it)."""
        return self.frontend.asset(self.esm_hash)

    @property
    def css(self) -> str | None:
        return self.frontend.asset(self.css_hash)

    def get(self, key: str) -> Any:
        """What a view shows: an unsaved or pending local value, else the kernel's confirmed value."""
        if key in self.unsaved:
            return self.unsaved[key]
        if key in self.pending:
            return self.pending[key][0]
        return self.confirmed.get(key)

    @property
    def state(self) -> JSONDict:
        return {key: self.get(key) for key in {*self.confirmed, *self.pending, *self.unsaved}}

    def set(self, key: str, value: Any) -> None:
        self.unsaved[key] = value

    def save_changes(self, use_patches: bool = True) -> int:
        """Send the unsaved changes as one update (patches where smaller); return its seq."""
        changes, self.unsaved = self.unsaved, {}
        seq = self.frontend.next_seq()
        state: JSONDict = {}
        patch: JSONDict = {}
        for key, value in changes.items():
            wire_value = _wire(value)
            base = self.confirmed.get(key)
            if (
                use_patches
                and key not in self.pending
                and type(base) is type(wire_value)
                and type(base) in (list, dict)
            ):
                ops = make_patch(base, wire_value, max_ops=64)
                if ops is not None and len(encode(ops)) < len(encode(_strip(wire_value))):
                    patch[key] = ops
                    self.pending[key] = (value, seq)
                    continue
            state[key] = wire_value
            self.pending[key] = (value, seq)
        message = envelope("update", client=self.frontend.client, seq=seq)
        if state:
            message["state"] = state
        if patch:
            message["patch"] = patch
            message["base"] = self.rev
        self.frontend.send_to_model(self.model_id, message)
        return seq

    def send(self, content: Any, buffers: list[bytes] | None = None) -> None:
        self.frontend.send_to_model(self.model_id, envelope("custom", content=_wire(content)), extra=buffers)

    def request_state(self) -> None:
        self.frontend.send_to_model(self.model_id, envelope("request_state", client=self.frontend.client))

    def close(self) -> None:
        self.closed = True
        self.frontend.close_comm(self.model_id)

    def apply(self, data: JSONDict) -> None:
        """Apply one kernel message to the confirmed state (the browser rules of docs/protocol.md)."""
        method = data["method"]
        if method in ("open", "state"):
            self.apply_snapshot(data)
        elif method == "update":
            if data["rev"] != self.rev + 1:
                self.gaps += 1
                self.request_state()
                return
            self.rev = data["rev"]
            self.confirmed.update(data.get("state", {}))
            for key, ops in data.get("patch", {}).items():
                self.confirmed[key] = apply_patch(self.confirmed.get(key), ops)
            self.resolve_pending(data.get("ack"))
            self.errors.extend(data.get("errors", []))
        elif method == "custom":
            self.custom.append((data.get("content"), data.get("extra", [])))
        elif method == "error":
            self.errors.extend(data.get("errors", []))

    def resolve_pending(self, ack: JSONDict | None) -> None:
        """An ack for this client's `seq` n settles every pending write with seq <= n."""
        if ack and ack["client"] == self.frontend.client:
            self.pending = {k: (v, s) for k, (v, s) in self.pending.items() if s > ack["seq"]}

    def apply_snapshot(self, body: JSONDict) -> None:
        self.class_name = body.get("class", self.class_name)
        self.rev = body["rev"]
        self.confirmed = dict(body["state"])
        self.read_only = list(body.get("read_only", []))
        self.esm_hash, self.css_hash = body.get("esm"), body.get("css")
        self.resolve_pending(body.get("ack"))
        for digest in (self.esm_hash, self.css_hash):
            self.frontend.asset(digest)  # fetch what this client lacks, as the browser does


def _wire(value: Any) -> Any:
    """Browser-side values as they are written: references to FrontendModels become strings."""
    if isinstance(value, FrontendModel):
        return REFERENCE_PREFIX + value.model_id
    if isinstance(value, list):
        return [_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    return value


def _strip(value: Any) -> Any:
    return to_json(value)[0]


class Frontend:
    """Transport-independent browser client; subclasses implement `transmit`."""

    def __init__(self) -> None:
        self.client = uuid.uuid4().hex
        self.models: dict[str, FrontendModel] = {}
        self.messages: list[WireMessage] = []
        self.assets: dict[str, str] = {}
        self.replies: dict[str, JSONDict] = {}
        self.control_errors: list[JSONDict] = []
        self.closed_comms: list[tuple[str, JSONDict]] = []
        self._seq = 0
        self._control_id: str | None = None
        self._requests = 0
        self._asked: set[str] = set()

    # --- transport hooks ---------------------------------------------------------------------

    def transmit(self, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes], target: str | None) -> None:
        raise NotImplementedError

    def wait_for(self, condition: Any, timeout: float = 10.0) -> None:
        """Process kernel messages until `condition()` holds (the in-process transport is synchronous)."""
        if not condition():
            raise AssertionError("condition not met")

    def record(self, direction: str, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes]) -> JSONDict:
        """Encode as the wire does, record it, and hand back an independent decoded copy."""
        raw = encode(data)
        self.messages.append(WireMessage(direction, kind, comm_id, data, buffers, len(raw)))
        return json.loads(raw)  # type: ignore[no-any-return]

    # --- browser -> kernel ---------------------------------------------------------------

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _outgoing(self, data: JSONDict, extra: list[bytes] | None) -> tuple[JSONDict, list[bytes]]:
        body, binaries = to_json(data)
        paths = [list(path) for path, _ in binaries]
        if paths:
            body["buffer_paths"] = paths
        return body, [bytes(b) for _, b in binaries] + [bytes(b) for b in extra or []]

    def send_to_model(self, model_id: str, data: JSONDict, extra: list[bytes] | None = None) -> None:
        body, buffers = self._outgoing(data, extra)
        self.transmit(
            "comm_msg", model_id, self.record("to_kernel", "comm_msg", model_id, body, buffers), buffers, None
        )

    def close_comm(self, comm_id: str) -> None:
        self.transmit("comm_close", comm_id, self.record("to_kernel", "comm_close", comm_id, {}, []), [], None)

    def create(self, class_name: str, **state: Any) -> FrontendModel:
        """Open a model comm from the browser against a class registered in Python."""
        comm_id = uuid.uuid4().hex
        model = FrontendModel(self, comm_id, class_name)
        self.models[comm_id] = model
        body, buffers = self._outgoing(envelope("create", **{"class": class_name, "state": _wire(state)}), None)
        self.transmit(
            "comm_open", comm_id, self.record("to_kernel", "comm_open", comm_id, body, buffers), buffers, MODEL_TARGET
        )
        return model

    def control(self, method: str, **fields: Any) -> str:
        """Send a request on the control comm (opened on first use); return its request id."""
        if self._control_id is None:
            self._control_id = uuid.uuid4().hex
            hello = self.record("to_kernel", "comm_open", self._control_id, envelope("hello"), [])
            self.transmit("comm_open", self._control_id, hello, [], CONTROL_TARGET)
        self._requests += 1
        request = f"r{self._requests}"
        data = self.record("to_kernel", "comm_msg", self._control_id, envelope(method, request=request, **fields), [])
        self.transmit("comm_msg", self._control_id, data, [], None)
        return request

    # --- kernel -> browser ---------------------------------------------------------------

    def receive(self, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes], target: str | None = None) -> None:
        """Handle one message from the kernel, as the browser runtime does."""
        data = self.record("to_browser", kind, comm_id, data, buffers)
        if kind == "comm_close":
            if comm_id in self.models:
                self.models[comm_id].closed = True
            self.closed_comms.append((comm_id, data))
            return
        extra = insert_buffers(data, [memoryview(b) for b in buffers]) if buffers or data.get("buffer_paths") else []
        if data.get("method") == "custom":
            data["extra"] = [bytes(b) for b in extra]
        self.assets.update(data.get("assets") or {})
        if comm_id == self._control_id:
            self._on_control(data)
            return
        if kind == "comm_open" and target == MODEL_TARGET:
            model = FrontendModel(self, comm_id)
            self.models[comm_id] = model
        model_or_none = self.models.get(comm_id)
        if model_or_none is not None:
            model_or_none.apply(data)

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
        return self.assets.get(digest)

    # --- conveniences for tests ----------------------------------------------------------

    def model(self, model: Any) -> FrontendModel:
        """The browser's copy of a kernel `Model` (or of a model id)."""
        return self.models[model if isinstance(model, str) else model.model_id]

    def resolve(self, reference: str) -> FrontendModel:
        """The model a `model:<id>` reference names, as `widget_manager.get_model` would."""
        assert reference.startswith(REFERENCE_PREFIX), reference
        return self.models[reference[len(REFERENCE_PREFIX) :]]

    def restore(self) -> list[FrontendModel]:
        """Ask the kernel for every live model (a page reload) and return them."""
        request = self.control("restore")
        self.wait_for(lambda: request in self.replies)
        reply = self.replies[request]
        return [self.models[body["model_id"]] for body in reply["models"]]

    def sent(self, direction: str = "to_browser", method: str | None = None) -> list[WireMessage]:
        return [m for m in self.messages if m.direction == direction and (method is None or m.method == method)]

"""What the kernel must do with each browser→kernel message, predicted from the spec alone.

The spec is docs/protocol.md at version 2.0 with the decisions of issue 8: version strings
`<major>.<minor>`, `client` 1..64 of `[A-Za-z0-9_-]`, `seq` 1..2**53-1 strictly increasing per
(model, client) and tied to the Jupyter session, the whole envelope checked before any key is
applied, only finite numbers, no booleans posing as numbers, no binary into text, UTF-8 strings,
strict RFC 6901/6902 (tests/fuzz/rfc6902.py) with at most 4096 operations and 65536 copied nodes.
The traits are modelled here on their own (mirroring traitlets' rules), not by asking traitlets.

Where the spec leaves a choice (which of two applicable error kinds is reported, whether a
resent-but-unchanged key makes an old base stale, ...) the prediction lists every answer it allows.
A prediction is a list of `Outcome`s; the kernel's answer must match one of them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from . import rfc6902

PROTOCOL = "2.0"
REFERENCE_PREFIX = "IPY_MODEL_"
MAX_SEQ = 2**53 - 1
MAX_MESSAGE = 501  # 500 characters and an ellipsis
VERSION = re.compile(r"[0-9]+\.[0-9]+")
CLIENT = re.compile(r"[A-Za-z0-9_-]{1,64}")
SYNC_KEYS = frozenset(["i", "f", "s", "b", "li", "lf", "ld", "d", "ro", "tro", "v", "a", "child"])
READ_ONLY = frozenset(["ro"])
NUMERIC = frozenset(["i", "f", "tro", "v"])
KINDS = frozenset(
    [
        "validation",
        "read_only",
        "unknown_key",
        "stale",
        "bad_patch",
        "bad_buffer",
        "bad_message",
        "version",
        "handler",
        "unknown_class",
        "unsendable",
    ]
)
DTYPES = {
    "bool": 1,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "int32": 4,
    "uint32": 4,
    "int64": 8,
    "uint64": 8,
    "float16": 2,
    "float32": 4,
    "float64": 8,
}
NOVALUE: Any = type("NoValue", (), {"__repr__": lambda self: "<refused>"})()
_MISSING: Any = object()


@dataclass(frozen=True)
class Blob:
    """A binary value: `bytes`, or an ndarray's dtype, shape and little-endian bytes."""

    kind: str
    data: bytes
    dtype: str | None = None
    shape: tuple[int, ...] | None = None

    def __repr__(self) -> str:
        head = self.data[:8].hex()
        return f"Blob({self.kind}, {self.dtype}, {self.shape}, {len(self.data)}B {head}…)"


def same(a: Any, b: Any) -> bool:
    """Equality of trait values as the wire can tell them: JSON equality, Blobs exactly."""
    if isinstance(a, Blob) or isinstance(b, Blob):
        return bool(a == b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return rfc6902.json_equal(a, b)


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean(value: Any) -> bool:
    """Finite numbers and UTF-8 strings all the way down (decision 7)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, str) and not encodable(item):
            return False
        if isinstance(item, dict):
            if not all(isinstance(k, str) and encodable(k) for k in item):
                return False
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def has_placeholder(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "$binary" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# --- one key ------------------------------------------------------------------------------------


@dataclass
class KeyExpect:
    """What may happen to one key: refused with one of `refuse`, or stored as `value`."""

    refuse: frozenset[str] = frozenset()
    value: Any = NOVALUE
    why: str = ""

    @property
    def may_accept(self) -> bool:
        return self.value is not NOVALUE


def _int(value: Any) -> Any:
    if type(value) is int:
        return value
    if type(value) is float and math.isfinite(value) and value == int(value):
        return int(value)  # traitlets' Int takes integer-valued floats
    return NOVALUE


def _float(value: Any) -> Any:
    if type(value) is int:
        return float(value)
    if type(value) is float:
        return value
    return NOVALUE


def trait_accepts(key: str, value: Any, live: frozenset[str]) -> KeyExpect:
    """The trait's own verdict on a clean value (after the framework's checks)."""
    refused = KeyExpect(frozenset(["validation"]), why=f"{key} refuses {type(value).__name__}")
    if key in ("i", "tro", "ro"):
        stored = _int(value)
        return refused if stored is NOVALUE else KeyExpect(value=stored)
    if key == "v":
        stored = _int(value)
        if stored is NOVALUE or stored % 2:
            return refused
        return KeyExpect(value=max(stored, 0))
    if key == "f":
        stored = _float(value)
        return refused if stored is NOVALUE else KeyExpect(value=stored)
    if key == "s":
        if not isinstance(value, str):
            return refused
        if value.startswith(REFERENCE_PREFIX) and value[len(REFERENCE_PREFIX) :] in live:
            return KeyExpect(frozenset(["validation"]), value, "a live reference into a Unicode trait")
        return KeyExpect(value=value)
    if key == "b":
        if type(value) is bool:
            return KeyExpect(value=value)
        if type(value) is int and value in (0, 1):  # traitlets' Bool takes 0 and 1; refusing them is fine too
            return KeyExpect(frozenset(["validation"]), bool(value), "0/1 into a Bool")
        return refused
    if key in ("li", "lf"):
        if not isinstance(value, list):
            return refused
        convert = _int if key == "li" else _float
        items = [convert(x) for x in value]
        return refused if any(x is NOVALUE for x in items) else KeyExpect(value=items)
    if key == "ld":
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            return refused
        return KeyExpect(value=value)
    if key == "d":
        return KeyExpect(value=value) if isinstance(value, dict) else refused
    if key == "a":
        return KeyExpect(value=value) if isinstance(value, Blob) else refused
    if key == "child":
        if value is None:
            return KeyExpect(value=None)
        if isinstance(value, str) and value.startswith(REFERENCE_PREFIX) and value[len(REFERENCE_PREFIX) :] in live:
            return KeyExpect(value=value)
        return refused
    raise AssertionError(key)


def value_expect(key: str, value: Any, live: frozenset[str]) -> KeyExpect:
    """Decision 7, then the trait: what a value from the browser does to `key`."""
    if not clean(value):
        return KeyExpect(frozenset(["validation"]), why="non-finite number or lone surrogate")
    if key in NUMERIC and type(value) is bool:
        return KeyExpect(frozenset(["validation"]), why="a bool into a number")
    if key in ("li", "lf") and isinstance(value, list) and any(type(x) is bool for x in value):
        return KeyExpect(frozenset(["validation"]), why="a bool into a list of numbers")
    if key == "s" and isinstance(value, Blob):
        return KeyExpect(frozenset(["validation"]), why="binary into text")
    if isinstance(value, Blob) and key != "a":
        return KeyExpect(frozenset(["validation"]), why="binary into a JSON trait")
    return trait_accepts(key, value, live)


def _structurally_bad(ops: Any) -> bool:
    """Whether the patch is malformed whatever it applies to."""
    if not isinstance(ops, list) or len(ops) > rfc6902.MAX_PATCH_OPS:
        return True
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in rfc6902.OPS or "path" not in op:
            return True
        try:
            rfc6902.parse_pointer(op["path"])
            if op["op"] in ("move", "copy"):
                rfc6902.parse_pointer(op.get("from", None))
        except rfc6902.PatchFailure:
            return True
        if op["op"] in ("add", "replace", "test") and "value" not in op:
            return True
    return False


def patch_expect(key: str, current: Any, ops: Any, stale: str, live: frozenset[str]) -> KeyExpect:
    """What a patch (at a base the caller judged `stale`: "yes", "maybe" or "no") does to `key`."""
    dirty_ops = not clean(ops)
    extra = ({"bad_patch"} if _structurally_bad(ops) else set()) | ({"validation"} if dirty_ops else set())
    if key not in SYNC_KEYS:
        return KeyExpect(frozenset({"unknown_key"} | extra), why="unknown key")
    if key in READ_ONLY:
        return KeyExpect(frozenset({"read_only", "stale"} | extra), why="read-only key")
    if stale == "yes":
        return KeyExpect(frozenset({"stale"} | extra), why="changed in the kernel after base")
    also = {"stale"} if stale == "maybe" else set()
    if isinstance(current, Blob):
        return KeyExpect(frozenset({"bad_patch"} | also | extra), why="a binary value cannot be patched")
    try:
        result, copied = rfc6902.apply_patch(current, ops)
    except rfc6902.PatchFailure as failure:
        return KeyExpect(frozenset({"bad_patch"} | also | extra), why=f"does not apply: {failure}")
    verdict = value_expect(key, result, live)
    refuse = set(verdict.refuse) | also | extra
    if copied > rfc6902.MAX_COPY_NODES // 2:
        refuse.add("bad_patch")  # near the limit: counting conventions may differ
    if ops == []:
        refuse.add("bad_patch")  # an empty patch is never sent; refusing one is fine
    return KeyExpect(frozenset(refuse), verdict.value, verdict.why or ("patched" if not refuse else ""))


# --- one message --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One allowed answer: the whole message refused, or per-key results; the ack it carries."""

    envelope: frozenset[str] = frozenset()
    keys: dict[str, KeyExpect] = field(default_factory=dict)
    ack: tuple[str, int] | None = None  # the update reply must carry exactly this ack
    why: str = ""


@dataclass
class Expect:
    method: str
    outcomes: list[Outcome]
    no_ack_above: tuple[str, int] | None = None  # an ack naming this client may not exceed this seq
    echo: Any = _MISSING  # custom: the content echoed back ({"echo": content}) and its extra buffers
    echo_buffers: list[bytes] = field(default_factory=list)
    handler_error: bool = False
    state_ack: tuple[str, int, int] | None = None  # request_state: (client, lowest, highest) seq
    wants_state: bool = False
    version_in_message: bool = False


@dataclass
class ClientRecord:
    session: str
    applied: int = 0  # last seq of a message whose keys were processed
    acked: int = 0  # last seq the kernel acknowledged


@dataclass
class ModelContext:
    """The oracle's view of one kernel model: trait values and the clients it has heard from."""

    name: str
    model_id: str
    values: dict[str, Any]
    clients: dict[str, ClientRecord] = field(default_factory=dict)


def _refused(kinds: set[str] | frozenset[str], why: str, ack: tuple[str, int] | None = None) -> Outcome:
    return Outcome(envelope=frozenset(kinds), ack=ack, why=why)


def check_envelope(data: Any) -> Outcome | None:
    """The version/method check every message goes through; None when it passes."""
    if not isinstance(data, dict):
        return _refused({"bad_message"}, "data is not an object")
    version = data.get("protocol")
    if not isinstance(version, str) or VERSION.fullmatch(version) is None:
        return _refused({"bad_message"}, f"protocol {str(version)[:20]!r} is not <major>.<minor>")
    if version.split(".")[0] != PROTOCOL.split(".")[0]:
        return _refused({"version"}, f"another major version {version!r}")
    method = data.get("method")
    if method not in ("update", "custom", "request_state"):
        return _refused({"bad_message"}, f"unknown method {str(method)[:20]!r}")
    return None


def _path_ok(path: Any) -> bool:
    return (
        isinstance(path, list)
        and len(path) > 0
        and all((isinstance(k, str) or (type(k) is int and k >= 0)) for k in path)
    )


def _decode(placeholder: dict[str, Any], buffer: bytes) -> Blob | None:
    kind = placeholder.get("$binary")
    if kind == "bytes":
        return Blob("bytes", buffer)
    if kind != "ndarray":
        return None
    dtype, shape = placeholder.get("dtype"), placeholder.get("shape")
    if dtype not in DTYPES or not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        return None
    if math.prod(shape) * DTYPES[dtype] != len(buffer):
        return None
    return Blob("ndarray", buffer, dtype, tuple(shape))


def insert_buffers(data: dict[str, Any], buffers: list[bytes], extra_allowed: bool) -> tuple[set[str], list[bytes]]:
    """Put Blobs in place of the placeholders (in place); the framing errors and the extra buffers."""
    paths = data.get("buffer_paths", [])
    if not isinstance(paths, list):
        return {"bad_buffer", "bad_message"}, []
    if not all(_path_ok(p) for p in paths):
        return {"bad_buffer", "bad_message"} if any(not isinstance(p, list) for p in paths) else {"bad_buffer"}, []
    if len(buffers) < len(paths) or (len(buffers) > len(paths) and not extra_allowed):
        return {"bad_buffer"}, []
    targets: list[tuple[Any, Any, dict[str, Any]]] = []
    seen: set[int] = set()
    for path in paths:
        node: Any = data
        parent: Any = None
        try:
            for k in path:
                parent = node
                container: Any = node
                if not ((isinstance(node, dict) and isinstance(k, str)) or (isinstance(node, list) and type(k) is int)):
                    return {"bad_buffer"}, []
                node = container[k]
        except (KeyError, IndexError):
            return {"bad_buffer"}, []
        if not isinstance(node, dict) or "$binary" not in node or id(node) in seen:
            return {"bad_buffer"}, []
        seen.add(id(node))
        targets.append((parent, path[-1], node))
    # every placeholder must have a path
    stack: list[Any] = [data.get("state"), data.get("patch"), data.get("content")]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "$binary" in item and id(item) not in seen:
                return {"bad_buffer"}, []
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    for (parent, leaf, placeholder), buffer in zip(targets, buffers, strict=False):
        blob = _decode(placeholder, buffer)
        if blob is None:
            return {"bad_buffer"}, []
        parent[leaf] = blob
    return set(), list(buffers[len(paths) :])


class Oracle:
    """Predicts, message by message, against its own model of the kernel's models."""

    def __init__(self, models: dict[str, ModelContext]) -> None:
        self.models = models

    @property
    def live(self) -> frozenset[str]:
        return frozenset(m.model_id for m in self.models.values())

    def predict(
        self,
        model: ModelContext,
        data: Any,
        buffers: list[bytes],
        session: str,
        rev_bounds: tuple[int, int],
        stale: Any,
    ) -> Expect:
        """`rev_bounds`: the kernel's revision is between these; `stale(key, base)` says "yes"/"maybe"/"no"."""
        refused = check_envelope(data)
        method = data.get("method") if isinstance(data, dict) else None
        if refused is not None:
            if method == "update" and isinstance(data, dict):
                client = data.get("client")
                guard = (client, self._last_acked(model, client)) if isinstance(client, str) else None
                return Expect("update", [refused], no_ack_above=guard, version_in_message="version" in refused.envelope)
            return Expect(str(method), [refused], version_in_message="version" in refused.envelope)
        data = rfc6902.json_copy(data)
        if method == "update":
            return self._update(model, data, buffers, session, rev_bounds, stale)
        if method == "custom":
            return self._custom(data, buffers)
        return self._request_state(model, data, buffers)

    def _last_acked(self, model: ModelContext, client: Any) -> int:
        record = model.clients.get(client) if isinstance(client, str) else None
        return record.acked if record else 0

    def _update(
        self,
        model: ModelContext,
        data: dict[str, Any],
        buffers: list[bytes],
        session: str,
        rev_bounds: tuple[int, int],
        stale: Any,
    ) -> Expect:
        client, seq = data.get("client"), data.get("seq")
        guard = (client, self._last_acked(model, client)) if isinstance(client, str) else None
        if not isinstance(client, str) or CLIENT.fullmatch(client) is None:
            return Expect("update", [_refused({"bad_message"}, "bad client id")], no_ack_above=guard)
        if type(seq) is not int or not 1 <= seq <= MAX_SEQ:
            return Expect("update", [_refused({"bad_message"}, f"bad seq {str(seq)[:30]}")], no_ack_above=guard)
        record = model.clients.get(client)
        if record is not None and record.session != session:
            return Expect("update", [_refused({"bad_message"}, "client of another session")], no_ack_above=guard)
        outcomes: list[Outcome] = []
        if record is not None and seq <= record.acked:
            refusal = _refused({"bad_message"}, f"seq {seq} not above {record.acked}")
            if seq <= record.applied:
                return Expect("update", [refusal], no_ack_above=guard)
            outcomes.append(refusal)  # acked but refused as a whole before: its seq may or may not count
        ack = (client, seq)
        outcomes.extend(self._update_body(model, data, buffers, rev_bounds, stale, ack))
        return Expect("update", outcomes, no_ack_above=guard)

    def _update_body(
        self,
        model: ModelContext,
        data: dict[str, Any],
        buffers: list[bytes],
        rev_bounds: tuple[int, int],
        stale: Any,
        ack: tuple[str, int],
    ) -> list[Outcome]:
        envelope: set[str] = set()
        why: list[str] = []
        optional: set[str] = set()  # envelope kinds an implementation may or may not apply
        state, patch, base = data.get("state", _MISSING), data.get("patch", _MISSING), data.get("base", _MISSING)
        if state is not _MISSING and not isinstance(state, dict):
            envelope.add("bad_message")
            why.append("state is not an object")
        if patch is not _MISSING and not isinstance(patch, dict):
            envelope.add("bad_message")
            why.append("patch is not an object")
        if isinstance(patch, dict) and patch:
            if type(base) is not int or base < 0 or base > rev_bounds[1]:
                envelope.add("bad_message")
                why.append(f"bad base {str(base)[:30]}")
            elif base > rev_bounds[0]:
                optional.add("bad_message")
        elif base is not _MISSING and (type(base) is not int or base < 0):
            optional.add("bad_message")
        if isinstance(state, dict) and isinstance(patch, dict) and set(state) & set(patch):
            envelope.add("bad_message")
            why.append("a key in both state and patch")
        framing, _extra = insert_buffers(data, buffers, extra_allowed=False)
        if framing:
            envelope |= framing
            why.append("buffer framing")
        state = data.get("state", {})
        patch = data.get("patch", {})
        names = [*state, *patch] if isinstance(state, dict) and isinstance(patch, dict) else []
        if any(not encodable(k) for k in names):
            envelope |= {"bad_message", "unknown_key", "validation"}
            why.append("a key that is not UTF-8")
        if envelope:
            return [_refused(envelope | optional, "; ".join(why), ack)]
        keys: dict[str, KeyExpect] = {}
        alternatives: list[Outcome] = []
        for key, value in state.items():
            keys[key] = self._state_key(key, value)
        for key, ops in patch.items():
            if not isinstance(ops, list):
                alternatives.append(_refused({"bad_message"}, f"patch of {key!r} is not a list", ack))
            keys[key] = patch_expect(key, model.values.get(key), ops, stale(key, base), self.live)
        outcome = Outcome(keys=keys, ack=ack, why="per key")
        if optional:
            alternatives.append(_refused(optional, "base ahead of what the browser has seen", ack))
        return [outcome, *alternatives]

    def _state_key(self, key: str, value: Any) -> KeyExpect:
        verdict = value_expect(key, value, self.live) if key in SYNC_KEYS else KeyExpect()
        extra = set(verdict.refuse) if not verdict.may_accept else set()
        if key not in SYNC_KEYS:
            value_ok = clean(value) and not isinstance(value, Blob)
            return KeyExpect(frozenset({"unknown_key"} | (set() if value_ok else {"validation"})), why="unknown key")
        if key in READ_ONLY:
            return KeyExpect(frozenset({"read_only"} | extra), why="read-only key")
        return verdict

    def _custom(self, data: dict[str, Any], buffers: list[bytes]) -> Expect:
        framing, extra = insert_buffers(data, buffers, extra_allowed=True)
        if framing:
            return Expect("custom", [_refused(framing, "buffer framing")])
        content = data.get("content")
        if isinstance(content, dict) and "raise" in content:
            return Expect("custom", [Outcome(why="the handler raises")], handler_error=True)
        return Expect("custom", [Outcome(why="echoed")], echo={"echo": content}, echo_buffers=extra)

    def _request_state(self, model: ModelContext, data: dict[str, Any], buffers: list[bytes]) -> Expect:
        client = data.get("client", _MISSING)
        expect = Expect("request_state", [Outcome(why="a state snapshot")], wants_state=True)
        if client is _MISSING:
            return expect
        if not isinstance(client, str) or CLIENT.fullmatch(client) is None:
            expect.outcomes.append(_refused({"bad_message"}, "bad client id"))
            return expect
        record = model.clients.get(client)
        if record is not None and record.acked:
            expect.state_ack = (client, record.applied, record.acked)
        return expect

    # --- after the answer -------------------------------------------------------------------

    def settle(self, model: ModelContext, expect: Expect, outcome: Outcome, session: str, accepted: set[str]) -> None:
        """Record what the kernel did (the matched outcome; `accepted` the keys it took)."""
        if outcome.ack is not None:
            client, seq = outcome.ack
            record = model.clients.setdefault(client, ClientRecord(session))
            record.acked = max(record.acked, seq)
            if not outcome.envelope:
                record.applied = max(record.applied, seq)
        for key in accepted:
            model.values[key] = rfc6902.json_copy(outcome.keys[key].value)

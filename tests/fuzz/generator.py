"""Seeded cases of browser→kernel messages: valid ones, mutations of valid ones, and hostile ones.

Every hostile template names the finding of issue 8 it replays. The generator only decides what
to send; what the kernel must do with it is the oracle's business (it never trusts the label).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import rfc6902
from .oracle import MAX_SEQ, PROTOCOL, REFERENCE_PREFIX
from .wire import Raw

PATCHABLE = ("li", "lf", "ld", "d")
SCALARS = ("i", "f", "s", "b", "tro", "v")
WRITABLE = ("i", "f", "s", "b", "li", "lf", "ld", "d", "tro", "v", "a", "child")
STRINGS = [
    "",
    "a",
    "hello",
    "h\u00e9llo",
    "\U0001f600",
    "a/b",
    "~",
    "~1",
    "line\nbreak",
    "\u0000",
    "\u00fc\u00fc",
    "IPY",
]
KEYS = ["a", "b", "x", "", "/", "~", "~0", "a~1b", "-", "0", "01", "\u0661", "\uff11", "$ref", "\u00e9", "k"]
BAD_VALUES: list[Any] = [
    True,
    False,
    None,
    "x",
    3.5,
    3.0,
    [],
    {},
    [True],
    ["1"],
    [1.5],
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1e999"),
    "a\ud800b",
    {"\udc00": 1},
    2**64,
    -0.0,
    [1, Raw("NaN")],
    {"n": Raw("Infinity")},
]
UNKNOWN_KEYS = ["nope", "hidden", "_sync", "keys", "__class__", "model_id", "comm", "send", "traits", "_trait_values"]
BAD_CLIENTS: list[Any] = ["", "x" * 65, "a b", "\u00e9t\u00e9", "c\n", 5, None, ["c"], "x" * 65536, "a\ud800"]
BAD_SEQS: list[Any] = [0, -1, MAX_SEQ + 1, 2**64, 1.5, 3.0, "7", True, None, [1]]
BAD_VERSIONS: list[Any] = [
    "1.0",
    "3.0",
    "10.0",
    "2",
    "2.0.1",
    "v2.0",
    "2.0\n",
    " 2.0",
    "\u0662.\u0660",
    "2.x",
    "",
    2.0,
    None,
]
BAD_METHODS: list[Any] = ["updat", "UPDATE", "open", "state", "error", "close", "create", "", 5, None, ["update"]]
BAD_POINTERS: list[Any] = ["/\u0661", "/\uff11", "/01", "/~2", "/a~", "/-", "a", "/999", 5, None, ["0"], True, {"p": 1}]


class World(Protocol):
    """What the generator may know: what a browser would know."""

    main_client: str

    def names(self) -> list[str]: ...

    def value(self, name: str, key: str) -> Any: ...

    def rev(self, name: str) -> int: ...

    def model_id(self, name: str) -> str: ...

    def next_seq(self) -> int: ...

    def last_applied(self, name: str, client: str) -> int: ...


@dataclass
class Step:
    model: str
    data: Any = None
    buffers: list[bytes] = field(default_factory=list)
    session: str = "main"  # "other": a second Jupyter session (another tab) sends it
    pipelined: bool = False  # sent right after the previous step, without waiting for its answer
    probe_set: dict[str, Any] | None = None  # a kernel-side assignment through the probe comm
    await_error: str | None = None  # first wait until the view has an error of this kind
    note: str = ""


@dataclass
class Case:
    number: int
    kind: str
    steps: list[Step]
    settle: float = 0.0  # wait this long before reading back (a trailing flush is due)


def envelope(method: str, **fields: Any) -> dict[str, Any]:
    return {"protocol": PROTOCOL, "method": method, **fields}


class Generator:
    def __init__(self, seed: int, world: World) -> None:
        self.rng = random.Random(seed)
        self.world = world
        self.forged: dict[str, list[tuple[str, int]]] = {}  # model -> [(client, last seq)] of the main session
        self.other: dict[str, list[tuple[str, int]]] = {}  # model -> clients of the other session
        self.fresh_clients = 0
        self.hostile: list[tuple[str, Callable[[str], list[Step]]]] = [
            ("lost_update", self.h_lost_update),
            ("non_finite", self.h_non_finite),
            ("bool_as_number", self.h_bool_as_number),
            ("bytes_into_text", self.h_bytes_into_text),
            ("lone_surrogate", self.h_lone_surrogate),
            ("pointer_tokens", self.h_pointer_tokens),
            ("non_string_path", self.h_non_string_path),
            ("base", self.h_base),
            ("state_and_patch", self.h_state_and_patch),
            ("bad_base_keeps_state", self.h_bad_base_keeps_state),
            ("buffers", self.h_buffers),
            ("client_seq", self.h_client_seq),
            ("other_session", self.h_other_session),
            ("copy_bomb", self.h_copy_bomb),
            ("many_ops", self.h_many_ops),
            ("megabyte", self.h_megabyte),
            ("version", self.h_version),
            ("method", self.h_method),
            ("not_an_object", self.h_not_an_object),
            ("unknown_and_read_only", self.h_unknown_and_read_only),
            ("in_flight", self.h_in_flight),
            ("unsendable", self.h_unsendable),
        ]

    # --- cases ------------------------------------------------------------------------------

    def case(self, number: int) -> Case:
        rng = self.rng
        name = rng.choice(self.world.names())
        reset = self._reset(name)
        if reset is not None:
            return Case(number, "reset", [reset])
        roll = rng.random()
        if roll < 0.38:
            return Case(number, "valid", [self.valid_update(name)])
        if roll < 0.66:
            return Case(number, "mutated", [self.mutate(self.valid_update(name))])
        if roll < 0.72:
            return Case(number, "custom", [self.custom(name)])
        if roll < 0.75:
            return Case(number, "request_state", [self.request_state(name)])
        label, template = rng.choice(self.hostile)
        steps = template(name)
        settle = 0.05 if any(s.probe_set is not None for s in steps) else 0.0
        return Case(number, f"hostile:{label}", steps, settle)

    def _reset(self, name: str) -> Step | None:
        """A whole small value for a key grown large, so the state stays cheap to read back."""
        for key in ("li", "lf", "ld", "d", "s"):
            value = self.world.value(name, key)
            size = len(value) if isinstance(value, str) else rfc6902.count_nodes(value)
            if size > 400:
                return self.update(name, state={key: self.valid_value(key, name)}, note=f"reset {key}")
        return None

    def update(self, name: str, **fields: Any) -> Step:
        note = fields.pop("note", "")
        data = envelope("update", client=self.world.main_client, seq=self.world.next_seq(), **fields)
        return Step(name, data, note=note)

    # --- values -----------------------------------------------------------------------------

    def rand_int(self) -> int:
        return self.rng.choice([0, 1, -1, 2, 7, 42, -100, 2**31, 2**53 - 1, -(2**53), self.rng.randint(-1000, 1000)])

    def rand_float(self) -> float:
        return self.rng.choice([0.0, -0.0, 0.5, 1e-300, 1.5e300, -2.25, self.rng.uniform(-1e6, 1e6)])

    def rand_str(self) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            return rng.choice(STRINGS)
        return "".join(rng.choice("abc/~01 \u00e9\u4e2d") for _ in range(rng.randint(1, 12)))

    def rand_json(self, depth: int = 0) -> Any:
        rng = self.rng
        roll = rng.random()
        if depth > 3 or roll < 0.55:
            return rng.choice([None, True, False, self.rand_int(), self.rand_float(), self.rand_str(), self.rand_str()])
        if roll < 0.78:
            return [self.rand_json(depth + 1) for _ in range(rng.randint(0, 4))]
        return {rng.choice(KEYS): self.rand_json(depth + 1) for _ in range(rng.randint(0, 4))}

    def element(self, key: str, depth: int) -> Any:
        """A valid value at `depth` inside trait `key` (0: an element of the list, or a member)."""
        if key == "li" and depth == 0:
            return self.rand_int()
        if key == "lf" and depth == 0:
            return self.rng.choice([self.rand_float(), self.rand_int()])
        if key == "ld" and depth == 0:
            return {self.rng.choice(KEYS): self.rand_json(2) for _ in range(self.rng.randint(0, 3))}
        return self.rand_json(depth + 1)

    def valid_value(self, key: str, name: str) -> Any:
        rng = self.rng
        if key in ("i", "tro"):
            return self.rand_int()
        if key == "v":
            return rng.choice([0, 2, 4, 100, -4, -2])  # negatives are clamped to 0 by the validator
        if key == "f":
            return rng.choice([self.rand_float(), self.rand_int()])
        if key == "s":
            return self.rand_str()
        if key == "b":
            return rng.choice([True, False])
        if key in ("li", "lf", "ld"):
            return [self.element(key, 0) for _ in range(rng.randint(0, 6))]
        if key == "d":
            return {rng.choice(KEYS): self.rand_json(1) for _ in range(rng.randint(0, 5))}
        if key == "child":
            others = [n for n in self.world.names() if n != name]
            return None if rng.random() < 0.3 else REFERENCE_PREFIX + self.world.model_id(rng.choice(others))
        raise AssertionError(key)

    def binary(self) -> tuple[dict[str, Any], bytes]:
        rng = self.rng
        if rng.random() < 0.5:
            return {"$binary": "bytes"}, bytes(rng.randrange(256) for _ in range(rng.randint(0, 16)))
        dtype, size = rng.choice([("float64", 8), ("int32", 4), ("uint8", 1), ("bool", 1), ("int16", 2)])
        shape = rng.choice([[3], [2, 2], [0], [1, 3]])
        count = 1
        for n in shape:
            count *= n
        data = bytes(rng.randrange(2) if dtype == "bool" else rng.randrange(256) for _ in range(count * size))
        return {"$binary": "ndarray", "dtype": dtype, "shape": shape}, data

    # --- patches ----------------------------------------------------------------------------

    def _containers(self, value: Any, key: str) -> list[tuple[list[str], Any, int]]:
        """(tokens, container, depth) of every list/dict in `value` (depth 0: the value itself)."""
        found: list[tuple[list[str], Any, int]] = []
        stack: list[tuple[list[str], Any, int]] = [([], value, 0)]
        while stack:
            tokens, node, depth = stack.pop()
            if isinstance(node, (list, dict)):
                found.append((tokens, node, depth))
                items = node.items() if isinstance(node, dict) else enumerate(node)
                stack.extend(([*tokens, str(k)], v, depth + 1) for k, v in items)
        if key in ("li", "lf"):
            return [f for f in found if f[2] == 0]
        return found

    def valid_ops(self, key: str, value: Any) -> list[dict[str, Any]]:
        rng = self.rng
        if not isinstance(value, (list, dict)):
            ops: list[dict[str, Any]] = []
            if rng.random() < 0.3:
                ops.append({"op": "test", "path": "", "value": value})
            ops.append({"op": "replace", "path": "", "value": self.valid_value(key, "m0")})
            return ops
        doc = rfc6902.json_copy(value)
        ops = []
        for _ in range(rng.randint(1, 5)):
            op = self._one_op(key, doc)
            if op is None:
                continue
            try:
                doc, _ = rfc6902.apply_patch(doc, [op])
            except rfc6902.PatchFailure:
                continue
            ops.append(op)
        return ops or [{"op": "test", "path": "", "value": value}]

    def _one_op(self, key: str, doc: Any) -> dict[str, Any] | None:
        rng = self.rng
        containers = self._containers(doc, key)
        tokens, node, depth = rng.choice(containers)
        where = "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)
        members = list(node) if isinstance(node, dict) else list(range(len(node)))
        kind = rng.choice(["add", "add", "remove", "replace", "move", "copy", "test"])
        if not members:
            kind = "add"
        if isinstance(node, dict):
            new = rng.choice(KEYS) if rng.random() < 0.8 else f"k{rng.randrange(100)}"
            at = str(rng.choice(members)) if members else new
        else:
            new = rng.choice([str(rng.randint(0, len(node))), "-"])
            at = str(rng.randrange(len(node))) if members else "0"

        def ptr(token: str) -> str:
            return where + "/" + token.replace("~", "~0").replace("/", "~1")

        if kind == "add":
            return {"op": "add", "path": ptr(new), "value": self.element(key, depth)}
        if kind == "remove":
            return {"op": "remove", "path": ptr(at)}
        if kind == "replace":
            return {"op": "replace", "path": ptr(at), "value": self.element(key, depth)}
        if kind == "test":
            member = node[at] if isinstance(node, dict) else node[int(at)]
            return {"op": "test", "path": ptr(at), "value": rfc6902.json_copy(member)}
        # move / copy within the same container keeps the element types right
        return {"op": kind, "from": ptr(at), "path": ptr(new)}

    # --- messages ---------------------------------------------------------------------------

    def valid_update(self, name: str) -> Step:
        rng = self.rng
        keys = rng.sample(WRITABLE, rng.choice([1, 1, 1, 2, 3]))
        state: dict[str, Any] = {}
        patch: dict[str, Any] = {}
        buffers: list[bytes] = []
        paths: list[list[Any]] = []
        for key in keys:
            if key == "a":
                placeholder, data = self.binary()
                state[key] = placeholder
                paths.append(["state", key])
                buffers.append(data)
            elif (key in PATCHABLE and rng.random() < 0.6) or (key in SCALARS and rng.random() < 0.1):
                patch[key] = self.valid_ops(key, self.world.value(name, key))
            else:
                state[key] = self.valid_value(key, name)
        fields: dict[str, Any] = {}
        if state:
            fields["state"] = state
        if patch:
            fields["patch"] = patch
            fields["base"] = self.world.rev(name)
        if paths:
            fields["buffer_paths"] = paths
        step = self.update(name, **fields)
        step.buffers = buffers
        return step

    def mutate(self, step: Step) -> Step:
        rng = self.rng
        data = step.data
        for _ in range(rng.choice([1, 1, 2])):
            roll = rng.random()
            state = data.get("state") if isinstance(data.get("state"), dict) else None
            patch = data.get("patch") if isinstance(data.get("patch"), dict) else None
            if roll < 0.3 and state:
                key = rng.choice(list(state))
                state[key] = rng.choice([*BAD_VALUES, self.rand_json()])
                step.note += f" bad value for {key}"
            elif roll < 0.4 and state:
                key = rng.choice(list(state))
                state[rng.choice([*UNKNOWN_KEYS, "ro"])] = state.pop(key)
                step.note += f" renamed {key}"
                if key == "a":
                    data.pop("buffer_paths", None)
                    step.buffers = []
            elif roll < 0.7 and patch:
                key = rng.choice(list(patch))
                patch[key] = self._mutate_ops(patch[key])
                step.note += f" mutated ops of {key}"
            elif roll < 0.77 and patch and type(data.get("base")) is int:
                data["base"] = rng.choice([data["base"] - 1, data["base"] - 3, 0, data["base"] + 1])
                step.note += " moved base"
            elif roll < 0.82:
                data["seq"] = rng.choice(BAD_SEQS)
                step.note += " bad seq"
            elif roll < 0.86:
                data["client"] = rng.choice(BAD_CLIENTS)
                step.note += " bad client"
            elif roll < 0.9:
                dropped = rng.choice(["client", "seq", "protocol", "method", "state", "patch", "base", "buffer_paths"])
                data.pop(dropped, None)
                step.note += f" dropped {dropped}"
                if dropped == "buffer_paths" and rng.random() < 0.5:
                    step.buffers = []
            elif roll < 0.94:
                data[rng.choice(["extra", "rev", "ack", "errors"])] = self.rand_json()
                step.note += " extra field"
            elif roll < 0.97:
                step.buffers = [*step.buffers, b"extra"]
                step.note += " extra buffer"
            elif isinstance(data.setdefault("state", {}), dict):
                key = rng.choice(WRITABLE)
                data["state"][key] = 5 if key == "a" else self.valid_value(key, step.model)
                step.note += f" also state {key}"
        return step

    def _mutate_ops(self, ops: Any) -> Any:
        rng = self.rng
        ops = rfc6902.json_copy(ops)
        roll = rng.random()
        if not isinstance(ops, list) or not ops or roll < 0.05:
            return rng.choice([{"op": "add", "path": "/0", "value": 1}, "ops", None, 5, []])
        op = rng.choice(ops)
        if not isinstance(op, dict):
            return [*ops, {"op": "remove", "path": "/0"}]
        if roll < 0.2:
            op["op"] = rng.choice(["ad", "ADD", "delete", 5, None, ["add"]])
        elif roll < 0.5:
            op["path"] = rng.choice([*BAD_POINTERS, str(op.get("path")) + "/9", str(op.get("path")) + "/x"])
        elif roll < 0.6:
            op.pop(rng.choice(["value", "path", "from", "op"]), None)
        elif roll < 0.7:
            op["from"] = rng.choice(BAD_POINTERS)
        elif roll < 0.8:
            op["value"] = rng.choice(BAD_VALUES)
        elif roll < 0.9:
            ops.append({"op": "test", "path": "", "value": self.rand_json()})
        else:
            ops.insert(rng.randrange(len(ops) + 1), rng.choice([5, "op", None, [], {}]))
        return ops

    def custom(self, name: str) -> Step:
        rng = self.rng
        content: Any = rng.choice([self.rand_json(), {"n": [1, 2]}, "text", None, {"raise": True}])
        buffers = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 8))) for _ in range(rng.randint(0, 2))]
        data = envelope("custom", content=content, buffer_paths=[])
        roll = rng.random()
        if roll < 0.2:
            placeholder, blob = self.binary()
            data["content"] = {"blob": placeholder, "n": 1}
            data["buffer_paths"] = [["content", "blob"]]
            buffers.insert(0, blob)
        elif roll < 0.3:
            data["buffer_paths"] = rng.choice([[["content", "nope"]], [["content", -1]], [[]], "x", [["content"]] * 3])
        return Step(name, data, buffers, note="custom")

    def request_state(self, name: str) -> Step:
        rng = self.rng
        client: Any = self.world.main_client
        if rng.random() < 0.2:
            forged = self.forged.get(name) or [(self.world.main_client, 0)]
            client = rng.choice(forged)[0]
        data = envelope("request_state", client=client)
        if rng.random() < 0.2:
            data.pop("client")
        return Step(name, data, note="request_state")

    # --- hostile (one per finding of issue 8) ----------------------------------------------

    def _patch_step(self, name: str, key: str, ops: Any, **extra: Any) -> Step:
        return self.update(name, patch={key: ops}, base=self.world.rev(name), **extra)

    def h_lost_update(self, name: str) -> list[Step]:
        """1: a kernel change still in the rate-limit window, then a browser patch on that key."""
        key = self.rng.choice(["li", "d"])
        current = self.world.value(name, key)
        kernel_value: Any = [7, 8, 9, len(current)] if key == "li" else {"kernel": len(current)}
        values = {"i": self.world.value(name, "i") + 1, key: kernel_value}
        probe = Step(name, probe_set={"values": json.dumps(values), "hold": False}, note="kernel sets i and " + key)
        ops = self.valid_ops(key, current)
        patch = self._patch_step(name, key, ops)
        patch.pipelined = True
        patch.note = f"browser patch on {key} at the base it has"
        return [probe, patch]

    def h_non_finite(self, name: str) -> list[Step]:
        """2: NaN, Infinity, 1e999 into a Float, a Dict, a List of floats, a list of dicts."""
        rng = self.rng
        bad = Raw(rng.choice(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1E400"]))
        key = rng.choice(["f", "d", "lf", "ld", "i"])
        value: Any = {"f": bad, "i": bad, "d": {"x": bad}, "lf": [1.0, bad], "ld": [{"y": [bad]}]}[key]
        if rng.random() < 0.5 or key in ("f", "i"):
            return [self.update(name, state={key: value}, note=f"{bad.text} into {key}")]
        current = self.world.value(name, key)
        path = "/x" if key == "d" else f"/{len(current)}"
        return [self._patch_step(name, key, [{"op": "add", "path": path, "value": bad}], note=f"{bad.text} by patch")]

    def h_bool_as_number(self, name: str) -> list[Step]:
        """2: booleans into Int, Float, List(Int), List(Float) and the validated Int."""
        rng = self.rng
        key = rng.choice(["i", "f", "li", "lf", "v", "tro"])
        flag = rng.choice([True, False])
        value: Any = [1, flag] if key in ("li", "lf") else flag
        if key in ("li", "lf") and rng.random() < 0.5:
            return [self._patch_step(name, key, [{"op": "add", "path": "/-", "value": flag}], note="bool by patch")]
        return [self.update(name, state={key: value}, note=f"bool into {key}")]

    def h_bytes_into_text(self, name: str) -> list[Step]:
        """2: a binary buffer into the Unicode trait (and into an Int)."""
        key = self.rng.choice(["s", "s", "i", "d"])
        step = self.update(
            name, state={key: {"$binary": "bytes"}}, buffer_paths=[["state", key]], note=f"bytes into {key}"
        )
        step.buffers = [b"abc"]
        return [step]

    def h_lone_surrogate(self, name: str) -> list[Step]:
        """3: lone surrogates in text, in a dict key, in a dict value, in a list of dicts, in a key name."""
        rng = self.rng
        bad = rng.choice(["a\ud800b", "\udfff", "x\udc00"])
        roll = rng.randrange(5)
        if roll == 0:
            return [self.update(name, state={"s": bad}, note="lone surrogate into s")]
        if roll == 1:
            return [self.update(name, state={"d": {bad: 1}}, note="lone surrogate dict key")]
        if roll == 2:
            return [self.update(name, state={"ld": [{"k": bad}]}, note="lone surrogate in ld")]
        if roll == 3:
            return [self._patch_step(name, "d", [{"op": "add", "path": "/" + bad, "value": 1}], note="surrogate path")]
        return [self.update(name, state={bad: 1}, note="lone surrogate key name")]

    def h_pointer_tokens(self, name: str) -> list[Step]:
        """4: Arabic-Indic and fullwidth digits, `/01`, `~2`, a trailing `~` against lists and dicts."""
        rng = self.rng
        key = rng.choice(["li", "ld", "d"])
        token = rng.choice(["\u0661", "\uff11", "01", "~2", "a~", "~", " 0", "+0", "0x0", "-"])
        op = rng.choice(["add", "replace", "remove", "test"])
        body: dict[str, Any] = {"op": op, "path": "/" + token}
        if op != "remove":
            body["value"] = 1 if key == "li" else {}
        if key == "ld" and rng.random() < 0.5 and self.world.value(name, "ld"):
            body["path"] = "/" + token + "/x"
        return [self._patch_step(name, key, [body], note=f"pointer token {token!r}")]

    def h_non_string_path(self, name: str) -> list[Step]:
        """4: non-string `path`/`from`, ops that are not objects or have no known op."""
        rng = self.rng
        key = rng.choice(["li", "d", "ld"])
        bad = rng.choice([5, None, ["0"], True, {"p": "/0"}, 1.5])
        ops: Any = rng.choice(
            [
                [{"op": "add", "path": bad, "value": 1}],
                [{"op": "copy", "from": bad, "path": "/0"}],
                [{"op": "move", "from": bad, "path": "/0"}],
                [bad],
                [{"op": bad, "path": "/0", "value": 1}],
                [{"path": "/0", "value": 1}],
            ]
        )
        return [self._patch_step(name, key, ops, note=f"non-string pointer {bad!r}")]

    def h_base(self, name: str) -> list[Step]:
        """4: a base from the future, negative, or not an integer."""
        rev = self.world.rev(name)
        base = self.rng.choice([rev + 1, rev + 1000, -1, 2**60, 3.0 + rev, str(rev), True, None, [rev]])
        ops = self.valid_ops("li", self.world.value(name, "li"))
        return [self.update(name, patch={"li": ops}, base=base, note=f"base {base!r} at rev {rev}")]

    def h_state_and_patch(self, name: str) -> list[Step]:
        """4: the same key in `state` and `patch`."""
        key = self.rng.choice(["li", "d"])
        ops = self.valid_ops(key, self.world.value(name, key))
        state = {key: self.valid_value(key, name), "i": self.rand_int()}
        return [self.update(name, state=state, patch={key: ops}, base=self.world.rev(name), note="key in both")]

    def h_bad_base_keeps_state(self, name: str) -> list[Step]:
        """4: a bad base must not let the `state` keys through."""
        base = self.rng.choice([1.5, "0", None, -3])
        state = {"i": self.rand_int(), "s": self.rand_str()}
        ops = self.valid_ops("li", self.world.value(name, "li"))
        return [self.update(name, state=state, patch={"li": ops}, base=base, note="bad base with state keys")]

    def h_buffers(self, name: str) -> list[Step]:
        """5: extra buffers, negative or bool indexes, placeholders without a path, paths to nothing."""
        rng = self.rng
        placeholder, blob = self.binary()
        roll = rng.randrange(8)
        state: dict[str, Any] = {"a": placeholder, "i": 1}
        paths: Any = [["state", "a"]]
        buffers = [blob]
        if roll == 0:
            buffers.append(b"extra")
        elif roll == 1:
            state = {"ld": [{"x": placeholder}], "i": 1}
            paths = [["state", "ld", -1, "x"]]
        elif roll == 2:
            state = {"ld": [{"x": placeholder}], "i": 1}
            paths = [["state", "ld", False, "x"]]
        elif roll == 3:
            paths = []
            buffers = []
        elif roll == 4:
            paths = [["state", "i"]]
        elif roll == 5:
            buffers = []
        elif roll == 6:
            state["a"] = {"$binary": "ndarray", "dtype": "float64", "shape": [5]}
            buffers = [b"\x00" * 8]
        else:
            state["a"] = {"$binary": rng.choice(["blob", None, 5])}
        step = self.update(name, state=state, buffer_paths=paths, note=f"buffer framing {roll}")
        step.buffers = buffers
        return [step]

    def _fresh_client(self) -> str:
        self.fresh_clients += 1
        return uuid.UUID(int=self.rng.getrandbits(128)).hex[:20] + f"-f{self.fresh_clients}"

    def h_client_seq(self, name: str) -> list[Step]:
        """6: forged and oversized client ids and seqs; a repeated seq; a valid seq far ahead."""
        rng = self.rng
        roll = rng.randrange(5)
        state = {"i": self.rand_int()}
        if roll == 0:
            data = envelope("update", client=rng.choice(BAD_CLIENTS), seq=self.world.next_seq(), state=state)
            return [Step(name, data, note="bad client id")]
        if roll == 1:
            data = envelope("update", client=self._fresh_client(), seq=rng.choice(BAD_SEQS), state=state)
            return [Step(name, data, note="bad seq")]
        if roll == 2:
            last = self.world.last_applied(name, self.world.main_client)
            if last == 0:
                return [self.update(name, state=state, note="first write")]
            data = envelope("update", client=self.world.main_client, seq=last, state=state)
            return [Step(name, data, note=f"repeated seq {last}")]
        forged = self.forged.setdefault(name, [])
        if (roll == 3 and len(forged) < 150) or not forged:
            client = (
                "x" * 64 if rng.random() < 0.2 and not any(c == "x" * 64 for c, _ in forged) else self._fresh_client()
            )
            seq = rng.choice([MAX_SEQ, MAX_SEQ - 1, 1, 10**12])
            forged.append((client, seq))
            data = envelope("update", client=client, seq=seq, state=state)
            return [Step(name, data, note=f"a new client far ahead: seq {seq}")]
        index = rng.randrange(len(forged))
        client, last = forged[index]
        seq = rng.choice([last, last - 1, last + 1, MAX_SEQ]) if last < MAX_SEQ else rng.choice([last, 5])
        if seq > last:
            forged[index] = (client, seq)
        data = envelope("update", client=client, seq=seq, state=state)
        return [Step(name, data, note=f"forged client after seq {last}: seq {seq}")]

    def h_other_session(self, name: str) -> list[Step]:
        """6/10: another Jupyter session using this browser's client id (a forged ack)."""
        rng = self.rng
        if self.world.last_applied(name, self.world.main_client) == 0:
            return [self.update(name, state={"i": self.rand_int()}, note="first write")]
        if rng.random() < 0.6:
            data = envelope("update", client=self.world.main_client, seq=MAX_SEQ - 1, state={"i": 5})
            return [Step(name, data, session="other", note="other session, main client, seq far ahead")]
        others = self.other.setdefault(name, [])
        if not others or rng.random() < 0.3:
            client = self._fresh_client()
            others.append((client, 1))
            data = envelope("update", client=client, seq=1, state={"b": rng.choice([True, False])})
            return [Step(name, data, session="other", note="other session's own client")]
        client, last = rng.choice(others)
        data = envelope("update", client=client, seq=last + 1000, state={"i": 3})
        return [Step(name, data, session="main", note="main session using the other session's client")]

    def h_copy_bomb(self, name: str) -> list[Step]:
        """7: `copy` ops doubling a Dict (18 ops, under 1 kB of JSON); and a copy well under the limit."""
        rng = self.rng
        if rng.random() < 0.7:
            ops = [{"op": "add", "path": "/a", "value": list(range(8))}]
            ops += [{"op": "copy", "from": "", "path": f"/x{n}"} for n in range(rng.choice([14, 18, 22]))]
            return [self.update(name, state={}, patch={"d": ops}, base=self.world.rev(name), note="copy bomb")]
        ops = [{"op": "add", "path": "/a", "value": list(range(8))}]
        ops += [{"op": "copy", "from": "/a", "path": f"/c{n}"} for n in range(rng.randint(1, 20))]
        return [self._patch_step(name, "d", ops, note="small copies")]

    def h_many_ops(self, name: str) -> list[Step]:
        """7: exactly MAX_PATCH_OPS operations (fine) and one more (bad_patch)."""
        count = self.rng.choice([rfc6902.MAX_PATCH_OPS, rfc6902.MAX_PATCH_OPS + 1, 20000])
        pair = [{"op": "add", "path": "/0", "value": 1}, {"op": "remove", "path": "/0"}]
        ops = pair * (count // 2) + [{"op": "add", "path": "/-", "value": 5}] * (count % 2)
        return [self._patch_step(name, "li", ops, note=f"{count} ops")]

    def h_megabyte(self, name: str) -> list[Step]:
        """8: a 1 MB string refused (its error must not echo it), and one stored into text."""
        big = "\u00e9" * 500_000 if self.rng.random() < 0.5 else "x" * 1_000_000
        key = self.rng.choice(["i", "li", "nope", "ro", "s", "v"])
        value: Any = [big] if key == "li" else big
        return [self.update(name, state={key: value}, note=f"1 MB string into {key}")]

    def h_version(self, name: str) -> list[Step]:
        """8: versions other than <major>.<minor>, and other majors."""
        version = self.rng.choice([*BAD_VERSIONS, "2.1", "2.99"])
        method = self.rng.choice(["update", "request_state", "custom"])
        data: dict[str, Any] = envelope(method, client=self.world.main_client, seq=self.world.next_seq())
        if method == "update":
            data["state"] = {"i": self.rand_int()}
        if method == "custom":
            data["content"] = {"v": 1}
        data["protocol"] = version
        return [Step(name, data, note=f"version {version!r}")]

    def h_method(self, name: str) -> list[Step]:
        data = envelope(self.rng.choice(BAD_METHODS), state={"i": 1}, client=self.world.main_client, seq=1)
        if self.rng.random() < 0.2:
            data.pop("method")
        return [Step(name, data, note="unknown method")]

    def h_not_an_object(self, name: str) -> list[Step]:
        data = self.rng.choice([[], ["update"], "update", 5, None, True, 1.5])
        return [Step(name, data, note="data is not an object")]

    def h_unknown_and_read_only(self, name: str) -> list[Step]:
        state = {self.rng.choice(UNKNOWN_KEYS): 1, "ro": self.rand_int(), "tro": self.rand_int(), "i": self.rand_int()}
        return [self.update(name, state=state, note="unknown, read-only, traitlets-read-only keys")]

    def h_in_flight(self, name: str) -> list[Step]:
        """Two updates in flight: the second patches at the base the browser had before the first's answer."""
        key = self.rng.choice(["li", "d", "ld"])
        first = self.update(name, state={key: self.valid_value(key, name)}, note=f"state {key}")
        ops = self.valid_ops(key, self.world.value(name, key))
        second = self._patch_step(name, key, ops, note=f"patch {key} at the old base")
        second.pipelined = True
        return [first, second]

    def h_unsendable(self, name: str) -> list[Step]:
        """3/8/9: a lone surrogate set from Python: reported as unsendable, the other keys still go."""
        hold = self.rng.random() < 0.5
        values = json.dumps({"i": self.world.value(name, "i") + 1, "s": "bad\ud800"})
        bad = Step(name, probe_set={"values": values, "hold": hold, "unsendable": "s"}, note=f"unsendable, hold={hold}")
        fix = Step(name, probe_set={"values": json.dumps({"s": "fixed"}), "hold": False}, note="fix s")
        fix.await_error = "unsendable"
        return [bad, fix]

"""A strict JSON Pointer (RFC 6901) and JSON Patch (RFC 6902) applier, written for the oracle.

Independent of widgets/patch.py on purpose: the fuzzer checks the kernel against this one. It also
applies the protocol's limits (docs/protocol.md): at most `MAX_PATCH_OPS` operations, and `copy`
operations creating at most `MAX_COPY_NODES` JSON nodes per patch. Node counts are reported, so the
oracle can tell a patch clearly under the limit from one clearly over it.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_PATCH_OPS = 4096
MAX_COPY_NODES = 65536
# Copies are followed up to this many nodes (beyond it the patch is over any reasonable count).
HARD_STOP_NODES = 2 * MAX_COPY_NODES

_INDEX = re.compile(r"(0|[1-9][0-9]*)")  # ASCII digits only: U+0661 and U+FF11 are not indexes
OPS = ("add", "remove", "replace", "move", "copy", "test")


class PatchFailure(Exception):
    """The patch does not apply (a `bad_patch`)."""


def parse_pointer(pointer: object) -> list[str]:
    """The reference tokens of a JSON Pointer; `~` must be followed by `0` or `1`."""
    if not isinstance(pointer, str):
        raise PatchFailure(f"a pointer must be a string, not {type(pointer).__name__}")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchFailure(f"pointer {pointer[:40]!r} does not start with '/'")
    tokens = []
    for raw in pointer[1:].split("/"):
        out = []
        i = 0
        while i < len(raw):
            char = raw[i]
            if char == "~":
                nxt = raw[i + 1] if i + 1 < len(raw) else ""
                if nxt not in ("0", "1") or nxt == "":
                    raise PatchFailure(f"bad escape in pointer {pointer[:40]!r}")
                out.append("~" if nxt == "0" else "/")
                i += 2
                continue
            out.append(char)
            i += 1
        tokens.append("".join(out))
    return tokens


def is_index(token: str) -> bool:
    return _INDEX.fullmatch(token) is not None


def count_nodes(value: Any, stop: int = HARD_STOP_NODES) -> int:
    """JSON nodes in `value`: every container and every scalar counts one (keys do not)."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        total += 1
        if total > stop:
            return total
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return total


def json_copy(value: Any) -> Any:
    """A deep copy of JSON (several times faster than copy.deepcopy); other leaves are shared."""
    if type(value) is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if type(value) is list:
        return [json_copy(v) for v in value]
    return value


def json_equal(a: Any, b: Any) -> bool:
    """RFC 6902 equality: numbers by value, booleans distinct from numbers, containers deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return not (isinstance(a, float) and math.isnan(a)) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is not type(b):
        return False
    return bool(a == b)


class _Doc:
    def __init__(self, document: Any) -> None:
        self.root = [json_copy(document)]

    def _walk(self, tokens: list[str]) -> Any:
        node: Any = self.root[0]
        for token in tokens:
            if isinstance(node, dict):
                if token not in node:
                    raise PatchFailure(f"no member {token[:40]!r}")
                node = node[token]
            elif isinstance(node, list):
                if not is_index(token) or int(token) >= len(node):
                    raise PatchFailure(f"{token[:40]!r} is not an index of a list of {len(node)}")
                node = node[int(token)]
            else:
                raise PatchFailure(f"cannot descend into a {type(node).__name__}")
        return node

    def get(self, tokens: list[str]) -> Any:
        return self._walk(tokens)

    def add(self, tokens: list[str], value: Any) -> None:
        if not tokens:
            self.root[0] = value
            return
        parent, last = self._walk(tokens[:-1]), tokens[-1]
        if isinstance(parent, dict):
            parent[last] = value
        elif isinstance(parent, list):
            if last == "-":
                parent.append(value)
            elif is_index(last) and int(last) <= len(parent):
                parent.insert(int(last), value)
            else:
                raise PatchFailure(f"{last[:40]!r} is not an insertion index of a list of {len(parent)}")
        else:
            raise PatchFailure(f"cannot add into a {type(parent).__name__}")

    def remove(self, tokens: list[str]) -> Any:
        if not tokens:
            raise PatchFailure("cannot remove the whole document")
        parent, last = self._walk(tokens[:-1]), tokens[-1]
        if isinstance(parent, dict):
            if last not in parent:
                raise PatchFailure(f"no member {last[:40]!r} to remove")
            return parent.pop(last)
        if isinstance(parent, list):
            if not is_index(last) or int(last) >= len(parent):
                raise PatchFailure(f"{last[:40]!r} is not an index of a list of {len(parent)}")
            return parent.pop(int(last))
        raise PatchFailure(f"cannot remove from a {type(parent).__name__}")

    def replace(self, tokens: list[str], value: Any) -> None:
        self._walk(tokens)  # must exist
        if not tokens:
            self.root[0] = value
            return
        parent, last = self._walk(tokens[:-1]), tokens[-1]
        if isinstance(parent, dict):
            parent[last] = value
        else:
            parent[int(last)] = value


def apply_patch(document: Any, ops: object) -> tuple[Any, int]:
    """The patched document (`document` is untouched) and the JSON nodes its `copy` ops created.

    Raises PatchFailure for anything RFC 6902 refuses, for more than MAX_PATCH_OPS operations, and
    for copies beyond HARD_STOP_NODES; the caller compares the count with MAX_COPY_NODES.
    """
    if not isinstance(ops, list):
        raise PatchFailure(f"a patch must be a list, not {type(ops).__name__}")
    if len(ops) > MAX_PATCH_OPS:
        raise PatchFailure(f"{len(ops)} operations, more than {MAX_PATCH_OPS}")
    doc = _Doc(document)
    copied = 0
    for op in ops:
        if not isinstance(op, dict):
            raise PatchFailure(f"an operation must be an object, not {type(op).__name__}")
        name = op.get("op")
        if not isinstance(name, str) or name not in OPS:
            raise PatchFailure(f"unknown operation {str(name)[:40]!r}")
        if "path" not in op:
            raise PatchFailure("an operation needs a 'path'")
        path = parse_pointer(op["path"])
        if name in ("add", "replace", "test") and "value" not in op:
            raise PatchFailure(f"{name!r} needs a 'value'")
        if name == "add":
            doc.add(path, json_copy(op["value"]))
        elif name == "remove":
            doc.remove(path)
        elif name == "replace":
            doc.replace(path, json_copy(op["value"]))
        elif name == "test":
            if not json_equal(doc.get(path), op["value"]):
                raise PatchFailure("test failed")
        else:
            if "from" not in op:
                raise PatchFailure(f"{name!r} needs a 'from'")
            source = parse_pointer(op["from"])
            if name == "move":
                if len(source) < len(path) and path[: len(source)] == source:
                    raise PatchFailure("cannot move a value into itself")
                doc.add(path, doc.remove(source))
            else:
                value = doc.get(source)
                copied += count_nodes(value, HARD_STOP_NODES - copied)
                if copied > HARD_STOP_NODES:
                    raise PatchFailure(f"copies create more than {HARD_STOP_NODES} nodes")
                doc.add(path, json_copy(value))
    return doc.root[0], copied

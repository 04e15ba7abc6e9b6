"""Checks on what the browser sends, made before anything is applied (docs/protocol.md, "Strictness").

Mirrors frontend/src/incoming.ts (which checks the kernel's messages): the envelope of an update
whole, the clients a model has read from, and each value.

JSON as Python decodes it lets through what no browser sends and no trait should store: `NaN`,
`Infinity` and `1e999` (which the kernel could never send back), lone surrogates (which make
every later message about the model fail to encode), `true` where traitlets' Int and Float take
it as 1, and bytes where traitlets' Unicode decodes them as ASCII. Refused here as `validation`.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

from traitlets import Container, Dict, Float, Int, TraitType, Tuple, Unicode

from .buffers import insert_buffers, is_ndarray
from .protocol import MAX_CLIENTS_PER_MODEL, JSONDict, ProtocolError, is_utf8

_INTEGRAL = frozenset([int, bool, type(None)])
_NUMERIC = frozenset([int, float, bool])
_BINARY = (bytes, bytearray, memoryview)


def check_update(data: JSONDict, buffers: list[Any], rev: int) -> tuple[JSONDict, JSONDict, int]:
    """`state`, `patch` and `base` of a browser update whose whole envelope holds (buffers put in place)."""
    state, patch = data.get("state", {}), data.get("patch", {})
    if not isinstance(state, dict) or not isinstance(patch, dict):
        raise ProtocolError("bad_message", "'state' and 'patch' must be objects")
    if not all(map(is_utf8, (*state, *patch))):
        raise ProtocolError("bad_message", "a key is not valid UTF-8 (a lone surrogate)")
    both = set(state) & set(patch)
    if both:
        raise ProtocolError("bad_message", f"keys in both 'state' and 'patch': {sorted(both)}")
    base = data.get("base", 0)
    if not isinstance(base, int) or isinstance(base, bool) or not 0 <= base <= rev:
        raise ProtocolError("bad_message", f"'base' must be an integer revision from 0 to {rev}")
    if patch and "base" not in data:
        raise ProtocolError("bad_message", "a patch needs an integer 'base' revision")
    insert_buffers(data, buffers)
    return state, patch, base


def mentioned_keys(data: JSONDict) -> set[str]:
    """The keys a refused update named (their current values are sent back whole)."""
    state, patch = data.get("state", {}), data.get("patch", {})
    return {*state, *patch} if isinstance(state, dict) and isinstance(patch, dict) else set()


class Clients:
    """The browser clients one model has read from: the session each is bound to, its last seq.

    At most MAX_CLIENTS_PER_MODEL are kept (the oldest forgotten); dropped with the model.
    """

    def __init__(self) -> None:
        self._records: OrderedDict[str, tuple[str | None, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, client: object) -> bool:
        return client in self._records

    def check(self, client: str, session: str | None) -> None:
        """Refuse a client id bound to another session (a forged ack would settle its writes)."""
        record = self._records.get(client)
        if record is not None and record[0] != session:
            raise ProtocolError("bad_message", "this client id belongs to another session")

    def read(self, client: str, seq: int, session: str | None) -> None:
        """Record that `seq` of `client` was read; seqs grow strictly per client."""
        self.check(client, session)
        record = self._records.get(client)
        if record is not None and seq <= record[1]:
            raise ProtocolError("bad_message", f"seq {seq} is not greater than {record[1]}, the last one read")
        self._records[client] = (session, seq)
        self._records.move_to_end(client)
        while len(self._records) > MAX_CLIENTS_PER_MODEL:
            self._records.popitem(last=False)

    def last_seq(self, client: str) -> int | None:
        record = self._records.get(client)
        return None if record is None else record[1]

    def clear(self) -> None:
        self._records.clear()


def json_problem(value: Any) -> str | None:
    """What makes a decoded JSON value unacceptable (non-finite number, text not UTF-8), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            if not math.isfinite(item):
                return f"{item!r} is not a finite number"
        elif kind is str:
            if not is_utf8(item):
                return "a string that is not valid UTF-8 (a lone surrogate)"
        elif kind is list:
            kinds = set(map(type, item))
            if kinds <= _INTEGRAL or (kinds == {str} and all(map(str.isascii, item))):
                continue
            if kinds <= _NUMERIC:
                try:
                    if all(map(math.isfinite, item)):
                        continue
                except OverflowError:  # an integer beyond float range is still an integer
                    pass
            stack.extend(item)
        elif kind is dict:
            for key in item:
                if type(key) is str and not is_utf8(key):
                    return "a dict key that is not valid UTF-8 (a lone surrogate)"
            stack.extend(item.values())
    return None


def _is_binary(value: Any) -> bool:
    return isinstance(value, _BINARY) or is_ndarray(value)


def trait_problem(trait: TraitType[Any, Any] | None, value: Any) -> str | None:
    """A value the trait would wrongly accept: a bool for a number, binary for text (also as elements)."""
    if trait is None:
        return None
    if isinstance(trait, (Int, Float)):
        if type(value) is bool:
            return f"a boolean is not {trait.info()}"
    elif isinstance(trait, Unicode):
        if _is_binary(value):
            return "binary data is not text"
    elif isinstance(trait, Tuple):
        if type(value) in (list, tuple):
            for element, item in zip(trait._traits, value, strict=False):
                problem = trait_problem(element, item)
                if problem:
                    return problem
    elif isinstance(trait, Container):
        if type(value) in (list, tuple):
            return _elements_problem(trait._trait, value)
    elif isinstance(trait, Dict) and type(value) is dict:
        per_key = trait._per_key_traits or {}
        for key, item in value.items():
            problem = trait_problem(per_key.get(key, trait._value_trait), item)
            if problem:
                return problem
    return None


def _elements_problem(element: TraitType[Any, Any] | None, items: list[Any] | tuple[Any, ...]) -> str | None:
    if element is None:
        return None
    if isinstance(element, (Int, Float)):  # the common big case: one pass at C speed
        return f"a boolean is not {element.info()}" if bool in set(map(type, items)) else None
    if isinstance(element, Unicode) and set(map(type, items)) <= {str}:
        return None
    for item in items:
        problem = trait_problem(element, item)
        if problem:
            return problem
    return None


def check_value(key: str, value: Any, trait: TraitType[Any, Any] | None) -> None:
    """Raise `validation` for a value from the browser that no trait may see; `trait` None skips the trait checks."""
    problem = json_problem(value) or trait_problem(trait, value)
    if problem:
        raise ProtocolError("validation", f"'{key}' refused: {problem}", key)

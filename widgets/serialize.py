"""Python values <-> wire JSON: model references and binary placeholders.

Mirrors frontend/src/serialize.ts. `to_json` always builds new containers, so the result can be
kept as the shadow copy that later diffs are computed against. Models are recognized by the
`Referable` base class defined here (widgets.model.Model subclasses it), and references are
resolved by a function the caller passes in: this module knows no model registry.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

from .buffers import Path, encode_binary, is_ndarray
from .protocol import REFERENCE_PREFIX, is_utf8

Binaries = list[tuple[Path, memoryview]]
_PRIMITIVES = frozenset([int, bool, type(None)])
_FAST_LIST = _PRIMITIVES | {float, str}

Resolver = Callable[[str], Any]
"""Model id -> the live model, or None."""


class Referable:
    """Anything with a `model_id` that travels as a reference (`"IPY_MODEL_<model_id>"`)."""

    __slots__ = ()

    @property
    def model_id(self) -> str:
        raise NotImplementedError


def reference(model: Referable) -> str:
    return f"{REFERENCE_PREFIX}{model.model_id}"


def to_json(value: Any) -> tuple[Any, Binaries]:
    """JSON for `value` and the binaries taken out of it (paths relative to `value`)."""
    binaries: Binaries = []
    return _encode(value, [], binaries), binaries


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _text(value: str, path: Path) -> str:
    """A string as it can be sent: ipykernel's session would send a lone surrogate as bytes that
    are not UTF-8 (U+DC80..U+DCFF, by `surrogateescape`) or fail to send the message at all."""
    if not is_utf8(value):
        raise TypeError(
            f"a string that is not valid UTF-8 (a lone surrogate) cannot be sent (at {path or 'top level'})"
        )
    return value


def _encode(value: Any, path: Path, binaries: Binaries) -> Any:
    kind = type(value)
    if kind in _PRIMITIVES:
        return value
    if kind is str:
        return _text(value, path)
    if kind is float:
        return _finite(value)
    if kind is list or kind is tuple:
        kinds = set(map(type, value))
        if kinds <= _FAST_LIST:
            texts = value if kinds == {str} else [v for v in value if type(v) is str] if str in kinds else ()
            if not all(map(str.isascii, texts)) and not all(map(is_utf8, texts)):
                return [_encode(v, [*path, i], binaries) for i, v in enumerate(value)]
            if float in kinds and not all(map(math.isfinite, (v for v in value if type(v) is float))):
                return [_finite(v) if type(v) is float else v for v in value]
            return list(value)
        out = []
        for index, item in enumerate(value):
            path.append(index)
            out.append(_encode(item, path, binaries))
            path.pop()
        return out
    if kind is dict:
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"dict keys must be strings to be sent, got {key!r} at {path}")
            _text(key, path)
            path.append(key)
            result[key] = _encode(item, path, binaries)
            path.pop()
        return result
    if isinstance(value, Referable):
        return reference(value)
    if isinstance(value, (bytes, bytearray, memoryview)) or is_ndarray(value):
        placeholder, buffer = encode_binary(value)
        binaries.append((list(path), buffer))
        return placeholder
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return _encode(value.item(), path, binaries)
    for base in (bool, int, str):  # enums and other subclasses of the JSON types
        if isinstance(value, base):
            return base(value)
    if isinstance(value, float):
        return _finite(float(value))
    if isinstance(value, (list, tuple, dict)):
        return _encode(dict(value) if isinstance(value, dict) else list(value), path, binaries)
    raise TypeError(f"a value of type {kind.__name__} cannot be sent to the browser (at {path or 'top level'})")


def from_json(value: Any, resolve: Resolver) -> Any:
    """Resolve model references inside an incoming value.

    Containers are copied only where a reference was replaced (the input may share structure with
    the shadow state, which must never change).
    """
    kind = type(value)
    if kind is str:
        if value.startswith(REFERENCE_PREFIX):
            model = resolve(value[len(REFERENCE_PREFIX) :])
            if model is not None:
                return model
        return value
    if kind is list:
        kinds = set(map(type, value))
        if str not in kinds and list not in kinds and dict not in kinds:
            return value
        out: list[Any] | None = None
        for index, item in enumerate(value):
            new = from_json(item, resolve)
            if new is not item:
                if out is None:
                    out = list(value)
                out[index] = new
        return value if out is None else out
    if kind is dict:
        result: dict[str, Any] | None = None
        for key, item in value.items():
            new = from_json(item, resolve)
            if new is not item:
                if result is None:
                    result = dict(value)
                result[key] = new
        return value if result is None else result
    return value


def copy_json(value: Any) -> Any:
    """A copy of a JSON value whose lists and dicts are new (binary and scalars shared), as copy.ts's
    deepCopy: for values handed to code that may mutate them."""
    if type(value) is list:
        return [copy_json(v) for v in value]
    if type(value) is dict:
        return {k: copy_json(v) for k, v in value.items()}
    return value

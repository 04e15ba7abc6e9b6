"""Binary values travel as comm buffers, with a placeholder and a path in the JSON.

Mirrors frontend/src/buffers.ts. numpy is optional: it is only touched when a value is an
ndarray already (so `import numpy` never happens here) or when one arrives from the browser.
"""

from __future__ import annotations

import sys
from typing import Any

from .protocol import JSONDict, Path, ProtocolError

__all__ = ["Path", "decode_binary", "encode_binary", "insert_buffers", "is_ndarray"]

_DTYPES = frozenset(
    ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16", "float32", "float64"]
)
_BYTES_PLACEHOLDER = {"$binary": "bytes"}


def is_ndarray(value: object) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def encode_binary(value: Any) -> tuple[JSONDict, memoryview]:
    """Placeholder and buffer for a bytes-like value or a numpy array (zero-copy when possible)."""
    if isinstance(value, bytes):
        return dict(_BYTES_PLACEHOLDER), memoryview(value)
    if isinstance(value, bytearray):  # a view would pin it: the owner could no longer resize it
        return dict(_BYTES_PLACEHOLDER), memoryview(bytes(value))
    if isinstance(value, memoryview):
        return dict(_BYTES_PLACEHOLDER), value.cast("B") if value.c_contiguous else memoryview(value.tobytes())
    numpy = sys.modules["numpy"]
    name = value.dtype.name
    if name not in _DTYPES:
        raise TypeError(f"numpy arrays of dtype {value.dtype} cannot be sent; supported: {sorted(_DTYPES)}")
    array = numpy.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))
    placeholder = {"$binary": "ndarray", "dtype": name, "shape": list(array.shape)}
    return placeholder, memoryview(array).cast("B")


def decode_binary(placeholder: object, buffer: memoryview, where: Path) -> Any:
    """The Python value for a placeholder found in an incoming message."""
    if not isinstance(placeholder, dict) or "$binary" not in placeholder:
        raise ProtocolError("bad_buffer", f"buffer path {where} does not lead to a binary placeholder")
    kind = placeholder["$binary"]
    if kind == "bytes":
        return bytes(buffer)
    if kind != "ndarray":
        raise ProtocolError("bad_buffer", f"unknown binary kind {str(kind)[:40]!r} at {str(where)[:200]}")
    dtype, shape = placeholder.get("dtype"), placeholder.get("shape")
    if (
        not isinstance(dtype, str)
        or dtype not in _DTYPES
        or not isinstance(shape, list)
        or not all(type(n) is int and n >= 0 for n in shape)
    ):
        raise ProtocolError("bad_buffer", f"bad ndarray placeholder at {str(where)[:200]}: {str(placeholder)[:200]}")
    try:
        import numpy
    except ImportError:
        return buffer
    try:
        return numpy.frombuffer(buffer, dtype=numpy.dtype(dtype).newbyteorder("<")).reshape(shape)
    except ValueError as error:
        raise ProtocolError(
            "bad_buffer", f"buffer at {str(where)[:200]} does not fit {dtype}{shape}: {error}"
        ) from None


def _check_paths(data: JSONDict, buffers: list[Any], extra: bool) -> list[Path]:
    paths = data.get("buffer_paths", [])
    if not isinstance(paths, list) or not all(
        isinstance(p, list)
        and p
        and all(isinstance(k, str) or (isinstance(k, int) and not isinstance(k, bool) and k >= 0) for k in p)
        for p in paths
    ):
        raise ProtocolError("bad_buffer", "buffer_paths must be a list of non-empty lists of keys and indexes >= 0")
    if len(buffers) < len(paths) or (not extra and len(buffers) > len(paths)):
        raise ProtocolError("bad_buffer", f"{len(paths)} buffer paths but {len(buffers)} buffers")
    return paths


def _stray_placeholder(value: Any, placed: set[int]) -> bool:
    """Whether `value` holds a binary placeholder that no buffer path named."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if "$binary" in item and id(item) not in placed:
                return True
            stack.extend(v for v in item.values() if type(v) in (dict, list))
        elif kind is list:
            stack.extend(v for v in item if type(v) in (dict, list))
    return False


def insert_buffers(data: JSONDict, buffers: list[Any], extra: bool = False) -> list[memoryview]:
    """Put decoded buffers in place inside `data`; return the extra buffers past the paths.

    The framing must be exact: every path leads to a placeholder, every placeholder has a path, and
    buffers beyond the paths are allowed only when `extra` (custom messages); else `bad_buffer`.
    """
    paths = _check_paths(data, buffers, extra)
    placed: set[int] = set()
    resolved: list[tuple[Any, str | int, Any, Path]] = []
    for path in paths:
        parent: Any = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            leaf = path[-1]
            placeholder = parent[leaf]
        except (KeyError, IndexError, TypeError):
            raise ProtocolError("bad_buffer", f"buffer path {str(path)[:200]} does not resolve") from None
        if type(placeholder) is not dict or "$binary" not in placeholder or id(placeholder) in placed:
            raise ProtocolError("bad_buffer", f"buffer path {str(path)[:200]} does not lead to a binary placeholder")
        placed.add(id(placeholder))
        resolved.append((parent, leaf, placeholder, path))
    if _stray_placeholder({k: v for k, v in data.items() if k != "buffer_paths"}, placed):
        raise ProtocolError("bad_buffer", "a binary placeholder has no buffer path")
    for (parent, leaf, placeholder, path), buffer in zip(resolved, buffers, strict=False):
        parent[leaf] = decode_binary(placeholder, memoryview(buffer), path)
    return [memoryview(b) for b in buffers[len(paths) :]]

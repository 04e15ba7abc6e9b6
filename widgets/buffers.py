"""Binary values travel as comm buffers, with a placeholder and a path in the JSON.

Mirrors frontend/src/buffers.ts. numpy is optional: it is only touched when a value is an
ndarray already (so `import numpy` never happens here) or when one arrives from the browser.
"""

from __future__ import annotations

import sys
from typing import Any

from .protocol import JSONDict, ProtocolError

Path = list[str | int]

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
        raise ProtocolError("bad_buffer", f"unknown binary kind {kind!r} at {where}")
    dtype, shape = placeholder.get("dtype"), placeholder.get("shape")
    if dtype not in _DTYPES or not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ProtocolError("bad_buffer", f"bad ndarray placeholder at {where}: {placeholder}")
    try:
        import numpy
    except ImportError:
        return buffer
    try:
        return numpy.frombuffer(buffer, dtype=numpy.dtype(dtype).newbyteorder("<")).reshape(shape)
    except ValueError as error:
        raise ProtocolError("bad_buffer", f"buffer at {where} does not fit {dtype}{shape}: {error}") from None


def check_paths(data: JSONDict, buffers: list[memoryview]) -> list[Path]:
    paths = data.get("buffer_paths", [])
    if not isinstance(paths, list) or not all(
        isinstance(p, list) and p and all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in p)
        for p in paths
    ):
        raise ProtocolError("bad_buffer", "buffer_paths must be a list of non-empty key/index lists")
    if len(buffers) < len(paths):
        raise ProtocolError("bad_buffer", f"{len(paths)} buffer paths but only {len(buffers)} buffers")
    return paths


def insert_buffers(data: JSONDict, buffers: list[memoryview]) -> list[memoryview]:
    """Put decoded buffers in place inside `data`; return the extra buffers past the paths."""
    paths = check_paths(data, buffers)
    for path, buffer in zip(paths, buffers, strict=False):
        parent: Any = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            leaf = path[-1]
            placeholder = parent[leaf]
        except (KeyError, IndexError, TypeError):
            raise ProtocolError("bad_buffer", f"buffer path {path} does not resolve") from None
        parent[leaf] = decode_binary(placeholder, memoryview(buffer), path)
    return [memoryview(b) for b in buffers[len(paths) :]]

"""Names and envelope of the wire protocol; docs/protocol.md is the spec this mirrors."""

from __future__ import annotations

from typing import Any

PROTOCOL_VERSION = "1.0"
PROTOCOL_MAJOR = PROTOCOL_VERSION.split(".", 1)[0]

MODEL_TARGET = "widgets.model"
CONTROL_TARGET = "widgets.control"
MIMETYPE = "application/vnd.widgets.model+json"
REFERENCE_PREFIX = "model:"

JSONDict = dict[str, Any]


class ProtocolError(Exception):
    """A message the kernel refuses; `kind` is one of the error kinds of docs/protocol.md."""

    def __init__(self, kind: str, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.key = key

    def as_entry(self) -> JSONDict:
        entry: JSONDict = {"kind": self.kind, "message": str(self)}
        if self.key is not None:
            entry["key"] = self.key
        return entry


def envelope(method: str, **fields: Any) -> JSONDict:
    """A message `data` object with the version and method every message carries."""
    return {"protocol": PROTOCOL_VERSION, "method": method, **fields}


def check_envelope(data: object) -> JSONDict:
    """Return `data` if it is a message of our major version, else raise ProtocolError."""
    if not isinstance(data, dict):
        raise ProtocolError("bad_message", f"message data must be an object, got {type(data).__name__}")
    version = data.get("protocol")
    if not isinstance(version, str):
        raise ProtocolError("bad_message", "message has no 'protocol' version")
    if version.split(".", 1)[0] != PROTOCOL_MAJOR:
        raise ProtocolError(
            "version",
            f"protocol version {version} is not supported by the kernel (it speaks {PROTOCOL_VERSION})",
        )
    if not isinstance(data.get("method"), str):
        raise ProtocolError("bad_message", "message has no 'method'")
    return data


def error_message(*entries: JSONDict) -> JSONDict:
    return envelope("error", errors=list(entries))

"""Names, message types and envelope of the wire protocol; docs/protocol.md is the spec this mirrors.

Every method of docs/protocol.md has a TypedDict here (`KERNEL_MESSAGES`, `BROWSER_MESSAGES`), and
every error kind of its Errors table is in `ErrorKind`; tests/unit/test_protocol_doc.py holds the two
to the document.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

PROTOCOL_VERSION = "2.0"
PROTOCOL_MAJOR = PROTOCOL_VERSION.split(".", 1)[0]

MODEL_TARGET = "widgets.model"
CONTROL_TARGET = "widgets.control"
MIMETYPE = "application/vnd.widgets.model+json"
REFERENCE_PREFIX = "IPY_MODEL_"

# Limits (docs/protocol.md, "Limits"): the same numbers on both sides.
MAX_MESSAGE_TEXT = 500
MAX_CLIENT_LENGTH = 64
MAX_SEQ = 2**53 - 1
MAX_CLIENTS_PER_MODEL = 256

_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

JSONDict = dict[str, Any]
Path = list[str | int]

ErrorKind = Literal[
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
    "unknown_command",
]


class ErrorEntry(TypedDict):
    kind: ErrorKind
    message: str
    key: NotRequired[str]
    traceback: NotRequired[str]
    request: NotRequired[str]


class Ack(TypedDict):
    client: str
    seq: int


class _Envelope(TypedDict):
    protocol: str


# --- kernel -> browser ------------------------------------------------------------------------


# `open` (the data of the kernel's comm_open) and `state` share these fields; `class` is a keyword,
# hence the functional form.
Snapshot = TypedDict(
    "Snapshot",
    {
        "protocol": str,
        "method": Literal["open", "state"],
        "class": str,
        "rev": int,
        "state": JSONDict,
        "buffer_paths": list[Path],
        "esm": str | None,
        "css": str | None,
        "assets": dict[str, str],
        "read_only": list[str],
        "eager": NotRequired[bool],
        "ack": NotRequired[Ack],
    },
)


class KernelUpdate(_Envelope):
    method: Literal["update"]
    rev: int
    state: NotRequired[JSONDict]
    patch: NotRequired[dict[str, list[JSONDict]]]
    buffer_paths: NotRequired[list[Path]]
    ack: NotRequired[Ack]
    errors: NotRequired[list[ErrorEntry]]


class Custom(_Envelope):
    """A custom message, either way: `content` with buffers at `buffer_paths`, then the extra ones."""

    method: Literal["custom"]
    content: Any
    buffer_paths: NotRequired[list[Path]]


class Error(_Envelope):
    method: Literal["error"]
    errors: list[ErrorEntry]


class InvokeError(TypedDict):
    """Why an `invoke` failed; `type` and `traceback` only for `handler` (the command raised)."""

    kind: ErrorKind
    message: str
    type: NotRequired[str]
    traceback: NotRequired[str]


class InvokeReply(_Envelope):
    """The one answer to an `invoke`: `result` (binary at `buffer_paths`, then extra buffers) or `error`.

    `id` is absent only when the invoke's own id was not valid.
    """

    method: Literal["invoke_reply"]
    id: NotRequired[str]
    result: NotRequired[Any]
    buffer_paths: NotRequired[list[Path]]
    error: NotRequired[InvokeError]


class Close(_Envelope):
    """The data of the kernel's comm_close."""

    method: Literal["close"]


RestoredModel = TypedDict(
    "RestoredModel",
    {
        "model_id": str,
        "class": str,
        "rev": int,
        "state": JSONDict,
        "esm": str | None,
        "css": str | None,
        "read_only": list[str],
        "eager": NotRequired[bool],
    },
)


class RestoreReply(_Envelope):
    method: Literal["restore_reply"]
    request: str | None
    models: list[RestoredModel]
    assets: dict[str, str]
    buffer_paths: list[Path]


class AssetsReply(_Envelope):
    method: Literal["assets_reply"]
    request: str | None
    assets: dict[str, str]


# --- browser -> kernel ------------------------------------------------------------------------


class BrowserUpdate(_Envelope):
    method: Literal["update"]
    client: str
    seq: int
    state: NotRequired[JSONDict]
    patch: NotRequired[dict[str, list[JSONDict]]]
    base: NotRequired[int]
    buffer_paths: NotRequired[list[Path]]


class RequestState(_Envelope):
    method: Literal["request_state"]
    client: NotRequired[str]


# The data of a browser comm_open on `widgets.model`.
Create = TypedDict(
    "Create",
    {
        "protocol": str,
        "method": Literal["create"],
        "class": str,
        "state": NotRequired[JSONDict],
        "buffer_paths": NotRequired[list[Path]],
    },
)


class Invoke(_Envelope):
    """A view calls a command of the model (widgets.commands); binary in `args` at `buffer_paths`."""

    method: Literal["invoke"]
    id: str
    name: str
    args: NotRequired[Any]
    buffer_paths: NotRequired[list[Path]]


class InvokeAbort(_Envelope):
    method: Literal["invoke_abort"]
    id: str


class Hello(_Envelope):
    """The data of the browser's comm_open on `widgets.control`."""

    method: Literal["hello"]
    client: NotRequired[str]


class Restore(_Envelope):
    method: Literal["restore"]
    request: str


class Assets(_Envelope):
    method: Literal["assets"]
    request: str
    hashes: list[str]


KERNEL_MESSAGES: dict[str, type] = {
    "open": Snapshot,
    "state": Snapshot,
    "update": KernelUpdate,
    "custom": Custom,
    "error": Error,
    "invoke_reply": InvokeReply,
    "close": Close,
    "restore_reply": RestoreReply,
    "assets_reply": AssetsReply,
}
BROWSER_MESSAGES: dict[str, type] = {
    "update": BrowserUpdate,
    "custom": Custom,
    "request_state": RequestState,
    "invoke": Invoke,
    "invoke_abort": InvokeAbort,
    "create": Create,
    "hello": Hello,
    "restore": Restore,
    "assets": Assets,
}


def truncate(text: str, limit: int = MAX_MESSAGE_TEXT) -> str:
    """`text` cut to `limit` characters (with "…"), and made encodable as UTF-8 (lone surrogates escaped)."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def traceback_text(error: BaseException, summary: str, skip: int = 0) -> str:
    """The traceback of an exception user code raised, as Python prints it (cut to 20,000 characters),
    without the first `skip` frames (ours, that called the user's code)."""
    import traceback  # only on error paths: keeps `import widgets` fast

    frames = error.__traceback__
    for _ in range(skip):
        if frames is not None and frames.tb_next is not None:
            frames = frames.tb_next
    text = "".join(traceback.format_tb(frames))
    return truncate(f"Traceback (most recent call last):\n{text}{summary}\n", 20_000)


class ProtocolError(Exception):
    """A message (or one key of it) the kernel refuses; `kind` is one of docs/protocol.md's error kinds."""

    def __init__(self, kind: ErrorKind, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.key = key

    def as_entry(self) -> ErrorEntry:
        entry: ErrorEntry = {"kind": self.kind, "message": truncate(str(self))}
        if self.key is not None:
            entry["key"] = truncate(self.key, MAX_CLIENT_LENGTH * 4)
        return entry


def envelope(method: str, **fields: Any) -> JSONDict:
    """A message `data` object with the version and method every message carries."""
    return {"protocol": PROTOCOL_VERSION, "method": method, **fields}


def error_message(*entries: ErrorEntry) -> Error:
    return {"protocol": PROTOCOL_VERSION, "method": "error", "errors": list(entries)}


def check_envelope(data: object) -> JSONDict:
    """Return `data` if it is a message of our major version, else raise ProtocolError."""
    if not isinstance(data, dict):
        raise ProtocolError("bad_message", f"message data must be an object, got {type(data).__name__}")
    version = data.get("protocol")
    if not isinstance(version, str):
        raise ProtocolError("bad_message", "message has no 'protocol' version")
    major, dot, minor = version.partition(".")
    if not (dot and _digits(major) and _digits(minor)):
        raise ProtocolError(
            "bad_message",
            f"protocol version {version!r} is not '<major>.<minor>' (the kernel speaks {PROTOCOL_VERSION})",
        )
    if major != PROTOCOL_MAJOR:
        raise ProtocolError(
            "version",
            f"protocol version {version} is not supported by the kernel (it speaks {PROTOCOL_VERSION})",
        )
    if not isinstance(data.get("method"), str):
        raise ProtocolError("bad_message", "message has no 'method'")
    return data


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # ASCII only: "٢" is a digit to str.isdigit


def _is_id(text: object) -> bool:
    return isinstance(text, str) and 1 <= len(text) <= MAX_CLIENT_LENGTH and set(text) <= _ID_CHARACTERS


def check_client(client: object) -> str:
    """A browser client id: 1..64 characters of [A-Za-z0-9_-]."""
    if not isinstance(client, str) or not _is_id(client):
        raise ProtocolError("bad_message", "'client' must be a string of 1 to 64 characters from [A-Za-z0-9_-]")
    return client


def check_seq(seq: object) -> int:
    """A browser sequence number: an integer 1 <= seq <= 2**53 - 1."""
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise ProtocolError("bad_message", f"'seq' must be an integer from 1 to {MAX_SEQ}")
    return seq


def check_id(value: object, name: str) -> str:
    """An id the reply repeats (an invoke's `id`): 1..64 characters of [A-Za-z0-9_-]."""
    if not isinstance(value, str) or not _is_id(value):
        raise ProtocolError("bad_message", f"'{name}' must be a string of 1 to 64 characters from [A-Za-z0-9_-]")
    return value


def check_request(request: object) -> str | None:
    """A control request id (echoed in the reply), bounded like a client id; absent is None."""
    if request is None:
        return None
    if not isinstance(request, str) or not _is_id(request):
        raise ProtocolError("bad_message", "'request' must be a string of 1 to 64 characters from [A-Za-z0-9_-]")
    return request


def is_utf8(text: str) -> bool:
    """Whether `text` encodes as UTF-8 (no lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

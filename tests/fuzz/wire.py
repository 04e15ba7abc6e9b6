"""Sending what a browser could send: NaN, Infinity, 1e999 and lone surrogates in real JSON text.

jupyter_client's packer refuses NaN (`allow_nan=False`) and cannot encode a lone surrogate, while a
browser's `JSON.stringify` writes `NaN` as `null` but a hand-made or buggy client can send any JSON
text the kernel's `json.loads` accepts (it accepts `NaN`, `Infinity`, `1e999` and `"\\ud800"`).
`pack` is installed as the session's packer, so those values really reach the kernel.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session


class Raw:
    """JSON text written as is into the message (e.g. `Raw("1e999")`)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text!r})"


def _token(n: int) -> str:
    return f"\x00raw{n}\x00"


def pack(obj: Any) -> bytes:
    """JSON as ASCII (lone surrogates escaped), NaN allowed, `Raw` text inlined."""
    raws: list[str] = []

    def default(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return _token(len(raws) - 1)
        return json_default(value)

    text = json.dumps(obj, default=default, ensure_ascii=True, allow_nan=True)
    for n, raw in enumerate(raws):
        text = text.replace(json.dumps(_token(n)), raw, 1)
    return text.encode("ascii")


def as_received(data: Any) -> Any:
    """`data` as the kernel's `json.loads` will see it."""
    return json.loads(pack(data))


def install(session: Session) -> None:
    session.pack = pack


def other_session(like: Session) -> Session:
    """A second Jupyter session (another tab's) with the same key, packing the same way."""
    session = Session(key=like.key, signature_scheme=like.signature_scheme, username="other")
    install(session)
    return session

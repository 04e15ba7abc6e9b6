"""What the headless frontend keeps of the commands it invoked (the browser's `model.invoke`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..protocol import JSONDict


class CommandError(Exception):
    """An invoke the kernel answered with an error: `kind` (docs/protocol.md, Errors), and for
    `handler` the Python exception's `type` name and `traceback`."""

    def __init__(self, error: JSONDict) -> None:
        self.kind: str = error.get("kind", "")
        self.type: str | None = error.get("type")
        self.message: str = error.get("message", "")
        self.traceback: str | None = error.get("traceback")
        super().__init__(f"{self.type or self.kind}: {self.message}")


@dataclass
class Invocation:
    """One `invoke` this client sent, and its reply once it came (`reply` is None until then).

    An aborted call (`aborted`) ignores a later reply, as the browser does; `late` counts those.
    """

    call_id: str
    name: str
    reply: JSONDict | None = None
    aborted: bool = False
    late: int = 0
    buffers: list[bytes] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.reply is not None or self.aborted

    def outcome(self) -> Any:
        """The command's result (binary in place), or CommandError."""
        if self.aborted:
            raise CommandError({"kind": "aborted", "message": f"invoke {self.call_id} was aborted"})
        if self.reply is None:
            raise AssertionError(f"invoke {self.call_id} ({self.name!r}) has no reply yet")
        if "error" in self.reply:
            raise CommandError(self.reply["error"])
        return self.reply.get("result")

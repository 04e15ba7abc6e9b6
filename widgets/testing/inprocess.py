"""The in-process transport: the `comm` package's hooks, no kernel and no sockets."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import comm
from comm.base_comm import BaseComm, CommManager

from ..flusher import FLUSHER
from ..model import live
from ..protocol import JSONDict
from ..registry import ensure_targets
from .frontend import Frontend, encode


class _KernelComm(BaseComm):
    """The kernel end of a comm; what it publishes goes straight to the Frontend."""

    frontend: InProcessFrontend

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        payload = json.loads(encode(data or {}))  # fails where ipykernel's session would fail to send
        self.frontend.receive(
            msg_type, self.comm_id, payload, [bytes(b) for b in buffers or []], keys.get("target_name")
        )

    def handle_msg(self, msg: JSONDict) -> None:
        if self._msg_callback:
            self._msg_callback(msg)


class InProcessFrontend(Frontend):
    """A headless frontend attached to models created in this process.

    Use as a context manager: models created inside the block open comms to it::

        with InProcessFrontend() as frontend:
            counter = Counter()
            frontend.model(counter).set("value", 3)
            frontend.model(counter).save_changes()
            assert counter.value == 3

    The kernel's answers arrive while `save_changes` runs; what the browser sends in reaction to
    a message the kernel sent on its own (a `request_state` after a gap) goes out at the next call
    into the frontend, e.g. `flush()`.
    """

    synchronous: ClassVar[bool] = True

    def __init__(self, client: str | None = None) -> None:
        super().__init__(client)
        self.manager = CommManager()
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> InProcessFrontend:
        self._saved = (comm.create_comm, comm.get_comm_manager)
        comm.create_comm = self._create_comm
        comm.get_comm_manager = lambda: self.manager
        ensure_targets()
        return self

    def __exit__(self, *exc: Any) -> None:
        for model in [
            m
            for m in live.values()
            if m._sync is not None and m._sync.comm is not None and getattr(m._sync.comm, "frontend", None) is self
        ]:
            model.close()
        assert self._saved is not None
        comm.create_comm, comm.get_comm_manager = self._saved

    def _create_comm(self, **kwargs: Any) -> _KernelComm:
        kernel_comm = _KernelComm.__new__(_KernelComm)
        kernel_comm.frontend = self
        BaseComm.__init__(kernel_comm, **kwargs)
        return kernel_comm

    def flush(self) -> None:
        """Send every update the rate limiter is holding back, now (and what this client has queued)."""
        FLUSHER.flush_all()
        self.send_outbox()

    def transmit(self, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes], target: str | None) -> None:
        msg = {
            "header": {"msg_type": kind, "session": self.session},
            "content": {"comm_id": comm_id, "data": data, "target_name": target},
            "buffers": [memoryview(b) for b in buffers],
        }
        getattr(self.manager, kind)(None, None, msg)  # as ipykernel does: without the sync lock held

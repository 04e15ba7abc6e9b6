"""`KernelFrontend`: the headless browser client of widgets.testing, speaking to a real ipykernel.

The kernel is started with jupyter_client (the venv's own python3 kernel, `sys.executable`) and
driven over ZMQ exactly as a browser tab would: comm messages go out on the shell channel, and
everything the kernel publishes is read from IOPub. Nothing here runs inside the kernel process.
"""

from __future__ import annotations

import os
import queue
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self, TextIO

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from widgets.protocol import JSONDict
from widgets.testing.frontend import Frontend

COMM_KINDS = ("comm_open", "comm_msg", "comm_close")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NO_SUCH_COMM = re.compile(r"No such comm: (\S+)")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass
class StreamOutput:
    """One `stream` message the kernel published on IOPub (a cell's stdout/stderr)."""

    name: str  # "stdout" or "stderr"
    text: str
    parent_id: str | None  # msg_id of the request that was running when it was written
    parent_type: str | None


class KernelFrontend(Frontend):
    """A headless browser tab attached to a running kernel through a `BlockingKernelClient`.

    Every IOPub message is read by `pump`; comm messages go to `Frontend.receive`, stream output
    is kept in `streams`, IOPub `error`s in `iopub_errors`, and the requests the kernel has
    finished (its `idle` status for them) in `idle`.
    """

    # ipykernel 7 looks up the comm of each incoming comm_msg on its shell-channel thread, to route
    # it to a subshell, possibly before the main thread has handled the comm_open sent just before;
    # `comm` then logs "No such comm: <id>" to the kernel's stderr (forwarded to IOPub, no parent),
    # although the message is delivered in order. These comm ids (of every KernelFrontend, since
    # IOPub goes to all of them) make that one warning expected; see `unexpected_stderr`.
    routing_race: ClassVar[set[str]] = set()

    def __init__(self, kernel_client: BlockingKernelClient) -> None:
        super().__init__()
        # `self.client` is the browser client id of the protocol (Frontend), hence `kc`.
        self.kc = kernel_client
        self.streams: list[StreamOutput] = []
        self.iopub_errors: list[JSONDict] = []
        self.iopub_messages: list[JSONDict] = []
        self.last_execute_id = ""
        self.idle: set[str] = set()
        self.transmitted: list[str] = []  # msg_ids of the comm messages this client sent
        self._opening: dict[str, str] = {}  # comm id -> msg_id of the comm_open this client sent

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def connect(cls, connection_file: str | os.PathLike[str], timeout: float = 60.0) -> Self:
        """A new client (a reloaded page) on the kernel of `connection_file`, IOPub subscribed."""
        kc = BlockingKernelClient(connection_file=os.fspath(connection_file))
        kc.load_connection_file()
        # No heartbeat: jupyter_client takes a kernel that answers it later than 1 s (a loaded
        # machine) for dead; kernel_info below proves the kernel is there.
        kc.start_channels(hb=False)
        try:
            kc.wait_for_ready(timeout=timeout)  # also proves IOPub is subscribed (no slow joiner)
        except Exception:
            kc.stop_channels()
            raise
        return cls(kc)

    def disconnect(self) -> None:
        self.kc.stop_channels()

    # --- browser -> kernel -------------------------------------------------------------------

    def transmit(self, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes], target: str | None) -> None:
        assert kind in COMM_KINDS, kind
        content: JSONDict = {"comm_id": comm_id, "data": data}
        if kind == "comm_open":
            content["target_name"] = target
        opened = self._opening.get(comm_id)
        if kind != "comm_open" and opened is not None and opened not in self.idle:
            KernelFrontend.routing_race.add(comm_id)
        msg = self.kc.session.send(self.kc.shell_channel.socket, kind, content, buffers=list(buffers) or None)
        assert msg is not None
        self.transmitted.append(msg["header"]["msg_id"])
        if kind == "comm_open":
            self._opening[comm_id] = msg["header"]["msg_id"]

    # --- kernel -> browser -------------------------------------------------------------------

    def pump(self, timeout: float = 0.05) -> bool:
        """Handle one IOPub message if one arrives within `timeout`; return whether one did."""
        try:
            msg = self.kc.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            return False
        self._handle(msg)
        return True

    def drain(self) -> None:
        """Handle every IOPub message already waiting."""
        while self.pump(timeout=0):
            pass

    def _handle(self, msg: JSONDict) -> None:
        self.iopub_messages.append(msg)
        msg_type = msg["header"]["msg_type"]
        content = msg["content"]
        parent = msg.get("parent_header") or {}
        parent_id = parent.get("msg_id")
        if msg_type in COMM_KINDS:
            buffers = [bytes(b) for b in msg.get("buffers") or []]
            data = content.get("data")
            # Frontend.receive holds them back inside `delayed()`; status and streams are still handled.
            self.receive(
                msg_type, content["comm_id"], data if data is not None else {}, buffers, content.get("target_name")
            )
        elif msg_type == "status":
            if content.get("execution_state") == "idle" and parent_id:
                self.idle.add(parent_id)
        elif msg_type == "stream":
            self.streams.append(StreamOutput(content["name"], content["text"], parent_id, parent.get("msg_type")))
        elif msg_type == "error":
            self.iopub_errors.append(content)

    def wait_for(self, condition: Callable[[], Any], timeout: float = 10.0) -> None:
        """Pump IOPub until `condition()` is true; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = [(m.direction, m.kind, m.method) for m in self.messages[-8:]]
                raise AssertionError(
                    f"condition {getattr(condition, '__qualname__', condition)!r} not met within {timeout} s; "
                    f"last comm messages: {recent}; last output: {self.streams[-3:]}"
                )
            self.pump(timeout=min(remaining, 0.05))

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the kernel has finished handling every comm message this client sent.

        Relies on the kernel's `idle` status per request: send comm messages while no cell runs
        (ipykernel 7 dispatches comm messages arriving during a cell concurrently, without status).
        """
        self.wait_for(lambda: all(msg_id in self.idle for msg_id in self.transmitted), timeout)

    # --- running code ------------------------------------------------------------------------

    def execute(self, code: str, timeout: float = 30.0) -> str:
        """Run `code` in the kernel; return its stdout. Comm messages meanwhile go to `receive`.

        Raises AssertionError with the kernel's traceback when the cell raised.
        """
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False)
        self.last_execute_id = msg_id
        self.wait_for(lambda: msg_id in self.idle, timeout)
        reply = self._shell_reply(msg_id, timeout)
        errors = self.iopub_errors_for(msg_id)
        if reply["content"].get("status") != "ok" or errors:
            content = errors[0] if errors else reply["content"]
            trace = strip_ansi("\n".join(content.get("traceback") or []))
            raise AssertionError(
                f"cell raised {content.get('ename')}: {content.get('evalue')}\n"
                f"--- code ---\n{code}\n--- traceback ---\n{trace}"
            )
        return self.output(msg_id, "stdout")

    def _shell_reply(self, msg_id: str, timeout: float) -> JSONDict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no shell reply to {msg_id} within {timeout} s")
            try:
                reply = self.kc.get_shell_msg(timeout=remaining)
            except queue.Empty:
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply

    def iopub_errors_for(self, msg_id: str) -> list[JSONDict]:
        return [
            m["content"]
            for m in self.iopub_messages
            if m["header"]["msg_type"] == "error" and (m.get("parent_header") or {}).get("msg_id") == msg_id
        ]

    def unexpected_stderr(self, since: int = 0) -> list[StreamOutput]:
        """Stderr output from `streams[since:]`, except ipykernel's "No such comm" routing race."""
        return [s for s in self.streams[since:] if s.name == "stderr" and not _expected_warning(s.text)]

    def output(self, parent_id: str | None = None, name: str | None = None) -> str:
        """Stream text written while request `parent_id` ran (any request when None)."""
        return "".join(
            s.text
            for s in self.streams
            if (parent_id is None or s.parent_id == parent_id) and (name is None or s.name == name)
        )


def _expected_warning(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    matches = [_NO_SUCH_COMM.fullmatch(line.strip()) for line in lines]
    return bool(lines) and all(m is not None and m.group(1) in KernelFrontend.routing_race for m in matches)


@dataclass
class Kernel:
    """A kernel process started for the tests, with the stderr/stdout of the process in a log file."""

    manager: KernelManager
    log_path: Path
    _log: TextIO

    @property
    def connection_file(self) -> str:
        return self.manager.connection_file

    def log(self) -> str:
        """What the kernel process wrote to its real stdout/stderr, i.e. not forwarded to IOPub.

        ipykernel captures file descriptors 1 and 2 once it runs, so its logger ("Exception in
        comm_msg", "No such comm") mostly shows up as IOPub `stream` output; this is the rest.
        """
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def shutdown(self) -> None:
        try:
            self.manager.shutdown_kernel(now=False)
        finally:
            self._log.close()


def start_kernel(workdir: Path) -> Kernel:
    """Start the venv's native python3 kernel (ipykernel on `sys.executable`) in `workdir`."""
    manager = KernelManager(kernel_name="python3")
    command = manager.format_kernel_cmd()
    if command[0] != sys.executable:  # jupyter_client maps the spec's "python" to sys.executable
        raise RuntimeError(f"the python3 kernel would not run on {sys.executable}: {command}")
    log_path = workdir / "kernel.log"
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed by Kernel.shutdown
    try:
        manager.start_kernel(cwd=str(workdir), stdout=log, stderr=log)
    except Exception:
        log.close()
        raise
    return Kernel(manager, log_path, log)

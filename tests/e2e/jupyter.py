"""Real servers and a real browser for the end-to-end tests: `jupyter lab` / `jupyter notebook`
on 127.0.0.1 and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, WebSocket

CHROMIUM = os.environ.get("WIDGETS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXAMPLES = Path(__file__).parents[2] / "examples"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running `jupyter lab` or `jupyter notebook` serving `root`."""

    app: str
    root: Path
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def url(self, notebook: str) -> str:
        if self.app == "lab":  # a fresh workspace, or an earlier layout is restored
            return f"{self.base}/lab/workspaces/{uuid.uuid4().hex}/tree/{notebook}"
        return f"{self.base}/notebooks/{notebook}"

    def stop(self) -> None:
        stop_server(self.process)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, so the server shuts its kernels down; killed if it has not gone within 30 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_serving(
    process: subprocess.Popen[bytes], probe: str | urllib.request.Request, log: Path, what: str
) -> None:
    """Return once `probe` answers; fail with `what`'s log if it exits first or within 90 s does not answer."""
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{log.read_text()}")
        try:
            urllib.request.urlopen(probe, timeout=2).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{what} did not start:\n{log.read_text()}") from None
            time.sleep(0.2)


def start_server(app: str, root: Path, extra: list[str] | None = None) -> Server:
    port = free_port()
    expose = "LabApp" if app == "lab" else "JupyterNotebookApp"
    jupyter = str(Path(sys.executable).parent / "jupyter")
    command = [
        jupyter, app, "--no-browser", f"--port={port}", "--port-retries=0", "--ip=127.0.0.1",
        "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True", "--allow-root",
        f"--{expose}.expose_app_in_browser=True", f"--ServerApp.root_dir={root}", *(extra or []),
    ]  # fmt: skip
    log = root / f"{app}-server.log"
    # Popen (no shell, no setsid fork) keeps the server's own pid for SIGTERM.
    process = subprocess.Popen(command, cwd=root, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(process, f"{base}/api/status", log, f"{app} server")
    return Server(app, root, process, base, log)


def copy_example(name: str, root: Path) -> str:
    shutil.copy(EXAMPLES / name, root / name)
    return name


def write_notebook(root: Path, name: str, cells: list[str]) -> str:
    doc = {
        "cells": [
            {"cell_type": "code", "id": f"c{i}", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
            for i, src in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / name).write_text(json.dumps(doc))
    return name


KERNEL = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"


def _release(dist: str) -> tuple[int, int]:
    major, minor = importlib.metadata.version(dist).split(".")[:2]
    return int(major), int(minor)


# Uncaught errors the applications of the environment running the tests raise by themselves, seen
# with no extension of ours installed: (message, where in the stack, whether this release raises it).
CORE_ERRORS: list[tuple[str, str, bool]] = [
    ("reading 'schema'", "notebook_core", _release("notebook") >= (7, 6)),  # Notebook 7.6 loading its settings
    # JupyterLab 4.0 (and Notebook 7.0, built on it): the table of contents reads an output
    # heading that is not there; Notebook 7.0's checkpoint indicator reads a missing model.
    ("reading 'type'", "/static/", _release("jupyterlab") < (4, 1) or _release("notebook") < (7, 1)),
    ("reading 'last_modified'", "/static/notebook/", _release("notebook") < (7, 1)),
]


def core_error(error: str) -> bool:
    """Whether a page error is one of CORE_ERRORS: its message and place, no frame of our extension."""
    message, _, stack = error.partition("\n")
    if "widgets" in stack:
        return False
    return any(known in message and where in stack and applies for known, where, applies in CORE_ERRORS)


@dataclass
class Notebook:
    """An open notebook page, with helpers to drive its kernel from the test."""

    page: Page
    server: Server
    errors: list[str] = field(default_factory=list)
    frames: list[tuple[str, bytes]] = field(default_factory=list)

    def page_errors(self) -> list[str]:
        """Uncaught errors on the page, except those JupyterLab or Notebook raise by themselves
        (each seen with no extension of ours installed; see core_error)."""
        return [e for e in self.errors if not core_error(e)]

    def wait_for_kernel(self) -> None:
        self.page.wait_for_function(
            f"() => {{ try {{ return {KERNEL}.status === 'idle'; }} catch (e) {{ return false; }} }}", timeout=90_000
        )

    def wait_for_restart(self) -> None:
        """After a restart: the kernel connection is back. (JupyterLab 4.6 with ipykernel 7 may then
        report 'starting' or 'unknown' until the kernel is first used, with or without our extension:
        the new kernel's first status messages are lost.)"""
        self.page.wait_for_function(
            f"() => {{ const k = {KERNEL}; return k.connectionStatus === 'connected'"
            " && !['restarting', 'autorestarting', 'dead', 'terminating'].includes(k.status); }",
            timeout=90_000,
        )

    def run_all(self) -> None:
        self.wait_for_kernel()
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def execute(self, code: str) -> str:
        """Run code in the notebook's kernel (not in a cell); return its stdout, raise on error.

        First waits until the page's widget writes are acknowledged, as a user would not run a
        cell within the same millisecond as a click.
        """
        self.page.wait_for_function("() => window.widgetsRuntime.pendingWrites() === 0")
        result: dict[str, Any] = self.page.evaluate(
            """async (code) => {
                const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
                const future = kernel.requestExecute({ code, store_history: false });
                let out = "", error = null;
                future.onIOPub = (msg) => {
                  if (msg.header.msg_type === "stream") out += msg.content.text;
                  if (msg.header.msg_type === "error") error = msg.content.traceback.join("\\n");
                };
                await future.done;
                return { out, error };
            }""",
            code,
        )
        if result["error"]:
            raise AssertionError(f"kernel error running {code!r}:\n{result['error']}")
        return str(result["out"])

    def save(self) -> None:
        self.page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
        self.page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")


def open_notebook(page: Page, server: Server, name: str) -> Notebook:
    notebook = Notebook(page, server)
    page.on("pageerror", lambda error: notebook.errors.append(f"{error.message}\n{error.stack}"))
    page.on("dialog", lambda dialog: dialog.accept())

    def watch(ws: WebSocket) -> None:
        if "/api/kernels/" in ws.url:
            ws.on("framereceived", lambda payload: notebook.frames.append(("in", _bytes(payload))))
            ws.on("framesent", lambda payload: notebook.frames.append(("out", _bytes(payload))))

    page.on("websocket", watch)
    page.goto(server.url(name))
    return notebook


def _bytes(payload: str | bytes) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else payload


def shutdown_sessions(server: Server) -> None:
    """Shut down every kernel the test started (through the server's REST API)."""
    sessions = json.loads(urllib.request.urlopen(f"{server.base}/api/sessions", timeout=10).read())
    for session in sessions:
        request = urllib.request.Request(f"{server.base}/api/sessions/{session['id']}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).read()


def servers(root: Path, apps: list[str]) -> Iterator[dict[str, Server]]:
    started: dict[str, Server] = {}
    try:
        for app in apps:
            started[app] = start_server(app, root / app)
        yield started
    finally:
        for server in started.values():
            server.stop()

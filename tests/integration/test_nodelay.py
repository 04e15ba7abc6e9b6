"""The TCP_NODELAY server extension (widgets/nodelay.py), through a real jupyter server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import statistics
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from tests.e2e.jupyter import Server, start_server

ECHO_TARGET = """
def _echo_target(comm, msg):
    comm.on_msg(lambda m: comm.send(m["content"]["data"]))
get_ipython().kernel.comm_manager.register_target("echo", _echo_target)
"""


def request(server: Server, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{server.base}{path}", data=data, method=method)
    return json.loads(urllib.request.urlopen(req, timeout=30).read() or b"null")


def message(msg_type: str, content: dict[str, Any], channel: str = "shell") -> str:
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "", "session": "s", "version": "5.3"}
    return json.dumps(
        {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}
    )


async def receive(ws: WebSocketClientConnection, msg_type: str) -> dict[str, Any]:
    while True:
        raw = await ws.read_message()
        assert raw is not None, "websocket closed"
        msg = json.loads(raw)
        if msg["header"]["msg_type"] == msg_type:
            return dict(msg)


async def comm_echo(server: Server, kernel_id: str, trips: int) -> tuple[list[float], dict[str, Any]]:
    """Time `trips` comm echoes (seconds) on a kernel websocket, and read the nodelay status while it is open."""
    ws = await websocket_connect(f"ws{server.base[4:]}/api/kernels/{kernel_id}/channels?session_id=test")
    await ws.write_message(message("execute_request", {"code": ECHO_TARGET, "silent": False}))
    await receive(ws, "execute_reply")
    comm_id = uuid.uuid4().hex
    await ws.write_message(message("comm_open", {"comm_id": comm_id, "target_name": "echo", "data": {}}))
    times = []
    for i in range(trips):
        start = time.perf_counter()
        await ws.write_message(message("comm_msg", {"comm_id": comm_id, "data": {"i": i}}))
        reply = await receive(ws, "comm_msg")
        times.append(time.perf_counter() - start)
        assert reply["content"]["data"] == {"i": i}
    status = json.loads(urllib.request.urlopen(f"{server.base}/api/widgets/nodelay", timeout=10).read())
    ws.close()
    return times, status


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = start_server("lab", tmp_path_factory.mktemp("nodelay"))
    yield started
    started.stop()


def test_kernel_websockets_get_tcp_nodelay(server: Server) -> None:
    kernel = request(server, "POST", "/api/kernels", {"name": "python3"})
    try:
        # In its own thread: Playwright's sync API may already run an event loop in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            times, status = pool.submit(asyncio.run, comm_echo(server, kernel["id"], 50)).result()
        assert status["enabled"] is True
        ours = [s for s in status["sockets"] if s["kernel_id"] == kernel["id"]]
        assert ours and all(s["nodelay"] is True for s in ours), status
        assert server.log.read_text().count("widgets: TCP_NODELAY on for kernel websockets") == 1
        print(f"comm echo through jupyter_server with TCP_NODELAY: p50 {statistics.median(times) * 1000:.1f} ms")
    finally:
        request(server, "DELETE", f"/api/kernels/{kernel['id']}")


def test_the_extension_can_be_switched_off(tmp_path: Path) -> None:
    off = start_server("lab", tmp_path, ["--ServerApp.jpserver_extensions", "widgets=False"])
    try:
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{off.base}/api/widgets/nodelay", timeout=10)
        assert missing.value.code == 404
        assert "TCP_NODELAY on" not in off.log.read_text()
    finally:
        off.stop()

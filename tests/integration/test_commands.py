"""Commands (`invoke`, docs/protocol.md) against a real ipykernel over ZMQ: a result with its trait
update first, an exception, an unknown command, an async command on the kernel's event loop, an abort."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator

import pytest

from widgets.testing import CommandError
from widgets.testing.frontend import FrontendModel

from .kernel_frontend import KernelFrontend

SETUP = """
import asyncio, sys
import traitlets
import widgets

class Fitter(widgets.Model):
    _esm = "export default { render({ model, el }) { el.textContent = model.get('value'); } }"
    _sync_interval = 10.0  # a change waits: only the reply's flush sends it in time
    value = traitlets.Int(0).tag(sync=True)
    cancelled = traitlets.Bool(False)

    @widgets.command
    def add(self, args):
        self.value += args["n"]
        return {"value": self.value, "blob": b"\\x01\\x02"}

    @widgets.command
    def fail(self, args):
        raise ValueError("degree must be > 0")

    @widgets.command
    async def slow(self, args, buffers):
        try:
            await asyncio.sleep(args["seconds"])
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return {"loop": type(asyncio.get_running_loop()).__name__, "sizes": [len(b) for b in buffers]}

print(sys.prefix)
"""


@pytest.fixture(autouse=True)
def no_stray_output(frontend: KernelFrontend) -> Iterator[None]:
    """No command may make the kernel write to stderr or to a cell."""
    streams = len(frontend.streams)
    yield
    frontend.settle()
    frontend.drain()
    assert frontend.unexpected_stderr(streams) == []
    assert frontend.output(None, "stdout").count("Traceback") == 0


def create(frontend: KernelFrontend, name: str) -> FrontendModel:
    model_id = frontend.execute(f"{name} = Fitter()\nprint({name}.model_id)").strip()
    return frontend.models[model_id]


def methods(frontend: KernelFrontend, model: FrontendModel) -> list[str | None]:
    return [m.method for m in frontend.sent("to_browser") if m.comm_id == model.model_id]


def test_a_result_arrives_after_the_update_the_command_made(frontend: KernelFrontend) -> None:
    model = create(frontend, "f1")
    assert model.invoke("add", {"n": 2}) == {"value": 2, "blob": b"\x01\x02"}
    assert model.invoke("add", {"n": 3}) == {"value": 5, "blob": b"\x01\x02"}
    assert methods(frontend, model) == ["open", "update", "invoke_reply", "update", "invoke_reply"]
    assert model.get("value") == 5
    assert frontend.execute("print(f1.value)").strip() == "5"


def test_an_exception_and_an_unknown_command_reject(frontend: KernelFrontend) -> None:
    model = create(frontend, "f2")
    with pytest.raises(CommandError) as caught:
        model.invoke("fail")
    error = caught.value
    assert (error.kind, error.type, error.message) == ("handler", "ValueError", "degree must be > 0")
    assert 'raise ValueError("degree must be > 0")' in (caught.value.traceback or "")
    with pytest.raises(CommandError) as caught:
        model.invoke("nope")
    assert caught.value.kind == "unknown_command" and caught.value.message.endswith("its commands: add, fail, slow")


def test_an_async_command_runs_on_the_kernels_loop(frontend: KernelFrontend) -> None:
    model = create(frontend, "f3")
    call = model.start_invoke("slow", {"seconds": 0.3}, [b"abc"])
    # the kernel is free while the command awaits: a cell runs meanwhile
    assert frontend.execute("print(len(f3._sync.invocations.tasks))").strip() == "1"
    frontend.wait_for(lambda: call.done)
    result = call.outcome()
    assert result["sizes"] == [3] and "Loop" in result["loop"]


def test_abort_cancels_the_running_command_without_a_reply(frontend: KernelFrontend) -> None:
    model = create(frontend, "f4")
    call = model.start_invoke("slow", {"seconds": 30})
    frontend.settle()
    model.abort_invoke(call)
    frontend.settle()
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        frontend.pump(timeout=0.05)
    code = "print(f4.cancelled, len(f4._sync.invocations.tasks))"
    assert frontend.execute(textwrap.dedent(code)).strip() == "True 0"
    assert "invoke_reply" not in methods(frontend, model) and call.late == 0

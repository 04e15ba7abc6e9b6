"""Browser changes reach a running cell over a kernel subshell (docs/live-cells.md), against a real ipykernel.

The frontend here does what frontend/extension/labtransport.ts does: it asks for one subshell on
the control channel and sends its comm messages with that `subshell_id` in the header. A cell
busy in a loop on the main shell then sees the browser's writes; without a subshell (the fallback)
they wait for the cell to end, as before.
"""

from __future__ import annotations

import queue
import textwrap
import time
from collections.abc import Iterator

import pytest

from widgets.protocol import JSONDict
from widgets.testing.frontend import FrontendModel

from .kernel_frontend import Kernel, KernelFrontend, strip_ansi

SETUP = """
import sys, threading, time
import traitlets
import widgets
from widgets.waiting import wait_for, wait_until, wait_for_async

class Counter(widgets.Model):
    _esm = "export default { render({ model, el }) { el.textContent = model.get('value'); } }"
    value = traitlets.Int(0).tag(sync=True)
    seen = traitlets.List().tag(sync=True)

print(sys.prefix)
"""


class SubshellFrontend(KernelFrontend):
    """A KernelFrontend whose comm messages name a subshell (None: the main shell)."""

    subshell_id: str | None = None

    def create_subshell(self, timeout: float = 10.0) -> str:
        request = self.kc.session.msg("create_subshell_request", {})
        self.kc.control_channel.send(request)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                reply = self.kc.get_control_msg(timeout=0.5)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") == request["header"]["msg_id"]:
                assert reply["content"]["status"] == "ok", reply["content"]
                subshell: str = reply["content"]["subshell_id"]
                return subshell
        raise AssertionError("no create_subshell_reply")

    def transmit(self, kind: str, comm_id: str, data: JSONDict, buffers: list[bytes], target: str | None) -> None:
        content: JSONDict = {"comm_id": comm_id, "data": data}
        if kind == "comm_open":
            content["target_name"] = target
        header = self.kc.session.msg_header(kind)
        header["subshell_id"] = self.subshell_id
        msg = self.kc.session.send(
            self.kc.shell_channel.socket, kind, content, header=header, buffers=list(buffers) or None
        )
        assert msg is not None
        self.transmitted.append(msg["header"]["msg_id"])


@pytest.fixture(scope="module")
def frontend(kernel: Kernel) -> Iterator[SubshellFrontend]:
    client = SubshellFrontend.connect(kernel.connection_file)
    try:
        client.execute(SETUP)
        yield client
    finally:
        client.disconnect()


def start(frontend: KernelFrontend, code: str) -> str:
    """Start a cell without waiting for it; its msg_id."""
    msg_id: str = frontend.kc.execute(textwrap.dedent(code), store_history=False, allow_stdin=False)
    return msg_id


def finish(frontend: KernelFrontend, msg_id: str, timeout: float = 20.0) -> str:
    frontend.wait_for(lambda: msg_id in frontend.idle, timeout)
    errors = frontend.iopub_errors_for(msg_id)
    assert not errors, strip_ansi("\n".join(errors[0]["traceback"]))
    return frontend.output(msg_id, "stdout")


def running(frontend: KernelFrontend, msg_id: str) -> None:
    """Wait until the cell printed 'running' (it is in its loop)."""
    frontend.wait_for(lambda: "running" in frontend.output(msg_id, "stdout"))


def test_a_loop_sees_browser_writes_sent_on_a_subshell(frontend: SubshellFrontend) -> None:
    frontend.subshell_id = frontend.create_subshell()
    model_id = frontend.execute("c1 = Counter()\nprint(c1.model_id)").strip()
    browser = frontend.models[model_id]
    cell = start(
        frontend,
        """
        print("running", flush=True)
        while c1.value < 3:
            time.sleep(0.05)
        print("done", c1.value, threading.current_thread() is threading.main_thread())
        """,
    )
    running(frontend, cell)
    for value in (1, 2, 3):
        browser.set("value", value)
        browser.save_changes()
        frontend.send_outbox()
    assert finish(frontend, cell).split()[-3:] == ["done", "3", "True"]
    frontend.wait_for(lambda: not browser.pending)


def test_observers_run_on_the_subshell_thread_in_order(frontend: SubshellFrontend) -> None:
    frontend.subshell_id = frontend.subshell_id or frontend.create_subshell()
    model_id = frontend.execute(
        textwrap.dedent(
            """
            c2 = Counter()
            threads = []
            def note(change):
                threads.append(threading.current_thread() is threading.main_thread())
                c2.seen = [*c2.seen, change["new"]]
            c2.observe(note, names="value")
            print(c2.model_id)
            """
        )
    ).strip()
    browser = frontend.models[model_id]
    cell = start(
        frontend, 'print("running", flush=True)\nwhile len(c2.seen) < 10: time.sleep(0.01)\nprint(any(threads))'
    )
    running(frontend, cell)
    for value in range(1, 11):  # each one acknowledged while the cell still runs
        browser.set("value", value)
        browser.save_changes()
        frontend.send_outbox()
        frontend.wait_for(lambda: not browser.pending)
    assert finish(frontend, cell).split()[-1] == "False"  # no observer ran on the main thread
    assert frontend.execute("print(c2.seen == list(range(1, 11)))").strip() == "True"


def write_until_done(frontend: KernelFrontend, browser: FrontendModel, cell: str, values: list[int]) -> None:
    """Write `values` one by one, each acknowledged, until the cell ends (a wait begins a moment after
    the cell printed 'running': a write before it is not a change it waits for)."""
    for value in values:
        if cell in frontend.idle:
            return
        browser.set("value", value)
        browser.save_changes()
        frontend.send_outbox()
        frontend.wait_for(lambda: not browser.pending)
        frontend.pump(timeout=0.2)


def test_wait_for_returns_the_browser_value(frontend: SubshellFrontend) -> None:
    frontend.subshell_id = frontend.subshell_id or frontend.create_subshell()
    model_id = frontend.execute("c3 = Counter()\nprint(c3.model_id)").strip()
    browser = frontend.models[model_id]
    cell = start(frontend, 'print("running", flush=True)\nprint("got", wait_for(c3, "value", timeout=20))')
    running(frontend, cell)
    write_until_done(frontend, browser, cell, list(range(40, 60)))
    got = finish(frontend, cell).split()[-2:]
    assert got[0] == "got" and 40 <= int(got[1]) < 60, got
    cell = start(frontend, 'print("running", flush=True)\nprint("until", wait_until(c3, lambda m: m.value > 70))')
    running(frontend, cell)
    write_until_done(frontend, browser, cell, [65, 71, 72, 73, 74, 75])
    assert finish(frontend, cell).split()[-2:] == ["until", "True"]


def test_wait_for_times_out_with_a_clear_error(frontend: SubshellFrontend) -> None:
    out = frontend.execute(
        textwrap.dedent(
            """
            c4 = Counter()
            try:
                wait_for(c4, "value", timeout=0.2)
            except TimeoutError as error:
                print(error)
            """
        )
    )
    assert "Counter.value did not change within 0.2 s" in out
    assert "subshell" in out


def test_an_interrupt_ends_a_wait(frontend: SubshellFrontend, kernel: Kernel) -> None:
    frontend.execute("c5 = Counter()")
    cell = start(
        frontend,
        """
        try:
            print("running", flush=True)
            wait_for(c5, "value")
        except KeyboardInterrupt:
            print("interrupted")
        """,
    )
    running(frontend, cell)
    kernel.manager.interrupt_kernel()
    assert "interrupted" in finish(frontend, cell)
    assert frontend.execute("print(len(c5._trait_notifiers.get('value', {}).get('change', [])))").strip() == "0"


def test_without_a_subshell_browser_writes_wait_for_the_cell(frontend: SubshellFrontend) -> None:
    """The fallback: on the main shell a write is applied once the cell ends, as before."""
    frontend.subshell_id = None
    model_id = frontend.execute("c6 = Counter()\nprint(c6.model_id)").strip()
    browser = frontend.models[model_id]
    cell = start(frontend, 'print("running", flush=True)\ntime.sleep(1.0)\nprint("during", c6.value)')
    running(frontend, cell)
    browser.set("value", 7)
    browser.save_changes()
    frontend.send_outbox()
    assert finish(frontend, cell).split()[-2:] == ["during", "0"]
    frontend.wait_for(lambda: not browser.pending)
    assert frontend.execute("print(c6.value)").strip() == "7"


def test_without_a_subshell_an_async_wait_sees_the_write(frontend: SubshellFrontend) -> None:
    frontend.subshell_id = None
    model_id = frontend.execute("c7 = Counter()\nprint(c7.model_id)").strip()
    browser = frontend.models[model_id]
    cell = start(frontend, 'print("running", flush=True)\nprint("got", await wait_for_async(c7, "value", timeout=20))')
    running(frontend, cell)
    browser.set("value", 9)
    browser.save_changes()
    frontend.send_outbox()
    assert finish(frontend, cell).split()[-2:] == ["got", "9"]

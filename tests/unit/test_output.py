"""Output (widgets/controls/output.py): what `with out:` captures (prints, displays, exceptions), from
callbacks and threads, clear_output and its wait, the capture decorator, the outputs trait, the
batching of many prints, and the view (output_views.mjs in happy-dom)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import pathlib
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import IPython.display
import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets import TraitError
from traitlets.config import Config

import widgets
import widgets.controls as controls
from widgets.controls import output as output_module
from widgets.testing import InProcessFrontend

from .test_flusher import in_fresh_thread

# IPython's display functions, untyped there
HTML: Any = IPython.display.HTML
clear_output: Any = IPython.display.clear_output
display: Any = IPython.display.display

JS = pathlib.Path(controls.__file__).parent / "js"


def text_of(out: controls.Output, name: str = "stdout") -> str:
    return "".join(o["text"] for o in out.outputs if o["output_type"] == "stream" and o["name"] == name)


def eventually(frontend: InProcessFrontend, condition: Any, timeout: float = 10.0) -> None:
    """Until `condition()` holds: what other threads wrote reaches the view through the sender thread."""
    deadline = time.monotonic() + timeout
    while True:
        frontend.flush()
        if condition():
            return
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.01)


@pytest.fixture
def shell() -> Iterator[Any]:
    """An IPython shell in this process (display() publishes through it), removed afterwards."""
    config = Config()
    config.HistoryManager.enabled = False
    instance = InteractiveShell.instance(config=config)
    try:
        yield instance
    finally:
        InteractiveShell.clear_instance()


def test_prints_and_stderr_are_captured_and_merged(frontend: InProcessFrontend) -> None:
    out = controls.Output()
    view = frontend.model(out)
    original = sys.stdout
    with out:
        print("one")
        print("two", end="")
        print("!")
        print("oops", file=sys.stderr)
        sys.stdout.write("three\n")
    assert sys.stdout is original  # unhooked after the block
    assert tuple(out.outputs) == (
        {"output_type": "stream", "name": "stdout", "text": "one\ntwo!\n"},
        {"output_type": "stream", "name": "stderr", "text": "oops\n"},
        {"output_type": "stream", "name": "stdout", "text": "three\n"},
    )
    frontend.flush()
    assert view.get("outputs") == [dict(o) for o in out.outputs]
    assert view.get("_kind") == "output-area" and "widgets-output-area" in (view.css or "")


def test_an_exception_is_shown_and_suppressed_when_someone_can_see_it(frontend: InProcessFrontend) -> None:
    out = controls.Output()
    with out:
        print("before")
        raise ValueError("no luck")
    error = out.outputs[-1]
    assert error["output_type"] == "error" and (error["ename"], error["evalue"]) == ("ValueError", "no luck")
    assert error["traceback"][-1] == "ValueError: no luck" and any(
        "test_output.py" in line for line in error["traceback"]
    )
    with pytest.raises(KeyboardInterrupt), out:
        raise KeyboardInterrupt
    assert out.outputs[-1]["ename"] == "KeyboardInterrupt"


def test_without_a_comm_the_exception_is_recorded_and_raised() -> None:
    out = controls.Output()  # no frontend, no kernel: nobody would see it
    with pytest.raises(ZeroDivisionError), out:
        print("x")
        1 / 0  # noqa: B018
    assert out.outputs[0]["text"] == "x\n" and out.outputs[1]["ename"] == "ZeroDivisionError"


def test_nested_and_reentrant_blocks() -> None:
    outer, inner = controls.Output(), controls.Output()
    with outer:
        print("a")
        with inner:
            print("b")
            with inner:
                print("c")
        print("d")
    assert text_of(outer) == "a\nd\n" and text_of(inner) == "b\nc\n"
    assert output_module._active == 0 and output_module.capturing() is None


def test_clear_output_and_wait(frontend: InProcessFrontend) -> None:
    out = controls.Output()
    view = frontend.model(out)
    with out:
        print("old")
    out.clear_output(wait=True)
    assert text_of(out) == "old\n"  # still there until the next output
    with out:
        print("new")
    assert tuple(out.outputs) == ({"output_type": "stream", "name": "stdout", "text": "new\n"},)
    out.clear_output()
    assert tuple(out.outputs) == ()
    out.append_stdout("x")
    out.clear_output(wait=True)
    out.settle()  # a run that printed nothing: the waiting clear happens now
    assert tuple(out.outputs) == ()
    frontend.flush()
    assert view.get("outputs") == []


def test_append_methods_and_assigning_outputs(frontend: InProcessFrontend) -> None:
    out = controls.Output()
    view = frontend.model(out)
    seen: list[Any] = []
    out.observe(lambda change: seen.append(change["new"]), "outputs")
    out.append_stdout("a")
    out.append_stdout("b\n")
    out.append_stderr("warn\n")

    class Fancy:
        def _repr_html_(self) -> str:
            return "<i>fancy</i>"

        def _repr_png_(self) -> bytes:
            return b"\x89PNG"

    out.append_display_data(Fancy())
    slider = controls.IntSlider(4)
    out.append_display_data(slider)
    outputs = out.outputs
    assert outputs[0]["text"] == "ab\n" and outputs[1] == {"output_type": "stream", "name": "stderr", "text": "warn\n"}
    assert outputs[2]["data"]["text/html"] == "<i>fancy</i>" and outputs[2]["data"]["image/png"] == "iVBORw=="
    assert outputs[3]["widget"] is slider and outputs[3]["data"][widgets.MIMETYPE]["model_id"] == slider.model_id
    frontend.flush()
    sent = view.get("outputs")
    assert sent[3]["widget"] == f"IPY_MODEL_{slider.model_id}"  # a reference: saved pages include the slider
    assert seen == []  # captured output is sent without traitlets notifications
    out.outputs = [{"output_type": "stream", "name": "stdout", "text": ["x", "y\n"]}]
    assert tuple(out.outputs) == ({"output_type": "stream", "name": "stdout", "text": "xy\n"},) and len(seen) == 1
    out.append_stdout("z\n")
    assert out.outputs[0]["text"] == "xy\nz\n"
    for bad in ([{"output_type": "nope"}], [1], "text", [{"output_type": "stream", "name": "stdlog", "text": ""}]):
        with pytest.raises(TraitError):
            out.outputs = bad
    view.set("outputs", [])
    view.save_changes()
    assert view.errors[-1]["kind"] == "read_only"


def test_carriage_returns_rewrite_the_line() -> None:
    out = controls.Output()
    with out:
        for i in range(5):
            print(f"\r{i * 25}%", end="")
        print()
        print("a\r\nb")
    assert text_of(out) == "100%\na\nb\n"


def test_the_capture_decorator() -> None:
    out = controls.Output()

    @out.capture()
    def talk(word: str) -> str:
        print(word)
        return word.upper()

    @out.capture(clear_output=True, wait=True)
    def only(word: str) -> None:
        print(word)

    assert talk("hi") == "HI" and talk("ho") == "HO" and talk.__name__ == "talk"
    assert text_of(out) == "hi\nho\n"
    only("last")
    assert text_of(out) == "last\n"

    @out.capture(clear_output=True)
    async def later() -> int:
        await asyncio.sleep(0)
        print("async")
        return 3

    results: list[int] = []
    in_fresh_thread(lambda: results.append(asyncio.run(later())))  # pytest's thread may run Playwright's loop
    assert results == [3] and text_of(out) == "async\n"


def test_rich_displays_through_ipython(frontend: InProcessFrontend, shell: Any) -> None:
    out = controls.Output()
    view = frontend.model(out)
    slider = controls.IntSlider(2)
    publish = type(shell.display_pub).publish
    with out:
        display(HTML("<b>bold</b>"))
        display(slider)
        handle = display("first", display_id=True)
        assert handle is not None
        handle.update("second")
        1 / 0  # noqa: B018
    kinds = [o["output_type"] for o in out.outputs]
    assert kinds == ["display_data", "display_data", "display_data", "error"]
    assert out.outputs[0]["data"]["text/html"] == "<b>bold</b>" and out.outputs[1]["widget"] is slider
    assert out.outputs[2]["data"]["text/plain"] == "'second'"
    assert "ZeroDivisionError" in "".join(out.outputs[3]["traceback"])  # IPython's (coloured) traceback
    assert "publish" not in shell.display_pub.__dict__ and type(shell.display_pub).publish is publish
    with out:
        clear_output(wait=True)
        print("after")
    assert tuple(out.outputs) == ({"output_type": "stream", "name": "stdout", "text": "after\n"},)
    frontend.flush()
    assert view.get("outputs")[0]["text"] == "after\n"


def test_a_button_callback_lands_in_the_output(frontend: InProcessFrontend) -> None:
    out = controls.Output()
    button = controls.Button(description="Go")
    view = frontend.model(button)

    def clicked(b: controls.Button) -> None:
        with out:
            print("clicked", b.description)
            raise RuntimeError("inside the callback")

    button.on_click(clicked)
    view.send({"event": "click"})
    button.click()
    assert [o["output_type"] for o in out.outputs] == ["stream", "error", "stream", "error"]
    assert text_of(out) == "clicked Go\n" * 2 and out.outputs[1]["evalue"] == "inside the callback"
    assert not view.errors  # suppressed: shown in the Output, not as the button's handler error


def test_a_threads_prints_go_to_its_output_only(frontend: InProcessFrontend) -> None:
    out = controls.Output()
    view = frontend.model(out)
    elsewhere = io.StringIO()
    started, release = threading.Event(), threading.Event()

    def work() -> None:
        with out:
            print("from the thread")
            started.set()
            release.wait(5)
            print("still the thread")

    with contextlib.redirect_stdout(elsewhere):
        thread = threading.Thread(target=work)
        thread.start()
        assert started.wait(5)
        print("main, not captured")  # while the thread captures
        release.set()
        thread.join(5)
        with out:  # and the other way round: a thread started inside the block is not captured
            helper = threading.Thread(target=print, args=("helper thread",))
            helper.start()
            helper.join(5)
            print("main, captured")
    assert elsewhere.getvalue() == "main, not captured\nhelper thread\n"
    assert text_of(out) == "from the thread\nstill the thread\nmain, captured\n"
    eventually(frontend, lambda: (view.get("outputs") or [{}])[0].get("text") == text_of(out))


def test_two_threads_at_once_lose_no_text(frontend: InProcessFrontend) -> None:
    out = controls.Output()
    view = frontend.model(out)
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        barrier.wait(5)
        with out:
            for i in range(500):
                print(f"{name} {i}")

    threads = [threading.Thread(target=work, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    lines = text_of(out).splitlines()
    assert sorted(lines) == sorted(f"{n} {i}" for n in "ab" for i in range(500))
    assert [line for line in lines if line.startswith("a")] == [f"a {i}" for i in range(500)]  # in order per thread
    eventually(frontend, lambda: len("".join(o["text"] for o in view.get("outputs") or []).splitlines()) == 1000)


def test_a_callback_may_join_a_thread_that_prints(frontend: InProcessFrontend) -> None:
    """A thread printing into an Output never waits for the sync lock a running callback holds."""
    out = controls.Output()
    button = controls.Button()
    view = frontend.model(button)
    finished: list[bool] = []

    def clicked(b: controls.Button) -> None:
        def work() -> None:
            with out:
                print("worker")

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(5)
        finished.append(not thread.is_alive())

    button.on_click(clicked)
    view.send({"event": "click"})
    assert finished == [True] and text_of(out) == "worker\n"


def test_ten_thousand_prints_are_a_few_messages(frontend: InProcessFrontend) -> None:
    out = controls.Output()
    view = frontend.model(out)
    before = len(frontend.messages)
    with out:
        for i in range(10_000):
            print(i)
    frontend.flush()
    updates = [m for m in frontend.messages[before:] if m.comm_id == out.model_id and m.method == "update"]
    assert 1 <= len(updates) < 200
    assert len(view.get("outputs")) == 1 and view.get("outputs")[0]["text"] == "".join(f"{i}\n" for i in range(10_000))


def test_no_ipython_needed() -> None:
    """A plain Python process without IPython: prints, appends and exceptions work."""
    code = (
        "import sys, widgets\n"
        "out = widgets.Output()\n"
        "try:\n"
        "    with out:\n"
        "        print('hi'); out.append_display_data(3); raise KeyError('k')\n"
        "except KeyError:\n"
        "    pass\n"
        "print('IPython' in sys.modules, [o['output_type'] for o in out.outputs], out.outputs[0]['text'].strip())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split("\n")[0] == "False ['stream', 'display_data', 'error'] hi"


NODE = shutil.which("node")
HAPPY_DOM = pathlib.Path(__file__).parents[2] / "node_modules" / "happy-dom" / "lib" / "index.js"


def test_the_view_in_a_headless_dom() -> None:
    """output.js against a stand-in model (happy-dom): each kind of output, ANSI colours, what stays."""
    assert NODE is not None and HAPPY_DOM.exists(), "needs node and happy-dom: `npm ci` (make test runs it)"
    script = pathlib.Path(__file__).parent / "output_views.mjs"
    run = subprocess.run(
        [str(NODE), str(script), str(HAPPY_DOM), f"{JS}/"], capture_output=True, text=True, timeout=60, check=False
    )
    failed = [line for line in run.stdout.splitlines() if not line.startswith("ok ")]
    assert run.returncode == 0 and not failed, run.stdout + run.stderr
    assert run.stdout.count("ok ") >= 15


def test_a_saved_page_includes_the_widgets_shown_in_an_output(frontend: InProcessFrontend) -> None:
    out = controls.Output()
    inner = controls.IntSlider(3, description="Inner")
    with out:
        print("saved text")
    out.append_display_data(inner)
    page = widgets.to_html(out)
    assert inner.model_id in page and "saved text" in page

"""The flusher where no thread can start (Pyodide in JupyterLite): trailing updates ride the asyncio loop.

The threaded path is held by test_sync_kernel_side and test_hostile_input; here a fresh flusher
whose thread fails to start, as `threading.Thread.start` does in a build of Python without threads.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from traitlets import Int

import widgets
import widgets.registry
import widgets.sync
import widgets.testing.inprocess
from widgets.flusher import _Flusher
from widgets.testing import InProcessFrontend

from .models import ESM


class Slow(widgets.Model):
    """An interval long enough that two statements in a row always fall inside it."""

    _esm = ESM
    _sync_interval = 1.0
    value = Int(0).tag(sync=True)


class Quick(widgets.Model):
    _esm = ESM
    _sync_interval = 0.02
    value = Int(0).tag(sync=True)


_START = threading.Thread.start


def in_fresh_thread(function: Callable[[], object]) -> None:
    """Run `function` in a thread of its own, which has no event loop: pytest's main thread may be
    running one (Playwright's sync API keeps its loop there once a browser test has run)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            function()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, name="test-cell")
    _START(thread)  # Thread.start itself refuses, in these tests
    thread.join(30)
    assert not thread.is_alive(), "the test's thread did not finish"
    if errors:
        raise errors[0]


@pytest.fixture
def threadless(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Flusher]:
    """A fresh flusher in place of the shared one, in a process where no thread can start."""

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    flusher = _Flusher()
    for module in (widgets.sync, widgets.registry, widgets.testing.inprocess):
        monkeypatch.setattr(module, "FLUSHER", flusher)
    yield flusher


async def _until(condition: Any, timeout: float = 5.0) -> None:
    """Let the loop run (timers fire only then) until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


def test_without_threads_the_trailing_update_is_a_timer_on_the_running_loop(threadless: _Flusher) -> None:
    threads_before = threading.active_count()

    async def cell() -> None:
        with InProcessFrontend() as frontend:
            slow, quick = Slow(), Quick()
            slow_view, quick_view = frontend.model(slow), frontend.model(quick)
            slow.value = 1  # the first change goes at once
            for i in range(2, 101):  # the rest of the burst waits for the end of the interval
                slow.value = i
                quick.value = i
            assert slow._sync is not None and slow._sync.scheduled
            assert slow_view.get("value") == 1
            assert not threadless.threads and threadless._thread is None
            await _until(lambda: quick_view.get("value") == 100 and slow_view.get("value") == 100)
            updates = [m for m in frontend.sent(method="update") if m.comm_id == slow.model_id]
            assert [u.data["state"]["value"] for u in updates] == [1, 100]

    in_fresh_thread(lambda: asyncio.run(cell()))
    assert threading.active_count() == threads_before


def test_without_threads_a_later_change_and_flush_all_still_work(threadless: _Flusher) -> None:
    async def cell() -> None:
        with InProcessFrontend() as frontend:
            slow = Slow()
            view = frontend.model(slow)
            slow.value = 1
            slow.value = 2  # queued behind a timer
            frontend.flush()  # flush_all (what a restore or a test does) sends it now
            assert view.get("value") == 2
            slow.value = 3
            await _until(lambda: view.get("value") == 3)  # the timer still serves what came after
            assert threadless._queue == []

    in_fresh_thread(lambda: asyncio.run(cell()))


def test_without_threads_or_a_running_loop_the_update_is_sent_at_once(threadless: _Flusher) -> None:
    def cell() -> None:
        with InProcessFrontend() as frontend:
            slow = Slow()
            view = frontend.model(slow)
            slow.value = 1
            slow.value = 2  # nothing could send it later: it goes now, never lost
            assert view.get("value") == 2
            assert slow._sync is not None and not slow._sync.scheduled
            assert not threadless.threads and threadless._queue == []

    in_fresh_thread(cell)


def test_with_threads_the_flusher_keeps_its_daemon_thread() -> None:
    flusher = _Flusher()
    assert flusher.threads

    class Pending:
        scheduled = True
        holds = 0
        flushed = threading.Event()

        def flush(self) -> None:
            self.scheduled = False
            self.flushed.set()

        def send_error(self, *entries: Any) -> None:
            raise AssertionError(entries)

    pending = Pending()
    flusher.schedule(pending, time.monotonic())
    assert pending.flushed.wait(5)
    assert flusher.threads and flusher._thread is not None and flusher._thread.daemon

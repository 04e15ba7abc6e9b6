"""The background flusher: sends trailing updates when their interval ends.

A loop in a long cell holds the main thread, so the last change of a burst is sent from a daemon
thread, within one `Model._sync_interval`. Where no thread can start (Pyodide, in JupyterLite),
the trailing update is a timer on the running asyncio loop instead: it goes out within one
interval of an idle kernel, or when the cell ends or awaits. `LOCK` is shared by everything that
touches sync state.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import time
from typing import TYPE_CHECKING, Protocol

from .protocol import ErrorEntry, truncate

if TYPE_CHECKING:
    import asyncio

LOCK = threading.RLock()


class Flushable(Protocol):
    """What the flusher needs of a model's sync state (widgets.sync.ModelSync)."""

    scheduled: bool
    holds: int

    def flush(self) -> None: ...

    def send_error(self, *entries: ErrorEntry) -> None: ...


class _Flusher:
    """A queue of trailing updates by deadline, served by one daemon thread or, without threads, the event loop."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, Flushable]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition(LOCK)
        self._thread: threading.Thread | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._timer_at = 0.0
        self.threads = True
        """False once a thread failed to start: from then on the asyncio loop serves the queue."""

    def schedule(self, sync: Flushable, deadline: float) -> None:
        with self._wake:
            heapq.heappush(self._queue, (deadline, next(self._counter), sync))
            if self.threads and self._thread is None:
                self._start_thread()
            if self.threads:
                self._wake.notify()
            else:
                self._arm()

    def flush_all(self) -> None:
        with self._wake:
            pending, self._queue = self._queue, []
            for _, _, sync in pending:
                if sync.scheduled:
                    trailing_flush(sync)

    def _start_thread(self) -> None:
        thread = threading.Thread(target=self._run, name="widgets-flusher", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # "can't start new thread": a build of Python without threads
            self.threads = False
            return
        self._thread = thread

    def _run(self) -> None:
        with self._wake:
            while True:
                if not self._queue:
                    self._wake.wait()
                    continue
                delay = self._queue[0][0] - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                self._pop_and_flush()

    def _pop_and_flush(self) -> None:
        _, _, sync = heapq.heappop(self._queue)
        if sync.scheduled and not sync.holds:
            trailing_flush(sync)

    # --- without threads: one timer on the asyncio loop, for the earliest deadline ---------

    def _arm(self) -> None:
        """Set the timer for the queue's head; with no running loop to wait on, what is queued is sent now."""
        deadline = self._queue[0][0]
        loop = _running_loop()
        if loop is None:
            self._flush_due(float("inf"))
            return
        timer = self._timer
        if timer is not None and self._timer_loop is loop and not timer.cancelled() and self._timer_at <= deadline:
            return
        if timer is not None:
            timer.cancel()
        self._timer = loop.call_later(max(0.0, deadline - time.monotonic()), self._on_timer)
        self._timer_loop, self._timer_at = loop, deadline

    def _on_timer(self) -> None:
        with LOCK:
            self._timer = None
            self._flush_due(time.monotonic())
            if self._queue:  # the next deadline, or a timer that fired a little early
                self._arm()

    def _flush_due(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            self._pop_and_flush()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop, if any. One runs only if asyncio was imported, and `import widgets` stays
    fast by not importing it."""
    module = sys.modules.get("asyncio")
    if module is None:
        return None
    try:
        return module.get_running_loop()  # type: ignore[no-any-return]
    except RuntimeError:
        return None


def trailing_flush(sync: Flushable) -> None:
    """A flush no user code waits for: a failure is reported to the views, and its keys stay dirty."""
    try:
        sync.flush()
    except Exception as error:
        entry: ErrorEntry = {
            "kind": "unsendable",
            "message": truncate(
                f"an update could not be sent ({type(error).__name__}: {error}); the next change retries it"
            ),
        }
        try:
            sync.send_error(entry)
        except Exception:  # not even the error could be sent: the kernel log is all that is left
            print(f"widgets: {entry['message']}", file=sys.__stderr__)


FLUSHER = _Flusher()

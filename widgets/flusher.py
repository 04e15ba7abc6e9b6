"""The background flusher: one daemon thread that sends trailing updates when their interval ends.

A loop in a long cell holds the main thread, so the last change of a burst is sent from here,
within one `Model._sync_interval`. `LOCK` is shared by everything that touches sync state.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import time
from typing import Protocol

from .protocol import ErrorEntry, truncate

LOCK = threading.RLock()


class Flushable(Protocol):
    """What the flusher needs of a model's sync state (widgets.sync.ModelSync)."""

    scheduled: bool
    holds: int

    def flush(self) -> None: ...

    def send_error(self, *entries: ErrorEntry) -> None: ...


class _Flusher:
    """One daemon thread that sends trailing updates when their interval ends."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, Flushable]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition(LOCK)
        self._thread: threading.Thread | None = None

    def schedule(self, sync: Flushable, deadline: float) -> None:
        with self._wake:
            heapq.heappush(self._queue, (deadline, next(self._counter), sync))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="widgets-flusher", daemon=True)
                self._thread.start()
            self._wake.notify()

    def flush_all(self) -> None:
        with self._wake:
            pending, self._queue = self._queue, []
            for _, _, sync in pending:
                if sync.scheduled:
                    trailing_flush(sync)

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
                _, _, sync = heapq.heappop(self._queue)
                if sync.scheduled and not sync.holds:
                    trailing_flush(sync)


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

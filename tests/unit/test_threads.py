"""User code that the browser's messages start (observers, on_msg callbacks, commands) runs without
the sync lock held: it may wait on a thread that changes models, as a callback driving a worker
that updates a progress bar does, without a deadlock (widgets/sync.py, handle_msg)."""

from __future__ import annotations

import threading
from typing import Any

from traitlets import Int

import widgets
from widgets.testing import InProcessFrontend

from .models import ESM


class Job(widgets.Model):
    _esm = ESM
    start = Int(0).tag(sync=True)
    progress = Int(0).tag(sync=True)

    @widgets.command
    def run(self, args: Any) -> int:
        return self._in_worker(args["steps"])

    def _in_worker(self, steps: int) -> int:
        """Count `progress` up to `steps` in another thread and wait for it (at most 5 s)."""

        def work() -> None:
            for _ in range(steps):
                self.progress += 1

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join(timeout=5)
        assert not worker.is_alive(), "the worker blocked: the callback holds the sync lock"
        return self.progress


def test_an_observer_of_a_browser_change_may_wait_on_a_thread_that_sets_traits(frontend: InProcessFrontend) -> None:
    job = Job()
    finished: list[int] = []
    job.observe(lambda change: finished.append(job._in_worker(change["new"])), "start")
    view = frontend.model(job)
    view.set("start", 3)
    view.save_changes()
    assert finished == [3] and job.progress == 3
    frontend.flush()
    assert view.get("progress") == 3 and view.get("start") == 3 and view.pending == {}


def test_a_custom_message_callback_may_wait_on_a_thread_that_sets_traits(frontend: InProcessFrontend) -> None:
    job = Job()
    done: list[int] = []
    job.on_msg(lambda model, content, buffers: done.append(job._in_worker(content["steps"])))
    view = frontend.model(job)
    view.send({"steps": 4})
    assert done == [4]
    frontend.flush()
    assert view.get("progress") == 4


def test_a_command_may_wait_on_a_thread_that_sets_traits(frontend: InProcessFrontend) -> None:
    job = Job()
    view = frontend.model(job)
    assert view.invoke("run", {"steps": 5}) == 5
    frontend.flush()
    assert view.get("progress") == 5


def test_a_button_callback_may_drive_a_worker_updating_a_progress_bar(frontend: InProcessFrontend) -> None:
    bar = widgets.IntProgress(max=10)
    button = widgets.Button(description="go")

    def go(_: Any) -> None:
        worker = threading.Thread(target=lambda: setattr(bar, "value", 10), daemon=True)
        worker.start()
        worker.join(timeout=5)
        assert not worker.is_alive()

    button.on_click(go)
    bar_view, button_view = frontend.model(bar), frontend.model(button)
    button_view.send({"event": "click"})
    assert bar.value == 10 and button_view.errors == []
    frontend.flush()
    assert bar_view.get("value") == 10


def test_a_model_waits_for_a_change_another_thread_makes() -> None:
    job = Job()
    threading.Timer(0.05, lambda: setattr(job, "progress", 7)).start()
    assert job.wait_for("progress", timeout=5) == 7
    threading.Timer(0.05, lambda: setattr(job, "start", 2)).start()
    assert job.wait_until(lambda model: model.start == 2, timeout=5) is True
    try:
        job.wait_for("progress", timeout=0.05)
    except TimeoutError as error:
        assert "progress" in str(error)
    else:
        raise AssertionError("wait_for did not time out")

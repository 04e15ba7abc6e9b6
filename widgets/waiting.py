"""Waiting in Python for a change the browser makes: `wait_for`, `wait_until` and their async forms.

A running cell holds the kernel's main thread. Where our browser messages travel on a kernel
subshell (docs/live-cells.md), they are applied on that subshell's thread while the cell runs, so
a blocking wait here sees them: it sleeps on an event the trait observer sets, in short slices so
that an interrupt (KeyboardInterrupt) ends it at once. Without subshells a browser change reaches
the kernel only when the cell ends or awaits: the async forms work there too, since ipykernel 7
handles comm messages while an async cell awaits.

The functions take the model first so that they can serve as `Model` methods as they are.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from traitlets import All, HasTraits

if TYPE_CHECKING:
    import asyncio

__all__ = ["wait_for", "wait_for_async", "wait_until", "wait_until_async"]

H = TypeVar("H", bound=HasTraits)

_SLICE = 0.1
"""Longest single sleep of a blocking wait: how late an interrupt or a deadline may be noticed."""

_HINT = (
    "browser changes reach a running cell only where the frontend sends them on a kernel subshell "
    "(ipykernel >= 7; see docs/live-cells.md); elsewhere they arrive when the cell ends, "
    "or while an async cell awaits wait_for_async"
)


def _timeout_error(what: str, timeout: float | None) -> TimeoutError:
    return TimeoutError(f"{what} within {timeout:g} s; {_HINT}")


def _check_timeout(timeout: float | None) -> None:
    if timeout is not None and not timeout >= 0:
        raise ValueError(f"timeout must be None or a number of seconds >= 0, not {timeout!r}")


def _check_name(model: HasTraits, name: str) -> None:
    if not model.has_trait(name):
        raise AttributeError(f"{type(model).__name__} has no trait {name!r}")


def _sleep_until(event: threading.Event, deadline: float | None) -> bool:
    """Wait for `event` in short slices (an interrupt ends the wait); False once `deadline` passed."""
    while not event.is_set():
        if deadline is None:
            event.wait(_SLICE)
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        event.wait(min(_SLICE, remaining))
    return True


def wait_for(model: HasTraits, name: str, timeout: float | None = None) -> Any:
    """Block until trait `name` changes (from the browser or any thread); return its new value.

    Raises TimeoutError after `timeout` seconds (None: wait as long as it takes); an interrupt
    raises KeyboardInterrupt as usual. Call it from the cell's thread, never from an observer or
    `on_msg` handler: those run on the thread that would deliver the change.
    """
    _check_name(model, name)
    _check_timeout(timeout)
    changed = threading.Event()
    values: list[Any] = []

    def on_change(change: Any) -> None:
        if not values:
            values.append(change["new"])
            changed.set()

    deadline = None if timeout is None else time.monotonic() + timeout
    model.observe(on_change, names=name)
    try:
        if not _sleep_until(changed, deadline):
            raise _timeout_error(f"{type(model).__name__}.{name} did not change", timeout)
    finally:
        model.unobserve(on_change, names=name)
    return values[0]


def wait_until(model: H, predicate: Callable[[H], Any], timeout: float | None = None) -> Any:
    """Block until `predicate(model)` is true; return what it returned.

    The predicate is called at once, then after every change of any trait of the model, on the
    waiting thread. Raises TimeoutError after `timeout` seconds.
    """
    _check_timeout(timeout)
    changed = threading.Event()

    def on_change(_change: Any) -> None:
        changed.set()

    deadline = None if timeout is None else time.monotonic() + timeout
    model.observe(on_change, names=All)
    try:
        while True:
            changed.clear()
            result = predicate(model)
            if result:
                return result
            if not _sleep_until(changed, deadline):
                raise _timeout_error(f"the condition on {type(model).__name__} did not hold", timeout)
    finally:
        model.unobserve(on_change, names=All)


def _loop() -> asyncio.AbstractEventLoop:
    """The running loop (asyncio is imported by whoever runs a coroutine; `import widgets` does not)."""
    return sys.modules["asyncio"].get_running_loop()  # type: ignore[no-any-return]


def _wake(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], value: Any) -> None:
    """Settle `future` on its loop, from whichever thread the change was applied on."""

    def settle() -> None:
        if not future.done():
            future.set_result(value)

    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(settle)


async def _await(future: asyncio.Future[Any], timeout: float | None, what: str) -> Any:
    asyncio_ = sys.modules["asyncio"]
    try:
        return await asyncio_.wait_for(future, timeout)
    except TimeoutError:
        raise _timeout_error(what, timeout) from None


async def wait_for_async(model: HasTraits, name: str, timeout: float | None = None) -> Any:
    """`await` the next change of trait `name`; return its new value (TimeoutError after `timeout`)."""
    _check_name(model, name)
    _check_timeout(timeout)
    loop = _loop()
    future: asyncio.Future[Any] = loop.create_future()

    def on_change(change: Any) -> None:
        _wake(loop, future, change["new"])

    model.observe(on_change, names=name)
    try:
        return await _await(future, timeout, f"{type(model).__name__}.{name} did not change")
    finally:
        model.unobserve(on_change, names=name)


async def wait_until_async(model: H, predicate: Callable[[H], Any], timeout: float | None = None) -> Any:
    """`await` until `predicate(model)` is true; return what it returned (TimeoutError after `timeout`)."""
    _check_timeout(timeout)
    loop = _loop()
    deadline = None if timeout is None else loop.time() + timeout
    future: asyncio.Future[Any] = loop.create_future()

    def on_change(_change: Any) -> None:
        _wake(loop, future, None)

    model.observe(on_change, names=All)
    try:
        while True:
            result = predicate(model)
            if result:
                return result
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            await _await(future, remaining, f"the condition on {type(model).__name__} did not hold")
            future = loop.create_future()
    finally:
        model.unobserve(on_change, names=All)

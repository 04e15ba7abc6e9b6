"""Commands: methods of a model that its views call by name and await (docs/protocol.md, `invoke`).

Mirrors frontend/src/commands.ts. `@command` marks a method; a class's commands are collected
once per class, on first use, from its whole MRO (a subclass's definition wins). Methods marked
by anywidget's `@anywidget.experimental.command` count too, with anywidget's calling convention.

`Invocations` runs the invokes of one model comm: it checks each one, calls the method, and
hands exactly one `Outcome` per invoke to its sync (which sends it after any pending update);
an `async def` command runs as a task on the running event loop and `abort` cancels it, with no
answer at all. Nothing here raises into the kernel or prints to a cell.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar, overload

from .buffers import insert_buffers
from .incoming import json_problem
from .protocol import (
    ErrorKind,
    InvokeError,
    JSONDict,
    ProtocolError,
    check_id,
    envelope,
    is_utf8,
    traceback_text,
    truncate,
)
from .serialize import to_json

if TYPE_CHECKING:
    import asyncio

F = TypeVar("F", bound=Callable[..., Any])

COMMAND_MARK = "_widgets_command"
"""The attribute `@command` sets on a function: the name views call it by."""
ANYWIDGET_MARK = "_anywidget_command"
"""What anywidget's `@experimental.command` sets (to True): called as `(msg, buffers)`, returns `(value, buffers)`."""
_TABLE = "_widgets_command_table"


@overload
def command(function: F, /) -> F: ...


@overload
def command(name: str | None = None, /) -> Callable[[F], F]: ...


def command(target: Any = None, /) -> Any:
    """Mark a method of a Model as a command views may call: `await model.invoke("name", args)`.

    `@command` exposes it under its own name, `@command("other")` under another. It is called as
    `method(args)`, or `method(args, buffers)` when it takes a second positional parameter (the
    call's extra buffers, a list of memoryview); its return value travels as a synced value does
    (binary as buffers, models as references). An `async def` command runs on the kernel's event
    loop and may be aborted by the view. A subclass that overrides the method keeps the command.
    """

    def mark(function: F, name: str) -> F:
        if not callable(function) or isinstance(function, type):
            raise TypeError(f"@command marks a method, not {type(function).__name__}")
        if not name or not is_utf8(name):
            raise ValueError(f"a command needs a non-empty name, got {name!r}")
        setattr(function, COMMAND_MARK, name)
        return function

    if isinstance(target, str):
        return lambda function: mark(function, target)
    if target is None:
        return lambda function: mark(function, function.__name__)
    return mark(target, getattr(target, "__name__", ""))


class Command(NamedTuple):
    """One command of a class: the attribute it calls and whether anywidget's convention applies."""

    name: str
    attribute: str
    anywidget: bool = False


def collect_commands(cls: type) -> dict[str, Command]:
    """The commands of `cls` by name, collected once per class (base classes first, so overrides win)."""
    table: dict[str, Command] | None = cls.__dict__.get(_TABLE)
    if table is not None:
        return table
    table = {}
    for klass in reversed(cls.__mro__):
        for attribute, value in vars(klass).items():
            name = getattr(value, COMMAND_MARK, None)
            if isinstance(name, str):
                table[name] = Command(name, attribute)
            elif getattr(value, ANYWIDGET_MARK, False) is True:
                table[attribute] = Command(attribute, attribute, anywidget=True)
    # An attribute a subclass set to something not callable (None) withdraws the command.
    table = {name: c for name, c in table.items() if callable(getattr(cls, c.attribute, None))}
    setattr(cls, _TABLE, table)
    return table


def _takes_buffers(method: Callable[..., Any]) -> bool:
    """Whether a bound method takes a second positional parameter (the call's buffers)."""
    import inspect  # at the first call of a command only: keeps `import widgets` fast

    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


class Outcome:
    """What one invoke came to: `value` and `extra` buffers, or `error`. `call_id` None: the id was invalid."""

    __slots__ = ("call_id", "error", "extra", "value")

    def __init__(
        self,
        call_id: str | None,
        value: Any = None,
        extra: list[memoryview] | None = None,
        error: InvokeError | None = None,
    ) -> None:
        self.call_id, self.value, self.extra, self.error = call_id, value, extra or [], error


def failure(kind: ErrorKind, message: str) -> InvokeError:
    return {"kind": kind, "message": truncate(message)}


def raised(error: BaseException) -> InvokeError:
    """A `handler` error: the command raised. Its traceback starts in the command, not in our code or asyncio's."""
    summary = truncate(f"{type(error).__name__}: {error}")
    skip, frames = 0, error.__traceback__
    while frames is not None and frames.tb_next is not None and _ours(frames.tb_frame.f_code.co_filename):
        skip, frames = skip + 1, frames.tb_next
    return {
        "kind": "handler",
        "type": type(error).__name__,
        "message": truncate(str(error)),
        "traceback": traceback_text(error, summary, skip),
    }


def _ours(filename: str) -> bool:
    return filename == __file__ or os.path.dirname(filename).endswith(os.sep + "asyncio")


def reply_message(outcome: Outcome) -> tuple[JSONDict, list[memoryview]]:
    """Our `invoke_reply` for an outcome, and its buffers; TypeError when the value cannot be encoded."""
    fields: JSONDict = {} if outcome.call_id is None else {"id": outcome.call_id}
    if outcome.error is not None:
        return envelope("invoke_reply", **fields, error=outcome.error), []
    wire, binaries = to_json(outcome.value)
    paths = [["result", *path] for path, _ in binaries]
    message = envelope("invoke_reply", **fields, result=wire, buffer_paths=paths)
    return message, [buffer for _, buffer in binaries] + outcome.extra


def unsendable(outcome: Outcome, error: BaseException) -> Outcome:
    return Outcome(outcome.call_id, error=failure("unsendable", f"the command's result cannot be sent: {error}"))


class CommandModel(Protocol):
    """What Invocations needs of a model (widgets.model.Model implements it)."""

    def command_table(self) -> Mapping[str, Command]:
        """The commands of the model's class (`collect_commands`)."""

    def decode_content(self, content: Any) -> Any:
        """A value from the browser with its references resolved."""


Answer = Callable[[Outcome], None]


class Invocations:
    """The invokes of one model comm: checked, run, answered once each through `answer`."""

    def __init__(self, model: CommandModel, answer: Answer) -> None:
        self.model = model
        self.answer = answer
        self.tasks: dict[str, asyncio.Task[Any]] = {}

    # --- our protocol ---------------------------------------------------------------------

    def invoke(self, data: JSONDict, buffers: list[Any]) -> None:
        """Handle an `invoke` message whose envelope holds; every failure is answered, never raised."""
        call_id: str | None = None
        try:
            call_id = check_id(data.get("id"), "id")
            if call_id in self.tasks:  # not a valid id: the reply must not settle the call still running
                call_id = None
                raise ProtocolError("bad_message", f"an invoke with id {data['id']!r} is still running")
            name = data.get("name")
            if not isinstance(name, str) or not is_utf8(name):
                raise ProtocolError("bad_message", "'name' must be a string (a command of the model)")
            paths = data.get("buffer_paths", [])
            if isinstance(paths, list) and any(not isinstance(p, list) or p[:1] != ["args"] for p in paths):
                raise ProtocolError("bad_buffer", "an invoke's buffer paths must lie under 'args'")
            extra = insert_buffers(data, buffers, extra=True)
            problem = json_problem(data.get("args"))
            if problem:
                raise ProtocolError("bad_message", f"invoke refused: {problem}")
            args = self.model.decode_content(data.get("args"))
        except ProtocolError as error:
            self._send(Outcome(call_id, error=failure(error.kind, str(error))))
            return
        self.call(call_id, name, args, extra)

    def abort(self, data: JSONDict, buffers: list[Any]) -> None:
        """`invoke_abort`: cancel that running async command (it is never answered); else nothing."""
        call_id = check_id(data.get("id"), "id")
        if buffers:
            raise ProtocolError("bad_buffer", "invoke_abort carries no buffers")
        task = self.tasks.pop(call_id, None)
        if task is not None:
            task.cancel()

    # --- anywidget's protocol (compatibility mode) ----------------------------------------

    def invoke_compat(self, content: JSONDict, buffers: list[Any]) -> None:
        """anywidget's `{"id", "kind": "anywidget-command", "name", "msg"}` custom message."""
        call_id = content.get("id")
        if not isinstance(call_id, str) or not is_utf8(call_id) or not 1 <= len(call_id) <= 256:
            self._send(Outcome(None, error=failure("bad_message", "an anywidget command without a valid 'id'")))
            return
        name = content.get("name")
        problem = json_problem(content.get("msg"))
        if not isinstance(name, str) or problem:
            why = problem or "'name' must be a string"
            self._send(Outcome(call_id, error=failure("bad_message", f"anywidget command refused: {why}")))
            return
        args = self.model.decode_content(content.get("msg"))
        self.call(call_id, name, args, [memoryview(b) for b in buffers])

    # --- running a command ----------------------------------------------------------------

    def call(self, call_id: str, name: str, args: Any, extra: list[memoryview]) -> None:
        """Run command `name`; a coroutine becomes a task answered when it ends."""
        table = self.model.command_table()
        command = table.get(name)
        if command is None:
            known = ", ".join(sorted(table)) or "none"
            owner = type(self.model).__name__
            message = f"{owner} has no command {truncate(name, 100)!r}; its commands: {known}"
            self._send(Outcome(call_id, error=failure("unknown_command", message)))
            return
        method = getattr(self.model, command.attribute)
        try:
            if command.anywidget or _takes_buffers(method):
                result = method(args, [memoryview(b) for b in extra])
            else:
                result = method(args)
        except (Exception, KeyboardInterrupt) as error:
            self._send(Outcome(call_id, error=raised(error)))
            return
        if _is_awaitable(result):
            self._start(call_id, command, result)
        else:
            self._finish(call_id, command, result)

    def _start(self, call_id: str, command: Command, awaitable: Awaitable[Any]) -> None:
        import asyncio  # only for async commands: keeps `import widgets` fast

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop runs here (plain Python, a synchronous test): run it to its end now
            try:
                result = asyncio.run(_awaited(awaitable))
            except (Exception, KeyboardInterrupt) as error:
                self._send(Outcome(call_id, error=raised(error)))
                return
            self._finish(call_id, command, result)
            return
        self.tasks[call_id] = loop.create_task(self._run(call_id, command, awaitable))

    async def _run(self, call_id: str, command: Command, awaitable: Awaitable[Any]) -> None:
        """The task of an async command. A CancelledError (abort, close) propagates: no answer."""
        import asyncio

        error: Exception | None = None
        try:
            result = await awaitable
        except Exception as raised_error:
            error, result = raised_error, None
        if self.tasks.get(call_id) is not asyncio.current_task():
            return  # aborted while it ran (it swallowed the cancellation): still never answered
        del self.tasks[call_id]
        if error is not None:
            self._send(Outcome(call_id, error=raised(error)))
        else:
            self._finish(call_id, command, result)

    def _finish(self, call_id: str, command: Command, result: Any) -> None:
        if command.anywidget:
            if not (isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[1], (list, tuple))):
                error = TypeError("an anywidget command must return (value, buffers)")
                self._send(unsendable(Outcome(call_id), error))
                return
            value, buffers = result
            try:
                extra = [b if isinstance(b, memoryview) else memoryview(b) for b in buffers]
            except TypeError as error:
                self._send(unsendable(Outcome(call_id), error))
                return
            self._send(Outcome(call_id, value, extra))
        else:
            self._send(Outcome(call_id, result))

    def _send(self, outcome: Outcome) -> None:
        with contextlib.suppress(Exception):  # the comm itself failing: no one is left to tell
            self.answer(outcome)

    def close(self) -> None:
        """The model is closed: cancel every running command (none is answered)."""
        tasks, self.tasks = self.tasks, {}
        for task in tasks.values():
            task.cancel()


def _is_awaitable(value: Any) -> bool:
    return hasattr(value, "__await__") and not isinstance(value, type)


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable

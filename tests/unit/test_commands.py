"""Commands: `invoke` / `invoke_reply` / `invoke_abort` (docs/protocol.md) on the kernel side
(widgets/commands.py), through the testing kit's real wire messages; anywidget's shape in compat mode."""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

import numpy as np
import pytest
from traitlets import Instance, Int, List

import widgets
from widgets.commands import collect_commands
from widgets.testing import CommandError, InProcessFrontend

from .test_compat import IpywidgetsHost, _fresh_settings, host  # noqa: F401 - fixtures
from .test_flusher import in_fresh_thread

ESM = "export default { render({ model, el }) { el.textContent = String(model.get('value')); } }"


class Fitter(widgets.Model):
    _esm = ESM
    _sync_interval = 10.0  # a change waits for the flusher: only the reply's flush sends it in time
    value = Int(0).tag(sync=True)
    log: List[Any] = List().tag(sync=True)

    @widgets.command
    def add(self, args: Any) -> Any:
        self.value += args["n"]
        return {"value": self.value}

    @widgets.command("fail")
    def _fail(self, args: Any) -> None:
        raise ValueError(f"degree must be > 0, got {args}")

    @widgets.command
    def sizes(self, args: Any, buffers: list[memoryview]) -> Any:
        return {"args": args, "sizes": [len(b) for b in buffers], "types": [type(b).__name__ for b in buffers]}

    @widgets.command
    def binary(self, args: Any) -> Any:
        return {"raw": b"\x00\x01\x02", "array": np.arange(6, dtype="float32").reshape(2, 3), "n": args}

    @widgets.command
    def itself(self, args: Any) -> Any:
        return {"me": self, "given": args}

    @widgets.command
    def opaque(self, args: Any) -> Any:
        return object()

    @widgets.command
    async def slow(self, args: Any) -> Any:
        await asyncio.sleep(args.get("seconds", 0.0))
        self.value = args.get("value", self.value)
        return args

    @widgets.command
    async def async_fail(self, args: Any) -> None:
        await asyncio.sleep(0)
        raise KeyError("missing")

    @widgets.command
    async def stubborn(self, args: Any) -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return "swallowed"
        return "slept"

    def not_a_command(self, args: Any) -> str:
        return "never"


class Holder(widgets.Model):
    _esm = ESM
    child = Instance(widgets.Model, allow_none=True).tag(sync=True)

    @widgets.command
    def adopt(self, args: Any) -> str:
        self.child = args["model"]
        return type(args["model"]).__name__


def replies(frontend: InProcessFrontend, model: widgets.Model) -> list[Any]:
    return [m.data for m in frontend.sent("to_browser", "invoke_reply") if m.comm_id == model.model_id]


def raw(frontend: InProcessFrontend, model: widgets.Model, data: Any, buffers: list[bytes] | None = None) -> None:
    """A message as a hostile page might send it (no encoding by the kit: NaN passes)."""
    frontend.transmit("comm_msg", model.model_id, data, list(buffers or []), None)


def invoke(**fields: Any) -> dict[str, Any]:
    return {"protocol": widgets.PROTOCOL_VERSION, "method": "invoke", **fields}


# --- results and ordering -----------------------------------------------------------------------


def test_a_command_returns_its_value_after_the_trait_changes_it_made(frontend: InProcessFrontend) -> None:
    model = Fitter()
    assert frontend.invoke(model, "add", {"n": 2}) == {"value": 2}
    assert frontend.invoke(model, "add", {"n": 3}) == {"value": 5}
    to_browser = [m.method for m in frontend.sent() if m.comm_id == model.model_id]
    # the rate limit holds the second change back; the reply flushes it first, in its own update
    assert to_browser == ["open", "update", "invoke_reply", "update", "invoke_reply"]
    assert frontend.model(model).get("value") == 5
    assert replies(frontend, model)[-1] == {
        "protocol": "2.0",
        "method": "invoke_reply",
        "id": "i2",
        "result": {"value": 5},
        "buffer_paths": [],
    }


def test_buffers_travel_both_ways(frontend: InProcessFrontend) -> None:
    model = Fitter()
    result = frontend.invoke(model, "sizes", {"inline": b"abcd", "k": 1}, buffers=[b"x", b"yz"])
    assert result == {"args": {"inline": b"abcd", "k": 1}, "sizes": [1, 2], "types": ["memoryview", "memoryview"]}
    sent = frontend.sent("to_kernel", "invoke")[-1]
    assert sent.data["buffer_paths"] == [["args", "inline"]] and sent.buffers == [b"abcd", b"x", b"yz"]
    result = frontend.invoke(model, "binary", 7)
    assert result["raw"] == b"\x00\x01\x02" and result["n"] == 7
    assert result["array"].dtype == np.float32 and result["array"].tolist() == [[0, 1, 2], [3, 4, 5]]
    reply = replies(frontend, model)[-1]
    assert reply["buffer_paths"] == [["result", "raw"], ["result", "array"]]


def test_references_resolve_in_args_and_travel_in_results(frontend: InProcessFrontend) -> None:
    model, holder = Fitter(), Holder()
    assert frontend.invoke(model, "itself", [1]) == {"me": f"IPY_MODEL_{model.model_id}", "given": [1]}
    assert frontend.invoke(holder, "adopt", {"model": frontend.model(model)}) == "Fitter"
    assert holder.child is model


# --- failures ------------------------------------------------------------------------------------


def test_an_exception_rejects_with_type_message_and_traceback(
    frontend: InProcessFrontend, capsys: pytest.CaptureFixture[str]
) -> None:
    model = Fitter()
    with pytest.raises(CommandError) as caught:
        frontend.invoke(model, "fail", "x" * 2000)
    error = caught.value
    assert (error.kind, error.type) == ("handler", "ValueError")
    assert error.message.startswith("degree must be > 0, got xxx") and len(error.message) == 500
    assert error.traceback is not None
    assert error.traceback.startswith("Traceback (most recent call last):\n")
    assert "in _fail" in error.traceback and "widgets/commands.py" not in error.traceback
    assert capsys.readouterr() == ("", "")
    assert frontend.invoke(model, "add", {"n": 1}) == {"value": 1}  # the model still works


def test_an_unknown_command_lists_the_known_ones(frontend: InProcessFrontend) -> None:
    model = Fitter()
    for name in ("nope", "not_a_command", "_fail", "__init__"):
        with pytest.raises(CommandError) as caught:
            frontend.invoke(model, name)
        assert caught.value.kind == "unknown_command"
        assert caught.value.message.endswith(
            "its commands: add, async_fail, binary, fail, itself, opaque, sizes, slow, stubborn"
        )
    assert model.value == 0


def test_an_unencodable_result_is_unsendable(frontend: InProcessFrontend) -> None:
    model = Fitter()
    with pytest.raises(CommandError) as caught:
        frontend.invoke(model, "opaque")
    assert caught.value.kind == "unsendable" and "object" in caught.value.message


@pytest.mark.parametrize(
    ("data", "buffers", "kind", "has_id"),
    [
        (invoke(name="add", args={"n": 1}), [], "bad_message", False),  # no id
        (invoke(id="", name="add"), [], "bad_message", False),
        (invoke(id="a" * 65, name="add"), [], "bad_message", False),
        (invoke(id="i 1", name="add"), [], "bad_message", False),
        (invoke(id=7, name="add"), [], "bad_message", False),
        (invoke(id="i1", name=3), [], "bad_message", True),
        (invoke(id="i1", name="add", args={"n": float("nan")}), [], "bad_message", True),
        (invoke(id="i1", name="add", args={"n": "\udc80"}), [], "bad_message", True),
        (invoke(id="i1", name="sizes", args={"b": {"$binary": "bytes"}}), [], "bad_buffer", True),
        (invoke(id="i1", name="sizes", args={}, buffer_paths=[["args", "b"]]), [b"x"], "bad_buffer", True),
        (
            invoke(id="i1", name="sizes", args={"b": {"$binary": "bytes"}}, buffer_paths=[["args", "b"]]),
            [],
            "bad_buffer",
            True,
        ),
        (invoke(id="i1", name="sizes", x={"$binary": "bytes"}, buffer_paths=[["x"]]), [b"x"], "bad_buffer", True),
        (invoke(id="i1", name="sizes", buffer_paths="args"), [], "bad_buffer", True),
    ],
)
def test_a_malformed_invoke_is_refused_in_its_reply(
    frontend: InProcessFrontend, data: dict[str, Any], buffers: list[bytes], kind: str, has_id: bool
) -> None:
    model = Fitter()
    raw(frontend, model, data, buffers)
    (reply,) = replies(frontend, model)
    assert reply["error"]["kind"] == kind and len(reply["error"]["message"]) <= 500
    assert ("id" in reply) == has_id and reply.get("id", "i1") == "i1"
    assert set(reply) <= {"protocol", "method", "id", "error"}
    assert model.value == 0


def test_abort_and_another_major_version_are_refused_with_error(frontend: InProcessFrontend) -> None:
    model = Fitter()
    raw(frontend, model, {"protocol": "2.0", "method": "invoke_abort", "id": None})
    raw(frontend, model, {"protocol": "2.0", "method": "invoke_abort", "id": "i1"}, [b"x"])
    raw(frontend, model, {"protocol": "3.0", "method": "invoke", "id": "i1", "name": "add"})
    raw(frontend, model, {"protocol": "2.0", "method": "invoke_abort", "id": "never-sent"})  # ignored
    assert [e["kind"] for e in frontend.model(model).errors] == ["bad_message", "bad_buffer", "version"]
    assert replies(frontend, model) == []


# --- async commands ------------------------------------------------------------------------------


def test_an_async_command_without_a_running_loop_runs_to_its_end(frontend: InProcessFrontend) -> None:
    in_fresh_thread(lambda: _async_command_without_a_loop(frontend))


def _async_command_without_a_loop(frontend: InProcessFrontend) -> None:
    model = Fitter()
    assert frontend.invoke(model, "slow", {"value": 4}) == {"value": 4}
    with pytest.raises(CommandError) as caught:
        frontend.invoke(model, "async_fail")
    assert (caught.value.kind, caught.value.type, caught.value.message) == ("handler", "KeyError", "'missing'")
    assert "in async_fail" in (caught.value.traceback or "") and "asyncio" not in (caught.value.traceback or "")


def test_an_async_command_runs_as_a_task_and_replies_when_done(frontend: InProcessFrontend) -> None:
    model = Fitter()
    browser = frontend.model(model)

    async def scenario() -> None:
        call = browser.start_invoke("slow", {"seconds": 0.05, "value": 9})
        assert not call.done  # handle_msg returned at once: the kernel is free meanwhile
        assert browser.invoke("add", {"n": 1}) == {"value": 1}
        raw(frontend, model, invoke(id=call.call_id, name="add", args={"n": 1}))  # its id is still running
        duplicate = replies(frontend, model)[-1]
        assert duplicate["error"]["kind"] == "bad_message" and "id" not in duplicate and not call.done
        while not call.done:
            await asyncio.sleep(0.01)
        assert call.outcome() == {"seconds": 0.05, "value": 9}

    in_fresh_thread(lambda: asyncio.run(scenario()))
    assert model.value == 9 and browser.get("value") == 9
    methods = [m.method for m in frontend.sent() if m.comm_id == model.model_id]
    assert methods[-2:] == ["update", "invoke_reply"]


def test_abort_cancels_the_task_and_nothing_is_answered(frontend: InProcessFrontend) -> None:
    model = Fitter()
    browser = frontend.model(model)

    async def scenario() -> None:
        slow = browser.start_invoke("slow", {"seconds": 10})
        stubborn = browser.start_invoke("stubborn")
        await asyncio.sleep(0.01)
        tasks = dict(model._sync.invocations.tasks)  # type: ignore[union-attr]
        browser.abort_invoke(slow)
        browser.abort_invoke(stubborn)
        assert slow.done and stubborn.done  # the browser side rejects at once
        await asyncio.sleep(0.05)
        assert all(task.done() for task in tasks.values()) and tasks[slow.call_id].cancelled()
        assert model._sync.invocations.tasks == {}  # type: ignore[union-attr]
        with pytest.raises(CommandError, match="aborted"):
            slow.outcome()

    in_fresh_thread(lambda: asyncio.run(scenario()))
    assert replies(frontend, model) == []  # not even for the command that swallowed its cancellation


def test_closing_the_model_cancels_its_running_commands(frontend: InProcessFrontend) -> None:
    model = Fitter()
    browser = frontend.model(model)

    async def scenario() -> None:
        call = browser.start_invoke("slow", {"seconds": 10})
        await asyncio.sleep(0)
        (task,) = model._sync.invocations.tasks.values()  # type: ignore[union-attr]
        model.close()
        await asyncio.sleep(0.01)
        assert task.cancelled() and call.done
        with pytest.raises(CommandError, match="closed"):
            call.outcome()
        with pytest.raises(CommandError, match="closed"):
            browser.invoke("add", {"n": 1})

    in_fresh_thread(lambda: asyncio.run(scenario()))
    assert replies(frontend, model) == []


# --- which methods are commands ------------------------------------------------------------------


class Base(widgets.Model):
    _esm = ESM

    @widgets.command
    def fit(self, args: Any) -> str:
        return "base"

    @widgets.command
    def reset(self, args: Any) -> str:
        return "reset"

    @widgets.command()
    def plain(self, args: Any) -> str:
        return "plain"


class Derived(Base):
    def fit(self, args: Any) -> str:  # an override keeps the command
        return "derived:" + super().fit(args)

    reset = None  # type: ignore[assignment]  # withdrawn

    @widgets.command("renamed")
    def extra(self, args: Any, buffers: list[memoryview]) -> int:
        return len(buffers)


def test_commands_are_inherited_overridable_and_collected_once(frontend: InProcessFrontend) -> None:
    assert sorted(Base.command_table()) == ["fit", "plain", "reset"]
    assert sorted(Derived.command_table()) == ["fit", "plain", "renamed"]
    assert Derived.command_table() is Derived.command_table() is collect_commands(Derived)
    base, derived = Base(), Derived()
    assert frontend.invoke(base, "fit") == "base"
    assert frontend.invoke(derived, "fit") == "derived:base"
    assert frontend.invoke(derived, "renamed", None, [b"a", b"b"]) == 2
    with pytest.raises(CommandError, match="no command 'reset'"):
        frontend.invoke(derived, "reset")
    with pytest.raises(CommandError, match="no command 'extra'"):
        frontend.invoke(derived, "extra")


def test_the_decorator_refuses_what_it_cannot_mark() -> None:
    with pytest.raises(TypeError):
        widgets.command(3)  # type: ignore[call-overload]
    with pytest.raises(ValueError):
        widgets.command("")(lambda self, args: None)


# anywidget is a test dependency (lonboard, drawdata need it); imported here, by name, as any other module
anywidget_experimental = importlib.import_module("anywidget.experimental")


class AnyStyle(widgets.Model):
    """Methods marked by anywidget's own decorator: `(msg, buffers) -> (value, buffers)`."""

    _esm = ESM

    @anywidget_experimental.command  # type: ignore[untyped-decorator]
    def _echo(self, msg: Any, buffers: list[bytes]) -> tuple[Any, list[bytes]]:
        return {"got": msg}, [bytes(b)[::-1] for b in buffers]

    @anywidget_experimental.command  # type: ignore[untyped-decorator]
    def wrong(self, msg: Any, buffers: list[bytes]) -> Any:
        return "not a pair"


def test_anywidget_marked_methods_are_commands_with_its_convention(frontend: InProcessFrontend) -> None:
    model = AnyStyle()
    assert sorted(model.command_table()) == ["_echo", "wrong"]
    browser = frontend.model(model)
    call = browser.start_invoke("_echo", {"a": 1}, [b"abc"])
    assert call.outcome() == {"got": {"a": 1}} and call.buffers == [b"cba"]
    with pytest.raises(CommandError) as caught:
        frontend.invoke(model, "wrong")
    assert caught.value.kind == "unsendable" and "(value, buffers)" in caught.value.message


# --- compatibility mode: anywidget's custom-message shape ---------------------------------------


def command_message(call_id: str, name: str, msg: Any) -> dict[str, Any]:
    content = {"id": call_id, "kind": "anywidget-command", "name": name, "msg": msg}
    return {"method": "custom", "content": content}


def test_compat_answers_anywidget_commands_in_its_shape(
    host: IpywidgetsHost,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    model, anystyle = Fitter(), AnyStyle()
    received: list[Any] = []
    model.on_msg(lambda _m, content, _b: received.append(content))
    host.send(model, command_message("u-1", "add", {"n": 2}))
    host.send(anystyle, command_message("u-2", "_echo", [1]), [b"xy"])
    with caplog.at_level(logging.WARNING, logger="widgets"):
        host.send(model, command_message("u-3", "fail", 1))
        host.send(model, command_message("u-4", "fail", 1))
        host.send(model, command_message("u-5", "nope", None))
        host.send(model, command_message("u-6", "binary", None))
    assert [(c, content) for c, content, _ in host.custom if c == anystyle.model_id] == [
        (anystyle.model_id, {"id": "u-2", "kind": "anywidget-command-response", "response": [{"got": [1]}][0]})
    ]
    assert host.custom[-1][2] == [] and [b for c, _, b in host.custom if c == anystyle.model_id] == [[b"yx"]]
    responses = [content for c, content, _ in host.custom if c == model.model_id]
    assert responses == [
        {"id": "u-1", "kind": "anywidget-command-response", "response": {"value": 2}},
        {"id": "u-3", "kind": "anywidget-command-response", "response": None},
        {"id": "u-4", "kind": "anywidget-command-response", "response": None},
        {"id": "u-5", "kind": "anywidget-command-response", "response": None},
        {"id": "u-6", "kind": "anywidget-command-response", "response": None},
    ]
    logged = [r.getMessage() for r in caplog.records]
    assert sum("degree must be > 0" in line for line in logged) == 1  # the same error: logged once
    assert any("no command 'nope'" in line for line in logged)
    assert any("binary data inside the result" in line for line in logged)
    assert received == []  # a command message is not a custom message for on_msg callbacks
    assert host.state(model)["value"] == 2

"""Browser -> kernel: validation, acknowledgement, and every refusal path."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from widgets.protocol import envelope
from widgets.testing import FrontendModel, InProcessFrontend

from .models import Counter, Items, Strict


@pytest.fixture(autouse=True)
def nothing_reaches_the_cell_output(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Errors go to the views only: nothing printed, nothing logged, nothing raised."""
    with caplog.at_level(logging.DEBUG):
        yield
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def send_raw(frontend: InProcessFrontend, view: FrontendModel, data: Any, buffers: list[bytes] | None = None) -> None:
    """Put exactly `data` on the wire, bypassing the well-behaved client."""
    frontend.transmit("comm_msg", view.model_id, data, buffers or [], None)


def last_errors(view: FrontendModel) -> list[dict[str, Any]]:
    return view.errors[-1:] if view.errors else []


def test_accepted_update_is_coerced_confirmed_and_acknowledged(frontend: InProcessFrontend) -> None:
    items = Items()
    view = frontend.model(items)
    view.set("items", (1, 2))  # a tuple: the List trait coerces it to a list
    seq = view.save_changes()
    assert items.items == [1, 2]
    reply = frontend.messages[-1]
    assert reply.data["ack"] == {"client": frontend.client, "seq": seq}
    assert view.pending == {} and view.get("items") == [1, 2]


def test_the_ack_carries_what_observers_changed(frontend: InProcessFrontend) -> None:
    strict = Strict()
    view = frontend.model(strict)
    view.set("even", 4)
    view.save_changes()
    assert strict.doubled == 8
    reply = frontend.messages[-1]
    assert reply.data["state"] == {"doubled": 8, "even": 4} and "ack" in reply.data
    assert view.get("doubled") == 8


def test_ack_is_sent_even_when_nothing_changed(frontend: InProcessFrontend) -> None:
    counter = Counter(value=3)
    view = frontend.model(counter)
    view.set("value", 3)
    seq = view.save_changes()
    assert frontend.messages[-1].data == envelope("update", rev=1, ack={"client": frontend.client, "seq": seq})


def test_wrong_type_is_refused_with_the_current_value(frontend: InProcessFrontend) -> None:
    counter = Counter(value=3)
    view = frontend.model(counter)
    view.set("value", "three")
    view.save_changes()
    assert counter.value == 3
    reply = frontend.messages[-1].data
    assert reply["errors"][0]["kind"] == "validation" and reply["errors"][0]["key"] == "value"
    assert "expected an int" in reply["errors"][0]["message"]
    assert reply["state"] == {"value": 3}  # the current value, so the view reverts
    assert view.get("value") == 3


def test_validator_refusal_keeps_other_keys(frontend: InProcessFrontend) -> None:
    strict = Strict()
    view = frontend.model(strict)
    send_raw(frontend, view, envelope("update", client="c", seq=1, state={"even": 3, "data": None}))
    kinds = {e["key"]: e["kind"] for e in view.errors}
    assert kinds == {"even": "validation", "data": "validation"}
    assert "must be even" in view.errors[0]["message"]
    assert strict.even == 0


def test_unknown_and_non_synced_keys_are_refused(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    view.set("nope", 1)
    view.set("local", 5)  # a trait, but not synced
    view.set("value", 2)
    view.save_changes()
    assert {e["key"]: e["kind"] for e in view.errors} == {"nope": "unknown_key", "local": "unknown_key"}
    assert counter.value == 2 and counter.local == 0


def test_read_only_is_refused(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    assert view.read_only == ["status"]
    view.set("status", "hacked")
    view.save_changes()
    assert counter.status == "idle"
    assert view.errors[-1]["kind"] == "read_only"
    assert view.get("status") == "idle"
    counter.status = "busy"  # the kernel itself may write it
    frontend.flush()
    assert view.get("status") == "busy"


def test_observer_exception_reaches_the_view_with_traceback_and_value_is_kept(frontend: InProcessFrontend) -> None:
    strict = Strict()
    view = frontend.model(strict)
    view.set("even", 666)
    view.save_changes()
    error = view.errors[-1]
    assert error["kind"] == "handler" and error["key"] == "even"
    assert "RuntimeError: observer exploded" in error["message"]
    assert "Traceback" in error["traceback"] and "_double" in error["traceback"]
    assert strict.even == 666 and view.get("even") == 666


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ("not an object", "bad_message"),
        ({"method": "update"}, "bad_message"),
        ({"protocol": "3.0", "method": "update", "client": "c", "seq": 1, "state": {"value": 5}}, "version"),
        ({"protocol": "2.0"}, "bad_message"),
        ({"protocol": "2.0", "method": "explode"}, "bad_message"),
        ({"protocol": "2.0", "method": "update", "seq": 1, "state": {"value": 5}}, "bad_message"),
        ({"protocol": "2.0", "method": "update", "client": "c", "seq": "1", "state": {"value": 5}}, "bad_message"),
        ({"protocol": "2.0", "method": "update", "client": "c", "seq": 1, "state": [5]}, "bad_message"),
        ({"protocol": "2.0", "method": "update", "client": "c", "seq": 1, "patch": {"value": []}}, "bad_message"),
    ],
)
def test_malformed_messages_change_nothing(frontend: InProcessFrontend, data: Any, kind: str) -> None:
    counter = Counter(value=1)
    view = frontend.model(counter)
    send_raw(frontend, view, data)
    assert counter.value == 1
    assert view.errors[-1]["kind"] == kind
    if kind == "version":
        assert "2.0" in view.errors[-1]["message"]
        assert frontend.messages[-1].data["protocol"] == "2.0"


def test_patch_from_the_browser_is_applied(frontend: InProcessFrontend) -> None:
    items = Items(items=list(range(10_000)))
    view = frontend.model(items)
    updated = list(range(10_000))
    updated[5] = -5
    view.set("items", updated)
    view.save_changes()
    sent = [m for m in frontend.messages if m.direction == "to_kernel"][-1]
    assert sent.data["patch"] == {"items": [{"op": "replace", "path": "/5", "value": -5}]} and sent.size < 200
    assert items.items[5] == -5
    assert frontend.messages[-1].size < 300  # the echo is a patch too


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "replace", "path": "/99", "value": 1}],
        [{"op": "test", "path": "/0", "value": 42}],
        "garbage",
        [{"op": "add", "path": "/0"}],
    ],
)
def test_bad_patch_is_refused_and_the_value_resent(frontend: InProcessFrontend, ops: Any) -> None:
    items = Items(items=[1, 2, 3])
    view = frontend.model(items)
    send_raw(frontend, view, envelope("update", client="c", seq=1, base=0, patch={"items": ops}))
    assert items.items == [1, 2, 3]
    assert view.errors[-1]["kind"] == "bad_patch" and view.errors[-1]["key"] == "items"
    assert frontend.messages[-1].data["state"] == {"items": [1, 2, 3]}


def test_patch_without_base_is_refused(frontend: InProcessFrontend) -> None:
    items = Items(items=[1])
    view = frontend.model(items)
    send_raw(frontend, view, envelope("update", client="c", seq=1, patch={"items": []}))
    assert view.errors[-1]["kind"] == "bad_message"


def test_stale_patch_is_refused(frontend: InProcessFrontend) -> None:
    items = Items(items=[1, 2, 3])
    view = frontend.model(items)
    items.items = [1, 2, 3, 4]  # the kernel moves on: rev 1
    frontend.flush()
    send_raw(
        frontend,
        view,
        envelope("update", client="c", seq=1, base=0, patch={"items": [{"op": "replace", "path": "/0", "value": 9}]}),
    )
    assert items.items == [1, 2, 3, 4]
    assert view.errors[-1]["kind"] == "stale"


def test_binary_from_the_browser(frontend: InProcessFrontend) -> None:
    strict = Strict()
    items = Items()
    view, items_view = frontend.model(strict), frontend.model(items)
    view.set("data", b"\x01\x02")
    view.save_changes()
    assert strict.data == b"\x01\x02"
    sent = [m for m in frontend.messages if m.direction == "to_kernel"][-1]
    assert sent.data["buffer_paths"] == [["state", "data"]] and sent.buffers == [b"\x01\x02"]
    items_view.set("blob", {"xs": np.array([1.5, 2.5])})
    items_view.save_changes()
    assert items.blob["xs"].dtype == np.float64
    np.testing.assert_array_equal(items.blob["xs"], [1.5, 2.5])


@pytest.mark.parametrize(
    ("paths", "buffers"),
    [
        ([["state", "missing"]], [b"x"]),
        ([["state", "data"]], []),
        ("nope", [b"x"]),
        ([["state", "data", 0]], [b"x"]),
        ([["state", "label"]], [b"x"]),
    ],
)
def test_bad_buffer_paths_refuse_the_message(frontend: InProcessFrontend, paths: Any, buffers: list[bytes]) -> None:
    strict = Strict()
    view = frontend.model(strict)
    data = envelope("update", client="c", seq=1, state={"data": {"$binary": "bytes"}, "label": "x"}, buffer_paths=paths)
    send_raw(frontend, view, data, buffers)
    assert strict.data == b""
    assert view.errors[-1]["kind"] == "bad_buffer"


def test_bad_ndarray_placeholder(frontend: InProcessFrontend) -> None:
    items = Items()
    view = frontend.model(items)
    bad = {"$binary": "ndarray", "dtype": "float64", "shape": [3]}
    send_raw(
        frontend,
        view,
        envelope("update", client="c", seq=1, state={"blob": bad}, buffer_paths=[["state", "blob"]]),
        [b"12345"],
    )
    assert view.errors[-1]["kind"] == "bad_buffer" and items.blob is None


def test_custom_message_from_the_browser_with_buffers(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    received: list[Any] = []
    counter.on_msg(lambda model, content, buffers: received.append((model, content, [bytes(b) for b in buffers])))
    view.send({"hello": [1, 2]}, buffers=[b"raw"])
    assert received == [(counter, {"hello": [1, 2]}, [b"raw"])]


def test_on_msg_echo_and_removal(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)

    def echo(model: Any, content: Any, buffers: list[memoryview]) -> None:
        model.send({"echo": content}, buffers=[bytes(buffers[0])[::-1]])

    counter.on_msg(echo)
    view.send("hi", buffers=[b"abc"])
    assert view.custom[-1] == ({"echo": "hi"}, [b"cba"])
    counter.on_msg(echo, remove=True)
    view.send("again", buffers=[b"abc"])
    assert len(view.custom) == 1


def test_on_msg_exception_reaches_the_view(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)

    def broken(model: Any, content: Any, buffers: Any) -> None:
        raise ValueError("bad handler")

    counter.on_msg(broken)
    view.send({})
    error = view.errors[-1]
    assert error["kind"] == "handler" and "ValueError: bad handler" in error["message"]
    assert "broken" in error["traceback"]


def test_optimistic_values_reconcile_in_order(frontend: InProcessFrontend) -> None:
    """Two local writes in flight; the kernel answers each; the view ends on the kernel's value."""
    strict = Strict()
    view = frontend.model(strict)
    view.set("even", 2)
    first = view.save_changes()
    view.set("even", 3)  # refused by the validator
    second = view.save_changes()
    assert first is not None and second == first + 1
    assert view.pending == {} and view.get("even") == 2 and strict.even == 2


def test_request_state_resyncs_the_browser(frontend: InProcessFrontend) -> None:
    items = Items(items=[1, 2])
    view = frontend.model(items)
    view.confirmed["items"] = ["corrupted"]
    view.request_state()
    assert frontend.messages[-1].method == "state"
    assert view.get("items") == [1, 2]
    assert frontend.messages[-1].data["assets"] == {}  # already sent once


def test_a_state_snapshot_acknowledges_writes_whose_ack_was_lost(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    view.rev = -5  # the reply to the next write will look like it followed a gap
    view.set("value", 4)
    seq = view.save_changes()
    assert view.gaps == 1
    state = frontend.messages[-1].data
    assert state["method"] == "state" and state["ack"] == {"client": frontend.client, "seq": seq}
    assert view.pending == {} and view.get("value") == 4 and view.rev == 1


def test_a_lost_update_is_detected_by_its_rev_and_repaired(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    view.rev = -5  # as if messages had been lost
    counter.value = 7
    frontend.flush()
    assert view.gaps == 1 and view.get("value") == 7 and view.rev == 1

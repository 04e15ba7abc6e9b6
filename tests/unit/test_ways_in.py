"""Every way in gets the same checks: `create`, the control comm; read-only and references semantics."""

from __future__ import annotations

from typing import Any

import pytest
from traitlets import Float, Int, TraitError

import widgets
from widgets import serialize
from widgets.model import live
from widgets.protocol import envelope
from widgets.testing import InProcessFrontend

from .models import ESM, Counter, Parent, Typed

widgets.register("ways.typed")(Typed)


@widgets.register("ways.float")
class Floaty(widgets.Model):
    _esm = ESM
    x = Float(0.0).tag(sync=True)


def open_raw(frontend: InProcessFrontend, data: Any, buffers: list[bytes] | None = None) -> str:
    comm_id = f"raw{len(frontend.messages)}"
    frontend.transmit("comm_open", comm_id, data, buffers or [], widgets.protocol.MODEL_TARGET)
    return comm_id


def refusal(frontend: InProcessFrontend, comm_id: str) -> str:
    answers = [m for m in frontend.messages if m.comm_id == comm_id and m.direction == "to_browser"]
    assert [m.method or m.kind for m in answers] == ["error", "comm_close"]
    return str(answers[0].data["errors"][0]["kind"])


@pytest.mark.parametrize(
    ("state", "buffers", "kind"),
    [
        ({"x": float("nan")}, [], "validation"),
        ({"x": True}, [], "validation"),
        ({"x": 1.0, "y": "\ud800"}, [], "unknown_key"),
        ({"x": {"$binary": "bytes"}}, [], "bad_buffer"),
    ],
)
def test_create_gets_the_value_and_framing_checks(
    frontend: InProcessFrontend, state: Any, buffers: list[bytes], kind: str
) -> None:
    before = set(live)
    comm_id = open_raw(frontend, envelope("create", **{"class": "ways.float", "state": state}), buffers)
    assert refusal(frontend, comm_id) == kind and set(live) == before


def test_create_refuses_extra_buffers_and_strings_that_are_not_utf8(frontend: InProcessFrontend) -> None:
    data = envelope("create", **{"class": "ways.typed", "state": {"s": "ok"}})
    assert refusal(frontend, open_raw(frontend, data, [b"extra"])) == "bad_buffer"
    data = envelope("create", **{"class": "ways.typed", "state": {"s": "a\udfffb"}})
    assert refusal(frontend, open_raw(frontend, data)) == "validation"
    data = {**envelope("create", **{"class": "ways.typed"}), "protocol": "2"}
    assert refusal(frontend, open_raw(frontend, data)) == "bad_message"


def test_create_may_write_traitlets_read_only_but_not_the_read_only_tag(frontend: InProcessFrontend) -> None:
    view = frontend.create("ways.typed", tro=7, i=3)
    created = live[view.model_id]
    assert isinstance(created, Typed) and (created.tro, created.i) == (7, 3)
    assert [m.method for m in frontend.messages if m.comm_id == view.model_id][-1] == "state"
    assert view.get("tro") == 7 and view.rev == 0
    widgets.register("ways.counter")(Counter)
    refused = frontend.create("ways.counter", status="hacked")
    assert refused.errors[-1]["kind"] == "read_only"


def test_traitlets_read_only_is_writable_from_the_browser_only(frontend: InProcessFrontend) -> None:
    typed = Typed()
    view = frontend.model(typed)
    assert view.read_only == []  # only .tag(read_only=True) makes a key kernel-owned
    view.set("tro", 5)
    view.save_changes()
    assert typed.tro == 5 and view.errors == []
    with pytest.raises(TraitError, match="read-only"):
        typed.tro = 6  # Python code is still refused, as traitlets says


def test_a_validation_error_of_a_converter_has_no_traceback_and_is_truncated(frontend: InProcessFrontend) -> None:
    class Converted(widgets.Model):
        _esm = ESM
        n = Int(0).tag(sync=True, from_json=lambda value, model: int(value))

    model = Converted()
    view = frontend.model(model)
    view.set("n", "x" * 5000)
    view.save_changes()
    error = view.errors[-1]
    assert error["kind"] == "validation" and "traceback" not in error and len(error["message"]) <= 500


def test_handler_errors_are_truncated_but_keep_their_traceback(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)

    def loud(model: Any, content: Any, buffers: Any) -> None:
        raise ValueError("y" * 100_000)

    counter.on_msg(loud)
    view.send({})
    error = view.errors[-1]
    assert error["kind"] == "handler" and len(error["message"]) == 500 and "loud" in error["traceback"]
    assert len(error["traceback"]) < 25_000


def test_references_travel_as_ipy_model_strings_and_resolve_in_the_kernel(frontend: InProcessFrontend) -> None:
    a, b = Counter(), Counter()
    parent = Parent(child=a, children=[a])
    view = frontend.model(parent)
    assert view.get("child") == f"IPY_MODEL_{a.model_id}" and serialize.reference(b) == f"IPY_MODEL_{b.model_id}"
    view.set("children", [f"IPY_MODEL_{b.model_id}", view.get("child")])
    view.set("child", frontend.model(b))  # a view may set the model object: it travels as the string
    view.save_changes()
    assert parent.children == [b, a] and parent.child is b
    assert serialize.from_json(["IPY_MODEL_nope", "plain"], live.get) == ["IPY_MODEL_nope", "plain"]
    assert frontend.resolve(view.get("child")) is frontend.resolve(b.model_id)


def test_from_json_never_changes_its_input() -> None:
    shared = ["IPY_MODEL_x", {"k": "IPY_MODEL_x"}]
    target = object()
    out = serialize.from_json({"a": shared, "b": [1, 2]}, {"x": target}.get)
    assert out == {"a": [target, {"k": target}], "b": [1, 2]}
    assert shared == ["IPY_MODEL_x", {"k": "IPY_MODEL_x"}]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (envelope("frobnicate", request="r1"), "bad_message"),
        (envelope("assets", request="r1", hashes=["x" * 65]), "bad_message"),
        (envelope("assets", request="r1", hashes=["a"] * 257), "bad_message"),
        (envelope("restore", request="r" * 65), "bad_message"),
        (envelope("restore", request=5), "bad_message"),
        ({**envelope("restore", request="r1"), "protocol": "1.0"}, "version"),
    ],
)
def test_control_requests_are_checked(frontend: InProcessFrontend, data: Any, kind: str) -> None:
    frontend.control("hello")  # opens the control comm
    frontend.transmit("comm_msg", frontend._control_id or "", data, [], None)
    assert frontend.control_errors[-1]["kind"] == kind


def test_control_messages_carry_no_buffers_and_hello_is_checked(frontend: InProcessFrontend) -> None:
    frontend.control("hello")
    frontend.transmit("comm_msg", frontend._control_id or "", envelope("restore", request="r9"), [b"x"], None)
    assert frontend.control_errors[-1] == {
        "kind": "bad_buffer",
        "message": "control messages carry no buffers",
        "request": "r9",
    }
    frontend.transmit("comm_open", "ctl2", envelope("hello", client="not valid!"), [], widgets.protocol.CONTROL_TARGET)
    closed = [m for m in frontend.messages if m.comm_id == "ctl2" and m.direction == "to_browser"]
    assert [m.method or m.kind for m in closed] == ["error", "comm_close"]

"""The wire protocol (docs/protocol.md) against a real ipykernel, driven over ZMQ by `KernelFrontend`.

One kernel serves the whole module; each test creates its own models under its own variable
names in the kernel, so the tests do not depend on each other's order.
"""

from __future__ import annotations

import datetime
import json
import textwrap
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from widgets.protocol import MODEL_TARGET, PROTOCOL_VERSION
from widgets.testing.frontend import FrontendModel, WireMessage

from .kernel_frontend import Kernel, KernelFrontend

COUNTER_ESM = "export default { render({ model, el }) { el.textContent = model.get('value'); } }"
ARRAY_ESM = "export default { render({ model, el }) { el.textContent = model.get('data').length; } }"

SETUP = f"""
import json, sys
import numpy as np
import traitlets
import widgets
import widgets.registry

class Counter(widgets.Model):
    _esm = {COUNTER_ESM!r}
    value = traitlets.Int(0).tag(sync=True)
    items = traitlets.List().tag(sync=True)

class ArrayModel(widgets.Model):
    _esm = {ARRAY_ESM!r}
    data = traitlets.Any().tag(sync=True)

class SlowCounter(Counter):
    _sync_interval = 1e9  # a change waits for the flusher "forever": only restore/request_state send it

print(sys.prefix)
"""


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_stray_output(frontend: KernelFrontend) -> Iterator[None]:
    """No test may make the kernel write to stderr (a cell that raises fails in `execute` already)."""
    streams = len(frontend.streams)
    yield
    frontend.settle()
    frontend.drain()
    stderr = frontend.unexpected_stderr(streams)
    assert stderr == [], f"the kernel wrote to stderr: {stderr}"


def run(frontend: KernelFrontend, code: str) -> str:
    return frontend.execute(textwrap.dedent(code))


def create(frontend: KernelFrontend, name: str, expression: str) -> FrontendModel:
    """`name = expression` in the kernel; the browser's copy of the new model (opened meanwhile)."""
    model_id = run(frontend, f"{name} = {expression}\nprint({name}.model_id)").strip()
    assert model_id in frontend.models, f"no comm_open reached the browser for {name}"
    return frontend.models[model_id]


def to_browser(frontend: KernelFrontend, model: FrontendModel, method: str | None = None) -> list[WireMessage]:
    return [m for m in frontend.sent("to_browser", method) if m.comm_id == model.model_id]


def to_kernel(frontend: KernelFrontend, model: FrontendModel, method: str | None = None) -> list[WireMessage]:
    return [m for m in frontend.sent("to_kernel", method) if m.comm_id == model.model_id]


def same(a: Any, b: Any) -> bool:
    """Equality that also compares numpy arrays (dtype, shape and values)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b))
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


# --- tests ---------------------------------------------------------------------------------------


def test_open_delivers_state_and_esm(frontend: KernelFrontend) -> None:
    esm = "export default { render({ model, el }) { el.textContent = 'open'; } }"
    model_id = run(
        frontend,
        f"""
        class OpenCounter(widgets.Model):
            _esm = {esm!r}
            value = traitlets.Int(3).tag(sync=True)
            items = traitlets.List([1, 2]).tag(sync=True)
            hidden = traitlets.Int(9)

        oc = OpenCounter(value=7)
        print(oc.model_id)
    """,
    ).strip()

    opens = [
        m
        for m in frontend.iopub_messages
        if m["header"]["msg_type"] == "comm_open" and m["content"]["comm_id"] == model_id
    ]
    assert len(opens) == 1
    assert opens[0]["content"]["target_name"] == MODEL_TARGET
    data = opens[0]["content"]["data"]
    assert data["protocol"] == PROTOCOL_VERSION
    assert data["method"] == "open"
    assert data["assets"] == {data["esm"]: esm}
    assert data["css"] is None

    model = frontend.models[model_id]
    assert model.class_name == "__main__.OpenCounter"
    assert model.rev == 0
    assert model.confirmed == {"value": 7, "items": [1, 2]}  # `hidden` is not synced
    assert model.esm == esm
    assert model.css is None
    assert model.read_only == []
    assert model.errors == []


def test_update_kernel_to_browser(frontend: KernelFrontend) -> None:
    model = create(frontend, "ku", "Counter(value=1)")
    assert model.get("value") == 1

    run(frontend, "ku.value = 42")
    frontend.wait_for(lambda: model.confirmed["value"] == 42)

    run(frontend, "ku.items = ['a', {'b': [1, 2.5, None]}]")
    frontend.wait_for(lambda: model.confirmed["items"] == ["a", {"b": [1, 2.5, None]}])

    # A loop in one cell: the rate limiter merges, the last value arrives.
    sent_before = len(to_browser(frontend, model, "update"))
    run(frontend, "for i in range(1000):\n    ku.value = i")
    frontend.wait_for(lambda: model.confirmed["value"] == 999)
    assert len(to_browser(frontend, model, "update")) - sent_before < 500
    assert model.gaps == 0
    assert model.errors == []


def test_update_browser_to_kernel(frontend: KernelFrontend) -> None:
    model = create(frontend, "bk", "Counter(value=1, items=list(range(200)))")

    model.set("value", 11)
    seq = model.save_changes()
    assert model.pending == {"value": (11, seq)}
    assert model.get("value") == 11
    frontend.wait_for(lambda: not model.pending)
    assert model.confirmed["value"] == 11
    acks = [m.data["ack"] for m in to_browser(frontend, model, "update") if "ack" in m.data]
    assert acks == [{"client": frontend.client, "seq": seq}]
    assert run(frontend, "print(bk.value)") == "11\n"

    # A one-element list change goes as a patch from the browser too.
    items = list(range(200))
    items[100] = -100
    model.set("items", items)
    model.save_changes()
    assert "patch" in to_kernel(frontend, model, "update")[-1].data
    frontend.wait_for(lambda: not model.pending)
    assert model.confirmed["items"] == items
    assert json.loads(run(frontend, "print(json.dumps(bk.items))")) == items
    assert model.errors == []


def test_validation_refusal_is_reported_not_printed(frontend: KernelFrontend, kernel: Kernel) -> None:
    model = create(frontend, "vr", "Counter(value=4)")
    log_before = len(kernel.log())
    streams_before = len(frontend.streams)
    sent_before = len(frontend.transmitted)

    model.set("value", "not a number")
    model.save_changes()
    frontend.wait_for(lambda: not model.pending)
    frontend.settle()

    assert [e["key"] for e in model.errors] == ["value"]
    assert model.errors[0]["kind"] == "validation"
    assert model.get("value") == 4  # reverted to the kernel's value
    assert run(frontend, "print(vr.value)") == "4\n"

    # Nothing reached a cell's output: no stream at all while the kernel handled the update.
    handled = set(frontend.transmitted[sent_before:])
    assert handled
    assert [s for s in frontend.streams if s.parent_id in handled] == []
    assert [s for s in frontend.streams[streams_before:] if s.text != "4\n"] == []
    assert "Traceback" not in kernel.log()[log_before:]


def test_bad_messages_are_answered_with_errors_not_output(frontend: KernelFrontend, kernel: Kernel) -> None:
    model = create(frontend, "bm", "Counter(value=2)")
    log_before = len(kernel.log())
    sent_before = len(frontend.transmitted)

    frontend.send_to_model(model.model_id, {"protocol": "3.0", "method": "update"})
    frontend.send_to_model(model.model_id, {"method": "update"})
    frontend.send_to_model(model.model_id, {"protocol": PROTOCOL_VERSION, "method": "no_such_method"})
    frontend.send_to_model(
        model.model_id,
        {
            "protocol": PROTOCOL_VERSION,
            "method": "update",
            "client": "x",
            "seq": 1,
            "state": {"value": 5},
            "buffer_paths": [["state", "value"]],
        },
    )
    frontend.settle()
    frontend.wait_for(lambda: len(model.errors) >= 4)

    kinds = [e["kind"] for e in model.errors]
    assert kinds == ["version", "bad_message", "bad_message", "bad_buffer"]
    assert PROTOCOL_VERSION in model.errors[0]["message"]
    assert run(frontend, "print(bm.value)") == "2\n"
    handled = set(frontend.transmitted[sent_before:])
    assert [s for s in frontend.streams if s.parent_id in handled] == []
    assert "Traceback" not in kernel.log()[log_before:]


def test_patch_from_the_browser_on_a_stale_base_is_refused_and_retried_whole(frontend: KernelFrontend) -> None:
    model = create(frontend, "sp", "Counter(items=list(range(100)))")
    with frontend.delayed():  # the kernel's update is still on its way when the browser writes
        run(frontend, "sp.items = sp.items + [100]")
        items = list(model.confirmed["items"])
        items[0] = -5
        model.set("items", items)
        model.save_changes()
        sent = to_kernel(frontend, model, "update")[-1].data
        assert "items" in sent["patch"] and sent["base"] == 0
        frontend.settle()
        assert model.get("items") == items and model.rev == 0
    frontend.wait_for(lambda: not model.pending)
    assert [(e["kind"], e["key"]) for e in model.errors] == [("stale", "items")]
    retry = to_kernel(frontend, model, "update")[-1].data
    assert retry["state"] == {"items": items} and "patch" not in retry  # the stale patch, sent again whole
    assert model.confirmed["items"] == items and model.get("items") == items
    assert json.loads(run(frontend, "print(json.dumps(sp.items))")) == items
    assert model.gaps == 0


def test_custom_message_echo_with_buffers(frontend: KernelFrontend) -> None:
    model = create(frontend, "ce", "Counter()")
    run(
        frontend,
        """
        ce.on_msg(lambda m, content, buffers: m.send({"echo": content}, buffers=[bytes(buffers[0])[::-1]]))
    """,
    )

    payload = bytes(range(256)) + b"tail"
    model.send({"text": "h\u00e9llo", "n": [1, 2]}, buffers=[payload])
    frontend.wait_for(lambda: len(model.custom) == 1)
    content, extra = model.custom[0]
    assert content == {"echo": {"text": "h\u00e9llo", "n": [1, 2]}}
    assert extra == [payload[::-1]]

    sent = to_kernel(frontend, model, "custom")[-1]
    assert sent.buffers == [payload]
    echoed = to_browser(frontend, model, "custom")[-1]
    assert echoed.buffers == [payload[::-1]]
    assert echoed.data["buffer_paths"] == []

    # Binary inside the content travels as a path buffer, both ways.
    model.send({"blob": b"\x00\x01binary"}, buffers=[b"xyz"])
    frontend.wait_for(lambda: len(model.custom) == 2)
    content, extra = model.custom[1]
    assert content == {"echo": {"blob": b"\x00\x01binary"}}
    assert extra == [b"zyx"]
    assert to_browser(frontend, model, "custom")[-1].data["buffer_paths"] == [["content", "echo", "blob"]]
    assert model.errors == []


def test_numpy_array_travels_as_buffer(frontend: KernelFrontend) -> None:
    model = create(frontend, "na", "ArrayModel(data=np.arange(10, dtype=float))")

    opened = to_browser(frontend, model, "open")[0]
    assert opened.data["state"]["data"] == {"$binary": "ndarray", "dtype": "float64", "shape": [10]}
    assert opened.data["buffer_paths"] == [["state", "data"]]
    assert opened.buffers == [np.arange(10, dtype="<f8").tobytes()]
    value = model.confirmed["data"]
    assert isinstance(value, np.ndarray)
    assert value.dtype == np.float64
    assert value.tolist() == list(map(float, range(10)))

    run(frontend, "na.data = np.arange(6, dtype=np.int32).reshape(2, 3)")
    frontend.wait_for(lambda: model.rev == 1)
    update = to_browser(frontend, model, "update")[-1]
    assert update.data["buffer_paths"] == [["state", "data"]]
    assert len(update.buffers) == 1 and len(update.buffers[0]) == 24
    value = model.confirmed["data"]
    assert isinstance(value, np.ndarray)
    assert value.dtype == np.int32
    assert value.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert model.errors == []


def test_frontend_created_model(frontend: KernelFrontend) -> None:
    run(
        frontend,
        f"""
        @widgets.register("counter")
        class RegisteredCounter(widgets.Model):
            _esm = {COUNTER_ESM!r}
            value = traitlets.Int(0).tag(sync=True)
    """,
    )

    model = frontend.create("counter", value=5)
    frontend.wait_for(lambda: to_browser(frontend, model, "state") != [])
    assert model.confirmed == {"value": 5}
    assert model.class_name == "__main__.RegisteredCounter"
    assert model.esm == COUNTER_ESM
    assert model.closed is False
    out = run(
        frontend,
        f"""
        fc = widgets.registry.live[{model.model_id!r}]
        print(type(fc).__name__, fc.value, fc.model_id == {model.model_id!r})
    """,
    )
    assert out == "RegisteredCounter 5 True\n"

    # The created model is live both ways.
    model.set("value", 6)
    model.save_changes()
    frontend.wait_for(lambda: not model.pending)
    assert run(frontend, "print(fc.value)") == "6\n"
    run(frontend, "fc.value = 8")
    frontend.wait_for(lambda: model.confirmed["value"] == 8)
    assert model.errors == []


def test_frontend_create_of_unknown_class_is_refused(frontend: KernelFrontend) -> None:
    model = frontend.create("no-such-class", value=1)
    frontend.wait_for(lambda: model.closed)
    assert [e["kind"] for e in model.errors] == ["unknown_class"]
    assert run(frontend, f"print({model.model_id!r} in widgets.registry.live)") == "False\n"


def test_control_restore_on_a_reloaded_page(frontend: KernelFrontend, kernel: Kernel) -> None:
    first = create(frontend, "rs1", "Counter(value=1, items=[1, 2])")
    run(frontend, "rs1.value = 17\nrs1.items = [3]")
    frontend.wait_for(lambda: first.confirmed == {"value": 17, "items": [3]})
    create(frontend, "rs2", "ArrayModel(data=np.linspace(0, 1, 5))")
    gone = create(frontend, "rs3", "Counter()")
    run(frontend, "rs3.close()")
    assert gone.closed
    # An update the rate limiter still holds back when the page asks: restore sends it first.
    held = create(frontend, "rs4", "SlowCounter(value=1)")
    run(frontend, "rs4.value = 2\nrs4.value = 3")
    assert held.confirmed["value"] == 1 and held.rev == 0

    page = KernelFrontend.connect(kernel.connection_file)
    try:
        restored = page.restore()
        frontend.execute("pass")  # the first tab has now seen every update sent before the reply
        live = json.loads(run(frontend, "print(json.dumps(sorted(widgets.registry.live)))"))
        assert sorted(m.model_id for m in restored) == live
        assert gone.model_id not in live
        assert page.control_errors == []

        for model in restored:
            original = frontend.models[model.model_id]
            assert model.class_name == original.class_name
            assert model.rev == original.rev
            assert same(model.confirmed, original.confirmed), model.model_id
            assert model.esm == original.esm and model.esm is not None
            assert model.read_only == original.read_only

        assert held.confirmed["value"] == 3 and held.rev == 1
        assert page.model(held.model_id).confirmed["value"] == 3

        again = page.model(first.model_id)
        assert again.confirmed == {"value": 17, "items": [3]}
        assert again.esm == COUNTER_ESM
        assert again.rev == int(run(frontend, "print(rs1._sync.rev)"))
        array = page.model(run(frontend, "print(rs2.model_id)").strip()).confirmed["data"]
        assert same(array, np.linspace(0, 1, 5))

        # The restored copy continues at its revision; both tabs follow, both tabs write.
        run(frontend, "rs1.value = 18")
        page.wait_for(lambda: again.confirmed["value"] == 18)
        assert again.gaps == 0
        again.set("value", 19)
        again.save_changes()
        page.wait_for(lambda: not again.pending)
        frontend.wait_for(lambda: first.confirmed["value"] == 19)
        assert run(frontend, "print(rs1.value)") == "19\n"
        assert again.errors == [] and first.errors == []
        assert page.unexpected_stderr() == []
    finally:
        page.disconnect()


def test_control_assets_for_a_page_that_missed_them(frontend: KernelFrontend, kernel: Kernel) -> None:
    create(frontend, "as0", "Counter()")  # Counter's module has now travelled on this kernel
    page = KernelFrontend.connect(kernel.connection_file)
    try:
        model_id = run(frontend, "as1 = Counter(value=3)\nprint(as1.model_id)").strip()
        page.wait_for(lambda: model_id in page.models)
        opened = [m for m in page.sent("to_browser", "open") if m.comm_id == model_id]
        assert opened[0].data["assets"] == {}  # once per kernel, not once per model
        digest = opened[0].data["esm"]
        # The page lacked the module and asked for it on the control comm.
        requests = [m.data for m in page.sent("to_kernel", "assets")]
        assert requests and requests[0]["hashes"] == [digest]
        page.wait_for(lambda: requests[0]["request"] in page.replies)
        assert page.replies[requests[0]["request"]]["assets"] == {digest: COUNTER_ESM}
        assert page.assets[digest] == COUNTER_ESM
        assert page.model(model_id).confirmed == {"value": 3, "items": []}

        request = page.control("assets", hashes=[digest, "0000000000000000"])
        page.wait_for(lambda: request in page.replies)
        assert page.replies[request]["assets"] == {digest: COUNTER_ESM}  # unknown hashes left out
        assert page.control_errors == []
    finally:
        page.disconnect()


def test_one_element_change_of_a_100k_list_is_a_small_patch(frontend: KernelFrontend) -> None:
    model = create(frontend, "big", "Counter(items=list(range(100_000)))")
    assert len(model.confirmed["items"]) == 100_000

    run(
        frontend,
        """
        with big.mutate("items") as it:
            it[5] = -1
    """,
    )
    frontend.wait_for(lambda: model.rev == 1)
    update = to_browser(frontend, model, "update")[-1]
    assert "items" in update.data.get("patch", {})
    assert "items" not in update.data.get("state", {})
    assert update.size < 1024, update.data

    expected = list(range(100_000))
    expected[5] = -1
    assert model.confirmed["items"] == expected
    assert json.loads(run(frontend, "print(json.dumps(big.items[:7]))")) == expected[:7]
    assert model.gaps == 0 and model.errors == []


def test_close_from_kernel_and_from_browser(frontend: KernelFrontend) -> None:
    model = create(frontend, "cl", "Counter()")
    run(frontend, "cl.close()")
    frontend.wait_for(lambda: model.closed)
    assert [comm_id for comm_id, _ in frontend.closed_comms].count(model.model_id) == 1
    out = run(frontend, f"print({model.model_id!r} in widgets.registry.live, cl.closed)")
    assert out == "False True\n"

    other = create(frontend, "cb", "Counter()")
    other.close()
    frontend.settle()
    out = run(frontend, f"print({other.model_id!r} in widgets.registry.live, cb.closed)")
    assert out == "False True\n"


def test_per_trait_serializers(frontend: KernelFrontend) -> None:
    run(
        frontend,
        """
        import datetime

        class Stamped(widgets.Model):
            when = traitlets.Instance(datetime.date).tag(
                sync=True,
                to_json=lambda value, model: value.isoformat(),
                from_json=lambda text, model: datetime.date.fromisoformat(text),
            )
    """,
    )
    model = create(frontend, "sd", "Stamped(when=datetime.date(2024, 2, 29))")
    assert model.confirmed == {"when": "2024-02-29"}
    model.set("when", "2025-01-31")
    model.save_changes()
    frontend.wait_for(lambda: not model.pending)
    assert run(frontend, "print(repr(sd.when))") == "datetime.date(2025, 1, 31)\n"
    assert model.confirmed == {"when": "2025-01-31"} and model.errors == []


# --- regressions: these failed against widgets/ as first tested ----------------------------------


def test_create_whose_init_raises_leaves_no_live_model(frontend: KernelFrontend) -> None:
    run(
        frontend,
        """
        @widgets.register("fragile")
        class Fragile(widgets.Model):
            value = traitlets.Int(0).tag(sync=True)

            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                if self.value < 0:
                    raise ValueError("negative")
    """,
    )
    model = frontend.create("fragile", value=-1)
    frontend.wait_for(lambda: model.closed)
    assert [e["kind"] for e in model.errors] == ["handler"]
    try:
        assert run(frontend, f"print({model.model_id!r} in widgets.registry.live)") == "False\n"
    finally:
        run(frontend, f"widgets.registry.live.pop({model.model_id!r}, None)")  # keep restore tests clean


def test_create_applies_from_json(frontend: KernelFrontend) -> None:
    run(
        frontend,
        """
        import datetime

        @widgets.register("stamped")
        class RegisteredStamped(widgets.Model):
            when = traitlets.Instance(datetime.date).tag(
                sync=True,
                to_json=lambda value, model: value.isoformat(),
                from_json=lambda text, model: datetime.date.fromisoformat(text),
            )
    """,
    )
    model = frontend.create("stamped", when="2024-02-29")
    frontend.wait_for(lambda: model.closed or to_browser(frontend, model, "state") != [])
    assert model.errors == []  # was: a `validation` error (the ISO string reached the Instance trait)
    assert not model.closed
    assert model.confirmed == {"when": "2024-02-29"}
    out = run(frontend, f"print(repr(widgets.registry.live[{model.model_id!r}].when))")
    assert out == "datetime.date(2024, 2, 29)\n"


def test_bytearray_value_can_still_grow(frontend: KernelFrontend) -> None:
    model = create(frontend, "ba", "ArrayModel(data=bytearray(b'abc'))")
    assert model.confirmed["data"] == b"abc"
    run(frontend, "ba.data.extend(b'def')\nba.touch('data')")  # was: BufferError, the shadow pinned it
    frontend.wait_for(lambda: model.confirmed["data"] == b"abcdef")


def test_final_value_of_a_loop_arrives_while_the_cell_still_runs(frontend: KernelFrontend) -> None:
    """The trailing flush comes from the background flusher, not from the end of the cell."""
    model = create(frontend, "looped", "Counter()")
    run(
        frontend,
        """
        import time
        for i in range(10_000):
            looped.value = i
        time.sleep(1.0)  # the cell goes on; the last value must not wait for it
        """,
    )
    updates = [
        m
        for m in frontend.iopub_messages
        if m["header"]["msg_type"] == "comm_msg" and m["content"]["comm_id"] == model.model_id
    ]
    assert 1 <= len(updates) < 100
    last = updates[-1]["content"]["data"]["state"]["value"]
    assert last == 9_999 and model.get("value") == 9_999
    idle = next(
        m
        for m in frontend.iopub_messages
        if m["header"]["msg_type"] == "status"
        and m["content"]["execution_state"] == "idle"
        and m["parent_header"].get("msg_id") == frontend.last_execute_id
    )
    # Sent by the kernel (header date) well before the cell ended.
    assert updates[-1]["header"]["date"] < idle["header"]["date"] - datetime.timedelta(seconds=0.5)

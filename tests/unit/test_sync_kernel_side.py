"""Kernel -> browser: diffs, batching, rate limiting, custom messages, references, buffers."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest
from traitlets import TraitError

import widgets
from widgets.testing import InProcessFrontend

from .models import Counter, Items, Parent


def wait_until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.001)


def test_open_carries_the_full_state(frontend: InProcessFrontend) -> None:
    counter = Counter(value=7, label="x")
    opened = frontend.messages[0]
    assert opened.kind == "comm_open" and opened.method == "open"
    assert opened.data["protocol"] == "2.0" and opened.data["rev"] == 0
    assert opened.data["state"] == {"value": 7, "label": "x", "status": "idle"}
    assert opened.data["read_only"] == ["status"]
    assert frontend.model(counter).rev == 0


def test_only_changed_keys_are_sent(frontend: InProcessFrontend) -> None:
    counter = Counter()
    counter.value = 1
    frontend.flush()
    update = frontend.sent(method="update")[-1]
    assert update.data["state"] == {"value": 1}
    assert frontend.model(counter).get("value") == 1


def test_hold_sync_batches_into_one_message(frontend: InProcessFrontend) -> None:
    counter = Counter()
    before = len(frontend.messages)
    with counter.hold_sync():
        counter.value = 1
        counter.label = "a"
        counter.value = 2
        assert len(frontend.messages) == before
    assert len(frontend.messages) == before + 1
    assert frontend.messages[-1].data["state"] == {"label": "a", "value": 2}


def test_a_change_back_to_the_sent_value_sends_nothing(frontend: InProcessFrontend) -> None:
    counter = Counter()
    with counter.hold_sync():
        counter.value = 5
        counter.value = 0
    assert frontend.sent(method="update") == []


def test_ten_thousand_sets_are_a_bounded_number_of_messages_and_the_last_value_arrives(
    frontend: InProcessFrontend,
) -> None:
    counter = Counter()
    view = frontend.model(counter)
    for i in range(10_000):
        counter.value = i
    # No explicit flush: the background flusher sends the final value within one interval.
    wait_until(lambda: view.get("value") == 9_999)
    updates = frontend.sent(method="update")
    assert 1 <= len(updates) < 200
    assert updates[-1].data["state"]["value"] == 9_999
    assert [u.data["rev"] for u in updates] == list(range(1, len(updates) + 1))


def test_final_value_arrives_while_the_cell_is_still_running(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    seen = threading.Event()

    for i in range(1_000):
        counter.value = i
    # The "cell" keeps running (this thread blocks); the value must still arrive.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not seen.is_set():
        if view.get("value") == 999:
            seen.set()
        time.sleep(0.005)
    assert seen.is_set()


def test_one_element_of_a_100k_list_costs_under_1kb(frontend: InProcessFrontend) -> None:
    items = Items(items=list(range(100_000)))
    view = frontend.model(items)
    assert frontend.messages[0].size > 500_000
    with items.mutate("items") as values:
        values[12_345] = -1
    update = frontend.messages[-1]
    assert update.data["patch"] == {"items": [{"op": "replace", "path": "/12345", "value": -1}]}
    assert update.size < 1024
    assert view.get("items")[12_345] == -1 and len(view.get("items")) == 100_000

    items.items = [*items.items, 100_000]  # reassigning a new list is diffed the same way
    frontend.flush()
    assert frontend.messages[-1].size < 1024
    assert view.get("items")[-1] == 100_000


def test_touch_after_in_place_change(frontend: InProcessFrontend) -> None:
    items = Items(table={"a": {"b": list(range(100))}})
    items.table["a"]["b"].append(3)
    items.touch("table")
    frontend.flush()
    assert frontend.messages[-1].data["patch"] == {"table": [{"op": "add", "path": "/a/b/100", "value": 3}]}
    assert frontend.model(items).get("table") == {"a": {"b": [*range(100), 3]}}
    with pytest.raises(KeyError):
        items.touch("nope")
    with pytest.raises(KeyError), items.mutate("nope"):
        pass


def test_whole_value_when_smaller_than_the_patch(frontend: InProcessFrontend) -> None:
    items = Items(items=[1, 2, 3])
    items.items = [4, 5, 6]
    frontend.flush()
    assert frontend.messages[-1].data["state"] == {"items": [4, 5, 6]}


def test_custom_message_with_buffers_and_ordering(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    counter.value = 1
    counter.value = 2  # throttled: still pending
    counter.send({"kind": "ping", "raw": b"\x00\x01"}, buffers=[b"extra"])
    methods = [m.method for m in frontend.messages]
    assert methods[-2:] == ["update", "custom"]  # pending state goes first
    assert view.get("value") == 2
    content, extra = view.custom[-1]
    assert content == {"kind": "ping", "raw": b"\x00\x01"}
    assert extra == [b"extra"]
    message = frontend.messages[-1]
    assert message.data["buffer_paths"] == [["content", "raw"]]
    assert b"\x00\x01" not in repr(message.data).encode()  # binary never inside JSON


def test_numpy_arrays_travel_as_buffers_with_dtype_and_shape(frontend: InProcessFrontend) -> None:
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    items = Items(blob={"image": array, "meta": {"raw": bytearray(b"ab"), "view": memoryview(b"cd")}})
    view = frontend.model(items)
    opened = frontend.messages[0]
    assert opened.data["buffer_paths"] == [
        ["state", "blob", "image"],
        ["state", "blob", "meta", "raw"],
        ["state", "blob", "meta", "view"],
    ]
    assert opened.data["state"]["blob"]["image"] == {"$binary": "ndarray", "dtype": "float32", "shape": [3, 4]}
    received = view.get("blob")
    np.testing.assert_array_equal(received["image"], array)
    assert received["image"].dtype == np.float32
    assert received["meta"] == {"raw": b"ab", "view": b"cd"}
    assert opened.size >= 48 + 4


def test_a_sent_array_is_not_pinned_and_snapshots_read_it_afresh(frontend: InProcessFrontend) -> None:
    array = np.zeros(3)
    items = Items(blob=array)
    view = frontend.model(items)
    array.resize(5, refcheck=False)  # raises if the kernel kept a view of the buffer
    data = bytearray(b"abc")
    items.blob = data
    frontend.flush()
    data.extend(b"d")
    items.touch("blob")
    frontend.flush()
    assert view.get("blob") == b"abcd"


def test_big_endian_and_strided_arrays_are_sent_little_endian_contiguous(frontend: InProcessFrontend) -> None:
    array = np.arange(20, dtype=">i4").reshape(4, 5)[:, ::2]
    view = frontend.model(Items(blob=array))
    np.testing.assert_array_equal(view.get("blob"), array)


def test_unsupported_values_raise_where_they_were_set(frontend: InProcessFrontend) -> None:
    items = Items()
    view = frontend.model(items)
    time.sleep(0.02)  # let the rate limiter allow an immediate send
    with pytest.raises(TypeError, match="set cannot be sent"):
        items.blob = {1, 2}
    assert view.errors[-1]["kind"] == "unsendable" and view.errors[-1]["key"] == "blob"
    with pytest.raises(TypeError, match="complex"):
        Items(blob=np.zeros(2, dtype=complex))


def test_nan_and_infinity_become_null(frontend: InProcessFrontend) -> None:
    view = frontend.model(Items(items=[1.5, float("nan"), float("inf")]))
    assert view.get("items") == [1.5, None, None]


def test_model_references_resolve_on_both_sides(frontend: InProcessFrontend) -> None:
    a, b = Counter(value=1), Counter(value=2)
    parent = Parent(child=a, children=[a, b])
    view = frontend.model(parent)
    assert view.get("child") == f"IPY_MODEL_{a.model_id}"
    assert frontend.resolve(view.get("children")[1]).get("value") == 2
    view.set("child", frontend.model(b))
    view.save_changes()
    assert parent.child is b
    assert view.errors == []


class Arrays(widgets.Model):
    data = widgets.Array(None, allow_none=True).tag(sync=True)


def test_array_trait_sends_buffers_and_compares_by_identity(frontend: InProcessFrontend) -> None:
    model = Arrays()
    view = frontend.model(model)
    first = np.arange(5, dtype=np.float64)
    changes: list[object] = []
    model.observe(lambda change: changes.append(change["new"]), "data")
    model.data = first
    frontend.flush()
    np.testing.assert_array_equal(view.get("data"), first)
    model.data = first  # the same object: no change, no message
    equal_copy = first.copy()
    model.data = equal_copy  # another object (even if equal): a change
    assert changes == [first, equal_copy]
    model.data = b"raw"
    frontend.flush()
    assert view.get("data") == b"raw"
    with pytest.raises(TraitError, match="numpy array or a bytes-like"):
        model.data = [1, 2, 3]


def test_array_from_the_browser(frontend: InProcessFrontend) -> None:
    model = Arrays()
    view = frontend.model(model)
    view.set("data", np.array([1, 2], dtype=np.int32))
    view.save_changes()
    assert model.data.dtype == np.int32 and list(model.data) == [1, 2]
    assert view.errors == []

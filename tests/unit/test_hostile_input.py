"""The issue's "found by sending malformed messages" list, one test (or more) per finding, each with its example."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from traitlets import Dict, Int, List

import widgets
from widgets.flusher import FLUSHER
from widgets.patch import MAX_COPY_NODES, MAX_PATCH_OPS
from widgets.protocol import MAX_CLIENTS_PER_MODEL, MAX_SEQ, envelope
from widgets.testing import FrontendModel, InProcessFrontend

from .models import ESM, Counter, Items, Typed


def send_raw(
    frontend: InProcessFrontend,
    view: FrontendModel,
    data: Any,
    buffers: list[bytes] | None = None,
    session: str | None = None,
) -> None:
    """Put exactly `data` on the wire (as a Jupyter session decoded it), bypassing the well-behaved client."""
    saved = frontend.session
    frontend.session = session or saved
    try:
        frontend.transmit("comm_msg", view.model_id, data, buffers or [], None)
    finally:
        frontend.session = saved


def update(seq: int = 1, client: str = "hostile", **fields: Any) -> dict[str, Any]:
    return envelope("update", client=client, seq=seq, **fields)


def answer(frontend: InProcessFrontend) -> dict[str, Any]:
    """The kernel's last message."""
    return frontend.sent("to_browser")[-1].data


class Slow(widgets.Model):
    """Finding 1's model: a rate limit long enough that a change is still unsent when the patch arrives."""

    _esm = ESM
    _sync_interval = 30.0
    count = Int(0).tag(sync=True)
    items: List[Any] = List().tag(sync=True)


# --- 1. lost update --------------------------------------------------------------------------


def test_1_a_patch_on_a_key_changed_but_not_yet_sent_is_stale(frontend: InProcessFrontend) -> None:
    m = Slow(items=[1, 2, 3])
    view = frontend.model(m)
    m.count = 77  # sent at once
    m.items = [7, 8, 9]  # inside the rate-limit window: not sent yet
    assert view.get("count") == 77 and view.get("items") == [1, 2, 3] and view.rev == 1
    patch = {"items": [{"op": "replace", "path": "/0", "value": 0}]}
    send_raw(frontend, view, update(base=view.rev, patch=patch))
    assert m.items == [7, 8, 9]
    reply = answer(frontend)
    assert [(e["kind"], e["key"]) for e in reply["errors"]] == [("stale", "items")]
    assert reply["state"] == {"items": [7, 8, 9]}  # the unsent value goes with the answer, whole
    assert view.get("items") == [7, 8, 9]


# --- 2. non-finite numbers, booleans posing as numbers, bytes as text --------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("f", float("nan")),
        ("f", float("inf")),
        ("f", json.loads("1e999")),
        ("f", float("-inf")),
        ("d", {"x": float("nan")}),
        ("d", {"x": [1.0, json.loads("1e999")]}),
        ("lf", [1.0, float("nan")]),
        ("i", True),
        ("f", False),
        ("li", [1, True, 3]),
        ("lf", [1.5, True]),
        ("t", [True, "a"]),
        ("di", {"a": 1, "b": True}),
    ],
)
def test_2_non_finite_and_boolean_numbers_are_refused(frontend: InProcessFrontend, key: str, value: Any) -> None:
    m = Typed()
    view = frontend.model(m)
    before = getattr(m, key)
    send_raw(frontend, view, update(state={key: value}))
    assert getattr(m, key) == before
    [error] = answer(frontend)["errors"]
    assert error["kind"] == "validation" and error["key"] == key and "traceback" not in error
    assert view.get(key) == (list(before) if isinstance(before, tuple) else before)


def test_2_bytes_into_a_unicode_trait_are_refused(frontend: InProcessFrontend) -> None:
    m = Typed()
    view = frontend.model(m)
    for key, value in [("s", {"$binary": "bytes"}), ("ls", ["a", {"$binary": "bytes"}])]:
        path = ["state", key] if key == "s" else ["state", key, 1]
        send_raw(frontend, view, update(seq=len(view.errors) + 1, state={key: value}, buffer_paths=[path]), [b"abc"])
        assert view.errors[-1]["kind"] == "validation" and view.errors[-1]["key"] == key
    assert m.s == "" and m.ls == []


def test_2_the_good_values_next_to_refused_ones_are_taken(frontend: InProcessFrontend) -> None:
    m = Typed()
    view = frontend.model(m)
    send_raw(frontend, view, update(state={"f": float("nan"), "i": 4, "li": [1, 2], "d": {"ok": 1e300}}))
    assert (m.f, m.i, m.li, m.d) == (0.0, 4, [1, 2], {"ok": 1e300})
    assert [e["key"] for e in answer(frontend)["errors"]] == ["f"]


# --- 3. lone surrogates ------------------------------------------------------------------------


def test_3_a_lone_surrogate_is_refused_and_request_state_still_works(frontend: InProcessFrontend) -> None:
    m = Typed(s="fine")
    view = frontend.model(m)
    send_raw(frontend, view, update(state={"s": "a\ud800b"}))
    send_raw(frontend, view, update(seq=2, state={"d": {"k\udfff": 1}}))
    assert m.s == "fine" and m.d == {}
    assert [e["kind"] for e in view.errors] == ["validation", "validation"]
    rev = view.rev
    view.request_state()
    assert answer(frontend)["method"] == "state" and view.get("s") == "fine" and view.rev == rev


def test_3_a_lone_surrogate_set_in_python_is_raised_there_reported_and_advances_nothing(
    frontend: InProcessFrontend,
) -> None:
    m = Typed()
    view = frontend.model(m)
    sync = m._sync
    assert sync is not None
    with pytest.raises(TypeError, match="not valid UTF-8"), m.hold_sync():
        m.i = 5
        m.s = "a\ud800b"
    assert view.get("i") == 5  # the other key still went
    errors = answer(frontend)["errors"]
    assert [(e["kind"], e["key"]) for e in errors] == [("unsendable", "s")]
    assert sync.rev == view.rev == 1 and sync.shadow["s"] == ("", False)
    view.request_state()  # the snapshot holds what was last sent
    assert answer(frontend)["method"] == "state" and view.get("s") == "" and view.rev == 1


def test_3_rev_and_shadow_advance_only_after_a_send(frontend: InProcessFrontend, monkeypatch: Any) -> None:
    m = Counter()
    view = frontend.model(m)
    sync = m._sync
    assert sync is not None and sync.comm is not None

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("socket closed")

    monkeypatch.setattr(sync.comm, "send", broken)
    with pytest.raises(OSError, match="socket closed"):
        m.value = 3
    assert (sync.rev, sync.shadow["value"], sync.key_rev.get("value"), sync.dirty) == (0, (0, False), None, {"value"})
    monkeypatch.undo()
    m.label = "x"  # the next change retries the key that stayed dirty
    assert view.get("value") == 3 and view.get("label") == "x" and sync.rev == 1


# --- 4. RFC 6901/6902 strictness and the whole envelope ------------------------------------------


@pytest.mark.parametrize(
    "op",
    [
        {"op": "replace", "path": "/\u0661", "value": 9},
        {"op": "replace", "path": "/\uff11", "value": 9},
        {"op": "add", "path": "/~2", "value": 9},
        {"op": "add", "path": "/a~", "value": 9},
        {"op": "replace", "path": 0, "value": 9},
        {"op": "replace", "path": ["0"], "value": 9},
        {"op": "copy", "from": 0, "path": "/1"},
        {"op": 5, "path": "/0"},
        "not an op",
    ],
)
def test_4_strict_pointers_and_malformed_ops_are_bad_patch(frontend: InProcessFrontend, op: Any) -> None:
    items = Items(items=[1, 2], table={"a~": 1})
    view = frontend.model(items)
    key = "table" if "~" in str(op) else "items"
    send_raw(frontend, view, update(base=0, patch={key: [op]}))
    [error] = answer(frontend)["errors"]
    assert (error["kind"], error["key"]) == ("bad_patch", key) and "traceback" not in error
    assert (items.items, items.table) == ([1, 2], {"a~": 1})


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"base": 5, "patch": {"items": [{"op": "add", "path": "/-", "value": 3}]}}, "from the future"),
        ({"base": -1, "patch": {"items": [{"op": "add", "path": "/-", "value": 3}]}}, "negative"),
        ({"base": "0", "patch": {"items": [{"op": "add", "path": "/-", "value": 3}]}}, "not an integer"),
        ({"base": 1.0, "patch": {"items": []}}, "a float"),
        ({"base": True, "patch": {"items": []}}, "a bool"),
        ({"state": {"items": [5]}, "patch": {"items": []}, "base": 0}, "the same key twice"),
    ],
)
def test_4_a_bad_envelope_applies_nothing_and_is_acked(frontend: InProcessFrontend, fields: Any, why: str) -> None:
    items = Items(items=[1, 2])
    view = frontend.model(items)
    send_raw(frontend, view, update(state={"table": {"applied": True}, **fields.pop("state", {})}, **fields))
    assert items.items == [1, 2] and items.table == {}, why
    reply = answer(frontend)
    assert reply["ack"] == {"client": "hostile", "seq": 1}
    assert [e["kind"] for e in reply["errors"]] == ["bad_message"]


def test_4_a_base_from_the_future_is_refused_even_for_a_fresh_key(frontend: InProcessFrontend) -> None:
    items = Items(items=[1])
    view = frontend.model(items)
    send_raw(frontend, view, update(base=1, patch={"items": [{"op": "add", "path": "/-", "value": 2}]}))
    assert items.items == [1] and answer(frontend)["errors"][0]["kind"] == "bad_message"
    send_raw(frontend, view, update(seq=2, base=view.rev, patch={"items": [{"op": "add", "path": "/-", "value": 2}]}))
    assert items.items == [1, 2]


# --- 5. buffer framing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "buffers"),
    [
        ({"state": {"blob": {"$binary": "bytes"}}, "buffer_paths": [["state", "blob"]]}, [b"a", b"extra"]),
        ({"state": {"items": [{"$binary": "bytes"}]}, "buffer_paths": [["state", "items", -1]]}, [b"a"]),
        ({"state": {"items": [{"$binary": "bytes"}]}, "buffer_paths": [["state", "items", True]]}, [b"a"]),
        ({"state": {"blob": {"$binary": "bytes"}}}, []),
        ({"state": {"blob": {"x": [{"$binary": "bytes"}]}}}, []),
        (
            {"state": {"blob": {"$binary": "bytes"}}, "buffer_paths": [["state", "blob"], ["state", "blob"]]},
            [b"a", b"b"],
        ),
    ],
)
def test_5_buffer_framing_is_exact(frontend: InProcessFrontend, fields: Any, buffers: list[bytes]) -> None:
    items = Items()
    view = frontend.model(items)
    send_raw(frontend, view, update(**fields), buffers)
    assert items.blob is None and items.items == []
    reply = answer(frontend)
    assert [e["kind"] for e in reply["errors"]] == ["bad_buffer"] and reply["ack"]["seq"] == 1


def test_5_custom_messages_may_carry_extra_buffers_but_no_stray_placeholder(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    got: list[Any] = []
    counter.on_msg(lambda model, content, buffers: got.append((content, [bytes(b) for b in buffers])))
    send_raw(frontend, view, envelope("custom", content={"a": 1}), [b"extra"])
    send_raw(frontend, view, envelope("custom", content={"a": {"$binary": "bytes"}}), [b"x"])
    assert got == [({"a": 1}, [b"extra"])]
    assert view.errors[-1]["kind"] == "bad_buffer"


# --- 6. clients and sequence numbers ---------------------------------------------------------------


def test_6_a_client_is_bound_to_the_session_that_first_used_it(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    view.set("value", 1)
    seq = view.save_changes()
    assert seq is not None
    forged = update(seq=seq + 1000, client=frontend.client, state={"value": 666})
    send_raw(frontend, view, forged, session="another-session")
    assert counter.value == 1
    error = answer(frontend)
    assert error["method"] == "error" and error["errors"][0]["kind"] == "bad_message" and "ack" not in error
    view.set("value", 2)  # the real client carries on
    view.save_changes()
    assert counter.value == 2 and view.pending == {}


@pytest.mark.parametrize(
    ("client", "seq"),
    [("", 1), ("x" * 65, 1), ("a b", 1), ("\u00e9t\u00e9", 1), (5, 1), ("c", 0), ("c", MAX_SEQ + 1), ("c", 1.0)],
)
def test_6_client_and_seq_are_bounded(frontend: InProcessFrontend, client: Any, seq: Any) -> None:
    counter = Counter()
    view = frontend.model(counter)
    send_raw(frontend, view, update(seq=seq, client=client, state={"value": 5}))
    assert counter.value == 0 and answer(frontend)["errors"][0]["kind"] == "bad_message"
    assert "ack" not in answer(frontend)


def test_6_seq_grows_strictly_and_the_record_is_bounded_and_dropped_on_close(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    sync = counter._sync
    assert sync is not None
    send_raw(frontend, view, update(seq=5, state={"value": 5}))
    send_raw(frontend, view, update(seq=5, state={"value": 6}))  # a replay
    assert counter.value == 5 and answer(frontend)["errors"][0]["kind"] == "bad_message"
    for n in range(MAX_CLIENTS_PER_MODEL + 10):
        send_raw(frontend, view, update(client=f"c{n}", state={"label": str(n)}))
    assert len(sync.clients) == MAX_CLIENTS_PER_MODEL and "hostile" not in sync.clients
    assert f"c{MAX_CLIENTS_PER_MODEL + 9}" in sync.clients
    counter.close()
    assert len(sync.clients) == 0


# --- 7. cost amplification -------------------------------------------------------------------------


def test_7_an_18_op_copy_patch_cannot_grow_a_dict_to_megabytes(frontend: InProcessFrontend) -> None:
    items = Items(table={"a": list(range(30))})
    view = frontend.model(items)
    ops = [{"op": "copy", "from": "", "path": f"/k{i}"} for i in range(18)]  # each doubles the document
    assert len(json.dumps(ops)) < 800  # unbounded: 30 * 2**18 numbers, ~7.6 MB
    start = time.perf_counter()
    send_raw(frontend, view, update(base=0, patch={"table": ops}))
    elapsed = time.perf_counter() - start
    error = answer(frontend)["errors"][0]
    assert (error["kind"], error["key"]) == ("bad_patch", "table") and str(MAX_COPY_NODES) in error["message"]
    assert items.table == {"a": list(range(30))}
    assert elapsed < 1.0  # the unbounded patch took ~6 s
    small = [{"op": "copy", "from": "/a", "path": "/b"}]
    send_raw(frontend, view, update(seq=2, base=view.rev, patch={"table": small}))
    assert items.table == {"a": list(range(30)), "b": list(range(30))}


def test_7_at_most_max_patch_ops_operations(frontend: InProcessFrontend) -> None:
    items = Items(items=[0])
    view = frontend.model(items)
    ops = [{"op": "replace", "path": "/0", "value": n} for n in range(MAX_PATCH_OPS + 1)]
    send_raw(frontend, view, update(base=0, patch={"items": ops}))
    assert answer(frontend)["errors"][0]["kind"] == "bad_patch" and items.items == [0]
    send_raw(frontend, view, update(seq=2, base=view.rev, patch={"items": ops[:MAX_PATCH_OPS]}))
    assert items.items == [MAX_PATCH_OPS - 1]


def test_7_the_kernel_never_sends_a_patch_longer_than_the_limit(frontend: InProcessFrontend) -> None:
    items = Items(items=list(range(100_000)))
    view = frontend.model(items)
    items.items = [n if n % 10 else -n for n in range(100_000)]  # 10,000 scattered changes
    frontend.flush()
    update_message = frontend.sent(method="update")[-1].data
    assert len(update_message.get("patch", {}).get("items", [])) <= MAX_PATCH_OPS
    assert view.get("items") == items.items


# --- 8. no echo of rejected values; strict versions -------------------------------------------------


def test_8_a_1mb_string_is_not_echoed(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    send_raw(frontend, view, update(state={"value": "x" * 1_000_000, "x" * 100_000: 1}))
    reply = frontend.sent("to_browser")[-1]
    assert reply.size < 3_000
    assert all(len(e["message"]) <= 500 and "traceback" not in e for e in reply.data["errors"])
    assert reply.data["errors"][0]["message"].endswith("…")


@pytest.mark.parametrize("version", ["1.0.0", "2", "2.0.1", "v2.0", " 2.0", "\u0662.\u0660", "2.", ".0", 2.0])
def test_8_version_strings_other_than_major_dot_minor_are_refused(frontend: InProcessFrontend, version: Any) -> None:
    counter = Counter()
    view = frontend.model(counter)
    send_raw(frontend, view, {**update(state={"value": 5}), "protocol": version})
    assert counter.value == 0 and view.errors[-1]["kind"] == "bad_message"


def test_8_another_major_is_a_version_error_and_another_minor_is_fine(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    send_raw(frontend, view, {**update(state={"value": 5}), "protocol": "1.0"})
    assert counter.value == 0 and view.errors[-1]["kind"] == "version"
    send_raw(frontend, view, {**update(seq=2, state={"value": 5}), "protocol": "2.7", "future_field": 1})
    assert counter.value == 5


# --- 9. a failing trailing flush is never silent ----------------------------------------------------


class Trailing(widgets.Model):
    _esm = ESM
    _sync_interval = 0.05
    value = Int(0).tag(sync=True)
    text: List[Any] = List().tag(sync=True)
    table = Dict().tag(sync=True)


def wait_until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def test_9_an_unsendable_value_in_a_trailing_flush_is_reported_and_the_rest_sent(frontend: InProcessFrontend) -> None:
    model = Trailing()
    view = frontend.model(model)
    model.value = 1  # sent at once; what follows waits for the flusher
    model.value = 2
    model.text = ["a\ud800b"]
    wait_until(lambda: view.get("value") == 2)
    assert [(e["kind"], e["key"]) for e in view.errors] == [("unsendable", "text")]
    assert view.get("text") == []


def test_9_a_trailing_flush_that_fails_is_reported_kept_dirty_and_retried(
    frontend: InProcessFrontend, monkeypatch: Any
) -> None:
    model = Trailing()
    view = frontend.model(model)
    sync = model._sync
    assert sync is not None and sync.comm is not None
    model.value = 1
    real_send = sync.comm.send
    calls: list[Any] = []

    def flaky(data: Any, **kwargs: Any) -> None:
        calls.append(data.get("method"))
        if len(calls) == 1:
            raise OSError("the network went away")
        real_send(data, **kwargs)

    monkeypatch.setattr(sync.comm, "send", flaky)
    model.table = {"kept": True}  # the flusher's send of this fails
    wait_until(lambda: len(calls) >= 2)
    assert calls[:2] == ["update", "error"]
    assert view.errors[-1]["kind"] == "unsendable" and "the network went away" in view.errors[-1]["message"]
    assert "table" in sync.dirty and view.get("table") == {}
    assert FLUSHER._thread is not None and FLUSHER._thread.is_alive()
    time.sleep(0.06)
    model.value = 2  # the next change retries the kept key with it
    wait_until(lambda: view.get("value") == 2)
    assert view.get("table") == {"kept": True} and sync.dirty == set()


def test_9_the_flusher_survives_and_never_prints_into_a_cell(frontend: InProcessFrontend, capsys: Any) -> None:
    model = Trailing()
    view = frontend.model(model)
    model.value = 1
    for n in range(5):
        model.text = [f"bad\udc80{n}"]
        model.value = n + 10
        wait_until(lambda n=n: view.get("value") == n + 10)
    assert threading.active_count() >= 2 and FLUSHER._thread is not None and FLUSHER._thread.is_alive()
    assert capsys.readouterr().err == ""


def test_3_a_model_whose_value_cannot_be_sent_fails_where_it_is_made(frontend: InProcessFrontend) -> None:
    """Also a low lone surrogate, which ipykernel's session would send as bytes that are not UTF-8."""
    before = set(frontend.models)
    with pytest.raises(TypeError, match="'s' cannot be sent to the browser"):
        Typed(s="a\udc80b")
    with pytest.raises(TypeError, match="'s' cannot be sent to the browser"):
        Typed(s="a\ud800b")
    assert set(frontend.models) == before
    assert not any(isinstance(m, Typed) and m.s == "a\ud800b" for m in widgets.model.live.values())

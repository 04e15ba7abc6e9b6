"""widgets.testing follows the browser runtime's rules (frontend/src/sync.ts): the kit's own tests."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from traitlets import Int, List, Unicode

import widgets
from widgets.patch import MAX_PATCH_OPS
from widgets.protocol import envelope
from widgets.testing import InProcessFrontend
from widgets.testing.frontend import encode, js_length, smaller_patch

from .models import ESM


class Kit(widgets.Model):
    _esm = ESM
    _sync_interval = 0.0
    value = Int(0).tag(sync=True)
    label = Unicode("").tag(sync=True)
    items: List[Any] = List().tag(sync=True)
    status = Unicode("idle").tag(sync=True, read_only=True)


def to_kernel(frontend: InProcessFrontend) -> list[dict[str, Any]]:
    return [m.data for m in frontend.sent("to_kernel")]


def test_one_update_in_flight_later_saves_merge(frontend: InProcessFrontend) -> None:
    model = Kit()
    view = frontend.model(model)
    with frontend.delayed():
        view.set("value", 1)
        first = view.save_changes()
        view.set("label", "a")
        assert view.save_changes() is None
        view.set("value", 2)
        assert view.save_changes() is None
        assert len(to_kernel(frontend)) == 1 and view.get("value") == 2
        assert view.pending == {"value": (2, None), "label": ("a", None)}
    sent = to_kernel(frontend)
    assert [m["seq"] for m in sent] == [first, (first or 0) + 1]
    assert sent[1]["state"] == {"label": "a", "value": 2}
    assert (model.value, model.label) == (2, "a") and view.pending == {}


def test_a_custom_message_sends_what_was_saved_before_it_even_with_one_in_flight(frontend: InProcessFrontend) -> None:
    model = Kit()
    view = frontend.model(model)
    with frontend.delayed():
        view.set("value", 1)
        view.save_changes()
        view.set("value", 2)
        view.save_changes()
        view.send({"ping": 1})
    assert [m["method"] for m in to_kernel(frontend)] == ["update", "update", "custom"]
    assert model.value == 2


def test_the_patch_rule_is_sync_ts_smaller_patch() -> None:
    big = list(range(2000))
    one = [*big[:5], -5, *big[6:]]
    assert smaller_patch(big, one) == [{"op": "replace", "path": "/5", "value": -5}]
    assert smaller_patch([1, 2, 3], [1, 2, 4]) is None  # the whole value is shorter
    assert smaller_patch([1, 2], [1, 2]) is None  # never an empty patch: sent whole
    assert smaller_patch(list(range(100)), [-n for n in range(100)]) is None  # beyond max(16, 100 >> 2)
    many = list(range(40_000))
    assert smaller_patch(many, [n if n % 8 else -n - 1 for n in many]) is None  # 5,000 ops > MAX_PATCH_OPS
    assert MAX_PATCH_OPS < 5_000 < 40_000 >> 2
    assert smaller_patch({"a": [0] * 600}, {"a": [0] * 600, "b": b"raw"}) is None  # binary travels whole
    assert smaller_patch([1], {"a": 1}) is None and smaller_patch(5, 6) is None


def test_patch_length_is_measured_as_javascript_does() -> None:
    assert js_length([1.0, 1e-7, 1e21, 0.00001, "\U0001f600"]) == len('[1,1e-7,1e+21,0.00001,"xx"]')
    assert encode([1.5]) == b"[1.5]"
    with pytest.raises(ValueError):
        encode([float("nan")])
    with pytest.raises(UnicodeEncodeError):
        encode(["a\ud800b"])


def test_a_stale_patch_is_retried_whole(frontend: InProcessFrontend) -> None:
    model = Kit(items=list(range(3000)))
    view = frontend.model(model)
    with frontend.delayed():
        model.items = [*model.items, 3000]  # the kernel moves on; the browser does not know yet
        mine = list(range(3000))
        mine[7] = -7
        view.set("items", mine)
        view.save_changes()
    sent = to_kernel(frontend)
    assert "patch" in sent[0] and sent[1]["state"] == {"items": mine} and "patch" not in sent[1]
    assert model.items == mine and view.get("items") == mine and view.pending == {}


def test_a_gap_asks_for_the_state_once(frontend: InProcessFrontend) -> None:
    model = Kit()
    view = frontend.model(model)
    frontend.drop_next()
    model.value = 1
    model.value = 2
    model.value = 3
    frontend.flush()
    assert [m["method"] for m in to_kernel(frontend)] == ["request_state"]
    assert view.get("value") == 3 and view.gaps == 2 and not view.resyncing


def test_views_get_copies_and_the_baseline_stays_the_kernels(frontend: InProcessFrontend) -> None:
    model = Kit(items=[[1, 2], [3]])
    view = frontend.model(model)
    shown = view.get("items")
    assert view.get("items") is shown  # one copy per change, shared by all views
    shown[0].append(99)  # a module pushes into what it got ...
    assert view.confirmed["items"] == [[1, 2], [3]]
    view.set("items", shown)  # ... then sets that same object
    view.save_changes()
    assert model.items == [[1, 2, 99], [3]]
    fresh = view.get("items")
    assert fresh == [[1, 2, 99], [3]] and fresh is not shown


def test_a_value_equal_to_the_kernels_is_sent_whole(frontend: InProcessFrontend) -> None:
    model = Kit(items=list(range(2000)))
    view = frontend.model(model)
    view.set("items", list(range(2000)))
    view.save_changes()
    sent = to_kernel(frontend)[-1]
    assert sent["state"] == {"items": list(range(2000))} and "patch" not in sent


def test_read_only_keys_are_refused_in_the_browser(frontend: InProcessFrontend) -> None:
    model = Kit()
    view = frontend.model(model)
    view.set("status", "hacked")
    assert view.save_changes() is None
    assert to_kernel(frontend) == [] and view.errors[-1]["kind"] == "read_only" and view.get("status") == "idle"


def test_a_forged_ack_is_refused(frontend: InProcessFrontend) -> None:
    model = Kit()
    view = frontend.model(model)
    frontend.receive(
        "comm_msg", view.model_id, envelope("update", rev=1, ack={"client": frontend.client, "seq": 99}), []
    )
    assert view.rev == 0 and view.errors[-1]["kind"] == "bad_message"


def test_binary_travels_as_buffers_from_the_kit(frontend: InProcessFrontend) -> None:
    model = Kit()
    view = frontend.model(model)
    view.set("items", [np.arange(3, dtype=np.int16)])
    view.save_changes()
    sent = frontend.sent("to_kernel")[-1]
    assert sent.data["buffer_paths"] == [["state", "items", 0]] and len(sent.buffers[0]) == 6
    assert json.loads(encode(sent.data))["state"]["items"][0]["$binary"] == "ndarray"

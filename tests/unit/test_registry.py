"""Frontend-created models and the control channel."""

from __future__ import annotations

from typing import Any

from traitlets import Instance, Int

import widgets
from widgets.registry import classes, live
from widgets.testing import InProcessFrontend

from .models import ESM, Counter, Items, Strict

widgets.register("test.counter")(Counter)
widgets.register(Strict)


def test_register_by_name_and_by_class_name() -> None:
    assert classes["test.counter"] is Counter
    assert classes[Strict.class_name()] is Strict

    @widgets.register
    class Decorated(widgets.Model):
        n = Int().tag(sync=True)

    assert classes[Decorated.class_name()] is Decorated


def test_the_browser_creates_a_live_instance(frontend: InProcessFrontend) -> None:
    view = frontend.create("test.counter", value=5, label="from js")
    model = live[view.model_id]
    assert isinstance(model, Counter) and model.value == 5 and model.label == "from js"
    assert view.get("status") == "idle" and view.esm == ESM
    assert frontend.messages[-1].method == "state"
    model.value = 6
    frontend.flush()
    assert view.get("value") == 6
    view.set("value", 8)
    view.save_changes()
    assert model.value == 8


def test_a_constructor_that_raises_gets_an_error_and_no_state(frontend: InProcessFrontend) -> None:
    @widgets.register("test.fragile")
    class Fragile(widgets.Model):
        value = Int(0).tag(sync=True)

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if self.value < 0:
                raise ValueError("negative")

    before = set(live)
    view = frontend.create("test.fragile", value=-1)
    answers = [
        m.method or m.kind for m in frontend.messages if m.comm_id == view.model_id and m.direction == "to_browser"
    ]
    assert answers == ["error", "comm_close"]
    assert "ValueError: negative" in view.errors[-1]["message"]
    assert set(live) == before


def test_models_made_by_a_constructor_open_their_own_comms(frontend: InProcessFrontend) -> None:
    @widgets.register("test.nest")
    class Nest(widgets.Model):
        child = Instance(widgets.Model, allow_none=True).tag(sync=True)

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.child = Counter()

    view = frontend.create("test.nest")
    nest = live[view.model_id]
    assert isinstance(nest, Nest) and nest.child is not None and nest.child.model_id != view.model_id
    assert frontend.resolve(view.get("child")).get("value") == 0


def test_creation_with_binary_state(frontend: InProcessFrontend) -> None:
    view = frontend.create(Strict.class_name(), data=b"\x00")
    created = live[view.model_id]
    assert isinstance(created, Strict) and created.data == b"\x00"


def test_unknown_class_bad_keys_and_bad_values_create_nothing(frontend: InProcessFrontend) -> None:
    before = set(live)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("nope.Nothing", {}, "unknown_class"),
        ("test.counter", {"zzz": 1}, "unknown_key"),
        ("test.counter", {"status": "x"}, "read_only"),
        ("test.counter", {"value": "x"}, "validation"),
        (Strict.class_name(), {"even": 3}, "validation"),
    ]
    for name, state, kind in cases:
        view = frontend.create(name, **state)
        assert view.errors[-1]["kind"] == kind, (name, state, view.errors)
        assert frontend.closed_comms[-1][0] == view.model_id
    assert set(live) == before


def test_restore_returns_every_live_model_with_assets(frontend: InProcessFrontend) -> None:
    counter = Counter(value=3)
    items = Items(blob=b"\x01\x02\x03", items=[1, 2])
    counter.value = 4  # may still be held back by the rate limiter: restore sends it first
    closed = Counter()
    closed.close()

    reloaded = InProcessFrontend()
    reloaded.manager = frontend.manager  # a second browser tab on the same kernel
    with reloaded:
        restored = {m.model_id: m for m in reloaded.restore()}
    assert counter.model_id in restored and items.model_id in restored
    assert closed.model_id not in restored
    assert restored[counter.model_id].get("value") == 4
    assert restored[counter.model_id].esm == ESM
    assert restored[counter.model_id].css == ".counter { color: red; }"
    assert restored[items.model_id].get("blob") == b"\x01\x02\x03"
    assert restored[counter.model_id].rev == frontend.model(counter).rev
    reply = reloaded.messages[-1].data
    assert len(reply["assets"]) == 2  # one ESM shared by both classes, one CSS
    assert reply["buffer_paths"] == [["models", list(restored).index(items.model_id), "state", "blob"]]


def test_assets_request_and_unknown_hashes(frontend: InProcessFrontend) -> None:
    counter = Counter()
    digest = frontend.messages[0].data["esm"]
    request = frontend.control("assets", hashes=[digest, "0000"])
    assert frontend.replies[request]["assets"] == {digest: ESM}
    counter.close()


def test_control_errors_are_answered_not_raised(frontend: InProcessFrontend) -> None:
    frontend.control("frobnicate")
    frontend.control("assets", hashes="nope")
    assert [e["kind"] for e in frontend.control_errors] == ["bad_message", "bad_message"]
    assert frontend.control_errors[0]["request"] == "r1"


def test_a_browser_missing_an_asset_fetches_it(frontend: InProcessFrontend) -> None:
    Counter()
    late = InProcessFrontend()
    late.manager = frontend.manager
    with late:
        second = Counter()  # its open carries only the hash: the first tab already got the source
        assert late.messages[0].data["assets"] == {}
        assert late.model(second).esm == ESM  # fetched through the control channel
        assert any(m.method == "assets_reply" for m in late.messages)

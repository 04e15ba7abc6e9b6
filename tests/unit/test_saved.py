"""The state document (widgets/saved.py): the shared cases, and documents of real models read back."""

from __future__ import annotations

import base64
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import comm
import numpy
import pytest
import traitlets
from traitlets import Dict, Int, List, Unicode

import widgets
from widgets import hosts, saved
from widgets.registry import live
from widgets.testing import InProcessFrontend

from .models import ESM, Counter
from .test_compat import IpywidgetsHost

CASES = json.loads((pathlib.Path(__file__).parents[1] / "protocol_cases" / "saved_cases.json").read_text())


class Box(widgets.Model):
    _esm = ESM
    children: List[Any] = List().tag(sync=True)
    named = Dict().tag(sync=True)


class Slider(widgets.Model):
    _esm = ESM  # the same module as Counter's: one asset
    value = Int(0).tag(sync=True)


class Blobs(widgets.Model):
    _esm = ESM
    data = widgets.Array(b"").tag(sync=True)
    more = Dict().tag(sync=True)


class Converted(widgets.Model):
    """A trait whose `to_json` refers to a model the raw value does not hold."""

    _esm = ESM
    target = traitlets.Any(None).tag(sync=True, to_json=lambda value, model: {"ref": value[0]} if value else None)


def _as_expected(value: Any) -> Any:
    """A decoded value in the cases' notation: bytes as {"$base64": ...}."""
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [_as_expected(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_expected(v) for k, v in value.items()}
    return value


def _expected(decoded: dict[str, Any]) -> dict[str, Any]:
    return {key: {**entry, "state": _as_expected(entry["state"])} for key, entry in decoded.items()}


# --- the shared cases -----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES["valid"], ids=[c["name"] for c in CASES["valid"]])
def test_valid_case_reads_as_expected(case: dict[str, Any]) -> None:
    assert _expected(saved.decode(case["document"])) == case["models"]
    text = saved.dumps(case["document"])
    assert saved.loads(text) == case["document"]
    assert _expected(saved.decode(text)) == case["models"]


@pytest.mark.parametrize("case", CASES["invalid"], ids=[c["name"] for c in CASES["invalid"]])
def test_invalid_case_is_refused(case: dict[str, Any]) -> None:
    with pytest.raises(saved.SavedStateError, match=case["error"].replace("(", r"\(")):
        saved.loads(case["document"])
    with pytest.raises(saved.SavedStateError, match=case["error"].replace("(", r"\(")):
        saved.decode(json.dumps(case["document"]))


def test_the_cases_cover_what_the_brief_lists() -> None:
    names = " / ".join(c["name"] for c in CASES["valid"] + CASES["invalid"])
    for topic in ("sharing an asset", "references", "ndarray", "__proto__", "hostile", "format", "version",
                  "protocol", "out of range", "values count", "does not resolve", "missing buffer", "extra buffer",
                  "bad base64", "assets not strings", "not an array"):  # fmt: skip
        assert topic in names, topic


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(saved.SavedStateError, match="not valid JSON"):
        saved.loads("{format")
    assert isinstance(saved.SavedStateError("x"), ValueError)


# --- documents of models --------------------------------------------------------------------


def test_a_model_with_no_comm_round_trips() -> None:
    counter = Counter(value=3, label="</script>\u2028")
    doc = saved.document([counter])
    assert doc["format"] == "widgets-state" and doc["version"] == 1 and doc["protocol"] == widgets.PROTOCOL_VERSION
    assert saved.decode(saved.dumps(doc)) == {
        counter.model_id: {
            "class": "tests.unit.models.Counter",
            "esm": ESM,
            "css": ".counter { color: red; }",
            "read_only": ["status"],
            "state": {"label": "</script>\u2028", "status": "idle", "value": 3},
        }
    }
    assert counter.closed and counter.model_id not in live  # nothing was opened


def test_referenced_models_come_along_once_and_others_do_not() -> None:
    a, b, c, unrelated = Counter(value=1), Counter(value=2), Counter(value=3), Counter(value=4)
    inner = Box(children=[c], named={"again": a})
    outer = Box(children=[a, b, inner], named={"deep": [{"x": c}]})
    doc = saved.document([outer, a])
    assert next(iter(doc["models"])) == outer.model_id
    assert set(doc["models"]) == {outer.model_id, a.model_id, b.model_id, inner.model_id, c.model_id}
    assert unrelated.model_id not in doc["models"]
    state = saved.decode(doc)[outer.model_id]["state"]
    assert state["children"] == [f"IPY_MODEL_{m.model_id}" for m in (a, b, inner)]
    assert state["named"] == {"deep": [{"x": f"IPY_MODEL_{c.model_id}"}]}


def test_a_cycle_of_references_ends() -> None:
    first, second = Box(), Box()
    first.children, second.children = [second], [first]
    assert set(saved.document([first])["models"]) == {first.model_id, second.model_id}


def test_references_a_to_json_converter_makes_count() -> None:
    child = Counter()
    holder = Converted(target=[child])
    assert child.model_id in saved.document([holder])["models"]


def test_classes_once_per_name_and_keys_and_assets_once_per_hash() -> None:
    doc = saved.document([Counter(), Counter(value=2), Slider(), Slider()])
    assert [c["name"] for c in doc["classes"]] == ["tests.unit.models.Counter", "tests.unit.test_saved.Slider"]
    assert doc["classes"][0]["esm"] == doc["classes"][1]["esm"]
    assert sorted(doc["assets"].values()) == sorted([ESM, ".counter { color: red; }"])
    assert [entry[0] for entry in doc["models"].values()] == [0, 0, 1, 1]


def test_buffers_are_base64_with_paths_relative_to_the_values() -> None:
    array = numpy.arange(6, dtype="int16").reshape(2, 3)
    blobs = Blobs(data=bytearray(b"\x00\xff"), more={"a": [memoryview(b"xyz"), array]})
    doc = saved.document([blobs])
    entry = doc["models"][blobs.model_id]
    assert entry[2] == [[0], [1, "a", 0], [1, "a", 1]]
    assert entry[3] == ["AP8=", "eHl6", base64.b64encode(array.tobytes()).decode()]
    assert entry[1][1]["a"][1] == {"$binary": "ndarray", "dtype": "int16", "shape": [2, 3]}
    state = saved.decode(saved.dumps(doc))[blobs.model_id]["state"]
    assert state == {"data": b"\x00\xff", "more": {"a": [b"xyz", array.tobytes()]}}
    assert len(saved.document([Blobs()])["models"].popitem()[1]) == 4  # b"" is a buffer too


def test_live_models_are_saved_at_their_current_values(frontend: InProcessFrontend) -> None:
    counter = Counter(value=1)
    view = frontend.model(counter)
    view.set("value", 5)
    view.save_changes()
    frontend.wait_for(lambda: counter.value == 5)
    assert saved.decode(saved.document([counter]))[counter.model_id]["state"]["value"] == 5


@pytest.fixture
def compat_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[IpywidgetsHost]:
    fake = IpywidgetsHost()
    monkeypatch.setattr(comm, "create_comm", fake.create_comm)
    monkeypatch.setattr(comm, "get_comm_manager", lambda: fake.manager)
    monkeypatch.setattr(hosts, "_chosen", None)
    widgets.set_protocol("anywidget")
    yield fake
    for model in list(live.values()):
        if model._sync is not None and getattr(model._sync.comm, "host", None) is fake:
            model.close()


def test_compat_mode_models_are_saved_alike(compat_host: IpywidgetsHost) -> None:
    child = Counter(value=2)
    box = Box(children=[child])
    assert box.protocol == "anywidget"
    decoded = saved.decode(saved.document([box]))
    assert decoded[box.model_id]["state"]["children"] == [f"IPY_MODEL_{child.model_id}"]
    assert decoded[child.model_id]["state"]["value"] == 2


def test_what_cannot_be_saved_says_so() -> None:
    with pytest.raises(TypeError, match=r"expected widgets\.Model"):
        saved.document([object()])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="cannot be sent"):
        saved.document([Box(named={"x": object()})])


def test_dumps_is_compact_and_keeps_text_as_is() -> None:
    class Text(widgets.Model):
        _esm = ESM
        text = Unicode("").tag(sync=True)

    text = saved.dumps(saved.document([Text(text="é\u2028")]))
    assert text.startswith('{"format":"widgets-state","version":1,"protocol":') and '["é\u2028"]' in text

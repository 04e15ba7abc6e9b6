"""What marimo's `mo.ui.anywidget` reads from a Model (widgets/marimo.py), against marimo's own code in-process:
its comm provider (the `comm.create_comm` marimo installs), its comm manager (where the browser's
messages arrive) and its `mo.ui.anywidget` wrapper. tests/e2e/test_marimo.py runs the same in Chromium.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import comm
import marimo as mo
import numpy as np
import pytest
from marimo._plugins.ui._impl.anywidget.comm_provider import install_anywidget_comm_provider
from marimo._plugins.ui._impl.anywidget.init import WIDGET_COMM_MANAGER
from marimo._plugins.ui._impl.comm import MarimoComm
from marimo._runtime.commands import ModelCommand, ModelUpdateMessage
from marimo._types.ids import WidgetModelId
from traitlets import Int, List, TraitError, Unicode, validate

import widgets
from widgets import Array, hosts
from widgets.flusher import FLUSHER
from widgets.marimo import MarimoWidget
from widgets.protocol import ProtocolError
from widgets.testing import InProcessFrontend

ESM = "export default { render({ model, el }) { el.textContent = model.get('value'); } }"


class Counter(widgets.Model):
    _esm = ESM
    value = Int(0).tag(sync=True)
    label = Unicode("").tag(sync=True)
    status = Unicode("idle").tag(sync=True, read_only=True)
    items: List[Any] = List().tag(sync=True)

    @validate("value")
    def _small(self, proposal: Any) -> int:
        if proposal["value"] > 100:
            raise TraitError("value must be at most 100")
        return int(proposal["value"])


class Blob(widgets.Model):
    _esm = ESM
    data = Array(b"").tag(sync=True)


@pytest.fixture
def marimo_comms(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """marimo's comm provider installed (undone afterwards), the anywidget protocol chosen; yields the
    messages marimo's comms broadcast to the browser, as (model_id, message)."""
    monkeypatch.setattr(comm, "create_comm", comm.create_comm)
    monkeypatch.setattr(hosts, "_chosen", None)
    sent: list[Any] = []
    monkeypatch.setattr(MarimoComm, "_broadcast", lambda self, data, buffers, esm_spec=None: sent.append((self, data)))
    install_anywidget_comm_provider()
    widgets.set_protocol("anywidget")
    yield sent
    for model_comm in list(WIDGET_COMM_MANAGER.comms.values()):
        model_comm.close()


def from_browser(model: widgets.Model, state: dict[str, Any], paths: Any = (), buffers: Any = ()) -> Any:
    """A browser update as marimo's kernel receives it; returns what marimo then reruns (ui element id, state)."""
    message = ModelUpdateMessage(state=state, buffer_paths=list(paths))
    command = ModelCommand(model_id=WidgetModelId(model.model_id), message=message, buffers=list(buffers))
    return WIDGET_COMM_MANAGER.receive_comm_message(command)


def wrap(model: widgets.Model) -> Any:
    """`mo.ui.anywidget(model)`: its signature names anywidget.AnyWidget, but it checks no type."""
    return mo.ui.anywidget(model)  # type: ignore[arg-type]


def updates(sent: list[Any], model: widgets.Model) -> list[Any]:
    FLUSHER.flush_all()
    return [data["state"] for c, data in sent if c.comm_id == model.model_id and data.get("method") == "update"]


def test_model_has_ipywidgets_names_marimo_reads() -> None:
    assert issubclass(widgets.Model, MarimoWidget)
    assert Counter().comm is None  # no kernel here: no comm


def test_mo_ui_anywidget_wraps_a_model(marimo_comms: list[Any]) -> None:
    counter = Counter(label="a")
    assert isinstance(counter.comm, MarimoComm) and counter.comm.comm_id == counter._model_id
    wrapped = wrap(counter)
    assert counter.comm.ui_element_id == wrapped._id  # how marimo reruns the cells reading `wrapped`
    assert wrapped.value == {"value": 0, "label": "a", "status": "idle", "items": []}

    seen: list[int] = []
    counter.observe(lambda change: seen.append(change["new"]), names="value")
    assert from_browser(counter, {"value": 3}) == (wrapped._id, {"value": 3})
    assert counter.value == 3 and seen == [3]
    wrapped._convert_value({"value": 3})  # marimo hands the same update to set_state: nothing happens twice
    assert seen == [3] and updates(marimo_comms, counter) == []
    assert wrapped.value["value"] == 3


def test_a_refused_browser_value_is_answered_with_the_kernels(
    marimo_comms: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    counter = Counter(value=7)
    wrapped = wrap(counter)
    with caplog.at_level(logging.WARNING, logger="widgets"):
        from_browser(counter, {"value": 1000})
        wrapped._convert_value({"value": 1000})
    assert counter.value == 7
    assert {"value": 7} in updates(marimo_comms, counter)  # the view reverts
    assert any("value must be at most 100" in record.getMessage() for record in caplog.records)


def test_binary_values_survive_marimos_second_set_state(marimo_comms: list[Any]) -> None:
    blob = Blob()
    wrapped = wrap(blob)
    from_browser(blob, {}, [["data"]], [b"\x01\x02\x03"])  # the buffer is the whole value: no key in state
    assert blob.data == b"\x01\x02\x03"
    blob.set_state({"data": None})  # marimo's copy of a nested binary update, without its buffers
    assert blob.data == b"\x01\x02\x03"
    assert wrapped.value == {"data": b"\x01\x02\x03"}
    blob.set_state({"data": b"\x09"})  # bytes in place: a real new value
    assert blob.data == b"\x09"
    assert updates(marimo_comms, blob) == []  # the kernel has what it was given: no echo


def test_get_state_is_a_json_snapshot() -> None:
    child = Counter(label="child")
    parent = Counter(items=[child, {"raw": b"\x00\x01"}])
    state = parent.get_state()
    assert state["items"] == [f"IPY_MODEL_{child.model_id}", {"raw": b"\x00\x01"}]
    state["items"].append(1)
    assert len(parent.items) == 2  # a copy, not the trait's value
    assert parent.get_state("label") == {"label": ""}
    assert parent.get_state(["value", "status"]) == {"value": 0, "status": "idle"}
    with pytest.raises(KeyError, match="'nope'"):
        parent.get_state(["value", "nope"])
    array = Blob(data=np.arange(3, dtype="uint16")).get_state()
    assert array == {"data": {"dtype": "uint16", "shape": [3], "buffer": b"\x00\x00\x01\x00\x02\x00"}}


def test_set_state_on_our_own_protocol_checks_like_the_browser(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    counter.set_state({"value": 5, "label": "set"})
    frontend.flush()
    assert view.get("value") == 5 and view.get("label") == "set"
    with pytest.raises(ProtocolError, match="read-only"):
        counter.set_state({"status": "busy"})
    with pytest.raises(TraitError, match="at most 100"):
        counter.set_state({"value": 1000})
    with pytest.raises(TypeError, match="dict of trait names"):
        counter.set_state([("value", 1)])  # type: ignore[arg-type]
    assert counter.value == 5

"""The compatibility mode: a Model speaking anywidget's flavour of the ipywidgets protocol (widgets/compat.py),
and how the mode is chosen (widgets/hosts.py). docs/protocol.md, "Compatibility mode", is the spec.

`IpywidgetsHost` plays the browser side as ipywidgets' and anywidget's managers do: it keeps each
model's state with the buffers put in at `buffer_paths` (relative to `state`), and sends
`update` / `request_state` / `custom` as they do.
"""

from __future__ import annotations

import copy
import logging
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import comm
import numpy as np
import pytest
from comm.base_comm import BaseComm, CommManager
from traitlets import Dict, Float, Int, List, TraitError, Unicode, observe, validate

import widgets
from widgets import Array, compat, hosts
from widgets.compat import COMPAT_TARGET, WIDGET_VIEW_MIMETYPE, CompatModel, anywidget_version
from widgets.flusher import FLUSHER, LOCK
from widgets.model import live
from widgets.sync import SyncedModel
from widgets.testing import InProcessFrontend

ESM = "export default { render({ model, el }) { el.textContent = model.get('value'); } }"


class Counter(widgets.Model):
    _esm = ESM
    _css = ".counter { color: red; }"
    value = Int(0).tag(sync=True)
    ratio = Float(0.0).tag(sync=True)
    status = Unicode("idle").tag(sync=True, read_only=True)
    items: List[Any] = List().tag(sync=True)


class Even(widgets.Model):
    _esm = ESM
    even = Int(0).tag(sync=True)
    doubled = Int(0).tag(sync=True)

    @validate("even")
    def _check(self, proposal: Any) -> int:
        if proposal["value"] % 2:
            raise TraitError("must be even")
        return int(proposal["value"])

    @observe("even")
    def _double(self, change: Any) -> None:
        self.doubled = 2 * change["new"]


class Binary(widgets.Model):
    _esm = ESM
    data = Array(b"").tag(sync=True)
    table = Dict().tag(sync=True)


class Parent(widgets.Model):
    _esm = ESM
    children: List[Any] = List().tag(sync=True)


class _HostComm(BaseComm):
    host: IpywidgetsHost

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        self.host.receive(msg_type, self.comm_id, data, metadata, [bytes(b) for b in buffers or []], keys)


def put_buffers(state: dict[str, Any], paths: list[list[Any]], buffers: list[bytes]) -> None:
    """ipywidgets' put_buffers: each buffer goes where its path (from `state`) says."""
    for path, buffer in zip(paths, buffers, strict=True):
        target: Any = state
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = buffer


class IpywidgetsHost:
    """A browser side speaking ipywidgets' protocol 2.1 over the `comm` package's hooks."""

    def __init__(self) -> None:
        self.manager = CommManager()
        self.messages: list[tuple[str, str, Any, Any, list[bytes], dict[str, Any]]] = []
        self.states: dict[str, dict[str, Any]] = {}
        self.custom: list[tuple[str, Any, list[bytes]]] = []
        self.closed: list[str] = []
        self.foreign: set[str] = set()

    def receive(self, kind: str, comm_id: str, data: Any, metadata: Any, buffers: list[bytes], keys: Any) -> None:
        with LOCK:
            self.messages.append((kind, comm_id, data, metadata, buffers, keys))
            if kind == "comm_open":  # a comm of our own protocol is not this host's business
                (self.foreign.add if keys["target_name"] != COMPAT_TARGET else self.foreign.discard)(comm_id)
            if comm_id in self.foreign:
                return
            if kind == "comm_open":
                state = copy.deepcopy(data["state"])
                put_buffers(state, data["buffer_paths"], buffers)
                self.states[comm_id] = state
            elif kind == "comm_close":
                self.closed.append(comm_id)
            elif data["method"] == "update":
                update = copy.deepcopy(data["state"])
                put_buffers(update, data["buffer_paths"], buffers)
                self.states[comm_id].update(update)
            elif data["method"] == "custom":
                self.custom.append((comm_id, data["content"], buffers))

    def create_comm(self, **kwargs: Any) -> _HostComm:
        host_comm = _HostComm.__new__(_HostComm)
        host_comm.host = self
        BaseComm.__init__(host_comm, **kwargs)
        self.manager.register_comm(host_comm)
        return host_comm

    def state(self, model: widgets.Model) -> dict[str, Any]:
        FLUSHER.flush_all()
        return self.states[model.model_id]

    def sent(self, model: widgets.Model, method: str | None = None) -> list[Any]:
        FLUSHER.flush_all()
        return [
            m[2]
            for m in self.messages
            if m[1] == model.model_id and m[0] == "comm_msg" and m[2].get("method") == method
        ]

    def send(self, model: widgets.Model, data: Any, buffers: list[bytes] | tuple[bytes, ...] = ()) -> None:
        content = {"comm_id": model.model_id, "data": data}
        msg = {"header": {"msg_type": "comm_msg"}, "content": content, "buffers": [memoryview(b) for b in buffers]}
        with LOCK:
            self.manager.comm_msg(None, None, msg)  # type: ignore[arg-type]

    def update(self, model: widgets.Model, state: dict[str, Any], paths: Any = (), buffers: Any = ()) -> None:
        self.send(model, {"method": "update", "state": state, "buffer_paths": list(paths)}, list(buffers))

    def close_from_browser(self, model: widgets.Model) -> None:
        msg = {"header": {}, "content": {"comm_id": model.model_id, "data": {}}}
        with LOCK:
            self.manager.comm_close(None, None, msg)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(hosts.ENV_VAR, raising=False)
    monkeypatch.setattr(hosts, "_chosen", None)
    monkeypatch.setattr(hosts, "_warned", set())
    monkeypatch.setattr(hosts, "_prepared", set())
    yield


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> Iterator[IpywidgetsHost]:
    fake = IpywidgetsHost()
    monkeypatch.setattr(comm, "create_comm", fake.create_comm)
    monkeypatch.setattr(comm, "get_comm_manager", lambda: fake.manager)
    widgets.set_protocol("anywidget")
    yield fake
    for model in list(live.values()):
        if model._sync is not None and getattr(model._sync.comm, "host", None) is fake:
            model.close()


# --- choosing the protocol ----------------------------------------------------------------------


def test_the_setting_validates_its_names(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValueError, match=r"unknown widgets protocol 'anywidgets'.*'auto', 'widgets', 'anywidget'"):
        widgets.set_protocol("anywidgets")
    assert hosts.setting() == "auto"
    monkeypatch.setenv("WIDGETS_PROTOCOL", "anywidget")
    assert hosts.current_protocol() == "anywidget"
    monkeypatch.setenv("WIDGETS_PROTOCOL", " Widgets ")
    assert hosts.current_protocol() == "widgets"
    monkeypatch.setenv("WIDGETS_PROTOCOL", "vscode")
    with caplog.at_level(logging.WARNING, logger="widgets"):
        assert hosts.current_protocol() == "widgets"  # a bad value: detection, and nothing detected here
        assert hosts.current_protocol() == "widgets"
    assert [r.getMessage() for r in caplog.records].count(
        "widgets: WIDGETS_PROTOCOL='vscode' is not one of auto, widgets, anywidget; detecting the host instead"
    ) == 1
    widgets.set_protocol("anywidget")  # the function wins over the environment
    assert hosts.current_protocol() == "anywidget"
    monkeypatch.setenv("WIDGETS_PROTOCOL", "anywidget")
    widgets.set_protocol("widgets")
    assert hosts.current_protocol() == "widgets"


def test_jupyterlab_speaks_our_protocol(frontend: InProcessFrontend) -> None:
    counter = Counter()
    assert hosts.detect_host() is None and counter.protocol == "widgets"
    assert frontend.model(counter).get("value") == 0
    assert widgets.MIMETYPE in counter._repr_mimebundle_()


def _fake_shell(monkeypatch: pytest.MonkeyPatch, shell: Any) -> None:
    module = types.SimpleNamespace(InteractiveShell=types.SimpleNamespace(_instance=shell))
    monkeypatch.setitem(sys.modules, "IPython.core.interactiveshell", module)


def test_marimo_is_detected_from_two_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    marimo = types.SimpleNamespace(running_in_notebook=lambda: True)
    monkeypatch.setitem(sys.modules, "marimo", marimo)
    assert hosts.detect_host() is None  # its runtime alone is not enough (e.g. `python app.py`)
    shim = lambda **kwargs: None  # noqa: E731
    shim.__module__ = "marimo._plugins.ui._impl.anywidget.comm_provider"
    monkeypatch.setattr(comm, "create_comm", shim)
    assert hosts.detect_host() == "marimo" and hosts.current_protocol() == "anywidget"
    assert hosts.signals()["marimo"] == {"runtime context": True, "comm shim": True}
    marimo.running_in_notebook = lambda: False  # another thread, or a script run
    assert hosts.detect_host() is None
    marimo.running_in_notebook = lambda: 1 / 0  # marimo's internals changed: the signal does not hold
    assert hosts.detect_host() is None


def test_vscode_is_detected_from_two_of_three_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    parent: dict[str, Any] = {"metadata": {}}
    shell = types.SimpleNamespace(user_ns={}, get_parent=lambda: parent)
    _fake_shell(monkeypatch, shell)
    monkeypatch.delenv("PYDEVD_IPYTHON_COMPATIBLE_DEBUGGING", raising=False)
    assert hosts.detect_host() is None
    shell.user_ns["__vsc_ipynb_file__"] = "/work/nb.ipynb"
    assert hosts.detect_host() is None  # one signal
    parent["metadata"]["cellId"] = "vscode-notebook-cell:/work/nb.ipynb#W1sZmlsZQ%3D%3D"
    assert hosts.detect_host() == "vscode"
    del shell.user_ns["__vsc_ipynb_file__"]
    monkeypatch.setenv("PYDEVD_IPYTHON_COMPATIBLE_DEBUGGING", "1")
    assert hosts.detect_host() == "vscode"
    parent["metadata"]["cellId"] = "a-jupyterlab-cell-id"
    assert hosts.detect_host() is None
    assert hosts.signals()["vscode"] == {"startup code": False, "cell id": False, "environment": True}


def test_colab_is_detected_from_its_kernel_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    shell_class = type("Shell", (), {"__module__": "google.colab._shell", "user_ns": {}})
    _fake_shell(monkeypatch, shell_class())
    assert hosts.detect_host() is None
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20260401-060000_RC00")
    assert hosts.detect_host() == "colab"
    _fake_shell(monkeypatch, type("Shell", (), {"user_ns": {}})())
    assert hosts.detect_host() is None  # the variable alone is not enough


def test_vscode_without_anywidget_warns_once_with_the_pip_command(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, host: IpywidgetsHost
) -> None:
    monkeypatch.setattr(hosts, "detect_host", lambda: "vscode")
    monkeypatch.setattr(hosts, "_importable", lambda name: name != "anywidget")
    with caplog.at_level(logging.WARNING, logger="widgets"):
        Counter(), Counter()
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "anywidget is not installed" in warnings[0] and 'pip install "widgets[anywidget]"' in warnings[0]


def test_vscode_with_anywidget_installed_is_silent(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="widgets"):
        hosts.prepare("vscode")  # anywidget (and ipywidgets) are installed in the test environment
    assert caplog.records == []


def test_colab_switches_on_its_custom_widget_manager(monkeypatch: pytest.MonkeyPatch, host: IpywidgetsHost) -> None:
    calls: list[str] = []
    url = "https://ssl.gstatic.com/colaboratory-static/widgets/colab-cdn-widget-manager/2b70e893a8ba7c0f/manager.min.js"
    widgets_module = types.SimpleNamespace(_installed_url=None)

    def enable() -> None:
        calls.append("enable")
        widgets_module._installed_url = url

    output = types.SimpleNamespace(enable_custom_widget_manager=enable, _widgets=widgets_module)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    monkeypatch.setattr(hosts, "detect_host", lambda: "colab")
    counter, _other = Counter(), Counter()
    assert calls == ["enable"]
    data, metadata = counter._repr_mimebundle_()
    assert metadata == {WIDGET_VIEW_MIMETYPE: {"colab": {"custom_widget_manager": {"url": url}}}}
    assert data[WIDGET_VIEW_MIMETYPE]["model_id"] == counter.model_id


# --- the wire -------------------------------------------------------------------------------------


def test_open_and_display_as_anywidget(host: IpywidgetsHost) -> None:
    counter = Counter(value=3)
    kind, comm_id, data, metadata, buffers, keys = host.messages[-1]
    assert (kind, comm_id, keys["target_name"], metadata) == (
        "comm_open",
        counter.model_id,
        "jupyter.widget",
        {"version": "2.1.0"},
    )
    version = anywidget_version()
    assert version.startswith("~0.") and version.endswith(".*")
    assert data == {
        "state": {
            "_model_module": "anywidget",
            "_model_name": "AnyModel",
            "_model_module_version": version,
            "_view_module": "anywidget",
            "_view_name": "AnyView",
            "_view_module_version": version,
            "_esm": ESM,
            "_css": ".counter { color: red; }",
            "_anywidget_id": "tests.unit.test_compat.Counter",
            "value": 3,
            "ratio": 0.0,
            "status": "idle",
            "items": [],
        },
        "buffer_paths": [],
    }
    assert buffers == []
    assert counter.protocol == "anywidget"
    assert counter._repr_mimebundle_() == {
        "text/plain": "Counter(items=[], ratio=0.0, status='idle', value=3)",
        WIDGET_VIEW_MIMETYPE: {"version_major": 2, "version_minor": 1, "model_id": counter.model_id},
    }
    counter.close()
    assert host.closed == [counter.model_id] and host.messages[-1][2] == {}
    assert counter._repr_mimebundle_() == {
        "text/plain": "Counter(items=[], ratio=0.0, status='idle', value=3) (closed)"
    }


def test_kernel_changes_are_whole_values_batched_under_the_rate_limit(host: IpywidgetsHost) -> None:
    counter = Counter()
    for i in range(1, 1001):
        counter.value = i
    with counter.hold_sync():
        counter.ratio = 0.5
        counter.items = list(range(2000))
    with counter.mutate("items") as items:
        items[1500] = "changed"
    updates = host.sent(counter, "update")
    assert len(updates) < 20
    assert all(set(u) == {"method", "state", "buffer_paths"} and "patch" not in u for u in updates)
    assert updates[-1]["state"] == {"items": [*range(1500), "changed", *range(1501, 2000)]}  # whole, not a patch
    assert host.state(counter)["value"] == 1000 and host.state(counter)["ratio"] == 0.5


def test_browser_updates_reach_the_traits_and_are_not_echoed(host: IpywidgetsHost) -> None:
    counter = Counter()
    seen: list[int] = []
    counter.observe(lambda change: seen.append(change["new"]), "value")
    host.update(counter, {"value": 7})
    assert counter.value == 7 and seen == [7]
    assert host.sent(counter, "update") == []  # the browser has 7 already
    host.update(counter, {"ratio": 2})  # coerced by the trait to 2.0: sent back so the view shows the kernel's value
    assert counter.ratio == 2.0 and host.sent(counter, "update")[-1]["state"] == {"ratio": 2.0}


def test_observer_changes_go_back_in_one_update(host: IpywidgetsHost) -> None:
    even = Even()
    host.update(even, {"even": 4})
    assert even.doubled == 8
    assert host.sent(even, "update") == [{"method": "update", "state": {"doubled": 8}, "buffer_paths": []}]


def test_refused_writes_revert_the_view_and_warn_once(host: IpywidgetsHost, caplog: pytest.LogCaptureFixture) -> None:
    counter = Counter(value=1)
    even = Even()
    with caplog.at_level(logging.WARNING, logger="widgets"):
        host.update(counter, {"status": "hacked", "value": 2})
        host.update(counter, {"status": "again"})
        host.update(counter, {"value": True})  # a boolean posing as a number
        host.update(counter, {"ratio": float("nan")})
        host.update(even, {"even": 3})
        host.update(counter, {"_esm": "export default {}"})
    assert counter.status == "idle" and counter.value == 2 and counter.ratio == 0.0 and even.even == 0
    assert host.state(counter)["status"] == "idle"
    assert host.sent(counter, "update")[:2] == [
        {"method": "update", "state": {"status": "idle"}, "buffer_paths": []},
        {"method": "update", "state": {"status": "idle"}, "buffer_paths": []},
    ]
    assert host.state(counter)["value"] == 2 and host.state(counter)["_esm"] == ESM
    assert host.sent(even, "update")[-1]["state"] == {"even": 0}
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "'status' is read-only" in m]) == 1  # once, not per write
    assert any("must be even" in m and "the view was sent the kernel's value" in m for m in messages)
    assert any("a boolean is not" in m for m in messages) and any("not a finite number" in m for m in messages)
    assert any("'_esm' is set by the kernel" in m for m in messages)


def test_binary_values_travel_as_buffers_both_ways(host: IpywidgetsHost) -> None:
    array = np.arange(6, dtype="float32").reshape(2, 3)
    model = Binary(data=b"\x00\x01", table={"image": b"png", "points": [b"a", 1], "array": array})
    _, _, data, _, buffers, _ = host.messages[-1]
    assert "data" not in data["state"] and data["state"]["table"] == {
        "points": [None, 1],
        "array": {"dtype": "float32", "shape": [2, 3]},
    }
    assert data["buffer_paths"] == [["data"], ["table", "image"], ["table", "points", 0], ["table", "array", "buffer"]]
    assert buffers == [b"\x00\x01", b"png", b"a", array.tobytes()]
    assert host.state(model)["data"] == b"\x00\x01"
    host.update(model, {}, [["data"]], [b"from the browser"])
    assert model.data == b"from the browser"
    assert host.sent(model, "update") == []  # not echoed back
    values = np.array([1.5, 2.5], dtype="float64")
    host.update(
        model,
        {"table": {"array": {"dtype": "float64", "shape": [2]}, "n": 1}},
        [["table", "array", "buffer"]],
        [values.tobytes()],
    )
    assert isinstance(model.table["array"], np.ndarray) and model.table["array"].tolist() == [1.5, 2.5]
    host.update(model, {"table": {}}, [["table", "buffer"]], [b"a key named buffer"])  # not an array
    assert model.table == {"buffer": b"a key named buffer"}
    model.data = b"new"
    assert host.state(model)["data"] == b"new"


def test_bad_buffer_framing_is_refused_whole(host: IpywidgetsHost, caplog: pytest.LogCaptureFixture) -> None:
    model = Binary()
    with caplog.at_level(logging.WARNING, logger="widgets"):
        host.update(model, {"table": {}}, [["data"], ["table", "x"]], [b"one"])  # two paths, one buffer
        host.update(model, {}, [["nowhere", "deep"]], [b"one"])
        host.update(model, {"table": {}}, "not a list", [])
    assert model.data == b"" and model.table == {}
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "2 buffer paths but 1 buffers" in text and "['nowhere', 'deep'] does not resolve" in text
    assert "buffer_paths must be a list" in text


def test_references_are_ipy_model_strings_and_children_speak_the_same_protocol(host: IpywidgetsHost) -> None:
    first, second = Counter(), Counter()
    parent = Parent(children=[first, second])
    assert host.state(parent)["children"] == [f"IPY_MODEL_{first.model_id}", f"IPY_MODEL_{second.model_id}"]
    host.update(parent, {"children": [f"IPY_MODEL_{second.model_id}"]})
    assert parent.children == [second]


def test_a_child_opened_in_our_protocol_is_reopened_in_the_parents(host: IpywidgetsHost) -> None:
    widgets.set_protocol("widgets")
    child = Counter(value=4)
    assert child.protocol == "widgets"
    widgets.set_protocol("anywidget")
    parent = Parent(children=[child])
    assert child.protocol == "anywidget" and child.model_id in host.states
    assert host.state(child)["value"] == 4 and host.state(parent)["children"] == [f"IPY_MODEL_{child.model_id}"]
    opened = [m[1] for m in host.messages if m[0] == "comm_open"]
    assert opened.index(child.model_id) < opened.index(parent.model_id)  # the child first: the reference resolves
    child.value = 5
    assert host.state(child)["value"] == 5


def test_custom_messages_both_ways(host: IpywidgetsHost, caplog: pytest.LogCaptureFixture) -> None:
    counter = Counter()
    got: list[Any] = []
    counter.on_msg(lambda model, content, buffers: got.append((model, content, [bytes(b) for b in buffers])))
    host.send(counter, {"method": "custom", "content": {"ref": f"IPY_MODEL_{counter.model_id}"}}, [b"raw"])
    assert got == [(counter, {"ref": counter}, [b"raw"])]
    counter.value = 9  # pending changes go before the custom message
    counter.send({"event": "ping"}, [b"\x01"])
    kinds = [m[2].get("method") for m in host.messages if m[0] == "comm_msg"]
    assert kinds[-2:] == ["update", "custom"]
    assert host.custom[-1] == (counter.model_id, {"event": "ping"}, [b"\x01"])
    with pytest.raises(TypeError, match="custom message's content is JSON only"):
        counter.send({"blob": b"bytes"})

    def broken(model: Any, content: Any, buffers: Any) -> None:
        raise RuntimeError("handler bug")

    counter.on_msg(broken)
    with caplog.at_level(logging.WARNING, logger="widgets"):
        host.send(counter, {"method": "custom", "content": {}})
        host.send(counter, {"method": "custom", "content": {"x": float("inf")}})
    messages = [r.getMessage() for r in caplog.records]
    assert any("RuntimeError: handler bug" in m and "Traceback" in m for m in messages)
    assert any("not a finite number" in m for m in messages)


def test_request_state_is_answered_with_the_whole_state(host: IpywidgetsHost) -> None:
    model = Binary(data=b"xy")
    model.table = {"k": 1}
    host.send(model, {"method": "request_state"})
    reply = host.sent(model, "update")[-1]
    assert reply["state"]["_model_module"] == "anywidget" and reply["state"]["table"] == {"k": 1}
    assert reply["buffer_paths"] == [["data"]] and host.messages[-1][4] == [b"xy"]


def test_hostile_messages_never_raise(host: IpywidgetsHost, caplog: pytest.LogCaptureFixture) -> None:
    counter = Counter()
    with caplog.at_level(logging.WARNING, logger="widgets"):
        host.send(counter, "not an object")
        host.send(counter, {"method": "frobnicate"})
        host.send(counter, {"method": "update", "state": ["not", "a", "dict"]})
        host.update(counter, {"nope": 1, "value": 3})
    assert counter.value == 3
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "unknown method 'frobnicate'" in text and "'nope' is not a synced trait" in text


def test_closed_by_the_browser(host: IpywidgetsHost) -> None:
    counter = Counter()
    host.close_from_browser(counter)
    assert counter.closed and counter.model_id not in live
    counter.value = 3  # nothing is sent to a closed comm
    assert host.sent(counter, "update") == []


def test_compat_models_stay_out_of_our_restore(host: IpywidgetsHost) -> None:
    compat = Counter()
    with InProcessFrontend() as frontend:
        widgets.set_protocol("widgets")
        ours = Counter()
        restored = frontend.restore()
    assert [m.model_id for m in restored] == [ours.model_id] and compat.model_id not in frontend.models


def test_a_value_from_the_browser_changed_in_place_is_sent_when_touched(host: IpywidgetsHost) -> None:
    counter, model = Counter(), Binary()
    host.update(counter, {"items": [1, 2]})
    host.update(model, {"table": {"a": [1]}})
    counter.items.append(3)  # the object a trait holds is not the one changes are compared against
    model.table["a"].append(2)
    counter.touch("items")
    model.touch("table")
    assert host.state(counter)["items"] == [1, 2, 3] and host.state(model)["table"] == {"a": [1, 2]}


def test_compat_reaches_its_model_only_through_its_interfaces() -> None:
    members = {name for cls in (SyncedModel, CompatModel) for name in vars(cls) if not name.startswith("_")}
    used = set(re.findall(r"self\.model\.(\w+)", Path(compat.__file__).read_text()))
    assert used and used <= members, used - members
    assert members <= set(dir(widgets.Model)), members - set(dir(widgets.Model))

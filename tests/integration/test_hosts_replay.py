"""VS Code and Colab, which cannot run here: their widget managers' messages replayed against a real kernel.

A real ipykernel (jupyter_client, over ZMQ) runs the models; this test plays the host's side, with
the shapes read from the hosts' code:

- VS Code (github.com/microsoft/vscode-jupyter, read at 3d24702e):
  src/kernels/raw/launcher/kernelEnvVarsService.node.ts (the kernel's environment:
  PYDEVD_IPYTHON_COMPATIBLE_DEBUGGING=1), src/kernels/kernel.ts (startup code defining
  `__vsc_ipynb_file__`, run silently; the ipywidgets version probe, without which no widget script
  is loaded), src/kernels/execution/cellExecution.ts (execute requests carry `metadata.cellId`, the
  cell's `vscode-notebook-cell:` URI), src/webviews/webview-side/ipywidgets/kernel/manager.ts
  (renders `application/vnd.jupyter.widget-view+json` with `version_major` 2 from display_data and
  execute_result, through ipywidgets 8's manager: comm target `jupyter.widget`, protocol 2.1),
  src/notebooks/controllers/ipywidgets/scriptSourceProvider/ (anywidget's JS from the kernel
  environment's share/jupyter/nbextensions, found by its `requirejs?.config` map).
- Colab (github.com/googlecolab/colabtools, read at 3c07d776): google/colab/_kernel.py (its kernel
  class and `_shell.Shell`), google/colab/output/_widgets.py (`enable_custom_widget_manager`
  installs a display hook that adds `{"colab": {"custom_widget_manager": {"url": ...}}}` to the
  widget-view metadata; the manager itself is a script on gstatic.com, not in colabtools),
  google/colab/_serverextension/_handlers.py (COLAB_RELEASE_TAG). The kernel here runs a stand-in
  `google.colab` package written for this test (`_colab_package`) with that kernel class, shell
  class and display hook.

Both managers follow ipywidgets 8: `update` / `custom` / `request_state` on the model's comm, and
on attaching to a kernel with live widgets, `comm_info_request` for `jupyter.widget`, then
`request_state` on each comm.
"""

from __future__ import annotations

import contextlib
import os
import queue
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
COLAB_URL = (
    "https://ssl.gstatic.com/colaboratory-static/widgets/colab-cdn-widget-manager/2b70e893a8ba7c0f/manager.min.js"
)

MODELS = """
import traitlets, widgets

class Counter(widgets.Model):
    _esm = "export default { render({ model, el }) { el.textContent = model.get('value'); } }"
    value = traitlets.Int(0).tag(sync=True)
    status = traitlets.Unicode("idle").tag(sync=True, read_only=True)

class Blob(widgets.Model):
    _esm = "export default { render({ model, el }) { el.textContent = model.get('data').byteLength; } }"
    data = widgets.Array(b"").tag(sync=True)

received = []
"""


class HostClient:
    """The host's side of the kernel connection: execute requests, comm messages, and IOPub as it arrives."""

    def __init__(self, connection_file: str) -> None:
        self.kc = BlockingKernelClient(connection_file=connection_file)
        self.kc.load_connection_file()
        self.kc.start_channels(hb=False)
        self.kc.wait_for_ready(timeout=60)
        self.iopub: list[dict[str, Any]] = []

    def close(self) -> None:
        self.kc.stop_channels()

    def pump_until(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                recent = [(m["header"]["msg_type"], m["content"].get("data")) for m in self.iopub[-6:]]
                raise AssertionError(f"{condition} not met within {timeout} s; last IOPub: {recent}")
            with contextlib.suppress(queue.Empty):
                self.iopub.append(self.kc.get_iopub_msg(timeout=0.05))

    def idle(self, msg_id: str) -> bool:
        return any(
            m["header"]["msg_type"] == "status"
            and m["content"]["execution_state"] == "idle"
            and m["parent_header"].get("msg_id") == msg_id
            for m in self.iopub
        )

    def run(self, code: str, metadata: dict[str, Any] | None = None, silent: bool = False) -> str:
        """Send a cell as the host does (its metadata included) and wait until the kernel is idle; its msg_id."""
        content = {"code": code, "silent": silent, "store_history": not silent, "allow_stdin": False}
        content |= {"user_expressions": {}, "stop_on_error": False}
        msg = self.kc.session.msg("execute_request", content, metadata=metadata or {})
        self.kc.shell_channel.send(msg)
        msg_id: str = msg["header"]["msg_id"]
        self.pump_until(lambda: self.idle(msg_id))
        return msg_id

    def execute(self, code: str, metadata: dict[str, Any] | None = None, silent: bool = False) -> str:
        """`run`, then its stdout; raise on an error."""
        msg_id = self.run(code, metadata, silent)
        errors = self.of(msg_id, "error")
        assert not errors, errors[0]["content"]["traceback"]
        return "".join(m["content"]["text"] for m in self.of(msg_id, "stream") if m["content"]["name"] == "stdout")

    def of(self, msg_id: str, *kinds: str) -> list[dict[str, Any]]:
        return [
            m for m in self.iopub if m["parent_header"].get("msg_id") == msg_id and m["header"]["msg_type"] in kinds
        ]

    def comm_msg(self, comm_id: str, data: dict[str, Any], buffers: list[bytes] | None = None) -> str:
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.kc.session.send(self.kc.shell_channel.socket, msg, buffers=buffers or None)
        msg_id: str = msg["header"]["msg_id"]
        self.pump_until(lambda: self.idle(msg_id))
        return msg_id

    def comm_info(self, target: str) -> dict[str, Any]:
        msg_id = self.kc.comm_info(target_name=target)
        reply = self.kc.get_shell_msg(timeout=20)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=20)
        comms: dict[str, Any] = reply["content"]["comms"]
        return comms

    def comm_messages(self, comm_id: str, method: str | None = None) -> list[dict[str, Any]]:
        return [
            m
            for m in self.iopub
            if m["header"]["msg_type"] == "comm_msg"
            and m["content"]["comm_id"] == comm_id
            and (method is None or m["content"]["data"].get("method") == method)
        ]


@contextlib.contextmanager
def _host_kernel(workdir: Path, env: dict[str, str], extra: list[str]) -> Iterator[HostClient]:
    """A kernel started as the host starts it (its environment, its arguments), and a client on it."""
    manager = KernelManager(kernel_name="python3")
    clean = {k: v for k, v in os.environ.items() if k not in ("WIDGETS_PROTOCOL", "COLAB_RELEASE_TAG")}
    clean.pop("PYDEVD_IPYTHON_COMPATIBLE_DEBUGGING", None)
    with open(workdir / "kernel.log", "w", encoding="utf-8") as log:
        manager.start_kernel(cwd=str(workdir), stdout=log, stderr=log, env={**clean, **env}, extra_arguments=extra)
        client = HostClient(manager.connection_file)
        try:
            yield client
        finally:
            client.close()
            manager.shutdown_kernel(now=False)


@pytest.fixture
def vscode(tmp_path: Path) -> Iterator[HostClient]:
    with _host_kernel(tmp_path, {"PYDEVD_IPYTHON_COMPATIBLE_DEBUGGING": "1"}, []) as client:
        yield client


def _colab_package(root: Path) -> None:
    """A stand-in for the parts of `google.colab` the host's side depends on (see the module docstring)."""
    colab = root / "google" / "colab"
    (colab / "output").mkdir(parents=True)
    (colab / "__init__.py").write_text("from google.colab import output\n")
    (colab / "_shell.py").write_text(
        "from ipykernel.zmqshell import ZMQInteractiveShell\n\nclass Shell(ZMQInteractiveShell):\n    pass\n"
    )
    (colab / "_kernel.py").write_text(
        textwrap.dedent("""
        from ipykernel import ipkernel
        from google.colab import _shell

        class Kernel(ipkernel.IPythonKernel):
            def _shell_class_default(self):
                return _shell.Shell
        """)
    )
    (colab / "output" / "__init__.py").write_text(
        "from google.colab.output._widgets import enable_custom_widget_manager\n"
    )
    (colab / "output" / "_widgets.py").write_text(
        textwrap.dedent(f"""
        import IPython

        _installed_url = None
        MIME = "{WIDGET_VIEW}"

        def enable_custom_widget_manager():
            global _installed_url
            if _installed_url is None:
                IPython.get_ipython().display_pub.register_hook(_hook)
            _installed_url = "{COLAB_URL}"

        def _hook(msg):
            content = msg.get("content") or {{}}
            if (content.get("data") or {{}}).get(MIME):
                content.setdefault("metadata", {{}}).setdefault(MIME, {{}})["colab"] = {{
                    "custom_widget_manager": {{"url": _installed_url}}
                }}
            return msg
        """)
    )


@pytest.fixture
def colab(tmp_path: Path) -> Iterator[HostClient]:
    _colab_package(tmp_path / "site")
    env = {"COLAB_RELEASE_TAG": "release-colab_20260401-060000_RC00", "PYTHONPATH": str(tmp_path / "site")}
    with _host_kernel(tmp_path, env, ["--IPKernelApp.kernel_class=google.colab._kernel.Kernel"]) as client:
        yield client


def _opened(client: HostClient, msg_id: str) -> dict[str, Any]:
    opens = client.of(msg_id, "comm_open")
    assert len(opens) == 1, opens
    content = opens[0]["content"]
    assert content["target_name"] == "jupyter.widget"
    assert opens[0]["metadata"] == {"version": "2.1.0"}
    state = content["data"]["state"]
    assert (state["_model_module"], state["_model_name"], state["_view_module"], state["_view_name"]) == (
        "anywidget",
        "AnyModel",
        "anywidget",
        "AnyView",
    )
    assert state["_esm"].startswith("export default") and state["_anywidget_id"] == "__main__.Counter"
    return opens[0]


def _displayed(client: HostClient, msg_id: str, kind: str, model_id: str) -> dict[str, Any]:
    shown = client.of(msg_id, kind)
    assert len(shown) == 1, shown
    data = shown[0]["content"]["data"]
    assert data[WIDGET_VIEW] == {"version_major": 2, "version_minor": 1, "model_id": model_id}
    assert data["text/plain"].startswith("Counter(")
    # the comm_open arrives first, so the manager has the model when it renders the view
    order = [m["header"]["msg_id"] for m in client.iopub]
    assert order.index(client.of(msg_id, "comm_open")[0]["header"]["msg_id"]) < order.index(
        shown[0]["header"]["msg_id"]
    )
    metadata: dict[str, Any] = shown[0]["content"]["metadata"]
    return metadata


def _round_trip(client: HostClient, model_id: str, cell: dict[str, Any]) -> None:
    """What both managers do with a live model: browser writes, kernel writes, custom messages, request_state."""
    client.comm_msg(model_id, {"method": "update", "state": {"value": 3}, "buffer_paths": []})
    assert client.execute("print(counter.value)", cell).strip() == "3"
    assert client.comm_messages(model_id, "update") == []  # the browser has 3: nothing echoed

    msg_id = client.run("counter.value = 10")
    assert [m["content"]["data"] for m in client.of(msg_id, "comm_msg")] == [
        {"method": "update", "state": {"value": 10}, "buffer_paths": []}
    ]

    before = len(client.iopub)
    client.comm_msg(model_id, {"method": "update", "state": {"status": "hacked"}, "buffer_paths": []})
    reverted = [m["content"]["data"] for m in client.iopub[before:] if m["header"]["msg_type"] == "comm_msg"]
    assert reverted == [{"method": "update", "state": {"status": "idle"}, "buffer_paths": []}]
    warned = "".join(m["content"]["text"] for m in client.iopub[before:] if m["header"]["msg_type"] == "stream")
    assert "'status' is read-only" in warned and "the view was sent the kernel's value" in warned
    assert client.execute("print(counter.status)").strip() == "idle"

    client.execute(
        "counter.on_msg(lambda model, content, buffers: received.append((content, [bytes(b) for b in buffers])))"
    )
    client.comm_msg(model_id, {"method": "custom", "content": {"clicked": 1}}, [b"\x01\x02"])
    assert client.execute("print(received)").strip() == "[({'clicked': 1}, [b'\\x01\\x02'])]"
    msg_id = client.run("counter.send({'pong': True}, [b'xyz'])")
    custom = client.of(msg_id, "comm_msg")
    assert [m["content"]["data"] for m in custom] == [{"method": "custom", "content": {"pong": True}}]
    assert [bytes(b) for b in custom[0]["buffers"]] == [b"xyz"]

    # a manager attaching to the live kernel (a reloaded view): comm_info, then request_state per comm
    assert client.comm_info("jupyter.widget")[model_id] == {"target_name": "jupyter.widget"}
    before = len(client.iopub)
    client.comm_msg(model_id, {"method": "request_state"})
    replies = [m["content"]["data"] for m in client.iopub[before:] if m["header"]["msg_type"] == "comm_msg"]
    assert len(replies) == 1 and replies[0]["method"] == "update"
    assert replies[0]["state"]["value"] == 10 and replies[0]["state"]["_model_module"] == "anywidget"

    # binary values: buffers at buffer_paths relative to `state`, both ways
    msg_id = client.run("blob = Blob(data=b'\\x00\\xff')")
    opened = client.of(msg_id, "comm_open")[0]
    assert opened["content"]["data"]["buffer_paths"] == [["data"]] and "data" not in opened["content"]["data"]["state"]
    assert [bytes(b) for b in opened["buffers"]] == [b"\x00\xff"]
    blob_id = opened["content"]["comm_id"]
    client.comm_msg(blob_id, {"method": "update", "state": {}, "buffer_paths": [["data"]]}, [b"from the view"])
    assert client.execute("print(blob.data)").strip() == "b'from the view'"

    msg_id = client.run("counter.close()")
    assert [m["content"]["comm_id"] for m in client.of(msg_id, "comm_close")] == [model_id]


def test_vscode(vscode: HostClient, tmp_path: Path) -> None:
    notebook = tmp_path / "counter.ipynb"
    vscode.execute(f"__vsc_ipynb_file__ = {str(notebook)!r}", silent=True)  # vscode-jupyter's startup code
    probe = "import ipywidgets as _probe\nprint('IPyWidgets:' + _probe.__version__)\ndel _probe"
    assert vscode.execute(probe).startswith("IPyWidgets:8.")  # without it VS Code loads no widget script
    cell = {"cellId": f"vscode-notebook-cell:{notebook}#W0sZmlsZQ%3D%3D"}
    vscode.execute(MODELS, cell)
    msg_id = vscode.run("counter = Counter()\ncounter", cell)
    model_id = _opened(vscode, msg_id)["content"]["comm_id"]
    assert _displayed(vscode, msg_id, "execute_result", model_id) == {}
    assert not [m for m in vscode.of(msg_id, "stream") if m["content"]["name"] == "stderr"]  # nothing to warn about

    signals = vscode.execute("print(widgets.hosts.signals()['vscode'], counter.protocol)", cell)
    assert signals.strip() == "{'startup code': True, 'cell id': True, 'environment': True} anywidget"

    msg_id = vscode.run("from IPython.display import display\ndisplay(counter)", cell)
    shown = vscode.of(msg_id, "display_data")
    assert shown[0]["content"]["data"][WIDGET_VIEW]["model_id"] == model_id
    _round_trip(vscode, model_id, cell)


def test_colab(colab: HostClient) -> None:
    colab.execute(MODELS)
    msg_id = colab.run("counter = Counter()\ncounter")
    model_id = _opened(colab, msg_id)["content"]["comm_id"]
    expected = {WIDGET_VIEW: {"colab": {"custom_widget_manager": {"url": COLAB_URL}}}}
    assert _displayed(colab, msg_id, "execute_result", model_id) == expected
    msg_id = colab.run("display(counter)")
    assert colab.of(msg_id, "display_data")[0]["content"]["metadata"] == expected  # also through Colab's hook
    signals = colab.execute("print(widgets.hosts.signals()['colab'], counter.protocol, type(get_ipython()).__module__)")
    assert signals.strip() == "{'kernel': True, 'environment': True} anywidget google.colab._shell"
    _round_trip(colab, model_id, {})


def test_a_plain_kernel_speaks_our_protocol(tmp_path: Path) -> None:
    """The same kernel without a host's signals (JupyterLab, Notebook 7): our own target and mimetype."""
    with _host_kernel(tmp_path, {}, []) as client:
        client.execute(MODELS)
        msg_id = client.run("counter = Counter()\ncounter")
        assert [m["content"]["target_name"] for m in client.of(msg_id, "comm_open")] == ["widgets.model"]
        assert "application/vnd.widgets.model+json" in client.of(msg_id, "execute_result")[0]["content"]["data"]
        client.execute("widgets.set_protocol('anywidget')")  # the documented setting
        msg_id = client.run("Counter()")
        assert [m["content"]["target_name"] for m in client.of(msg_id, "comm_open")] == ["jupyter.widget"]

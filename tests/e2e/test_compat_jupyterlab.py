"""The compatibility mode against the real ipywidgets 8 manager and anywidget's own JavaScript, in Chromium.

VS Code's and Colab's widget managers cannot run here, but the stack they are built on can:
JupyterLab with `@jupyter-widgets/jupyterlab-manager` (ipywidgets 8.1, the manager VS Code's
webview wraps) and anywidget's labextension (the `anywidget` module a compat model names) are
installed in the test environment. With `widgets.set_protocol("anywidget")`, a counter must render
through anywidget's AnyView, clicks must reach the kernel, kernel changes the view, a refused write
revert in the view, custom messages and binary values travel both ways, and nothing of ours renders.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .jupyter import Server, open_notebook, start_server, write_notebook

SETUP = '''
import traitlets, widgets
widgets.set_protocol("anywidget")

class Counter(widgets.Model):
    _esm = """
    export default { render({ model, el }) {
      const button = document.createElement("button");
      button.className = "compat-counter";
      let changes = 0;
      const show = () => { button.textContent = `count ${model.get("value")} status ${model.get("status")}`; };
      button.onclick = () => { model.set("value", model.get("value") + 1); model.save_changes(); };
      const hack = document.createElement("button");
      hack.className = "compat-hack";
      hack.textContent = "write a read-only trait";
      hack.onclick = () => { model.set("status", "hacked"); model.save_changes(); };
      const status = document.createElement("span");
      status.className = "compat-status-changes";
      model.on("change:value", show);
      model.on("change:status", () => { changes += 1; status.textContent = String(changes); show(); });
      const custom = document.createElement("span");
      custom.className = "compat-custom";
      model.on("msg:custom", (content, buffers) => {
        custom.textContent = `${JSON.stringify(content)} ${buffers[0].byteLength}`;
        model.send({ echo: content }, undefined, [new Uint8Array([7, 8])]);
      });
      const blob = document.createElement("span");
      blob.className = "compat-blob";
      const showBlob = () => { blob.textContent = `bytes ${model.get("data").byteLength}`; };
      model.on("change:data", showBlob);
      show(); showBlob();
      el.append(button, hack, status, custom, blob);
    } }
    """
    value = traitlets.Int(0).tag(sync=True)
    status = traitlets.Unicode("idle").tag(sync=True, read_only=True)
    data = widgets.Array(b"").tag(sync=True)

received = []
counter = Counter(data=b"12345")
counter.on_msg(lambda model, content, buffers: received.append((content, [bytes(b) for b in buffers])))
counter
'''


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for package in ("anywidget", "jupyterlab_widgets"):  # both come with the test extra (lonboard, ipywidgets)
        if importlib.util.find_spec(package) is None:
            pytest.fail(f"{package} is not installed: pip install -e '.[test]'")
    root: Path = tmp_path_factory.mktemp("compat-lab")
    server = start_server("lab", root)
    try:
        yield server
    finally:
        server.stop()


def test_a_compat_model_lives_in_ipywidgets_manager_with_anywidgets_view(page: Page, lab: Server) -> None:
    name = write_notebook(lab.root, "compat.ipynb", [SETUP])
    notebook = open_notebook(page, lab, name)
    notebook.run_all()
    button = page.locator(".compat-counter")
    expect(button).to_have_text("count 0 status idle", timeout=60_000)
    assert notebook.execute("print(counter.protocol)").strip() == "anywidget"
    # rendered by ipywidgets' manager (a panel holding anywidget's view), not by our renderer
    expect(page.locator(".jp-OutputArea-output.lm-Panel .compat-counter")).to_have_count(1)
    expect(page.locator(".widgets-output")).to_have_count(0)

    for _ in range(3):
        button.click()
    expect(button).to_have_text("count 3 status idle")
    assert notebook.execute("print(counter.value)").strip() == "3"

    notebook.execute("counter.value = 10")
    expect(button).to_have_text("count 10 status idle")

    page.locator(".compat-hack").click()  # refused by the kernel: the view is sent "idle" back
    expect(page.locator(".compat-status-changes")).to_have_text("2")
    expect(button).to_have_text("count 10 status idle")
    assert notebook.execute("print(counter.status)").strip() == "idle"

    notebook.execute("counter.send({'n': 1}, [b'abc'])")
    expect(page.locator(".compat-custom")).to_have_text('{"n":1} 3')
    assert notebook.execute("print(received)").strip() == "[({'echo': {'n': 1}}, [b'\\x07\\x08'])]"

    expect(page.locator(".compat-blob")).to_have_text("bytes 5")
    notebook.execute("counter.data = b'1234567'")
    expect(page.locator(".compat-blob")).to_have_text("bytes 7")
    assert notebook.page_errors() == []

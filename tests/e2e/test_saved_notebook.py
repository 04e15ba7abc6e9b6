"""State saved with the notebook (docs/sharing.md), in real JupyterLab and Notebook 7.

A notebook saved with widgets shows them again when its kernel is gone (marked not connected,
`set` working in the page), re-running makes them live, and a reload while the kernel still
runs hands the saved views over to the live models without rendering them again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from widgets import saved

from .jupyter import Notebook, Server, open_notebook, shutdown_sessions, start_server, write_notebook

COUNTER = '''
import widgets
from traitlets import Int

class Counter(widgets.Model):
    _esm = """export default { render({ model, el }) {
      globalThis.__renders = (globalThis.__renders ?? 0) + 1;
      const button = document.createElement("button");
      button.className = "saved-counter";
      const show = () => { button.textContent = `count is ${model.get("value")}`; };
      button.onclick = () => { model.set("value", model.get("value") + 1); model.save_changes(); };
      model.on("change:value", show); show(); el.append(button);
    } }"""
    value = Int(0).tag(sync=True)

counter = Counter()
counter
'''

BANNER = ".widgets-banner[data-kind='disconnected']"


def saved_state(server: Server, name: str) -> dict[str, dict[str, object]]:
    metadata = json.loads((server.root / name).read_text())["metadata"]
    return saved.decode(saved.loads(metadata["widgets-state"]["state"]))


def run_and_save(page: Page, server: Server, name: str, clicks: int) -> Notebook:
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    buttons = page.locator(".jp-OutputArea .saved-counter")
    expect(buttons).to_have_count(2)
    for _ in range(clicks):
        buttons.first.click()
    expect(buttons.nth(1)).to_have_text(f"count is {clicks}")
    notebook.execute("pass")  # every write acknowledged
    notebook.save()
    return notebook


@pytest.mark.oldest
def test_saved_widgets_show_without_their_kernel_and_come_back_live(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "saved.ipynb", [COUNTER, "counter"])
    first = run_and_save(page, server, name, clicks=2)
    models = saved_state(server, name)
    assert [m["state"] for m in models.values()] == [{"value": 2}]  # one model, two views of it
    assert first.page_errors() == []
    shutdown_sessions(server)

    # Reopened: the kernel it gets is a fresh one, without these models.
    notebook = open_notebook(page, server, name)
    buttons = page.locator(".jp-OutputArea .saved-counter")
    expect(buttons).to_have_count(2)
    expect(buttons.first).to_have_text("count is 2")
    expect(page.locator(BANNER).first).to_contain_text("Not connected")
    buttons.first.click()  # works in the page: both views follow
    expect(buttons.nth(1)).to_have_text("count is 3")

    notebook.run_all()  # new outputs, live models
    expect(page.locator(BANNER)).to_have_count(0)
    expect(buttons.first).to_have_text("count is 0")
    buttons.first.click()
    assert notebook.execute("print(counter.value)") == "1\n"
    assert notebook.page_errors() == []


@pytest.mark.oldest
def test_reload_hands_saved_views_to_the_live_models(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "handover.ipynb", [COUNTER, "counter"])
    run_and_save(page, server, name, clicks=1)
    notebook = open_notebook(page, server, name)  # reloaded: the kernel still runs
    buttons = page.locator(".jp-OutputArea .saved-counter")
    expect(buttons.first).to_have_text("count is 1")
    expect(page.locator(BANNER)).to_have_count(0)  # live: the kernel had them
    notebook.execute("counter.value = 7")
    expect(buttons.first).to_have_text("count is 7")
    expect(buttons.nth(1)).to_have_text("count is 7")
    assert page.evaluate("() => globalThis.__renders") == 2  # taken over, not rendered again
    assert notebook.page_errors() == []


def test_a_notebook_flag_turns_saving_off(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "unsaved.ipynb", [COUNTER, "counter"])
    notebook = run_and_save(page, server, name, clicks=1)
    assert saved_state(server, name)  # saved by default
    page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.context.model.setMetadata('widgets-state', {save_state: false})"
    )
    notebook.save()
    metadata = json.loads((server.root / name).read_text())["metadata"]
    assert metadata["widgets-state"] == {"save_state": False}  # the state is gone, the flag stays


def test_the_setting_turns_saving_off(page: Page, tmp_path: Path) -> None:
    settings = tmp_path / "settings" / "widgets-labextension" / "plugin.jupyterlab-settings"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"saveState": False}))
    (tmp_path / "root").mkdir()
    server = start_server("lab", tmp_path / "root", [f"--LabApp.user_settings_dir={tmp_path / 'settings'}"])
    try:
        name = write_notebook(server.root, "setting.ipynb", [COUNTER, "counter"])
        notebook = run_and_save(page, server, name, clicks=1)
        assert "widgets-state" not in json.loads((server.root / name).read_text())["metadata"]
        assert notebook.page_errors() == []
    finally:
        shutdown_sessions(server)
        server.stop()

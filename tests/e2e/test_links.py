"""jslink in real JupyterLab and Notebook 7 (docs/controls.md, "Links"): two sliders shown in two
outputs stay together through the browser alone, live, in the saved notebook with its kernel shut
down and the page reloaded, and in an exported page opened from file://."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from widgets import saved

from .jupyter import Server, open_notebook, shutdown_sessions, write_notebook

SETUP = """
import widgets
first = widgets.IntSlider(value=2, min=0, max=20, description="First")
second = widgets.IntSlider(value=5, min=0, max=20, description="Second")
linked = widgets.jslink((first, "value"), (second, "value"))
"""


def test_jslinked_sliders_move_together_live_saved_and_exported(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "links.ipynb", [SETUP, "first", "second"])
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    area = page.locator(".jp-Notebook")
    first, second = area.get_by_role("slider", name="First"), area.get_by_role("slider", name="Second")
    expect(second).to_have_value("2")  # the target took the source's value
    first.focus()
    first.press("ArrowRight")
    expect(first).to_have_value("3")
    expect(second).to_have_value("3")
    second.focus()
    second.press("ArrowRight")
    expect(first).to_have_value("4")
    assert notebook.execute("print(first.value, second.value)") == "4 4\n"  # the browser told the kernel
    notebook.execute("first.value = 7")  # a kernel change moves the other slider through the browser
    expect(second).to_have_value("7")
    assert notebook.execute("print(second.value)") == "7\n"

    notebook.execute("widgets.save_html('links.html', first, second)")
    notebook.save()
    state = saved.decode(json.loads((server.root / name).read_text())["metadata"]["widgets-state"]["state"])
    assert sorted(model["class"].rsplit(".", 1)[-1] for model in state.values()) == ["IntSlider", "IntSlider", "Link"]
    assert notebook.page_errors() == []
    shutdown_sessions(server)

    # Reopened (a page load): the kernel it gets has none of these models; the saved link still works.
    notebook = open_notebook(page, server, name)
    first, second = area.get_by_role("slider", name="First"), area.get_by_role("slider", name="Second")
    expect(first).to_have_value("7")
    expect(page.locator(".widgets-banner[data-kind='disconnected']").first).to_contain_text("Not connected")
    first.focus()
    first.press("ArrowLeft")
    expect(first).to_have_value("6")
    expect(second).to_have_value("6")
    second.focus()
    second.press("End")
    expect(first).to_have_value("20")
    assert notebook.page_errors() == []

    # The exported page: no kernel, no server.
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(error.message))
    page.goto((server.root / "links.html").as_uri())
    first, second = page.get_by_role("slider", name="First"), page.get_by_role("slider", name="Second")
    expect(first).to_have_value("7")
    expect(second).to_have_value("7")
    second.focus()
    second.press("ArrowLeft")
    expect(first).to_have_value("6")
    first.focus()
    first.press("Home")
    expect(second).to_have_value("0")
    assert errors == []


def test_a_reload_while_the_kernel_runs_keeps_one_link(page: Page, server: Server) -> None:
    third = 'third = widgets.IntSlider(description="Third")\nthird'
    name = write_notebook(server.root, "relinked.ipynb", [SETUP, "first", "second", third])
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    second = page.locator(".jp-Notebook").get_by_role("slider", name="Second")
    expect(second).to_have_value("2")
    notebook.save()
    notebook = open_notebook(page, server, name)  # reloaded: the saved models are taken over by the live ones
    area = page.locator(".jp-Notebook")
    first, second = area.get_by_role("slider", name="First"), area.get_by_role("slider", name="Second")
    expect(first).to_have_value("2")
    expect(page.locator(".widgets-banner[data-kind='disconnected']")).to_have_count(0)
    first.focus()
    first.press("ArrowRight")
    expect(second).to_have_value("3")
    assert notebook.execute("print(first.value, second.value)") == "3 3\n"
    notebook.execute("second.value = 9")
    expect(first).to_have_value("9")
    # One link: a linked slider has one listener more than an unlinked one (a second initialize would add another).
    counts = page.evaluate(
        """() => {
          const [[, manager]] = window.widgetsRuntime.managers();
          const model = (name) => manager.allModels().find((m) => m.get("description") === name);
          const listeners = (name) => model(name).listenerCount("change:value");
          return ["First", "Second", "Third"].map(listeners);
        }"""
    )
    assert counts[0] == counts[1] == counts[2] + 1, counts
    assert notebook.page_errors() == []

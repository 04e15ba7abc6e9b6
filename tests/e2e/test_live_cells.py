"""Widgets in long-running cells (docs/live-cells.md), in real JupyterLab and Notebook 7: while a
cell runs, clicks and slider moves in the browser reach Python (our comm messages travel on a
kernel subshell of their own), `wait_for` returns the browser's value, and an interrupt ends a wait."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, expect

from .jupyter import KERNEL, Notebook, Server, open_notebook, write_notebook

SETUP = """
import time
import traitlets
import widgets
from widgets.waiting import wait_for

clicks = 0
def count(_button):
    global clicks
    clicks += 1

go = widgets.Button(description="Go")
go.on_click(count)

class Adder(widgets.Model):
    _esm = '''export default { render({ model, el }) {
      const button = document.createElement("button");
      button.textContent = "Add five";
      button.onclick = () => { model.set("value", model.get("value") + 5); model.save_changes(); };
      el.append(button);
    } }'''
    value = traitlets.Int(0).tag(sync=True)

adder = Adder()
level = widgets.IntSlider(value=0, min=0, max=10, description="Level")
"""


def start_all(notebook: Notebook) -> None:
    """Run every cell without waiting for them (Notebook.run_all's promise ends with the last cell)."""
    notebook.wait_for_kernel()
    notebook.page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def output_of(page: Page, cell: int):  # type: ignore[no-untyped-def]
    return page.locator(".jp-Notebook .jp-Cell").nth(cell).locator(".jp-OutputArea")


def watch_console(page: Page) -> list[str]:
    lines: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.text.startswith("widgets:"):
            lines.append(message.text)

    page.on("console", keep)
    return lines


def test_a_running_cell_sees_clicks_and_wait_for_returns_the_value(page: Page, server: Server) -> None:
    console = watch_console(page)
    name = write_notebook(
        server.root,
        "live.ipynb",
        [
            SETUP,
            "go",
            "while clicks < 3:\n    time.sleep(0.05)\nprint('clicked', clicks)",
            "adder",
            "print('waiting', flush=True)\nprint('got', wait_for(adder, 'value', timeout=120))",
            "level",
            "while level.value < 4:\n    time.sleep(0.05)\nprint('level', level.value)",
        ],
    )
    notebook = open_notebook(page, server, name)
    start_all(notebook)
    area = page.locator(".jp-Notebook")
    button = area.get_by_role("button", name="Go")
    expect(button).to_be_visible()
    for _ in range(3):
        button.click()
    expect(output_of(page, 2)).to_contain_text("clicked 3", timeout=30_000)

    add = area.get_by_role("button", name="Add five")
    expect(add).to_be_visible()
    expect(output_of(page, 4)).to_contain_text("waiting")  # the wait has begun
    add.click()
    expect(output_of(page, 4)).to_contain_text("got 5", timeout=30_000)

    slider = area.get_by_role("slider", name="Level")
    slider.focus()
    for _ in range(4):
        slider.press("ArrowRight")
    expect(output_of(page, 6)).to_contain_text("level 4", timeout=30_000)
    notebook.wait_for_kernel()
    assert notebook.execute("print(clicks, adder.value, level.value)") == "3 5 4\n"
    assert not [line for line in console if "subshell" in line], console
    assert notebook.page_errors() == []


WAIT = "print('waiting', flush=True)\nwait_for(adder, 'value')"
OBSERVERS = "len(adder._trait_notifiers.get('value', {}).get('change', []))"


def test_an_interrupt_ends_a_waiting_cell(page: Page, server: Server) -> None:
    name = write_notebook(
        server.root, "live_interrupt.ipynb", [SETUP, "adder", "print('waiting', flush=True)\nwait_for(adder, 'value')"]
    )
    notebook = open_notebook(page, server, name)
    start_all(notebook)
    expect(page.locator(".jp-Notebook").get_by_role("button", name="Add five")).to_be_visible()
    expect(output_of(page, 2)).to_contain_text("waiting")
    page.evaluate(f"() => {KERNEL}.interrupt()")
    expect(output_of(page, 2)).to_contain_text("KeyboardInterrupt", timeout=30_000)
    notebook.wait_for_kernel()
    # The wait removed its observer: the model is as before, and a click still reaches it.
    page.locator(".jp-Notebook").get_by_role("button", name="Add five").click()
    page.wait_for_function("() => window.widgetsRuntime.pendingWrites() === 0")
    assert notebook.execute(f"print(adder.value, {OBSERVERS})") == "5 0\n"

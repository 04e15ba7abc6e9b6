"""The library in marimo (anywidget's runtime, our modules unchanged): a slider, a VBox and a Tab
showing their children through marimo's `host.getWidget`, and an Output render; moving the slider
in a box with the keyboard reruns a cell that reads it. anywidget and ipywidgets look uninstalled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from .marimo_app import MarimoServer, start_marimo
from .test_marimo import LOAD_TIMEOUT, STEP_TIMEOUT, Watched, check_clean

APP = """import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import widgets

    inner = widgets.IntSlider(value=5, description="Inner")
    seen, set_seen = mo.state(inner.value)
    inner.observe(lambda change: set_seen(change["new"]), names="value")
    box = widgets.VBox([widgets.Label(value="in a box"), inner])
    tabs = widgets.Tab([widgets.Label(value="first panel"), widgets.Label(value="second panel")], titles=("A", "B"))
    out = widgets.Output()
    with out:
        print("printed in an output")
    return box, mo, out, seen, tabs


@app.cell
def _(box):
    box
    return


@app.cell
def _(mo, seen):
    mo.Html(f'<p>inner value: <span class="inner-value">{seen()}</span></p>')
    return


@app.cell
def _(tabs):
    tabs
    return


@app.cell
def _(out):
    out
    return


if __name__ == "__main__":
    app.run()
"""


@pytest.fixture(scope="module")
def marimo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarimoServer]:
    app = Path(tmp_path_factory.mktemp("marimo-library")) / "app.py"
    app.write_text(APP)
    server = start_marimo(app, without_anywidget=True)
    yield server
    server.stop()


def test_boxes_tabs_and_output_render_in_marimo(browser: Browser, marimo: MarimoServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    watched = Watched(page, marimo.base)
    try:
        page.goto(marimo.base + "/")
        box = page.locator(".widgets-vbox")
        expect(box.locator(".widgets-label")).to_have_text("in a box", timeout=LOAD_TIMEOUT)
        slider = box.get_by_role("slider", name="Inner")
        expect(slider).to_have_value("5")
        slider.focus()
        slider.press("ArrowRight")
        slider.press("ArrowRight")
        expect(page.locator(".inner-value")).to_have_text("7", timeout=STEP_TIMEOUT)

        tabs = page.locator(".widgets-tab")
        expect(tabs.get_by_role("tabpanel")).to_contain_text("first panel")
        tabs.get_by_role("tab", name="B").click()
        expect(tabs.get_by_role("tabpanel").filter(visible=True)).to_contain_text("second panel")
        expect(page.locator(".widgets-output-area")).to_contain_text("printed in an output")
        expect(page.locator(".widgets-child-error, .widgets-error")).to_have_count(0)
        check_clean(watched, marimo)
    finally:
        context.close()
        print(f"marimo's log ({marimo.log}):\n{marimo.log.read_text()[-8000:]}")
        print("page errors:", *watched.errors, sep="\n")

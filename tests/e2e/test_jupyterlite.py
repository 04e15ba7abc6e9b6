"""JupyterLite 0.8 with the Pyodide kernel: a site built offline (tests/e2e/lite.py), served from
127.0.0.1 by a plain static server, a notebook that `%pip install`s widgets with its dependencies,
then a counter that renders and syncs both ways. The page may fetch nothing from anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from .lite import Site, StaticServer, build_site, serve

NOTEBOOK = "counter.ipynb"
COUNTER = '''
import widgets
from traitlets import Int


class Counter(widgets.Model):
    _esm = """
    export default {
      render({ model, el }) {
        const button = document.createElement("button");
        button.className = "lite-add";
        button.textContent = "add one";
        const label = document.createElement("span");
        label.className = "lite-count";
        const show = () => { label.textContent = `count is ${model.get("value")}`; };
        button.addEventListener("click", () => {
          model.set("value", model.get("value") + 1);
          model.save_changes();
        });
        model.on("change:value", show);
        show();
        el.append(button, label);
      },
    };
    """
    value = Int(0).tag(sync=True)


counter = Counter()
counter
'''
BURST = """
import widgets.flusher

for i in range(1, 101):
    counter.value = i  # a burst in one cell: the last value goes out on a timer of the event loop
print(widgets.flusher.FLUSHER.threads, widgets.flusher._running_loop() is not None)
"""
CELLS = [
    "%pip install widgets",
    "import importlib.metadata as md\nprint(*(f'{n}=={md.version(n)}' for n in ['widgets', 'comm', 'traitlets']))",
    COUNTER.strip(),
    "print(counter.value)",
    "counter.value = 10",
    BURST.strip(),
]
KERNEL = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"


def _notebook(cells: list[str]) -> dict[str, object]:
    return {
        "cells": [
            {"cell_type": "code", "id": f"c{i}", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
            for i, src in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"display_name": "Python (Pyodide)", "language": "python", "name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="session")
def lite_site() -> Site:
    return build_site({NOTEBOOK: _notebook(CELLS)})


@pytest.fixture
def lite_server(lite_site: Site) -> Iterator[StaticServer]:
    with serve(lite_site.root) as server:
        yield server


class LitePage:
    """The site's notebook in a context with service workers blocked, so every request meets the route."""

    def __init__(self, browser: Browser, server: StaticServer) -> None:
        self.server = server
        self.context = browser.new_context(viewport={"width": 1280, "height": 1000}, service_workers="block")
        self.refused: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        self.context.route("**/*", self._route)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("pageerror", lambda error: self.errors.append(f"{error.message}\n{error.stack}"))
        self.page.on("console", lambda message: self.console.append(message.text))

    def _route(self, route: Route) -> None:
        if route.request.url.startswith(self.server.base + "/"):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort("internetdisconnected")

    def page_errors(self) -> list[str]:
        """Uncaught errors, but for one JupyterLite raises by itself when no service worker can
        register: its ServiceWorkerManager rejects its `ready` promise with no reason, and nothing
        catches that."""
        blocked = "Service Worker registration blocked by Playwright" in self.console
        return [e for e in self.errors if not (blocked and e == "undefined\n")]

    def open(self, name: str) -> None:
        self.page.goto(f"{self.server.base}/lab/index.html?path={name}")
        self.page.wait_for_function(
            f"() => {{ try {{ return {KERNEL}.status === 'idle'; }} catch (e) {{ return false; }} }}",
            timeout=180_000,  # Pyodide starts and installs the kernel's packages from the site
        )

    def cell(self, index: int) -> Locator:
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def output(self, index: int) -> Locator:
        return self.cell(index).locator(".jp-OutputArea-output")

    def run(self, index: int) -> None:
        """Run one cell (as Shift+Enter would, without moving on); wait on its outputs, not here."""
        self.page.evaluate(
            """(index) => {
                const notebook = window.jupyterapp.shell.currentWidget.content;
                notebook.activeCellIndex = index;
                window.jupyterapp.commands.execute("notebook:run-cell");
            }""",
            index,
        )

    def wait_done(self, index: int, timeout: float = 60_000) -> None:
        """The cell ran to its end (an execution count, the kernel idle) without an error output."""
        self.page.wait_for_function(
            f"""(index) => {{
                const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
                return cell.model.executionCount !== null && {KERNEL}.status === "idle";
            }}""",
            arg=index,
            timeout=timeout,
        )
        errors = self.cell(index).locator("[data-mime-type='application/vnd.jupyter.error']")
        assert errors.count() == 0, f"cell {index} failed:\n{errors.all_inner_texts()}"

    def execute(self, code: str) -> str:
        """Run code in the kernel, not in a cell; its stdout (and the value of any error)."""
        return str(
            self.page.evaluate(
                f"""async (code) => {{
                    const future = {KERNEL}.requestExecute({{ code, store_history: false }});
                    let out = "";
                    future.onIOPub = (msg) => {{
                        if (msg.header.msg_type === "stream") out += msg.content.text;
                        if (msg.header.msg_type === "error") out += msg.content.evalue;
                    }};
                    await future.done;
                    return out;
                }}""",
                code,
            )
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def lite(browser: Browser, lite_server: StaticServer) -> Iterator[LitePage]:
    page = LitePage(browser, lite_server)
    yield page
    page.close()


def test_counter_in_jupyterlite_after_pip_install_with_dependencies(lite: LitePage, lite_site: Site) -> None:
    lite.open(NOTEBOOK)
    lite.run(0)  # %pip install widgets: piplite resolves widgets, comm, traitlets from the site
    lite.wait_done(0, timeout=180_000)
    lite.run(1)
    lite.wait_done(1)
    versions = " ".join(f"{name}=={lite_site.versions[name]}" for name in ["widgets", "comm", "traitlets"])
    expect(lite.output(1)).to_have_text(versions)

    lite.run(2)
    label = lite.cell(2).locator(".lite-count")
    expect(label).to_have_text("count is 0")
    button = lite.cell(2).locator(".lite-add")
    for _ in range(3):
        button.click()
    expect(label).to_have_text("count is 3")
    lite.page.wait_for_function("() => window.widgetsRuntime.pendingWrites() === 0")  # acknowledged

    lite.run(3)
    lite.wait_done(3)
    expect(lite.output(3)).to_have_text("3")  # the clicks reached Python

    lite.run(4)  # counter.value = 10
    expect(label).to_have_text("count is 10")

    lite.run(5)
    lite.wait_done(5)
    expect(lite.output(5)).to_have_text("False True")  # no thread here; the trailing flush rides the loop
    expect(label).to_have_text("count is 100")

    assert lite.refused == [], "the page tried to fetch from outside the site"
    assert lite.page_errors() == []
    assert lite.server.missing == [], "the site lacks files the page asked for"
    # The guard sees the kernel's own requests too (it runs in a worker): one from Python is refused.
    assert "Failed to fetch" in lite.execute("from js import fetch\nawait fetch('https://pypi.org/simple/comm/')")
    assert lite.refused == ["https://pypi.org/simple/comm/"]

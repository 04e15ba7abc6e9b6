"""marimo: a real `marimo run` app in Chromium (issue 9).

In marimo's two ways of using a widget, the counter renders, three clicks reach a Python cell
that shows its value (a cell reading an observer's `mo.state`; a cell reading
`mo.ui.anywidget(...).value`), and a Python change made by a cell reaches the view. The
`widgets.Model` counter runs with anywidget and ipywidgets made unimportable, since marimo
should need nothing but our package; the same app on `anywidget.AnyWidget` is the baseline that
shows the harness itself is right. Each test is a fresh page, so a fresh marimo session (its own kernel state).
The page fetches nothing but from the server and logs no error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Route, WebSocket, expect

from .marimo_app import UNINSTALLED, MarimoServer, start_marimo, write_app

LOAD_TIMEOUT = 90_000  # ms: the first page load starts the app's kernel and runs every cell
STEP_TIMEOUT = 30_000  # ms: a click's round trip and the cells it reruns, on a loaded machine


@pytest.fixture(scope="module", params=["widgets", "anywidget"], ids=["ours", "baseline"])
def marimo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarimoServer]:
    directory = tmp_path_factory.mktemp(f"marimo-{request.param}")
    server = start_marimo(write_app(directory, request.param), without_anywidget=request.param == "widgets")
    yield server
    server.stop()


@dataclass
class Watched:
    """What the page did besides rendering: console errors, uncaught errors, refused requests, sockets."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.context.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error.message}\n{error.stack}"))
        self.page.on("websocket", self._socket)

    def _route(self, route: Route) -> None:
        if route.request.url.startswith(self.base + "/"):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort("internetdisconnected")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "assert"):
            self.errors.append(f"console.{message.type}: {message.text}")

    def _socket(self, socket: WebSocket) -> None:
        self.sockets.append(socket.url)


@pytest.fixture
def app_page(browser: Browser, marimo: MarimoServer) -> Iterator[Watched]:
    """A fresh page (so a fresh marimo session) on the app, watched from before it loads."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    watched = Watched(page, marimo.base)
    page.goto(marimo.base + "/")
    try:
        yield watched
    finally:
        context.close()
        print(f"marimo's log ({marimo.log}):\n{marimo.log.read_text()[-8000:]}")  # shown if the test failed
        print("page errors:", *watched.errors, sep="\n")


def check_clean(watched: Watched, marimo: MarimoServer) -> None:
    """No error on the page or in marimo's log, nothing fetched from elsewhere, sockets to the server only."""
    assert watched.errors == []
    assert watched.refused == []
    assert watched.sockets and all(url.startswith(marimo.base.replace("http", "ws", 1)) for url in watched.sockets)
    log = marimo.log.read_text()
    assert "not recognized as anywidget" not in log, log
    assert "Traceback" not in log, log


def three_clicks_then_ten(page: Page, label: str) -> tuple[Locator, Locator]:
    """The `label` counter renders at 0; three clicks make the Python cell reading it show 3; the
    marimo button's cell sets it to 10 in Python and the view shows that. The view's button and
    the cell's value."""
    button = page.locator(".counter-button", has_text=f"{label} count")
    value = page.locator(f".{label}-value")
    expect(button).to_have_text(f"{label} count is 0", timeout=LOAD_TIMEOUT)
    expect(value).to_have_text("0", timeout=STEP_TIMEOUT)

    for _ in range(3):
        button.click()
    expect(value).to_have_text("3", timeout=STEP_TIMEOUT)  # the cell reading the value ran again
    expect(button).to_have_text(f"{label} count is 3", timeout=STEP_TIMEOUT)

    page.get_by_role("button", name=f"set {label} to 10").click()
    expect(button).to_have_text(f"{label} count is 10", timeout=STEP_TIMEOUT)  # a cell set the value to 10
    return button, value


def test_displayed_counter_reruns_an_observing_cell(app_page: Watched, marimo: MarimoServer) -> None:
    page = app_page.page
    button, value = three_clicks_then_ten(page, "observed")  # the observer sets mo.state, which reruns the cell
    expect(value).to_have_text("10", timeout=STEP_TIMEOUT)

    button.click()  # the view writes on top of the kernel's value
    expect(value).to_have_text("11", timeout=STEP_TIMEOUT)

    found = not marimo.without_anywidget  # nothing needed anywidget (or ipywidgets) where they are missing
    expect(page.locator(".import-report")).to_have_text(
        [f"{name}: findable={found} imported={found}" for name in UNINSTALLED], timeout=STEP_TIMEOUT
    )
    check_clean(app_page, marimo)


def test_mo_ui_anywidget_reruns_a_cell_reading_its_value(app_page: Watched, marimo: MarimoServer) -> None:
    button, value = three_clicks_then_ten(app_page.page, "wrapped")  # the cell reading wrapped.value reruns

    button.click()
    expect(value).to_have_text("11", timeout=STEP_TIMEOUT)
    check_clean(app_page, marimo)

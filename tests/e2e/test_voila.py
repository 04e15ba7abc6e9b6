"""Voila 0.5: a real `voila` server renders a counter with our own labextension, in Chromium.

By default Voila runs the notebook with nbclient while the page streams, so every model exists
before the page connects: the page never sees their `comm_open` and restores them. Our renderer
is registered in Voila's app-wide rendermime and uses the kernel connection of Voila's ipywidgets
manager; without that manager (its plugin denied here) it opens the connection itself. With
progressive rendering Voila runs the cells after the page connected.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_path
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, WebSocket, expect

from .jupyter import free_port, stop_server, wait_until_serving, write_notebook

EXTENSION = "widgets-labextension"
# Voila's managers for ipywidgets 8 and 7 (it loads the one matching the installed ipywidgets).
VOILA_MANAGERS = ["@voila-dashboards/widgets-manager8", "@voila-dashboards/widgets-manager7"]
# What Voila's own templates link from CDNs (Font Awesome; jQuery for `classic`): the page must
# fetch nothing else from outside the server.
VOILA_TEMPLATE_CDN = {
    "lab": ("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@",),
    "classic": ("https://cdnjs.cloudflare.com/ajax/libs/jquery/", "https://cdn.jsdelivr.net/npm/font-awesome@"),
}
ACTIVATION_FAILED = re.compile(r"failed to activate|No provider for", re.IGNORECASE)
RESTORE = re.compile(rb'"method": ?"restore"')
# The REST call that looks a kernel up (GET /api/kernels/<id>?<time>), not its websocket.
KERNEL_MODEL = re.compile(r"/api/kernels/[0-9a-f-]+(\?[^/]*)?$")

COUNTER = '''
import pathlib
import threading

import widgets
from traitlets import Int, Unicode

SEEN = pathlib.Path({seen!r})


class Counter(widgets.Model):
    _esm = """
    export default {{
      render({{ model, el }}) {{
        const button = document.createElement("button");
        button.className = "counter-button";
        const note = document.createElement("span");
        note.className = "counter-note";
        const show = () => {{
          button.textContent = `count is ${{model.get("value")}}`;
          note.textContent = model.get("note");
        }};
        button.addEventListener("click", () => {{
          model.set("value", model.get("value") + 1);
          model.save_changes();
        }});
        model.on("change", show);
        show();
        el.append(button, note);
      }},
    }};
    """
    value = Int(0).tag(sync=True)
    note = Unicode("").tag(sync=True)


counter = Counter()
later = []


def seen(change):
    """Every value Python sees goes to a file the test reads; the third click starts a change from Python."""
    with SEEN.open("a") as out:
        out.write(f"{{change['new']}}\\n")
    counter.note = f"python saw {{change['new']}}"
    if change["new"] == 2:  # a model made after the page connected: its comm_open reaches the page
        later.append(Counter(value=7))
        later[0].observe(lambda change: setattr(counter, "note", f"python saw later {{change['new']}}"), "value")
    if change["new"] == 3:
        threading.Thread(target=setattr, args=(counter, "value", 100)).start()


counter.observe(seen, "value")
counter
'''


@pytest.fixture(scope="session")
def extension_paths(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Where Voila finds our labextension: nothing extra for a copied (pip) install. A develop
    install links it in, and Voila 0.5.13's labextension handler refuses to serve through a link
    with tornado >= 6.5.9 (403), so a copy of the built extension is served first instead."""
    for root in jupyter_path("labextensions"):
        installed = Path(root) / EXTENSION
        if (installed / "package.json").is_file():
            if installed.resolve() == installed.absolute():
                return []
            copies = tmp_path_factory.mktemp("labextensions")
            shutil.copytree(installed.resolve(), copies / EXTENSION)
            return [str(copies)]
    pytest.fail(f"{EXTENSION} is not installed (pip install -e . && jupyter-builder develop --overwrite .)")


@dataclass
class Voila:
    """A running `voila <notebook>` on 127.0.0.1."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def stop(self) -> None:
        stop_server(self.process)


def start_voila(root: Path, notebook: str, extra: list[str], env: dict[str, str] | None = None) -> Voila:
    port = free_port()
    voila = str(Path(sys.executable).parent / "voila")
    command = [
        voila, notebook, "--no-browser", f"--port={port}", "--Voila.port_retries=0", "--Voila.ip=127.0.0.1",
        "--token=", "--show_tracebacks=True", *extra,
    ]  # fmt: skip
    log = root / "voila.log"
    environ = {**os.environ, **(env or {})}  # the kernels Voila starts inherit it
    process = subprocess.Popen(command, cwd=root, env=environ, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    # A static file: asking for the notebook would start a kernel.
    wait_until_serving(process, urllib.request.Request(f"{base}/voila/static/voila.js", method="HEAD"), log, "voila")
    return Voila(process, base, log)


@dataclass
class Watched:
    """What the page logged, raised, fetched from outside, and which kernel websockets it opened."""

    console: list[ConsoleMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    kernel_sockets: list[str] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)

    def console_text(self, kind: str | None = None) -> list[str]:
        return [m.text for m in self.console if kind is None or m.type == kind]


def watch(page: Page, base: str) -> Watched:
    watched = Watched()

    def route(route: Route) -> None:
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            watched.refused.append(route.request.url)
            route.abort("internetdisconnected")

    def sent(payload: str | bytes) -> None:
        watched.sent.append(payload.encode() if isinstance(payload, str) else payload)

    def websocket(ws: WebSocket) -> None:
        if "/api/kernels/" in ws.url:
            watched.kernel_sockets.append(ws.url)
            ws.on("framesent", sent)

    page.context.route("**/*", route)
    page.on("console", lambda message: watched.console.append(message))
    page.on("pageerror", lambda error: watched.errors.append(f"{error.message}\n{error.stack}"))
    page.on("websocket", websocket)
    return watched


def voila_args(extension_paths: list[str], mode: str) -> list[str]:
    extra = [f"--VoilaConfiguration.extra_labextensions_path={path}" for path in extension_paths]
    if mode == "own":
        extra += [f"--VoilaConfiguration.extension_denylist={name}" for name in VOILA_MANAGERS]
    if mode == "progressive":
        extra += ["--progressive_rendering=True"]
    if mode == "classic":
        extra += ["--template=classic"]
    return extra


@contextmanager
def dashboard(
    browser: Browser, root: Path, cells: list[str], extra: list[str], env: dict[str, str] | None = None
) -> Iterator[tuple[Page, Watched, str]]:
    """A Voila server on a notebook of `cells`, a watched page, and the dashboard's URL."""
    notebook = write_notebook(root, "dashboard.ipynb", cells)
    voila = start_voila(root, notebook, extra, env)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page, watch(page, voila.base), voila.base + "/"
    finally:
        context.close()
        voila.stop()


# "ipywidgets-manager": Voila's default; "own": no ipywidgets manager on the page, we open the kernel
# connection; "progressive": Voila runs the cells after the page connected, so the models' comm_open
# reach the page; "classic": the classic template, which runs the whole notebook before rendering.
@pytest.mark.parametrize("mode", ["ipywidgets-manager", "own", "progressive", "classic"])
def test_counter_in_a_voila_dashboard(browser: Browser, tmp_path: Path, extension_paths: list[str], mode: str) -> None:
    cells = [COUNTER.format(seen=str(tmp_path / "seen.txt"))]
    with dashboard(browser, tmp_path, cells, voila_args(extension_paths, mode)) as (page, watched, url):
        page.goto(url)
        button = page.locator(".counter-button")
        note = page.locator(".counter-note")
        expect(button).to_have_text("count is 0", timeout=90_000)  # kernel start, nbclient run, restore
        for clicks in (1, 2):  # each click answered before the next, so Python sees every value
            button.click()
            expect(note).to_have_text(f"python saw {clicks}")
        # The second click made a model in Python, opened on the page's (shared) connection; a write
        # to it from the browser reaches its Python observer.
        later = page.wait_for_function(
            "() => window.widgetsRuntime.managers()[0][1].allModels().find((m) => m.get('value') === 7)?.model_id"
        ).json_value()
        page.evaluate(
            "(id) => { const m = window.widgetsRuntime.managers()[0][1].lookup(id);"
            " m.set('value', 8); m.save_changes(); }",
            later,
        )
        expect(note).to_have_text("python saw later 8")
        # Python's observer of the third click starts a thread that sets the value from Python.
        button.click()
        expect(button).to_have_text("count is 100")
        expect(note).to_have_text("python saw 100")
        assert (tmp_path / "seen.txt").read_text() == "1\n2\n3\n100\n"

        kernel_id = page.evaluate("() => window.widgetsRuntime.managers()[0][0]")
        voila_kernel = page.evaluate("() => window.jupyterapp.widgetManager?.kernel.id ?? null")
        assert voila_kernel == (None if mode == "own" else kernel_id)
        assert len(watched.kernel_sockets) == 1, watched.kernel_sockets  # one connection per page, shared
        if mode != "progressive":  # the models predate the page: it asked the kernel for them
            assert any(RESTORE.search(frame) for frame in watched.sent)
        failed = [m for m in watched.console_text() if ACTIVATION_FAILED.search(m)]
        if mode == "own":  # denying Voila's manager fails the plugins needing its registry (anywidget's)
            failed = [m for m in failed if EXTENSION in m]
        assert failed == []
        assert [m for m in watched.console_text("error") if EXTENSION in m] == []
        assert watched.errors == []
        template_cdn = VOILA_TEMPLATE_CDN["classic" if mode == "classic" else "lab"]
        assert all(url.startswith(template_cdn) for url in watched.refused), watched.refused


def test_a_kernel_the_page_cannot_find_is_shown_in_the_view(
    browser: Browser, tmp_path: Path, extension_paths: list[str]
) -> None:
    """Without Voila's manager we look the page's kernel up ourselves. When it is not there (the
    server's answer replaced by a 404, as for a culled kernel) the view says why; it does not wait."""
    cells = [COUNTER.format(seen=str(tmp_path / "seen.txt"))]
    with dashboard(browser, tmp_path, cells, voila_args(extension_paths, "own")) as (page, watched, url):
        page.route(KERNEL_MODEL, lambda route: route.fulfill(status=404, body="{}"))
        page.goto(url)
        error = page.locator(".widgets-output .widgets-render-error")
        expect(error).to_contain_text("is not running (it was shut down, or culled)", timeout=90_000)
        expect(page.locator(".counter-button")).to_have_count(0)
        assert watched.kernel_sockets == []
        assert watched.errors == []


def test_the_compatibility_mode_is_the_fallback(browser: Browser, tmp_path: Path, extension_paths: list[str]) -> None:
    """`WIDGETS_PROTOCOL=anywidget`: the same class renders through Voila's ipywidgets manager and
    anywidget's labextension instead of ours (the kernel inherits the setting from the server)."""
    cells = [COUNTER.format(seen=str(tmp_path / "seen.txt"))]
    extra, env = voila_args(extension_paths, "ipywidgets-manager"), {"WIDGETS_PROTOCOL": "anywidget"}
    with dashboard(browser, tmp_path, cells, extra, env) as (page, watched, url):
        page.goto(url)
        button = page.locator(".counter-button")
        note = page.locator(".counter-note")
        expect(button).to_have_text("count is 0", timeout=90_000)
        for clicks in (1, 2):
            button.click()
            expect(note).to_have_text(f"python saw {clicks}")
        button.click()
        expect(button).to_have_text("count is 100")
        assert (tmp_path / "seen.txt").read_text() == "1\n2\n3\n100\n"
        assert page.evaluate("() => window.widgetsRuntime.managers()[0]?.[1].allModels().length ?? 0") == 0  # not ours
        assert page.locator(".widgets-output").count() == 0
        assert watched.errors == []

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .jupyter import CHROMIUM, CHROMIUM_ARGS, Notebook, Server, copy_example, open_notebook, servers, shutdown_sessions

APPS = ["lab", "notebook"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (make test does it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def jupyter_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    root = tmp_path_factory.mktemp("servers")
    for app in APPS:
        (root / app).mkdir()
    yield from servers(root, APPS)


@pytest.fixture(params=APPS)
def server(request: pytest.FixtureRequest, jupyter_servers: dict[str, Server]) -> Iterator[Server]:
    yield jupyter_servers[request.param]
    shutdown_sessions(jupyter_servers[request.param])  # the kernels this test started


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def open_example(page: Page, server: Server) -> Callable[[str], Notebook]:
    """Open a copy of an example notebook in the server's app and run all its cells."""

    def open_it(name: str) -> Notebook:
        copy_example(name, server.root)
        notebook = open_notebook(page, server, name)
        notebook.run_all()
        return notebook

    return open_it

"""The extension declares the JupyterLab it needs, and the installed JupyterLab agrees.

Run in the main environment and, by `make test-oldest`, on the oldest supported JupyterLab and
Notebook: `jupyter labextension list` checks the built extension's `dependencies` against the
running JupyterLab, and the federated container checks each shared module it consumes against
the `requiredVersion` in package.json's `jupyterlab.sharedPackages` (a miss is a console warning).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from .jupyter import Server, copy_example, open_notebook

NAME = "widgets-labextension"
VERSION_MISS = re.compile(r"Unsatisfied version|No satisfying version")


@pytest.mark.oldest
def test_labextension_list_shows_the_extension_compatible() -> None:
    jupyter = Path(sys.executable).parent / "jupyter"
    listing = subprocess.run([jupyter, "labextension", "list"], capture_output=True, text=True, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)  # drop the colours
    lines = [line for line in text.splitlines() if f"{NAME} v" in line]
    assert len(lines) == 1, text
    assert "enabled" in lines[0] and lines[0].split()[3] == "OK", text
    assert f'"{NAME}@' not in text, text  # "... is not compatible with the current JupyterLab"


@pytest.mark.oldest
def test_shared_modules_satisfy_the_declared_ranges(page: Page, server: Server) -> None:
    misses: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if VERSION_MISS.search(message.text):
            misses.append(message.text)

    page.on("console", watch)
    notebook = open_notebook(page, server, copy_example("01_counter.ipynb", server.root))
    notebook.run_all()
    expect(page.locator(".jp-OutputArea .counter-button")).to_have_count(2)
    assert misses == []
    assert notebook.page_errors() == []

"""Widgets without a kernel, in a real browser with no network: exported HTML pages
(`widgets.save_html`), the same page under a strict Content-Security-Policy, and hostile strings
that must stay data (docs/sharing.md, docs/protocol.md "Saved state").

Pages are opened from file:// with every http(s) request aborted; every request the page makes is
recorded, and must be file:, blob: or data:.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from traitlets import Dict, Instance, Unicode

import widgets

from .jupyter import EXAMPLES, Server, copy_example, open_notebook, shutdown_sessions

LOCAL_SCHEMES = ("file:", "blob:", "data:")


def example_class(notebook: str, name: str) -> type[widgets.Model]:
    """The widget class an example notebook defines (its first code cell), as its users see it."""
    cells = json.loads((EXAMPLES / notebook).read_text())["cells"]
    source = next("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    namespace: dict[str, Any] = {"__name__": f"example_{notebook.split('_')[0]}"}
    exec(compile(source, notebook, "exec"), namespace)  # no kernel here: models open no comm
    cls: type[widgets.Model] = namespace[name]
    return cls


@dataclass
class OfflinePage:
    """A page opened from file:// with the network blocked; what it asked for and what it raised."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri())

    def outside_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]


@pytest.fixture
def offline(browser: Browser) -> Iterator[OfflinePage]:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    context.route(re.compile(r"^https?://"), lambda route: route.abort("internetdisconnected"))
    page = context.new_page()
    page.set_default_timeout(30_000)
    opened = OfflinePage(page)
    page.on("pageerror", lambda error: opened.errors.append(f"{error.message}\n{error.stack}"))
    page.on("request", lambda request: opened.requests.append(request.url))
    page.on("console", lambda message: opened.console.append(f"{message.type}: {message.text}"))

    def dialog(d: Any) -> None:
        opened.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    yield opened
    context.close()


def test_exported_page_is_live_without_kernel_or_network(offline: OfflinePage, tmp_path: Path) -> None:
    Counter = example_class("01_counter.ipynb", "Counter")
    ReactCounter = example_class("02_react.ipynb", "ReactCounter")
    counter, react = Counter(value=3), ReactCounter(value=5, label="Clicks")
    page_file = tmp_path / "page.html"
    widgets.save_html(page_file, counter, react, title="Two widgets")
    offline.open(page_file)
    page = offline.page
    expect(page).to_have_title("Two widgets")
    button = page.locator(".counter-button")
    expect(button).to_have_text("count is 3")
    button.click()
    button.click()
    expect(button).to_have_text("count is 5")  # `set` works in the page, with no kernel
    react_button = page.locator(".react-counter")
    expect(react_button).to_have_text("Clicks: 5")
    react_button.click()
    expect(react_button).to_have_text("Clicks: 6")
    expect(page.locator(".widgets-banner[data-kind]:not([data-kind=''])")).to_have_count(0)
    assert offline.errors == []
    assert offline.outside_requests() == []
    assert not [line for line in offline.console if line.startswith("error")]


class Child(widgets.Model):
    _esm = 'export default { render({ model, el }) { el.textContent = model.get("name"); } }'
    name = Unicode().tag(sync=True)


class Parent(widgets.Model):
    """Resolves its child's reference itself, as anywidget modules do."""

    _esm = """export default { async render({ model, el }) {
      const child = await model.widget_manager.get_model(model.get("child"));
      const span = document.createElement("span");
      span.className = "child-name";
      span.textContent = child.get("name");
      el.append(span);
    } }"""
    child = Instance(Child).tag(sync=True)


def test_children_come_along(offline: OfflinePage, tmp_path: Path) -> None:
    page_file = tmp_path / "family.html"
    widgets.save_html(page_file, Parent(child=Child(name="the child")))
    offline.open(page_file)
    expect(offline.page.locator(".child-name")).to_have_text("the child")
    assert offline.errors == []


# Strings that would end their container, open a comment or run script if embedded carelessly.
HOSTILE = [
    "</script><script>alert('script end')</script>",
    "<!-- <script>alert('comment')</script>",
    "<script>alert('script')</script>",
    "<img src=x onerror=\"alert('img')\">",
    "line\u2028separator\u2029paragraph",
    "]]></style></title><svg onload=alert('svg')>",
]


class Echo(widgets.Model):
    """Records what its views read, for the test to compare with what Python wrote."""

    _esm = """
    // a comment with </script><script>alert('esm comment')</script> and <!-- in it
    const marker = "</script><!--<script>alert('esm string')</script>";
    export default { render({ model, el }) {
      (globalThis.__seen ??= {})[model.model_id] = JSON.stringify({ text: model.get("text"), data: model.get("data") });
      el.className += " echo";
      el.dataset.marker = String(marker.length);
      el.append(document.createTextNode(model.get("text")));
    } }"""
    _css = "/* </style><script>alert('css')</script> <!-- */ .echo { color: rgb(1, 2, 3); }"
    text = Unicode().tag(sync=True)
    data = Dict().tag(sync=True)


@pytest.mark.parametrize("text", HOSTILE, ids=["script-end", "comment", "script", "img", "u2028", "svg"])
def test_hostile_strings_stay_data(offline: OfflinePage, tmp_path: Path, text: str) -> None:
    data = {"__proto__": {"polluted": True}, "nested": {"html": text}, "list": [text, 1]}
    model = Echo(text=text, data=data)
    page_file = tmp_path / "hostile.html"
    widgets.save_html(page_file, model, title=text)
    offline.open(page_file)
    page = offline.page
    expect(page.locator(".echo")).to_have_count(1)
    seen = page.evaluate("(id) => globalThis.__seen && globalThis.__seen[id]", model.model_id)
    assert json.loads(seen) == {"text": text, "data": data}  # read back equal, `__proto__` a plain key
    assert page.evaluate("() => ({}).polluted") is None
    assert page.title() == text
    # Nothing injected: no element the strings spell, no dialog, and the view's text is the text.
    for selector in ("img", "svg", "script:not([type])"):
        expect(page.locator(selector)).to_have_count(0)
    types = page.eval_on_selector_all("script", "(scripts) => scripts.map((s) => s.type)")
    assert sorted(set(types)) == ["application/vnd.widgets.state+json", "module"]
    assert page.locator(".echo").text_content() == text
    expect(page.locator(".echo")).to_have_css("color", "rgb(1, 2, 3)")  # the stylesheet survived its comment
    assert offline.dialogs == []
    assert offline.errors == []
    assert offline.outside_requests() == []


def test_strict_content_security_policy(offline: OfflinePage, tmp_path: Path) -> None:
    Counter = example_class("01_counter.ipynb", "Counter")
    ReactCounter = example_class("02_react.ipynb", "ReactCounter")
    page_file = tmp_path / "strict.html"
    widgets.save_html(page_file, Counter(value=1), ReactCounter(), csp=True)
    html = page_file.read_text(encoding="utf-8")
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert policy is not None
    assert "'unsafe-inline'" not in policy.group(1) and "'unsafe-eval'" not in policy.group(1)
    # The same page with one more inline script, which the policy must block.
    injected = tmp_path / "injected.html"
    injected.write_text(html.replace("</body>", "<script>window.__inline = 1</script></body>"), encoding="utf-8")
    for path in (page_file, injected):
        offline.open(path)
        page = offline.page
        button = page.locator(".counter-button")
        expect(button).to_have_text("count is 1")
        button.click()
        expect(button).to_have_text("count is 2")
        expect(page.locator(".react-counter")).to_have_text("React count: 0")
        expect(button).to_have_css("font-size", re.compile(r"^(?!16px).*"))  # the class's CSS applied
    assert page.evaluate("() => window.__inline") is None
    violations = [line for line in offline.console if "Content Security Policy" in line]
    assert len(violations) == 1 and "inline" in violations[0]  # only the injected script, once
    assert offline.errors == []
    assert offline.outside_requests() == []


# What nbconvert's own HTML template loads from the web (not ours): require.js and MathJax.
NBCONVERT_OWN = re.compile(r"^https://(cdnjs\.cloudflare\.com|cdn\.jsdelivr\.net|unpkg\.com)/.*(require|mathjax)", re.I)
NBCONVERT = str(Path(sys.executable).with_name("jupyter-nbconvert"))
EXAMPLE_NOTEBOOKS = sorted(path.name for path in EXAMPLES.glob("*.ipynb"))


@pytest.mark.parametrize("example", EXAMPLE_NOTEBOOKS)
def test_nbconvert_html_of_examples_is_live(
    example: str, offline: OfflinePage, jupyter_servers: dict[str, Server], page: Page, tmp_path: Path
) -> None:
    """Each example run and saved in JupyterLab, then `jupyter nbconvert --to html`, opened offline."""
    server = jupyter_servers["lab"]
    name = copy_example(example, server.root)
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    outputs = json_outputs_count(page)
    notebook.execute("pass")
    notebook.save()
    shutdown_sessions(server)
    html = tmp_path / "example.html"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("jupyter-nbconvert")),
            "--to",
            "html",
            "--output",
            str(html),
            str(server.root / name),
        ],
        check=True,
        capture_output=True,
    )
    offline.open(html)
    views = offline.page.locator("[data-widgets-view]")
    expect(views).to_have_count(outputs)
    offline.page.wait_for_function(
        "() => [...document.querySelectorAll('[data-widgets-view] .widgets-host')]"
        ".every((host) => host.childElementCount > 0)"
    )
    expect(offline.page.locator(".widgets-error")).to_have_count(0)
    if example.startswith("01_"):
        button = offline.page.locator(".counter-button").first
        before = button.inner_text()
        button.click()
        expect(button).not_to_have_text(before)
    if example.startswith("02_"):
        button = offline.page.locator(".react-counter").first
        expect(button).to_have_text("React count: 0")
        button.click()
        expect(button).to_have_text("React count: 1")
    assert offline.errors == []
    assert [url for url in offline.outside_requests() if not NBCONVERT_OWN.match(url)] == []


def json_outputs_count(page: Page) -> int:
    """How many of our views the notebook shows once every one has rendered."""
    page.wait_for_function(
        "() => { const v = document.querySelectorAll('.jp-OutputArea .widgets-view');"
        " return v.length > 0 && [...v].every((e) => !e.querySelector('.widgets-banner[data-kind=loading]')); }",
        timeout=60_000,
    )
    count: int = page.evaluate(  # outputs only: children a box renders inside its view are views too
        "() => [...document.querySelectorAll('.jp-OutputArea .widgets-view')]"
        ".filter((v) => !v.parentElement.closest('.widgets-view')).length"
    )
    return count

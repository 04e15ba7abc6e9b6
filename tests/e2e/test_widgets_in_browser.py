"""The issue's end-to-end checks, in JupyterLab and in Notebook 7 (each test runs in both).

Each test opens a copy of an example notebook (examples/), runs all its cells, then drives the
page like a user and the kernel like the notebook's author would. Tests marked `oldest` also run
on the oldest supported JupyterLab and Notebook (`make test-oldest`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from .jupyter import EXAMPLES, Notebook, Server, copy_example, open_notebook, shutdown_sessions, write_notebook

OpenExample = Callable[[str], Notebook]
UPDATE = re.compile(rb'"method": ?"update"')
CUSTOM = re.compile(rb'"method": ?"custom"')


@pytest.mark.oldest
def test_plain_dom_counter(open_example: OpenExample) -> None:
    notebook = open_example("01_counter.ipynb")
    buttons = notebook.page.locator(".jp-OutputArea .counter-button")
    expect(buttons).to_have_count(2)  # two views of one model
    expect(buttons.first).to_have_text("count is 0")
    buttons.first.click()
    buttons.first.click()
    expect(buttons.nth(1)).to_have_text("count is 2")
    assert notebook.execute("print(counter.value)") == "2\n"
    notebook.execute("counter.value = 10")
    expect(buttons.first).to_have_text("count is 10")
    expect(buttons.nth(1)).to_have_text("count is 10")
    css = notebook.page.locator("style[data-widgets-css]")
    expect(css).to_have_count(1)  # one stylesheet for both views
    assert notebook.page_errors() == []


def test_react_view_without_a_bundler(open_example: OpenExample) -> None:
    notebook = open_example("02_react.ipynb")
    button = notebook.page.locator(".jp-OutputArea .react-counter")
    expect(button).to_have_text("React count: 0")
    button.click()
    button.click()
    button.click()
    expect(button).to_have_text("React count: 3")
    assert notebook.execute("print(react_counter.value)") == "3\n"
    notebook.execute("react_counter.label = 'Clicks'")
    expect(button).to_have_text("Clicks: 3")
    assert notebook.page_errors() == []


@pytest.mark.oldest
def test_custom_message_echo_with_binary_buffers(open_example: OpenExample) -> None:
    notebook = open_example("03_custom_messages.ipynb")
    log = notebook.page.locator(".jp-OutputArea .echo-log")
    notebook.page.locator(".jp-OutputArea .echo-send").click()
    expect(log).to_have_text("pong: 3,2,1\n")  # browser -> kernel -> browser, bytes reversed
    notebook.execute("echo.send({'kind': 'hello'}, buffers=[b'\\x07\\x08'])")
    expect(log).to_have_text("pong: 3,2,1\nhello: 7,8\n")
    sent = [payload for direction, payload in notebook.frames if direction == "out" and CUSTOM.search(payload)]
    assert sent and all(b"AQID" not in payload for payload in sent)  # the bytes were not base64'd into JSON
    assert notebook.page_errors() == []


@pytest.mark.oldest
def test_validation_refusal_shows_the_error_and_the_old_value(open_example: OpenExample) -> None:
    notebook = open_example("04_validation.ipynb")
    page = notebook.page
    value = page.locator(".jp-OutputArea .bounded-value")
    page.locator(".jp-OutputArea .bounded-ok").click()
    expect(value).to_have_text("50")
    page.locator(".jp-OutputArea .bounded-bad").click()
    error = page.locator(".jp-OutputArea .widgets-error")
    expect(error).to_contain_text("value must be between 0 and 100")
    expect(error).to_contain_text("'value'")
    expect(value).to_have_text("50")
    assert notebook.execute("print(bounded.value)") == "50\n"
    assert notebook.page_errors() == []


def test_one_element_of_a_100k_list_costs_under_1kb(open_example: OpenExample) -> None:
    notebook = open_example("05_big_list.ipynb")
    summary = notebook.page.locator(".jp-OutputArea .biglist-summary")
    expect(summary).to_have_text("length=100000 item[12345]=12345")
    notebook.frames.clear()
    notebook.execute("with big.mutate('items') as items:\n    items[12345] = -1")
    expect(summary).to_have_text("length=100000 item[12345]=-1")
    updates = [p for d, p in notebook.frames if d == "in" and b"comm_msg" in p and UPDATE.search(p)]
    assert len(updates) == 1, updates
    assert len(updates[0]) < 1024, len(updates[0])
    assert notebook.page_errors() == []


def test_anywidget_style_module_runs_unchanged(open_example: OpenExample) -> None:
    notebook = open_example("06_anywidget_style.ipynb")
    text = notebook.page.locator(".jp-OutputArea .greeter-text")
    expect(text).to_have_text("Hello, world! (1 model)")
    field = notebook.page.locator(".jp-OutputArea .greeter-input")
    field.fill("Jupyter")
    field.blur()  # commits the value: the input fires "change"
    expect(text).to_have_text("Hello, Jupyter! (1 model)")
    assert notebook.execute("print(greeter.name)") == "Jupyter\n"
    notebook.execute("greeter.name = 'kernel'")
    expect(text).to_have_text("Hello, kernel! (1 model)")
    assert notebook.page_errors() == []


@pytest.mark.oldest
def test_reload_restores_live_widgets_and_restart_disconnects(open_example: OpenExample) -> None:
    notebook = open_example("01_counter.ipynb")
    page = notebook.page
    buttons = page.locator(".jp-OutputArea .counter-button")
    expect(buttons).to_have_count(2)
    buttons.first.click()
    expect(buttons.first).to_have_text("count is 1")
    notebook.save()

    page.reload()
    notebook.wait_for_kernel()
    expect(buttons).to_have_count(2)  # the saved outputs come back, restored from the kernel
    expect(buttons.first).to_have_text("count is 1")
    buttons.nth(1).click()
    expect(buttons.first).to_have_text("count is 2")
    assert notebook.execute("print(counter.value)") == "2\n"

    page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
    banner = page.locator(".jp-OutputArea .widgets-banner[data-kind='disconnected']")
    expect(banner).to_have_count(2)
    expect(banner.first).to_contain_text("kernel restarted")
    notebook.wait_for_restart()
    assert notebook.execute("print('new kernel')") == "new kernel\n"
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    expect(page.locator(".jp-OutputArea .widgets-banner[data-kind='disconnected']")).to_have_count(0)
    expect(buttons.first).to_have_text("count is 0")  # fresh models from the new kernel, live again
    buttons.first.click()
    expect(buttons.nth(1)).to_have_text("count is 1")
    assert notebook.page_errors() == []


@pytest.mark.oldest
def test_browser_created_model_and_a_failing_view(page: Page, server: Server) -> None:
    name = write_notebook(
        server.root,
        f"created_{server.app}.ipynb",
        [
            "import widgets\nfrom traitlets import Int\n\n"
            "@widgets.register('e2e.counter')\nclass Registered(widgets.Model):\n    value = Int(0).tag(sync=True)",
            "class Broken(widgets.Model):\n"
            "    _esm = 'export default { render() { throw new Error(\"no luck\"); } }'\n\n"
            "Broken()",
        ],
    )
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    error = page.locator(".jp-OutputArea .widgets-render-error")
    expect(error).to_contain_text("Error: no luck")
    expect(error.locator("pre")).to_contain_text("render")  # the stack

    created = page.evaluate(
        """async () => {
            const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            const model = await window.widgetsRuntime.manager(kernel.id).create("e2e.counter", { value: 5 });
            model.set("value", 6);
            model.save_changes();
            return model.model_id;
        }"""
    )
    out = notebook.execute(f"import widgets.registry\nprint(widgets.registry.live[{created!r}].value)")
    assert out == "6\n"
    assert notebook.page_errors() == []


def test_widgets_in_a_console(page: Page, jupyter_servers: dict[str, Server]) -> None:
    server = jupyter_servers["lab"]
    page.on("pageerror", lambda error: pytest.fail(f"page error: {error}"))
    page.goto(f"{server.base}/lab/workspaces/{uuid.uuid4().hex}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('console:create')")
    source = json.loads((EXAMPLES / "01_counter.ipynb").read_text())["cells"][1]["source"]
    page.evaluate(
        """async (code) => {
            const options = { kernelPreference: { name: "python3" } };
            const panel = await window.jupyterapp.commands.execute("console:create", options);
            await panel.sessionContext.ready;
            window.__console = panel;
            panel.console.inject(code);
        }""",
        source if isinstance(source, str) else "".join(source),
    )
    button = page.locator(".jp-CodeConsole .counter-button")
    expect(button).to_have_text("count is 0", timeout=60_000)
    button.click()
    expect(button).to_have_text("count is 1")
    page.wait_for_function("() => window.widgetsRuntime.pendingWrites() === 0")
    value = page.evaluate(
        """async () => {
            const kernel = window.__console.sessionContext.session.kernel;
            const future = kernel.requestExecute({ code: "print(counter.value)" });
            let out = "";
            future.onIOPub = (msg) => { if (msg.header.msg_type === "stream") out += msg.content.text; };
            await future.done;
            return out;
        }"""
    )
    assert value == "1\n"
    shutdown_sessions(server)


def test_busy_favicon_only_for_lasting_work(page: Page, jupyter_servers: dict[str, Server]) -> None:
    """Our favicon plugin replaces JupyterLab's, which swapped icons on every comm message."""
    server = jupyter_servers["lab"]
    notebook = open_notebook(page, server, copy_example("01_counter.ipynb", server.root))
    notebook.run_all()
    buttons = page.locator(".jp-OutputArea .counter-button")
    expect(buttons).to_have_count(2)
    plugins = page.evaluate(
        """() => [window.jupyterapp.hasPlugin("widgets-labextension:favicon"),
                  window.jupyterapp.isPluginActivated("widgets-labextension:favicon"),
                  window.jupyterapp.hasPlugin("@jupyterlab/application-extension:faviconbusy")]"""
    )
    assert plugins == [True, True, False]
    page.evaluate(
        """() => { window.__iconSwaps = 0;
            new MutationObserver((records) => { window.__iconSwaps += records.length; })
              .observe(document.head, { attributes: true, attributeFilter: ["rel"], subtree: true }); }"""
    )
    for _ in range(5):
        buttons.first.click()
    expect(buttons.first).to_have_text("count is 5")
    assert notebook.execute("print(counter.value)") == "5\n"
    assert page.evaluate("window.__iconSwaps") == 0  # quick comm traffic: the icon stays put
    page.evaluate(
        "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        ".requestExecute({ code: 'import time; time.sleep(2)' })"
    )
    expect(page.locator('link.favicon.busy[rel="icon"]')).to_have_count(1)
    expect(page.locator('link.favicon.idle[rel="icon"]')).to_have_count(1, timeout=10_000)
    shutdown_sessions(server)

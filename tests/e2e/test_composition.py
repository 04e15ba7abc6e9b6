"""Composition and calls into Python, in real JupyterLab and Notebook 7 (docs/javascript.md):
a view renders its children's views through `host.getWidget`, and `model.invoke` calls a
Python command and gets its result or its exception."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .jupyter import Server, open_notebook, write_notebook

WIDGETS = '''
import widgets
from traitlets import Instance, Int, List

class Counter(widgets.Model):
    _esm = """export default {
      initialize({ model }) { return { kind: "counter", initial: model.get("value") }; },
      render({ model, el, signal }) {
        const button = document.createElement("button");
        button.className = "child-counter";
        const show = () => { button.textContent = `count ${model.get("value")}`; };
        button.onclick = () => { model.set("value", model.get("value") + 1); model.save_changes(); };
        model.on("change:value", show); show(); el.append(button);
        signal.addEventListener("abort", () => { globalThis.__disposed = (globalThis.__disposed ?? 0) + 1; });
      } }"""
    value = Int(0).tag(sync=True)

class Board(widgets.Model):
    _esm = """export default { async render({ model, el, host }) {
      const row = document.createElement("div");
      row.className = "board";
      el.append(row);
      for (const ref of model.get("children")) {
        const child = await host.getWidget(ref);
        const slot = document.createElement("div");
        slot.className = "board-slot";
        slot.dataset.kind = child.exports.kind;
        row.append(slot);
        await child.render(slot);
      }
    } }"""
    children = List(Instance(widgets.Model)).tag(sync=True)

class Calculator(widgets.Model):
    _esm = """export default { render({ model, el }) {
      const out = document.createElement("output");
      out.className = "calc-out";
      const add = document.createElement("button");
      add.className = "calc-add"; add.textContent = "add";
      add.onclick = async () => { out.textContent = String(await model.invoke("add", { a: 2, b: 40 })); };
      const fail = document.createElement("button");
      fail.className = "calc-fail"; fail.textContent = "fail";
      fail.onclick = async () => {
        try { await model.invoke("explode", null); out.textContent = "no error"; }
        catch (error) { out.textContent = `${error.type}: ${error.message}`; }
      };
      el.append(add, fail, out);
    } }"""
    calls = Int(0).tag(sync=True)

    @widgets.command
    def add(self, args):
        self.calls += 1
        return args["a"] + args["b"]

    @widgets.command
    def explode(self, args):
        raise ValueError("the calculator exploded")

a, b = Counter(value=1), Counter(value=5)
board = Board(children=[a, b])
'''


def test_a_view_renders_its_childrens_views(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "board.ipynb", [WIDGETS, "board", "a"])
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    slots = page.locator(".jp-OutputArea .board .board-slot")
    expect(slots).to_have_count(2)
    expect(slots.first).to_have_attribute("data-kind", "counter")  # the child's initialize exports
    inside = page.locator(".jp-OutputArea .board .child-counter")
    expect(inside).to_have_text(["count 1", "count 5"])
    inside.first.click()
    alone = page.locator(".jp-OutputArea .child-counter").last  # `a` displayed on its own
    expect(alone).to_have_text("count 2")  # child views of one model stay equal, and live
    assert notebook.execute("print(a.value)") == "2\n"
    notebook.execute("b.value = 9")
    expect(inside.nth(1)).to_have_text("count 9")
    # Clearing the board's output disposes the child views it made (their signals abort), not `a`'s own.
    page.evaluate(
        "() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 1;"
        " return window.jupyterapp.commands.execute('notebook:clear-cell-output'); }"
    )
    page.wait_for_function("() => globalThis.__disposed === 2")
    expect(page.locator(".jp-OutputArea .board")).to_have_count(0)
    alone.click()
    expect(alone).to_have_text("count 3")
    assert notebook.page_errors() == []


def test_invoke_returns_a_value_and_raises_the_python_exception(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "calc.ipynb", [WIDGETS, "calc = Calculator()\ncalc"])
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    out = page.locator(".jp-OutputArea .calc-out")
    page.locator(".jp-OutputArea .calc-add").click()
    expect(out).to_have_text("42")
    assert notebook.execute("print(calc.calls)") == "1\n"
    page.locator(".jp-OutputArea .calc-fail").click()
    expect(out).to_have_text("ValueError: the calculator exploded")
    expect(page.locator(".jp-OutputArea .widgets-error")).to_have_count(0)  # the caller handled it
    assert notebook.page_errors() == []

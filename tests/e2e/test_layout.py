"""The layout boxes in real JupyterLab and Notebook 7 (docs/layout.md): a box renders its children's
views and follows `children` from the kernel incrementally (a kept child keeps its DOM node), a slider
in a box still round-trips, a Tab switches by click and keyboard and the kernel sees it, an Accordion
opens and closes."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .jupyter import Server, open_notebook, write_notebook

BOXES = """
import widgets
a = widgets.IntSlider(value=1, description="Alpha")
b = widgets.IntSlider(value=2, description="Beta")
note = widgets.Label("a note")
box = widgets.VBox([a, b, note], box_style="info")
row = widgets.HBox([widgets.Label("left"), widgets.Label("right")])

class Broken(widgets.Model):
    _esm = "export default { render() { throw new Error('this child broke'); } }"

mixed = widgets.HBox([widgets.Label("before it"), Broken(), widgets.Label("after it")])
"""

# The kinds of the child views in the box, in order (their roots are the box root's flex items).
KINDS = """(root) => [...root.querySelectorAll(':scope > .widgets-child > .widgets-host > .widgets-control')]
    .map((el) => el.getAttribute('aria-label') || el.querySelector('label')?.textContent || el.textContent)"""


def test_a_box_renders_its_children_and_follows_the_kernel(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "boxes.ipynb", [BOXES, "box", "row", "mixed"])
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    area = page.locator(".jp-Notebook")
    root = area.locator(".widgets-vbox")
    alpha = root.get_by_role("slider", name="Alpha")
    expect(alpha).to_have_value("1")
    expect(root.get_by_role("slider", name="Beta")).to_have_value("2")
    expect(root.get_by_text("a note")).to_be_visible()
    assert root.evaluate(KINDS) == ["Alpha", "Beta", "a note"]
    assert root.evaluate("(el) => getComputedStyle(el).flexDirection") == "column"
    assert root.evaluate("(el) => el.dataset.boxStyle") == "info"

    # a slider inside a box round-trips its value
    alpha.focus()
    alpha.press("ArrowRight")
    expect(alpha).to_have_value("2")
    assert notebook.execute("print(a.value)") == "2\n"
    notebook.execute("a.value = 7")
    expect(alpha).to_have_value("7")

    # remove and reorder: the kept child is the same DOM node (not rendered again)
    alpha.evaluate("(el) => { el.__kept = 'alpha'; }")
    notebook.execute("box.children = [note, a]")
    expect(root.get_by_role("slider", name="Beta")).to_have_count(0)
    assert root.evaluate(KINDS) == ["a note", "Alpha"]
    assert alpha.evaluate("(el) => el.__kept") == "alpha"
    # add
    notebook.execute("box.children = [a, widgets.Button(description='Fresh'), note]")
    expect(root.get_by_role("button", name="Fresh")).to_be_visible()
    assert root.evaluate(KINDS) == ["Alpha", "Fresh", "a note"]
    assert alpha.evaluate("(el) => el.__kept") == "alpha"
    alpha.focus()
    alpha.press("ArrowLeft")
    assert notebook.execute("print(a.value)") == "6\n"

    # an HBox is a row
    left, right = area.locator(".widgets-hbox").get_by_text("left"), area.locator(".widgets-hbox").get_by_text("right")
    expect(right).to_be_visible()
    left_box, right_box = left.bounding_box(), right.bounding_box()
    assert left_box and right_box and right_box["x"] > left_box["x"] + left_box["width"] - 1
    assert abs(right_box["y"] - left_box["y"]) < 2

    # a child whose view fails shows its error in its own place; its siblings render
    mixed = area.locator(".widgets-hbox").filter(has_text="before it")
    expect(mixed.locator(".widgets-child").nth(1).locator(".widgets-render-error")).to_contain_text("this child broke")
    expect(mixed.get_by_text("after it")).to_be_visible()
    assert notebook.page_errors() == []


SELECTORS = """
import widgets
tab = widgets.Tab(
    [widgets.Label("first page"), widgets.IntSlider(value=4, description="Second"), widgets.Label("third page")],
    titles=["One", "Two", "Three"],
)
acc = widgets.Accordion([widgets.Label("inside one"), widgets.Label("inside two")], titles=["Open me", "Or me"])
"""


def test_tab_and_accordion_by_click_and_keyboard(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "tabs.ipynb", [SELECTORS, "tab", "acc"])
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    area = page.locator(".jp-Notebook")
    tabs = area.locator(".widgets-tab")
    one, two, three = (tabs.get_by_role("tab", name=title) for title in ("One", "Two", "Three"))
    expect(one).to_have_attribute("aria-selected", "true")
    expect(tabs.get_by_role("tabpanel")).to_have_text("first page")
    expect(tabs.get_by_text("third page")).to_have_count(0)  # a panel renders when first shown

    two.click()
    expect(two).to_have_attribute("aria-selected", "true")
    expect(tabs.get_by_role("slider", name="Second")).to_have_value("4")
    expect(tabs.get_by_text("first page")).to_be_hidden()
    assert notebook.execute("print(tab.selected_index)") == "1\n"

    two.focus()
    two.press("ArrowRight")
    expect(three).to_be_focused()
    expect(three).to_have_attribute("aria-selected", "true")
    expect(tabs.get_by_text("third page")).to_be_visible()
    assert notebook.execute("print(tab.selected_index)") == "2\n"
    three.press("Home")
    expect(one).to_be_focused()
    one.press("End")
    expect(three).to_be_focused()
    assert [t.get_attribute("tabindex") for t in (one, two, three)] == ["-1", "-1", "0"]  # roving tabindex
    assert notebook.execute("print(tab.selected_index)") == "2\n"
    notebook.execute("tab.selected_index = 0")
    expect(one).to_have_attribute("aria-selected", "true")
    expect(tabs.get_by_text("first page")).to_be_visible()

    accordion = area.locator(".widgets-accordion")
    first = accordion.get_by_role("button", name="Open me")
    expect(first).to_have_attribute("aria-expanded", "false")
    expect(accordion.get_by_text("inside one")).to_have_count(0)
    first.click()
    expect(first).to_have_attribute("aria-expanded", "true")
    expect(accordion.get_by_text("inside one")).to_be_visible()
    assert notebook.execute("print(acc.selected_index)") == "0\n"
    accordion.get_by_role("button", name="Or me").click()
    expect(accordion.get_by_text("inside two")).to_be_visible()
    expect(accordion.get_by_text("inside one")).to_be_hidden()
    accordion.get_by_role("button", name="Or me").click()
    expect(accordion.get_by_text("inside two")).to_be_hidden()
    assert notebook.execute("print(acc.selected_index)") == "None\n"
    assert notebook.page_errors() == []

"""The built-in controls in real JupyterLab and Notebook 7: values round-trip both ways, the
keyboard drives a slider and a dropdown, a Button runs its Python callback (docs/controls.md)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .jupyter import Server, open_notebook, write_notebook

SETUP = """
import widgets
slider = widgets.IntSlider(value=3, min=0, max=10, description="Level")
text = widgets.Text(value="hello", description="Name")
check = widgets.Checkbox(value=False, description="Enabled")
pick = widgets.Dropdown(options=["red", "green", "blue"], value="red", description="Colour")
clicks = []
button = widgets.Button(description="Go")
button.on_click(lambda b: clicks.append(pick.value))
"""


def test_controls_round_trip_both_ways(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "controls.ipynb", [SETUP, "slider", "text", "check", "pick", "button"])
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    area = page.locator(".jp-Notebook")
    level = area.get_by_role("slider", name="Level")
    expect(level).to_have_value("3")
    level.focus()
    level.press("ArrowRight")
    level.press("ArrowRight")
    expect(level).to_have_value("5")
    assert notebook.execute("print(slider.value)") == "5\n"
    notebook.execute("slider.value = 9")
    expect(level).to_have_value("9")

    box = area.get_by_role("textbox", name="Name")
    expect(box).to_have_value("hello")
    box.fill("world")
    box.press("Enter")
    assert notebook.execute("print(text.value)") == "world\n"

    enabled = area.get_by_role("checkbox", name="Enabled")
    expect(enabled).not_to_be_checked()
    enabled.press("Space")
    assert notebook.execute("print(check.value)") == "True\n"
    notebook.execute("check.value = False")
    expect(enabled).not_to_be_checked()

    colour = area.get_by_role("combobox", name="Colour")
    colour.focus()
    colour.press("ArrowDown")
    assert notebook.execute("print(pick.value, pick.index)") == "green 1\n"
    notebook.execute("pick.value = 'blue'")
    expect(colour.locator("option:checked")).to_have_text("blue")

    area.get_by_role("button", name="Go").click()
    assert notebook.execute("print(clicks)") == "['blue']\n"
    assert notebook.page_errors() == []

"""The built-in controls in real JupyterLab and Notebook 7 (docs/controls.md): every control shows the
kernel's value, a real input in the view (keyboard, click, typing, choosing) reaches the kernel, and a
kernel change shows in the view; the display-only ones (Progress, HTML, Label, Image) show the kernel's
value and follow its changes. One notebook holds them all, so each app opens one page and one kernel."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from .jupyter import Notebook, Server, open_notebook, write_notebook

SETUP = r'''
import datetime, struct, zlib
import widgets

def png(width, height):
    """A red PNG of width x height pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")

slider = widgets.IntSlider(value=3, min=0, max=10, description="Level")
ratio = widgets.FloatSlider(value=0.5, min=0, max=1, step=0.1, description="Ratio")
span = widgets.IntRangeSlider(value=(2, 8), min=0, max=10, description="Span")
band = widgets.FloatRangeSlider(value=(0.2, 0.6), min=0, max=1, step=0.1, description="Band")
count = widgets.IntText(value=5, description="Count")
weight = widgets.FloatText(value=1.5, description="Weight")
text = widgets.Text(value="hello", description="Name")
notes = widgets.Textarea(value="first", description="Notes")
check = widgets.Checkbox(value=False, description="Enabled")
bold = widgets.ToggleButton(value=False, description="Bold", icon="fa-star")
pick = widgets.Dropdown(options=["red", "green", "blue"], value="red", description="Colour")
size = widgets.RadioButtons(options=["small", "medium", "large"], value="medium", description="Size")
fruit = widgets.Select(options=["apple", "banana", "cherry"], value="apple", description="Fruit")
tags = widgets.SelectMultiple(options=["a", "b", "c"], value=("b",), description="Tags")
clicks = []
button = widgets.Button(description="Go", icon="check")
button.on_click(lambda b: clicks.append(pick.value))
stop = widgets.Button(icon="stop", tooltip="Stop now")
paint = widgets.ColorPicker(value="#ff0000", description="Paint")
when = widgets.DatePicker(value=datetime.date(2026, 12, 2), description="When")
done = widgets.IntProgress(value=30, min=0, max=100, description="Done")
html = widgets.HTML(value="<b class='kernel-html'>bold</b> text", description="Markup")
label = widgets.Label(value="<not markup>")
image = widgets.Image(value=png(3, 2), format="png", description="Red dot")
CONTROLS = [slider, ratio, span, band, count, weight, text, notes, check, bold, pick, size, fruit, tags,
            button, stop, paint, when, done, html, label, image]
'''


def kernel(notebook: Notebook, expression: str) -> str:
    """The kernel's `print(expression)` without its newline."""
    return notebook.execute(f"print({expression})").rstrip("\n")


def test_every_control_round_trips_both_ways(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "controls.ipynb", [SETUP, "for c in CONTROLS: display(c)"])
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    area = page.locator(".jp-Notebook")
    expect(area.locator(".widgets-control")).to_have_count(22)

    sliders(notebook, area)
    numbers_and_text(notebook, area)
    booleans_and_buttons(notebook, area)
    choices(notebook, area)
    pickers(notebook, area)
    display_only(notebook, area)
    expect(area.locator(".widgets-error")).to_have_count(0)
    assert notebook.page_errors() == []


def sliders(notebook: Notebook, area: Locator) -> None:
    level = area.get_by_role("slider", name="Level")
    expect(level).to_have_value("3")
    level.focus()
    level.press("ArrowRight")
    level.press("ArrowRight")
    expect(level).to_have_value("5")
    assert kernel(notebook, "slider.value") == "5"
    notebook.execute("slider.value = 9")
    expect(level).to_have_value("9")

    ratio = area.get_by_role("slider", name="Ratio")
    expect(ratio).to_have_value("0.5")
    expect(area.locator(".widgets-float-slider .widgets-readout")).to_have_text("0.50")
    ratio.focus()
    ratio.press("ArrowRight")
    assert kernel(notebook, "ratio.value") == "0.6"
    notebook.execute("ratio.value = 0.8")
    expect(ratio).to_have_value("0.8")
    expect(area.locator(".widgets-float-slider .widgets-readout")).to_have_text("0.80")

    lower, upper = area.get_by_role("slider", name="Span, lower"), area.get_by_role("slider", name="Span, upper")
    expect(lower).to_have_value("2")
    expect(upper).to_have_value("8")
    upper.focus()
    upper.press("ArrowLeft")
    lower.focus()
    lower.press("ArrowRight")
    assert kernel(notebook, "span.value") == "(3, 7)"
    notebook.execute("span.value = (1, 9)")
    expect(lower).to_have_value("1")
    expect(upper).to_have_value("9")
    expect(area.locator(".widgets-int-range-slider .widgets-readout")).to_have_text("1 \u2013 9")

    low, high = area.get_by_role("slider", name="Band, lower"), area.get_by_role("slider", name="Band, upper")
    expect(low).to_have_value("0.2")
    expect(high).to_have_value("0.6")
    low.focus()
    low.press("ArrowRight")
    assert kernel(notebook, "band.value") == "(0.3, 0.6)"
    notebook.execute("band.value = (0.1, 0.9)")
    expect(low).to_have_value("0.1")
    expect(high).to_have_value("0.9")


def numbers_and_text(notebook: Notebook, area: Locator) -> None:
    count = area.get_by_role("spinbutton", name="Count")
    expect(count).to_have_value("5")
    count.fill("12")
    count.press("Enter")
    assert kernel(notebook, "count.value") == "12"
    count.press("ArrowUp")  # the native stepper, sent on the change it fires
    assert kernel(notebook, "count.value") == "13"
    notebook.execute("count.value = 7")
    expect(count).to_have_value("7")

    weight = area.get_by_role("spinbutton", name="Weight")
    expect(weight).to_have_value("1.5")
    weight.fill("2.25")
    weight.press("Enter")
    assert kernel(notebook, "weight.value") == "2.25"
    notebook.execute("weight.value = -0.5")
    expect(weight).to_have_value("-0.5")

    box = area.get_by_role("textbox", name="Name")
    expect(box).to_have_value("hello")
    box.fill("world")
    box.press("Enter")
    assert kernel(notebook, "text.value") == "world"
    notebook.execute("text.value = 'from the kernel'")
    expect(box).to_have_value("from the kernel")

    notes = area.get_by_role("textbox", name="Notes")
    expect(notes).to_have_value("first")
    notes.fill("")
    notes.press_sequentially("line 1")
    notes.press("Enter")  # a new line, not a send: the value so far went with each key
    notes.press_sequentially("line 2")
    assert kernel(notebook, "repr(notes.value)") == "'line 1\\nline 2'"
    notebook.execute("notes.value = 'a\\nb'")
    expect(notes).to_have_value("a\nb")


def booleans_and_buttons(notebook: Notebook, area: Locator) -> None:
    enabled = area.get_by_role("checkbox", name="Enabled")
    expect(enabled).not_to_be_checked()
    enabled.press("Space")
    assert kernel(notebook, "check.value") == "True"
    notebook.execute("check.value = False")
    expect(enabled).not_to_be_checked()
    enabled.click()
    assert kernel(notebook, "check.value") == "True"

    bold = area.get_by_role("button", name="Bold")
    expect(bold).to_have_attribute("aria-pressed", "false")
    bold.click()
    expect(bold).to_have_attribute("aria-pressed", "true")
    assert kernel(notebook, "bold.value") == "True"
    notebook.execute("bold.value = False")
    expect(bold).to_have_attribute("aria-pressed", "false")
    bold.focus()
    bold.press("Enter")
    assert kernel(notebook, "bold.value") == "True"
    notebook.execute("bold.value = False")
    expect(bold).to_have_attribute("aria-pressed", "false")
    assert_icon(bold, "star")

    go = area.get_by_role("button", name="Go")
    go.click()
    assert kernel(notebook, "clicks") == "['red']"
    notebook.execute("pick.value = 'blue'")
    go.focus()
    go.press("Enter")
    assert kernel(notebook, "clicks") == "['red', 'blue']"
    notebook.execute("pick.value = 'red'")
    assert_icon(go, "check")
    notebook.execute("button.icon = 'fa-times'; button.description = 'Cancel'")
    cancel = area.get_by_role("button", name="Cancel")
    assert_icon(cancel, "times")
    notebook.execute("button.icon = ''")
    expect(cancel).to_have_attribute("data-icon", "")
    assert cancel.evaluate("b => getComputedStyle(b, '::before').content") == "none"

    stop = area.get_by_role("button", name="Stop now")  # an icon-only button is named by its tooltip
    assert_icon(stop, "stop")
    expect(stop).to_have_text("")


def assert_icon(button: Locator, name: str) -> None:
    """The button draws its icon (a masked ::before, so screen readers do not read it) beside its label."""
    expect(button).to_have_attribute("data-icon", name)
    drawn = button.evaluate(
        "b => { const s = getComputedStyle(b, '::before');"
        " return [s.content, s.maskImage || s.webkitMaskImage, s.width]; }"
    )
    assert drawn[0] == '""' and drawn[1].startswith('url("data:image/svg+xml') and drawn[2] != "0px", drawn


def choices(notebook: Notebook, area: Locator) -> None:
    colour = area.get_by_role("combobox", name="Colour")
    expect(colour.locator("option:checked")).to_have_text("red")
    colour.focus()
    colour.press("ArrowDown")
    assert kernel(notebook, "pick.value, pick.index") == "green 1"
    colour.select_option("blue")
    assert kernel(notebook, "pick.value") == "blue"
    notebook.execute("pick.value = 'red'")
    expect(colour.locator("option:checked")).to_have_text("red")

    group = area.get_by_role("radiogroup", name="Size")
    expect(group.get_by_role("radio", name="medium")).to_be_checked()
    group.get_by_role("radio", name="large").click()
    assert kernel(notebook, "size.value, size.index") == "large 2"
    group.get_by_role("radio", name="large").press("ArrowUp")  # arrows move the choice
    assert kernel(notebook, "size.value") == "medium"
    notebook.execute("size.value = 'small'")
    expect(group.get_by_role("radio", name="small")).to_be_checked()
    expect(group.get_by_role("radio", name="medium")).not_to_be_checked()

    fruit = area.get_by_role("listbox", name="Fruit")
    expect(fruit.locator("option:checked")).to_have_text("apple")
    fruit.select_option("banana")
    assert kernel(notebook, "fruit.value") == "banana"
    fruit.focus()
    fruit.press("ArrowDown")
    assert kernel(notebook, "fruit.value") == "cherry"
    notebook.execute("fruit.value = 'apple'")
    expect(fruit.locator("option:checked")).to_have_text("apple")

    tags = area.get_by_role("listbox", name="Tags")
    expect(tags.locator("option:checked")).to_have_text(["b"])
    tags.select_option(["a", "c"])
    assert kernel(notebook, "tags.value, tags.index") == "('a', 'c') (0, 2)"
    notebook.execute("tags.value = ('b', 'c')")
    expect(tags.locator("option:checked")).to_have_text(["b", "c"])


def pickers(notebook: Notebook, area: Locator) -> None:
    paint = area.get_by_role("textbox", name="Paint", exact=True)
    swatch = area.get_by_label("Paint (picker)")
    expect(paint).to_have_value("#ff0000")
    expect(swatch).to_have_value("#ff0000")
    paint.fill("#00ff00")
    paint.press("Enter")
    assert kernel(notebook, "paint.value") == "#00ff00"
    expect(swatch).to_have_value("#00ff00")
    swatch.fill("#0000ff")  # the native picker's input event
    assert kernel(notebook, "paint.value") == "#0000ff"
    expect(paint).to_have_value("#0000ff")
    notebook.execute("paint.value = '#123456'")
    expect(paint).to_have_value("#123456")
    expect(swatch).to_have_value("#123456")

    when = area.get_by_label("When")
    expect(when).to_have_value("2026-12-02")
    when.fill("2027-01-31")
    assert kernel(notebook, "repr(when.value)") == "datetime.date(2027, 1, 31)"
    when.fill("2027-01-15")
    when.focus()
    when.press("ArrowUp")  # the focused part of the native date field (month, day or year by locale) steps
    stepped = {"datetime.date(2027, 2, 15)", "datetime.date(2027, 1, 16)", "datetime.date(2028, 1, 15)"}
    assert kernel(notebook, "repr(when.value)") in stepped
    notebook.execute("when.value = datetime.date(2025, 6, 15)")
    expect(when).to_have_value("2025-06-15")


def display_only(notebook: Notebook, area: Locator) -> None:
    bar = area.get_by_role("progressbar", name="Done")
    expect(bar).to_have_attribute("aria-valuenow", "30")
    expect(bar.locator(".widgets-progress-bar")).to_have_attribute("style", re.compile(r"width: 30%"))
    notebook.execute("done.value = 75; done.bar_style = 'success'")
    expect(bar).to_have_attribute("aria-valuenow", "75")
    expect(bar.locator(".widgets-progress-bar")).to_have_attribute("style", re.compile(r"width: 75%"))
    expect(bar.locator(".widgets-progress-bar")).to_have_attribute("data-style", "success")

    markup = area.locator(".widgets-html")
    expect(markup.locator("b.kernel-html")).to_have_text("bold")
    expect(markup.locator(".widgets-description")).to_have_text("Markup")
    notebook.execute("html.value = '<i class=\"kernel-html\">italic</i>'")
    expect(markup.locator("i.kernel-html")).to_have_text("italic")
    expect(markup.locator("b")).to_have_count(0)

    text = area.locator(".widgets-label .widgets-content")
    expect(text).to_have_text("<not markup>")
    notebook.execute("label.value = 'changed <b>still text</b>'")
    expect(text).to_have_text("changed <b>still text</b>")

    picture = area.get_by_role("img", name="Red dot")
    expect(picture).to_have_attribute("src", re.compile(r"^blob:"))
    expect(picture).to_have_js_property("naturalWidth", 3)
    notebook.execute("image.value = png(5, 4)")
    expect(picture).to_have_js_property("naturalWidth", 5)
    expect(picture).to_have_js_property("naturalHeight", 4)

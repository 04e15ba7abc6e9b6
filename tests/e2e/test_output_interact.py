"""Output and interact in real JupyterLab and Notebook 7 (docs/interact.md): a click in the browser runs a
Button callback whose print and exception land in an Output; a widget displayed inside an Output is
live; `interact` with a slider moved by the keyboard shows the final value's output, and a burst of key
presses while the function runs slowly makes far fewer calls than presses (no queue of calls)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .jupyter import Server, open_notebook, write_notebook

OUTPUT = r"""
import widgets
from IPython.display import display
out = widgets.Output(layout={"border": "1px solid gray"})
button = widgets.Button(description="Boom")
def clicked(b):
    with out:
        print("clicked!")
        raise ValueError("raised in the callback")
button.on_click(clicked)
inner = widgets.IntSlider(value=4, description="Inner")
with out:
    print("from the cell")
    display(inner)
display(button, out)
"""


def test_output_captures_a_callbacks_print_and_exception(page: Page, server: Server) -> None:
    notebook = open_notebook(page, server, write_notebook(server.root, "output.ipynb", [OUTPUT]))
    notebook.run_all()
    area = page.locator(".jp-Notebook")
    shown = area.locator(".widgets-output-area")
    expect(shown).to_contain_text("from the cell")
    nested = shown.get_by_role("slider", name="Inner")
    expect(nested).to_have_value("4")  # a widget displayed inside the Output is a live view
    nested.focus()
    nested.press("ArrowRight")
    assert notebook.execute("print(inner.value)").strip() == "5"

    area.get_by_role("button", name="Boom").click()
    expect(shown.locator("pre[data-stream='stdout']").last).to_have_text("clicked!")
    error = shown.locator(".widgets-output-error")
    expect(error).to_contain_text("ValueError: raised in the callback")
    expect(error).not_to_contain_text("\x1b[")  # IPython's colours are spans, not escape codes
    assert notebook.execute("print([o['output_type'] for o in out.outputs])").strip() == (
        "['stream', 'display_data', 'stream', 'error']"
    )
    notebook.execute("out.clear_output()")
    expect(shown).to_have_text("")
    expect(area.locator(".widgets-error")).to_have_count(0)  # suppressed: not the button's handler error
    assert notebook.page_errors() == []


INTERACT = r"""
import time
import widgets
calls = []
def slow(x=50):
    calls.append(x)
    time.sleep(0.3)
    print(f"value is {x}")
_ = widgets.interact(slow, x=(0, 100))
"""


def test_interact_runs_the_final_value_without_queuing(page: Page, server: Server) -> None:
    notebook = open_notebook(page, server, write_notebook(server.root, "interact.ipynb", [INTERACT]))
    notebook.run_all()
    area = page.locator(".jp-Notebook")
    slider = area.get_by_role("slider", name="x")
    shown = area.locator(".widgets-interactive .widgets-output-area")
    expect(slider).to_have_value("50")
    expect(shown).to_have_text("value is 50")

    slider.focus()
    slider.press("ArrowRight")
    expect(shown).to_have_text("value is 51")
    assert notebook.execute("print(calls)").strip() == "[50, 51]"

    presses = 30
    for _ in range(presses):  # while the function sleeps
        slider.press("ArrowRight")
    expect(slider).to_have_value("81")
    expect(shown).to_have_text("value is 81", timeout=60_000)  # the final value always runs
    calls = [int(x) for x in notebook.execute("print(*calls[2:])").split()]
    assert calls[-1] == 81 and len(calls) < presses / 2, calls
    assert calls == sorted(calls)  # in order, never an older value after a newer one
    expect(area.locator(".widgets-error")).to_have_count(0)
    assert notebook.page_errors() == []

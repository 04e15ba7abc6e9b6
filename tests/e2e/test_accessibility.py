"""Every control, box and output passes axe-core's WCAG 2 A/AA rules in real JupyterLab and
Notebook 7 (axe-core from npm, injected into the page; scoped to our views, not the host's UI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from .jupyter import Server, open_notebook, write_notebook

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"

SETUP = """
import widgets
controls = [
    widgets.IntSlider(value=3, description="Slider"),
    widgets.FloatSlider(value=0.5, min=0, max=1, description="Float"),
    widgets.IntRangeSlider(value=(2, 5), description="Range"),
    widgets.FloatRangeSlider(value=(0.2, 0.5), min=0, max=1, description="Float range"),
    widgets.IntText(value=4, description="Int"),
    widgets.FloatText(value=1.5, description="Number"),
    widgets.Text(value="text", description="Text"),
    widgets.Textarea(value="area", description="Area"),
    widgets.Checkbox(value=True, description="Check"),
    widgets.ToggleButton(value=True, description="Toggle"),
    widgets.Button(description="Button"),
    widgets.Button(icon="check", tooltip="Confirm"),
    widgets.Dropdown(options=["a", "b"], description="Dropdown"),
    widgets.RadioButtons(options=["a", "b"], description="Radio"),
    widgets.Select(options=["a", "b"], description="Select"),
    widgets.SelectMultiple(options=["a", "b"], description="Multiple"),
    widgets.ColorPicker(value="#ff0000", description="Colour"),
    widgets.DatePicker(description="Date"),
    widgets.IntProgress(value=3, max=10, description="Progress"),
    widgets.Label(value="a label"),
    widgets.HTML(value="<b>html</b>"),
    widgets.IntSlider(value=1),  # no description: labelled for screen readers all the same
    widgets.Text(placeholder="no description"),
    widgets.Dropdown(options=["x"]),
]
box = widgets.VBox([widgets.HBox(controls[:3]), widgets.GridBox(controls[3:6])])
tabs = widgets.Tab([widgets.Label(value="one"), widgets.Label(value="two")], titles=("First", "Second"))
accordion = widgets.Accordion([widgets.Label(value="inside")], titles=("Section",))
out = widgets.Output()
with out:
    print("printed")
for shown in (*controls[6:], box, tabs, accordion, out):
    display(shown)
"""


def test_views_pass_axe_wcag_rules(page: Page, server: Server) -> None:
    name = write_notebook(server.root, "accessibility.ipynb", [SETUP])
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    expect(page.locator(".jp-OutputArea .widgets-output-area")).to_contain_text("printed")
    page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea .widgets-control').length >= 30")
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => {
          const roots = [...document.querySelectorAll(".jp-OutputArea-output .widgets-control")];
          const outer = roots.filter((el) => !roots.some((other) => other !== el && other.contains(el)));
          const rules = { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } };
          const run = await axe.run({ include: outer }, rules);
          return {
            checked: outer.length,
            passes: run.passes.length,
            violations: run.violations.map((v) => ({
              id: v.id, help: v.help, nodes: v.nodes.map((n) => n.html.slice(0, 160)),
            })),
          };
        }"""
    )
    assert result["checked"] >= 20 and result["passes"] >= 10
    assert result["violations"] == []

"""Every control, box and output passes axe-core's WCAG 2 A/AA rules in real JupyterLab and
Notebook 7 (axe-core from npm, injected into the page; scoped to our views, not the host's UI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from .jupyter import Server, open_notebook, write_notebook
from .library import EVERY_CONTROL

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"

SETUP = (
    EVERY_CONTROL
    + """box = widgets.VBox([widgets.HBox(controls[:3]), widgets.GridBox(controls[3:6])])
tabs = widgets.Tab([widgets.Label(value="one"), widgets.Label(value="two")], titles=("First", "Second"))
accordion = widgets.Accordion([widgets.Label(value="inside")], titles=("Section",))
out = widgets.Output()
with out:
    print("printed")
for shown in (*controls[6:], box, tabs, accordion, out):
    display(shown)
"""
)


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

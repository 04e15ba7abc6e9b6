"""The controls follow JupyterLab's theme: in the light and the dark theme, every control's text is
readable on its background (WCAG AA contrast, 4.5:1), and the dark theme really makes them dark."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .jupyter import Server, open_notebook, write_notebook
from .library import EVERY_CONTROL

SETUP = (
    EVERY_CONTROL
    + """
for control in controls:
    display(control)
"""
)

# For each element with text in a control: its colour, and the first opaque background behind it.
MEASURE = """() => {
  const parse = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const found = [];
  for (const root of document.querySelectorAll(".jp-OutputArea .widgets-control")) {
    const parts = root.querySelectorAll(".widgets-description, .widgets-input, .widgets-btn, .widgets-readout, label");
    for (const el of [root, ...parts]) {
      if (el.hidden || !el.textContent.trim() && el.tagName !== "INPUT" && el.tagName !== "TEXTAREA") continue;
      const color = parse(getComputedStyle(el).color);
      found.push({ kind: root.className, part: el.className || el.tagName, color, background: background(el) });
    }
  }
  return found;
}"""


def luminance(color: dict[str, float]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color["r"]) + 0.7152 * channel(color["g"]) + 0.0722 * channel(color["b"])


def contrast(a: dict[str, float], b: dict[str, float]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def set_theme(page: Page, theme: str) -> None:
    page.evaluate(f"window.jupyterapp.commands.execute('apputils:change-theme', {{ theme: '{theme}' }})")
    light = "true" if theme.endswith("Light") else "false"
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'")
    page.wait_for_timeout(300)  # the theme's stylesheet applies after the attribute


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_controls_are_readable_in_light_and_dark_themes(page: Page, server: Server, theme: str) -> None:
    name = write_notebook(server.root, f"themes-{theme.split()[-1].lower()}.ipynb", [SETUP])
    notebook = open_notebook(page, server, name)
    notebook.run_all()
    expect(page.locator(".jp-OutputArea .widgets-control")).to_have_count(34)
    set_theme(page, theme)
    try:
        measured: list[dict[str, Any]] = page.evaluate(MEASURE)
        assert len(measured) >= 30
        poor = [
            (item["kind"], item["part"], round(contrast(item["color"], item["background"]), 2))
            for item in measured
            if contrast(item["color"], item["background"]) < 4.5
        ]
        assert poor == []
        inputs = [item for item in measured if "widgets-input" in str(item["part"])]
        dark = theme.endswith("Dark")
        assert inputs and all((luminance(item["background"]) < 0.2) == dark for item in inputs)
    finally:
        set_theme(page, "JupyterLab Light")

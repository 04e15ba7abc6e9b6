"""Button and ToggleButton `icon` (docs/controls.md): FontAwesome names drawn from a small built-in
set of SVG masks in js/controls.css, the `fa-` prefix accepted, an unknown name warned about once."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import urllib.parse
import warnings
import xml.etree.ElementTree as ET

import pytest

import widgets
from widgets.controls import boolean
from widgets.controls.base import JS

COMMON = """check times close plus minus play pause stop refresh download upload search cog trash save
arrow-left arrow-right arrow-up arrow-down info warning question home pencil copy star user"""


def test_the_common_fontawesome_names_are_built_in() -> None:
    assert set(COMMON.split()) <= boolean.ICONS
    assert boolean.icon_name("fa-check") == boolean.icon_name("fa fa-check") == boolean.icon_name(" check ") == "check"
    assert boolean.icon_name("") == ""


def test_every_icon_is_an_svg_mask_in_the_stylesheet() -> None:
    css = (JS / "controls.css").read_text()
    rules = re.findall(r'^(\.widgets-btn\[data-icon=.*?) \{ content: ""; --w-icon: url\("(.*?)"\); \}$', css, re.M)
    named = {name for selectors, _ in rules for name in re.findall(r'data-icon="([\w-]+)"', selectors)}
    assert named == boolean.ICONS and len(rules) >= 40
    for _, url in rules:
        assert url.startswith("data:image/svg+xml,") and "#" not in url
        svg = ET.fromstring(urllib.parse.unquote(url.removeprefix("data:image/svg+xml,")))
        assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("viewBox") == "0 0 16 16"
        assert [child.tag.rsplit("}", 1)[-1] for child in svg] == ["path"] and svg[0].get("d")


def test_an_unknown_icon_warns_once_and_a_known_one_not_at_all() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        widgets.Button(icon="fa-check")
        widgets.ToggleButton(icon="fa fa-trash")
    boolean._warned.discard("no-such-icon")
    with pytest.warns(UserWarning, match="no built-in icon 'fa-no-such-icon'"):
        button = widgets.Button(icon="fa-no-such-icon")
    assert button.icon == "fa-no-such-icon"  # kept as given: the view draws nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        widgets.ToggleButton(icon="no-such-icon")


NODE = shutil.which("node")
HAPPY_DOM = pathlib.Path(__file__).parents[2] / "node_modules" / "happy-dom" / "lib" / "index.js"


def test_the_views_name_the_icon_and_keep_the_label() -> None:
    assert NODE is not None and HAPPY_DOM.exists(), "needs node and happy-dom: `npm ci` (make test runs it)"
    script = pathlib.Path(__file__).parent / "control_icons.mjs"
    run = subprocess.run(
        [NODE, str(script), str(HAPPY_DOM), f"{JS}/"], capture_output=True, text=True, timeout=60, check=False
    )
    failed = [line for line in run.stdout.splitlines() if not line.startswith("ok ")]
    assert run.returncode == 0 and not failed and run.stdout.count("ok ") == 12, run.stdout + run.stderr

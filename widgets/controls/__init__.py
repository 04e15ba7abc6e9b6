"""The controls users know from ipywidgets, each a `Model` with its own ES module (js/) and one shared
stylesheet (js/controls.css). Loaded lazily: `widgets.IntSlider` imports this package on first use.

Every view's root element has the class `widgets-<kind>` (the `_kind` trait, e.g. `widgets-int-slider`).
"""

from __future__ import annotations

from .base import LAYOUT_KEYS, Control, CssProps, Layout
from .boolean import Button, Checkbox, ToggleButton
from .boxes import Accordion, Box, GridBox, HBox, Stack, Tab, VBox
from .interaction import fixed, interact, interact_manual, interactive, interactive_output
from .links import dlink, jsdlink, jslink, link
from .numeric import (
    FloatProgress,
    FloatRangeSlider,
    FloatSlider,
    FloatText,
    IntProgress,
    IntRangeSlider,
    IntSlider,
    IntText,
    Progress,
)
from .output import Output
from .pickers import ColorPicker, DatePicker, Image
from .selection import Dropdown, RadioButtons, Select, SelectMultiple
from .text import HTML, Label, Text, Textarea

__all__ = [
    "HTML",
    "LAYOUT_KEYS",
    "Accordion",
    "Box",
    "Button",
    "Checkbox",
    "ColorPicker",
    "Control",
    "CssProps",
    "DatePicker",
    "Dropdown",
    "FloatProgress",
    "FloatRangeSlider",
    "FloatSlider",
    "FloatText",
    "GridBox",
    "HBox",
    "Image",
    "IntProgress",
    "IntRangeSlider",
    "IntSlider",
    "IntText",
    "Label",
    "Layout",
    "Output",
    "Progress",
    "RadioButtons",
    "Select",
    "SelectMultiple",
    "Stack",
    "Tab",
    "Text",
    "Textarea",
    "ToggleButton",
    "VBox",
    "dlink",
    "fixed",
    "interact",
    "interact_manual",
    "interactive",
    "interactive_output",
    "jsdlink",
    "jslink",
    "link",
]

"""A notebook cell's code that makes one of every control (the list `controls`), for the browser
tests that check all of them at once (test_themes.py, test_accessibility.py)."""

EVERY_CONTROL = """
import widgets
styles = ("primary", "success", "info", "warning", "danger")
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
    *(widgets.Button(description=style, button_style=style) for style in styles),
    *(widgets.ToggleButton(description=style, button_style=style) for style in styles),
]
"""

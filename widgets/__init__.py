"""An MVC widget framework on Jupyter comms.

Public API (the whole of it)::

    Model            base class; traits tagged sync=True live in the kernel and the browser
    register         let the browser create instances of a Model class by name
    command          mark a Model method as callable from its views (`await model.invoke(name, args)`)
    Array            trait for numpy arrays and bytes-likes (sent as buffers, compared by identity)
    set_protocol     "auto" | "widgets" | "anywidget": the protocol models opened from now on speak
                     (also the WIDGETS_PROTOCOL environment variable; docs/hosts.md)
    to_html          a self-contained HTML page of the views of some models (no kernel, no network)
    save_html        the same page written to a file
    MIMETYPE, PROTOCOL_VERSION

The controls (`widgets.IntSlider`, `widgets.Dropdown`, `widgets.Button`, ... and `widgets.Layout`) live
in `widgets.controls`, imported on first use of one of their names, so `import widgets` stays fast.

`widgets.testing` holds a headless frontend for tests; `widgets.saved` reads and writes the state
document (docs/protocol.md) and `widgets.nbconvert` is nbconvert's preprocessor (docs/sharing.md).
"""

from typing import Any

from .commands import command
from .export import save_html, to_html
from .hosts import set_protocol
from .model import Model
from .protocol import MIMETYPE, PROTOCOL_VERSION
from .registry import ensure_targets as _ensure_targets
from .registry import register
from .traits import Array

# widgets.controls' names, imported on first use (widgets.controls.__all__; tests/unit/test_controls.py)
_CONTROLS = (
    "Accordion",
    "Box",
    "Button",
    "Checkbox",
    "ColorPicker",
    "DatePicker",
    "Dropdown",
    "FloatProgress",
    "FloatRangeSlider",
    "FloatSlider",
    "FloatText",
    "GridBox",
    "HBox",
    "HTML",
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
)

__all__ = [
    "MIMETYPE",
    "PROTOCOL_VERSION",
    "Array",
    "Model",
    "command",
    "register",
    "save_html",
    "set_protocol",
    "to_html",
    *_CONTROLS,
]
__version__ = "0.1.0"

_ensure_targets()


def __getattr__(name: str) -> Any:
    """The controls' names: `widgets.IntSlider` imports widgets.controls on first use."""
    if name in _CONTROLS:
        from . import controls

        return getattr(controls, name)
    raise AttributeError(f"module 'widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_CONTROLS})


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The jupyter_server extensions: TCP_NODELAY on (widgets/nodelay.py), saved widgets in HTML export
    (widgets/nbconvert.py)."""
    return [{"module": "widgets.nodelay"}, {"module": "widgets.nbconvert"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where `jupyter labextension develop` finds the prebuilt extension."""
    return [{"src": "labextension", "dest": "widgets-labextension"}]

"""An MVC widget framework on Jupyter comms.

Public API (the whole of it)::

    Model            base class; traits tagged sync=True live in the kernel and the browser
    register         let the browser create instances of a Model class by name
    Array            trait for numpy arrays and bytes-likes (sent as buffers, compared by identity)
    set_protocol     "auto" | "widgets" | "anywidget": the protocol models opened from now on speak
                     (also the WIDGETS_PROTOCOL environment variable; docs/hosts.md)
    MIMETYPE, PROTOCOL_VERSION

`widgets.testing` holds a headless frontend for tests.
"""

from .hosts import set_protocol
from .model import Model
from .protocol import MIMETYPE, PROTOCOL_VERSION
from .registry import ensure_targets as _ensure_targets
from .registry import register
from .traits import Array

__all__ = ["MIMETYPE", "PROTOCOL_VERSION", "Array", "Model", "register", "set_protocol"]
__version__ = "0.1.0"

_ensure_targets()


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The jupyter_server extension that turns TCP_NODELAY on (widgets/nodelay.py)."""
    return [{"module": "widgets.nodelay"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where `jupyter labextension develop` finds the prebuilt extension."""
    return [{"src": "labextension", "dest": "widgets-labextension"}]

"""A headless frontend for testing widgets without a browser or a kernel.

from widgets.testing import InProcessFrontend

with InProcessFrontend() as frontend:
    model = MyModel()
    frontend.invoke(model, "fit", {"degree": 2})   # a @widgets.command, over the real wire
"""

from .commands import CommandError, Invocation
from .frontend import Frontend, FrontendModel, WireMessage
from .inprocess import InProcessFrontend

__all__ = ["CommandError", "Frontend", "FrontendModel", "InProcessFrontend", "Invocation", "WireMessage"]

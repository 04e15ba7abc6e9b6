"""A headless frontend for testing widgets without a browser or a kernel.

from widgets.testing import InProcessFrontend
"""

from .frontend import Frontend, FrontendModel, WireMessage
from .inprocess import InProcessFrontend

__all__ = ["Frontend", "FrontendModel", "InProcessFrontend", "WireMessage"]

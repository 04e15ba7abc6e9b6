"""Output: placeholder being written (Output widget)."""

from __future__ import annotations

from traitlets import Unicode

from .base import Control, module


class Output(Control):
    _esm = module("output.js")
    _kind = Unicode("output").tag(sync=True, read_only=True)

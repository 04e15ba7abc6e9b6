"""Model classes shared by the unit tests."""

from __future__ import annotations

from typing import Any

import traitlets
from traitlets import Bytes, Dict, Instance, Int, List, TraitError, Unicode, observe, validate

import widgets

ESM = "export default { render({ model, el }) { el.textContent = model.get('value'); } }"


class Counter(widgets.Model):
    _esm = ESM
    _css = ".counter { color: red; }"
    value = Int(0).tag(sync=True)
    label = Unicode("").tag(sync=True)
    status = Unicode("idle").tag(sync=True, read_only=True)
    local = Int(0)  # not synced


class Items(widgets.Model):
    _esm = ESM
    items: List[Any] = List().tag(sync=True)
    table = Dict().tag(sync=True)
    blob = traitlets.Any(None).tag(sync=True)


class Strict(widgets.Model):
    _esm = ESM
    even = Int(0).tag(sync=True)
    doubled = Int(0).tag(sync=True)
    data = Bytes(b"").tag(sync=True)

    @validate("even")
    def _check_even(self, proposal: Any) -> int:
        if proposal["value"] % 2:
            raise TraitError("must be even")
        return int(proposal["value"])

    @observe("even")
    def _double(self, change: Any) -> None:
        self.doubled = change["new"] * 2
        if change["new"] == 666:
            raise RuntimeError("observer exploded")


class Parent(widgets.Model):
    _esm = ESM
    child = Instance(widgets.Model, allow_none=True).tag(sync=True)
    children = List(Instance(widgets.Model)).tag(sync=True)


class Typed(widgets.Model):
    """One trait of each kind the incoming checks treat specially."""

    _esm = ESM
    f = traitlets.Float(0.0).tag(sync=True)
    i = Int(0).tag(sync=True)
    li = List(Int()).tag(sync=True)
    lf = List(traitlets.Float()).tag(sync=True)
    t = traitlets.Tuple(Int(), Unicode(), default_value=(0, "")).tag(sync=True)
    di = Dict(value_trait=Int()).tag(sync=True)
    d = Dict().tag(sync=True)
    s = Unicode("").tag(sync=True)
    ls = List(Unicode()).tag(sync=True)
    tro = Int(0, read_only=True).tag(sync=True)  # traitlets' read_only: Python code may not set it, the browser may

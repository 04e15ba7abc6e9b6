"""Links between traits: `link` / `dlink` in the kernel, `jslink` / `jsdlink` in the browser.

`link` and `dlink` are traitlets' own (as in ipywidgets): Python observers, so they work with any
`HasTraits` and need the kernel for every change. `jslink` / `jsdlink` make a `Link` model whose
module links the two models' keys in the browser, so they keep working with no kernel at all: in a
notebook whose kernel is shut down, in an exported page. A Link has no view: its class is eager
(`_eager = True`), so the browser runs its module's `initialize` as soon as it has the model.
"""

from __future__ import annotations

from typing import Any, ClassVar

from traitlets import Bool, Instance, TraitError, Tuple, Unicode, validate
from traitlets import dlink as dlink  # the kernel-side links are traitlets' own, as in ipywidgets
from traitlets import link as link

from ..model import Model
from .base import module

__all__ = ["DirectionalLink", "Link", "dlink", "jsdlink", "jslink", "link"]

Endpoint = tuple[Model, str]


def _endpoint(pair: Any, which: str, writable: bool) -> Endpoint:
    """A (model, key) pair whose key the browser can read (a synced trait) and, when `writable`, write."""
    if not (isinstance(pair, tuple | list) and len(pair) == 2):
        raise TypeError(f"the {which} of a link must be a (model, 'key') pair, got {pair!r}")
    model, key = pair
    if not isinstance(model, Model):
        raise TypeError(f"the {which} of a link must be a widgets.Model, got {type(model).__name__}")
    if not isinstance(key, str):
        raise TypeError(f"the {which} key of a link must be a string, got {type(key).__name__}")
    name = f"{type(model).__name__}.{key}"
    if key not in model.sync_keys():
        raise TypeError(f"{name} is not a synced trait: the browser cannot see it (no .tag(sync=True))")
    if writable and key in model.read_only_keys():
        raise TypeError(f"{name} is read-only in the browser (only the kernel may change it): no link can set it")
    return model, key


class Link(Model):
    """Keeps `source` and `target`, two (model, key) pairs, equal in the browser, both ways.

    Made by `jslink`; `unlink()` (or `close()`) ends it. The first value copied is the source's.
    """

    _esm = module("link.js")
    _eager: ClassVar[bool] = True
    source = Tuple(Instance(Model), Unicode()).tag(sync=True, read_only=True)
    target = Tuple(Instance(Model), Unicode()).tag(sync=True, read_only=True)
    two_way = Bool(True).tag(sync=True, read_only=True)

    def __init__(self, source: Endpoint, target: Endpoint, **kwargs: Any) -> None:
        two_way = type(self).class_traits()["two_way"].default_value
        source = _endpoint(source, "source", writable=two_way)
        target = _endpoint(target, "target", writable=True)
        if source[0] is target[0] and source[1] == target[1]:
            raise ValueError(f"a link from {type(source[0]).__name__}.{source[1]} to itself does nothing")
        super().__init__(source=source, target=target, **kwargs)

    @validate("source", "target")
    def _check_ends(self, proposal: Any) -> Endpoint:
        """Ends changed later (`link.target = (other, "value")`) get the constructor's checks."""
        which = proposal["trait"].name
        try:
            pair = _endpoint(proposal["value"], which, writable=which == "target" or self.two_way)
        except TypeError as error:
            raise TraitError(str(error)) from None
        other = self.target if which == "source" else self.source
        if other and other[0] is pair[0] and other[1] == pair[1]:
            raise TraitError(f"a link from {type(pair[0]).__name__}.{pair[1]} to itself does nothing")
        return pair

    def unlink(self) -> None:
        """End the link (the browser stops copying values): closes the model, as in ipywidgets."""
        self.close()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """Text only: a link has nothing to show (its module has no `render`)."""
        return {"text/plain": repr(self)}

    def __repr__(self) -> str:
        arrow = "<->" if self.two_way else "->"
        ends = [f"{type(model).__name__}.{key}" for model, key in (self.source, self.target)]
        state = " (unlinked)" if self._sync is not None and self.closed else ""
        return f"{type(self).__name__}({ends[0]} {arrow} {ends[1]}){state}"


class DirectionalLink(Link):
    """Copies `source` to `target` in the browser, one way (made by `jsdlink`)."""

    two_way = Bool(False).tag(sync=True, read_only=True)


def jslink(source: Endpoint, target: Endpoint) -> Link:
    """Keep `source` and `target`, (model, "key") pairs, equal in the browser, also with no kernel.

    The target takes the source's value first. Both keys must be synced traits the browser may write.
    """
    return Link(source, target)


def jsdlink(source: Endpoint, target: Endpoint) -> DirectionalLink:
    """Copy `source` to `target`, (model, "key") pairs, in the browser whenever the source changes."""
    return DirectionalLink(source, target)

"""Real anywidget modules from PyPI ported onto `widgets.Model`, as docs/javascript.md tells authors to.

Each port takes the installed package's `_esm` and `_css` as they are (the package's files, not a
copy in this repository) and copies the library's synced trait declarations, tags included, so
the kernel side validates and serializes exactly as the library declared. Only what the
framework does itself changes: references to child widgets become our own port classes.
"""

from __future__ import annotations

import copy
from typing import Any

from traitlets import HasTraits, TraitType


def synced_traits(*classes: type[HasTraits], skip: tuple[str, ...] = ()) -> dict[str, TraitType[Any, Any]]:
    """Copies of the `sync=True` traits that `classes` declare themselves (not those they inherit
    from ipywidgets or anywidget), for a port's class body: `locals().update(synced_traits(...))`.

    Copies, because a trait object belongs to the one class it was declared on.
    """
    found: dict[str, TraitType[Any, Any]] = {}
    for cls in reversed(classes):  # the first class wins, as in an MRO
        for name, trait in cls.class_own_traits(sync=True).items():
            if name not in skip:
                found[name] = copy.deepcopy(trait)
    return found

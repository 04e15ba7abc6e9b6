"""`Model`: a traitlets class whose `sync=True` traits live in the kernel and in the browser.

Mirrors frontend/src/model.ts. A model with no comm backend (plain Python) is an ordinary
traitlets object: nothing is opened and no sync state is allocated.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from traitlets import HasTraits

from . import assets, hosts, serialize, waiting
from .commands import Command, collect_commands
from .compat import COMPAT_TARGET, WIDGET_VIEW_MIMETYPE, CompatSync
from .flusher import LOCK
from .incoming import check_value
from .marimo import MarimoWidget
from .patch import json_same
from .protocol import MIMETYPE, MODEL_TARGET, PROTOCOL_VERSION, JSONDict, ProtocolError, envelope, truncate
from .serialize import Referable
from .sync import MessageCallback, ModelSync
from .traits import Array

# `.tag(sync=True, read_only=True)` is our tag; traitlets warns because its constructor has a
# `read_only` argument too (which refuses writes from Python; the browser may still write those).
warnings.filterwarnings("ignore", message=r"The following attributes are set in using `tag`.*\{'read_only'\}")

live: dict[str, Model] = {}
"""Every model with an open comm, by model id (how references from the browser resolve)."""

eager: dict[str, Model] = {}
"""Every instance of an eager class (`_eager = True`) not closed, with a comm or without, by model id:
no output shows them, so the state document adds those that refer only to models it holds (saved.py)."""

# The comm a browser opened, waiting for the model of that class being created against it
# (registry._open_model): `[cls, comm]`, taken once, so models the constructor makes open their own.
adopting: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("adopting", default=None)


def new_model_id() -> str:
    """A fresh random model id (tests that record exchanges replace it with a counter)."""
    return os.urandom(16).hex()


def has_comm_backend() -> bool:
    """True inside a kernel (or a testing Frontend): someone replaced comm's dummy factory.

    ipykernel imports `comm` long before user code runs, so when it is not imported there is
    no kernel, and `import widgets` stays fast by not importing it either.
    """
    comm = sys.modules.get("comm")
    return comm is not None and comm.create_comm is not comm._create_comm


class Model(HasTraits, Referable, MarimoWidget):
    """Base class of every widget model.

    Subclass it, give it `_esm` (and optionally `_css`): inline source or a path to a file, and
    declare traits with `.tag(sync=True)`; `.tag(sync=True, read_only=True)` makes a trait
    kernel-owned. It implements `sync.SyncedModel` for its ModelSync (`compat.CompatModel` for a
    CompatSync, when it speaks anywidget's protocol: widgets/hosts.py decides).
    """

    _esm: ClassVar[str | Any] = None
    _css: ClassVar[str | Any] = None
    _esm_asset: ClassVar[assets.Asset | None] = None
    _css_asset: ClassVar[assets.Asset | None] = None
    _sync_interval: ClassVar[float] = 0.016
    """Seconds between two updates of one model; changes in between merge (see docs/protocol.md)."""
    _eager: ClassVar[bool] = False
    """True: the browser runs the module's `initialize` as soon as it has the model, with no view
    (a model that is never displayed, such as a jslink; docs/protocol.md, `eager`)."""

    # Per-instance state lives in class-level defaults until needed, to keep a model small.
    _model_id: str | None = None
    _sync: ModelSync | None = None
    _callbacks: list[MessageCallback] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("esm", "css"):
            if f"_{name}" in cls.__dict__:
                setattr(cls, f"_{name}_asset", assets.resolve(cls, f"_{name}", cls.__dict__[f"_{name}"]))
        cls._sync_keys_cache = None
        cls._read_only_cache = None

    def __init__(self, **kwargs: Any) -> None:
        browser_comm = None
        waiting = adopting.get()
        if waiting is not None and waiting[0] is type(self) and waiting[1] is not None:
            browser_comm, waiting[1] = waiting[1], None
        super().__init__(**kwargs)
        if browser_comm is not None or has_comm_backend():
            self._open(browser_comm)
        if self._eager:
            eager[self.model_id] = self

    # --- class introspection ---------------------------------------------------------------

    _sync_keys_cache: ClassVar[list[str] | None] = None
    _read_only_cache: ClassVar[list[str] | None] = None

    @classmethod
    def sync_keys(cls) -> list[str]:
        """Names of the traits tagged `sync=True`."""
        if cls.__dict__.get("_sync_keys_cache") is None:
            cls._sync_keys_cache = sorted(cls.class_trait_names(sync=True))
        return cls.__dict__["_sync_keys_cache"]  # type: ignore[no-any-return]

    @classmethod
    def read_only_keys(cls) -> list[str]:
        """Synced traits the browser may not write: `.tag(read_only=True)` only.

        traitlets' own `read_only=True` argument refuses writes from Python code, not from the
        browser (as in ipywidgets, whose modules write such traits).
        """
        if cls.__dict__.get("_read_only_cache") is None:
            traits = cls.class_traits(sync=True)
            cls._read_only_cache = sorted(name for name, trait in traits.items() if trait.metadata.get("read_only"))
        return cls.__dict__["_read_only_cache"]  # type: ignore[no-any-return]

    @classmethod
    def check_key(cls, key: str) -> None:
        """Refuse a key the browser may not write (`unknown_key`, `read_only`); for updates and creates alike."""
        if key not in cls.sync_keys():
            raise ProtocolError("unknown_key", f"'{truncate(key, 100)}' is not a synced trait of {cls.__name__}", key)
        if key in cls.read_only_keys():
            raise ProtocolError("read_only", f"'{key}' is read-only: only the kernel may change it", key)

    @classmethod
    def decode_value(cls, key: str, value: Any, model: Model | None = None) -> Any:
        """A value from the browser as Python sees it: checked (widgets.incoming), references resolved,
        through the trait's `from_json` converter (given `model`, None while the browser creates it)."""
        cls.check_key(key)
        trait = cls.class_traits()[key]
        from_json = trait.metadata.get("from_json")
        check_value(key, value, None if from_json is not None else trait)
        value = serialize.from_json(value, live.get)
        return value if from_json is None else from_json(value, model)

    @classmethod
    def command_table(cls) -> Mapping[str, Command]:
        """The methods views may call by name (`@widgets.command`, or anywidget's `experimental.command`)."""
        return collect_commands(cls)

    @classmethod
    def class_name(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    # --- identity and display --------------------------------------------------------------

    @property
    def model_id(self) -> str:
        if self._model_id is None:
            self._model_id = new_model_id()
        return self._model_id

    @property
    def closed(self) -> bool:
        return self._sync is None or self._sync.closed

    @property
    def protocol(self) -> str | None:
        """The protocol this model's comm speaks: "widgets", "anywidget" (docs/hosts.md), None without a comm."""
        if self._sync is None:
            return None
        return "anywidget" if isinstance(self._sync, CompatSync) else "widgets"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        text = repr(self)
        if self.closed:
            return {"text/plain": text + " (closed)" if self._sync else text}
        if isinstance(self._sync, CompatSync):  # what ipywidgets and anywidget display (protocol 2.1)
            view = {"version_major": 2, "version_minor": 1, "model_id": self.model_id}
            data = {"text/plain": text, WIDGET_VIEW_MIMETYPE: view}
            metadata = hosts.display_metadata(WIDGET_VIEW_MIMETYPE)
            return (data, metadata) if metadata else data
        return {"text/plain": text, MIMETYPE: {"model_id": self.model_id, "protocol": PROTOCOL_VERSION}}

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={_short(getattr(self, k))}" for k in self.sync_keys())
        return f"{type(self).__name__}({values})"

    # --- the comm --------------------------------------------------------------------------

    def _open(self, browser_comm: Any, protocol: str | None = None) -> None:
        """Open the comm in the protocol of this host (widgets.hosts), or in `protocol` when given."""
        import comm  # only when there is a comm backend: keeps `import widgets` fast

        host = None
        if browser_comm is not None:
            protocol = "widgets"  # the browser spoke ours to create it
        elif protocol is None:
            protocol, host = hosts.choose()
        compat = protocol == "anywidget"
        if compat:
            hosts.prepare(host)
        sync = CompatSync(self) if compat else ModelSync(self)
        target = COMPAT_TARGET if compat else MODEL_TARGET
        with LOCK:
            self._sync = sync
            if browser_comm is not None:
                self._model_id = browser_comm.comm_id
            live[self.model_id] = self
            try:
                if browser_comm is None:
                    sync.open_comm(comm.get_comm_manager(), comm.create_comm, target, self.model_id)
                else:  # registry._open_model announces it once the constructor has finished
                    sync.adopt(browser_comm)
            except BaseException:
                live.pop(self.model_id, None)
                self._sync = None
                raise
            sync.comm.on_msg(sync.handle_msg)
            sync.comm.on_close(lambda _msg: self._closed_by_browser(sync))

    # Waiting in a running cell for what the browser does (docs/live-cells.md): `m.wait_for("value",
    # timeout=5)`, `m.wait_until(lambda m: m.value > 3)`, and `await m.wait_for_async("value")`.
    wait_for = waiting.wait_for
    wait_until = waiting.wait_until
    wait_for_async = waiting.wait_for_async
    wait_until_async = waiting.wait_until_async

    def close(self) -> None:
        """Close the comm (the browser drops the model and its views) and free the model."""
        if self._eager:
            eager.pop(self.model_id, None)
        sync = self._sync
        if sync is None or sync.closed:
            return
        with LOCK:
            sync.close()
            live.pop(self.model_id, None)
            if sync.comm is not None:
                sync.comm.close(data=None if isinstance(sync, CompatSync) else envelope("close"))

    def _closed_by_browser(self, sync: ModelSync) -> None:
        if self._sync is sync and not sync.closed:
            sync.close()
            live.pop(self.model_id, None)
            eager.pop(self.model_id, None)

    def _reopen(self, protocol: str) -> None:
        """Close this model's comm and open it again, with the same id, in `protocol`."""
        with LOCK:
            old = self._sync
            if old is None or old.closed:
                return
            old.close()
            if old.comm is not None:
                with contextlib.suppress(Exception):  # the old comm's host may be gone: the new one matters
                    old.comm.close(data=None if isinstance(old, CompatSync) else envelope("close"))
            self._sync = None
            self._open(None, protocol)

    # --- custom messages -------------------------------------------------------------------

    def send(self, content: Any, buffers: list[Any] | None = None) -> None:
        """Send a custom message to every view (`msg:custom` in the browser)."""
        if self._sync is not None:
            self._sync.send_custom(content, buffers)

    def on_msg(self, callback: MessageCallback, remove: bool = False) -> None:
        """Call `callback(model, content, buffers)` for each custom message from the browser."""
        if self._callbacks is None:
            self._callbacks = []
        if remove:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(callback)
        else:
            self._callbacks.append(callback)

    def message_callbacks(self) -> list[MessageCallback]:
        return self._callbacks or []

    # --- batching and in-place mutation ---------------------------------------------------

    @contextlib.contextmanager
    def hold_sync(self) -> Iterator[None]:
        """Batch every change made inside into one message, sent when the block ends."""
        sync = self._sync
        if sync is None:
            yield
            return
        with sync.held():
            yield

    @contextlib.contextmanager
    def mutate(self, name: str) -> Iterator[Any]:
        """Yield the value of trait `name` to change in place; the change is sent when the block ends.

        Only the difference travels (a JSON Patch for lists and dicts).
        """
        if name not in self.sync_keys():
            raise KeyError(f"{name!r} is not a synced trait of {type(self).__name__}")
        with self.hold_sync():
            yield getattr(self, name)
            self.touch(name)

    def touch(self, *names: str) -> None:
        """Mark traits changed in place as changed, so their difference is sent."""
        for name in names:
            if name not in self.sync_keys():
                raise KeyError(f"{name!r} is not a synced trait of {type(self).__name__}")
            if self._sync is not None:
                self._sync.mark_dirty(name)

    # --- traitlets hooks -------------------------------------------------------------------

    def notify_change(self, change: Any) -> None:
        sync = self._sync
        if sync is not None and change.get("type") == "change" and change["name"] in self.sync_keys():
            sync.mark_dirty(change["name"])
        super().notify_change(change)

    # --- sync.SyncedModel: what the ModelSync uses --------------------------------------------

    def sync_interval(self) -> float:
        return self._sync_interval

    def encode_key(self, key: str) -> Any:
        value = getattr(self, key)
        to_json = self.traits()[key].metadata.get("to_json")
        return value if to_json is None else to_json(value, self)

    def decode_key(self, key: str, value: Any) -> Any:
        """`decode_value`, then the trait's own validation (TraitError when it refuses)."""
        return self.traits()[key]._validate(self, self.decode_value(key, value, self))

    def set_decoded(self, key: str, value: Any) -> None:
        """Store a validated value as traitlets' TraitType.set does, without validating twice.

        Also for traits with traitlets' `read_only=True` (which setattr would refuse). An equal
        value keeps the object already held, so no structure of the shadow state ends up in a trait.
        """
        trait = self.traits()[key]
        old = self._trait_values.get(key, _MISSING)
        if old is _MISSING:
            old = trait.default_value
        try:
            silent = old is value or (not isinstance(trait, Array) and json_same(old, value))
        except Exception:
            silent = False
        if silent:
            return
        self._trait_values[key] = value
        self._notify_trait(key, old, value)

    def decode_content(self, content: Any) -> Any:
        return serialize.from_json(content, live.get)

    # --- compat.CompatModel: what a CompatSync uses besides ------------------------------------

    def compat_fields(self) -> JSONDict:
        cls = type(self)
        esm, css = cls._esm_asset, cls._css_asset
        fields: JSONDict = {"_esm": esm.source if esm is not None else _NO_ESM, "_anywidget_id": cls.class_name()}
        if css is not None:
            fields["_css"] = css.source
        return fields

    def open_references_compat(self, key: str) -> None:
        """Models this trait refers to that speak our protocol are reopened in anywidget's (all the host knows)."""
        for child in _models_in(getattr(self, key)):
            if child is not self and child._sync is not None and not child.closed and child.protocol == "widgets":
                child._reopen("anywidget")

    def describe(self, manager: Any, include_all_assets: bool) -> JSONDict:
        hashes, sources = assets.fields(type(self), manager, include_all_assets)
        described = {"class": self.class_name(), **hashes, "assets": sources, "read_only": self.read_only_keys()}
        return {**described, "eager": True} if self._eager else described


_MISSING = object()
_PLAIN = frozenset([int, float, bool, str, bytes, type(None)])
_NO_ESM = """export default { render({ model, el }) {
  el.textContent = `${model.get("_anywidget_id")} has no _esm (its view module)`;
} }"""


def _models_in(value: Any) -> Iterator[Model]:
    """The models inside a trait's value (lists, tuples, sets and dicts, nested)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Model):
            yield item
        elif isinstance(item, (list, tuple, set, frozenset)):
            if not set(map(type, item)) <= _PLAIN:
                stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(v for v in item.values() if type(v) not in _PLAIN)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

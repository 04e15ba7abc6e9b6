"""Classes the browser may create, and the two comm targets' open handlers.

The last link of the import chain (protocol/patch/buffers/serialize -> sync -> model -> registry):
it uses models, nothing below uses it. `live` (every model with a comm) is widgets.model's.
"""

from __future__ import annotations

from typing import Any, TypeVar

from traitlets import TraitError

from . import assets
from .buffers import insert_buffers
from .flusher import FLUSHER, LOCK, trailing_flush
from .model import Model, adopting, has_comm_backend, live
from .protocol import (
    CONTROL_TARGET,
    MODEL_TARGET,
    ErrorEntry,
    JSONDict,
    ProtocolError,
    check_client,
    check_envelope,
    check_request,
    envelope,
    error_message,
    truncate,
)
from .sync import handler_error

__all__ = ["classes", "ensure_targets", "live", "register"]

classes: dict[str, type[Model]] = {}

M = TypeVar("M", bound="type[Model]")

_MAX_HASHES = 256


def register(target: M | str | None = None) -> Any:
    """Let the browser create instances of a Model class by name (`create` on `widgets.model`).

    `@register` uses the class's dotted name; `@register("counter")` a name of your choice.
    """

    def decorate(cls: M, name: str | None = None) -> M:
        classes[name or cls.class_name()] = cls
        return cls

    if isinstance(target, type):
        return decorate(target)
    return lambda cls: decorate(cls, target)


def ensure_targets() -> None:
    """Register our comm targets with the current comm manager (idempotent)."""
    if not has_comm_backend():
        return
    import comm  # imported by the kernel already; `import widgets` outside one stays fast

    manager = comm.get_comm_manager()
    if manager.targets.get(MODEL_TARGET) is not _open_model:
        manager.register_target(MODEL_TARGET, _open_model)
        manager.register_target(CONTROL_TARGET, _open_control)
    _route_by_header(manager)


_OUR_TARGETS = frozenset([MODEL_TARGET, CONTROL_TARGET])


def _route_by_header(manager: Any) -> None:
    """Let the browser choose the subshell of our comms' messages (docs/live-cells.md).

    ipykernel 7.4 sends each `comm_msg`/`comm_close` of a comm to the subshell the comm last
    published from (`BaseComm._reply_subshell_for`, asked on the shell-channel thread), whatever
    subshell the message names: for a model a cell made, the main shell, behind the running cell.
    Our frontend sends on a subshell of its own, so for comms of our targets a subshell named in
    the header wins; a message naming none is routed as ipykernel would. Installed on every comm
    of our targets as the manager registers it (kernel- and browser-opened), before any message.
    """
    if getattr(manager, "_widgets_route_by_header", False) or not hasattr(manager, "register_comm"):
        return
    register = manager.register_comm

    def register_comm(opened: Any) -> Any:
        if getattr(opened, "target_name", None) in _OUR_TARGETS:
            _follow_header(opened)
        return register(opened)

    manager.register_comm = register_comm
    manager._widgets_route_by_header = True


def _follow_header(opened: Any) -> None:
    original = getattr(opened, "_reply_subshell_for", None)
    if original is None:  # an ipykernel without this routing honours the header already
        return

    def route(data: Any, default: str | None) -> str | None:
        return default if default is not None else original(data, default)  # type: ignore[no-any-return]

    opened._reply_subshell_for = route


def _fail(browser_comm: Any, entry: ErrorEntry) -> None:
    browser_comm.send(error_message(entry))
    browser_comm.close()


def _decode_create(msg: JSONDict) -> tuple[type[Model], dict[str, Any]]:
    """The class and constructor values of a browser `create`, with the checks of an update."""
    data = check_envelope(msg.get("content", {}).get("data"))
    if data["method"] != "create":
        raise ProtocolError(
            "bad_message", f"a browser-opened model comm must start with 'create', not {truncate(data['method'], 40)!r}"
        )
    name = data.get("class")
    cls = classes.get(name) if isinstance(name, str) else None
    if cls is None:
        shown = truncate(name, 100) if isinstance(name, str) else type(name).__name__
        raise ProtocolError("unknown_class", f"no model class is registered as {shown!r}; known: {sorted(classes)}")
    state = data.get("state", {})
    if not isinstance(state, dict):
        raise ProtocolError("bad_message", "'state' must be an object")
    insert_buffers(data, list(msg.get("buffers") or []))
    values: dict[str, Any] = {}
    for key, value in state.items():
        try:
            values[key] = cls.decode_value(key, value)
        except ProtocolError:
            raise
        except Exception as error:  # a from_json converter refused it
            raise ProtocolError("validation", f"{type(error).__name__}: {error}", key) from None
    return cls, values


def _open_model(browser_comm: Any, msg: JSONDict) -> None:
    """The browser opened a model comm: create an instance of a registered class on it."""
    try:
        cls, values = _decode_create(msg)
    except ProtocolError as error:
        _fail(browser_comm, error.as_entry())
        return
    traits = cls.class_traits()
    # traitlets' read_only traits refuse the constructor's setattr; the browser may write them.
    forced = {key: value for key, value in values.items() if traits[key].read_only}
    token = adopting.set([cls, browser_comm])
    try:
        created = cls(**{key: value for key, value in values.items() if key not in forced})
        for key, value in forced.items():
            created.set_trait(key, value)
        if created._sync is not None:
            created._sync.announce()
    except Exception as error:
        half_made = live.get(browser_comm.comm_id)  # an __init__ that raised after Model.__init__ ran
        if half_made is not None and half_made._sync is not None:
            half_made._sync.close()
            del live[browser_comm.comm_id]
        if isinstance(error, TraitError):
            _fail(browser_comm, {"kind": "validation", "message": truncate(str(error))})
        else:
            _fail(browser_comm, handler_error(error))
    finally:
        adopting.reset(token)


def _open_control(control_comm: Any, msg: JSONDict) -> None:
    try:
        data = check_envelope(msg.get("content", {}).get("data"))
        if data["method"] != "hello":
            raise ProtocolError(
                "bad_message", f"the control comm opens with 'hello', not {truncate(data['method'], 40)!r}"
            )
        if "client" in data:
            check_client(data["client"])
    except ProtocolError as error:
        _fail(control_comm, error.as_entry())
        return
    control_comm.on_msg(lambda message: _on_control(control_comm, message))


def _restore_reply(request: str | None) -> tuple[JSONDict, list[memoryview]]:
    import comm  # a control comm exists, so the kernel's comm package does

    models: list[JSONDict] = []
    buffers: list[memoryview] = []
    paths: list[list[Any]] = []
    sources: dict[str, str] = {}
    manager = comm.get_comm_manager()
    with LOCK:
        FLUSHER.flush_all()
        for model_id, model in list(live.items()):
            sync = model._sync
            if sync is None or sync.closed or not sync.announced or model.protocol != "widgets":
                continue
            if sync.dirty:
                trailing_flush(sync)  # a failure is reported; the snapshot is then the last sent state
            body, model_buffers, _fresh = sync.state_fields(manager, include_all_assets=True)
            sources.update(body.pop("assets"))
            index = len(models)
            paths.extend(["models", index, *path] for path in body.pop("buffer_paths"))
            buffers.extend(model_buffers)
            models.append({"model_id": model_id, **body})
    reply = envelope("restore_reply", request=request, models=models, assets=sources, buffer_paths=paths)
    return reply, buffers


def _on_control(control_comm: Any, msg: JSONDict) -> None:
    request: str | None = None
    try:
        data = check_envelope(msg.get("content", {}).get("data"))
        request = check_request(data.get("request"))
        if msg.get("buffers"):
            raise ProtocolError("bad_buffer", "control messages carry no buffers")
        method = data["method"]
        if method == "restore":
            reply, buffers = _restore_reply(request)
            control_comm.send(reply, buffers=buffers or None)
        elif method == "assets":
            wanted = data.get("hashes")
            if (
                not isinstance(wanted, list)
                or len(wanted) > _MAX_HASHES
                or not all(isinstance(h, str) and len(h) <= 64 for h in wanted)
            ):
                raise ProtocolError("bad_message", f"'hashes' must be a list of at most {_MAX_HASHES} short strings")
            found = assets.lookup(list({type(m) for m in live.values()} | set(classes.values())), wanted)
            control_comm.send(envelope("assets_reply", request=request, assets=found))
        elif method != "hello":
            raise ProtocolError("bad_message", f"unknown control method {truncate(method, 40)!r}")
    except ProtocolError as error:
        entry = error.as_entry()
        if request is not None:
            entry["request"] = request
        control_comm.send(error_message(entry))
    except Exception as error:
        control_comm.send(error_message({**handler_error(error), "kind": "bad_message"}))

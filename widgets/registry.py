"""Live models, classes the browser may create, and the two comm targets' open handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from .protocol import CONTROL_TARGET, MODEL_TARGET, JSONDict, ProtocolError, check_envelope, error_message

if TYPE_CHECKING:
    from .model import Model

live: dict[str, Model] = {}
classes: dict[str, type[Model]] = {}

M = TypeVar("M", bound="type[Model]")


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
    from .model import has_comm_backend

    if not has_comm_backend():
        return
    import comm

    manager = comm.get_comm_manager()
    if manager.targets.get(MODEL_TARGET) is not _open_model:
        manager.register_target(MODEL_TARGET, _open_model)
        manager.register_target(CONTROL_TARGET, _open_control)


def _fail(browser_comm: Any, entry: JSONDict) -> None:
    browser_comm.send(error_message(entry))
    browser_comm.close()


def _open_model(browser_comm: Any, msg: JSONDict) -> None:
    """The browser opened a model comm: create an instance of a registered class on it."""
    from . import serialize
    from .buffers import insert_buffers
    from .model import adopting

    try:
        data = check_envelope(msg.get("content", {}).get("data"))
        if data["method"] != "create":
            raise ProtocolError(
                "bad_message", f"a browser-opened model comm must start with 'create', not {data['method']!r}"
            )
        name = data.get("class")
        cls = classes.get(name) if isinstance(name, str) else None
        if cls is None:
            raise ProtocolError("unknown_class", f"no model class is registered as {name!r}; known: {sorted(classes)}")
        insert_buffers(data, list(msg.get("buffers") or []))
        state = data.get("state", {})
        if not isinstance(state, dict):
            raise ProtocolError("bad_message", "'state' must be an object")
        for key in state:
            if key not in cls.sync_keys():
                raise ProtocolError("unknown_key", f"'{key}' is not a synced trait of {cls.__name__}", key)
            if key in cls.read_only_keys():
                raise ProtocolError("read_only", f"'{key}' is read-only: only the kernel may set it", key)
    except ProtocolError as error:
        _fail(browser_comm, error.as_entry())
        return
    token = adopting.set([cls, browser_comm])
    try:
        created = cls(**{key: cls.decode_value(key, serialize.from_json(value)) for key, value in state.items()})
        if created._sync is not None:
            created._sync.send_state()
    except Exception as error:
        from .sync import handler_error

        half_made = live.get(browser_comm.comm_id)  # an __init__ that raised after Model.__init__ ran
        if half_made is not None and half_made._sync is not None:
            half_made._sync.close()
            del live[browser_comm.comm_id]

        kind = "validation" if type(error).__name__ == "TraitError" else "handler"
        _fail(browser_comm, {**handler_error(error), "kind": kind})
    finally:
        adopting.reset(token)


def _open_control(control_comm: Any, msg: JSONDict) -> None:
    control_comm.on_msg(lambda message: _on_control(control_comm, message))


def _on_control(control_comm: Any, msg: JSONDict) -> None:
    import comm

    from . import assets
    from .protocol import envelope
    from .sync import FLUSHER, LOCK

    data: Any = None
    try:
        data = check_envelope(msg.get("content", {}).get("data"))
        request = data.get("request")
        method = data["method"]
        if method == "restore":
            with LOCK:
                FLUSHER.flush_all()
                models: list[JSONDict] = []
                buffers: list[memoryview] = []
                paths: list[list[Any]] = []
                sources: dict[str, str] = {}
                manager = comm.get_comm_manager()
                for model_id, model in list(live.items()):
                    sync = model._sync
                    if sync is None or sync.closed:
                        continue
                    if sync.dirty:
                        sync.flush()
                    body, model_buffers = sync.state_fields(manager, include_all_assets=True)
                    sources.update(body.pop("assets"))
                    index = len(models)
                    paths.extend(["models", index, *path] for path in body.pop("buffer_paths"))
                    buffers.extend(model_buffers)
                    models.append({"model_id": model_id, **body})
            reply = envelope("restore_reply", request=request, models=models, assets=sources, buffer_paths=paths)
            control_comm.send(reply, buffers=buffers or None)
        elif method == "assets":
            wanted = data.get("hashes")
            if not isinstance(wanted, list):
                raise ProtocolError("bad_message", "'hashes' must be a list")
            found = assets.lookup(list({type(m) for m in live.values()} | set(classes.values())), wanted)
            control_comm.send(envelope("assets_reply", request=request, assets=found))
        elif method != "hello":
            raise ProtocolError("bad_message", f"unknown control method {method!r}")
    except ProtocolError as error:
        entry = error.as_entry()
        if isinstance(data, dict) and "request" in data:
            entry["request"] = data["request"]
        control_comm.send(error_message(entry))
    except Exception as error:
        from .sync import handler_error

        control_comm.send(error_message({**handler_error(error), "kind": "bad_message"}))

"""The state document: models' values, classes and assets as one JSON text, rendered with no kernel.

Mirrors frontend/src/saved.ts; the format is docs/protocol.md, "Saved state: widgets without a
kernel" (shared cases: tests/protocol_cases/saved_cases.json). A notebook keeps it under the
metadata key `widgets-state`; an HTML export embeds it in a script element (widgets/export.py).
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Iterator
from typing import Any

from . import serialize
from .buffers import _DTYPES
from .model import Model, _models_in, eager, live
from .protocol import PROTOCOL_MAJOR, PROTOCOL_VERSION, REFERENCE_PREFIX, JSONDict, Path

FORMAT = "widgets-state"
VERSION = 1
METADATA_KEY = "widgets-state"

_ClassKey = tuple[str, str | None, str | None, tuple[str, ...], tuple[str, ...]]
_ABSENT = object()


class SavedStateError(ValueError):
    """A state document this reader refuses; the message says which part and why."""


# --- writing --------------------------------------------------------------------------------


def document(models: Iterable[Model]) -> JSONDict:
    """The state document of `models`, of every model their values reach, and of the eager models
    (jslinks) between those, each once.

    Values are the models' current traits, encoded as on the wire; works for models with no comm
    (plain Python) as for live ones.
    """
    classes: list[JSONDict] = []
    class_index: dict[_ClassKey, int] = {}
    by_type: dict[type, tuple[int, list[str]]] = {}
    assets: dict[str, str] = {}
    entries: dict[str, list[Any]] = {}
    chosen = list(_reachable(models))
    chosen.extend(_eager_between(chosen))
    for model in chosen:
        cls = type(model)
        known = by_type.get(cls)
        if known is None:
            known = by_type[cls] = _describe(cls, classes, class_index, assets)
        index, keys = known
        values: list[Any] = []
        paths: list[Path] = []
        buffers: list[str] = []
        for position, key in enumerate(keys):
            encoded, binaries = serialize.to_json(model.encode_key(key))
            values.append(encoded)
            for path, buffer in binaries:
                paths.append([position, *path])
                buffers.append(binascii.b2a_base64(buffer, newline=False).decode("ascii"))
        entries[model.model_id] = [index, values, paths, buffers] if paths else [index, values]
    return {
        "format": FORMAT,
        "version": VERSION,
        "protocol": PROTOCOL_VERSION,
        "classes": classes,
        "assets": assets,
        "models": entries,
    }


def _describe(
    cls: type[Model], classes: list[JSONDict], class_index: dict[_ClassKey, int], assets: dict[str, str]
) -> tuple[int, list[str]]:
    """The index of `cls`'s entry in `classes` (added if new) and its keys; its sources go in `assets`."""
    hashes: list[str | None] = []
    for asset in (cls._esm_asset, cls._css_asset):
        if asset is None:
            hashes.append(None)
        else:
            assets.setdefault(asset.hash, asset.source)
            hashes.append(asset.hash)
    keys = cls.sync_keys()
    read_only = cls.read_only_keys()
    identity: _ClassKey = (cls.class_name(), hashes[0], hashes[1], tuple(keys), tuple(read_only))
    index = class_index.get(identity)
    if index is None:
        index = class_index[identity] = len(classes)
        entry = {"name": identity[0], "esm": hashes[0], "css": hashes[1], "read_only": list(read_only)}
        classes.append({**entry, "keys": list(keys), **({"eager": True} if cls._eager else {})})
    return index, keys


def _reachable(models: Iterable[Model]) -> Iterator[Model]:
    """`models`, then the models their values refer to, transitively, each once (by model id)."""
    seen: set[str] = set()
    queue = list(models)
    for model in queue:  # the queue grows while it is walked
        if not isinstance(model, Model):
            raise TypeError(f"expected widgets.Model instances, got {type(model).__name__}")
        if model.model_id in seen:
            continue
        seen.add(model.model_id)
        yield model
        queue.extend(_references(model))


def _references(model: Model) -> Iterator[Model]:
    """The models `model`'s values refer to (directly)."""
    traits = model.traits()
    for key in model.sync_keys():
        yield from _models_in(getattr(model, key))
        if traits[key].metadata.get("to_json") is not None:
            yield from _referenced(model.encode_key(key))


def _eager_between(chosen: list[Model]) -> list[Model]:
    """The eager models not closed (a jslink: no output shows it) that refer to at least one of
    `chosen` and to no other model, until no more qualify (one may link another's ends)."""
    ids = {model.model_id for model in chosen}
    found: list[Model] = []
    waiting = [model for model in list(eager.values()) if model.model_id not in ids]
    while waiting:
        kept = []
        for model in waiting:
            refs = {ref.model_id for ref in _references(model)}
            if refs and refs <= ids:
                ids.add(model.model_id)
                found.append(model)
            else:
                kept.append(model)
        if len(kept) == len(waiting):
            break
        waiting = kept
    return found


def _referenced(value: Any) -> Iterator[Model]:
    """Models a converter's output holds, as objects or as references to live models."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Model):
            yield item
        elif isinstance(item, str):
            if item.startswith(REFERENCE_PREFIX):
                found = live.get(item[len(REFERENCE_PREFIX) :])
                if found is not None:
                    yield found
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())


def dumps(doc: JSONDict) -> str:
    """The document's compact JSON text (the form a notebook's metadata stores)."""
    import json

    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


# --- reading --------------------------------------------------------------------------------


def loads(source: str | bytes | JSONDict) -> JSONDict:
    """The document in `source` (its text, or the parsed object), checked; SavedStateError if it is not one."""
    if isinstance(source, (str, bytes, bytearray)):
        import json

        try:
            doc = json.loads(source)
        except ValueError as error:
            raise SavedStateError(f"the state document is not valid JSON: {error}") from None
    else:
        doc = source
    _check(doc)
    return doc  # type: ignore[no-any-return]


def decode(source: str | bytes | JSONDict) -> dict[str, JSONDict]:
    """Each model of a document: its class name, module and stylesheet sources, read-only keys and state
    (and `eager: True` for an eager class's).

    Binary values become bytes (an ndarray's dtype and shape are in its placeholder, checked on
    reading); references stay `"IPY_MODEL_<id>"` strings. For tests and tools.
    """
    doc = loads(source)
    classes, assets = doc["classes"], doc["assets"]
    out: dict[str, JSONDict] = {}
    for model_id, entry in doc["models"].items():
        cls = classes[entry[0]]
        values = serialize.copy_json(entry[1])
        if len(entry) == 4:
            for path, text in zip(entry[2], entry[3], strict=True):
                parent: Any = values
                for step in path[:-1]:
                    parent = parent[step]
                parent[path[-1]] = binascii.a2b_base64(text)
        out[model_id] = {
            "class": cls["name"],
            "esm": None if cls["esm"] is None else assets[cls["esm"]],
            "css": None if cls["css"] is None else assets[cls["css"]],
            "read_only": list(cls["read_only"]),
            "state": dict(zip(cls["keys"], values, strict=True)),
        }
        if cls.get("eager"):
            out[model_id]["eager"] = True
    return out


def _check(doc: Any) -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SavedStateError(f"not a widgets-state document (its 'format' must be {FORMAT!r})")
    version = doc.get("version")
    if type(version) is not int or version != VERSION:
        raise SavedStateError(f"unsupported state version {_show(version)} (this reader knows version {VERSION})")
    protocol = doc.get("protocol")
    major, dot, minor = protocol.partition(".") if isinstance(protocol, str) else ("", "", "")
    if not (dot and major == PROTOCOL_MAJOR and minor.isascii() and minor.isdigit()):
        raise SavedStateError(f"unsupported protocol {_show(protocol)} (this reader speaks {PROTOCOL_VERSION})")
    assets = doc.get("assets")
    if not isinstance(assets, dict) or not all(isinstance(v, str) for v in assets.values()):
        raise SavedStateError("assets must map hashes to source strings")
    classes = doc.get("classes")
    if not isinstance(classes, list):
        raise SavedStateError("classes must be a list")
    for index, cls in enumerate(classes):
        _check_class(index, cls, assets)
    models = doc.get("models")
    if not isinstance(models, dict):
        raise SavedStateError("models must be an object")
    for model_id, entry in models.items():
        _check_model(model_id, entry, classes)


def _check_class(index: int, cls: Any, assets: dict[str, Any]) -> None:
    if not isinstance(cls, dict):
        raise SavedStateError(f"class {index} must be an object")
    if not isinstance(cls.get("name"), str) or not cls["name"]:
        raise SavedStateError(f"class {index}: name must be a non-empty string")
    for field in ("esm", "css"):
        digest = cls.get(field, _ABSENT)
        if digest is None:
            continue
        if not isinstance(digest, str):
            raise SavedStateError(f"class {index}: {field} must be a hash or null")
        if digest not in assets:
            raise SavedStateError(f"class {index}: {field} hash {_show(digest)} is not in assets")
    for field in ("read_only", "keys"):
        names = cls.get(field)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise SavedStateError(f"class {index}: {field} must be a list of strings")
    if len(set(cls["keys"])) != len(cls["keys"]):
        raise SavedStateError(f"class {index}: keys must not repeat")
    if type(cls.get("eager", False)) is not bool:
        raise SavedStateError(f"class {index}: eager must be true or false")


def _check_model(model_id: str, entry: Any, classes: list[JSONDict]) -> None:
    where = f"model {_show(model_id)}"
    if not model_id:
        raise SavedStateError("a model id must not be empty")
    if not isinstance(entry, list) or len(entry) not in (2, 4):
        raise SavedStateError(f"{where} must be an array [class, values] or [class, values, paths, buffers]")
    index, values = entry[0], entry[1]
    if type(index) is not int or not 0 <= index < len(classes):
        raise SavedStateError(f"{where}: class index {_show(index)} is out of range ({len(classes)} classes)")
    keys = classes[index]["keys"]
    if not isinstance(values, list) or len(values) != len(keys):
        count = len(values) if isinstance(values, list) else "no list of"
        raise SavedStateError(f"{where} has {count} values for {len(keys)} keys")
    paths, buffers = (entry[2], entry[3]) if len(entry) == 4 else ([], [])
    if not isinstance(paths, list) or not all(_is_path(p) for p in paths):
        raise SavedStateError(f"{where}: buffer paths must be lists of keys and indexes >= 0, starting with an index")
    if not isinstance(buffers, list) or len(buffers) != len(paths):
        count = len(buffers) if isinstance(buffers, list) else "no list of"
        raise SavedStateError(f"{where}: {len(paths)} buffer paths but {count} buffers")
    placed: set[int] = set()
    for number, (path, text) in enumerate(zip(paths, buffers, strict=True)):
        placeholder = _resolve(values, path, where)
        if type(placeholder) is not dict or "$binary" not in placeholder or id(placeholder) in placed:
            raise SavedStateError(f"{where}: buffer path {_show(path)} does not lead to a binary placeholder")
        placed.add(id(placeholder))
        size = _decoded_size(text)
        if size < 0:
            raise SavedStateError(f"{where}: buffer {number} is not valid base64")
        _check_placeholder(placeholder, size, f"{where}: buffer path {_show(path)}")
    if _has_stray_placeholder(values, placed):
        raise SavedStateError(f"{where}: a binary placeholder has no buffer path")


def _is_path(path: Any) -> bool:
    return (
        isinstance(path, list)
        and len(path) > 0
        and type(path[0]) is int
        and all(isinstance(k, str) or (type(k) is int and k >= 0) for k in path)
    )


def _resolve(values: list[Any], path: list[Any], where: str) -> Any:
    item: Any = values
    for step in path:
        found = (type(item) is list and type(step) is int and step < len(item)) or (
            type(item) is dict and type(step) is str and step in item
        )
        if not found:
            raise SavedStateError(f"{where}: buffer path {_show(path)} does not resolve")
        item = item[step]
    return item


def _decoded_size(text: Any) -> int:
    """The byte length of canonical base64 `text` (RFC 4648, padded), or -1 if it is not that."""
    if not isinstance(text, str) or not text.isascii() or len(text) % 4:
        return -1
    try:
        data = binascii.a2b_base64(text)
    except (binascii.Error, ValueError):
        return -1
    return len(data) if binascii.b2a_base64(data, newline=False).decode("ascii") == text else -1


def _check_placeholder(placeholder: JSONDict, size: int, where: str) -> None:
    kind = placeholder["$binary"]
    if kind == "bytes":
        return
    dtype, shape = placeholder.get("dtype"), placeholder.get("shape")
    if (
        kind != "ndarray"
        or not isinstance(dtype, str)
        or dtype not in _DTYPES
        or not isinstance(shape, list)
        or not all(type(n) is int and n >= 0 for n in shape)
    ):
        raise SavedStateError(f"{where}: bad binary placeholder {_show(placeholder)}")
    count = 1
    for n in shape:
        count *= n
    itemsize = 1 if dtype in ("bool", "int8", "uint8") else int(dtype[-2:]) // 8
    if count * itemsize != size:
        raise SavedStateError(f"{where}: {size} bytes do not fit {dtype}{shape}")


def _has_stray_placeholder(value: Any, placed: set[int]) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            if "$binary" in item and id(item) not in placed:
                return True
            stack.extend(v for v in item.values() if type(v) in (dict, list))
        elif type(item) is list:
            stack.extend(v for v in item if type(v) in (dict, list))
    return False


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

"""What the kernel under test runs: the fuzzed model class and the probe comm.

The harness sends this file's source to the kernel as a cell. The probe is a plain comm (target
`fuzz.probe`, not the framework's), so reading the kernel's traits back and making kernel-side
changes never goes through the code under test: `dump` answers with every trait of every fuzzed
model as JSON text (exact types: bools, floats, NaN, lone surrogates, bytes and arrays survive),
`set` assigns traits from Python as a cell would.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import comm
import traitlets
from traitlets import TraitError

import widgets
from widgets.traits import Array

TRAITS = ("i", "f", "s", "b", "li", "lf", "ld", "d", "ro", "tro", "v", "a", "child", "hidden")


class Fuzzed(widgets.Model):
    """One trait of each kind the oracle models (tests/fuzz/oracle.py mirrors this list)."""

    _esm = "export default { render({ model, el }) { el.textContent = String(model.get('i')); } }"
    i = traitlets.Int(0).tag(sync=True)
    f = traitlets.Float(0.0).tag(sync=True)
    s = traitlets.Unicode("").tag(sync=True)
    b = traitlets.Bool(False).tag(sync=True)
    li = traitlets.List(traitlets.Int()).tag(sync=True)
    lf = traitlets.List(traitlets.Float()).tag(sync=True)
    ld = traitlets.List(traitlets.Dict()).tag(sync=True)
    d = traitlets.Dict().tag(sync=True)
    ro = traitlets.Int(7).tag(sync=True, read_only=True)  # the framework's tag: kernel-owned
    tro = traitlets.Int(0, read_only=True).tag(sync=True)  # traitlets' argument: the browser may write
    v = traitlets.Int(0).tag(sync=True)
    a = Array(b"").tag(sync=True)
    child = traitlets.Instance(widgets.Model, allow_none=True).tag(sync=True)
    hidden = traitlets.Int(0)  # not synced

    @traitlets.validate("v")
    def _check_v(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value % 2:
            raise TraitError("v must be even")
        return max(value, 0)


def _echo(model: widgets.Model, content: Any, buffers: list[memoryview]) -> None:
    if isinstance(content, dict) and "raise" in content:
        raise RuntimeError("asked to raise")
    model.send({"echo": content}, buffers=[bytes(b) for b in buffers])


def encode(value: Any) -> Any:
    """A trait value as exact JSON for the dump (not the wire's encoding)."""
    numpy = sys.modules.get("numpy")
    if isinstance(value, widgets.Model):
        return "IPY_MODEL_" + value.model_id
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$blob": "bytes", "hex": bytes(value).hex()}
    if numpy is not None and isinstance(value, numpy.ndarray):
        return {"$blob": "ndarray", "dtype": value.dtype.name, "shape": list(value.shape), "hex": value.tobytes().hex()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else f"$key:{k!r}"): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"$other": repr(value)[:200]}


fuzzed: dict[str, Fuzzed] = {}


def _on_probe(msg: Any) -> None:
    data = msg["content"]["data"]
    reply: dict[str, Any] = {"tag": data.get("tag")}
    if data.get("op") == "dump":
        dump = {name: {k: encode(getattr(m, k)) for k in TRAITS} for name, m in fuzzed.items()}
        reply["dump"] = json.dumps(dump, allow_nan=True, ensure_ascii=True)
    elif data.get("op") == "set":
        model = fuzzed[data["model"]]
        values = json.loads(data["values"])  # JSON text: may hold lone surrogates
        try:
            if data.get("hold"):
                with model.hold_sync():
                    for key, value in values.items():
                        setattr(model, key, value)
            else:
                for key, value in values.items():
                    setattr(model, key, value)
        except Exception as error:
            reply["raised"] = type(error).__name__
    elif data.get("op") == "new":
        for name in data["names"]:
            fuzzed[name] = Fuzzed()
            fuzzed[name].on_msg(_echo)
        reply["ids"] = {name: fuzzed[name].model_id for name in data["names"]}
    probe.send(reply)


_INITIAL: dict[str, dict[str, Any]] = {
    "m0": {"li": [1, 2, 3], "d": {"a": 1, "b": [1, 2]}, "ld": [{"x": 1}], "s": "zero"},
    "m1": {"f": 1.5, "lf": [0.5, 2.0], "d": {"k": {"n": None}}, "b": True},
    "m2": {"i": 3, "v": 2, "s": "two"},
}
for _name, _init in _INITIAL.items():
    fuzzed[_name] = Fuzzed(**_init)
    fuzzed[_name].on_msg(_echo)
fuzzed["m2"].child = fuzzed["m0"]

probe = comm.create_comm(target_name="fuzz.probe", data={"ids": {n: m.model_id for n, m in fuzzed.items()}})
probe.on_msg(_on_probe)
print(json.dumps({n: m.model_id for n, m in fuzzed.items()}))

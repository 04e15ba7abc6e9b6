"""10,000 create/set/close cycles in a real kernel leave its memory flat and nothing registered (issue 8).

Each cycle: the kernel creates a model (comm_open), a browser client of its own writes to it (so
the model has a per-client record; one in ten also asks for its state), the kernel sets a trait,
and the model
is closed: from Python for half of them, by the browser (comm_close) for the other half.
tracemalloc runs in the kernel; the traced size after 1,000 cycles (warm-up) and after 10,000 is
compared (tracing starts after the warm-up: what leaks later is allocated, hence traced, after
it starts). jupyter_client's replay-protection cache (`Session.digest_history`, up to 65,536 message
signatures by design) is left out of the count; everything else the kernel allocates is in it.
"""

from __future__ import annotations

import json

from tests.fuzz.generator import envelope
from tests.fuzz.harness import FuzzFrontend

from .kernel_frontend import Kernel

CYCLES = 10_000
WARM_UP = 1_000
BATCH = 250
GROWTH_LIMIT = 64 * 1024  # bytes over 9,000 cycles: a leak of 8 bytes per cycle would show

SETUP = """
import collections, gc, json, sys, tracemalloc, weakref
import comm, traitlets, widgets, widgets.registry

class Leaky(widgets.Model):
    _esm = "export default { render({ model, el }) { el.textContent = model.get('value'); } }"
    value = traitlets.Int(0).tag(sync=True)
    items = traitlets.List().tag(sync=True)

_SIZED = (dict, list, set, collections.deque, weakref.WeakKeyDictionary, weakref.WeakValueDictionary, weakref.WeakSet)

def _containers():
    '''Sizes of every module-level container of the framework (a per-client record kept globally shows).'''
    sizes = {}
    for name, module in list(sys.modules.items()):
        if name == "widgets" or name.startswith("widgets."):
            for attr, value in list(vars(module).items()):
                if isinstance(value, _SIZED) and not attr.startswith("__"):
                    sizes[f"{name}.{attr}"] = len(value)
    return sizes

def _objects():
    '''Live objects of the framework's own classes, by class.'''
    counts = collections.Counter()
    for obj in gc.get_objects():
        module = type(obj).__dict__.get("__module__", "")
        module = module if isinstance(module, str) else ""
        if module == "widgets" or module.startswith("widgets.") or isinstance(obj, widgets.Model):
            counts[f"{module}.{type(obj).__qualname__}"] += 1
    return dict(counts)

def _comms():
    manager = comm.get_comm_manager()
    return sorted(cid for cid, c in manager.comms.items() if getattr(c, "target_name", None) == "widgets.model")

_EXCLUDE = [tracemalloc.Filter(False, "*/jupyter_client/session.py"), tracemalloc.Filter(False, tracemalloc.__file__)]

def _measure():
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    excluded = sum(s.size for s in snapshot.statistics("filename"))
    kept = snapshot.filter_traces(_EXCLUDE)
    size = sum(s.size for s in kept.statistics("filename"))
    return kept, size, excluded - size

batch = []

def _drive(msg):
    # create a batch, or set a trait on each and close half of them (the browser closes the rest)
    data = msg["content"]["data"]
    reply = {"tag": data["tag"]}
    if data["op"] == "create":
        batch[:] = [Leaky(value=n) for n in range(data["count"])]
        reply["ids"] = [m.model_id for m in batch]
    else:
        for n, m in enumerate(batch):
            m.items = [n, n + 1]
            if n % 2 == 0:
                m.close()
        batch.clear()
    driver.send(reply)

driver = comm.create_comm(target_name="fuzz.probe", data={})
driver.on_msg(_drive)
tracemalloc.start()
print("ready")
"""

MEASURE = """
for _ in range(2):  # the first round fills the caches the measurement itself uses
    _snap, _size, _excluded = _measure()
    _report = json.dumps({{"size": _size, "excluded": _excluded, "live": len(widgets.registry.live),
                          "comms": _comms(), "objects": _objects(), "containers": _containers()}})
{name} = _snap
print(_report)
"""

TOP = """
print(json.dumps([str(s) for s in after.compare_to(warm, "lineno")[:8]]))
"""


def run_batch(frontend: FuzzFrontend, first: int, count: int) -> None:
    ids = frontend.probe({"op": "create", "count": count})["ids"]
    frontend.wait_for(lambda: all(i in frontend.views for i in ids))
    sent = []
    for n, model_id in enumerate(ids):
        client = f"leak-{first + n}"
        update = envelope("update", client=client, seq=1, state={"value": -n, "items": [n]})
        sent.append(frontend.send_comm(model_id, update, []))
        if n % 10 == 0:
            sent.append(frontend.send_comm(model_id, envelope("request_state", client=client), []))
    frontend.wait_for(lambda: all(m in frontend.idle for m in sent), timeout=120)
    frontend.probe({"op": "set_and_close"})
    closing = []
    for model_id in ids[1::2]:
        msg = frontend.kc.session.send(
            frontend.kc.shell_channel.socket, "comm_close", {"comm_id": model_id, "data": {}}
        )
        assert msg is not None
        closing.append(msg["header"]["msg_id"])
        frontend.transmitted.append(msg["header"]["msg_id"])
    frontend.wait_for(lambda: all(m in frontend.idle for m in closing), timeout=120)
    for model_id in ids:
        view = frontend.views.pop(model_id)
        assert view.errors == [] and view.problems == [], (view.errors, view.problems)
        assert view.confirmed["value"] == -ids.index(model_id), view.confirmed
    frontend.by_parent.clear()


def measure(frontend: FuzzFrontend, name: str) -> dict[str, object]:
    return json.loads(frontend.execute(MEASURE.format(name=name)).strip())  # type: ignore[no-any-return]


def test_create_set_close_cycles_leave_nothing(kernel: Kernel) -> None:
    frontend = FuzzFrontend.open(kernel.connection_file)
    try:
        assert frontend.execute(SETUP).strip() == "ready"
        done = 0
        while done < WARM_UP:
            run_batch(frontend, done, BATCH)
            done += BATCH
        warm = measure(frontend, "warm")
        while done < CYCLES:
            run_batch(frontend, done, BATCH)
            done += BATCH
        after = measure(frontend, "after")
        top = json.loads(frontend.execute(TOP).strip())
        assert frontend.unexpected == []
    finally:
        frontend.disconnect()

    growth = int(str(after["size"])) - int(str(warm["size"]))
    print(
        f"\nleaks: {CYCLES} create/set/close cycles; kernel traced memory after {WARM_UP}: "
        f"{int(str(warm['size'])) / 1024:.1f} kB, after {CYCLES}: {int(str(after['size'])) / 1024:.1f} kB, "
        f"growth {growth / 1024:.1f} kB ({growth / (CYCLES - WARM_UP):.2f} B/cycle; "
        f"jupyter_client's digest history left out: {int(str(after['excluded'])) / 1024:.1f} kB)"
    )
    print("largest growth by line:\n  " + "\n  ".join(top))
    assert after["live"] == 0, f"{after['live']} models still in widgets.registry.live"
    assert after["comms"] == [], f"comms still registered in the kernel's comm manager: {after['comms']}"
    assert after["objects"] == warm["objects"], f"framework objects left: {warm['objects']} -> {after['objects']}"
    grown = {
        k: (v, after["containers"][k])  # type: ignore[index]
        for k, v in warm["containers"].items()  # type: ignore[attr-defined]
        if after["containers"][k] > v + 2  # type: ignore[index]
    }
    assert grown == {}, f"module-level containers of widgets grew: {grown}"
    assert growth < GROWTH_LIMIT, f"the kernel's memory grew by {growth} bytes over {CYCLES - WARM_UP} cycles"

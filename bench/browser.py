"""Browser benchmarks: this framework against anywidget and ipywidgets, through real JupyterLab.

One command (`.venv/bin/python bench/browser.py`) starts two JupyterLab servers (our TCP_NODELAY
server extension on, and off) and Debian's Chromium (Playwright), runs every scenario for each
framework, prints a table and writes bench/results/browser.json. Nothing here asserts a time.

Times are taken inside the page with performance.now(); bytes are the sizes of the kernel
websocket frames Playwright sees. How each figure is measured is printed under the table (and is
in `NOTES` below). `--profile` adds a Chromium CPU profile of our framework in scenarios 1 and 4.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import core  # noqa: E402  (bench/core.py: import time and memory per model)
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from tests.e2e.jupyter import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    Notebook,
    Server,
    open_notebook,
    shutdown_sessions,
    start_server,
    write_notebook,
)

FRAMEWORKS = ["widgets", "anywidget", "ipywidgets"]
RESULTS = Path(__file__).parent / "results"

LOOP_SETS = 2000  # scenario 1
LOOP_REPEATS = 5
LOOP_RESET = 5000  # shown before each repeat
LIST_LEN = 100_000  # scenario 2
LIST_UPDATES = 20
TRIPS = 100  # scenario 3
WARMUP_TRIPS = 10
VIEWS = 500  # scenario 4
ARRAY_LEN = 10_000_000  # scenario 5: 80 MB of float64
ARRAY_BYTES = ARRAY_LEN * 8
ARRAY_REPEATS = 3

# JupyterLab 4.6.6 shows 50 outputs per cell. Its settings schema says 0 means "no limit", but
# OutputArea takes 0 literally and shows none ("The first 0 are displayed"), so: a large number.
MAX_OUTPUTS = 1_000_000

# --- view modules: the same source for this framework and for anywidget ----------------------

VALUE_ESM = """
export default {
  render({ model, el }) {
    const div = document.createElement("div");
    div.className = "bench-value";
    const show = () => { div.textContent = String(model.get("value")); };
    model.on("change:value", show);
    show();
    el.append(div);
  },
};
"""
ECHO_ESM = """
export default { render({ model, el }) { window.__bench_echo = model; el.textContent = "echo probe"; } };
"""
BLOB_ESM = """
export default { render({ model, el }) { window.__bench_blob = model; el.textContent = "blob probe"; } };
"""
EMPTY_ESM = "export default { render() {} };"

# --- kernel code per framework ------------------------------------------------------------------
# Each defines Value (an Int `value`, shown in the DOM), Items (a List), Echo (a -> b in Python),
# Blob (binary `data`), and how to make, change, show and fill them.

_TRAITS = """
import json, time
import numpy as np
import traitlets
VALUE_ESM, ECHO_ESM, BLOB_ESM, EMPTY_ESM = {esms}
"""
_ESMS = repr((VALUE_ESM, ECHO_ESM, BLOB_ESM, EMPTY_ESM))

DEFS: dict[str, str] = {
    "widgets": _TRAITS
    + """
import widgets
class Value(widgets.Model):
    _esm = VALUE_ESM
    value = traitlets.Int(0).tag(sync=True)
class Items(widgets.Model):
    _esm = EMPTY_ESM
    items = traitlets.List().tag(sync=True)
class Echo(widgets.Model):
    _esm = ECHO_ESM
    a = traitlets.Int(0).tag(sync=True)
    b = traitlets.Int(0).tag(sync=True)
    @traitlets.observe("a")
    def _mirror(self, change):
        self.b = change["new"]
class Blob(widgets.Model):
    _esm = BLOB_ESM
    data = traitlets.Any(None).tag(sync=True)
def make_value(v):
    return Value(value=v)
def change_item(model, k):
    with model.mutate("items") as items:
        items[k] = -k
def show(model):
    display(model)
def fill(blob):
    blob.data = ARR          # a numpy array: one buffer, a Float64Array in the browser
def empty(blob):
    blob.data = None
""",
    "anywidget": _TRAITS
    + """
import anywidget
class Value(anywidget.AnyWidget):
    _esm = VALUE_ESM
    value = traitlets.Int(0).tag(sync=True)
class Items(anywidget.AnyWidget):
    _esm = EMPTY_ESM
    items = traitlets.List().tag(sync=True)
class Echo(anywidget.AnyWidget):
    _esm = ECHO_ESM
    a = traitlets.Int(0).tag(sync=True)
    b = traitlets.Int(0).tag(sync=True)
    @traitlets.observe("a")
    def _mirror(self, change):
        self.b = change["new"]
class Blob(anywidget.AnyWidget):
    _esm = BLOB_ESM
    data = traitlets.Any(None).tag(sync=True)
def make_value(v):
    return Value(value=v)
def change_item(model, k):
    items = list(model.items)
    items[k] = -k
    model.items = items
def show(model):
    display(model)
def fill(blob):
    blob.data = ARR_VIEW     # memoryview of the array (no copy): one buffer, a DataView in the browser
def empty(blob):
    blob.data = None
""",
    "ipywidgets": _TRAITS
    + """
import ipywidgets
Value = None
class Items(ipywidgets.DOMWidget):
    items = traitlets.List().tag(sync=True)
class Echo(ipywidgets.DOMWidget):
    a = traitlets.Int(0).tag(sync=True)
    b = traitlets.Int(0).tag(sync=True)
    @traitlets.observe("a")
    def _mirror(self, change):
        self.b = change["new"]
class Blob(ipywidgets.DOMWidget):
    data = traitlets.Bytes(b"").tag(sync=True)
def make_value(v):
    return ipywidgets.IntSlider(value=v, min=-1, max=10**6)
def change_item(model, k):
    items = list(model.items)
    items[k] = -k
    model.items = items
def show(model):
    pass                     # a DOMWidget without a view: nothing to show
def probe():
    display(ipywidgets.Label("manager probe"))  # any rendered widget gives page JS the manager
def fill(blob):
    blob.data = ARR_BYTES    # bytes made beforehand (no copy in the timing): a DataView in the browser
def empty(blob):
    blob.data = b""
""",
}
ARRAYS: dict[str, str] = {
    "widgets": f"ARR = np.arange({ARRAY_LEN}, dtype=np.float64)",
    "anywidget": f"ARR = np.arange({ARRAY_LEN}, dtype=np.float64); ARR_VIEW = memoryview(ARR)",
    "ipywidgets": f"ARR = np.arange({ARRAY_LEN}, dtype=np.float64); ARR_BYTES = ARR.tobytes()",
}
# The DOM text that shows scenario 1's value.
VALUE_SELECTOR = {"widgets": ".bench-value", "anywidget": ".bench-value", "ipywidgets": ".widget-readout"}
WHAT_IPYWIDGETS = {
    "1": "IntSlider (its readout shows the value)",
    "2": "DOMWidget subclass with a List trait (no view)",
    "3": "DOMWidget subclass with Int a, b (no view; model via the @jupyter-widgets manager)",
    "4": "IntSlider",
    "5": "DOMWidget subclass with a Bytes trait (bytes made beforehand; no view)",
}

# A kernel with no widget framework: a comm that echoes, and one that answers with 80 MB.
FLOOR_DEFS = f"""
import numpy as np
from comm import get_comm_manager
BLOB = np.arange({ARRAY_LEN}, dtype=np.float64)
def _echo_target(comm, open_msg):
    comm.on_msg(lambda msg: comm.send(msg["content"]["data"]))
def _blob_target(comm, open_msg):
    comm.on_msg(lambda msg: comm.send({{"n": BLOB.nbytes}}, buffers=[BLOB]))
get_comm_manager().register_target("bench_echo", _echo_target)
get_comm_manager().register_target("bench_blob", _blob_target)
"""

# --- page side ------------------------------------------------------------------------------------

HELPERS = """() => {
  const kernel = () => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const until = (predicate, timeout = 120000) => new Promise((resolve, reject) => {
    const start = performance.now();
    const poll = () => {
      let ok = false;
      try { ok = predicate(); } catch (e) { ok = false; }
      if (ok) resolve(performance.now());
      else if (performance.now() - start > timeout) reject(new Error("timed out: " + predicate));
      else requestAnimationFrame(poll);
    };
    poll();
  });
  /** The @jupyter-widgets manager, through any rendered ipywidgets/anywidget output (its renderer
   *  holds it, or a PromiseDelegate of it). */
  const ipyManager = () => {
    for (const cell of window.jupyterapp.shell.currentWidget.content.widgets) {
      for (const child of cell.outputArea?.widgets ?? []) {
        for (const w of child.widgets ?? []) {
          const m = w._manager;
          if (m && typeof m.get_model === "function") return m;
          if (m && m.promise) return m.promise;
        }
      }
    }
    return null;
  };
  /** Run code in the kernel; resolve with the time of its execute_reply, reject on error. */
  const run = (code) => {
    const future = kernel().requestExecute({ code, store_history: false });
    let error = null;
    future.onIOPub = (msg) => { if (msg.header.msg_type === "error") error = msg.content.traceback.join("\\n"); };
    return future.done.then(() => { if (error) throw new Error(error); return performance.now(); });
  };
  window.__bench = {
    kernel, until, ipyManager, run,
    async model(framework, id, probe) {
      if (framework === "widgets") return window.widgetsRuntime.manager(kernel().id).get_model(id);
      if (framework === "anywidget" && probe) { await until(() => window[probe]); return window[probe]; }
      await until(() => ipyManager());
      return (await ipyManager()).get_model(id);
    },
  };
}"""

LOOP_JS = """async ({ code, selector, expected }) => {
  const { run, until } = window.__bench;
  const el = document.querySelector(selector);
  let seen = null;
  const check = () => {
    if (seen === null && el.textContent.trim() === expected) seen = performance.now();
    return seen !== null;
  };
  const observer = new MutationObserver(check);
  observer.observe(el, { subtree: true, childList: true, characterData: true });
  const t0 = performance.now();
  const replied = run(code);
  await until(check);
  observer.disconnect();
  return { ms: seen - t0, reply_ms: (await replied) - t0 };
}"""

LIST_CHECK_JS = """async ({ framework, id, index, expected }) => {
  const model = await window.__bench.model(framework, id, null);
  await window.__bench.until(() => model.get("items")[index] === expected, 30000);
  return model.get("items").length;
}"""

TRIPS_JS = """async ({ framework, id, trips, warmup, start }) => {
  const model = await window.__bench.model(framework, id, "__bench_echo");
  const times = [];
  for (let i = 0; i < warmup + trips; i++) {
    const n = start + i;
    const t0 = performance.now();
    await new Promise((resolve) => {
      const onB = () => { if (model.get("b") === n) { model.off("change:b", onB); resolve(); } };
      model.on("change:b", onB);
      model.set("a", n);
      model.save_changes();
    });
    if (i >= warmup) times.push(performance.now() - t0);
  }
  return times;
}"""

ECHO_FLOOR_JS = """async ({ trips, warmup }) => {
  const comm = window.__bench.kernel().createComm("bench_echo");
  let pending = null;
  comm.onMsg = () => pending?.();
  await comm.open({}).done;
  const times = [];
  for (let i = 0; i < warmup + trips; i++) {
    const t0 = performance.now();
    await new Promise((resolve) => { pending = resolve; comm.send({ i }); });
    if (i >= warmup) times.push(performance.now() - t0);
  }
  comm.close();
  return times;
}"""

VIEWS_JS = """async ({ selector, count }) => {
  const { kernel, until } = window.__bench;
  const k = kernel();
  const original = k.requestExecute;
  let t0 = null, replied = null, error = null;
  k.requestExecute = function (...args) {   // stamp the moment the cell's execute request leaves
    t0 = performance.now();
    const future = original.apply(this, args);
    future.done.then(() => { replied = performance.now(); }, () => { replied = performance.now(); });
    return future;
  };
  const clicked = performance.now();
  const cell = () => window.jupyterapp.shell.currentWidget.content.widgets[0].node;
  const state = () => ({
    t0: t0 === null ? null : t0 - clicked, reply_ms: replied === null ? null : replied - (t0 ?? clicked),
    outputs: cell().querySelectorAll(".jp-OutputArea-child").length,
    trimmed: cell().querySelectorAll(".jp-TrimmedOutputs").length,
    views: document.querySelectorAll(selector).length,
  });
  try {
    void window.jupyterapp.commands.execute("notebook:run-all-cells");
    const seen = await until(() => t0 !== null && document.querySelectorAll(selector).length >= count, 120000);
    await until(() => replied !== null, 120000);
    return { ms: seen - t0, ...state() };
  } catch (e) {
    error = String(e);
    return { ms: null, error, ...state() };
  } finally {
    delete k.requestExecute;
  }
}"""

BLOB_JS = """async ({ framework, id, fill, empty, bytes }) => {
  const { run, until, model: getModel } = window.__bench;
  const model = await getModel(framework, id, "__bench_blob");
  const has = () => { const v = model.get("data"); return v != null && v.byteLength === bytes; };
  const gone = () => { const v = model.get("data"); return v == null || v.byteLength === 0; };
  await run(empty);
  await until(gone);
  let seen = null;
  const onData = () => { if (seen === null && has()) seen = performance.now(); };
  model.on("change:data", onData);
  const t0 = performance.now();
  const replied = run(fill);
  await until(() => seen !== null || has());
  model.off("change:data", onData);
  const v = model.get("data");
  return { ms: (seen ?? performance.now()) - t0, reply_ms: (await replied) - t0, type: v.constructor.name,
           length: v.length ?? null };
}"""

BLOB_FLOOR_JS = """async ({ bytes }) => {
  const comm = window.__bench.kernel().createComm("bench_blob");
  let pending = null;
  comm.onMsg = (msg) => pending?.(msg);
  await comm.open({}).done;
  const t0 = performance.now();
  const msg = await new Promise((resolve) => { pending = resolve; comm.send({}); });
  const ms = performance.now() - t0;
  comm.close();
  return { ms, size: msg.buffers[0].byteLength, comm_id: comm.commId };
}"""

NOTES = [
    "1: one cell-less execute `for i in range(2000): w.value = i` sent with kernel.requestExecute; start = just "
    "before that call, end = a MutationObserver on the view element sees text '1999' (reset to 5000 and waited "
    "for before each of 5 repeats; median). 'reply' = its execute_reply; 'comm msgs' = websocket frames of that "
    "model during the loop.",
    "2: 20 changes of one element of a 100,000-int list, in one execute with 50 ms between; bytes = mean size "
    "of the websocket frames (kernel -> browser) that are comm_msg of that model; the browser's last value "
    "is checked.",
    "3: in the page, model.set('a', n); model.save_changes(); until `change:b` shows b == n (a Python observer "
    "sets b = a); 10 warm-up trips, then 100 timed. 'floor' = a bare comm the page opens to an echo target "
    "in a kernel without any widget framework.",
    "4: one cell `for i in range(500): display(W(value=i))` run as a notebook cell; start = the cell's "
    "kernel.requestExecute call, end = 500 views in the DOM (requestAnimationFrame poll). maxNumberOutputs "
    f"is set to {MAX_OUTPUTS} (0 hides every output in JupyterLab 4.6.6), and all 500 outputs are checked.",
    "5: `blob.data = <80 MB>` (array made beforehand), start = requestExecute, end = the model in the page "
    "holds data of byteLength 80,000,000 (`change:data`); median of 3. Bytes = the largest websocket frame of "
    "that model. 'floor' = a bare comm whose kernel handler answers with one 80 MB buffer.",
    "6: import ms and Python bytes per model from bench/core.py (fresh interpreters); frontend size = esbuild "
    "--bundle --minify of frontend/extension/runtime.ts, gzip -9. anywidget: its labextension chunks "
    "minified by esbuild, gzip -9: non-vendor = its own code chunk (the one holding packages/anywidget/src).",
]


# --- helpers --------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def notebook_page(browser: Browser, server: Server, name: str, cells: list[str]) -> Iterator[Notebook]:
    """A fresh page on a fresh notebook; its kernels are shut down afterwards."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        notebook = open_notebook(page, server, write_notebook(server.root, name, cells))
        notebook.wait_for_kernel()
        page.evaluate(HELPERS)
        yield notebook
        errors = notebook.page_errors()
        if errors:
            log(f"page errors in {name}: {errors[:3]}")
    finally:
        context.close()
        shutdown_sessions(server)


def run_cells_until_ready(notebook: Notebook) -> dict[str, str]:
    """Run all cells; the last one prints `BENCH-READY {json}`. Raise with the traceback on error."""
    notebook.run_all()
    page = notebook.page
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-OutputArea-output')]
                 .some((e) => e.textContent.includes('BENCH-READY') || e.dataset.mimeType?.includes('stderr'))"""
    )
    texts: list[str] = page.evaluate(
        "() => [...document.querySelectorAll('.jp-OutputArea-output')].map((e) => e.textContent)"
    )
    for text in texts:
        if "BENCH-READY" in text:
            return json.loads(text.split("BENCH-READY", 1)[1].strip().splitlines()[0])  # type: ignore[no-any-return]
    raise RuntimeError("a setup cell failed:\n" + "\n".join(texts))


def frames_of(notebook: Notebook, comm_id: str) -> list[int]:
    """Sizes of the kernel -> browser frames that are comm messages of `comm_id` (frames are then dropped)."""
    needle = comm_id.encode()
    sizes = [len(p) for d, p in notebook.frames if d == "in" and b"comm_msg" in p and needle in p]
    notebook.frames.clear()
    return sizes


def wait_frames(notebook: Notebook, comm_id: str, predicate: Callable[[list[int]], bool], timeout: float = 30) -> None:
    """Let Playwright deliver frame events until the frames of `comm_id` satisfy `predicate`."""
    needle = comm_id.encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sizes = [len(p) for d, p in notebook.frames if d == "in" and b"comm_msg" in p and needle in p]
        if predicate(sizes):
            return
        notebook.page.wait_for_timeout(50)
    log(f"warning: websocket frames of {comm_id} incomplete after {timeout}s")


@contextmanager
def cpu_profile(page: Page, path: Path | None) -> Iterator[None]:
    """A Chromium CPU profile of the block (CDP Profiler), saved as .cpuprofile when `path` is given."""
    if path is None:
        yield
        return
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    cdp.send("Profiler.start")
    try:
        yield
    finally:
        profile = cdp.send("Profiler.stop")["profile"]
        path.write_text(json.dumps(profile))
        cdp.detach()


def summarize_profile(path: Path, top: int = 12) -> list[tuple[float, str]]:
    """Self time by function (ms), heaviest first, from a .cpuprofile."""
    profile = json.loads(path.read_text())
    nodes = {n["id"]: n for n in profile["nodes"]}
    deltas = profile["timeDeltas"]
    self_ms: dict[str, float] = {}
    for sample, delta in zip(profile["samples"], deltas, strict=False):
        frame = nodes[sample]["callFrame"]
        url = frame["url"].rsplit("/", 1)[-1][:40]
        key = f"{frame['functionName'] or '(anonymous)'} {url}:{frame['lineNumber'] + 1}"
        self_ms[key] = self_ms.get(key, 0.0) + delta / 1000
    return sorted(((ms, key) for key, ms in self_ms.items()), reverse=True)[:top]


# --- scenarios ------------------------------------------------------------------------------------


def main_notebook_cells(framework: str) -> list[str]:
    value_cell = "w = make_value(0)\nw"
    ready = "print('BENCH-READY', json.dumps({'w': w.model_id, 'L': L.model_id, 'E': E.model_id, 'B': B.model_id}))"
    return [
        DEFS[framework].replace("{esms}", _ESMS) + ARRAYS[framework],
        value_cell,
        f"L = Items(items=list(range({LIST_LEN})))\nE = Echo()\nshow(E)\nB = Blob()\nshow(B)\n" + ready,
    ]


def scenario_loop(notebook: Notebook, framework: str, model_id: str, profile: Path | None) -> dict[str, Any]:
    selector = VALUE_SELECTOR[framework]
    notebook.page.wait_for_selector(selector)
    runs: list[dict[str, float]] = []
    messages: list[int] = []
    for repeat in range(LOOP_REPEATS):
        # A reset value outside the loop's range (not -1: ipywidgets' readout writes U+2212 for minus).
        notebook.execute(f"w.value = {LOOP_RESET}")
        notebook.page.wait_for_function(
            f"() => document.querySelector({selector!r}).textContent.trim() === '{LOOP_RESET}'"
        )
        notebook.frames.clear()
        with cpu_profile(notebook.page, profile if repeat == LOOP_REPEATS - 1 else None):
            result = notebook.page.evaluate(
                LOOP_JS,
                {
                    "code": f"for i in range({LOOP_SETS}): w.value = i",
                    "selector": selector,
                    "expected": str(LOOP_SETS - 1),
                },
            )
        notebook.page.wait_for_timeout(200)  # let the frame events of the loop arrive
        messages.append(len(frames_of(notebook, model_id)))
        runs.append(result)
    return {
        "ms": median([r["ms"] for r in runs]),
        "reply_ms": median([r["reply_ms"] for r in runs]),
        "all_ms": [r["ms"] for r in runs],
        "comm_msgs": median([float(m) for m in messages]),
    }


def scenario_list(notebook: Notebook, framework: str, model_id: str) -> dict[str, Any]:
    notebook.frames.clear()
    indices = [1000 * k for k in range(1, LIST_UPDATES + 1)]
    code = "\n".join(f"change_item(L, {i}); time.sleep(0.05)" for i in indices)
    notebook.execute(code)
    length = notebook.page.evaluate(
        LIST_CHECK_JS, {"framework": framework, "id": model_id, "index": indices[-1], "expected": -indices[-1]}
    )
    wait_frames(notebook, model_id, lambda sizes: len(sizes) >= LIST_UPDATES)
    sizes = frames_of(notebook, model_id)
    return {
        "bytes_per_update": sum(sizes) / max(1, len(sizes)),
        "frames": len(sizes),
        "browser_length": length,
    }


def trips(notebook: Notebook, framework: str, model_id: str) -> dict[str, Any]:
    times: list[float] = notebook.page.evaluate(
        TRIPS_JS, {"framework": framework, "id": model_id, "trips": TRIPS, "warmup": WARMUP_TRIPS, "start": 1000}
    )
    return {"p50": percentile(times, 0.5), "p90": percentile(times, 0.9), "all": times}


def echo_floor(notebook: Notebook) -> dict[str, Any]:
    times: list[float] = notebook.page.evaluate(ECHO_FLOOR_JS, {"trips": TRIPS, "warmup": WARMUP_TRIPS})
    return {"p50": percentile(times, 0.5), "p90": percentile(times, 0.9), "all": times}


def scenario_blob(notebook: Notebook, framework: str, model_id: str) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    sizes: list[int] = []
    for _ in range(ARRAY_REPEATS):
        notebook.frames.clear()
        result = notebook.page.evaluate(
            BLOB_JS,
            {"framework": framework, "id": model_id, "fill": "fill(B)", "empty": "empty(B)", "bytes": ARRAY_BYTES},
        )
        wait_frames(notebook, model_id, lambda s: any(x >= ARRAY_BYTES for x in s), timeout=60)
        sizes.append(max(frames_of(notebook, model_id), default=0))
        runs.append(result)
    return {
        "ms": median([r["ms"] for r in runs]),
        "reply_ms": median([r["reply_ms"] for r in runs]),
        "all_ms": [r["ms"] for r in runs],
        "ws_bytes": max(sizes),
        "browser_type": runs[-1]["type"],
    }


def blob_floor(notebook: Notebook) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    sizes: list[int] = []
    for _ in range(ARRAY_REPEATS):
        notebook.frames.clear()
        result = notebook.page.evaluate(BLOB_FLOOR_JS, {"bytes": ARRAY_BYTES})
        wait_frames(notebook, result["comm_id"], lambda s: any(x >= ARRAY_BYTES for x in s), timeout=60)
        sizes.append(max(frames_of(notebook, result["comm_id"]), default=0))
        runs.append(result)
    return {"ms": median([r["ms"] for r in runs]), "all_ms": [r["ms"] for r in runs], "ws_bytes": max(sizes)}


def scenario_views(browser: Browser, server: Server, framework: str, profile: Path | None) -> dict[str, Any]:
    cell = f"for i in range({VIEWS}): display(make_value(i))"
    with notebook_page(browser, server, f"views-{framework}.ipynb", [cell]) as notebook:
        notebook.execute(DEFS[framework].replace("{esms}", _ESMS))
        with cpu_profile(notebook.page, profile):
            result: dict[str, Any] = notebook.page.evaluate(
                VIEWS_JS, {"selector": VALUE_SELECTOR[framework], "count": VIEWS}
            )
        if result["ms"] is None or result["outputs"] != VIEWS or result["trimmed"]:
            log(f"warning: {framework}: scenario 4 incomplete: {result}")
            notebook.page.screenshot(path=str(RESULTS / f"views-{framework}-failed.png"))
        return result


def nodelay_status(server: Server) -> str:
    import urllib.request

    try:
        body = json.loads(urllib.request.urlopen(f"{server.base}/api/widgets/nodelay", timeout=5).read())
    except OSError:
        return "extension off (no /api/widgets/nodelay)"
    return f"extension on, sockets: {body.get('sockets')}"


# --- scenario 6: sizes and Python-side figures ----------------------------------------------------


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def esbuild(args: list[str], stdin: bytes | None = None) -> bytes:
    binary = ROOT / "node_modules" / ".bin" / "esbuild"
    command = [str(binary)] if binary.exists() else ["npx", "esbuild"]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, check=True, cwd=ROOT).stdout


def frontend_sizes() -> dict[str, Any]:
    runtime = esbuild(["frontend/extension/runtime.ts", "--bundle", "--minify", "--format=esm"])
    no_lexer = esbuild(
        ["frontend/extension/runtime.ts", "--bundle", "--minify", "--format=esm", "--external:es-module-lexer"]
    )
    sizes: dict[str, Any] = {
        "widgets": {"min": len(runtime), "min_gzip": gz(runtime), "min_gzip_without_es_module_lexer": gz(no_lexer)},
    }
    static = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "anywidget" / "static"
    chunks: dict[str, dict[str, int | bool]] = {}
    for path in sorted(static.glob("*.js")):
        source = re.sub(rb"//# sourceMappingURL=\S+", b"", path.read_bytes())
        minified = esbuild(["--minify", "--loader=js"], stdin=source)
        is_own = b"packages/anywidget/src" in source and b"__webpack_require__.e(" not in source
        chunks[path.name] = {"raw": len(source), "min": len(minified), "min_gzip": gz(minified), "own_code": is_own}
    loaded = [n for n in chunks if not n.startswith("main.")]  # main.*.js is not loaded by JupyterLab
    own = [n for n in loaded if chunks[n]["own_code"]]
    sizes["anywidget"] = {
        "chunks": chunks,
        "own_chunks": own,
        "min_gzip": sum(int(chunks[n]["min_gzip"]) for n in own),
        "min_gzip_all_loaded": sum(int(chunks[n]["min_gzip"]) for n in loaded),
    }
    return sizes


def python_figures() -> dict[str, dict[str, float]]:
    return {f: {"import_ms": core.import_ms(f), "bytes_per_model": core.memory_per_model(f)} for f in FRAMEWORKS}


# --- the run --------------------------------------------------------------------------------------


def settings_dir(root: Path) -> Path:
    settings = root / "settings"
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"maxNumberOutputs": MAX_OUTPUTS}))
    return settings


def run_browser(results: dict[str, Any], profile_dir: Path | None) -> None:
    root = Path(tempfile.mkdtemp(prefix="widgets-bench-"))
    os.environ["JUPYTERLAB_SETTINGS_DIR"] = str(settings_dir(root))
    servers: dict[str, Server] = {}
    try:
        for label, extra in (("on", []), ("off", ["--ServerApp.jpserver_extensions", "widgets=False"])):
            (root / label).mkdir()
            servers[label] = start_server("lab", root / label, extra)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                run_scenarios(browser, servers, results, profile_dir)
            finally:
                browser.close()
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def run_scenarios(
    browser: Browser, servers: dict[str, Server], results: dict[str, Any], profile_dir: Path | None
) -> None:
    on, off = servers["on"], servers["off"]
    s1, s2, s4, s5 = results["1"], results["2"], results["4"], results["5"]
    s3: dict[str, dict[str, Any]] = results["3"]
    for framework in FRAMEWORKS:
        profile = profile_dir / f"loop-{framework}.cpuprofile" if profile_dir and framework == "widgets" else None
        log(f"{framework}: scenarios 1, 2, 3 (nodelay on), 5")
        with notebook_page(browser, on, f"main-{framework}.ipynb", main_notebook_cells(framework)) as notebook:
            ids = run_cells_until_ready(notebook)
            results["nodelay"]["on"] = nodelay_status(on)
            s1[framework] = scenario_loop(notebook, framework, ids["w"], profile)
            log(f"  1: {s1[framework]['ms']:.1f} ms")
            s2[framework] = scenario_list(notebook, framework, ids["L"])
            log(f"  2: {s2[framework]['bytes_per_update']:.0f} B/update")
            s3["on"][framework] = trips(notebook, framework, ids["E"])
            log(f"  3: p50 {s3['on'][framework]['p50']:.2f} ms")
            s5[framework] = scenario_blob(notebook, framework, ids["B"])
            log(f"  5: {s5[framework]['ms']:.0f} ms")
        log(f"{framework}: scenario 4")
        profile = profile_dir / f"views-{framework}.cpuprofile" if profile_dir and framework == "widgets" else None
        s4[framework] = scenario_views(browser, on, framework, profile)
        log(f"  4: {s4[framework]['ms']} ms, {s4[framework]['outputs']} outputs")
        log(f"{framework}: scenario 3 (nodelay off)")
        cells = [
            DEFS[framework].replace("{esms}", _ESMS),
            "E = Echo()\nshow(E)\n"
            + ("probe()\n" if framework == "ipywidgets" else "")
            + "print('BENCH-READY', json.dumps({'E': E.model_id}))",
        ]
        with notebook_page(browser, off, f"echo-{framework}.ipynb", cells) as notebook:
            ids = run_cells_until_ready(notebook)
            results["nodelay"]["off"] = nodelay_status(off)
            s3["off"][framework] = trips(notebook, framework, ids["E"])
            log(f"  3 off: p50 {s3['off'][framework]['p50']:.2f} ms")
    for label, server in servers.items():
        log(f"floors on the nodelay-{label} server")
        with notebook_page(browser, server, "floor.ipynb", ["# a kernel without a widget framework"]) as notebook:
            notebook.execute(FLOOR_DEFS)
            s3[label]["floor"] = echo_floor(notebook)
            if label == "on":
                s5["floor"] = blob_floor(notebook)


# --- the table ------------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> list[tuple[str, dict[str, float | None]]]:
    s1, s2, s3, s4, s5, s6 = (results[k] for k in "123456")
    rows: list[tuple[str, dict[str, float | None]]] = []

    def row(name: str, values: dict[str, Any], key: str | None = None, floor: float | None = None) -> None:
        cells: dict[str, float | None] = {}
        for f in FRAMEWORKS:
            value = (values[f][key] if key else values[f]) if f in values else None
            cells[f] = None if value is None else float(value)
        cells["floor"] = floor
        rows.append((name, cells))

    row("1. 2000 sets -> DOM, ms (median of 5)", s1, "ms")
    row("1.   execute_reply, ms", s1, "reply_ms")
    row("1.   comm msgs for the loop", s1, "comm_msgs")
    row("2. bytes per 1-element list update", s2, "bytes_per_update")
    for label in ("on", "off"):
        for q in ("p50", "p90"):
            floor = s3[label].get("floor", {}).get(q)
            row(f"3. round trip {q}, ms (NODELAY {label})", s3[label], q, floor)
    row("4. 500 views rendered, ms", s4, "ms")
    row("4.   execute_reply, ms", s4, "reply_ms")
    row("5. 80 MB array -> browser, ms (median 3)", s5, "ms", s5.get("floor", {}).get("ms"))
    row("5.   execute_reply, ms", s5, "reply_ms")
    row("5.   websocket bytes", s5, "ws_bytes", s5.get("floor", {}).get("ws_bytes"))
    row("6. import, ms", s6["python"], "import_ms")
    row("6. Python bytes per model", s6["python"], "bytes_per_model")
    sizes = s6["frontend"]
    rows.append(
        (
            "6. frontend min+gzip bytes",
            {"widgets": sizes["widgets"]["min_gzip"], "anywidget": sizes["anywidget"]["min_gzip"], "ipywidgets": None,
             "floor": None},
        )
    )  # fmt: skip
    return rows


def print_table(results: dict[str, Any]) -> None:
    rows = table(results)
    header = (
        f"{'metric':<42}"
        + "".join(f"{f:>13}" for f in FRAMEWORKS)
        + f"{'floor':>11}{'anywidget/ours':>16}{'ipywidgets/ours':>17}"
    )
    print(header)
    print("-" * len(header))
    for name, cells in rows:
        ours = cells["widgets"]

        def fmt(value: float | None, width: int) -> str:
            if value is None:
                return f"{'-':>{width}}"
            return f"{value:>{width},.1f}" if value < 1000 else f"{value:>{width},.0f}"

        line = f"{name:<42}" + "".join(fmt(cells[f], 13) for f in FRAMEWORKS) + fmt(cells["floor"], 11)
        for other, width in (("anywidget", 16), ("ipywidgets", 17)):
            value = cells[other]
            line += f"{value / ours:>{width - 1},.2f}x" if value is not None and ours else f"{'-':>{width}}"
        print(line)
    print("(lower is better everywhere; a ratio above 1 means ours is that many times faster or smaller)")
    print()
    print("ipywidgets stands in with: " + "; ".join(f"{k}: {v}" for k, v in WHAT_IPYWIDGETS.items()) + ".")
    sizes = results["6"]["frontend"]
    print(
        f"frontend: ours = runtime.ts bundled+minified ({sizes['widgets']['min']:,} B min; "
        f"{sizes['widgets']['min_gzip_without_es_module_lexer']:,} B min+gzip without es-module-lexer); "
        f"anywidget = its own chunk(s) {', '.join(sizes['anywidget']['own_chunks'])} minified "
        f"(all chunks JupyterLab loads for it, incl. remoteEntry and vendor: "
        f"{sizes['anywidget']['min_gzip_all_loaded']:,} B); ipywidgets not measured."
    )
    types = ", ".join(f"{f}={results['5'][f]['browser_type']}" for f in FRAMEWORKS)
    print(f"scenario 5 in the browser: {types}.")
    print(f"TCP_NODELAY: on-server {results['nodelay']['on']}; off-server {results['nodelay']['off']}.")
    print()
    for note in NOTES:
        print("  " + note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--profile", action="store_true", help="CPU-profile our framework in scenarios 1 and 4")
    args = parser.parse_args()
    started = time.monotonic()
    results: dict[str, Any] = {"1": {}, "2": {}, "3": {"on": {}, "off": {}}, "4": {}, "5": {}, "nodelay": {}}
    log("scenario 6: import time, memory per model, frontend sizes")
    results["6"] = {"python": python_figures(), "frontend": frontend_sizes()}
    profile_dir = RESULTS / "profiles" if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    run_browser(results, profile_dir)
    results["seconds"] = time.monotonic() - started
    print_table(results)
    if profile_dir:
        for path in sorted(profile_dir.glob("*.cpuprofile")):
            print(f"\n{path.name}: self time by function (ms)")
            for ms, name in summarize_profile(path):
                print(f"  {ms:8.1f}  {name}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "browser.json").write_text(json.dumps(results, indent=2))
    log(f"done in {results['seconds']:.0f} s; wrote {RESULTS / 'browser.json'}")


if __name__ == "__main__":
    main()

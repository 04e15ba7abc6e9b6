"""Browser benchmarks: this framework against anywidget and ipywidgets, through real JupyterLab.

One command (`.venv/bin/python bench/browser.py`) starts two JupyterLab servers (our TCP_NODELAY
server extension on, and off) and Debian's Chromium (Playwright), runs every scenario for each
framework, prints a table and writes bench/results/browser.json. Nothing here asserts a time.

Times are taken inside the page with performance.now(); bytes are the sizes of the kernel
websocket frames Playwright sees. How each figure is measured is printed under the table (and is
in `NOTES` below). `--profile` also records Chromium CPU profiles (CDP) of the last repeat of
scenarios 1 and 5 and the first round of scenario 4 for every framework, into
bench/results/profiles/, and prints where the page's time went (by owner: our extension, anywidget,
@jupyter-widgets, JupyterLab, native); profiled repeats run slower, so compare figures without it.
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
from typing import Any, TypeVar

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
T = TypeVar("T")
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
VIEWS_ROUNDS = 2  # scenario 4: fresh pages per round
TRIP_CHUNK = 10  # scenario 3: trips per framework before the next one's turn

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

# widgets and anywidget run the same classes and ES modules; only the base class and the way
# to hold binary differ.
_SAME_MODULES = """
class Value({base}):
    _esm = VALUE_ESM
    value = traitlets.Int(0).tag(sync=True)
class Items({base}):
    _esm = EMPTY_ESM
    items = traitlets.List().tag(sync=True)
class Echo({base}):
    _esm = ECHO_ESM
    a = traitlets.Int(0).tag(sync=True)
    b = traitlets.Int(0).tag(sync=True)
    @traitlets.observe("a")
    def _mirror(self, change):
        self.b = change["new"]
class Blob({base}):
    _esm = BLOB_ESM
    data = {data_trait}.tag(sync=True)
def make_value(v):
    return Value(value=v)
def show(model):
    display(model)
def empty(blob):
    blob.data = None
"""

DEFS: dict[str, str] = {
    "widgets": _TRAITS
    + "import widgets\n"
    + _SAME_MODULES.format(base="widgets.Model", data_trait="widgets.Array(None, allow_none=True)")
    + """
def change_item(model, k):
    with model.mutate("items") as items:
        items[k] = -k
def fill(blob):
    blob.data = ARR          # a numpy array: one buffer, a Float64Array in the browser
""",
    "anywidget": _TRAITS
    + "import anywidget\n"
    + _SAME_MODULES.format(base="anywidget.AnyWidget", data_trait="traitlets.Any(None)")
    + """
def change_item(model, k):
    items = list(model.items)
    items[k] = -k
    model.items = items
def fill(blob):
    blob.data = ARR_VIEW     # memoryview of the array (no copy): one buffer, a DataView in the browser
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
  if (!window.__bench_echo_comm) {           // one comm per page, reused by every chunk of trips
    const comm = window.__bench.kernel().createComm("bench_echo");
    comm.onMsg = () => window.__bench_echo_pending?.();
    await comm.open({}).done;
    window.__bench_echo_comm = comm;
  }
  const comm = window.__bench_echo_comm;
  const times = [];
  for (let i = 0; i < warmup + trips; i++) {
    const t0 = performance.now();
    await new Promise((resolve) => { window.__bench_echo_pending = resolve; comm.send({ i }); });
    if (i >= warmup) times.push(performance.now() - t0);
  }
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
    "All frameworks' pages (one kernel each) are open at once and repeats are interleaved, rotating the order, "
    "so that other load on the machine hits every framework alike.",
    "1: one cell-less execute `for i in range(2000): w.value = i` sent with kernel.requestExecute; start = just "
    "before that call, end = a MutationObserver on the view element sees text '1999' (reset to 5000 and waited "
    "for before each of 5 repeats; median). 'execute_reply' = when the page got the reply; 'comm msgs' = "
    "websocket frames of that model during the loop.",
    "2: 20 changes of one element of a 100,000-int list, in one execute with 50 ms between; bytes = mean size "
    "of the websocket frames (kernel -> browser, whole Jupyter message) that are comm_msg of that model; the "
    "browser's last value is checked.",
    "3: in the page, model.set('a', n); model.save_changes(); until `change:b` shows b == n (a Python observer "
    "sets b = a); 10 warm-up trips, then 100 timed, in chunks of 10 interleaved over frameworks, floor and both "
    "servers. 'floor' = a bare comm the page opens to an echo target in a kernel without any widget framework.",
    "4: one cell `for i in range(500): display(W(value=i))` run as a notebook cell in a fresh page; start = the "
    "cell's kernel.requestExecute call, end = 500 views in the DOM (requestAnimationFrame poll); median of "
    f"{VIEWS_ROUNDS} rounds. maxNumberOutputs is {MAX_OUTPUTS} (0 hides every output in JupyterLab 4.6.6); all 500 "
    "outputs are checked.",
    "5: `blob.data = <80 MB>` (array made beforehand), start = requestExecute, end = the model in the page holds "
    "data of byteLength 80,000,000 (`change:data`); median of 3. Bytes = the largest websocket frame of that "
    "model. 'floor' = a bare comm whose kernel handler answers with one 80 MB buffer.",
    "6: import ms and Python bytes per model from bench/core.py (fresh interpreters); frontend size = esbuild "
    "--bundle --minify of frontend/extension/runtime.ts, gzip -9. anywidget: its labextension chunks minified "
    "by esbuild (inline source maps dropped), gzip -9; non-vendor = the chunk holding packages/anywidget/src.",
]


# --- helpers --------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def rotated(items: list[T], by: int) -> list[T]:
    by %= len(items)
    return items[by:] + items[:by]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def open_pages(browser: Browser, server: Server, notebooks: dict[str, list[str]]) -> Iterator[dict[str, Notebook]]:
    """One fresh page per notebook (name -> cells), all open together; their kernels are shut down after."""
    contexts = []
    pages: dict[str, Notebook] = {}
    try:
        for name, cells in notebooks.items():
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(120_000)
            notebook = open_notebook(page, server, write_notebook(server.root, f"{name}.ipynb", cells))
            notebook.wait_for_kernel()
            page.evaluate(HELPERS)
            pages[name] = notebook
        yield pages
        for name, notebook in pages.items():
            if notebook.page_errors():
                log(f"page errors in {name}: {notebook.page_errors()[:3]}")
    finally:
        for context in contexts:
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


def sizes_of(notebook: Notebook, comm_id: str) -> list[int]:
    needle = comm_id.encode()
    return [len(p) for d, p in notebook.frames if d == "in" and b"comm_msg" in p and needle in p]


def wait_frames(notebook: Notebook, comm_id: str, predicate: Callable[[list[int]], bool], timeout: float = 30) -> None:
    """Let Playwright deliver frame events until the frames of `comm_id` satisfy `predicate`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate(sizes_of(notebook, comm_id)):
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
    cdp.send("Profiler.setSamplingInterval", {"interval": 1000})  # µs; finer slows anywidget a lot
    cdp.send("Profiler.start")
    try:
        yield
    finally:
        profile = cdp.send("Profiler.stop")["profile"]
        path.write_text(json.dumps(profile))
        cdp.detach()


def owner(url: str) -> str:
    """Whose code a profiled function is, by its script URL."""
    if not url:
        return "native (layout, style, GC, ...)"
    for needle, name in (
        ("/widgets-labextension/", "ours (widgets-labextension)"),
        ("/anywidget/", "anywidget"),
        ("/@jupyter-widgets/", "ipywidgets (@jupyter-widgets)"),
        ("blob:", "view modules (blob: URLs)"),
    ):
        if needle in url:
            return name
    return "JupyterLab and the rest of the page"


def summarize_profile(path: Path, top: int = 8) -> tuple[dict[str, float], list[tuple[float, str]]]:
    """Self time (ms) by owner, and the heaviest functions, from a .cpuprofile ('(idle)' left out)."""
    profile = json.loads(path.read_text())
    nodes = {n["id"]: n for n in profile["nodes"]}
    by_owner: dict[str, float] = {}
    by_function: dict[str, float] = {}
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        frame = nodes[sample]["callFrame"]
        name = frame["functionName"] or "(anonymous)"
        if name == "(idle)":
            continue
        ms = delta / 1000
        by_owner[owner(frame["url"])] = by_owner.get(owner(frame["url"]), 0.0) + ms
        key = f"{name} {frame['url'].rsplit('/', 1)[-1][:36]}:{frame['lineNumber'] + 1}"
        by_function[key] = by_function.get(key, 0.0) + ms
    heaviest = sorted(((ms, key) for key, ms in by_function.items()), reverse=True)[:top]
    return dict(sorted(by_owner.items(), key=lambda item: -item[1])), heaviest


# --- scenarios ------------------------------------------------------------------------------------


def main_notebook_cells(framework: str) -> list[str]:
    ready = "print('BENCH-READY', json.dumps({'w': w.model_id, 'L': L.model_id, 'B': B.model_id}))"
    return [
        DEFS[framework].replace("{esms}", _ESMS) + ARRAYS[framework],
        "w = make_value(0)\nw",
        f"L = Items(items=list(range({LIST_LEN})))\nB = Blob()\nshow(B)\n" + ready,
    ]


def echo_notebook_cells(framework: str) -> list[str]:
    probe = "probe()\n" if framework == "ipywidgets" else ""
    return [
        DEFS[framework].replace("{esms}", _ESMS),
        "E = Echo()\nshow(E)\n" + probe + "print('BENCH-READY', json.dumps({'E': E.model_id}))",
    ]


def loop_once(notebook: Notebook, framework: str, model_id: str, profile: Path | None) -> dict[str, float]:
    selector = VALUE_SELECTOR[framework]
    # A reset value outside the loop's range (not -1: ipywidgets' readout writes U+2212 for minus).
    notebook.execute(f"w.value = {LOOP_RESET}")
    notebook.page.wait_for_function(f"() => document.querySelector({selector!r}).textContent.trim() === '{LOOP_RESET}'")
    notebook.frames.clear()
    with cpu_profile(notebook.page, profile):
        result: dict[str, float] = notebook.page.evaluate(
            LOOP_JS,
            {"code": f"for i in range({LOOP_SETS}): w.value = i", "selector": selector, "expected": str(LOOP_SETS - 1)},
        )
    notebook.page.wait_for_timeout(200)  # let the frame events of the loop arrive
    result["comm_msgs"] = len(sizes_of(notebook, model_id))
    notebook.frames.clear()
    return result


def scenario_list(notebook: Notebook, framework: str, model_id: str) -> dict[str, Any]:
    notebook.frames.clear()
    indices = [1000 * k for k in range(1, LIST_UPDATES + 1)]
    notebook.execute("\n".join(f"change_item(L, {i}); time.sleep(0.05)" for i in indices))
    length = notebook.page.evaluate(
        LIST_CHECK_JS, {"framework": framework, "id": model_id, "index": indices[-1], "expected": -indices[-1]}
    )
    wait_frames(notebook, model_id, lambda sizes: len(sizes) >= LIST_UPDATES)
    sizes = sizes_of(notebook, model_id)
    notebook.frames.clear()
    return {"bytes_per_update": sum(sizes) / max(1, len(sizes)), "frames": len(sizes), "browser_length": length}


def blob_once(notebook: Notebook, framework: str, model_id: str, profile: Path | None) -> dict[str, Any]:
    notebook.frames.clear()
    with cpu_profile(notebook.page, profile):
        if framework == "floor":
            result: dict[str, Any] = notebook.page.evaluate(BLOB_FLOOR_JS, {"bytes": ARRAY_BYTES})
            model_id = result["comm_id"]
        else:
            result = notebook.page.evaluate(
                BLOB_JS,
                {"framework": framework, "id": model_id, "fill": "fill(B)", "empty": "empty(B)", "bytes": ARRAY_BYTES},
            )
    wait_frames(notebook, model_id, lambda sizes: any(x >= ARRAY_BYTES for x in sizes), timeout=60)
    result["ws_bytes"] = max(sizes_of(notebook, model_id), default=0)
    notebook.frames.clear()
    return result


def trips_chunk(notebook: Notebook, framework: str, model_id: str, warmup: int, start: int) -> list[float]:
    if framework == "floor":
        return notebook.page.evaluate(ECHO_FLOOR_JS, {"trips": TRIP_CHUNK, "warmup": warmup})  # type: ignore[no-any-return]
    return notebook.page.evaluate(  # type: ignore[no-any-return]
        TRIPS_JS, {"framework": framework, "id": model_id, "trips": TRIP_CHUNK, "warmup": warmup, "start": start}
    )


def views_once(browser: Browser, server: Server, framework: str, profile: Path | None) -> dict[str, Any]:
    cell = f"for i in range({VIEWS}): display(make_value(i))"
    with open_pages(browser, server, {f"views-{framework}": [cell]}) as pages:
        notebook = pages[f"views-{framework}"]
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
    return f"extension on, sockets with TCP_NODELAY: {sum(1 for s in body.get('sockets', []) if s.get('nodelay'))}"


# --- scenario 6: sizes and Python-side figures ----------------------------------------------------


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def esbuild(args: list[str], stdin: bytes | None = None) -> bytes:
    binary = ROOT / "node_modules" / ".bin" / "esbuild"
    command = [str(binary)] if binary.exists() else ["npx", "esbuild"]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, check=True, cwd=ROOT).stdout


def frontend_sizes() -> dict[str, Any]:
    # The runtime as the extension ships it: es-module-lexer is a separate chunk, loaded only for a
    # view module that has imports (loader.ts); it is reported on its own.
    runtime = esbuild(
        ["frontend/extension/runtime.ts", "--bundle", "--minify", "--format=esm", "--external:es-module-lexer"]
    )
    lexer = esbuild(["node_modules/es-module-lexer/dist/lexer.js", "--minify", "--format=esm"])
    sizes: dict[str, Any] = {
        "widgets": {"min": len(runtime), "min_gzip": gz(runtime), "lazy_es_module_lexer_min_gzip": gz(lexer)},
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


def build_staleness() -> str | None:
    """A warning when the built labextension (what the browser runs) is older than frontend/ sources."""
    sources = [p for d in ("frontend/src", "frontend/extension") for p in (ROOT / d).glob("*.ts")]
    built = list((ROOT / "widgets" / "labextension" / "static").glob("*.js"))
    if not sources or not built:
        return "no built labextension found"
    newest_source = max(p.stat().st_mtime for p in sources)
    if newest_source > max(p.stat().st_mtime for p in built):
        return "widgets/labextension is older than frontend/ sources: the browser ran the previous build (make build)"
    return None


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
                main_scenarios(browser, servers["on"], results, profile_dir)
                views_scenario(browser, servers["on"], results, profile_dir)
                trips_scenario(browser, servers, results)
            finally:
                browser.close()
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def main_scenarios(browser: Browser, server: Server, results: dict[str, Any], profile_dir: Path | None) -> None:
    """Scenarios 1, 2 and 5: one page and kernel per framework (plus the floor's), all open at once."""
    notebooks = {fw: main_notebook_cells(fw) for fw in FRAMEWORKS}
    notebooks["floor"] = ["# a kernel without a widget framework"]
    log("scenarios 1, 2, 5: opening one page per framework and the floor's")
    with open_pages(browser, server, notebooks) as pages:
        ids = {fw: run_cells_until_ready(pages[fw]) for fw in FRAMEWORKS}
        pages["floor"].execute(FLOOR_DEFS)
        for fw in FRAMEWORKS:
            pages[fw].page.wait_for_selector(VALUE_SELECTOR[fw])

        def profile(name: str, fw: str, last: bool) -> Path | None:
            return profile_dir / f"{name}-{fw}.cpuprofile" if profile_dir and last else None

        loops: dict[str, list[dict[str, float]]] = {fw: [] for fw in FRAMEWORKS}
        for repeat in range(LOOP_REPEATS):
            for fw in rotated(FRAMEWORKS, repeat):
                last = repeat == LOOP_REPEATS - 1
                loops[fw].append(loop_once(pages[fw], fw, ids[fw]["w"], profile("loop", fw, last)))
            log(f"  1, repeat {repeat + 1}: " + ", ".join(f"{fw} {loops[fw][-1]['ms']:.0f} ms" for fw in FRAMEWORKS))
        for fw in FRAMEWORKS:
            runs = loops[fw]
            results["1"][fw] = {
                "ms": median([r["ms"] for r in runs]),
                "reply_ms": median([r["reply_ms"] for r in runs]),
                "comm_msgs": median([r["comm_msgs"] for r in runs]),
                "runs": runs,
            }
            results["2"][fw] = scenario_list(pages[fw], fw, ids[fw]["L"])
            log(f"  2: {fw} {results['2'][fw]['bytes_per_update']:,.0f} B per update")

        blobs: dict[str, list[dict[str, Any]]] = {fw: [] for fw in [*FRAMEWORKS, "floor"]}
        for repeat in range(ARRAY_REPEATS):
            for fw in rotated([*FRAMEWORKS, "floor"], repeat):
                model_id = ids[fw]["B"] if fw in ids else ""
                last = repeat == ARRAY_REPEATS - 1
                blobs[fw].append(blob_once(pages[fw], fw, model_id, profile("blob", fw, last)))
            log(f"  5, repeat {repeat + 1}: " + ", ".join(f"{fw} {blobs[fw][-1]['ms']:.0f} ms" for fw in blobs))
        for fw, runs in blobs.items():
            results["5"][fw] = {
                "ms": median([r["ms"] for r in runs]),
                "reply_ms": median([r["reply_ms"] for r in runs]) if fw != "floor" else None,
                "ws_bytes": max(r["ws_bytes"] for r in runs),
                "browser_type": runs[-1].get("type"),
                "runs": runs,
            }


def views_scenario(browser: Browser, server: Server, results: dict[str, Any], profile_dir: Path | None) -> None:
    """Scenario 4: a fresh page per framework and round, rounds interleaved."""
    runs: dict[str, list[dict[str, Any]]] = {fw: [] for fw in FRAMEWORKS}
    for round_ in range(VIEWS_ROUNDS):
        for fw in rotated(FRAMEWORKS, round_):
            path = profile_dir / f"views-{fw}.cpuprofile" if profile_dir and round_ == 0 else None
            runs[fw].append(views_once(browser, server, fw, path))
        log(f"  4, round {round_ + 1}: " + ", ".join(f"{fw} {runs[fw][-1]['ms']} ms" for fw in FRAMEWORKS))
    for fw in FRAMEWORKS:
        done = [r for r in runs[fw] if r["ms"] is not None]
        results["4"][fw] = {
            "ms": median([r["ms"] for r in done]) if done else None,
            "reply_ms": median([r["reply_ms"] for r in done]) if done else None,
            "outputs": min(r["outputs"] for r in runs[fw]),
            "runs": runs[fw],
        }


def trips_scenario(browser: Browser, servers: dict[str, Server], results: dict[str, Any]) -> None:
    """Scenario 3: echo pages for every framework and the floor on both servers, chunks interleaved."""
    log("scenario 3: opening echo pages on both servers")
    notebooks = {fw: echo_notebook_cells(fw) for fw in FRAMEWORKS}
    notebooks["floor"] = ["# a kernel without a widget framework"]
    with (
        open_pages(browser, servers["on"], {f"echo-{k}": v for k, v in notebooks.items()}) as on,
        open_pages(browser, servers["off"], {f"echo-{k}": v for k, v in notebooks.items()}) as off,
    ):
        pages = {"on": on, "off": off}
        ids: dict[tuple[str, str], str] = {}
        for label, group in pages.items():
            for fw in FRAMEWORKS:
                ids[label, fw] = run_cells_until_ready(group[f"echo-{fw}"])["E"]
            group["echo-floor"].execute(FLOOR_DEFS)
            results["nodelay"][label] = nodelay_status(servers[label])
        runs = [(label, fw) for label in pages for fw in [*FRAMEWORKS, "floor"]]
        times: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
        for chunk in range(TRIPS // TRIP_CHUNK):
            for label, fw in rotated(runs, chunk):
                warmup = WARMUP_TRIPS if chunk == 0 else 0
                start = 1000 + chunk * (TRIP_CHUNK + WARMUP_TRIPS)
                model_id = ids.get((label, fw), "")
                times[label, fw] += trips_chunk(pages[label][f"echo-{fw}"], fw, model_id, warmup, start)
        for (label, fw), values in times.items():
            results["3"][label][fw] = {"p50": percentile(values, 0.5), "p90": percentile(values, 0.9), "all": values}
        for label in pages:
            log(f"  3 ({label}): " + ", ".join(f"{k} p50 {v['p50']:.1f} ms" for k, v in results["3"][label].items()))


# --- the table ------------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> list[tuple[str, dict[str, float | None]]]:
    s1, s2, s3, s4, s5, s6 = (results[k] for k in "123456")
    rows: list[tuple[str, dict[str, float | None]]] = []

    def row(name: str, values: dict[str, Any], key: str, floor: bool = False) -> None:
        cells: dict[str, float | None] = {}
        for f in [*FRAMEWORKS, "floor"]:
            value = values[f][key] if f in values and (floor or f != "floor") else None
            cells[f] = None if value is None else float(value)
        rows.append((name, cells))

    row("1. 2000 sets -> DOM, ms (median of 5)", s1, "ms")
    row("1.   execute_reply in the page, ms", s1, "reply_ms")
    row("1.   comm msgs for the loop", s1, "comm_msgs")
    row("2. bytes per 1-element list update", s2, "bytes_per_update")
    for label in ("on", "off"):
        for q in ("p50", "p90"):
            row(f"3. round trip {q}, ms (NODELAY {label})", s3[label], q, floor=True)
    row(f"4. {VIEWS} views rendered, ms", s4, "ms")
    row("4.   execute_reply in the page, ms", s4, "reply_ms")
    row("5. 80 MB array -> browser, ms (median 3)", s5, "ms", floor=True)
    row("5.   execute_reply in the page, ms", s5, "reply_ms")
    row("5.   websocket bytes", s5, "ws_bytes", floor=True)
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

    def fmt(value: float | None, width: int) -> str:
        if value is None:
            return f"{'-':>{width}}"
        return f"{value:>{width},.1f}" if value < 1000 else f"{value:>{width},.0f}"

    for name, cells in rows:
        ours = cells["widgets"]
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
        f"frontend: ours = runtime.ts bundled+minified ({sizes['widgets']['min']:,} B min), without es-module-lexer "
        f"({sizes['widgets']['lazy_es_module_lexer_min_gzip']:,} B min+gzip), a chunk loaded only for view modules "
        f"with imports; anywidget = its own chunk(s) {', '.join(sizes['anywidget']['own_chunks'])} "
        f"(every chunk JupyterLab loads for it, incl. remoteEntry and vendor: "
        f"{sizes['anywidget']['min_gzip_all_loaded']:,} B; both sit on JupyterLab, anywidget also on "
        "@jupyter-widgets/base, not counted); ipywidgets not measured."
    )
    types = ", ".join(f"{f}={results['5'][f]['browser_type']}" for f in FRAMEWORKS)
    print(f"scenario 5 in the browser: {types}.")
    print(f"TCP_NODELAY: on-server {results['nodelay']['on']}; off-server {results['nodelay']['off']}.")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {results['load'][0]:.1f} at start, "
        f"{results['load'][1]:.1f} at end; {results['seconds']:.0f} s."
    )
    if results.get("stale"):
        print(f"WARNING: {results['stale']}")
    print()
    for note in NOTES:
        print("  " + note)


def print_profiles(profile_dir: Path) -> None:
    for path in sorted(profile_dir.glob("*.cpuprofile")):
        by_owner, heaviest = summarize_profile(path)
        total = sum(by_owner.values())
        print(
            f"\n{path.name}: {total:,.0f} ms busy in the page: "
            + ", ".join(f"{k} {v:,.0f}" for k, v in by_owner.items())
        )
        for ms, name in heaviest:
            print(f"  {ms:8.1f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--profile", action="store_true", help="Chromium CPU profiles of scenarios 1, 4 and 5")
    args = parser.parse_args()
    started = time.monotonic()
    results: dict[str, Any] = {"1": {}, "2": {}, "3": {"on": {}, "off": {}}, "4": {}, "5": {}, "nodelay": {}}
    results["stale"] = build_staleness()
    load_start = os.getloadavg()[0]
    log("scenario 6: import time, memory per model, frontend sizes")
    results["6"] = {"python": python_figures(), "frontend": frontend_sizes()}
    profile_dir = RESULTS / "profiles" if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    run_browser(results, profile_dir)
    results["seconds"] = time.monotonic() - started
    results["load"] = [load_start, os.getloadavg()[0]]
    print_table(results)
    if profile_dir:
        print_profiles(profile_dir)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "browser.json").write_text(json.dumps(results, indent=2))
    log(f"done in {results['seconds']:.0f} s; wrote {RESULTS / 'browser.json'}")


if __name__ == "__main__":
    main()

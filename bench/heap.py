"""Page heap left by 2,000 outputs displayed, cleared and closed: ours, anywidget, plain HTML.

`.venv/bin/python bench/heap.py` starts one JupyterLab and Chromium, opens a notebook of 40 cells
that each display 50 outputs of one kind, and per kind: reads the JS heap (CDP
`HeapProfiler.collectGarbage` then `Runtime.getHeapUsage`), runs all cells, waits for every
output, clears all outputs, closes the models in the kernel, and reads the heap again. Kinds:

- html: `display(HTML(...))`, what JupyterLab itself keeps per output;
- html+comm: the same plus one bare comm per output opened and closed by the kernel, what any
  comm-based widget pays in JupyterLab (its `CommHandler` stays connected to the kernel's
  `statusChanged` after it is disposed, @jupyterlab/services 7.6 kernel/comm.js);
- ours: `widgets.Model` views; anywidget: `anywidget.AnyWidget` views of the same ES module.

Each kind runs in a fresh page and kernel: a warm-up cycle, then the measured ones, each against
its own baseline. Prints
kB per output (median over cycles) and the ratios the issue asks for. Asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import log
from playwright.sync_api import CDPSession, Page, sync_playwright

from tests.e2e.jupyter import (
    CHROMIUM,
    CHROMIUM_ARGS,
    KERNEL,
    Notebook,
    open_notebook,
    shutdown_sessions,
    start_server,
    write_notebook,
)

CELLS = 40
PER_CELL = 50
OUTPUTS = CELLS * PER_CELL
KINDS = ["html", "html+comm", "ours", "anywidget"]
SELECTOR = {"html": ".mem-html", "html+comm": ".mem-html", "ours": ".mem-view", "anywidget": ".mem-view"}

ESM = """export default { render({ model, el }) {
  const div = document.createElement("div");
  div.className = "mem-view";
  const show = () => { div.textContent = String(model.get("value")); };
  model.on("change:value", show); show(); el.append(div); } };"""

SETUP = f"""
import time
import anywidget, traitlets, widgets
from comm import create_comm
from IPython.display import HTML, display

ESM = {ESM!r}
class Ours(widgets.Model):
    _esm = ESM
    value = traitlets.Int(0).tag(sync=True)
class AnyView(anywidget.AnyWidget):
    _esm = ESM
    value = traitlets.Int(0).tag(sync=True)

KIND = "html"
shown = []

def show_batch():
    for i in range({PER_CELL}):
        if KIND in ("ours", "anywidget"):
            model = (Ours if KIND == "ours" else AnyView)(value=i)
            shown.append(model)
            display(model)
        else:
            display(HTML(f'<div class="mem-html">{{i}}</div>'))
            if KIND == "html+comm":
                shown.append(create_comm(target_name="bench_floor"))

def close_all():
    for i, model in enumerate(shown):
        if i % 100 == 99:
            time.sleep(0.05)  # bursts of thousands of comm_close lose some on the way (ZMQ high-water marks)
        model.close()
        if isinstance(model, AnyView):
            model.layout.close()  # every DOMWidget has a Layout widget of its own, with its own comm
    shown.clear()
"""

# A target for the bare comms, so JupyterLab makes a CommHandler for each (as for a widget's).
FLOOR_TARGET_JS = f"() => {KERNEL}.registerCommTarget('bench_floor', () => undefined)"
# Comms the page's kernel connection still has open.
OPEN_COMMS_JS = f"() => {KERNEL}._comms.size"


class Heap:
    """The page's JS heap through CDP, after forced garbage collections."""

    def __init__(self, cdp: CDPSession, page: Page) -> None:
        self.cdp = cdp
        self.page = page

    def used(self) -> int:
        readings = []
        for _ in range(3):
            self.page.wait_for_timeout(150)
            for _ in range(3):
                self.cdp.send("HeapProfiler.collectGarbage")
            readings.append(int(self.cdp.send("Runtime.getHeapUsage")["usedSize"]))
        return min(readings)


def cycle(notebook: Notebook, heap: Heap, kind: str) -> dict[str, float]:
    page = notebook.page
    notebook.execute(f"KIND = {kind!r}")
    comms = page.evaluate(OPEN_COMMS_JS)
    before = heap.used()
    started = time.monotonic()
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        f"() => document.querySelectorAll({SELECTOR[kind]!r}).length === {OUTPUTS}", timeout=600_000, polling=250
    )
    shown_s = time.monotonic() - started
    notebook.wait_for_kernel()
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea-child').length === 0")
    notebook.execute("close_all()")
    page.wait_for_function(f"() => ({OPEN_COMMS_JS})() <= {comms}", timeout=120_000, polling=100)
    page.wait_for_timeout(1000)  # cleanups that run after the close (anywidget aborts its views' signals)
    left = heap.used() - before
    return {"bytes_per_output": left / OUTPUTS, "shown_s": shown_s, "heap_after": heap.used()}


def run(cycles: int) -> dict[str, list[dict[str, float]]]:
    root = Path(tempfile.mkdtemp(prefix="widgets-heap-"))
    (root / "lab").mkdir()
    # jupyter_server drops iopub messages beyond 1,000/s (over 3 s); anywidget sends two comm
    # messages per view (its Layout widget's and its own).
    server = start_server("lab", root / "lab", ["--ServerApp.iopub_msg_rate_limit=1000000"])
    results: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for kind in KINDS:  # a fresh page and kernel per kind: what one kind frees late is not another's
                context = browser.new_context(viewport={"width": 1280, "height": 1000})
                page = context.new_page()
                page.set_default_timeout(120_000)
                name = write_notebook(server.root, f"heap-{kind}.ipynb", ["show_batch()"] * CELLS)
                notebook = open_notebook(page, server, name)
                notebook.wait_for_kernel()
                notebook.execute(SETUP)
                page.evaluate(FLOOR_TARGET_JS)
                heap = Heap(context.new_cdp_session(page), page)
                warm = cycle(notebook, heap, kind)
                log(f"{kind}: warm-up {warm['bytes_per_output'] / 1000:.2f} kB per output ({warm['shown_s']:.1f} s)")
                for _ in range(cycles):
                    results[kind].append(cycle(notebook, heap, kind))
                log(f"{kind}: " + ", ".join(f"{r['bytes_per_output'] / 1000:.2f}" for r in results[kind]) + " kB")
                if notebook.page_errors():
                    log(f"{kind}: page errors: {notebook.page_errors()[:2]}")
                context.close()
                shutdown_sessions(server)
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cycles", type=int, default=3, help="measured cycles per kind (default 3)")
    args = parser.parse_args()
    started = time.monotonic()
    results = run(args.cycles)
    per = {k: statistics.median(r["bytes_per_output"] for r in runs) for k, runs in results.items()}
    print(f"{'kind':<12}{'kB per output left':>20}{'cycles (kB)':>34}{'x html':>9}{'x html+comm':>13}")
    for kind in KINDS:
        runs = " ".join(f"{r['bytes_per_output'] / 1000:.2f}" for r in results[kind])
        print(
            f"{kind:<12}{per[kind] / 1000:>20.2f}{runs:>34}{per[kind] / per['html']:>8.2f}x"
            f"{per[kind] / per['html+comm']:>12.2f}x"
        )
    print(
        f"{OUTPUTS:,} outputs (40 cells of 50) per cycle; heap after forced GC, each cycle against its own baseline; "
        f"{time.monotonic() - started:.0f} s."
    )


if __name__ == "__main__":
    main()

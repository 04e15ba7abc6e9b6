"""2,000 widgets displayed, cleared and closed leave the page's JS heap as plain HTML outputs do.

Three kinds: 2,000 plain HTML outputs (what JupyterLab itself keeps per output), the same with
one bare comm per output that the kernel opens and closes (what any comm-based widget would pay
in JupyterLab 4.6, whose @jupyterlab/services keeps every comm handler after `dispose()`:
kernel/comm.js connects a closure to `kernel.statusChanged` in the handler's constructor and
never disconnects it; frontend/extension/commslots.ts disconnects it for our comms), and ours.

The heap is read through the Chromium DevTools protocol after forced garbage collections
(`HeapProfiler.collectGarbage`, then `Runtime.getHeapUsage`), before displaying (the baseline)
and after the outputs are cleared and the models closed in the kernel. Kinds alternate and every
cycle has its own baseline, so what JupyterLab keeps anyway (its output models, history) is in
all figures alike; what a kind leaves is the mean over the cycles. Single cycles vary by about
±0.05 kB per output (GC timing), so the bound on ours is absolute: at most MARGIN bytes per
widget beyond plain HTML, less than any object a view, model or comm handler holds (a closed
`WidgetModel` kept ~1.2 kB, a `CommHandler` ~0.4 kB). bench/heap.py reports the ratio.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import CDPSession, Page

from .jupyter import Notebook, Server, open_notebook, shutdown_sessions, write_notebook

CELLS = 40  # JupyterLab shows at most 50 outputs per cell by default: 40 cells of 50
PER_CELL = 50
OUTPUTS = CELLS * PER_CELL
CYCLES = 5  # measured cycles per kind, after one warm-up cycle each
MARGIN = 100  # bytes per widget ours may leave beyond a plain HTML output (see above)
KINDS = ("html", "html+comm", "ours")
SELECTOR = {"ours": ".mem-ours", "html": ".mem-html", "html+comm": ".mem-html"}
OPEN_COMMS = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel._comms.size"

SETUP = f"""
import time

import widgets
from comm import create_comm
from IPython.display import HTML, display
from traitlets import Int

class Cell(widgets.Model):
    _esm = '''export default {{ render({{ model, el }}) {{
      const div = document.createElement("div");
      div.className = "mem-ours";
      const show = () => {{ div.textContent = String(model.get("value")); }};
      model.on("change:value", show); show(); el.append(div); }} }};'''
    value = Int(0).tag(sync=True)

KIND = "html"
shown = []

def show_batch():
    for i in range({PER_CELL}):
        if KIND == "ours":
            model = Cell(value=i)
            shown.append(model)
            display(model)
        else:
            display(HTML(f'<div class="mem-html">{{i}}</div>'))
            if KIND == "html+comm":
                shown.append(create_comm(target_name="memory_floor"))

def close_all():
    # jupyter_server drops iopub messages beyond 1,000/s (iopub_msg_rate_limit, over 3 s): a
    # burst of 2,000 comm_close would lose some, for any comm-based widget. Paced at ~500/s.
    for i, model in enumerate(shown):
        if i % 50 == 49:
            time.sleep(0.1)
        model.close()
    shown.clear()
"""


@dataclass
class Heap:
    """The page's JS heap through CDP, after forced garbage collections."""

    cdp: CDPSession
    page: Page

    def used(self) -> int:
        readings = []
        for _ in range(3):  # a few passes: finalizers and weak references free more on the next one
            self.page.wait_for_timeout(150)
            for _ in range(3):
                self.cdp.send("HeapProfiler.collectGarbage")
            readings.append(int(self.cdp.send("Runtime.getHeapUsage")["usedSize"]))
        return min(readings)


@pytest.fixture
def lab(page: Page, jupyter_servers: dict[str, Server]) -> Iterator[Notebook]:
    server = jupyter_servers["lab"]
    name = write_notebook(server.root, "memory.ipynb", ["show_batch()"] * CELLS)
    notebook = open_notebook(page, server, name)
    notebook.wait_for_kernel()
    notebook.execute(SETUP)
    # A target for the bare comms, so JupyterLab makes a comm handler for each, as for a widget's.
    page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        ".registerCommTarget('memory_floor', () => undefined)"
    )
    yield notebook
    shutdown_sessions(server)


def live_models(page: Page) -> int:
    count: int = page.evaluate(
        """() => {
          const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
          return window.widgetsRuntime.manager(kernel.id)?.allModels().length ?? 0;
        }"""
    )
    return count


def cycle(notebook: Notebook, heap: Heap, kind: str) -> int:
    """Display OUTPUTS outputs of `kind`, clear them, close the models; the bytes left behind."""
    page = notebook.page
    notebook.execute(f"KIND = {kind!r}")
    comms = page.evaluate(f"() => {OPEN_COMMS}")
    before = heap.used()
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        f"() => document.querySelectorAll({SELECTOR[kind]!r}).length === {OUTPUTS}", timeout=180_000, polling=200
    )
    notebook.wait_for_kernel()
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea-child').length === 0")
    notebook.execute("close_all()")
    page.wait_for_function(
        """(comms) => {
          const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
          const models = window.widgetsRuntime.manager(kernel.id)?.allModels().length ?? 0;
          return models === 0 && kernel._comms.size <= comms;
        }""",
        arg=comms,
        timeout=60_000,
    )
    return heap.used() - before


def test_cleared_widgets_leave_no_more_heap_than_plain_html_outputs(lab: Notebook) -> None:
    page = lab.page
    cdp = page.context.new_cdp_session(page)
    heap = Heap(cdp, page)
    left: dict[str, list[int]] = {}
    per_output: dict[str, float] = {}
    for kind in KINDS:  # warm-up: module load, style sheets, JupyterLab's own pools
        cycle(lab, heap, kind)
    for attempt in range(2):
        left = {kind: [] for kind in KINDS}
        for i in range(CYCLES):
            for kind in KINDS if i % 2 == 0 else KINDS[::-1]:
                left[kind].append(cycle(lab, heap, kind))
        # The mean over cycles: single cycles vary by ±15 % (GC timing), medians of a few jump between modes.
        per_output = {kind: statistics.fmean(values) / OUTPUTS for kind, values in left.items()}
        # A measurement that cannot see the bare comms' known leak (a loaded machine once gave 72 B
        # for its ~400) says nothing about ours: it is taken once more.
        if per_output["html+comm"] - per_output["html"] > MARGIN * 2:
            break
        print(f"attempt {attempt + 1}: the floor's leak was not seen ({per_output}); measuring again")
    assert live_models(page) == 0
    ratio = per_output["ours"] / per_output["html"]
    for kind, values in left.items():
        runs = ", ".join(f"{v / OUTPUTS / 1000:.2f}" for v in values)
        print(f"{kind}: {per_output[kind] / 1000:.2f} kB per output left (mean of {runs} kB)")
    beyond = per_output["ours"] - per_output["html"]
    print(
        f"ours / plain HTML: {ratio:.2f}x, {beyond:+.0f} B per output (bound {MARGIN} B); ours / html+comm: "
        f"{per_output['ours'] / per_output['html+comm']:.2f}x; heap now {heap.used() / 1e6:.1f} MB"
    )
    # The measurement sees a comm handler's worth: the bare comms leave more than the bound.
    assert per_output["html+comm"] - per_output["html"] > MARGIN * 2, per_output
    assert beyond <= MARGIN, per_output
    assert lab.page_errors() == []

"""Saving a notebook of 500 widgets with their state (ours, anywidget with ipywidgets' "save widget
state"), against the same notebook saved without state: save time and file growth.

`.venv/bin/python bench/saved.py` starts JupyterLab (ipywidgets' saveState switched on through a
settings directory of its own) and Chromium. Per framework a notebook of 10 cells displays 50
widgets each (JupyterLab's default output limit per cell); once every view shows its value it is
saved several times with state and several times without (ours: the notebook's
`widgets-state.save_state` flag; anywidget: the same notebook with ipywidgets' setting off, in a
second server), alternating. Reports the median save time (the `docmanager:save` command, until
the file is written) and the file's size; the growth is compared with the state document's text
and with the compact JSON of the models' values alone ("the state itself"). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import log
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.jupyter import CHROMIUM, CHROMIUM_ARGS, Notebook, Server, open_notebook, start_server, write_notebook
from widgets import saved

WIDGETS = 500
PER_CELL = 50
SAVES = 7
IPYWIDGETS_SETTINGS = "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings"

ESM = """export default { render({ model, el }) {
  const div = document.createElement("div");
  div.className = "saved-value";
  const show = () => { div.textContent = `${model.get("label")} ${model.get("value")}`; };
  model.on("change:value", show); show(); el.append(div); } };"""

SETUP = {
    "widgets": "import traitlets, widgets\nBase = widgets.Model\n",
    "anywidget": "import traitlets, anywidget\nBase = anywidget.AnyWidget\n",
}
CLASS = f"""
class Value(Base):
    _esm = {ESM!r}
    value = traitlets.Int(0).tag(sync=True)
    label = traitlets.Unicode("item").tag(sync=True)
kept = []
"""
CELL = (
    f"for i in range({{start}}, {{start}} + {PER_CELL}):\n"
    "    kept.append(Value(value=i, label=f'item {{i}}'))\n    display(kept[-1])"
)
# The compact JSON of every model's values, printed by the kernel.
VALUES = (
    "import json; print(len(json.dumps({m.model_id: {'label': m.label, 'value': m.value} for m in kept},"
    " separators=(',', ':'))))"
)

SAVE_JS = """async (withState) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const model = panel.context.model;
  if (window.__framework === "widgets") {
    const meta = { ...(model.getMetadata("widgets-state") ?? {}) };
    if (withState) delete meta.save_state; else meta.save_state = false;
    model.setMetadata("widgets-state", meta);
  }
  model.dirty = true;
  const started = performance.now();
  await window.jupyterapp.commands.execute("docmanager:save");
  return performance.now() - started;
}"""


def settings_dir(root: Path, save_state: bool) -> Path:
    target = root / f"settings-{save_state}"
    path = target / IPYWIDGETS_SETTINGS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"saveState": save_state}))
    return target


def prepare(browser: Browser, server: Server, framework: str, name: str) -> Notebook:
    cells = [SETUP[framework] + CLASS] + [CELL.format(start=s) for s in range(0, WIDGETS, PER_CELL)]
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(300_000)
    notebook = open_notebook(page, server, write_notebook(server.root, name, cells))
    notebook.run_all()
    page.wait_for_function(f"() => document.querySelectorAll('.saved-value').length >= {WIDGETS}")
    notebook.wait_for_kernel()
    page.evaluate(f"() => {{ window.__framework = {framework!r}; }}")
    return notebook


def measure(notebook: Notebook, path: Path, with_state: bool) -> tuple[float, int]:
    ms: float = notebook.page.evaluate(SAVE_JS, with_state)
    return ms, path.stat().st_size


def run(saves: int) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="widgets-saved-"))
    servers: dict[bool, Server] = {}
    results: dict[str, Any] = {}
    try:
        for state in (True, False):
            (root / f"lab-{state}").mkdir()
            extra = [f"--LabApp.user_settings_dir={settings_dir(root, state)}"]
            servers[state] = start_server("lab", root / f"lab-{state}", extra)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # ours: one notebook, state switched per save; anywidget: one notebook per server.
            ours = prepare(browser, servers[True], "widgets", "ours.ipynb")
            ours_path = servers[True].root / "ours.ipynb"
            values_size = int(ours.execute(VALUES))
            theirs = {state: prepare(browser, servers[state], "anywidget", "theirs.ipynb") for state in (True, False)}
            log("notebooks ready")
            runs: dict[str, list[tuple[float, int]]] = {k: [] for k in ("ours+", "ours-", "any+", "any-")}
            for _ in range(saves):
                runs["ours+"].append(measure(ours, ours_path, True))
                runs["ours-"].append(measure(ours, ours_path, False))
                for state, key in ((True, "any+"), (False, "any-")):
                    runs[key].append(measure(theirs[state], servers[state].root / "theirs.ipynb", state))
            measure(ours, ours_path, True)
            document = json.loads(ours_path.read_text())["metadata"]["widgets-state"]["state"]
            decoded = saved.decode(saved.loads(document))
            browser.close()
        for key, values in runs.items():
            results[key] = {"ms": statistics.median(v[0] for v in values), "bytes": values[-1][1], "runs": values}
        results["document_chars"] = len(document)
        results["document_bytes"] = len(document.encode())
        results["values_bytes"] = values_size
        results["models"] = len(decoded)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--saves", type=int, default=SAVES)
    args = parser.parse_args()
    started = time.monotonic()
    r = run(args.saves)
    grow = r["ours+"]["bytes"] - r["ours-"]["bytes"]
    any_grow = r["any+"]["bytes"] - r["any-"]["bytes"]
    print(f"{'notebook of ' + str(WIDGETS) + ' widgets':<34}{'save, ms (median)':>20}{'file, bytes':>14}")
    for key, label in (
        ("ours-", "ours, without state (the floor)"),
        ("ours+", "ours, with state"),
        ("any-", "anywidget, without state"),
        ("any+", "anywidget, ipywidgets saveState"),
    ):
        print(f"{label:<34}{r[key]['ms']:>20.0f}{r[key]['bytes']:>14,}")
    print(
        f"ours: the file grows {grow:,} B for {r['models']} saved models: {grow / r['document_bytes']:.3f}x the state "
        f"document ({r['document_bytes']:,} B), {grow / r['values_bytes']:.3f}x the models' values as compact JSON "
        f"({r['values_bytes']:,} B); anywidget grows {any_grow:,} B ({any_grow / max(grow, 1):.1f}x ours)."
    )
    print(
        f"save time with state / without: ours {r['ours+']['ms'] / r['ours-']['ms']:.2f}x, "
        f"anywidget {r['any+']['ms'] / r['any-']['ms']:.2f}x; {args.saves} saves each; "
        f"{time.monotonic() - started:.0f} s."
    )


if __name__ == "__main__":
    main()

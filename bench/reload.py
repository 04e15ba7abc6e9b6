"""Reload a notebook with 200 live widgets: from the notebook shown to every view live (ours, anywidget).

`.venv/bin/python bench/reload.py` starts JupyterLab and Chromium; per framework a notebook of 4
cells displays 50 widgets each (JupyterLab's default limit per cell), is saved, then reloaded
several times, frameworks interleaved. In the page, an init script polls every animation frame:

- shown: the first frame in which the notebook's saved outputs are attached (a
  `.jp-OutputArea-child` in the notebook panel) — what the user first sees of the notebook;
- all_shown: the first frame in which all 200 views show their value (`.reload-value` text): ours
  from the state saved with the notebook (docs/sharing.md), before the kernel answers;
- live: the first frame in which all 200 views show their value and none is offline any more
  (ours: no `.widgets-view[data-status=offline]`, the kernel took the saved models over;
  anywidget saves no state here, so its views show values only once live).

Reports the median of shown→live (the figure the issue's 0.3 s target is about) and of
navigation→shown, and with `--profile` a Chromium CPU profile of one more reload per framework,
summarized by owner over the shown→live window (helpers from bench/browser.py). Asserts nothing.
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

from browser import log, owner, rotated
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.jupyter import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Notebook,
    Server,
    open_notebook,
    shutdown_sessions,
    start_server,
    write_notebook,
)

# "widgets-unsaved": ours with the notebook's saved state switched off (`save_state: false`), as before it existed
FRAMEWORKS = ["widgets", "widgets-unsaved", "anywidget"]
WIDGETS = 200
PER_CELL = 50
RELOADS = 5
RESULTS = Path(__file__).parent / "results"

ESM = """export default { render({ model, el }) {
  const div = document.createElement("div");
  div.className = "reload-value";
  const show = () => { div.textContent = String(model.get("value")); };
  model.on("change:value", show); show(); el.append(div); } };"""

SETUP = {
    "widgets": "import traitlets, widgets\nBase = widgets.Model\n",
    "anywidget": "import traitlets, anywidget\nBase = anywidget.AnyWidget\n",
}
SETUP["widgets-unsaved"] = SETUP["widgets"]
CLASS = f"""
class Value(Base):
    _esm = {ESM!r}
    value = traitlets.Int(0).tag(sync=True)
kept = []
"""
CELL = (
    f"for i in range({{start}}, {{start}} + {PER_CELL}):\n    kept.append(Value(value=i + 1000))\n    display(kept[-1])"
)

# Installed before the page's scripts run: stamps the first frame showing outputs, the first frame
# in which every view shows a value, and on the kernel websocket: its opening, the restore request
# and its reply (the first frame naming "models").
PROBE_JS = f"""(() => {{
  const r = window.__reload = {{ shown: null, live: null, views: 0, first_view: null, all_shown: null, ws_open: null,
                                 restore_sent: null, restore_reply: null }};
  const stamp = (key) => {{ if (r[key] === null) r[key] = performance.now(); }};
  const text = (data) => typeof data === "string" ? data : new TextDecoder().decode(data);
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {{
    constructor(...args) {{
      super(...args);
      if (!String(args[0]).includes("/api/kernels/")) return;
      this.addEventListener("open", () => stamp("ws_open"));
      this.addEventListener("message", (e) => {{
        if (r.restore_sent === null || r.restore_reply !== null) return;
        if (text(e.data).includes('"models"')) stamp("restore_reply");
      }});
    }}
    send(data) {{
      const kernelSocket = String(this.url).includes("/api/kernels/");
      if (r.restore_sent === null && kernelSocket && text(data).includes('"restore"')) stamp("restore_sent");
      super.send(data);
    }}
  }};
  const poll = () => {{
    const now = performance.now();
    if (r.shown === null && document.querySelector(".jp-Notebook .jp-OutputArea-child")) r.shown = now;
    if (r.shown !== null) {{
      const views = document.querySelectorAll(".reload-value");
      let live = 0;
      for (const v of views) if (v.textContent !== "" && v.textContent !== "undefined") live++;
      r.views = live;
      if (live > 0) stamp("first_view");
      if (live >= {WIDGETS}) {{
        stamp("all_shown");
        if (!document.querySelector(".widgets-view[data-status=offline]")) {{ r.live = now; return; }}
      }}
    }}
    requestAnimationFrame(poll);
  }};
  requestAnimationFrame(poll);
}})();"""


def prepare(browser: Browser, server: Server, framework: str) -> Notebook:
    cells = [SETUP[framework] + CLASS] + [CELL.format(start=s) for s in range(0, WIDGETS, PER_CELL)]
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.add_init_script(PROBE_JS)
    notebook = open_notebook(page, server, write_notebook(server.root, f"reload-{framework}.ipynb", cells))
    notebook.run_all()
    page.wait_for_function(f"() => window.__reload.views >= {WIDGETS}", timeout=300_000)
    notebook.wait_for_kernel()
    if framework == "widgets-unsaved":
        page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.context.model"
            ".setMetadata('widgets-state', { save_state: false })"
        )
    notebook.save()
    return notebook


def reload_once(page: Page, profile: bool = False) -> dict[str, Any]:
    cdp = page.context.new_cdp_session(page) if profile else None
    if cdp:
        cdp.send("Profiler.enable")
        cdp.send("Performance.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
        cdp.send("Profiler.start")
    page.reload()
    page.wait_for_function("() => window.__reload && window.__reload.live !== null", timeout=300_000)
    result: dict[str, Any] = page.evaluate("() => ({ ...window.__reload })")
    result["ms"] = result["live"] - result["shown"]
    for key in ("ws_open", "restore_sent", "restore_reply", "first_view", "all_shown"):  # relative to shown
        result[f"{key}_rel"] = None if result[key] is None else result[key] - result["shown"]
    if cdp:
        # The profile's clock (µs) against the page's performance.now(): read both at once.
        clock = cdp.send("Runtime.evaluate", {"expression": "performance.now()", "returnByValue": True})
        now_ms = float(clock["result"]["value"])
        stamp = float(
            next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "Timestamp")
        )
        profile_data = cdp.send("Profiler.stop")["profile"]
        cdp.detach()
        offset_us = stamp * 1e6 - now_ms * 1e3  # profile time = page time * 1000 + offset
        result["profile"] = window_summary(
            profile_data, result["shown"] * 1e3 + offset_us, result["live"] * 1e3 + offset_us
        )
    return result


def window_summary(profile: dict[str, Any], start_us: float, end_us: float, top: int = 12) -> dict[str, Any]:
    """Self time by owner and the heaviest functions, over the samples between start and end."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    by_owner: dict[str, float] = {}
    by_function: dict[str, float] = {}
    at = float(profile["startTime"])
    idle = 0.0
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        at += delta
        if not start_us <= at <= end_us:
            continue
        frame = nodes[sample]["callFrame"]
        name = frame["functionName"] or "(anonymous)"
        ms = delta / 1000
        if name == "(idle)":
            idle += ms
            continue
        by_owner[owner(frame["url"])] = by_owner.get(owner(frame["url"]), 0.0) + ms
        key = f"{name} {frame['url'].rsplit('/', 1)[-1][:40]}:{frame['lineNumber'] + 1}"
        by_function[key] = by_function.get(key, 0.0) + ms
    heaviest = sorted(((ms, key) for key, ms in by_function.items()), reverse=True)[:top]
    return {"idle_ms": idle, "by_owner": dict(sorted(by_owner.items(), key=lambda i: -i[1])), "heaviest": heaviest}


def run(reloads: int, profile: bool) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="widgets-reload-"))
    (root / "lab").mkdir()
    server = start_server("lab", root / "lab")
    results: dict[str, Any] = {fw: {"runs": []} for fw in FRAMEWORKS}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            notebooks = {fw: prepare(browser, server, fw) for fw in FRAMEWORKS}
            log("notebooks ready: " + ", ".join(FRAMEWORKS))
            for i in range(reloads):
                for fw in rotated(FRAMEWORKS, i):
                    run_ = reload_once(notebooks[fw].page)
                    results[fw]["runs"].append(run_)
                log(
                    f"reload {i + 1}: " + ", ".join(f"{fw} {results[fw]['runs'][-1]['ms']:.0f} ms" for fw in FRAMEWORKS)
                )
            if profile:
                for fw in FRAMEWORKS:
                    results[fw]["profiled"] = reload_once(notebooks[fw].page, profile=True)
            for fw, notebook in notebooks.items():
                if notebook.page_errors():
                    log(f"{fw}: page errors: {notebook.page_errors()[:2]}")
            browser.close()
    finally:
        shutdown_sessions(server)
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    for fw in FRAMEWORKS:
        runs = results[fw]["runs"]
        results[fw]["ms"] = statistics.median(r["ms"] for r in runs)
        results[fw]["shown"] = statistics.median(r["shown"] for r in runs)
        for key in ("ws_open", "restore_sent", "restore_reply", "first_view", "all_shown"):
            values = [r[f"{key}_rel"] for r in runs if r[f"{key}_rel"] is not None]
            results[fw][key] = statistics.median(values) if values else None
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reloads", type=int, default=RELOADS)
    parser.add_argument("--profile", action="store_true", help="CPU profile of one more reload per framework")
    args = parser.parse_args()
    started = time.monotonic()
    results = run(args.reloads, args.profile)
    print(f"{'framework':<12}{'shown -> all live, ms':>24}{'navigation -> shown, ms':>26}   runs (shown -> live)")
    for fw in FRAMEWORKS:
        runs = " ".join(f"{r['ms']:.0f}" for r in results[fw]["runs"])
        print(f"{fw:<12}{results[fw]['ms']:>24.0f}{results[fw]['shown']:>26.0f}   {runs}")
    print("milestones, ms after shown (median; negative: before the notebook was shown):")
    for fw in FRAMEWORKS:
        marks = [(k, results[fw][k]) for k in ("ws_open", "restore_sent", "restore_reply", "first_view", "all_shown")]
        print(f"  {fw:<10} " + ", ".join(f"{k} {'-' if v is None else f'{v:.0f}'}" for k, v in marks))
    print(
        f"{WIDGETS} widgets in 4 cells of {PER_CELL}; median of {args.reloads} reloads; frames polled with "
        f"requestAnimationFrame; {time.monotonic() - started:.0f} s."
    )
    for fw in FRAMEWORKS:
        profiled = results[fw].get("profiled")
        if not profiled:
            continue
        summary = profiled["profile"]
        busy = sum(summary["by_owner"].values())
        print(
            f"\n{fw}: profiled reload, shown -> live {profiled['ms']:.0f} ms: {busy:.0f} ms busy, "
            f"{summary['idle_ms']:.0f} ms idle: " + ", ".join(f"{k} {v:.0f}" for k, v in summary["by_owner"].items())
        )
        for ms, name in summary["heaviest"]:
            print(f"  {ms:8.1f}  {name}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reload.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()

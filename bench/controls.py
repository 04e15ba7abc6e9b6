"""The controls library in a real JupyterLab: 500 sliders from one cell, a VBox of 500, the library's size.

`.venv/bin/python bench/controls.py` starts JupyterLab (maxNumberOutputs raised, as in bench/browser.py)
and Debian's Chromium, prints a table and writes bench/results/controls.json. Asserts nothing.

a) One cell displays 500 outputs, in a fresh page per kind and round (kinds interleaved, order rotated):
   our `IntSlider`s, ipywidgets 8's `IntSlider`s, and two kinds of plain `IPython.display.HTML` outputs:
   a minimal one (`<div>i</div>`) and one shaped like a slider (label, range input, readout). Start = the
   cell's `kernel.requestExecute`; end = the first animation frame with all 500 in the DOM. Diagnostic row:
   ours with the sliders made before the timed cell, which only displays them (the views' cost alone).
b) One cell displays `VBox([IntSlider() for _ in range(500)])` as its result (ours, and ipywidgets').
   Start = the cell's output message arriving in the page (a message hook on the cell's execute
   future, which runs before the output area sees it); end = the first frame with all 500 sliders in the DOM.
c) Size: the `_esm` of every class defined in widgets.controls (public or not: the links' models too; the
   prelude inlined; each distinct module once) and controls.css, each minified by esbuild and gzipped (-9)
   on its own, as the browser loads them; and all of it as one file, gzipped once.

`--profile` adds a Chromium CPU profile of one more run of each kind of (a) and (b), summarized by owner.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import (  # noqa: E402  (bench/browser.py's helpers)
    VIEWS_JS,
    cpu_profile,
    esbuild,
    gz,
    log,
    open_pages,
    rotated,
    settings_dir,
    summarize_profile,
)
from playwright.sync_api import Browser, sync_playwright  # noqa: E402

import widgets  # noqa: E402
import widgets.controls as controls  # noqa: E402
from tests.e2e.jupyter import CHROMIUM, CHROMIUM_ARGS, Server, start_server  # noqa: E402

COUNT = 500
ROUNDS = 3
RESULTS = Path(__file__).parent / "results"
SLIDER_HTML = (
    "<div class='bench-html widgets-like'><label>value</label>"
    "<input type='range' min='0' max='1000' value='{i}'><output>{i}</output></div>"
)

# kind -> (setup run before the timed cell, the timed cell, what marks one rendered output)
DISPLAY: dict[str, tuple[str, str, str]] = {
    "widgets": (
        "import widgets",
        f"for i in range({COUNT}): display(widgets.IntSlider(value=i, max=1000, description='value'))",
        ".widgets-int-slider input[type=range]",
    ),
    # a diagnostic: the same sliders made (and their models sent) before the timed cell, which only displays them
    "widgets-premade": (
        f"import widgets\nxs = [widgets.IntSlider(value=i, max=1000, description='value') for i in range({COUNT})]",
        "for x in xs: display(x)",
        ".widgets-int-slider input[type=range]",
    ),
    "ipywidgets": (
        "import ipywidgets",
        f"for i in range({COUNT}): display(ipywidgets.IntSlider(value=i, max=1000, description='value'))",
        ".widget-readout",
    ),
    "html": (
        "from IPython.display import HTML, display",
        f"for i in range({COUNT}): display(HTML(f\"<div class='bench-html'>{{i}}</div>\"))",
        ".bench-html",
    ),
    "html-slider": (
        "from IPython.display import HTML, display",
        f"for i in range({COUNT}): display(HTML({SLIDER_HTML!r}.format(i=i)))",
        ".bench-html",
    ),
}
VBOX: dict[str, tuple[str, str, str]] = {
    "widgets": (
        "import widgets",
        f"widgets.VBox([widgets.IntSlider(value=i, max=1000, description='value') for i in range({COUNT})])",
        ".widgets-vbox .widgets-int-slider input[type=range]",
    ),
    "ipywidgets": (
        "import ipywidgets",
        f"ipywidgets.VBox([ipywidgets.IntSlider(value=i, max=1000, description='value') for i in range({COUNT})])",
        ".widget-vbox .widget-readout",
    ),
}

# From the cell's display_data arriving in the page to all views in the DOM (frames polled).
OUTPUT_TO_RENDERED_JS = """async ({ selector, count }) => {
  const { kernel, until } = window.__bench;
  const k = kernel();
  const original = k.requestExecute;
  let t0 = null, arrived = null, replied = null;
  k.requestExecute = function (...args) {
    t0 = performance.now();
    const future = original.apply(this, args);
    future.registerMessageHook((msg) => {   // runs before the output area handles the message
      const output = ["display_data", "execute_result"].includes(msg.header.msg_type);
      if (arrived === null && output) arrived = performance.now();
      return true;
    });
    future.done.then(() => { replied = performance.now(); }, () => { replied = performance.now(); });
    return future;
  };
  try {
    void window.jupyterapp.commands.execute("notebook:run-all-cells");
    const seen = await until(() => arrived !== null && document.querySelectorAll(selector).length >= count, 120000);
    await until(() => replied !== null, 120000);
    return { ms: seen - arrived, execute_to_output_ms: arrived - t0, total_ms: seen - t0,
             views: document.querySelectorAll(selector).length };
  } catch (e) {
    return { ms: null, error: String(e), views: document.querySelectorAll(selector).length };
  } finally {
    delete k.requestExecute;
  }
}"""


def once(browser: Browser, server: Server, name: str, spec: tuple[str, str, str], script: str,
         profile: Path | None = None) -> dict[str, Any]:  # fmt: skip
    """One timed cell in a fresh page and kernel (its setup run first, untimed)."""
    setup, cell, selector = spec
    with open_pages(browser, server, {name: [cell]}) as pages:
        notebook = pages[name]
        notebook.execute(setup)
        with cpu_profile(notebook.page, profile):
            result: dict[str, Any] = notebook.page.evaluate(script, {"selector": selector, "count": COUNT})
        if result.get("ms") is None:
            log(f"warning: {name} incomplete: {result}")
            RESULTS.mkdir(exist_ok=True)
            notebook.page.screenshot(path=str(RESULTS / f"controls-{name}-failed.png"))
        errors = notebook.page_errors()
        if errors:
            log(f"page errors in {name}: {errors[:2]}")
        return result


def timed(browser: Browser, server: Server, specs: dict[str, tuple[str, str, str]], script: str, label: str,
          rounds: int) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in specs}
    for kind in specs:  # a warm-up round, not counted: the first page and kernel of a run pay cold caches
        once(browser, server, f"{label}-{kind}-warmup", specs[kind], script)
    for round_ in range(rounds):
        for kind in rotated(list(specs), round_):
            runs[kind].append(once(browser, server, f"{label}-{kind}", specs[kind], script))
        log(f"{label}, round {round_ + 1}: " + ", ".join(f"{k} {runs[k][-1].get('ms')} ms" for k in specs))
    return runs


def median_ms(runs: list[dict[str, Any]], key: str = "ms") -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return float(statistics.median(values)) if values else None


def library_classes(base: type) -> list[Any]:
    """Every class with a module defined in widgets.controls (the public ones and the links' models)."""
    found: list[Any] = []
    subclasses: list[type] = base.__subclasses__()
    for sub in subclasses:
        if sub.__module__.startswith("widgets.controls.") and getattr(sub, "_esm_asset", None) is not None:
            found.append(sub)
        found.extend(library_classes(sub))
    return sorted(set(found), key=lambda cls: str(cls.__name__))


def library_sizes() -> dict[str, Any]:
    """min+gzip bytes of each distinct control module and of controls.css, each on its own."""
    by_source = {controls.base.module(p.name): p.name for p in sorted(controls.base.JS.glob("[!_]*.js"))}
    modules: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    for cls in library_classes(widgets.Model):
        source = cls._esm_asset.source
        file = by_source.get(source, f"{cls.__name__} (inline)")
        sources[file] = source
        modules.setdefault(file, []).append(cls.__name__)
    sizes: dict[str, Any] = {}
    for file, source in sorted(sources.items()):
        minified = esbuild(["--minify", "--format=esm", "--loader=js"], stdin=source.encode())
        sizes[file] = {"classes": sorted(set(modules[file])), "raw": len(source), "min": len(minified),
                       "min_gzip": gz(minified)}  # fmt: skip
    css = (controls.base.JS / "controls.css").read_text(encoding="utf-8")
    icons_at = css.find("/* --- icons --- */")
    parts = {"controls.css": css}
    if icons_at >= 0:
        parts["controls.css without the icons"] = re.sub(
            r"/\* --- icons --- \*/.*?(?=/\* --- |\Z)", "", css, flags=re.S
        )
    for label, text in parts.items():
        minified = esbuild(["--minify", "--loader=css"], stdin=text.encode())
        sizes[label] = {"classes": [], "raw": len(text), "min": len(minified), "min_gzip": gz(minified)}
    loaded = [k for k in sizes if k != "controls.css without the icons"]
    sizes["total"] = sum(int(sizes[k]["min_gzip"]) for k in loaded)
    # the same bytes as one file (what one bundle would cost: the prelude once, compressed across modules)
    together = b"".join(
        esbuild(["--minify", "--format=esm", "--loader=js"], stdin=x.encode()) for x in sources.values()
    )
    sizes["together_min_gzip"] = gz(together + esbuild(["--minify", "--loader=css"], stdin=css.encode()))
    prelude = esbuild(["--minify", "--format=esm", "--loader=js"],
                      stdin=(controls.base.JS / "_prelude.js").read_bytes())  # fmt: skip
    sizes["prelude_min_gzip"] = gz(prelude)
    return sizes


def profiles(browser: Browser, server: Server, directory: Path) -> dict[str, Any]:
    directory.mkdir(parents=True, exist_ok=True)
    summaries: dict[str, Any] = {}
    for label, specs, script in (("display", DISPLAY, VIEWS_JS), ("vbox", VBOX, OUTPUT_TO_RENDERED_JS)):
        for kind, spec in specs.items():
            path = directory / f"controls-{label}-{kind}.cpuprofile"
            result = once(browser, server, f"profile-{label}-{kind}", spec, script, path)
            by_owner, heaviest = summarize_profile(path, top=10)
            summaries[f"{label}-{kind}"] = {"ms": result.get("ms"), "by_owner": by_owner, "heaviest": heaviest}
    return summaries


def run(rounds: int, profile: bool, cases: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {"sizes": library_sizes(), "display": {}, "vbox": {}}
    root = Path(tempfile.mkdtemp(prefix="widgets-bench-controls-"))
    os.environ["JUPYTERLAB_SETTINGS_DIR"] = str(settings_dir(root))
    (root / "lab").mkdir()
    server = start_server("lab", root / "lab")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                if "display" in cases:
                    results["display"] = timed(browser, server, DISPLAY, VIEWS_JS, "display", rounds)
                if "vbox" in cases:
                    results["vbox"] = timed(browser, server, VBOX, OUTPUT_TO_RENDERED_JS, "vbox", rounds)
                if profile:
                    results["profiles"] = profiles(browser, server, RESULTS / "profiles")
            finally:
                browser.close()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return results


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def print_table(results: dict[str, Any], rounds: int) -> None:
    display = {kind: median_ms(runs) for kind, runs in results["display"].items()}
    vbox = {kind: median_ms(runs) for kind, runs in results["vbox"].items()}
    print(f"\n| a) {COUNT} outputs from one cell | execute → all rendered, median ms | execute_reply, ms | runs "
          "| ours / this |")  # fmt: skip
    print("|---|---:|---:|---|---:|")
    names = {"widgets": "ours, `IntSlider`", "ipywidgets": "ipywidgets 8, `IntSlider`",
             "widgets-premade": "ours, sliders made before the cell (display only)",
             "html": "plain `HTML` output, `<div>i</div>`",
             "html-slider": "plain `HTML` output shaped like a slider"}  # fmt: skip
    for kind, ms in display.items():
        runs = ", ".join(f"{r['ms']:.0f}" if r.get("ms") is not None else "-" for r in results["display"][kind])
        reply = median_ms(results["display"][kind], "reply_ms")
        shown = "-" if ms is None else f"{ms:,.0f}"
        print(f"| {names[kind]} | {shown} | {'-' if reply is None else f'{reply:,.0f}'} | {runs} "
              f"| {ratio(display.get('widgets'), ms)} |")  # fmt: skip
    print(f"\n| b) one VBox of {COUNT} IntSliders | output → all rendered, median ms | execute → output, ms | runs |")
    print("|---|---:|---:|---|")
    for kind, ms in vbox.items():
        runs = ", ".join(f"{r['ms']:.0f}" if r.get("ms") is not None else "-" for r in results["vbox"][kind])
        before = median_ms(results["vbox"][kind], "execute_to_output_ms")
        shown = "-" if ms is None else f"{ms:,.0f}"
        print(f"| {names[kind]} | {shown} | {'-' if before is None else f'{before:,.0f}'} | {runs} |")
    sizes = results["sizes"]
    print("\n| c) module | classes | min bytes | min+gzip bytes |")
    print("|---|---|---:|---:|")
    for key, row in sizes.items():
        if isinstance(row, dict):
            print(f"| {key} | {', '.join(row['classes'])} | {row['min']:,} | {row['min_gzip']:,} |")
    print(f"| **the whole library, as one file** (target < 25 kB) | | | **{sizes['together_min_gzip']:,}** |")
    print(f"| every module and controls.css as separate files, each gzipped alone | | | {sizes['total']:,} |")
    print(f"(each module inlines the prelude, {sizes['prelude_min_gzip']:,} B min+gzip on its own)")
    print(
        f"\nratios: ours / plain HTML {ratio(display.get('widgets'), display.get('html'))} (target <= 1.25x), "
        f"ours / slider-shaped HTML {ratio(display.get('widgets'), display.get('html-slider'))}, "
        f"ours / ipywidgets {ratio(display.get('widgets'), display.get('ipywidgets'))}; "
        f"VBox {vbox.get('widgets') or 0:.0f} ms "
        f"(target <= 250); library {sizes['together_min_gzip']:,} B min+gzip (target < 25,000; "
        f"{sizes['total']:,} B as separate files). "
        f"Median of {rounds} rounds after a warm-up one, fresh page each."
    )
    for name, summary in results.get("profiles", {}).items():
        busy = sum(summary["by_owner"].values())
        print(f"\nprofile {name} ({summary['ms']} ms): {busy:.0f} ms busy: "
              + ", ".join(f"{k} {v:.0f}" for k, v in summary["by_owner"].items()))  # fmt: skip
        for ms, fn in summary["heaviest"]:
            print(f"  {ms:8.1f}  {fn}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--profile", action="store_true", help="a CPU profile of one more run of each kind")
    parser.add_argument("--sizes", action="store_true", help="only (c), the library's size")
    parser.add_argument("--cases", default="display,vbox", help="which of a) display and b) vbox to time")
    args = parser.parse_args()
    started = time.monotonic()
    if args.sizes:
        print(json.dumps(library_sizes(), indent=2))
        return
    results = run(args.rounds, args.profile, args.cases.split(","))
    print_table(results, args.rounds)
    log(f"done in {time.monotonic() - started:.0f} s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "controls.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()

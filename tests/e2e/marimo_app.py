"""A real `marimo run` server on 127.0.0.1 serving a counter app, for tests/e2e/test_marimo.py.

The app is written as a user would write it, with one counter class (a `widgets.Model`, or an
`anywidget.AnyWidget` as the baseline) used in marimo's two ways: displayed as it is, with an
observer feeding `mo.state` so that a cell reruns ("observed"), and wrapped with
`mo.ui.anywidget`, whose value cells read ("wrapped"). A `mo.ui.button` per counter runs a cell
that sets the value from Python.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .jupyter import free_port, stop_server, wait_until_serving

COUNTER_ESM = """
export default {
  render({ model, el }) {
    const button = document.createElement("button");
    button.className = "counter-button";
    const show = () => { button.textContent = `${model.get("label")} count is ${model.get("value")}`; };
    button.addEventListener("click", () => {
      model.set("value", model.get("value") + 1);
      model.save_changes();
    });
    model.on("change:value", show);
    show();
    el.append(button);
    return () => model.off("change:value", show);
  },
};
"""
COUNTER_CSS = ".counter-button { font-size: 1.1em; padding: 4px 14px; }"

# What the counter class derives from, by the name the tests use.
BASES = {"widgets": ("widgets", "widgets.Model"), "anywidget": ("anywidget", "anywidget.AnyWidget")}

APP = """import marimo

app = marimo.App()


@app.cell
def _():
    import importlib.util
    import sys

    import marimo as mo
    from traitlets import Int, Unicode

    import @MODULE@

    class Counter(@BASE@):
        _esm = @ESM@
        _css = @CSS@
        value = Int(0).tag(sync=True)
        label = Unicode("").tag(sync=True)

    return Counter, importlib, mo, sys


@app.cell
def _(Counter, mo):
    observed = Counter(label="observed")
    seen, set_seen = mo.state(observed.value)
    observed.observe(lambda change: set_seen(change["new"]), names="value")
    observed
    return observed, seen


@app.cell
def _(mo, seen):
    mo.Html(f'<p>observed value: <span class="observed-value">{seen()}</span></p>')
    return


@app.cell
def _(mo):
    set_observed = mo.ui.button(label="set observed to 10", value=0, on_click=lambda clicks: clicks + 1)
    set_observed
    return (set_observed,)


@app.cell
def _(observed, set_observed):
    if set_observed.value:
        observed.value = 10
    return


@app.cell
def _(Counter, mo):
    inner = Counter(label="wrapped")
    wrapped = mo.ui.anywidget(inner)
    wrapped
    return inner, wrapped


@app.cell
def _(mo, wrapped):
    mo.Html(f'<p>wrapped value: <span class="wrapped-value">{wrapped.value["value"]}</span></p>')
    return


@app.cell
def _(mo):
    set_wrapped = mo.ui.button(label="set wrapped to 10", value=0, on_click=lambda clicks: clicks + 1)
    set_wrapped
    return (set_wrapped,)


@app.cell
def _(inner, set_wrapped):
    if set_wrapped.value:
        inner.value = 10
    return


@app.cell
def _(importlib, mo, set_observed, set_wrapped, sys):
    set_observed, set_wrapped  # runs again after a button's cell, when a widget has been used
    lines = [
        f'<p class="import-report">{name}: findable={importlib.util.find_spec(name) is not None}'
        f" imported={name in sys.modules}</p>"
        for name in ("anywidget", "ipywidgets")
    ]
    mo.Html("".join(lines))
    return


if __name__ == "__main__":
    app.run()
"""

# sitecustomize.py, imported at start-up by the app's Python (PYTHONPATH): the path finder no
# longer finds anywidget or ipywidgets, packages nor distributions, so they look uninstalled
# (`import` fails, `find_spec` is None, `importlib.metadata.version` raises).
UNINSTALLED = ("anywidget", "ipywidgets")
BLOCK_ANYWIDGET = f"""import importlib.machinery
import sys

HIDDEN = {UNINSTALLED!r}


class PathFinderWithout(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            return None
        return super().find_spec(name, path, target)

    @classmethod
    def find_distributions(cls, *args, **kwargs):
        for distribution in super().find_distributions(*args, **kwargs):
            if (distribution.metadata["Name"] or "").lower() not in HIDDEN:
                yield distribution


sys.meta_path[:] = [
    PathFinderWithout if finder is importlib.machinery.PathFinder else finder for finder in sys.meta_path
]
"""


def write_app(directory: Path, base: str) -> Path:
    module, base_class = BASES[base]
    source = (
        APP.replace("@MODULE@", module)
        .replace("@BASE@", base_class)
        .replace("@ESM@", repr(COUNTER_ESM))
        .replace("@CSS@", repr(COUNTER_CSS))
    )
    path = directory / "app.py"
    path.write_text(source)
    return path


@dataclass
class MarimoServer:
    """A running `marimo run <app>`: its own pid (for SIGTERM), its address and its log."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path
    without_anywidget: bool

    def stop(self) -> None:
        stop_server(self.process)


def start_marimo(app: Path, without_anywidget: bool = False) -> MarimoServer:
    """`marimo run` with this interpreter (the project's .venv), headless, on a free port of
    127.0.0.1, with no token and marimo's user config, state and caches kept beside the app;
    `without_anywidget`: a sitecustomize on PYTHONPATH makes anywidget and ipywidgets look uninstalled."""
    port = free_port()
    home = app.parent / "marimo-home"
    env = {
        **os.environ,
        "MARIMO_SKIP_UPDATE_CHECK": "1",
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    if without_anywidget:
        shim = app.parent / "no-anywidget"
        shim.mkdir(exist_ok=True)
        (shim / "sitecustomize.py").write_text(BLOCK_ANYWIDGET)
        env["PYTHONPATH"] = os.pathsep.join([str(shim), *filter(None, [os.environ.get("PYTHONPATH")])])
    command = [
        sys.executable, "-m", "marimo", "run", str(app), "--headless", "--host", "127.0.0.1", "--port", str(port),
        "--no-token", "--no-sandbox",
    ]  # fmt: skip
    log = app.parent / "marimo-server.log"
    process = subprocess.Popen(command, cwd=app.parent, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(process, f"{base}/health", log, "marimo")
    return MarimoServer(process, base, log, without_anywidget)

"""Which protocol a model speaks: ours ("widgets") or anywidget's flavour of ipywidgets' ("anywidget").

Decided per model when its comm opens (`current_protocol()`). Our extension renders in JupyterLab,
Notebook 7, Voila and JupyterLite; marimo, VS Code and Colab render only ipywidgets/anywidget
models, so there a model speaks anywidget's protocol (widgets/compat.py). A host is recognised only
when at least two independent signals of it hold (docs/hosts.md lists them and where they come
from), never from one environment variable. The setting overrides detection: the environment
variable `WIDGETS_PROTOCOL` (auto | widgets | anywidget) or `widgets.set_protocol(name)`.

Nothing here imports a host's package: each signal looks at modules already imported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, Literal

Protocol = Literal["widgets", "anywidget"]
Setting = Literal["auto", "widgets", "anywidget"]
SETTINGS: tuple[str, ...] = ("auto", "widgets", "anywidget")
ENV_VAR = "WIDGETS_PROTOCOL"
PIP_HINT = 'pip install "widgets[anywidget]"'

_chosen: Setting | None = None
_warned: set[str] = set()


def set_protocol(name: str) -> None:
    """Choose the protocol of models opened from now on: "auto" (detect the host), "widgets" or "anywidget".

    Overrides the `WIDGETS_PROTOCOL` environment variable. Models already open keep theirs.
    """
    global _chosen
    if name not in SETTINGS:
        raise ValueError(f"unknown widgets protocol {name!r}: use one of {', '.join(map(repr, SETTINGS))}")
    _chosen = name  # type: ignore[assignment]


def setting() -> Setting:
    """The setting in force: `set_protocol`'s, else the environment variable's, else "auto"."""
    if _chosen is not None:
        return _chosen
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if not value:
        return "auto"
    if value not in SETTINGS:
        warn_once(
            f"env:{value}",
            f"{ENV_VAR}={os.environ[ENV_VAR]!r} is not one of {', '.join(SETTINGS)}; detecting the host instead",
        )
        return "auto"
    return value  # type: ignore[return-value]


def current_protocol() -> Protocol:
    """The protocol a model opened now speaks."""
    return choose()[0]


def detect_host() -> str | None:
    """The host ("marimo", "vscode" or "colab") of which at least two signals hold, else None."""
    shell = _ipython_shell()
    for host, checks in SIGNALS.items():
        if sum(1 for check in checks.values() if _holds(check, shell)) >= 2:
            return host
    return None


def signals() -> dict[str, dict[str, bool]]:
    """Every host's signals and whether each holds now (for diagnosis: `widgets.hosts.signals()`)."""
    shell = _ipython_shell()
    return {host: {name: _holds(check, shell) for name, check in checks.items()} for host, checks in SIGNALS.items()}


def _holds(check: Callable[[Any], bool], shell: Any) -> bool:
    try:
        return bool(check(shell))
    except Exception:  # a host's internals changed shape: that signal simply does not hold
        return False


def warn_once(key: str, message: str) -> None:
    """Log a warning on the `widgets` logger the first time `key` is seen (never raises)."""
    if key in _warned:
        return
    _warned.add(key)
    import logging  # only on this path: `import widgets` stays fast

    logging.getLogger("widgets").warning("widgets: %s", message)


# --- the signals ----------------------------------------------------------------------------


def _ipython_shell() -> Any:
    """The running IPython shell, or None: what `IPython.get_ipython()` returns, read directly from the
    singleton (get_ipython costs ~10 µs, on every model opened)."""
    module = sys.modules.get("IPython.core.interactiveshell")
    return getattr(getattr(module, "InteractiveShell", None), "_instance", None)


def _marimo_runtime(_shell: Any) -> bool:
    """marimo's runtime context is installed in this thread (marimo/_runtime/context/utils.py)."""
    marimo = sys.modules.get("marimo")
    return marimo is not None and bool(marimo.running_in_notebook())


def _marimo_comm_shim(_shell: Any) -> bool:
    """`comm.create_comm` is marimo's (marimo/_plugins/ui/_impl/anywidget/comm_provider.py patches it)."""
    comm = sys.modules.get("comm")
    return comm is not None and str(getattr(comm.create_comm, "__module__", "")).startswith("marimo.")


def _vscode_startup_code(shell: Any) -> bool:
    """vscode-jupyter's kernel startup code defines `__vsc_ipynb_file__` (src/kernels/kernel.ts)."""
    return shell is not None and "__vsc_ipynb_file__" in shell.user_ns


def _vscode_cell_id(shell: Any) -> bool:
    """The execute request running now carries `metadata.cellId`, the cell's document URI, whose
    scheme is `vscode-notebook-cell` (src/kernels/execution/cellExecution.ts)."""
    parent = shell.get_parent() if shell is not None and hasattr(shell, "get_parent") else None
    cell = ((parent or {}).get("metadata") or {}).get("cellId")
    return isinstance(cell, str) and cell.startswith("vscode-notebook-cell")


def _vscode_environment(_shell: Any) -> bool:
    """vscode-jupyter launches Python kernels with PYDEVD_IPYTHON_COMPATIBLE_DEBUGGING=1
    (src/kernels/raw/launcher/kernelEnvVarsService.node.ts)."""
    return os.environ.get("PYDEVD_IPYTHON_COMPATIBLE_DEBUGGING") == "1"


def _colab_kernel(shell: Any) -> bool:
    """Colab's kernel runs its own IPython shell class, google.colab._shell.Shell (google/colab/_kernel.py)."""
    return shell is not None and type(shell).__module__.startswith("google.colab")


def _colab_environment(_shell: Any) -> bool:
    """Colab's runtime sets COLAB_RELEASE_TAG (read by google/colab/_serverextension/_handlers.py)."""
    return bool(os.environ.get("COLAB_RELEASE_TAG"))


SIGNALS: dict[str, dict[str, Callable[[Any], bool]]] = {
    "marimo": {"runtime context": _marimo_runtime, "comm shim": _marimo_comm_shim},
    "vscode": {
        "startup code": _vscode_startup_code,
        "cell id": _vscode_cell_id,
        "environment": _vscode_environment,
    },
    "colab": {"kernel": _colab_kernel, "environment": _colab_environment},
}
"""Host -> its signals; a host is detected when at least two hold."""


# --- what a host needs once it is chosen ------------------------------------------------------

_prepared: set[str] = set()


def choose() -> tuple[Protocol, str | None]:
    """The protocol for a model opened now, and the host detected (None: none of ours)."""
    host = detect_host()
    chosen = setting()
    if chosen != "auto":
        return chosen, host
    return ("anywidget" if host is not None else "widgets"), host


def prepare(host: str | None) -> None:
    """Once per host and process, before the first model speaks anywidget's protocol there.

    VS Code loads anywidget's JavaScript from the kernel environment's
    share/jupyter/nbextensions/anywidget (and loads no widget script at all unless ipywidgets is
    importable: it asks the kernel for `ipywidgets.__version__`), so both must be installed: warn
    once with the pip command otherwise. Colab: switch on its custom widget manager, as anywidget does.
    """
    if host is None or host in _prepared:
        return
    _prepared.add(host)
    if host == "vscode":
        missing = [name for name in ("anywidget", "ipywidgets") if not _importable(name)]
        if missing:
            warn_once(
                "vscode-requirements",
                f"VS Code renders this widget with anywidget's JavaScript from the kernel's environment, "
                f"but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed there: "
                f"run `{PIP_HINT}` in the kernel's environment and reload the window",
            )
    elif host == "colab":
        output = sys.modules.get("google.colab.output")
        enable = getattr(output, "enable_custom_widget_manager", None)
        if enable is not None:
            try:
                enable()
            except Exception as error:
                warn_once("colab-manager", f"Colab's custom widget manager could not be enabled: {error}")


def display_metadata(mimetype: str) -> dict[str, Any]:
    """Display metadata for the widget view: Colab's custom widget manager URL once it is enabled."""
    output = sys.modules.get("google.colab.output")
    url = getattr(getattr(output, "_widgets", None), "_installed_url", None)
    if not isinstance(url, str) or not url:
        return {}
    return {mimetype: {"colab": {"custom_widget_manager": {"url": url}}}}


def _importable(name: str) -> bool:
    if name in sys.modules:
        return True
    import importlib.util  # only where VS Code is detected

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False

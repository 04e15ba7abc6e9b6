"""The Python side's structure (issue 8, "one owner per piece of state"), held by tests."""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys

import widgets
from widgets import model, registry, serialize, sync
from widgets.model import Model

PACKAGE = pathlib.Path(widgets.__file__).parent
# The import chain: a module may import only modules of a lower layer (or its own).
LAYERS = {
    "protocol": 0,
    "patch": 0,
    "buffers": 1,
    "serialize": 2,
    "incoming": 2,
    "traits": 2,
    "assets": 0,
    "flusher": 1,
    "hosts": 0,
    "waiting": 0,  # waits in a running cell for a trait change (Model.wait_for and the others)
    "commands": 3,  # the invokes of one comm: run by sync and compat, knows neither
    "sync": 4,
    "compat": 5,  # beside sync in the chain: a ModelSync speaking anywidget's protocol
    "marimo": 5,  # ipywidgets' comm/get_state/set_state, a base of Model (what mo.ui.anywidget reads)
    "model": 6,
    "registry": 7,
    "saved": 7,  # the state document of models (beside registry: neither needs the other)
    "export": 8,  # HTML pages of a state document
    "nbconvert": 9,  # imported by nbconvert only (entry point, config), never by `import widgets`
}
# Lazy imports kept out of `import widgets` for its speed (bench/core.py measures it).
LAZY_OK = {"comm", "json", "traceback", "numpy", "hashlib", "logging", "importlib", "html", "asyncio", "inspect"}


def _tree(name: str) -> ast.Module:
    return ast.parse((PACKAGE / f"{name}.py").read_text())


def _own_imports(node: ast.AST) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.ImportFrom) and child.level == 1:
            if child.module:
                found.add(child.module.split(".")[0])
            else:
                found.update(alias.name for alias in child.names)
    return found


def test_imports_flow_down_the_chain_only() -> None:
    for name, layer in LAYERS.items():
        for imported in _own_imports(_tree(name)):
            assert LAYERS[imported] < layer or imported == name, f"widgets.{name} imports widgets.{imported}"


def test_no_function_local_imports_hide_a_circle() -> None:
    for name in LAYERS:
        for function in ast.walk(_tree(name)):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    raise AssertionError(f"widgets.{name}.{function.name} imports from {node.module} inside a function")
                if isinstance(node, ast.Import):
                    names = {alias.name.split(".")[0] for alias in node.names}
                    assert names <= LAZY_OK, f"widgets.{name}.{function.name} imports {names} lazily"


def test_serialize_has_no_globals_filled_in_from_outside() -> None:
    assert not hasattr(serialize, "model_types") and not hasattr(serialize, "lookup_model")
    assert issubclass(Model, serialize.Referable)
    for name in LAYERS:  # nobody assigns into another of our modules
        for node in ast.walk(_tree(name)):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    into = (
                        target.value.id
                        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        else ""
                    )
                    assert into not in LAYERS, f"widgets.{name}: {ast.unparse(node)}"


def test_sync_reaches_its_model_only_through_the_synced_model_interface() -> None:
    members = {n for n in vars(sync.SyncedModel) if not n.startswith("_")}
    used = set(re.findall(r"self\.model\.(\w+)", (PACKAGE / "sync.py").read_text()))
    assert used and used <= members, used - members
    assert members <= set(dir(Model)), members - set(dir(Model))


def test_from_json_is_applied_in_one_place() -> None:
    calls = {
        name: len(re.findall(r"metadata\.get\(\"from_json\"\)", (PACKAGE / f"{name}.py").read_text()))
        for name in LAYERS
    }
    assert calls == {**dict.fromkeys(LAYERS, 0), "model": 1}


def test_one_holds_context() -> None:
    text = {name: (PACKAGE / f"{name}.py").read_text() for name in LAYERS}
    assert [name for name, source in text.items() if "holds +=" in source or "holds -=" in source] == ["sync"]
    assert "def held(" in text["sync"] and "sync.held()" in text["model"]


def test_import_widgets_imports_neither_comm_nor_numpy_nor_json() -> None:
    code = "import sys, widgets; print(sorted(m for m in ('comm', 'numpy', 'json') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_live_models_have_one_owner() -> None:
    assert registry.live is model.live

"""Every example notebook runs top to bottom in a real kernel with no error output, so the examples
stay true to the code (the browser tests drive some of them further)."""

from __future__ import annotations

import json
import pathlib
import sys

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = sorted((pathlib.Path(__file__).parents[2] / "examples").glob("*.ipynb"))


def test_there_is_an_example_per_group() -> None:
    names = {path.stem.split("_", 1)[1] for path in EXAMPLES}
    assert {"controls", "layout", "output", "interact", "composition", "links"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs_without_errors(
    path: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kernel spec of this venv's Python: a machine-wide "python3" spec may point at another one.
    spec = tmp_path / "jupyter" / "kernels" / "widgets-examples"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "examples", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    run_in = tmp_path / "run"
    run_in.mkdir()
    client = NotebookClient(
        notebook, timeout=120, kernel_name="widgets-examples", resources={"metadata": {"path": str(run_in)}}
    )
    client.execute()
    errors = [
        (index, output.get("ename"), output.get("evalue"))
        for index, cell in enumerate(notebook.cells)
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []

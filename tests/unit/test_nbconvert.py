"""nbconvert (widgets/nbconvert.py): a notebook saved with state converts to HTML with live widgets."""

from __future__ import annotations

import json
import logging
import pathlib
import subprocess
import sys
from typing import Any

import nbformat
import pytest
import tomllib
from nbconvert.exporters import HTMLExporter, get_exporter
from traitlets.config import Config

import widgets
from widgets import export, saved
from widgets.nbconvert import EmbedWidgets, WidgetsHTMLExporter, _load_jupyter_server_extension

from .models import Counter, Items
from .test_export import RUNTIME, Page

ROOT = pathlib.Path(__file__).parents[2]
CONFIG_FILE = ROOT / "jupyter-config" / "nbconvert-config" / "jupyter_nbconvert_config.json"


@pytest.fixture
def static(monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"embed.js": RUNTIME, "shared.js": "export const modules = {};", "base.css": ".b{}"}
    monkeypatch.setattr(export, "static_text", files.__getitem__)


def _output(model: widgets.Model) -> Any:
    """The output a live model displays (its mimebundle)."""
    data = {"text/plain": repr(model), widgets.MIMETYPE: {"model_id": model.model_id, "protocol": "2.0"}}
    return nbformat.v4.new_output("display_data", data=data)


def _notebook(shown: list[widgets.Model], saved_models: list[widgets.Model], extra: Any = ()) -> Any:
    """A notebook with one cell per shown model, and `saved_models`' state in its metadata."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[_output(m)]) for m in shown]
    nb.cells.append(nbformat.v4.new_code_cell("y", outputs=[nbformat.v4.new_output("stream", text="hi"), *extra]))
    nb.cells.append(nbformat.v4.new_markdown_cell("# Title"))
    nb.metadata[saved.METADATA_KEY] = {"state": saved.dumps(saved.document(saved_models))}
    return nb


def test_the_installed_config_runs_the_preprocessor_in_the_html_exporter(static: None) -> None:
    first, second, hidden = Counter(value=1), Counter(value=2), Counter(value=3)
    child = Counter(value=4)
    holder = Items(items=[child])
    nb = _notebook([first, second, holder, hidden], [first, second, holder])
    config = Config(json.loads(CONFIG_FILE.read_text()))
    body, _ = HTMLExporter(config=config).from_notebook_node(nb)
    page = Page(body)
    states = page.find("script", type=export.STATE_MIMETYPE)
    assert len(states) == 1
    assert saved.decode(states[0].text).keys() == {first.model_id, second.model_id, holder.model_id, child.model_id}
    assert [s.text for s in page.find("script", type="module")].count(RUNTIME) == 1  # the template has its own
    views = [d.attrs["data-widgets-view"] for d in page.find("div") if "data-widgets-view" in d.attrs]
    assert views == [first.model_id, second.model_id, holder.model_id]  # not the unsaved one's
    assert len([s for s in page.find("style") if "data-widgets-base" in s.attrs]) == 1  # nbconvert re-serializes
    assert body.index(states[0].text) < body.index(f'data-widgets-view="{second.model_id}"')


def test_a_hostile_model_id_stays_an_attribute(static: None) -> None:
    counter = Counter()
    counter._model_id = '"><script>alert(1)</script><!--'
    config = Config(json.loads(CONFIG_FILE.read_text()))
    body, _ = HTMLExporter(config=config).from_notebook_node(_notebook([counter], [counter]))
    page = Page(body)
    assert [d.attrs["data-widgets-view"] for d in page.find("div") if "data-widgets-view" in d.attrs] == [
        counter.model_id
    ]
    assert "alert(1)" not in "".join(
        s.text for s in page.find("script") if s.attrs.get("type") != export.STATE_MIMETYPE
    )
    assert "<script>alert(1)" not in body
    (state,) = page.find("script", type=export.STATE_MIMETYPE)
    assert list(saved.decode(state.text)) == [counter.model_id]


def test_without_the_preprocessor_nothing_changes(static: None) -> None:
    counter = Counter()
    body, _ = HTMLExporter().from_notebook_node(_notebook([counter], [counter]))
    assert "data-widgets-view" not in body and export.STATE_MIMETYPE not in body


def test_the_preprocessor_leaves_other_outputs_alone(static: None) -> None:
    counter, unsaved = Counter(), Counter()
    nb = _notebook([counter, unsaved], [counter])
    before = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb, _ = EmbedWidgets(enabled=True)(nb, {})
    assert "text/html" in nb.cells[0].outputs[0].data and "<script" in nb.cells[0].outputs[0].data["text/html"]
    assert nb.cells[1] == before.cells[1] and nb.cells[2:] == before.cells[2:]


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"state": '{"format": "widgets-state", "version": 99}'}, "unsupported state version 99"),
        ({"state": "{not json"}, "not valid JSON"),
        ({"state": {"format": "widgets-state"}}, "must be the document's text"),
    ],
)
def test_a_bad_document_is_logged_and_changes_nothing(
    metadata: dict[str, Any], reason: str, static: None, caplog: pytest.LogCaptureFixture
) -> None:
    counter = Counter()
    nb = _notebook([counter], [counter])
    nb.metadata[saved.METADATA_KEY] = metadata
    before = json.loads(json.dumps(nb))
    with caplog.at_level(logging.WARNING):
        nb, _ = EmbedWidgets(enabled=True)(nb, {})
    assert json.loads(json.dumps(nb)) == before
    assert any(reason in record.getMessage() for record in caplog.records), caplog.text


def test_no_saved_state_is_silent(static: None, caplog: pytest.LogCaptureFixture) -> None:
    nb = _notebook([Counter()], [])
    del nb.metadata[saved.METADATA_KEY]
    with caplog.at_level(logging.WARNING):
        EmbedWidgets(enabled=True)(nb, {})
    assert caplog.records == []


def test_the_widgets_html_exporter_has_it_always_on(static: None) -> None:
    counter = Counter()
    assert get_exporter("widgets-html") is WidgetsHTMLExporter
    body, resources = WidgetsHTMLExporter().from_notebook_node(_notebook([counter], [counter]))
    assert body.count(export.STATE_MIMETYPE) == 1 and resources["output_extension"] == ".html"
    config = Config(json.loads(CONFIG_FILE.read_text()))  # listed in the config too: still once
    exporter = WidgetsHTMLExporter(config=config)
    assert sum(isinstance(p, EmbedWidgets) for p in exporter._preprocessors) == 1


class _ServerApp:
    """What the server extension touches of jupyter_server's ServerApp."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.log = logging.getLogger("test-server")


def _server_exporter(config: Config) -> HTMLExporter:
    """The exporter jupyter_server's nbconvert handler makes: `get_exporter(format)(config=self.config)`."""
    server = _ServerApp(config)
    _load_jupyter_server_extension(server)
    return HTMLExporter(config=server.config)


def test_the_server_extension_enables_it_for_jupyterlab_export(static: None) -> None:
    assert {"module": "widgets.nbconvert"} in widgets._jupyter_server_extension_points()
    counter = Counter()
    body, _ = _server_exporter(Config()).from_notebook_node(_notebook([counter], [counter]))
    assert body.count(export.STATE_MIMETYPE) == 1
    user = Config({"HTMLExporter": {"preprocessors": ["nbconvert.preprocessors.ClearMetadataPreprocessor"]}})
    ours = "widgets.nbconvert.EmbedWidgets"
    assert _server_exporter(user).preprocessors == ["nbconvert.preprocessors.ClearMetadataPreprocessor", ours]
    mine = Config(json.loads(CONFIG_FILE.read_text()))  # already listed: still once
    assert sum(isinstance(p, EmbedWidgets) for p in _server_exporter(mine)._preprocessors) == 1
    lazy = Config()
    lazy.HTMLExporter.preprocessors.append("nbconvert.preprocessors.ClearOutputPreprocessor")
    assert _server_exporter(lazy).preprocessors == ["nbconvert.preprocessors.ClearOutputPreprocessor", ours]


def test_the_nbconvert_command_uses_the_installed_config(tmp_path: pathlib.Path) -> None:
    """`jupyter nbconvert --to html` as installed (etc/jupyter/jupyter_nbconvert_config.json)."""
    counter = Counter(value=5)
    notebook = tmp_path / "saved.ipynb"
    nbformat.write(_notebook([counter], [counter]), notebook)
    command = [sys.executable, "-m", "nbconvert", "--to", "html", str(notebook)]
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path)
    page = Page((tmp_path / "saved.html").read_text(encoding="utf-8"))
    (state,) = page.find("script", type=export.STATE_MIMETYPE)
    assert saved.decode(state.text)[counter.model_id]["state"]["value"] == 5
    assert [s.text for s in page.find("script", type="module")].count(export.static_text("embed.js")) == 1
    assert [d for d in page.find("div") if d.attrs.get("data-widgets-view") == counter.model_id]


def test_the_package_ships_the_config_the_entry_point_and_the_static_files() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["nbconvert.exporters"] == {
        "widgets-html": "widgets.nbconvert:WidgetsHTMLExporter"
    }
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "widgets/static" in wheel["artifacts"]  # gitignored: built by `npm run build`
    shared = wheel["shared-data"]
    assert shared["jupyter-config/nbconvert-config/jupyter_nbconvert_config.json"] == (
        "etc/jupyter/jupyter_nbconvert_config.json"
    )
    assert shared["jupyter-config/server-config"] == "etc/jupyter/jupyter_server_config.d"
    hook = project["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]
    assert "widgets/static/embed.js" in hook["ensured-targets"]

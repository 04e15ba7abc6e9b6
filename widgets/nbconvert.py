"""nbconvert's side: live widgets in the HTML of a notebook saved with its widgets' state.

`EmbedWidgets` is a preprocessor that installing the package enables for nbconvert's HTML
exporter: for `jupyter nbconvert` by etc/jupyter/jupyter_nbconvert_config.json, for JupyterLab's
*Save and Export Notebook As* by this module loaded as a jupyter_server extension (a file in
jupyter_server_config.d can enable extensions but sets no other config). `WidgetsHTMLExporter` is
the `widgets-html` exporter, the HTML exporter with it always on. Imported only by nbconvert
(entry point, config) and jupyter_server (which depends on nbconvert), never by `import widgets`.
"""

from __future__ import annotations

from typing import Any

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from . import export, saved
from .protocol import MIMETYPE

_DISPLAYS = frozenset(["display_data", "execute_result"])
PREPROCESSOR = "widgets.nbconvert.EmbedWidgets"


class EmbedWidgets(Preprocessor):
    """Give each output of our mimetype whose model is in the notebook's saved state an HTML view.

    The first such output also carries the page's styles, state and runtime (widgets.export);
    outputs of models not in the state are left as they are, and so is every output when the
    state is missing or unreadable (that is logged, with the reason).
    """

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        metadata = nb.metadata.get(saved.METADATA_KEY)
        text = metadata.get("state") if isinstance(metadata, dict) else None
        if text is None:
            return nb, resources
        try:
            if not isinstance(text, str):
                raise saved.SavedStateError(f"metadata {saved.METADATA_KEY}.state must be the document's text")
            doc = saved.loads(text)
        except saved.SavedStateError as error:
            self.log.warning("widgets: not showing the notebook's saved widgets: %s", error)
            return nb, resources
        first = True
        for cell in nb.cells:
            for output in cell.get("outputs", ()):
                model_id = _model_id(output)
                if model_id is None or model_id not in doc["models"]:
                    continue
                html = export.embed_snippet(doc, [model_id]) if first else export.view_div(model_id)
                output["data"]["text/html"] = html
                first = False
        return nb, resources


def _model_id(output: Any) -> str | None:
    if output.get("output_type") not in _DISPLAYS or not isinstance(output.get("data"), dict):
        return None
    view = output["data"].get(MIMETYPE)
    model_id = view.get("model_id") if isinstance(view, dict) else None
    return model_id if isinstance(model_id, str) else None


class WidgetsHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter with EmbedWidgets always on (`jupyter nbconvert --to widgets-html`),
    for where the installed config is not read."""

    def _init_preprocessors(self) -> None:
        super()._init_preprocessors()
        if not any(isinstance(p, EmbedWidgets) for p in self._preprocessors):
            self.register_preprocessor(EmbedWidgets, enabled=True)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Add EmbedWidgets to the server's HTMLExporter config, which its nbconvert handler passes to the exporter."""
    section = serverapp.config.HTMLExporter
    current = section.get("preprocessors")
    if isinstance(current, list):  # set by the user's config: keep it, add ours once
        if PREPROCESSOR not in current and EmbedWidgets not in current:
            current.append(PREPROCESSOR)
    else:  # unset, or a lazy value (`.append` from other config): extends the trait's default
        section.preprocessors.append(PREPROCESSOR)
    serverapp.log.info("widgets: nbconvert's HTML export shows saved widgets (%s)", PREPROCESSOR)

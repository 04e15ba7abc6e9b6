"""Self-contained HTML pages of widgets: the state document, the runtime and its styles, inlined.

docs/protocol.md ("In an HTML page") is the page's structure; docs/sharing.md says how to use it.
Every text that comes from a model (values, modules, stylesheets, names) is escaped for the place
it is written in, so none can end its element or open a comment.
"""

from __future__ import annotations

import binascii
import os
import re
from collections.abc import Iterable
from typing import Any

from . import saved
from .model import Model
from .protocol import JSONDict

STATE_MIMETYPE = "application/vnd.widgets.state+json"
SHARED_MIMETYPE = "application/vnd.widgets.shared+json"

# A module imports a shared package (frontend/extension/shared.ts): `from "react"`, `import "react"`,
# `import("react")`. Conservative: a match in a comment includes the bundle, which only costs size.
_SHARED_IMPORT = re.compile(
    r"""(?:\bfrom|\bimport)\s*(?:\(\s*)?(["'`])(?:react(?:-dom(?:/client)?|/jsx-runtime)?|@widgets/react)\1"""
)
_JSON_IN_SCRIPT = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
# Every attribute is written in double quotes, so `'` stays as is (a policy reads as written).
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_UNSAFE_IN_SCRIPT = re.compile(r"</script|<!--", re.IGNORECASE)


# --- pieces of the page ---------------------------------------------------------------------


def static_text(name: str) -> str:
    """A file the frontend build writes into widgets/static (the runtime, React, the base styles)."""
    import importlib.resources

    try:
        return importlib.resources.files("widgets").joinpath("static", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"widgets/static/{name} is missing: run `npm run build` (or pip install the package)"
        ) from None


def json_for_script(value: Any) -> str:
    """JSON text that can sit inside a <script> element: no `<`, `>`, `&`, U+2028, U+2029 unescaped."""
    import json

    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.translate(_JSON_IN_SCRIPT)  # these occur only inside strings, where \u escapes mean the same


def style_text(css: str) -> str:
    """CSS that cannot end its <style> element, with line ends as the browser reads them (for its hash)."""
    return _normal_text(css).replace("</", "<\\/")


def attribute(text: str) -> str:
    """Text for a double-quoted attribute value or for element content."""
    return text.translate(_ATTRIBUTE)


def _normal_text(text: str) -> str:
    """`text` as an HTML parser hands it to the page: CRLF and CR become LF, NUL becomes U+FFFD."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


def needs_shared(doc: JSONDict) -> bool:
    """Whether a module of the document imports a shared package (React, our hooks)."""
    modules = {cls["esm"] for cls in doc["classes"] if cls["esm"] is not None}
    return any(_SHARED_IMPORT.search(doc["assets"][digest]) for digest in modules)


def styles(doc: JSONDict) -> list[tuple[str, str]]:
    """The page's <style> elements as (attributes, text): the runtime's, then each stylesheet once."""
    out = [("data-widgets-base", style_text(static_text("base.css")))]
    seen: set[str] = set()
    for cls in doc["classes"]:
        digest = cls["css"]
        if digest is not None and digest not in seen:
            seen.add(digest)
            out.append((f'data-widgets-css="{attribute(digest)}"', style_text(doc["assets"][digest])))
    return out


def runtime_text() -> str:
    text = _normal_text(static_text("embed.js"))
    if _UNSAFE_IN_SCRIPT.search(text):  # the build refuses these; a file changed since is not inlined
        raise ValueError("widgets/static/embed.js contains `</script` or `<!--`: rebuild it with `npm run build`")
    return text


def view_div(model_id: str) -> str:
    """Where the view of a model goes; the runtime renders into it."""
    return f'<div class="widgets-embed" data-widgets-view="{attribute(model_id)}"></div>'


def _style_elements(style_list: list[tuple[str, str]]) -> list[str]:
    return [f"<style {attributes}>{text}</style>" for attributes, text in style_list]


def _data_scripts(doc: JSONDict) -> list[str]:
    scripts = [f'<script type="{STATE_MIMETYPE}">{json_for_script(doc)}</script>']
    if needs_shared(doc):
        scripts.append(f'<script type="{SHARED_MIMETYPE}">{json_for_script(static_text("shared.js"))}</script>')
    return scripts


def embed_snippet(doc: JSONDict, view_ids: Iterable[str]) -> str:
    """An HTML fragment showing the views of `view_ids` from the state document `doc`, in order:
    styles, the state script, React if a module imports it, the view divs, the runtime."""
    doc = saved.loads(doc)
    ids = list(view_ids)
    missing = [model_id for model_id in ids if model_id not in doc["models"]]
    if missing:
        raise ValueError(f"the state document has no model {missing[0]!r} to show")
    parts = [*_style_elements(styles(doc)), *_data_scripts(doc), *map(view_div, ids)]
    parts.append(f'<script type="module">{runtime_text()}</script>')
    return "\n".join(parts) + "\n"


# --- the page ---------------------------------------------------------------------------------


def to_html(*models: Model, title: str | None = None, csp: bool = False) -> str:
    """A self-contained HTML page with one view of each model (and the state of the models they refer to).

    It needs no kernel and no network. `csp=True` adds a Content-Security-Policy allowing only
    what the page needs (docs/sharing.md).
    """
    if not models:
        raise ValueError("to_html needs at least one model to show")
    doc = saved.document(models)
    style_list = styles(doc)
    runtime = runtime_text()
    head = ['<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">']
    if csp:
        policy = content_security_policy([runtime], [text for _, text in style_list])
        head.append(f'<meta http-equiv="Content-Security-Policy" content="{attribute(policy)}">')
    head.append(f"<title>{attribute(title if title is not None else 'Widgets')}</title>")
    body = [*_data_scripts(doc), *(view_div(model.model_id) for model in models)]
    body.append(f'<script type="module">{runtime}</script>')
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        *head,
        *_style_elements(style_list),
        "</head>",
        "<body>",
        *body,
    ]
    return "\n".join([*lines, "</body>", "</html>"]) + "\n"


def save_html(path: str | os.PathLike[str], *models: Model, title: str | None = None, csp: bool = False) -> None:
    """Write `to_html(*models, title=title, csp=csp)` to the file `path` (UTF-8)."""
    page = to_html(*models, title=title, csp=csp)
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(page)


# --- Content-Security-Policy ------------------------------------------------------------------


def content_security_policy(scripts: Iterable[str], style_texts: Iterable[str]) -> str:
    """The policy a page needs whose inline scripts and <style> elements have these texts (as written)."""
    script_src = " ".join(dict.fromkeys(map(_source_hash, scripts)))
    style_src = " ".join(dict.fromkeys(map(_source_hash, style_texts))) or "'none'"
    return (
        f"default-src 'none'; script-src {script_src} blob:; style-src {style_src}; img-src data: blob:; font-src data:"
    )


def page_policy(page: str) -> str:
    """The policy for an HTML page, from the inline scripts and <style> elements it holds (the docs' and
    tests' way to check a page: `to_html(..., csp=True)` writes this policy)."""
    import html.parser

    scripts: list[str] = []
    style_texts: list[str] = []

    class Collect(html.parser.HTMLParser):
        current: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            kind = (dict(attrs).get("type") or "").strip().lower()
            if tag == "style":
                self.current = []
                style_texts.append("")
            elif tag == "script" and "src" not in dict(attrs) and kind in ("", "module", "text/javascript"):
                self.current = []
                scripts.append("")

        def handle_data(self, data: str) -> None:
            if self.current is not None:
                self.current.append(data)

        def handle_endtag(self, tag: str) -> None:
            if self.current is not None and tag in ("script", "style"):
                target = style_texts if tag == "style" else scripts
                target[-1] = "".join(self.current)
                self.current = None

    Collect(convert_charrefs=False).feed(_normal_text(page))
    return content_security_policy(scripts, style_texts)


def _source_hash(text: str) -> str:
    import hashlib

    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{binascii.b2a_base64(digest, newline=False).decode('ascii')}'"

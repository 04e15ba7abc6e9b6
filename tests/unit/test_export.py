"""HTML export (widgets/export.py): the page's elements, escaping of hostile text, CSP, the shared bundle."""

from __future__ import annotations

import base64
import hashlib
import html.parser
import json
import pathlib
import re
from typing import Any

import pytest
from traitlets import Dict, Int, Unicode

import widgets
from widgets import export, saved

from .models import ESM, Counter

RUNTIME = "const s = document.querySelectorAll('script'); export {};"
SHARED = "export const modules = { react: '</script><!-- \u2028' };"
BASE_CSS = ".widgets-banner { color: red; }\r\n"
HOSTILE = "</script><script>alert(1)</script> <!-- x --> <script> \u2028\u2029 <b>bold</b> & &amp; '\" </style>"


@pytest.fixture(autouse=True)
def static(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Stand-ins for the frontend build's files (the real ones are tested where present)."""
    files = {"embed.js": RUNTIME, "shared.js": SHARED, "base.css": BASE_CSS}
    monkeypatch.setattr(export, "static_text", files.__getitem__)
    return files


VOID = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"])


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs, self.text = tag, attrs, ""


class Page(html.parser.HTMLParser):
    """Every element of a page with its attributes and (for script/style/title) its text, in order."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.comments: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1].tag == tag, f"</{tag}> closes {self.open[-1].tag if self.open else None}"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1].text += data

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def tags(self) -> list[str]:
        return [e.tag for e in self.elements]

    def find(self, tag: str, **attrs: str | None) -> list[Element]:
        return [
            e for e in self.elements if e.tag == tag and all(k in e.attrs and e.attrs[k] == v for k, v in attrs.items())
        ]

    def state(self) -> Any:
        (script,) = self.find("script", type=export.STATE_MIMETYPE)
        return json.loads(script.text)


class Hostile(widgets.Model):
    __module__ = "evil</script><!--"
    _esm = "export default { render({ el }) { el.textContent = '</script><!-- <script>alert(1)</script>'; } }"
    _css = ".x::after { content: '</style><script>alert(1)</script><!--'; }\r\n.y { color: red }"
    text = Unicode("").tag(sync=True)
    table = Dict().tag(sync=True)


class ReactView(widgets.Model):
    _esm = 'import * as React from "react";\nexport default { render() {} }'
    value = Int(0).tag(sync=True)


def _hostile() -> Hostile:
    model = Hostile(text=HOSTILE, table={"__proto__": {"polluted": HOSTILE}, HOSTILE: [HOSTILE], "constructor": 1})
    model._model_id = '"><img src=x onerror=alert(1)>'
    return model


def test_the_page_has_exactly_the_elements_of_the_spec() -> None:
    counter, other = Counter(value=1), Counter(value=2)
    page = Page(widgets.to_html(counter, other, title="Two"))
    assert page.tags() == [
        *["html", "head", "meta", "meta", "title", "style", "style"],
        *["body", "script", "div", "div", "script"],
    ]
    assert page.find("title")[0].text == "Two"
    assert page.comments == [] and page.open == []
    assert page.find("style")[0].attrs == {"data-widgets-base": None}
    assert page.find("style")[0].text == ".widgets-banner { color: red; }\n"
    assert page.find("style")[1].text == ".counter { color: red; }"
    assert page.find("style")[1].attrs["data-widgets-css"] == Counter._css_asset.hash  # type: ignore[union-attr]
    assert [d.attrs for d in page.find("div")] == [
        {"class": "widgets-embed", "data-widgets-view": m.model_id} for m in (counter, other)
    ]
    assert page.find("script")[-1].attrs == {"type": "module"} and page.find("script")[-1].text == RUNTIME
    assert page.state() == saved.document([counter, other])
    assert widgets.to_html(counter).count("<title>Widgets</title>") == 1


def test_hostile_text_everywhere_stays_text() -> None:
    model = _hostile()
    title = "</title><script>alert(1)</script>" + HOSTILE
    text = widgets.to_html(model, title=title)
    page = Page(text)
    assert page.tags() == ["html", "head", "meta", "meta", "title", "style", "style", "body", "script", "div", "script"]
    assert page.find("title")[0].text == title
    assert page.comments == [] and page.open == []
    assert page.find("div")[0].attrs["data-widgets-view"] == model.model_id
    doc = page.state()
    assert doc == saved.document([model])
    state = saved.decode(doc)[model.model_id]
    assert state["state"] == {"text": HOSTILE, "table": model.table}
    assert state["esm"] == Hostile._esm and state["class"] == "evil</script><!--.Hostile"
    css = page.find("style", **{"data-widgets-css": Hostile._css_asset.hash})[0]  # type: ignore[union-attr]
    assert css.text == Hostile._css.replace("\r\n", "\n").replace("</", "<\\/")
    outside_styles = re.sub(r"<style[^>]*>.*?</style>", "", text, flags=re.S)  # `<!--` means nothing in a style
    assert "<!--" not in outside_styles
    assert not any(set(script.text) & set("\u2028\u2029<>&") for script in page.find("script")[:-1])
    assert len(re.findall("</script", text, re.I)) == len(page.find("script"))
    assert len(re.findall("</style", text, re.I)) == len(page.find("style"))


def test_json_for_script_escapes_and_parses_back() -> None:
    value = {"__proto__": ["<", ">", "&", "\u2028", "\u2029", "</script>", "<!--"], "é": 1.5}
    text = export.json_for_script(value)
    assert not set(text) & set("<>&\u2028\u2029")
    assert json.loads(text) == value and "é" in text


def test_the_shared_bundle_comes_only_when_a_module_imports_it() -> None:
    assert not Page(widgets.to_html(Counter())).find("script", type=export.SHARED_MIMETYPE)
    (shared,) = Page(widgets.to_html(Counter(), ReactView())).find("script", type=export.SHARED_MIMETYPE)
    assert json.loads(shared.text) == SHARED


@pytest.mark.parametrize(
    ("source", "needed"),
    [
        ('import React from "react";', True),
        ("import {jsx} from 'react/jsx-runtime'", True),
        ("const d = await import( 'react-dom/client')", True),
        ('import "react-dom"', True),
        ("export * from `@widgets/react`", True),
        ('import{useModelState}from"@widgets/react"', True),
        ('import x from "preact"', False),
        ('import x from "reactive"', False),
        ('import x from "react-dom/server"', False),
        ("const react = 'react';", False),
    ],
)
def test_which_imports_count_as_shared(source: str, needed: bool) -> None:
    doc = {"classes": [{"esm": "h", "css": None}], "assets": {"h": source}}
    assert export.needs_shared(doc) is needed


def test_a_stylesheet_importing_react_does_not_count() -> None:
    doc = {"classes": [{"esm": None, "css": "h"}], "assets": {"h": '@import "react";'}}
    assert not export.needs_shared(doc)


def test_csp_lists_the_hash_of_each_inline_text() -> None:
    text = widgets.to_html(_hostile(), ReactView(), csp=True)
    page = Page(text)
    (meta,) = page.find("meta", **{"http-equiv": "Content-Security-Policy"})
    policy = meta.attrs["content"] or ""
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data: blob:" and directives["font-src"] == "data:"
    assert directives["script-src"] == f"{_hash(RUNTIME)} blob:"
    assert directives["style-src"].split() == [_hash(style.text) for style in page.find("style")]
    assert len(page.find("style")) == 2
    assert "unsafe" not in policy
    assert export.page_policy(text) == policy
    assert f'<meta http-equiv="Content-Security-Policy" content="{policy}">' in text  # as written, to copy
    assert text.index("Content-Security-Policy") < text.index("<style")  # before what it governs
    assert "Content-Security-Policy" not in widgets.to_html(Counter())


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_page_policy_hashes_only_executable_inline_scripts() -> None:
    page = (
        "<style>a{}</style><script>1</script><script type=module>2</script>"
        '<script type="application/json">{}</script><script src="x.js"></script>'
    )
    assert export.page_policy(page) == export.content_security_policy(["1", "2"], ["a{}"])


def test_embed_snippet_is_the_body_of_a_page() -> None:
    counter = Counter()
    doc = saved.document([counter])
    page = Page(export.embed_snippet(doc, [counter.model_id]))
    assert page.tags() == ["style", "style", "script", "div", "script"]
    assert page.state() == doc
    with pytest.raises(ValueError, match="has no model 'nope'"):
        export.embed_snippet(doc, ["nope"])
    with pytest.raises(saved.SavedStateError, match="unsupported state version"):
        export.embed_snippet({**doc, "version": 9}, [counter.model_id])


def test_save_html_writes_the_page(tmp_path: pathlib.Path) -> None:
    counter = Counter(value=7)
    widgets.save_html(tmp_path / "page.html", counter, title="é")
    assert (tmp_path / "page.html").read_bytes().decode("utf-8") == widgets.to_html(counter, title="é")


def test_what_cannot_be_exported_says_so(static: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="at least one model"):
        widgets.to_html()
    static["embed.js"] = "x = '</SCRIPT>'"
    with pytest.raises(ValueError, match="contains `</script` or `<!--`"):
        widgets.to_html(Counter())


def test_a_missing_static_file_says_how_to_build_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    with pytest.raises(FileNotFoundError, match=r"widgets/static/none\.js is missing: run `npm run build`"):
        export.static_text("none.js")


def test_the_built_files_can_be_inlined(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    runtime = export.static_text("embed.js")
    assert not re.search("</script|<!--", runtime, re.I)
    assert "export const modules" in export.static_text("shared.js") or "modules" in export.static_text("shared.js")
    page = Page(widgets.to_html(Counter(), ReactView(), csp=True))
    assert page.find("script", type=export.SHARED_MIMETYPE) and page.find("script")[-1].text == runtime
    assert ESM in page.state()["assets"].values()

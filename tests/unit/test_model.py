"""Model class definition, identity, display and life cycle."""

from __future__ import annotations

import gc
import pathlib

import pytest
from traitlets import Int, TraitError

import widgets
from widgets.registry import live
from widgets.testing import InProcessFrontend

from .models import ESM, Counter


def test_inline_esm_and_css_reach_the_browser(frontend: InProcessFrontend) -> None:
    view = frontend.model(Counter())
    assert view.esm == ESM
    assert view.css == ".counter { color: red; }"


def test_esm_from_a_path_and_from_a_string_naming_a_file(tmp_path: pathlib.Path, frontend: InProcessFrontend) -> None:
    source = tmp_path / "view.js"
    source.write_text("export default { render() {} }")

    class FromPath(widgets.Model):
        _esm = source

    class FromString(widgets.Model):
        _esm = str(source)
        _css = pathlib.Path(source)

    assert frontend.model(FromPath()).esm == "export default { render() {} }"
    assert frontend.model(FromString()).esm == "export default { render() {} }"


def test_a_file_edited_on_disk_is_sent_anew(tmp_path: pathlib.Path, frontend: InProcessFrontend) -> None:
    source = tmp_path / "live.js"
    source.write_text("export default 1")

    class Live(widgets.Model):
        _esm = source

    assert frontend.model(Live()).esm == "export default 1"
    source.write_text("export default 22")
    import os

    os.utime(source, (1, 1))
    assert frontend.model(Live()).esm == "export default 22"


def test_a_missing_file_fails_at_class_definition() -> None:
    with pytest.raises(FileNotFoundError, match=r"Broken\._esm names the file 'nowhere/missing\.js'"):

        class Broken(widgets.Model):
            _esm = "nowhere/missing.js"

    with pytest.raises(FileNotFoundError, match=r"missing\.css"):

        class BrokenCss(widgets.Model):
            _css = pathlib.Path("/nonexistent/missing.css")

    with pytest.raises(TypeError, match="source text or a path"):

        class Wrong(widgets.Model):
            _esm = 42  # type: ignore[assignment]


def test_outside_a_kernel_a_model_is_a_plain_traitlets_object() -> None:
    counter = Counter(value=3)
    counter.value = 4
    assert counter.value == 4
    assert counter._sync is None and counter.closed
    assert counter.model_id not in live
    assert set(counter._repr_mimebundle_()) == {"text/plain"}
    counter.send({"ignored": True})  # no comm, nothing to do
    with counter.hold_sync():
        counter.value = 5
    counter.close()


def test_repr_mimebundle_names_the_model_and_the_protocol(frontend: InProcessFrontend) -> None:
    counter = Counter(value=2)
    bundle = counter._repr_mimebundle_()
    assert bundle[widgets.MIMETYPE] == {"model_id": counter.model_id, "protocol": widgets.PROTOCOL_VERSION}
    assert bundle["text/plain"] == "Counter(label='', status='idle', value=2)"
    assert frontend.messages[0].comm_id == counter.model_id


def test_only_sync_traits_travel(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    assert set(view.confirmed) == {"value", "label", "status"}
    before = len(frontend.messages)
    counter.local = 9
    frontend.flush()
    assert len(frontend.messages) == before


def test_close_closes_the_comm_and_frees_the_model(frontend: InProcessFrontend) -> None:
    counter = Counter()
    view = frontend.model(counter)
    model_id = counter.model_id
    counter.close()
    assert view.closed and counter.closed
    assert model_id not in live
    assert frontend.messages[-1].kind == "comm_close"
    counter.value = 10  # a closed model still works as a traitlets object, silently
    counter.close()  # idempotent
    assert sum(m.kind == "comm_close" for m in frontend.messages) == 1
    assert "closed" in counter._repr_mimebundle_()["text/plain"]
    del counter
    gc.collect()


def test_browser_closing_the_comm_frees_the_model(frontend: InProcessFrontend) -> None:
    counter = Counter()
    frontend.model(counter).close()
    assert counter.closed and counter.model_id not in live


def test_subclass_traits_and_assets_are_inherited(frontend: InProcessFrontend) -> None:
    class Bigger(Counter):
        extra = Int(1).tag(sync=True)

    view = frontend.model(Bigger())
    assert view.esm == ESM and view.confirmed["extra"] == 1
    assert view.class_name.endswith("Bigger")


def test_esm_travels_once_per_kernel(frontend: InProcessFrontend) -> None:
    first, second = Counter(), Counter()
    opens = frontend.sent(method="open")
    assert opens[0].data["assets"] and opens[1].data["assets"] == {}
    assert opens[0].data["esm"] == opens[1].data["esm"]
    assert frontend.model(second).esm == ESM
    assert opens[1].size < 300 < opens[0].size
    first.close()


def test_an_array_trait_refuses_none_unless_allowed() -> None:
    """traitlets' Any allows None by default; an Array holds binary (found by the kernel fuzzer)."""

    class Binary(widgets.Model):
        data = widgets.Array(b"").tag(sync=True)
        maybe = widgets.Array(None, allow_none=True).tag(sync=True)

    model = Binary()
    model.maybe = None
    with pytest.raises(TraitError):
        model.data = None

"""Links (widgets/controls/links.py): `link` / `dlink` in the kernel; `jslink` / `jsdlink` as eager
Link models the browser links by itself (the browser side: frontend/test/links.test.ts), their
checks, their wire state, and their place in saved state and exported pages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from traitlets import HasTraits, Int, TraitError

import widgets
from widgets import export, saved
from widgets.controls import IntProgress, IntSlider, Text
from widgets.controls.links import DirectionalLink, Link
from widgets.testing import InProcessFrontend


class Plain(HasTraits):
    number = Int(0)


def test_link_keeps_two_traits_equal_both_ways_until_unlinked() -> None:
    a, b = IntSlider(1), IntSlider(5)
    joined = widgets.link((a, "value"), (b, "value"))
    assert b.value == 1  # the target takes the source's value first
    a.value = 7
    assert b.value == 7
    b.value = 3
    assert a.value == 3
    joined.unlink()
    a.value = 9
    assert b.value == 3


def test_dlink_copies_one_way_with_a_transform_and_works_with_any_hastraits() -> None:
    source, target = Plain(number=2), IntSlider(0, max=100)
    one_way = widgets.dlink((source, "number"), (target, "value"), transform=lambda x: x * 10)
    assert target.value == 20
    source.number = 4
    assert target.value == 40
    target.value = 1
    assert source.number == 4
    one_way.unlink()
    source.number = 5
    assert target.value == 1
    with pytest.raises(TypeError):
        widgets.link((source, "nothing"), (target, "value"))


def test_kernel_links_follow_browser_changes(frontend: InProcessFrontend) -> None:
    a, b = IntSlider(1), IntSlider(2)
    widgets.link((a, "value"), (b, "value"))
    view_a, view_b = frontend.model(a), frontend.model(b)
    view_a.set("value", 6)
    view_a.save_changes()
    frontend.flush()
    assert (a.value, b.value, view_b.get("value")) == (6, 6, 6)


def test_jslink_state_holds_references_and_the_class_is_eager(frontend: InProcessFrontend) -> None:
    a, b = IntSlider(1), IntSlider(2)
    joined = widgets.jslink((a, "value"), (b, "value"))
    assert isinstance(joined, Link) and joined.two_way
    view = frontend.model(joined)
    assert view.get("source") == [f"IPY_MODEL_{a.model_id}", "value"]
    assert view.get("target") == [f"IPY_MODEL_{b.model_id}", "value"]
    assert view.get("two_way") is True
    assert frontend.resolve(view.get("source")[0]) is frontend.model(a)
    opens = {m.data["state"].get("source", [None])[0]: m.data for m in frontend.sent(method="open")}
    assert opens[view.get("source")[0]]["eager"] is True
    assert [data.get("eager") for data in opens.values()].count(True) == 1  # sliders are not eager
    # The browser may not rewrite a link's ends.
    view.set("target", [f"IPY_MODEL_{a.model_id}", "max"])
    view.save_changes()
    assert view.errors[-1]["kind"] == "read_only" and joined.target == (b, "value")
    # No view: displayed, a link is text.
    assert joined._repr_mimebundle_() == {"text/plain": "Link(IntSlider.value <-> IntSlider.value)"}
    one_way = widgets.jsdlink((a, "value"), (b, "max"))
    assert isinstance(one_way, DirectionalLink) and frontend.model(one_way).get("two_way") is False
    assert repr(one_way) == "DirectionalLink(IntSlider.value -> IntSlider.max)"


def test_the_restore_reply_says_which_models_are_eager(frontend: InProcessFrontend) -> None:
    a, b = IntSlider(), IntSlider()
    joined = widgets.jslink((a, "value"), (b, "value"))
    frontend.restore()
    (reply,) = [m.data for m in frontend.messages if m.data.get("method") == "restore_reply"]
    eager = {body["model_id"] for body in reply["models"] if body.get("eager")}
    assert eager == {joined.model_id}


def test_unlink_closes_the_link(frontend: InProcessFrontend) -> None:
    a, b = IntSlider(), IntSlider()
    joined = widgets.jslink((a, "value"), (b, "value"))
    view = frontend.model(joined)
    joined.unlink()
    frontend.flush()
    assert joined.closed and view.closed
    assert repr(joined).endswith("(unlinked)")
    assert joined.model_id not in saved.document([a, b])["models"]


@pytest.mark.parametrize(
    ("source", "target", "error", "message"),
    [
        ("value", ("x", "value"), TypeError, r"must be a \(model, 'key'\) pair"),
        (("x", "value"), "target", TypeError, "must be a widgets.Model, got str"),
        (("a", 3), ("b", "value"), TypeError, "key of a link must be a string"),
        (("a", "nope"), ("b", "value"), TypeError, "IntSlider.nope is not a synced trait"),
        (("a", "keys"), ("b", "value"), TypeError, "IntSlider.keys is not a synced trait"),
        (("a", "value"), ("bar", "_kind"), TypeError, "IntProgress._kind is read-only in the browser"),
        (("a", "value"), ("a", "value"), ValueError, "to itself"),
        (("a", "value"), (Plain(), "number"), TypeError, "must be a widgets.Model, got Plain"),
    ],
)
def test_jslink_refuses_what_the_browser_cannot_link(source: Any, target: Any, error: type, message: str) -> None:
    models: dict[str, Any] = {"a": IntSlider(), "b": IntSlider(), "bar": IntProgress()}

    def end(pair: Any) -> Any:
        return (models.get(pair[0], pair[0]), pair[1]) if isinstance(pair, tuple) else pair

    with pytest.raises(error, match=message):
        widgets.jslink(end(source), end(target))


def test_jsdlink_may_read_a_kernel_owned_key_and_ends_changed_later_are_checked() -> None:
    bar, text = IntProgress(), Text()
    one_way = widgets.jsdlink((bar, "_kind"), (text, "value"))  # the source is only read
    with pytest.raises(TypeError, match="read-only in the browser"):
        widgets.jslink((bar, "_kind"), (text, "value"))  # two ways: it would be written
    with pytest.raises(TraitError, match="is not a synced trait"):
        one_way.target = (text, "nothing")
    with pytest.raises(TraitError, match="to itself"):
        one_way.source = (text, "value")
    one_way.target = (text, "description")
    assert one_way.target == (text, "description")


def test_the_saved_document_holds_a_link_when_both_its_ends_are_saved(frontend: InProcessFrontend) -> None:
    a, b, c = IntSlider(1), IntSlider(1), IntSlider(1)
    ab = widgets.jslink((a, "value"), (b, "value"))
    bc = widgets.jsdlink((b, "value"), (c, "value"))
    both = saved.document([a, b])
    assert set(both["models"]) == {a.model_id, b.model_id, ab.model_id}
    entry = both["models"][ab.model_id]
    cls = both["classes"][entry[0]]
    assert cls["name"] == "widgets.controls.links.Link" and cls["eager"] is True
    assert all("eager" not in other for other in both["classes"] if other is not cls)
    assert entry[1] == [[f"IPY_MODEL_{a.model_id}", "value"], [f"IPY_MODEL_{b.model_id}", "value"], True]
    assert saved.decode(saved.dumps(both))[ab.model_id]["eager"] is True
    assert set(saved.document([a])["models"]) == {a.model_id}  # one end missing: no link
    assert set(saved.document([b, c])["models"]) == {b.model_id, c.model_id, bc.model_id}
    assert set(saved.document([a, b, c])["models"]) == {a.model_id, b.model_id, c.model_id, ab.model_id, bc.model_id}


def test_links_between_links_are_saved_once_their_ends_are() -> None:
    a, b, c = IntSlider(), IntSlider(), Text()
    meta = widgets.jsdlink((a, "value"), (c, "value"))
    ab = widgets.jslink((a, "value"), (b, "value"))
    meta.source = (ab, "two_way")  # made first, it refers to a later link: found in a second round
    assert list(saved.document([a, b, c])["models"]) == [a.model_id, b.model_id, c.model_id, ab.model_id, meta.model_id]
    assert meta.model_id not in saved.document([a, b])["models"]


def test_links_made_without_a_kernel_are_saved_too() -> None:
    a, b = IntSlider(2), IntSlider(2)
    joined = widgets.jslink((a, "value"), (b, "value"))
    assert joined._sync is None  # plain Python: no comm
    assert joined.model_id in saved.document([a, b])["models"]
    joined.unlink()
    assert joined.model_id not in saved.document([a, b])["models"]


def test_the_reader_refuses_an_eager_flag_that_is_not_a_boolean() -> None:
    a, b = IntSlider(), IntSlider()
    widgets.jslink((a, "value"), (b, "value"))
    doc = saved.document([a, b])
    doc["classes"][-1]["eager"] = "yes"
    with pytest.raises(saved.SavedStateError, match="eager must be true or false"):
        saved.loads(doc)


def test_to_html_includes_the_links_between_the_models_shown(frontend: InProcessFrontend) -> None:
    a, b, other = IntSlider(3), IntSlider(3), IntSlider(0)
    joined = widgets.jslink((a, "value"), (b, "value"))
    widgets.jslink((a, "value"), (other, "value"))  # `other` is not on the page: this one is left out
    page = widgets.to_html(a, b)
    (text,) = re.findall(rf'<script type="{re.escape(export.STATE_MIMETYPE)}">(.*?)</script>', page, re.S)
    doc = saved.loads(json.loads(text))
    assert set(doc["models"]) == {a.model_id, b.model_id, joined.model_id}
    assert page.count("data-widgets-view=") == 2  # a link has no view of its own

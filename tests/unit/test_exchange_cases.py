"""Golden message exchanges: recorded here with the testing kit against real Models, replayed by
frontend/test/exchanges.test.ts against the real browser runtime (as patch_cases.json is).

`WIDGETS_RECORD_CASES=1 pytest tests/unit/test_exchange_cases.py` rewrites
tests/protocol_cases/exchange_cases.json; otherwise the test checks that the file still is what
the kit and the kernel produce. Format: docs/testing.md, "Golden exchange cases".
"""

from __future__ import annotations

import itertools
import json
import os
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from traitlets import Instance, Int, List, Unicode, validate

import widgets
from widgets import model as model_module
from widgets.testing import FrontendModel, InProcessFrontend

CASES_FILE = pathlib.Path(__file__).parents[1] / "protocol_cases" / "exchange_cases.json"
CLIENT = "c0ffee"
ESM = "export default { render({ model, el }) { el.textContent = String(model.get('value')); } }"
BIG = 1500  # over the runtime's 1024-element threshold for small patches


class Counter(widgets.Model):
    _esm = ESM
    _sync_interval = 0.0  # every change goes at once: the recording does not depend on timing
    value = Int(0).tag(sync=True)
    label = Unicode("").tag(sync=True)
    status = Unicode("idle").tag(sync=True, read_only=True)
    level = Int(0, read_only=True).tag(sync=True)  # traitlets' read_only: the browser may write it

    @validate("value")
    def _at_most_ten(self, proposal: Any) -> int:
        return min(int(proposal["value"]), 10)


class Items(widgets.Model):
    _esm = ESM
    _sync_interval = 0.0
    items: List[Any] = List().tag(sync=True)


class Parent(widgets.Model):
    _esm = ESM
    _sync_interval = 0.0
    child = Instance(widgets.Model, allow_none=True).tag(sync=True)
    children = List(Instance(widgets.Model)).tag(sync=True)


class Recording:
    """Turns the kit's message log into steps, between the `set` and `shows` steps a case makes."""

    def __init__(self, frontend: InProcessFrontend) -> None:
        self.frontend = frontend
        self.steps: list[dict[str, Any]] = []
        self._seen = 0

    def _catch_up(self) -> None:
        self.frontend.send_outbox()
        for message in self.frontend.messages[self._seen :]:
            entry = {"kind": message.kind, "comm_id": message.comm_id, "data": message.data}
            if message.direction == "to_browser":
                self.steps.append({"receive": entry})
            elif self.steps and "sent" in self.steps[-1]:
                self.steps[-1]["sent"].append(entry)
            else:
                self.steps.append({"sent": [entry]})
        self._seen = len(self.frontend.messages)

    def kernel(self, change: Callable[[], Any]) -> None:
        """Python code changes the model; what the kernel sends is received."""
        change()
        self.frontend.flush()
        self._catch_up()

    def set(self, view: FrontendModel, values: dict[str, Any]) -> None:
        """`model.set(values); model.save_changes()` in a view; then what the browser sent (maybe nothing)."""
        self._catch_up()
        self.steps.append({"set": {"comm_id": view.model_id, "values": values}})
        view.set_many(values)
        view.save_changes()
        self._catch_up()
        if "sent" not in self.steps[-1]:
            self.steps.append({"sent": []})

    def shows(self, view: FrontendModel, *keys: str) -> None:
        self._catch_up()
        self.steps.append({"shows": {view.model_id: {key: view.get(key) for key in keys}}})

    def done(self) -> list[dict[str, Any]]:
        self._catch_up()
        if "sent" not in self.steps[-1]:
            self.steps.append({"sent": []})  # and nothing else was sent
        return self.steps


# --- the cases ----------------------------------------------------------------------------------


def open_and_kernel_update(rec: Recording) -> None:
    counter = Counter(value=1)
    view = rec.frontend.model(counter)
    rec.kernel(lambda: setattr(counter, "value", 5))
    rec.shows(view, "value")


def browser_sets_a_value_whole(rec: Recording) -> None:
    view = rec.frontend.model(Counter())
    rec.set(view, {"value": 3, "label": "hi"})
    rec.shows(view, "value", "label")


def browser_patch_on_a_big_list(rec: Recording) -> None:
    view = rec.frontend.model(Items(items=list(range(BIG))))
    changed = list(range(BIG))
    changed[700] = -700
    rec.set(view, {"items": changed})
    rec.shows(view, "items")


def kernel_coerces_and_echoes(rec: Recording) -> None:
    view = rec.frontend.model(Counter())
    rec.set(view, {"value": 42})  # the validator clamps it to 10
    rec.shows(view, "value")


def refused_value_reverts(rec: Recording) -> None:
    counter = Counter(value=2)
    view = rec.frontend.model(counter)
    rec.set(view, {"value": "three", "label": "kept"})
    rec.shows(view, "value", "label")


def stale_patch_is_retried_whole(rec: Recording) -> None:
    items = Items(items=list(range(BIG)))
    view = rec.frontend.model(items)
    with rec.frontend.delayed():
        rec.kernel(lambda: setattr(items, "items", [*items.items, BIG]))  # held: the browser does not know yet
        mine = list(range(BIG))
        mine[3] = -3
        rec.set(view, {"items": mine})  # a patch against rev 0
    rec.shows(view, "items")


def saves_merge_while_one_is_in_flight(rec: Recording) -> None:
    view = rec.frontend.model(Counter())
    with rec.frontend.delayed():
        rec.set(view, {"value": 1})
        rec.set(view, {"label": "a"})
        rec.set(view, {"value": 2})
        rec.shows(view, "value", "label")
    rec.shows(view, "value", "label")


def read_only_and_traitlets_read_only(rec: Recording) -> None:
    view = rec.frontend.model(Counter())
    rec.set(view, {"status": "hacked"})  # .tag(read_only=True): refused in the browser, nothing sent
    rec.set(view, {"level": 3})  # traitlets' read_only=True: the browser may write it
    rec.shows(view, "status", "level")


def references_are_strings(rec: Recording) -> None:
    first, second = Counter(value=1), Counter(value=2)
    parent = Parent(child=first, children=[first, second])
    view = rec.frontend.model(parent)
    rec.shows(view, "child", "children")
    rec.set(view, {"child": f"IPY_MODEL_{second.model_id}"})
    rec.kernel(lambda: setattr(parent, "children", [second]))
    rec.shows(view, "child", "children")


def rev_gap_asks_for_the_state(rec: Recording) -> None:
    counter = Counter()
    view = rec.frontend.model(counter)
    rec.frontend.drop_next()  # the update for value=1 is lost
    rec.kernel(lambda: setattr(counter, "value", 1))
    rec.kernel(lambda: setattr(counter, "label", "after the gap"))
    rec.shows(view, "value", "label")


def mutated_get_value_set_again(rec: Recording) -> None:
    items = Items(items=list(range(BIG)))
    view = rec.frontend.model(items)
    shown = view.get("items")
    shown.append(BIG)  # what drawdata does: push into what get() returned, then set it
    rec.set(view, {"items": shown})  # diffed against the kernel's value, not the mutated copy
    rec.shows(view, "items")


def value_that_diffs_to_nothing_is_sent_whole(rec: Recording) -> None:
    view = rec.frontend.model(Items(items=list(range(BIG))))
    rec.set(view, {"items": list(range(BIG))})  # never an empty patch
    rec.shows(view, "items")


CASES: list[tuple[str, Callable[[Recording], None]]] = [
    ("open, then a kernel update", open_and_kernel_update),
    ("the browser sets values, sent whole", browser_sets_a_value_whole),
    ("the browser patches one element of a big list", browser_patch_on_a_big_list),
    ("the kernel coerces a value and echoes it", kernel_coerces_and_echoes),
    ("a refused value reverts; the other key is kept", refused_value_reverts),
    ("a stale patch is retried whole", stale_patch_is_retried_whole),
    ("saves merge while an update is in flight", saves_merge_while_one_is_in_flight),
    ("read_only tag refused in the browser; traitlets' read_only written", read_only_and_traitlets_read_only),
    ("references are IPY_MODEL_ strings", references_are_strings),
    ("a gap in rev asks for the state", rev_gap_asks_for_the_state),
    ("a view mutates what get() returned, then sets it", mutated_get_value_set_again),
    ("a value that diffs to nothing is sent whole", value_that_diffs_to_nothing_is_sent_whole),
]


def record(case: Callable[[Recording], None]) -> list[dict[str, Any]]:
    with InProcessFrontend(client=CLIENT) as frontend:
        recording = Recording(frontend)
        case(recording)
        return recording.done()


def render(cases: list[dict[str, Any]]) -> str:
    """One step per line, so a diff of the file shows which step changed."""
    blocks = []
    for case in cases:
        steps = ",\n".join("  " + json.dumps(step, ensure_ascii=False, sort_keys=True) for step in case["steps"])
        head = json.dumps({"name": case["name"], "client": case["client"]}, ensure_ascii=False)[:-1]
        blocks.append(f'{head}, "steps": [\n{steps}\n]}}')
    return "[\n" + ",\n".join(blocks) + "\n]\n"


def test_exchange_cases_match_the_recorded_file(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = []
    for name, case in CASES:
        monkeypatch.setattr(model_module, "new_model_id", _numbered_ids())  # each case numbers its models from m1
        cases.append({"name": name, "client": CLIENT, "steps": record(case)})
    text = render(cases)
    assert json.loads(text) == cases
    if os.environ.get("WIDGETS_RECORD_CASES") == "1":
        CASES_FILE.write_text(text, encoding="utf-8")
    recorded = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    assert [c["name"] for c in recorded] == [c["name"] for c in cases]
    for old, new in zip(recorded, cases, strict=True):
        assert old == new, f"case {new['name']!r} changed: rerun with WIDGETS_RECORD_CASES=1 and review the diff"


def _numbered_ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"m{next(counter)}"


def test_the_cases_cover_what_the_browser_must_replay() -> None:
    recorded = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    assert len(recorded) >= 12 and all(c["client"] == CLIENT for c in recorded)
    kinds = {next(iter(step)) for case in recorded for step in case["steps"]}
    assert kinds == {"receive", "set", "sent", "shows"}
    sent = [m["data"] for case in recorded for step in case["steps"] for m in step.get("sent", [])]
    assert any("patch" in d for d in sent) and any(d.get("method") == "request_state" for d in sent)
    assert all(d.get("patch") != {} and all(d.get("patch", {}).values()) for d in sent)  # never an empty patch
    errors = [
        e["kind"]
        for case in recorded
        for step in case["steps"]
        for e in step.get("receive", {}).get("data", {}).get("errors", [])
    ]
    assert {"stale", "validation"} <= set(errors)

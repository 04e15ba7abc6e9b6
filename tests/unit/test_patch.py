from __future__ import annotations

import copy
import json
from typing import Any

import jsonpatch
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widgets.patch import PatchError, apply_patch, make_patch

json_values = st.recursive(
    # no booleans or floats: below the top level of a list, True == 1 == 1.0 for Python (see _slices_equal)
    st.none() | st.integers(-5, 5) | st.text(max_size=3),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=3), children, max_size=5),
    max_leaves=30,
)


def same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@settings(max_examples=300, deadline=None)
@given(json_values, json_values)
def test_make_patch_turns_old_into_new_per_rfc6902(old: Any, new: Any) -> None:
    before = copy.deepcopy(old)
    ops = make_patch(old, new)
    assert ops is not None
    assert same_json(jsonpatch.apply_patch(old, ops), new)  # checked by an independent implementation
    assert same_json(apply_patch(old, ops), new)
    assert old == before  # neither call changed its input


@settings(max_examples=200, deadline=None)
@given(json_values, json_values)
def test_apply_patch_agrees_with_jsonpatch(old: Any, new: Any) -> None:
    ops = jsonpatch.make_patch(old, new).patch
    assert same_json(apply_patch(old, ops), new)


def test_one_change_in_a_long_list_is_one_replace() -> None:
    old = list(range(100_000))
    new = list(old)
    new[56_789] = -1
    assert make_patch(old, new) == [{"op": "replace", "path": "/56789", "value": -1}]


def test_append_insert_and_remove_are_small() -> None:
    old = list(range(10_000))
    assert make_patch(old, [*old, 1, 2]) == [
        {"op": "add", "path": "/10000", "value": 1},
        {"op": "add", "path": "/10001", "value": 2},
    ]
    assert make_patch(old, [-1, *old]) == [{"op": "add", "path": "/0", "value": -1}]
    assert make_patch(old, old[:500] + old[501:]) == [{"op": "remove", "path": "/500"}]


def test_nested_change_and_escaped_keys() -> None:
    old = {"a/b": {"x~y": [1, 2, 3]}, "keep": True}
    new = {"a/b": {"x~y": [1, 5, 3]}, "keep": True}
    ops = make_patch(old, new)
    assert ops == [{"op": "replace", "path": "/a~1b/x~0y/1", "value": 5}]
    assert apply_patch(old, ops) == new


def test_type_changes_are_replaced() -> None:
    assert make_patch([1], [True]) == [{"op": "replace", "path": "/0", "value": True}]
    assert make_patch({"a": 1}, {"a": 1.0}) == [{"op": "replace", "path": "/a", "value": 1.0}]


def test_budget_gives_up() -> None:
    assert make_patch(list(range(100)), list(range(100, 200)), max_ops=10) is None


def test_apply_is_copy_on_write() -> None:
    inner = [1, 2]
    doc = {"a": inner, "b": [3]}
    out = apply_patch(doc, [{"op": "add", "path": "/a/-", "value": 9}])
    assert out == {"a": [1, 2, 9], "b": [3]}
    assert doc == {"a": [1, 2], "b": [3]} and inner == [1, 2]
    assert out["b"] is doc["b"]  # untouched branches are shared, not copied


def test_move_copy_test_ops() -> None:
    doc = {"a": [1, 2], "b": {}}
    ops = [
        {"op": "copy", "from": "/a", "path": "/b/c"},
        {"op": "move", "from": "/a/0", "path": "/b/first"},
        {"op": "test", "path": "/b/first", "value": 1},
    ]
    assert apply_patch(doc, ops) == {"a": [2], "b": {"c": [1, 2], "first": 1}}


@pytest.mark.parametrize(
    "ops",
    [
        "not a list",
        [{"op": "replace", "path": "/nope", "value": 1}],
        [{"op": "remove", "path": "/list/7"}],
        [{"op": "add", "path": "/list/01", "value": 1}],
        [{"op": "add", "path": "no-slash", "value": 1}],
        [{"op": "test", "path": "/list/0", "value": 2}],
        [{"op": "test", "path": "/list/0", "value": True}],
        [{"op": "frobnicate", "path": "/list"}],
        [{"op": "add", "path": "/list/0"}],
        [{"op": "move", "from": "/list", "path": "/list/0"}],
        [{"path": "/list"}],
        [{"op": "remove", "path": ""}],
        [{"op": "add", "path": "/list/0/x", "value": 1}],
    ],
)
def test_bad_patches_raise_and_leave_the_document(ops: Any) -> None:
    doc = {"list": [1]}
    with pytest.raises(PatchError):
        apply_patch(doc, ops)
    assert doc == {"list": [1]}


def test_booleans_and_numbers_differ_at_every_depth() -> None:
    """Found by the kernel fuzzer: Python's `==` takes True for 1 inside containers, so the diff
    dropped the op and the view kept 0 where the kernel held False."""
    assert make_patch({"c5": [0]}, {"c5": [False]}) == [{"op": "replace", "path": "/c5/0", "value": False}]
    assert make_patch([[True, 1]], [[1, True]]) == [
        {"op": "replace", "path": "/0/0", "value": 1},
        {"op": "replace", "path": "/0/1", "value": True},
    ]
    assert make_patch([{"a": 1}] * 600, [{"a": 1}] * 599 + [{"a": True}]) == [
        {"op": "replace", "path": "/599/a", "value": True}
    ]

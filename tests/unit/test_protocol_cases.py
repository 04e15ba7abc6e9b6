"""Cases shared with the browser's tests (frontend/test/patch.test.ts): both sides agree."""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import pytest

from widgets.patch import PatchError, apply_patch

CASES = json.loads((pathlib.Path(__file__).parents[1] / "protocol_cases" / "patch_cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_patch_case(case: dict[str, Any]) -> None:
    before = copy.deepcopy(case["doc"])
    if case.get("error"):
        with pytest.raises(PatchError):
            apply_patch(case["doc"], case["patch"])
    else:
        assert json.dumps(apply_patch(case["doc"], case["patch"]), sort_keys=True) == json.dumps(
            case["result"], sort_keys=True
        )
    assert case["doc"] == before

from __future__ import annotations

from collections.abc import Iterator

import pytest

from widgets.testing import InProcessFrontend


@pytest.fixture
def frontend() -> Iterator[InProcessFrontend]:
    with InProcessFrontend() as fe:
        yield fe

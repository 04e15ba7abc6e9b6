"""Links: placeholder being written."""

from __future__ import annotations

from typing import Any


def link(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def dlink(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def jslink(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def jsdlink(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError

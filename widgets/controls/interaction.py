"""interact: placeholder being written."""

from __future__ import annotations

from typing import Any


def interact(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def interact_manual(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def interactive(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def fixed(value: Any) -> Any:
    raise NotImplementedError

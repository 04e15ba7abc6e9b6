"""widgets/protocol.py holds to docs/protocol.md: every error kind, every method, the version, the limits."""

from __future__ import annotations

import pathlib
import re
import typing

from widgets import patch, protocol

DOC = (pathlib.Path(__file__).parents[2] / "docs" / "protocol.md").read_text()


def section(title: str) -> str:
    return DOC.split(f"\n## {title}", 1)[1].split("\n## ", 1)[0]


def test_error_kinds_are_exactly_those_of_the_errors_table() -> None:
    kinds = re.findall(r"^\|\s*`([a-z_]+)`\s*\|", section("Errors"), re.MULTILINE)
    assert len(kinds) == len(set(kinds))
    assert set(kinds) == set(typing.get_args(protocol.ErrorKind))


def _methods(title: str) -> set[str]:
    headings = re.findall(r"^### (.*)$", section(title), re.MULTILINE)
    return {name for heading in headings for name in re.findall(r"`([a-z_]+)`", heading)} - {"data", "comm_open"}


def test_every_method_of_the_document_has_a_typed_message() -> None:
    kernel = _methods("Kernel → browser, on `widgets.model`") - {"comm_close"} | {"close"}
    browser = _methods("Browser → kernel, on `widgets.model`") - {"comm_close"}
    control = section("Browser ↔ kernel, on `widgets.control`")
    requests = set(re.findall(r'\{"method": "([a-z_]+)"', control))
    assert requests == {"restore", "assets", "restore_reply", "assets_reply"}
    assert set(protocol.KERNEL_MESSAGES) == kernel | {m for m in requests if m.endswith("_reply")}
    assert set(protocol.BROWSER_MESSAGES) == browser | {m for m in requests if not m.endswith("_reply")} | {"hello"}
    for name, message in {**protocol.KERNEL_MESSAGES, **protocol.BROWSER_MESSAGES}.items():
        hints = typing.get_type_hints(message)
        assert {"protocol", "method"} <= set(hints), name
        assert name in typing.get_args(hints["method"]), name


def test_version_and_reference_prefix_are_the_documented_ones() -> None:
    assert DOC.startswith(f"# The wire protocol (version {protocol.PROTOCOL_VERSION})")
    assert f'"protocol": "{protocol.PROTOCOL_VERSION}"' in DOC
    assert f'"{protocol.REFERENCE_PREFIX}<model_id>"' in DOC


def test_limits_are_the_documented_ones() -> None:
    limits = section("Limits")
    for name, value in [
        ("MAX_PATCH_OPS", patch.MAX_PATCH_OPS),
        ("MAX_COPY_NODES", patch.MAX_COPY_NODES),
    ]:
        assert re.search(rf"`{name}`\s*\|\s*{value}\s*\|", limits), name
    assert f"| {protocol.MAX_CLIENTS_PER_MODEL} " in limits
    assert f"1..{protocol.MAX_CLIENT_LENGTH} of" in limits
    assert f"| {protocol.MAX_MESSAGE_TEXT} characters" in limits
    assert protocol.MAX_SEQ == 2**53 - 1 and "2**53 - 1" in limits

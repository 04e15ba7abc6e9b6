"""A class's ES module and stylesheet: inline source or a file, addressed by content hash.

Each source travels once per comm manager (one per kernel), however many models use it.
"""

from __future__ import annotations

import os
import sys
import weakref
from pathlib import Path
from typing import Any

_FILE_SUFFIXES = (".js", ".mjs", ".css")


class Asset:
    """The source of an `_esm` or `_css` attribute; a file is re-read when it changes."""

    __slots__ = ("_cached", "_inline", "_mtime", "path")

    def __init__(self, inline: str | None = None, path: Path | None = None) -> None:
        self._inline = inline
        self.path = path
        self._cached: tuple[str, str] | None = None
        self._mtime = -1.0

    def _load(self) -> tuple[str, str]:
        if self.path is not None:
            mtime = os.stat(self.path).st_mtime
            if self._cached is None or mtime != self._mtime:
                self._mtime = mtime
                self._cached = _entry(self.path.read_text(encoding="utf-8"))
        elif self._cached is None:
            self._cached = _entry(self._inline or "")
        return self._cached

    @property
    def source(self) -> str:
        return self._load()[1]

    @property
    def hash(self) -> str:
        return self._load()[0]


def _entry(text: str) -> tuple[str, str]:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], text


def _looks_like_file(text: str) -> bool:
    return "\n" not in text and len(text) < 1024 and text.strip().lower().endswith(_FILE_SUFFIXES)


def resolve(owner: type, attribute: str, value: object) -> Asset | None:
    """Turn a class's `_esm`/`_css` value into an Asset; a missing file raises here, at class definition."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and not _looks_like_file(value):
        return Asset(inline=value)
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"{owner.__qualname__}.{attribute} must be source text or a path to a file, got {type(value).__name__}"
        )
    path = Path(os.fspath(value)).expanduser()
    candidates = [path] if path.is_absolute() else _relative_candidates(owner, path)
    for candidate in candidates:
        if candidate.is_file():
            return Asset(path=candidate.resolve())
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"{owner.__qualname__}.{attribute} names the file {str(value)!r}, which does not exist (looked at: {tried})"
    )


def _relative_candidates(owner: type, path: Path) -> list[Path]:
    """Relative paths are looked up next to the module defining the class, then in the working directory."""
    module = sys.modules.get(owner.__module__)
    module_file = getattr(module, "__file__", None)
    candidates = [Path(module_file).parent / path] if module_file else []
    candidates.append(Path.cwd() / path)
    return candidates


_sent: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def fields(cls: type, manager: Any, include_all: bool = False) -> tuple[dict[str, str | None], dict[str, str]]:
    """The `esm`/`css` hash fields for a class, and the sources this manager has not sent yet."""
    sent = _sent.setdefault(manager, set())
    hashes: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for name in ("esm", "css"):
        asset: Asset | None = getattr(cls, f"_{name}_asset", None)
        if asset is None:
            hashes[name] = None
            continue
        digest = asset.hash
        hashes[name] = digest
        if include_all or digest not in sent:
            sources[digest] = asset.source
            sent.add(digest)
    return hashes, sources


def lookup(classes: list[type], wanted: list[str]) -> dict[str, str]:
    """Sources for the wanted hashes among the classes' assets."""
    found: dict[str, str] = {}
    for cls in classes:
        for name in ("esm", "css"):
            asset: Asset | None = getattr(cls, f"_{name}_asset", None)
            if asset is not None and asset.hash in wanted:
                found[asset.hash] = asset.source
    return found

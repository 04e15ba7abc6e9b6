"""A page with no network but the Jupyter server, and a local mirror of what real modules fetch.

Requests to the server go through. A request for a mirrored URL is answered from a local file, as
a user's offline mirror would; any other request is refused and recorded, so a test can say
that nothing was fetched from outside.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from playwright.sync_api import Page, Route

from .jupyter import Server

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "widgets-e2e"
CONTENT_TYPES = {".wasm": "application/wasm", ".js": "text/javascript", ".json": "application/json"}


class Offline:
    """Route every request of `page`'s context: the server's pass, mirrored ones are served, the rest refused."""

    def __init__(self, page: Page, server: Server) -> None:
        self.server = server
        self.mirror: dict[str, Path] = {}
        self.served: list[str] = []
        self.refused: list[str] = []
        page.context.route("**/*", self._handle)

    def serve(self, url: str, path: Path) -> None:
        self.mirror[url] = path

    def _handle(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(self.server.base + "/"):
            route.continue_()
        elif url in self.mirror:
            path = self.mirror[url]
            self.served.append(url)
            route.fulfill(
                status=200,
                body=path.read_bytes(),
                headers={"content-type": CONTENT_TYPES.get(path.suffix, "application/octet-stream")},
            )
        else:
            self.refused.append(url)
            route.abort("internetdisconnected")


def npm_package_file(name: str, version: str, member: str) -> Path:
    """A file of an npm package, fetched once with `npm pack` (the npm client and its registry)
    into ~/.cache/widgets-e2e/<name>-<version>/ and kept there for later runs."""
    target = CACHE / f"{name}-{version}"
    if not (target / member).is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
            packed = subprocess.run(
                ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", scratch],
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            ).stdout.split()[-1]
            with tarfile.open(Path(scratch) / packed) as archive:
                archive.extractall(Path(scratch) / "unpacked", filter="data")
            shutil.rmtree(target, ignore_errors=True)
            (Path(scratch) / "unpacked" / "package").rename(target)
    return target / member

"""A JupyterLite site built offline with `jupyter lite build`, and a plain static server for it.

What goes in: Pyodide's core from the npm `pyodide` package (at the version
jupyterlite-pyodide-kernel expects), the pure-Python wheels the Pyodide kernel loads as it starts
(micropip, IPython, jedi and what they need) downloaded from PyPI at the versions Pyodide's lock
names, comm and our own wheel in the site's piplite index, and our labextension. The npm package
carries the core only, so the lock keeps its entries and gets the hashes of the PyPI wheels we ship
(Pyodide checks every file it loads against them). The site is cached under
~/.cache/widgets-e2e/lite-<hash of what went in>, so a rerun with unchanged inputs skips the build.

`python -m tests.e2e.lite DIR [--notebook NB.ipynb]...` builds a site into DIR/site (serve it with
any static server).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .offline import CACHE, npm_package_file

ROOT = Path(__file__).parents[2]
VENV_EXTENSIONS = Path(sys.prefix) / "share" / "jupyter" / "labextensions"
# JupyterLite's build tools live in an environment of their own: the pyodide kernel's labextension,
# installed next to JupyterLab, breaks JupyterLab's pages ("Shared module @jupyterlite/services
# doesn't exist in shared scope"), so the test environment must not hold it. (jupyter-server: for
# the build's contents step.)
TOOLS = {"jupyterlite-core": "0.8.6", "jupyterlite-pyodide-kernel": "0.8.6", "jupyter-server": "2.21.1"}
TOOLS_ENV = CACHE / ("jupyterlite-tools-" + "-".join(TOOLS.values()))
OURS, KERNEL_EXTENSION = "widgets-labextension", "@jupyterlite/pyodide-kernel-extension"
EXTENSIONS = {
    OURS: VENV_EXTENSIONS / OURS,
    KERNEL_EXTENSION: TOOLS_ENV / "share" / "jupyter" / "labextensions" / KERNEL_EXTENSION,
}
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
# The kernel's worker loads micropip by name, then piplite-installs ipykernel, comm, pyodide-kernel,
# jedi and ipython: those the lock names come from the lock (with what they depend on), the shims
# from the kernel's own index, and comm, which the lock does not name, from ours. traitlets is ours too.
FROM_LOCK = ["micropip", "ipython", "jedi", "traitlets"]
FOR_INDEX = ["comm==0.2.3"]
CORE = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide.js"]
MIME = {".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript", ".json": "application/json"}


def tools_env() -> Path:
    """The environment holding JupyterLite's build tools (TOOLS), made once and cached."""
    done = TOOLS_ENV / "tools.json"
    if done.is_file() and json.loads(done.read_text()) == TOOLS:
        return TOOLS_ENV
    shutil.rmtree(TOOLS_ENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(TOOLS_ENV)], check=True, capture_output=True, timeout=300)
    python = str(TOOLS_ENV / "bin" / "python")
    pins = [f"{name}=={version}" for name, version in TOOLS.items()]
    installed = subprocess.run(
        [python, "-m", "pip", "install", "-q", *pins], capture_output=True, text=True, timeout=900
    )
    if installed.returncode != 0:
        raise RuntimeError(f"installing {pins} failed:\n{installed.stdout}\n{installed.stderr}")
    done.write_text(json.dumps(TOOLS))
    return TOOLS_ENV


@functools.cache
def pyodide_version() -> tuple[str, str]:
    """The Pyodide release jupyterlite-pyodide-kernel expects, and its Python (asked of the tools'
    environment when a site is built, so collecting the tests needs none of it)."""
    script = "import jupyterlite_pyodide_kernel.constants as c; print(c.PYODIDE_VERSION, c.PYODIDE_PYTHON_VERSION)"
    python = str(tools_env() / "bin" / "python")
    version, python_version = subprocess.run(
        [python, "-c", script], check=True, capture_output=True, text=True, timeout=120
    ).stdout.split()
    return version, python_version


@dataclass
class Site:
    """A built site: serve `root`; `seconds` is how long its build took (0 when it came from the cache)."""

    root: Path
    seconds: float
    versions: dict[str, str]


def build_site(notebooks: dict[str, dict[str, Any]], target: Path | None = None) -> Site:
    """The site with `notebooks` (name -> notebook JSON) in its files/, from the cache when nothing changed."""
    tools_env()  # first: the kernel's labextension, hashed below, comes from there
    key = _inputs_hash(notebooks)
    final = target or CACHE / f"lite-{key[:16]}"
    done = final / "build.json"
    if target is not None and target.is_dir() and any(target.iterdir()) and not done.is_file():
        raise RuntimeError(f"{target} holds files that are not a site built here: give an empty or new directory")
    if done.is_file():
        info = json.loads(done.read_text())
        if info["key"] == key:
            return Site(final / "site", 0.0, info["versions"])
    started = time.monotonic()
    scratch = final.with_name(final.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    lite_dir = scratch / "lite"
    versions = _prepare(lite_dir, notebooks)
    _jupyter_lite_build(lite_dir, scratch / "site")
    _check_site(scratch / "site")
    shutil.rmtree(lite_dir)  # inputs and the build's own cache: the site is all that is served
    seconds = time.monotonic() - started
    (scratch / "build.json").write_text(json.dumps({"key": key, "seconds": seconds, "versions": versions}))
    shutil.rmtree(final, ignore_errors=True)
    scratch.rename(final)
    if target is None:  # one cached site is enough: drop those built from older inputs
        for old in CACHE.glob("lite-*"):
            if old != final and old.is_dir() and not old.name.endswith(".partial"):
                shutil.rmtree(old, ignore_errors=True)
    return Site(final / "site", seconds, versions)


def _inputs_hash(notebooks: dict[str, dict[str, Any]]) -> str:
    """Our sources (the wheel), the two labextensions as installed, the notebooks, the tools' versions."""
    digest = hashlib.sha256()
    files = [ROOT / "pyproject.toml", ROOT / "README.md", Path(__file__), *_files(ROOT / "widgets")]
    for source in EXTENSIONS.values():
        files += _files(source.resolve())
    for path in files:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps([notebooks, _tool_versions(), FROM_LOCK, FOR_INDEX], sort_keys=True).encode())
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _tool_versions() -> dict[str, str]:
    return {**TOOLS, "pyodide": pyodide_version()[0]}


def _prepare(lite_dir: Path, notebooks: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Lay out the build's inputs in `lite_dir`; return the versions that went in."""
    (lite_dir / "files").mkdir(parents=True)
    for name, notebook in notebooks.items():
        (lite_dir / "files" / name).write_text(json.dumps(notebook))
    wheels = lite_dir / "pypi"  # the piplite index jupyter lite build makes (pypi/all.json)
    wheels.mkdir()
    ours = _build_our_wheel(wheels)
    version = pyodide_version()[0]
    pyodide_core = npm_package_file("pyodide", version, "pyodide-lock.json").parent
    lock = json.loads((pyodide_core / "pyodide-lock.json").read_text())
    from_lock = _lock_closure(lock, FROM_LOCK)
    downloaded = _download_wheels([f"{name}=={version}" for name, version in from_lock.items()] + FOR_INDEX)
    for spec in FOR_INDEX:
        shutil.copy(downloaded[_canonical(spec.split("==")[0])], wheels)
    tarball = lite_dir / f"pyodide-{version}-offline.tar.bz2"
    _pyodide_tarball(tarball, pyodide_core, lock, {name: downloaded[name] for name in from_lock})
    extensions = lite_dir / "labextensions"  # exactly ours and the kernel's, whatever else the venv holds
    for name, source in EXTENSIONS.items():
        if not (source / "package.json").is_file():
            raise RuntimeError(f"{source} is missing: `pip install -e .` first (make build)")
        (extensions / name).parent.mkdir(parents=True, exist_ok=True)
        (extensions / name).symlink_to(source.resolve(), target_is_directory=True)
    config = {
        "LiteBuildConfig": {"ignore_sys_prefix": ["federated_extensions"], "apps": ["lab"], "no_sourcemaps": True},
        "FederatedExtensionAddon": {"extra_labextensions_path": [str(extensions)]},
    }
    (lite_dir / "jupyter_lite_config.json").write_text(json.dumps(config, indent=1))
    settings = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "exposeAppInBrowser": "true",  # window.jupyterapp, for the test's waits
            "litePluginSettings": {KERNEL_PLUGIN: {"disablePyPIFallback": True}},
        },
    }
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(settings, indent=1))
    versions = {**_tool_versions(), "widgets": _wheel_version(ours)}
    versions.update(from_lock)
    versions.update({_canonical(spec.split("==")[0]): spec.split("==")[1] for spec in FOR_INDEX})
    return versions


def _build_our_wheel(dest: Path) -> Path:
    """Our wheel from this checkout, with the labextension as last built (`npm run build`)."""
    env = {**os.environ, "SKIP_JUPYTER_BUILDER": "1"}
    _pip(["wheel", "--no-deps", "--wheel-dir", str(dest), str(ROOT)], env)
    (wheel,) = dest.glob("widgets-*.whl")
    return wheel


def _lock_closure(lock: dict[str, Any], roots: list[str]) -> dict[str, str]:
    """`roots` and everything they depend on in Pyodide's lock (name -> version), each a pure-Python
    wheel that PyPI has too."""
    packages = {_canonical(name): entry for name, entry in lock["packages"].items()}
    found: dict[str, str] = {}
    todo = [_canonical(name) for name in roots]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        entry = packages.get(name)
        if entry is None:
            raise RuntimeError(f"Pyodide {pyodide_version()[0]}'s lock does not name {name}")
        if entry["package_type"] != "package" or not entry["file_name"].endswith("-none-any.whl"):
            raise RuntimeError(f"{name} is not a pure-Python wheel in Pyodide's lock: PyPI cannot stand in for it")
        found[name] = entry["version"]
        todo.extend(_canonical(dep) for dep in entry["depends"])
    return dict(sorted(found.items()))


def _download_wheels(specs: list[str]) -> dict[str, Path]:
    """Pure-Python wheels from PyPI (pip's own client), for Pyodide's Python, cached; by canonical name."""
    version, python_version = pyodide_version()
    cache = CACHE / f"pyodide-{version}-wheels"
    cache.mkdir(parents=True, exist_ok=True)
    wanted = {_canonical(spec.split("==")[0]): spec.split("==")[1] for spec in specs}
    have = {(_canonical(w.name.split("-")[0]), w.name.split("-")[1]): w for w in cache.glob("*.whl")}
    missing = [f"{name}=={version}" for name, version in wanted.items() if (name, version) not in have]
    if missing:
        python = f"--python-version={python_version}"
        _pip(["download", "--no-deps", "--only-binary=:all:", python, "--dest", str(cache), *missing])
        have = {(_canonical(w.name.split("-")[0]), w.name.split("-")[1]): w for w in cache.glob("*.whl")}
    return {name: have[(name, version)] for name, version in wanted.items()}


def _pip(arguments: list[str], env: dict[str, str] | None = None) -> None:
    """pip, through its own client and index; its output only when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", *arguments], env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip {' '.join(arguments)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def _pyodide_tarball(tarball: Path, core: Path, lock: dict[str, Any], wheels: dict[str, Path]) -> None:
    """A Pyodide distribution as `jupyter lite build --pyodide` takes it (a tar.bz2 with one pyodide/
    folder): the npm package's core, the PyPI wheels, and the lock pointing at them."""
    lock = json.loads(json.dumps(lock))
    by_name = {_canonical(name): name for name in lock["packages"]}
    for name, wheel in wheels.items():
        entry = lock["packages"][by_name[name]]
        entry["file_name"] = wheel.name
        entry["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    with tarfile.open(tarball, "w:bz2", compresslevel=1) as archive:
        for name in CORE:
            archive.add(core / name, f"pyodide/{name}")
        for wheel in wheels.values():
            archive.add(wheel, f"pyodide/{wheel.name}")
        data = json.dumps(lock).encode()
        member = tarfile.TarInfo("pyodide/pyodide-lock.json")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))


def _jupyter_lite_build(lite_dir: Path, output: Path) -> None:
    jupyter = str(tools_env() / "bin" / "jupyter")
    tarball = next(lite_dir.glob("pyodide-*-offline.tar.bz2"))
    command = [
        jupyter, "lite", "build", f"--lite-dir={lite_dir}", f"--output-dir={output}",
        "--contents=files", f"--pyodide={tarball}",
    ]  # fmt: skip
    log = lite_dir.parent / "build.log"
    with log.open("wb") as out:
        done = subprocess.run(command, cwd=lite_dir, stdout=out, stderr=subprocess.STDOUT, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"jupyter lite build failed ({done.returncode}):\n{log.read_text()[-5000:]}")


def _check_site(site: Path) -> None:
    """What the test relies on is in the site, and its config points at no CDN."""
    config = json.loads((site / "jupyter-lite.json").read_text())
    kernel = config["jupyter-config-data"]["litePluginSettings"][KERNEL_PLUGIN]
    problems = []
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.mjs":
        problems.append(f"pyodideUrl is {kernel.get('pyodideUrl')!r}")
    index = json.loads((site / "pypi" / "all.json").read_text())
    problems += [f"{name} is not in pypi/all.json" for name in ["widgets", "comm"] if name not in index]
    problems += [f"extension {name} is missing" for name in EXTENSIONS if not (site / "extensions" / name).is_dir()]
    if "http" in json.dumps(config):
        problems.append(f"jupyter-lite.json names a URL: {config}")
    if problems:
        raise RuntimeError("the JupyterLite site is not what the test needs: " + "; ".join(problems))


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wheel_version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


# --- serving -----------------------------------------------------------------------------------


@dataclass
class StaticServer:
    """http.server on 127.0.0.1 serving a site; `missing` records every path it answered with 404."""

    base: str
    missing: list[str] = field(default_factory=list)


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME}
    missing: list[str]

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code == 404:
            self.missing.append(self.path)
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: 404s are recorded above
        pass


@contextmanager
def serve(root: Path) -> Iterator[StaticServer]:
    missing: list[str] = []
    handler = type("Handler", (_Handler,), {"missing": missing})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, name="lite-static-server", daemon=True)
    thread.start()
    try:
        yield StaticServer(f"http://127.0.0.1:{server.server_address[1]}", missing)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description="Build an offline JupyterLite site with widgets.")
    parser.add_argument("directory", type=Path, help="where the site goes (its site/ folder is what to serve)")
    parser.add_argument("--notebook", type=Path, action="append", default=[], help="a notebook for files/")
    args = parser.parse_args()
    notebooks = {path.name: json.loads(path.read_text()) for path in args.notebook}
    site = build_site(notebooks, args.directory.resolve())
    print(f"built {site.root} in {site.seconds:.0f} s: {json.dumps(site.versions)}")


if __name__ == "__main__":
    main()

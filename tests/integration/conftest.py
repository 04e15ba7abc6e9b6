"""Fixtures shared by the real-kernel tests: one ipykernel per test module, and (for modules that
define `SETUP`, the code their kernel runs first) a frontend connected to it over ZMQ."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from .kernel_frontend import Kernel, KernelFrontend, start_kernel


@pytest.fixture(scope="module")
def kernel(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    started = start_kernel(tmp_path_factory.mktemp(f"{request.module.__name__.rsplit('.', 1)[-1]}-kernel"))
    try:
        yield started
    finally:
        started.shutdown()


@pytest.fixture(scope="module")
def frontend(request: pytest.FixtureRequest, kernel: Kernel) -> Iterator[KernelFrontend]:
    """A frontend on the module's kernel, after the module's `SETUP` ran there (it prints sys.prefix)."""
    client = KernelFrontend.connect(kernel.connection_file)
    try:
        assert client.execute(request.module.SETUP).strip() == sys.prefix, "the kernel does not run in this venv"
        yield client
    finally:
        client.disconnect()

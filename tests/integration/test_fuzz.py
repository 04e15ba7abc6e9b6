"""Fuzzing browser→kernel messages against a real ipykernel (issue 8), with an oracle of its own.

`WIDGETS_FUZZ_SEED` sets the seed (a fixed one by default, so a CI run is reproducible;
`WIDGETS_FUZZ_SEED=random` draws a fresh one, printed like every seed) and
`WIDGETS_FUZZ_CASES` the number of cases (10,000 by default). After every case: the kernel
answered every message, refused ones with the predicted kind, stored what the oracle predicts,
printed nothing, and the browser's view equals the kernel's traits. The slowest refusal's kernel
time is printed (goal: under 100 ms), not asserted.
"""

from __future__ import annotations

import os
import random

from tests.fuzz.generator import envelope
from tests.fuzz.harness import FuzzRun

from .kernel_frontend import Kernel

_SEED = os.environ.get("WIDGETS_FUZZ_SEED") or "20261201"
SEED = random.SystemRandom().randrange(2**32) if _SEED == "random" else int(_SEED)
CASES = int(os.environ.get("WIDGETS_FUZZ_CASES") or 10_000)


def test_fuzz_browser_to_kernel(kernel: Kernel) -> None:
    run = FuzzRun(kernel, SEED)
    try:
        report = run.run(CASES)
    finally:
        run.frontend.disconnect()
    print("\n" + report.summary())
    assert not report.failures, report.describe()
    assert report.cases == CASES
    assert kernel.manager.is_alive()


def test_client_records_are_bounded(kernel: Kernel) -> None:
    """At most 256 clients per model are remembered (oldest evicted): a `state` acks only the recent ones."""
    run = FuzzRun(kernel, SEED + 1)
    frontend = run.frontend
    try:
        model_id = frontend.probe({"op": "new", "names": ["bounded"]})["ids"]["bounded"]
        frontend.wait_for(lambda: model_id in frontend.views)
        clients = [f"bounded-{n:03d}" for n in range(300)]
        sent = [
            frontend.send_comm(model_id, envelope("update", client=c, seq=1, state={"i": n}), [])
            for n, c in enumerate(clients)
        ]
        frontend.wait_for(lambda: all(m in frontend.idle for m in sent), timeout=60)
        view = frontend.views[model_id]
        assert view.errors == []
        acks = {}
        for client in (clients[0], clients[-1]):
            msg_id = frontend.send_comm(model_id, envelope("request_state", client=client), [])
            frontend.wait_for(lambda m=msg_id: m in frontend.idle)  # type: ignore[misc]
            states = [r for r in frontend.by_parent[msg_id] if r.data.get("method") == "state"]
            assert len(states) == 1, frontend.by_parent[msg_id]
            acks[client] = states[0].data.get("ack")
        assert acks[clients[-1]] == {"client": clients[-1], "seq": 1}
        assert acks[clients[0]] is None, f"the first of 300 clients is still remembered: {acks[clients[0]]}"
        assert view.confirmed["i"] == 299
    finally:
        frontend.disconnect()

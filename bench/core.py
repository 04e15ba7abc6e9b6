"""Python-side benchmarks: this framework against anywidget and ipywidgets, in one run.

Prints a table (and writes bench/results/core.json). Nothing here asserts a time.
Each measurement runs in a fresh interpreter so imports and allocations do not leak between
frameworks. Run: `make bench` (or `.venv/bin/python bench/core.py`).
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import subprocess
import sys
import textwrap

FRAMEWORKS = ["widgets", "anywidget", "ipywidgets"]
RESULTS = pathlib.Path(__file__).parent / "results"

# A comm that records what it would put on the wire, shared by every framework.
RECORDER = textwrap.dedent(
    """
    import json, comm
    from comm.base_comm import BaseComm, CommManager
    sent = []
    class Recorder(BaseComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            text = json.dumps(data or {}, default=str)
            sent.append((msg_type, len(text) + sum(memoryview(b).nbytes for b in buffers or [])))
    manager = CommManager()
    comm.create_comm = lambda **kw: Recorder(**kw)
    comm.get_comm_manager = lambda: manager
    """
)

MODELS = {
    "widgets": textwrap.dedent(
        """
        import widgets
        from traitlets import Int, List
        class Counter(widgets.Model):
            _esm = "export default { render() {} }"
            value = Int(0).tag(sync=True)
            items = List().tag(sync=True)
        def flush():
            from widgets.flusher import FLUSHER
            FLUSHER.flush_all()
        def change_one(model, i):
            with model.mutate("items") as items:
                items[1000 + i] = -i
        """
    ),
    "anywidget": textwrap.dedent(
        """
        import anywidget
        from traitlets import Int, List
        class Counter(anywidget.AnyWidget):
            _esm = "export default { render() {} }"
            value = Int(0).tag(sync=True)
            items = List().tag(sync=True)
        def flush(): pass
        def change_one(model, i):
            items = list(model.items); items[1000 + i] = -i; model.items = items
        """
    ),
    "ipywidgets": textwrap.dedent(
        """
        import ipywidgets
        from traitlets import Int, List
        class Counter(ipywidgets.DOMWidget):
            value = Int(0).tag(sync=True)
            items = List().tag(sync=True)
        def flush(): pass
        def change_one(model, i):
            items = list(model.items); items[1000 + i] = -i; model.items = items
        """
    ),
}


def run(code: str) -> object:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_ms(package: str, repeats: int = 7) -> float:
    """Median import time with bytecode cached, as after `pip install` (which compiles it): a first run
    writes the .pyc files even where PYTHONDONTWRITEBYTECODE is set, so no run times the compiler."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-X", "importtime", "-c", f"import {package}"]
    subprocess.run(command, capture_output=True, check=True, env=env)
    times = []
    for _ in range(repeats):
        err = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stderr
        line = [x for x in err.splitlines() if x.rstrip().endswith(f"| {package}")][-1]
        times.append(int(line.split("|")[1]) / 1000)
    return statistics.median(times)


def memory_per_model(framework: str) -> float:
    code = MODELS[framework] + textwrap.dedent(
        """
        import gc, json, tracemalloc
        warm = [Counter() for _ in range(20)]
        gc.collect(); tracemalloc.start()
        before = tracemalloc.take_snapshot()
        models = [Counter() for _ in range(1000)]
        gc.collect()
        after = tracemalloc.take_snapshot()
        print(json.dumps(sum(s.size_diff for s in after.compare_to(before, "filename")) / 1000))
        """
    )
    return float(run(code))  # type: ignore[arg-type]


def wire(framework: str) -> dict[str, float]:
    code = (
        RECORDER
        + MODELS[framework]
        + textwrap.dedent(
            """
        import json, time
        m = Counter(items=list(range(100_000)))
        flush(); sent.clear()
        sizes = []
        for i in range(20):
            time.sleep(0.02)
            change_one(m, i + 1); flush()
            sizes.append(sum(s for _, s in sent)); sent.clear()
        m2 = Counter()
        flush(); sent.clear()
        for i in range(10_000):
            m2.value = i
        flush()
        print(json.dumps({"bytes_per_update": sum(sizes) / len(sizes), "messages_for_10k_sets": len(sent)}))
        """
        )
    )
    return run(code)  # type: ignore[return-value]


def main() -> None:
    rows: dict[str, dict[str, float]] = {}
    for framework in FRAMEWORKS:
        rows[framework] = {
            "import ms": import_ms(framework),
            "bytes per model": memory_per_model(framework),
            **{k.replace("_", " "): v for k, v in wire(framework).items()},
        }
    metrics = list(rows["widgets"])
    header = (
        f"{'metric':<24}" + "".join(f"{f:>14}" for f in FRAMEWORKS) + f"{'anywidget/ours':>16}{'ipywidgets/ours':>17}"
    )
    print(header)
    print("-" * len(header))
    for metric in metrics:
        ours = rows["widgets"][metric]
        cells = "".join(f"{rows[f][metric]:>14,.1f}" for f in FRAMEWORKS)
        ratios = "".join(f"{rows[f][metric] / ours:>16,.1f}x" if ours else f"{'-':>17}" for f in FRAMEWORKS[1:])
        print(f"{metric:<24}{cells}{ratios}")
    print("(lower is better for every metric; a ratio above 1 means ours is that many times smaller)")
    controls = import_ms("widgets.controls")
    print(f"import widgets.controls (the first use of a control loads the library): {controls:.1f} ms")
    rows["widgets"]["import controls ms"] = controls
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "core.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

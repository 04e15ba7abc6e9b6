"""Two browser pages and a kernel loop write one trait at once; after every round all three agree.

The pages are two browser contexts opening the same notebook (JupyterLab: two workspaces), so
they share one kernel session. Each round a kernel thread sets the trait every few milliseconds
while both pages `set` + `save_changes` it on their own timers; once the writers stop and neither
page has a write in flight, the kernel's value, both pages' `model.get()` and both views' text
must be the same. Every writer writes values of its own, so a round also says who won.
"""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.sync_api import Browser, Page, expect

from .jupyter import KERNEL, Notebook, Server, open_notebook, write_notebook

ROUNDS = 20
ROUND_MS = 500
AGREE_TIMEOUT_MS = 5_000
# Each writer writes for ROUND_MS and at least this often (a loaded machine throttles timers).
MIN_WRITES = 12
# Who writes what: value = round * 10_000 + writer * 1_000 + i.
KERNEL_WRITER, PAGE_A, PAGE_B = 1, 2, 3

SETUP = """
import json, threading, time
import widgets
from traitlets import Int

class Shared(widgets.Model):
    _esm = '''export default { render({ model, el }) {
      const show = () => { el.textContent = String(model.get("value")); };
      el.className = "converge-value"; model.on("change:value", show); show(); } };'''
    value = Int(0).tag(sync=True)

MIN_WRITES = {min_writes}
shared = Shared()
seen = []                                          # every value the kernel's observer saw
shared.observe(lambda change: seen.append(change["new"]), "value")
loop = None

def start_loop(round_, ms, period=0.007):
    \"\"\"Set `value` from a background thread every `period` s for `ms` ms.\"\"\"
    global loop
    def run():
        i, end = 0, time.monotonic() + ms / 1000
        while time.monotonic() < end or i < MIN_WRITES:
            shared.value = round_ * 10_000 + 1_000 + i
            i += 1
            time.sleep(period)
        loop.writes = i
    loop = threading.Thread(target=run, daemon=True)
    loop.start()

def finish_loop():
    loop.join()
    time.sleep(0.1)                                # past the 16 ms rate-limit window: the last value went
    print(json.dumps({"value": shared.value, "writes": loop.writes}))

shared
"""

# Write on a timer for `ms` ms; resolves with the number of writes. Runs beside the other page's.
WRITE_JS = """({ modelId, round, writer, ms, period, minWrites }) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  window.__round = (async () => {
    const model = await window.widgetsRuntime.manager(kernel.id).get_model(modelId);
    let i = 0;
    const end = performance.now() + ms;
    await new Promise((resolve) => {
      const tick = () => {
        if (performance.now() >= end && i >= minWrites) return resolve();
        model.set("value", round * 10000 + writer * 1000 + i++);
        model.save_changes();
        setTimeout(tick, period);
      };
      tick();
    });
    return i;
  })();
}"""

# What this page shows once its writes are acknowledged: the model's value and the view's text.
SHOWN_JS = """async (modelId) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const model = await window.widgetsRuntime.manager(kernel.id).get_model(modelId);
  const view = document.querySelector(".converge-value");
  return { value: model.get("value"), view: view ? view.textContent : null, errors: model.errors.length };
}"""


def open_second_page(browser: Browser, server: Server, name: str) -> Notebook:
    """The same notebook in another browser context; it attaches to the running session's kernel."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    notebook = open_notebook(page, server, name)
    notebook.wait_for_kernel()
    return notebook


def kernel_id(page: Page) -> str:
    return str(page.evaluate(f"() => {KERNEL}.id"))


def shown(notebook: Notebook, model_id: str) -> dict[str, Any]:
    result: dict[str, Any] = notebook.page.evaluate(SHOWN_JS, model_id)
    return result


def play_round(a: Notebook, b: Notebook, model_id: str, round_: int) -> dict[str, Any]:
    """One round: the three writers at once, then wait until all agree (or the timeout)."""
    # Every other round the kernel's loop outlasts the pages', so the last write is sometimes the kernel's.
    a.execute(f"start_loop({round_}, {ROUND_MS + (200 if round_ % 2 == 0 else 0)})")
    for notebook, writer, period in ((a, PAGE_A, 9), (b, PAGE_B, 11)):
        args = {"modelId": model_id, "round": round_, "writer": writer, "ms": ROUND_MS, "period": period}
        notebook.page.evaluate(WRITE_JS, {**args, "minWrites": MIN_WRITES})
    writes = {"a": a.page.evaluate("window.__round"), "b": b.page.evaluate("window.__round")}
    for notebook in (a, b):  # no write of either page still waiting for its ack
        notebook.page.wait_for_function("() => window.widgetsRuntime.pendingWrites() === 0")
    finished = json.loads(a.execute("finish_loop()"))
    writes["kernel"] = finished["writes"]
    expected = finished["value"]
    started = time.monotonic()
    deadline = started + AGREE_TIMEOUT_MS / 1000
    while True:
        pages = {"a": shown(a, model_id), "b": shown(b, model_id)}
        kernel_now = json.loads(a.execute("print(json.dumps(shared.value))"))
        agree = kernel_now == expected and all(
            p["value"] == expected and p["view"] == str(expected) for p in pages.values()
        )
        if agree or time.monotonic() > deadline:
            break
        a.page.wait_for_timeout(50)
    winner = {KERNEL_WRITER: "kernel", PAGE_A: "page a", PAGE_B: "page b"}.get(expected // 1000 % 10, "?")
    return {
        "round": round_, "agree": agree, "kernel": kernel_now, "a": pages["a"], "b": pages["b"], "writes": writes,
        "winner": winner, "agree_ms": round((time.monotonic() - started) * 1000),
    }  # fmt: skip


def test_two_pages_and_a_kernel_loop_agree_after_every_round(browser: Browser, page: Page, server: Server) -> None:
    name = write_notebook(server.root, f"converge_{server.app}.ipynb", [SETUP.replace("{min_writes}", str(MIN_WRITES))])
    a = open_notebook(page, server, name)
    a.run_all()
    expect(page.locator(".converge-value")).to_have_text("0")
    a.save()  # the second page shows the saved output, and its view restores the live model
    model_id = json.loads(a.execute("print(json.dumps(shared.model_id))"))
    b = open_second_page(browser, server, name)
    try:
        assert kernel_id(b.page) == kernel_id(a.page)  # one kernel, two pages
        expect(b.page.locator(".converge-value")).to_have_text("0")

        rounds = [play_round(a, b, model_id, r) for r in range(1, ROUNDS + 1)]
        for r in rounds:
            print(
                f"round {r['round']:2}: agree={r['agree']} value={r['kernel']} (last write by {r['winner']}) "
                f"a={r['a']['value']} b={r['b']['value']} writes={r['writes']} agreed after {r['agree_ms']} ms"
            )
        seen = json.loads(a.execute("print(json.dumps(len(seen)))"))
        print(f"{server.app}: kernel observer saw {seen} changes over {ROUNDS} rounds")
        disagree = [r for r in rounds if not r["agree"]]
        assert disagree == [], disagree
        assert sum(1 for r in rounds if r["agree"]) == ROUNDS
        assert {r["winner"] for r in rounds} >= {"kernel"} and {r["winner"] for r in rounds} - {"kernel"}
        # Every writer really wrote during every round (the rounds raced, they did not take turns).
        assert all(min(r["writes"].values()) >= MIN_WRITES for r in rounds), [r["writes"] for r in rounds]
        assert a.page_errors() == [] and b.page_errors() == []
    finally:
        b.page.context.close()

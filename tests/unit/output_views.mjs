// output.js (widgets/controls/js/) in happy-dom against a stand-in model and host; run by
// tests/unit/test_output.py: node output_views.mjs <happy-dom index.js> <js dir>/
const [happyDom, JS] = process.argv.slice(2);
const { Window } = await import(happyDom);
const win = new Window();
globalThis.document = win.document;
function fakeModel(state) {
  const listeners = {};
  return {
    state,
    get: (k) => state[k],
    set(k, v) { state[k] = v; for (const f of listeners[`change:${k}`] || []) f(this, v); },
    save_changes() {},
    on(e, f) { (listeners[e] ||= []).push(f); },
    off(e, f) { listeners[e] = (listeners[e] || []).filter((g) => g !== f); },
    send() {},
    count() { return Object.values(listeners).reduce((a, l) => a + l.length, 0); },
  };
}
function check(cond, msg) { if (!cond) { console.log("FAIL", msg); process.exitCode = 1; } else console.log("ok", msg); }
const tick = () => new Promise((r) => setTimeout(r, 0));
const mod = (await import(JS + "output.js")).default;
const rendered = [];
const host = {
  async getWidget(asked) {
    const ref = asked.replace(/^anywidget:/, "IPY_MODEL_"); // the views ask in anywidget 0.11's form
    if (ref === "IPY_MODEL_missing") throw new Error("no such model");
    return {
      model: {},
      async render({ el, signal }) {
        const child = document.createElement("span");
        child.className = "child"; child.textContent = ref; el.append(child);
        const entry = { ref, aborted: false };
        rendered.push(entry);
        signal.addEventListener("abort", () => { entry.aborted = true; child.remove(); });
        return () => {};
      },
    };
  },
};
const stream = (name, text) => ({ output_type: "stream", name, text });
const model = fakeModel({ _kind: "output-area", description: "", tooltip: null, layout: { border: "1px solid red" }, style: {}, outputs: [] });
const el = document.createElement("div"); document.body.append(el);
const cleanup = mod.render({ model, el, host });
const root = el.querySelector(".widgets-output-area");
check(root && root.getAttribute("role") === "log" && root.getAttribute("aria-label") === "output", "a labelled log region");
check(root.style.getPropertyValue("border") !== "", "layout applied");
model.set("outputs", [stream("stdout", "hello\n")]);
const first = root.querySelector("pre");
check(first && first.textContent === "hello\n" && first.dataset.stream === "stdout", "stream shown");
model.set("outputs", [stream("stdout", "hello\nworld\n")]);
check(root.querySelector("pre") === first && first.textContent === "hello\nworld\n", "a growing stream keeps its element");
model.set("outputs", [stream("stdout", "hello\nworld\n"), stream("stderr", "\x1b[31mred\x1b[0m plain\x1b[2K")]);
const err = root.querySelectorAll("pre")[1];
check(err.dataset.stream === "stderr" && err.textContent === "red plain", "ANSI escapes are not shown as text");
check(err.querySelector("span.widgets-ansi-red")?.textContent === "red", "SGR colour as a class");
model.set("outputs", [
  { output_type: "error", ename: "ValueError", evalue: "bad", traceback: ["\x1b[1;38;5;196mTraceback\x1b[0m", "ValueError: bad"] },
]);
const tb = root.querySelector(".widgets-output-error");
check(root.children.length === 1 && tb.textContent === "Traceback\nValueError: bad", "error traceback, ANSI stripped");
const colored = tb.querySelector("span");
check(colored.classList.contains("widgets-ansi-bold") && colored.style.color !== "", "256 colours and bold");
model.set("outputs", [{ output_type: "error", ename: "KeyError", evalue: "'k'", traceback: [] }]);
check(root.textContent === "KeyError: 'k'", "error without traceback");
const png = "iVBORw0KGgo=";
model.set("outputs", [
  { output_type: "display_data", data: { "text/plain": "<HTML>", "text/html": "<b class='h'>bold</b>" }, metadata: {} },
  { output_type: "display_data", data: { "text/plain": "img", "image/png": png }, metadata: { "image/png": { width: 20 } } },
  { output_type: "display_data", data: { "text/plain": "svg", "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'/>" }, metadata: {} },
  { output_type: "execute_result", data: { "text/plain": "42" }, metadata: {}, execution_count: 1 },
  { output_type: "display_data", data: { "text/plain": "md", "text/markdown": "# Title" }, metadata: {} },
  { output_type: "display_data", data: { "text/plain": "{}", "application/json": { a: [1, 2] } }, metadata: {} },
]);
const items = root.querySelectorAll(".widgets-output-display");
check(items.length === 6 && items[0].querySelector("b.h")?.textContent === "bold", "text/html rendered");
const img = items[1].querySelector("img");
check(img.getAttribute("src") === `data:image/png;base64,${png}` && img.getAttribute("width") === "20" && img.alt === "img", "png with its width");
check(items[2].querySelector("img").getAttribute("src").startsWith("data:image/svg+xml"), "svg as an image");
check(items[3].textContent === "42", "text/plain of an execute_result");
check(items[4].textContent === "# Title", "markdown as text");
check(JSON.parse(items[5].textContent).a[1] === 2, "json pretty-printed");
model.set("outputs", [
  { output_type: "display_data", data: { "text/plain": "IntSlider()", "application/vnd.widgets.model+json": { model_id: "abc", protocol: "2.0" } }, metadata: {}, widget: "IPY_MODEL_abc" },
  { output_type: "display_data", data: { "text/plain": "Other()", "application/vnd.jupyter.widget-view+json": { model_id: "def", version_major: 2, version_minor: 1 } }, metadata: {} },
  { output_type: "display_data", data: { "text/plain": "Gone()", "application/vnd.widgets.model+json": { model_id: "missing" } }, metadata: {}, widget: "IPY_MODEL_missing" },
]);
await tick(); await tick();
const kids = [...root.querySelectorAll(".child")].map((c) => c.textContent);
check(JSON.stringify(kids) === JSON.stringify(["IPY_MODEL_abc", "IPY_MODEL_def"]), "nested widgets rendered by reference " + JSON.stringify(kids));
check(root.querySelectorAll(".widgets-output-child")[2].textContent === "Gone()", "a widget that cannot be shown falls back to its text");
const slider = rendered[0];
model.set("outputs", [model.get("outputs")[0], stream("stdout", "more\n")]);
await tick();
check(!slider.aborted && rendered.length === 2 && root.querySelectorAll(".child").length === 1, "an unchanged widget output keeps its view; removed ones are disposed");
check(rendered[1].aborted, "the removed widget view was aborted");
model.set("outputs", []);
check(root.children.length === 0 && slider.aborted && root.dataset.empty === "true", "cleared");
model.set("description", "Log"); check(root.getAttribute("aria-label") === "Log", "description labels the region");
// without host.getWidget (anywidget's older runtime): the widget's text
{
  const m = fakeModel({ _kind: "output-area", description: "", tooltip: null, layout: {}, style: {}, outputs: [
    { output_type: "display_data", data: { "text/plain": "IntSlider()", "application/vnd.widgets.model+json": { model_id: "abc" } }, metadata: {} },
  ] });
  const e = document.createElement("div");
  const done = mod.render({ model: m, el: e });
  check(e.textContent === "IntSlider()", "no host: the text/plain of a widget");
  done();
}
cleanup();
check(el.children.length === 0 && model.count() === 0, "cleanup removes the view and its listeners");

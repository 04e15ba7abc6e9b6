// The layout views (widgets/controls/js/box.js, tabs.js) in happy-dom against a stand-in model and host;
// run by tests/unit/test_boxes.py: node boxes_views.mjs <happy-dom index.js> <js dir>/
const [happyDom, JS] = process.argv.slice(2);
const { Window } = await import(happyDom);
const win = new Window();
globalThis.document = win.document;

function fakeModel(state) {
  const listeners = {};
  let saves = 0;
  return {
    state, get saves() { return saves; },
    get: (k) => state[k],
    set(k, v) { state[k] = v; for (const f of listeners[`change:${k}`] || []) f(this, v); },
    save_changes() { saves++; },
    on(e, f) { (listeners[e] ||= []).push(f); },
    off(e, f) { listeners[e] = (listeners[e] || []).filter((g) => g !== f); },
    send() {},
    count() { return Object.values(listeners).reduce((a, l) => a + l.length, 0); },
  };
}

/** A host whose children render a `.kid` element; `hold()` makes getWidget wait until `release()`. */
function fakeHost() {
  const renders = {}; const disposed = {}; let held = null; const waiting = [];
  const host = {
    renders, disposed,
    hold() { held = true; },
    release() { held = false; for (const go of waiting.splice(0)) go(); },
    asked: [],
    getWidget(asked) {
      host.asked.push(asked);
      const ref = asked.replace(/^anywidget:/, "IPY_MODEL_"); // the views ask in anywidget 0.11's form
      const resolve = () => {
        if (ref.includes("bad")) return Promise.reject(new Error(`no model ${ref}`));
        return Promise.resolve({
          model: {}, exports: undefined,
          async render({ el, signal }) {
            renders[ref] = (renders[ref] || 0) + 1;
            if (signal.aborted) return () => {};
            const kid = document.createElement("div");
            kid.className = "widgets-control kid";
            kid.textContent = ref;
            el.replaceChildren(kid);
            signal.addEventListener("abort", () => { disposed[ref] = (disposed[ref] || 0) + 1; });
            return () => {};
          },
        });
      };
      if (!held) return resolve();
      return new Promise((ok) => waiting.push(ok)).then(resolve);
    },
  };
  return host;
}

const settle = () => new Promise((ok) => setTimeout(ok, 0));
function check(cond, msg) { if (!cond) { console.log("FAIL", msg); process.exitCode = 1; } else console.log("ok", msg); }
const common = { description: "", disabled: false, tooltip: null, layout: {}, style: {}, box_style: "" };
const refs = (...names) => names.map((n) => `IPY_MODEL_${n}`);
async function render(file, state) {
  const mod = (await import(JS + file + ".js")).default;
  const model = fakeModel({ ...common, ...state });
  const host = fakeHost();
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = mod.render({ model, el, host, signal: new AbortController().signal });
  await settle();
  return { model, host, el, root: el.querySelector(".widgets-control"), cleanup };
}
const shown = (root) => [...root.querySelectorAll(".kid")].map((k) => k.textContent.slice("IPY_MODEL_".length)).join(",");

// box: children rendered in order, kept ones keep their node, removed ones disposed
{
  const { model, host, el, root, cleanup } = await render("box", { _kind: "vbox", children: refs("a", "b", "c"), layout: { width: "50%" }, box_style: "info" });
  check(root.className.includes("widgets-vbox") && root.classList.contains("widgets-container"), "box classes");
  check(root.style.getPropertyValue("width") === "50%" && root.dataset.boxStyle === "info", "layout and box_style");
  check(shown(root) === "a,b,c" && root.children.length === 3, "children in order " + shown(root));
  check(host.asked.join() === "anywidget:a,anywidget:b,anywidget:c", "children asked for as anywidget:<id> (marimo takes only those)");
  const [a, b, c] = [...root.querySelectorAll(".kid")];
  a.marked = true; c.marked = true;
  model.set("children", refs("c", "a", "d"));
  await settle();
  const now = [...root.querySelectorAll(".kid")];
  check(shown(root) === "c,a,d", "reordered " + shown(root));
  check(now[0] === c && now[1] === a && c.marked && a.marked, "kept children keep their DOM node");
  check(host.renders.IPY_MODEL_a === 1 && host.renders.IPY_MODEL_c === 1 && host.renders.IPY_MODEL_d === 1, "kept not re-rendered, new rendered once");
  check(host.disposed.IPY_MODEL_b === 1 && !b.isConnected && !host.disposed.IPY_MODEL_a, "removed child disposed");
  model.set("children", refs("a", "a"));
  await settle();
  check(shown(root) === "a,a" && root.querySelectorAll(".kid")[0] === a, "the same child twice: two views " + shown(root));
  model.set("children", []);
  check(root.children.length === 0 && host.disposed.IPY_MODEL_a === 2, "all removed");
  model.set("box_style", "");
  check(root.dataset.boxStyle === "", "box_style cleared");
  model.set("description", "Group"); check(root.getAttribute("role") === "group" && root.getAttribute("aria-label") === "Group", "described box is a group");
  cleanup();
  check(!el.querySelector(".widgets-control") && model.count() === 0, "cleanup removes the view and its listeners");
}
// box: a change while children are still resolving leaves no stale or duplicated child
{
  const { model, host, root } = await render("box", { _kind: "hbox", children: [] });
  host.hold();
  model.set("children", refs("a", "b"));
  model.set("children", refs("b", "c"));
  model.set("children", refs("c", "b", "c"));
  check(root.children.length === 3, "slots placed at once, before the children resolve");
  host.release();
  await settle(); await settle();
  check(shown(root) === "c,b,c", "only the last list shows " + shown(root));
  check(!host.renders.IPY_MODEL_a && host.renders.IPY_MODEL_b === 1 && host.renders.IPY_MODEL_c === 2, "no stale render " + JSON.stringify(host.renders));
}
// box: a child that fails to resolve shows an error in its slot; the others render
{
  const { root } = await render("box", { _kind: "hbox", children: refs("a", "bad", "c") });
  await settle();
  const error = root.children[1].querySelector(".widgets-child-error");
  check(shown(root) === "a,c" && error && error.textContent.includes("no model IPY_MODEL_bad") && error.getAttribute("role") === "alert", "failed child: message in its slot");
}
// tab: WAI-ARIA tabs, lazy panels, click and keyboard select
{
  const { model, host, root, cleanup } = await render("tabs", { _kind: "tab", children: refs("a", "b", "c"), titles: ["One", "Two"], selected_index: 0 });
  const tablist = root.querySelector("[role=tablist]");
  const tabs = [...tablist.querySelectorAll("[role=tab]")];
  const panels = [...root.querySelectorAll("[role=tabpanel]")];
  check(tabs.length === 3 && panels.length === 3, "three tabs and panels");
  check(tabs.map((t) => t.textContent).join("|") === "One|Two|Tab 3" && tabs[2].dataset.untitled === "true", "titles, a missing one numbered");
  check(tabs.every((t, i) => t.getAttribute("aria-controls") === panels[i].id && panels[i].getAttribute("aria-labelledby") === t.id), "aria-controls / labelledby");
  check(tabs.map((t) => t.getAttribute("aria-selected")).join() === "true,false,false" && tabs.map((t) => t.tabIndex).join() === "0,-1,-1", "aria-selected, roving tabindex");
  check(!panels[0].hidden && panels[1].hidden && panels[2].hidden, "only the selected panel shown");
  check(shown(root) === "a" && !host.renders.IPY_MODEL_b, "panels render when first shown");
  tabs[2].click();
  await settle();
  check(model.state.selected_index === 2 && model.saves === 1 && !panels[2].hidden && panels[0].hidden, "click selects and saves");
  check(shown(root) === "a,c", "selected panel rendered, the earlier one kept");
  tabs[2].focus();
  tabs[2].dispatchEvent(new win.KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
  check(model.state.selected_index === 0 && document.activeElement === tabs[0], "ArrowRight wraps, selects and focuses");
  tabs[0].dispatchEvent(new win.KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
  check(model.state.selected_index === 2 && document.activeElement === tabs[2], "ArrowLeft wraps back");
  tabs[2].dispatchEvent(new win.KeyboardEvent("keydown", { key: "Home", bubbles: true }));
  check(model.state.selected_index === 0 && document.activeElement === tabs[0] && tabs[0].tabIndex === 0 && tabs[2].tabIndex === -1, "Home");
  tabs[0].dispatchEvent(new win.KeyboardEvent("keydown", { key: "End", bubbles: true }));
  check(model.state.selected_index === 2 && document.activeElement === tabs[2], "End");
  tabs[2].dispatchEvent(new win.KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
  tabs[0].dispatchEvent(new win.KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
  await settle();
  check(host.renders.IPY_MODEL_b === 1 && shown(root) === "a,b,c", "keyboard selection renders the panel");
  // the kernel reorders: the kept panels keep their nodes; the kernel's selected_index decides
  const kidC = panels[2].querySelector(".kid");
  model.set("children", refs("c", "a"));
  model.set("selected_index", 0);
  await settle();
  const after = [...root.querySelectorAll("[role=tabpanel]")];
  check(after.length === 2 && after[0] === panels[2] && after[0].querySelector(".kid") === kidC && !after[0].hidden, "reordered panels keep their nodes");
  check(host.disposed.IPY_MODEL_b === 1 && root.querySelectorAll("[role=tab]").length === 2, "removed tab and panel gone");
  check([...root.querySelectorAll("[role=tab]")].map((t) => t.textContent).join("|") === "One|Two", "titles follow indexes");
  model.set("selected_index", null);
  check([...root.querySelectorAll("[role=tab]")].map((t) => t.tabIndex).join() === "0,-1" && after.every((p) => p.hidden), "none selected: first tab focusable, no panel");
  model.set("description", "Pages"); check(tablist.getAttribute("aria-label") === "Pages", "tablist labelled by description");
  cleanup();
  check(model.count() === 0 && host.disposed.IPY_MODEL_c === 1, "tab cleanup");
}
// accordion: header buttons, one open, clicking the open one closes it
{
  const { model, host, root } = await render("tabs", { _kind: "accordion", children: refs("a", "b"), titles: ["First", ""], selected_index: null });
  const buttons = [...root.querySelectorAll(".widgets-section-button")];
  const panels = [...root.querySelectorAll("[role=region]")];
  check(buttons.length === 2 && buttons.every((b) => b.tagName === "BUTTON" && b.getAttribute("aria-expanded") === "false"), "closed headers");
  check(buttons[0].closest("[role=heading]") && buttons[1].textContent === "Section 2", "headers in headings, missing title numbered");
  check(buttons.every((b, i) => b.getAttribute("aria-controls") === panels[i].id) && panels.every((p) => p.hidden) && !host.renders.IPY_MODEL_a, "all closed, nothing rendered");
  buttons[1].click();
  await settle();
  check(model.state.selected_index === 1 && buttons[1].getAttribute("aria-expanded") === "true" && !panels[1].hidden && shown(root) === "b", "click opens (and renders)");
  buttons[0].click();
  check(model.state.selected_index === 0 && panels[1].hidden && !panels[0].hidden, "one open at a time");
  buttons[0].click();
  check(model.state.selected_index === null && panels.every((p) => p.hidden), "clicking the open one closes it");
  buttons[0].focus();
  buttons[0].dispatchEvent(new win.KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
  check(document.activeElement === buttons[1] && model.state.selected_index === null, "ArrowDown moves focus only");
}
// stack: only the selected child, no chrome
{
  const { model, root } = await render("tabs", { _kind: "stack", children: refs("a", "b"), titles: [], selected_index: 1 });
  await settle();
  check(!root.querySelector("button") && shown(root) === "b", "stack shows the selected child only");
  model.set("selected_index", 0);
  await settle();
  check(shown(root) === "a,b" && root.children[1].hidden && !root.children[0].hidden, "stack switches");
}
// a page without host.getWidget (an older anywidget runtime): each slot says so
{
  const mod = (await import(JS + "box.js")).default;
  const model = fakeModel({ ...common, _kind: "vbox", children: refs("a") });
  const el = document.createElement("div");
  mod.render({ model, el });
  await settle();
  check(el.querySelector(".widgets-child-error")?.textContent.includes("no host.getWidget"), "no host: a message in the slot");
}

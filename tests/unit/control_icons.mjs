// Button and ToggleButton icons in happy-dom (run by tests/unit/test_control_icons.py):
// node control_icons.mjs <happy-dom index.js> <js dir>/
const [happyDom, JS] = process.argv.slice(2);
const { Window } = await import(happyDom);
globalThis.document = new Window().document;
function check(cond, msg) { console.log(cond ? "ok" : "FAIL", msg); if (!cond) process.exitCode = 1; }
function model(state) {
  const listeners = {};
  return {
    get: (k) => state[k],
    set(k, v) { state[k] = v; for (const f of listeners[`change:${k}`] || []) f(); },
    save_changes() {}, send() {},
    on(e, f) { (listeners[e] ||= []).push(f); },
    off(e, f) { listeners[e] = (listeners[e] || []).filter((g) => g !== f); },
  };
}
const common = { disabled: false, layout: {}, style: {}, button_style: "", value: false };
for (const [file, kind] of [["button", "button"], ["toggle_button", "toggle-button"]]) {
  const { default: view } = await import(`${JS}${file}.js`);
  const m = model({ ...common, _kind: kind, description: "Save", tooltip: null, icon: "fa-floppy-disk" });
  const el = document.createElement("div");
  view.render({ model: m, el });
  const button = el.querySelector("button");
  check(button.dataset.icon === "floppy-disk" && button.textContent === "Save", `${kind}: fa- prefix dropped, label kept`);
  check(!button.hasAttribute("aria-label"), `${kind}: labelled by its text`);
  m.set("icon", "fa fa-check");
  check(button.dataset.icon === "check", `${kind}: "fa fa-check" is check`);
  m.set("description", "");
  check(button.getAttribute("aria-label") === "check" && button.childNodes.length === 0, `${kind}: icon-only named by the icon`);
  m.set("tooltip", "Confirm");
  check(button.getAttribute("aria-label") === "Confirm", `${kind}: icon-only named by the tooltip`);
  m.set("icon", "");
  check(button.dataset.icon === "" && button.getAttribute("aria-label") === "Confirm", `${kind}: no icon`);
}

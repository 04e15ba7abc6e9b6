// The controls' views (widgets/controls/js/) in happy-dom against a stand-in model; run by
// tests/unit/test_controls.py: node controls_views.mjs <happy-dom index.js> <js dir>/
const [happyDom, JS] = process.argv.slice(2);
const { Window } = await import(happyDom);
const win = new Window();
globalThis.document = win.document;
function fakeModel(state) {
  const listeners = {}; const sent = []; let saves = 0;
  return {
    state, sent, get saves() { return saves; }, listeners,
    get: (k) => state[k],
    set(k, v) { state[k] = v; for (const f of listeners[`change:${k}`] || []) f(this, v); },
    save_changes() { saves++; },
    on(e, f) { (listeners[e] ||= []).push(f); },
    off(e, f) { listeners[e] = (listeners[e] || []).filter((g) => g !== f); },
    send(c) { sent.push(c); },
    count() { return Object.values(listeners).reduce((a, l) => a + l.length, 0); },
  };
}
async function load(name) {
  return (await import(JS + name + ".js")).default;
}
const common = { description: "Desc", disabled: false, tooltip: null, layout: { width: "300px", justify_content: "center" }, style: { description_width: "100px" } };
function check(cond, msg) { if (!cond) { console.log("FAIL", msg); process.exitCode = 1; } else console.log("ok", msg); }
async function render(file, state) {
  const mod = await load(file);
  const model = fakeModel({ ...common, ...state });
  const el = document.createElement("div"); document.body.append(el);
  const pre = document.createElement("span"); el.append(pre);
  const cleanup = mod.render({ model, el });
  return { model, el, root: el.querySelector(".widgets-control"), cleanup, pre };
}
// slider
{
  const { model, el, root, cleanup, pre } = await render("slider", { _kind: "int-slider", value: 5, min: 0, max: 10, step: 1, readout: true, readout_format: "d", orientation: "horizontal", continuous_update: true });
  check(root.className === "widgets-control widgets-int-slider", "slider class");
  check(root.style.getPropertyValue("width") === "300px" && root.style.getPropertyValue("justify-content") === "center", "layout applied");
  check(root.style.getPropertyValue("--w-description-width") === "100px", "style applied");
  const input = root.querySelector("input[type=range]");
  const label = root.querySelector("label");
  check(label.htmlFor === input.id && label.textContent === "Desc", "label for");
  check(input.value === "5" && root.querySelector("output").textContent === "5", "value shown");
  model.set("value", 7);
  check(input.value === "7", "kernel change shown");
  input.value = "9"; input.dispatchEvent(new win.Event("input"));
  check(model.state.value === 9 && model.saves === 1, "input sends (continuous)");
  model.set("continuous_update", false);
  input.value = "3"; input.dispatchEvent(new win.Event("input"));
  check(model.state.value === 9 && root.querySelector("output").textContent === "3", "not continuous: readout only");
  input.dispatchEvent(new win.Event("change"));
  check(model.state.value === 3, "change sends");
  model.set("layout", { height: "40px" });
  check(root.style.getPropertyValue("width") === "" && root.style.getPropertyValue("height") === "40px", "layout replaced");
  check(!root.hasAttribute("data-sized"), "no layout width: the control's own minimum width holds");
  model.set("layout", { width: "60px" });
  check(root.hasAttribute("data-sized"), "a layout width is marked (it wins over a minimum width)");
  model.set("disabled", true); check(input.disabled, "disabled");
  model.set("description", ""); check(input.getAttribute("aria-label") === "int slider" && label.hidden, "aria-label fallback");
  cleanup();
  check(el.children.length === 1 && el.firstChild === pre && model.count() === 0, "cleanup removes only its own");
}
// float slider format
{
  const { root } = await render("slider", { _kind: "float-slider", value: 2.5, min: 0, max: 10, step: 0.1, readout: true, readout_format: ".2f", orientation: "horizontal", continuous_update: true });
  check(root.querySelector("output").textContent === "2.50", "float readout");
}
// range
{
  const { model, root } = await render("range_slider", { _kind: "int-range-slider", value: [2, 7], min: 0, max: 10, step: 1, readout: true, readout_format: "d", orientation: "horizontal", continuous_update: true });
  const [lo, hi] = root.querySelectorAll("input");
  check(lo.value === "2" && hi.value === "7" && root.querySelector("output").textContent === "2 – 7", "range shown");
  lo.value = "8"; lo.dispatchEvent(new win.Event("input"));
  check(JSON.stringify(model.state.value) === "[7,7]", "lower never passes upper " + JSON.stringify(model.state.value));
  check(hi.getAttribute("aria-label") === "Desc, upper", "aria-labels");
}
// number
{
  const { model, root } = await render("number", { _kind: "int-text", value: 3, step: 1, continuous_update: false });
  const input = root.querySelector("input");
  check(input.type === "number" && input.value === "3", "number shown");
  input.value = "4.6"; input.dispatchEvent(new win.Event("input"));
  check(model.state.value === 3, "not continuous");
  input.dispatchEvent(new win.KeyboardEvent("keydown", { key: "Enter" }));
  check(model.state.value === 5, "Enter sends rounded int " + model.state.value);
  input.value = ""; input.dispatchEvent(new win.Event("change"));
  check(model.state.value === 5 && input.value === "5", "invalid reverts");
}
// text
{
  const { model, root } = await render("text", { _kind: "text", value: "a", placeholder: "type", continuous_update: false });
  const input = root.querySelector("input");
  check(input.placeholder === "type", "placeholder");
  input.value = "ab"; input.dispatchEvent(new win.Event("input"));
  check(model.state.value === "a", "text not continuous");
  input.dispatchEvent(new win.KeyboardEvent("keydown", { key: "Enter" }));
  check(model.state.value === "ab", "Enter sends");
  const t = await render("text", { _kind: "textarea", value: "x", placeholder: "", continuous_update: true, rows: 4 });
  const area = t.root.querySelector("textarea");
  check(Number(area.rows) === 4 && area.value === "x", "textarea " + area.rows + area.value);
  area.value = "xy"; area.dispatchEvent(new win.Event("input"));
  check(t.model.state.value === "xy", "textarea continuous");
}
// checkbox / toggle / button
{
  const { model, root } = await render("checkbox", { _kind: "checkbox", value: false, indent: true });
  const input = root.querySelector("input");
  input.checked = true; input.dispatchEvent(new win.Event("change"));
  check(model.state.value === true && root.lastChild.tagName === "LABEL", "checkbox");
  const tb = await render("toggle_button", { _kind: "toggle-button", value: false, icon: "", button_style: "success" });
  const b = tb.root.querySelector("button");
  b.click();
  check(tb.model.state.value === true && b.getAttribute("aria-pressed") === "true" && b.dataset.style === "success", "toggle");
  const bt = await render("button", { _kind: "button", icon: "", button_style: "" });
  bt.root.querySelector("button").click();
  check(JSON.stringify(bt.model.sent) === '[{"event":"click"}]' && bt.root.querySelector("button").textContent === "Desc", "button click");
}
// dropdown / select / radio
{
  const { model, root } = await render("dropdown", { _kind: "dropdown", _options_labels: ["a", "b", "c"], index: 1 });
  const select = root.querySelector("select");
  check(select.options.length === 3 && select.selectedIndex === 1, "dropdown shown");
  select.selectedIndex = 2; select.dispatchEvent(new win.Event("change"));
  check(model.state.index === 2, "dropdown sends index");
  model.set("_options_labels", ["x"]); model.set("index", 0);
  check(select.options.length === 1 && select.options[0].text === "x", "options follow");
  const r = await render("radio_buttons", { _kind: "radio-buttons", _options_labels: ["a", "b"], index: 0 });
  const radios = r.root.querySelectorAll("input[type=radio]");
  check(radios.length === 2 && radios[0].checked && r.root.querySelector("[role=radiogroup]").getAttribute("aria-labelledby"), "radios");
  radios[1].checked = true; radios[1].dispatchEvent(new win.Event("change"));
  check(r.model.state.index === 1, "radio sends");
}
// progress / html / label
{
  const { model, root } = await render("progress", { _kind: "float-progress", value: 25, min: 0, max: 100, orientation: "horizontal", bar_style: "info" });
  const track = root.querySelector("[role=progressbar]");
  check(root.classList.contains("widgets-progress") && track.getAttribute("aria-valuenow") === "25" && root.querySelector(".widgets-progress-bar").style.width === "25%", "progress");
  const h = await render("html", { _kind: "html", value: "<b>x</b>", placeholder: "" });
  check(h.root.querySelector(".widgets-content b").textContent === "x", "html");
  const l = await render("html", { _kind: "label", value: "<b>x</b>", placeholder: "" });
  check(l.root.querySelector(".widgets-content").textContent === "<b>x</b>", "label is text");
}
// select multiple / color / date / image
{
  const { model, root } = await render("dropdown", { _kind: "select-multiple", _options_labels: ["a", "b", "c"], index: [0, 2], rows: 5 });
  const select = root.querySelector("select");
  check(select.multiple && select.options[0].selected && !select.options[1].selected && select.options[2].selected, "multi shown");
  select.options[1].selected = true; select.dispatchEvent(new win.Event("change"));
  check(JSON.stringify(model.state.index) === "[0,1,2]", "multi sends " + JSON.stringify(model.state.index));
  const cp = await render("color_picker", { _kind: "color-picker", value: "#abc", concise: false });
  const [sw, tx] = cp.root.querySelectorAll("input");
  check(sw.value === "#aabbcc" && tx.value === "#abc", "color shown " + sw.value);
  tx.value = "#112233"; tx.dispatchEvent(new win.KeyboardEvent("keydown", { key: "Enter" }));
  check(cp.model.state.value === "#112233" && sw.value === "#112233", "color Enter sends");
  const dp = await render("date_picker", { _kind: "date-picker", value: "2026-12-02", min: null, max: null });
  const di = dp.root.querySelector("input");
  check(di.value === "2026-12-02", "date shown");
  di.value = "2027-01-05"; di.dispatchEvent(new win.Event("change"));
  check(dp.model.state.value === "2027-01-05", "date sends");
  globalThis.URL.createObjectURL ??= () => "blob:x";
  const bytes = new Uint8Array([137, 80, 78, 71]);
  const im = await render("image", { _kind: "image", value: new DataView(bytes.buffer), format: "png", width: "100", height: "" });
  const img = im.root.querySelector("img");
  check(img.src.startsWith("blob:") && img.style.width === "100px" && img.alt === "Desc", "image " + img.src);
  im.cleanup();
  check(!im.el.querySelector("img"), "image cleaned");
}

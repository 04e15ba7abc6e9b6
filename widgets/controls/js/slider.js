// --- control prelude: the same in every control module (tests/unit/test_controls.py checks) ---
let serial = 0;
/** The root element `widgets-<kind>` in `el`, layout/style/tooltip applied; `on(keys, f)` calls f now and on changes. */
function control(model, el) {
  const root = document.createElement("div");
  const kind = model.get("_kind");
  root.className = `widgets-control widgets-${kind}`;
  const offs = [];
  const on = (keys, f) => {
    for (const key of keys.split(" ")) {
      model.on(`change:${key}`, f);
      offs.push(() => model.off(`change:${key}`, f));
    }
    f();
  };
  let styled = [];
  const put = (prefix, props) => {
    for (const [key, value] of Object.entries(props || {})) {
      if (value == null) continue;
      const name = prefix + key.replace(/_/g, "-");
      root.style.setProperty(name, String(value));
      styled.push(name);
    }
  };
  on("layout style", () => {
    for (const name of styled) root.style.removeProperty(name);
    styled = [];
    put("", model.get("layout"));
    put("--w-", model.get("style"));
  });
  on("tooltip", () => {
    const tip = model.get("tooltip");
    if (tip) root.title = tip;
    else root.removeAttribute("title");
  });
  el.append(root);
  const id = `widgets-${++serial}-${Math.random().toString(36).slice(2, 8)}`;
  /** A label showing the description: `<label for=input>`, or `aria-labelledby` ("by"), or only shown ("shown");
   * without a description the input gets an aria-label. */
  const describe = (input, how) => {
    const label = document.createElement("label");
    label.className = "widgets-description";
    label.id = `${id}-label`;
    input.id = id;
    if (!how) label.htmlFor = id;
    root.append(label);
    on("description", () => {
      const text = model.get("description");
      label.textContent = text;
      label.hidden = !text;
      if (how === "shown") return;
      if (how) input.removeAttribute("aria-labelledby");
      if (text) input.removeAttribute("aria-label");
      else input.setAttribute("aria-label", model.get("tooltip") || kind.replace(/-/g, " "));
      if (how && text) input.setAttribute("aria-labelledby", label.id);
    });
    return label;
  };
  const dispose = () => {
    for (const off of offs) off();
    root.remove();
  };
  return { root, on, describe, dispose, kind, id };
}
// --- end of the control prelude ---

/** Python's format spec, the common cases: "d", ".2f", ".1%", ".3e". */
function format(value, spec) {
  const match = /\.(\d+)([f%e]?)$/.exec(spec || "");
  if (!match) return spec && spec.endsWith("d") ? String(Math.round(value)) : String(value);
  const digits = Number(match[1]);
  if (match[2] === "%") return `${(value * 100).toFixed(digits)}%`;
  return match[2] === "e" ? value.toExponential(digits) : value.toFixed(digits);
}

/** IntSlider and FloatSlider: a native range input (arrow keys, Page Up/Down, Home/End; role slider). */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const input = document.createElement("input");
    input.type = "range";
    input.className = "widgets-input";
    c.describe(input);
    const readout = document.createElement("output");
    readout.className = "widgets-readout";
    readout.setAttribute("for", c.id);
    c.root.append(input, readout);
    const show = () => {
      readout.textContent = format(Number(input.value), model.get("readout_format"));
      input.setAttribute("aria-valuetext", readout.textContent);
    };
    c.on("min max step value", () => {
      const step = model.get("step");
      input.min = model.get("min");
      input.max = model.get("max");
      input.step = step == null ? "any" : step;
      input.value = model.get("value");
      show();
    });
    c.on("readout_format", show);
    c.on("readout", () => {
      readout.hidden = !model.get("readout");
    });
    c.on("orientation", () => {
      c.root.dataset.orientation = model.get("orientation");
    });
    c.on("disabled", () => {
      input.disabled = model.get("disabled");
    });
    const send = () => {
      const value = Number(input.value);
      if (value !== model.get("value")) {
        model.set("value", value);
        model.save_changes();
      }
    };
    input.addEventListener("input", () => {
      show();
      if (model.get("continuous_update")) send();
    });
    input.addEventListener("change", send);
    return c.dispose;
  },
};

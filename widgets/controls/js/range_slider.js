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

/** IntRangeSlider and FloatRangeSlider: two native range inputs on one track (each keyboard operable). */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const track = document.createElement("div");
    track.className = "widgets-range";
    const fill = document.createElement("div");
    fill.className = "widgets-range-fill";
    const handles = ["lower", "upper"].map((end) => {
      const input = document.createElement("input");
      input.type = "range";
      input.className = `widgets-input widgets-${end}`;
      return input;
    });
    const [lower, upper] = handles;
    c.describe(lower);
    const readout = document.createElement("output");
    readout.className = "widgets-readout";
    track.append(fill, lower, upper);
    c.root.append(track, readout);
    c.on("description", () => {
      const name = model.get("description") || model.get("tooltip") || c.kind.replace(/-/g, " ");
      lower.setAttribute("aria-label", `${name}, lower`);
      upper.setAttribute("aria-label", `${name}, upper`);
    });
    const show = () => {
      const [low, high] = handles.map((input) => Number(input.value));
      const spec = model.get("readout_format");
      readout.textContent = `${format(low, spec)} – ${format(high, spec)}`;
      const min = model.get("min");
      const span = model.get("max") - min || 1;
      fill.style.left = `${((low - min) / span) * 100}%`;
      fill.style.width = `${((high - low) / span) * 100}%`;
      lower.setAttribute("aria-valuetext", format(low, spec));
      upper.setAttribute("aria-valuetext", format(high, spec));
    };
    c.on("min max step value", () => {
      const step = model.get("step");
      const value = model.get("value");
      handles.forEach((input, i) => {
        input.min = model.get("min");
        input.max = model.get("max");
        input.step = step == null ? "any" : step;
        input.value = value[i];
      });
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
      for (const input of handles) input.disabled = model.get("disabled");
    });
    const send = () => {
      const value = handles.map((input) => Number(input.value));
      const old = model.get("value");
      if (value[0] !== old[0] || value[1] !== old[1]) {
        model.set("value", value);
        model.save_changes();
      }
    };
    handles.forEach((input, i) => {
      input.addEventListener("input", () => {
        // a handle never passes the other
        if (Number(lower.value) > Number(upper.value)) input.value = handles[1 - i].value;
        show();
        if (model.get("continuous_update")) send();
      });
      input.addEventListener("change", send);
    });
    return c.dispose;
  },
};

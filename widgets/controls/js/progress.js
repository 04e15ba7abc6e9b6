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

/** Progress: a bar with role=progressbar and aria-valuenow / valuemin / valuemax. */
export default {
  render({ model, el }) {
    const c = control(model, el);
    c.root.classList.add("widgets-progress");
    const track = document.createElement("div");
    track.className = "widgets-progress-track";
    track.setAttribute("role", "progressbar");
    const bar = document.createElement("div");
    bar.className = "widgets-progress-bar";
    track.append(bar);
    c.describe(track, "by");
    c.root.append(track);
    c.on("value min max orientation", () => {
      const [value, min, max] = ["value", "min", "max"].map((key) => model.get(key));
      const share = max > min ? ((value - min) / (max - min)) * 100 : 0;
      const vertical = model.get("orientation") === "vertical";
      c.root.dataset.orientation = model.get("orientation");
      bar.style.width = vertical ? "" : `${share}%`;
      bar.style.height = vertical ? `${share}%` : "";
      track.setAttribute("aria-valuenow", value);
      track.setAttribute("aria-valuemin", min);
      track.setAttribute("aria-valuemax", max);
    });
    c.on("bar_style", () => {
      bar.dataset.style = model.get("bar_style") || "";
    });
    return c.dispose;
  },
};

// The helpers every control module uses. Each module imports them from here (so the files run as
// they are in node and in editors); widgets/controls/base.py inlines this file in place of that
// import when it builds a class's `_esm`, so a control's module is one self-contained file in
// every host (anywidget's runtime included).
let serial = 0;
/** The root element `widgets-<kind>` in `el`, layout/style/tooltip applied; `on(keys, f)` calls f now and on changes. */
export function control(model, el) {
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
    const layout = model.get("layout") || {};
    put("", layout);
    put("--w-", model.get("style"));
    root.toggleAttribute("data-sized", layout.width != null); // a layout width wins over a control's own minimum
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

/** Python's format spec, the common cases: "d", ".2f", ".1%", ".3e". */
export function format(value, spec) {
  const match = /\.(\d+)([f%e]?)$/.exec(spec || "");
  if (!match) return spec && spec.endsWith("d") ? String(Math.round(value)) : String(value);
  const digits = Number(match[1]);
  if (match[2] === "%") return `${(value * 100).toFixed(digits)}%`;
  return match[2] === "e" ? value.toExponential(digits) : value.toFixed(digits);
}

/** A child widget's handle from the host, by reference ("IPY_MODEL_<id>" or a bare id). Asked for as
 * "anywidget:<id>", the form of anywidget 0.11's contract, which our runtime and other hosts (marimo) take. */
export function childWidget(host, ref) {
  if (!host || !host.getWidget) return Promise.reject(new Error("this page cannot show child widgets (it has no host.getWidget)"));
  const id = typeof ref === "string" && ref.startsWith("IPY_MODEL_") ? ref.slice("IPY_MODEL_".length) : ref;
  return host.getWidget(typeof id === "string" && !id.includes(":") ? `anywidget:${id}` : id);
}

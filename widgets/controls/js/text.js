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

/** Text and Textarea: a native text input or textarea; Enter (Text) or leaving the box sends. */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const multiline = c.kind === "textarea";
    const box = document.createElement(multiline ? "textarea" : "input");
    if (!multiline) box.type = "text";
    box.className = "widgets-input";
    c.describe(box);
    c.root.append(box);
    c.on("value", () => {
      if (box.value !== model.get("value")) box.value = model.get("value");
    });
    c.on("placeholder", () => {
      box.placeholder = model.get("placeholder");
    });
    c.on("disabled", () => {
      box.disabled = model.get("disabled");
    });
    if (multiline) {
      c.on("rows", () => {
        const rows = model.get("rows");
        if (rows == null) box.removeAttribute("rows");
        else box.rows = rows;
      });
    }
    const send = () => {
      if (box.value !== model.get("value")) {
        model.set("value", box.value);
        model.save_changes();
      }
    };
    box.addEventListener("input", () => {
      if (model.get("continuous_update")) send();
    });
    box.addEventListener("change", send);
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (!multiline || event.ctrlKey || event.metaKey)) send();
    });
    return c.dispose;
  },
};

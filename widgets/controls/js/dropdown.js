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

/** Dropdown, Select and SelectMultiple: a native select (arrow keys, type-ahead); the view sends `index`. */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const multiple = c.kind === "select-multiple";
    const select = document.createElement("select");
    select.className = "widgets-input";
    select.multiple = multiple;
    c.describe(select);
    c.root.append(select);
    c.on("_options_labels index", () => {
      const labels = model.get("_options_labels");
      if (select.options.length !== labels.length || [...select.options].some((o, i) => o.text !== labels[i])) {
        select.replaceChildren(
          ...labels.map((text) => Object.assign(document.createElement("option"), { textContent: text })),
        );
      }
      const index = model.get("index");
      const chosen = multiple ? index : [index];
      [...select.options].forEach((option, i) => {
        option.selected = chosen.includes(i);
      });
      if (!multiple && index == null) select.selectedIndex = -1;
    });
    if (c.kind !== "dropdown") {
      c.on("rows", () => {
        select.size = Math.max(2, model.get("rows"));
      });
    }
    c.on("disabled", () => {
      select.disabled = model.get("disabled");
    });
    select.addEventListener("change", () => {
      const chosen = [...select.options].flatMap((option, i) => (option.selected ? [i] : []));
      model.set("index", multiple ? chosen : chosen.length ? chosen[0] : null);
      model.save_changes();
    });
    return c.dispose;
  },
};

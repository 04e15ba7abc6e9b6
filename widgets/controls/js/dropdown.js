import { control } from "./_prelude.js";

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

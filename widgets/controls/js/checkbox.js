import { control } from "./_prelude.js";

/** Checkbox: a native checkbox (Space toggles) with its description after it. */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const input = document.createElement("input");
    input.type = "checkbox";
    input.className = "widgets-input";
    const label = c.describe(input);
    c.root.append(input, label);
    c.on("value", () => {
      input.checked = model.get("value");
    });
    c.on("indent", () => {
      c.root.dataset.indent = model.get("indent");
    });
    c.on("disabled", () => {
      input.disabled = model.get("disabled");
    });
    input.addEventListener("change", () => {
      model.set("value", input.checked);
      model.save_changes();
    });
    return c.dispose;
  },
};

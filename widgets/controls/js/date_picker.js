import { control } from "./_prelude.js";

/** DatePicker: a native date input (keyboard editable, with the browser's calendar); values "YYYY-MM-DD". */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const input = document.createElement("input");
    input.type = "date";
    input.className = "widgets-input";
    c.describe(input);
    c.root.append(input);
    c.on("value min max", () => {
      input.min = model.get("min") || "";
      input.max = model.get("max") || "";
      if (input.value !== (model.get("value") || "")) input.value = model.get("value") || "";
    });
    c.on("disabled", () => {
      input.disabled = model.get("disabled");
    });
    input.addEventListener("change", () => {
      const value = input.value || null;
      if (value !== model.get("value")) {
        model.set("value", value);
        model.save_changes();
      }
    });
    return c.dispose;
  },
};

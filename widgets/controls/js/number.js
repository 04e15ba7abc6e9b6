import { control } from "./_prelude.js";

/** IntText and FloatText: a native number input (role spinbutton; arrow keys step; Enter sends). */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const integer = c.kind === "int-text";
    const input = document.createElement("input");
    input.type = "number";
    input.className = "widgets-input";
    c.describe(input);
    c.root.append(input);
    c.on("value", () => {
      if (Number(input.value) !== model.get("value") || input.value === "") input.value = model.get("value");
    });
    c.on("step", () => {
      const step = model.get("step");
      input.step = step == null ? "any" : step;
    });
    c.on("disabled", () => {
      input.disabled = model.get("disabled");
    });
    const send = (final) => {
      let value = input.valueAsNumber;
      if (!Number.isFinite(value)) {
        if (final) input.value = model.get("value");
        return;
      }
      if (integer) value = Math.round(value);
      if (value !== model.get("value")) {
        model.set("value", value);
        model.save_changes();
      }
      if (final) input.value = model.get("value");
    };
    input.addEventListener("input", () => {
      if (model.get("continuous_update")) send(false);
    });
    input.addEventListener("change", () => send(true));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") send(true);
    });
    return c.dispose;
  },
};

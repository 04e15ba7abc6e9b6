import { control, format } from "./_prelude.js";

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

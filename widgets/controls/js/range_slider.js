import { control, format } from "./_prelude.js";

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

import { control } from "./_prelude.js";

/** A CSS colour as "#rrggbb" (what a native colour input takes), through a canvas for colour names. */
function hex(color) {
  if (/^#[0-9a-f]{6}$/i.test(color)) return color;
  if (/^#[0-9a-f]{3}$/i.test(color)) return `#${[...color.slice(1)].map((d) => d + d).join("")}`;
  const context = document.createElement("canvas").getContext?.("2d");
  if (!context) return "#000000";
  context.fillStyle = "#000000";
  context.fillStyle = color;
  return /^#[0-9a-f]{6}$/i.test(context.fillStyle) ? context.fillStyle : "#000000";
}

/** ColorPicker: a native colour input, and (unless `concise`) a text box with the value. */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const swatch = document.createElement("input");
    swatch.type = "color";
    swatch.className = "widgets-swatch";
    const text = document.createElement("input");
    text.type = "text";
    text.className = "widgets-input";
    c.describe(text);
    c.root.append(swatch, text);
    c.on("description", () => {
      swatch.setAttribute("aria-label", `${model.get("description") || "colour"} (picker)`);
    });
    c.on("value", () => {
      text.value = model.get("value");
      swatch.value = hex(model.get("value"));
    });
    c.on("concise", () => {
      text.hidden = model.get("concise");
    });
    c.on("disabled", () => {
      swatch.disabled = text.disabled = model.get("disabled");
    });
    const send = (value) => {
      if (value !== model.get("value")) {
        model.set("value", value);
        model.save_changes();
      }
    };
    swatch.addEventListener("input", () => {
      text.value = swatch.value;
      send(swatch.value);
    });
    text.addEventListener("change", () => send(text.value.trim()));
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter") send(text.value.trim());
    });
    return c.dispose;
  },
};

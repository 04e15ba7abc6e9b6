import { control } from "./_prelude.js";

/** RadioButtons: native radio inputs in a role=radiogroup (arrow keys move the choice). */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const group = document.createElement("div");
    group.className = "widgets-options";
    group.setAttribute("role", "radiogroup");
    c.describe(group, "by");
    c.root.append(group);
    let inputs = [];
    c.on("_options_labels index disabled", () => {
      const labels = model.get("_options_labels");
      if (inputs.length !== labels.length || inputs.some((input, i) => input.value !== labels[i])) {
        inputs = labels.map((text) => {
          const input = document.createElement("input");
          input.type = "radio";
          input.name = c.id;
          input.value = text;
          input.addEventListener("change", () => {
            model.set("index", inputs.indexOf(input));
            model.save_changes();
          });
          const item = document.createElement("label");
          item.append(input, text);
          return input;
        });
        group.replaceChildren(...inputs.map((input) => input.parentElement));
      }
      const index = model.get("index");
      inputs.forEach((input, i) => {
        input.checked = i === index;
        input.disabled = model.get("disabled");
      });
    });
    return c.dispose;
  },
};

import { control } from "./_prelude.js";

/** HTML (value: trusted markup, as in ipywidgets) and Label (value: plain text). */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const content = document.createElement("div");
    content.className = "widgets-content";
    c.describe(content, "shown");
    c.root.append(content);
    c.on("value placeholder", () => {
      const value = model.get("value") || model.get("placeholder");
      if (c.kind === "html") content.innerHTML = value;
      else content.textContent = value;
    });
    return c.dispose;
  },
};

import { control } from "./_prelude.js";

/** Button: a native button; a click sends {event: "click"} to the kernel's on_click callbacks. */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "widgets-btn";
    c.root.append(button);
    c.on("description icon tooltip", () => {
      // FontAwesome names as ipywidgets takes them ("check", "fa-check", "fa fa-check"); controls.css draws them
      const icon = (model.get("icon") || "").trim().split(/\s+/).pop().replace(/^fa-/, "");
      button.textContent = model.get("description");
      button.dataset.icon = icon;
      if (model.get("description")) button.removeAttribute("aria-label");
      else button.setAttribute("aria-label", model.get("tooltip") || icon || "button");
    });
    c.on("button_style", () => {
      button.dataset.style = model.get("button_style");
    });
    c.on("disabled", () => {
      button.disabled = model.get("disabled");
    });
    button.addEventListener("click", () => model.send({ event: "click" }));
    return c.dispose;
  },
};

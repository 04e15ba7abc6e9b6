import { place, slots } from "./_children.js";
import { control } from "./_prelude.js";

/** Box, HBox, VBox, GridBox: each child's own view (host.getWidget) in a slot; the root is a flex row or
 * column or a CSS grid (controls.css), shaped further by `layout`. */
export default {
  render({ model, el, host }) {
    const c = control(model, el);
    c.root.classList.add("widgets-container");
    const kids = slots(host, () => {});
    c.on("children", () => {
      const entries = kids.update(model.get("children"));
      place(c.root, entries.map((entry) => entry.slot));
      entries.forEach(kids.fill);
    });
    c.on("box_style", () => {
      c.root.dataset.boxStyle = model.get("box_style") || "";
    });
    c.on("description", () => {
      // a described box is a named group for screen readers; otherwise it is only layout
      const text = model.get("description");
      if (text) c.root.setAttribute("role", "group");
      else c.root.removeAttribute("role");
      if (text) c.root.setAttribute("aria-label", text);
      else c.root.removeAttribute("aria-label");
    });
    return () => {
      kids.dispose();
      c.dispose();
    };
  },
};

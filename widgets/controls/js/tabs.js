import { place, slots } from "./_children.js";
import { control } from "./_prelude.js";

/** Tab, Accordion and Stack (the `_kind` trait says which): one panel per child, only the selected one shown.
 * A panel's child is rendered when the panel is first shown, then kept: hidden children cost nothing, and a
 * child that measures itself when it renders (a plot) sees its real size instead of a hidden panel's zero.
 * Tab: WAI-ARIA tabs (roving tabindex; arrows, Home and End select). Accordion: header buttons, one section
 * open at a time (clicking the open one closes it). Stack: the selected child, no chrome. */
export default {
  render({ model, el, host }) {
    const c = control(model, el);
    const kind = c.kind;
    c.root.classList.add("widgets-container", "widgets-selector");
    const tablist = document.createElement("div");
    const panels = document.createElement("div");
    if (kind === "tab") {
      tablist.className = "widgets-tablist";
      tablist.setAttribute("role", "tablist");
      panels.className = "widgets-panels";
      c.root.append(tablist, panels);
    }
    const select = (entry) => {
      const index = kids.entries.indexOf(entry);
      const open = model.get("selected_index");
      const next = kind === "accordion" && index === open ? null : index;
      if (next === open) return;
      model.set("selected_index", next);
      model.save_changes();
    };
    const kids = slots(host, (entry) => {
      const id = `${c.id}-${entry.key}`;
      const panel = entry.slot;
      panel.classList.add("widgets-panel");
      panel.id = `${id}-panel`;
      if (kind === "stack") return;
      const button = document.createElement("button");
      button.type = "button";
      button.id = `${id}-button`;
      button.setAttribute("aria-controls", panel.id);
      panel.setAttribute("aria-labelledby", button.id);
      entry.button = button;
      button.addEventListener("click", () => select(entry));
      if (kind === "tab") {
        button.className = "widgets-tab-button";
        button.setAttribute("role", "tab");
        panel.setAttribute("role", "tabpanel");
        panel.tabIndex = 0;
        entry.outer = button;
      } else {
        button.className = "widgets-section-button";
        panel.setAttribute("role", "region");
        const heading = document.createElement("div");
        heading.className = "widgets-section-header";
        heading.setAttribute("role", "heading");
        heading.setAttribute("aria-level", "3");
        heading.append(button);
        entry.outer = document.createElement("div");
        entry.outer.className = "widgets-section";
        entry.outer.append(heading, panel);
      }
    });
    const show = () => {
      const titles = model.get("titles") || [];
      const count = kids.entries.length;
      const open = model.get("selected_index");
      const selected = Number.isInteger(open) && open >= 0 && open < count ? open : null;
      kids.entries.forEach((entry, i) => {
        const on = i === selected;
        entry.slot.hidden = !on;
        if (on) kids.fill(entry);
        const button = entry.button;
        if (!button) return;
        const title = titles[i];
        button.textContent = title || `${kind === "tab" ? "Tab" : "Section"} ${i + 1}`;
        button.dataset.untitled = String(!title);
        if (kind === "tab") {
          button.setAttribute("aria-selected", String(on));
          button.tabIndex = on || (selected === null && i === 0) ? 0 : -1;
        } else button.setAttribute("aria-expanded", String(on));
      });
    };
    c.on("children", () => {
      const entries = kids.update(model.get("children"));
      if (kind === "tab") {
        place(tablist, entries.map((entry) => entry.outer));
        place(panels, entries.map((entry) => entry.slot));
      } else place(c.root, entries.map((entry) => entry.outer || entry.slot));
      show();
    });
    c.on("titles selected_index", show);
    c.on("description", () => {
      const text = model.get("description");
      const named = kind === "tab" ? tablist : c.root;
      if (text) named.setAttribute("aria-label", text);
      else named.removeAttribute("aria-label");
      if (kind !== "tab") {
        if (text) c.root.setAttribute("role", "group");
        else c.root.removeAttribute("role");
      }
    });
    const buttons = () => kids.entries.map((entry) => entry.button);
    // Tab: arrows, Home and End select the tab and focus it (automatic activation); Accordion: they move focus.
    // Heard on the window before the page's own shortcuts (Notebook 7 takes arrows on the document, in its
    // capture phase); preventDefault tells them the key is taken.
    const onKey = (event) => {
      const list = buttons();
      const at = list.indexOf(event.target);
      if (at < 0 || event.altKey || event.ctrlKey || event.metaKey) return;
      const [back, forth] = kind === "tab" ? ["ArrowLeft", "ArrowRight"] : ["ArrowUp", "ArrowDown"];
      const last = list.length - 1;
      const to = { [back]: at === 0 ? last : at - 1, [forth]: at === last ? 0 : at + 1, Home: 0, End: last }[event.key];
      if (to === undefined) return;
      event.preventDefault();
      if (kind === "tab") select(kids.entries[to]);
      list[to].focus();
    };
    const win = c.root.ownerDocument.defaultView;
    win.addEventListener("keydown", onKey, true);
    return () => {
      win.removeEventListener("keydown", onKey, true);
      kids.dispose();
      c.dispose();
    };
  },
};

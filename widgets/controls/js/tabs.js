import { childWidget, control } from "./_prelude.js";

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

// The children's slots, as in box.js (each module is one self-contained file, so it is here too).
/** One slot per entry of `children`, in order: a child that stays keeps its slot and its rendered view, a
 * removed one is disposed (its signal aborts) and its slot removed, a new one gets a slot from `make`.
 * `fill(entry)` renders a slot's child once; a child that cannot be shown leaves a message in its slot. */
function slots(host, make) {
  let entries = [];
  let serial = 0;
  const fill = (entry) => {
    if (entry.filled) return;
    entry.filled = true;
    const { signal } = entry.ctl;
    childWidget(host, entry.ref)
      .then((child) => signal.aborted || child.render({ el: entry.slot, signal }))
      .catch((error) => {
        if (signal.aborted) return;
        const box = document.createElement("div");
        box.className = "widgets-child-error";
        box.setAttribute("role", "alert");
        box.textContent = `This child cannot be shown: ${error && error.message ? error.message : error}`;
        entry.slot.replaceChildren(box);
      });
  };
  const drop = (entry) => {
    entry.ctl.abort();
    entry.slot.remove();
    if (entry.outer) entry.outer.remove();
  };
  const update = (refs) => {
    const old = new Map();
    for (const entry of entries) {
      if (!old.has(entry.ref)) old.set(entry.ref, []);
      old.get(entry.ref).push(entry);
    }
    entries = (refs || []).map((ref) => {
      const kept = old.get(ref) && old.get(ref).shift();
      if (kept) return kept;
      const slot = document.createElement("div");
      slot.className = "widgets-child";
      const entry = { ref, slot, ctl: new AbortController(), filled: false, key: ++serial };
      make(entry);
      return entry;
    });
    for (const gone of old.values()) gone.forEach(drop);
    return entries;
  };
  const dispose = () => {
    entries.forEach(drop);
    entries = [];
  };
  return { update, fill, dispose, get entries() { return entries; } };
}

/** Put `nodes` into `parent` in this order, moving only those out of place (a kept node stays the same node). */
function place(parent, nodes) {
  if (!nodes.some((node) => node.parentNode === parent)) return parent.replaceChildren(...nodes);
  let at = parent.firstChild;
  for (const node of nodes) {
    if (node === at) at = at.nextSibling;
    else parent.insertBefore(node, at);
  }
}

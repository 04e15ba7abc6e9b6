import { childWidget } from "./_prelude.js";

// The children's slots of the boxes (box.js) and of Tab, Accordion and Stack (tabs.js), imported by
// them and inlined by widgets/controls/base.py, as the prelude is.
/** One slot per entry of `children`, in order: a child that stays keeps its slot and its rendered view, a
 * removed one is disposed (its signal aborts) and its slot removed, a new one gets a slot from `make`.
 * `fill(entry)` renders a slot's child once; a child that cannot be shown leaves a message in its slot. */
export function slots(host, make) {
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
export function place(parent, nodes) {
  if (!nodes.some((node) => node.parentNode === parent)) return parent.replaceChildren(...nodes);
  let at = parent.firstChild;
  for (const node of nodes) {
    if (node === at) at = at.nextSibling;
    else parent.insertBefore(node, at);
  }
}

import { control } from "./_prelude.js";

/** Text and Textarea: a native text input or textarea; Enter (Text) or leaving the box sends. */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const multiline = c.kind === "textarea";
    const box = document.createElement(multiline ? "textarea" : "input");
    if (!multiline) box.type = "text";
    box.className = "widgets-input";
    c.describe(box);
    c.root.append(box);
    c.on("value", () => {
      if (box.value !== model.get("value")) box.value = model.get("value");
    });
    c.on("placeholder", () => {
      box.placeholder = model.get("placeholder");
    });
    c.on("disabled", () => {
      box.disabled = model.get("disabled");
    });
    if (multiline) {
      c.on("rows", () => {
        const rows = model.get("rows");
        if (rows == null) box.removeAttribute("rows");
        else box.rows = rows;
      });
    }
    const send = () => {
      if (box.value !== model.get("value")) {
        model.set("value", box.value);
        model.save_changes();
      }
    };
    box.addEventListener("input", () => {
      if (model.get("continuous_update")) send();
    });
    box.addEventListener("change", send);
    box.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.isComposing) return;
      if (!multiline || event.ctrlKey || event.metaKey) return send();
      if (event.shiftKey || event.altKey) return;
      // JupyterLab 4 and Notebook 7 cancel the line break of every textarea in a cell (their
      // `beforeinput` guard for insertLineBreak): insert it as typed text instead.
      event.preventDefault();
      if (!document.execCommand?.("insertText", false, "\n")) {
        box.setRangeText("\n", box.selectionStart, box.selectionEnd, "end");
        box.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
    return c.dispose;
  },
};

import { childWidget, control } from "./_prelude.js";

/** Output: renders the `outputs` trait itself (nbformat-like dicts: stream, display_data / execute_result,
 * error), so it needs no hook into the kernel's messages and works in every host and in saved pages.
 * An output that stays the same keeps its element (and a widget shown in it keeps its view). */
const WIDGET_MIMES = ["application/vnd.widgets.model+json", "application/vnd.jupyter.widget-view+json"];
const IMAGES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
const ORDER = [...WIDGET_MIMES, "text/html", "image/svg+xml", ...IMAGES, "text/markdown", "text/latex", "application/json", "text/plain"];

export default {
  render({ model, el, host }) {
    const c = control(model, el);
    c.root.setAttribute("role", "log");
    let shown = [];
    c.on("description", () => {
      c.root.setAttribute("aria-label", model.get("description") || "output");
    });
    c.on("outputs", () => {
      const outputs = model.get("outputs") || [];
      const next = [];
      outputs.forEach((output, index) => {
        const key = JSON.stringify(output);
        const old = shown[index];
        if (old && old.key === key) {
          next.push(old);
          return;
        }
        if (old && old.stream && output.output_type === "stream" && output.name === old.stream) {
          old.key = key;
          old.node.replaceChildren(...ansi(clean(output.text)));
          next.push(old);
          return;
        }
        const entry = show(output, host, key);
        if (old) {
          old.node.replaceWith(entry.node);
          old.ctl.abort();
        } else c.root.append(entry.node);
        next.push(entry);
      });
      for (const extra of shown.slice(outputs.length)) {
        extra.ctl.abort();
        extra.node.remove();
      }
      shown = next;
      c.root.dataset.empty = String(outputs.length === 0);
    });
    return () => {
      for (const entry of shown) entry.ctl.abort();
      shown = [];
      c.dispose();
    };
  },
};

/** One output's element; `ctl` aborts what it started (a nested widget's view). */
function show(output, host, key) {
  const ctl = new AbortController();
  const entry = { key, ctl, node: null, stream: null };
  const kind = output && output.output_type;
  if (kind === "stream") {
    entry.stream = output.name;
    entry.node = pre("widgets-output-stream", clean(output.text));
    entry.node.dataset.stream = output.name;
  } else if (kind === "error") {
    const lines = Array.isArray(output.traceback) && output.traceback.length ? output.traceback.join("\n") : `${output.ename}: ${output.evalue}`;
    entry.node = pre("widgets-output-error", lines);
  } else if (kind === "display_data" || kind === "execute_result") {
    entry.node = rich(output, host, ctl.signal);
  } else {
    entry.node = pre("widgets-output-text", JSON.stringify(output));
  }
  return entry;
}

function rich(output, host, signal) {
  const data = output.data || {};
  const metadata = output.metadata || {};
  const mime = ORDER.find((m) => data[m] != null && (!WIDGET_MIMES.includes(m) || (host && host.getWidget)));
  const value = data[mime];
  const box = document.createElement("div");
  box.className = "widgets-output-display";
  if (mime === undefined) {
    box.textContent = Object.keys(data).length ? `(no view for ${Object.keys(data).join(", ")})` : "";
  } else if (WIDGET_MIMES.includes(mime)) {
    box.classList.add("widgets-output-child");
    const ref = output.widget || value.model_id;
    childWidget(host, ref)
      .then((child) => signal.aborted || child.render({ el: box, signal }))
      .catch((error) => {
        if (signal.aborted) return;
        const note = pre("widgets-output-text", `${data["text/plain"] || ""}`);
        note.title = `This widget cannot be shown: ${error && error.message ? error.message : error}`;
        box.replaceChildren(note);
      });
  } else if (mime === "text/html") {
    // trusted, as JupyterLab's outputs of a trusted notebook and ipywidgets' HTML
    box.append(document.createRange().createContextualFragment(String(value)));
  } else if (mime === "image/svg+xml" || IMAGES.includes(mime)) {
    const img = document.createElement("img");
    img.src = mime === "image/svg+xml" ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(value)}` : `data:${mime};base64,${value}`;
    img.alt = typeof data["text/plain"] === "string" ? data["text/plain"] : "image";
    const size = { ...metadata, ...(metadata[mime] || {}) };
    if (size.width) img.width = size.width;
    if (size.height) img.height = size.height;
    box.append(img);
  } else if (mime === "application/json") {
    box.append(pre("widgets-output-text", JSON.stringify(value, null, 2)));
  } else if (mime === "text/plain") {
    box.append(pre("widgets-output-text", String(value)));
  } else {
    const text = document.createElement("div");
    text.className = "widgets-output-markdown";
    text.textContent = String(value);
    box.append(text);
  }
  return box;
}

function pre(className, text) {
  const node = document.createElement("pre");
  node.className = className;
  node.append(...ansi(text));
  return node;
}

/** What is left of a line's text after carriage returns (the kernel already folds most of them). */
function clean(text) {
  return String(text || "").replace(/[^\n]*\r+(?=[^\r\n])/g, "").replace(/\r/g, "");
}

const BASIC = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

/** Text with ANSI escapes as nodes: SGR colours and bold become spans, every other escape is dropped. */
function ansi(text) {
  const nodes = [];
  let fg = null;
  let bg = null;
  let bold = false;
  const pattern = /\x1b\[([0-9;]*)([A-Za-z])|\x1b[^[]/g;
  let last = 0;
  const emit = (chunk) => {
    if (!chunk) return;
    if (fg === null && bg === null && !bold) {
      nodes.push(document.createTextNode(chunk));
      return;
    }
    const span = document.createElement("span");
    span.textContent = chunk;
    if (bold) span.classList.add("widgets-ansi-bold");
    if (typeof fg === "string") span.classList.add(`widgets-ansi-${fg}`);
    else if (fg) span.style.color = fg.css;
    if (typeof bg === "string") span.classList.add(`widgets-ansi-${bg}-bg`);
    else if (bg) span.style.backgroundColor = bg.css;
    nodes.push(span);
  };
  const color = (codes, i) => {
    // 38;5;n (256 colours) or 38;2;r;g;b: [colour, codes consumed]
    if (codes[i + 1] === 5) return [{ css: palette(codes[i + 2] || 0) }, 2];
    if (codes[i + 1] === 2) return [{ css: `rgb(${codes[i + 2] || 0}, ${codes[i + 3] || 0}, ${codes[i + 4] || 0})` }, 4];
    return [null, 0];
  };
  const source = String(text);
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    emit(source.slice(last, match.index));
    last = pattern.lastIndex;
    if (match[2] !== "m") continue;
    const codes = (match[1] || "0").split(";").map((n) => Number(n || 0));
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (code === 0) [fg, bg, bold] = [null, null, false];
      else if (code === 1) bold = true;
      else if (code === 22) bold = false;
      else if (code >= 30 && code <= 37) fg = BASIC[code - 30];
      else if (code >= 90 && code <= 97) fg = `bright-${BASIC[code - 90]}`;
      else if (code >= 40 && code <= 47) bg = BASIC[code - 40];
      else if (code >= 100 && code <= 107) bg = `bright-${BASIC[code - 100]}`;
      else if (code === 39) fg = null;
      else if (code === 49) bg = null;
      else if (code === 38 || code === 48) {
        const [value, used] = color(codes, i);
        if (code === 38) fg = value;
        else bg = value;
        i += used;
      }
    }
  }
  emit(source.slice(last));
  return nodes;
}

/** xterm's 256-colour palette: 16 basic, a 6x6x6 cube, 24 greys. */
function palette(n) {
  const basic = ["#000", "#c00", "#0a0", "#c50", "#00c", "#c0c", "#0aa", "#ccc", "#555", "#f55", "#5f5", "#ff5", "#55f", "#f5f", "#5ff", "#fff"];
  if (n < 16) return basic[n];
  if (n < 232) {
    const v = [0, 95, 135, 175, 215, 255];
    const k = n - 16;
    return `rgb(${v[Math.floor(k / 36)]}, ${v[Math.floor(k / 6) % 6]}, ${v[k % 6]})`;
  }
  const grey = 8 + (n - 232) * 10;
  return `rgb(${grey}, ${grey}, ${grey})`;
}

import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { renderPage, SHARED_TYPE, start, STATE_TYPE } from "../extension/embed";
import type { WidgetModel } from "../src/model";
import type { View } from "../src/view";
import { readRepoFile } from "./files";
import { installImporter } from "./importer";

/** What the page's view modules hand the test: their models, by id. */
const probe: Record<string, WidgetModel> = {};
(globalThis as { __embedProbe?: typeof probe }).__embedProbe = probe;

const VIEW = `export default { render({ model, el }) {
  globalThis.__embedProbe[model.model_id] = model.model;
  const show = () => { el.textContent = "value=" + model.get("value"); };
  show();
  model.on("change:value", show);
  el.onclick = () => { model.set("value", model.get("value") + 1); model.save_changes(); };
} }`;

let count = 0;
let views: View[] = [];

beforeAll(() => installImporter());

beforeEach(() => {
  document.head.replaceChildren();
  document.body.replaceChildren();
  for (const key of Object.keys(probe)) delete probe[key];
});

afterEach(() => {
  for (const view of views) view.dispose();
  views = [];
  vi.restoreAllMocks();
});

/** JSON as the export writes it into a script element (docs/protocol.md, "In an HTML page"). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

function stateDocument(models: Record<string, unknown[]>, esm: string, css: string | null = null, source = VIEW): Record<string, unknown> {
  const assets: Record<string, string> = { [esm]: source };
  if (css) assets[css] = ".embed-test { color: green }";
  return {
    format: "widgets-state",
    version: 1,
    protocol: "2.0",
    classes: [{ name: "test.Counter", esm, css, read_only: [], keys: ["label", "value"] }],
    assets,
    models,
  };
}

/** Put `text` in a script element of `type` (as the HTML parser would: raw text). */
function addScript(type: string, text: string): void {
  const script = document.createElement("script");
  script.type = type;
  script.textContent = text;
  document.body.append(script);
}

function addView(modelId: string): HTMLElement {
  const el = document.createElement("div");
  el.className = "widgets-embed";
  el.dataset.widgetsView = modelId;
  document.body.append(el);
  return el;
}

const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

async function render(): Promise<View[]> {
  views = renderPage(document);
  await tick();
  return views;
}

describe("an exported page", () => {
  it("renders every view of every state script, offline, with no banner; clicks work locally", async () => {
    const esm = `embed-esm-${++count}`;
    addScript(STATE_TYPE, scriptJson(stateDocument({ a: [0, ["A", 1]], b: [0, ["B", 2]] }, esm)));
    addScript(STATE_TYPE, scriptJson(stateDocument({ c: [0, ["C", 3]] }, esm)));
    const a = addView("a");
    const b = addView("b");
    const c = addView("c");
    const again = addView("a");
    await render();
    expect([a, b, c, again].map((el) => el.querySelector(".widgets-host")?.textContent)).toEqual(["value=1", "value=2", "value=3", "value=1"]);
    for (const el of [a, b, c]) {
      expect(el.querySelector(".widgets-banner")?.textContent).toBe("");
      expect(el.dataset.status).toBe("offline");
    }
    (a.querySelector(".widgets-host") as HTMLElement).click();
    expect(a.querySelector(".widgets-host")?.textContent).toBe("value=2");
    expect(again.querySelector(".widgets-host")?.textContent).toBe("value=2");
    expect(a.querySelector(".widgets-error")).toBeNull();
  });

  it("renders each view once: a second run, or a second copy of the runtime, does nothing", async () => {
    const esm = `embed-esm-${++count}`;
    addScript(STATE_TYPE, scriptJson(stateDocument({ a: [0, ["A", 1]] }, esm)));
    addView("a");
    await render();
    expect(renderPage(document)).toEqual([]);
    start(); // this module already started when it was imported: a second start renders nothing
    await tick();
    expect(document.querySelectorAll(".widgets-host")).toHaveLength(1);
  });

  it("reuses the page's style elements (base and per hash) instead of injecting new ones", async () => {
    const esm = `embed-esm-${++count}`;
    const css = `embed-css-${count}`;
    document.head.innerHTML = `<style data-widgets-base>.page-base{}</style><style data-widgets-css="${css}">.page-css{}</style>`;
    addScript(STATE_TYPE, scriptJson(stateDocument({ a: [0, ["A", 1]] }, esm, css)));
    addView("a");
    await render();
    expect(document.querySelector(".widgets-host")?.textContent).toBe("value=1");
    const styles = [...document.querySelectorAll("style")];
    expect(styles).toHaveLength(2);
    expect(styles.map((s) => s.textContent)).toEqual([".page-base{}", ".page-css{}"]);
    for (const view of views) view.dispose();
    expect(document.querySelectorAll("style")).toHaveLength(2); // the page's own stay
  });

  it("hostile strings and a `__proto__` key read back equal, and inject nothing", async () => {
    const esm = `embed-esm-${++count}`;
    const hostile = ["</script><script>window.__pwned = 1</script>", "<!--", "<script>", "<img src=x onerror=alert(1)>", "a\u2028b\u2029c", "&amp;"];
    const text = scriptJson(stateDocument({ h: [0, [hostile, 1]] }, esm)).replace('"models":{', '"models":{"__proto__":[0,[{"__proto__":"x"},2]],');
    expect(text).not.toMatch(/<\/script|<!--|\u2028|\u2029/i);
    addScript(STATE_TYPE, text);
    addView("h");
    addView("__proto__");
    await render();
    expect(probe.h?.get("label")).toEqual(hostile);
    const proto = probe.__proto__ as WidgetModel | undefined;
    expect(Object.getOwnPropertyDescriptor(proto?.get("label") as object, "__proto__")?.value).toBe("x");
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect((globalThis as { __pwned?: number }).__pwned).toBeUndefined();
    expect(document.querySelectorAll("img, body > script:not([type])")).toHaveLength(0);
  });

  it("provides shared packages from the shared script, only when a view imports one", async () => {
    const esm = `embed-esm-${++count}`;
    const view = `import React from "react"; import { tag } from "react-dom/client";
export default { render({ el }) { el.textContent = React.name + "/" + tag; } }`;
    addScript(STATE_TYPE, scriptJson(stateDocument({ r: [0, ["R", 1]] }, esm, null, view)));
    const bundle = `export const modules = { "react": { default: { name: "fake-react" } }, "react-dom/client": { tag: "client" } };`;
    addScript(SHARED_TYPE, scriptJson(bundle));
    addView("r");
    await render();
    await tick(50);
    expect(document.querySelector(".widgets-error")?.textContent ?? null).toBeNull();
    expect(document.querySelector(".widgets-host")?.textContent).toBe("fake-react/client");
  });

  it("shows errors in the view's element: a bad document, a missing model, a view that throws", async () => {
    const esm = `embed-esm-${++count}`;
    addScript(STATE_TYPE, '{"format": "widgets-state", "version": 9}');
    addScript(STATE_TYPE, scriptJson(stateDocument({ t: [0, ["T", 1]] }, esm, null, "export default { render() { throw new Error('boom'); } }")));
    const missing = addView("nowhere");
    const throws = addView("t");
    await render();
    expect(missing.querySelector(".widgets-render-error")?.textContent).toContain("the model nowhere is not in the saved state");
    expect(missing.querySelector(".widgets-render-error")?.textContent).toContain("version 9");
    expect(throws.querySelector(".widgets-render-error")?.textContent).toContain("boom");
  });

  it("send warns in the console once per model", async () => {
    const esm = `embed-esm-${++count}`;
    addScript(STATE_TYPE, scriptJson(stateDocument({ s: [0, ["S", 1]] }, esm)));
    addView("s");
    await render();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    probe.s?.send({ x: 1 });
    probe.s?.send({ x: 2 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain("not delivered");
  });
});

describe("the built runtime (widgets/static/embed.js, npm run build:static)", () => {
  const built = readRepoFile("widgets/static/embed.js");

  it.skipIf(built === null)("can be inlined: no </script, no <!--, no WebAssembly, no bare imports", () => {
    const text = built as string;
    expect(text).not.toMatch(/<\/script|<!--/i);
    expect(text).not.toContain("WebAssembly");
    expect(text).not.toMatch(/\bimport\s*[^(]*?from\s*["'][^./]/);
    expect(readRepoFile("widgets/static/base.css")).toBe(readRepoFile("frontend/src/base.css"));
    expect(readRepoFile("widgets/static/shared.js")).toContain("useSyncExternalStore");
  });
});

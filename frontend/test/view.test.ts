import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { View } from "../src/view";
import { envelope, FakeKernel, update } from "./fakeKernel";
import { installImporter } from "./importer";

/** What view modules report to the test (they run as real modules, outside the test's scope). */
interface Probe {
  log: string[];
  gates: Record<string, Promise<void>>;
}
const probe: Probe = { log: [], gates: {} };
(globalThis as { __viewProbe?: Probe }).__viewProbe = probe;
const P = "globalThis.__viewProbe";

let kernel: FakeKernel;
let manager: WidgetManager;
let count = 0;
const views: View[] = [];

beforeAll(() => {
  installImporter();
});

beforeEach(() => {
  kernel = new FakeKernel();
  manager = new WidgetManager(kernel);
  probe.log = [];
  probe.gates = {};
  document.body.replaceChildren();
});

afterEach(() => {
  for (const view of views.splice(0)) view.dispose();
});

/** A content hash no other test uses (the asset and module caches are per page). */
function hash(kind = "esm"): string {
  return `view-${kind}-${++count}`;
}

/** The kernel opens `modelId` with a view module (and stylesheet); returns the esm hash. */
function openWidget(modelId: string, source: string, state: Record<string, unknown> = { value: 1 }, css?: string): string {
  const esm = hash();
  const assets: Record<string, string> = { [esm]: `${source}\n// ${esm}` };
  let cssHash: string | null = null;
  if (css !== undefined) {
    cssHash = hash("css");
    assets[cssHash] = css;
  }
  kernel.open(modelId, state, { esm, css: cssHash, assets });
  return esm;
}

/** A view of `modelId` in a new element of the page; `rendered` settles when render() is done. */
function mount(modelId: string): { view: View; el: HTMLElement; rendered: Promise<void> } {
  const el = document.createElement("div");
  document.body.append(el);
  const view = new View(el, modelId);
  views.push(view);
  return { view, el, rendered: view.render(manager) };
}

const ANYWIDGET = `
export default {
  initialize({ model }) {
    ${P}.log.push("init:" + model.model_id);
  },
  render({ model, el }) {
    const span = document.createElement("span");
    span.className = "value";
    const show = () => { span.textContent = String(model.get("value")); };
    show();
    model.on("change:value", show);
    const button = document.createElement("button");
    button.onclick = () => { model.set("value", model.get("value") + 1); model.save_changes(); };
    el.append(span, button);
    ${P}.log.push("render");
    return () => { ${P}.log.push("cleanup"); };
  },
};`;

const text = (el: HTMLElement, selector: string) => el.querySelector(selector)?.textContent ?? null;
const banner = (el: HTMLElement) => el.querySelector<HTMLElement>(".widgets-banner") as HTMLElement;

describe("rendering a view module", () => {
  it("renders an anywidget-style module (initialize + render) into the element", async () => {
    openWidget("w1", ANYWIDGET, { value: 41 });
    const { view, el, rendered } = mount("w1");
    await rendered;
    expect(text(el, ".widgets-host span.value")).toBe("41");
    expect(el.classList.contains("widgets-view")).toBe(true);
    expect(view.host.parentElement).toBe(el);
    expect(probe.log).toEqual(["init:w1", "render"]);
    expect(banner(el).dataset.kind).toBe("");
    expect(el.querySelector(".widgets-error")).toBeNull();
  });

  it("accepts `export default () => ({ render })` (sync and async factory)", async () => {
    openWidget("w2", `export default () => ({ render({ model, el }) { el.textContent = "fn:" + model.get("value"); } });`);
    openWidget("w3", `export default async () => ({ render({ model, el }) { el.textContent = "afn:" + model.get("value"); } });`);
    const a = mount("w2");
    const b = mount("w3");
    await Promise.all([a.rendered, b.rendered]);
    expect(a.view.host.textContent).toBe("fn:1");
    expect(b.view.host.textContent).toBe("afn:1");
  });

  it("runs a default-exported factory once per module, for every view of every model", async () => {
    const source = `export default () => { ${P}.log.push("factory"); return { render({ el }) { el.textContent = "x"; } }; };`;
    const esm = openWidget("f1", source);
    kernel.open("f2", { value: 2 }, { esm, css: null, assets: {} }); // same class: the source travels once
    const views = [mount("f1"), mount("f1"), mount("f2")];
    await Promise.all(views.map((v) => v.rendered));
    expect(views.map((v) => v.view.host.textContent)).toEqual(["x", "x", "x"]);
    expect(probe.log).toEqual(["factory"]);
  });

  it("supports async initialize, async render and async cleanup", async () => {
    openWidget(
      "w4",
      `export default {
        async initialize() { await new Promise((r) => setTimeout(r, 5)); ${P}.log.push("init"); },
        async render({ model, el }) {
          ${P}.log.push("render-start");
          await new Promise((r) => setTimeout(r, 5));
          el.textContent = "async " + model.get("value");
          return async () => { await null; ${P}.log.push("async-cleanup"); };
        },
      };`,
    );
    const { view, rendered } = mount("w4");
    await rendered;
    expect(view.host.textContent).toBe("async 1");
    expect(probe.log).toEqual(["init", "render-start"]);
    view.dispose();
    await new Promise((r) => setTimeout(r, 0));
    expect(probe.log).toContain("async-cleanup");
  });

  it("shows a loading text while the model is not opened yet", async () => {
    const { el, rendered } = mount("w5");
    await new Promise((r) => setTimeout(r, 0));
    expect(el.textContent).toContain("Loading widget");
    expect(banner(el).dataset.kind).toBe("loading");
    openWidget("w5", ANYWIDGET, { value: 5 });
    await rendered;
    expect(el.textContent).not.toContain("Loading");
    expect(text(el, "span.value")).toBe("5");
  });

  it("runs initialize once per model for two views, render once per view", async () => {
    openWidget("w6", ANYWIDGET);
    const a = mount("w6");
    const b = mount("w6");
    await Promise.all([a.rendered, b.rendered]);
    const c = mount("w6");
    await c.rendered;
    expect(probe.log.filter((l) => l.startsWith("init"))).toEqual(["init:w6"]);
    expect(probe.log.filter((l) => l === "render")).toHaveLength(3);
  });

  it("keeps two views equal when the value changes in the kernel or in one view", async () => {
    openWidget("w7", ANYWIDGET, { value: 1 });
    const a = mount("w7");
    const b = mount("w7");
    await Promise.all([a.rendered, b.rendered]);
    kernel.deliver("w7", update(1, { state: { value: 42 } }));
    expect(text(a.el, "span.value")).toBe("42");
    expect(text(b.el, "span.value")).toBe("42");
    a.el.querySelector("button")?.click();
    expect(text(a.el, "span.value")).toBe("43");
    expect(text(b.el, "span.value")).toBe("43");
    expect(kernel.last("update").data.state).toEqual({ value: 43 });
  });

  it("removes the listeners a view added with model.on when it is disposed", async () => {
    openWidget("w8", ANYWIDGET);
    const model: WidgetModel = await manager.get_model("w8");
    const baseline = { change: model.listenerCount("change:value"), error: model.listenerCount("error"), status: model.listenerCount("status") };
    const a = mount("w8");
    const b = mount("w8");
    await Promise.all([a.rendered, b.rendered]);
    expect(model.listenerCount("change:value")).toBe(baseline.change + 2);
    a.view.dispose();
    expect(model.listenerCount("change:value")).toBe(baseline.change + 1);
    expect(probe.log.filter((l) => l === "cleanup")).toHaveLength(1);
    b.view.dispose();
    expect(model.listenerCount("change:value")).toBe(baseline.change);
    expect(model.listenerCount("error")).toBe(baseline.error);
    // only initialize's own hook (its cleanup runs when the model closes) stays: it is per model
    expect(model.listenerCount("status")).toBe(baseline.status + 1);
    expect(probe.log.filter((l) => l === "cleanup")).toHaveLength(2);
    b.view.dispose(); // twice is harmless
    expect(probe.log.filter((l) => l === "cleanup")).toHaveLength(2);
    // a disposed view does not follow the model any more
    kernel.deliver("w8", update(1, { state: { value: 9 } }));
    expect(text(a.el, "span.value")).toBe("1");
  });

  it("runs initialize's cleanup and removes its listeners when the model closes", async () => {
    openWidget(
      "w9",
      `export default {
        initialize({ model }) {
          model.on("change:value", () => ${P}.log.push("init saw " + model.get("value")));
          return () => ${P}.log.push("init-cleanup");
        },
        render({ el }) { el.textContent = "x"; },
      };`,
    );
    const model = await manager.get_model("w9");
    const { rendered } = mount("w9");
    await rendered;
    kernel.deliver("w9", update(1, { state: { value: 2 } }));
    expect(probe.log).toEqual(["init saw 2"]);
    kernel.closeFromKernel("w9");
    expect(probe.log).toEqual(["init saw 2", "init-cleanup"]);
    expect(model.listenerCount("change:value")).toBe(0);
  });
});

describe("errors in the element", () => {
  it("a module that throws at import shows the message and stack (widgets-render-error)", async () => {
    openWidget("e1", `throw new Error("boom at import");`);
    const { el, rendered } = mount("e1");
    await rendered;
    const box = el.querySelector(".widgets-render-error");
    expect(box).not.toBeNull();
    expect(box?.classList.contains("widgets-error")).toBe(true);
    expect(box?.textContent).toContain("The widget's view failed");
    expect(box?.textContent).toContain("Error: boom at import");
    expect(box?.querySelector("pre")?.textContent).toMatch(/boom at import[\s\S]*\n\s+at /);
    expect(banner(el).dataset.kind).toBe("error");
    expect(el.textContent).not.toContain("Loading");
  });

  it("a render that throws shows the message and stack", async () => {
    openWidget(
      "e2",
      `function deep() { throw new RangeError("bad render"); }
       export default { render() { deep(); } };`,
    );
    const { el, rendered } = mount("e2");
    await rendered;
    const box = el.querySelector(".widgets-render-error");
    expect(box?.textContent).toContain("RangeError: bad render");
    expect(box?.querySelector("pre")?.textContent).toContain("deep");
  });

  it("an async render that rejects, a module without a usable default, a model without _esm", async () => {
    openWidget("e3", `export default { async render() { await null; throw new Error("later"); } };`);
    openWidget("e4", `export default 5;`);
    kernel.open("e5", { value: 1 }, { class: "demo.NoView" });
    const views = [mount("e3"), mount("e4"), mount("e5")];
    await Promise.all(views.map((v) => v.rendered));
    const [e3, e4, e5] = views.map((v) => v.el.querySelector(".widgets-render-error")?.textContent ?? "");
    expect(e3).toContain("Error: later");
    expect(e4).toMatch(/must `export default \{ render \}`/);
    expect(e5).toContain("demo.NoView has no _esm");
  });

  it("a kernel error entry (validation) shows in the element with the key", async () => {
    openWidget("e6", ANYWIDGET, { value: 1 });
    const { el, rendered } = mount("e6");
    await rendered;
    kernel.deliver(
      "e6",
      update(1, { state: { value: 1 }, errors: [{ kind: "validation", key: "value", message: "expected an int, got 'x'" }] }),
    );
    const box = el.querySelector<HTMLElement>(".widgets-error");
    expect(box).not.toBeNull();
    expect(box?.dataset.kind).toBe("validation");
    expect(box?.textContent).toContain("validation error on 'value'");
    expect(box?.textContent).toContain("expected an int, got 'x'");
    expect(banner(el).dataset.kind).toBe("error");
    // a handler error with a traceback, on the `error` method
    kernel.deliver("e6", envelope("error", { errors: [{ kind: "handler", message: "on_msg raised", traceback: "Traceback (most recent call last): ..." }] }));
    const boxes = el.querySelectorAll<HTMLElement>(".widgets-error");
    expect(boxes).toHaveLength(2);
    expect(boxes[1]?.textContent).toContain("handler error: on_msg raised");
    expect(boxes[1]?.querySelector("details pre")?.textContent).toContain("Traceback (most recent call last)");
    // dismissable, and at most three are kept
    boxes[1]?.querySelector<HTMLButtonElement>(".widgets-dismiss")?.click();
    expect(el.querySelectorAll(".widgets-error")).toHaveLength(1);
    for (let i = 0; i < 5; i++) kernel.deliver("e6", envelope("error", { errors: [{ kind: "handler", message: `n${i}` }] }));
    expect(el.querySelectorAll(".widgets-error")).toHaveLength(3);
    expect(el.querySelector(".widgets-error")?.textContent).toContain("n2");
    // the view itself is still there
    expect(text(el, "span.value")).toBe("1");
  });
});

describe("connection state", () => {
  it("disconnected shows a banner with the reason", async () => {
    openWidget("s1", ANYWIDGET);
    const { el, rendered } = mount("s1");
    await rendered;
    manager.disconnect("the kernel restarted");
    expect(banner(el).dataset.kind).toBe("disconnected");
    expect(banner(el).textContent).toContain("Disconnected: the kernel restarted");
    expect(el.dataset.status).toBe("disconnected");
    expect(text(el, "span.value")).toBe("1"); // the last state stays visible
  });

  it("closed shows a banner", async () => {
    openWidget("s2", ANYWIDGET);
    const { el, rendered } = mount("s2");
    await rendered;
    kernel.closeFromKernel("s2");
    expect(banner(el).dataset.kind).toBe("closed");
    expect(banner(el).textContent).toContain("closed in the kernel");
    expect(el.dataset.status).toBe("closed");
  });

  it("a view waiting for a model that never comes shows why, once the kernel is gone", async () => {
    const { el, rendered } = mount("s3");
    manager.disconnect("the kernel died");
    await rendered;
    expect(el.querySelector(".widgets-render-error")?.textContent).toContain("the kernel died");
  });
});

describe("CSS", () => {
  const styles = (cssHash: string) => document.head.querySelectorAll(`style[data-widgets-css="${cssHash}"]`);

  it("is injected once for two views and removed when the last view is disposed", async () => {
    openWidget("c1", ANYWIDGET, { value: 1 }, ".widget { color: red }");
    const model = await manager.get_model("c1");
    const cssHash = model.cssHash as string;
    const a = mount("c1");
    const b = mount("c1");
    await Promise.all([a.rendered, b.rendered]);
    expect(styles(cssHash)).toHaveLength(1);
    expect(styles(cssHash)[0]?.textContent).toBe(".widget { color: red }");
    a.view.dispose();
    expect(styles(cssHash)).toHaveLength(1);
    b.view.dispose();
    expect(styles(cssHash)).toHaveLength(0);
  });

  it("fetches a module and stylesheet the kernel did not send, on the control comm", async () => {
    const esm = hash();
    const css = hash("css");
    kernel.open("c2", { value: 3 }, { esm, css, assets: {} });
    const { el, rendered } = mount("c2");
    await new Promise((r) => setTimeout(r, 0));
    const control = kernel.sent.find((s) => s.kind === "open" && s.target === "widgets.control");
    expect(control).toBeDefined();
    const requests = kernel.messages("assets");
    expect(requests.flatMap((r) => r.data.hashes as string[]).sort()).toEqual([css, esm].sort());
    for (const request of requests) {
      const [wanted] = request.data.hashes as [string];
      const source = wanted === esm ? `${ANYWIDGET}\n// ${esm}` : ".fetched {}";
      kernel.deliver(control?.commId as string, envelope("assets_reply", { request: request.data.request, assets: { [wanted]: source } }));
    }
    await rendered;
    expect(text(el, "span.value")).toBe("3");
    expect(styles(css)).toHaveLength(1);
  });

  // BUG (frontend/src/view.ts, View.render, line 138): there is no `disposed` check between
  // awaiting the assets and `this.cleanups.push(injectCss(...))`. A view disposed while its
  // module/stylesheet is being fetched (output cleared right after display) injects the CSS
  // after dispose() ran the cleanups, so the <style> is never removed. Fix: `if (this.disposed)
  // return;` after the `await Promise.all(...)`.
  it("a view disposed while its assets load leaves no stylesheet behind", async () => {
    const esm = hash();
    const css = hash("css");
    kernel.open("c3", { value: 3 }, { esm, css, assets: {} });
    const { view, rendered } = mount("c3");
    await new Promise((r) => setTimeout(r, 0));
    view.dispose();
    const control = kernel.sent.find((s) => s.kind === "open" && s.target === "widgets.control");
    for (const request of kernel.messages("assets")) {
      const [wanted] = request.data.hashes as [string];
      const source = wanted === esm ? `${ANYWIDGET}\n// ${esm}` : ".leak {}";
      kernel.deliver(control?.commId as string, envelope("assets_reply", { request: request.data.request, assets: { [wanted]: source } }));
    }
    await rendered;
    expect(styles(css)).toHaveLength(0);
  });
});

describe("disposal during an async render", () => {
  // BUG (frontend/src/view.ts, View.render, lines 143-144): after `await widget.render(...)` the
  // returned cleanup is pushed to `this.cleanups` without checking `this.disposed`. If the view
  // was disposed while an async render was running, dispose() already ran (and emptied) the
  // cleanups, so this cleanup never runs, and listeners the render added via model.on after
  // dispose() stay registered forever (a leak per re-executed cell). Fix: after the await, if
  // disposed, run the cleanup at once and remove `this.added` listeners again.
  it("runs the cleanup of a render that finishes after dispose and removes its listeners", async () => {
    let open!: () => void;
    probe.gates.r1 = new Promise<void>((resolve) => (open = resolve));
    openWidget(
      "d1",
      `export default {
        async render({ model, el }) {
          ${P}.log.push("render-start");
          await ${P}.gates.r1;
          model.on("change:value", () => { el.textContent = String(model.get("value")); });
          return () => ${P}.log.push("cleanup");
        },
      };`,
    );
    const model = await manager.get_model("d1");
    const { view, rendered } = mount("d1");
    for (let i = 0; i < 500 && !probe.log.includes("render-start"); i++) await new Promise((r) => setTimeout(r, 1));
    expect(probe.log).toContain("render-start");
    view.dispose();
    open();
    await rendered;
    expect(model.listenerCount("change:value")).toBe(0);
    expect(probe.log).toContain("cleanup");
  });
});

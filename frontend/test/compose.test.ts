import { act, createElement, StrictMode, useState } from "react";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ViewHost } from "../src/host";
import { experimental, type ChildWidget, type Listeners, scoped } from "../src/lifecycle";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { SavedModels } from "../src/offline";
import { createRender, useWidget, WidgetView } from "../src/react";
import { View } from "../src/view";
import { envelope, FakeKernel, update } from "./fakeKernel";
import { installImporter } from "./importer";

/** What view modules report to the test (they run as real modules, outside the test's scope). */
interface Probe {
  log: string[];
  exports: unknown[];
  disposers: (() => void)[];
  signals: AbortSignal[];
  results: unknown[];
  abortWith?: AbortSignal;
}
const probe: Probe = { log: [], exports: [], disposers: [], signals: [], results: [] };
(globalThis as { __composeProbe?: Probe }).__composeProbe = probe;
const P = "globalThis.__composeProbe";

let kernel: FakeKernel;
let manager: WidgetManager;
let count = 0;
const views: View[] = [];

beforeAll(() => {
  installImporter();
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

beforeEach(() => {
  kernel = new FakeKernel();
  manager = new WidgetManager(kernel, { client: "tab1" });
  Object.assign(probe, { log: [], exports: [], disposers: [], signals: [], results: [] });
  document.body.replaceChildren();
});

afterEach(() => {
  for (const view of views.splice(0)) view.dispose();
});

/** A module source with a hash no other test uses (the module cache is per page). */
function module(source: string): [string, string] {
  const esm = `compose-esm-${++count}`;
  return [esm, `${source}\n// ${esm}`];
}

/** The kernel opens `modelId` with this view module. */
function open(modelId: string, source: string, state: Record<string, unknown>): string {
  const [esm, text] = module(source);
  kernel.open(modelId, state, { esm, css: null, assets: { [esm]: text } });
  return esm;
}

/** The kernel opens another model of an already sent class. */
const openAgain = (modelId: string, esm: string, state: Record<string, unknown>): void => kernel.open(modelId, state, { esm, css: null, assets: {} });

async function mount(modelId: string, source: { get_model(ref: string): Promise<WidgetModel>; asset(h: string): Promise<string> } = manager): Promise<{ view: View; el: HTMLElement }> {
  const el = document.createElement("div");
  document.body.append(el);
  const view = new View(el, modelId);
  views.push(view);
  await view.render(source);
  return { view, el };
}

const CHILD = `export default {
  initialize({ model, signal }) {
    ${P}.log.push("init:" + model.model_id);
    signal.addEventListener("abort", () => ${P}.log.push("init-abort:" + model.model_id));
    return { greet: (name) => "hi " + name + " from " + model.model_id };
  },
  render({ model, el, signal }) {
    const show = () => { el.textContent = "child:" + model.get("value"); };
    show();
    model.on("change:value", show);
    signal.addEventListener("abort", () => ${P}.log.push("view-abort:" + model.model_id));
    return () => ${P}.log.push("cleanup:" + model.model_id);
  },
};`;

/** Renders every ref of its `children` into its own `.slot`, through the host. */
const PARENT = `export default {
  async render({ model, el, host, signal }) {
    ${P}.signals.push(signal);
    for (const ref of model.get("children")) {
      const slot = document.createElement("div");
      slot.className = "slot";
      el.append(slot);
      const child = await host.getWidget(ref);
      ${P}.exports.push(child.exports);
      ${P}.disposers.push(await child.render(slot));
    }
  },
};`;

const slots = (el: HTMLElement): HTMLElement[] => [...el.querySelectorAll<HTMLElement>(".slot")];
const shown = (slot: HTMLElement | undefined): string => slot?.querySelector(".widgets-host")?.textContent ?? "";

describe("the lifecycle: signal and exports", () => {
  it("render's signal aborts when the view is disposed; initialize's when the model closes, with a returned cleanup", async () => {
    open(
      "l1",
      `export default {
        initialize({ model, signal }) {
          ${P}.signals.push(signal);
          return () => ${P}.log.push("init-cleanup");
        },
        render({ el, signal }) { ${P}.signals.push(signal); el.textContent = "x"; },
      };`,
      { value: 1 },
    );
    const { view } = await mount("l1");
    const [initSignal, renderSignal] = probe.signals as [AbortSignal, AbortSignal];
    expect([initSignal.aborted, renderSignal.aborted]).toEqual([false, false]);
    view.dispose();
    expect(renderSignal.aborted).toBe(true);
    expect((renderSignal.reason as DOMException).name).toBe("AbortError");
    expect(initSignal.aborted).toBe(false);
    kernel.closeFromKernel("l1");
    expect(initSignal.aborted).toBe(true);
    expect(probe.log).toEqual(["init-cleanup"]);
  });

  it("an object returned by initialize is the model's exports, handed to every parent; a function is not", async () => {
    const esm = open("c1", CHILD, { value: 1 });
    openAgain("c2", esm, { value: 2 });
    open("k1", `export default { initialize() { return () => {}; }, render({ el }) { el.textContent = "k"; } };`, {});
    open("p1", PARENT, { children: ["IPY_MODEL_c1", "IPY_MODEL_c2", "IPY_MODEL_k1"] });
    open("p2", PARENT, { children: ["IPY_MODEL_c1"] });
    await mount("p1");
    await mount("p2");
    const [a, b, k, again] = probe.exports as [{ greet(n: string): string }, { greet(n: string): string }, unknown, unknown];
    expect(a.greet("ann")).toBe("hi ann from c1");
    expect(b.greet("bob")).toBe("hi bob from c2");
    expect(k).toBeUndefined();
    expect(again).toBe(a); // once per model, the same object
    expect(probe.log.filter((l) => l.startsWith("init:"))).toEqual(["init:c1", "init:c2"]);
  });
});

describe("the lifecycle: initialize's calls", () => {
  it("initialize gets experimental.invoke too; exports without a cleanup survive the model closing", async () => {
    open(
      "l2",
      `export default {
        initialize({ experimental }) {
          ${P}.results.push(experimental.invoke("setup", { n: 1 }));
          return { ready: true };
        },
        render({ el }) { el.textContent = "r"; },
      };`,
      {},
    );
    await mount("l2");
    const sent = kernel.last("invoke");
    expect(sent.data).toMatchObject({ name: "setup", args: { n: 1 } });
    kernel.deliver("l2", envelope("invoke_reply", { id: sent.data.id, result: [1, 2] }));
    await expect(probe.results[0]).resolves.toEqual([[1, 2], []]);
    expect(() => kernel.closeFromKernel("l2")).not.toThrow();
  });
});

describe("host.getWidget", () => {
  it("resolves every reference form, and a model, to views of the same model", async () => {
    open("c1", CHILD, { value: 7 });
    open("p1", PARENT, { children: ["IPY_MODEL_c1", "anywidget:c1", "c1"] });
    const { el } = await mount("p1");
    expect(slots(el).map(shown)).toEqual(["child:7", "child:7", "child:7"]);
    open(
      "p2",
      `export default { async render({ model, el, host }) {
        const child = await host.getWidget(await model.widget_manager.get_model("anywidget:c1"));
        ${P}.exports.push(child.model.model_id);
        await child.render(el);
      } };`,
      {},
    );
    const second = await mount("p2");
    expect(second.el.querySelector(".widgets-host .widgets-host")?.textContent).toBe("child:7");
    expect(probe.exports.at(-1)).toBe("c1");
  });

  it("waits for a model the kernel has not opened yet, like get_model", async () => {
    open("p1", PARENT, { children: ["IPY_MODEL_late"] });
    const pending = mount("p1");
    await new Promise((r) => setTimeout(r, 5));
    open("late", CHILD, { value: 3 });
    const { el } = await pending;
    expect(shown(slots(el)[0])).toBe("child:3");
  });

  it("child views of one model are independent: disposing one leaves the others live", async () => {
    open("c1", CHILD, { value: 1 });
    open("p1", PARENT, { children: ["c1", "c1"] });
    const { el } = await mount("p1");
    const [first, second] = slots(el);
    probe.disposers[0]?.();
    expect(probe.log).toContain("cleanup:c1");
    expect(probe.log).toContain("view-abort:c1");
    kernel.deliver("c1", update(1, { state: { value: 2 } }));
    expect(shown(second)).toBe("child:2");
    expect(shown(first)).toBe("child:1"); // its listener went with it
    probe.disposers[0]?.(); // twice: nothing more
    expect(probe.log.filter((l) => l === "cleanup:c1")).toHaveLength(1);
  });

  it("every child view goes with the parent view, and so do the parent's listeners on child models", async () => {
    open("c1", CHILD, { value: 1 });
    open(
      "p1",
      `export default { async render({ el, host }) {
        const child = await host.getWidget("c1");
        child.model.on("change:value", () => ${P}.log.push("parent saw change"));
        for (let i = 0; i < 2; i++) {
          const slot = document.createElement("div");
          slot.className = "slot";
          el.append(slot);
          await child.render(slot);
        }
      } };`,
      {},
    );
    const { view } = await mount("p1");
    const model = manager.lookup("c1") as WidgetModel;
    const before = model.listenerCount();
    view.dispose();
    expect(probe.log.filter((l) => l === "cleanup:c1")).toHaveLength(2);
    expect(model.listenerCount()).toBeLessThan(before);
    kernel.deliver("c1", update(1, { state: { value: 5 } }));
    expect(probe.log).not.toContain("parent saw change");
  });

  it("render({ el, signal }) disposes the child view when that signal aborts; a render after the parent is gone does nothing", async () => {
    open("c1", CHILD, { value: 1 });
    let handle: ChildWidget | null = null;
    const controller = new AbortController();
    open(
      "p1",
      `export default { async render({ el, host }) {
        const child = await host.getWidget("c1");
        ${P}.results.push(child);
        await child.render({ el, signal: ${P}.abortWith });
      } };`,
      {},
    );
    probe.abortWith = controller.signal;
    const { view } = await mount("p1");
    handle = probe.results[0] as ChildWidget;
    controller.abort();
    expect(probe.log).toContain("cleanup:c1");
    view.dispose();
    const slot = document.createElement("div");
    const dispose = await handle.render(slot);
    expect(slot.textContent).toBe("");
    dispose();
  });

  it("a child view that fails shows its error in its own element; the parent and its other children are unharmed", async () => {
    open("c1", CHILD, { value: 1 });
    open("bad", `export default { render() { throw new Error("child broke"); } };`, {});
    open("badinit", `export default { initialize() { throw new Error("init broke"); }, render() {} };`, {});
    open("p1", PARENT, { children: ["bad", "c1", "badinit"] });
    const { el } = await mount("p1");
    const [bad, good, badInit] = slots(el);
    expect(bad?.querySelector(".widgets-render-error")?.textContent).toContain("child broke");
    expect(shown(good)).toBe("child:1");
    expect(badInit?.querySelector(".widgets-render-error")?.textContent).toContain("init broke");
    expect(probe.exports[2]).toBeUndefined();
    expect((el.firstElementChild as HTMLElement).dataset.kind).toBe(""); // the parent's own banner
  });

  it("a child model the kernel closes shows closed in its child view", async () => {
    open("c1", CHILD, { value: 1 });
    open("p1", PARENT, { children: ["c1"] });
    const { el } = await mount("p1");
    kernel.closeFromKernel("c1");
    const slot = slots(el)[0] as HTMLElement;
    expect(slot.dataset.status).toBe("closed");
    expect(slot.querySelector(".widgets-banner")?.textContent).toContain("closed");
    expect(el.dataset.status).not.toBe("closed");
  });

  it("works for offline models: children come from the saved state", async () => {
    const [childEsm, childText] = module(CHILD);
    const [parentEsm, parentText] = module(PARENT);
    const saved = SavedModels.parse({
      format: "widgets-state",
      version: 1,
      protocol: "2.0",
      classes: [
        { name: "t.Child", esm: childEsm, css: null, read_only: [], keys: ["value"] },
        { name: "t.Parent", esm: parentEsm, css: null, read_only: [], keys: ["children"] },
      ],
      assets: { [childEsm]: childText, [parentEsm]: parentText },
      models: { c: [0, [4]], p: [1, [["IPY_MODEL_c", "anywidget:c"]]] },
    });
    const { el } = await mount("p", saved);
    expect(slots(el).map(shown)).toEqual(["child:4", "child:4"]);
    expect((probe.exports[0] as { greet(n: string): string }).greet("x")).toBe("hi x from c");
  });
});

describe("calls through a view", () => {
  it("experimental.invoke resolves to [result, buffers]; the view's calls abort when it goes away", async () => {
    open(
      "v1",
      `export default { render({ model, experimental }) {
        ${P}.results.push(experimental.invoke("first", { a: 1 }));
        ${P}.results.push(model.invoke("second"));
      } };`,
      {},
    );
    const { view } = await mount("v1");
    const [first, second] = probe.results as [Promise<[unknown, DataView[]]>, Promise<unknown>];
    const [a, b] = kernel.messages("invoke").map((s) => s.data.id as string);
    kernel.deliver("v1", envelope("invoke_reply", { id: a, result: "ok" }), [new Uint8Array([1, 2]).buffer]);
    const [result, buffers] = await first;
    expect(result).toBe("ok");
    expect(buffers.map((d) => d.byteLength)).toEqual([2]);
    view.dispose();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    expect(kernel.messages("invoke_abort").map((s) => s.data.id)).toEqual([b]);
  });
});

describe("React: WidgetView and useWidget", () => {
  let parent: WidgetModel;
  let controller: AbortController;
  let host: ViewHost;
  let el: HTMLElement;
  let unmount: () => unknown;

  beforeEach(async () => {
    const esm = open("c1", CHILD, { value: 1 });
    openAgain("c2", esm, { value: 2 });
    kernel.open("rp", {});
    parent = await manager.get_model("rp");
    controller = new AbortController();
    const added: Listeners = [];
    host = new ViewHost(manager, added, controller.signal, (target, modelId) => {
      const view = new View(target, modelId);
      return { rendered: view.render(manager), dispose: () => view.dispose() };
    });
    el = document.createElement("div");
    document.body.append(el);
  });

  afterEach(async () => {
    await act(async () => void unmount?.());
    controller.abort();
  });

  async function render(Component: () => ReturnType<typeof createElement> | null): Promise<void> {
    const widget = createRender(() => createElement(StrictMode, null, createElement(Component)));
    const signal = controller.signal;
    await act(async () => {
      unmount = (await widget.render({ model: scoped(parent, [], signal), el, signal, host, experimental: experimental(parent, signal) })) as () => unknown;
    });
  }

  const settle = (): Promise<void> => act(() => new Promise<void>((r) => setTimeout(r, 20)));

  it("<WidgetView> renders the child, follows a ref change, and disposes its view on change and unmount", async () => {
    let setRef: (ref: string | null) => void = () => undefined;
    await render(() => {
      const [ref, set] = useState<string | null>("IPY_MODEL_c1");
      setRef = set;
      return ref === null ? null : createElement(WidgetView, { model: ref, className: "kid" });
    });
    await settle();
    expect(el.querySelector(".kid .widgets-host")?.textContent).toBe("child:1");
    expect(host.childViews).toBe(1); // StrictMode's first effect was undone
    await act(async () => setRef("anywidget:c2"));
    await settle();
    expect(el.querySelector(".kid .widgets-host")?.textContent).toBe("child:2");
    expect(probe.log).toContain("cleanup:c1");
    expect(host.childViews).toBe(1);
    await act(async () => setRef(null));
    expect(probe.log).toContain("cleanup:c2");
    expect(host.childViews).toBe(0);
  });

  it("<WidgetView> of a model there is not shows why", async () => {
    manager.markRestored();
    await render(() => createElement(WidgetView, { model: "missing" }));
    await settle();
    expect(el.querySelector("[role=alert]")?.textContent).toContain("missing");
  });

  it("useWidget returns null while loading, then the child handle with its exports and model", async () => {
    const seen: (ChildWidget | null)[] = [];
    await render(() => {
      const child = useWidget("c1");
      seen.push(child);
      return createElement("span", { className: "greeting" }, child ? (child.exports as { greet(n: string): string }).greet("r") : "loading");
    });
    expect(seen[0]).toBeNull();
    await settle();
    expect(el.querySelector(".greeting")?.textContent).toBe("hi r from c1");
    expect(seen.at(-1)?.model.model_id).toBe("c1");
  });
});

import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { NOT_IN_KERNEL_NOTICE, SAVED_NOTICE, SavedModels } from "../src/offline";
import type { ErrorEntry } from "../src/protocol";
import { View } from "../src/view";
import { envelope, FakeKernel, type Sent } from "./fakeKernel";
import { installImporter } from "./importer";

let count = 0;
let esm = "";
const views: View[] = [];

beforeAll(() => installImporter());

beforeEach(() => {
  // A fresh module hash per test: the module cache is per page.
  esm = `offline-esm-${++count}`;
  document.body.replaceChildren();
});

afterEach(() => {
  for (const view of views.splice(0)) view.dispose();
  vi.restoreAllMocks();
});

const SOURCE = `export default { render({ model, el }) {
  const show = () => { el.textContent = model.get("label") + ":" + model.get("value"); };
  show();
  model.on("change", show);
} }`;

/** A state document with a counter `a` (referring to `b`) and a counter `b`. */
function documentText(): string {
  return JSON.stringify({
    format: "widgets-state",
    version: 1,
    protocol: "2.0",
    classes: [{ name: "test.Counter", esm, css: null, read_only: ["status"], keys: ["label", "status", "value"] }],
    assets: { [esm]: SOURCE },
    models: { a: [0, ["A", "ok", 1]], b: [0, ["IPY_MODEL_a", "ok", 2]] },
  });
}

function saved(notice = SAVED_NOTICE, report: "warn" | "error" = "error"): SavedModels {
  return SavedModels.parse(documentText(), { notice, report });
}

const model = (models: SavedModels, id: string): WidgetModel => models.lookup(id) as WidgetModel;

async function rendered(models: SavedModels, id: string): Promise<View> {
  const el = document.createElement("div");
  document.body.append(el);
  const view = new View(el, id);
  views.push(view);
  await view.render(models);
  return view;
}

describe("models without a kernel", () => {
  it("are offline and ready, with the saved values, class and module", async () => {
    const models = saved();
    const a = model(models, "a");
    expect(a.status).toBe("offline");
    expect(a.reason).toBe(SAVED_NOTICE);
    expect(a.ready).toBe(true);
    expect(a.className).toBe("test.Counter");
    expect(a.esmHash).toBe(esm);
    expect(a.state()).toEqual({ label: "A", status: "ok", value: 1 });
    expect(await models.asset(esm)).toBe(SOURCE);
  });

  it("set and save_changes commit locally: change events fire, no error, nothing pending", () => {
    const a = model(saved(), "a");
    const changes: unknown[] = [];
    const errors: ErrorEntry[] = [];
    a.on("change:value", (_: unknown, value: unknown) => changes.push(value));
    a.on("error", (entry: ErrorEntry) => errors.push(entry));
    a.set("value", 5);
    a.save_changes();
    a.set("value", 6);
    a.save_changes();
    expect(changes).toEqual([5, 6]);
    expect(a.get("value")).toBe(6);
    expect(errors).toEqual([]);
    expect(a.pendingWrites()).toBe(0);
    // A kernel-owned key stays refused, as with a kernel.
    a.set("status", "hacked");
    expect(a.get("status")).toBe("ok");
    expect(errors.map((e) => e.kind)).toEqual(["read_only"]);
  });

  it("send is reported once per model: an error event, or a console warning in exported pages", () => {
    const a = model(saved(), "a");
    const errors: ErrorEntry[] = [];
    a.on("error", (entry: ErrorEntry) => errors.push(entry));
    a.send({ click: 1 });
    a.send({ click: 2 });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.kind).toBe("disconnected");
    expect(errors[0]?.message).toContain("not delivered");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const page = saved("", "warn");
    model(page, "a").send(1);
    model(page, "a").send(2);
    model(page, "b").send(3);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("widget_manager.get_model resolves saved models, and says a missing one is not in the saved state; create rejects", async () => {
    const models = saved();
    const b = model(models, "b");
    expect(await b.widget_manager.get_model(b.get("label") as string)).toBe(model(models, "a"));
    await expect(b.widget_manager.get_model("IPY_MODEL_zz")).rejects.toThrow("the model zz is not in the saved state");
    await expect(b.widget_manager.create("test.Counter", {})).rejects.toThrow("no kernel");
  });

  it("a view shows the disconnected banner with the notice, undimmed; in exported pages no banner", async () => {
    const view = await rendered(saved(), "a");
    expect(view.host.textContent).toBe("A:1");
    const banner = view.el.querySelector(".widgets-banner") as HTMLElement;
    expect(banner.dataset.kind).toBe("disconnected");
    expect(banner.textContent).toBe(SAVED_NOTICE);
    expect(view.el.dataset.status).toBe("offline");
    const base = document.querySelector("style[data-widgets-base]")?.textContent ?? "";
    expect(base).toContain('.widgets-view[data-status="disconnected"] > .widgets-host');
    expect(base).not.toContain("offline");
    const page = await rendered(saved(""), "a");
    expect((page.el.querySelector(".widgets-banner") as HTMLElement).dataset.kind).toBe("");
    expect(page.el.querySelector(".widgets-banner")?.textContent).toBe("");
  });
});

describe("takeover by a kernel that has the models", () => {
  let kernel: FakeKernel;

  beforeEach(() => {
    kernel = new FakeKernel();
  });

  function controlComm(): Sent {
    const open = kernel.sent.find((s) => s.kind === "open" && s.target === "widgets.control");
    if (!open) throw new Error("no control comm");
    return open;
  }

  function replyRestore(models: Record<string, unknown>[]): void {
    const request = kernel.last("restore");
    kernel.deliver(controlComm().commId, envelope("restore_reply", { request: request.data.request, models, assets: {} }));
  }

  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

  it("the same model object becomes live: the kernel's values, change events for the keys that differ, no re-render", async () => {
    const models = saved();
    const view = await rendered(models, "a");
    const a = model(models, "a");
    a.set("label", "typed offline");
    const changed: string[] = [];
    let renders = 0;
    a.on("change:label", () => changed.push("label"));
    a.on("change:value", () => changed.push("value"));
    a.on("change:status", () => changed.push("status"));
    a.on("status", () => renders++);
    const manager = new WidgetManager(kernel, { restoreOnDemand: true });
    const adopted = manager.adopt(models);
    expect(kernel.last("restore")).toBeTruthy();
    replyRestore([{ model_id: "a", class: "test.Counter", rev: 7, state: { label: "A", status: "ok", value: 10 }, esm, css: null, read_only: ["status"] }]);
    await adopted;
    expect(manager.lookup("a")).toBe(a);
    expect(await manager.get_model("a")).toBe(a);
    expect(a.status).toBe("live");
    expect(a.rev).toBe(7);
    // The offline write gave way to the kernel's value (an event: it shows "A" again); value changed; status did not.
    expect(changed.sort()).toEqual(["label", "value"]);
    expect(a.state()).toEqual({ label: "A", status: "ok", value: 10 });
    expect(view.host.textContent).toBe("A:10");
    expect(view.el.querySelector(".widgets-banner")?.textContent).toBe("");
    expect(view.el.dataset.status).toBe("live");
    expect(renders).toBe(1);
    // Now writes go to the kernel, on the model's comm, as this manager's client.
    a.set("value", 11);
    a.save_changes();
    const sent = kernel.last("update");
    expect(sent.commId).toBe("a");
    expect(sent.data).toMatchObject({ client: manager.client, seq: 1, state: { value: 11 } });
    expect(a.widget_manager.get_model).toBeTypeOf("function");
    expect(await a.widget_manager.get_model("a")).toBe(a);
    // A model the kernel does not have stays offline, and says so.
    const b = model(models, "b");
    expect(b.status).toBe("offline");
    expect(b.reason).toBe(NOT_IN_KERNEL_NOTICE);
    expect(manager.lookup("b")).toBeUndefined();
    expect(models.offlineModels()).toEqual([b]);
    // The offline model still finds its (now live) neighbour.
    expect(await b.widget_manager.get_model("IPY_MODEL_a")).toBe(a);
  });

  it("the banner of a model the kernel lacks changes in place", async () => {
    const models = saved();
    const view = await rendered(models, "b");
    const manager = new WidgetManager(kernel, { restoreOnDemand: true });
    const adopted = manager.adopt(models);
    replyRestore([]);
    await adopted;
    expect(view.el.querySelector(".widgets-banner")?.textContent).toBe(NOT_IN_KERNEL_NOTICE);
    expect(view.el.dataset.status).toBe("offline");
  });

  it("a kernel without widgets (the control comm is closed) leaves them offline, saying so", async () => {
    const models = saved();
    const manager = new WidgetManager(kernel, { restoreOnDemand: true });
    const adopted = manager.adopt(models);
    kernel.closeFromKernel(controlComm().commId);
    await adopted;
    expect(model(models, "a").reason).toBe(NOT_IN_KERNEL_NOTICE);
    expect(manager.lookup("a")).toBeUndefined();
  });

  it("a fresh kernel (no restore) has none of them: no request, the notice at once", async () => {
    const models = saved();
    const manager = new WidgetManager(kernel);
    await manager.adopt(models);
    expect(kernel.messages("restore")).toEqual([]);
    expect(model(models, "a").reason).toBe(NOT_IN_KERNEL_NOTICE);
  });

  it("a kernel `open` of a saved model's id takes that model over too", async () => {
    const models = saved();
    const manager = new WidgetManager(kernel);
    void manager.adopt(models);
    kernel.open("b", { label: "live", status: "ok", value: 3 }, { class: "test.Counter", esm, read_only: ["status"] });
    await tick();
    expect(manager.lookup("b")).toBe(model(models, "b"));
    expect(model(models, "b").status).toBe("live");
    expect(model(models, "b").get("label")).toBe("live");
  });
});

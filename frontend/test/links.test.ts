/**
 * Eager models (docs/protocol.md, `eager`): the runtime runs their module's `initialize` as soon as
 * it has the model, with no view, live and from saved state; only for eager classes. The module
 * is the real jslink one (widgets/controls/js/link.js).
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { METADATA_KEY, type NotebookModelLike, saveState } from "../extension/saving";
import { renderPage } from "../extension/embed";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { SavedModels } from "../src/offline";
import { MIMETYPE } from "../src/protocol";
import { parseSaved, withEager } from "../src/saved";
import { envelope, FakeKernel, type Sent, update } from "./fakeKernel";
import { readRepoFile } from "./files";
import { installImporter } from "./importer";

/** link.js as a self-contained module (its prelude import imports nothing). */
const LINK = (readRepoFile("widgets/controls/js/link.js") ?? "").replace(/^import \{\} from "\.\/_prelude\.js";\n/, "");

/** A class whose `initialize` counts its runs (globalThis.__eagerRuns), for eager and lazy classes alike. */
const COUNTING = `export default {
  initialize({ model }) { globalThis.__eagerRuns.push(model.model_id); },
  render({ model, el }) { el.textContent = String(model.get("value")); },
}`;

let count = 0;
let linkEsm = "";
let sliderEsm = "";
let countingEsm = "";

beforeAll(() => installImporter());

beforeEach(() => {
  // Fresh hashes per test: the module cache is per page.
  count++;
  linkEsm = `link-esm-${count}`;
  sliderEsm = `slider-esm-${count}`;
  countingEsm = `counting-esm-${count}`;
  (globalThis as { __eagerRuns?: string[] }).__eagerRuns = [];
  (globalThis as { __sliders?: Record<string, WidgetModel> }).__sliders = {};
  document.body.replaceChildren();
});

afterEach(() => vi.restoreAllMocks());

const shown = (): Record<string, WidgetModel> => (globalThis as { __sliders?: Record<string, WidgetModel> }).__sliders ?? {};
const runs = (): string[] => (globalThis as { __eagerRuns?: string[] }).__eagerRuns ?? [];
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

const ASSETS = (): Record<string, string> => ({
  [linkEsm]: `${LINK}\n// ${linkEsm}`,
  [sliderEsm]: `export default { render({ model }) { globalThis.__sliders[model.model_id] = model.model; } }\n// ${sliderEsm}`,
  [countingEsm]: `${COUNTING}\n// ${countingEsm}`,
});

/** A state document: sliders a and b, the link between them, and two counting models (one eager, one not). */
function documentText(withLink = true): string {
  const models: Record<string, unknown[]> = { a: [0, [4]], b: [0, [4]], lazy: [2, [0]], keen: [3, [0]] };
  if (withLink) models.ab = [1, [["IPY_MODEL_a", "value"], ["IPY_MODEL_b", "value"], true]];
  return JSON.stringify({
    format: "widgets-state",
    version: 1,
    protocol: "2.0",
    classes: [
      { name: "test.Slider", esm: sliderEsm, css: null, read_only: [], keys: ["value"] },
      { name: "widgets.controls.links.Link", esm: linkEsm, css: null, read_only: ["source", "target", "two_way"], keys: ["source", "target", "two_way"], eager: true },
      { name: "test.Lazy", esm: countingEsm, css: null, read_only: [], keys: ["value"] },
      { name: "test.Keen", esm: countingEsm, css: null, read_only: [], keys: ["value"], eager: true },
    ],
    assets: ASSETS(),
    models,
  });
}

describe("eager models, live", () => {
  let kernel: FakeKernel;
  let manager: WidgetManager;

  beforeEach(() => {
    kernel = new FakeKernel();
    manager = new WidgetManager(kernel, { client: "tab1" });
  });

  const slider = (id: string, value: number): void =>
    kernel.open(id, { value }, { class: "test.Slider", esm: sliderEsm, assets: { [sliderEsm]: ASSETS()[sliderEsm] } });

  const link = (id: string, source: string, target: string, twoWay = true): void =>
    kernel.open(
      id,
      { source: [`IPY_MODEL_${source}`, "value"], target: [`IPY_MODEL_${target}`, "value"], two_way: twoWay },
      { class: "widgets.controls.links.Link", esm: linkEsm, eager: true, assets: { [linkEsm]: ASSETS()[linkEsm] }, read_only: ["source", "target", "two_way"] },
    );

  const updates = (commId: string): Sent[] => kernel.messages("update").filter((sent) => sent.commId === commId);
  const get = (id: string): WidgetModel => manager.lookup(id) as WidgetModel;

  it("runs initialize when the model opens, with no view: a jslink copies the source, then follows both ways", async () => {
    slider("a", 3);
    slider("b", 8);
    link("ab", "a", "b");
    expect(get("ab").eager).toBe(true);
    expect(get("a").eager).toBe(false);
    await vi.waitFor(() => expect(get("b").get("value")).toBe(3));
    expect(updates("b").map((sent) => sent.data.state)).toEqual([{ value: 3 }]);
    // A kernel change of a (an update) moves b, and b's new value goes to the kernel.
    kernel.deliver("b", update(1, { state: { value: 3 }, ack: { client: "tab1", seq: 1 } }));
    kernel.deliver("a", update(1, { state: { value: 6 } }));
    expect(get("b").get("value")).toBe(6);
    expect(updates("b").at(-1)?.data.state).toEqual({ value: 6 });
    // A view's change of b moves a: once, and the echo does not bounce back.
    kernel.deliver("b", update(2, { state: { value: 6 }, ack: { client: "tab1", seq: 2 } }));
    get("b").set("value", 1);
    get("b").save_changes();
    expect(get("a").get("value")).toBe(1);
    expect(updates("a").map((sent) => sent.data.state)).toEqual([{ value: 1 }]);
    expect(updates("b")).toHaveLength(3);
  });

  it("a directional link copies one way only; closing the link ends it", async () => {
    slider("a", 1);
    slider("b", 2);
    link("ab", "a", "b", false);
    await vi.waitFor(() => expect(get("b").get("value")).toBe(1));
    get("b").set("value", 5);
    expect(get("a").get("value")).toBe(1);
    get("a").set("value", 7);
    expect(get("b").get("value")).toBe(7);
    expect(get("a").listenerCount("change:value")).toBe(1);
    kernel.closeFromKernel("ab");
    expect(get("a").listenerCount("change:value")).toBe(0);
    get("a").set("value", 9);
    expect(get("b").get("value")).toBe(7);
  });

  it("initializes only eager classes, once, also when a restore brings the model again", async () => {
    const counting = { class: "test.Keen", esm: countingEsm, assets: { [countingEsm]: ASSETS()[countingEsm] } };
    kernel.open("keen", { value: 0 }, { ...counting, eager: true });
    kernel.open("lazy", { value: 0 }, { ...counting, class: "test.Lazy" });
    await vi.waitFor(() => expect(runs()).toEqual(["keen"]));
    kernel.deliver("keen", envelope("state", { rev: 0, state: { value: 0 }, esm: countingEsm, css: null, eager: true }));
    await tick();
    await tick();
    expect(runs()).toEqual(["keen"]);
  });

  it("refuses an eager flag that is not a boolean", () => {
    kernel.open("odd", { value: 0 }, { class: "test.Odd", eager: "yes" });
    return expect(manager.get_model("odd")).rejects.toThrow(/'eager' must be true or false/);
  });
});

describe("eager models from saved state", () => {
  it("run initialize when the document is read, with no view: the saved sliders stay linked", async () => {
    const models = SavedModels.parse(documentText());
    const a = models.lookup("a") as WidgetModel;
    const b = models.lookup("b") as WidgetModel;
    await vi.waitFor(() => expect(a.listenerCount("change:value")).toBe(1));
    expect(runs()).toEqual(["keen"]); // the eager counting class, not the lazy one
    a.set("value", 9);
    expect(b.get("value")).toBe(9);
    b.set("value", 2);
    expect(a.get("value")).toBe(2);
    expect(a.status).toBe("offline");
  });

  it("in an exported page too", async () => {
    document.body.innerHTML = `<script type="application/vnd.widgets.state+json"></script><div data-widgets-view="a"></div><div data-widgets-view="b"></div>`;
    (document.querySelector("script") as HTMLScriptElement).textContent = documentText();
    const views = renderPage(document);
    await vi.waitFor(() => expect(Object.keys(shown()).sort()).toEqual(["a", "b"]));
    await vi.waitFor(() => expect(runs()).toEqual(["keen"]));
    const { a, b } = shown() as { a: WidgetModel; b: WidgetModel };
    await vi.waitFor(() => expect(a.listenerCount("change:value")).toBe(1));
    a.set("value", 11);
    expect(b.get("value")).toBe(11);
    for (const view of views) view.dispose();
  });

  it("a kernel that takes the models over keeps the one link: no second initialize, no double copy", async () => {
    const models = SavedModels.parse(documentText());
    const a = models.lookup("a") as WidgetModel;
    const b = models.lookup("b") as WidgetModel;
    await vi.waitFor(() => expect(a.listenerCount("change:value")).toBe(1));
    const kernel = new FakeKernel();
    const manager = new WidgetManager(kernel, { client: "tab1", restoreOnDemand: true });
    const adopted = manager.adopt(models);
    const control = kernel.sent.find((sent) => sent.kind === "open" && sent.target === "widgets.control") as Sent;
    const request = kernel.last("restore").data.request;
    const body = (id: string, cls: string, state: Record<string, unknown>, esm: string, extra: Record<string, unknown> = {}) => ({
      model_id: id,
      class: cls,
      rev: 3,
      state,
      esm,
      css: null,
      read_only: [],
      ...extra,
    });
    const linkState = { source: ["IPY_MODEL_a", "value"], target: ["IPY_MODEL_b", "value"], two_way: true };
    kernel.deliver(
      control.commId,
      envelope("restore_reply", {
        request,
        assets: {},
        models: [
          body("a", "test.Slider", { value: 4 }, sliderEsm),
          body("b", "test.Slider", { value: 4 }, sliderEsm),
          body("ab", "widgets.controls.links.Link", linkState, linkEsm, { eager: true, read_only: ["source", "target", "two_way"] }),
          body("keen", "test.Keen", { value: 0 }, countingEsm, { eager: true }),
        ],
      }),
    );
    await adopted;
    await tick();
    expect(manager.lookup("a")).toBe(a);
    expect(a.status).toBe("live");
    expect(a.listenerCount("change:value")).toBe(1);
    expect(runs()).toEqual(["keen"]);
    a.set("value", 8);
    a.save_changes();
    expect(b.get("value")).toBe(8);
    expect(kernel.messages("update").filter((sent) => sent.commId === "b").map((sent) => sent.data.state)).toEqual([{ value: 8 }]);
  });

  it("reads the class flag, refusing one that is not a boolean", () => {
    const doc = parseSaved(documentText());
    expect(doc.classes.map((cls) => cls.eager ?? false)).toEqual([false, true, false, true]);
    const bad = JSON.parse(documentText()) as { classes: Record<string, unknown>[] };
    (bad.classes[1] as Record<string, unknown>).eager = 1;
    expect(() => parseSaved(bad)).toThrow(/class 1: eager must be true or false/);
  });
});

describe("saving eager models", () => {
  class Notebook implements NotebookModelLike {
    readonly metadata = new Map<string, unknown>();
    constructor(private readonly ids: string[]) {}
    get cells() {
      const data = this.ids.map((id) => ({ data: { [MIMETYPE]: { model_id: id, protocol: "2.0" } } }));
      return { length: 1, get: () => ({ type: "code", outputs: { length: data.length, get: (i: number) => data[i] as { data: Record<string, unknown> } } }) };
    }
    getMetadata(key: string): unknown {
      return this.metadata.get(key);
    }
    setMetadata(key: string, value: unknown): void {
      this.metadata.set(key, value);
    }
    deleteMetadata(key: string): void {
      this.metadata.delete(key);
    }
  }

  const savedIds = (notebook: Notebook): string[] => {
    const text = (notebook.metadata.get(METADATA_KEY) as { state: string }).state;
    return [...parseSaved(text).models.keys()].sort();
  };

  it("a link is saved when both its ends are, not when one is missing", () => {
    const models = SavedModels.parse(documentText());
    const all = models.offlineModels();
    const both = new Notebook(["a", "b"]);
    saveState(both, (id) => models.lookup(id), true, all);
    expect(savedIds(both)).toEqual(["a", "ab", "b"]);
    const one = new Notebook(["a"]);
    saveState(one, (id) => models.lookup(id), true, all);
    expect(savedIds(one)).toEqual(["a"]);
    const written = parseSaved((both.metadata.get(METADATA_KEY) as { state: string }).state);
    expect(written.models.get("ab")?.cls.eager).toBe(true);
    expect(written.models.get("a")?.cls.eager).toBeUndefined();
  });

  it("withEager: eager models between the chosen ones, transitively; not closed ones, not lazy ones", () => {
    const models = SavedModels.parse(documentText());
    const get = (id: string): WidgetModel => models.lookup(id) as WidgetModel;
    expect(withEager([get("a"), get("b")], models.offlineModels()).map((m) => m.model_id)).toEqual(["a", "b", "ab"]);
    expect(withEager([get("a")], models.offlineModels()).map((m) => m.model_id)).toEqual(["a"]);
    // keen refers to nothing: never added (only eager models between saved ones are).
    expect(withEager([get("lazy")], models.offlineModels()).map((m) => m.model_id)).toEqual(["lazy"]);
    get("ab").close();
    expect(withEager([get("a"), get("b")], [get("ab")]).map((m) => m.model_id)).toEqual(["a", "b"]);
  });
});

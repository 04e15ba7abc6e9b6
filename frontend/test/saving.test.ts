import { beforeEach, describe, expect, it } from "vitest";
import { METADATA_KEY, type NotebookModelLike, outputModelIds, saveState } from "../extension/saving";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { SavedModels } from "../src/offline";
import { MIMETYPE } from "../src/protocol";
import { parseSaved } from "../src/saved";
import { FakeKernel } from "./fakeKernel";

/** A notebook model as saving.ts reads it: cells with outputs, and metadata. */
class FakeNotebook implements NotebookModelLike {
  readonly metadata = new Map<string, unknown>();
  writes = 0;
  private readonly list: { type: string; outputs?: { length: number; get(i: number): { data: Record<string, unknown> } } }[] = [];

  constructor(cells: (string | Record<string, unknown>)[][]) {
    for (const outputs of cells) {
      const data = outputs.map((out) => ({ data: typeof out === "string" ? { [MIMETYPE]: { model_id: out, protocol: "2.0" } } : out }));
      this.list.push({ type: "code", outputs: { length: data.length, get: (i) => data[i] as { data: Record<string, unknown> } } });
    }
    this.list.push({ type: "markdown" });
  }

  get cells() {
    return { length: this.list.length, get: (i: number) => this.list[i] as { type: string } };
  }

  getMetadata(key: string): unknown {
    return this.metadata.get(key);
  }

  setMetadata(key: string, value: unknown): void {
    this.writes++;
    this.metadata.set(key, JSON.parse(JSON.stringify(value)));
  }

  deleteMetadata(key: string): void {
    this.writes++;
    this.metadata.delete(key);
  }
}

let kernel: FakeKernel;
let manager: WidgetManager;

beforeEach(() => {
  kernel = new FakeKernel();
  manager = new WidgetManager(kernel);
});

const ESM = "export default { render() {} }";

function open(modelId: string, state: Record<string, unknown>): void {
  kernel.open(modelId, state, { class: "test.Box", esm: "saving-esm", assets: { "saving-esm": ESM } });
}

const stateOf = (notebook: FakeNotebook) => (notebook.metadata.get(METADATA_KEY) as { state?: string } | undefined)?.state;

describe("saving widget state with the notebook", () => {
  it("finds our outputs in the notebook model, in order", () => {
    const notebook = new FakeNotebook([["a", { "text/plain": "x" }], [], ["b", "a"]]);
    expect(outputModelIds(notebook)).toEqual(["a", "b", "a"]);
  });

  it("writes the models of the outputs and those they reach, at the values shown, and nothing else", () => {
    open("box", { children: ["IPY_MODEL_kid"], value: 1 });
    open("kid", { value: 2 });
    open("stray", { value: 3 });
    manager.lookup("box")?.set("value", 9);
    const notebook = new FakeNotebook([["box"], ["gone"]]);
    saveState(notebook, (id) => manager.lookup(id), true);
    const parsed = parseSaved(stateOf(notebook) as string);
    expect([...parsed.models.keys()]).toEqual(["box", "kid"]);
    expect(parsed.models.get("box")?.state.value).toBe(9);
    // Saving again with nothing changed leaves the notebook untouched.
    const writes = notebook.writes;
    saveState(notebook, (id) => manager.lookup(id), true);
    expect(notebook.writes).toBe(writes);
  });

  it("uses saved models for outputs the page has no live model of", () => {
    open("live1", { value: 1 });
    const earlier = new FakeNotebook([["live1"]]);
    saveState(earlier, (id) => manager.lookup(id), true);
    const saved = SavedModels.parse(stateOf(earlier) as string);
    (saved.lookup("live1") as WidgetModel).set("value", 5);
    const notebook = new FakeNotebook([["live1"]]);
    saveState(notebook, (id) => new WidgetManager(new FakeKernel()).lookup(id) ?? saved.lookup(id), true);
    expect(parseSaved(stateOf(notebook) as string).models.get("live1")?.state.value).toBe(5);
  });

  it("removes the state when the notebook says save_state false, or the setting is off; keeps the flag", () => {
    open("m", { value: 1 });
    const notebook = new FakeNotebook([["m"]]);
    saveState(notebook, (id) => manager.lookup(id), true);
    expect(stateOf(notebook)).toBeTypeOf("string");
    saveState(notebook, (id) => manager.lookup(id), false);
    expect(notebook.metadata.has(METADATA_KEY)).toBe(false);
    notebook.setMetadata(METADATA_KEY, { state: "old", save_state: false });
    saveState(notebook, (id) => manager.lookup(id), true);
    expect(notebook.metadata.get(METADATA_KEY)).toEqual({ save_state: false });
  });

  it("writes no state when no output has a model the page knows", () => {
    const notebook = new FakeNotebook([["unknown"]]);
    saveState(notebook, (id) => manager.lookup(id), true);
    expect(notebook.metadata.has(METADATA_KEY)).toBe(false);
  });
});

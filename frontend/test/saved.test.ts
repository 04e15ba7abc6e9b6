import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { knownAsset } from "../src/assets";
import type { NDArray } from "../src/buffers";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { SavedModels } from "../src/offline";
import { ProtocolError } from "../src/protocol";
import { parseSaved, reachable, SAVED_VERSION, writeSaved } from "../src/saved";
import { FakeKernel } from "./fakeKernel";
import { readRepoFile } from "./files";
import { installImporter } from "./importer";

// The shared cases hold an eager class, whose module the offline models load at once (from a blob: URL).
beforeAll(() => installImporter());

let kernel: FakeKernel;
let manager: WidgetManager;

beforeEach(() => {
  kernel = new FakeKernel();
  manager = new WidgetManager(kernel);
});

const ESM = "export default { render({ model, el }) { el.textContent = String(model.get('value')); } }";
const CSS = ".x { color: red }";

/** A live model the kernel opened, with its module (and stylesheet) learned by the page. */
function live(modelId: string, state: Record<string, unknown>, extra: Record<string, unknown> = {}, buffers: ArrayBuffer[] = []): WidgetModel {
  kernel.open(modelId, state, { class: "test.Counter", esm: "esm-saved-1", css: "css-saved-1", assets: { "esm-saved-1": ESM, "css-saved-1": CSS }, ...extra }, buffers);
  const model = manager.lookup(modelId);
  if (!model?.ready) throw new Error(`no model ${modelId}`);
  return model;
}

function protocolError(run: () => unknown): ProtocolError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error("expected a ProtocolError");
}

/** A minimal valid document with `models`, as JSON, for the refusal tests. */
function doc(models: unknown, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: "widgets-state",
    version: 1,
    protocol: "2.0",
    classes: [{ name: "t.C", esm: "h1", css: null, read_only: [], keys: ["a", "b"] }],
    assets: { h1: ESM },
    models,
    ...fields,
  };
}

describe("writeSaved -> parseSaved", () => {
  it("round-trips values, binary (bytes and ndarray), references and classes", () => {
    const bytes = new Uint8Array([0, 1, 2, 255]).buffer;
    const floats = new Float64Array([1.5, -2, 3, 4, 5, 6]);
    const child = live("child", { value: 7, label: "c" });
    const parent = live(
      "parent",
      { value: 1, label: "p", children: ["IPY_MODEL_child"], data: { $binary: "bytes" }, grid: { $binary: "ndarray", dtype: "float64", shape: [2, 3] } },
      { class: "test.Parent", buffer_paths: [["state", "data"], ["state", "grid"]] },
      [bytes, floats.buffer as ArrayBuffer],
    );
    const text = writeSaved([parent, child], knownAsset);
    const parsed = parseSaved(text);
    expect(parsed.protocol).toBe("2.0");
    expect([...parsed.models.keys()]).toEqual(["parent", "child"]);
    const p = parsed.models.get("parent");
    expect(p?.cls).toMatchObject({ name: "test.Parent", esm: "esm-saved-1", css: "css-saved-1", keys: ["children", "data", "grid", "label", "value"] });
    expect(p?.state.children).toEqual(["IPY_MODEL_child"]);
    const data = p?.state.data as DataView;
    expect(data).toBeInstanceOf(DataView);
    expect([...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]).toEqual([0, 1, 2, 255]);
    const grid = p?.state.grid as NDArray;
    expect(grid).toBeInstanceOf(Float64Array);
    expect(grid.shape).toEqual([2, 3]);
    expect(grid.dtype).toBe("float64");
    expect([...grid]).toEqual([...floats]);
    expect(parsed.models.get("child")?.state).toEqual({ label: "c", value: 7 });
    // One copy of each source however many models use it.
    expect([...parsed.assets.keys()].sort()).toEqual(["css-saved-1", "esm-saved-1"]);
    expect(parsed.assets.get("esm-saved-1")).toBe(ESM);
    expect(parsed.classes.map((c) => c.name)).toEqual(["test.Parent", "test.Counter"]);
    // The document is compact JSON with buffers as base64 inside the values' entry.
    const raw = JSON.parse(text) as { models: Record<string, unknown[]> };
    expect(raw.models.parent?.slice(2)).toEqual([[[1], [2]], ["AAEC/w==", btoa(String.fromCharCode(...new Uint8Array(floats.buffer)))]]);
    expect(text).not.toContain("\n");
  });

  it("writes the values views show: local writes included, model objects as references", () => {
    const a = live("a1", { value: 1, label: "x" });
    const b = live("b1", { value: 2, label: "y" });
    a.set("value", 41);
    a.set("label", b as never);
    const parsed = parseSaved(writeSaved([a], knownAsset));
    expect(parsed.models.get("a1")?.state).toEqual({ value: 41, label: "IPY_MODEL_b1" });
  });

  it("one class entry per (name, keys): two entries may share a name", () => {
    const one = live("k1", { value: 1 });
    const two = live("k2", { value: 2 });
    const three = live("k3", { value: 3, extra: true });
    const parsed = parseSaved(writeSaved([one, two, three], knownAsset));
    expect(parsed.classes.map((c) => [c.name, c.keys])).toEqual([
      ["test.Counter", ["value"]],
      ["test.Counter", ["extra", "value"]],
    ]);
  });

  it("leaves out a model whose module source the page does not know", () => {
    const known = live("known", { value: 1 });
    const unknown = live("unknown", { value: 2 }, { esm: "esm-nobody-knows", assets: {} });
    const parsed = parseSaved(writeSaved([known, unknown], knownAsset));
    expect([...parsed.models.keys()]).toEqual(["known"]);
  });

  it("hostile strings and a `__proto__` key read back equal", () => {
    const hostile = ["</script><script>alert(1)</script>", "<!--", "<script>", "<b onmouseover=x>", "\u2028\u2029", "IPY_MODEL_nope", "\ud83d\ude00"];
    kernel.openRaw(
      "h",
      JSON.stringify({
        protocol: "2.0",
        method: "open",
        class: "test.Hostile",
        rev: 0,
        esm: "esm-saved-1",
        css: null,
        assets: { "esm-saved-1": ESM },
        state: { texts: hostile, obj: JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}') as unknown },
      }).replace('"obj":{', '"__proto__":"proto key","obj":{'),
    );
    const model = manager.lookup("h") as WidgetModel;
    const parsed = parseSaved(writeSaved([model], knownAsset));
    const state = parsed.models.get("h")?.state as Record<string, unknown>;
    expect(state.texts).toEqual(hostile);
    expect(Object.hasOwn(state, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(state, "__proto__")?.value).toBe("proto key");
    expect(Object.getPrototypeOf(state)).toBe(Object.prototype);
    const obj = state.obj as Record<string, unknown>;
    expect(Object.hasOwn(obj, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const offline = new SavedModels(parsed).lookup("h") as WidgetModel;
    expect(offline.get("texts")).toEqual(hostile);
    expect(Object.getOwnPropertyDescriptor(offline.state(), "__proto__")?.value).toBe("proto key");
  });

  it("a model id or asset hash named `__proto__` is data", () => {
    const text = JSON.stringify(doc({ placeholder: [0, [1, 2]] })).replace('"placeholder"', '"__proto__"').replace('"h1"', '"__proto__"').replace('"h1"', '"__proto__"');
    const parsed = parseSaved(text);
    expect([...parsed.models.keys()]).toEqual(["__proto__"]);
    expect(parsed.assets.get("__proto__")).toBe(ESM);
  });
});

describe("parseSaved refuses", () => {
  it("another format, a version it does not know (naming both), another protocol major", () => {
    expect(protocolError(() => parseSaved(doc({}, { format: "other" }))).message).toContain("not a widgets-state document");
    const version = protocolError(() => parseSaved(doc({}, { version: 2 })));
    expect(version.kind).toBe("version");
    expect(version.message).toContain("version 2");
    expect(version.message).toContain(`version ${SAVED_VERSION}`);
    expect(protocolError(() => parseSaved(doc({}, { version: "1" }))).kind).toBe("version");
    const protocol = protocolError(() => parseSaved(doc({}, { protocol: "3.0" })));
    expect(protocol.kind).toBe("version");
    expect(protocol.message).toContain("3.0");
    expect(protocol.message).toContain("2.0");
    expect(protocolError(() => parseSaved(doc({}, { protocol: "2" }))).kind).toBe("version");
    expect(() => parseSaved(doc({}, { protocol: "2.7" }))).not.toThrow();
  });

  it("text that is not JSON, a document that is not an object", () => {
    expect(protocolError(() => parseSaved("{")).message).toContain("not valid JSON");
    expect(protocolError(() => parseSaved("[]")).message).toContain("not a widgets-state document");
  });

  it("bad classes and models, with messages that say where", () => {
    const cases: [unknown, string][] = [
      [doc({ m: [1, [1, 2]] }), "class index 1 is out of range"],
      [doc({ m: [0, [1]] }), "has 1 values for 2 keys"],
      [doc({ m: [0, 1, 2] }), "must be an array [class, values]"],
      [doc({ m: { a: 1 } }), "must be an array"],
      [doc({ m: [0, [1, 2]] }, { classes: [{ name: "t.C", esm: "missing", css: null, read_only: [], keys: ["a", "b"] }] }), "is not in assets"],
      [doc({ m: [0, [1, 2]] }, { classes: [{ name: "t.C", esm: null, css: null, read_only: [], keys: ["a", "a"] }] }), "keys must not repeat"],
      [doc({ m: [0, [1, 2]] }, { classes: [{ name: 3, esm: null, css: null, read_only: [], keys: [] }] }), "name must be"],
      [doc({ m: [0, [1, 2]] }, { assets: { h1: 5 } }), "assets must map"],
      [doc({ "": [0, [1, 2]] }), "must not be empty"],
      [doc({ m: [0, [1, 2], ["0"], []] }), "starting with an index"],
      [doc([]), "models must be an object"],
    ];
    for (const [input, text] of cases) {
      const error = protocolError(() => parseSaved(input));
      expect(error.kind, text).toBe("bad_message");
      expect(error.message, text).toContain(text);
    }
  });

  it("buffer framing as on the wire (bad_buffer), and base64 that is not RFC 4648 with padding", () => {
    const cases: [unknown, string][] = [
      [doc({ m: [0, [{ $binary: "bytes" }, 2]] }), "has no buffer path"],
      [doc({ m: [0, [{ $binary: "bytes" }, 2], [[0]], []] }), "1 buffer paths but 0 buffers"],
      [doc({ m: [0, [1, 2], [[0]], ["AA=="]] }), "does not lead to a binary placeholder"],
      [doc({ m: [0, [1, 2], [[0, "x"]], ["AA=="]] }), "does not resolve"],
      [doc({ m: [0, [{ $binary: "bytes" }, 2], [[0]], ["AAE"]] }), "not valid base64"], // no padding
      [doc({ m: [0, [{ $binary: "bytes" }, 2], [[0]], ["AAF="]] }), "not valid base64"], // stray bits: not canonical
      [doc({ m: [0, [{ $binary: "bytes" }, 2], [[0]], ["A A="]] }), "not valid base64"],
      [doc({ m: [0, [{ $binary: "ndarray", dtype: "float64", shape: [2] }, 2], [[0]], ["AAEC/w=="]] }), "4 bytes do not fit"],
    ];
    for (const [input, text] of cases) {
      const error = protocolError(() => parseSaved(input));
      expect(error.message, text).toContain(text);
      expect(error.kind === "bad_buffer" || error.kind === "bad_message", text).toBe(true);
    }
    const ok = parseSaved(doc({ m: [0, [{ x: [{ $binary: "bytes" }] }, 2], [[0, "x", 0]], ["AAEC/w=="]] }));
    expect((ok.models.get("m")?.state.a as { x: DataView[] }).x[0]?.byteLength).toBe(4);
  });
});

describe("reachable", () => {
  it("every model referenced from the roots, transitively, each once; nothing else", () => {
    live("r", { value: 1, kids: ["IPY_MODEL_k1", { deep: "IPY_MODEL_k2" }] });
    live("k1", { value: 2, back: "IPY_MODEL_r" });
    live("k2", { value: 3, next: ["IPY_MODEL_k3", "IPY_MODEL_gone"] });
    live("k3", { value: 4 });
    live("other", { value: 5 });
    const ids = reachable(["r"], (id) => manager.lookup(id)).map((m) => m.model_id);
    expect(ids).toEqual(["r", "k1", "k2", "k3"]);
    const parsed = parseSaved(writeSaved(reachable(["r", "r"], (id) => manager.lookup(id)), knownAsset));
    expect([...parsed.models.keys()]).toEqual(["r", "k1", "k2", "k3"]);
    // A reference to a model that is not in the document stays a string; get_model says why.
    expect(parsed.models.get("k2")?.state.next).toEqual(["IPY_MODEL_k3", "IPY_MODEL_gone"]);
    const saved = new SavedModels(parsed);
    return expect(saved.get_model("IPY_MODEL_gone")).rejects.toThrow("not in the saved state");
  });
});

describe("shared cases (tests/protocol_cases/saved_cases.json)", () => {
  interface Expected {
    class: string;
    esm: string | null;
    css: string | null;
    read_only: string[];
    state: Record<string, unknown>;
    eager?: true;
  }
  interface Cases {
    valid: { name: string; document: unknown; models: Record<string, Expected> }[];
    invalid: { name: string; document: unknown; error: string }[];
  }
  const text = readRepoFile("tests/protocol_cases/saved_cases.json");
  const cases = JSON.parse(text ?? '{"valid": [], "invalid": []}') as Cases;

  /** A value as the cases write it: binary as {"$base64": ...} (members defined as data: `__proto__` too). */
  function plain(value: unknown): unknown {
    if (value instanceof DataView || ArrayBuffer.isView(value)) {
      const view = value as ArrayBufferView;
      return { $base64: btoa(String.fromCharCode(...new Uint8Array(view.buffer, view.byteOffset, view.byteLength))) };
    }
    if (Array.isArray(value)) return value.map(plain);
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) Object.defineProperty(out, key, { value: plain(item), enumerable: true, writable: true, configurable: true });
    return out;
  }

  /** What a reader makes of a document, in the cases' terms. */
  function read(input: unknown): Record<string, Expected> {
    const parsed = parseSaved(input);
    const out: Record<string, Expected> = {};
    for (const [id, model] of parsed.models) {
      const source = (hash: string | null) => (hash === null ? null : (parsed.assets.get(hash) ?? null));
      const expected: Expected = { class: model.cls.name, esm: source(model.cls.esm), css: source(model.cls.css), read_only: model.cls.read_only, state: plain(model.state) as Record<string, unknown> };
      if (model.cls.eager) expected.eager = true;
      Object.defineProperty(out, id, { value: expected, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  /** JSON text with every object's keys sorted: equal values, equal text (own `__proto__` members included). */
  function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
  }

  it("the cases exist, valid and invalid", () => {
    expect(text, "tests/protocol_cases/saved_cases.json").not.toBeNull();
    expect(cases.valid.length).toBeGreaterThan(3);
    expect(cases.invalid.length).toBeGreaterThan(10);
  });

  it("every valid document reads to its models (from JSON text, as from parsed JSON)", () => {
    for (const entry of cases.valid) {
      const expected = canonical(entry.models);
      expect(canonical(read(JSON.stringify(entry.document))), entry.name).toBe(expected);
      expect(canonical(read(entry.document)), entry.name).toBe(expected);
    }
  });

  it("every valid document, shown offline and written again, reads back to the same models", () => {
    for (const entry of cases.valid) {
      const parsed = parseSaved(JSON.stringify(entry.document));
      const again = writeSaved(new SavedModels(parsed).offlineModels(), (hash) => parsed.assets.get(hash));
      expect(canonical(read(again)), entry.name).toBe(canonical(entry.models));
    }
  });

  it("every invalid document is refused, with the message the case names", () => {
    for (const entry of cases.invalid) {
      const error = protocolError(() => parseSaved(JSON.stringify(entry.document)));
      expect(error.message, entry.name).toContain(entry.error);
    }
  });
});

describe("speed", () => {
  it("writes and parses 500 models well under 100 ms each", () => {
    const models: WidgetModel[] = [];
    for (let i = 0; i < 500; i++) {
      models.push(live(`m${i}`, { value: i, label: `widget ${i}`, options: ["a", "b", "c"], style: { width: "100px", color: "#123456" }, ref: i ? `IPY_MODEL_m${i - 1}` : null }));
    }
    writeSaved(models, knownAsset); // warm up
    let start = performance.now();
    const text = writeSaved(models, knownAsset);
    const write = performance.now() - start;
    start = performance.now();
    const parsed = parseSaved(text);
    const parse = performance.now() - start;
    start = performance.now();
    new SavedModels(parsed);
    const build = performance.now() - start;
    console.log(`500 models: writeSaved ${write.toFixed(1)} ms, parseSaved ${parse.toFixed(1)} ms, offline models ${build.toFixed(1)} ms, ${text.length} characters`);
    expect(parsed.models.size).toBe(500);
    expect(write).toBeLessThan(100);
    expect(parse).toBeLessThan(100);
  });
});

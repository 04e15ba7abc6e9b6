/**
 * The diff baseline (confirmed state) is private: views get copies they may mutate freely, and
 * what is sent is always computed against the kernel's value, never against an object a view
 * changed. (drawdata's ScatterWidget pushes into the array `get` returned, then sets a copy.)
 */
import { beforeEach, describe, expect, it } from "vitest";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { applyPatch } from "../src/patch";
import { FakeKernel, update } from "./fakeKernel";

let kernel: FakeKernel;
let manager: WidgetManager;

beforeEach(() => {
  kernel = new FakeKernel();
  manager = new WidgetManager(kernel);
});

async function opened(state: Record<string, unknown>): Promise<WidgetModel> {
  kernel.open("m1", state);
  return manager.get_model("m1");
}

/** What the kernel makes of the last update for `key`, from the value it had (`state` whole, or the patch applied). */
function received(key: string, kernelValue: unknown): unknown {
  const data = kernel.last("update").data as { state?: Record<string, unknown>; patch?: Record<string, unknown[]> };
  if (data.patch?.[key]) {
    expect(data.patch[key]?.length).toBeGreaterThan(0); // never an empty patch
    return applyPatch(kernelValue, data.patch[key]);
  }
  expect(data.state).toHaveProperty([key]);
  return data.state?.[key];
}

/** The kernel accepts the last update: it echoes the new value (as the real kernel does) with the ack. */
function accept(key: string, value: unknown, rev: number): void {
  const seq = kernel.last("update").data.seq;
  kernel.deliver("m1", update(rev, { state: { [key]: value }, ack: { client: manager.client, seq } }));
}

const point = (i: number) => ({ x: i, y: 2 * i, color: "a", label: "a" });

describe("mutate what get() returned, then set", () => {
  it("the same object: the change is sent (as a patch against the kernel's value)", async () => {
    const model = await opened({ items: Array.from({ length: 2000 }, (_, i) => i) });
    const items = model.get("items") as number[];
    items.push(2000);
    items[3] = -3;
    model.set("items", items);
    model.save_changes();
    const sent = kernel.last("update").data;
    expect(sent.patch).toEqual({
      items: [
        { op: "replace", path: "/3", value: -3 },
        { op: "add", path: "/2000", value: 2000 },
      ],
    });
    expect(sent.base).toBe(0);
  });

  it("a copy: the change is sent", async () => {
    const model = await opened({ items: [1, 2, 3] });
    const items = model.get("items") as number[];
    items.push(4);
    model.set("items", [...items]);
    model.save_changes();
    expect(received("items", [1, 2, 3])).toEqual([1, 2, 3, 4]);
  });

  it("a nested value changed deep inside: the change is sent", async () => {
    const config = { layers: [{ name: "a", points: [[0, 0]] }, { name: "b", points: [] }], meta: { tags: ["x"] } };
    const model = await opened({ config });
    const got = model.get("config") as typeof config;
    (got.layers[1]?.points as number[][]).push([5, 6]);
    got.meta.tags.push("y");
    model.set("config", got);
    model.save_changes();
    expect(received("config", config)).toEqual({
      layers: [{ name: "a", points: [[0, 0]] }, { name: "b", points: [[5, 6]] }],
      meta: { tags: ["x", "y"] },
    });
  });

  it("drawdata's ScatterWidget: strokes pushed into get()'s array, then a deep-equal copy set, reach the kernel", async () => {
    const model = await opened({ data: [] });
    let kernelData: unknown[] = [];
    let rev = 0;
    for (let stroke = 0; stroke < 3; stroke++) {
      // its module: `const data = model.get("data"); data.push(...); model.set("data", [...data]); model.save_changes()`
      const data = model.get("data") as unknown[];
      for (let i = 0; i < 20; i++) data.push(point(stroke * 20 + i));
      model.set("data", JSON.parse(JSON.stringify(data)));
      model.save_changes();
      kernelData = received("data", kernelData) as unknown[];
      expect(kernelData).toHaveLength(20 * (stroke + 1));
      accept("data", kernelData, ++rev);
      expect(model.get("data")).toEqual(kernelData);
    }
    expect(kernel.messages("update")).toHaveLength(3);
    expect(model.errors).toEqual([]);
  });
});

describe("get() hands out a copy", () => {
  it("made once per change of the confirmed value and shared by all views; mutating it changes nothing else", async () => {
    const model = await opened({ items: [1, 2, 3], other: 0 });
    const first = model.get("items") as number[];
    expect(model.get("items")).toBe(first); // one copy, not one per call
    first.push(99); // a view mutates it without setting
    model.set("other", 1);
    model.save_changes();
    expect(kernel.last("update").data.state).toEqual({ other: 1 }); // nothing about items
    accept("other", 1, 1);
    kernel.deliver("m1", update(2, { patch: { items: [{ op: "add", path: "/-", value: 4 }] } }));
    const fresh = model.get("items") as number[];
    expect(fresh).not.toBe(first);
    expect(fresh).toEqual([1, 2, 3, 4]); // the patch applied to the kernel's value, not to the mutated copy
  });

  it("a value deep-equal to the kernel's is sent whole, never as an empty patch", async () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({ id: i }));
    const model = await opened({ items });
    model.set("items", structuredClone(items));
    model.save_changes();
    const sent = kernel.last("update").data;
    expect(sent.patch).toBeUndefined();
    expect((sent.state as { items: unknown[] }).items).toHaveLength(5000);
  });

  it("binary values are shared, not copied, and a mutated one is sent whole with its buffer", async () => {
    const buffer = new Float64Array([1, 2, 3]).buffer;
    kernel.open("m1", { img: { $binary: "ndarray", dtype: "float64", shape: [3] }, nested: { data: { $binary: "bytes" }, label: "l" } }, {
      buffer_paths: [["state", "img"], ["state", "nested", "data"]],
    }, [buffer, new Uint8Array([7]).buffer]);
    const model = await manager.get_model("m1");
    const img = model.get("img") as Float64Array;
    expect(img.buffer).toBe(buffer); // the decoded buffer itself
    const nested = model.get("nested") as { data: DataView; label: string };
    expect(nested.data).toBeInstanceOf(DataView);
    nested.data.setUint8(0, 8);
    model.set("nested", { ...nested });
    model.save_changes();
    const sent = kernel.last("update");
    expect(sent.data.patch).toBeUndefined();
    expect(sent.data.state).toEqual({ nested: { data: { $binary: "bytes" }, label: "l" } });
    expect(sent.data.buffer_paths).toEqual([["state", "nested", "data"]]);
    expect(new Uint8Array((sent.buffers[0] as DataView).buffer)[0]).toBe(8);
  });

  it("a member named __proto__ stays data in the copy and pollutes nothing", async () => {
    // JSON text, as the wire brings it: `__proto__` is an own member (an object literal would set the prototype)
    kernel.openRaw("m1", '{"protocol":"2.0","method":"open","class":"t.M","rev":0,"state":{"d":{"__proto__":{"polluted":1},"a":[1]}}}');
    const model = await manager.get_model("m1");
    const d = model.get("d") as Record<string, unknown>;
    expect(Object.hasOwn(d, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(d)).toBe('{"__proto__":{"polluted":1},"a":[1]}');
    // and it goes back to the kernel as data too
    model.set("d", { ...d, a: [2] });
    model.save_changes();
    expect(JSON.stringify(kernel.last("update").data.state)).toBe('{"d":{"__proto__":{"polluted":1},"a":[2]}}');
  });
});

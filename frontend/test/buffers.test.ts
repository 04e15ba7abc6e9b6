import { beforeEach, describe, expect, it } from "vitest";
import { decodeBinary, encodeBinary, insertBuffers, type NDArray, type TypedArray } from "../src/buffers";
import { WidgetManager } from "../src/manager";
import { ProtocolError } from "../src/protocol";
import { toWire } from "../src/serialize";
import { envelope, FakeKernel, update } from "./fakeKernel";

/** A message whose `state.x` is a placeholder for the first buffer. */
function message(placeholder: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return envelope("update", { rev: 1, state: { x: placeholder }, buffer_paths: [["state", "x"]], ...extra });
}

function ndarray(dtype: string, shape: number[]) {
  return { $binary: "ndarray", dtype, shape };
}

/** The ProtocolError `run` throws (it must throw one). */
function protocolError(run: () => unknown): ProtocolError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error("expected a ProtocolError");
}

describe("insertBuffers decodes ndarray placeholders", () => {
  const cases: [string, TypedArray, new (...args: never[]) => TypedArray][] = [
    ["float64", new Float64Array([1.5, -2.25, 1e300, Number.MIN_VALUE, 0, -0]), Float64Array],
    ["float32", new Float32Array([1.5, -2.25, 3, 4, 5, 6]), Float32Array],
    ["int32", new Int32Array([1, -2, 2 ** 31 - 1, -(2 ** 31), 0, 7]), Int32Array],
    ["uint8", new Uint8Array([0, 1, 127, 128, 255, 9]), Uint8Array],
    ["bool", new Uint8Array([1, 0, 1, 1, 0, 0]), Uint8Array],
    ["int64", new BigInt64Array([1n, -2n, 2n ** 62n, -(2n ** 63n), 0n, 5n]), BigInt64Array],
    ["uint64", new BigUint64Array([1n, 2n ** 64n - 1n, 0n, 3n, 4n, 5n]), BigUint64Array],
    ["int8", new Int8Array([-128, 127, 0, 1, -1, 2]), Int8Array],
    ["int16", new Int16Array([-32768, 32767, 0, 1, -1, 2]), Int16Array],
    ["uint16", new Uint16Array([65535, 0, 1, 2, 3, 4]), Uint16Array],
    ["uint32", new Uint32Array([2 ** 32 - 1, 0, 1, 2, 3, 4]), Uint32Array],
  ];

  it.each(cases)("%s becomes the right typed array, with shape and dtype", (dtype, source, Class) => {
    const data = message(ndarray(dtype, [2, 3]));
    const extra = insertBuffers(data, [source.buffer as ArrayBuffer]);
    expect(extra).toEqual([]);
    const array = (data.state as { x: NDArray }).x;
    expect(array).toBeInstanceOf(Class);
    expect(array.constructor).toBe(Class);
    expect(array.shape).toEqual([2, 3]);
    expect(array.dtype).toBe(dtype);
    expect(Array.from(array as ArrayLike<number | bigint>)).toEqual(Array.from(source as ArrayLike<number | bigint>));
    expect(Object.is(array[5], source[5])).toBe(true); // -0 stays -0
    // shape and dtype do not pollute enumeration or JSON of the values
    expect(Object.keys(array)).toEqual(["0", "1", "2", "3", "4", "5"]);
  });

  it("aligned buffers are used in place (no copy)", () => {
    const source = new Float64Array([1, 2, 3, 4]);
    const data = message(ndarray("float64", [4]));
    insertBuffers(data, [new DataView(source.buffer, 0, 32)]);
    const array = (data.state as { x: Float64Array }).x;
    expect(array.buffer).toBe(source.buffer);
  });

  it("an aligned view into a larger buffer decodes only its own range", () => {
    const backing = new Float32Array([9, 9, 1, 2, 3, 9]);
    const data = message(ndarray("float32", [3]));
    insertBuffers(data, [new DataView(backing.buffer, 8, 12)]);
    expect(Array.from((data.state as { x: Float32Array }).x)).toEqual([1, 2, 3]);
  });

  it("a misaligned DataView (byteOffset 1) is copied and still decodes correctly", () => {
    const values = [1.25, -7.5, 1e-300];
    const raw = new ArrayBuffer(1 + 8 * values.length + 3);
    const view = new DataView(raw);
    view.setUint8(0, 0xff);
    values.forEach((v, i) => view.setFloat64(1 + 8 * i, v, true));
    const data = message(ndarray("float64", [3]));
    insertBuffers(data, [new DataView(raw, 1, 8 * values.length)]);
    const array = (data.state as { x: NDArray }).x;
    expect(array).toBeInstanceOf(Float64Array);
    expect(Array.from(array as Float64Array)).toEqual(values);
    expect(array.shape).toEqual([3]);
    expect(array.buffer).not.toBe(raw);
    // also for int32 and a 2-d shape
    const ints = new ArrayBuffer(1 + 4 * 4);
    const iv = new DataView(ints);
    [1, -2, 3, -4].forEach((v, i) => iv.setInt32(1 + 4 * i, v, true));
    const data2 = message(ndarray("int32", [2, 2]));
    insertBuffers(data2, [new DataView(ints, 1, 16)]);
    expect(Array.from((data2.state as { x: Int32Array }).x)).toEqual([1, -2, 3, -4]);
  });

  it("a 0-d array (shape []) holds one element, an empty one none", () => {
    const data = message(ndarray("float64", []));
    insertBuffers(data, [new Float64Array([42]).buffer]);
    expect(Array.from((data.state as { x: Float64Array }).x)).toEqual([42]);
    const empty = message(ndarray("int32", [0, 3]));
    insertBuffers(empty, [new ArrayBuffer(0)]);
    expect((empty.state as { x: NDArray }).x).toHaveLength(0);
  });
});

describe("insertBuffers: bytes, nesting, extra buffers", () => {
  it("bytes placeholders give a DataView of the buffer", () => {
    const bytes = new Uint8Array([1, 2, 3, 250]);
    const data = message({ $binary: "bytes" });
    insertBuffers(data, [bytes.buffer]);
    const view = (data.state as { x: DataView }).x;
    expect(view).toBeInstanceOf(DataView);
    expect(view.byteLength).toBe(4);
    expect(view.getUint8(3)).toBe(250);
    // a misaligned DataView stays as it is
    const raw = new Uint8Array([0, 7, 8, 9]).buffer;
    const data2 = message({ $binary: "bytes" });
    insertBuffers(data2, [new DataView(raw, 1, 3)]);
    const view2 = (data2.state as { x: DataView }).x;
    expect([view2.getUint8(0), view2.getUint8(1), view2.getUint8(2)]).toEqual([7, 8, 9]);
    expect(view2.byteLength).toBe(3);
  });

  it("places buffers at nested paths through lists and objects", () => {
    const data = envelope("update", {
      rev: 1,
      state: { points: [{ xy: { $binary: "ndarray", dtype: "float32", shape: [2] } }, { xy: { $binary: "bytes" } }] },
      buffer_paths: [
        ["state", "points", 0, "xy"],
        ["state", "points", 1, "xy"],
      ],
    });
    insertBuffers(data, [new Float32Array([1, 2]).buffer, new Uint8Array([5]).buffer]);
    const points = (data.state as { points: { xy: unknown }[] }).points;
    expect(Array.from(points[0]?.xy as Float32Array)).toEqual([1, 2]);
    expect((points[1]?.xy as DataView).getUint8(0)).toBe(5);
  });

  it("returns the buffers beyond the paths as DataViews", () => {
    const data = envelope("custom", { content: { a: { $binary: "bytes" } }, buffer_paths: [["content", "a"]] });
    const extra = insertBuffers(data, [new Uint8Array([1]).buffer, new Uint8Array([2, 3]).buffer, new Uint16Array([513])], true);
    expect(extra).toHaveLength(2);
    expect(extra.every((b) => b instanceof DataView)).toBe(true);
    expect([extra[0]?.byteLength, extra[0]?.getUint8(1)]).toEqual([2, 3]);
    expect(extra[1]?.getUint16(0, true)).toBe(513);
    // no paths at all: every buffer is extra
    expect(insertBuffers(envelope("custom", { content: null }), [new ArrayBuffer(4)], true)).toHaveLength(1);
  });

  it("extra buffers are refused where they are not allowed (anything but custom), and the data is left alone", () => {
    const data = message({ $binary: "bytes" });
    const before = JSON.stringify(data);
    expect(protocolError(() => insertBuffers(data, [new ArrayBuffer(1), new ArrayBuffer(1)])).kind).toBe("bad_buffer");
    expect(JSON.stringify(data)).toBe(before);
  });
});

describe("insertBuffers refuses bad messages with bad_buffer", () => {
  const f64 = () => new Float64Array([1, 2, 3]).buffer;

  it.each([
    ["paths not a list", () => insertBuffers(envelope("update", { buffer_paths: "state.x" }), [])],
    ["an empty path", () => insertBuffers(envelope("update", { state: {}, buffer_paths: [[]] }), [f64()])],
    ["a path that is not a list", () => insertBuffers(envelope("update", { state: {}, buffer_paths: ["x"] }), [f64()])],
    ["a path to a missing key", () => insertBuffers(message({ $binary: "bytes" }, { buffer_paths: [["state", "y"]] }), [f64()])],
    ["a path through a missing parent", () => insertBuffers(message({ $binary: "bytes" }, { buffer_paths: [["nope", "y", "z"]] }), [f64()])],
    ["a path through a number", () => insertBuffers(envelope("update", { state: { n: 5 }, buffer_paths: [["state", "n", "x"]] }), [f64()])],
    ["an index past a list", () => insertBuffers(envelope("update", { state: { l: [] }, buffer_paths: [["state", "l", 0]] }), [f64()])],
    ["a path to a non-placeholder", () => insertBuffers(envelope("update", { state: { x: 5 }, buffer_paths: [["state", "x"]] }), [f64()])],
    ["a path to an object without $binary", () => insertBuffers(message({ dtype: "float64" }), [f64()])],
    ["an unknown kind", () => insertBuffers(message({ $binary: "blob" }), [f64()])],
    ["an unknown dtype", () => insertBuffers(message(ndarray("complex128", [3])), [f64()])],
    ["no dtype", () => insertBuffers(message({ $binary: "ndarray", shape: [3] }), [f64()])],
    ["no shape", () => insertBuffers(message({ $binary: "ndarray", dtype: "float64" }), [f64()])],
    ["missing buffers", () => insertBuffers(message({ $binary: "bytes" }), [])],
    [
      "fewer buffers than paths",
      () =>
        insertBuffers(
          envelope("update", { state: { a: { $binary: "bytes" }, b: { $binary: "bytes" } }, buffer_paths: [["state", "a"], ["state", "b"]] }),
          [f64()],
        ),
    ],
    ["a buffer too small for the shape", () => insertBuffers(message(ndarray("float64", [4])), [f64()])],
    ["a buffer too large for the shape", () => insertBuffers(message(ndarray("float64", [2])), [f64()])],
    ["a size that is no multiple of the item", () => insertBuffers(message(ndarray("int32", [1])), [new ArrayBuffer(5)])],
    ["a negative index", () => insertBuffers(envelope("update", { state: { l: [{ $binary: "bytes" }] }, buffer_paths: [["state", "l", -1]] }), [f64()])],
    ["a boolean index", () => insertBuffers(envelope("update", { state: { l: [{ $binary: "bytes" }] }, buffer_paths: [["state", "l", false]] }), [f64()])],
    ["a fractional index", () => insertBuffers(envelope("update", { state: { l: [{ $binary: "bytes" }] }, buffer_paths: [["state", "l", 0.5]] }), [f64()])],
    ["a placeholder without a path", () => insertBuffers(envelope("update", { state: { x: { $binary: "bytes" } }, buffer_paths: [] }), [])],
    [
      "a second placeholder without a path",
      () => insertBuffers(envelope("update", { state: { x: { $binary: "bytes" }, y: [{ $binary: "bytes" }] }, buffer_paths: [["state", "x"]] }), [f64()]),
    ],
    [
      "two paths to one placeholder",
      () => insertBuffers(envelope("update", { state: { x: { $binary: "bytes" } }, buffer_paths: [["state", "x"], ["state", "x"]] }), [f64(), f64()]),
    ],
    ["a path through an inherited member", () => insertBuffers(envelope("update", { state: {}, buffer_paths: [["state", "__proto__"]] }), [f64()])],
    ["a negative dimension", () => insertBuffers(message(ndarray("float64", [-1, -3])), [f64()])],
    ["a dtype inherited from Object", () => insertBuffers(message(ndarray("constructor", [3])), [f64()])],
    ["a misaligned buffer of the wrong size", () => insertBuffers(message(ndarray("float64", [2])), [new DataView(new ArrayBuffer(20), 1, 15)])],
  ] as const)("%s", (_name, run) => {
    expect(protocolError(run).kind).toBe("bad_buffer");
  });

  it("decodeBinary names the path in its message", () => {
    const error = protocolError(() => decodeBinary({ $binary: "ndarray", dtype: "int32", shape: [3] }, new DataView(new ArrayBuffer(4)), ["state", "img"]));
    expect(error.kind).toBe("bad_buffer");
    expect(error.message).toContain('["state","img"]');
  });
});

describe("encodeBinary", () => {
  it("keeps the dtype and a 1-d shape of typed arrays, and the buffer itself", () => {
    const pairs: [ArrayBufferView, string][] = [
      [new Float64Array(3), "float64"],
      [new Float32Array(3), "float32"],
      [new Int8Array(3), "int8"],
      [new Uint8Array(3), "uint8"],
      [new Uint8ClampedArray(3), "uint8"],
      [new Int16Array(3), "int16"],
      [new Uint16Array(3), "uint16"],
      [new Int32Array(3), "int32"],
      [new Uint32Array(3), "uint32"],
      [new BigInt64Array(3), "int64"],
      [new BigUint64Array(3), "uint64"],
    ];
    for (const [value, dtype] of pairs) {
      const [placeholder, buffer] = encodeBinary(value);
      expect(placeholder).toEqual({ $binary: "ndarray", dtype, shape: [3] });
      expect(buffer).toBe(value);
    }
  });

  it("keeps an NDArray's own shape and dtype (also bool), as a copy of the shape", () => {
    const data = message(ndarray("bool", [2, 2]));
    insertBuffers(data, [new Uint8Array([1, 0, 0, 1]).buffer]);
    const array = (data.state as { x: NDArray }).x;
    const [placeholder, buffer] = encodeBinary(array);
    expect(placeholder).toEqual({ $binary: "ndarray", dtype: "bool", shape: [2, 2] });
    expect(placeholder.shape).not.toBe(array.shape);
    expect(buffer).toBe(array);
    // a typed array given a shape by hand
    const grid = Object.assign(new Float32Array(6), { shape: [3, 2] });
    expect(encodeBinary(grid)[0]).toEqual({ $binary: "ndarray", dtype: "float32", shape: [3, 2] });
  });

  it("sends ArrayBuffers and DataViews as bytes", () => {
    const raw = new ArrayBuffer(8);
    expect(encodeBinary(raw)).toEqual([{ $binary: "bytes" }, raw]);
    const view = new DataView(raw, 2, 4);
    const [placeholder, buffer] = encodeBinary(view);
    expect(placeholder).toEqual({ $binary: "bytes" });
    expect(buffer).toBe(view);
  });

  it("round trips through toWire and insertBuffers with paths", () => {
    const img = Object.assign(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    const { json, binaries } = toWire({ state: { img, raw: new Uint8Array([7]).buffer, nested: [{ f: new Float64Array([0.5]) }] } });
    const data: Record<string, unknown> = { ...(json as Record<string, unknown>), buffer_paths: binaries.map(([path]) => path) };
    expect(data.buffer_paths).toEqual([["state", "img"], ["state", "raw"], ["state", "nested", 0, "f"]]);
    insertBuffers(
      data,
      binaries.map(([, b]) => b),
    );
    const state = data.state as { img: NDArray; raw: DataView; nested: { f: NDArray }[] };
    expect(state.img).toBeInstanceOf(Int32Array);
    expect(state.img.shape).toEqual([2, 3]);
    expect(Array.from(state.img as Int32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(state.raw.getUint8(0)).toBe(7);
    expect(Array.from(state.nested[0]?.f as Float64Array)).toEqual([0.5]);
  });
});

describe("binary values through a model", () => {
  let kernel: FakeKernel;
  let manager: WidgetManager;
  beforeEach(() => {
    kernel = new FakeKernel();
    manager = new WidgetManager(kernel);
  });

  it("open and update messages with buffers give typed arrays in the model", async () => {
    kernel.open("b1", { img: ndarray("uint8", [2, 2]), label: "x" }, { buffer_paths: [["state", "img"]] }, [new Uint8Array([1, 2, 3, 4]).buffer]);
    const model = await manager.get_model("b1");
    const img = model.get("img") as NDArray;
    expect(img).toBeInstanceOf(Uint8Array);
    expect(img.shape).toEqual([2, 2]);
    expect(Array.from(img as Uint8Array)).toEqual([1, 2, 3, 4]);
    kernel.deliver("b1", update(1, { state: { img: ndarray("float32", [1]) }, buffer_paths: [["state", "img"]] }), [new Float32Array([9]).buffer]);
    expect(Array.from(model.get("img") as Float32Array)).toEqual([9]);
    // writing it back sends the array as a buffer with its dtype and shape
    model.set("img", Object.assign(new Int16Array([1, 2, 3, 4]), { shape: [2, 2] }));
    model.save_changes();
    const sent = kernel.last("update");
    expect((sent.data.state as { img: unknown }).img).toEqual(ndarray("int16", [2, 2]));
    expect(sent.data.buffer_paths).toEqual([["state", "img"]]);
    expect(sent.buffers).toHaveLength(1);
  });
});

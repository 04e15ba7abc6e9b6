/**
 * Binary values travel as comm buffers, with a placeholder and a path in the JSON.
 * Mirrors widgets/buffers.py.
 */
import { ProtocolError, truncate } from "./protocol";

export type Path = (string | number)[];

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** A numpy array as the browser sees it: a typed array of its dtype, with its shape. */
export type NDArray = TypedArray & { shape: number[]; dtype: string };

type TypedArrayClass = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray; BYTES_PER_ELEMENT: number };

const float16 = (globalThis as { Float16Array?: TypedArrayClass }).Float16Array;

const DTYPES: Record<string, TypedArrayClass> = {
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float16: float16 ?? Uint16Array,
  float32: Float32Array,
  float64: Float64Array,
};

const NAMES = new Map<unknown, string>([
  [Int8Array, "int8"],
  [Uint8Array, "uint8"],
  [Uint8ClampedArray, "uint8"],
  [Int16Array, "int16"],
  [Uint16Array, "uint16"],
  [Int32Array, "int32"],
  [Uint32Array, "uint32"],
  [BigInt64Array, "int64"],
  [BigUint64Array, "uint64"],
  [Float32Array, "float32"],
  [Float64Array, "float64"],
]);
if (float16) NAMES.set(float16, "float16");

export interface Placeholder {
  $binary: "bytes" | "ndarray";
  dtype?: string;
  shape?: number[];
}

export function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/** Placeholder and buffer for an outgoing binary value (typed arrays keep their dtype). */
export function encodeBinary(value: ArrayBuffer | ArrayBufferView): [Placeholder, ArrayBuffer | ArrayBufferView] {
  if (value instanceof ArrayBuffer || value instanceof DataView) {
    return [{ $binary: "bytes" }, value];
  }
  const dtype = (value as Partial<NDArray>).dtype ?? NAMES.get(value.constructor);
  if (dtype === undefined) {
    return [{ $binary: "bytes" }, value];
  }
  const shape = (value as Partial<NDArray>).shape ?? [(value as TypedArray).length];
  return [{ $binary: "ndarray", dtype, shape: [...shape] }, value];
}

/** Does this JSON node stand for a buffer? (An object with an own `$binary` member.) */
export function isPlaceholder(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.hasOwn(value, "$binary");
}

/** The browser value for a placeholder of an incoming message. */
export function decodeBinary(placeholder: unknown, buffer: DataView, where: Path): DataView | NDArray {
  if (!isPlaceholder(placeholder)) {
    throw new ProtocolError("bad_buffer", `buffer path ${JSON.stringify(where)} does not lead to a binary placeholder`);
  }
  const { $binary: kind, dtype, shape } = placeholder as unknown as Placeholder;
  if (kind === "bytes") return buffer;
  const Class = typeof dtype === "string" && Object.hasOwn(DTYPES, dtype) ? DTYPES[dtype] : undefined;
  const dims = Array.isArray(shape) && shape.every((n) => Number.isSafeInteger(n) && n >= 0) ? shape : null;
  if (kind !== "ndarray" || Class === undefined || dims === null) {
    throw new ProtocolError("bad_buffer", `bad binary placeholder at ${JSON.stringify(where)}`);
  }
  const size = Class.BYTES_PER_ELEMENT;
  const count = dims.reduce((a, b) => a * b, 1);
  if (count * size !== buffer.byteLength) {
    throw new ProtocolError("bad_buffer", `buffer at ${JSON.stringify(where)}: ${buffer.byteLength} bytes do not fit ${dtype}[${dims.join(",")}]`);
  }
  let { buffer: bytes, byteOffset } = buffer;
  if (byteOffset % size !== 0) {
    // A typed array must be aligned to its element size: copy the (rare) misaligned buffer.
    bytes = bytes.slice(byteOffset, byteOffset + buffer.byteLength);
    byteOffset = 0;
  }
  const array = new Class(bytes, byteOffset, count) as NDArray;
  Object.defineProperty(array, "shape", { value: [...dims], enumerable: false });
  Object.defineProperty(array, "dtype", { value: dtype, enumerable: false });
  return array;
}

function toDataView(buffer: ArrayBuffer | ArrayBufferView): DataView {
  return buffer instanceof ArrayBuffer ? new DataView(buffer) : new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Every placeholder inside `value` (each container visited once; binary values are leaves). */
function placeholders(value: unknown, found: Set<object>): void {
  if (value === null || typeof value !== "object" || isBinary(value)) return;
  if (isPlaceholder(value)) {
    found.add(value);
    return;
  }
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (child !== null && typeof child === "object") placeholders(child, found);
  }
}

/** The container holding the leaf of `path` inside `data` (own members and in-range indexes only). */
function parentOf(data: unknown, path: Path): Record<string | number, unknown> | null {
  let node: unknown = data;
  for (const key of path.slice(0, -1)) node = member(node, key);
  const leaf = path[path.length - 1] as string | number;
  return member(node, leaf) === undefined ? null : (node as Record<string | number, unknown>);
}

function member(node: unknown, key: string | number): unknown {
  if (node === null || typeof node !== "object" || isBinary(node)) return undefined;
  if (Array.isArray(node)) return typeof key === "number" && key < node.length ? node[key] : undefined;
  return typeof key === "string" && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
}

const isPathKey = (key: unknown): key is string | number =>
  typeof key === "string" || (typeof key === "number" && Number.isSafeInteger(key) && key >= 0);

/**
 * Put the decoded buffers in place inside `data` and return the extra buffers past the paths.
 * The framing is checked whole first (docs/protocol.md, "Values on the wire"): paths are lists of
 * keys and non-negative indexes, each leads to its own placeholder, every placeholder has a path,
 * and there are exactly as many buffers as paths unless `extra` buffers are allowed (`custom`).
 * A violation is `bad_buffer` and `data` is left untouched.
 */
export function insertBuffers(
  data: Record<string, unknown>,
  buffers: readonly (ArrayBuffer | ArrayBufferView)[],
  extra = false,
): DataView[] {
  const paths: unknown = Object.hasOwn(data, "buffer_paths") ? data.buffer_paths : [];
  if (!Array.isArray(paths) || !paths.every((p) => Array.isArray(p) && p.length > 0 && p.every(isPathKey))) {
    throw new ProtocolError("bad_buffer", "buffer_paths must be a list of non-empty lists of keys and non-negative indexes");
  }
  if (buffers.length < paths.length || (!extra && buffers.length !== paths.length)) {
    throw new ProtocolError("bad_buffer", `${paths.length} buffer paths but ${buffers.length} buffers`);
  }
  const found = new Set<object>();
  placeholders(data, found);
  const targets: [Record<string | number, unknown>, string | number, Path][] = [];
  const used = new Set<unknown>();
  for (const path of paths as Path[]) {
    const parent = parentOf(data, path);
    const leaf = path[path.length - 1] as string | number;
    const node = parent?.[leaf];
    if (!parent || !isPlaceholder(node)) {
      throw new ProtocolError("bad_buffer", `buffer path ${truncate(JSON.stringify(path))} does not lead to a binary placeholder`);
    }
    if (used.has(node)) throw new ProtocolError("bad_buffer", `two buffer paths lead to ${truncate(JSON.stringify(path))}`);
    used.add(node);
    targets.push([parent, leaf, path]);
  }
  if (used.size !== found.size) throw new ProtocolError("bad_buffer", `a binary placeholder has no buffer path (${found.size - used.size} without)`);
  const decoded = targets.map(([parent, leaf, path], i) => decodeBinary(parent[leaf], toDataView(buffers[i] as ArrayBuffer | ArrayBufferView), path));
  targets.forEach(([parent, leaf], i) => (parent[leaf] = decoded[i]));
  return buffers.slice(paths.length).map(toDataView);
}

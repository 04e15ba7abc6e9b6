/**
 * Binary values travel as comm buffers, with a placeholder and a path in the JSON.
 * Mirrors widgets/buffers.py.
 */
import { ProtocolError } from "./protocol";

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

/** The browser value for a placeholder of an incoming message. */
export function decodeBinary(placeholder: unknown, buffer: DataView, where: Path): DataView | NDArray {
  if (typeof placeholder !== "object" || placeholder === null || !("$binary" in placeholder)) {
    throw new ProtocolError("bad_buffer", `buffer path ${JSON.stringify(where)} does not lead to a binary placeholder`);
  }
  const { $binary: kind, dtype, shape } = placeholder as Placeholder;
  if (kind === "bytes") return buffer;
  const Class = dtype === undefined ? undefined : DTYPES[dtype];
  if (kind !== "ndarray" || Class === undefined || !Array.isArray(shape)) {
    throw new ProtocolError("bad_buffer", `bad binary placeholder at ${JSON.stringify(where)}`);
  }
  const size = Class.BYTES_PER_ELEMENT;
  let { buffer: bytes, byteOffset } = buffer;
  if (byteOffset % size !== 0) {
    // A typed array must be aligned to its element size: copy the (rare) misaligned buffer.
    bytes = bytes.slice(byteOffset, byteOffset + buffer.byteLength);
    byteOffset = 0;
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count * size !== buffer.byteLength) {
    throw new ProtocolError("bad_buffer", `buffer at ${JSON.stringify(where)} does not fit ${dtype}[${shape.join(",")}]`);
  }
  const array = new Class(bytes, byteOffset, count) as NDArray;
  Object.defineProperty(array, "shape", { value: shape, enumerable: false });
  Object.defineProperty(array, "dtype", { value: dtype, enumerable: false });
  return array;
}

function toDataView(buffer: ArrayBuffer | ArrayBufferView): DataView {
  return buffer instanceof ArrayBuffer ? new DataView(buffer) : new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Put the decoded buffers in place inside `data`; return the extra buffers past the paths. */
export function insertBuffers(data: Record<string, unknown>, buffers: readonly (ArrayBuffer | ArrayBufferView)[]): DataView[] {
  const paths = data.buffer_paths ?? [];
  if (!Array.isArray(paths) || !paths.every((p) => Array.isArray(p) && p.length > 0)) {
    throw new ProtocolError("bad_buffer", "buffer_paths must be a list of non-empty key/index lists");
  }
  if (buffers.length < paths.length) {
    throw new ProtocolError("bad_buffer", `${paths.length} buffer paths but only ${buffers.length} buffers`);
  }
  paths.forEach((path: Path, i) => {
    let parent: unknown = data;
    for (const key of path.slice(0, -1)) {
      parent = parent === null || typeof parent !== "object" ? undefined : (parent as Record<string | number, unknown>)[key];
    }
    const leaf = path[path.length - 1] as string | number;
    if (parent === null || typeof parent !== "object" || !(leaf in parent)) {
      throw new ProtocolError("bad_buffer", `buffer path ${JSON.stringify(path)} does not resolve`);
    }
    const container = parent as Record<string | number, unknown>;
    container[leaf] = decodeBinary(container[leaf], toDataView(buffers[i] as ArrayBuffer | ArrayBufferView), path);
  });
  return buffers.slice(paths.length).map(toDataView);
}

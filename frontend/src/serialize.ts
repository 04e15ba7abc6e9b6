/**
 * Browser values <-> wire JSON: model references and binary placeholders.
 * Mirrors widgets/serialize.py.
 */
import { type Path, encodeBinary, isBinary } from "./buffers";
import { REFERENCE_PREFIX } from "./protocol";

export type Binaries = [Path, ArrayBuffer | ArrayBufferView][];

/** Anything with a model id is sent as a reference to that model. */
export interface Referable {
  readonly model_id: string;
}

function isReferable(value: object): value is Referable {
  return typeof (value as Referable).model_id === "string" && "widget_manager" in value;
}

/** JSON for `value` (new containers throughout) and the binaries taken out of it. */
export function toWire(value: unknown): { json: unknown; binaries: Binaries } {
  const binaries: Binaries = [];
  const path: Path = [];
  const walk = (item: unknown): unknown => {
    if (item === null || typeof item !== "object") {
      if (typeof item === "number" && !Number.isFinite(item)) return null;
      if (typeof item === "bigint") return Number(item);
      return item === undefined ? null : item;
    }
    if (isBinary(item)) {
      const [placeholder, buffer] = encodeBinary(item);
      binaries.push([[...path], buffer]);
      return placeholder;
    }
    if (Array.isArray(item)) {
      return item.map((child, index) => {
        path.push(index);
        const out = walk(child);
        path.pop();
        return out;
      });
    }
    if (isReferable(item)) return REFERENCE_PREFIX + item.model_id;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(item)) {
      path.push(key);
      out[key] = walk(child);
      path.pop();
    }
    return out;
  };
  return { json: walk(value), binaries };
}

/** Resolve `model:<id>` strings to models the resolver knows (in place where it can). */
export function fromWire(value: unknown, resolve: (modelId: string) => unknown): unknown {
  if (typeof value === "string") {
    if (value.startsWith(REFERENCE_PREFIX)) {
      const model = resolve(value.slice(REFERENCE_PREFIX.length));
      if (model !== undefined) return model;
    }
    return value;
  }
  if (value === null || typeof value !== "object" || isBinary(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "string" || (item !== null && typeof item === "object")) value[i] = fromWire(item, resolve);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = fromWire(record[key], resolve);
  return record;
}

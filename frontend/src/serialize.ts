/**
 * Browser values -> wire JSON: model objects become `IPY_MODEL_<id>` references, binary values
 * become placeholders with buffers. The other way needs no conversion: references stay strings
 * (views resolve them with `widget_manager.get_model`), buffers are put in place by buffers.ts.
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
      Object.defineProperty(out, key, { value: walk(child), writable: true, enumerable: true, configurable: true });
      path.pop();
    }
    return out;
  };
  return { json: walk(value), binaries };
}

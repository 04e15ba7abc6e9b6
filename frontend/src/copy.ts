/**
 * Copies of JSON values for code outside the runtime. The confirmed state a model diffs against
 * is private (docs/protocol.md, "Acknowledgement and reconciliation"): views get a copy they may
 * mutate freely, as real modules do (drawdata pushes into the array `get` returned).
 */

function isBinaryValue(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/**
 * A deep copy of a JSON value; binary values (typed arrays, DataView, ArrayBuffer) are shared, not
 * copied: they are compared by identity and never patched. Members named `__proto__` stay data.
 */
export function deepCopy(value: unknown): unknown {
  if (value === null || typeof value !== "object" || isBinaryValue(value)) return value;
  if (Array.isArray(value)) {
    const out = value.slice();
    for (let i = 0; i < out.length; i++) {
      const item: unknown = out[i];
      if (item !== null && typeof item === "object") out[i] = deepCopy(item);
    }
    return out;
  }
  // A spread copies own members as data (`__proto__` included), faster than one by one.
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of Object.keys(out)) {
    const item = out[key];
    if (item !== null && typeof item === "object") out[key] = deepCopy(item);
  }
  return out;
}

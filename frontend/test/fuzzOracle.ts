/**
 * The fuzzer's own oracle, independent of src/patch.ts: a strict RFC 6902 / RFC 6901 reference
 * applier written from the RFCs and docs/protocol.md's limits, and a canonical form of values.
 */

export type J = null | boolean | number | string | J[] | { [key: string]: J };

export class RefError extends Error {}

const MAX_OPS = 4096;
const MAX_COPY = 65536;

/** Set an own data member, also one named `__proto__`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

const own = (target: object, key: string): boolean => Object.prototype.hasOwnProperty.call(target, key);

function isObj(value: unknown): value is { [key: string]: J } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON clone through text, the way the wire copies (own `__proto__` members stay members). */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** RFC 6901 reference tokens: `~0` is `~`, `~1` is `/`, any other `~` is an error. */
function tokensOf(pointer: unknown): string[] {
  if (typeof pointer !== "string") throw new RefError("pointer not a string");
  if (pointer === "") return [];
  if (pointer[0] !== "/") throw new RefError("pointer must start with /");
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      let out = "";
      for (let i = 0; i < token.length; i++) {
        const c = token[i];
        if (c !== "~") {
          out += c;
          continue;
        }
        const next = token[i + 1];
        if (next === "0") out += "~";
        else if (next === "1") out += "/";
        else throw new RefError("bad ~ escape");
        i++;
      }
      return out;
    });
}

/** An array index: ASCII digits, no leading zero; `-` (the end) only where allowed. */
function indexOf(token: string, length: number, allowEnd: boolean): number {
  if (allowEnd && token === "-") return length;
  if (token.length === 0 || (token.length > 1 && token[0] === "0")) throw new RefError("bad index");
  for (const c of token) if (c < "0" || c > "9") throw new RefError("bad index");
  const i = Number(token);
  if (i > length || (i === length && !allowEnd)) throw new RefError("index out of range");
  return i;
}

export function countJson(value: unknown): number {
  if (Array.isArray(value)) return 1 + value.reduce((n: number, v) => n + countJson(v), 0);
  if (isObj(value)) return 1 + Object.keys(value).reduce((n, k) => n + countJson(value[k]), 0);
  return 1;
}

/** The result of applying `ops` to `doc` (which is not touched), or RefError. */
export function refApply(doc: J, ops: unknown): J {
  if (!Array.isArray(ops)) throw new RefError("not a list");
  if (ops.length > MAX_OPS) throw new RefError("too many ops");
  const root: { doc: J } = { doc: clone(doc) };
  let copied = 0;
  const parentOf = (pointer: unknown): [J[] | { [key: string]: J } | null, string] => {
    const tokens = tokensOf(pointer);
    if (tokens.length === 0) return [null, ""];
    let node: J = root.doc;
    for (const token of tokens.slice(0, -1)) {
      if (Array.isArray(node)) node = node[indexOf(token, node.length, false)] as J;
      else if (isObj(node) && own(node, token)) node = node[token] as J;
      else throw new RefError("missing parent");
    }
    if (!Array.isArray(node) && !isObj(node)) throw new RefError("parent not a container");
    return [node, tokens[tokens.length - 1] as string];
  };
  const get = (pointer: unknown): J => {
    const [parent, last] = parentOf(pointer);
    if (parent === null) return root.doc;
    if (Array.isArray(parent)) return parent[indexOf(last, parent.length, false)] as J;
    if (!own(parent, last)) throw new RefError("missing member");
    return parent[last] as J;
  };
  const add = (pointer: unknown, value: J): void => {
    const [parent, last] = parentOf(pointer);
    if (parent === null) root.doc = value;
    else if (Array.isArray(parent)) parent.splice(indexOf(last, parent.length, true), 0, value);
    else setOwn(parent, last, value);
  };
  const remove = (pointer: unknown): J => {
    const [parent, last] = parentOf(pointer);
    if (parent === null) throw new RefError("cannot remove the root");
    if (Array.isArray(parent)) return parent.splice(indexOf(last, parent.length, false), 1)[0] as J;
    if (!own(parent, last)) throw new RefError("missing member");
    const value = parent[last] as J;
    delete parent[last];
    return value;
  };
  for (const op of ops as unknown[]) {
    if (!isObj(op) || typeof op.op !== "string" || typeof op.path !== "string") throw new RefError("malformed op");
    const needsValue = op.op === "add" || op.op === "replace" || op.op === "test";
    if (needsValue && !own(op, "value")) throw new RefError("no value");
    const value = op.value as J;
    switch (op.op) {
      case "add":
        add(op.path, clone(value));
        break;
      case "remove":
        remove(op.path);
        break;
      case "replace":
        get(op.path);
        if (op.path === "") root.doc = clone(value);
        else {
          remove(op.path);
          add(op.path, clone(value));
        }
        break;
      case "move":
      case "copy": {
        if (typeof op.from !== "string") throw new RefError("no from");
        if (op.op === "move") {
          if (op.path.startsWith(`${op.from}/`)) throw new RefError("move into itself");
          add(op.path, remove(op.from));
        } else {
          const source = get(op.from);
          copied += countJson(source);
          if (copied > MAX_COPY) throw new RefError("copy budget");
          add(op.path, clone(source));
        }
        break;
      }
      case "test":
        if (canonical(get(op.path)) !== canonical(value)) throw new RefError("test failed");
        break;
      default:
        throw new RefError("unknown op");
    }
  }
  return root.doc;
}

/** A text equal for equal values: object members sorted, binary as its bytes, numbers by value. */
export function canonical(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value)) {
    return `bin:${Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), (b) => b.toString(16)).join(",")}`;
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

/** Deep equality of what a view sees and what the kernel holds (binary by bytes, members by own keys). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.every((byte, i) => byte === y[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => own(b, k) && sameValue(a[k], b[k]));
  }
  return false;
}

/** Every [pointer, node] inside `doc`, the root first. */
export function nodes(doc: J, prefix = ""): [string, J][] {
  const out: [string, J][] = [[prefix, doc]];
  const escape = (token: string | number): string => String(token).replace(/~/g, "~0").replace(/\//g, "~1");
  if (Array.isArray(doc)) doc.forEach((item, i) => out.push(...nodes(item, `${prefix}/${i}`)));
  else if (isObj(doc)) for (const key of Object.keys(doc)) out.push(...nodes(doc[key] as J, `${prefix}/${escape(key)}`));
  return out;
}

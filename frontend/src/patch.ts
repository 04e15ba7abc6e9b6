/**
 * JSON Patch (RFC 6902): a small patch between two values, and applying one copy-on-write.
 * Mirrors widgets/patch.py. (fast-json-patch's compare walks every element through generic
 * object code and its apply mutates in place or deep-clones; here unchanged branches are
 * shared, and only containers on a touched path are copied.)
 */

import { deepCopy } from "./copy";
import { MAX_COPY_NODES, MAX_PATCH_OPS, preview } from "./protocol";

export interface Operation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  value?: unknown;
  from?: string;
}

export class PatchError extends Error {
  override name = "PatchError";
}

const escape = (token: string | number): string => String(token).replace(/~/g, "~0").replace(/\//g, "~1");

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** Deep equality of JSON values (binary values compare by identity). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

class Budget extends Error {}

/** Operations turning `old` into `next`, or null when more than `maxOps` would be needed. */
export function makePatch(old: unknown, next: unknown, maxOps = Infinity): Operation[] | null {
  const ops: Operation[] = [];
  const emit = (op: Operation): void => {
    ops.push(op);
    if (ops.length > maxOps) throw new Budget();
  };
  const diff = (a: unknown, b: unknown, pointer: string): void => {
    if (a === b) return;
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = a.length;
      const m = b.length;
      let start = 0;
      while (start < n && start < m && jsonEqual(a[start], b[start])) start++;
      let tail = 0;
      while (tail < n - start && tail < m - start && jsonEqual(a[n - 1 - tail], b[m - 1 - tail])) tail++;
      const aEnd = n - tail;
      const bEnd = m - tail;
      const common = Math.min(aEnd, bEnd);
      for (let i = start; i < common; i++) diff(a[i], b[i], `${pointer}/${i}`);
      for (let j = common; j < bEnd; j++) emit({ op: "add", path: `${pointer}/${j}`, value: b[j] });
      for (let j = common; j < aEnd; j++) emit({ op: "remove", path: `${pointer}/${bEnd}` });
    } else if (isObject(a) && isObject(b)) {
      for (const key of Object.keys(a)) if (!Object.hasOwn(b, key)) emit({ op: "remove", path: `${pointer}/${escape(key)}` });
      for (const [key, value] of Object.entries(b)) {
        const child = `${pointer}/${escape(key)}`;
        if (!Object.hasOwn(a, key)) emit({ op: "add", path: child, value });
        else diff(a[key], value, child);
      }
    } else if (!jsonEqual(a, b)) {
      emit({ op: "replace", path: pointer, value: b });
    }
  };
  try {
    diff(old, next, "");
  } catch (error) {
    if (error instanceof Budget) return null;
    throw error;
  }
  return ops;
}

/** The reference tokens of a pointer (RFC 6901: `~` is only ever followed by `0` or `1`). */
function tokens(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchError(`JSON pointer ${preview(pointer)} must start with '/'`);
  if (/~(?![01])/.test(pointer)) throw new PatchError(`JSON pointer ${preview(pointer)} has a '~' not followed by 0 or 1`);
  return pointer.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function index(token: string, size: number, allowEnd: boolean, pointer: string): number {
  if (token === "-" && allowEnd) return size;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`${preview(token)} is not an array index in ${preview(pointer)}`);
  const i = Number(token);
  if (i > size || (i === size && !allowEnd)) throw new PatchError(`index ${preview(token)} is out of range in ${preview(pointer)}`);
  return i;
}

type Container = Record<string, unknown> | unknown[];

/** Set a member as data, also one named `__proto__` (plain assignment would change the prototype). */
function put(container: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(container, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A document being patched: each container is copied once, on its first write. */
class Doc {
  readonly holder: unknown[];
  private readonly fresh = new Set<unknown>();

  constructor(root: unknown) {
    this.holder = [root];
  }

  private own(container: Container, key: string | number): unknown {
    const child = (container as Record<string | number, unknown>)[key];
    if ((Array.isArray(child) || isObject(child)) && !this.fresh.has(child)) {
      const copy = Array.isArray(child) ? child.slice() : { ...child };
      (container as Record<string | number, unknown>)[key] = copy;
      this.fresh.add(copy);
      return copy;
    }
    return child;
  }

  parent(pointer: string): [Container, string | null] {
    const parts = tokens(pointer);
    if (parts.length === 0) return [this.holder, null];
    let container = this.own(this.holder, 0);
    for (const token of parts.slice(0, -1)) {
      if (Array.isArray(container)) container = this.own(container, index(token, container.length, false, pointer));
      else if (isObject(container) && Object.hasOwn(container, token)) container = this.own(container, token);
      else throw new PatchError(`path ${preview(pointer)} does not exist`);
    }
    if (!Array.isArray(container) && !isObject(container)) throw new PatchError(`path ${preview(pointer)} does not exist`);
    return [container, parts[parts.length - 1] as string];
  }

  get(pointer: string): unknown {
    const [container, token] = this.parent(pointer);
    if (token === null) return this.holder[0];
    if (Array.isArray(container)) return container[index(token, container.length, false, pointer)];
    if (!Object.hasOwn(container, token)) throw new PatchError(`path ${preview(pointer)} does not exist`);
    return container[token];
  }

  add(pointer: string, value: unknown): void {
    const [container, token] = this.parent(pointer);
    if (token === null) this.holder[0] = value;
    else if (Array.isArray(container)) container.splice(index(token, container.length, true, pointer), 0, value);
    else put(container, token, value);
  }

  remove(pointer: string): unknown {
    const [container, token] = this.parent(pointer);
    if (token === null) throw new PatchError("cannot remove the whole document");
    if (Array.isArray(container)) return container.splice(index(token, container.length, false, pointer), 1)[0];
    if (!Object.hasOwn(container, token)) throw new PatchError(`path ${preview(pointer)} does not exist`);
    const value = container[token];
    delete container[token];
    return value;
  }

  replace(pointer: string, value: unknown): void {
    this.get(pointer);
    const [container, token] = this.parent(pointer);
    if (token === null) this.holder[0] = value;
    else if (Array.isArray(container)) container[index(token, container.length, false, pointer)] = value;
    else put(container, token, value);
  }
}

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/** An operation of a known kind with string pointers and the members it needs; else PatchError. */
function checked(op: unknown): Operation {
  if (!isObject(op) || typeof op.op !== "string") throw new PatchError(`malformed operation ${preview(op)}`);
  if (!OPS.has(op.op)) throw new PatchError(`unknown patch operation ${preview(op.op)}`);
  if (typeof op.path !== "string") {
    throw new PatchError(`${"path" in op ? "a JSON pointer must be a string" : "malformed operation"}: ${preview(op)}`);
  }
  if ((op.op === "add" || op.op === "replace" || op.op === "test") && !Object.hasOwn(op, "value")) {
    throw new PatchError(`operation ${op.op} needs a 'value'`);
  }
  if ((op.op === "move" || op.op === "copy") && typeof op.from !== "string") {
    throw new PatchError(`operation ${op.op} needs a 'from' pointer (a string)`);
  }
  return op as unknown as Operation;
}

/**
 * JSON nodes in `value` (each value, container or not, is one), counting stops past `limit`.
 * Binary values count as one node: they are shared, not copied.
 */
export function countNodes(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length && count <= limit) {
    const node = stack.pop();
    count++;
    if (node === null || typeof node !== "object" || ArrayBuffer.isView(node) || node instanceof ArrayBuffer) continue;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push(child);
  }
  return count;
}

/**
 * The patched document; `document` itself is left untouched. Patches longer than MAX_PATCH_OPS,
 * or whose `copy` operations would create more than MAX_COPY_NODES nodes, are refused whole.
 */
export function applyPatch(document: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError("a patch must be a list of operations");
  if (ops.length > MAX_PATCH_OPS) throw new PatchError(`a patch has at most ${MAX_PATCH_OPS} operations, this one ${ops.length}`);
  const doc = new Doc(document);
  let copied = 0;
  for (const raw of ops as unknown[]) {
    const op = checked(raw);
    switch (op.op) {
      case "add":
        doc.add(op.path, op.value);
        break;
      case "remove":
        doc.remove(op.path);
        break;
      case "replace":
        doc.replace(op.path, op.value);
        break;
      case "move": {
        const from = op.from as string;
        if (op.path.startsWith(from + "/")) throw new PatchError(`cannot move ${preview(from)} into itself`);
        doc.add(op.path, doc.remove(from));
        break;
      }
      case "copy": {
        const value = doc.get(op.from as string);
        copied += countNodes(value, MAX_COPY_NODES - copied);
        if (copied > MAX_COPY_NODES) throw new PatchError(`the copy operations of a patch may create at most ${MAX_COPY_NODES} nodes`);
        doc.add(op.path, deepCopy(value));
        break;
      }
      case "test":
        if (!jsonEqual(doc.get(op.path), op.value)) throw new PatchError(`test failed at ${preview(op.path)}`);
        break;
    }
  }
  return doc.holder[0];
}

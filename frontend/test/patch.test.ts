import { describe, expect, it } from "vitest";
import { applyPatch, countNodes, jsonEqual, makePatch, type Operation, PatchError } from "../src/patch";
import { MAX_COPY_NODES, MAX_PATCH_OPS } from "../src/protocol";
import { rng } from "./random";

// --- helpers -----------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// Keys that need escaping in pointers, look like indices, or are empty.
const KEYS = ["a", "b", "c", "d", "", "0", "1", "-", "~", "/", "a/b", "m~n", "~1", "~0/", "long key"];
const STRINGS = ["", "x", "hello", "~", "/", "a/b", "~01", "ünï", "model:abc"];

function generator(seed: number) {
  const random = rng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

  const primitive = (): Json => {
    switch (int(6)) {
      case 0:
        return null;
      case 1:
        return random() < 0.5;
      case 2:
        return int(200) - 100;
      case 3:
        return (int(2000) - 1000) / 8; // floats exact in binary
      default:
        return pick(STRINGS);
    }
  };

  const value = (depth: number): Json => {
    const r = random();
    if (depth <= 0 || r < 0.4) return primitive();
    if (r < 0.7) return Array.from({ length: int(6) }, () => value(depth - 1));
    const out: { [key: string]: Json } = {};
    for (let i = int(6); i > 0; i--) out[pick(KEYS)] = value(depth - 1);
    return out;
  };

  /** A container at the root (as synced values mostly are), now and then a primitive. */
  const root = (depth: number): Json => {
    const r = random();
    if (r < 0.05) return primitive();
    if (r < 0.5) return Array.from({ length: 1 + int(8) }, () => value(depth - 1));
    const out: { [key: string]: Json } = {};
    for (let i = 1 + int(8); i > 0; i--) out[pick(KEYS)] = value(depth - 1);
    return out;
  };

  /** A changed copy of `v`: small edits at random places, so patches are not just one replace. */
  const mutate = (v: Json, depth: number): Json => {
    if (random() < 0.15 || depth <= 0) return random() < 0.5 ? value(2) : v;
    if (Array.isArray(v)) {
      const out = v.map((item) => (random() < 0.3 ? mutate(item, depth - 1) : item));
      for (let i = int(3); i > 0; i--) {
        const at = int(out.length + 1);
        if (random() < 0.5) out.splice(at, 0, value(2));
        else out.splice(at, 1);
      }
      return out;
    }
    if (v !== null && typeof v === "object") {
      const out: { [key: string]: Json } = {};
      for (const [key, item] of Object.entries(v)) {
        if (random() < 0.15) continue; // removed
        out[key] = random() < 0.3 ? mutate(item, depth - 1) : item;
      }
      for (let i = int(3); i > 0; i--) out[pick(KEYS)] = value(2);
      return out;
    }
    return random() < 0.5 ? primitive() : v;
  };

  return { value, root, mutate, random };
}

/** JSON with sorted keys: equality of JSON values, independent of key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/** Freeze a value deeply: any write to it (strict-mode code) throws a TypeError. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function patchError(document: unknown, ops: unknown): PatchError {
  const before = JSON.stringify(document);
  try {
    applyPatch(deepFreeze(document), ops);
  } catch (error) {
    expect(error).toBeInstanceOf(PatchError);
    expect(JSON.stringify(document)).toBe(before);
    return error as PatchError;
  }
  throw new Error(`expected a PatchError for ${JSON.stringify(ops)} on ${before}`);
}

// --- round trip ----------------------------------------------------------------------------------

describe("makePatch / applyPatch round trip", () => {
  it("turns a into b for 500 random pairs, without touching either", () => {
    let nonTrivial = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const gen = generator(seed);
      const a = gen.root(4);
      const b = seed % 5 === 0 ? gen.root(4) : gen.mutate(a, 4);
      const aText = JSON.stringify(a);
      const bText = JSON.stringify(b);
      deepFreeze(a);
      deepFreeze(b);
      const ops = makePatch(a, b);
      if (ops === null) throw new Error(`seed ${seed}: no budget was given, yet makePatch gave up`);
      if (ops.some((op) => op.path !== "")) nonTrivial++; // more than a new root
      const result = applyPatch(a, ops);
      expect(canonical(result), `seed ${seed}: ${aText} -> ${bText} via ${JSON.stringify(ops)}`).toBe(canonical(b));
      // The operations are plain JSON: they survive the wire.
      expect(canonical(applyPatch(a, JSON.parse(JSON.stringify(ops)))), `seed ${seed} (over JSON)`).toBe(canonical(b));
      expect(JSON.stringify(a)).toBe(aText);
      expect(JSON.stringify(b)).toBe(bText);
      expect(jsonEqual(result, b), `seed ${seed}: jsonEqual`).toBe(true);
    }
    expect(nonTrivial).toBeGreaterThan(250); // the generator really produces nested differences
  });

  it("an equal value (same or a copy) gives no operations", () => {
    for (let seed = 1000; seed < 1100; seed++) {
      const a = generator(seed).value(4);
      expect(makePatch(a, a)).toEqual([]);
      expect(makePatch(a, structuredClone(a))).toEqual([]);
    }
  });

  it("tells booleans from numbers, arrays from objects, and a new root", () => {
    expect(makePatch([1, true], [true, 1])).toEqual([
      { op: "replace", path: "/0", value: true },
      { op: "replace", path: "/1", value: 1 },
    ]);
    expect(makePatch({ a: [] }, { a: {} })).toEqual([{ op: "replace", path: "/a", value: {} }]);
    expect(makePatch(1, "1")).toEqual([{ op: "replace", path: "", value: "1" }]);
    expect(applyPatch(1, makePatch(1, { x: [1] }))).toEqual({ x: [1] });
  });

  it("escapes ~ and / in keys", () => {
    const ops = makePatch({ "a/b": 1, "m~n": 1 }, { "a/b": 2, "m~n": 2 });
    expect(ops).toEqual([
      { op: "replace", path: "/a~1b", value: 2 },
      { op: "replace", path: "/m~0n", value: 2 },
    ]);
    expect(applyPatch({ "a/b": 1, "m~n": 1 }, ops)).toEqual({ "a/b": 2, "m~n": 2 });
  });

  it("inserts and removes in the middle of lists with add/remove, not a replace of everything", () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const inserted = [...a.slice(0, 20), -1, -2, ...a.slice(20)];
    expect(makePatch(a, inserted)).toEqual([
      { op: "add", path: "/20", value: -1 },
      { op: "add", path: "/21", value: -2 },
    ]);
    const removed = [...a.slice(0, 10), ...a.slice(13)];
    expect(makePatch(a, removed)).toEqual([
      { op: "remove", path: "/10" },
      { op: "remove", path: "/10" },
      { op: "remove", path: "/10" },
    ]);
    expect(applyPatch(a, makePatch(a, removed))).toEqual(removed);
  });

  it("gives up (null) past maxOps", () => {
    const a = Array.from({ length: 10 }, (_, i) => i);
    const b = a.map((x) => x + 1);
    expect(makePatch(a, b, 3)).toBeNull();
    expect(makePatch(a, b, 1000)).toHaveLength(10);
    expect(makePatch(a, a.slice(), 0)).toEqual([]);
  });

  it("a 100,000-element list with one change gives exactly one replace", () => {
    const a = Array.from({ length: 100_000 }, (_, i) => i);
    const b = a.slice();
    b[76_543] = -7;
    const ops = makePatch(a, b);
    expect(ops).toEqual([{ op: "replace", path: "/76543", value: -7 }]);
    const result = applyPatch(a, ops) as number[];
    expect(result[76_543]).toBe(-7);
    expect(a[76_543]).toBe(76_543);
    expect(result).toHaveLength(100_000);
    // Also inside an object, and as an in-place-like change of a nested record.
    const rows = Array.from({ length: 100_000 }, (_, i) => ({ id: i, label: `row ${i}` }));
    const edited = rows.slice();
    edited[99_999] = { id: 99_999, label: "changed" };
    expect(makePatch({ rows }, { rows: edited })).toEqual([{ op: "replace", path: "/rows/99999/label", value: "changed" }]);
  });
});

// --- copy on write -----------------------------------------------------------------------------

describe("applyPatch never mutates its input", () => {
  it("copies only the containers on a touched path and shares the others", () => {
    const doc = deepFreeze({
      big: { list: Array.from({ length: 1000 }, (_, i) => i) },
      touched: { inner: [1, 2, 3], sibling: { x: 1 } },
      other: [{ y: 2 }],
    });
    const result = applyPatch(doc, [{ op: "replace", path: "/touched/inner/1", value: 20 }]) as typeof doc;
    expect(result).not.toBe(doc);
    expect(result.touched).not.toBe(doc.touched);
    expect(result.touched.inner).not.toBe(doc.touched.inner);
    expect(result.touched.inner).toEqual([1, 20, 3]);
    expect(doc.touched.inner).toEqual([1, 2, 3]);
    expect(result.big).toBe(doc.big);
    expect(result.other).toBe(doc.other);
    expect(result.touched.sibling).toBe(doc.touched.sibling);
  });

  it("does not mutate values carried by operations, even when later operations write into them", () => {
    const value = deepFreeze({ list: [1] });
    const result = applyPatch({}, [
      { op: "add", path: "/a", value },
      { op: "add", path: "/a/list/-", value: 2 },
      { op: "copy", from: "/a", path: "/b" },
      { op: "add", path: "/b/list/0", value: 0 },
      { op: "move", from: "/b", path: "/c" },
      { op: "replace", path: "/c/list/0", value: -1 },
    ]);
    expect(result).toEqual({ a: { list: [1, 2] }, c: { list: [-1, 1, 2] } });
    expect(value).toEqual({ list: [1] });
  });

  it("copy gives an independent value", () => {
    const result = applyPatch({ a: { x: [1] } }, [
      { op: "copy", from: "/a", path: "/b" },
      { op: "add", path: "/b/x/-", value: 2 },
    ]) as { a: { x: number[] }; b: { x: number[] } };
    expect(result.a.x).toEqual([1]);
    expect(result.b.x).toEqual([1, 2]);
  });

  it("a failing patch leaves the document as it was (no partial result)", () => {
    const doc = { a: [1, 2], b: { c: 1 } };
    patchError(doc, [
      { op: "replace", path: "/a/0", value: 100 },
      { op: "remove", path: "/b/c" },
      { op: "test", path: "/a/0", value: -1 },
    ]);
    expect(doc).toEqual({ a: [1, 2], b: { c: 1 } });
  });

  it("applies the other operations: add at the end, test, move within a list, replace the root", () => {
    expect(applyPatch([1, 2], [{ op: "add", path: "/-", value: 3 }])).toEqual([1, 2, 3]);
    expect(applyPatch([1, 2], [{ op: "add", path: "/2", value: 3 }])).toEqual([1, 2, 3]);
    expect(applyPatch({ a: [1, { b: true }] }, [{ op: "test", path: "/a/1", value: { b: true } }])).toEqual({
      a: [1, { b: true }],
    });
    expect(applyPatch(["a", "b", "c", "d"], [{ op: "move", from: "/1", path: "/3" }])).toEqual(["a", "c", "d", "b"]);
    expect(applyPatch({ a: 1 }, [{ op: "move", from: "/a", path: "/a" }])).toEqual({ a: 1 });
    expect(applyPatch({ a: 1 }, [{ op: "replace", path: "", value: [1] }])).toEqual([1]);
    expect(applyPatch({ a: 1 }, [{ op: "add", path: "", value: null }])).toBeNull();
    expect(applyPatch({ "": 1 }, [{ op: "replace", path: "/", value: 2 }])).toEqual({ "": 2 });
    expect(applyPatch({ a: 1 }, [])).toEqual({ a: 1 });
  });
});

// --- errors ------------------------------------------------------------------------------------

describe("every error path raises PatchError and leaves the input alone", () => {
  const doc = () => ({ a: [1, 2, 3], o: { k: "v" }, n: 5 });

  it("bad pointers", () => {
    expect(patchError(doc(), [{ op: "add", path: "a", value: 1 }]).message).toMatch(/must start with '\/'/);
    expect(patchError(doc(), [{ op: "add", path: 7, value: 1 }]).message).toMatch(/must be a string/);
    expect(patchError(doc(), [{ op: "add", path: "/missing/x", value: 1 }]).message).toMatch(/does not exist/);
    expect(patchError(doc(), [{ op: "add", path: "/n/x", value: 1 }]).message).toMatch(/does not exist/);
    expect(patchError(doc(), [{ op: "replace", path: "/o/nope", value: 1 }]).message).toMatch(/does not exist/);
    expect(patchError(doc(), [{ op: "remove", path: "/o/nope" }]).message).toMatch(/does not exist/);
    expect(patchError(doc(), [{ op: "add", path: "/a/x", value: 1 }]).message).toMatch(/not an array index/);
    expect(patchError(doc(), [{ op: "add", path: "/a/-1", value: 1 }]).message).toMatch(/not an array index/);
    expect(patchError(doc(), [{ op: "replace", path: "/a/-", value: 1 }]).message).toMatch(/not an array index/);
    expect(patchError(5, [{ op: "add", path: "/x", value: 1 }]).message).toMatch(/does not exist/);
  });

  it("indices out of range", () => {
    expect(patchError(doc(), [{ op: "add", path: "/a/4", value: 1 }]).message).toMatch(/out of range/);
    expect(patchError(doc(), [{ op: "replace", path: "/a/3", value: 1 }]).message).toMatch(/out of range/);
    expect(patchError(doc(), [{ op: "remove", path: "/a/3" }]).message).toMatch(/out of range/);
    expect(patchError(doc(), [{ op: "test", path: "/a/3", value: 1 }]).message).toMatch(/out of range/);
    expect(patchError(doc(), [{ op: "add", path: "/a/9/x", value: 1 }]).message).toMatch(/out of range/);
  });

  it("indices with leading zeros", () => {
    expect(patchError(doc(), [{ op: "replace", path: "/a/01", value: 1 }]).message).toMatch(/not an array index/);
    expect(patchError(doc(), [{ op: "add", path: "/a/00", value: 1 }]).message).toMatch(/not an array index/);
    expect(patchError(doc(), [{ op: "remove", path: "/a/+1" }]).message).toMatch(/not an array index/);
  });

  it("a failed test", () => {
    expect(patchError(doc(), [{ op: "test", path: "/n", value: 6 }]).message).toMatch(/test failed/);
    expect(patchError(doc(), [{ op: "test", path: "/a", value: [1, 2] }]).message).toMatch(/test failed/);
    expect(patchError({ t: true }, [{ op: "test", path: "/t", value: 1 }]).message).toMatch(/test failed/);
    expect(patchError({ t: 1 }, [{ op: "test", path: "/t", value: "1" }]).message).toMatch(/test failed/);
  });

  it("a missing value, from, or malformed operations and patches", () => {
    for (const op of ["add", "replace", "test"]) {
      expect(patchError(doc(), [{ op, path: "/n" }]).message).toMatch(/needs a 'value'/);
    }
    for (const op of ["move", "copy"]) {
      expect(patchError(doc(), [{ op, path: "/x" }]).message).toMatch(/needs a 'from'/);
    }
    expect(patchError(doc(), [{ op: "add", value: 1 }]).message).toMatch(/malformed operation/);
    expect(patchError(doc(), ["add"]).message).toMatch(/malformed operation/);
    expect(patchError(doc(), [null]).message).toMatch(/malformed operation/);
    expect(patchError(doc(), { op: "add", path: "/x", value: 1 }).message).toMatch(/must be a list/);
  });

  it("an unknown op", () => {
    expect(patchError(doc(), [{ op: "frobnicate", path: "/n" }]).message).toMatch(/unknown patch operation "frobnicate"/);
    expect(patchError(doc(), [{ op: "_get", path: "/n" }]).message).toMatch(/unknown patch operation/);
  });

  it("moving a value into itself", () => {
    expect(patchError(doc(), [{ op: "move", from: "/o", path: "/o/k2" }]).message).toMatch(/into itself/);
    expect(patchError(doc(), [{ op: "move", from: "", path: "/x" }]).message).toMatch(/into itself/);
    expect(patchError(doc(), [{ op: "move", from: "/missing", path: "/x" }]).message).toMatch(/does not exist/);
    // A sibling whose name starts the same is not "itself".
    expect(applyPatch({ a: 1, ab: {} }, [{ op: "move", from: "/a", path: "/ab/a" }])).toEqual({ ab: { a: 1 } });
  });

  it("removing the root", () => {
    expect(patchError(doc(), [{ op: "remove", path: "" }]).message).toMatch(/whole document/);
  });
});

// --- RFC 6901 strictness and work bounds (the same rules as widgets/patch.py) ---------------------

describe("strict pointers and bounded patches", () => {
  const doc = () => ({ a: [1, 2, 3], "m~n": 1, "x/y": 2 });

  it("'~' must be followed by 0 or 1", () => {
    for (const path of ["/m~2n", "/m~", "/~", "/a~/0", "/~~0"]) {
      expect(patchError(doc(), [{ op: "add", path, value: 1 }]).message, path).toMatch(/'~' not followed by 0 or 1/);
    }
    expect(patchError(doc(), [{ op: "copy", from: "/m~3n", path: "/b" }]).message).toMatch(/'~' not followed/);
    expect(applyPatch(doc(), [{ op: "replace", path: "/m~0n", value: 5 }])).toMatchObject({ "m~n": 5 });
    expect(applyPatch(doc(), [{ op: "replace", path: "/x~1y", value: 5 }])).toMatchObject({ "x/y": 5 });
  });

  it("array indexes are ASCII digits only", () => {
    for (const token of ["١", "１", "1\u0660", "٠", "²", " 1", "1 ", "1e0", "0x1"]) {
      const path = `/a/${JSON.parse(`"${token}"`)}`;
      expect(patchError(doc(), [{ op: "replace", path, value: 1 }]).message, path).toMatch(/not an array index/);
    }
  });

  it("a path or from that is not a string, an op that is not an object with a known op: PatchError", () => {
    for (const path of [7, null, ["a"], { p: 1 }, true]) {
      expect(patchError(doc(), [{ op: "add", path, value: 1 }]).message).toMatch(/must be a string/);
      expect(patchError(doc(), [{ op: "move", from: "/a", path }]).message).toMatch(/must be a string/);
    }
    for (const from of [7, null, ["a"], undefined]) {
      expect(patchError(doc(), [{ op: "copy", from, path: "/b" }]).message).toMatch(/needs a 'from' pointer/);
    }
    for (const op of [["add"], 5, "add", null, { op: 1, path: "/a" }, { op: "ADD", path: "/a", value: 1 }, { op: "__proto__", path: "/a" }]) {
      expect(() => applyPatch(doc(), [op])).toThrow(PatchError);
    }
  });

  it(`at most MAX_PATCH_OPS (${MAX_PATCH_OPS}) operations`, () => {
    const ops = Array.from({ length: MAX_PATCH_OPS }, (_, i) => ({ op: "add", path: `/k${i}`, value: i }));
    expect(Object.keys(applyPatch({}, ops) as object)).toHaveLength(MAX_PATCH_OPS);
    expect(patchError({}, [...ops, { op: "add", path: "/one-more", value: 0 }]).message).toMatch(/at most 4096 operations/);
  });

  it(`copy operations may create at most MAX_COPY_NODES (${MAX_COPY_NODES}) nodes per patch: a doubling bomb is refused fast`, () => {
    // 18 copies doubling a list: 2**18 elements from a message of a few hundred bytes.
    const bomb: unknown[] = [{ op: "add", path: "/x", value: [0, 0] }];
    for (let i = 0; i < 18; i++) bomb.push({ op: "copy", from: "/x", path: "/x/0" });
    const started = performance.now();
    expect(patchError({}, bomb).message).toMatch(/at most 65536 nodes/);
    expect(performance.now() - started).toBeLessThan(5000); // (a sanity bound, not a benchmark)
    // up to the budget is fine: a list of 65535 numbers is 65536 nodes
    const big = Array.from({ length: MAX_COPY_NODES - 1 }, () => 0);
    const result = applyPatch({ big }, [{ op: "copy", from: "/big", path: "/copy" }]) as { copy: number[] };
    expect(result.copy).toHaveLength(MAX_COPY_NODES - 1);
    expect(result.copy).not.toBe(big);
    expect(patchError({ big }, [
      { op: "copy", from: "/big", path: "/c1" },
      { op: "copy", from: "/big/0", path: "/c2" },
    ]).message).toMatch(/at most 65536 nodes/);
  });

  it("countNodes counts every value once and stops past its limit", () => {
    expect(countNodes(1, 10)).toBe(1);
    expect(countNodes([1, [2, 3], { a: null }], 100)).toBe(7);
    expect(countNodes(Array.from({ length: 1000 }, () => [1]), 10)).toBe(11);
    expect(countNodes(new Float64Array(1000), 10)).toBe(1);
  });
});

// --- keys named like Object.prototype members ----------------------------------------------------

describe("keys that Object.prototype also has", () => {
  // BUG (frontend/src/patch.ts, makePatch, lines 66 and 69: `!(key in b)` / `!(key in a)`):
  // `in` also sees inherited members, so a removed key named "toString" (or "constructor",
  // "valueOf", ...) is not removed by the patch: makePatch({toString: 1}, {}) returns [].
  // Fix: Object.hasOwn(b, key) / Object.hasOwn(a, key) (also in jsonEqual).
  it("makePatch removes a key named toString", () => {
    const a = { toString: 1, x: 1 };
    const b = { x: 1 };
    expect(canonical(applyPatch(a, makePatch(a, b)))).toBe(canonical(b));
  });

  // BUG (same place): a new key named "constructor" is taken for an existing one, and diffed
  // against Object (a function): makePatch gives a `replace` that applyPatch refuses.
  it("makePatch adds a key named constructor", () => {
    const a = { x: 1 };
    const b = { x: 1, constructor: 1 };
    expect(canonical(applyPatch(a, makePatch(a, b)))).toBe(canonical(b));
  });

  // BUG (frontend/src/patch.ts, Doc.add, line 147: `container[token] = value`; the same in
  // Doc.replace, line 165): adding "/__proto__" sets the copy's prototype instead of an own
  // member (JSON.parse makes it an own member). Fix: Object.defineProperty(container, token,
  // { value, writable: true, enumerable: true, configurable: true }).
  it("applyPatch adds a member named __proto__ as data", () => {
    const result = applyPatch({}, [{ op: "add", path: "/__proto__", value: { x: 1 } }]);
    expect(JSON.stringify(result)).toBe('{"__proto__":{"x":1}}');
  });
});

// --- shared cases with widgets/patch.py -------------------------------------------------------------

interface Case {
  name: string;
  doc: unknown;
  patch: unknown;
  result?: unknown;
  error?: boolean;
}

async function sharedCases(): Promise<Case[] | null> {
  // Node's fs through an untyped import: the project's tsconfig has no Node types.
  const fs = (await import(/* @vite-ignore */ "node:fs" as string)) as {
    existsSync(path: string): boolean;
    readFileSync(path: string, encoding: "utf8"): string;
  };
  const url = (await import(/* @vite-ignore */ "node:url" as string)) as { fileURLToPath(url: string): string };
  const paths = (await import(/* @vite-ignore */ "node:path" as string)) as { resolve(...parts: string[]): string };
  // (Not `new URL(relative, import.meta.url)`: Vite rewrites that pattern into an asset URL.)
  const here = url.fileURLToPath(import.meta.url);
  const path = paths.resolve(here, "../../../tests/protocol_cases/patch_cases.json");
  if (!fs.existsSync(path)) return null;
  return (JSON.parse(fs.readFileSync(path, "utf8")) as { cases: Case[] }).cases;
}

const cases = await sharedCases();

describe.skipIf(cases === null)("tests/protocol_cases/patch_cases.json (shared with widgets/patch.py)", () => {
  it("has cases", () => {
    expect(cases?.length).toBeGreaterThan(0);
  });
  it.each((cases ?? []).map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const before = JSON.stringify(c.doc);
    if (c.error) {
      expect(() => applyPatch(deepFreeze(c.doc), c.patch)).toThrow(PatchError);
    } else {
      expect(canonical(applyPatch(deepFreeze(c.doc), c.patch as Operation[]))).toBe(canonical(c.result));
    }
    expect(JSON.stringify(c.doc)).toBe(before);
  });
});

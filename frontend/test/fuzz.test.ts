/**
 * Kernel -> browser fuzzer: seeded (FUZZ_SEED, or FUZZ_SEED=random; FUZZ_CASES for the count),
 * ≥ 10,000 generated kernel messages (valid, mutated and hostile) against the real runtime over a
 * fake transport. The oracle is its own (fuzzOracle.ts, not src/patch.ts) and a model of the
 * kernel's state. After every case: nothing thrown out of the runtime, Object.prototype untouched,
 * a malformed message is exactly one error event and changes nothing, and once the fake kernel has
 * answered the `request_state` the runtime sent (if any), the views see the kernel's state.
 */
import { describe, expect, it } from "vitest";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import type { ErrorEntry } from "../src/protocol";
import { env } from "./files";
import { FakeKernel } from "./fakeKernel";
import { canonical, clone, type J, nodes, RefError, refApply, sameValue, setOwn } from "./fuzzOracle";
import { rng } from "./random";

const SEED = env("FUZZ_SEED") === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(env("FUZZ_SEED") ?? 20_240_808);
/** Generated kernel messages per run (browser writes and the fake kernel's answers come on top). */
const CASES = Number(env("FUZZ_CASES") ?? 10_000);

const random = rng(SEED);
const int = (n: number): number => Math.floor(random() * n);
const chance = (p: number): boolean => random() < p;
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

const MEMBER_KEYS = ["a", "b", "", "0", "-", "~", "/", "a/b", "m~n", "~1", "__proto__", "constructor", "toString", "hasOwnProperty", "ünï"];
const STRINGS = ["", "x", "IPY_MODEL_abc", "model:abc", "~", "/", "\u2028", "😀", "a\u0000b"];
const JSON_KEYS = ["value", "items", "cfg", "text", "__proto__", "constructor"];
const BINARY_KEY = "img";

function primitive(): J {
  switch (int(7)) {
    case 0:
      return null;
    case 1:
      return chance(0.5);
    case 2:
      return int(2000) - 1000;
    case 3:
      return (int(20000) - 10000) / 64;
    case 4:
      return chance(0.01) ? "s".repeat(10_000) : pick(STRINGS);
    default:
      return pick(STRINGS);
  }
}

function value(depth: number): J {
  const r = random();
  if (depth <= 0 || r < 0.35) return primitive();
  if (r < 0.65) return Array.from({ length: int(6) }, () => value(depth - 1));
  const out: { [key: string]: J } = {};
  for (let i = int(6); i > 0; i--) setOwn(out, pick(MEMBER_KEYS), value(depth - 1));
  return out;
}

const escapeToken = (token: string | number): string => String(token).replace(/~/g, "~0").replace(/\//g, "~1");

/** A patch valid against `doc` by construction (each op checked with the reference applier), and its result. */
function validPatch(doc: J): { ops: unknown[]; result: J } {
  const ops: unknown[] = [];
  let current = doc;
  for (let n = 1 + int(5), tries = 0; ops.length < n && tries < 40; tries++) {
    const all = nodes(current);
    const [at, node] = pick(all);
    const containers = all.filter(([, v]) => v !== null && typeof v === "object").map(([p]) => p);
    if (containers.length === 0) break;
    const member = (): string => (chance(0.5) ? escapeToken(pick(MEMBER_KEYS)) : chance(0.5) ? "-" : String(int(4)));
    let op: Record<string, unknown>;
    switch (int(6)) {
      case 0:
        op = { op: "add", path: `${pick(containers)}/${member()}`, value: value(2) };
        break;
      case 1:
        op = { op: "remove", path: at };
        break;
      case 2:
        op = { op: "replace", path: at, value: value(2) };
        break;
      case 3:
        op = { op: "move", from: at, path: `${pick(containers)}/${member()}` };
        break;
      case 4:
        op = { op: "copy", from: at, path: `${pick(containers)}/${member()}` };
        break;
      default:
        op = { op: "test", path: at, value: node };
    }
    try {
      current = refApply(current, [op]);
      ops.push(op);
    } catch (error) {
      if (!(error instanceof RefError)) throw error;
    }
  }
  return { ops, result: current };
}

// --- the fake kernel's model -------------------------------------------------------------------

interface KernelModel {
  rev: number;
  state: Map<string, J | Uint8Array>;
  lastSeq: number;
}

/** An `update`/`state` as JSON text plus buffers: binary keys become placeholders. */
function frame(fields: Record<string, unknown>, state: Map<string, J | Uint8Array>): { data: Record<string, unknown>; buffers: ArrayBuffer[] } {
  const out: Record<string, unknown> = {};
  const buffers: ArrayBuffer[] = [];
  const paths: (string | number)[][] = [];
  for (const [key, v] of state) {
    if (v instanceof Uint8Array) {
      setOwn(out, key, { $binary: "bytes" });
      paths.push(["state", key]);
      buffers.push(v.slice().buffer);
    } else setOwn(out, key, v);
  }
  const data: Record<string, unknown> = { protocol: "2.0", ...fields, state: out };
  if (paths.length) data.buffer_paths = paths;
  return { data, buffers };
}

type Expect = { kind: "valid"; errors?: ErrorEntry[]; custom?: string } | { kind: "refused"; error: string } | { kind: "resync" };

interface Case {
  label: string;
  raw: string | unknown;
  buffers: ArrayBuffer[];
  expect: Expect;
  /** Applied to the kernel model when the message is valid. */
  commit?: () => void;
}

const KINDS = ["validation", "read_only", "unknown_key", "stale", "bad_patch", "handler", "unsendable"];

function validUpdate(kernel: KernelModel, client: string): { fields: Record<string, unknown>; next: Map<string, J | Uint8Array>; patched: Map<string, J>; errors: ErrorEntry[] } {
  const next = new Map(kernel.state);
  const state = new Map<string, J | Uint8Array>();
  const patched = new Map<string, J>();
  const patch: Record<string, unknown[]> = {};
  for (let i = 1 + int(3); i > 0; i--) {
    if (chance(0.1)) {
      const bytes = Uint8Array.from({ length: int(9) }, () => int(256));
      state.set(BINARY_KEY, bytes);
      next.set(BINARY_KEY, bytes);
      continue;
    }
    const key = pick(JSON_KEYS);
    if (state.has(key) || Object.hasOwn(patch, key)) continue;
    const current = next.get(key);
    if (current !== undefined && !(current instanceof Uint8Array) && current !== null && typeof current === "object" && chance(0.6)) {
      const { ops, result } = validPatch(current);
      if (ops.length) {
        setOwn(patch, key, ops);
        patched.set(key, result);
        next.set(key, result);
        continue;
      }
    }
    const fresh = chance(0.3) ? Array.from({ length: int(30) }, () => value(1)) : value(3);
    state.set(key, fresh);
    next.set(key, fresh);
  }
  const errors: ErrorEntry[] = chance(0.1) ? [{ kind: pick(KINDS) as ErrorEntry["kind"], key: pick(JSON_KEYS), message: chance(0.1) ? "m".repeat(2000) : "refused" }] : [];
  const { data, buffers } = frame({ method: "update", rev: kernel.rev + 1 }, state);
  void buffers;
  if (Object.keys(patch).length) data.patch = patch;
  if (errors.length) data.errors = errors;
  if (chance(0.1)) data.ack = { client: chance(0.5) ? "someone-else" : client, seq: chance(0.5) ? 1 : 1 + int(3) };
  return { fields: data, next, patched, errors };
}

/** One generated case against the current kernel model. */
function generate(kernel: KernelModel, client: string, lastSent: number): Case {
  const r = random();
  if (r < 0.3) {
    const { fields, next, errors } = validUpdate(kernel, client);
    const ack = fields.ack as { client: string; seq: number } | undefined;
    if (ack?.client === client && ack.seq > lastSent) return { label: "forged ack", raw: JSON.stringify(fields), buffers: buffersOf(fields, next), expect: { kind: "refused", error: "bad_message" } };
    return {
      label: "valid update",
      raw: JSON.stringify(fields),
      buffers: buffersOf(fields, next),
      expect: { kind: "valid", errors: errors.map((e) => ({ ...e, message: e.message.length > 500 ? `${e.message.slice(0, 499)}…` : e.message })) },
      commit: () => {
        kernel.state = next;
        kernel.rev += 1;
      },
    };
  }
  if (r < 0.36) {
    // A gap: the kernel moved on, a message was lost.
    const { fields, next } = validUpdate(kernel, client);
    fields.rev = kernel.rev + 2 + int(3);
    delete fields.ack;
    return {
      label: "gap",
      raw: JSON.stringify(fields),
      buffers: buffersOf(fields, next),
      expect: { kind: "resync" },
      commit: () => {
        kernel.state = next;
        kernel.rev = fields.rev as number;
      },
    };
  }
  if (r < 0.4) {
    const { data, buffers } = frame({ method: "state", rev: kernel.rev }, kernel.state);
    return { label: "state", raw: JSON.stringify(data), buffers, expect: { kind: "valid" } };
  }
  if (r < 0.44) {
    const content = value(3);
    const extra = int(3);
    return {
      label: "custom",
      raw: JSON.stringify({ protocol: "2.0", method: "custom", content }),
      buffers: Array.from({ length: extra }, () => new ArrayBuffer(int(5))),
      expect: { kind: "valid", custom: canonical(content) },
    };
  }
  if (r < 0.46) {
    const errors = [{ kind: pick(KINDS), message: "callback raised", traceback: "Traceback…" }];
    return { label: "error", raw: JSON.stringify({ protocol: "2.0", method: "error", errors }), buffers: [], expect: { kind: "valid", errors: errors as ErrorEntry[] } };
  }
  return hostile(kernel, client);
}

function buffersOf(fields: Record<string, unknown>, next: Map<string, J | Uint8Array>): ArrayBuffer[] {
  const paths = (fields.buffer_paths as string[][] | undefined) ?? [];
  return paths.map(([, key]) => (next.get(key as string) as Uint8Array).slice().buffer);
}

/** A message built from a valid one and broken in one way the oracle knows to be wrong. */
function hostile(kernel: KernelModel, client: string): Case {
  const { fields, next } = validUpdate(kernel, client);
  delete fields.ack;
  const buffers = buffersOf(fields, next);
  const refused = (label: string, raw: unknown, error: string, bufs = buffers): Case => ({ label, raw: typeof raw === "string" ? raw : JSON.stringify(raw), buffers: bufs, expect: { kind: "refused", error } });
  const state = (fields.state ?? {}) as Record<string, unknown>;
  // Cases that put `target` into `state` take it out of `patch` (else the conflict is what gets refused).
  const patchWithout = (key: string): Record<string, unknown> => {
    const rest = { ...((fields.patch ?? {}) as Record<string, unknown>) };
    delete rest[key];
    return rest;
  };
  const jsonKey = JSON_KEYS.find((k) => {
    const v = kernel.state.get(k);
    return v !== undefined && v !== null && typeof v === "object" && !(v instanceof Uint8Array);
  });
  const target = jsonKey ?? "value";
  /** A patch the reference applier refuses (or, `overLimit`, one over a protocol limit); one it accepts is a valid case. */
  const badPatch = (ops: unknown, overLimit = false): Case => {
    // The other (JSON) keys of a valid update ride along: a refused patch must not let them in.
    const others: Record<string, unknown> = {};
    for (const key of Object.keys(state)) if (key !== target && key !== BINARY_KEY) setOwn(others, key, state[key]);
    const data = { protocol: "2.0", method: "update", rev: kernel.rev + 1, state: others, patch: { [target]: ops } };
    let result: J;
    try {
      result = refApply((kernel.state.get(target) ?? null) as J, ops);
    } catch {
      return refused("bad patch", data, "bad_patch", []);
    }
    if (overLimit) return refused("bad patch (over a limit)", data, "bad_patch", []);
    return {
      label: "a patch that happens to apply",
      raw: JSON.stringify(data),
      buffers: [],
      expect: { kind: "valid" },
      commit: () => {
        const next = new Map(kernel.state).set(target, result);
        for (const key of Object.keys(others)) next.set(key, others[key] as J);
        kernel.state = next;
        kernel.rev += 1;
      },
    };
  };
  switch (int(24)) {
    case 0:
      return refused("another major", { ...fields, protocol: pick(["1.0", "3.0", "10.2"]) }, "version");
    case 1:
      return refused("not a version", { ...fields, protocol: pick(["2", "2.0.0", "v2.0", "２.0", " 2.0", 2, null]) }, "bad_message");
    case 2:
      return refused("rev of a wrong type", { ...fields, rev: pick(["1", 1.5, -1, true, null, [1], {}]) }, "bad_message");
    case 3: {
      // A valid shape, a wrong number: a resync, not an error.
      const rev = pick([kernel.rev, kernel.rev - 1, kernel.rev + 7, 2 ** 53]);
      if (!Number.isSafeInteger(rev) || rev < 0) return refused("rev out of range", { ...fields, rev }, "bad_message");
      return { label: "bad rev", raw: JSON.stringify({ ...fields, rev }), buffers, expect: { kind: "resync" } };
    }
    case 4:
      return refused("state of a wrong type", { ...fields, state: pick([[1], "s", 5, true]) }, "bad_message", []);
    case 5:
      return refused("patch of a wrong type", { ...fields, patch: pick([[1], "s", 5, { [target]: "ops" }, { [target]: { op: "add" } }]) }, "bad_message");
    case 6:
      return refused("a key in state and patch", { ...fields, state: { ...state, [target]: 1 }, patch: { [target]: [] } }, "bad_message");
    case 7:
      return refused("bad errors", { ...fields, errors: pick(["x", [1], [{ kind: "nope", message: "m" }], [{ kind: "validation" }], [{ kind: "validation", message: 5 }]]) }, "bad_message");
    case 8:
      return refused("bad ack", { ...fields, ack: pick([{ client, seq: 0 }, { client, seq: "1" }, { client: "", seq: 1 }, { client: "x".repeat(65), seq: 1 }, { client: "a b", seq: 1 }, "ack"]) }, "bad_message");
    case 9:
      return refused("an unknown method", { ...fields, method: pick(["frobnicate", "restore_reply", "__proto__", ""]) }, "bad_message");
    case 10:
      return refused("not an object", pick(["[1,2]", "null", '"update"', "5"]), "bad_message", []);
    case 11:
      return refused("nested too deep", `{"protocol":"2.0","method":"update","rev":${kernel.rev + 1},"state":{"value":${"[".repeat(1100)}${"]".repeat(1100)}}}`, "bad_message", []);
    case 12:
      return refused("extra buffers", { ...fields }, "bad_buffer", [...buffers, new ArrayBuffer(3)]);
    case 13:
      return refused("a placeholder without a path", { ...fields, patch: patchWithout(target), state: { ...state, [target]: { $binary: "bytes" } }, buffer_paths: fields.buffer_paths ?? [] }, "bad_buffer");
    case 14:
      return refused("a negative buffer index", { ...fields, patch: patchWithout(target), state: { ...state, [target]: [{ $binary: "bytes" }] }, buffer_paths: [...((fields.buffer_paths as unknown[]) ?? []), ["state", target, -1]] }, "bad_buffer", [...buffers, new ArrayBuffer(1)]);
    case 15:
      return refused("a path to no placeholder", { ...fields, patch: patchWithout(target), state: { ...state, [target]: 5 }, buffer_paths: [["state", target]] }, "bad_buffer", [new ArrayBuffer(1)]);
    case 16:
      return refused("a buffer of the wrong size", { ...fields, patch: patchWithout(target), state: { ...state, [target]: { $binary: "ndarray", dtype: "float64", shape: [2] } }, buffer_paths: [["state", target]] }, "bad_buffer", [new ArrayBuffer(15)]);
    case 17:
      return badPatch(pick([[{ op: "replace", path: "/999999", value: 1 }], [{ op: "add", path: "/m~2n", value: 1 }], [{ op: "add", path: 7, value: 1 }], [{ op: "frob", path: "" }], [{ op: "remove", path: "" }], [{ op: "test", path: "", value: "no such value" }], [{ op: "add", path: "/١", value: 1 }], [{ op: "replace", path: "/__proto__/polluted", value: 1 }], [{ op: "copy", from: 5, path: "/x" }], [null]]));
    case 18: {
      // A growth bomb: each copy doubles the list.
      const bomb: unknown[] = [{ op: "add", path: "/bomb", value: [0, 0] }];
      for (let i = 0; i < 18; i++) bomb.push({ op: "copy", from: "/bomb", path: "/bomb/0" });
      return { ...badPatch(bomb, true), label: "growth bomb" };
    }
    case 19: {
      const many = Array.from({ length: 4097 }, (_, i) => (i % 2 ? { op: "remove", path: "/zz" } : { op: "add", path: "/zz", value: i }));
      return { ...badPatch(many, true), label: "too many ops" };
    }
    case 20:
      // `__proto__` and friends as keys: valid data, kept as members (the message is valid).
      return validProtoCase(kernel);
    case 21:
      return refused("a forged ack", { ...fields, ack: { client, seq: 2 ** 40 } }, "bad_message");
    case 22:
      return chance(0.75) ? refused("a huge unknown method", { ...fields, method: "m".repeat(100_000) }, "bad_message") : hugeString(kernel);
    default:
      return refused("a state without a state object", { protocol: "2.0", method: "state", rev: kernel.rev }, "bad_message", []);
  }
}

/** A valid update setting a 1 MB string. */
function hugeString(kernel: KernelModel): Case {
  const text = "h".repeat(1 << 20);
  return {
    label: "a 1 MB string",
    raw: JSON.stringify({ protocol: "2.0", method: "update", rev: kernel.rev + 1, state: { text } }),
    buffers: [],
    expect: { kind: "valid" },
    commit: () => {
      kernel.state = new Map(kernel.state).set("text", text);
      kernel.rev += 1;
    },
  };
}

function validProtoCase(kernel: KernelModel): Case {
  const key = pick(["__proto__", "constructor", "cfg"]);
  const payload = `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"toString":1}`;
  const raw = `{"protocol":"2.0","method":"update","rev":${kernel.rev + 1},"state":{${JSON.stringify(key)}:${payload}}}`;
  const parsed = JSON.parse(raw) as { state: Record<string, J> };
  return {
    label: "__proto__ keys",
    raw,
    buffers: [],
    expect: { kind: "valid" },
    commit: () => {
      kernel.state = new Map(kernel.state).set(key, parsed.state[key] as J);
      kernel.rev += 1;
    },
  };
}

// --- running it --------------------------------------------------------------------------------

function prototypesClean(): boolean {
  const probe = {} as Record<string, unknown>;
  return (
    Object.getOwnPropertyNames(Object.prototype).length === PROTO_NAMES &&
    probe.polluted === undefined &&
    ([] as unknown as Record<string, unknown>).polluted === undefined &&
    Object.getPrototypeOf(probe) === Object.prototype
  );
}
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).length;

/** The fake kernel answers what the runtime sent: `request_state` with a state, an `update` with its echo and ack. */
/** Deliver a kernel message as the transport would (JSON parsed first); the runtime's handling time in ms. */
function deliverTimed(fake: FakeKernel, body: Record<string, unknown>, buffers: ArrayBuffer[]): number {
  const data: unknown = JSON.parse(JSON.stringify(body));
  const views = buffers.map((b) => new DataView(b));
  const started = performance.now();
  fake.comms.get("m1")?.messageHandler(data, views);
  return performance.now() - started;
}

/** The fake kernel answers what the runtime sent; returns [sent messages handled, answers delivered, slowest answer ms]. */
function answer(fake: FakeKernel, kernel: KernelModel, from: number, client: string): [number, number, number] {
  let handled = from;
  let delivered = 0;
  let slowest = 0;
  while (handled < fake.sent.length) {
    const sent = fake.sent[handled++];
    if (!sent || sent.commId !== "m1") continue;
    const data = sent.data as Record<string, unknown>;
    if (data.method === "request_state") {
      const { data: body, buffers } = frame({ method: "state", rev: kernel.rev, ack: kernel.lastSeq ? { client, seq: kernel.lastSeq } : undefined }, kernel.state);
      if (!kernel.lastSeq) delete body.ack;
      slowest = Math.max(slowest, deliverTimed(fake, body, buffers));
      delivered++;
    } else if (data.method === "update") {
      kernel.lastSeq = data.seq as number;
      const next = new Map(kernel.state);
      const changed = new Map<string, J | Uint8Array>();
      for (const [key, v] of Object.entries((data.state ?? {}) as Record<string, J>)) {
        next.set(key, v);
        changed.set(key, v);
      }
      for (const [key, ops] of Object.entries((data.patch ?? {}) as Record<string, unknown[]>)) {
        expect(data.base, "a browser patch is based on the kernel's rev").toBe(kernel.rev);
        expect(ops.length, "never an empty patch").toBeGreaterThan(0);
        const v = refApply((kernel.state.get(key) ?? null) as J, ops);
        next.set(key, v);
        changed.set(key, v);
      }
      kernel.state = next;
      kernel.rev += 1;
      const { data: body, buffers } = frame({ method: "update", rev: kernel.rev, ack: { client, seq: data.seq } }, changed);
      slowest = Math.max(slowest, deliverTimed(fake, body, buffers));
      delivered++;
    }
  }
  return [handled, delivered, slowest];
}

describe(`kernel -> browser fuzzer (seed ${SEED}, ${CASES} cases; FUZZ_SEED / FUZZ_CASES override)`, () => {
  it("never throws, never pollutes prototypes, refuses what is malformed, and converges", async () => {
    console.log(`fuzz: seed ${SEED} (FUZZ_SEED=${SEED} reproduces), ${CASES} cases`);
    const fake = new FakeKernel();
    const manager = new WidgetManager(fake, { client: "fuzz-client" });
    const kernel: KernelModel = { rev: 0, state: new Map<string, J | Uint8Array>([["value", 0], ["items", [1, 2, 3]], ["cfg", { a: { b: [1] } }], [BINARY_KEY, new Uint8Array([1, 2])]]), lastSeq: 0 };
    const { data: open, buffers: openBuffers } = frame({ method: "open", class: "fuzz.Model", rev: 0, esm: null, css: null, read_only: [] }, kernel.state);
    fake.openRaw("m1", JSON.stringify(open), openBuffers);
    const model: WidgetModel = await manager.get_model("m1");
    const errors: ErrorEntry[] = [];
    const customs: string[] = [];
    model.on("error", (entry: ErrorEntry) => errors.push(entry));
    model.on("msg:custom", (content: unknown) => customs.push(canonical(content)));
    let handled = 0;
    let seqSent = 0;
    const slowest: [number, string][] = [];
    const counts = new Map<string, number>();
    let messages = 0;
    let generated = 0;

    for (let n = 0; generated < CASES; n++) {
      const where = `seed ${SEED}, case ${n}`;
      if (chance(0.08)) {
        // A browser write, answered by the fake kernel at once.
        const key = pick(JSON_KEYS);
        const current = model.get(key) as J;
        model.set(key, chance(0.5) && current !== null && typeof current === "object" ? validPatch(clone(current)).result : value(3));
        model.save_changes();
        seqSent += 1;
      } else {
        const c = generate(kernel, manager.client, seqSent);
        generated++;
        counts.set(c.label, (counts.get(c.label) ?? 0) + 1);
        const before = c.expect.kind === "refused" ? new Map([...kernel.state.keys()].map((key) => [key, structuredClone(model.get(key))])) : new Map<string, unknown>();
        // The transport parses the JSON; the time measured is the runtime's own handling.
        const data: unknown = typeof c.raw === "string" ? JSON.parse(c.raw) : c.raw;
        const views = c.buffers.map((b) => new DataView(b));
        const started = performance.now();
        try {
          fake.comms.get("m1")?.messageHandler(data, views);
        } catch (error) {
          throw new Error(`${where} (${c.label}): the runtime threw ${String(error)}`);
        }
        const took = performance.now() - started;
        messages++;
        slowest.push([took, `${c.label} (case ${n})`]);
        slowest.sort((a, b) => b[0] - a[0]).splice(3);
        if (c.expect.kind === "refused") {
          expect(errors.map((e) => e.kind), `${where} (${c.label}): ${String(c.raw).slice(0, 300)}`).toEqual([c.expect.error]);
          for (const [key, old] of before) expect(sameValue(model.get(key), old), `${where} (${c.label}): '${key}' changed`).toBe(true);
        } else if (c.expect.kind === "valid") {
          expect(errors, `${where} (${c.label}): ${String(c.raw).slice(0, 300)}`).toEqual(c.expect.errors ?? []);
          if (c.expect.custom !== undefined) expect(customs.pop(), `${where} (custom)`).toBe(c.expect.custom);
          c.commit?.();
        } else {
          expect(errors, `${where} (${c.label})`).toEqual([]);
          c.commit?.();
        }
      }
      expect(prototypesClean(), `${where}: a prototype was polluted`).toBe(true);
      errors.length = 0;
      const [next, delivered, took] = answer(fake, kernel, handled, manager.client);
      handled = next;
      if (delivered) {
        messages += delivered;
        slowest.push([took, `the kernel's answer (case ${n})`]);
        slowest.sort((a, b) => b[0] - a[0]).splice(3);
      }
      expect(errors, `${where}: the kernel's answers are valid`).toEqual([]);
      expect(model.rev, `${where}: rev`).toBe(kernel.rev);
      expect(new Set(Object.keys(model.state())), `${where}: keys`).toEqual(new Set(kernel.state.keys()));
      for (const [key, v] of kernel.state) {
        if (!sameValue(model.get(key), v)) expect(canonical(model.get(key)).slice(0, 2000), `${where}: '${key}'`).toBe(canonical(v).slice(0, 2000));
      }
      expect(model.pendingWrites(), `${where}: pending writes`).toBe(0);
    }
    console.log(`fuzz: ${generated} generated kernel messages, ${messages} kernel messages in all; cases: ${[...counts].map(([k, v]) => `${k} ${v}`).join(", ")}`);
    console.log(`fuzz: slowest handling: ${slowest.map(([ms, what]) => `${ms.toFixed(2)} ms (${what})`).join("; ")}`);
    expect(generated).toBeGreaterThanOrEqual(Math.min(CASES, 10_000));
  }, 600_000);
});

/**
 * The browser's side of one model comm: confirmed state, pending writes, acknowledgement.
 * Mirrors widgets/sync.py; the rules are docs/protocol.md, "Acknowledgement and reconciliation".
 */
import { insertBuffers } from "./buffers";
import { applyPatch, makePatch, type Operation, PatchError } from "./patch";
import { type Envelope, type ErrorEntry, envelope, ProtocolError } from "./protocol";
import { fromWire, toWire } from "./serialize";

/** What the sync engine needs from its surroundings (the model and the manager). */
export interface SyncHost {
  readonly client: string;
  nextSeq(): number;
  send(data: Envelope, buffers: (ArrayBuffer | ArrayBufferView)[]): void;
  resolve(modelId: string): unknown;
  /** Displayed values of these keys may have changed: emit `change:<key>` where they did. */
  changed(before: Map<string, unknown>): void;
  error(entry: ErrorEntry): void;
  custom(content: unknown, buffers: DataView[]): void;
  snapshot(body: Envelope): void;
}

interface Pending {
  value: unknown;
  /** The `seq` of the update that carried it; null while it waits in the outbox. */
  seq: number | null;
}

export class ModelSync {
  rev = 0;
  readonly confirmed = new Map<string, unknown>();
  readonly pending = new Map<string, Pending>();
  private readonly outbox = new Set<string>();
  private readonly wholeValue = new Set<string>();
  private inFlight: number | null = null;
  connected = true;

  constructor(private readonly host: SyncHost) {}

  /** What a view shows: the pending local value if any, else the kernel's confirmed one. */
  value(key: string): unknown {
    const pending = this.pending.get(key);
    return pending ? pending.value : this.confirmed.get(key);
  }

  keys(): string[] {
    return [...new Set([...this.confirmed.keys(), ...this.pending.keys()])];
  }

  private displayed(keys: Iterable<string>): Map<string, unknown> {
    const before = new Map<string, unknown>();
    for (const key of keys) before.set(key, this.value(key));
    return before;
  }

  // --- browser -> kernel ---------------------------------------------------------------------

  /** Queue local values; they go out at once, or merged into one update when the last one is acked. */
  write(changes: Map<string, unknown>, wholeValue: Set<string>): void {
    for (const [key, value] of changes) {
      this.pending.set(key, { value, seq: null });
      this.outbox.add(key);
      if (wholeValue.has(key)) this.wholeValue.add(key);
    }
    this.flush();
  }

  /** Send the outbox as one update, unless one is in flight (then its ack sends the rest) or `now`. */
  flush(now = false): void {
    if ((this.inFlight !== null && !now) || this.outbox.size === 0) return;
    if (!this.connected) {
      this.host.error({
        kind: "disconnected",
        message: `not delivered (${[...this.outbox].join(", ")}): the kernel is not connected`,
      });
      return;
    }
    const seq = this.host.nextSeq();
    const state: Record<string, unknown> = {};
    const patch: Record<string, Operation[]> = {};
    for (const key of this.outbox) {
      const entry = this.pending.get(key);
      if (!entry) continue;
      entry.seq = seq;
      const ops = this.wholeValue.has(key) ? null : smallerPatch(this.confirmed.get(key), entry.value);
      if (ops) patch[key] = ops;
      else state[key] = entry.value;
    }
    this.outbox.clear();
    this.wholeValue.clear();
    const fields: Record<string, unknown> = { client: this.host.client, seq };
    if (Object.keys(state).length) fields.state = state;
    if (Object.keys(patch).length) {
      fields.patch = patch;
      fields.base = this.rev;
    }
    const { json, binaries } = toWire(fields);
    const data = envelope("update", json as Record<string, unknown>);
    if (binaries.length) data.buffer_paths = binaries.map(([path]) => path);
    this.inFlight = seq;
    this.host.send(data, binaries.map(([, buffer]) => buffer));
  }

  requestState(): void {
    this.host.send(envelope("request_state", { client: this.host.client }), []);
  }

  // --- kernel -> browser ---------------------------------------------------------------------

  /** Apply one message from the kernel; malformed content becomes an error event, never a throw. */
  receive(data: Envelope, buffers: readonly (ArrayBuffer | ArrayBufferView)[]): void {
    try {
      const extra = insertBuffers(data, buffers);
      switch (data.method) {
        case "open":
        case "state":
          this.applySnapshot(data);
          break;
        case "update":
          this.applyUpdate(data);
          break;
        case "custom":
          this.host.custom(fromWire(data.content, (id) => this.host.resolve(id)), extra);
          break;
        case "error":
          for (const entry of (data.errors as ErrorEntry[] | undefined) ?? []) this.host.error(entry);
          break;
        default:
          throw new ProtocolError("bad_message", `unknown method ${JSON.stringify(data.method)}`);
      }
    } catch (error) {
      if (error instanceof PatchError) {
        // Our copy no longer matches the kernel's: report it, and take the kernel's state again.
        this.host.error({ kind: "bad_patch", message: error.message });
        this.requestState();
        return;
      }
      this.host.error({ kind: error instanceof ProtocolError ? error.kind : "bad_message", message: String(error) });
    }
  }

  applySnapshot(body: Envelope): void {
    const state = (body.state ?? {}) as Record<string, unknown>;
    const before = this.displayed([...this.keys(), ...Object.keys(state)]);
    this.rev = body.rev as number;
    this.confirmed.clear();
    for (const [key, value] of Object.entries(state)) this.confirmed.set(key, this.resolved(value));
    this.acknowledge(body.ack as Ack | undefined, []);
    this.host.snapshot(body);
    this.host.changed(before);
  }

  private applyUpdate(data: Envelope): void {
    if (data.rev !== this.rev + 1) {
      // A message was lost: the kernel's `state` (with our last ack) puts us right.
      this.requestState();
      return;
    }
    const state = (data.state ?? {}) as Record<string, unknown>;
    const patch = (data.patch ?? {}) as Record<string, Operation[]>;
    const errors = (data.errors as ErrorEntry[] | undefined) ?? [];
    const before = this.displayed([...Object.keys(state), ...Object.keys(patch), ...this.pending.keys()]);
    const patched = new Map<string, unknown>();
    for (const [key, ops] of Object.entries(patch)) patched.set(key, applyPatch(this.confirmed.get(key), this.resolved(ops)));
    this.rev = data.rev;
    for (const [key, value] of Object.entries(state)) this.confirmed.set(key, this.resolved(value));
    for (const [key, value] of patched) this.confirmed.set(key, value);
    this.acknowledge(data.ack as Ack | undefined, errors);
    this.host.changed(before);
    for (const entry of errors) this.host.error(entry);
  }

  private acknowledge(ack: Ack | undefined, errors: ErrorEntry[]): void {
    if (!ack || ack.client !== this.host.client) return;
    const stale = new Set(errors.filter((e) => e.kind === "stale" && e.key).map((e) => e.key as string));
    const retry = new Map<string, unknown>();
    for (const [key, entry] of this.pending) {
      if (entry.seq !== null && entry.seq <= ack.seq) {
        this.pending.delete(key);
        // The kernel changed this key while our patch travelled: send our value whole instead.
        if (stale.has(key)) retry.set(key, entry.value);
      }
    }
    if (this.inFlight !== null && ack.seq >= this.inFlight) this.inFlight = null;
    if (retry.size) this.write(retry, new Set(retry.keys()));
    else this.flush();
  }

  private resolved(value: unknown): unknown {
    return fromWire(value, (id) => this.host.resolve(id));
  }

  /** The kernel is gone (restart, shutdown): nothing can be delivered until a new snapshot. */
  disconnect(): void {
    this.connected = false;
    this.inFlight = null;
  }
}

interface Ack {
  client: string;
  seq: number;
}

/** A JSON Patch for `next` against `base` when its encoding is smaller than the whole value. */
function smallerPatch(base: unknown, next: unknown): Operation[] | null {
  if (base === next || base === null || next === null || typeof base !== "object" || typeof next !== "object") return null;
  if (Array.isArray(base) !== Array.isArray(next) || ArrayBuffer.isView(base) || ArrayBuffer.isView(next)) return null;
  const size = Array.isArray(next) ? next.length : Object.keys(next).length;
  const ops = makePatch(base, next, Math.max(16, size >> 2));
  if (ops === null || ops.length === 0) return ops;
  const wire = toWire(ops);
  if (wire.binaries.length) return null; // binary values travel whole (docs/protocol.md)
  const patchText = JSON.stringify(wire.json);
  if (patchText.length < 1024 && size > 1024) return ops;
  return patchText.length < JSON.stringify(toWire(next).json).length ? ops : null;
}

/**
 * The browser's side of one model comm: the confirmed state, local writes, acknowledgement.
 * Mirrors widgets/sync.py; the rules are docs/protocol.md, "Acknowledgement and reconciliation".
 *
 * The confirmed state is private: views get copies (copy.ts), so a view mutating what `get`
 * returned can never change the baseline the next patch is computed against.
 */
import { type Unavailable, notDelivered } from "./connection";
import { deepCopy } from "./copy";
import { invokeIdOf, parseModelMessage } from "./incoming";
import type { Ack, BrowserModelMessage, InvokeReply, KernelModelMessage, KernelUpdate, Snapshot } from "./messages";
import { envelope } from "./messages";
import { applyPatch, makePatch, type Operation, PatchError } from "./patch";
import { type ErrorEntry, MAX_PATCH_OPS, ProtocolError } from "./protocol";
import { toWire } from "./serialize";

/** What the sync engine needs from its model. */
export interface SyncHost {
  readonly client: string;
  nextSeq(): number;
  /** The highest `seq` this client has sent (an ack beyond it is forged). */
  lastSeq(): number;
  /** Why nothing can be sent now, or null. */
  unavailable(): Unavailable | null;
  /** A custom message cannot be delivered: the model is offline (saved state, no kernel). */
  undeliverable(): void;
  send(data: BrowserModelMessage, buffers: (ArrayBuffer | ArrayBufferView)[]): void;
  /** Displayed values of these keys may have changed (`before`: what was displayed): emit `change:<key>` where they did. */
  changed(before: Map<string, unknown>, local: boolean): void;
  error(entry: ErrorEntry): void;
  custom(content: unknown, buffers: DataView[]): void;
  snapshot(message: Snapshot): void;
  /** The answer to a command call (commands.ts owns the calls). */
  reply(message: InvokeReply, extra: DataView[]): void;
  /** A reply to call `id` was refused: that call fails with why. */
  replyRefused(id: string, kind: ErrorEntry["kind"], message: string): void;
}

/**
 * A local write, the one place it lives: `unsaved` (set, no save_changes yet), `queued` (saved,
 * waiting for the update in flight to be acknowledged), `in-flight` (sent as update `seq`).
 * `whole`: send the whole value, never a patch (a stale patch is retried so).
 */
interface Write {
  value: unknown;
  phase: "unsaved" | "queued" | "in-flight";
  seq: number | null;
  whole: boolean;
}

const quoted = (keys: string[]): string => keys.map((k) => `'${k}'`).join(", ");

export class ModelSync {
  rev = 0;
  private readonly confirmed = new Map<string, unknown>();
  /** The copy views get of a confirmed value, made on first `get` after the value changed. */
  private readonly copies = new Map<string, unknown>();
  private readonly writes = new Map<string, Write>();
  /** The `seq` of the last update sent and not yet acknowledged. */
  private inFlight: number | null = null;
  /** A `request_state` is out: further gaps need no other one. */
  private resyncing = false;
  /** The next snapshot replaces local writes (an offline model taken over by a live registry). */
  private replaceWrites = false;

  constructor(private readonly host: SyncHost) {}

  /** What a view shows: the local value if any, else a copy of the confirmed one. */
  value(key: string): unknown {
    const write = this.writes.get(key);
    if (write) return write.value;
    if (!this.confirmed.has(key)) return undefined;
    if (!this.copies.has(key)) this.copies.set(key, deepCopy(this.confirmed.get(key)));
    return this.copies.get(key);
  }

  keys(): string[] {
    return [...new Set([...this.confirmed.keys(), ...this.writes.keys()])];
  }

  /** Local writes the kernel has not acknowledged (saved ones: queued or in flight). */
  pendingWrites(): number {
    let count = 0;
    for (const write of this.writes.values()) if (write.phase !== "unsaved") count++;
    return count;
  }

  /** The displayed values of `keys`, for change detection (internal objects: never handed out). */
  displayed(keys: Iterable<string>): Map<string, unknown> {
    const before = new Map<string, unknown>();
    for (const key of keys) {
      const write = this.writes.get(key);
      before.set(key, write ? write.value : this.confirmed.get(key));
    }
    return before;
  }

  // --- browser -> kernel ---------------------------------------------------------------------

  /** A local value, shown at once; `save()` sends it. */
  set(key: string, value: unknown): void {
    this.writes.set(key, { value, phase: "unsaved", seq: null, whole: false });
    this.copies.delete(key); // the next copy is made afresh, whatever a view did to this one
  }

  /** Send every unsaved value: at once, or merged into one update when the one in flight is acked. */
  save(): void {
    for (const write of this.writes.values()) if (write.phase === "unsaved") write.phase = "queued";
    this.flush();
  }

  /** Send the queued writes as one update, unless one is in flight (then its ack sends them) or `now`. */
  flush(now = false): void {
    const queued = [...this.writes].filter(([, write]) => write.phase === "queued");
    if (queued.length === 0 || (this.inFlight !== null && !now)) return;
    const why = this.host.unavailable();
    if (why) {
      // Reported once; the view keeps showing the values, a later save_changes tries again.
      // Offline (saved state) nothing is reported: the values stay in the page, as documented.
      for (const [, write] of queued) write.phase = "unsaved";
      if (why.kind === "offline") return;
      this.host.error(notDelivered(`the value of ${quoted(queued.map(([key]) => key))}`, why));
      return;
    }
    const seq = this.host.nextSeq();
    const state: Record<string, unknown> = {};
    const patch: Record<string, Operation[]> = {};
    for (const [key, write] of queued) {
      const ops = write.whole ? null : smallerPatch(this.confirmed.get(key), write.value);
      if (ops) patch[key] = ops;
      else state[key] = write.value;
      write.phase = "in-flight";
      write.seq = seq;
      write.whole = false;
    }
    const fields: Record<string, unknown> = {};
    if (Object.keys(state).length) fields.state = state;
    if (Object.keys(patch).length) fields.patch = patch;
    const { json, binaries } = toWire(fields);
    const data = envelope("update", { client: this.host.client, seq, ...(json as Record<string, unknown>) });
    if (data.patch) data.base = this.rev;
    if (binaries.length) data.buffer_paths = binaries.map(([path]) => path);
    this.inFlight = seq;
    this.host.send(data, binaries.map(([, buffer]) => buffer));
  }

  /** A custom message, after every value saved before it. */
  sendCustom(content: unknown, buffers: (ArrayBuffer | ArrayBufferView)[]): void {
    this.flush(true);
    const why = this.host.unavailable();
    if (why?.kind === "offline") {
      this.host.undeliverable();
      return;
    }
    if (why) {
      this.host.error(notDelivered("a custom message", why));
      return;
    }
    const { json, binaries } = toWire(content);
    const data = envelope("custom", { content: json });
    if (binaries.length) data.buffer_paths = binaries.map(([path]) => ["content", ...path]);
    this.host.send(data, [...binaries.map(([, buffer]) => buffer), ...buffers]);
  }

  requestState(): void {
    if (this.resyncing || this.host.unavailable()) return;
    this.resyncing = true;
    this.host.send(envelope("request_state", { client: this.host.client }), []);
  }

  // --- kernel -> browser ---------------------------------------------------------------------

  /** Check and apply one kernel message; a refused one is an error event, never a throw, and changes nothing. */
  receive(raw: unknown, buffers: readonly (ArrayBuffer | ArrayBufferView)[]): KernelModelMessage | null {
    let parsed: { message: KernelModelMessage; extra: DataView[] };
    try {
      parsed = parseModelMessage(raw, buffers);
      this.checkAck(parsed.message);
    } catch (error) {
      this.refused(error, raw);
      return null;
    }
    return this.apply(parsed.message, parsed.extra) ? parsed.message : null;
  }

  /** Apply a checked message; false if it did not apply (reported). */
  apply(message: KernelModelMessage, extra: DataView[] = []): boolean {
    try {
      switch (message.method) {
        case "open":
        case "state":
          this.applySnapshot(message);
          break;
        case "update":
          this.applyUpdate(message);
          break;
        case "custom":
          this.host.custom(message.content, extra);
          break;
        case "error":
          for (const entry of message.errors) this.host.error(entry);
          break;
        case "invoke_reply":
          this.host.reply(message, extra);
          break;
      }
      return true;
    } catch (error) {
      this.refused(error, message);
      return false;
    }
  }

  private refused(error: unknown, raw: unknown): void {
    const method = raw !== null && typeof raw === "object" ? (raw as { method?: unknown }).method : undefined;
    if (error instanceof PatchError) {
      // Our copy no longer matches the kernel's: report it, and take the kernel's state again.
      this.host.error({ kind: "bad_patch", message: error.message });
      this.requestState();
      return;
    }
    const kind = error instanceof ProtocolError ? error.kind : "bad_message";
    const callId = invokeIdOf(raw);
    if (callId !== null) {
      // A malformed reply fails its own call (an unknown id: nobody waits, it is dropped).
      this.host.replyRefused(callId, kind, error instanceof Error ? error.message : String(error));
      return;
    }
    this.host.error({ kind, message: error instanceof Error ? error.message : String(error) });
    if (method === "state" || method === "open") this.resyncing = false;
    // A refused update may have carried a change (and our ack): ask for the state it led to.
    if (method === "update" && kind !== "version") this.requestState();
  }

  /** An ack for this client of a `seq` it never sent is forged: refuse the message. */
  private checkAck(message: KernelModelMessage): void {
    const ack = "ack" in message ? message.ack : undefined;
    if (ack && ack.client === this.host.client && ack.seq > this.host.lastSeq()) {
      throw new ProtocolError("bad_message", `an ack of seq ${ack.seq}, which this client has not sent yet`);
    }
  }

  /** The next snapshot is the kernel's (a takeover): offline local writes give way to it. */
  dropLocalWrites(): void {
    this.replaceWrites = true;
  }

  applySnapshot(message: Snapshot): void {
    const before = this.displayed([...this.keys(), ...Object.keys(message.state)]);
    if (this.replaceWrites) {
      this.replaceWrites = false;
      this.writes.clear();
      this.inFlight = null;
    }
    this.rev = message.rev;
    this.resyncing = false;
    this.confirmed.clear();
    this.copies.clear();
    for (const [key, value] of Object.entries(message.state)) this.confirmed.set(key, value);
    this.acknowledge(message.ack, []);
    this.host.snapshot(message);
    this.host.changed(before, false);
  }

  private applyUpdate(message: KernelUpdate): void {
    if (message.rev !== this.rev + 1) {
      // A message was lost: the kernel's `state` (with our last ack) puts us right.
      this.requestState();
      return;
    }
    const state = message.state ?? {};
    const patch = message.patch ?? {};
    const errors = message.errors ?? [];
    const keys = [...Object.keys(state), ...Object.keys(patch)];
    const before = this.displayed([...keys, ...this.writes.keys()]);
    // Every patch is applied (copy-on-write) before anything is committed: all or nothing.
    const patched = new Map<string, unknown>();
    for (const [key, ops] of Object.entries(patch)) patched.set(key, applyPatch(this.confirmed.get(key), ops));
    this.rev = message.rev;
    for (const [key, value] of [...Object.entries(state), ...patched]) {
      this.confirmed.set(key, value);
      this.copies.delete(key);
    }
    this.acknowledge(message.ack, errors);
    this.host.changed(before, false);
    for (const entry of errors) this.host.error(entry);
  }

  /** Settle the writes an ack answers; a stale patch is queued again, whole. Then send what waits. */
  private acknowledge(ack: Ack | undefined, errors: ErrorEntry[]): void {
    if (!ack || ack.client !== this.host.client) return;
    const stale = new Set(errors.filter((e) => e.kind === "stale" && e.key !== undefined).map((e) => e.key as string));
    for (const [key, write] of this.writes) {
      if (write.phase !== "in-flight" || (write.seq as number) > ack.seq) continue;
      if (stale.has(key)) {
        // The kernel changed this key while our patch travelled: send our value whole instead.
        write.phase = "queued";
        write.seq = null;
        write.whole = true;
      } else {
        this.writes.delete(key);
      }
    }
    if (this.inFlight !== null && ack.seq >= this.inFlight) this.inFlight = null;
    this.flush();
  }
}

/**
 * A JSON Patch for `next` against `base` when its encoding is smaller than the whole value, else
 * null (send it whole): never for binary, never an empty patch, never more than MAX_PATCH_OPS.
 */
export function smallerPatch(base: unknown, next: unknown): Operation[] | null {
  if (base === next || base === null || next === null || typeof base !== "object" || typeof next !== "object") return null;
  if (Array.isArray(base) !== Array.isArray(next) || ArrayBuffer.isView(base) || ArrayBuffer.isView(next)) return null;
  const size = Array.isArray(next) ? next.length : Object.keys(next).length;
  const ops = makePatch(base, next, Math.min(MAX_PATCH_OPS, Math.max(16, size >> 2)));
  if (ops === null || ops.length === 0) return null;
  const wire = toWire(ops);
  if (wire.binaries.length) return null; // binary values travel whole (docs/protocol.md)
  const patchText = JSON.stringify(wire.json);
  if (patchText.length < 1024 && size > 1024) return ops;
  return patchText.length < JSON.stringify(toWire(next).json).length ? ops : null;
}

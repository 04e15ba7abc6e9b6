/**
 * The model a view gets: a superset of anywidget's front-end model contract.
 * Mirrors widgets/model.py; the wire work is done by ModelSync (sync.ts).
 */
import { Commands, type InvokeOptions, type InvokeResult } from "./commands";
import type { Unavailable } from "./connection";
import { type Callback, Emitter } from "./events";
import type { BrowserModelMessage, KernelModelMessage, Snapshot } from "./messages";
import { jsonEqual } from "./patch";
import type { ErrorEntry } from "./protocol";
import { ModelSync } from "./sync";

/** `offline`: made from saved state, with no kernel (offline.ts); `set` and `save_changes` stay in the page. */
export type ModelStatus = "live" | "closed" | "disconnected" | "offline";

/** Whether a model's owner can reach a kernel, and why not (the text views show). */
export interface Standing {
  status: "live" | "disconnected" | "offline";
  reason: string;
}

/**
 * What a model needs from whoever owns it: a live registry (registry.ts) or saved state
 * (offline.ts). The owner can change once, from saved to live (`adopt`): everything that
 * depends on it is read through `owner` at the time of use, never copied.
 */
export interface ModelOwner {
  readonly client: string;
  standing(modelId: string): Standing;
  /** A custom message that cannot be delivered offline: the owner reports it (once per model). */
  undeliverable(model: WidgetModel): void;
  nextSeq(): number;
  lastSeq(): number;
  send(modelId: string, data: BrowserModelMessage, buffers: (ArrayBuffer | ArrayBufferView)[]): void;
  close(modelId: string): void;
  get_model(ref: string): Promise<WidgetModel>;
  create(className: string, state?: Record<string, unknown>): Promise<WidgetModel>;
}

/** The `widget_manager` of anywidget's contract, plus browser-created models. */
export interface WidgetManagerLike {
  /** A model by id, or by a reference as values hold it (`"IPY_MODEL_<id>"`). */
  get_model(ref: string): Promise<WidgetModel>;
  /** A live instance of the Python class registered under `className` (`widgets.register`). */
  create(className: string, state?: Record<string, unknown>): Promise<WidgetModel>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type State = Record<string, any>;

/** How many errors `model.errors` keeps (the newest). */
const KEPT_ERRORS = 100;

export class WidgetModel<T extends State = State> {
  readonly widget_manager: WidgetManagerLike;
  className = "";
  /** Content hashes of the view's module and stylesheet (sources: WidgetManager.asset). */
  esmHash: string | null = null;
  cssHash: string | null = null;
  readOnly = new Set<string>();
  /** Its class is eager (`_eager` in Python): `initialize` runs when the model arrives, with no view (lifecycle.ts). */
  eager = false;
  /** The last errors reported for this model, newest last. */
  readonly errors: ErrorEntry[] = [];
  /** Set by the first snapshot (`open`, `state`, restore): the model is usable. */
  ready = false;
  private closed = false;
  private readonly sync: ModelSync;
  private readonly commands: Commands;
  private readonly events = new Emitter();

  constructor(
    readonly model_id: string,
    private owner: ModelOwner,
  ) {
    this.widget_manager = { get_model: (ref) => this.owner.get_model(ref), create: (name, state) => this.owner.create(name, state) };
    const model = this;
    this.sync = new ModelSync({
      get client() {
        return model.owner.client;
      },
      nextSeq: () => this.owner.nextSeq(),
      lastSeq: () => this.owner.lastSeq(),
      unavailable: () => this.unavailable(),
      undeliverable: () => this.owner.undeliverable(this),
      send: (data, buffers) => this.owner.send(model_id, data, buffers),
      changed: (before, local) => this.emitChanges(before, local),
      error: (entry) => this.reportError(entry),
      custom: (content, buffers) => this.emit("msg:custom", [content, buffers]),
      snapshot: (body) => this.takeSnapshot(body),
      reply: (message, extra) => this.commands.reply(message, extra),
      replyRefused: (id, kind, message) => this.commands.refused(id, kind, message),
    });
    this.commands = new Commands({
      get client() {
        return model.owner.client;
      },
      unavailable: () => this.unavailable(),
      send: (data, buffers) => this.owner.send(model_id, data, buffers),
    });
  }

  // --- anywidget's contract ------------------------------------------------------------------

  /** The value a view shows (a copy of the kernel's, which the view may mutate freely). */
  get<K extends keyof T & string>(key: K): T[K] {
    return this.sync.value(key) as T[K];
  }

  /** Change a value locally (views see it at once); `save_changes()` sends it to the kernel. */
  set<K extends keyof T & string>(key: K, value: T[K]): void;
  set(values: Partial<T>): void;
  set(keyOrValues: string | Partial<T>, value?: unknown): void {
    const changes: [string, unknown][] = typeof keyOrValues === "string" ? [[keyOrValues, value]] : Object.entries(keyOrValues);
    const before = new Map<string, unknown>();
    for (const [key, next] of changes) {
      if (this.readOnly.has(key)) {
        this.reportError({ kind: "read_only", key, message: `'${key}' is read-only: only the kernel may change it` });
        continue;
      }
      if (!before.has(key)) before.set(key, this.sync.displayed([key]).get(key));
      this.sync.set(key, next);
    }
    this.emitChanges(before, true);
  }

  /** Send every value set since the last call, as one update (merged with others while one is in flight). */
  save_changes(): void {
    this.sync.save();
  }

  /** A custom message to the kernel's `on_msg` callbacks. `callbacks` is accepted for compatibility. */
  send(content: unknown, _callbacks?: unknown, buffers: (ArrayBuffer | ArrayBufferView)[] = []): void {
    this.sync.sendCustom(content, buffers);
  }

  /**
   * Call the Python model's command `name` (a method marked `@widgets.command`) with `args` and
   * wait for its return value (binary decoded as in synced values). Rejects with an InvokeError
   * (`kind`, `type`, `message`, `traceback`) when it raised or could not run; at once when the
   * model is closed, the kernel gone, or there is none (saved state); with `signal.reason` when
   * `signal` aborts. Values saved before the call reach the kernel before it.
   */
  invoke<R = unknown>(name: string, args?: unknown, options?: InvokeOptions): Promise<R> {
    return this.call(name, args, options).then(({ result }) => result as R);
  }

  /** `invoke`, resolving to the result and the reply's extra buffers (anywidget's `experimental.invoke`). */
  call(name: string, args?: unknown, options?: InvokeOptions): Promise<InvokeResult> {
    if (!this.unavailable()) this.sync.flush(true);
    return this.commands.call(name, args, options);
  }

  /** Command calls sent and not answered yet. */
  pendingCalls(): number {
    return this.commands.pending;
  }

  on(event: string, callback: Callback, context?: unknown): void {
    this.events.on(event, callback, context);
  }

  off(event?: string | null, callback?: Callback | null, context?: unknown): void {
    this.events.off(event, callback, context);
  }

  // --- beyond the contract -------------------------------------------------------------------

  /** `live`, `closed` (by the kernel or `close()`), `disconnected` (the kernel is gone), or `offline` (saved state). */
  get status(): ModelStatus {
    if (this.closed) return "closed";
    return this.owner.standing(this.model_id).status;
  }

  /** Why the model is not live ("the kernel died", the saved-state notice, ...); "" when live. */
  get reason(): string {
    return this.closed ? "the model was closed" : this.owner.standing(this.model_id).reason;
  }

  /** The kernel revision this model's confirmed state is at. */
  get rev(): number {
    return this.sync.rev;
  }

  /** Every synced key (confirmed or written locally). */
  keys(): string[] {
    return this.sync.keys();
  }

  /** Every synced key and the value a view shows. */
  state(): T {
    return Object.fromEntries(this.sync.keys().map((key) => [key, this.get(key)])) as T;
  }

  /** Saved local writes the kernel has not acknowledged yet. */
  pendingWrites(): number {
    return this.sync.pendingWrites();
  }

  /** Ask the kernel to close this model (`model.close()` in Python). */
  close(): void {
    this.owner.close(this.model_id);
  }

  listenerCount(event?: string): number {
    return this.events.count(event);
  }

  // --- for the registry (registry.ts, control.ts) ---------------------------------------------

  /** @internal A kernel message on this model's comm: checked, then applied; null if refused. */
  receive(data: unknown, buffers: readonly (ArrayBuffer | ArrayBufferView)[]): KernelModelMessage | null {
    return this.sync.receive(data, buffers);
  }

  /** @internal A message already checked (an `open`, or a restored model's state). */
  apply(message: KernelModelMessage): boolean {
    return this.sync.apply(message);
  }

  /** @internal The comm is gone (the kernel closed the model, or `close()`). */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.commands.failAll({ kind: "closed", reason: "the model was closed" });
    this.emit("status", ["closed"]);
  }

  /** @internal The kernel is gone, or an offline model's notice changed: views show the new standing. */
  connectionLost(): void {
    const why = this.unavailable();
    if (why) this.commands.failAll(why);
    if (!this.closed) this.emit("status", [this.status, this.reason]);
  }

  /**
   * @internal A live registry takes this (saved, offline) model over: the same object, so views
   * keep rendering it. `snapshot` is the kernel's state; local writes made offline give way to
   * it, as an update would, and change events fire for the keys whose shown value differs.
   */
  adopt(owner: ModelOwner, snapshot: KernelModelMessage): boolean {
    this.owner = owner;
    this.sync.dropLocalWrites();
    const applied = this.apply(snapshot);
    this.emit("status", [this.status, this.reason]);
    return applied;
  }

  /** @internal An error for the views (from the kernel, or the runtime's own). */
  reportError(entry: ErrorEntry): void {
    this.errors.push(entry);
    if (this.errors.length > KEPT_ERRORS) this.errors.splice(0, this.errors.length - KEPT_ERRORS);
    this.emit("error", [entry]);
  }

  private unavailable(): Unavailable | null {
    if (this.closed) return { kind: "closed", reason: "the model was closed" };
    const { status, reason } = this.owner.standing(this.model_id);
    return status === "live" ? null : { kind: status, reason };
  }

  private emit(event: string, args: unknown[]): void {
    this.events.emit(event, args, (error) => {
      // A listener that throws must not stop the others, nor vanish into the console.
      const problem = error instanceof Error ? error : new Error(String(error));
      if (event === "error") console.error(problem);
      else this.reportError({ kind: "view", message: `${event} listener: ${problem.message}`, traceback: problem.stack ?? "" });
    });
  }

  private takeSnapshot(body: Snapshot): void {
    if (typeof body.class === "string") this.className = body.class;
    this.esmHash = body.esm ?? null;
    this.cssHash = body.css ?? null;
    this.readOnly = new Set(body.read_only ?? []);
    this.eager = body.eager === true;
    this.ready = true;
  }

  private emitChanges(before: Map<string, unknown>, local: boolean): void {
    const now = this.sync.displayed(before.keys());
    const changed: string[] = [];
    for (const [key, old] of before) {
      const value = now.get(key);
      if (value !== old && (local || !jsonEqual(value, old))) changed.push(key);
    }
    for (const key of changed) {
      // The value argument is the shared copy views get: made only if someone listens.
      const event = `change:${key}`;
      if (this.events.count(event)) this.emit(event, [this, this.get(key)]);
    }
    if (changed.length) this.emit("change", [this]);
  }
}

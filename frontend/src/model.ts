/**
 * The model a view gets: a superset of anywidget's front-end model contract.
 * Mirrors widgets/model.py; the wire work is done by ModelSync (sync.ts).
 */
import { type Callback, Emitter } from "./events";
import { jsonEqual } from "./patch";
import { type Envelope, type ErrorEntry, envelope } from "./protocol";
import { toWire } from "./serialize";
import { ModelSync, type SyncHost } from "./sync";

export type ModelStatus = "live" | "closed" | "disconnected";

/** What a model needs from the manager that owns it (manager.ts). */
export interface ModelOwner {
  readonly client: string;
  nextSeq(): number;
  send(modelId: string, data: Envelope, buffers: (ArrayBuffer | ArrayBufferView)[]): void;
  close(modelId: string): void;
  /** A live model by id, if it exists already. */
  lookup(modelId: string): WidgetModel | undefined;
  get_model(modelId: string): Promise<WidgetModel>;
  create(className: string, state?: Record<string, unknown>): Promise<WidgetModel>;
}

/** The `widget_manager` of anywidget's contract, plus browser-created models. */
export interface WidgetManagerLike {
  get_model(modelId: string): Promise<WidgetModel>;
  /** A live instance of the Python class registered under `className` (`widgets.register`). */
  create(className: string, state?: Record<string, unknown>): Promise<WidgetModel>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type State = Record<string, any>;

export class WidgetModel<T extends State = State> {
  readonly widget_manager: WidgetManagerLike;
  className = "";
  /** Content hashes of the view's module and stylesheet (sources: WidgetManager.asset). */
  esmHash: string | null = null;
  cssHash: string | null = null;
  readOnly = new Set<string>();
  status: ModelStatus = "live";
  /** Every error the kernel reported for this model, newest last. */
  readonly errors: ErrorEntry[] = [];
  /** @internal */
  readonly sync: ModelSync;
  private readonly events = new Emitter();
  private readonly unsaved = new Map<string, unknown>();
  private readonly sameObject = new Set<string>();

  constructor(
    readonly model_id: string,
    private readonly owner: ModelOwner,
  ) {
    this.widget_manager = { get_model: (id) => owner.get_model(id), create: (name, state) => owner.create(name, state) };
    const host: SyncHost = {
      client: owner.client,
      nextSeq: () => owner.nextSeq(),
      send: (data, buffers) => owner.send(model_id, data, buffers),
      resolve: (id) => owner.lookup(id),
      changed: (before) => this.emitChanges(before),
      error: (entry) => this.reportError(entry),
      custom: (content, buffers) => this.emit("msg:custom", [content, buffers]),
      snapshot: (body) => this.takeSnapshot(body),
    };
    this.sync = new ModelSync(host);
  }

  // --- anywidget's contract ------------------------------------------------------------------

  get<K extends keyof T & string>(key: K): T[K] {
    if (this.unsaved.has(key)) return this.unsaved.get(key) as T[K];
    return this.sync.value(key) as T[K];
  }

  /** Change a value locally (views see it at once); `save_changes()` sends it to the kernel. */
  set<K extends keyof T & string>(key: K, value: T[K]): void;
  set(values: Partial<T>): void;
  set(keyOrValues: string | Partial<T>, value?: unknown): void {
    const changes = typeof keyOrValues === "string" ? { [keyOrValues]: value } : keyOrValues;
    const before = new Map<string, unknown>();
    for (const [key, next] of Object.entries(changes)) {
      if (this.readOnly.has(key)) {
        this.reportError({ kind: "read_only", key, message: `'${key}' is read-only: only the kernel may change it` });
        continue;
      }
      const current = this.get(key);
      before.set(key, current);
      // The same object again was probably changed in place: send it whole, never as an empty diff.
      if (next === current && next !== null && typeof next === "object") this.sameObject.add(key);
      this.unsaved.set(key, next);
    }
    this.emitChanges(before, true);
  }

  /** Send every value set since the last call, as one update (merged with others while one is in flight). */
  save_changes(): void {
    if (this.unsaved.size === 0) return;
    const changes = new Map(this.unsaved);
    const whole = new Set(this.sameObject);
    this.unsaved.clear();
    this.sameObject.clear();
    this.sync.write(changes, whole);
  }

  /** A custom message to the kernel's `on_msg` callbacks. `callbacks` is accepted for compatibility. */
  send(content: unknown, _callbacks?: unknown, buffers: (ArrayBuffer | ArrayBufferView)[] = []): void {
    if (this.status !== "live") {
      this.reportError({ kind: "disconnected", message: `message not delivered: the model is ${this.status}` });
      return;
    }
    this.sync.flush(true); // values saved before this message reach the kernel before it
    const { json, binaries } = toWire(content);
    const data = envelope("custom", { content: json });
    if (binaries.length) data.buffer_paths = binaries.map(([path]) => ["content", ...path]);
    this.owner.send(this.model_id, data, [...binaries.map(([, buffer]) => buffer), ...buffers]);
  }

  on(event: string, callback: Callback, context?: unknown): void {
    this.events.on(event, callback, context);
  }

  off(event?: string | null, callback?: Callback | null, context?: unknown): void {
    this.events.off(event, callback, context);
  }

  // --- beyond the contract -------------------------------------------------------------------

  /** Every synced key and the value a view shows. */
  state(): T {
    const out: State = {};
    for (const key of new Set([...this.sync.keys(), ...this.unsaved.keys()])) out[key] = this.get(key);
    return out as T;
  }

  /** Ask the kernel to close this model (`model.close()` in Python). */
  close(): void {
    this.owner.close(this.model_id);
  }

  listenerCount(event?: string): number {
    return this.events.count(event);
  }

  /** @internal */
  setStatus(status: ModelStatus, reason?: string): void {
    if (status === this.status) return;
    this.status = status;
    if (status === "disconnected") this.sync.disconnect();
    this.emit("status", [status, reason]);
  }

  /** @internal */
  reportError(entry: ErrorEntry): void {
    this.errors.push(entry);
    this.emit("error", [entry]);
  }

  private emit(event: string, args: unknown[]): void {
    this.events.emit(event, args, (error) => {
      // A listener that throws must not stop the others, nor vanish into the console.
      const problem = error instanceof Error ? error : new Error(String(error));
      if (event === "error") console.error(problem);
      else this.reportError({ kind: "view", message: `${event} listener: ${problem.message}`, traceback: problem.stack ?? "" });
    });
  }

  private takeSnapshot(body: Envelope): void {
    if (typeof body.class === "string") this.className = body.class;
    this.esmHash = (body.esm as string | null | undefined) ?? null;
    this.cssHash = (body.css as string | null | undefined) ?? null;
    this.readOnly = new Set((body.read_only as string[] | undefined) ?? []);
    if (this.status === "disconnected") this.sync.connected = true;
    this.status = "live";
  }

  private emitChanges(before: Map<string, unknown>, local = false): void {
    const changed: string[] = [];
    for (const [key, old] of before) {
      const now = this.get(key);
      if (now !== old && (local || !jsonEqual(now, old))) changed.push(key);
    }
    for (const key of changed) this.emit(`change:${key}`, [this, this.get(key)]);
    if (changed.length) this.emit("change", [this]);
  }
}

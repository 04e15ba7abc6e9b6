/**
 * The live models of one kernel connection: their comms, views waiting for a model, models the
 * browser creates. Mirrors widgets/registry.py.
 */
import type { Connection } from "./connection";
import { parseModelMessage } from "./incoming";
import { type BrowserModelMessage, envelope, type KernelModelMessage, type Values } from "./messages";
import { WidgetModel, type ModelOwner, type Standing } from "./model";
import { MODEL_TARGET, modelIdOf, ProtocolError } from "./protocol";
import { toWire } from "./serialize";
import type { Comm, KernelTransport } from "./transport";
import { type Waiter, waiter } from "./waiter";

export { modelIdOf } from "./protocol";

export function randomId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function notFound(modelId: string): Error {
  return new Error(`the kernel has no model ${modelId}: it was closed, or the kernel restarted since this output was made`);
}

/** What the registry tells its manager. */
export interface RegistryHooks {
  /** A snapshot brought these sources (content hash -> text). */
  learnAssets(assets: Record<string, string> | undefined): void;
  /** A view waits for a model this page does not know (it may be worth a restore). */
  unknownWanted(): void;
  /** The saved (offline) model of that id, handed over to this registry, if the page shows one (offline.ts). */
  claim(modelId: string): WidgetModel | undefined;
  /** A model arrived (open, state, restore): the manager runs `initialize` now if its class is eager. */
  arrived(model: WidgetModel): void;
}

export class Registry implements ModelOwner {
  private seq = 0;
  private readonly models = new Map<string, WidgetModel>();
  private readonly comms = new Map<string, Comm>();
  private readonly waiting = new Map<string, Waiter<WidgetModel>>();
  /** Models whose `open` was refused (another protocol version, a malformed message), with the reason. */
  private readonly refused = new Map<string, Error>();
  private readonly creating = new Set<string>();
  /** Set once a restore has answered: an id still unknown then is not in this kernel. */
  private restored = false;

  constructor(
    private readonly transport: KernelTransport,
    readonly connection: Connection,
    readonly client: string,
    private readonly hooks: RegistryHooks,
  ) {
    transport.registerTarget(MODEL_TARGET, (comm, data, buffers) => this.opened(comm, data, buffers));
  }

  // --- ModelOwner ----------------------------------------------------------------------------

  nextSeq(): number {
    return ++this.seq;
  }

  lastSeq(): number {
    return this.seq;
  }

  standing(): Standing {
    return this.connection.connected ? { status: "live", reason: "" } : { status: "disconnected", reason: this.connection.reason };
  }

  undeliverable(): void {
    // Only offline models are undeliverable; a live registry's models report `disconnected` instead.
  }

  send(modelId: string, data: BrowserModelMessage, buffers: (ArrayBuffer | ArrayBufferView)[]): void {
    this.comms.get(modelId)?.send(data, buffers);
  }

  close(modelId: string): void {
    const comm = this.comms.get(modelId);
    this.forget(modelId);
    comm?.close(envelope("close", {}));
  }

  /** The model of that id (or `IPY_MODEL_` reference): at once if known, else when the kernel opens or restores it. */
  get_model(ref: string): Promise<WidgetModel> {
    if (typeof ref !== "string") return Promise.reject(new TypeError(`get_model takes a model id or reference, got ${typeof ref}`));
    const modelId = modelIdOf(ref);
    const model = this.models.get(modelId);
    if (model?.ready) return Promise.resolve(model);
    const refusal = this.refused.get(modelId);
    if (refusal) return Promise.reject(refusal);
    if (!this.connection.connected) return Promise.reject(this.connection.error());
    const expected = this.creating.has(modelId) || model !== undefined;
    if (this.restored && !expected) return Promise.reject(notFound(modelId));
    let wait = this.waiting.get(modelId);
    if (!wait) {
      wait = waiter<WidgetModel>();
      this.waiting.set(modelId, wait);
    }
    if (!expected) this.hooks.unknownWanted();
    return wait.promise;
  }

  /** A browser-created model of a Python class registered under `className`. */
  create(className: string, state: Record<string, unknown> = {}): Promise<WidgetModel> {
    if (!this.connection.connected) return Promise.reject(this.connection.error());
    const modelId = randomId();
    const { json, binaries } = toWire(state);
    const data = envelope("create", { class: className, state: json as Values });
    if (binaries.length) data.buffer_paths = binaries.map(([path]) => ["state", ...path]);
    const wait = waiter<WidgetModel>();
    this.waiting.set(modelId, wait);
    this.creating.add(modelId);
    const comm = this.transport.openComm(MODEL_TARGET, data, binaries.map(([, b]) => b), modelId);
    const model = this.bind(comm);
    const fail = (error: Error): void => {
      if (this.waiting.get(modelId) === wait) this.waiting.delete(modelId);
      wait.reject(error);
    };
    const onError = (entry: { message: string }): void => fail(new Error(entry.message));
    model.on("error", onError);
    void wait.promise
      .finally(() => {
        this.creating.delete(modelId);
        model.off("error", onError);
      })
      .catch(() => undefined);
    comm.onClose(() => {
      this.forget(modelId);
      fail(new Error(`the kernel refused to create ${className}`));
    });
    return wait.promise;
  }

  // --- models ----------------------------------------------------------------------------------

  lookup(modelId: string): WidgetModel | undefined {
    return this.models.get(modelId);
  }

  all(): WidgetModel[] {
    return [...this.models.values()];
  }

  /** The model of that id, made (not yet ready) if this page does not have it. */
  ensure(modelId: string): WidgetModel {
    let model = this.models.get(modelId);
    if (!model) {
      model = new WidgetModel(modelId, this);
      this.models.set(modelId, model);
    }
    return model;
  }

  /**
   * A model of a restore reply: its state applied to the model this page has, or to the saved
   * one it shows (taken over: the same object becomes live), or to a new one; its comm attached
   * if this page did not open it, its waiters woken. Null if the state was refused.
   */
  restoredModel(modelId: string, snapshot: KernelModelMessage): WidgetModel | null {
    let model = this.models.get(modelId);
    const saved = model ? undefined : this.hooks.claim(modelId);
    if (saved) this.models.set(modelId, saved);
    model ??= saved ?? this.ensure(modelId);
    if (!(saved ? saved.adopt(this, snapshot) : model.apply(snapshot))) return null;
    if (!this.comms.has(modelId)) this.bind(this.transport.attachComm(MODEL_TARGET, modelId));
    this.settle(model);
    this.hooks.arrived(model);
    return model;
  }

  /** After a restore (or a kernel without widgets): views of unknown models stop waiting. */
  markRestored(): void {
    this.restored = true;
    for (const [modelId, wait] of this.waiting) {
      if (this.creating.has(modelId) || this.models.has(modelId)) continue;
      this.waiting.delete(modelId);
      wait.reject(notFound(modelId));
    }
  }

  /** The kernel is gone: every model shows it, every waiter gets the reason. */
  disconnected(): void {
    for (const model of this.models.values()) model.connectionLost();
    const error = this.connection.error();
    for (const wait of this.waiting.values()) wait.reject(error);
    this.waiting.clear();
  }

  // --- kernel -> browser ---------------------------------------------------------------------

  private opened(comm: Comm, data: unknown, buffers: DataView[]): void {
    let message: KernelModelMessage;
    try {
      message = parseModelMessage(data, buffers).message;
      if (message.method !== "open") throw new ProtocolError("bad_message", `a model comm opens with 'open', not ${JSON.stringify(message.method)}`);
    } catch (error) {
      // No model can exist without a valid `open`: whoever waits for it, now or later, gets the reason.
      this.refuse(comm.commId, error as Error);
      return;
    }
    const saved = this.models.has(comm.commId) ? undefined : this.hooks.claim(comm.commId);
    if (saved) this.models.set(comm.commId, saved);
    const model = this.bind(comm);
    this.applied(model, (saved ? saved.adopt(this, message) : model.apply(message)) ? message : null);
  }

  private refuse(modelId: string, error: Error): void {
    this.refused.set(modelId, error);
    this.waiting.get(modelId)?.reject(error);
    this.waiting.delete(modelId);
  }

  private bind(comm: Comm): WidgetModel {
    const modelId = comm.commId;
    this.comms.set(modelId, comm);
    const model = this.ensure(modelId);
    comm.onMessage((data, buffers) => {
      if (this.models.get(modelId) === model) this.applied(model, model.receive(data, buffers));
    });
    comm.onClose(() => this.forget(modelId));
    return model;
  }

  private applied(model: WidgetModel, message: KernelModelMessage | null): void {
    if (message?.method !== "open" && message?.method !== "state") return;
    this.hooks.learnAssets(message.assets);
    this.settle(model);
    this.hooks.arrived(model);
  }

  private settle(model: WidgetModel): void {
    const wait = this.waiting.get(model.model_id);
    if (wait && model.ready) {
      this.waiting.delete(model.model_id);
      wait.resolve(model);
    }
  }

  private forget(modelId: string): void {
    const model = this.models.get(modelId);
    this.models.delete(modelId);
    this.comms.delete(modelId);
    model?.markClosed();
    const wait = this.waiting.get(modelId);
    if (wait && !this.creating.has(modelId)) {
      this.waiting.delete(modelId);
      wait.reject(new Error(`the model ${modelId} was closed`));
    }
  }
}

/**
 * One manager per kernel connection: model comms, the control comm, assets, restore.
 * Mirrors widgets/registry.py.
 */
import { insertBuffers } from "./buffers";
import { type ModelOwner, WidgetModel } from "./model";
import {
  CONTROL_TARGET,
  checkEnvelope,
  type Envelope,
  envelope,
  type ErrorEntry,
  MODEL_TARGET,
  ProtocolError,
} from "./protocol";
import { toWire } from "./serialize";
import type { Buffers, Comm, KernelTransport } from "./transport";

export type ManagerStatus = "connected" | "disconnected";

export interface ManagerOptions {
  /**
   * Ask the kernel for its live models (restore) the first time a view wants a model this page
   * does not know: after a page reload. A fresh kernel, whose models all announce themselves, is
   * never asked (and `widgets` need not be imported in it).
   */
  restoreOnDemand?: boolean;
}

interface Waiter<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function waiter<T>(): Waiter<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a rejection nobody awaited is not an unhandled error
  return { promise, resolve, reject };
}

/** Sources by content hash, shared by every manager of the page (the same hash is the same text). */
const assetCache = new Map<string, string>();

function randomId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class WidgetManager implements ModelOwner {
  readonly client = randomId();
  status: ManagerStatus = "connected";
  /** Why the manager is disconnected, for views to show. */
  reason = "";
  private seq = 0;
  private readonly models = new Map<string, WidgetModel>();
  private readonly comms = new Map<string, Comm>();
  private readonly waiting = new Map<string, Waiter<WidgetModel>>();
  private readonly assetWaiters = new Map<string, Waiter<string>>();
  private control: Comm | null = null;
  private readonly requests = new Map<string, Waiter<Envelope>>();
  private requestCount = 0;
  /** Set once a restore has answered: an id still unknown then is not in this kernel. */
  private restored = false;
  private readonly creating = new Set<string>();
  /** Models whose `open` was refused (another protocol version), with the reason. */
  private readonly refused = new Map<string, Error>();
  private readonly statusListeners = new Set<(status: ManagerStatus) => void>();

  private restoring: Promise<unknown> | null = null;

  constructor(
    private readonly transport: KernelTransport,
    private readonly options: ManagerOptions = {},
  ) {
    transport.registerTarget(MODEL_TARGET, (comm, data, buffers) => this.opened(comm, data, buffers));
  }

  // --- ModelOwner ----------------------------------------------------------------------------

  nextSeq(): number {
    return ++this.seq;
  }

  send(modelId: string, data: Envelope, buffers: (ArrayBuffer | ArrayBufferView)[]): void {
    const comm = this.comms.get(modelId);
    if (!comm || this.status !== "connected") {
      this.models.get(modelId)?.reportError({ kind: "disconnected", message: "not delivered: the kernel is not connected" });
      return;
    }
    comm.send(data, buffers);
  }

  close(modelId: string): void {
    const comm = this.comms.get(modelId);
    this.forget(modelId, "closed");
    comm?.close(envelope("close"));
  }

  lookup(modelId: string): WidgetModel | undefined {
    return this.models.get(modelId);
  }

  /** The model of that id: at once if known, else when the kernel opens or restores it. */
  get_model(modelId: string): Promise<WidgetModel> {
    const model = this.models.get(modelId);
    if (model) return Promise.resolve(model);
    const refusal = this.refused.get(modelId);
    if (refusal) return Promise.reject(refusal);
    if (this.status !== "connected") return Promise.reject(new Error(this.reason));
    if (this.restored && !this.creating.has(modelId)) return Promise.reject(notFound(modelId));
    let wait = this.waiting.get(modelId);
    if (!wait) {
      wait = waiter<WidgetModel>();
      this.waiting.set(modelId, wait);
    }
    if (this.options.restoreOnDemand && !this.restoring && !this.creating.has(modelId)) {
      this.restoring = this.restore().catch(() => this.markRestored());
    }
    return wait.promise;
  }

  /** Local writes the kernel has not acknowledged yet, over all models. */
  pendingWrites(): number {
    let count = 0;
    for (const model of this.models.values()) count += model.sync.pending.size;
    return count;
  }

  /** Every model this manager holds. */
  allModels(): WidgetModel[] {
    return [...this.models.values()];
  }

  // --- kernel -> browser ---------------------------------------------------------------------

  private opened(comm: Comm, data: unknown, buffers: DataView[]): void {
    let body: Envelope;
    try {
      body = checkEnvelope(data);
    } catch (error) {
      // No model can exist without a valid `open`: whoever waits for it, now or later, gets the reason.
      this.refused.set(comm.commId, error as Error);
      this.waiting.get(comm.commId)?.reject(error as Error);
      this.waiting.delete(comm.commId);
      return;
    }
    this.bind(comm);
    this.deliver(comm.commId, body, buffers);
  }

  private bind(comm: Comm): WidgetModel {
    const modelId = comm.commId;
    this.comms.set(modelId, comm);
    let model = this.models.get(modelId);
    if (!model) {
      model = new WidgetModel(modelId, this);
      this.models.set(modelId, model);
    }
    comm.onMessage((data, buffers) => {
      try {
        this.deliver(modelId, checkEnvelope(data), buffers);
      } catch (error) {
        this.models.get(modelId)?.reportError(errorEntry(error));
      }
    });
    comm.onClose(() => this.forget(modelId, "closed"));
    return model;
  }

  private deliver(modelId: string, body: Envelope, buffers: Buffers): void {
    const model = this.models.get(modelId);
    if (!model) return;
    this.learnAssets(body.assets);
    model.sync.receive(body, buffers);
    if (body.method === "open" || body.method === "state") this.settle(model);
  }

  private settle(model: WidgetModel): void {
    const wait = this.waiting.get(model.model_id);
    if (wait) {
      this.waiting.delete(model.model_id);
      wait.resolve(model);
    }
  }

  private forget(modelId: string, status: "closed"): void {
    const model = this.models.get(modelId);
    this.models.delete(modelId);
    this.comms.delete(modelId);
    model?.setStatus(status);
  }

  // --- assets ----------------------------------------------------------------------------------

  private learnAssets(assets: unknown): void {
    if (!assets || typeof assets !== "object") return;
    for (const [hash, source] of Object.entries(assets as Record<string, string>)) {
      assetCache.set(hash, source);
      const wait = this.assetWaiters.get(hash);
      if (wait) {
        this.assetWaiters.delete(hash);
        wait.resolve(source);
      }
    }
  }

  /** The source text of a module or stylesheet, fetched on the control comm if this page lacks it. */
  async asset(hash: string): Promise<string> {
    const known = assetCache.get(hash);
    if (known !== undefined) return known;
    let wait = this.assetWaiters.get(hash);
    if (!wait) {
      const fresh = waiter<string>();
      this.assetWaiters.set(hash, fresh);
      wait = fresh;
      try {
        const reply = await this.request("assets", { hashes: [hash] });
        this.learnAssets(reply.assets);
        if (!assetCache.has(hash)) throw new Error(`the kernel does not know the module ${hash}`);
      } catch (error) {
        if (this.assetWaiters.get(hash) === fresh) this.assetWaiters.delete(hash);
        fresh.reject(error as Error);
      }
    }
    return wait.promise;
  }

  // --- control channel -------------------------------------------------------------------------

  private request(method: string, fields: Record<string, unknown> = {}): Promise<Envelope> {
    if (this.status !== "connected") return Promise.reject(new Error(this.reason || "the kernel is not connected"));
    if (!this.control) {
      const control = this.transport.openComm(CONTROL_TARGET, envelope("hello", { client: this.client }));
      control.onMessage((data, buffers) => this.controlMessage(data, buffers));
      control.onClose(() => {
        this.control = null;
        for (const wait of this.requests.values()) wait.reject(new Error("the kernel closed the control channel (is `widgets` imported?)"));
        this.requests.clear();
      });
      this.control = control;
    }
    const id = `r${++this.requestCount}`;
    const wait = waiter<Envelope>();
    this.requests.set(id, wait);
    this.control.send(envelope(method, { request: id, ...fields }));
    return wait.promise;
  }

  private controlMessage(data: unknown, buffers: DataView[]): void {
    let body: Envelope;
    try {
      body = checkEnvelope(data);
      insertBuffers(body, buffers);
    } catch (error) {
      for (const wait of this.requests.values()) wait.reject(error as Error);
      this.requests.clear();
      return;
    }
    const errors = (body.errors as ErrorEntry[] | undefined) ?? [];
    const id = (body.request as string | undefined) ?? (errors[0] as { request?: string } | undefined)?.request;
    const wait = id === undefined ? undefined : this.requests.get(id);
    if (!wait || id === undefined) return;
    this.requests.delete(id);
    if (body.method === "error") wait.reject(new Error(errors.map((e) => e.message).join("; ")));
    else wait.resolve(body);
  }

  /**
   * Ask the kernel for every live model (after a page reload) and bring them back. Resolves
   * with the restored models; a kernel without `widgets` imported has none.
   */
  async restore(): Promise<WidgetModel[]> {
    const reply = await this.request("restore");
    this.learnAssets(reply.assets);
    const bodies = (reply.models as (Envelope & { model_id: string })[] | undefined) ?? [];
    // Create every model first, so references between them resolve.
    const models = bodies.map((body) => {
      let model = this.models.get(body.model_id);
      if (!model) {
        model = new WidgetModel(body.model_id, this);
        this.models.set(body.model_id, model);
      }
      return model;
    });
    bodies.forEach((body, i) => {
      const model = models[i] as WidgetModel;
      if (!this.comms.has(model.model_id)) this.reattach(model.model_id);
      model.sync.applySnapshot({ ...body, method: "state" });
      this.settle(model);
    });
    this.markRestored();
    return models;
  }

  /** After a restore (or a kernel without widgets): views of unknown models stop waiting. */
  markRestored(): void {
    this.restored = true;
    for (const [modelId, wait] of this.waiting) {
      if (this.creating.has(modelId)) continue;
      this.waiting.delete(modelId);
      wait.reject(notFound(modelId));
    }
  }

  /** Talk on an existing kernel comm this page did not open (it was restored, not announced). */
  private reattach(modelId: string): void {
    this.bind(this.transport.attachComm(MODEL_TARGET, modelId));
  }

  /** A browser-created model of a Python class registered under `className`. */
  async create(className: string, state: Record<string, unknown> = {}): Promise<WidgetModel> {
    const modelId = randomId();
    const { json, binaries } = toWire(state);
    const data = envelope("create", { class: className, state: json });
    if (binaries.length) data.buffer_paths = binaries.map(([path]) => ["state", ...path]);
    const wait = waiter<WidgetModel>();
    this.waiting.set(modelId, wait);
    this.creating.add(modelId);
    void wait.promise.finally(() => this.creating.delete(modelId)).catch(() => undefined);
    const comm = this.transport.openComm(MODEL_TARGET, data, binaries.map(([, b]) => b), modelId);
    const model = this.bind(comm);
    model.on("error", (entry: ErrorEntry) => {
      if (this.waiting.get(modelId) === wait) {
        this.waiting.delete(modelId);
        wait.reject(new Error(entry.message));
      }
    });
    comm.onClose(() => {
      this.forget(modelId, "closed");
      wait.reject(new Error(`the kernel refused to create ${className}`));
    });
    return wait.promise;
  }

  // --- connection state ------------------------------------------------------------------------

  /** The kernel restarted or died: every model is disconnected; nothing more will arrive. */
  disconnect(reason: string): void {
    if (this.status === "disconnected") return;
    this.status = "disconnected";
    this.reason = reason;
    for (const model of this.models.values()) model.setStatus("disconnected", reason);
    const error = new Error(reason);
    for (const wait of [...this.waiting.values(), ...this.requests.values(), ...this.assetWaiters.values()]) {
      wait.reject(error);
    }
    this.waiting.clear();
    this.requests.clear();
    this.assetWaiters.clear();
    for (const listener of this.statusListeners) listener(this.status);
  }

  onStatus(listener: (status: ManagerStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }
}

function notFound(modelId: string): Error {
  return new Error(`the kernel has no model ${modelId}: it was closed, or the kernel restarted since this output was made`);
}

function errorEntry(error: unknown): ErrorEntry {
  if (error instanceof ProtocolError) return { kind: error.kind, message: error.message };
  return { kind: "bad_message", message: String(error) };
}

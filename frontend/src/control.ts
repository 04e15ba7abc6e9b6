/**
 * The control comm: requests with an id and the kernel's replies (restore, assets), opened on first
 * use. Mirrors the control half of widgets/registry.py.
 */
import type { Assets } from "./assets";
import type { Connection } from "./connection";
import { parseControlMessage, requestOf } from "./incoming";
import { envelope, type KernelControlMessage, type RestoreReply, type AssetsReply } from "./messages";
import type { WidgetModel } from "./model";
import { CONTROL_TARGET, ProtocolError } from "./protocol";
import type { Registry } from "./registry";
import type { Comm, KernelTransport } from "./transport";
import { type Waiter, waiter } from "./waiter";

interface Replies {
  restore: RestoreReply;
  assets: AssetsReply;
}

export class Control {
  private comm: Comm | null = null;
  private readonly requests = new Map<string, { method: keyof Replies; wait: Waiter<KernelControlMessage> }>();
  private count = 0;

  constructor(
    private readonly transport: KernelTransport,
    private readonly connection: Connection,
    private readonly client: string,
  ) {}

  /** Send a request and wait for its reply; an `error` reply, a closed comm or a disconnect reject it. */
  request<M extends keyof Replies>(method: M, fields: M extends "assets" ? { hashes: string[] } : Record<string, never>): Promise<Replies[M]> {
    if (!this.connection.connected) return Promise.reject(this.connection.error());
    const comm = this.open();
    const request = `r${++this.count}`;
    const wait = waiter<KernelControlMessage>();
    this.requests.set(request, { method, wait });
    comm.send(method === "assets" ? envelope("assets", { request, hashes: (fields as { hashes: string[] }).hashes }) : envelope("restore", { request }));
    return wait.promise as Promise<Replies[M]>;
  }

  /** Every request waiting fails with `error` (the kernel is gone). */
  failAll(error: Error): void {
    for (const { wait } of this.requests.values()) wait.reject(error);
    this.requests.clear();
  }

  private open(): Comm {
    if (this.comm) return this.comm;
    const comm = this.transport.openComm(CONTROL_TARGET, envelope("hello", { client: this.client }));
    comm.onMessage((data, buffers) => this.message(data, buffers));
    comm.onClose(() => {
      this.comm = null;
      this.failAll(new Error("the kernel closed the control channel (is `widgets` imported?)"));
    });
    this.comm = comm;
    return comm;
  }

  private message(data: unknown, buffers: DataView[]): void {
    let message: KernelControlMessage;
    try {
      message = parseControlMessage(data, buffers);
    } catch (error) {
      // Which request it answered is unknown: none of them can trust its reply now.
      this.failAll(error as Error);
      return;
    }
    const id = requestOf(message);
    const entry = id === undefined ? undefined : this.requests.get(id);
    if (!entry || id === undefined) return;
    this.requests.delete(id);
    if (message.method === "error") entry.wait.reject(new Error(message.errors.map((e) => e.message).join("; ")));
    else if (message.method !== `${entry.method}_reply`) {
      entry.wait.reject(new ProtocolError("bad_message", `a ${message.method} answered a ${entry.method} request`));
    } else entry.wait.resolve(message);
  }
}

/**
 * Ask the kernel for every live model (after a page reload) and bring them back at their `rev`.
 * Resolves with the restored models; a kernel without `widgets` imported has none.
 */
export async function restore(control: Control, registry: Registry, assets: Assets): Promise<WidgetModel[]> {
  const reply = await control.request("restore", {});
  assets.learn(reply.assets);
  const models: WidgetModel[] = [];
  for (const body of reply.models) {
    const { model_id: modelId, ...snapshot } = body;
    const model = registry.restoredModel(modelId, { ...snapshot, protocol: reply.protocol, method: "state" });
    if (model) models.push(model);
  }
  registry.markRestored();
  return models;
}

/** A scripted kernel for unit tests: records what the runtime sends, delivers what a test says. */
import type { Buffers, Comm, KernelTransport } from "../src/transport";
import { PROTOCOL_VERSION } from "../src/protocol";

/** Any message's `data`, loosely: tests build kernel messages (also malformed ones) with it. */
export interface Envelope {
  protocol: string;
  method: string;
  [field: string]: unknown;
}

/** A message of `method` with the version (kernel side: the runtime's own `envelope` types browser messages). */
export function envelope(method: string, fields: Record<string, unknown> = {}): Envelope {
  return { protocol: PROTOCOL_VERSION, method, ...fields };
}

/** What the wire does to a message's JSON (fresh objects; `undefined` members dropped). */
const wire = (data: unknown): unknown => (data === undefined ? undefined : JSON.parse(JSON.stringify(data)));

export interface Sent {
  kind: "open" | "msg" | "close";
  target: string | null;
  commId: string;
  data: Envelope;
  buffers: Buffers;
}

class FakeComm implements Comm {
  messageHandler: (data: unknown, buffers: DataView[]) => void = () => undefined;
  closeHandler: (data: unknown) => void = () => undefined;
  closed = false;

  constructor(
    readonly commId: string,
    private readonly kernel: FakeKernel,
    readonly target: string,
  ) {}

  send(data: unknown, buffers: Buffers = []): void {
    this.kernel.sent.push({ kind: "msg", target: null, commId: this.commId, data: wire(data) as Envelope, buffers });
  }

  close(data?: unknown): void {
    this.closed = true;
    this.kernel.sent.push({ kind: "close", target: null, commId: this.commId, data: data as Envelope, buffers: [] });
  }

  onMessage(handler: (data: unknown, buffers: DataView[]) => void): void {
    this.messageHandler = handler;
  }

  onClose(handler: (data: unknown) => void): void {
    this.closeHandler = handler;
  }
}

export class FakeKernel implements KernelTransport {
  readonly sent: Sent[] = [];
  readonly comms = new Map<string, FakeComm>();
  private readonly targets = new Map<string, (comm: Comm, data: unknown, buffers: DataView[]) => void>();
  private count = 0;

  registerTarget(target: string, handler: (comm: Comm, data: unknown, buffers: DataView[]) => void): void {
    this.targets.set(target, handler);
  }

  openComm(target: string, data: unknown, buffers: Buffers = [], commId?: string): Comm {
    const comm = new FakeComm(commId ?? `browser-${++this.count}`, this, target);
    this.comms.set(comm.commId, comm);
    this.sent.push({ kind: "open", target, commId: comm.commId, data: data as Envelope, buffers });
    return comm;
  }

  attachComm(target: string, commId: string): Comm {
    const comm = new FakeComm(commId, this, target);
    this.comms.set(commId, comm);
    return comm;
  }

  /** The kernel opens a model comm (`open` message) with this state. */
  open(modelId: string, state: Record<string, unknown>, extra: Record<string, unknown> = {}, buffers: ArrayBuffer[] = []): void {
    const comm = new FakeComm(modelId, this, "widgets.model");
    this.comms.set(modelId, comm);
    const body = envelope("open", { class: "test.Model", rev: 0, state, esm: null, css: null, assets: {}, read_only: [], ...extra });
    this.targets.get("widgets.model")?.(comm, wire(body), buffers.map((b) => new DataView(b)));
  }

  /** The kernel opens a model comm whose `data` is this JSON text (for members JavaScript literals cannot write, like `__proto__`). */
  openRaw(modelId: string, json: string, buffers: ArrayBuffer[] = []): void {
    const comm = new FakeComm(modelId, this, "widgets.model");
    this.comms.set(modelId, comm);
    this.targets.get("widgets.model")?.(comm, JSON.parse(json), buffers.map((b) => new DataView(b)));
  }

  /** A kernel message, as JSON text, on an open comm. */
  deliverRaw(commId: string, json: string, buffers: ArrayBuffer[] = []): void {
    const comm = this.comms.get(commId);
    if (!comm) throw new Error(`no comm ${commId}`);
    comm.messageHandler(JSON.parse(json), buffers.map((b) => new DataView(b)));
  }

  /** A kernel message on an open comm. */
  deliver(commId: string, data: Record<string, unknown>, buffers: ArrayBuffer[] = []): void {
    const comm = this.comms.get(commId);
    if (!comm) throw new Error(`no comm ${commId}`);
    comm.messageHandler(wire(data), buffers.map((b) => new DataView(b)));
  }

  closeFromKernel(commId: string): void {
    this.comms.get(commId)?.closeHandler({});
  }

  /** Messages the browser sent, optionally of one method. */
  messages(method?: string): Sent[] {
    return this.sent.filter((s) => method === undefined || s.data?.method === method);
  }

  last(method?: string): Sent {
    const all = this.messages(method);
    const found = all[all.length - 1];
    if (!found) throw new Error(`nothing sent${method ? ` with method ${method}` : ""}`);
    return found;
  }
}

/** An `update` from the kernel, with the envelope. */
export function update(rev: number, fields: Record<string, unknown> = {}): Envelope {
  return envelope("update", { rev, ...fields });
}

/**
 * The runtime's KernelTransport over a JupyterLab kernel connection (its comms, their handlers
 * released when closed).
 */
import type { Kernel, KernelMessage } from "@jupyterlab/services";
import { type Comm, CONTROL_TARGET, type KernelTransport, MODEL_TARGET } from "./runtime.js";
import { releaseCommSlot, trackCommSlots } from "./commslots.js";

type Buffers = readonly (ArrayBuffer | ArrayBufferView)[];

function dataViews(buffers: readonly (ArrayBuffer | ArrayBufferView)[] | undefined): DataView[] {
  return (buffers ?? []).map((b) => (b instanceof ArrayBuffer ? new DataView(b) : new DataView(b.buffer, b.byteOffset, b.byteLength)));
}

const ignore = (): void => undefined;

/**
 * The runtime's Comm over a JupyterLab comm.
 *
 * Once closed, the JupyterLab comm is given handlers that hold nothing: @jupyterlab/services
 * 7.6 keeps every comm handler alive after `dispose()` (its constructor connects a closure to
 * `kernel.statusChanged` that is never disconnected), so handlers pointing at the runtime kept
 * every closed model and its state (1.9 kB per closed widget, measured by tests/e2e/test_memory.py);
 * ./commslots.ts then disconnects that closure itself, so the handler goes too.
 */
class LabComm implements Comm {
  private closeHandler: (data: unknown) => void = ignore;

  constructor(
    private readonly inner: Kernel.IComm,
    private readonly kernel: Kernel.IKernelConnection,
  ) {
    inner.onClose = (msg: KernelMessage.ICommCloseMsg) => {
      const handler = this.closeHandler;
      this.release();
      handler(msg.content.data);
    };
  }

  get commId(): string {
    return this.inner.commId;
  }

  send(data: unknown, buffers: Buffers = []): void {
    if (!this.inner.isDisposed) this.inner.send(data as never, undefined, buffers as (ArrayBuffer | ArrayBufferView)[]);
  }

  close(data?: unknown): void {
    if (!this.inner.isDisposed) this.inner.close(data as never);
    this.release();
  }

  onMessage(handler: (data: unknown, buffers: DataView[]) => void): void {
    this.inner.onMsg = (msg: KernelMessage.ICommMsgMsg) => handler(msg.content.data, dataViews(msg.buffers));
  }

  onClose(handler: (data: unknown) => void): void {
    this.closeHandler = handler;
  }

  /** Drop every reference from the JupyterLab comm to the runtime. */
  private release(): void {
    this.inner.onMsg = ignore;
    this.inner.onClose = ignore;
    this.closeHandler = ignore;
    releaseCommSlot(this.kernel, this.inner.commId);
  }
}

const OUR_TARGETS: ReadonlySet<string> = new Set([MODEL_TARGET, CONTROL_TARGET]);

/** The runtime's KernelTransport over a JupyterLab kernel connection. */
export class LabTransport implements KernelTransport {
  constructor(private readonly kernel: Kernel.IKernelConnection) {
    trackCommSlots(kernel, OUR_TARGETS);
  }

  registerTarget(target: string, handler: (comm: Comm, data: unknown, buffers: DataView[]) => void): void {
    this.kernel.registerCommTarget(target, (comm, msg) => handler(new LabComm(comm, this.kernel), msg.content.data, dataViews(msg.buffers)));
  }

  openComm(target: string, data: unknown, buffers: Buffers = [], commId?: string): Comm {
    const comm = this.kernel.createComm(target, commId);
    comm.open(data as never, undefined, buffers as (ArrayBuffer | ArrayBufferView)[]);
    return new LabComm(comm, this.kernel);
  }

  attachComm(target: string, commId: string): Comm {
    return new LabComm(this.kernel.createComm(target, commId), this.kernel);
  }
}

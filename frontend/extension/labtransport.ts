/**
 * The runtime's KernelTransport over a JupyterLab kernel connection (its comms, their handlers
 * released when closed), with our browser-to-kernel messages on a kernel subshell of their own.
 *
 * Why a subshell of our own (docs/live-cells.md): a `comm_msg` on the main shell waits behind the
 * running cell. JupyterLab does give every comm, kernel-opened ones too, a subshell per comm target
 * (`commsOverSubshells`), but ipykernel 7.4 re-routes each `comm_msg` of a comm to the subshell that
 * comm last *published* from (`BaseComm._reply_subshell_for`), the main shell for a model a cell made;
 * widgets/registry.py makes our comms honour the header instead. One subshell for the whole kernel
 * connection (not one per target) keeps every message we send in one order: a control `restore` and
 * the model updates behind it are handled by one thread, in the order sent.
 */
import { type Kernel, KernelMessage } from "@jupyterlab/services";
import { type Comm, CONTROL_TARGET, type KernelTransport, MODEL_TARGET } from "./runtime.js";
import { releaseCommSlot, trackCommSlots } from "./commslots.js";

type Buffers = readonly (ArrayBuffer | ArrayBufferView)[];

function dataViews(buffers: readonly (ArrayBuffer | ArrayBufferView)[] | undefined): DataView[] {
  return (buffers ?? []).map((b) => (b instanceof ArrayBuffer ? new DataView(b) : new DataView(b.buffer, b.byteOffset, b.byteLength)));
}

const ignore = (): void => undefined;

type Outgoing = KernelMessage.IShellMessage<"comm_open" | "comm_msg" | "comm_close">;

/** Kernels already reported as having no subshells (the console says so once per kernel). */
const reported = new Set<string>();

/**
 * The subshell our messages go on, asked for once per kernel connection (per kernel process: a
 * restart makes a new transport): when the kernel opens our first comm, or at our first message.
 * Until the kernel has answered, messages go on the main shell at once (a reloaded page's restore
 * does not wait for the subshell); once it has, later messages wait until the kernel has handled
 * the last of those, then go on the subshell in order, so no two of ours are ever reordered.
 * Without subshells (a kernel before ipykernel 7, or `commsOverSubshells` disabled) everything
 * stays on the main shell, as before.
 */
export class SubshellRoute {
  /** undefined: not settled yet; null: the main shell; else the subshell id. */
  private subshell: string | null | undefined = undefined;
  private asked = false;
  /** Messages waiting for the subshell's turn (while the main shell's last one is handled). */
  private readonly queue: Outgoing[] = [];
  /** Done once the kernel has handled the last message sent on the main shell before settling. */
  private lastOnMain: Promise<unknown> | null = null;
  private draining = false;

  constructor(private readonly kernel: Kernel.IKernelConnection) {}

  /** The subshell in use: undefined until the kernel answered, null on the main shell. */
  get subshellId(): string | null | undefined {
    return this.subshell;
  }

  /** Ask for the subshell now (the kernel opened a comm of ours), so it is there before our first message. */
  prepare(): void {
    if (this.asked) return;
    this.asked = true;
    void this.settle();
  }

  /** Send a shell message of ours, after those before it. */
  post(msg: Outgoing): void {
    this.prepare();
    if (this.subshell === undefined) {
      this.lastOnMain = this.transmit(msg, null);
      return;
    }
    if (this.draining || this.queue.length) this.queue.push(msg);
    else void this.transmit(msg, this.subshell);
  }

  private async settle(): Promise<void> {
    let subshell: string | null = null;
    try {
      subshell = await this.request();
    } catch (error) {
      console.warn("widgets: no kernel subshell could be made; widget messages wait for the running cell", error);
    }
    this.subshell = subshell;
    if (subshell !== null && this.lastOnMain) {
      this.draining = true;
      await this.lastOnMain.catch(ignore); // the kernel handled what went on the main shell first
      this.draining = false;
    }
    for (const msg of this.queue.splice(0)) void this.transmit(msg, this.subshell);
  }

  private async request(): Promise<string | null> {
    const kernel = this.kernel as Kernel.IKernelConnection & { supportsSubshells?: boolean; commsOverSubshells?: string };
    await kernel.info;
    if (!kernel.supportsSubshells || kernel.commsOverSubshells === "disabled") {
      if (!reported.has(kernel.id)) {
        reported.add(kernel.id);
        const why = kernel.supportsSubshells ? "comms over subshells are disabled in the settings" : "this kernel has no subshells (JEP 91)";
        console.info(`widgets: ${why}; browser changes reach Python when the running cell ends`);
      }
      return null;
    }
    const reply = await kernel.requestCreateSubshell({}).done;
    const content = reply.content as { status?: string; subshell_id?: unknown };
    if (content.status !== "ok" || typeof content.subshell_id !== "string") throw new Error(`create_subshell_reply: ${JSON.stringify(content)}`);
    return content.subshell_id;
  }

  /** Send `msg` on `subshell` (null: the main shell); resolves once the kernel has handled it. */
  private transmit(msg: Outgoing, subshell: string | null): Promise<unknown> {
    if (this.kernel.isDisposed) return Promise.resolve();
    // On the main shell: the connection's own subshell if it has one (a console on a subshell), as CommHandler does.
    const own = (this.kernel as { subshellId?: string | null }).subshellId ?? null;
    (msg.header as { subshell_id?: string | null }).subshell_id = subshell ?? own;
    const future = this.kernel.sendShellMessage(msg, false, true) as { done?: Promise<unknown> } | undefined;
    return future?.done ?? Promise.resolve();
  }
}

/** A comm message of ours, built as @jupyterlab/services' CommHandler builds it. */
function commMessage(
  kernel: Kernel.IKernelConnection,
  msgType: "comm_open" | "comm_msg" | "comm_close",
  content: Record<string, unknown>,
  buffers: Buffers = [],
): Outgoing {
  const create = KernelMessage.createMessage as unknown as (options: Record<string, unknown>) => Outgoing;
  return create({
    msgType,
    channel: "shell",
    username: kernel.username,
    session: kernel.clientId,
    content,
    metadata: {},
    buffers: buffers as (ArrayBuffer | ArrayBufferView)[],
  });
}

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
    private readonly route: SubshellRoute,
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
    if (!this.inner.isDisposed) this.route.post(commMessage(this.kernel, "comm_msg", { comm_id: this.commId, data }, buffers));
  }

  /** As CommHandler.close: the close message (after what was sent before), the local close, dispose. */
  close(data?: unknown): void {
    if (!this.inner.isDisposed) {
      const msg = commMessage(this.kernel, "comm_close", { comm_id: this.commId, data: data ?? {} });
      this.route.post(msg);
      const onClose = this.inner.onClose as ((msg: KernelMessage.ICommCloseMsg) => unknown) | undefined;
      void onClose?.({ ...msg, channel: "iopub" } as unknown as KernelMessage.ICommCloseMsg);
      this.inner.dispose();
    }
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
  /** Where our messages go: one subshell of this kernel connection, or the main shell. */
  readonly route: SubshellRoute;

  constructor(private readonly kernel: Kernel.IKernelConnection) {
    trackCommSlots(kernel, OUR_TARGETS);
    this.route = new SubshellRoute(kernel);
  }

  registerTarget(target: string, handler: (comm: Comm, data: unknown, buffers: DataView[]) => void): void {
    this.kernel.registerCommTarget(target, (comm, msg) => {
      this.route.prepare();
      handler(new LabComm(comm, this.kernel, this.route), msg.content.data, dataViews(msg.buffers));
    });
  }

  openComm(target: string, data: unknown, buffers: Buffers = [], commId?: string): Comm {
    const comm = this.kernel.createComm(target, commId);
    this.route.post(commMessage(this.kernel, "comm_open", { comm_id: comm.commId, target_name: target, data: data ?? {} }, buffers));
    return new LabComm(comm, this.kernel, this.route);
  }

  attachComm(target: string, commId: string): Comm {
    this.route.prepare();
    return new LabComm(this.kernel.createComm(target, commId), this.kernel, this.route);
  }
}

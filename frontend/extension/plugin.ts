/**
 * The JupyterLab 4 / Notebook 7 plugin: a thin wrapper around the runtime (./runtime.js).
 *
 * esbuild compiles this file (not bundled) to lib/plugin.js; `jupyter-builder build .` wraps it
 * into the federated extension, taking @jupyterlab/* and @lumino/* from JupyterLab's shared scope.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { type ConsolePanel, IConsoleTracker } from "@jupyterlab/console";
import { INotebookTracker, type NotebookPanel } from "@jupyterlab/notebook";
import { IRenderMimeRegistry } from "@jupyterlab/rendermime";
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import type { Kernel, KernelMessage } from "@jupyterlab/services";
import { Widget } from "@lumino/widgets";
import {
  type Comm,
  CONTROL_TARGET,
  type KernelTransport,
  MIMETYPE,
  MODEL_TARGET,
  PROTOCOL_VERSION,
  provideShared,
  setImporter,
  View,
  WidgetManager,
} from "./runtime.js";
import { releaseCommSlot, trackCommSlots } from "./commslots.js";
import { faviconPlugin } from "./favicon.js";
import { isVoila, voilaKernel } from "./voila.js";

type SessionContext = NotebookPanel["sessionContext"];
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
class LabTransport implements KernelTransport {
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

const DISCONNECTING = new Set(["restarting", "autorestarting", "dead", "terminating"]);

/**
 * The widget manager of one session (notebook or console), following its kernel; or of one
 * kernel found without a session (Voila's page), given with `useKernel`.
 */
class SessionWidgets {
  private manager: WidgetManager | null = null;
  private kernel: Kernel.IKernelConnection | null = null;
  private readonly waiters: { resolve: (manager: WidgetManager) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | null = null;

  constructor(sessionContext?: SessionContext) {
    if (!sessionContext) return;
    sessionContext.kernelChanged.connect((_, change) => this.attach(change.newValue, true));
    this.attach(sessionContext.session?.kernel ?? null, true);
  }

  /** The current manager, once the session has a kernel. */
  ready(): Promise<WidgetManager> {
    if (this.manager) return Promise.resolve(this.manager);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The kernel of a page without sessions; its models were made before the page connected, so they are restored on demand. */
  useKernel(kernel: Kernel.IKernelConnection): void {
    this.attach(kernel, true);
  }

  /** No kernel will come (Voila's could not be reached): every view waiting, and every later one, shows why. */
  fail(error: Error): void {
    this.failure = error;
    for (const { reject } of this.waiters.splice(0)) reject(error);
  }

  current(): WidgetManager | null {
    return this.manager;
  }

  private attach(kernel: Kernel.IKernelConnection | null, restore: boolean): void {
    if (this.kernel && this.kernel !== kernel) this.kernel.statusChanged.disconnect(this.onStatus, this);
    this.manager?.disconnect(kernel ? "the notebook changed kernels" : "the kernel was shut down");
    this.manager = null;
    this.kernel = kernel;
    if (!kernel) return;
    kernel.statusChanged.connect(this.onStatus, this);
    // After a page reload the first view of an unknown model asks the kernel to restore; a fresh
    // (restarted) kernel has nothing to restore.
    const manager = new WidgetManager(new LabTransport(kernel), { restoreOnDemand: restore });
    registry.set(kernel.id, manager);
    this.manager = manager;
    for (const { resolve } of this.waiters.splice(0)) resolve(manager);
  }

  private onStatus(kernel: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (!DISCONNECTING.has(status) || this.manager?.status === "disconnected") return;
    const reason = status === "dead" ? "the kernel died" : status === "terminating" ? "the kernel was shut down" : "the kernel restarted";
    this.manager?.disconnect(reason);
    // A restarted kernel is a new process with no models: a fresh manager, nothing to restore.
    if (status === "restarting" || status === "autorestarting") this.attach(kernel, false);
  }
}

/** Managers by kernel id, for JavaScript outside views (window.widgetsRuntime). */
const registry = new Map<string, WidgetManager>();

class ModelRenderer extends Widget implements IRenderMime.IRenderer {
  private view: View | null = null;

  constructor(
    private readonly mimeType: string,
    private readonly session: SessionWidgets,
  ) {
    super();
    this.addClass("widgets-output");
    // Keys typed into a widget belong to it, not to JupyterLab's shortcuts (Enter, arrows, ...).
    this.node.dataset.lmSuppressShortcuts = "true";
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = (model.data[this.mimeType] ?? {}) as { model_id?: string; protocol?: string };
    this.view?.dispose();
    const view = new View(this.node, String(data.model_id));
    this.view = view;
    if (String(data.protocol).split(".")[0] !== PROTOCOL_VERSION.split(".")[0]) {
      view.showError(new Error(`this output was made with protocol ${data.protocol}; the extension speaks ${PROTOCOL_VERSION}`));
      return;
    }
    let manager: WidgetManager;
    try {
      manager = await this.session.ready();
    } catch (error) {
      view.showError(error as Error);
      return;
    }
    await view.render(manager);
  }

  override dispose(): void {
    this.view?.dispose();
    this.view = null;
    super.dispose();
  }
}

const sessions = new WeakMap<object, SessionWidgets>();

type Rendermime = NotebookPanel["content"]["rendermime"];

function addFactory(rendermime: Rendermime, widgets: SessionWidgets): void {
  rendermime.addFactory(
    { safe: false, mimeTypes: [MIMETYPE], defaultRank: 0, createRenderer: (options: IRenderMime.IRendererOptions) => new ModelRenderer(options.mimeType, widgets) },
    0,
  );
}

function addRenderer(owner: object, rendermime: Rendermime, sessionContext: SessionContext): void {
  let session = sessions.get(owner);
  if (!session) {
    session = new SessionWidgets(sessionContext);
    sessions.set(owner, session);
  }
  addFactory(rendermime, session);
}

/**
 * Voila renders every output through the app-wide rendermime (it has no panels), with one kernel
 * per page. Only there is our factory added app-wide: in JupyterLab each panel's rendermime is a
 * clone of the app-wide one, and a factory there would hand every notebook the wrong kernel.
 * The factory is added now, before Voila renders the saved outputs (once the app has started);
 * views wait for the kernel.
 */
function addVoilaRenderer(app: JupyterFrontEnd, rendermime: IRenderMimeRegistry): void {
  const widgets = new SessionWidgets();
  voilaKernel(app).then(
    (kernel) => widgets.useKernel(kernel),
    (error: unknown) => widgets.fail(error instanceof Error ? error : new Error(String(error))),
  );
  addFactory(rendermime, widgets);
}

function shareDependencies(): void {
  const shared = (): Promise<{ modules: Record<string, Record<string, unknown>> }> => import("./shared.js");
  for (const name of ["react", "react-dom", "react-dom/client", "react/jsx-runtime", "@widgets/react"]) {
    provideShared(name, async () => (await shared()).modules[name] ?? {});
  }
  setImporter((url) => import(/* webpackIgnore: true */ url));
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: "widgets-labextension:plugin",
  description: "Renders widgets.Model outputs in notebooks and consoles (and in Voila dashboards)",
  autoStart: true,
  optional: [INotebookTracker, IConsoleTracker, IRenderMimeRegistry],
  activate: (app: JupyterFrontEnd, notebooks: INotebookTracker | null, consoles: IConsoleTracker | null, rendermime: IRenderMimeRegistry | null): void => {
    shareDependencies();
    if (rendermime && isVoila(app)) addVoilaRenderer(app, rendermime);
    const onNotebook = (panel: NotebookPanel): void => addRenderer(panel, panel.content.rendermime, panel.sessionContext);
    const onConsole = (panel: ConsolePanel): void => addRenderer(panel, panel.console.rendermime, panel.sessionContext);
    notebooks?.forEach(onNotebook);
    notebooks?.widgetAdded.connect((_, panel) => onNotebook(panel));
    consoles?.forEach(onConsole);
    consoles?.widgetAdded.connect((_, panel) => onConsole(panel));
    (globalThis as Record<string, unknown>).widgetsRuntime = {
      /** The manager of a running kernel: get_model(id), create(className, state), restore(). */
      manager: (kernelId: string) => registry.get(kernelId),
      managers: () => [...registry.entries()],
      /** Writes not yet acknowledged by a kernel, over every model of the page (0: all saved). */
      pendingWrites: () => [...registry.values()].reduce((n, m) => n + m.pendingWrites(), 0),
    };
  },
};

export default [plugin, faviconPlugin];

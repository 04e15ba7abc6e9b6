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
import { ISettingRegistry } from "@jupyterlab/settingregistry";
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import type { Kernel } from "@jupyterlab/services";
import { Widget } from "@lumino/widgets";
import {
  MIMETYPE,
  PROTOCOL_VERSION,
  provideShared,
  type SavedModels,
  setImporter,
  View,
  WidgetManager,
  type WidgetModel,
} from "./runtime.js";
import { faviconPlugin } from "./favicon.js";
import { LabTransport } from "./labtransport.js";
import { NotebookState } from "./saving.js";
import { isVoila, voilaKernel } from "./voila.js";

type SessionContext = NotebookPanel["sessionContext"];

const DISCONNECTING = new Set(["restarting", "autorestarting", "dead", "terminating"]);
/** Managers of earlier kernels a session remembers, for saving the outputs they still show. */
const KEPT_MANAGERS = 4;

/**
 * The widget manager of one session (notebook or console), following its kernel; or of one
 * kernel found without a session (Voila's page), given with `useKernel`.
 */
class SessionWidgets {
  private manager: WidgetManager | null = null;
  /** The managers this session had before the current one (a restart), newest first: their models' outputs are still shown. */
  private previous: WidgetManager[] = [];
  /** The notebook's saved models, once read: every kernel of the session may take them over. */
  private saved: SavedModels | null = null;
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

  /** The model of that id this page has from a kernel (the current one first). */
  lookup(modelId: string): WidgetModel | undefined {
    for (const manager of this.manager ? [this.manager, ...this.previous] : this.previous) {
      const model = manager.lookup(modelId);
      if (model?.ready) return model;
    }
    return undefined;
  }

  /** Every model this page has from a kernel of this session (the current one first). */
  models(): WidgetModel[] {
    return (this.manager ? [this.manager, ...this.previous] : this.previous).flatMap((manager) => manager.allModels());
  }

  /** The notebook's saved models were read: the kernel, now or when one comes, takes over those it has. */
  offline(saved: SavedModels): void {
    this.saved = saved;
    if (this.manager) void this.manager.adopt(saved);
  }

  private attach(kernel: Kernel.IKernelConnection | null, restore: boolean): void {
    if (this.kernel && this.kernel !== kernel) this.kernel.statusChanged.disconnect(this.onStatus, this);
    this.manager?.disconnect(kernel ? "the notebook changed kernels" : "the kernel was shut down");
    if (this.manager) this.previous = [this.manager, ...this.previous].slice(0, KEPT_MANAGERS);
    this.manager = null;
    this.kernel = kernel;
    if (!kernel) return;
    kernel.statusChanged.connect(this.onStatus, this);
    // After a page reload the first view of an unknown model asks the kernel to restore; a fresh
    // (restarted) kernel has nothing to restore.
    const manager = new WidgetManager(new LabTransport(kernel), { restoreOnDemand: restore });
    registry.set(kernel.id, manager);
    this.manager = manager;
    if (this.saved) void manager.adopt(this.saved);
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

const FIELDS = "input, select, textarea, [contenteditable=''], [contenteditable='true']";

/**
 * Keys typed into a form field of a widget are the field's (arrows move a slider, not the cell
 * selection). The attribute above is not enough: Notebook 7's shortcut registry, listening on the
 * document in the capture phase, still takes the arrows and stops them before the field sees
 * them. The registry ignores events whose `defaultPrevented` reads true, so for those keys that
 * property reads true to it, while the browser's own default action (and every listener) still
 * runs. Shift/Ctrl/Meta/Alt+Enter and Escape keep reaching the notebook (run, leave the cell).
 */
function keepKeysInFields(event: KeyboardEvent): void {
  const target = event.target as Element | null;
  if (!target?.closest?.(".widgets-output") || !target.closest(FIELDS) || event.key === "Escape") return;
  if (event.key === "Enter" && (event.shiftKey || event.ctrlKey || event.metaKey || event.altKey)) return;
  Object.defineProperty(event, "defaultPrevented", { configurable: true, get: () => true });
}

class ModelRenderer extends Widget implements IRenderMime.IRenderer {
  private view: View | null = null;

  constructor(
    private readonly mimeType: string,
    private readonly session: SessionWidgets,
    private readonly saved: NotebookState | null,
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
    const modelId = String(data.model_id);
    const live = this.session.current();
    if (live?.lookup(modelId)?.ready) return view.render(live);
    // A model the page does not have live: the notebook's saved state, offline, until a kernel takes it over.
    const saved = this.saved?.models();
    if (saved?.has(modelId)) return view.render(saved);
    if (!live && this.saved?.failure) {
      view.showError(this.saved.failure);
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

function addFactory(rendermime: Rendermime, widgets: SessionWidgets, saved: NotebookState | null = null): void {
  rendermime.addFactory(
    {
      safe: false,
      mimeTypes: [MIMETYPE],
      defaultRank: 0,
      createRenderer: (options: IRenderMime.IRendererOptions) => new ModelRenderer(options.mimeType, widgets, saved),
    },
    0,
  );
}

function addRenderer(owner: object, rendermime: Rendermime, sessionContext: SessionContext, saving?: () => boolean): void {
  let session = sessions.get(owner);
  if (!session) {
    session = new SessionWidgets(sessionContext);
    sessions.set(owner, session);
  }
  const widgets = session;
  const saved = saving
    ? new NotebookState(owner as NotebookPanel, (id) => widgets.lookup(id), () => widgets.models(), saving, (models) => widgets.offline(models))
    : null;
  addFactory(rendermime, session, saved);
}

/** The setting "Save widget state with the notebook" (`saveState`), true without a settings registry (Voila) or before it loaded. */
function saveSetting(settings: ISettingRegistry | null): () => boolean {
  let enabled = true;
  settings?.load(plugin.id).then(
    (loaded) => {
      const read = (): void => {
        enabled = loaded.get("saveState").composite !== false;
      };
      read();
      loaded.changed.connect(read);
    },
    (error: unknown) => console.warn("widgets: the settings could not be loaded; widget state is saved with notebooks", error),
  );
  return () => enabled;
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
  optional: [INotebookTracker, IConsoleTracker, IRenderMimeRegistry, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null,
    rendermime: IRenderMimeRegistry | null,
    settings: ISettingRegistry | null,
  ): void => {
    shareDependencies();
    window.addEventListener("keydown", keepKeysInFields, true);
    if (rendermime && isVoila(app)) addVoilaRenderer(app, rendermime);
    const saving = saveSetting(settings);
    const onNotebook = (panel: NotebookPanel): void => addRenderer(panel, panel.content.rendermime, panel.sessionContext, saving);
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

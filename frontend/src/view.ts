/**
 * Rendering a model into an element: load its module, `initialize` once per model, `render` per
 * view, clean up; show loading, errors (with stack) and connection state in the element itself.
 */
import BASE_STYLES from "./base.css";
import { injectCss, loadModule } from "./loader";
import type { WidgetModel } from "./model";
import type { Callback } from "./events";
import type { ErrorEntry } from "./protocol";

type Cleanup = (() => unknown) | void | undefined;
type MaybeAsync<T> = T | Promise<T>;

/** What a view module's default export provides (anywidget's contract). */
export interface WidgetDefinition {
  initialize?(props: { model: ViewModel }): MaybeAsync<Cleanup>;
  render?(props: { model: ViewModel; el: HTMLElement }): MaybeAsync<Cleanup>;
}

/** The model as one view sees it: listeners it adds are removed with the view. */
export type ViewModel = Pick<WidgetModel, "get" | "set" | "save_changes" | "send" | "on" | "off" | "widget_manager" | "model_id"> & {
  readonly model: WidgetModel;
};

function scoped(model: WidgetModel, added: [string, Callback, unknown][]): ViewModel {
  return {
    model,
    model_id: model.model_id,
    widget_manager: model.widget_manager,
    get: (key) => model.get(key),
    set: ((...args: Parameters<WidgetModel["set"]>) => model.set(...args)) as WidgetModel["set"],
    save_changes: () => model.save_changes(),
    send: (content, callbacks, buffers) => model.send(content, callbacks, buffers),
    on: (event, callback, context) => {
      added.push([event, callback, context]);
      model.on(event, callback, context);
    },
    off: (event, callback, context) => model.off(event, callback, context),
  };
}

const definitions = new WeakMap<Record<string, unknown>, Promise<WidgetDefinition>>();

/** The module's `{ initialize, render }`; a default-exported factory runs once per loaded module. */
function definition(module: Record<string, unknown>): Promise<WidgetDefinition> {
  let found = definitions.get(module);
  if (!found) {
    found = (async () => {
      let exported = module.default;
      if (typeof exported === "function") exported = await (exported as () => unknown)();
      if (exported === null || typeof exported !== "object") {
        throw new Error("the view module must `export default { render }` (or a function returning it)");
      }
      return exported as WidgetDefinition;
    })();
    definitions.set(module, found);
  }
  return found;
}

const initialized = new WeakMap<WidgetModel, Promise<void>>();

/** Run `initialize` once per model; its cleanup runs when the model closes. */
function initializeOnce(model: WidgetModel, widget: WidgetDefinition): Promise<void> {
  let done = initialized.get(model);
  if (!done) {
    done = (async () => {
      if (!widget.initialize) return;
      const added: [string, Callback, unknown][] = [];
      const cleanup = await widget.initialize({ model: scoped(model, added) });
      model.on("status", (status: string) => {
        if (status !== "closed") return;
        for (const [event, callback, context] of added) model.off(event, callback, context);
        if (typeof cleanup === "function") void cleanup();
      });
    })();
    initialized.set(model, done);
  }
  return done;
}

function describe(error: unknown): { message: string; stack: string } {
  if (error instanceof Error) return { message: `${error.name}: ${error.message}`, stack: error.stack ?? "" };
  return { message: String(error), stack: "" };
}

let stylesInjected = false;

/** The runtime's styles, once per page: the page's own `style[data-widgets-base]` if it has one (an exported page). */
function ensureBaseStyles(): void {
  if (stylesInjected || typeof document === "undefined") return;
  stylesInjected = true;
  if (document.querySelector("style[data-widgets-base]")) return;
  const style = document.createElement("style");
  style.dataset.widgetsBase = "";
  style.textContent = BASE_STYLES;
  document.head.append(style);
}

/** Where a view gets its model and the model's sources: a live manager, or saved state (offline.ts). */
export interface ModelSource {
  get_model(ref: string): Promise<WidgetModel>;
  asset(hash: string): Promise<string>;
}

/** A view of one model in one element; `dispose()` when the output goes away. */
export class View {
  readonly host: HTMLDivElement;
  private readonly banner: HTMLDivElement;
  private model: WidgetModel | null = null;
  private readonly added: [string, Callback, unknown][] = [];
  private cleanups: (() => unknown)[] = [];
  private disposed = false;

  constructor(
    readonly el: HTMLElement,
    readonly modelId: string,
  ) {
    ensureBaseStyles();
    el.classList.add("widgets-view");
    this.banner = document.createElement("div");
    this.banner.className = "widgets-banner";
    this.host = document.createElement("div");
    this.host.className = "widgets-host";
    el.replaceChildren(this.banner, this.host);
  }

  /** Wait for the model (as long as the kernel lives, or from saved state), load its module, render. Never throws. */
  async render(manager: ModelSource): Promise<void> {
    this.setBanner("loading", "Loading widget…");
    try {
      const model = await manager.get_model(this.modelId);
      if (this.disposed) return;
      this.model = model;
      this.watch(model);
      if (!model.esmHash) throw new Error(`${model.className || "this model"} has no _esm: nothing to render`);
      const [source, css] = await Promise.all([
        manager.asset(model.esmHash),
        model.cssHash ? manager.asset(model.cssHash) : Promise.resolve(null),
      ]);
      if (this.disposed) return;
      if (css !== null && model.cssHash) this.cleanups.push(injectCss(model.cssHash, css));
      const widget = await definition(await loadModule(model.esmHash, source));
      await initializeOnce(model, widget);
      if (this.disposed) return;
      this.setBanner(null);
      const cleanup = await widget.render?.({ model: scoped(model, this.added), el: this.host });
      if (typeof cleanup === "function") this.cleanups.push(cleanup);
      if (this.disposed) {
        // The view went away while an async render ran: undo what that render did.
        this.disposed = false;
        this.dispose();
        return;
      }
      if (model.status !== "live") this.showStatus(model.status, model.reason);
    } catch (error) {
      if (!this.disposed) this.showError(error);
    }
  }

  private watch(model: WidgetModel): void {
    const onError = (entry: ErrorEntry): void => this.showKernelError(entry);
    const onStatus = (status: string, reason?: string): void => this.showStatus(status, reason);
    model.on("error", onError);
    model.on("status", onStatus);
    this.cleanups.push(() => {
      model.off("error", onError);
      model.off("status", onStatus);
    });
  }

  private setBanner(kind: string | null, text = ""): void {
    this.banner.replaceChildren();
    this.banner.dataset.kind = kind ?? "";
    if (kind) this.banner.append(Object.assign(document.createElement("span"), { textContent: text }));
  }

  /** The banner for a model's status; an offline model shows its reason as a notice (none: no banner), undimmed. */
  showStatus(status: string, reason?: string): void {
    if (status === "offline") this.setBanner(reason ? "disconnected" : null, reason ?? "");
    else if (status === "disconnected") this.setBanner("disconnected", `Disconnected: ${reason || "the kernel is gone"}. Changes are not saved.`);
    else if (status === "closed") this.setBanner("closed", "This widget was closed in the kernel.");
    else this.setBanner(null);
    this.el.dataset.status = status;
  }

  /** An error the kernel reported (a refused value, a failing callback): shown above the view. */
  showKernelError(entry: ErrorEntry): void {
    const box = document.createElement("div");
    box.className = "widgets-error";
    box.dataset.kind = entry.kind;
    const title = entry.key ? `${entry.kind} error on '${entry.key}': ` : `${entry.kind} error: `;
    box.append(Object.assign(document.createElement("strong"), { textContent: title }), entry.message);
    if (entry.traceback) {
      const details = document.createElement("details");
      details.append(Object.assign(document.createElement("summary"), { textContent: "Traceback" }));
      details.append(Object.assign(document.createElement("pre"), { textContent: entry.traceback }));
      box.append(details);
    }
    const dismiss = Object.assign(document.createElement("button"), { textContent: "×", title: "Dismiss" });
    dismiss.className = "widgets-dismiss";
    dismiss.onclick = () => box.remove();
    box.append(dismiss);
    this.banner.dataset.kind = "error";
    this.banner.append(box);
    while (this.banner.querySelectorAll(".widgets-error").length > 3) this.banner.querySelector(".widgets-error")?.remove();
  }

  /** A view that failed to load or render: the error and its stack, instead of a blank output. */
  showError(error: unknown): void {
    const { message, stack } = describe(error);
    const box = document.createElement("div");
    box.className = "widgets-error widgets-render-error";
    box.append(Object.assign(document.createElement("strong"), { textContent: "The widget's view failed: " }), message);
    if (stack) box.append(Object.assign(document.createElement("pre"), { textContent: stack }));
    this.setBanner("error");
    this.banner.append(box);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const model = this.model;
    if (model) for (const [event, callback, context] of this.added) model.off(event, callback, context);
    for (const cleanup of this.cleanups.reverse()) {
      try {
        void cleanup();
      } catch (error) {
        console.error("widgets: a view cleanup failed", error);
      }
    }
    this.cleanups = [];
  }
}

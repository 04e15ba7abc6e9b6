/**
 * Rendering a model into an element: load its module, `initialize` once per model, `render` per
 * view (with its signal and host), clean up; show loading, errors (with stack) and connection
 * state in the element itself. The contract's types and the once-per-model part: lifecycle.ts.
 */
import BASE_STYLES from "./base.css";
import { ViewHost } from "./host";
import { experimental, initializeOnce, type Listeners, type ModelSource, moduleOf, removeListeners, scoped } from "./lifecycle";
import { injectCss } from "./loader";
import type { WidgetModel } from "./model";
import type { ErrorEntry } from "./protocol";

export type {
  ChildWidget,
  Experimental,
  InitializeProps,
  ModelSource,
  RenderProps,
  ViewModel,
  WidgetDefinition,
  WidgetHost,
} from "./lifecycle";

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

/** A view of one model in one element; `dispose()` when the output goes away. */
export class View {
  readonly host: HTMLDivElement;
  private readonly banner: HTMLDivElement;
  private readonly added: Listeners = [];
  private cleanups: (() => unknown)[] = [];
  private disposed = false;
  /** Aborts when the view goes away: the `signal` of `render`, and of calls made through the view. */
  private readonly controller = new AbortController();

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
      this.watch(model);
      const [widget, css] = await Promise.all([
        moduleOf(model, (hash) => manager.asset(hash)),
        model.cssHash ? manager.asset(model.cssHash) : Promise.resolve(null),
      ]);
      if (this.disposed) return;
      if (css !== null && model.cssHash) this.cleanups.push(injectCss(model.cssHash, css));
      await initializeOnce(model, widget);
      if (this.disposed) return;
      this.setBanner(null);
      const signal = this.controller.signal;
      const host = new ViewHost(manager, this.added, signal, (el, modelId) => {
        const child = new View(el, modelId);
        return { rendered: child.render(manager), dispose: () => child.dispose() };
      });
      const cleanup = await widget.render?.({
        model: scoped(model, this.added, signal),
        el: this.host,
        signal,
        host,
        experimental: experimental(model, signal),
      });
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
    this.controller.abort(new DOMException("the view was disposed", "AbortError"));
    removeListeners(this.added);
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

/**
 * The view module contract (anywidget's, 0.11 with its PR #974): what `initialize` and `render`
 * receive, the model as one view or one model's `initialize` sees it (scoped: its listeners and
 * calls end with it), and `initialize` run once per model, keeping what it exports.
 */
import type { InvokeOptions } from "./commands";
import type { Callback } from "./events";
import { loadModule } from "./loader";
import type { WidgetModel } from "./model";

type MaybeAsync<T> = T | Promise<T>;

/** Where a view gets its model and the model's sources: a live manager, or saved state (offline.ts). */
export interface ModelSource {
  get_model(ref: string): Promise<WidgetModel>;
  asset(hash: string): Promise<string>;
}

/** anywidget's `experimental` props: `invoke` resolving to `[result, extra buffers]`. */
export interface Experimental {
  invoke(name: string, msg?: unknown, options?: InvokeOptions): Promise<[unknown, DataView[]]>;
}

/** A child widget a view renders (`host.getWidget(ref)`): its model, its exports, new views of it. */
export interface ChildWidget {
  /** The child's model, scoped to the parent view (listeners end with it). */
  readonly model: ViewModel;
  /** What the child's `initialize` returned when that was an object (undefined otherwise, or if it failed). */
  readonly exports: unknown;
  /**
   * A new, independent view of the child in `target` (its module, styles, errors shown there);
   * resolves, once rendered, to a function disposing it. It is disposed with the parent view,
   * or when the `signal` given aborts.
   */
  render(target: HTMLElement | { el: HTMLElement; signal?: AbortSignal }): Promise<() => void>;
}

/** What `render` gets to compose other widgets. Only in `render`: an `initialize` waiting for a child could deadlock. */
export interface WidgetHost {
  /** A model reference (`"IPY_MODEL_<id>"`, `"anywidget:<id>"`, a bare id, or a model) as a child widget; waits like `get_model`. */
  getWidget(ref: string | { readonly model_id: string }): Promise<ChildWidget>;
}

export interface InitializeProps {
  model: ViewModel;
  /** Aborts when the model goes away (closed). */
  signal: AbortSignal;
  experimental: Experimental;
}

export interface RenderProps {
  model: ViewModel;
  el: HTMLElement;
  /** Aborts when the view goes away. */
  signal: AbortSignal;
  host: WidgetHost;
  experimental: Experimental;
}

/** A cleanup function, or (from `initialize`) an object of exports, or nothing. */
type Returned = (() => unknown) | object | void | undefined;

/** What a view module's default export provides. */
export interface WidgetDefinition {
  initialize?(props: InitializeProps): MaybeAsync<Returned>;
  render?(props: RenderProps): MaybeAsync<(() => unknown) | void | undefined>;
}

/** The model as one view (or one `initialize`) sees it: listeners it adds are removed with it; its calls abort with it. */
export type ViewModel = Pick<
  WidgetModel,
  "get" | "set" | "save_changes" | "send" | "on" | "off" | "invoke" | "widget_manager" | "model_id"
> & {
  readonly model: WidgetModel;
};

/** Listeners added through scoped models: [model, event, callback, context], removed together. */
export type Listeners = [WidgetModel, string, Callback, unknown][];

export function removeListeners(added: Listeners): void {
  for (const [model, event, callback, context] of added.splice(0)) model.off(event, callback, context);
}

/**
 * Run `call` with a signal that aborts when any of `signals` does (with its reason); the link is
 * undone when the call settles, so a long-lived view's signal does not gather a listener per call.
 */
export function withLinkedSignal<T>(signals: (AbortSignal | undefined)[], call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const unlink = new AbortController();
  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true, signal: unlink.signal });
  }
  return call(controller.signal).finally(() => unlink.abort());
}

/** `model` as seen by the owner of `added` and `signal` (a view, or a model's initialize). */
export function scoped(model: WidgetModel, added: Listeners, signal: AbortSignal): ViewModel {
  return {
    model,
    model_id: model.model_id,
    widget_manager: model.widget_manager,
    get: (key) => model.get(key),
    set: ((...args: Parameters<WidgetModel["set"]>) => model.set(...args)) as WidgetModel["set"],
    save_changes: () => model.save_changes(),
    send: (content, callbacks, buffers) => model.send(content, callbacks, buffers),
    invoke: <R>(name: string, args?: unknown, options: InvokeOptions = {}) =>
      withLinkedSignal([signal, options.signal], (linked) => model.invoke<R>(name, args, { ...options, signal: linked })),
    on: (event, callback, context) => {
      added.push([model, event, callback, context]);
      model.on(event, callback, context);
    },
    off: (event, callback, context) => model.off(event, callback, context),
  };
}

/** anywidget's `experimental.invoke` for `model`, aborting with `signal`. */
export function experimental(model: WidgetModel, signal: AbortSignal): Experimental {
  return {
    invoke: async (name, msg, options = {}) => {
      const { result, buffers } = await withLinkedSignal([signal, options.signal], (linked) => model.call(name, msg, { ...options, signal: linked }));
      return [result, buffers];
    },
  };
}

const definitions = new WeakMap<Record<string, unknown>, Promise<WidgetDefinition>>();

/** The module's `{ initialize, render }`; a default-exported factory runs once per loaded module. */
export function definition(module: Record<string, unknown>): Promise<WidgetDefinition> {
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

/** The definition of a model's view module, from `asset` (a live manager's, or saved state's). */
export async function moduleOf(model: WidgetModel, asset: (hash: string) => Promise<string>): Promise<WidgetDefinition> {
  if (!model.esmHash) throw new Error(`${model.className || "this model"} has no _esm: nothing to render`);
  return definition(await loadModule(model.esmHash, await asset(model.esmHash)));
}

const initialized = new WeakMap<WidgetModel, Promise<unknown>>();

/**
 * Run `initialize` once per model and resolve to its exports (an object it returned). Its
 * signal aborts, its listeners go and a returned cleanup runs when the model closes.
 */
export function initializeOnce(model: WidgetModel, widget: WidgetDefinition): Promise<unknown> {
  let done = initialized.get(model);
  if (!done) {
    done = (async () => {
      if (!widget.initialize) return undefined;
      const added: Listeners = [];
      const controller = new AbortController();
      const signal = controller.signal;
      const returned = await widget.initialize({ model: scoped(model, added, signal), signal, experimental: experimental(model, signal) });
      const end = (): void => {
        removeListeners(added);
        controller.abort(new DOMException("the model was closed", "AbortError"));
        if (typeof returned === "function") void (returned as () => unknown)();
      };
      if (model.status === "closed") end();
      else {
        model.on("status", function onStatus(status: string) {
          if (status !== "closed") return;
          model.off("status", onStatus);
          end();
        });
      }
      return typeof returned === "object" && returned !== null ? returned : undefined;
    })();
    initialized.set(model, done);
  }
  return done;
}

/**
 * An eager model's `initialize` (a jslink: no view will ever ask for it), run once as soon as the
 * model is there, live or saved. Not for other models: loading every module at once would slow a
 * page of many widgets. A failure is the model's `error` event (and in the console: no view shows it).
 */
export function initializeEager(model: WidgetModel, asset: (hash: string) => Promise<string>): void {
  if (!model.eager || !model.ready || initialized.has(model)) return;
  exportsOf(model, asset).catch((error: unknown) => {
    const problem = error instanceof Error ? error : new Error(String(error));
    console.error(`widgets: the initialize of ${model.className || "a model"} ${model.model_id} failed`, problem);
    model.reportError({ kind: "view", message: `initialize: ${problem.message}`, traceback: problem.stack ?? "" });
  });
}

/** The exports of a model whose `initialize` ran (or runs now, loading its module). */
export function exportsOf(model: WidgetModel, asset: (hash: string) => Promise<string>): Promise<unknown> {
  return initialized.get(model) ?? moduleOf(model, asset).then((widget) => initializeOnce(model, widget));
}

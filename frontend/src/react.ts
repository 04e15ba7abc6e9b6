/**
 * React bindings: `createRender(Component)`, `useModel()`, `useModelState(key)`, and for
 * composition `<WidgetView model={ref} />` and `useWidget(ref)` (the view's `host.getWidget`).
 *
 *     import { createRender, useModelState } from "@widgets/react";
 *     export default createRender(() => {
 *       const [value, setValue] = useModelState("value");
 *       return <button onClick={() => setValue((v) => v + 1)}>{value}</button>;
 *     });
 *
 * The extension shares one React with every view module, so these hooks and the module's own
 * `import React from "react"` are the same React.
 */
import {
  createContext,
  createElement,
  type ComponentType,
  type CSSProperties,
  type ReactElement,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from "react";
import { createRoot } from "react-dom/client";
import type { ChildWidget, ViewModel, WidgetDefinition, WidgetHost } from "./lifecycle";
import type { State } from "./model";
import { referencedId } from "./refs";

const ModelContext = createContext<ViewModel | null>(null);
const HostContext = createContext<WidgetHost | null>(null);

/** A view module's definition that renders `Component` with the model (and the view's host) in context. */
export function createRender(Component: ComponentType): WidgetDefinition & { render: NonNullable<WidgetDefinition["render"]> } {
  return {
    render({ model, el, host }) {
      const root = createRoot(el);
      const app = createElement(Component);
      root.render(createElement(ModelContext.Provider, { value: model }, createElement(HostContext.Provider, { value: host ?? null }, app)));
      return () => root.unmount();
    },
  };
}

/** A model reference as values hold it (`"IPY_MODEL_<id>"`, `"anywidget:<id>"`), a bare id, or a model. */
export type WidgetRef = string | { readonly model_id: string };

function useHost(caller: string): WidgetHost {
  const host = useContext(HostContext);
  if (!host) throw new Error(`${caller} must be used inside a component rendered by createRender()`);
  return host;
}

/** The id `ref` names, or null for no ref (so effects depend on a string, not an object). */
const idOf = (ref: WidgetRef | null | undefined): string | null => (ref === null || ref === undefined ? null : referencedId(ref));

/**
 * The child widget `ref` names (`host.getWidget`): null while it loads (or for no ref); throws,
 * for an error boundary, when there is no such model.
 */
export function useWidget(ref: WidgetRef | null | undefined): ChildWidget | null {
  const host = useHost("useWidget()");
  const id = idOf(ref);
  const [found, setFound] = useState<{ id: string; widget?: ChildWidget; error?: unknown } | null>(null);
  useEffect(() => {
    if (id === null) return;
    let current = true;
    host.getWidget(id).then(
      (widget) => current && setFound({ id, widget }),
      (error: unknown) => current && setFound({ id, error }),
    );
    return () => {
      current = false;
    };
  }, [host, id]);
  if (found === null || found.id !== id) return null;
  if (found.error !== undefined) throw found.error;
  return found.widget ?? null;
}

export interface WidgetViewProps {
  /** The model to show: a reference, an id, or a model. */
  model: WidgetRef | null | undefined;
  className?: string;
  style?: CSSProperties;
}

/**
 * A view of another model inside this React view: an independent view of it (its own module,
 * styles, errors), disposed on unmount or when `model` names another model.
 */
export function WidgetView({ model, className, style }: WidgetViewProps): ReactElement {
  const host = useHost("<WidgetView>");
  const id = idOf(model);
  const slot = useRef<HTMLDivElement>(null);
  const [failure, setFailure] = useState<{ id: string; message: string } | null>(null);
  useEffect(() => {
    const el = slot.current;
    if (!el || id === null) return;
    const controller = new AbortController();
    host
      .getWidget(id)
      .then((widget) => widget.render({ el, signal: controller.signal }))
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setFailure({ id, message: error instanceof Error ? error.message : String(error) });
      });
    return () => controller.abort();
  }, [host, id]);
  const error = failure !== null && failure.id === id ? failure.message : null;
  // The child view owns the inner element's children; React only ever renders the error beside it.
  return createElement(
    "div",
    { className, style, "data-model-id": id ?? undefined },
    error === null ? null : createElement("div", { className: "widgets-error", role: "alert" }, `Cannot show this widget: ${error}`),
    createElement("div", { ref: slot }),
  );
}

/** The model of the view being rendered. */
export function useModel(): ViewModel {
  const model = useContext(ModelContext);
  if (!model) throw new Error("useModel() must be called inside a component rendered by createRender()");
  return model;
}

type Update<V> = V | ((previous: V) => V);

/**
 * `[value, setValue]` for one key; the component re-renders only when that key changes.
 * `setValue` saves at once; it takes a value or a function of the previous value.
 */
export function useModelState<T extends State = State, K extends keyof T & string = string>(
  key: K,
): [T[K], (update: Update<T[K]>) => void] {
  const model = useModel();
  const subscribe = useCallback(
    (notify: () => void) => {
      const event = `change:${key}`;
      model.on(event, notify);
      return () => model.off(event, notify);
    },
    [model, key],
  );
  const value = useSyncExternalStore(subscribe, () => model.get(key) as T[K]);
  const setValue = useCallback(
    (update: Update<T[K]>) => {
      const next = typeof update === "function" ? (update as (previous: T[K]) => T[K])(model.get(key) as T[K]) : update;
      model.set(key, next);
      model.save_changes();
    },
    [model, key],
  );
  return [value, setValue];
}

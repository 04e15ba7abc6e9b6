/**
 * React bindings: `createRender(Component)`, `useModel()`, `useModelState(key)`.
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
import { createContext, createElement, type ComponentType, useCallback, useContext, useSyncExternalStore } from "react";
import { createRoot } from "react-dom/client";
import type { State } from "./model";
import type { ViewModel, WidgetDefinition } from "./view";

const ModelContext = createContext<ViewModel | null>(null);

/** A view module's definition that renders `Component` with the model in context. */
export function createRender(Component: ComponentType): WidgetDefinition & { render: NonNullable<WidgetDefinition["render"]> } {
  return {
    render({ model, el }) {
      const root = createRoot(el);
      root.render(createElement(ModelContext.Provider, { value: model }, createElement(Component)));
      return () => root.unmount();
    },
  };
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

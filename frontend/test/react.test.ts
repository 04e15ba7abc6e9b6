import { act, Activity, createElement, type ReactNode, StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { createRender, useModel, useModelState } from "../src/react";
import { experimental, type RenderProps, scoped, type ViewModel, type WidgetHost } from "../src/lifecycle";
import { FakeKernel, update } from "./fakeKernel";

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

let kernel: FakeKernel;
let manager: WidgetManager;
let model: WidgetModel;
let el: HTMLElement;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  kernel = new FakeKernel();
  manager = new WidgetManager(kernel);
  kernel.open("r1", { value: 1, other: "a" });
  model = await manager.get_model("r1");
  el = document.createElement("div");
  document.body.replaceChildren(el);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await act(async () => void cleanup());
});

/** The model as a view sees it (what View passes to `render`). */
function viewModel(m: WidgetModel): ViewModel {
  return scoped(m, [], new AbortController().signal);
}

/** The props View passes to `render`, without a host (composition is tested in compose.test.ts). */
function props(m: WidgetModel, target: HTMLElement): RenderProps {
  const signal = new AbortController().signal;
  const host: WidgetHost = { getWidget: () => Promise.reject(new Error("no host in this test")) };
  return { model: viewModel(m), el: target, signal, host, experimental: experimental(m, signal) };
}

/** Render `Component` with createRender into `el`, inside act; returns the view's cleanup. */
async function render(Component: () => ReactNode): Promise<() => unknown> {
  const widget = createRender(Component);
  let cleanup: unknown;
  await act(async () => {
    cleanup = await widget.render(props(model, el));
  });
  expect(typeof cleanup).toBe("function");
  const unmount = cleanup as () => unknown;
  cleanups.push(unmount);
  return unmount;
}

type Setter = (update: number | ((previous: number) => number)) => void;

describe("useModelState", () => {
  it("returns the value and re-renders on a change of that key only", async () => {
    let renders = 0;
    function Value() {
      renders++;
      const [value] = useModelState<{ value: number }, "value">("value");
      return createElement("span", { className: "value" }, String(value));
    }
    await render(Value);
    expect(el.querySelector(".value")?.textContent).toBe("1");
    expect(renders).toBe(1);

    await act(async () => kernel.deliver("r1", update(1, { state: { other: "b" } })));
    expect(model.get("other")).toBe("b");
    expect(renders).toBe(1); // another key: no re-render

    await act(async () => kernel.deliver("r1", update(2, { state: { value: 2 } })));
    expect(el.querySelector(".value")?.textContent).toBe("2");
    expect(renders).toBe(2);

    await act(async () => kernel.deliver("r1", update(3, { state: { value: 2 } }))); // same value again
    expect(renders).toBe(2);

    await act(async () => model.set("value", 3)); // a local set (another view, initialize) too
    expect(el.querySelector(".value")?.textContent).toBe("3");
    expect(renders).toBe(3);
  });

  it("setValue with a value or with previous => next sets and sends an update", async () => {
    let setValue!: Setter;
    function Counter() {
      const [value, set] = useModelState<{ value: number }, "value">("value");
      setValue = set;
      return createElement("button", { onClick: () => set((v) => v + 10) }, String(value));
    }
    await render(Counter);

    await act(async () => setValue(5));
    expect(model.get("value")).toBe(5);
    expect(el.textContent).toBe("5");
    const first = kernel.last("update");
    expect(first.data).toMatchObject({ method: "update", client: manager.client, state: { value: 5 } });

    kernel.deliver("r1", update(1, { state: { value: 5 }, ack: { client: manager.client, seq: first.data.seq } }));
    await act(async () => setValue((previous) => previous + 1));
    expect(model.get("value")).toBe(6);
    expect(el.textContent).toBe("6");
    const second = kernel.last("update");
    expect(second.data.seq).toBe((first.data.seq as number) + 1);
    expect(second.data.state).toEqual({ value: 6 });

    kernel.deliver("r1", update(2, { state: { value: 6 }, ack: { client: manager.client, seq: second.data.seq } }));
    await act(async () => el.querySelector("button")?.click());
    expect(el.textContent).toBe("16");
    expect(kernel.last("update").data.state).toEqual({ value: 16 });
  });

  it("the function form sees the latest value, also several calls in one event", async () => {
    let setValue!: Setter;
    function Counter() {
      const [value, set] = useModelState<{ value: number }, "value">("value");
      setValue = set;
      return createElement("span", null, String(value));
    }
    await render(Counter);
    await act(async () => {
      setValue((v) => v + 1);
      setValue((v) => v + 1);
    });
    expect(model.get("value")).toBe(3);
    expect(el.textContent).toBe("3");
  });

  it("under StrictMode (mount, unmount, mount) leaves exactly one listener per key", async () => {
    const on = vi.spyOn(model, "on");
    const off = vi.spyOn(model, "off");
    function Both() {
      const [value] = useModelState("value");
      const [other] = useModelState("other");
      return createElement("span", null, `${String(value)} ${String(other)}`);
    }
    // React 19 skips the strict double mount for a StrictMode placed in the same commit as a
    // non-strict ancestor (createRender's context provider), so the strict subtree is mounted
    // in a second commit, as a view's content often is; then React does mount, unmount, mount.
    function Strict() {
      const [show, setShow] = useState(false);
      useEffect(() => setShow(true), []);
      return show ? createElement(StrictMode, null, createElement(Both)) : null;
    }
    await render(Strict);
    expect(el.textContent).toBe("1 a");
    // StrictMode really did subscribe, unsubscribe and subscribe again (else this proves nothing)
    expect(on.mock.calls.filter(([event]) => event === "change:value")).toHaveLength(2);
    expect(off.mock.calls.filter(([event]) => event === "change:value")).toHaveLength(1);
    expect(model.listenerCount("change:value")).toBe(1);
    expect(model.listenerCount("change:other")).toBe(1);
    await act(async () => kernel.deliver("r1", update(1, { state: { value: 7, other: "z" } })));
    expect(el.textContent).toBe("7 z");
  });

  it("hiding and showing again (Activity) unsubscribes and resubscribes, one listener per key", async () => {
    let setMode!: (mode: "visible" | "hidden") => void;
    function Both() {
      const [value] = useModelState("value");
      const [other] = useModelState("other");
      return createElement("span", null, `${String(value)} ${String(other)}`);
    }
    function Toggle() {
      const [mode, set] = useState<"visible" | "hidden">("visible");
      setMode = set;
      return createElement(Activity, { mode, children: createElement(Both) });
    }
    await render(Toggle);
    expect(model.listenerCount("change:value")).toBe(1);
    await act(async () => setMode("hidden"));
    expect(model.listenerCount("change:value")).toBe(0);
    expect(model.listenerCount("change:other")).toBe(0);
    await act(async () => model.set("value", 5)); // changed while hidden
    await act(async () => setMode("visible"));
    expect(model.listenerCount("change:value")).toBe(1);
    expect(model.listenerCount("change:other")).toBe(1);
    expect(el.textContent).toBe("5 a");
  });

  it("unmounting via the returned cleanup removes the listeners and empties the element", async () => {
    function Both() {
      const [value] = useModelState("value");
      const [other] = useModelState("other");
      return createElement("span", null, `${String(value)} ${String(other)}`);
    }
    const cleanup = await render(Both);
    expect(model.listenerCount("change:value")).toBe(1);
    expect(model.listenerCount("change:other")).toBe(1);
    expect(el.innerHTML).not.toBe("");
    await act(async () => void cleanup());
    cleanups.length = 0;
    expect(model.listenerCount("change:value")).toBe(0);
    expect(model.listenerCount("change:other")).toBe(0);
    expect(model.listenerCount()).toBe(0);
    expect(el.innerHTML).toBe("");
  });

  it("changing the key resubscribes to the new key only", async () => {
    let setKey!: (key: string) => void;
    function Switch() {
      const [key, set] = useState("value");
      setKey = set;
      const [v] = useModelState(key);
      return createElement("span", null, String(v));
    }
    await render(Switch);
    expect(el.textContent).toBe("1");
    await act(async () => setKey("other"));
    expect(el.textContent).toBe("a");
    expect(model.listenerCount("change:value")).toBe(0);
    expect(model.listenerCount("change:other")).toBe(1);
  });
});

describe("useModel", () => {
  it("gives the view's model inside createRender", async () => {
    let seen: ViewModel | null = null;
    function Show() {
      seen = useModel();
      return createElement("span", null, seen.model_id);
    }
    await render(Show);
    expect(el.textContent).toBe("r1");
    expect((seen as ViewModel | null)?.model).toBe(model);
  });

  it("outside createRender throws a clear error", async () => {
    function Lost() {
      useModel();
      return null;
    }
    const errors: unknown[] = [];
    const root = createRoot(el, { onUncaughtError: (error) => errors.push(error) });
    const message = /useModel\(\) must be called inside a component rendered by createRender\(\)/;
    // act() rethrows what the render threw (errors that escape act would reach onUncaughtError)
    const silence = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      await act(async () => root.render(createElement(Lost)));
    } catch (error) {
      errors.push(error);
    } finally {
      silence.mockRestore();
    }
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(String(error)).toMatch(message);
    await act(async () => root.unmount());
  });
});

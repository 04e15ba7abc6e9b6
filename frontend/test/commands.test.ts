import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvokeError } from "../src/commands";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { SavedModels } from "../src/offline";
import { envelope, FakeKernel, type Sent } from "./fakeKernel";

let kernel: FakeKernel;
let manager: WidgetManager;
let model: WidgetModel;

beforeEach(async () => {
  kernel = new FakeKernel();
  manager = new WidgetManager(kernel, { client: "tab1" });
  kernel.open("m1", { value: 1 });
  model = await manager.get_model("m1");
});

afterEach(() => {
  vi.useRealTimers();
});

/** The last `invoke` the browser sent. */
const lastInvoke = (): Sent => kernel.last("invoke");

/** The kernel answers call `id` on m1. */
function reply(id: string, fields: Record<string, unknown>, buffers: ArrayBuffer[] = []): void {
  kernel.deliver("m1", envelope("invoke_reply", { id, ...fields }), buffers);
}

/** Settle microtasks so a rejection (or its absence) is visible. */
const flushed = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Whether `promise` has settled yet, and how. */
function track<T>(promise: Promise<T>): { state: string; value?: T; error?: unknown } {
  const seen: { state: string; value?: T; error?: unknown } = { state: "pending" };
  promise.then(
    (value) => Object.assign(seen, { state: "resolved", value }),
    (error: unknown) => Object.assign(seen, { state: "rejected", error }),
  );
  return seen;
}

describe("invoke: the call on the wire", () => {
  it("sends one invoke with a client-scoped id, the name, the args and buffer paths under args", () => {
    void model.invoke("fit", { degree: 2, data: new Float64Array([1, 2]) }, { buffers: [new Uint8Array([9])] });
    const sent = lastInvoke();
    expect(sent.commId).toBe("m1");
    expect(sent.data).toMatchObject({ protocol: "2.0", method: "invoke", name: "fit", buffer_paths: [["args", "data"]] });
    expect(sent.data.args).toEqual({ degree: 2, data: { $binary: "ndarray", dtype: "float64", shape: [2] } });
    expect(sent.data.id).toMatch(/^tab1-i\d+$/);
    expect(sent.buffers).toHaveLength(2); // the path buffer, then the extra buffer
    expect(new Uint8Array((sent.buffers[1] as Uint8Array).buffer)[0]).toBe(9);
  });

  it("gives every call in flight its own id (no args: null)", () => {
    void model.invoke("a");
    void model.invoke("a");
    const ids = kernel.messages("invoke").map((s) => s.data.id);
    expect(new Set(ids).size).toBe(2);
    expect(kernel.messages("invoke")[0]?.data.args).toBeNull();
  });

  it("sends the values saved before the call first", () => {
    model.set("value", 5);
    model.save_changes();
    model.set("value", 6);
    model.save_changes(); // queued behind the update in flight
    void model.invoke("use_value");
    const methods = kernel.sent.filter((s) => s.kind === "msg").map((s) => s.data.method);
    expect(methods).toEqual(["update", "update", "invoke"]);
  });
});

describe("invoke: the reply", () => {
  it("resolves with the result, its binary decoded, and the reply's extra buffers for experimental shape", async () => {
    const call = model.invoke("fit", {});
    const id = lastInvoke().data.id as string;
    const bytes = new Float32Array([0.5, 1.5]).buffer;
    reply(id, { result: { coef: { $binary: "ndarray", dtype: "float32", shape: [2] }, n: 2 }, buffer_paths: [["result", "coef"]] }, [bytes]);
    const result = (await call) as { coef: Float32Array & { shape: number[] }; n: number };
    expect(result.n).toBe(2);
    expect(result.coef).toBeInstanceOf(Float32Array);
    expect([...result.coef]).toEqual([0.5, 1.5]);
    expect(result.coef.shape).toEqual([2]);

    const full = model.call("raw", null);
    reply(lastInvoke().data.id as string, { result: { $binary: "bytes" }, buffer_paths: [["result"]] }, [new Uint8Array([1]).buffer, new Uint8Array([2, 3]).buffer]);
    const { result: raw, buffers } = await full;
    expect(raw).toBeInstanceOf(DataView);
    expect(buffers).toHaveLength(1);
    expect(buffers[0]?.byteLength).toBe(2);
    expect(model.pendingCalls()).toBe(0);
  });

  it("rejects with an InvokeError carrying kind, type, message and traceback", async () => {
    const call = model.invoke("fit", { degree: 0 });
    reply(lastInvoke().data.id as string, {
      error: { kind: "handler", type: "ValueError", message: "degree must be > 0", traceback: "Traceback…\nValueError" },
    });
    const error = (await call.catch((e: unknown) => e)) as InvokeError;
    expect(error).toBeInstanceOf(InvokeError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("InvokeError");
    expect([error.kind, error.type, error.message, error.traceback]).toEqual(["handler", "ValueError", "degree must be > 0", "Traceback…\nValueError"]);
  });

  it("rejects an unknown command with its kind", async () => {
    const call = model.invoke("nope");
    reply(lastInvoke().data.id as string, { error: { kind: "unknown_command", message: "no command 'nope' (commands: fit)" } });
    await expect(call).rejects.toMatchObject({ kind: "unknown_command", type: "" });
  });

  it("ignores a reply to an id not in flight, and a second reply to an id", async () => {
    const errors: unknown[] = [];
    model.on("error", (entry) => errors.push(entry));
    const call = track(model.invoke("fit"));
    const id = lastInvoke().data.id as string;
    reply("tab2-i1", { result: "someone else's" });
    await flushed();
    expect(call.state).toBe("pending");
    reply(id, { result: 1 });
    reply(id, { result: 2 });
    await flushed();
    expect(call).toMatchObject({ state: "resolved", value: 1 });
    expect(errors).toEqual([]);
  });
});

describe("invoke: malformed replies", () => {
  const cases: [string, Record<string, unknown>, ArrayBuffer[], string][] = [
    ["both result and error", { result: 1, error: { kind: "handler", message: "x" } }, [], "bad_message"],
    ["neither result nor error", {}, [], "bad_message"],
    ["an error that is not {kind, message}", { error: "boom" }, [], "bad_message"],
    ["an error kind an invoke cannot have", { error: { kind: "stale", message: "x" } }, [], "bad_message"],
    ["a non-string type", { error: { kind: "handler", message: "x", type: 3 } }, [], "bad_message"],
    ["a buffer path outside result", { result: null, id2: { $binary: "bytes" }, buffer_paths: [["id2"]] }, [new ArrayBuffer(1)], "bad_message"],
    ["a path without its buffer", { result: { $binary: "bytes" }, buffer_paths: [["result"]] }, [], "bad_buffer"],
    ["a placeholder without a path", { result: { $binary: "bytes" } }, [], "bad_buffer"],
  ];
  for (const [what, fields, buffers, kind] of cases) {
    it(`rejects the call it answers: ${what} (${kind})`, async () => {
      const errors: unknown[] = [];
      model.on("error", (entry) => errors.push(entry));
      const call = model.invoke("fit");
      reply(lastInvoke().data.id as string, fields, buffers);
      await expect(call).rejects.toMatchObject({ name: "InvokeError", kind });
      expect(errors).toEqual([]); // the caller hears it, not every view
    });
  }

  it("a reply of another major version rejects its call with `version`", async () => {
    const call = model.invoke("fit");
    kernel.deliver("m1", { protocol: "3.0", method: "invoke_reply", id: lastInvoke().data.id, result: 1 });
    await expect(call).rejects.toMatchObject({ kind: "version" });
  });

  it("a malformed reply with an unknown id is dropped; one with no valid id is an error event", async () => {
    const errors: { kind: string }[] = [];
    model.on("error", (entry) => errors.push(entry));
    const call = track(model.invoke("fit"));
    reply("tab2-i9", { result: 1, error: { kind: "handler", message: "x" } });
    kernel.deliver("m1", envelope("invoke_reply", { id: "not valid!", result: 1 }));
    await flushed();
    expect(call.state).toBe("pending");
    expect(errors.map((e) => e.kind)).toEqual(["bad_message"]);
  });
});

describe("invoke: giving up", () => {
  it("an aborted signal rejects before anything is sent", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(model.invoke("fit", {}, { signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
    expect(kernel.messages("invoke")).toHaveLength(0);
    expect(kernel.messages("invoke_abort")).toHaveLength(0);
  });

  it("an abort after sending rejects at once, sends invoke_abort, and ignores the late reply", async () => {
    const controller = new AbortController();
    const call = track(model.invoke("slow", {}, { signal: controller.signal }));
    const id = lastInvoke().data.id;
    controller.abort();
    await flushed();
    expect(call.state).toBe("rejected");
    expect((call.error as DOMException).name).toBe("AbortError");
    expect(kernel.last("invoke_abort").data).toEqual({ protocol: "2.0", method: "invoke_abort", id });
    reply(id as string, { result: 1 });
    await flushed();
    expect(call.state).toBe("rejected");
    expect(model.pendingCalls()).toBe(0);
  });

  it("abort rejects with the signal's own reason", async () => {
    const controller = new AbortController();
    const call = model.invoke("slow", {}, { signal: controller.signal });
    const reason = new Error("user pressed stop");
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
  });

  it("a timeout rejects with a TimeoutError and aborts the call", async () => {
    vi.useFakeTimers();
    const call = track(model.invoke("slow", {}, { timeout: 50 }));
    const id = lastInvoke().data.id;
    await vi.advanceTimersByTimeAsync(49);
    expect(call.state).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(call.state).toBe("rejected");
    expect((call.error as DOMException).name).toBe("TimeoutError");
    expect(kernel.last("invoke_abort").data.id).toBe(id);
  });

  it("refuses bad options without sending", async () => {
    await expect(model.invoke("x", {}, { timeout: -1 })).rejects.toBeInstanceOf(TypeError);
    await expect(model.invoke("x", {}, { buffers: ["no"] as unknown as ArrayBuffer[] })).rejects.toBeInstanceOf(TypeError);
    await expect(model.invoke("", {})).rejects.toBeInstanceOf(TypeError);
    expect(kernel.messages("invoke")).toHaveLength(0);
  });
});

describe("invoke: when nothing can answer", () => {
  it("a model closed by the kernel rejects calls in flight and new ones at once, with kind closed", async () => {
    const inFlight = model.invoke("slow");
    kernel.closeFromKernel("m1");
    await expect(inFlight).rejects.toMatchObject({ name: "InvokeError", kind: "closed" });
    await expect(model.invoke("fit")).rejects.toMatchObject({ kind: "closed" });
    expect(kernel.messages("invoke")).toHaveLength(1);
    expect(kernel.messages("invoke_abort")).toHaveLength(0);
  });

  it("a disconnected kernel rejects calls in flight and new ones with kind disconnected and the reason", async () => {
    const inFlight = model.invoke("slow");
    manager.disconnect("the kernel restarted");
    await expect(inFlight).rejects.toMatchObject({ kind: "disconnected", message: expect.stringContaining("the kernel restarted") });
    await expect(model.invoke("fit")).rejects.toMatchObject({ kind: "disconnected" });
    expect(kernel.messages("invoke")).toHaveLength(1);
  });

  it("an offline model (saved state) rejects at once: no kernel", async () => {
    const saved = SavedModels.parse({
      format: "widgets-state",
      version: 1,
      protocol: "2.0",
      classes: [{ name: "t.C", esm: null, css: null, read_only: [], keys: ["value"] }],
      assets: {},
      models: { s1: [0, [1]] },
    });
    const offline = saved.lookup("s1") as WidgetModel;
    await expect(offline.invoke("fit")).rejects.toMatchObject({ name: "InvokeError", kind: "disconnected", message: expect.stringContaining("no kernel") });
  });
});

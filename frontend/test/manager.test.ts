import { beforeEach, describe, expect, it } from "vitest";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { type ErrorEntry, ProtocolError } from "../src/protocol";
import { type Envelope, envelope, FakeKernel, type Sent, update } from "./fakeKernel";

let kernel: FakeKernel;
let manager: WidgetManager;

beforeEach(() => {
  kernel = new FakeKernel();
  manager = new WidgetManager(kernel);
});

/** Where a promise stands after the microtask queue (and `ms` of timers) ran. */
async function settled<T>(promise: Promise<T>, ms = 20): Promise<{ status: "pending" | "fulfilled" | "rejected"; value?: T; error?: Error }> {
  let outcome: { status: "pending" | "fulfilled" | "rejected"; value?: T; error?: Error } = { status: "pending" };
  promise.then(
    (value) => (outcome = { status: "fulfilled", value }),
    (error: Error) => (outcome = { status: "rejected", error }),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  return outcome;
}

/** The `open` of the control comm (there must be exactly one). */
function controlOpen(): Sent {
  const opens = kernel.sent.filter((s) => s.kind === "open" && s.target === "widgets.control");
  expect(opens).toHaveLength(1);
  return opens[0] as Sent;
}

/** Answer the browser's last `method` request on the control comm with `reply_method`. */
function reply(method: string, fields: Record<string, unknown>, buffers: ArrayBuffer[] = []): Envelope {
  const request = kernel.last(method);
  const control = controlOpen();
  expect(request.commId).toBe(control.commId);
  const body = envelope(`${method}_reply`, { request: request.data.request, ...fields });
  kernel.deliver(control.commId, body, buffers);
  return body;
}

/** Let pending promise callbacks run. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("get_model", () => {
  it("resolves at once for a known model and waits for one the kernel opens later", async () => {
    const early = manager.get_model("later");
    const twice = manager.get_model("later");
    expect((await settled(early, 0)).status).toBe("pending");
    kernel.open("later", { value: 3 });
    const model = await early;
    expect(await twice).toBe(model);
    expect(model.model_id).toBe("later");
    expect(model.get("value")).toBe(3);
    expect(model.className).toBe("test.Model");
    expect(await manager.get_model("later")).toBe(model);
    expect(manager.allModels()).toEqual([model]);
  });

  it("a kernel `open` of another major protocol version rejects the waiting get_model with the reason", async () => {
    const waiting = manager.get_model("m2");
    kernel.open("m2", { value: 1 }, { protocol: "3.0" });
    const error = await waiting.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).kind).toBe("version");
    expect((error as Error).message).toContain("3.0");
    expect((error as Error).message).toContain("2.0");
    expect(manager.lookup("m2")).toBeUndefined();
  });

  it("an `open` without protocol is refused as bad_message", async () => {
    const waiting = manager.get_model("m3");
    kernel.open("m3", {}, { protocol: undefined });
    await expect(waiting).rejects.toMatchObject({ kind: "bad_message" });
  });

  // BUG (frontend/src/manager.ts, `opened`, line 128): a refused `open` only rejects a waiter
  // that already exists. In Jupyter the comm_open arrives before the output that displays the
  // model, so the view's get_model comes *after* the refusal and waits forever ("Loading
  // widget…") instead of showing the version mismatch. Fix: remember refused ids
  // (`this.refused.set(commId, error)`) and reject get_model for them.
  it("get_model called after a refused `open` rejects with the reason too", async () => {
    kernel.open("m4", { value: 1 }, { protocol: "3.0" });
    const outcome = await settled(manager.get_model("m4"));
    expect(outcome.status).toBe("rejected");
    expect(outcome.error?.message).toContain("3.0");
  });
});

describe("options", () => {
  it("a fixed client id is used in hello, updates and request_state; a bad one is refused", async () => {
    const fixed = new WidgetManager(kernel, { client: "c0ffee_-Z9" });
    expect(fixed.client).toBe("c0ffee_-Z9");
    void fixed.restore();
    expect(controlOpen().data).toMatchObject({ method: "hello", client: "c0ffee_-Z9" });
    for (const client of ["", "a b", "x".repeat(65), "é", "a/b"]) {
      expect(() => new WidgetManager(new FakeKernel(), { client }), client).toThrow(/client id/);
    }
    expect(new WidgetManager(new FakeKernel()).client).toMatch(/^[0-9a-f]{32}$/);
  });

  it("get_model takes a bare id or an IPY_MODEL_ reference, for models known or still to come", async () => {
    const early = manager.get_model("IPY_MODEL_later");
    kernel.open("later", { value: 1 });
    const model = await early;
    expect(model.model_id).toBe("later");
    expect(await manager.get_model("later")).toBe(model);
    expect(await manager.get_model("IPY_MODEL_later")).toBe(model);
  });
});

describe("restore via the control comm", () => {
  it("opens the control comm with hello and asks for restore", () => {
    void manager.restore();
    const control = controlOpen();
    expect(control.data).toMatchObject({ protocol: "2.0", method: "hello", client: manager.client });
    const request = kernel.last("restore");
    expect(request.kind).toBe("msg");
    expect(request.commId).toBe(control.commId);
    expect(request.data).toMatchObject({ protocol: "2.0", method: "restore" });
    expect(typeof request.data.request).toBe("string");
  });

  it("creates the models, learns assets, keeps references as strings, attaches their comms", async () => {
    const waiting = manager.get_model("child");
    const restoring = manager.restore();
    reply(
      "restore",
      {
        models: [
          {
            model_id: "parent",
            class: "demo.Parent",
            rev: 4,
            state: { child: "IPY_MODEL_child", all: ["IPY_MODEL_parent", "IPY_MODEL_child", "IPY_MODEL_gone"], img: { $binary: "ndarray", dtype: "int32", shape: [2] } },
            esm: "restore-esm-1",
            css: "restore-css-1",
            read_only: ["child"],
          },
          { model_id: "child", class: "demo.Child", rev: 9, state: { value: 7 }, esm: "restore-esm-1", css: null, read_only: [] },
        ],
        assets: { "restore-esm-1": "export default { render() {} }", "restore-css-1": ".x { color: red }" },
        buffer_paths: [["models", 0, "state", "img"]],
      },
      [new Int32Array([5, 6]).buffer],
    );
    const models = await restoring;
    expect(models.map((m) => m.model_id)).toEqual(["parent", "child"]);
    const [parent, child] = models as [WidgetModel, WidgetModel];
    expect(await waiting).toBe(child);
    expect(await manager.get_model("parent")).toBe(parent);
    // snapshot fields
    expect(parent.className).toBe("demo.Parent");
    expect(parent.rev).toBe(4);
    expect(child.rev).toBe(9);
    expect(parent.esmHash).toBe("restore-esm-1");
    expect(parent.cssHash).toBe("restore-css-1");
    expect(child.cssHash).toBeNull();
    expect([...parent.readOnly]).toEqual(["child"]);
    // references stay strings, as views expect them; get_model resolves them
    expect(parent.get("child")).toBe("IPY_MODEL_child");
    expect(parent.get("all")).toEqual(["IPY_MODEL_parent", "IPY_MODEL_child", "IPY_MODEL_gone"]);
    expect(await parent.widget_manager.get_model(parent.get("child") as string)).toBe(child);
    expect(await manager.get_model("IPY_MODEL_parent")).toBe(parent);
    // buffers from the root of the reply
    expect(Array.from(parent.get("img") as Int32Array)).toEqual([5, 6]);
    // assets are known without asking again
    const before = kernel.messages("assets").length;
    expect(await manager.asset("restore-esm-1")).toBe("export default { render() {} }");
    expect(await manager.asset("restore-css-1")).toBe(".x { color: red }");
    expect(kernel.messages("assets")).toHaveLength(before);
    // comms attached: later updates reach the models, writes go out on the model's comm
    expect(kernel.comms.has("parent")).toBe(true);
    expect(kernel.comms.has("child")).toBe(true);
    kernel.deliver("child", update(10, { state: { value: 8 } }));
    expect(child.get("value")).toBe(8);
    expect(child.rev).toBe(10);
    child.set("value", 11);
    child.save_changes();
    expect(kernel.last("update")).toMatchObject({ kind: "msg", commId: "child" });
    expect(kernel.last("update").data).toMatchObject({ state: { value: 11 }, client: manager.client });
    kernel.closeFromKernel("parent");
    expect(parent.status).toBe("closed");
  });

  it("reuses models it already has, and their comms", async () => {
    kernel.open("known", { value: 1 });
    const known = await manager.get_model("known");
    const comm = kernel.comms.get("known");
    const restoring = manager.restore();
    reply("restore", {
      models: [{ model_id: "known", class: "test.Model", rev: 3, state: { value: 5 }, esm: null, css: null, read_only: [] }],
      assets: {},
      buffer_paths: [],
    });
    expect(await restoring).toEqual([known]);
    expect(known.get("value")).toBe(5);
    expect(kernel.comms.get("known")).toBe(comm);
    kernel.deliver("known", update(4, { state: { value: 6 } }));
    expect(known.get("value")).toBe(6);
  });

  it("after a restore, views of models the kernel does not have stop waiting (created ones go on)", async () => {
    const gone = manager.get_model("gone-model");
    const creating = manager.create("counter");
    const createId = kernel.last("create").commId;
    const restoring = manager.restore();
    reply("restore", {
      models: [{ model_id: "kept", class: "test.Model", rev: 0, state: {}, esm: null, css: null, read_only: [] }],
      assets: {},
      buffer_paths: [],
    });
    await restoring;
    await expect(gone).rejects.toThrow(/has no model gone-model/);
    await expect(manager.get_model("never-was")).rejects.toThrow(/has no model never-was/);
    expect((await manager.get_model("kept")).model_id).toBe("kept");
    // the model being created is still waited for, and arrives
    expect((await settled(creating, 0)).status).toBe("pending");
    kernel.deliver(createId, envelope("state", { rev: 0, class: "demo.Counter", state: { value: 0 }, esm: null, css: null, read_only: [] }));
    expect((await creating).model_id).toBe(createId);
  });

  it("a kernel without models restores none; two requests use one control comm with distinct ids", async () => {
    const first = manager.restore();
    const second = manager.restore();
    const requests = kernel.messages("restore");
    expect(requests).toHaveLength(2);
    expect(requests[0]?.data.request).not.toBe(requests[1]?.data.request);
    const control = controlOpen();
    // answer the second first
    kernel.deliver(control.commId, envelope("restore_reply", { request: requests[1]?.data.request, models: [], assets: {} }));
    expect(await second).toEqual([]);
    expect((await settled(first, 0)).status).toBe("pending");
    kernel.deliver(control.commId, envelope("restore_reply", { request: requests[0]?.data.request, models: [], assets: {} }));
    expect(await first).toEqual([]);
  });

  it("an error reply rejects the request; the kernel closing the control comm rejects the rest", async () => {
    const failing = manager.restore();
    const control = controlOpen();
    const request = kernel.last("restore");
    kernel.deliver(control.commId, envelope("error", { errors: [{ kind: "bad_message", message: "nope", request: request.data.request }] }));
    await expect(failing).rejects.toThrow("nope");
    const pending = manager.restore();
    kernel.closeFromKernel(control.commId);
    await expect(pending).rejects.toThrow(/closed the control channel/);
    // a new request opens a new control comm
    void manager.restore();
    expect(kernel.sent.filter((s) => s.kind === "open" && s.target === "widgets.control")).toHaveLength(2);
  });
});

describe("asset(hash)", () => {
  it("fetches a missing source with an `assets` request, once, and caches it", async () => {
    const first = manager.asset("asset-a1");
    const second = manager.asset("asset-a1");
    const requests = kernel.messages("assets");
    expect(requests).toHaveLength(1);
    expect(requests[0]?.data).toMatchObject({ method: "assets", hashes: ["asset-a1"] });
    reply("assets", { assets: { "asset-a1": "export default {}" } });
    expect(await first).toBe("export default {}");
    expect(await second).toBe("export default {}");
    expect(await manager.asset("asset-a1")).toBe("export default {}");
    expect(kernel.messages("assets")).toHaveLength(1);
    // the cache is per page: another manager knows it too
    const other = new WidgetManager(new FakeKernel());
    expect(await other.asset("asset-a1")).toBe("export default {}");
  });

  it("uses assets that arrive with a model's `open`", async () => {
    kernel.open("with-assets", {}, { esm: "asset-b1", assets: { "asset-b1": "source b1" } });
    expect(await manager.asset("asset-b1")).toBe("source b1");
    expect(kernel.messages("assets")).toHaveLength(0);
  });

  it("rejects when the kernel does not know the hash", async () => {
    const missing = manager.asset("asset-c1");
    reply("assets", { assets: {} });
    await expect(missing).rejects.toThrow(/does not know the module asset-c1/);
  });

  it("rejects when disconnected", async () => {
    manager.disconnect("the kernel died");
    await expect(manager.asset("asset-d1")).rejects.toThrow("the kernel died");
    expect(kernel.messages("assets")).toHaveLength(0);
  });

  it("a failed asset request fails its caller, and a later call asks again", async () => {
    const first = manager.asset("asset-e1");
    kernel.closeFromKernel(controlOpen().commId);
    await expect(first).rejects.toThrow(/closed the control channel/);
    const second = manager.asset("asset-e1"); // not the failed waiter: a new request on a new control comm
    const opens = kernel.sent.filter((s) => s.kind === "open" && s.target === "widgets.control");
    expect(opens).toHaveLength(2);
    kernel.closeFromKernel((opens[1] as { commId: string }).commId);
    await expect(second).rejects.toThrow(/closed the control channel/);
  });
});

describe("create(className, state)", () => {
  it("opens a model comm with `create` and resolves on the `state` reply", async () => {
    const creating = manager.create("counter", { value: 5, data: new Float32Array([1, 2]) });
    const open = kernel.last("create");
    expect(open.kind).toBe("open");
    expect(open.target).toBe("widgets.model");
    expect(open.data).toMatchObject({ protocol: "2.0", method: "create", class: "counter" });
    expect(open.data.state).toEqual({ value: 5, data: { $binary: "ndarray", dtype: "float32", shape: [2] } });
    expect(open.data.buffer_paths).toEqual([["state", "data"]]);
    expect(open.buffers).toHaveLength(1);
    expect((await settled(creating, 0)).status).toBe("pending");
    kernel.deliver(open.commId, envelope("state", { rev: 0, class: "demo.Counter", state: { value: 5 }, esm: null, css: null, read_only: [] }));
    const model = await creating;
    expect(model.model_id).toBe(open.commId);
    expect(model.get("value")).toBe(5);
    expect(model.className).toBe("demo.Counter");
    expect(await manager.get_model(open.commId)).toBe(model);
    // it is a live model like any other
    model.set("value", 6);
    model.save_changes();
    expect(kernel.last("update")).toMatchObject({ commId: open.commId, data: { state: { value: 6 } } });
    const seq = kernel.last("update").data.seq;
    kernel.deliver(open.commId, update(1, { state: { value: 7 }, ack: { client: manager.client, seq } }));
    expect(model.get("value")).toBe(7);
    expect(model.pendingWrites()).toBe(0);
  });

  it("rejects on an `error` followed by close, and drops the model", async () => {
    const creating = manager.create("nope");
    const open = kernel.last("create");
    const entry: ErrorEntry = { kind: "unknown_class", message: "no class registered as 'nope'" };
    kernel.deliver(open.commId, envelope("error", { errors: [entry] }));
    kernel.closeFromKernel(open.commId);
    await expect(creating).rejects.toThrow("no class registered as 'nope'");
    expect(manager.lookup(open.commId)).toBeUndefined();
  });

  it("rejects when the kernel just closes the comm", async () => {
    const creating = manager.create("counter", { value: "bad" });
    kernel.closeFromKernel(kernel.last("create").commId);
    await expect(creating).rejects.toThrow(/refused to create counter/);
  });
});

describe("disconnect(reason)", () => {
  it("rejects waiting get_model promises and pending requests, marks models disconnected", async () => {
    kernel.open("live", { value: 1 });
    const live = await manager.get_model("live");
    const statuses: [string, string | undefined][] = [];
    live.on("status", (status: string, reason?: string) => statuses.push([status, reason]));
    const managerStatus: string[] = [];
    const stop = manager.onStatus((s) => managerStatus.push(s));
    const waiting = manager.get_model("never");
    const restoring = manager.restore();
    const fetching = manager.asset("asset-f1");
    manager.disconnect("the kernel restarted");
    await expect(waiting).rejects.toThrow("the kernel restarted");
    await expect(manager.get_model("asked-after")).rejects.toThrow("the kernel restarted");
    await expect(restoring).rejects.toThrow("the kernel restarted");
    await expect(fetching).rejects.toThrow("the kernel restarted");
    expect(live.status).toBe("disconnected");
    expect(statuses).toEqual([["disconnected", "the kernel restarted"]]);
    expect(manager.status).toBe("disconnected");
    expect(manager.reason).toBe("the kernel restarted");
    expect(managerStatus).toEqual(["disconnected"]);
    // once only
    manager.disconnect("again");
    expect(managerStatus).toEqual(["disconnected"]);
    expect(manager.reason).toBe("the kernel restarted");
    stop();
    // nothing is sent any more
    const count = kernel.sent.length;
    live.set("value", 2);
    live.save_changes();
    await expect(manager.restore()).rejects.toThrow("the kernel restarted");
    expect(kernel.sent.length).toBe(count);
  });
});

describe("close", () => {
  it("model.close() closes the comm and marks the model closed", async () => {
    kernel.open("c1", { value: 1 });
    const model = await manager.get_model("c1");
    model.close();
    expect(model.status).toBe("closed");
    expect(kernel.last("close")).toMatchObject({ kind: "close", commId: "c1" });
    expect(manager.lookup("c1")).toBeUndefined();
    await tick();
  });
});

describe("restore on demand", () => {
  it("asks the kernel once, when a view wants an unknown model, and only then", async () => {
    const lazy = new WidgetManager(kernel, { restoreOnDemand: true });
    kernel.open("known", { value: 1 });
    await lazy.get_model("known");
    expect(kernel.messages("restore")).toHaveLength(0); // models the kernel announced need none
    const first = lazy.get_model("from-before-reload");
    const second = lazy.get_model("also-unknown");
    expect(kernel.messages("restore")).toHaveLength(1);
    const control = kernel.sent.find((s) => s.kind === "open" && s.target === "widgets.control");
    const request = kernel.last("restore").data.request as string;
    kernel.deliver(control?.commId as string, envelope("restore_reply", {
      request,
      models: [{ model_id: "from-before-reload", class: "x.Y", rev: 3, state: { value: 5 }, esm: null, css: null, read_only: [] }],
      assets: {},
      buffer_paths: [],
    }));
    expect((await first).get("value")).toBe(5);
    await expect(second).rejects.toThrow(/has no model also-unknown/);
  });
});

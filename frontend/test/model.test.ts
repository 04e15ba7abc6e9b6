import { beforeEach, describe, expect, it, vi } from "vitest";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import type { ErrorEntry } from "../src/protocol";
import { envelope, FakeKernel, update } from "./fakeKernel";

let kernel: FakeKernel;
let manager: WidgetManager;

async function opened(state: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<WidgetModel> {
  kernel.open("m1", state, extra);
  return manager.get_model("m1");
}

beforeEach(() => {
  kernel = new FakeKernel();
  manager = new WidgetManager(kernel);
});

describe("the anywidget contract", () => {
  it("gets what the kernel opened, and sets locally with change events", async () => {
    const model = await opened({ value: 1, label: "a" });
    expect(model.get("value")).toBe(1);
    const seen: unknown[] = [];
    model.on("change:value", (_: unknown, value: unknown) => seen.push(value));
    const any = vi.fn();
    model.on("change", any);
    model.set("value", 2);
    expect(model.get("value")).toBe(2);
    expect(seen).toEqual([2]);
    expect(any).toHaveBeenCalledTimes(1);
    expect(kernel.messages("update")).toHaveLength(0); // nothing sent before save_changes
  });

  it("save_changes sends one update with client, seq and only the changed keys", async () => {
    const model = await opened({ value: 1, label: "a" });
    model.set("value", 5);
    model.set("label", "b");
    model.save_changes();
    const sent = kernel.last("update").data;
    expect(sent).toMatchObject({ protocol: "2.0", method: "update", client: manager.client, seq: 1 });
    expect(sent.state).toEqual({ value: 5, label: "b" });
  });

  it("off removes by event, by callback, or everything", async () => {
    const model = await opened({ value: 1 });
    const a = vi.fn();
    const b = vi.fn();
    model.on("change:value", a);
    model.on("change:value", b);
    model.off("change:value", a);
    model.set("value", 2);
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledTimes(1);
    model.off();
    expect(model.listenerCount()).toBe(0);
  });

  it("custom messages travel both ways with buffers", async () => {
    const model = await opened({});
    const got: unknown[] = [];
    model.on("msg:custom", (content: unknown, buffers: DataView[]) => got.push([content, buffers.map((b) => b.byteLength)]));
    kernel.deliver("m1", envelope("custom", { content: { hi: 1 }, buffer_paths: [] }), [new ArrayBuffer(3)]);
    expect(got).toEqual([[{ hi: 1 }, [3]]]);
    model.send({ ping: new Uint8Array([1, 2]) }, undefined, [new Uint8Array([9])]);
    const sent = kernel.last("custom");
    expect(sent.data.content).toEqual({ ping: { $binary: "ndarray", dtype: "uint8", shape: [2] } });
    expect(sent.data.buffer_paths).toEqual([["content", "ping"]]);
    expect(sent.buffers).toHaveLength(2);
  });

  it("references reach views as IPY_MODEL_ strings; widget_manager.get_model takes them or bare ids", async () => {
    kernel.open("child", { value: 7 });
    const parent = await opened({ child: "IPY_MODEL_child", list: ["IPY_MODEL_child", "IPY_MODEL_unknown"], text: "model:child" });
    expect(parent.get("child")).toBe("IPY_MODEL_child");
    expect(parent.get("list")).toEqual(["IPY_MODEL_child", "IPY_MODEL_unknown"]);
    expect(parent.get("text")).toBe("model:child"); // no other prefix means anything
    const child = await parent.widget_manager.get_model("child");
    expect(await parent.widget_manager.get_model(parent.get("child") as string)).toBe(child);
    // lonboard's way: strip the prefix itself
    expect(await parent.widget_manager.get_model((parent.get("child") as string).slice("IPY_MODEL_".length))).toBe(child);
    // a model object set into a value travels as its reference
    parent.set("child", parent);
    parent.set("list", [child, "IPY_MODEL_x"]);
    parent.save_changes();
    expect(kernel.last("update").data.state).toEqual({ child: "IPY_MODEL_m1", list: ["IPY_MODEL_child", "IPY_MODEL_x"] });
  });
});

describe("acknowledgement and reconciliation", () => {
  it("an ack settles the pending value to what the kernel accepted", async () => {
    const model = await opened({ value: 1 });
    model.set("value", 2.7);
    model.save_changes();
    expect(model.get("value")).toBe(2.7);
    const changes: unknown[] = [];
    model.on("change:value", (_: unknown, v: unknown) => changes.push(v));
    kernel.deliver("m1", update(1, { state: { value: 2 }, ack: { client: manager.client, seq: 1 } })); // coerced
    expect(model.get("value")).toBe(2);
    expect(changes).toEqual([2]);
    expect(model.pendingWrites()).toBe(0);
  });

  it("a refusal reverts to the kernel's value and raises an error event", async () => {
    const model = await opened({ value: 1 });
    const errors: ErrorEntry[] = [];
    model.on("error", (e: ErrorEntry) => errors.push(e));
    model.set("value", "nope" as unknown as number);
    model.save_changes();
    const error = { kind: "validation", key: "value", message: "expected an int" };
    kernel.deliver("m1", update(1, { state: { value: 1 }, ack: { client: manager.client, seq: 1 }, errors: [error] }));
    expect(model.get("value")).toBe(1);
    expect(errors).toEqual([error]);
  });

  it("kernel changes to a key with a pending write wait for the ack", async () => {
    const model = await opened({ value: 1 });
    model.set("value", 5);
    model.save_changes();
    kernel.deliver("m1", update(1, { state: { value: 9 } })); // the kernel's own change, sent before it read ours
    expect(model.get("value")).toBe(5);
    kernel.deliver("m1", update(2, { state: { value: 5 }, ack: { client: manager.client, seq: 1 } }));
    expect(model.get("value")).toBe(5);
    expect(model.pendingWrites()).toBe(0);
  });

  it("acks of another client do not settle ours", async () => {
    const model = await opened({ value: 1 });
    model.set("value", 5);
    model.save_changes();
    kernel.deliver("m1", update(1, { state: { value: 3 }, ack: { client: "someone-else", seq: 1 } }));
    expect(model.get("value")).toBe(5);
  });

  it("rapid save_changes coalesce while one update is in flight, and the last value wins", async () => {
    const model = await opened({ value: 0 });
    for (let i = 1; i <= 100; i++) {
      model.set("value", i);
      model.save_changes();
    }
    expect(kernel.messages("update")).toHaveLength(1);
    kernel.deliver("m1", update(1, { state: { value: 1 }, ack: { client: manager.client, seq: 1 } }));
    expect(kernel.messages("update")).toHaveLength(2);
    const second = kernel.last("update").data;
    expect(second.state).toEqual({ value: 100 });
    expect(model.get("value")).toBe(100);
    kernel.deliver("m1", update(2, { state: { value: 100 }, ack: { client: manager.client, seq: second.seq } }));
    expect(model.get("value")).toBe(100);
    expect(model.pendingWrites()).toBe(0);
  });

  it("a large list is sent as a patch against the confirmed value", async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    const model = await opened({ items });
    const next = items.slice();
    next[500] = -1;
    model.set("items", next);
    model.save_changes();
    const sent = kernel.last("update");
    expect(sent.data.patch).toEqual({ items: [{ op: "replace", path: "/500", value: -1 }] });
    expect(sent.data.base).toBe(0);
    expect(JSON.stringify(sent.data).length).toBeLessThan(200);
  });

  it("a value changed in place and set again is diffed against the private baseline", async () => {
    const model = await opened({ items: Array.from({ length: 2000 }, (_, i) => i) });
    const items = model.get("items") as number[];
    items.push(1);
    model.set("items", items);
    model.save_changes();
    expect(kernel.last("update").data.patch).toEqual({ items: [{ op: "add", path: "/2000", value: 1 }] });
  });

  it("kernel patches apply to the confirmed value", async () => {
    const model = await opened({ items: [1, 2, 3] });
    kernel.deliver("m1", update(1, { patch: { items: [{ op: "replace", path: "/1", value: 20 }] } }));
    expect(model.get("items")).toEqual([1, 20, 3]);
  });

  it("a stale patch is sent again as the whole value", async () => {
    const items = Array.from({ length: 5000 }, (_, i) => i);
    const model = await opened({ items });
    const next = items.slice();
    next[1] = -1;
    model.set("items", next);
    model.save_changes();
    const stale = { kind: "stale", key: "items", message: "changed" };
    kernel.deliver("m1", update(1, { state: { items: [0] }, ack: { client: manager.client, seq: 1 }, errors: [stale] }));
    const retry = kernel.last("update").data;
    expect(retry.seq).toBe(2);
    expect((retry.state as { items: number[] }).items[1]).toBe(-1);
    expect(retry.patch).toBeUndefined();
  });

  it("a gap in rev asks for the state, whose ack settles pending writes", async () => {
    const model = await opened({ value: 1 });
    model.set("value", 4);
    model.save_changes();
    kernel.deliver("m1", update(2, { state: { value: 4 } })); // rev 1 was lost
    expect(kernel.last("request_state").data).toMatchObject({ client: manager.client });
    expect(model.get("value")).toBe(4); // still pending
    kernel.deliver("m1", envelope("state", { rev: 2, state: { value: 4 }, ack: { client: manager.client, seq: 1 } }));
    expect(model.pendingWrites()).toBe(0);
    expect(model.rev).toBe(2);
  });

  it("read-only keys are refused locally", async () => {
    const model = await opened({ status: "idle" }, { read_only: ["status"] });
    const errors: ErrorEntry[] = [];
    model.on("error", (e: ErrorEntry) => errors.push(e));
    model.set("status", "hacked");
    expect(model.get("status")).toBe("idle");
    expect(errors[0]?.kind).toBe("read_only");
  });

  it("malformed kernel messages become error events, not exceptions", async () => {
    const model = await opened({ value: 1 });
    const errors: ErrorEntry[] = [];
    model.on("error", (e: ErrorEntry) => errors.push(e));
    kernel.deliver("m1", { protocol: "3.0", method: "update" });
    kernel.deliver("m1", update(1, { patch: { value: [{ op: "replace", path: "/x", value: 1 }] } }));
    kernel.deliver("m1", envelope("update", { rev: 2, buffer_paths: [["state", "x"]] }));
    expect(errors.map((e) => e.kind)).toEqual(["version", "bad_patch", "bad_buffer"]);
    expect(kernel.last("request_state")).toBeDefined(); // the bad patch made it resync
    expect(model.rev).toBe(0);
  });

  it("a listener that throws is reported and does not stop the others", async () => {
    const model = await opened({ value: 1 });
    const errors: ErrorEntry[] = [];
    model.on("error", (e: ErrorEntry) => errors.push(e));
    model.on("change:value", () => {
      throw new Error("boom");
    });
    const after = vi.fn();
    model.on("change:value", after);
    model.set("value", 2);
    expect(after).toHaveBeenCalled();
    expect(errors[0]).toMatchObject({ kind: "view" });
    expect(errors[0]?.message).toContain("boom");
  });
});

describe("connection state", () => {
  it("writes after a disconnect are reported, not dropped silently", async () => {
    const model = await opened({ value: 1 });
    const errors: ErrorEntry[] = [];
    const statuses: string[] = [];
    model.on("error", (e: ErrorEntry) => errors.push(e));
    model.on("status", (s: string) => statuses.push(s));
    manager.disconnect("the kernel restarted");
    expect(statuses).toEqual(["disconnected"]);
    model.set("value", 3);
    model.save_changes();
    model.send({ x: 1 });
    expect(kernel.messages("update")).toHaveLength(0);
    expect(errors.map((e) => e.kind)).toEqual(["disconnected", "disconnected"]);
  });

  it("one owner, one wording: what was not delivered and why", async () => {
    const model = await opened({ value: 1 });
    const errors: ErrorEntry[] = [];
    model.on("error", (e: ErrorEntry) => errors.push(e));
    manager.disconnect("the kernel restarted");
    expect([manager.status, model.status]).toEqual(["disconnected", "disconnected"]);
    model.set({ value: 3, label: "x" });
    model.save_changes();
    model.send({ ping: 1 });
    expect(errors).toEqual([
      { kind: "disconnected", message: "the value of 'value', 'label' was not delivered: the kernel restarted" },
      { kind: "disconnected", message: "a custom message was not delivered: the kernel restarted" },
    ]);
    expect(model.get("value")).toBe(3); // still shown, not sent, not counted as pending
    expect(model.pendingWrites()).toBe(0);
    await expect(manager.get_model("other")).rejects.toThrow("the kernel restarted");
    await expect(manager.create("counter")).rejects.toThrow("the kernel restarted");
    await expect(manager.asset("h")).rejects.toThrow("the kernel restarted");
  });

  it("a closed model reports writes as `closed`, and the kernel's later messages are ignored", async () => {
    const model = await opened({ value: 1 });
    const errors: ErrorEntry[] = [];
    model.on("error", (e: ErrorEntry) => errors.push(e));
    model.close();
    expect(model.status).toBe("closed");
    const count = kernel.sent.length;
    model.set("value", 2);
    model.save_changes();
    model.send("x");
    expect(kernel.sent.length).toBe(count);
    expect(errors.map((e) => [e.kind, e.message])).toEqual([
      ["closed", "the value of 'value' was not delivered: the model was closed"],
      ["closed", "a custom message was not delivered: the model was closed"],
    ]);
    kernel.deliver("m1", update(1, { state: { value: 9 } }));
    expect(model.get("value")).toBe(2);
  });

  it("the kernel closing a model marks it closed", async () => {
    const model = await opened({ value: 1 });
    kernel.closeFromKernel("m1");
    expect(model.status).toBe("closed");
    expect(manager.lookup("m1")).toBeUndefined();
  });
});

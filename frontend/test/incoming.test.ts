/** Kernel -> browser messages are checked whole: a malformed one is an error event and changes nothing. */
import { beforeEach, describe, expect, it } from "vitest";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import type { ErrorEntry } from "../src/protocol";
import { envelope, FakeKernel, update } from "./fakeKernel";

let kernel: FakeKernel;
let manager: WidgetManager;
let model: WidgetModel;
let errors: ErrorEntry[];

beforeEach(async () => {
  kernel = new FakeKernel();
  manager = new WidgetManager(kernel);
  kernel.open("m1", { value: 1, items: [1, 2, 3] });
  model = await manager.get_model("m1");
  errors = [];
  model.on("error", (entry: ErrorEntry) => errors.push(entry));
});

/** Deliver `data`; it must be refused as `kind` with nothing changed, and a resync asked for (updates only). */
function refused(data: Record<string, unknown>, kind: string, buffers: ArrayBuffer[] = []): void {
  const before = JSON.stringify(model.state());
  const rev = model.rev;
  const requests = kernel.messages("request_state").length;
  kernel.deliver("m1", data, buffers);
  expect(errors.map((e) => e.kind), JSON.stringify(data).slice(0, 200)).toEqual([kind]);
  expect(JSON.stringify(model.state())).toBe(before);
  expect(model.rev).toBe(rev);
  if (data.method === "update" && kind !== "version") expect(kernel.messages("request_state")).toHaveLength(requests + 1);
  errors.length = 0;
}

describe("the envelope", () => {
  it.each([
    ["no protocol", { method: "update", rev: 1 }, "bad_message"],
    ["a version that is not <major>.<minor>", { protocol: "2", method: "update", rev: 1 }, "bad_message"],
    ["another major", { protocol: "3.0", method: "update", rev: 1, state: { value: 9 } }, "version"],
    ["no method", { protocol: "2.0", rev: 1 }, "bad_message"],
    ["an unknown method", { protocol: "2.0", method: "restore_reply", request: "r1" }, "bad_message"],
  ])("%s", (_name, data, kind) => refused(data as Record<string, unknown>, kind));

  it("data that is not an object", () => {
    for (const data of [null, [1], "update", 5]) {
      kernel.comms.get("m1")?.messageHandler(data, []);
      expect(errors.map((e) => e.kind)).toEqual(["bad_message"]);
      errors.length = 0;
    }
  });

  it("a newer minor version with fields this page does not know is applied", () => {
    kernel.deliver("m1", { ...update(1, { state: { value: 2 } }), protocol: "2.7", future: { x: 1 } });
    expect(model.get("value")).toBe(2);
    expect(errors).toEqual([]);
  });
});

describe("an update is checked whole before any of it is applied", () => {
  it.each([
    ["a rev that is a string", update(1, { rev: "1", state: { value: 2 } })],
    ["a fractional rev", update(1, { rev: 1.5, state: { value: 2 } })],
    ["a negative rev", update(1, { rev: -1, state: { value: 2 } })],
    ["a boolean rev", update(1, { rev: true, state: { value: 2 } })],
    ["no rev", envelope("update", { state: { value: 2 } })],
    ["a state that is a list", update(1, { state: [2] })],
    ["a patch that is a string", update(1, { state: { value: 2 }, patch: "x" })],
    ["a key's patch that is not a list", update(1, { state: { value: 2 }, patch: { items: { op: "add" } } })],
    ["a key in both state and patch", update(1, { state: { items: [9] }, patch: { items: [{ op: "add", path: "/-", value: 4 }] } })],
    ["errors that are not a list", update(1, { state: { value: 2 }, errors: "boom" })],
    ["an error without a message", update(1, { state: { value: 2 }, errors: [{ kind: "validation" }] })],
    ["an error of an unknown kind", update(1, { state: { value: 2 }, errors: [{ kind: "oops", message: "m" }] })],
    ["an error with a key that is not a string", update(1, { state: { value: 2 }, errors: [{ kind: "validation", message: "m", key: 5 }] })],
    ["an ack with a bad client id", update(1, { state: { value: 2 }, ack: { client: "a b", seq: 1 } })],
    ["an ack with a 65-character client id", update(1, { state: { value: 2 }, ack: { client: "a".repeat(65), seq: 1 } })],
    ["an ack with seq 0", update(1, { state: { value: 2 }, ack: { client: "other", seq: 0 } })],
    ["an ack with seq past 2**53-1", update(1, { state: { value: 2 }, ack: { client: "other", seq: 2 ** 53 } })],
    ["an ack with a fractional seq", update(1, { state: { value: 2 }, ack: { client: "other", seq: 1.5 } })],
  ])("%s: bad_message", (_name, data) => refused(data, "bad_message"));

  it.each([
    ["an extra buffer", update(1, { state: { value: 2 } }), [new ArrayBuffer(1)]],
    ["a placeholder without a path", update(1, { state: { value: { $binary: "bytes" } } }), []],
    ["a negative index", update(1, { state: { value: [{ $binary: "bytes" }] }, buffer_paths: [["state", "value", -1]] }), [new ArrayBuffer(1)]],
    ["a path to no placeholder", update(1, { state: { value: 2 }, buffer_paths: [["state", "value"]] }), [new ArrayBuffer(1)]],
    ["a missing buffer", update(1, { state: { value: { $binary: "bytes" } }, buffer_paths: [["state", "value"]] }), []],
  ])("%s: bad_buffer", (_name, data, buffers) => refused(data, "bad_buffer", buffers));

  it("a patch that does not apply leaves every key as it was (the state keys too) and asks for the state", () => {
    refused(update(1, { state: { value: 2 }, patch: { items: [{ op: "replace", path: "/9", value: 0 }] } }), "bad_patch");
  });

  it("containers nested deeper than 1000 levels: bad_message", () => {
    const deep = "[".repeat(1500) + "]".repeat(1500);
    kernel.deliverRaw("m1", `{"protocol":"2.0","method":"update","rev":1,"state":{"value":${deep}}}`);
    expect(errors.map((e) => e.kind)).toEqual(["bad_message"]);
    expect(model.get("value")).toBe(1);
  });

  it("an ack of a seq this client never sent is forged: refused, pending writes stay", () => {
    model.set("value", 5);
    model.save_changes(); // seq 1
    refused(update(1, { state: { value: 1 }, ack: { client: manager.client, seq: 2 } }), "bad_message");
    expect(model.pendingWrites()).toBe(1);
    expect(model.get("value")).toBe(5);
    // the state reply with the real ack settles it
    kernel.deliver("m1", envelope("state", { rev: 1, state: { value: 5, items: [1, 2, 3] }, ack: { client: manager.client, seq: 1 } }));
    expect(model.pendingWrites()).toBe(0);
  });

  it("kernel error messages are cut to 500 characters", () => {
    kernel.deliver("m1", update(1, { errors: [{ kind: "validation", key: "value", message: "x".repeat(1_000_000) }] }));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toHaveLength(500);
  });
});

describe("the other messages", () => {
  it("a state without a state object is refused and the model keeps its values", () => {
    kernel.deliver("m1", envelope("state", { rev: 4 }));
    expect(errors.map((e) => e.kind)).toEqual(["bad_message"]);
    expect(model.get("value")).toBe(1);
    expect(model.rev).toBe(0);
  });

  it("an error message needs a list of entries", () => {
    kernel.deliver("m1", envelope("error", { errors: { kind: "handler" } }));
    kernel.deliver("m1", envelope("error", { errors: [{ kind: "handler", message: "it raised", traceback: "T" }] }));
    expect(errors.map((e) => e.kind)).toEqual(["bad_message", "handler"]);
    expect(errors[1]).toEqual({ kind: "handler", message: "it raised", traceback: "T" });
  });

  it("an open with a bad field refuses the model: get_model rejects with the reason", async () => {
    kernel.open("m2", { value: 1 }, { read_only: "value" });
    await expect(manager.get_model("m2")).rejects.toMatchObject({ kind: "bad_message" });
    kernel.open("m3", { value: 1 }, { rev: "0" });
    await expect(manager.get_model("m3")).rejects.toMatchObject({ kind: "bad_message" });
  });

  it("a malformed restore reply rejects the restore", async () => {
    const restoring = manager.restore();
    const control = kernel.sent.find((s) => s.kind === "open" && s.target === "widgets.control");
    kernel.deliver(control?.commId as string, envelope("restore_reply", { request: kernel.last("restore").data.request, models: [{ model_id: "x", rev: "no", state: {} }] }));
    await expect(restoring).rejects.toMatchObject({ kind: "bad_message" });
    expect(manager.lookup("x")).toBeUndefined();
  });
});

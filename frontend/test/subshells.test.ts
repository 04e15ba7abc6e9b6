// labtransport.ts's subshell route (docs/live-cells.md): before the subshell is there our comm
// messages go on the main shell at once; after, they wait for the kernel to have handled those, then
// go on the subshell, in order, with its id; without subshells they stay on the main shell and the
// console says so once. And commslots.ts keeps JupyterLab from starting its own subshell for our comms.
import { CommHandler } from "@jupyterlab/services/lib/kernel/comm.js";
import { Signal } from "@lumino/signaling";
import { afterEach, describe, expect, it, vi } from "vitest";
import { trackCommSlots } from "../extension/commslots";
import { LabTransport } from "../extension/labtransport";

interface Sent {
  type: string;
  subshell: string | null | undefined;
  data: unknown;
}

/** The parts of a KernelConnection the transport uses, with a control channel answered by hand. */
class FakeKernel {
  readonly statusChanged = new Signal<FakeKernel, string>(this);
  status = "idle";
  isDisposed = false;
  username = "tester";
  clientId = "client";
  commsOverSubshells = "perCommTarget";
  _comms = new Map<string, CommHandler>();
  readonly sent: Sent[] = [];
  private answer: ((id: string) => void) | null = null;
  subshellRequests = 0;

  constructor(
    readonly id: string,
    readonly supportsSubshells: boolean,
  ) {}

  get info(): Promise<object> {
    return Promise.resolve({});
  }

  requestCreateSubshell(): { done: Promise<{ content: { status: string; subshell_id: string } }> } {
    this.subshellRequests += 1;
    return { done: new Promise((resolve) => (this.answer = (id) => resolve({ content: { status: "ok", subshell_id: id } }))) };
  }

  reply(id: string): void {
    this.answer?.(id);
  }

  /** Each message's `done`, resolved by `handled(i)` (the kernel went idle after message i). */
  readonly handledBy: (() => void)[] = [];

  sendShellMessage(msg: { header: { msg_type: string; subshell_id?: string | null }; content: { data?: unknown } }): { done: Promise<void> } {
    this.sent.push({ type: msg.header.msg_type, subshell: msg.header.subshell_id, data: msg.content.data });
    return { done: new Promise((resolve) => this.handledBy.push(resolve)) };
  }

  handled(index: number): void {
    this.handledBy[index]?.();
  }

  /** The handler our transport registered for a target (the kernel opening a comm calls it). */
  readonly targets = new Map<string, (comm: CommHandler, msg: unknown) => void>();

  createComm(target: string, commId = "c"): CommHandler {
    const comm = new CommHandler(target, commId, this as never, () => this._comms.delete(commId), this.commsOverSubshells as never);
    this._comms.set(commId, comm);
    return comm;
  }

  registerCommTarget(target: string, callback: (comm: CommHandler, msg: unknown) => void): void {
    this.targets.set(target, callback);
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => vi.restoreAllMocks());

describe("subshell route", () => {
  it("sends on the main shell until the subshell is there, then on it once the kernel handled those", async () => {
    const kernel = new FakeKernel("k1", true);
    const transport = new LabTransport(kernel as never);
    const comm = transport.openComm("widgets.control", { method: "hello" }, [], "ctl");
    comm.send({ n: 1 }); // a reloaded page's restore: at once, not after the subshell
    expect(kernel.sent).toEqual([
      { type: "comm_open", subshell: null, data: { method: "hello" } },
      { type: "comm_msg", subshell: null, data: { n: 1 } },
    ]);
    await flush(); // the kernel_info, then the create_subshell_request
    kernel.reply("sub-1");
    await flush();
    comm.send({ n: 2 });
    comm.send({ n: 3 });
    await flush();
    expect(kernel.sent.length).toBe(2); // held: the kernel has not handled n: 1 yet
    kernel.handled(1);
    await flush();
    comm.send({ n: 4 });
    comm.close({ bye: true });
    expect(kernel.sent.slice(2)).toEqual([
      { type: "comm_msg", subshell: "sub-1", data: { n: 2 } },
      { type: "comm_msg", subshell: "sub-1", data: { n: 3 } },
      { type: "comm_msg", subshell: "sub-1", data: { n: 4 } },
      { type: "comm_close", subshell: "sub-1", data: { bye: true } },
    ]);
    expect(kernel.subshellRequests).toBe(1);
    expect(transport.route.subshellId).toBe("sub-1");
  });

  it("asks for the subshell when the kernel opens a comm of ours, so the first message goes on it", async () => {
    const kernel = new FakeKernel("k5", true);
    const transport = new LabTransport(kernel as never);
    const opened: unknown[] = [];
    transport.registerTarget("widgets.model", (comm) => opened.push(comm));
    kernel.targets.get("widgets.model")!(kernel.createComm("widgets.model", "m1"), { content: { data: {} } });
    expect(opened.length).toBe(1);
    await flush();
    expect(kernel.subshellRequests).toBe(1);
    kernel.reply("sub-5");
    await flush();
    (opened[0] as { send(data: unknown): void }).send({ click: 1 });
    expect(kernel.sent).toEqual([{ type: "comm_msg", subshell: "sub-5", data: { click: 1 } }]);
  });

  it("falls back to the main shell without subshells, and says so once per kernel", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    const kernel = new FakeKernel("k2", false);
    for (let i = 0; i < 2; i++) {
      const transport = new LabTransport(kernel as never);
      transport.openComm("widgets.control", { method: "hello" }, [], `ctl${i}`).send({ i });
      await flush();
      expect(transport.route.subshellId).toBeNull();
    }
    expect(kernel.subshellRequests).toBe(0);
    expect(kernel.sent.map((m) => [m.type, m.subshell])).toEqual([
      ["comm_open", null],
      ["comm_msg", null],
      ["comm_open", null],
      ["comm_msg", null],
    ]);
    expect(info.mock.calls.length).toBe(1);
    expect(String(info.mock.calls[0]![0])).toContain("no subshells");
  });

  it("respects comms over subshells turned off in JupyterLab", async () => {
    vi.spyOn(console, "info").mockImplementation(() => undefined);
    const kernel = new FakeKernel("k3", true);
    kernel.commsOverSubshells = "disabled";
    const transport = new LabTransport(kernel as never);
    transport.openComm("widgets.control", {}, [], "ctl").send({});
    await flush();
    expect(kernel.subshellRequests).toBe(0);
    expect(kernel.sent.every((m) => m.subshell === null)).toBe(true);
  });
});

describe("commslots and JupyterLab's own subshells", () => {
  it("turns them off for comms of our targets only", async () => {
    const kernel = new FakeKernel("k4", true);
    trackCommSlots(kernel as never, new Set(["widgets.model"]));
    const ours = kernel.createComm("widgets.model", "m");
    const theirs = kernel.createComm("jupyter.widget", "w");
    await flush();
    expect(ours.commsOverSubshells).toBe("disabled");
    expect(theirs.commsOverSubshells).toBe("perCommTarget");
    expect(kernel.subshellRequests).toBe(1); // theirs alone asked JupyterLab for a subshell
  });
});

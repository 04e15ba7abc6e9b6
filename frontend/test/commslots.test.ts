// commslots.ts against the real CommHandler of the installed @jupyterlab/services: if a new
// version connects its status listener differently, these tests say so.
import { CommHandler } from "@jupyterlab/services/lib/kernel/comm.js";
import { Signal } from "@lumino/signaling";
import { afterEach, describe, expect, it, vi } from "vitest";
import { releaseCommSlot, trackCommSlots } from "../extension/commslots";

/** The parts of a KernelConnection that CommHandler and commslots touch, arranged as services 7 does. */
class Kernel {
  readonly statusChanged = new Signal<Kernel, string>(this);
  status = "idle";
  _comms = new Map<string, CommHandler>();

  /** As `createComm` and `_handleCommOpen` do: construct the handler, then register it. */
  open(target: string, id: string): CommHandler {
    const comm = new CommHandler(target, id, this as never, () => this._comms.delete(id));
    this._comms.set(id, comm);
    return comm;
  }

  /** How many comm handlers still listen to the kernel's status. */
  listeners(): number {
    const clean = vi.spyOn(CommHandler.prototype as unknown as { _cleanSubshells: () => void }, "_cleanSubshells");
    clean.mockImplementation(() => undefined);
    this.status = "restarting";
    this.statusChanged.emit("restarting");
    this.status = "idle";
    const calls = clean.mock.calls.length;
    clean.mockRestore();
    return calls;
  }
}

const OURS = new Set(["widgets.model"]);

afterEach(() => vi.restoreAllMocks());

describe("commslots", () => {
  it("disconnects the status listener of a closed comm of ours", () => {
    const kernel = new Kernel();
    trackCommSlots(kernel as never, OURS);
    const comms = ["a", "b", "c"].map((id) => kernel.open("widgets.model", id));
    expect(kernel.listeners()).toBe(3);
    comms[1]!.dispose();
    releaseCommSlot(kernel as never, "b");
    expect(kernel.listeners()).toBe(2);
    releaseCommSlot(kernel as never, "b"); // twice is harmless
    expect(kernel.listeners()).toBe(2);
  });

  it("leaves comms of other targets as JupyterLab keeps them", () => {
    const kernel = new Kernel();
    trackCommSlots(kernel as never, OURS);
    kernel.open("jupyter.widget", "x");
    releaseCommSlot(kernel as never, "x");
    expect(kernel.listeners()).toBe(1);
  });

  it("follows the comm registry when the kernel connection replaces it (restart)", () => {
    const kernel = new Kernel();
    trackCommSlots(kernel as never, OURS);
    kernel.open("widgets.model", "before");
    kernel._comms = new Map();
    kernel.open("widgets.model", "after");
    releaseCommSlot(kernel as never, "before");
    releaseCommSlot(kernel as never, "after");
    expect(kernel.listeners()).toBe(0);
  });

  it("does nothing where the internals are not what it expects", () => {
    const kernel = new Kernel();
    (kernel as unknown as { _comms: unknown })._comms = {};
    trackCommSlots(kernel as never, OURS);
    const comm = new CommHandler("widgets.model", "y", kernel as never, () => undefined);
    releaseCommSlot(kernel as never, comm.commId);
    expect(kernel.listeners()).toBe(1);
  });
});

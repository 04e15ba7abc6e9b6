/**
 * Frees what @jupyterlab/services keeps of each closed comm.
 *
 * Its CommHandler constructor (services 7.x, kernel/comm.js) connects an arrow function to
 * `kernel.statusChanged` (to forget subshells on restart) and never disconnects it, so every
 * comm the kernel ever opened stays reachable from the kernel connection: ~0.4 kB per closed
 * widget, measured by tests/e2e/test_memory.py. The slot is anonymous; this module catches it
 * as it is connected, pairs it with the comm the kernel connection registers right after (both
 * `createComm` and a kernel `comm_open` construct the handler and then `_comms.set(id, handler)`
 * synchronously), and disconnects it when our comm closes.
 *
 * It depends on JupyterLab internals, so it only acts when they look exactly as expected (a
 * `_comms` Map, a slot that calls `_cleanSubshells`); otherwise it does nothing and the comm
 * stays as JupyterLab keeps it. Only comms of our own targets are tracked.
 *
 * The same hook turns off JupyterLab's own subshell for comms of our targets (`commsOverSubshells`
 * per comm target, started a microtask after the handler is made): ./labtransport.ts sends our
 * messages on one subshell of its own, so the kernel would otherwise run an idle thread per target.
 */
import type { Kernel } from "@jupyterlab/services";

type Slot = (...args: unknown[]) => void;

interface Tracker {
  readonly slots: Map<string, Slot>;
  pending: Slot | null;
  patched: WeakSet<object>;
}

const trackers = new WeakMap<Kernel.IKernelConnection, Tracker>();

function commsOf(kernel: Kernel.IKernelConnection): Map<string, unknown> | null {
  const comms = (kernel as unknown as { _comms?: unknown })._comms;
  return comms instanceof Map ? (comms as Map<string, unknown>) : null;
}

/** The kernel connection's registry may be replaced (it is on every restart): patch the current one. */
function patchRegistry(kernel: Kernel.IKernelConnection, tracker: Tracker, targets: ReadonlySet<string>): void {
  const comms = commsOf(kernel);
  if (!comms || tracker.patched.has(comms)) return;
  tracker.patched.add(comms);
  const set = comms.set;
  comms.set = function (this: Map<string, unknown>, id: string, handler: unknown) {
    const slot = tracker.pending;
    tracker.pending = null;
    const target = (handler as { targetName?: unknown } | null)?.targetName;
    const ours = typeof target === "string" && targets.has(target);
    if (slot && ours) tracker.slots.set(id, slot);
    if (ours) noOwnSubshell(handler);
    return set.call(this, id, handler);
  };
}

/** Before its subshell starts (a microtask later), a CommHandler set to "disabled" starts none. */
function noOwnSubshell(handler: unknown): void {
  const comm = handler as { commsOverSubshells?: unknown };
  if (typeof comm.commsOverSubshells === "string" && comm.commsOverSubshells !== "disabled") comm.commsOverSubshells = "disabled";
}

/** Start catching the status slots of comms of `targets` on this kernel connection (once per kernel). */
export function trackCommSlots(kernel: Kernel.IKernelConnection, targets: ReadonlySet<string>): void {
  if (trackers.has(kernel) || !commsOf(kernel)) return;
  const signal = kernel.statusChanged as unknown as { connect: (slot: Slot, thisArg?: unknown) => boolean };
  if (typeof signal.connect !== "function") return;
  const tracker: Tracker = { slots: new Map(), pending: null, patched: new WeakSet() };
  trackers.set(kernel, tracker);
  const connect = signal.connect;
  signal.connect = function (this: unknown, slot: Slot, thisArg?: unknown) {
    const connected = connect.call(this, slot, thisArg);
    if (connected && thisArg === undefined && typeof slot === "function" && String(slot).includes("_cleanSubshells")) {
      patchRegistry(kernel, tracker, targets);
      tracker.pending = slot;
    }
    return connected;
  };
}

/** Disconnect the status slot JupyterLab connected for this comm, if one was caught. */
export function releaseCommSlot(kernel: Kernel.IKernelConnection, commId: string): void {
  const tracker = trackers.get(kernel);
  const slot = tracker?.slots.get(commId);
  if (!tracker || !slot) return;
  tracker.slots.delete(commId);
  kernel.statusChanged.disconnect(slot as never);
}

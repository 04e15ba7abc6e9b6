/**
 * Whether the kernel can still be reached: the one owner of connection state. The registry, the
 * control channel, every model and its sync engine consult it, so a write that cannot be
 * delivered is reported the same way wherever it was made.
 */
import type { ErrorEntry } from "./protocol";

export type ManagerStatus = "connected" | "disconnected";

export class Connection {
  status: ManagerStatus = "connected";
  /** Why the kernel is unreachable ("the kernel restarted", ...), for views to show. */
  reason = "";
  private readonly listeners = new Set<(status: ManagerStatus) => void>();

  get connected(): boolean {
    return this.status === "connected";
  }

  /** The kernel is gone for good (restart, shutdown): false if it already was. */
  disconnect(reason: string): boolean {
    if (!this.connected) return false;
    this.status = "disconnected";
    this.reason = reason;
    for (const listener of [...this.listeners]) listener(this.status);
    return true;
  }

  /** The rejection for a request that cannot be made now. */
  error(): Error {
    return new Error(this.reason || "the kernel is not connected");
  }

  onStatus(listener: (status: ManagerStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Why something could not be sent for a model: the kernel is gone, or the model was closed. */
export interface Unavailable {
  /** `offline`: saved state, no kernel; writes stay in the page, custom messages are reported by the owner. */
  kind: "disconnected" | "closed" | "offline";
  reason: string;
}

/** The error event for `what` (e.g. "the value of 'x'") that could not be sent: one wording everywhere. */
export function notDelivered(what: string, why: Unavailable): ErrorEntry {
  return { kind: why.kind === "offline" ? "disconnected" : why.kind, message: `${what} was not delivered: ${why.reason}` };
}

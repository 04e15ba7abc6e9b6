/**
 * Calls of Python commands from the browser: `model.invoke(name, args, options)` sends one
 * `invoke` and settles with its one `invoke_reply` (docs/protocol.md, "`invoke` and
 * `invoke_abort`"). Every call in flight of a model lives here, so an abort, a timeout, a closed
 * model or a lost kernel settles each exactly once. Mirrors widgets/commands.py.
 */
import type { Unavailable } from "./connection";
import { type BrowserModelMessage, envelope, type InvokeReply } from "./messages";
import type { ErrorKind } from "./protocol";
import { toWire } from "./serialize";

type Buffer = ArrayBuffer | ArrayBufferView;

export interface InvokeOptions {
  /** Extra buffers for the command (its second parameter in Python, as `memoryview`s). */
  buffers?: Buffer[];
  /** Aborting it rejects the call at once (with `signal.reason`, an AbortError by default) and tells the kernel. */
  signal?: AbortSignal;
  /** Milliseconds to wait for the reply; then the call rejects with a TimeoutError and is aborted. */
  timeout?: number;
}

/** A reply's value (binary decoded as in synced values) and its extra buffers. */
export interface InvokeResult {
  result: unknown;
  buffers: DataView[];
}

/**
 * Why a call failed: the command raised (`kind` "handler", with the Python exception's `type`
 * and `traceback`), named no command (`unknown_command`), the exchange was malformed
 * (`bad_message`, `bad_buffer`), the result could not be sent (`unsendable`), or nothing could
 * be sent: `closed` (the model), `disconnected` (the kernel is gone, or there never was one).
 */
export class InvokeError extends Error {
  override readonly name = "InvokeError";

  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** The Python exception's class name, for `handler`; "" otherwise. */
    readonly type = "",
    readonly traceback = "",
  ) {
    super(message);
  }
}

/** What the calls need from their model. */
export interface CommandsHost {
  /** This browser client's id: call ids start with it, as every client of the kernel shares the model's comm and sees its replies. */
  readonly client: string;
  /** Why nothing can be sent now, or null. */
  unavailable(): Unavailable | null;
  send(data: BrowserModelMessage, buffers: Buffer[]): void;
}

interface Call {
  name: string;
  resolve(result: InvokeResult): void;
  reject(error: unknown): void;
}

/** The rejection of a call that cannot reach the kernel. */
function unreachable(name: string, why: Unavailable): InvokeError {
  if (why.kind === "offline") {
    return new InvokeError("disconnected", `the command '${name}' cannot run: no kernel is connected (this view shows saved state)`);
  }
  return new InvokeError(why.kind, `the command '${name}' cannot run: ${why.reason}`);
}

function checkOptions(options: InvokeOptions): void {
  const { timeout, buffers, signal } = options;
  if (timeout !== undefined && !(typeof timeout === "number" && timeout >= 0 && Number.isFinite(timeout))) {
    throw new TypeError(`'timeout' must be a non-negative number of milliseconds, got ${String(timeout)}`);
  }
  if (buffers !== undefined && !(Array.isArray(buffers) && buffers.every((b) => b instanceof ArrayBuffer || ArrayBuffer.isView(b)))) {
    throw new TypeError("'buffers' must be a list of ArrayBuffers or typed arrays");
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError("'signal' must be an AbortSignal");
}

export class Commands {
  private count = 0;
  private readonly calls = new Map<string, Call>();

  constructor(private readonly host: CommandsHost) {}

  /** Calls sent and not settled yet. */
  get pending(): number {
    return this.calls.size;
  }

  /** Send an `invoke`; settles with its reply, or rejects at once if it cannot be sent. */
  call(name: string, args: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (typeof name !== "string" || name === "") return Promise.reject(new TypeError(`a command name is a non-empty string, got ${String(name)}`));
    try {
      checkOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal, timeout } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const why = this.host.unavailable();
    if (why) return Promise.reject(unreachable(name, why));
    const { json, binaries } = toWire(args === undefined ? null : args);
    const id = `${this.host.client.slice(0, 40)}-i${++this.count}`;
    const data = envelope("invoke", { id, name, args: json, buffer_paths: binaries.map(([path]) => ["args", ...path]) });
    return new Promise<InvokeResult>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => this.giveUp(id, signal?.reason);
      const settled = (): void => {
        this.calls.delete(id);
        signal?.removeEventListener("abort", onAbort);
        if (timer !== undefined) clearTimeout(timer);
      };
      this.calls.set(id, {
        name,
        resolve: (result) => {
          settled();
          resolve(result);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          this.giveUp(id, new DOMException(`the command '${name}' did not answer within ${timeout} ms`, "TimeoutError"));
        }, timeout);
      }
      this.host.send(data, [...binaries.map(([, buffer]) => buffer), ...(options.buffers ?? [])]);
    });
  }

  /** The kernel's reply (checked by incoming.ts); one to an id not in flight (aborted, say) is ignored. */
  reply(message: InvokeReply, extra: DataView[]): void {
    const call = this.calls.get(message.id);
    if (!call) return;
    const { error } = message;
    if (error) call.reject(new InvokeError(error.kind, error.message, error.type ?? "", error.traceback ?? ""));
    else call.resolve({ result: message.result, buffers: extra });
  }

  /** A reply to call `id` was refused (malformed): that call rejects with why. */
  refused(id: string, kind: ErrorKind, message: string): void {
    const call = this.calls.get(id);
    call?.reject(new InvokeError(kind, `the reply to '${call.name}' was refused: ${message}`));
  }

  /** Nothing can reach the kernel any more (the model closed, the kernel is gone): every call rejects. */
  failAll(why: Unavailable): void {
    for (const call of [...this.calls.values()]) call.reject(unreachable(call.name, why));
  }

  /** The caller gave up: reject now, and tell the kernel (which cancels an async command). */
  private giveUp(id: string, reason: unknown): void {
    const call = this.calls.get(id);
    if (!call) return;
    call.reject(reason ?? new DOMException(`the command '${call.name}' was aborted`, "AbortError"));
    if (!this.host.unavailable()) this.host.send(envelope("invoke_abort", { id }), []);
  }
}

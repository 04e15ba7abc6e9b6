/**
 * Every message of docs/protocol.md, typed once: a discriminated union on `method` per direction
 * and comm. incoming.ts checks that kernel data really has these shapes before anything is applied.
 */
import type { Operation } from "./patch";
import { type ErrorEntry, type InvokeErrorKind, PROTOCOL_VERSION } from "./protocol";

export type BufferPath = (string | number)[];
export type Values = Record<string, unknown>;

export interface Ack {
  client: string;
  seq: number;
}

interface Base<M extends string> {
  protocol: string;
  method: M;
}

interface Framed {
  buffer_paths?: BufferPath[];
}

/** The fields of a model snapshot (`open`, `state`, an entry of `restore_reply.models`). */
export interface Snapshot extends Framed {
  class?: string;
  rev: number;
  state: Values;
  esm?: string | null;
  css?: string | null;
  assets?: Record<string, string>;
  read_only?: string[];
  /** The class is eager: its module's `initialize` runs when the model arrives, with no view. */
  eager?: boolean;
  ack?: Ack;
}

// --- kernel -> browser, widgets.model --------------------------------------------------------

export interface OpenMessage extends Base<"open">, Snapshot {}
export interface StateMessage extends Base<"state">, Snapshot {}

export interface KernelUpdate extends Base<"update">, Framed {
  rev: number;
  state?: Values;
  patch?: Record<string, Operation[]>;
  ack?: Ack;
  errors?: ErrorEntry[];
}

/** Both directions: a message for the other side's `on_msg` / `msg:custom` handlers. */
export interface CustomMessage extends Base<"custom">, Framed {
  content: unknown;
}

export interface ErrorMessage extends Base<"error"> {
  errors: (ErrorEntry & { request?: string })[];
  request?: string;
}

/** Why a command call failed (`error` of an `invoke_reply`). */
export interface InvokeFailure {
  kind: InvokeErrorKind;
  message: string;
  type?: string;
  traceback?: string;
}

/** The one answer to an `invoke`: `result` (buffers under `["result", ...]`, extra buffers after) or `error`. */
export interface InvokeReply extends Base<"invoke_reply">, Framed {
  id: string;
  result?: unknown;
  error?: InvokeFailure;
}

export type KernelModelMessage = OpenMessage | StateMessage | KernelUpdate | CustomMessage | ErrorMessage | InvokeReply;

// --- kernel -> browser, widgets.control ------------------------------------------------------

export interface RestoredModel extends Snapshot {
  model_id: string;
}

export interface RestoreReply extends Base<"restore_reply">, Framed {
  request: string;
  models: RestoredModel[];
  assets: Record<string, string>;
}

export interface AssetsReply extends Base<"assets_reply"> {
  request: string;
  assets: Record<string, string>;
}

export type KernelControlMessage = RestoreReply | AssetsReply | ErrorMessage;

// --- browser -> kernel, widgets.model --------------------------------------------------------

export interface BrowserUpdate extends Base<"update">, Framed {
  client: string;
  seq: number;
  state?: Values;
  patch?: Record<string, Operation[]>;
  base?: number;
}

export interface RequestState extends Base<"request_state"> {
  client?: string;
}

/** The `data` of a browser `comm_open` on widgets.model. */
export interface CreateMessage extends Base<"create">, Framed {
  class: string;
  state: Values;
}

/** The `data` of a browser `comm_close` on widgets.model. */
export type CloseMessage = Base<"close">;

/** A call of a Python command; buffers beyond `buffer_paths` are the call's extra buffers. */
export interface InvokeMessage extends Base<"invoke">, Framed {
  id: string;
  name: string;
  args: unknown;
}

/** The browser gave up on an `invoke` (its signal aborted, its view went away). */
export interface InvokeAbort extends Base<"invoke_abort"> {
  id: string;
}

export type BrowserModelMessage = BrowserUpdate | CustomMessage | RequestState | CreateMessage | CloseMessage | InvokeMessage | InvokeAbort;

// --- browser -> kernel, widgets.control ------------------------------------------------------

/** The `data` of the control comm's `comm_open`. */
export interface Hello extends Base<"hello"> {
  client: string;
}

export interface RestoreRequest extends Base<"restore"> {
  request: string;
}

export interface AssetsRequest extends Base<"assets"> {
  request: string;
  hashes: string[];
}

export type BrowserControlMessage = Hello | RestoreRequest | AssetsRequest;

export type KernelMessage = KernelModelMessage | KernelControlMessage;
export type BrowserMessage = BrowserModelMessage | BrowserControlMessage;

type Fields<T> = Omit<T, "protocol" | "method">;

/** A browser -> kernel message of `method`, with the version every message carries. */
export function envelope<M extends BrowserMessage["method"]>(
  method: M,
  fields: Fields<Extract<BrowserMessage, { method: M }>>,
): Extract<BrowserMessage, { method: M }> {
  return { protocol: PROTOCOL_VERSION, method, ...fields } as Extract<BrowserMessage, { method: M }>;
}

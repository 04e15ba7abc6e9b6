/**
 * Kernel -> browser messages are checked whole before anything is applied: the envelope, every
 * field's type, the buffer framing. A message that fails is refused with a ProtocolError (shown
 * in the views as an error event) and changes nothing. Mirrors the kernel's checks of browser
 * messages (widgets/sync.py), the other way round.
 */
import { insertBuffers } from "./buffers";
import type {
  Ack,
  ErrorMessage,
  InvokeReply,
  KernelControlMessage,
  KernelModelMessage,
  KernelUpdate,
  RestoredModel,
  Snapshot,
} from "./messages";
import {
  CLIENT_PATTERN,
  checkVersion,
  type ErrorEntry,
  INVOKE_ERROR_KINDS,
  INVOKE_ID_PATTERN,
  KERNEL_ERROR_KINDS,
  MAX_DEPTH,
  MAX_SEQ,
  ProtocolError,
  preview,
  truncate,
} from "./protocol";

type Data = Record<string, unknown>;

const KERNEL_KINDS = new Set<string>(KERNEL_ERROR_KINDS);
const INVOKE_KINDS = new Set<string>(INVOKE_ERROR_KINDS);
const MAX_TRACEBACK = 20_000;

function bad(message: string): never {
  throw new ProtocolError("bad_message", message);
}

function isRecord(value: unknown): value is Data {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const has = (data: Data, field: string): boolean => Object.hasOwn(data, field);

/** The field if present, else undefined (members inherited from Object.prototype never count). */
const field = (data: Data, name: string): unknown => (has(data, name) ? data[name] : undefined);

function isRev(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Containers nested deeper than MAX_DEPTH are refused before any walk over them could overflow. */
export function checkDepth(value: unknown, depth: number): void {
  if (value === null || typeof value !== "object") return;
  if (depth > MAX_DEPTH) bad(`the message nests containers deeper than ${MAX_DEPTH} levels`);
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (child !== null && typeof child === "object") checkDepth(child, depth + 1);
  }
}

function optionalString(data: Data, name: string, nullable = false): void {
  const value = field(data, name);
  if (value === undefined || typeof value === "string" || (nullable && value === null)) return;
  bad(`'${name}' must be a string${nullable ? " or null" : ""}, got ${preview(value)}`);
}

function checkAssets(value: unknown): void {
  if (value === undefined) return;
  if (!isRecord(value) || !Object.values(value).every((source) => typeof source === "string")) {
    bad("'assets' must map content hashes to source text");
  }
}

function checkAck(value: unknown): asserts value is Ack | undefined {
  if (value === undefined) return;
  if (
    !isRecord(value) ||
    typeof value.client !== "string" ||
    !CLIENT_PATTERN.test(value.client) ||
    typeof value.seq !== "number" ||
    !Number.isSafeInteger(value.seq) ||
    value.seq < 1 ||
    value.seq > MAX_SEQ
  ) {
    bad(`'ack' must be {client, seq} with a client id and a seq from 1 to 2**53-1, got ${preview(value)}`);
  }
}

/** The `errors` of a kernel message, messages cut to the protocol's length. */
function checkErrors(value: unknown, control = false): void {
  if (!Array.isArray(value)) bad(`'errors' must be a list, got ${preview(value)}`);
  value.forEach((entry: unknown, i) => {
    if (!isRecord(entry) || typeof entry.kind !== "string" || typeof entry.message !== "string") {
      bad(`errors[${i}] must be {kind, message}, got ${preview(entry)}`);
    }
    if (!KERNEL_KINDS.has(entry.kind)) bad(`errors[${i}] has an unknown kind ${preview(entry.kind)}`);
    for (const name of control ? ["key", "traceback", "request"] : ["key", "traceback"]) optionalString(entry, name);
    const checked = entry as unknown as ErrorEntry;
    checked.message = truncate(checked.message);
    if (checked.traceback !== undefined) checked.traceback = truncate(checked.traceback, MAX_TRACEBACK);
  });
}

function checkSnapshot(data: Data, needsClass: boolean): asserts data is Data & Snapshot {
  if (!isRev(field(data, "rev"))) bad(`'rev' must be a non-negative integer, got ${preview(field(data, "rev"))}`);
  if (!isRecord(field(data, "state"))) bad(`'state' must be an object, got ${preview(field(data, "state"))}`);
  if (needsClass && typeof field(data, "class") !== "string") bad("an 'open' needs its 'class' (a string)");
  optionalString(data, "class");
  optionalString(data, "esm", true);
  optionalString(data, "css", true);
  checkAssets(field(data, "assets"));
  const readOnly = field(data, "read_only");
  if (readOnly !== undefined && !(Array.isArray(readOnly) && readOnly.every((k) => typeof k === "string"))) {
    bad("'read_only' must be a list of keys");
  }
  const eager = field(data, "eager");
  if (eager !== undefined && typeof eager !== "boolean") bad(`'eager' must be true or false, got ${preview(eager)}`);
  checkAck(field(data, "ack"));
}

function checkUpdate(data: Data): asserts data is Data & KernelUpdate {
  if (!isRev(field(data, "rev"))) bad(`'rev' must be a non-negative integer, got ${preview(field(data, "rev"))}`);
  const state = field(data, "state") ?? {};
  const patch = field(data, "patch") ?? {};
  if (!isRecord(state)) bad(`'state' must be an object, got ${preview(state)}`);
  if (!isRecord(patch)) bad(`'patch' must be an object, got ${preview(patch)}`);
  for (const [key, ops] of Object.entries(patch)) {
    if (!Array.isArray(ops)) bad(`the patch of '${truncate(key, 60)}' must be a list of operations`);
    if (has(state, key)) bad(`'${truncate(key, 60)}' is in both 'state' and 'patch'`);
  }
  checkAck(field(data, "ack"));
  if (has(data, "errors")) checkErrors(data.errors);
}

/** An `invoke_reply`: a valid `id`, exactly one of `result` / `error`, binary only under `result`. */
function checkInvokeReply(data: Data): asserts data is Data & InvokeReply {
  const id = field(data, "id");
  if (typeof id !== "string" || !INVOKE_ID_PATTERN.test(id)) bad(`'id' must be 1 to 64 of [A-Za-z0-9_-], got ${preview(id)}`);
  if (has(data, "result") === has(data, "error")) bad("an 'invoke_reply' carries exactly one of 'result' and 'error'");
  if (has(data, "error")) {
    const error = data.error;
    if (!isRecord(error) || typeof error.kind !== "string" || typeof error.message !== "string") {
      bad(`'error' must be {kind, message}, got ${preview(error)}`);
    }
    if (!INVOKE_KINDS.has(error.kind)) bad(`'error' has a kind an invoke cannot fail with: ${preview(error.kind)}`);
    optionalString(error, "type");
    optionalString(error, "traceback");
    error.message = truncate(error.message);
    if (typeof error.traceback === "string") error.traceback = truncate(error.traceback, MAX_TRACEBACK);
  }
  const paths = field(data, "buffer_paths");
  if (Array.isArray(paths) && paths.some((path) => !Array.isArray(path) || path[0] !== "result")) {
    bad("the buffer paths of an 'invoke_reply' lead under 'result'");
  }
}

/** The id of what looks like an `invoke_reply` (to reject that call when the reply is refused), else null. */
export function invokeIdOf(raw: unknown): string | null {
  if (!isRecord(raw) || field(raw, "method") !== "invoke_reply") return null;
  const id = field(raw, "id");
  return typeof id === "string" && INVOKE_ID_PATTERN.test(id) ? id : null;
}

/** Version, method, nesting: what every message must pass before its own fields are looked at. */
function checkEnvelope(data: unknown): Data & { method: string } {
  if (!isRecord(data)) bad(`message data must be an object, got ${preview(data)}`);
  checkVersion(field(data, "protocol"));
  if (typeof field(data, "method") !== "string") bad("message has no 'method'");
  checkDepth(data, 1);
  return data as Data & { method: string };
}

/** A kernel message on a model comm, checked whole and with its buffers in place, and the extra buffers. */
export function parseModelMessage(
  raw: unknown,
  buffers: readonly (ArrayBuffer | ArrayBufferView)[],
): { message: KernelModelMessage; extra: DataView[] } {
  const data = checkEnvelope(raw);
  switch (data.method) {
    case "open":
    case "state":
      checkSnapshot(data, data.method === "open");
      break;
    case "update":
      checkUpdate(data);
      break;
    case "custom":
      if (!has(data, "content")) data.content = null;
      break;
    case "error":
      checkErrors(field(data, "errors"));
      break;
    case "invoke_reply":
      checkInvokeReply(data);
      break;
    default:
      bad(`unknown method ${preview(data.method)} on a model comm`);
  }
  const extra = insertBuffers(data, buffers, data.method === "custom" || data.method === "invoke_reply");
  return { message: data as unknown as KernelModelMessage, extra };
}

/** A kernel message on the control comm, checked whole and with its buffers in place. */
export function parseControlMessage(raw: unknown, buffers: readonly (ArrayBuffer | ArrayBufferView)[]): KernelControlMessage {
  const data = checkEnvelope(raw);
  switch (data.method) {
    case "restore_reply": {
      const models = field(data, "models") ?? [];
      if (!Array.isArray(models)) bad("'models' must be a list");
      models.forEach((entry: unknown) => {
        if (!isRecord(entry) || typeof entry.model_id !== "string") bad(`a restored model needs a 'model_id', got ${preview(entry)}`);
        checkSnapshot(entry, false);
      });
      data.models = models as RestoredModel[];
      checkAssets(field(data, "assets"));
      optionalString(data, "request");
      break;
    }
    case "assets_reply":
      checkAssets(field(data, "assets"));
      optionalString(data, "request");
      break;
    case "error":
      checkErrors(field(data, "errors"), true);
      optionalString(data, "request");
      break;
    default:
      bad(`unknown method ${preview(data.method)} on the control comm`);
  }
  insertBuffers(data, buffers);
  return data as unknown as KernelControlMessage;
}

/** The request id a control reply answers (an `error` may carry it in its first entry). */
export function requestOf(message: KernelControlMessage): string | undefined {
  if (message.method !== "error") return message.request;
  return message.request ?? (message as ErrorMessage).errors[0]?.request;
}

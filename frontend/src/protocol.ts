/**
 * Names, limits, error kinds and the envelope of the wire protocol; docs/protocol.md is the spec,
 * widgets/protocol.py the kernel's mirror. The messages themselves are typed in messages.ts.
 */

export const PROTOCOL_VERSION = "2.0";
/** `<major>.<minor>`, ASCII digits only; anything else is not a version. */
export const VERSION_PATTERN = /^([0-9]+)\.([0-9]+)$/;
export const PROTOCOL_MAJOR = PROTOCOL_VERSION.split(".")[0] as string;
export const MODEL_TARGET = "widgets.model";
export const CONTROL_TARGET = "widgets.control";
export const MIMETYPE = "application/vnd.widgets.model+json";
export { ANYWIDGET_REFERENCE_PREFIX, modelIdOf, REFERENCE_PREFIX, referencedId } from "./refs";

/** Operations per patch; a longer patch is `bad_patch` (senders send the whole value instead). */
export const MAX_PATCH_OPS = 4096;
/** JSON nodes that the `copy` operations of one patch may create; beyond: `bad_patch`. */
export const MAX_COPY_NODES = 65536;
/** Error messages are cut to this many characters (with "…"). */
export const MAX_ERROR_MESSAGE = 500;
/** Containers nested deeper than this in a kernel message: `bad_message` (Python's json cannot write them). */
export const MAX_DEPTH = 1000;
/** A browser client id: 1..64 characters of [A-Za-z0-9_-]. */
export const CLIENT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** The largest `seq` (2**53 - 1). */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** The kinds of docs/protocol.md's Errors table (the kernel sends these; the browser reuses some). */
export const KERNEL_ERROR_KINDS = [
  "validation",
  "read_only",
  "unknown_key",
  "stale",
  "bad_patch",
  "bad_buffer",
  "bad_message",
  "version",
  "handler",
  "unknown_class",
  "unsendable",
  "unknown_command",
] as const;

/** The kinds an `invoke_reply` error may carry (docs/protocol.md, "`invoke` and `invoke_abort`"). */
export const INVOKE_ERROR_KINDS = ["handler", "unknown_command", "bad_message", "bad_buffer", "unsendable"] as const;
/** An invoke id: 1..64 characters of [A-Za-z0-9_-], as a client id. */
export const INVOKE_ID_PATTERN = CLIENT_PATTERN;

/**
 * Kinds only the browser reports: `view` (a view's listener threw), `disconnected` (something
 * could not be sent: the kernel is gone), `closed` (something could not be sent: the model was closed).
 */
export const BROWSER_ERROR_KINDS = ["view", "disconnected", "closed"] as const;

export type KernelErrorKind = (typeof KERNEL_ERROR_KINDS)[number];
export type ErrorKind = KernelErrorKind | (typeof BROWSER_ERROR_KINDS)[number];
export type InvokeErrorKind = (typeof INVOKE_ERROR_KINDS)[number];

const KINDS = new Set<string>([...KERNEL_ERROR_KINDS, ...BROWSER_ERROR_KINDS]);

export function isErrorKind(kind: unknown): kind is ErrorKind {
  return typeof kind === "string" && KINDS.has(kind);
}

/** One entry of `errors` (docs/protocol.md, "Errors"), or an error the browser itself reports. */
export interface ErrorEntry {
  kind: ErrorKind;
  message: string;
  key?: string;
  traceback?: string;
}

export class ProtocolError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** `text` cut to `limit` characters, with "…" when it was longer. */
export function truncate(text: string, limit = MAX_ERROR_MESSAGE): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** A short JSON rendering of a rejected value for an error message (never the whole value). */
export function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return truncate(text, 60);
}

/** Nothing, if `version` is ours; else a ProtocolError (`version` for another major, `bad_message` for no version). */
export function checkVersion(version: unknown): void {
  if (typeof version !== "string") throw new ProtocolError("bad_message", "message has no 'protocol' version");
  const match = VERSION_PATTERN.exec(version);
  if (!match) throw new ProtocolError("bad_message", `${preview(version)} is not a protocol version (<major>.<minor>)`);
  if (match[1] !== PROTOCOL_MAJOR) {
    throw new ProtocolError(
      "version",
      `the kernel speaks protocol ${version}, this page speaks ${PROTOCOL_VERSION}: ` +
        "install matching versions of the Python package and the extension",
    );
  }
}

/** Names and envelope of the wire protocol; docs/protocol.md is the spec, widgets/protocol.py the kernel's mirror. */

export const PROTOCOL_VERSION = "1.0";
export const PROTOCOL_MAJOR = PROTOCOL_VERSION.split(".")[0];
export const MODEL_TARGET = "widgets.model";
export const CONTROL_TARGET = "widgets.control";
export const MIMETYPE = "application/vnd.widgets.model+json";
export const REFERENCE_PREFIX = "model:";

export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };

/** Every comm message's `data`: the version and the method, then the method's fields. */
export interface Envelope {
  protocol: string;
  method: string;
  [field: string]: unknown;
}

/** One entry of `errors` (docs/protocol.md, "Errors"). */
export interface ErrorEntry {
  kind: string;
  message: string;
  key?: string;
  traceback?: string;
}

export class ProtocolError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

export function envelope(method: string, fields: Record<string, unknown> = {}): Envelope {
  return { protocol: PROTOCOL_VERSION, method, ...fields };
}

/** `data` if it is a message of our major version, else a ProtocolError saying why not. */
export function checkEnvelope(data: unknown): Envelope {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ProtocolError("bad_message", "message data must be an object");
  }
  const record = data as Record<string, unknown>;
  if (typeof record.protocol !== "string") {
    throw new ProtocolError("bad_message", "message has no 'protocol' version");
  }
  if (record.protocol.split(".")[0] !== PROTOCOL_MAJOR) {
    throw new ProtocolError(
      "version",
      `the kernel speaks protocol ${record.protocol}, this page speaks ${PROTOCOL_VERSION}: ` +
        "install matching versions of the Python package and the extension",
    );
  }
  if (typeof record.method !== "string") {
    throw new ProtocolError("bad_message", "message has no 'method'");
  }
  return record as Envelope;
}

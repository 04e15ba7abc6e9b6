/**
 * The state document: widgets' state saved with a notebook or embedded in an HTML page, so views
 * render with no kernel. Mirrors widgets/saved.py; the format is docs/protocol.md, "Saved state:
 * widgets without a kernel". Reading checks everything before anything is used (as incoming.ts
 * does for kernel messages); buffers come back as a wire `open` gives them (buffers.ts).
 */
import { insertBuffers, isBinary, isPlaceholder } from "./buffers";
import { checkDepth } from "./incoming";
import type { BufferPath, Values } from "./messages";
import type { WidgetModel } from "./model";
import { PROTOCOL_MAJOR, PROTOCOL_VERSION, ProtocolError, preview, REFERENCE_PREFIX, VERSION_PATTERN } from "./protocol";
import { toWire } from "./serialize";

export const SAVED_FORMAT = "widgets-state";
export const SAVED_VERSION = 1;

/** One entry of `classes`: the values of its models are listed in `keys` order. */
export interface SavedClass {
  name: string;
  esm: string | null;
  css: string | null;
  read_only: string[];
  keys: string[];
  /** An eager class (a jslink): its models' `initialize` runs with no view. Written only when true. */
  eager?: boolean;
}

/** A model of the document, its values in place (buffers decoded, references still strings). */
export interface SavedModel {
  model_id: string;
  cls: SavedClass;
  state: Values;
}

export interface SavedDocument {
  /** The wire version the values are written in. */
  protocol: string;
  classes: SavedClass[];
  /** Source text by content hash (own entries only: a hash named `__proto__` is data). */
  assets: Map<string, string>;
  models: Map<string, SavedModel>;
}

type Data = Record<string, unknown>;

function bad(message: string): never {
  throw new ProtocolError("bad_message", `widgets state: ${message}`);
}

const isRecord = (value: unknown): value is Data => value !== null && typeof value === "object" && !Array.isArray(value);
const own = (data: Data, name: string): unknown => (Object.hasOwn(data, name) ? data[name] : undefined);
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === "string");

/** Define a member as data, whatever its name (`__proto__` included). */
function put(target: Data, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

// --- base64 (RFC 4648, with padding) ------------------------------------------------------------

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of canonical base64 `text` (padded, no stray bits: it encodes back to itself), or null. */
function fromBase64(text: string): ArrayBuffer | null {
  if (!BASE64.test(text)) return null;
  const binary = atob(text);
  if (btoa(binary) !== text) return null;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function toBase64(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

// --- reading ------------------------------------------------------------------------------------
// Messages say what widgets/saved.py says (the shared cases check both readers alike).

function checkHeader(doc: unknown): string {
  if (!isRecord(doc) || own(doc, "format") !== SAVED_FORMAT) bad(`not a widgets-state document (its 'format' must be "${SAVED_FORMAT}")`);
  const version = own(doc, "version");
  if (version !== SAVED_VERSION) {
    throw new ProtocolError("version", `widgets state: unsupported state version ${preview(version)} (this reader knows version ${SAVED_VERSION})`);
  }
  const protocol = own(doc, "protocol");
  const match = typeof protocol === "string" ? VERSION_PATTERN.exec(protocol) : null;
  if (!match || match[1] !== PROTOCOL_MAJOR) {
    throw new ProtocolError("version", `widgets state: unsupported protocol ${preview(protocol)} (this reader speaks ${PROTOCOL_VERSION})`);
  }
  return protocol as string;
}

function checkAssets(value: unknown): Map<string, string> {
  if (!isRecord(value) || !Object.values(value).every((source) => typeof source === "string")) bad("assets must map hashes to source strings");
  return new Map(Object.entries(value as Record<string, string>));
}

function checkClass(entry: unknown, index: number, assets: Map<string, string>): SavedClass {
  const where = `class ${index}`;
  if (!isRecord(entry)) bad(`${where} must be an object`);
  const name = own(entry, "name");
  if (typeof name !== "string" || name === "") bad(`${where}: name must be a non-empty string`);
  const hashes: (string | null)[] = [];
  for (const field of ["esm", "css"]) {
    const hash = own(entry, field);
    if (hash !== null && typeof hash !== "string") bad(`${where}: ${field} must be a hash or null`);
    if (hash !== null && !assets.has(hash)) bad(`${where}: ${field} hash ${preview(hash)} is not in assets`);
    hashes.push(hash);
  }
  const readOnly = own(entry, "read_only");
  const keys = own(entry, "keys");
  if (!isStrings(readOnly)) bad(`${where}: read_only must be a list of strings`);
  if (!isStrings(keys)) bad(`${where}: keys must be a list of strings`);
  if (new Set(keys).size !== keys.length) bad(`${where}: keys must not repeat`);
  const eager = own(entry, "eager") ?? false;
  if (typeof eager !== "boolean") bad(`${where}: eager must be true or false`);
  const cls: SavedClass = { name, esm: hashes[0] ?? null, css: hashes[1] ?? null, read_only: [...readOnly], keys: [...keys] };
  if (eager) cls.eager = true;
  return cls;
}

/** A buffer path relative to the values array: keys and indexes >= 0, starting with an index. */
const isValuesPath = (path: unknown): path is BufferPath =>
  Array.isArray(path) &&
  path.length > 0 &&
  Number.isSafeInteger(path[0]) &&
  path.every((key) => typeof key === "string" || (Number.isSafeInteger(key) && (key as number) >= 0));

function resolve(values: unknown[], path: BufferPath, where: string): unknown {
  let item: unknown = values;
  for (const step of path) {
    const found = Array.isArray(item)
      ? typeof step === "number" && step < item.length
      : isRecord(item) && !isBinary(item) && typeof step === "string" && Object.hasOwn(item, step);
    if (!found) bad(`${where}: buffer path ${preview(path)} does not resolve`);
    item = (item as Record<string | number, unknown>)[step];
  }
  return item;
}

function checkModel(modelId: string, entry: unknown, classes: SavedClass[]): SavedModel {
  const where = `model ${preview(modelId)}`;
  if (modelId === "") bad("a model id must not be empty");
  if (!Array.isArray(entry) || (entry.length !== 2 && entry.length !== 4)) {
    bad(`${where} must be an array [class, values] or [class, values, paths, buffers]`);
  }
  const index: unknown = entry[0];
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0 || index >= classes.length) {
    bad(`${where}: class index ${preview(index)} is out of range (${classes.length} classes)`);
  }
  const cls = classes[index] as SavedClass;
  const values: unknown = entry[1];
  if (!Array.isArray(values) || values.length !== cls.keys.length) {
    bad(`${where} has ${Array.isArray(values) ? values.length : "no list of"} values for ${cls.keys.length} keys`);
  }
  const paths: unknown = entry.length === 4 ? entry[2] : [];
  const encoded: unknown = entry.length === 4 ? entry[3] : [];
  if (!Array.isArray(paths) || !paths.every(isValuesPath)) bad(`${where}: buffer paths must be lists of keys and indexes >= 0, starting with an index`);
  if (!Array.isArray(encoded) || encoded.length !== paths.length) {
    throw new ProtocolError("bad_buffer", `widgets state: ${where}: ${paths.length} buffer paths but ${Array.isArray(encoded) ? encoded.length : "no list of"} buffers`);
  }
  const buffers = encoded.map((text: unknown, i) => {
    const path = paths[i] as BufferPath;
    if (!isPlaceholder(resolve(values, path, where))) bad(`${where}: buffer path ${preview(path)} does not lead to a binary placeholder`);
    const bytes = typeof text === "string" ? fromBase64(text) : null;
    if (bytes === null) throw new ProtocolError("bad_buffer", `widgets state: ${where}: buffer ${i} is not valid base64`);
    return bytes;
  });
  // Decoded as on the wire (buffers.ts): the paths are relative to the values array.
  const framed: Data = { values, buffer_paths: paths.map((path) => ["values", ...path]) };
  try {
    insertBuffers(framed, buffers);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new ProtocolError(error.kind, `widgets state: ${where}: ${error.message.replaceAll('"values",', "")}`);
  }
  const state: Values = {};
  cls.keys.forEach((key, i) => put(state, key, values[i]));
  return { model_id: modelId, cls, state };
}

/**
 * The document of `input` (its JSON text, or the parsed JSON), checked whole: a ProtocolError
 * (`bad_message`, `version`, `bad_buffer`) names what is wrong, and nothing is returned.
 */
export function parseSaved(input: string | unknown): SavedDocument {
  let doc: unknown;
  // Parsed JSON is read through its text: buffers are put in place in the copy, never in the caller's object.
  const text = typeof input === "string" ? input : JSON.stringify(input);
  if (typeof text === "string") {
    try {
      doc = JSON.parse(text);
    } catch (error) {
      bad(`the state document is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const protocol = checkHeader(doc);
  checkDepth(doc, 0);
  const assets = checkAssets(own(doc as Data, "assets"));
  const rawClasses = own(doc as Data, "classes");
  if (!Array.isArray(rawClasses)) bad("classes must be a list");
  const classes = rawClasses.map((entry: unknown, i) => checkClass(entry, i, assets));
  const rawModels = own(doc as Data, "models");
  if (!isRecord(rawModels)) bad("models must be an object");
  const models = new Map<string, SavedModel>();
  for (const [modelId, entry] of Object.entries(rawModels)) models.set(modelId, checkModel(modelId, entry, classes));
  return { protocol, classes, assets, models };
}

// --- writing ------------------------------------------------------------------------------------

/** Every model id a value refers to: `"IPY_MODEL_<id>"` strings and model objects, anywhere in it. */
function references(value: unknown, found: string[]): void {
  if (typeof value === "string") {
    if (value.startsWith(REFERENCE_PREFIX)) found.push(value.slice(REFERENCE_PREFIX.length));
    return;
  }
  if (value === null || typeof value !== "object" || isBinary(value)) return;
  if (typeof (value as { model_id?: unknown }).model_id === "string" && "widget_manager" in value) {
    found.push((value as WidgetModel).model_id);
    return;
  }
  for (const child of Array.isArray(value) ? value : Object.values(value)) references(child, found);
}

/**
 * The models of `rootIds` and every model they reach through references in their values,
 * transitively, each once, roots first. Ids `lookup` does not know are left out (a reference to
 * them stays a string in the document).
 */
export function reachable(rootIds: Iterable<string>, lookup: (modelId: string) => WidgetModel | undefined): WidgetModel[] {
  const seen = new Set<string>();
  const out: WidgetModel[] = [];
  const queue = [...rootIds];
  for (let i = 0; i < queue.length; i++) {
    const modelId = queue[i] as string;
    if (seen.has(modelId)) continue;
    seen.add(modelId);
    const model = lookup(modelId);
    if (!model?.ready) continue;
    out.push(model);
    queue.push(...referencesOf(model));
  }
  return out;
}

/** The ids of the models a model's values refer to. */
function referencesOf(model: WidgetModel): string[] {
  const found: string[] = [];
  for (const key of model.keys()) references(model.get(key), found);
  return found;
}

/**
 * `models`, then the eager models of `candidates` (jslinks: no output shows them) that refer to
 * at least one model of the list and to no other, until no more qualify; each id once, ready
 * and not closed. The rule of docs/protocol.md, "Which models" (widgets/saved.py does the same).
 */
export function withEager(models: Iterable<WidgetModel>, candidates: Iterable<WidgetModel>): WidgetModel[] {
  const out = [...models];
  const ids = new Set(out.map((model) => model.model_id));
  let waiting = [...candidates].filter((model) => model.eager && model.ready && model.status !== "closed" && !ids.has(model.model_id));
  for (;;) {
    const kept: WidgetModel[] = [];
    for (const model of waiting) {
      if (ids.has(model.model_id)) continue; // two candidates of one id: the first is kept
      const refs = referencesOf(model);
      if (refs.length && refs.every((id) => ids.has(id))) {
        ids.add(model.model_id);
        out.push(model);
      } else kept.push(model);
    }
    if (kept.length === waiting.length) return out;
    waiting = kept;
  }
}

/**
 * The document's JSON text for `models` at the values their views show (`get`: local writes
 * included), binary as base64, each class and each source once. `sourceOf` gives a module's or
 * stylesheet's text by hash; a model whose sources it does not know, or that is not ready, is
 * left out (nothing could render it).
 */
export function writeSaved(models: Iterable<WidgetModel>, sourceOf: (hash: string) => string | undefined): string {
  const classes: SavedClass[] = [];
  const classIndex = new Map<string, number>();
  const assets: Data = Object.create(null) as Data;
  const entries: Data = Object.create(null) as Data;
  const known = (hash: string | null): boolean => {
    if (hash === null || Object.hasOwn(assets, hash)) return true;
    const source = sourceOf(hash);
    if (source === undefined) return false;
    put(assets, hash, source);
    return true;
  };
  for (const model of models) {
    if (!model.ready || Object.hasOwn(entries, model.model_id) || !known(model.esmHash) || !known(model.cssHash)) continue;
    const keys = model.keys().sort();
    const readOnly = [...model.readOnly].sort();
    const signature = JSON.stringify([model.className, model.esmHash, model.cssHash, readOnly, keys, model.eager]);
    let index = classIndex.get(signature);
    if (index === undefined) {
      index = classes.length;
      classIndex.set(signature, index);
      const cls: SavedClass = { name: model.className, esm: model.esmHash, css: model.cssHash, read_only: readOnly, keys };
      if (model.eager) cls.eager = true;
      classes.push(cls);
    }
    const { json, binaries } = toWire(keys.map((key) => model.get(key)));
    const entry: unknown[] = [index, json];
    if (binaries.length) entry.push(binaries.map(([path]) => path), binaries.map(([, buffer]) => toBase64(buffer)));
    put(entries, model.model_id, entry);
  }
  return JSON.stringify({ format: SAVED_FORMAT, version: SAVED_VERSION, protocol: PROTOCOL_VERSION, classes, assets, models: entries });
}

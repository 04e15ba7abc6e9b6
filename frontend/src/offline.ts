/**
 * Models without a kernel: made from a state document (saved.ts), owned here until a live
 * registry takes one over (WidgetManager.adopt). Offline, `set` and `save_changes` stay in the
 * page, `send` cannot be delivered (reported once per model), and views show a notice instead
 * of the disconnected dimming. docs/protocol.md, "Saved state: widgets without a kernel".
 */
import { knownAsset, rememberAssets } from "./assets";
import { initializeEager } from "./lifecycle";
import { WidgetModel, type ModelOwner, type Standing } from "./model";
import { modelIdOf } from "./registry";
import { parseSaved, type SavedDocument } from "./saved";
import type { ModelSource } from "./view";

/** The notice of a notebook's saved views before any kernel answered. */
export const SAVED_NOTICE = "Not connected: showing the state saved with the notebook; changes stay in this page.";
/** The notice of a saved view whose model the kernel that answered does not have. */
export const NOT_IN_KERNEL_NOTICE = "Not connected: the kernel does not have this widget; run its cell again.";

export interface OfflineOptions {
  /** What views of these models show above them; "" shows nothing (an exported page). */
  notice?: string;
  /** How a `send` that cannot be delivered is reported, once per model: `warn` in the console, or an `error` event for the views. */
  report?: "warn" | "error";
}

export class SavedModels implements ModelOwner, ModelSource {
  /** Never sent anywhere: offline models send nothing. */
  readonly client = "offline";
  private readonly models = new Map<string, WidgetModel>();
  /** The models still owned here (not taken over by a live registry). */
  private readonly offline = new Set<string>();
  private readonly notices = new Map<string, string>();
  private readonly reported = new Set<string>();
  private readonly assets: Map<string, string>;
  private readonly notice: string;
  private readonly report: "warn" | "error";

  constructor(doc: SavedDocument, options: OfflineOptions = {}) {
    this.notice = options.notice ?? "";
    this.report = options.report ?? "warn";
    this.assets = doc.assets;
    rememberAssets(doc.assets);
    for (const [modelId, saved] of doc.models) {
      const model = new WidgetModel(modelId, this);
      const { name, esm, css, read_only, eager } = saved.cls;
      model.apply({ protocol: doc.protocol, method: "state", class: name, rev: 0, state: saved.state, esm, css, read_only, eager });
      this.models.set(modelId, model);
      this.offline.add(modelId);
    }
    // Eager models (jslinks) have no view: their initialize runs now, once every model is here.
    for (const model of this.models.values()) initializeEager(model, (hash) => this.asset(hash));
  }

  /** The models of a state document's text (or parsed JSON); throws what parseSaved throws. */
  static parse(input: string | unknown, options: OfflineOptions = {}): SavedModels {
    return new SavedModels(parseSaved(input), options);
  }

  // --- ModelOwner ----------------------------------------------------------------------------

  standing(modelId: string): Standing {
    return { status: "offline", reason: this.notices.get(modelId) ?? this.notice };
  }

  undeliverable(model: WidgetModel): void {
    if (this.reported.has(model.model_id)) return;
    this.reported.add(model.model_id);
    const message = "a custom message was not delivered: no kernel is connected (this view shows saved state)";
    if (this.report === "error") model.reportError({ kind: "disconnected", message });
    else console.warn(`widgets: ${model.className || "model"} ${model.model_id}: ${message}; further messages are dropped silently`);
  }

  nextSeq(): number {
    return 0;
  }

  lastSeq(): number {
    return 0;
  }

  send(): void {
    // Offline models send nothing (sync.ts asks `unavailable` first).
  }

  /** `model.close()` offline: the model goes away from this page. */
  close(modelId: string): void {
    if (!this.offline.delete(modelId)) return;
    this.models.get(modelId)?.markClosed();
  }

  get_model(ref: string): Promise<WidgetModel> {
    if (typeof ref !== "string") return Promise.reject(new TypeError(`get_model takes a model id or reference, got ${typeof ref}`));
    const model = this.models.get(modelIdOf(ref));
    return model ? Promise.resolve(model) : Promise.reject(new Error(`the model ${modelIdOf(ref)} is not in the saved state`));
  }

  create(className: string): Promise<WidgetModel> {
    return Promise.reject(new Error(`cannot create ${className}: no kernel is connected (this page shows saved state)`));
  }

  // --- for views and managers ----------------------------------------------------------------

  asset(hash: string): Promise<string> {
    const source = this.assets.get(hash) ?? knownAsset(hash);
    return source === undefined ? Promise.reject(new Error(`the module ${hash} is not in the saved state`)) : Promise.resolve(source);
  }

  /** A model of the document (offline, or since taken over: the same object either way). */
  lookup(modelId: string): WidgetModel | undefined {
    return this.models.get(modelId);
  }

  has(modelId: string): boolean {
    return this.models.has(modelId);
  }

  /** The models still offline. */
  offlineModels(): WidgetModel[] {
    return [...this.offline].map((modelId) => this.models.get(modelId) as WidgetModel);
  }

  /** Hand a model still offline to a live registry (it becomes that registry's); undefined if there is none. */
  claim(modelId: string): WidgetModel | undefined {
    return this.offline.delete(modelId) ? this.models.get(modelId) : undefined;
  }

  /** A kernel answered without these models: their views say so. */
  notInKernel(notice = NOT_IN_KERNEL_NOTICE): void {
    for (const model of this.offlineModels()) {
      this.notices.set(model.model_id, notice);
      model.connectionLost();
    }
  }
}

/**
 * Widget state in the notebook file (docs/protocol.md, "In a notebook"): written into the
 * metadata key `widgets-state` as the save starts, read back (once, when the first view needs
 * it) so views of models the page does not have live render offline.
 */
import type { NotebookPanel } from "@jupyterlab/notebook";
import { knownAsset, MIMETYPE, reachable, SAVED_NOTICE, SavedModels, type WidgetModel, withEager, writeSaved } from "./runtime.js";

export const METADATA_KEY = "widgets-state";

/** The value of the metadata key. */
interface StateMetadata {
  state?: string;
  save_state?: boolean;
}

/** What is read of a notebook model: its cells' outputs and its metadata (structural: works on JupyterLab 4.0 to 4.6). */
interface OutputLike {
  readonly data: Readonly<Record<string, unknown>>;
}
interface CellLike {
  readonly type: string;
  readonly outputs?: { readonly length: number; get(index: number): OutputLike };
}
export interface NotebookModelLike {
  readonly cells: { readonly length: number; get(index: number): CellLike };
  getMetadata(key: string): unknown;
  setMetadata(key: string, value: unknown): void;
  deleteMetadata(key: string): void;
}

/** The model ids of the notebook's outputs of our mimetype, in order, from the notebook model (not the page). */
export function outputModelIds(notebook: NotebookModelLike): string[] {
  const ids: string[] = [];
  for (let i = 0; i < notebook.cells.length; i++) {
    const outputs = notebook.cells.get(i).outputs;
    if (!outputs) continue;
    for (let j = 0; j < outputs.length; j++) {
      const bundle = outputs.get(j).data[MIMETYPE] as { model_id?: unknown } | undefined;
      if (bundle && typeof bundle.model_id === "string") ids.push(bundle.model_id);
    }
  }
  return ids;
}

function metadataOf(notebook: NotebookModelLike): StateMetadata {
  const value = notebook.getMetadata(METADATA_KEY) as unknown;
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as StateMetadata) : {};
}

/**
 * Write (or remove) the saved state in `notebook`'s metadata; `lookup` finds the page's model of an
 * id (live first); `others` are the page's other models (live first), of which the eager ones
 * linking saved models (jslinks) are saved too.
 */
export function saveState(
  notebook: NotebookModelLike,
  lookup: (modelId: string) => WidgetModel | undefined,
  enabled: boolean,
  others: Iterable<WidgetModel> = [],
): void {
  const current = metadataOf(notebook);
  const { state: old, ...rest } = current;
  let next: StateMetadata = rest;
  if (enabled && current.save_state !== false) {
    const shown = reachable(outputModelIds(notebook), lookup).filter((model) => model.status !== "closed");
    const models = withEager(shown, others);
    if (models.length) next = { state: writeSaved(models, knownAsset), ...rest };
  }
  if (next.state === old && Object.keys(next).length === Object.keys(current).length) return; // unchanged: the notebook stays clean
  if (Object.keys(next).length) notebook.setMetadata(METADATA_KEY, next);
  else notebook.deleteMetadata(METADATA_KEY);
}

/**
 * One notebook's saved state: parsed on first use (a bad document is kept as its error, shown by
 * the views that needed it), written on every save.
 */
export class NotebookState {
  private saved: SavedModels | null | undefined;
  private error: Error | null = null;

  constructor(
    private readonly panel: NotebookPanel,
    /** The page's model of an id, live first, for saving; the saved models are looked up after it. */
    private readonly live: (modelId: string) => WidgetModel | undefined,
    /** Every model the page has from a kernel (live first), for the eager ones among them (jslinks). */
    private readonly liveModels: () => Iterable<WidgetModel>,
    /** The setting "Save widget state with the notebook" (true when there are no settings). */
    private readonly enabled: () => boolean,
    /** Called once, when the saved models were read (so a kernel can take them over). */
    private readonly parsed: (saved: SavedModels) => void,
  ) {
    panel.context.saveState.connect((_, state) => {
      if (state === "started") this.save();
    });
  }

  /** The saved models of the notebook, or null (none, or a document that cannot be read: `failure`). */
  models(): SavedModels | null {
    if (this.saved === undefined) {
      this.saved = null;
      const text = metadataOf(this.panel.context.model as unknown as NotebookModelLike).state;
      if (typeof text === "string") {
        try {
          this.saved = SavedModels.parse(text, { notice: SAVED_NOTICE, report: "error" });
          this.parsed(this.saved);
        } catch (error) {
          this.error = error instanceof Error ? error : new Error(String(error));
          console.error("widgets: the notebook's saved widget state cannot be read", this.error);
        }
      }
    }
    return this.saved;
  }

  /** Why the saved state could not be read, if it could not. */
  get failure(): Error | null {
    return this.error;
  }

  private save(): void {
    try {
      const saved = this.models();
      const others = [...this.liveModels(), ...(saved?.offlineModels() ?? [])];
      saveState(this.panel.context.model as unknown as NotebookModelLike, (id) => this.live(id) ?? saved?.lookup(id), this.enabled(), others);
    } catch (error) {
      // A save must never fail because of widgets: the file is written without fresh state.
      console.error("widgets: the widget state could not be saved with the notebook", error);
    }
  }
}

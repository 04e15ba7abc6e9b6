/**
 * The runtime of an exported page (widgets/static/embed.js, inlined by widgets/export.py): every
 * `[data-widgets-view]` element of the page rendered, offline, from every state script of the
 * page (docs/protocol.md, "In an HTML page"). No kernel, no network: view modules load from blob
 * URLs, shared packages (React) from the shared script's text, only when a view imports one.
 * A second copy of this runtime on the page (two exports pasted together) does nothing.
 */
import { importUrl, provideShared } from "../src/loader";
import { SavedModels } from "../src/offline";
import { View } from "../src/view";

export const STATE_TYPE = "application/vnd.widgets.state+json";
export const SHARED_TYPE = "application/vnd.widgets.shared+json";
/** The packages the shared script provides (as frontend/extension/shared.ts exports them). */
export const SHARED_NAMES = ["react", "react-dom", "react-dom/client", "react/jsx-runtime", "@widgets/react"];

const STARTED = Symbol.for("widgets.embed");

type Namespace = Record<string, unknown>;

/** The shared bundle, imported once from the first shared script's text (a JSON string). */
function sharedLoader(root: ParentNode): () => Promise<Record<string, Namespace>> {
  let loaded: Promise<Record<string, Namespace>> | null = null;
  return () =>
    (loaded ??= (async () => {
      const script = root.querySelector(`script[type="${SHARED_TYPE}"]`);
      if (!script) throw new Error("a view imports a shared package, but this page has no shared script (export it again)");
      const source: unknown = JSON.parse(script.textContent ?? "");
      if (typeof source !== "string") throw new Error("the shared script must hold the bundle's source as a JSON string");
      const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      try {
        const bundle = (await importUrl(url)) as { modules?: Record<string, Namespace> };
        return bundle.modules ?? {};
      } finally {
        URL.revokeObjectURL(url);
      }
    })());
}

/** The saved models of every state script; a document that cannot be read is kept as its error. */
function readDocuments(root: ParentNode): { documents: SavedModels[]; errors: Error[] } {
  const documents: SavedModels[] = [];
  const errors: Error[] = [];
  for (const script of root.querySelectorAll(`script[type="${STATE_TYPE}"]`)) {
    try {
      documents.push(SavedModels.parse(script.textContent ?? "", { notice: "", report: "warn" }));
    } catch (error) {
      errors.push(error instanceof Error ? error : new Error(String(error)));
    }
  }
  return { documents, errors };
}

/** Render every view of `root` once; the views, for tests. Errors show in each view's element. */
export function renderPage(root: ParentNode = document): View[] {
  const shared = sharedLoader(root);
  for (const name of SHARED_NAMES) provideShared(name, async () => (await shared())[name] ?? {});
  const { documents, errors } = readDocuments(root);
  const views: View[] = [];
  for (const el of root.querySelectorAll<HTMLElement>("[data-widgets-view]")) {
    if (el.dataset.widgetsRendered !== undefined) continue;
    el.dataset.widgetsRendered = "";
    const modelId = el.dataset.widgetsView ?? "";
    const view = new View(el, modelId);
    views.push(view);
    const source = documents.find((saved) => saved.has(modelId));
    if (source) {
      void view.render(source);
      continue;
    }
    const why = errors.length ? `; the page's state could not be read: ${errors.map((e) => e.message).join("; ")}` : "";
    view.showError(new Error(`the model ${modelId} is not in the saved state${why}`));
  }
  return views;
}

/** Once per page, whichever copy of the runtime runs first. */
export function start(): void {
  const page = globalThis as Record<symbol, unknown>;
  if (page[STARTED]) return;
  page[STARTED] = true;
  renderPage(document);
}

if (typeof document !== "undefined") start();

/**
 * Loading a view's ES module from its source (a blob URL), with shared dependencies, and its CSS.
 *
 * Bare imports of shared packages (`react`, `react-dom`, ... and our React helpers) are rewritten
 * to small modules re-exporting the copies the extension ships, so an inline `_esm` needs no
 * bundler and no network.
 */

type Namespace = Record<string, unknown>;

const SHARED_KEY = "__widgets_shared__";
const sharedLoaders = new Map<string, () => Promise<Namespace>>();
const sharedUrls = new Map<string, Promise<string>>();
const modules = new Map<string, Promise<Namespace>>();

/**
 * How a blob URL becomes a module. Bundlers rewrite `import()`; the extension, built by one,
 * passes its own `(url) => import(/* webpackIgnore: true *\/ url)`.
 */
let importer: (url: string) => Promise<Namespace> = (url) =>
  import(/* webpackIgnore: true */ /* @vite-ignore */ url) as Promise<Namespace>;

export function setImporter(load: (url: string) => Promise<Namespace>): void {
  importer = load;
}

/** A module by URL, through the importer (the embed runtime loads the shared bundle so). */
export function importUrl(url: string): Promise<Namespace> {
  return importer(url);
}

/** Make `import ... from name` available to every view module (the extension calls this). */
export function provideShared(name: string, load: () => Promise<Namespace> | Namespace): void {
  sharedLoaders.set(name, async () => load());
  sharedUrls.delete(name);
}

export function sharedNames(): string[] {
  return [...sharedLoaders.keys()];
}

function sharedUrl(name: string): Promise<string> {
  let url = sharedUrls.get(name);
  if (!url) {
    url = (async () => {
      const namespace = await (sharedLoaders.get(name) as () => Promise<Namespace>)();
      const registry = ((globalThis as Record<string, unknown>)[SHARED_KEY] ??= {}) as Record<string, Namespace>;
      registry[name] = namespace;
      // Each name through its own variable, exported under a string name: any export name works,
      // reserved words and names clashing with ours included.
      const names = Object.keys(namespace).filter((key) => key !== "default");
      const fallback = "default" in namespace ? "__ns.default" : "__ns";
      const source =
        `const __ns = globalThis[${JSON.stringify(SHARED_KEY)}][${JSON.stringify(name)}];\n` +
        `export default ${fallback};\n` +
        names.map((key, i) => `const __e${i} = __ns[${JSON.stringify(key)}];\nexport { __e${i} as ${JSON.stringify(key)} };\n`).join("");
      return URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    })();
    sharedUrls.set(name, url);
  }
  return url;
}

/** Could this source import anything? (Most plain-DOM views do not: no lexer needed.) */
const MAY_IMPORT = /\bimport\s*[\s{*"'(]|\bexport\s*[{*][^;]*?\bfrom\b/;

function isBare(specifier: string): boolean {
  return !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

/** The module's source with shared bare imports pointing at their blob URLs. */
export async function link(source: string): Promise<string> {
  if (!MAY_IMPORT.test(source)) return source;
  // The lexer (a small wasm module) is loaded on first need, outside the runtime's own bundle.
  const { init, parse } = await import("es-module-lexer");
  await init;
  const [imports] = parse(source);
  let out = "";
  let last = 0;
  for (const item of imports) {
    const name = item.n;
    if (name === undefined || !isBare(name)) continue;
    if (!sharedLoaders.has(name)) {
      throw new Error(
        `the view imports "${name}", which is not shared by the extension (shared: ${sharedNames().join(", ")}); ` +
          "bundle it into the module or import it from a URL",
      );
    }
    const url = await sharedUrl(name);
    // Static imports: the range is the specifier's text; dynamic ones: the whole quoted argument.
    const dynamic = item.d > -1;
    out += source.slice(last, item.s) + (dynamic ? JSON.stringify(url) : url);
    last = item.e;
  }
  return out + source.slice(last);
}

/** The module namespace for a source, loaded once per content hash. */
export function loadModule(hash: string, source: string): Promise<Namespace> {
  let loaded = modules.get(hash);
  if (!loaded) {
    loaded = (async () => {
      const url = URL.createObjectURL(new Blob([await link(source)], { type: "text/javascript" }));
      try {
        return await importer(url);
      } finally {
        URL.revokeObjectURL(url);
      }
    })();
    modules.set(hash, loaded);
    loaded.catch(() => modules.delete(hash)); // a failed load may be retried with the same source
  }
  return loaded;
}

const styles = new Map<string, { element: HTMLStyleElement; users: number }>();

/** Inject a stylesheet once however many views use it; the returned function releases one use. */
export function injectCss(hash: string, source: string): () => void {
  let entry = styles.get(hash);
  if (!entry) {
    // The page's own element for this hash (an exported page carries it, listed by its CSP) is
    // used as it is, and stays when the last view goes.
    const existing = [...document.querySelectorAll<HTMLStyleElement>("style[data-widgets-css]")].find((el) => el.dataset.widgetsCss === hash);
    const element = existing ?? document.createElement("style");
    if (!existing) {
      element.dataset.widgetsCss = hash;
      element.textContent = source;
      document.head.append(element);
    }
    entry = { element, users: existing ? 1 : 0 };
    styles.set(hash, entry);
  }
  entry.users++;
  let released = false;
  return () => {
    if (released || !entry) return;
    released = true;
    if (--entry.users === 0) {
      entry.element.remove();
      styles.delete(hash);
    }
  };
}

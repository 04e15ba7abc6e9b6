/**
 * Node cannot `import()` blob: URLs. This helper remembers every Blob given to
 * `URL.createObjectURL`, and installs a loader importer (`setImporter`) that turns a blob URL into
 * a `data:text/javascript;base64,...` URL of its text, after doing the same, recursively, to every
 * blob: URL inside that text (the shared-package modules `link()` points imports at).
 */
import { setImporter } from "../src/loader";

type Namespace = Record<string, unknown>;

/** Every Blob handed to URL.createObjectURL since `installImporter()`, by URL (revoked ones removed). */
export const blobs = new Map<string, Blob>();
/** Every URL created (revoked or not), in order: lets tests see what the loader made. */
export const created: string[] = [];
/** Every URL revoked, in order. */
export const revoked: string[] = [];
/** The data: URLs actually imported, in order. */
export const imported: string[] = [];

let installed = false;

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const BLOB_URL = /blob:[^"'`\s)]+/g;

/** The text of a blob URL with its own blob: URLs replaced by data: URLs, as a data: URL. */
export async function toDataUrl(url: string, seen: string[] = []): Promise<string> {
  if (seen.includes(url)) throw new Error(`blob URL cycle: ${[...seen, url].join(" -> ")}`);
  const blob = blobs.get(url);
  if (!blob) throw new Error(`unknown or revoked blob URL ${url}`);
  const text = await blob.text();
  const inner = [...new Set(text.match(BLOB_URL) ?? [])];
  const replacements = new Map<string, string>();
  for (const nested of inner) replacements.set(nested, await toDataUrl(nested, [...seen, url]));
  const converted = text.replace(BLOB_URL, (found) => replacements.get(found) ?? found);
  return `data:text/javascript;base64,${base64(converted)}`;
}

/** Wrap URL.createObjectURL / revokeObjectURL and make the loader import through data: URLs. */
export function installImporter(): void {
  if (!installed) {
    installed = true;
    const create = URL.createObjectURL.bind(URL);
    const revoke = URL.revokeObjectURL.bind(URL);
    URL.createObjectURL = (object: Blob | MediaSource): string => {
      const url = create(object);
      if (object instanceof Blob) blobs.set(url, object);
      created.push(url);
      return url;
    };
    URL.revokeObjectURL = (url: string): void => {
      blobs.delete(url);
      revoked.push(url);
      revoke(url);
    };
  }
  setImporter(async (url) => {
    const data = await toDataUrl(url);
    imported.push(data);
    return (await import(/* @vite-ignore */ data)) as Namespace;
  });
}

/** The source text of a data: URL made by `toDataUrl` (for assertions). */
export function dataUrlText(url: string): string {
  const prefix = "data:text/javascript;base64,";
  if (!url.startsWith(prefix)) throw new Error(`not a base64 JavaScript data: URL: ${url.slice(0, 40)}`);
  const binary = atob(url.slice(prefix.length));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

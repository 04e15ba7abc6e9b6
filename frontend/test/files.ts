/** Files of the repository, for tests that check the runtime against docs and shared cases. */

// Node's fs and path through untyped imports: the project's tsconfig has no Node types.
const fs = (await import(/* @vite-ignore */ "node:fs" as string)) as {
  existsSync(path: string): boolean;
  readFileSync(path: string, encoding: "utf8"): string;
};
const url = (await import(/* @vite-ignore */ "node:url" as string)) as { fileURLToPath(url: string): string };
const paths = (await import(/* @vite-ignore */ "node:path" as string)) as { resolve(...parts: string[]): string };

/** The absolute path of `relative` (from the repository's root). */
export function repoPath(relative: string): string {
  // (Not `new URL(relative, import.meta.url)`: Vite rewrites that pattern into an asset URL.)
  return paths.resolve(url.fileURLToPath(import.meta.url), "../../..", relative);
}

/** The text of a repository file (`relative` from the root), or null if it does not exist. */
export function readRepoFile(relative: string): string | null {
  const path = repoPath(relative);
  return fs.existsSync(path) ? fs.readFileSync(path, "utf8") : null;
}

/** The environment variable `name`, if set. */
export function env(name: string): string | undefined {
  return (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name];
}

/**
 * View modules and stylesheets by content hash: learned from snapshots, fetched on the control
 * comm when missing. Mirrors widgets/assets.py (which sends each source once per kernel).
 */
import { type Waiter, waiter } from "./waiter";

/** Sources by content hash, shared by every manager of the page (the same hash is the same text). */
const cache = new Map<string, string>();

/** A source this page knows (learned from a kernel or from saved state), without asking anyone. */
export function knownAsset(hash: string): string | undefined {
  return cache.get(hash);
}

/** Sources that came with saved state: known to every manager of the page from now on. */
export function rememberAssets(assets: Iterable<[string, string]>): void {
  for (const [hash, source] of assets) cache.set(hash, source);
}

export class Assets {
  private readonly waiters = new Map<string, Waiter<string>>();

  /** `fetch` asks the kernel for sources (an `assets` request on the control comm). */
  constructor(private readonly fetch: (hashes: string[]) => Promise<Record<string, string>>) {}

  learn(assets: Record<string, string> | undefined): void {
    for (const [hash, source] of Object.entries(assets ?? {})) {
      cache.set(hash, source);
      const wait = this.waiters.get(hash);
      if (wait) {
        this.waiters.delete(hash);
        wait.resolve(source);
      }
    }
  }

  /** The source text of a module or stylesheet, fetched if this page lacks it (once per hash). */
  get(hash: string): Promise<string> {
    const known = cache.get(hash);
    if (known !== undefined) return Promise.resolve(known);
    let wait = this.waiters.get(hash);
    if (!wait) {
      const fresh = waiter<string>();
      this.waiters.set(hash, fresh);
      wait = fresh;
      this.fetch([hash]).then(
        (assets) => {
          this.learn(assets);
          if (!cache.has(hash)) this.fail(hash, fresh, new Error(`the kernel does not know the module ${hash}`));
        },
        (error: Error) => this.fail(hash, fresh, error),
      );
    }
    return wait.promise;
  }

  /** Every fetch waiting fails with `error` (the kernel is gone). */
  failAll(error: Error): void {
    for (const wait of this.waiters.values()) wait.reject(error);
    this.waiters.clear();
  }

  private fail(hash: string, wait: Waiter<string>, error: Error): void {
    if (this.waiters.get(hash) === wait) this.waiters.delete(hash);
    wait.reject(error);
  }
}

/** A small event emitter with Backbone-style `on/off(event, callback, context)` semantics. */

// Listener arguments vary per event (see WidgetModel), as in anywidget's contract.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Callback = (...args: any[]) => void;

interface Listener {
  callback: Callback;
  context: unknown;
}

export class Emitter {
  private readonly listeners = new Map<string, Listener[]>();

  on(event: string, callback: Callback, context?: unknown): void {
    const list = this.listeners.get(event) ?? [];
    list.push({ callback, context });
    this.listeners.set(event, list);
  }

  /** Remove listeners: all of them, those of an event, or those matching a callback (and context). */
  off(event?: string | null, callback?: Callback | null, context?: unknown): void {
    for (const name of event ? [event] : [...this.listeners.keys()]) {
      const kept = (this.listeners.get(name) ?? []).filter(
        (l) => (callback && l.callback !== callback) || (context !== undefined && l.context !== context),
      );
      if (kept.length) this.listeners.set(name, kept);
      else this.listeners.delete(name);
    }
  }

  /** Call every listener; one that throws is reported through `onError`, the others still run. */
  emit(event: string, args: unknown[], onError: (error: unknown) => void): void {
    for (const { callback, context } of [...(this.listeners.get(event) ?? [])]) {
      try {
        callback.apply(context, args);
      } catch (error) {
        onError(error);
      }
    }
  }

  count(event?: string): number {
    if (event) return this.listeners.get(event)?.length ?? 0;
    let total = 0;
    for (const list of this.listeners.values()) total += list.length;
    return total;
  }
}

/**
 * Composition: `host.getWidget(ref)` in a view's `render` resolves a model reference to a child
 * widget that renders new, independent views of that model into elements the parent chooses.
 * Every child view made through one view's host is disposed with that view.
 */
import { type ChildWidget, exportsOf, type Listeners, type ModelSource, scoped, type WidgetHost } from "./lifecycle";
import { referencedId } from "./refs";

/** One mounted view (view.ts makes them: this module cannot import View without a cycle). */
export interface Mounted {
  rendered: Promise<void>;
  dispose(): void;
}

export type Mount = (el: HTMLElement, modelId: string) => Mounted;

const isElement = (target: unknown): target is HTMLElement =>
  target !== null && typeof target === "object" && typeof (target as Node).nodeType === "number";

/** The host of one view: `signal` is the view's, `added` its listener list. */
export class ViewHost implements WidgetHost {
  private readonly children = new Set<() => void>();

  constructor(
    private readonly source: ModelSource,
    private readonly added: Listeners,
    private readonly signal: AbortSignal,
    private readonly mount: Mount,
  ) {
    signal.addEventListener("abort", () => {
      for (const dispose of [...this.children]) dispose();
    }, { once: true });
  }

  /** How many child views are mounted now. */
  get childViews(): number {
    return this.children.size;
  }

  async getWidget(ref: string | { readonly model_id: string }): Promise<ChildWidget> {
    const modelId = referencedId(ref);
    const model = await this.source.get_model(modelId);
    // A module that fails to load or initialize has no exports; its views show the error.
    const exports = await exportsOf(model, (hash) => this.source.asset(hash)).catch(() => undefined);
    return {
      model: scoped(model, this.added, this.signal),
      exports,
      render: (target) => this.renderChild(modelId, target),
    };
  }

  private async renderChild(modelId: string, target: HTMLElement | { el: HTMLElement; signal?: AbortSignal }): Promise<() => void> {
    const { el, signal } = isElement(target) ? { el: target, signal: undefined } : target;
    if (!isElement(el)) throw new TypeError("render takes an element, or { el, signal }");
    if (this.signal.aborted || signal?.aborted) return () => undefined;
    const view = this.mount(el, modelId);
    let disposed = false;
    const dispose = (): void => {
      if (disposed) return;
      disposed = true;
      this.children.delete(dispose);
      signal?.removeEventListener("abort", dispose);
      view.dispose();
    };
    this.children.add(dispose);
    signal?.addEventListener("abort", dispose, { once: true });
    await view.rendered;
    return dispose;
  }
}

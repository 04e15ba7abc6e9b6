/**
 * One manager per kernel connection: the public face of the registry (models), the control
 * channel (restore, assets) and the connection state. The pieces live in registry.ts,
 * control.ts, assets.ts and connection.ts, as on the kernel side.
 */
import { Assets } from "./assets";
import { Connection, type ManagerStatus } from "./connection";
import { Control, restore } from "./control";
import { initializeEager } from "./lifecycle";
import type { WidgetModel } from "./model";
import type { SavedModels } from "./offline";
import { CLIENT_PATTERN } from "./protocol";
import { Registry, randomId } from "./registry";
import type { KernelTransport } from "./transport";

export type { ManagerStatus } from "./connection";

export interface ManagerOptions {
  /**
   * Ask the kernel for its live models (restore) the first time a view wants a model this page
   * does not know: after a page reload. A fresh kernel, whose models all announce themselves, is
   * never asked (and `widgets` need not be imported in it).
   */
  restoreOnDemand?: boolean;
  /** This browser client's id (1..64 of [A-Za-z0-9_-]); random by default. Fixed ids are for replaying recorded exchanges. */
  client?: string;
}

export class WidgetManager {
  readonly client: string;
  private readonly connection = new Connection();
  private readonly registry: Registry;
  private readonly control: Control;
  private readonly assets: Assets;
  private restoring: Promise<unknown> | null = null;
  /** Saved models this manager's kernel may have live (adopt). */
  private readonly saved: SavedModels[] = [];

  constructor(
    transport: KernelTransport,
    private readonly options: ManagerOptions = {},
  ) {
    const client = options.client ?? randomId();
    if (!CLIENT_PATTERN.test(client)) throw new Error(`a client id is 1 to 64 characters of A-Z a-z 0-9 _ -, not ${JSON.stringify(client)}`);
    this.client = client;
    this.control = new Control(transport, this.connection, client);
    this.assets = new Assets(async (hashes) => (await this.control.request("assets", { hashes })).assets);
    this.registry = new Registry(transport, this.connection, client, {
      learnAssets: (assets) => this.assets.learn(assets),
      unknownWanted: () => this.restoreOnDemand(),
      claim: (modelId) => {
        for (const saved of this.saved) {
          const model = saved.claim(modelId);
          if (model) return model;
        }
        return undefined;
      },
      // An eager model (a jslink) has no view to load its module: it is initialized as it arrives.
      arrived: (model) => initializeEager(model, (hash) => this.assets.get(hash)),
    });
  }

  get status(): ManagerStatus {
    return this.connection.status;
  }

  /** Why the manager is disconnected, for views to show. */
  get reason(): string {
    return this.connection.reason;
  }

  /** The model of that id, or of a reference as values hold it (`"IPY_MODEL_<id>"`): at once if known, else when the kernel opens or restores it. */
  get_model(ref: string): Promise<WidgetModel> {
    return this.registry.get_model(ref);
  }

  /** A live model by id, if this page has it already. */
  lookup(modelId: string): WidgetModel | undefined {
    return this.registry.lookup(modelId);
  }

  /** Every model this manager holds. */
  allModels(): WidgetModel[] {
    return this.registry.all();
  }

  /** Saved local writes the kernel has not acknowledged yet, over all models. */
  pendingWrites(): number {
    return this.registry.all().reduce((count, model) => count + model.pendingWrites(), 0);
  }

  /** A browser-created model of a Python class registered under `className` (`widgets.register`). */
  create(className: string, state: Record<string, unknown> = {}): Promise<WidgetModel> {
    return this.registry.create(className, state);
  }

  /** The source text of a module or stylesheet, fetched on the control comm if this page lacks it. */
  asset(hash: string): Promise<string> {
    return this.assets.get(hash);
  }

  /** Ask the kernel for every live model (after a page reload) and bring them back. */
  restore(): Promise<WidgetModel[]> {
    return restore(this.control, this.registry, this.assets);
  }

  /**
   * Saved models the page shows offline, which this kernel may have live (a page reloaded while
   * its kernel runs): the restore takes each one it has over (the same model object becomes live,
   * with the kernel's values); the others stay offline and say the kernel does not have them.
   * A fresh kernel (no `restoreOnDemand`) has none of them.
   */
  adopt(saved: SavedModels): Promise<void> {
    if (this.connection.connected) this.saved.push(saved);
    const asked = this.options.restoreOnDemand && this.connection.connected ? this.restoreOnce() : Promise.resolve();
    return asked.then(() => saved.notInKernel());
  }

  /** After a restore (or a kernel without widgets): views of unknown models stop waiting. */
  markRestored(): void {
    this.registry.markRestored();
  }

  /** The kernel restarted or died: every model is disconnected; nothing more will arrive. */
  disconnect(reason: string): void {
    if (!this.connection.disconnect(reason)) return;
    const error = this.connection.error();
    this.registry.disconnected();
    this.control.failAll(error);
    this.assets.failAll(error);
  }

  onStatus(listener: (status: ManagerStatus) => void): () => void {
    return this.connection.onStatus(listener);
  }

  private restoreOnDemand(): void {
    if (this.options.restoreOnDemand) void this.restoreOnce();
  }

  /** One restore per manager, whoever asks first; a failed one counts as done (the kernel has no models). */
  private restoreOnce(): Promise<unknown> {
    this.restoring ??= this.restore().catch(() => this.markRestored());
    return this.restoring;
  }
}

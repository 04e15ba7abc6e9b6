/**
 * Voila 0.5: where its page keeps the kernel our views need.
 *
 * Voila has no notebook or console panel. The server runs the notebook (nbclient) while the page
 * streams, then the page's app renders each saved output through the app-wide rendermime, and one
 * kernel connection, opened by Voila's ipywidgets manager plugin, serves the page
 * (`app.widgetManager.kernel`). We use that same connection: a second one to the same kernel would
 * receive every `comm_open`, and @jupyterlab/services closes a comm whose target a connection has
 * not registered, so each connection would close the other's comms. Only when the page has no such
 * manager (ipywidgets not installed, or its plugin denied) do we open the connection ourselves.
 * The kernel's lifetime stays Voila's either way.
 */
import type { JupyterFrontEnd } from "@jupyterlab/application";
import { PageConfig } from "@jupyterlab/coreutils";
import { type Kernel, KernelAPI, KernelConnection, ServerConnection } from "@jupyterlab/services";

/** What Voila's app (VoilaApp) adds to a JupyterFrontEnd, read without importing Voila. */
interface VoilaApp {
  readonly widgetManager?: { readonly kernel?: Kernel.IKernelConnection } | null;
  readonly widgetManagerPromise?: { readonly promise: Promise<{ readonly kernel?: Kernel.IKernelConnection }> };
}

/** The app is Voila's (its VoilaApp names itself so; its own widget manager plugin checks the same). */
export function isVoila(app: JupyterFrontEnd): boolean {
  return app.name === "Voila";
}

/**
 * The kernel connection of Voila's ipywidgets manager: as soon as the manager exists (so our comm
 * targets are registered before any later `comm_open` arrives), or null once the app has started
 * without one.
 */
function managerKernel(app: JupyterFrontEnd): Promise<Kernel.IKernelConnection | null> {
  const voila = app as unknown as VoilaApp;
  const started = app.started.then(() => voila.widgetManager?.kernel ?? null);
  const made = voila.widgetManagerPromise?.promise.then((manager) => manager.kernel ?? null);
  return made ? Promise.race([made, started]) : started;
}

/** The page's kernel connection: Voila's, or our own when the page has none. */
export async function voilaKernel(app: JupyterFrontEnd): Promise<Kernel.IKernelConnection> {
  const shared = await managerKernel(app);
  if (shared) return shared;
  const kernelId = PageConfig.getOption("kernelId");
  if (!kernelId) throw new Error("this Voila page names no kernel (page config 'kernelId' is empty)");
  const serverSettings = ServerConnection.makeSettings({ baseUrl: PageConfig.getBaseUrl() });
  const model = await KernelAPI.getKernelModel(kernelId, serverSettings);
  if (!model) throw new Error(`the Voila kernel ${kernelId} is not running (it was shut down, or culled)`);
  return new KernelConnection({ model, serverSettings });
}

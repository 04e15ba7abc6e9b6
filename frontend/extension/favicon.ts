/**
 * The tab's busy favicon, shown only for work that lasts.
 *
 * JupyterLab's own plugin (@jupyterlab/application-extension:faviconbusy, which our package
 * disables) swaps the favicon on every kernel busy/idle status: on every comm message. Each swap
 * makes the browser fetch and decode an icon, and that delays the page's websocket messages by
 * ~8 ms: a widget round trip measured 15 ms with it and 4 ms without (docs/performance.md). Here
 * the busy icon appears once the application has been busy for BUSY_AFTER_MS, and goes when idle.
 */
import { type JupyterFrontEnd, type JupyterFrontEndPlugin, ILabStatus } from "@jupyterlab/application";

const BUSY_AFTER_MS = 300;

function showFavicon(busy: boolean): void {
  const wanted = document.querySelector<HTMLLinkElement>(`link.favicon.${busy ? "busy" : "idle"}`);
  const current = document.querySelector<HTMLLinkElement>('link.favicon[rel="icon"]');
  if (!wanted || !current || wanted === current) return;
  current.rel = "";
  wanted.rel = "icon";
  wanted.parentNode?.replaceChild(wanted, wanted); // re-insert, so the browser picks the new icon up
}

export const faviconPlugin: JupyterFrontEndPlugin<void> = {
  id: "widgets-labextension:favicon",
  description: "Shows the busy favicon only for work lasting more than a moment",
  autoStart: true,
  // Optional: Voila's app has no ILabStatus (nor a busy favicon), and a required token it lacks
  // would make the plugin fail to activate there.
  optional: [ILabStatus],
  activate: (_app: JupyterFrontEnd, status: ILabStatus | null): void => {
    if (!status) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let shown = false;
    status.busySignal.connect((_, busy) => {
      clearTimeout(timer);
      if (busy) {
        timer = setTimeout(() => {
          shown = true;
          showFavicon(true);
        }, BUSY_AFTER_MS);
      } else if (shown) {
        shown = false;
        showFavicon(false);
      }
    });
  },
};

/**
 * The browser runtime's public API (the whole of it). React bindings live in `react.ts`
 * (`@widgets/react` for view modules).
 */
export { WidgetManager, type ManagerOptions, type ManagerStatus } from "./manager";
export { WidgetModel, type ModelStatus, type WidgetManagerLike } from "./model";
export {
  View,
  type ChildWidget,
  type Experimental,
  type InitializeProps,
  type ModelSource,
  type RenderProps,
  type ViewModel,
  type WidgetDefinition,
  type WidgetHost,
} from "./view";
export { InvokeError, type InvokeOptions, type InvokeResult } from "./commands";
export { NOT_IN_KERNEL_NOTICE, type OfflineOptions, SAVED_NOTICE, SavedModels } from "./offline";
export { parseSaved, reachable, SAVED_FORMAT, SAVED_VERSION, type SavedDocument, withEager, writeSaved } from "./saved";
export { knownAsset } from "./assets";
export { provideShared, setImporter } from "./loader";
export type { Comm, KernelTransport } from "./transport";
export {
  ANYWIDGET_REFERENCE_PREFIX,
  CONTROL_TARGET,
  MIMETYPE,
  MODEL_TARGET,
  PROTOCOL_VERSION,
  REFERENCE_PREFIX,
  type ErrorEntry,
  type ErrorKind,
} from "./protocol";
export type { BrowserMessage, KernelMessage } from "./messages";
export type { NDArray } from "./buffers";

/**
 * The browser runtime's public API (the whole of it). React bindings live in `react.ts`
 * (`@widgets/react` for view modules).
 */
export { WidgetManager, type ManagerOptions, type ManagerStatus } from "./manager";
export { WidgetModel, type ModelStatus, type WidgetManagerLike } from "./model";
export { View, type ModelSource, type ViewModel, type WidgetDefinition } from "./view";
export { NOT_IN_KERNEL_NOTICE, type OfflineOptions, SAVED_NOTICE, SavedModels } from "./offline";
export { parseSaved, reachable, SAVED_FORMAT, SAVED_VERSION, type SavedDocument, writeSaved } from "./saved";
export { knownAsset } from "./assets";
export { provideShared, setImporter } from "./loader";
export type { Comm, KernelTransport } from "./transport";
export { CONTROL_TARGET, MIMETYPE, MODEL_TARGET, PROTOCOL_VERSION, REFERENCE_PREFIX, type ErrorEntry, type ErrorKind } from "./protocol";
export type { BrowserMessage, KernelMessage } from "./messages";
export type { NDArray } from "./buffers";

/**
 * The browser runtime's public API (the whole of it). React bindings live in `react.ts`
 * (`@widgets/react` for view modules).
 */
export { WidgetManager, type ManagerStatus } from "./manager";
export { WidgetModel, type ModelStatus, type WidgetManagerLike } from "./model";
export { View, type ViewModel, type WidgetDefinition } from "./view";
export { provideShared, setImporter } from "./loader";
export type { Comm, KernelTransport } from "./transport";
export { MIMETYPE, PROTOCOL_VERSION, type ErrorEntry } from "./protocol";
export type { NDArray } from "./buffers";

/**
 * Model references as values hold them, and the ids they name. Kept free of imports, so the
 * React bindings (bundled apart, in shared.js) carry nothing else of the runtime.
 */

/** A model inside a value travels, and reaches views, as this prefix + its id (as in ipywidgets). */
export const REFERENCE_PREFIX = "IPY_MODEL_";
/** anywidget 0.11's inline reference to a model (`"anywidget:<model_id>"`), accepted wherever ours is. */
export const ANYWIDGET_REFERENCE_PREFIX = "anywidget:";

/** The id a `get_model` argument names: a bare id, or a reference as values hold it (ours or anywidget's). */
export function modelIdOf(ref: string): string {
  if (ref.startsWith(REFERENCE_PREFIX)) return ref.slice(REFERENCE_PREFIX.length);
  return ref.startsWith(ANYWIDGET_REFERENCE_PREFIX) ? ref.slice(ANYWIDGET_REFERENCE_PREFIX.length) : ref;
}

/** The id a reference names: `"IPY_MODEL_<id>"`, `"anywidget:<id>"`, a bare id, or a model (anything with a `model_id`). */
export function referencedId(ref: unknown): string {
  if (typeof ref === "string") return modelIdOf(ref);
  if (ref !== null && typeof ref === "object" && typeof (ref as { model_id?: unknown }).model_id === "string") {
    return (ref as { model_id: string }).model_id;
  }
  throw new TypeError(`a model reference, an id or a model was expected, got ${ref === null ? "null" : typeof ref}`);
}

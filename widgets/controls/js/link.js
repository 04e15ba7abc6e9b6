import {} from "./_prelude.js";

// jslink / jsdlink: keeps one model's key equal to another's, in the browser only (no kernel
// round trip, so it also works offline). No view: the class is eager, so the runtime runs
// `initialize` when it has the model. `source` and `target` are [reference, key] pairs.

/** The model id of a reference ("IPY_MODEL_<id>"): what any host's `get_model` takes. */
const idOf = (ref) => (typeof ref === "string" && ref.startsWith("IPY_MODEL_") ? ref.slice("IPY_MODEL_".length) : ref);

/** Equal as values (arrays and objects compared by content: a range slider's [low, high]). */
const same = (a, b) => a === b || JSON.stringify(a) === JSON.stringify(b);

export default {
  async initialize({ model, signal }) {
    let unbind = () => {};
    let bound = 0;
    const bind = async () => {
      unbind();
      unbind = () => {};
      const mine = ++bound;
      const [sourceRef, sourceKey] = model.get("source");
      const [targetRef, targetKey] = model.get("target");
      const manager = model.widget_manager;
      const [source, target] = await Promise.all([manager.get_model(idOf(sourceRef)), manager.get_model(idOf(targetRef))]);
      if (mine !== bound || signal.aborted) return;
      let copying = false;
      const copy = (from, fromKey, to, toKey) => {
        if (copying) return; // the change this copy makes comes back: not copied again
        const value = from.get(fromKey);
        if (same(value, to.get(toKey))) return;
        copying = true;
        try {
          to.set(toKey, value);
          to.save_changes();
        } finally {
          copying = false;
        }
      };
      const forward = () => copy(source, sourceKey, target, targetKey);
      const backward = () => copy(target, targetKey, source, sourceKey);
      const twoWay = model.get("two_way");
      source.on(`change:${sourceKey}`, forward);
      if (twoWay) target.on(`change:${targetKey}`, backward);
      unbind = () => {
        source.off(`change:${sourceKey}`, forward);
        if (twoWay) target.off(`change:${targetKey}`, backward);
      };
      forward();
    };
    const rebind = () => void bind().catch((error) => console.error("widgets: a link's ends cannot be found", error));
    model.on("change:source", rebind);
    model.on("change:target", rebind);
    signal.addEventListener("abort", () => unbind(), { once: true });
    await bind();
    return () => unbind();
  },
};

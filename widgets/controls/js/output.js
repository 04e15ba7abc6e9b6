import { control } from "./_prelude.js";

// placeholder: being written
export default { render({ model, el }) { const c = control(model, el); return c.dispose; } };

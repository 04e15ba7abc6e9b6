import { control } from "./_prelude.js";

/** Progress: a bar with role=progressbar and aria-valuenow / valuemin / valuemax. */
export default {
  render({ model, el }) {
    const c = control(model, el);
    c.root.classList.add("widgets-progress");
    const track = document.createElement("div");
    track.className = "widgets-progress-track";
    track.setAttribute("role", "progressbar");
    const bar = document.createElement("div");
    bar.className = "widgets-progress-bar";
    track.append(bar);
    c.describe(track, "by");
    c.root.append(track);
    c.on("value min max orientation", () => {
      const [value, min, max] = ["value", "min", "max"].map((key) => model.get(key));
      const share = max > min ? ((value - min) / (max - min)) * 100 : 0;
      const vertical = model.get("orientation") === "vertical";
      c.root.dataset.orientation = model.get("orientation");
      bar.style.width = vertical ? "" : `${share}%`;
      bar.style.height = vertical ? `${share}%` : "";
      track.setAttribute("aria-valuenow", value);
      track.setAttribute("aria-valuemin", min);
      track.setAttribute("aria-valuemax", max);
    });
    c.on("bar_style", () => {
      bar.dataset.style = model.get("bar_style") || "";
    });
    return c.dispose;
  },
};

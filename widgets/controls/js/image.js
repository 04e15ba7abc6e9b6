import { control } from "./_prelude.js";

/** Image: the bytes of `value` shown through a blob URL (revoked when replaced or gone); `description` is the alt text. */
export default {
  render({ model, el }) {
    const c = control(model, el);
    const image = document.createElement("img");
    image.className = "widgets-picture";
    c.root.append(image);
    let url = null;
    const release = () => {
      if (url) URL.revokeObjectURL(url);
      url = null;
    };
    c.on("value format", () => {
      release();
      const value = model.get("value");
      const bytes = value && value.buffer ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array();
      if (model.get("format") === "url") {
        image.src = new TextDecoder().decode(bytes);
      } else if (bytes.length) {
        url = URL.createObjectURL(new Blob([bytes], { type: `image/${model.get("format")}` }));
        image.src = url;
      } else {
        image.removeAttribute("src");
      }
    });
    c.on("width height", () => {
      for (const key of ["width", "height"]) {
        const size = String(model.get(key) || "");
        image.style[key] = /^\d+$/.test(size) ? `${size}px` : size;
      }
    });
    c.on("description", () => {
      image.alt = model.get("description");
    });
    return () => {
      release();
      c.dispose();
    };
  },
};

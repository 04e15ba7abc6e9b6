import { readFileSync } from "node:fs";
import { defineConfig, type Plugin } from "vitest/config";

const TEXT = "\0css-text:";

/** `import text from "./x.css"` gives the stylesheet's text, as esbuild's text loader does in the builds. */
function cssAsText(): Plugin {
  return {
    name: "css-as-text",
    enforce: "pre",
    async resolveId(source, importer) {
      if (!source.endsWith(".css") || !importer) return null;
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      // Not ending in .css: Vite's own CSS handling must not see the module.
      return resolved ? `${TEXT}${resolved.id}.js` : null;
    },
    load(id) {
      if (!id.startsWith(TEXT)) return null;
      return `export default ${JSON.stringify(readFileSync(id.slice(TEXT.length, -".js".length), "utf8"))};`;
    },
  };
}

export default defineConfig({
  plugins: [cssAsText()],
  test: {
    environment: "happy-dom",
    include: ["test/**/*.test.ts"],
  },
});

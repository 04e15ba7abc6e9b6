// esbuild bundles this into lib/runtime.js, the runtime the plugin wrapper imports.
export * from "../src/index";

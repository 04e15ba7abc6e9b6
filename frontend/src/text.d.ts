/** Stylesheets imported as their text (esbuild `--loader:.css=text`; vitest.config.ts does the same). */
declare module "*.css" {
  const text: string;
  export default text;
}

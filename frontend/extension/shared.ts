/**
 * The dependencies every view module may import bare, bundled once (lib/shared.js) and loaded
 * only when a module asks for one: one React for all views and for our hooks.
 */
import * as React from "react";
import * as ReactDOM from "react-dom";
import * as ReactDOMClient from "react-dom/client";
import * as JSXRuntime from "react/jsx-runtime";
import * as hooks from "../src/react";

export const modules: Record<string, Record<string, unknown>> = {
  react: { ...React, default: React },
  "react-dom": { ...ReactDOM, default: ReactDOM },
  "react-dom/client": { ...ReactDOMClient, default: ReactDOMClient },
  "react/jsx-runtime": { ...JSXRuntime },
  "@widgets/react": { ...hooks },
};

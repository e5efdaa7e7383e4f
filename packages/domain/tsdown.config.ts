import { defineConfig } from "tsdown";

/** The published build: ESM for Node 20 and later with its declarations; `effect` stays a dependency. */
export default defineConfig({
  entry: ["src/index.ts"],
  format: "esm",
  platform: "node",
  target: "node20",
  tsconfig: "tsconfig.build.json",
  dts: true,
  checks: { pluginTimings: false },
});

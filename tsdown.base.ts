/**
 * What every published package of this repository builds the same way: ESM for Node 20 and later
 * from `src/index.ts`, with declarations, type-checked against the package's `tsconfig.build.json`.
 * (Each package's `defineConfig` checks these options against its own tsdown.)
 */
export const publishedBuild = () => ({
  entry: ["src/index.ts"],
  format: "esm" as const,
  platform: "node" as const,
  target: "node20",
  tsconfig: "tsconfig.build.json",
  dts: true,
  checks: { pluginTimings: false },
});

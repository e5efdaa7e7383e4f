import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["../../packages/db/src/testing/globalSetup.ts"],
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // Files share one database and one delivery queue, and each runs its own worker: one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

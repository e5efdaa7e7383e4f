import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["../../packages/db/src/testing/globalSetup.ts"],
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // Files share one database and one delivery queue, and each runs its own worker: one at a time.
    fileParallelism: false,
    // Worker processes start slowly on a busy machine (two ORMs, the queue, the webhook dispatcher).
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});

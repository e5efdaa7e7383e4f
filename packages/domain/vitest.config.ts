import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Property tests run hundreds of cases; on a busy shared machine 5 s is not enough.
    testTimeout: 60_000,
  },
});

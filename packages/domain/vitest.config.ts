import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The property-based suites run many cases; a busy machine must not fail them on time alone.
    testTimeout: 30_000,
  },
});

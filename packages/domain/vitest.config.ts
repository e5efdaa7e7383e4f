import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The property-based suites run hundreds of cases; a busy machine must not fail them on time alone.
    testTimeout: 60_000,
  },
});

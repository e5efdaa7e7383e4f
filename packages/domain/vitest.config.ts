import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The property-based suites run hundreds of use cases each; a loaded machine must not fail them.
    testTimeout: 60_000,
  },
});

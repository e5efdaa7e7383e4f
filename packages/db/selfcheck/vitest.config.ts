import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    globalSetup: ["../src/testing/globalSetup.ts"],
    include: ["always-fails.test.ts"],
  },
});

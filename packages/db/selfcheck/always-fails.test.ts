import { expect, inject, it } from "vitest";

// CI runs this on purpose and requires the run to FAIL: it proves that a failing test cannot
// exit 0 once the embedded PostgreSQL has been started by the global setup.
it("fails on purpose", () => {
  expect(inject("databaseUrl")).toMatch(/^postgres/);
  expect(1 + 1).toBe(3);
});

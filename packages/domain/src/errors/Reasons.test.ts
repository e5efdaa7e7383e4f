import { describe, expect, it } from "vitest";
import { REASONS } from "./Reasons.ts";

describe("the reason catalogue", () => {
  it("gives every reason to exactly one error, so its status is never ambiguous", () => {
    const all = Object.values(REASONS).flat();
    expect(new Set(all).size).toBe(all.length);
  });

  it("spells reasons as lower snake case, as clients match them", () => {
    for (const reason of Object.values(REASONS).flat()) expect(reason).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });
});

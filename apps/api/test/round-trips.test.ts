/**
 * Statements sent per mutation, counted at the driver: authentication costs none once a key is
 * known to the process, and create (direct, email) and accept stay within their current counts.
 */
import { describe, expect, it } from "vitest";
import { makeTenant, uniqueEmail, useHarness } from "./harness.ts";

let counting = false;
let sent: string[] = [];
const h = useHarness({
  onQuery: (sql) => {
    if (counting) sent.push(sql);
  },
});

const statementsOf = async (run: () => Promise<unknown>) => {
  sent = [];
  counting = true;
  try {
    await run();
  } finally {
    counting = false;
  }
  return sent.length;
};

describe("round trips per mutation", () => {
  it("authenticating a key the process already knows sends no statement", async () => {
    const t = await makeTenant(h);
    const cold = await statementsOf(() => t.client.invites.list.query({ limit: 1 }));
    const warm = await statementsOf(() => t.client.invites.list.query({ limit: 1 }));
    expect(cold).toBe(warm + 1);
  });

  it("create direct, create by email and accept send at most 5, 7 and 7 statements", async () => {
    const t = await makeTenant(h);
    await t.client.invites.list.query({ limit: 1 });
    const direct = await statementsOf(() => t.client.invites.create.mutate({ method: "direct", email: uniqueEmail() }));
    let inviteId = "";
    const email = await statementsOf(async () => {
      const res = await t.client.invites.create.mutate({ method: "email", email: uniqueEmail() });
      inviteId = "inviteId" in res ? res.inviteId : "";
    });
    const token = await h.acceptToken(inviteId);
    const accept = await statementsOf(() => h.client().invites.accept.mutate({ token }));
    // Today: a target read, then BEGIN, the writes and COMMIT (accept: BEGIN, the invite, its
    // inviter key, user, memberships, invite update, COMMIT).
    expect(Math.min(direct, email, accept)).toBeGreaterThan(0);
    expect(direct).toBeLessThanOrEqual(5);
    expect(email).toBeLessThanOrEqual(7);
    expect(accept).toBeLessThanOrEqual(7);
  });
});

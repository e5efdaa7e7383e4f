/**
 * Statements sent per mutation, counted at the driver: authentication costs none once a key is
 * known to the process, and create (direct, email) and accept, with and without an
 * Idempotency-Key, stay within their measured counts (each statement is named below).
 */
import { randomUUID } from "node:crypto";
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

  it("create direct, create by email and accept send at most 2, 6 and 2 statements, 6, 8 and 6 with an Idempotency-Key", async () => {
    const t = await makeTenant(h);
    await t.client.invites.list.query({ limit: 1 });
    const counts = async (keyed: boolean) => {
      const ctx = () => (keyed ? { context: { idempotencyKey: randomUUID() } } : undefined);
      const direct = await statementsOf(() =>
        t.client.invites.create.mutate({ method: "direct", email: uniqueEmail() }, ctx()),
      );
      let inviteId = "";
      const email = await statementsOf(async () => {
        const res = await t.client.invites.create.mutate({ method: "email", email: uniqueEmail() }, ctx());
        inviteId = "inviteId" in res ? res.inviteId : "";
      });
      const token = await h.acceptToken(inviteId);
      const accept = await statementsOf(() => h.client().invites.accept.mutate({ token }, ctx()));
      return { direct, email, accept };
    };
    const plain = await counts(false);
    const keyed = await counts(true);
    // Measured today, statement by statement (the key's authentication is served from the cache):
    // - create direct (2): one read (the target, the invitee and the invitee's memberships), then one
    //   statement that writes the decision: the user (if new), the membership and its event row.
    // - create by email (6): BEGIN, the recipient's advisory lock (a statement of its own, so that
    //   the read's snapshot sees what the lock's previous holder committed), one read (the target,
    //   the invitee's memberships, the recipient's pending invites to it, locked, with their
    //   deliveries, the organization's redirect origins), one statement that writes the decision
    //   (the delivery, the invite, its event, the quota window), the delivery job's insert into the
    //   queue (pg-boss's own statement), COMMIT.
    // - accept (2): one read (the token's delivery and invites, the account, the inviters' keys and
    //   memberships, the organizations' app URLs), then one statement that writes the decision: it
    //   locks the invites still as read, then the user, the answers, the memberships and the events.
    // With an Idempotency-Key each gains two: the key's claim (an insert right after BEGIN, the
    // target read then moving inside the transaction) and the stored answer (an update before COMMIT);
    // create direct and accept, which need no transaction of their own, also gain the key's BEGIN
    // and COMMIT.
    expect(Math.min(plain.direct, plain.email, plain.accept)).toBeGreaterThan(0);
    expect(plain.direct).toBeLessThanOrEqual(2);
    expect(plain.email).toBeLessThanOrEqual(6);
    expect(plain.accept).toBeLessThanOrEqual(2);
    expect(keyed.direct).toBeLessThanOrEqual(6);
    expect(keyed.email).toBeLessThanOrEqual(8);
    expect(keyed.accept).toBeLessThanOrEqual(6);
    // The key's record costs its two statements, never more.
    expect(keyed.direct - plain.direct).toBeLessThanOrEqual(4);
    expect(keyed.email - plain.email).toBeLessThanOrEqual(2);
    expect(keyed.accept - plain.accept).toBeLessThanOrEqual(4);
  });
});

/**
 * Statements sent per mutation, counted at the driver (a string of several statements sent at once
 * is one round trip): authentication costs none once a key is known to the process, and create
 * (direct, email), bulk and accept, with and without an Idempotency-Key, stay within their counts
 * (each statement is named below), whatever the number of targets.
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

  it("create direct, create by email and accept send 2 statements each, 3 each with an Idempotency-Key", async () => {
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
    // Round trip by round trip (the key's authentication is served from the cache):
    // - create direct (2), in autocommit: one read (the target, the inviting user's memberships,
    //   the invitee and the invitee's memberships), then one statement that writes the decision
    //   (the user if new, the membership, its event row; nothing if the plan went stale).
    // - create by email (2), in a transaction serialized on the recipient: BEGIN, the recipient's
    //   advisory lock and the read in one string (the read's snapshot, taken after the lock, sees
    //   what the lock's previous holder committed; it reads the target, the memberships, the
    //   recipient's pending invites to it, locked, with their deliveries, the organization's
    //   redirect origins), then one string with the statement that writes the decision (the
    //   delivery, its job in the queue, the invite, its event row, the quota window; it fails
    //   whole past the quota) and COMMIT.
    // - accept (2), in autocommit: one read (the token's delivery and invites, the account, the
    //   inviters' keys and memberships, the organizations' app URLs), then one statement that
    //   writes the decision (it locks the invites still as read, then the user, the answers, the
    //   memberships and the event rows; nothing if any invite changed meanwhile).
    // With an Idempotency-Key the request runs in the key's transaction: BEGIN, the key's claim
    // (and the read of a stored answer) and, for create by email, the recipient's lock travel with
    // the use case's read; then its write; then the stored answer with COMMIT (the email write
    // does not carry COMMIT there).
    expect(Math.min(plain.direct, plain.email, plain.accept)).toBeGreaterThan(0);
    expect(plain).toEqual({ direct: 2, email: 2, accept: 2 });
    expect(keyed).toEqual({ direct: 3, email: 3, accept: 3 });
  });

  it("bulk sends as many statements for 50 targets as for 1: 2 direct, 2 by email", async () => {
    const t = await makeTenant(h);
    await t.client.invites.list.query({ limit: 1 });
    const sites: string[] = [];
    for (let i = 0; i < 51; i++) {
      sites.push((await h.root.websites.create.mutate({ organizationId: t.org.id, name: `Site ${i}` })).id);
    }
    const bulk = (method: "direct" | "email", websiteIds: string[]) =>
      statementsOf(() => t.client.invites.createBulk.mutate({ method, email: uniqueEmail(), websiteIds }));
    for (const [method, most] of [
      ["direct", 2],
      ["email", 2],
    ] as const) {
      const one = await bulk(method, sites.slice(0, 1));
      const fifty = await bulk(method, sites.slice(1));
      expect(one).toBeGreaterThan(0);
      expect(one).toBeLessThanOrEqual(most);
      expect(fifty).toBe(one);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../src/index.ts";
import { deliveryOf, emailInvite, makeTenant, settled, uniqueEmail, useWorld, waitFor } from "./harness.ts";
import { type PostmarkStandIn, postmarkError, startPostmarkStandIn } from "./postmark.ts";

const w = useWorld();
let postmark: PostmarkStandIn;
const workers: RunningWorker[] = [];

beforeAll(async () => {
  postmark = await startPostmarkStandIn();
});

afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await postmark?.close();
});

const startPostmarkWorker = async () => {
  const worker = await w.startWorker({
    MAIL_TRANSPORT: "postmark",
    POSTMARK_SERVER_TOKEN: "server-token-for-tests",
    POSTMARK_API_URL: postmark.url,
  });
  workers.push(worker);
  return worker;
};

describe("Postmark batches", () => {
  it("deliveries due together go out in one batch call; each message's answer settles its own delivery", async () => {
    const t = await makeTenant(w, "Batch");
    const ok = uniqueEmail("ok");
    const inactive = uniqueEmail("inactive");
    const busy = uniqueEmail("busy");
    // Every call offering a message for the first time is throttled as a whole (a 429, as Postmark
    // answers for the whole batch), however the worker's fetch loops grouped the three; on retry:
    // one accepted, one inactive recipient (failed for good), one accepted.
    postmark.state.answer = (to, n) => {
      if (n === 1) return postmarkError(429, 0, "Rate limit exceeded");
      if (to === inactive) {
        return postmarkError(422, 406, "You tried to send to recipient(s) that have been marked as inactive.");
      }
      return null;
    };
    // Queued before any worker runs, so that one fetch takes all three.
    const invites = await Promise.all([ok, inactive, busy].map((email) => emailInvite(t.client, t.org.id, email)));
    await startPostmarkWorker();
    const [sentOk, failedInactive, sentBusy] = await Promise.all(invites.map((i) => settled(w, i.inviteId)));

    // The worker's two fetch loops may split the three (both fetch at start, skipping each other's
    // locked jobs), so the first round is one or two calls, at least one of them carrying several
    // messages; their retries come due apart (pg-boss jitters the delay), in any grouping.
    expect(postmark.state.batches.reduce((a, b) => a + b, 0)).toBe(6);
    expect(Math.max(...postmark.state.batches)).toBeGreaterThan(1);
    expect(sentOk).toMatchObject({ status: "sent", attempts: 2, last_error: null });
    expect(sentBusy).toMatchObject({ status: "sent", attempts: 2, last_error: null });
    expect(failedInactive).toMatchObject({
      status: "failed",
      attempts: 2,
      last_error: "postmark error 406: You tried to send to recipient(s) that have been marked as inactive.",
      provider_message_id: null,
    });
    // The provider's message id is kept: its delivery and bounce reports are matched by it.
    for (const d of [sentOk, sentBusy]) expect(d?.provider_message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sentOk?.provider_message_id).not.toBe(sentBusy?.provider_message_id);
    // Each recipient was offered the message once per call, and received it once.
    expect(postmark.tries(ok)).toBe(2);
    expect(postmark.tries(inactive)).toBe(2);
    expect(postmark.tries(busy)).toBe(2);
    const view = await t.client.invites.get.query({ inviteId: invites[1]!.inviteId });
    expect(view.delivery).toMatchObject({ status: "failed", lastError: expect.stringContaining("406") });
    // Each delivery's outcome is one event, recorded with it: none for the throttled first try.
    const events = await t.client.audit.list.query({ types: ["delivery.sent", "delivery.failed"] });
    const byDelivery = (id: string | undefined) =>
      events.items.filter((e) => e.subject.id === id).map((e) => e.type as string);
    expect(events.items).toHaveLength(3);
    expect(byDelivery(sentOk?.id)).toEqual(["delivery.sent"]);
    expect(byDelivery(sentBusy?.id)).toEqual(["delivery.sent"]);
    expect(byDelivery(failedInactive?.id)).toEqual(["delivery.failed"]);
  });

  it("a backlog is sent in batches of many messages per call", async () => {
    postmark.state.answer = () => null;
    postmark.state.batches.length = 0;
    for (const worker of workers.splice(0)) await worker.stop();
    const t = await makeTenant(w, "Backlog");
    const invites = await Promise.all(
      Array.from({ length: 60 }, () => emailInvite(t.client, t.org.id, uniqueEmail("backlog"))),
    );
    await startPostmarkWorker();
    await waitFor("the backlog to be sent", async () => {
      const rows = await Promise.all(invites.map((i) => deliveryOf(w, i.inviteId)));
      return rows.every((d) => d.status === "sent");
    });
    expect(postmark.state.batches.reduce((a, b) => a + b, 0)).toBe(60);
    expect(Math.max(...postmark.state.batches)).toBeGreaterThan(1);
    expect(postmark.state.batches.length).toBeLessThan(60);
    // One delivery.sent per delivery, though many went out in one call.
    const sent = [];
    let cursor: string | undefined;
    do {
      const page = await t.client.audit.list.query({ types: ["delivery.sent"], limit: 100, cursor });
      sent.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(sent.map((e) => e.subject.id)).size).toBe(60);
    expect(sent).toHaveLength(60);
  });
});

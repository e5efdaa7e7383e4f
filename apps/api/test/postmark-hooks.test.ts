import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { failure, makeTenant, uniqueEmail, useHarness } from "./harness.ts";

const USER = "postmark";
const PASSWORD = randomBytes(24).toString("base64url");
const h = useHarness({ env: { POSTMARK_WEBHOOK_USERNAME: USER, POSTMARK_WEBHOOK_PASSWORD: PASSWORD } });
/** The same API without webhook credentials configured. */
const bare = useHarness();

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const GOOD = basic(USER, PASSWORD);

const post = async (body: unknown, authorization: string | null = GOOD, url = h.url) => {
  const res = await fetch(`${url}/hooks/postmark`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** An email invite whose delivery the worker sent through Postmark under a fresh message id. */
const sentInvite = async () => {
  const t = await makeTenant(h, "Hooks");
  const email = uniqueEmail("hooks");
  const created = await t.client.invites.create.mutate({ organizationId: t.org.id, email, method: "email" });
  if (!("inviteId" in created)) throw new Error("expected an inviteId");
  const inviteId = created.inviteId;
  const messageId = randomUUID();
  await h.db.query(
    `update deliveries set status = 'sent', sent_at = now(), token_sealed = null, attempts = 1, provider_message_id = $2
     where id = (select delivery_id from invites where id = $1)`,
    [inviteId, messageId],
  );
  const delivery = async () => (await t.client.invites.get.query({ inviteId })).delivery;
  /** The organization's delivery report events, as audit.list shows them. */
  const reportEvents = async () =>
    (await t.client.audit.list.query({ types: ["delivery.delivered", "delivery.bounced"] })).items;
  return { t, email, inviteId, messageId, delivery, reportEvents };
};

// The records as Postmark sends them (fields trimmed to the ones that matter plus a few others).
const deliveryRecord = (messageId: string, email: string) => ({
  RecordType: "Delivery",
  ServerID: 23,
  MessageStream: "outbound",
  MessageID: messageId,
  Recipient: email,
  Tag: "invitation",
  DeliveredAt: "2026-12-02T05:00:00Z",
  Details: "Test delivery webhook details",
  Metadata: { delivery_id: "ignored" },
});
const bounceRecord = (messageId: string, email: string, over: Record<string, unknown> = {}) => ({
  RecordType: "Bounce",
  ID: 42,
  Type: "HardBounce",
  TypeCode: 1,
  Name: "Hard bounce",
  Tag: "invitation",
  MessageID: messageId,
  ServerID: 23,
  MessageStream: "outbound",
  Description: "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
  Details: "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
  Email: email,
  From: "invites@admit.test",
  BouncedAt: "2026-12-02T05:01:00Z",
  DumpAvailable: true,
  Inactive: true,
  CanActivate: true,
  Subject: "You are invited",
  ...over,
});
const complaintRecord = (messageId: string, email: string) => ({
  ...bounceRecord(messageId, email),
  RecordType: "SpamComplaint",
  Type: "SpamComplaint",
  TypeCode: 512,
  Name: "Spam complaint",
  Description: "The subscriber explicitly marked this message as spam.",
});

describe("POST /hooks/postmark", () => {
  it("a Delivery report moves the delivery to delivered; invites.get and the deliveryStatus filter show it", async () => {
    const { t, email, inviteId, messageId, delivery, reportEvents } = await sentInvite();
    const other = await sentInvite();
    expect(await post(deliveryRecord(messageId, email))).toEqual({
      status: 200,
      body: { status: "recorded", deliveryStatus: "delivered" },
    });
    expect(await delivery()).toMatchObject({ status: "delivered", lastError: null, bounce: null });
    const delivered = await t.client.invites.list.query({ organizationId: t.org.id, deliveryStatus: "delivered" });
    expect(delivered.items.map((i) => i.id)).toEqual([inviteId]);
    expect((await t.client.invites.list.query({ organizationId: t.org.id, deliveryStatus: "sent" })).items).toEqual([]);
    expect((await other.delivery()).status).toBe("sent");
    const events = await reportEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "delivery.delivered",
      subject: { type: "delivery", id: (await delivery()).id },
      data: { email, status: "delivered" },
    });
    expect(await other.reportEvents()).toEqual([]);
  });

  it("a Bounce report records Postmark's bounce type, description and whether it is permanent", async () => {
    const hard = await sentInvite();
    expect((await post(bounceRecord(hard.messageId, hard.email))).body).toEqual({
      status: "recorded",
      deliveryStatus: "bounced",
    });
    expect(await hard.delivery()).toMatchObject({
      status: "bounced",
      bounce: {
        type: "HardBounce",
        description: "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        permanent: true,
      },
    });
    const soft = await sentInvite();
    await post(bounceRecord(soft.messageId, soft.email, { Type: "SoftBounce", TypeCode: 4096, Inactive: false }));
    expect((await soft.delivery()).bounce).toMatchObject({ type: "SoftBounce", permanent: false });
    const bounced = await hard.t.client.invites.list.query({ deliveryStatus: "bounced" });
    expect(bounced.items.map((i) => i.id)).toEqual([hard.inviteId]);
  });

  it("a SpamComplaint report moves the delivery to complained", async () => {
    const { email, messageId, delivery, reportEvents } = await sentInvite();
    expect((await post(complaintRecord(messageId, email))).body).toEqual({
      status: "recorded",
      deliveryStatus: "complained",
    });
    expect(await delivery()).toMatchObject({ status: "complained", bounce: null });
    // Told to webhooks and the audit trail as a bounce of type SpamComplaint.
    const events = await reportEvents();
    expect(events.map((e) => e.type)).toEqual(["delivery.bounced"]);
    expect(events[0]?.data).toMatchObject({
      status: "complained",
      bounce: { type: "SpamComplaint", permanent: true },
    });
  });

  it("duplicates and reports out of order are harmless: a report only moves a delivery forward", async () => {
    // Delivered, then delivered again, then a late permanent bounce: bounced.
    const a = await sentInvite();
    await post(deliveryRecord(a.messageId, a.email));
    expect((await post(deliveryRecord(a.messageId, a.email))).body).toEqual({
      status: "ignored",
      reason: "already_final",
      deliveryStatus: "delivered",
    });
    await post(bounceRecord(a.messageId, a.email));
    expect((await a.delivery()).status).toBe("bounced");

    // A permanent bounce is not undone by a delivery report arriving after it, nor by a duplicate.
    const b = await sentInvite();
    await post(bounceRecord(b.messageId, b.email));
    await post(deliveryRecord(b.messageId, b.email));
    await post(bounceRecord(b.messageId, b.email, { Type: "Transient", Inactive: false }));
    expect(await b.delivery()).toMatchObject({ status: "bounced", bounce: { type: "HardBounce", permanent: true } });

    // A temporary bounce can be followed by the delivery; a complaint outranks everything after it.
    const c = await sentInvite();
    await post(bounceRecord(c.messageId, c.email, { Type: "Transient", TypeCode: 2, Inactive: false }));
    expect((await c.delivery()).status).toBe("bounced");
    await post(deliveryRecord(c.messageId, c.email));
    expect((await c.delivery()).status).toBe("delivered");
    await post(complaintRecord(c.messageId, c.email));
    await post(deliveryRecord(c.messageId, c.email));
    await post(bounceRecord(c.messageId, c.email));
    expect((await c.delivery()).status).toBe("complained");

    // The same report many times at once: one change, every answer 200.
    const d = await sentInvite();
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(deliveryRecord(d.messageId, d.email))));
    expect(answers.map((x) => x.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((x) => x.body.status === "recorded")).toHaveLength(1);
    // Each move records its one event; duplicates and outranked reports record none.
    expect((await a.reportEvents()).map((e) => e.type)).toEqual(["delivery.bounced", "delivery.delivered"]);
    expect((await b.reportEvents()).map((e) => e.type)).toEqual(["delivery.bounced"]);
    expect((await c.reportEvents()).map((e) => e.type)).toEqual([
      "delivery.bounced",
      "delivery.delivered",
      "delivery.bounced",
    ]);
    expect((await d.reportEvents()).map((e) => e.type)).toEqual(["delivery.delivered"]);
  });

  it("bad or missing credentials are 401 and change nothing", async () => {
    const { email, messageId, delivery } = await sentInvite();
    for (const authorization of [
      null,
      basic(USER, `${PASSWORD}x`),
      basic(USER, PASSWORD.slice(0, -1)),
      basic("someone", PASSWORD),
      basic(USER, ""),
      `Bearer ${PASSWORD}`,
      "Basic !!!",
      `Basic ${Buffer.from(USER).toString("base64")}`,
    ]) {
      const res = await post(deliveryRecord(messageId, email), authorization);
      expect(res).toEqual({
        status: 401,
        body: {
          error: {
            code: "UNAUTHORIZED",
            reason: "invalid_webhook_credentials",
            message: "Missing or wrong webhook credentials.",
          },
        },
      });
    }
    expect((await delivery()).status).toBe("sent");
  });

  it("without configured credentials the endpoint refuses every report", async () => {
    const { email, messageId, delivery } = await sentInvite();
    expect((await post(deliveryRecord(messageId, email), GOOD, bare.url)).status).toBe(401);
    expect((await post(deliveryRecord(messageId, email), basic("", ""), bare.url)).status).toBe(401);
    expect((await delivery()).status).toBe("sent");
  });

  it("an unknown message id answers 200 and is ignored, so Postmark does not retry it", async () => {
    const { email, delivery } = await sentInvite();
    const before = await h.db.query("select count(*)::int as n from deliveries where status <> 'queued'");
    expect(await post(deliveryRecord(randomUUID(), email))).toEqual({
      status: 200,
      body: { status: "ignored", reason: "unknown_message_id" },
    });
    expect(await post(bounceRecord("not-even-a-uuid", email))).toMatchObject({ status: 200 });
    expect((await delivery()).status).toBe("sent");
    const after = await h.db.query("select count(*)::int as n from deliveries where status <> 'queued'");
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it("other record types are acknowledged and ignored; a body that is not a record is 400", async () => {
    const { email, messageId, delivery } = await sentInvite();
    expect((await post({ RecordType: "Open", MessageID: messageId, Recipient: email })).body).toEqual({
      status: "ignored",
      reason: "record_type_not_tracked",
    });
    for (const body of [
      "{not json",
      "[]",
      JSON.stringify({ MessageID: messageId }),
      JSON.stringify({ RecordType: "Delivery" }),
    ]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { reason: "invalid_report" } });
    }
    expect((await delivery()).status).toBe("sent");
  });

  it("text PostgreSQL cannot store is 400 invalid_report; a long description or an impossible date is no 500", async () => {
    const { email, messageId, delivery, reportEvents } = await sentInvite();
    for (const record of [
      { ...deliveryRecord(messageId, email), MessageID: `${messageId}\u0000` },
      { ...deliveryRecord(messageId, email), DeliveredAt: "2026-12-02T05:00:00Z\u0000" },
      bounceRecord(messageId, email, { Description: "mailbox \udc00 full" }),
      bounceRecord(messageId, email, { Type: "Hard\u0000Bounce" }),
    ]) {
      expect(await post(record)).toMatchObject({ status: 400, body: { error: { reason: "invalid_report" } } });
    }
    expect((await delivery()).status).toBe("sent");
    expect(await reportEvents()).toEqual([]);
    // Postmark's descriptions can be long: the cut at 1,000 characters keeps an emoji whole or drops it.
    const description = `${"x".repeat(999)}\u{1F4EB} and more`;
    expect(
      await post(bounceRecord(messageId, email, { Type: "SoftBounce", Inactive: false, Description: description })),
    ).toEqual({
      status: 200,
      body: { status: "recorded", deliveryStatus: "bounced" },
    });
    expect((await delivery()).bounce?.description).toBe("x".repeat(999));
    const before = Date.now();
    expect(await post({ ...deliveryRecord(messageId, email), DeliveredAt: "-271821-04-20T00:00:00Z" })).toMatchObject({
      status: 200,
      body: { status: "recorded", deliveryStatus: "delivered" },
    });
    const delivered = (await reportEvents()).find((e) => e.type === "delivery.delivered");
    expect(new Date(String(delivered?.data.at)).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it("invites.list refuses an unknown deliveryStatus, naming the field", async () => {
    const { t } = await sentInvite();
    const error = await failure(t.client.invites.list.query({ deliveryStatus: "lost" as never }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(Object.keys(error.fieldErrors ?? {})).toEqual(["deliveryStatus"]);
  });
});

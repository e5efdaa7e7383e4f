import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../src/index.ts";
import {
  ATTEMPTS,
  deliveryOf,
  distinctLinks,
  emailInvite,
  FAST_QUEUE,
  makeTenant,
  onlyLink,
  PUBLIC_URL,
  settled,
  sleep,
  uniqueEmail,
  useWorld,
  waitFor,
} from "./harness.ts";
import { type PostmarkAnswer, type PostmarkStandIn, postmarkError, startPostmarkStandIn } from "./postmark.ts";

const w = useWorld();
let postmark: PostmarkStandIn;
let worker: RunningWorker;

beforeAll(async () => {
  postmark = await startPostmarkStandIn();
  worker = await w.startWorker({
    MAIL_TRANSPORT: "postmark",
    POSTMARK_SERVER_TOKEN: "server-token-for-tests",
    POSTMARK_MESSAGE_STREAM: "invitations",
    POSTMARK_API_URL: postmark.url,
    WORKER_CONCURRENCY: "4",
  });
});

afterAll(async () => {
  await worker?.stop();
  await postmark?.close();
});

/** Answers `answers` in turn to one recipient, then accepts. */
const script = (email: string, answers: PostmarkAnswer[]) => {
  postmark.state.answer = (to, n) => (to === email ? (answers[n - 1] ?? null) : null);
};

describe("through Postmark", () => {
  it("sends one message on the configured stream, tagged, with the delivery in its metadata", async () => {
    const t = await makeTenant(w, "Postco");
    const { inviteId, email } = await emailInvite(t.client, t.org.id);
    const d = await settled(w, inviteId);
    expect(d).toMatchObject({ status: "sent", attempts: 1, token_sealed: null });

    const [request, ...more] = postmark.to(email);
    expect(more).toEqual([]);
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/email/batch");
    expect(request!.headers["x-postmark-server-token"]).toBe("server-token-for-tests");
    const body = request!.body;
    expect(body).toMatchObject({
      From: '"Admit Invitations" <invites@admit.test>',
      To: email,
      Subject: `Postco team invited you to join ${t.org.name}`,
      MessageStream: "invitations",
      Tag: "invitation",
      Metadata: { delivery_id: d.id },
      TrackLinks: "None",
      TrackOpens: false,
    });
    for (const field of ["Cc", "Bcc", "ReplyTo", "Headers", "Attachments"]) expect(body[field]).toBeUndefined();
    const link = onlyLink(String(body.TextBody));
    expect(distinctLinks(String(body.HtmlBody))).toEqual([link.href]);
    expect(`${link.origin}${link.pathname}`).toBe(`${PUBLIC_URL}/invites/accept`);
    const token = link.searchParams.get("token")!;
    expect((await w.client().invites.preview.query({ token })).targets).toHaveLength(1);
  });

  it("a resend is tagged as such", async () => {
    const t = await makeTenant(w, "Again");
    const { inviteId, email } = await emailInvite(t.client, t.org.id);
    await settled(w, inviteId);
    // A resend within a minute of the last email waits for the minute: the first one went out earlier.
    await w.db.query(
      "update deliveries set sent_at = now() - interval '2 minutes' where id = (select delivery_id from invites where id = $1)",
      [inviteId],
    );
    await t.client.invites.resend.mutate({ inviteId });
    await waitFor("the resend", () => postmark.to(email).length === 2);
    expect(postmark.to(email).map((r) => r.body.Tag)).toEqual(["invitation", "invitation-resend"]);
  });

  it("names with line breaks and addresses stay in the subject as one line, and the only recipient is the invitee", async () => {
    const org = await w.root.organizations.create.mutate({ name: "Acme\r\nBcc: stolen@attacker.test" });
    const key = await w.root.apiKeys.create.mutate({
      kind: "organization",
      organizationId: org.id,
      name: "Boss <boss@attacker.test>\r\nCc: cc@attacker.test",
    });
    const email = uniqueEmail("victim");
    const { inviteId } = await emailInvite(w.client(key.secret), org.id, email);
    await settled(w, inviteId);
    const [request] = postmark.to(email);
    const body = request!.body;
    expect(body.To).toBe(email);
    expect(body.Subject).toBe(
      "Boss <boss@attacker.test> Cc: cc@attacker.test invited you to join Acme Bcc: stolen@attacker.test",
    );
    expect(body.From).toBe('"Admit Invitations" <invites@admit.test>');
    for (const field of ["Cc", "Bcc", "ReplyTo", "Headers"]) expect(body[field]).toBeUndefined();
    expect(String(body.HtmlBody)).toContain("Boss &lt;boss@attacker.test&gt;");
  });
});

describe("Postmark failures", () => {
  it.each([
    [300, "Error parsing 'To': Illegal email address 'x'. It must contain the '@' symbol."],
    [406, "You tried to send to recipient(s) that have been marked as inactive."],
  ])(
    "error %i marks the delivery failed with Postmark's reason, visible on the invite, and is not retried",
    async (code, message) => {
      const t = await makeTenant(w, `Code${code}`);
      const email = uniqueEmail(`code${code}`);
      script(email, [postmarkError(422, code, message)]);
      const { inviteId } = await emailInvite(t.client, t.org.id, email);
      const d = await settled(w, inviteId);
      expect(d).toMatchObject({ status: "failed", attempts: 1, last_error: `postmark error ${code}: ${message}` });
      expect((await t.client.invites.get.query({ inviteId })).delivery).toEqual({
        id: d.id,
        status: "failed",
        lastError: `postmark error ${code}: ${message}`,
        bounce: null,
      });
      await sleep(2_500); // longer than any retry delay of the test queue
      expect(postmark.tries(email)).toBe(1);
    },
  );

  it.each<[string, PostmarkAnswer, RegExp]>([
    ["throttling (429)", postmarkError(429, 0, "Rate limit exceeded"), /^postmark http 429: Rate limit exceeded$/],
    ["a server error (500)", postmarkError(500, 0, "Internal server error"), /^postmark http 500: /],
    ["unavailability (503)", { status: 503, body: "Service Unavailable" }, /^postmark http 503: /],
    ["a network error", "drop", /^postmark network error: /],
  ])("%s is retried with backoff, then the email is sent once", async (_name, answer, reason) => {
    const t = await makeTenant(w, "Flaky");
    const email = uniqueEmail("flaky");
    script(email, [answer]);
    const { inviteId } = await emailInvite(t.client, t.org.id, email);
    const during = await waitFor("the failed attempt", async () => {
      const d = await deliveryOf(w, inviteId);
      return d.attempts >= 1 ? d : null;
    });
    expect(during.status).toBe("queued");
    expect(during.last_error).toMatch(reason);
    const d = await settled(w, inviteId);
    expect(d).toMatchObject({ status: "sent", attempts: 2, last_error: null });
    expect(postmark.tries(email)).toBe(2);
    expect(postmark.to(email).filter((r) => r.body.To === email)).toHaveLength(2);
  });

  it("a delivery that keeps failing is marked failed once its retries are used up", async () => {
    const t = await makeTenant(w, "Down");
    const email = uniqueEmail("down");
    postmark.state.answer = (to) => (to === email ? postmarkError(503, 0, "Down for maintenance") : null);
    const { inviteId } = await emailInvite(t.client, t.org.id, email);
    const d = await settled(w, inviteId, 45_000);
    expect(d.status).toBe("failed");
    expect(d.last_error).toBe("retries_exhausted: postmark http 503: Down for maintenance");
    expect(d.token_sealed).toBeNull();
    expect(postmark.tries(email)).toBe(ATTEMPTS(FAST_QUEUE));
    expect((await t.client.invites.get.query({ inviteId })).delivery.status).toBe("failed");
  });
});

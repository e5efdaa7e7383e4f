import { randomUUID } from "node:crypto";
import { DELIVERY_QUEUE } from "@admit/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../src/index.ts";
import {
  deliveryById,
  deliveryOf,
  distinctLinks,
  emailInvite,
  makeTenant,
  onlyLink,
  PUBLIC_URL,
  settled,
  sleep,
  uniqueEmail,
  useWorld,
  waitFor,
} from "./harness.ts";
import { startCuttableProxy } from "./proxy.ts";
import { type SmtpCapture, startSmtpCapture } from "./smtp.ts";

const w = useWorld();
let smtp: SmtpCapture;
let proxy: Awaited<ReturnType<typeof startCuttableProxy>>;
let worker: RunningWorker;

const startSmtpWorker = () =>
  w.startWorker({ MAIL_TRANSPORT: "smtp", SMTP_URL: proxy.url, WORKER_CONCURRENCY: "4" }).then((wk) => {
    worker = wk;
  });

beforeAll(async () => {
  smtp = await startSmtpCapture();
  proxy = await startCuttableProxy(smtp.port);
  await startSmtpWorker();
});

afterAll(async () => {
  await worker?.stop();
  await proxy?.close();
  await smtp?.close();
});

const textOf = (html: string | false) => (html === false ? "" : html);

describe("the invitation email", () => {
  it("an email invite becomes one email naming the inviter and the organization, with one working accept link", async () => {
    const t = await makeTenant(w, "Northwind");
    const { inviteId, email } = await emailInvite(t.client, t.org.id);
    const d = await settled(w, inviteId);
    expect(d).toMatchObject({ status: "sent", attempts: 1, token_sealed: null, last_error: null });
    expect(d.sent_at).toBeInstanceOf(Date);

    const mails = smtp.to(email);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.recipients).toEqual([email]);
    expect(mail.from).toBe("invites@admit.test");
    expect(mail.parsed.subject).toBe(`Northwind team invited you to join ${t.org.name}`);
    expect(mail.parsed.from?.value).toEqual([{ address: "invites@admit.test", name: "Admit Invitations" }]);
    expect(mail.parsed.to && !Array.isArray(mail.parsed.to) && mail.parsed.to.value).toEqual([
      { address: email, name: "" },
    ]);
    expect(mail.parsed.messageId).toBe(`<${d.id}@admit.test>`);
    expect(mail.parsed.headers.get("x-admit-delivery")).toBe(d.id);

    // Plain text with exactly one link; every link of the HTML (the button and the address to
    // copy) is that same one.
    const text = mail.parsed.text ?? "";
    const html = textOf(mail.parsed.html);
    expect(text).toContain(`- ${t.org.name} · Organization · can view`);
    expect(html).toContain(`<strong>${t.org.name}</strong>`);
    const link = onlyLink(text);
    expect(distinctLinks(html)).toEqual([link.href]);
    expect(html.match(/<a\s/g)).toHaveLength(2);
    expect(`${link.origin}${link.pathname}`).toBe(`${PUBLIC_URL}/invites/accept`);

    // The link's token is the invite's: it previews and accepts it.
    const token = link.searchParams.get("token")!;
    const anonymous = w.client();
    const preview = await anonymous.invites.preview.query({ token });
    expect(preview.targets).toEqual([expect.objectContaining({ type: "organization", id: t.org.id })]);
    const accepted = await anonymous.invites.accept.mutate({ token });
    expect(accepted.memberships).toHaveLength(1);
    expect((await t.client.invites.get.query({ inviteId })).status).toBe("accepted");
  });

  it("a bulk request becomes one email listing every invited website, with one link that accepts them all", async () => {
    const t = await makeTenant(w, "Bulkco");
    const sites = await Promise.all(
      ["Blog", "Shop", "Docs"].map((name) => w.root.websites.create.mutate({ organizationId: t.org.id, name })),
    );
    const email = uniqueEmail("bulk");
    const res = await t.client.invites.createBulk.mutate({
      method: "email",
      email,
      role: "edit",
      websiteIds: sites.map((s) => s.id),
    });
    const inviteIds = res.results.map((r) => r.inviteId!);
    expect(new Set(inviteIds).size).toBe(3);
    await settled(w, inviteIds[0]!);

    const mails = smtp.to(email);
    expect(mails).toHaveLength(1);
    const text = mails[0]!.parsed.text ?? "";
    for (const site of ["Blog", "Shop", "Docs"])
      expect(text).toContain(`- ${site} (${t.org.name}) · Website · can edit`);
    expect(mails[0]!.parsed.subject).toBe(`Bulkco team invited you to 3 places at ${t.org.name}`);
    const token = onlyLink(text).searchParams.get("token")!;
    const accepted = await w.client().invites.accept.mutate({ token });
    expect(accepted.memberships).toHaveLength(3);
  });

  it("a bulk invite to groups lists every group and counts them in the subject", async () => {
    const a = await makeTenant(w, "Agency A");
    const groups = await Promise.all(
      [`Portfolio ${randomUUID().slice(0, 6)}`, `Clients ${randomUUID().slice(0, 6)}`].map((name) =>
        w.root.groups.create.mutate({ name }),
      ),
    );
    for (const g of groups) await w.root.groups.addWebsites.mutate({ groupId: g.id, websiteIds: [a.website.id] });
    const email = uniqueEmail("groups");
    const res = await w.root.invites.createBulk.mutate({ method: "email", email, groupIds: groups.map((g) => g.id) });
    await settled(w, res.results[0]!.inviteId!);
    const [mail, ...more] = smtp.to(email);
    expect(more).toEqual([]);
    expect(mail!.parsed.subject).toBe("Admit invited you to 2 places");
    for (const g of groups) expect(mail!.parsed.text).toContain(`- ${g.name} · Group · can view`);
  });
});

describe("what is sent, and what is not", () => {
  it("only invites still pending are sent: a replaced, resent or revoked invite's old email never goes out", async () => {
    await worker.stop();
    const t = await makeTenant(w, "Changes");
    // Replaced: a second invite of the same email to the same target takes over the pending one
    // and its unsent delivery, with a new token.
    const replaced = await emailInvite(t.client, t.org.id);
    const firstDelivery = (await deliveryOf(w, replaced.inviteId)).id;
    await t.client.invites.create.mutate({ organizationId: t.org.id, email: replaced.email, role: "admin" });
    // Resent: a new token and a new delivery.
    const resent = await emailInvite(t.client, t.org.id);
    const resentFirst = (await deliveryOf(w, resent.inviteId)).id;
    await t.client.invites.resend.mutate({ inviteId: resent.inviteId });
    // Revoked before the worker got to it.
    const revoked = await emailInvite(t.client, t.org.id);
    await t.client.invites.revoke.mutate({ inviteId: revoked.inviteId });
    // A bulk email keeps only its still-pending targets.
    const site2 = await w.root.websites.create.mutate({ organizationId: t.org.id, name: "Second site" });
    const bulkEmail = uniqueEmail("partly");
    const bulk = await t.client.invites.createBulk.mutate({
      method: "email",
      email: bulkEmail,
      websiteIds: [t.website.id, site2.id],
    });
    await t.client.invites.revoke.mutate({ inviteId: bulk.results[1]!.inviteId! });

    await startSmtpWorker();
    expect(await settled(w, replaced.inviteId)).toMatchObject({ id: firstDelivery, status: "sent" });
    expect(await settled(w, resent.inviteId)).toMatchObject({ status: "sent" });
    expect(await deliveryById(w, resentFirst)).toMatchObject({ status: "failed", last_error: "superseded" });
    expect(await settled(w, revoked.inviteId)).toMatchObject({ status: "failed", last_error: "no_pending_invites" });
    expect((await t.client.invites.get.query({ inviteId: revoked.inviteId })).delivery).toMatchObject({
      status: "failed",
      lastError: "no_pending_invites",
    });
    await settled(w, bulk.results[0]!.inviteId!);

    // One email each, carrying the current token and role.
    const [replacedMail, ...extra] = smtp.to(replaced.email);
    expect(extra).toEqual([]);
    expect(replacedMail!.parsed.text).toContain("· can manage");
    const token = onlyLink(replacedMail!.parsed.text ?? "").searchParams.get("token")!;
    expect((await w.client().invites.preview.query({ token })).targets[0]).toMatchObject({ role: "admin" });
    expect(smtp.to(resent.email)).toHaveLength(1);
    expect(smtp.to(revoked.email)).toHaveLength(0);
    const [bulkMail] = smtp.to(bulkEmail);
    expect(bulkMail!.parsed.text).toContain(`- ${t.website.name} (${t.org.name}) · Website`);
    expect(bulkMail!.parsed.text).not.toContain("Second site");
  });

  it("a delivery already sent is never sent again, even when its job runs again or twice at once", async () => {
    const t = await makeTenant(w, "Twice");
    smtp.state.delayMs = 300;
    try {
      const { inviteId, email } = await emailInvite(t.client, t.org.id);
      const { id } = await deliveryOf(w, inviteId);
      // Three more jobs for the same delivery, while the first is being sent.
      await Promise.all([1, 2, 3].map(() => w.boss.send(DELIVERY_QUEUE, { deliveryId: id })));
      await settled(w, inviteId);
      await waitFor("every job of the delivery to finish", async () => {
        const jobs = await w.boss.findJobs(DELIVERY_QUEUE, { data: { deliveryId: id } });
        return jobs.length === 4 && jobs.every((j) => j.state === "completed");
      });
      await w.boss.send(DELIVERY_QUEUE, { deliveryId: id });
      await sleep(1_500);
      expect(smtp.to(email)).toHaveLength(1);
      expect(await deliveryById(w, id)).toMatchObject({ status: "sent", attempts: 1 });
    } finally {
      smtp.state.delayMs = 0;
    }
  });
});

describe("failures", () => {
  it("a 5xx rejection of the recipient fails the delivery at once, visible on the invite, and is not retried", async () => {
    const t = await makeTenant(w, "Bounce");
    const email = uniqueEmail("nobody");
    smtp.state.reject = (to) => (to === email ? { code: 550, message: "5.1.1 No such mailbox here" } : null);
    try {
      const { inviteId } = await emailInvite(t.client, t.org.id, email);
      const d = await settled(w, inviteId);
      expect(d).toMatchObject({ status: "failed", attempts: 1, token_sealed: null });
      expect(d.last_error).toMatch(/^smtp 550: .*No such mailbox here/);
      const view = await t.client.invites.get.query({ inviteId });
      expect(view.delivery).toEqual({ id: d.id, status: "failed", lastError: d.last_error, bounce: null });
      expect(view.status).toBe("pending");
      await sleep(2_500); // longer than any retry delay of the test queue
      expect(smtp.tries(email)).toBe(1);
      expect(smtp.to(email)).toHaveLength(0);
    } finally {
      smtp.state.reject = () => null;
    }
  });

  it("a 4xx answer is retried with backoff, then the email is sent once", async () => {
    const t = await makeTenant(w, "Greylist");
    const email = uniqueEmail("greylisted");
    smtp.state.reject = (to, n) =>
      to === email && n <= 2 ? { code: 451, message: "4.7.1 Greylisted, try later" } : null;
    try {
      const { inviteId } = await emailInvite(t.client, t.org.id, email);
      await waitFor(
        "the first failed attempt to be recorded",
        async () => (await deliveryOf(w, inviteId)).attempts >= 1,
      );
      const during = await t.client.invites.get.query({ inviteId });
      expect(during.delivery.status).toBe("queued");
      expect(during.delivery.lastError).toMatch(/^smtp 451: .*Greylisted/);
      const d = await settled(w, inviteId);
      expect(d).toMatchObject({ status: "sent", attempts: 3, last_error: null });
      expect(smtp.tries(email)).toBe(3);
      expect(smtp.to(email)).toHaveLength(1);
    } finally {
      smtp.state.reject = () => null;
    }
  });

  it("a network failure is retried, then the email is sent once", async () => {
    const t = await makeTenant(w, "Outage");
    proxy.cut();
    try {
      const { inviteId, email } = await emailInvite(t.client, t.org.id);
      const during = await waitFor("a failed attempt", async () => {
        const d = await deliveryOf(w, inviteId);
        return d.attempts >= 1 ? d : null;
      });
      expect(during.status).toBe("queued");
      expect(during.last_error).toMatch(/^smtp (ECONNECTION|ESOCKET|ETIMEDOUT)/);
      proxy.restore();
      expect(await settled(w, inviteId)).toMatchObject({ status: "sent", last_error: null });
      expect(smtp.to(email)).toHaveLength(1);
    } finally {
      proxy.restore();
    }
  });
});

describe("header and address injection", () => {
  it("names with line breaks, headers and addresses in them stay text: one recipient, no extra header", async () => {
    const orgName = `Evil Corp\r\nBcc: stolen@attacker.test\r\nX-Injected: org`;
    const org = await w.root.organizations.create.mutate({ name: orgName });
    const key = await w.root.apiKeys.create.mutate({
      kind: "organization",
      organizationId: org.id,
      name: 'Support <help@attacker.test>\nReply-To: "x" <reply@attacker.test>\u202e',
    });
    const site = await w.root.websites.create.mutate({
      organizationId: org.id,
      name: `<script>alert(1)</script>\r\nCc: cc@attacker.test`,
    });
    const client = w.client(key.secret);
    const email = uniqueEmail("target");
    const res = await client.invites.createBulk.mutate({ method: "email", email, websiteIds: [site.id] });
    await settled(w, res.results[0]!.inviteId!);

    const [mail, ...more] = smtp.to(email);
    expect(more).toEqual([]);
    expect(mail!.recipients).toEqual([email]);
    for (const victim of ["stolen@attacker.test", "help@attacker.test", "reply@attacker.test", "cc@attacker.test"]) {
      expect(smtp.tries(victim)).toBe(0);
    }
    const headerBlock = mail!.raw.slice(0, mail!.raw.indexOf("\r\n\r\n"));
    expect(headerBlock).not.toMatch(/^(Bcc|Cc|Reply-To|X-Injected):/im);
    expect(mail!.parsed.headers.has("bcc")).toBe(false);
    expect(mail!.parsed.headers.has("cc")).toBe(false);
    expect(mail!.parsed.headers.has("reply-to")).toBe(false);
    expect(mail!.parsed.headers.has("x-injected")).toBe(false);
    const subject = mail!.parsed.subject ?? "";
    expect(subject).not.toMatch(/[\r\n\u202e]/);
    expect(subject).toBe(
      'Support <help@attacker.test> Reply-To: "x" <reply@attacker.test> invited you to the <script>alert(1)</script> Cc: cc@attacker.test website at Evil Corp Bcc: stolen@attacker.test X-Injected: org',
    );
    expect(mail!.parsed.from?.value).toEqual([{ address: "invites@admit.test", name: "Admit Invitations" }]);
    const html = textOf(mail!.parsed.html);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html.match(/<a\s/g)).toHaveLength(2);
  });

  it("a recipient that is not one plain address is refused before any transport sees it", async () => {
    const t = await makeTenant(w, "Smuggle");
    await worker.stop();
    const { inviteId, email } = await emailInvite(t.client, t.org.id);
    const { id } = await deliveryOf(w, inviteId);
    // Written past the API's validation, as a compromised or buggy writer could.
    await w.db.query("update deliveries set email = $1 where id = $2", [`${email}>, <stolen@attacker.test`, id]);
    await startSmtpWorker();
    const d = await settled(w, inviteId);
    expect(d).toMatchObject({ status: "failed", last_error: "invalid_recipient: not a plain email address" });
    expect(smtp.tries("stolen@attacker.test")).toBe(0);
    expect(smtp.tries(email)).toBe(0);
  });
});

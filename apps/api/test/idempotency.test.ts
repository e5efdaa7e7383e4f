import { randomUUID } from "node:crypto";
import { deleteExpiredIdempotencyKeys } from "@admit/db";
import { describe, expect, it } from "vitest";
import { count, failure, makeTenant, snapshot, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();

interface Raw {
  readonly status: number;
  readonly body: string;
  readonly replayed: boolean;
}

/** A POST with exact headers, answering the raw status and body (to compare answers byte for byte). */
const post = async (path: string, body: unknown, key: string | null, secret: string | null = h.rootKey) => {
  const res = await fetch(`${h.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(secret ? { authorization: `Bearer ${secret}` } : {}),
      ...(key === null ? {} : { "idempotency-key": key }),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.text(), replayed: res.headers.get("idempotent-replayed") === "true" };
};

const errorOf = (raw: Raw) =>
  JSON.parse(raw.body).error as { data?: Record<string, unknown> } & Record<string, unknown>;

const invitesTo = (email: string) => count(h, "select 1 from invites where email = $1", [email]);
const deliveriesTo = (email: string) => count(h, "select 1 from deliveries where email = $1", [email]);
const jobsTo = (email: string) =>
  count(
    h,
    `select 1 from pgboss.job j join deliveries d on d.id = (j.data->>'deliveryId')::uuid
     where j.name = 'invite-delivery' and d.email = $1`,
    [email],
  );

describe("Idempotency-Key", () => {
  it("100 concurrent requests with one key and one body: one invite, one delivery, one job, 100 identical answers", async () => {
    const { org, key } = await makeTenant(h);
    const email = uniqueEmail("hundred");
    const idempotencyKey = randomUUID();
    const input = { organizationId: org.id, method: "email", email, role: "edit" };
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => post("/trpc/invites.create", input, idempotencyKey, key.secret)),
    );
    const first = answers.find((a) => !a.replayed);
    expect(first?.status).toBe(200);
    expect(JSON.parse(first?.body ?? "{}").result.data).toMatchObject({ success: true, inviteId: expect.any(String) });
    for (const a of answers) expect({ status: a.status, body: a.body }).toEqual({ status: 200, body: first?.body });
    expect(answers.filter((a) => a.replayed)).toHaveLength(99);
    expect(await invitesTo(email)).toBe(1);
    expect(await deliveriesTo(email)).toBe(1);
    expect(await jobsTo(email)).toBe(1);
  });

  it("one key with two bodies: one effect, and the other body is CONFLICT idempotency_key_reused", async () => {
    const { org, key } = await makeTenant(h);
    const idempotencyKey = randomUUID();
    const a = uniqueEmail("first");
    const b = uniqueEmail("second");
    const client = h.client(key.secret);
    const call = (email: string) =>
      client.invites.create.mutate({ organizationId: org.id, method: "email", email }, { context: { idempotencyKey } });
    const created = await call(a);
    const error = await failure(call(b));
    expect(error).toMatchObject({ code: "CONFLICT", reason: "idempotency_key_reused", httpStatus: 409 });
    expect(await call(a)).toEqual(created);
    expect(await invitesTo(a)).toBe(1);
    expect(await invitesTo(b)).toBe(0);
    expect(await deliveriesTo(b)).toBe(0);
  });

  it("a key is scoped to its principal: another key's same Idempotency-Key is a request of its own", async () => {
    const one = await makeTenant(h);
    const two = await makeTenant(h);
    const idempotencyKey = randomUUID();
    const email = uniqueEmail("scoped");
    const a = await post(
      "/trpc/invites.create",
      { organizationId: one.org.id, method: "email", email },
      idempotencyKey,
      one.key.secret,
    );
    const b = await post(
      "/trpc/invites.create",
      { organizationId: two.org.id, method: "email", email },
      idempotencyKey,
      two.key.secret,
    );
    expect([a.status, b.status, a.replayed, b.replayed]).toEqual([200, 200, false, false]);
    expect(await invitesTo(email)).toBe(2);
  });

  it("an empty, a 256-character or a non-printable key is BAD_REQUEST naming the header, and writes nothing", async () => {
    const { org, key } = await makeTenant(h);
    const email = uniqueEmail("badkey");
    const before = await snapshot(h);
    for (const bad of ["", "k".repeat(256), "tab\tinside", "caf\u00e9"]) {
      const res = await post(
        "/trpc/invites.create",
        { organizationId: org.id, method: "email", email },
        bad,
        key.secret,
      );
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(errorOf(res).data).toMatchObject({
        code: "BAD_REQUEST",
        reason: "invalid_idempotency_key",
        fieldErrors: { "Idempotency-Key": [expect.stringContaining("255")] },
      });
      const viaRest = await post(
        "/v1/invites",
        { organization_id: org.id, invite_method: "email", email },
        bad,
        key.secret,
      );
      expect(viaRest.status).toBe(400);
      expect(errorOf(viaRest)).toMatchObject({ reason: "invalid_idempotency_key" });
    }
    expect(await snapshot(h)).toEqual(before);
    expect(await count(h, "select 1 from idempotency_keys where key = any($1)", [["", "k".repeat(256)]])).toBe(0);
    const ok = await post(
      "/trpc/invites.create",
      { organizationId: org.id, method: "email", email },
      "k".repeat(255),
      key.secret,
    );
    expect(ok.status).toBe(200);
  });

  it("a refused request is not stored: the corrected retry with the same key goes through", async () => {
    const { org, key } = await makeTenant(h);
    const idempotencyKey = randomUUID();
    const email = uniqueEmail("corrected");
    const bad = await post(
      "/trpc/invites.create",
      { organizationId: org.id, method: "email", email: "not-an-email" },
      idempotencyKey,
      key.secret,
    );
    expect(bad.status).toBe(400);
    const again = await post(
      "/trpc/invites.create",
      { organizationId: org.id, method: "email", email: "not-an-email" },
      idempotencyKey,
      key.secret,
    );
    expect([again.status, again.replayed]).toEqual([400, false]);
    const good = await post(
      "/trpc/invites.create",
      { organizationId: org.id, method: "email", email },
      idempotencyKey,
      key.secret,
    );
    expect([good.status, good.replayed]).toEqual([200, false]);
    expect(await invitesTo(email)).toBe(1);
  });

  it("REST: the retry gets the same status and body, marked Idempotent-Replayed, and direct work is not repeated", async () => {
    const { website, key } = await makeTenant(h);
    const idempotencyKey = randomUUID();
    const email = uniqueEmail("rest");
    const body = { type: "website", website_id: website.id, invite_method: "direct", email };
    const first = await post("/v1/invites", body, idempotencyKey, key.secret);
    const second = await post("/v1/invites", body, idempotencyKey, key.secret);
    expect(first.status).toBe(200);
    expect([second.status, second.body, second.replayed]).toEqual([200, first.body, true]);
    // Without the key, the same request is a new one: the person is already a member.
    const plain = await post("/v1/invites", body, null, key.secret);
    expect(plain.status).toBe(409);
    expect(await count(h, "select 1 from users where email = $1", [email])).toBe(1);
  });

  it("no stored answer holds a secret in clear, however the path is spelled; each replays whole", async () => {
    const { org, key } = await makeTenant(h);
    const { userId } = (await h.root.invites.create.mutate({
      organizationId: org.id,
      method: "direct",
      email: uniqueEmail("secret"),
    })) as { userId: string };
    const hook = await h.root.webhooks.create.mutate({ organizationId: org.id, url: "http://127.0.0.1:9/hook" });
    const link = await h.root.linkInvites.create.mutate({ organizationId: org.id, role: "read" });
    const calls: Array<[string, unknown, string]> = [
      ["/trpc/apiKeys.create", { kind: "organization", organizationId: org.id, name: "keyed" }, key.secret],
      ["/trpc/apiKeys.create/", { kind: "organization", organizationId: org.id, name: "slash" }, key.secret],
      ["/trpc/users.issueToken", { userId }, h.rootKey],
      ["/trpc/webhooks.create", { url: "http://127.0.0.1:9/keyed" }, key.secret],
      ["/trpc/webhooks.rotateSecret", { webhookId: hook.id }, h.rootKey],
      ["/trpc/linkInvites.create", { organizationId: org.id, role: "edit" }, key.secret],
      ["/trpc/linkInvites.update", { organizationId: org.id, inviteId: link.id, maxUses: 5 }, key.secret],
      [`/v1/orgs/${org.id}/link-invites`, { role: "review" }, key.secret],
    ];
    for (const [path, body, secret] of calls) {
      const idempotencyKey = randomUUID();
      const first = await post(path, body, idempotencyKey, secret);
      expect(first.status, path).toBeLessThan(300);
      const parsed = JSON.parse(first.body) as { result?: { data: Record<string, unknown> } } & Record<string, unknown>;
      const data = parsed.result?.data ?? parsed;
      const shown = String(data.secret ?? data.token ?? data.url);
      expect(shown, path).toMatch(/.{20}/);
      const { rows } = await h.db.query<{ stored: string }>(
        "select response_body as stored from idempotency_keys where key = $1",
        [idempotencyKey],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.stored, path).toMatch(/^sealed:v1:/);
      expect(rows[0]?.stored, path).not.toContain(shown.slice(-20));
      const again = await post(path, body, idempotencyKey, secret);
      expect([again.status, again.body, again.replayed], path).toEqual([first.status, first.body, true]);
    }
    expect(await count(h, "select 1 from api_keys where name in ('keyed', 'slash')")).toBe(2);
  });

  it("a stored answer that no longer opens (another TOKEN_ENCRYPTION_KEY) is a CONFLICT, not a second run", async () => {
    const { org, key } = await makeTenant(h);
    const email = uniqueEmail("unsealed");
    const idempotencyKey = randomUUID();
    const input = { organizationId: org.id, method: "email", email };
    expect((await post("/trpc/invites.create", input, idempotencyKey, key.secret)).status).toBe(200);
    await h.db.query("update idempotency_keys set response_body = 'sealed:v1:AAAA' where key = $1", [idempotencyKey]);
    const again = await post("/trpc/invites.create", input, idempotencyKey, key.secret);
    expect(again.status).toBe(409);
    expect(errorOf(again).data).toMatchObject({ reason: "idempotency_key_reused" });
    expect(again.body).not.toMatch(/decrypt|cipher|auth tag/i);
    expect(await invitesTo(email)).toBe(1);
    expect(await deliveriesTo(email)).toBe(1);
  });

  it("bulk email and resend through the client: a retry sends no second email", async () => {
    const { org, website, key } = await makeTenant(h);
    const client = h.client(key.secret);
    const email = uniqueEmail("bulk");
    const bulkKey = randomUUID();
    const bulk = () =>
      client.invites.createBulk.mutate(
        { method: "email", email, websiteIds: [website.id] },
        { context: { idempotencyKey: bulkKey } },
      );
    const first = await bulk();
    expect(await bulk()).toEqual(first);
    expect(await deliveriesTo(email)).toBe(1);
    const inviteId = first.results[0]?.inviteId as string;
    const resendKey = randomUUID();
    const resend = () => client.invites.resend.mutate({ inviteId }, { context: { idempotencyKey: resendKey } });
    const resent = await resend();
    expect(await resend()).toEqual(resent);
    expect(await deliveriesTo(email)).toBe(2);
    expect(org.id).toBeDefined();
  });

  it("public mutations take a key too: a retried accept answers the first success", async () => {
    const { org, key } = await makeTenant(h);
    const email = uniqueEmail("accept");
    const created = await h
      .client(key.secret)
      .invites.create.mutate({ organizationId: org.id, method: "email", email });
    const token = await h.acceptToken((created as { inviteId: string }).inviteId);
    const idempotencyKey = randomUUID();
    const a = await post("/trpc/invites.accept", { token }, idempotencyKey, null);
    const b = await post("/trpc/invites.accept", { token }, idempotencyKey, null);
    expect(a.status).toBe(200);
    expect([b.status, b.body, b.replayed]).toEqual([200, a.body, true]);
    const c = await post("/trpc/invites.accept", { token }, null, null);
    expect(c.status).toBe(409);
  });

  it("queries ignore the header; a keyed batch of several calls is refused", async () => {
    const { org, key } = await makeTenant(h);
    const res = await fetch(
      `${h.url}/trpc/organizations.get?input=${encodeURIComponent(JSON.stringify({ organizationId: org.id }))}`,
      { headers: { authorization: `Bearer ${key.secret}`, "idempotency-key": "" } },
    );
    expect(res.status).toBe(200);
    const batch = await post(
      "/trpc/invites.create,invites.create?batch=1",
      {
        0: { organizationId: org.id, method: "email", email: uniqueEmail("b1") },
        1: { organizationId: org.id, method: "email", email: uniqueEmail("b2") },
      },
      randomUUID(),
      key.secret,
    );
    expect(batch.status).toBe(400);
    expect(batch.body).toContain("invalid_idempotency_key");
    // The comma written %2C is still two calls.
    const encoded = await post(
      "/trpc/invites.create%2Cinvites.create?batch=1",
      {
        0: { organizationId: org.id, method: "email", email: uniqueEmail("e1") },
        1: { organizationId: org.id, method: "email", email: uniqueEmail("e2") },
      },
      randomUUID(),
      key.secret,
    );
    expect(encoded.status).toBe(400);
    expect(encoded.body).toContain("invalid_idempotency_key");
    expect(await count(h, "select 1 from invites where organization_id = $1", [org.id])).toBe(0);
  });

  it("expired keys are taken over by a new request and deleted by the cleanup", async () => {
    const { org, key } = await makeTenant(h);
    const idempotencyKey = randomUUID();
    const email = uniqueEmail("expired");
    const input = { organizationId: org.id, method: "email", email };
    await post("/trpc/invites.create", input, idempotencyKey, key.secret);
    await h.db.query("update idempotency_keys set expires_at = now() - interval '1 second' where key = $1", [
      idempotencyKey,
    ]);
    const again = await post("/trpc/invites.create", input, idempotencyKey, key.secret);
    expect([again.status, again.replayed]).toEqual([200, false]);
    await h.db.query("update idempotency_keys set expires_at = now() - interval '1 second' where key = $1", [
      idempotencyKey,
    ]);
    expect(await deleteExpiredIdempotencyKeys(h.api.orm)).toBeGreaterThanOrEqual(1);
    expect(await count(h, "select 1 from idempotency_keys where key = $1", [idempotencyKey])).toBe(0);
    expect(await count(h, "select 1 from pgboss.schedule where name = 'idempotency-cleanup'")).toBe(1);
  });
});

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { count, failure, makeTenant, snapshot, uniqueEmail, useHarness } from "./harness.ts";

const h = useHarness();

const setLimit = (organizationId: string, limit: number | null) =>
  h.db.query("update organizations set email_invites_per_hour = $2 where id = $1", [organizationId, limit]);

describe("email quota", () => {
  it("an organization's own limit: past it, TOO_MANY_REQUESTS with retryAfter, nothing written", async () => {
    const { org, website, client } = await makeTenant(h);
    await setLimit(org.id, 2);
    await client.invites.create.mutate({ organizationId: org.id, method: "email", email: uniqueEmail("q") });
    // A bulk email is one email, whatever the number of targets.
    await client.invites.createBulk.mutate({ method: "email", email: uniqueEmail("q"), websiteIds: [website.id] });
    // Direct invites send nothing and count nothing.
    await client.organizations.inviteUsers.mutate({ organizationId: org.id, emails: [uniqueEmail("d")] });
    await client.invites.create.mutate({ organizationId: org.id, method: "direct", email: uniqueEmail("d") });
    const before = await snapshot(h);
    const error = await failure(
      client.invites.create.mutate({ organizationId: org.id, method: "email", email: uniqueEmail("q") }),
    );
    expect(error).toMatchObject({ code: "TOO_MANY_REQUESTS", reason: "email_quota_exceeded", httpStatus: 429 });
    expect((error as unknown as { retryAfter: number }).retryAfter).toBeGreaterThan(3500);
    expect(await snapshot(h)).toEqual(before);
    const bulk = await failure(
      client.invites.createBulk.mutate({ method: "email", email: uniqueEmail("q"), websiteIds: [website.id] }),
    );
    expect(bulk).toMatchObject({ reason: "email_quota_exceeded" });
    // Raising the limit lets the next one through at once.
    await setLimit(org.id, 3);
    await client.invites.create.mutate({ organizationId: org.id, method: "email", email: uniqueEmail("q") });
  });

  it("one email to websites of two organizations, one of them full: refused, and neither counts it", async () => {
    const roomy = await makeTenant(h);
    const full = await makeTenant(h);
    await setLimit(roomy.org.id, 5);
    await setLimit(full.org.id, 1);
    await full.client.invites.create.mutate({ organizationId: full.org.id, method: "email", email: uniqueEmail("q") });
    const used = () =>
      h.db
        .query<{ organization_id: string; used: number }>(
          "select organization_id, used from email_quota_windows where organization_id = any($1::uuid[]) order by organization_id",
          [[roomy.org.id, full.org.id]],
        )
        .then((r) => new Map(r.rows.map((w) => [w.organization_id, w.used])));
    const before = await snapshot(h);
    const countsBefore = await used();
    const error = await failure(
      h.root.invites.createBulk.mutate({
        method: "email",
        email: uniqueEmail("q"),
        websiteIds: [roomy.website.id, full.website.id],
      }),
    );
    expect(error).toMatchObject({ code: "TOO_MANY_REQUESTS", reason: "email_quota_exceeded" });
    expect(await snapshot(h)).toEqual(before);
    expect(await used()).toEqual(countsBefore);
    // With room in both, the same email counts once against each.
    await setLimit(full.org.id, 2);
    await h.root.invites.createBulk.mutate({
      method: "email",
      email: uniqueEmail("q"),
      websiteIds: [roomy.website.id, full.website.id],
    });
    expect(await used()).toEqual(
      new Map([
        [roomy.org.id, (countsBefore.get(roomy.org.id) ?? 0) + 1],
        [full.org.id, 2],
      ]),
    );
  });

  it("resend counts against the quota", async () => {
    const { org, client } = await makeTenant(h);
    await setLimit(org.id, 1);
    const created = await client.invites.create.mutate({
      organizationId: org.id,
      method: "email",
      email: uniqueEmail("r"),
    });
    const error = await failure(client.invites.resend.mutate({ inviteId: (created as { inviteId: string }).inviteId }));
    expect(error).toMatchObject({ reason: "email_quota_exceeded" });
  });

  it("REST answers 429 with Retry-After and the IETF RateLimit and RateLimit-Policy headers", async () => {
    const { org, key } = await makeTenant(h);
    await setLimit(org.id, 1);
    const invite = (idempotencyKey: string) =>
      fetch(`${h.url}/v1/invites`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key.secret}`,
          "content-type": "application/json",
          "idempotency-key": idempotencyKey,
        },
        body: JSON.stringify({ organization_id: org.id, invite_method: "email", email: uniqueEmail("rest") }),
      });
    expect((await invite(randomUUID())).status).toBe(200);
    const refusedKey = randomUUID();
    const res = await invite(refusedKey);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(res.headers.get("ratelimit-policy")).toBe('"email_invites";q=1;w=3600');
    expect(res.headers.get("ratelimit")).toBe(`"email_invites";r=0;t=${retryAfter}`);
    expect(await res.json()).toEqual({
      error: { code: "TOO_MANY_REQUESTS", reason: "email_quota_exceeded", message: expect.any(String), retryAfter },
    });
    // A refusal is not stored under its key: once there is room, the same key goes through.
    await setLimit(org.id, 2);
    expect((await invite(refusedKey)).status).toBe(200);
    expect(await count(h, "select 1 from invites where organization_id = $1", [org.id])).toBe(2);
  });
});

import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { count, makeTenant, uniqueEmail, useHarness } from "./harness.ts";
import { type ApiProcess, spawnApi, waitFor } from "./processes.ts";

const h = useHarness();
const children: ApiProcess[] = [];

const start = async (extra: Record<string, string> = {}) => {
  const p = await spawnApi({
    DATABASE_URL: inject("databaseUrl"),
    ADMIT_ROOT_KEY: h.rootKey,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    PUBLIC_URL: "http://admit.test",
    ...extra,
  });
  children.push(p);
  return p;
};

afterAll(async () => {
  for (const p of children) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(children.map((p) => p.exited));
});

const createInvite = (url: string, secret: string, body: unknown, idempotencyKey?: string) =>
  fetch(`${url}/trpc/invites.create`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${secret}`,
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
    },
    body: JSON.stringify(body),
  });

const effectsFor = async (email: string) => ({
  invites: await count(h, "select 1 from invites where email = $1", [email]),
  deliveries: await count(h, "select 1 from deliveries where email = $1", [email]),
  jobs: await count(
    h,
    `select 1 from pgboss.job j join deliveries d on d.id = (j.data->>'deliveryId')::uuid
     where j.name = 'invite-delivery' and d.email = $1`,
    [email],
  ),
});

describe("API processes", () => {
  it("a process killed in the middle of an idempotent request leaves nothing; the retry does it exactly once", async () => {
    const { org, key } = await makeTenant(h);
    const email = uniqueEmail("killed");
    const idempotencyKey = randomUUID();
    const body = { organizationId: org.id, method: "email", email };

    const [first, second] = await Promise.all([start(), start()]);
    // Hold the invites table so that the request stops inside its transaction, after its key,
    // delivery and job are written and before the invite is.
    const blocker = new pg.Client({ connectionString: inject("databaseUrl") });
    await blocker.connect();
    try {
      await blocker.query("begin");
      await blocker.query("lock table invites in share mode");
      const pending = createInvite(first.url, key.secret, body, idempotencyKey).then(
        (r) => r.status,
        () => "connection lost",
      );
      await waitFor("the request to wait on the invites table", async () => {
        const { rows } = await blocker.query(
          `select count(*)::int as n from pg_locks l join pg_class c on c.oid = l.relation
           where c.relname = 'invites' and not l.granted`,
        );
        return rows[0].n > 0;
      });
      first.child.kill("SIGKILL");
      expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
      expect(await pending).toBe("connection lost");
      await blocker.query("commit");
    } finally {
      await blocker.end();
    }
    expect(await effectsFor(email)).toEqual({ invites: 0, deliveries: 0, jobs: 0 });
    expect(await count(h, "select 1 from idempotency_keys where key = $1", [idempotencyKey])).toBe(0);

    const retry = await createInvite(second.url, key.secret, body, idempotencyKey);
    const retried = await retry.text();
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    const again = await createInvite(second.url, key.secret, body, idempotencyKey);
    expect([again.status, await again.text(), again.headers.get("idempotent-replayed")]).toEqual([
      200,
      retried,
      "true",
    ]);
    expect(await effectsFor(email)).toEqual({ invites: 1, deliveries: 1, jobs: 1 });
    second.child.kill("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 420_000);

  it("an hourly limit of 20, 40 concurrent email invites over two processes: 20 accepted, 20 refused with retryAfter", async () => {
    const { org, key } = await makeTenant(h);
    const [a, b] = await Promise.all([
      start({ EMAIL_INVITES_PER_HOUR: "20" }),
      start({ EMAIL_INVITES_PER_HOUR: "20" }),
    ]);
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const email = uniqueEmail(`quota${i}`);
        const res = await createInvite((i % 2 === 0 ? a : b).url, key.secret, {
          organizationId: org.id,
          method: "email",
          email,
        });
        return { email, status: res.status, body: (await res.json()) as Record<string, any> };
      }),
    );
    const accepted = answers.filter((x) => x.status === 200);
    const refused = answers.filter((x) => x.status === 429);
    expect(accepted).toHaveLength(20);
    expect(refused).toHaveLength(20);
    for (const r of refused) {
      expect(r.body.error.data).toMatchObject({
        code: "TOO_MANY_REQUESTS",
        reason: "email_quota_exceeded",
        retryAfter: expect.any(Number),
      });
      expect(r.body.error.data.retryAfter).toBeGreaterThan(0);
      expect(r.body.error.data.retryAfter).toBeLessThanOrEqual(3600);
    }
    // Exactly 20 of 40 over two processes: with a count per process each would have taken 20.
    expect(await count(h, "select 1 from invites where organization_id = $1", [org.id])).toBe(20);
    expect(await count(h, "select distinct delivery_id from invites where organization_id = $1", [org.id])).toBe(20);
    expect(
      await count(
        h,
        "select 1 from deliveries d where exists (select 1 from invites i where i.delivery_id = d.id and i.organization_id = $1)",
        [org.id],
      ),
    ).toBe(20);
    expect(
      await count(h, "select 1 from deliveries where email = any($1)", [refused.map((r) => r.email)]),
      "a refused invite writes no delivery",
    ).toBe(0);
    const { rows } = await h.db.query("select used from email_quota_windows where organization_id = $1", [org.id]);
    expect(rows).toEqual([{ used: 20 }]);
    for (const p of [a, b]) p.child.kill("SIGTERM");
    await Promise.all([a.exited, b.exited]);
  }, 420_000);
});

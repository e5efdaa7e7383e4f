/**
 * Authentication is served from each process's credential cache, yet a revoked key is refused at
 * once by every API process: two real API processes on one database, a key cached in both,
 * revoked through one and refused by the other on the very next request (the revocation is
 * answered once every listening process has acknowledged dropping the key).
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawnApi } from "./processes.ts";

const rootKey = `root_${randomBytes(24).toString("base64url")}`;
const children: ChildProcess[] = [];
let db: pg.Pool;
let a: string;
let b: string;

const startApi = async (): Promise<string> => {
  const api = await spawnApi({
    DATABASE_URL: inject("databaseUrl"),
    PUBLIC_URL: "http://admit.test",
    ADMIT_ROOT_KEY: rootKey,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
  });
  children.push(api.child);
  return api.url;
};

const trpc = async (
  base: string,
  kind: "query" | "mutation",
  path: string,
  input: unknown,
  secret: string,
  idempotencyKey?: string,
) => {
  const res = await fetch(
    kind === "query"
      ? `${base}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`
      : `${base}/trpc/${path}`,
    {
      method: kind === "query" ? "GET" : "POST",
      headers: {
        authorization: `Bearer ${secret}`,
        "content-type": "application/json",
        ...(idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey }),
      },
      ...(kind === "mutation" ? { body: JSON.stringify(input) } : {}),
    },
  );
  const body = (await res.json()) as { result?: { data: any } };
  return { status: res.status, data: body.result?.data };
};

/** An authenticated read with the key: 200 when it is accepted, 401 when not. */
const statusWith = async (base: string, secret: string) =>
  (await trpc(base, "query", "invites.list", { limit: 1 }, secret)).status;

const newKey = async () => {
  const org = await trpc(
    a,
    "mutation",
    "organizations.create",
    { name: `Cache ${randomBytes(3).toString("hex")}` },
    rootKey,
  );
  const key = await trpc(
    a,
    "mutation",
    "apiKeys.create",
    { kind: "organization", organizationId: org.data.id, name: "Cached key" },
    rootKey,
  );
  return key.data as { id: string; secret: string };
};

/** Changes a key's revocation behind every cache's back: triggers do not fire in replica mode, so nothing is notified. */
const silently = async (keyId: string, revoked: boolean) => {
  const client = await db.connect();
  try {
    await client.query("set session_replication_role = replica");
    await client.query(`update api_keys set revoked_at = ${revoked ? "now()" : "null"} where id = $1`, [keyId]);
    await client.query("set session_replication_role = origin");
  } finally {
    client.release();
  }
};

/**
 * Proves `base` serves the key from its cache: a silent revocation (no notification) leaves it
 * accepted. Retries while the process is still subscribing (until then it reads the database).
 */
const provenCached = async (base: string, keyId: string, secret: string) => {
  for (let attempt = 0; attempt < 200; attempt++) {
    await silently(keyId, false);
    expect(await statusWith(base, secret)).toBe(200);
    await silently(keyId, true);
    const status = await statusWith(base, secret);
    await silently(keyId, false);
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base} never served the key from its cache`);
};

const listeners = async () =>
  (
    await db.query<{ pid: number }>(
      "select pid from pg_stat_activity where application_name = 'admit-credential-listener' and datname = current_database()",
    )
  ).rows.map((r) => r.pid);

beforeAll(async () => {
  db = new pg.Pool({ connectionString: inject("databaseUrl"), max: 2 });
  [a, b] = await Promise.all([startApi(), startApi()]);
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await db?.end();
});

describe("credential cache across processes", () => {
  it("refuses a key revoked in one process on the next request to another that had it cached", async () => {
    const key = await newKey();
    await provenCached(b, key.id, key.secret);
    await provenCached(a, key.id, key.secret);

    const revoked = await trpc(a, "mutation", "apiKeys.revoke", { apiKeyId: key.id }, rootKey);
    expect(revoked.status).toBe(200);
    expect(await statusWith(b, key.secret)).toBe(401);
    expect(await statusWith(a, key.secret)).toBe(401);
  });

  it("refuses it as well when the revocation is a keyed request, committed with its stored answer", async () => {
    const key = await newKey();
    await provenCached(b, key.id, key.secret);
    await provenCached(a, key.id, key.secret);

    const revoked = await trpc(a, "mutation", "apiKeys.revoke", { apiKeyId: key.id }, rootKey, randomUUID());
    expect(revoked.status).toBe(200);
    expect(await statusWith(b, key.secret)).toBe(401);
    expect(await statusWith(a, key.secret)).toBe(401);
  });

  it("refuses a key revoked by any SQL that fires the trigger, not only through the API", async () => {
    const key = await newKey();
    await provenCached(b, key.id, key.secret);
    // PostgreSQL hands the notification to each listening process on its own schedule; each
    // acknowledges it once its cache has dropped the key. This test waits for every listener's
    // acknowledgement, as the revoking API process does.
    const listener = new pg.Client({ connectionString: inject("databaseUrl") });
    await listener.connect();
    try {
      await listener.query("listen admit_credentials_ack");
      const expected = await listeners();
      const acknowledged = new Set<number>();
      const all = new Promise<string>((r) =>
        listener.on("notification", (n) => {
          const [payload, pid] = (n.payload ?? "").split("|");
          acknowledged.add(Number(pid));
          if (expected.every((p) => acknowledged.has(p))) r(payload ?? "");
        }),
      );
      await db.query("update api_keys set revoked_at = now() where id = $1", [key.id]);
      expect(await all).toMatch(/^k:[0-9a-f]{64}$/);
    } finally {
      await listener.end();
    }
    expect(await statusWith(b, key.secret)).toBe(401);
  });

  it("a user's changed name and its deletion notify; an upsert that changes nothing does not", async () => {
    const listener = new pg.Client({ connectionString: inject("databaseUrl") });
    await listener.connect();
    const heard: string[] = [];
    listener.on("notification", (n) => heard.push(n.payload ?? ""));
    try {
      await listener.query("listen admit_credentials");
      const id = randomUUID();
      const email = `cache-${id.slice(0, 8)}@example.com`;
      await db.query("insert into users (id, email) values ($1, $2)", [id, email]);
      await db.query(
        `insert into users (id, email) values ($1, $2)
         on conflict (email) do update set first_name = coalesce(users.first_name, excluded.first_name)`,
        [randomUUID(), email],
      );
      await db.query("update users set first_name = 'Ada' where id = $1", [id]);
      await db.query("delete from users where id = $1", [id]);
      // A round trip on the listening connection: notifications committed before it have arrived.
      await listener.query("select 1");
      expect(heard.filter((p) => p === `u:${id}`)).toHaveLength(2);
    } finally {
      await listener.end();
    }
  });

  it("drops and bypasses the cache while its listening connection is lost, then caches again", async () => {
    const key = await newKey();
    await provenCached(b, key.id, key.secret);
    const before = await listeners();
    expect(before.length).toBeGreaterThanOrEqual(2);
    await db.query("select pg_terminate_backend(pid) from unnest($1::int[]) pid", [before]);
    for (let i = 0; i < 300 && (await listeners()).some((pid) => before.includes(pid)); i++)
      await new Promise((r) => setTimeout(r, 50));

    // Revoked without any listener to hear it: the process must not answer from what it had cached.
    await silently(key.id, true);
    expect(await statusWith(b, key.secret)).toBe(401);
    await silently(key.id, false);

    // Once subscribed again, lookups are cached again.
    await provenCached(b, key.id, key.secret);
  });
});

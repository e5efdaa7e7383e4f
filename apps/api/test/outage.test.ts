import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, migrate, type RunningPostgres, startEmbeddedPostgres } from "@admit/db";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, loadConfig, startApiServer } from "../src/index.ts";
import { type RawAnswer, raw } from "./http.ts";

/**
 * The database goes away under load and comes back: in between, every answer is a 503 with
 * Retry-After and the reason `database_unavailable` (never a 500), and the first request after
 * PostgreSQL is back succeeds. Runs on a PostgreSQL of its own, so stopping it disturbs no other test.
 */
let dir: string;
let dataDir: string;
let port: number;
let postgres: RunningPostgres | undefined;
let api: ApiServer;
let url: string;
const rootKey = `root_${randomBytes(24).toString("base64url")}`;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

const startPostgres = async () => {
  postgres = await startEmbeddedPostgres({ dataDir, port, throwaway: false });
  return postgres;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "admit-outage-"));
  // When run as root, PostgreSQL runs as the `postgres` user, which must reach the data directory.
  await chmod(dir, 0o755);
  dataDir = join(dir, "data");
  port = await freePort();
  const server = await startPostgres();
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query("create database admit");
  await admin.end();
  await migrate(server.urlFor("admit"));
  api = await startApiServer(
    loadConfig({
      DATABASE_URL: server.urlFor("admit"),
      PORT: "0",
      HOST: "127.0.0.1",
      ADMIT_ROOT_KEY: rootKey,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    }),
  );
  url = api.url;
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await api?.close();
  await postgres?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

const headers = { authorization: `Bearer ${rootKey}`, "content-type": "application/json" };
const createOrg = () =>
  raw(url, { method: "POST", path: "/trpc/organizations.create", headers, body: '{"name":"Outage"}', agent });
const listOrgs = () => raw(url, { method: "GET", path: "/trpc/organizations.list", headers, agent });
const listLinks = (orgId: string) =>
  raw(url, { method: "GET", path: `/v1/orgs/${orgId}/link-invites`, headers, agent });

const expectUnavailable = (answer: RawAnswer, protocol: "trpc" | "rest") => {
  expect(answer.status, answer.text).toBe(503);
  expect(answer.headers["retry-after"]).toMatch(/^\d+$/);
  if (protocol === "trpc") {
    expect(answer.json.error.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", reason: "database_unavailable" });
  } else {
    expect(answer.json.error).toMatchObject({ code: "SERVICE_UNAVAILABLE", reason: "database_unavailable" });
  }
  expect(answer.json.error.message).not.toMatch(/ECONN|terminat|postgres|sql/i);
};

describe("readiness", () => {
  it("is 503 database_not_migrated on a database without this build's migrations, 200 once migrated", async () => {
    const server = postgres as RunningPostgres;
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    await admin.query("create database unmigrated");
    await admin.end();
    const fresh = await startApiServer(
      loadConfig({
        DATABASE_URL: server.urlFor("unmigrated"),
        PORT: "0",
        HOST: "127.0.0.1",
        ADMIT_ROOT_KEY: rootKey,
        TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
      }),
    );
    try {
      const before = await raw(fresh.url, { method: "GET", path: "/readyz" });
      expect(before.status).toBe(503);
      expect(before.json).toEqual({ status: "database_not_migrated" });
      await migrate(server.urlFor("unmigrated"));
      const after = await raw(fresh.url, { method: "GET", path: "/readyz" });
      expect(after.status).toBe(200);
      expect(after.json).toEqual({ status: "ready" });
    } finally {
      await fresh.close();
    }
  }, 120_000);
});

describe("database outage", () => {
  it("answers 503 with Retry-After while PostgreSQL is away and recovers as soon as it is back", async () => {
    const org = (await createOrg()).json.result.data as { id: string };
    // Load on 12 keep-alive connections while PostgreSQL stops: each answer is a success or a 503.
    let running = true;
    const seen: RawAnswer[] = [];
    const loops = Array.from({ length: 12 }, async (_, i) => {
      while (running) {
        const answer = await (i % 3 === 0 ? createOrg() : i % 3 === 1 ? listOrgs() : listLinks(org.id));
        seen.push(answer);
      }
    });
    while (seen.length < 50) await new Promise((r) => setTimeout(r, 20));
    await postgres?.stop();
    postgres = undefined;
    const atStop = seen.length;
    while (seen.length < atStop + 100) await new Promise((r) => setTimeout(r, 20));
    running = false;
    await Promise.all(loops);

    const statuses = new Map<number, number>();
    for (const answer of seen) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    console.log(`[outage] under load: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(" ")}`);
    expect([...statuses.keys()].sort()).toEqual([200, 503]);
    for (const answer of seen.filter((a) => a.status === 503)) {
      expectUnavailable(answer, answer.json?.error?.data ? "trpc" : "rest");
    }

    // While it is down: every kind of request says so, and readiness fails.
    expectUnavailable(await createOrg(), "trpc");
    expectUnavailable(await listOrgs(), "trpc");
    expectUnavailable(await listLinks(org.id), "rest");
    expect((await raw(url, { method: "GET", path: "/readyz", agent })).status).toBe(503);

    // Back: the very first request after PostgreSQL accepts connections again succeeds.
    await startPostgres();
    const restarted = performance.now();
    const first = await createOrg();
    const firstMs = performance.now() - restarted;
    expect(first.status, first.text).toBe(200);
    expect((await listLinks(org.id)).status).toBe(200);
    expect((await raw(url, { method: "GET", path: "/readyz", agent })).status).toBe(200);
    console.log(`[outage] first request after restart answered 200 in ${firstMs.toFixed(0)} ms`);
  }, 180_000);
});

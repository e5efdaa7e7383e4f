import { randomBytes, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { type ApiServer, loadConfig, startApiServer } from "@admit/api";
import { type NodeProcess, spawnNode } from "@admit/api/testing";
import { type AdmitClient, createAdmitClient } from "@admit/client";
import {
  DELIVERY_DEAD_LETTER_QUEUE,
  DELIVERY_QUEUE,
  DELIVERY_RETRY_QUEUE,
  type DeliveryQueueSettings,
  installDeliveryQueue,
} from "@admit/db";
import type {} from "@admit/db/testing";
import pg from "pg";
import { PgBoss } from "pg-boss";
import { afterAll, beforeAll, inject } from "vitest";
import { loadWorkerConfig, type RunningWorker, startWorker } from "../src/index.ts";

/** Short retries in both phases, so that a test sees retries run out within seconds. */
export const FAST_QUEUE: DeliveryQueueSettings = {
  quick: { retryLimit: 2, retryDelay: 1, retryDelayMax: 2, heartbeatSeconds: 10, expireInSeconds: 60 },
  slow: { retryLimit: 1, retryDelay: 1, retryDelayMax: 2, heartbeatSeconds: 10, expireInSeconds: 60 },
};

/** Every attempt a delivery gets before it is given up: the first, then the retries of both phases. */
export const ATTEMPTS = (s: DeliveryQueueSettings) => 1 + s.quick.retryLimit + 1 + s.slow.retryLimit;

export const PUBLIC_URL = "http://admit.test";
/** Test receivers listen on 127.0.0.1, which webhooks may reach only because it is allowed here. */
export const WEBHOOK_ALLOWED_HOSTS = "127.0.0.1,localhost";
export const MAIL_FROM = "Admit Invitations <invites@admit.test>";
export const WORKER_MAIN = resolve(import.meta.dirname, "../src/main.ts");

export const uniqueEmail = (label = "person") => `${label}.${randomUUID().slice(0, 12)}@example.com`;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it answers something truthy. */
export const waitFor = async <T>(
  what: string,
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 30_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
};

export interface World {
  readonly databaseUrl: string;
  readonly api: ApiServer;
  readonly root: AdmitClient;
  readonly db: pg.Pool;
  /** A queue client of the test's own, to send jobs the API would not (duplicates). */
  readonly boss: PgBoss;
  readonly tokenKey: string;
  client(apiKey?: string): AdmitClient;
  /** The environment a worker process gets, with `extra` on top. */
  workerEnv(extra: Record<string, string>): Record<string, string>;
  /** Starts a worker in this process; it is stopped after the file's tests. */
  startWorker(extra: Record<string, string>): Promise<RunningWorker>;
}

/** The real API server and the fast queue on the test database, for the tests of one file. */
export const useWorld = (queue: DeliveryQueueSettings = FAST_QUEUE): World => {
  const w = {} as { -readonly [K in keyof World]: World[K] };
  const rootKey = `root_${randomBytes(24).toString("base64url")}`;
  const tokenKey = randomBytes(32).toString("base64url");
  const workers: RunningWorker[] = [];
  beforeAll(async () => {
    const databaseUrl = inject("databaseUrl");
    w.databaseUrl = databaseUrl;
    w.tokenKey = tokenKey;
    await installDeliveryQueue(databaseUrl, queue);
    w.boss = new PgBoss({ connectionString: databaseUrl, max: 2, supervise: false, schedule: false, migrate: false });
    w.boss.on("error", () => {});
    await w.boss.start();
    // Jobs another file left behind belong to that file's mail servers.
    await w.boss.deleteAllJobs(DELIVERY_QUEUE);
    await w.boss.deleteAllJobs(DELIVERY_RETRY_QUEUE);
    await w.boss.deleteAllJobs(DELIVERY_DEAD_LETTER_QUEUE);
    w.api = await startApiServer(
      loadConfig({
        DATABASE_URL: databaseUrl,
        PORT: "0",
        HOST: "127.0.0.1",
        ADMIT_ROOT_KEY: rootKey,
        PUBLIC_URL,
        TOKEN_ENCRYPTION_KEY: tokenKey,
        WEBHOOK_ALLOWED_HOSTS: WEBHOOK_ALLOWED_HOSTS,
      }),
    );
    w.client = (apiKey?: string) => createAdmitClient({ url: w.api.url, batch: false, ...(apiKey ? { apiKey } : {}) });
    w.root = w.client(rootKey);
    w.db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    w.workerEnv = (extra) => ({
      DATABASE_URL: databaseUrl,
      PUBLIC_URL,
      TOKEN_ENCRYPTION_KEY: tokenKey,
      MAIL_FROM,
      WORKER_POLL_SECONDS: "0.5",
      WORKER_MAINTENANCE_SECONDS: "1",
      WEBHOOK_ALLOWED_HOSTS,
      ...extra,
    });
    w.startWorker = async (extra) => {
      const worker = await startWorker(loadWorkerConfig(w.workerEnv(extra)), { log: () => {}, drainTimeoutMs: 10_000 });
      workers.push(worker);
      return worker;
    };
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await w.api?.close();
    await w.db?.end();
    await w.boss?.stop({ graceful: false });
  });
  return w;
};

/** A fresh organization with one website and an organization key. */
export const makeTenant = async (w: World, name = "Acme") => {
  const org = await w.root.organizations.create.mutate({ name: `${name} ${randomUUID().slice(0, 8)}` });
  const website = await w.root.websites.create.mutate({ organizationId: org.id, name: `${name} site` });
  const key = await w.root.apiKeys.create.mutate({
    kind: "organization",
    organizationId: org.id,
    name: `${name} team`,
  });
  return { org, website, key, client: w.client(key.secret) };
};

export const emailInvite = async (client: AdmitClient, organizationId: string, email = uniqueEmail()) => {
  const res = await client.invites.create.mutate({ organizationId, email, method: "email" });
  if (!("inviteId" in res) || !res.inviteId) throw new Error("expected an inviteId");
  return { inviteId: res.inviteId, email };
};

export interface DeliveryRow {
  readonly id: string;
  readonly status: "queued" | "sent" | "failed";
  readonly attempts: number;
  readonly last_error: string | null;
  readonly token_sealed: string | null;
  readonly provider_message_id: string | null;
  readonly sent_at: Date | null;
  readonly created_at: Date;
}

export const deliveryOf = async (w: World, inviteId: string): Promise<DeliveryRow> => {
  const { rows } = await w.db.query<DeliveryRow>(
    "select d.* from invites i join deliveries d on d.id = i.delivery_id where i.id = $1",
    [inviteId],
  );
  if (!rows[0]) throw new Error(`no delivery for invite ${inviteId}`);
  return rows[0];
};

export const deliveryById = async (w: World, id: string): Promise<DeliveryRow> => {
  const { rows } = await w.db.query<DeliveryRow>("select * from deliveries where id = $1", [id]);
  if (!rows[0]) throw new Error(`no delivery ${id}`);
  return rows[0];
};

/** Waits until the invite's delivery is sent or failed, and answers it. */
export const settled = (w: World, inviteId: string, timeoutMs = 30_000) =>
  waitFor(
    `the delivery of invite ${inviteId} to settle`,
    async () => {
      const d = await deliveryOf(w, inviteId);
      return d.status === "queued" ? null : d;
    },
    timeoutMs,
  );

/** The accept link of an email body; fails unless there is exactly one link in it. */
export const onlyLink = (body: string): URL => {
  const links = body.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
  if (links.length !== 1) throw new Error(`expected exactly one link, found ${links.length}: ${links.join(", ")}`);
  return new URL((links[0] as string).replace(/&amp;/g, "&"));
};

/** The distinct links of a body: in the HTML, the button and the address to copy are one link. */
export const distinctLinks = (body: string): string[] => [
  ...new Set((body.match(/https?:\/\/[^\s"'<>]+/g) ?? []).map((u) => u.replace(/&amp;/g, "&"))),
];

export interface WorkerProcess extends NodeProcess {
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

/** Runs `node apps/worker/src/main.ts` as its own process, as `pnpm start` would. */
export const spawnWorker = (env: Record<string, string>): WorkerProcess => {
  const worker = spawnNode(WORKER_MAIN, env);
  const out = worker.output;
  return {
    ...worker,
    waitForOutput: (text, timeoutMs = 120_000) =>
      waitFor(
        `worker output ${text}`,
        () => (typeof text === "string" ? out().includes(text) : text.test(out())),
        timeoutMs,
      ).then(() => {}),
  };
};

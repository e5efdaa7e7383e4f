/**
 * `node apps/worker/bench/delivery.ts [--deliveries 2000] [--processes 1,2] [--latency 300] [--rate 50]`
 *
 * Emails per second into a local SMTP server with one and with two worker processes, and the
 * enqueue-to-send latency. A throwaway PostgreSQL (or DATABASE_URL) is migrated; the real API runs
 * in this process and creates the invites; the workers are `node apps/worker/src/main.ts` child
 * processes sending to an SMTP server in this process that accepts everything.
 *
 * Throughput: the invites are queued first, then the workers start; the rate is measured between
 * the first and the last message the server accepts, so process start-up is not counted.
 * Latency: one worker waits idle; invites are created one by one at a steady rate, and each is
 * timed from the API's answer (the transaction is committed) to the server's acceptance.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig, startApiServer } from "@admit/api";
import { createAdmitClient } from "@admit/client";
import { migrate, startEmbeddedPostgres } from "@admit/db";
import pg from "pg";
import { SMTPServer } from "smtp-server";

const { values } = parseArgs({
  options: {
    deliveries: { type: "string", default: "2000" },
    processes: { type: "string", default: "1,2" },
    latency: { type: "string", default: "300" },
    rate: { type: "string", default: "50" },
    concurrency: { type: "string", default: "10" },
  },
});
const DELIVERIES = Number(values.deliveries);
const PROCESSES = String(values.processes)
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const LATENCY_SAMPLES = Number(values.latency);
const RATE = Number(values.rate);
const CONCURRENCY = String(values.concurrency);
const WORKER_MAIN = resolve(import.meta.dirname, "../src/main.ts");

const say = (line: string) => console.log(`[bench] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

// --- database
let stopDatabase = async () => {};
let databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const name = `admit_bench_${Date.now().toString(36)}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(databaseUrl);
  const adminUrl = databaseUrl;
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  stopDatabase = async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  };
} else {
  const dir = await mkdtemp(join(tmpdir(), "admit-bench-worker-"));
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(dir, "data"), throwaway: true });
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query("create database bench");
  await admin.end();
  databaseUrl = server.urlFor("bench");
  stopDatabase = async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
await migrate(databaseUrl);

// --- SMTP server that accepts everything and notes when each recipient's message arrived
const received = new Map<string, number>();
let duplicates = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  closeTimeout: 500,
  disableReverseLookup: true,
  onData(stream, session, callback) {
    stream.on("data", () => {});
    stream.on("end", () => {
      const now = performance.now();
      for (const r of session.envelope.rcptTo) {
        if (received.has(r.address)) duplicates++;
        else received.set(r.address, now);
      }
      callback();
    });
  },
});
await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", r));
const smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;

// --- API and a tenant
const rootKey = `root_${randomBytes(24).toString("base64url")}`;
const tokenKey = randomBytes(32).toString("base64url");
const api = await startApiServer(
  loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: "0",
    HOST: "127.0.0.1",
    ADMIT_ROOT_KEY: rootKey,
    PUBLIC_URL: "http://admit.bench",
    TOKEN_ENCRYPTION_KEY: tokenKey,
  }),
);
const root = createAdmitClient({ url: api.url, apiKey: rootKey, batch: false });
const org = await root.organizations.create.mutate({ name: "Bench organization" });
const callMs: number[] = [];
const invite = (email: string) => {
  const start = performance.now();
  return root.invites.create.mutate({ organizationId: org.id, email, method: "email" }).then(() => {
    const end = performance.now();
    callMs.push(end - start);
    return end;
  });
};

const startWorkers = async (n: number) => {
  const workers: ChildProcess[] = [];
  const started: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, [WORKER_MAIN], {
      env: {
        PATH: process.env.PATH ?? "",
        DATABASE_URL: databaseUrl,
        PUBLIC_URL: "http://admit.bench",
        TOKEN_ENCRYPTION_KEY: tokenKey,
        MAIL_TRANSPORT: "smtp",
        SMTP_URL: smtpUrl,
        WORKER_CONCURRENCY: CONCURRENCY,
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    started.push(
      new Promise((resolveStarted) => {
        child.stdout?.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("[worker] started")) resolveStarted();
        });
      }),
    );
    workers.push(child);
  }
  await Promise.all(started);
  return async () => {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise((r) => {
            w.once("exit", r);
            w.kill("SIGTERM");
          }),
      ),
    );
  };
};

const waitForAll = async (emails: string[], timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (emails.some((e) => !received.has(e))) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the emails");
    await sleep(20);
  }
};

const results: Array<Record<string, string | number>> = [];

// --- throughput
for (const processes of PROCESSES) {
  const emails = Array.from(
    { length: DELIVERIES },
    (_, i) => `t${processes}.${i}.${randomUUID().slice(0, 8)}@bench.test`,
  );
  say(`queueing ${DELIVERIES} invites for ${processes} worker process(es)…`);
  for (let i = 0; i < emails.length; i += 32) await Promise.all(emails.slice(i, i + 32).map(invite));
  const stop = await startWorkers(processes);
  await waitForAll(emails, 600_000);
  const times = emails.map((e) => received.get(e) as number).sort((a, b) => a - b);
  const seconds = ((times.at(-1) as number) - (times[0] as number)) / 1000;
  const rate = (DELIVERIES - 1) / seconds;
  say(`${processes} process(es): ${DELIVERIES} emails in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} emails/s`);
  results.push({
    scenario: `throughput, ${processes} worker process(es)`,
    emails: DELIVERIES,
    "emails/s": Math.round(rate),
  });
  await stop();
}

// --- latency
{
  const stop = await startWorkers(1);
  await sleep(500);
  const emails: string[] = [];
  const enqueued = new Map<string, number>();
  say(`latency: ${LATENCY_SAMPLES} invites at ${RATE}/s with one idle worker…`);
  const gap = 1000 / RATE;
  callMs.length = 0;
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const due = t0 + i * gap;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const email = `l.${i}.${randomUUID().slice(0, 8)}@bench.test`;
    emails.push(email);
    pending.push(invite(email).then((t) => void enqueued.set(email, t)));
  }
  await Promise.all(pending);
  await waitForAll(emails, 120_000);
  const latencies = emails.map((e) => (received.get(e) as number) - (enqueued.get(e) as number)).sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  const max = latencies.at(-1) as number;
  const calls = [...callMs].sort((a, b) => a - b);
  say(
    `latency over ${latencies.length}: p50 ${p50.toFixed(1)} ms, p90 ${percentile(latencies, 90).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(1)} ms; the API call itself: p50 ${percentile(calls, 50).toFixed(1)} ms, p95 ${percentile(calls, 95).toFixed(1)} ms`,
  );
  // Where the time goes: from the job's insert to a worker taking it, and from there to its end.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const { rows } = await pool.query<{ waited: number; ran: number }>(
    `select extract(epoch from j.started_on - j.created_on) * 1000 as waited,
            extract(epoch from j.completed_on - j.started_on) * 1000 as ran
     from pgboss.job j join deliveries d on d.id = (j.data->>'deliveryId')::uuid
     where j.name = 'invite-delivery' and j.state = 'completed' and d.email like 'l.%'`,
  );
  await pool.end();
  const waited = rows.map((r) => Number(r.waited)).sort((a, b) => a - b);
  const ran = rows.map((r) => Number(r.ran)).sort((a, b) => a - b);
  say(
    `  of which: queue wait p50 ${percentile(waited, 50).toFixed(1)} ms, p95 ${percentile(waited, 95).toFixed(1)} ms; job run p50 ${percentile(ran, 50).toFixed(1)} ms, p95 ${percentile(ran, 95).toFixed(1)} ms`,
  );
  results.push({
    scenario: `enqueue-to-send latency at ${RATE}/s, 1 worker`,
    emails: latencies.length,
    "p50 ms": Number(p50.toFixed(1)),
    "p95 ms": Number(p95.toFixed(1)),
    "max ms": Number(max.toFixed(1)),
  });
  await stop();
}

console.table(results);
say(`duplicate emails: ${duplicates}`);
await api.close();
await new Promise<void>((r) => smtp.close(() => r()));
await stopDatabase();
process.exit(duplicates === 0 ? 0 : 1);

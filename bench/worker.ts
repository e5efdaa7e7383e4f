/**
 * 6. The delivery worker: processes started as `pnpm start` runs apps/worker (its `start`
 * script), sending through SMTP to a server in this process, and through Postmark's batch API to
 * a stand-in in this process, both accepting everything, timed per recipient.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { DELIVERY_QUEUE, makeTokenSealer } from "@admit/db";
import { PgBoss } from "pg-boss";
import { SMTPServer } from "smtp-server";
import { percentile } from "./load.ts";
import { type Child, cpuMeter, type Database, ROOT, rssSampler, startChild, startCommand } from "./processes.ts";
import type { Row } from "./report.ts";
import { seedPendingInvites } from "./seed.ts";

/** True when apps/worker sends mail; otherwise why the worker cannot be measured. */
export const workerAvailable = async (): Promise<true | string> => {
  const main = await readFile(join(ROOT, "apps/worker/src/main.ts"), "utf8").catch(() => "");
  return /startWorker|MAIL_TRANSPORT|mailer/i.test(main)
    ? true
    : "apps/worker/src/main.ts does not send mail yet (it connects and idles)";
};

/** Where the workers send: a local SMTP server or a local Postmark stand-in, timing each recipient. */
export interface MailSink {
  /** `smtp` or `postmark`: names the scenarios. */
  readonly transport: string;
  /** The worker's environment for sending there. */
  readonly env: Record<string, string>;
  /** When each recipient's message was accepted (performance.now()). */
  readonly received: Map<string, number>;
  duplicates(): number;
  close(): Promise<void>;
}

export interface SmtpSink extends MailSink {
  readonly url: string;
  /** When each recipient's message was accepted (performance.now()). */
  readonly received: Map<string, number>;
  duplicates(): number;
  close(): Promise<void>;
}

export const startSmtpSink = async (): Promise<SmtpSink> => {
  const received = new Map<string, number>();
  let duplicates = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    // No reverse DNS of 127.0.0.1 for each connection: the sink must not be what is measured.
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 500,
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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    transport: "smtp",
    env: { MAIL_TRANSPORT: "smtp", SMTP_URL: `smtp://127.0.0.1:${port}` },
    url: `smtp://127.0.0.1:${port}`,
    received,
    duplicates: () => duplicates,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/**
 * A local HTTP server answering Postmark's batch endpoint (`POST /email/batch`) as Postmark does:
 * one accepted entry per message. It parses every body, as the real API would.
 */
export const startPostmarkSink = async (): Promise<MailSink> => {
  const received = new Map<string, number>();
  let duplicates = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let messages: Array<{ To?: string }> = [];
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        messages = Array.isArray(body) ? body : [body];
      } catch {}
      const now = performance.now();
      const at = new Date().toISOString();
      const answers = messages.map((m) => {
        const to = String(m.To ?? "");
        if (received.has(to)) duplicates++;
        else received.set(to, now);
        return { To: to, SubmittedAt: at, MessageID: randomUUID(), ErrorCode: 0, Message: "OK" };
      });
      const payload = JSON.stringify(req.url === "/email/batch" ? answers : answers[0]);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    transport: "postmark",
    env: {
      MAIL_TRANSPORT: "postmark",
      POSTMARK_SERVER_TOKEN: "bench",
      POSTMARK_API_URL: `http://127.0.0.1:${port}`,
      MAIL_FROM: "Admit <invites@admit.bench>",
    },
    received,
    duplicates: () => duplicates,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export interface WorkerBenchOptions {
  readonly database: Database;
  readonly sink: MailSink;
  readonly tokenKey: string;
  readonly organizationId: string;
  readonly apiKeyId: string;
  readonly processes: number;
  /** Deliveries queued at once, for the drain rate. */
  readonly deliveries: number;
  /** Deliveries queued one at a time at a steady rate, for the pickup latency. */
  readonly steady: { readonly perSecond: number; readonly count: number };
  /** How long to wait for the last emails, after the last enqueue. */
  readonly drainLimitMs: number;
  readonly logFile: string;
  readonly say: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const waitForAll = async (sink: MailSink, emails: ReadonlyArray<string>, timeoutMs: number) => {
  const until = Date.now() + timeoutMs;
  let missing = emails.filter((e) => !sink.received.has(e));
  while (missing.length > 0 && Date.now() < until) {
    await sleep(20);
    missing = missing.filter((e) => !sink.received.has(e));
  }
  return missing.length;
};

const latencies = (sink: MailSink, enqueued: ReadonlyMap<string, number>) => {
  const ms: number[] = [];
  for (const [email, at] of enqueued) {
    const got = sink.received.get(email);
    if (got !== undefined) ms.push(got - at);
  }
  return Float64Array.from(ms).sort();
};

/**
 * Starts `processes` workers with the real start command, then (1) queues deliveries one by one
 * at a steady rate the workers keep up with, as the API does (one job per transaction), and times
 * enqueue-to-send: pickup and send; (2) queues `deliveries` jobs in one statement and times the
 * drain: emails/s between the first and the last message accepted, and enqueue-to-send (mostly
 * time waiting in the queue). The drain stops waiting after `drainLimitMs`; what was not sent by
 * then is reported, and its jobs cancelled.
 */
export const runWorkerBench = async (o: WorkerBenchOptions): Promise<Row[]> => {
  const { database, sink } = o;
  const seed = (label: string, count: number) =>
    seedPendingInvites(database.pool, {
      organizationId: o.organizationId,
      apiKeyId: o.apiKeyId,
      inviterName: "Bench key",
      count,
      label,
      sealer: makeTokenSealer(o.tokenKey),
    });
  const steady = await seed(`${sink.transport}steady${o.processes}`, o.steady.count);
  const burst = await seed(`${sink.transport}burst${o.processes}`, o.deliveries);

  const workers: Child[] = [];
  const command = startCommand("worker");
  const startWorkers = () => {
    for (let i = 0; i < o.processes; i++) {
      workers.push(
        startChild(command.script, {
          nodeFlags: command.nodeFlags,
          env: {
            DATABASE_URL: database.url,
            PUBLIC_URL: "http://admit.bench",
            TOKEN_ENCRYPTION_KEY: o.tokenKey,
            ...sink.env,
          },
          logFile: o.logFile,
          readyPattern: /\[worker\] started/,
        }),
      );
    }
  };
  const boss = new PgBoss({
    connectionString: database.url,
    max: 2,
    migrate: false,
    supervise: false,
    schedule: false,
  });
  boss.on("error", (error) => o.say(`queue error: ${String(error)}`));
  const rows: Row[] = [];
  const jobIds = burst.map(() => randomUUID());
  try {
    await boss.start();
    // Drop the jobs the API scenarios queued: those deliveries were never meant to be sent.
    await boss.deleteQueuedJobs(DELIVERY_QUEUE);
    startWorkers();
    await Promise.all(workers.map((w) => w.ready));
    const pids = workers.map((w) => w.process.pid as number);

    // (1) Steady: one job per transaction, at a rate the workers keep up with.
    const enqueued = new Map<string, number>();
    const gap = 1000 / o.steady.perSecond;
    const start = performance.now();
    for (let i = 0; i < steady.length; i++) {
      const d = steady[i] as (typeof steady)[number];
      const wait = start + i * gap - performance.now();
      if (wait > 0) await sleep(wait);
      await boss.send(DELIVERY_QUEUE, { deliveryId: d.deliveryId });
      enqueued.set(d.email, performance.now());
    }
    await waitForAll(
      sink,
      steady.map((d) => d.email),
      o.drainLimitMs,
    );
    const steadySorted = latencies(sink, enqueued);
    const steadyMissing = steady.length - steadySorted.length;
    const steadySeconds = (performance.now() - start) / 1000;
    const steadyRow: Row = {
      scenario: `worker ${sink.transport}: ${o.steady.perSecond}/s queued one by one`,
      against: "worker",
      concurrency: o.processes,
      requests: steadySorted.length,
      errors: 0,
      seconds: steadySeconds,
      throughput: steadySorted.length / steadySeconds,
      p50: percentile(steadySorted, 50),
      p95: percentile(steadySorted, 95),
      p99: percentile(steadySorted, 99),
      errorSamples: [],
      exhausted: false,
      ...(steadyMissing > 0
        ? { note: `${steadyMissing} not sent within ${(o.drainLimitMs / 1000).toFixed(0)} s of the last enqueue` }
        : {}),
    };
    rows.push(steadyRow);
    o.say(
      `worker ${sink.transport} ×${o.processes}, ${o.steady.perSecond}/s: enqueue-to-send p50 ${steadyRow.p50.toFixed(1)} ms, ${steadyMissing} not sent`,
    );

    // (2) Drain: every job in one INSERT, the workers waiting.
    const rss = workers.map((w) => rssSampler(w));
    const cpu = cpuMeter(database.postmasterPid, pids);
    for (const r of rss) r.start();
    await cpu.start();
    const t0 = performance.now();
    await boss.insert(
      DELIVERY_QUEUE,
      burst.map((d, i) => ({ id: jobIds[i], data: { deliveryId: d.deliveryId } })),
    );
    const queuedAt = performance.now();
    await waitForAll(
      sink,
      burst.map((d) => d.email),
      o.drainLimitMs,
    );
    const times = burst.flatMap((d) => sink.received.get(d.email) ?? []).sort((a, b) => a - b);
    const sent = times.length;
    const missing = burst.length - sent;
    const used = await cpu.stop();
    const rssMb = Math.max(...(await Promise.all(rss.map((r) => r.stop()))));
    // First to last email; when they all arrived at once (one Postmark batch), enqueue to last.
    const span = sent > 1 ? ((times.at(-1) as number) - (times[0] as number)) / 1000 : Number.NaN;
    const fromQueued = sent > 0 ? ((times.at(-1) as number) - queuedAt) / 1000 : Number.NaN;
    const seconds = span > 0 ? span : fromQueued;
    const sorted = latencies(sink, new Map(burst.map((d) => [d.email, queuedAt])));
    const { rows: failed } = await database.pool.query<{ n: string }>(
      "select count(*) as n from deliveries where id = any($1::uuid[]) and status = 'failed'",
      [burst.map((d) => d.deliveryId)],
    );
    const failures = Number(failed[0]?.n ?? 0);
    const drainRow: Row = {
      scenario: `worker ${sink.transport}: ${o.deliveries} queued at once`,
      against: "worker",
      concurrency: o.processes,
      requests: sent,
      errors: failures,
      seconds,
      throughput: span > 0 ? (sent - 1) / span : sent > 0 ? sent / fromQueued : 0,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      errorSamples: failures > 0 ? [`${failures} deliveries marked failed`] : [],
      exhausted: false,
      rssMb,
      ...(sent > 0
        ? { cpuMsPerRequest: { api: used.api / sent, postgres: used.pg / sent, loadGenerator: used.self / sent } }
        : {}),
      note: [
        `enqueue ${(queuedAt - t0).toFixed(0)} ms, first email ${((times[0] ?? Number.NaN) - queuedAt).toFixed(0)} ms after`,
        missing > 0 ? `${missing} not sent within ${(o.drainLimitMs / 1000).toFixed(0)} s` : "",
        sink.duplicates() > 0 ? `${sink.duplicates()} duplicate emails` : "",
      ]
        .filter(Boolean)
        .join("; "),
    };
    rows.push(drainRow);
    o.say(
      `worker ${sink.transport} ×${o.processes}, ${o.deliveries} at once: ${sent} sent at ${drainRow.throughput.toFixed(0)}/s${missing > 0 ? `, ${missing} not sent within ${(o.drainLimitMs / 1000).toFixed(0)} s` : ""}`,
    );
  } finally {
    // What was not sent in time must not reach the next run's workers.
    await boss.cancel(DELIVERY_QUEUE, jobIds).catch(() => {});
    await boss.stop({ graceful: false, close: true }).catch(() => {});
    const codes = await Promise.all(workers.map((w) => w.stop(30_000)));
    if (codes.some((c) => c !== 0)) o.say(`worker exit codes: ${codes.join(", ")} (log: ${o.logFile})`);
  }
  return rows;
};

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deliveryOf,
  emailInvite,
  makeTenant,
  settled,
  spawnWorker,
  uniqueEmail,
  useWorld,
  type WorkerProcess,
  waitFor,
} from "./harness.ts";
import { type SmtpCapture, startSmtpCapture } from "./smtp.ts";

const w = useWorld();
let smtp: SmtpCapture;
const children: WorkerProcess[] = [];

const spawnSmtpWorker = (concurrency = 4, extra: Record<string, string> = {}) => {
  const p = spawnWorker(
    w.workerEnv({ MAIL_TRANSPORT: "smtp", SMTP_URL: smtp.url, WORKER_CONCURRENCY: String(concurrency), ...extra }),
  );
  children.push(p);
  return p;
};

beforeAll(async () => {
  smtp = await startSmtpCapture();
});

afterAll(async () => {
  for (const p of children) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(children.map((p) => p.exited));
  smtp.release();
  await smtp?.close();
});

/** `n` email invites to distinct people, created at once through the API. */
const inviteMany = async (n: number, label: string) => {
  const t = await makeTenant(w, label);
  return Promise.all(Array.from({ length: n }, () => emailInvite(t.client, t.org.id, uniqueEmail(label))));
};

const sentBy = (p: WorkerProcess) => (p.output().match(/ sent/g) ?? []).length;

describe("worker processes", () => {
  it("refuses to start without the chosen transport's settings, naming the variable", async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ MAIL_TRANSPORT: "postmark" }, "POSTMARK_SERVER_TOKEN is required"],
      [{ MAIL_TRANSPORT: "smtp" }, "SMTP_URL is required"],
      [{ MAIL_TRANSPORT: "log", MAIL_FROM: "Admit <not an address>" }, "MAIL_FROM must be"],
    ];
    for (const [extra, message] of cases) {
      const p = spawnWorker({ ...w.workerEnv({}), MAIL_FROM: "", ...extra });
      children.push(p);
      expect(await p.exited).toEqual({ code: 1, signal: null });
      expect(p.output()).toContain(`[worker] configuration error: ${message}`);
    }
  });

  it("refuses to start on an unreachable or unmigrated database, naming DATABASE_URL and what to run", async () => {
    const empty = `admit_unmigrated_${process.pid}`;
    await w.db.query(`create database ${empty}`);
    try {
      const cases: Array<[string, string]> = [
        [
          "postgres://admit:admit@127.0.0.1:1/admit",
          "[worker] could not start: cannot reach the database at DATABASE_URL",
        ],
        [
          w.databaseUrl.replace(/\/[^/?]+(\?.*)?$/, `/${empty}$1`),
          "[worker] could not start: the database at DATABASE_URL is not migrated (run pnpm db:migrate against it)",
        ],
      ];
      for (const [databaseUrl, message] of cases) {
        const p = spawnWorker({ ...w.workerEnv({ MAIL_TRANSPORT: "log" }), DATABASE_URL: databaseUrl });
        children.push(p);
        expect(await p.exited).toEqual({ code: 1, signal: null });
        expect(p.output()).toContain(message);
      }
    } finally {
      await w.db.query(`drop database if exists ${empty}`);
    }
  });

  it("two workers share the queue and send every email exactly once", async () => {
    smtp.state.delayMs = 20;
    try {
      const a = spawnSmtpWorker();
      const b = spawnSmtpWorker();
      await Promise.all([a.waitForOutput("[worker] started"), b.waitForOutput("[worker] started")]);
      const invites = await inviteMany(40, "pair");
      for (const i of invites) expect(await settled(w, i.inviteId)).toMatchObject({ status: "sent" });
      for (const i of invites) expect(smtp.to(i.email)).toHaveLength(1);
      expect(sentBy(a) + sentBy(b)).toBe(40);
      expect(sentBy(a)).toBeGreaterThan(0);
      expect(sentBy(b)).toBeGreaterThan(0);
      a.child.kill("SIGTERM");
      b.child.kill("SIGTERM");
      expect(await a.exited).toEqual({ code: 0, signal: null });
      expect(await b.exited).toEqual({ code: 0, signal: null });
    } finally {
      smtp.state.delayMs = 0;
    }
  });

  it("SIGTERM lets the batches in flight finish and be recorded, then exits 0; jobs not taken wait for another worker", async () => {
    smtp.state.delayMs = 1_000;
    try {
      // Batches of 2 on each of the worker's 2 fetch loops: at most 4 deliveries are taken at once,
      // so of 6 at least 2 are still in the queue when the signal comes.
      const draining = spawnSmtpWorker(2, { WORKER_BATCH_SIZE: "2" });
      await draining.waitForOutput("[worker] started");
      const invites = await inviteMany(6, "drain");
      await waitFor("two sends in flight", () => smtp.state.inFlight === 2);
      const inFlight = smtp.state.inFlight;
      draining.child.kill("SIGTERM");
      expect(await draining.exited).toEqual({ code: 0, signal: null });
      expect(draining.output()).toContain("[worker] SIGTERM: finishing deliveries in flight");
      expect(draining.output()).toContain("[worker] stopped");

      // Every delivery of a batch taken was sent and recorded as sent, the ones on the wire and the
      // ones waiting for a connection of the pool; the jobs not taken were left queued, unsent.
      const received = invites.filter((i) => smtp.to(i.email).length > 0);
      expect(received.length).toBeGreaterThanOrEqual(inFlight);
      expect(received.length).toBeLessThanOrEqual(4);
      for (const i of invites) {
        const d = await deliveryOf(w, i.inviteId);
        expect(d.status).toBe(received.includes(i) ? "sent" : "queued");
        expect(smtp.to(i.email)).toHaveLength(received.includes(i) ? 1 : 0);
      }
      expect(sentBy(draining)).toBe(received.length);

      smtp.state.delayMs = 0;
      const next = spawnSmtpWorker(4);
      for (const i of invites) expect(await settled(w, i.inviteId)).toMatchObject({ status: "sent" });
      // Nothing lost, nothing sent twice.
      for (const i of invites) expect(smtp.to(i.email)).toHaveLength(1);
      expect(sentBy(next)).toBe(invites.length - received.length);
      console.info(
        `[measure] SIGTERM with ${inFlight} sends on the wire: ${received.length} of 6 sent by the stopping worker, the rest by the next`,
      );
      next.child.kill("SIGTERM");
      expect(await next.exited).toEqual({ code: 0, signal: null });
    } finally {
      smtp.state.delayMs = 0;
    }
  });

  it("SIGTERM with sends that never end: exits by SHUTDOWN_TIMEOUT, and the deliveries go to another worker", async () => {
    smtp.state.hold = true;
    try {
      const stuck = spawnSmtpWorker(2, { SHUTDOWN_TIMEOUT: "3" });
      await stuck.waitForOutput("[worker] started");
      const invites = await inviteMany(2, "stuck");
      await waitFor("two sends in flight", () => smtp.state.inFlight === 2);
      const signalledAt = Date.now();
      stuck.child.kill("SIGTERM");
      const exit = await stuck.exited;
      const exitedInMs = Date.now() - signalledAt;
      expect(exit.signal).toBeNull();
      // Generous against a busy machine; without the deadline it would wait for the sends forever.
      expect(exitedInMs).toBeLessThan(3_000 + 10_000);
      await waitFor("the stopped worker's connections to close", () => smtp.state.inFlight === 0);
      smtp.release();
      for (const i of invites) expect((await deliveryOf(w, i.inviteId)).status).toBe("queued");

      const rescuer = spawnSmtpWorker(4);
      for (const i of invites) expect(await settled(w, i.inviteId, 110_000)).toMatchObject({ status: "sent" });
      for (const i of invites) expect(smtp.to(i.email)).toHaveLength(1);
      console.info(`[measure] worker with 2 sends stuck exited ${exitedInMs} ms after SIGTERM (deadline 3000 ms)`);
      rescuer.child.kill("SIGTERM");
      expect(await rescuer.exited).toEqual({ code: 0, signal: null });
    } finally {
      smtp.release();
    }
  }, 180_000);
});

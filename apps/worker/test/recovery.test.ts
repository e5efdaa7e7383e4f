import { DEFAULT_DELIVERY_QUEUE_SETTINGS } from "@admit/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deliveryOf,
  emailInvite,
  makeTenant,
  onlyLink,
  settled,
  sleep,
  spawnWorker,
  uniqueEmail,
  useWorld,
  type WorkerProcess,
  waitFor,
} from "./harness.ts";
import { type SmtpCapture, startSmtpCapture } from "./smtp.ts";

// The production queue settings and the default supervisor and polling intervals: what these
// tests measure is what a deployment gets.
const w = useWorld(DEFAULT_DELIVERY_QUEUE_SETTINGS);
let smtp: SmtpCapture;
const children: WorkerProcess[] = [];

const spawnSmtpWorker = (extra: Record<string, string> = {}) => {
  const p = spawnWorker({
    ...w.workerEnv({ MAIL_TRANSPORT: "smtp", SMTP_URL: smtp.url, WORKER_CONCURRENCY: "4" }),
    WORKER_POLL_SECONDS: "",
    WORKER_MAINTENANCE_SECONDS: "",
    ...extra,
  });
  children.push(p);
  return p;
};

const stopAll = async () => {
  for (const p of children) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(children.map((p) => p.exited));
};

beforeAll(async () => {
  smtp = await startSmtpCapture();
});

afterAll(async () => {
  await stopAll();
  smtp?.release();
  await smtp?.close();
});

const inviteMany = async (n: number, label: string) => {
  const t = await makeTenant(w, label);
  return Promise.all(Array.from({ length: n }, () => emailInvite(t.client, t.org.id, uniqueEmail(label))));
};

describe("recovery with the default settings", () => {
  it("a worker SIGKILLed mid-batch: another takes its jobs over and sends every email once", async () => {
    smtp.state.hold = true;
    try {
      const doomed = spawnSmtpWorker();
      await doomed.waitForOutput("[worker] started");
      const invites = await inviteMany(10, "killed");
      await waitFor("sends in flight", () => smtp.state.inFlight >= 2);
      await sleep(300);
      const inFlight = smtp.state.inFlight;
      // The rescuer is running before the kill, as in a deployment with several workers.
      const rescuer = spawnSmtpWorker();
      await rescuer.waitForOutput("[worker] started");
      doomed.child.kill("SIGKILL");
      const killedAt = Date.now();
      expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });
      await waitFor("the killed worker's connections to close", () => smtp.state.inFlight === 0);
      smtp.release();

      for (const i of invites) expect(await settled(w, i.inviteId, 120_000)).toMatchObject({ status: "sent" });
      const takeoverMs = Date.now() - killedAt;
      for (const i of invites) expect(smtp.to(i.email)).toHaveLength(1);
      console.info(
        `[measure] SIGKILL with ${inFlight} sends in flight: all 10 emails sent ${(takeoverMs / 1000).toFixed(1)} s after the kill (target ≤ 20 s)`,
      );
      // Generous: the figure above is the measurement; a loaded machine must not make this flaky.
      expect(takeoverMs).toBeLessThan(60_000);
      rescuer.child.kill("SIGTERM");
      expect(await rescuer.exited).toEqual({ code: 0, signal: null });
    } finally {
      smtp.release();
    }
  }, 180_000);

  it("an SMTP server down for 30 s: every email goes out within seconds of its return, none failed", async () => {
    const worker = spawnSmtpWorker();
    await worker.waitForOutput("[worker] started");
    const port = smtp.port;
    await smtp.close();
    const downAt = Date.now();
    const invites = await inviteMany(20, "outage");
    await waitFor("failed attempts while the server is down", async () => {
      const attempts = await Promise.all(invites.map(async (i) => (await deliveryOf(w, i.inviteId)).attempts));
      return attempts.every((a) => a >= 2);
    });
    await sleep(Math.max(0, 30_000 - (Date.now() - downAt)));
    const rows = await Promise.all(invites.map((i) => deliveryOf(w, i.inviteId)));
    expect(rows.map((d) => d.status)).toEqual(Array(20).fill("queued"));
    expect(rows[0]?.last_error).toMatch(/^smtp /);

    smtp = await startSmtpCapture({ port });
    const backAt = Date.now();
    for (const i of invites) expect(await settled(w, i.inviteId, 60_000)).toMatchObject({ status: "sent" });
    const lastMs = Date.now() - backAt;
    for (const i of invites) expect(smtp.to(i.email)).toHaveLength(1);
    const attempts = (await Promise.all(invites.map((i) => deliveryOf(w, i.inviteId)))).map((d) => d.attempts);
    console.info(
      `[measure] SMTP down ${((backAt - downAt) / 1000).toFixed(1)} s: last of 20 emails sent ${(lastMs / 1000).toFixed(1)} s after the server came back (target ≤ 10 s); attempts per delivery ${Math.min(...attempts)}–${Math.max(...attempts)}`,
    );
    expect(lastMs).toBeLessThan(30_000);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  }, 180_000);

  it("100 concurrent identical email invites send exactly one email, whose link works", async () => {
    smtp.state.delayMs = 200;
    try {
      const worker = spawnSmtpWorker();
      await worker.waitForOutput("[worker] started");
      const t = await makeTenant(w, "Burst");
      const email = uniqueEmail("burst");
      const results = await Promise.all(
        Array.from({ length: 100 }, () =>
          t.client.invites.create.mutate({ organizationId: t.org.id, email, method: "email", role: "edit" }),
        ),
      );
      const ids = new Set(results.map((r) => ("inviteId" in r ? r.inviteId : null)));
      expect(ids.size).toBe(1);
      const inviteId = [...ids][0] as string;
      await settled(w, inviteId);
      // Long enough for any second email, queued or paced, that the burst might have caused.
      await sleep(5_000);
      const { rows } = await w.db.query<{ n: number }>(
        "select count(*)::int as n from deliveries where email = $1 and status = 'queued'",
        [email],
      );
      expect(rows[0]?.n).toBe(0);
      const mails = smtp.to(email);
      expect(mails).toHaveLength(1);
      const token = onlyLink(String(mails[0]?.parsed.text)).searchParams.get("token") as string;
      const accepted = await w.client().invites.accept.mutate({ token });
      expect(accepted.memberships).toEqual([{ target: { type: "organization", id: t.org.id }, role: "edit" }]);
      console.info(`[measure] 100 concurrent identical invites: ${mails.length} email`);
      worker.child.kill("SIGTERM");
      expect(await worker.exited).toEqual({ code: 0, signal: null });
    } finally {
      smtp.state.delayMs = 0;
    }
  }, 120_000);
});

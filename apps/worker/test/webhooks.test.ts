import { randomUUID } from "node:crypto";
import type { AdmitClient } from "@admit/client";
import { INVITE_EXPIRY_QUEUE, WEBHOOK_QUEUE } from "@admit/db";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../src/index.ts";
import { emailInvite, makeTenant, sleep, spawnWorker, useWorld, type WorkerProcess, waitFor } from "./harness.ts";
import { type ReceivedWebhook, type Receiver, startReceiver } from "./receiver.ts";

/** Short waits between attempts, so a test sees several retries within seconds. */
const FAST_RETRIES = "1s,1s,2s,2s,3s,3s,5s,5s,5s,5s";

const w = useWorld();
let receiver: Receiver;
const endpointIds: string[] = [];
const children: WorkerProcess[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  // Jobs another file's events left are no concern of this file.
  await w.boss.deleteAllJobs(WEBHOOK_QUEUE);
});

afterAll(async () => {
  for (const p of children) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(children.map((p) => p.exited));
  // The endpoints go with this file's receiver, so later files' workers never call them.
  await w.db.query("delete from webhook_endpoints where id = any($1::uuid[])", [endpointIds]);
  await receiver?.close();
});

const startWorker = (extra: Record<string, string> = {}): Promise<RunningWorker> =>
  w.startWorker({ MAIL_TRANSPORT: "log", WEBHOOK_RETRY_SCHEDULE: FAST_RETRIES, ...extra });

const endpoint = async (
  client: AdmitClient,
  path: string,
  options: {
    organizationId?: string;
    eventTypes?: Array<"link_invite.created" | "webhook.test" | "invite.expired">;
  } = {},
) => {
  const created = await client.webhooks.create.mutate({ url: `${receiver.url}${path}`, ...options });
  endpointIds.push(created.id);
  return created;
};

/** `n` changes, each recording one `link_invite.created` event; answers the link ids. */
const createLinks = async (client: AdmitClient, organizationId: string, n: number): Promise<string[]> => {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => client.linkInvites.create.mutate({ organizationId })),
    );
    ids.push(...batch.map((l) => l.id));
  }
  return ids;
};

const bodyOf = (r: ReceivedWebhook) =>
  JSON.parse(r.body) as {
    type: string;
    timestamp: string;
    data: { id: string; organizationId: string | null; subject: { id: string } };
  };

const on = (path: string) => receiver.received.filter((r) => r.path === path);

/** Every `link_invite.created` event of an organization, read back through audit.list. */
const auditIds = async (client: AdmitClient, organizationId: string): Promise<Set<string>> => {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof client.audit.list.query>> = await client.audit.list.query({
      organizationId,
      types: ["link_invite.created"],
      limit: 1000,
      cursor,
    });
    for (const e of page.items) ids.add(e.id);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
};

// Each test drives real HTTP, queues and processes on a shared, busy machine: generous time, no timed assertions.
describe("webhooks delivered by the worker", { timeout: 600_000 }, () => {
  it("signs with the Standard Webhooks scheme: the receiver verifies with standardwebhooks, and with both secrets after a rotation", async () => {
    const worker = await startWorker();
    try {
      const t = await makeTenant(w, "Signed");
      const hook = await endpoint(t.client, "/signed");
      const [linkId] = await createLinks(t.client, t.org.id, 1);
      const got = await waitFor("the link_invite.created webhook", () =>
        on("/signed").find((r) => bodyOf(r).type === "link_invite.created"),
      );
      const headers = got.headers as Record<string, string>;
      const payload = new Webhook(hook.secret).verify(got.body, headers) as ReturnType<typeof bodyOf>;
      expect(payload.type).toBe("link_invite.created");
      expect(payload.data).toMatchObject({ organizationId: t.org.id, subject: { type: "link_invite", id: linkId } });
      expect(headers["webhook-id"]).toBe(payload.data.id);
      expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(() => new Webhook(hook.secret).verify(got.body.replace("link_invite", "link_invitX"), headers)).toThrow();

      const rotated = await t.client.webhooks.rotateSecret.mutate({ webhookId: hook.id });
      await t.client.webhooks.test.mutate({ webhookId: hook.id });
      const test = await waitFor("the webhook.test event", () =>
        on("/signed").find((r) => bodyOf(r).type === "webhook.test"),
      );
      const testHeaders = test.headers as Record<string, string>;
      expect(testHeaders["webhook-signature"]?.split(" ")).toHaveLength(2);
      expect(new Webhook(rotated.secret).verify(test.body, testHeaders)).toMatchObject({ type: "webhook.test" });
      expect(new Webhook(hook.secret).verify(test.body, testHeaders)).toMatchObject({ type: "webhook.test" });

      const attempts = await waitFor("the attempts to be recorded", async () => {
        const page = await t.client.webhooks.attempts.query({ webhookId: hook.id });
        return page.items.length >= 2 ? page : null;
      });
      expect(attempts.items[0]).toMatchObject({ statusCode: 204, error: null, attempt: 1 });
    } finally {
      await worker.stop();
    }
  });

  it("a receiver's answer holding a NUL is recorded (PostgreSQL text cannot hold one), not retried as a crash", async () => {
    const t = await makeTenant(w, "Nul");
    const hook = await endpoint(t.client, "/nul", { eventTypes: ["link_invite.created"] });
    receiver.answerBody = "accepted\u0000 thanks";
    const worker = await startWorker();
    try {
      await createLinks(t.client, t.org.id, 1);
      const attempts = await waitFor("the attempt to be recorded", async () => {
        const page = await t.client.webhooks.attempts.query({ webhookId: hook.id });
        return page.items.length > 0 ? page : null;
      });
      expect(attempts.items).toHaveLength(1);
      expect(attempts.items[0]).toMatchObject({ statusCode: 200, error: null, attempt: 1 });
      const { rows } = await w.db.query("select response_body from webhook_attempts where webhook_id = $1", [hook.id]);
      expect(rows[0].response_body).toBe("accepted\uFFFD thanks");
      expect(on("/nul")).toHaveLength(1);
    } finally {
      receiver.answerBody = null;
      await worker.stop();
    }
  });

  it("a disabled endpoint receives nothing: neither its queued retries nor the events of while it is disabled", async () => {
    const t = await makeTenant(w, "Off");
    const hook = await endpoint(t.client, "/off", { eventTypes: ["link_invite.created"] });
    await endpoint(t.client, "/off-control", { eventTypes: ["link_invite.created"] });
    const worker = await startWorker();
    try {
      receiver.mode = "error";
      await createLinks(t.client, t.org.id, 1);
      await waitFor("a first failed attempt, its retry queued", async () => {
        const { rows } = await w.db.query("select 1 from webhook_attempts where webhook_id = $1", [hook.id]);
        return rows.length > 0;
      });
      await t.client.webhooks.update.mutate({ webhookId: hook.id, enabled: false });
      const sent = on("/off").length;
      receiver.mode = "ok";
      const [later] = await createLinks(t.client, t.org.id, 1);
      await waitFor("the retry to be processed", async () => {
        const { rows } = await w.db.query(
          "select 1 from pgboss.job where name = $1 and data->>'webhookId' = $2 and (data->>'attempt')::int = 2 and state = 'completed'",
          [WEBHOOK_QUEUE, hook.id],
        );
        return rows.length > 0;
      });
      await waitFor("the later event at the enabled endpoint", () =>
        on("/off-control").some((r) => bodyOf(r).data.subject.id === later),
      );
      expect(on("/off")).toHaveLength(sent);
      const { rows } = await w.db.query("select count(*)::int as n from webhook_attempts where webhook_id = $1", [
        hook.id,
      ]);
      expect(rows[0].n).toBe(1);
    } finally {
      receiver.mode = "ok";
      await worker.stop();
    }
  });

  it("1,000 changes → 1,000 webhooks delivered once each, matching audit.list; one worker's rate is measured", async () => {
    const t = await makeTenant(w, "Thousand");
    await endpoint(t.client, "/thousand", { eventTypes: ["link_invite.created"] });
    // Written before any worker runs, so the measure below is the worker's drain alone.
    const links = await createLinks(t.client, t.org.id, 1000);
    expect(new Set(links).size).toBe(1000);
    const startedAt = Date.now();
    const worker = await startWorker({ WEBHOOK_CONCURRENCY: "10" });
    try {
      await waitFor("1,000 deliveries", () => receiver.deliveredIds("/thousand").size >= 1000, 180_000);
      const received = on("/thousand");
      const first = Math.min(...received.map((r) => r.receivedAt));
      const last = Math.max(...received.map((r) => r.receivedAt));
      console.info(
        `[measure] 1,000 webhooks with one worker (concurrency 10): ${Math.round(1000 / ((last - first) / 1000))}/s ` +
          `from first to last delivery, ${Math.round(1000 / ((last - startedAt) / 1000))}/s including worker start`,
      );
      expect(received).toHaveLength(1000);
      expect(new Set(received.map((r) => bodyOf(r).data.subject.id))).toEqual(new Set(links));
      expect(receiver.deliveredIds("/thousand")).toEqual(await auditIds(t.client, t.org.id));
    } finally {
      await worker.stop();
    }
  });

  it("a receiver down for a while gets everything once it is back; every failed attempt is recorded", async () => {
    const t = await makeTenant(w, "Flaky");
    const hook = await endpoint(t.client, "/flaky", { eventTypes: ["link_invite.created"] });
    const worker = await startWorker();
    try {
      receiver.mode = "down";
      const links = await createLinks(t.client, t.org.id, 20);
      await waitFor("every event to fail at least twice", async () => {
        const { rows } = await w.db.query(
          "select count(distinct event_id) as n from webhook_attempts where webhook_id = $1 and attempt >= 2 and error is not null",
          [hook.id],
        );
        return Number(rows[0].n) >= 20;
      });
      await sleep(8_000);
      receiver.mode = "ok";
      await waitFor(
        "20 deliveries after the receiver came back",
        () => receiver.deliveredIds("/flaky").size >= 20,
        60_000,
      );
      expect(new Set(on("/flaky").map((r) => bodyOf(r).data.subject.id))).toEqual(new Set(links));
      expect(receiver.deliveredIds("/flaky")).toEqual(await auditIds(t.client, t.org.id));
      const { rows } = await w.db.query(
        "select event_id, array_agg(coalesce(status_code::text, error) order by attempt) as outcomes from webhook_attempts where webhook_id = $1 group by event_id",
        [hook.id],
      );
      expect(rows).toHaveLength(20);
      for (const row of rows) {
        expect(row.outcomes.at(-1)).toBe("204");
        expect(row.outcomes.length).toBeGreaterThanOrEqual(3);
        expect(row.outcomes.slice(0, -1).every((o: string) => o !== "204")).toBe(true);
      }
      const page = await t.client.webhooks.attempts.query({ webhookId: hook.id, limit: 1000 });
      expect(page.items.some((a) => a.statusCode === null && a.error !== null)).toBe(true);
    } finally {
      receiver.mode = "ok";
      await worker.stop();
    }
  });

  it("an organization's endpoint never receives another organization's event; a platform endpoint receives both", async () => {
    const a = await makeTenant(w, "IsoA");
    const b = await makeTenant(w, "IsoB");
    const platform = `/all-${randomUUID().slice(0, 8)}`;
    await endpoint(a.client, "/iso-a");
    await endpoint(b.client, "/iso-b");
    await endpoint(w.root, platform, { eventTypes: ["link_invite.created"] });
    const worker = await startWorker();
    try {
      const linksA = await createLinks(a.client, a.org.id, 10);
      const linksB = await createLinks(b.client, b.org.id, 10);
      const links = (path: string) =>
        new Set(
          on(path)
            .filter((r) => bodyOf(r).type === "link_invite.created")
            .map((r) => bodyOf(r).data.subject.id),
        );
      await waitFor("both organizations' deliveries", () => links("/iso-a").size >= 10 && links("/iso-b").size >= 10);
      await waitFor("the platform endpoint's deliveries", () =>
        [...linksA, ...linksB].every((id) => links(platform).has(id)),
      );
      expect(links("/iso-a")).toEqual(new Set(linksA));
      expect(links("/iso-b")).toEqual(new Set(linksB));
      expect(on("/iso-a").every((r) => bodyOf(r).data.organizationId === a.org.id)).toBe(true);
      expect(on("/iso-b").every((r) => bodyOf(r).data.organizationId === b.org.id)).toBe(true);
    } finally {
      await worker.stop();
    }
  });

  it("a worker SIGKILLed while fanning out and delivering loses nothing: another one delivers every event", async () => {
    const t = await makeTenant(w, "Killed");
    await endpoint(t.client, "/killed", { eventTypes: ["link_invite.created"] });
    receiver.delayMs = 50;
    try {
      const spawn = () => {
        const p = spawnWorker(
          w.workerEnv({ MAIL_TRANSPORT: "log", WEBHOOK_RETRY_SCHEDULE: FAST_RETRIES, WEBHOOK_CONCURRENCY: "10" }),
        );
        children.push(p);
        return p;
      };
      const doomed = spawn();
      await doomed.waitForOutput("[worker] started");
      // Events keep coming while the worker fans out and delivers, and while it dies.
      const writing = createLinks(t.client, t.org.id, 400);
      await waitFor("the first deliveries", () => receiver.deliveredIds("/killed").size >= 20);
      doomed.child.kill("SIGKILL");
      expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });
      const links = await writing;
      const before = receiver.deliveredIds("/killed").size;
      const rescuer = spawn();
      await waitFor("all 400 deliveries after the kill", () => receiver.deliveredIds("/killed").size >= 400, 120_000);
      console.info(`[measure] ${before} of 400 delivered before SIGKILL; the rest by the next worker`);
      expect(new Set(on("/killed").map((r) => bodyOf(r).data.subject.id))).toEqual(new Set(links));
      expect(receiver.deliveredIds("/killed")).toEqual(await auditIds(t.client, t.org.id));
      rescuer.child.kill("SIGTERM");
      await rescuer.exited;
    } finally {
      receiver.delayMs = 0;
    }
  });

  it("an endpoint whose attempts have failed for 5 days is disabled, and an event says so", async () => {
    const t = await makeTenant(w, "Failing");
    const hook = await endpoint(t.client, "/failing", { eventTypes: ["link_invite.created"] });
    // Five days of failures, without waiting five days.
    await w.db.query("update webhook_endpoints set failing_since = now() - interval '6 days' where id = $1", [hook.id]);
    receiver.mode = "error";
    const worker = await startWorker();
    try {
      await createLinks(t.client, t.org.id, 1);
      const disabled = await waitFor("the endpoint to be disabled", async () => {
        const e = await t.client.webhooks.get.query({ webhookId: hook.id });
        return e.enabled ? null : e;
      });
      expect(disabled.disabledReason).toMatch(/^every attempt failed since /);
      const events = await t.client.audit.list.query({ types: ["webhook.disabled"] });
      expect(events.items).toHaveLength(1);
      expect(events.items[0]).toMatchObject({ actor: { kind: "system", id: null }, subject: { id: hook.id } });
      const attempts = await t.client.webhooks.attempts.query({ webhookId: hook.id });
      expect(attempts.items[0]).toMatchObject({ statusCode: 503, error: "http 503" });
    } finally {
      receiver.mode = "ok";
      await worker.stop();
    }
  });

  it("invite.expired is recorded once per invite by the scheduled job, and delivered", async () => {
    const t = await makeTenant(w, "Expiry");
    await endpoint(t.client, "/expired", { eventTypes: ["invite.expired"] });
    const { inviteId } = await emailInvite(t.client, t.org.id);
    await w.db.query("update invites set expires_at = now() - interval '1 minute' where id = $1", [inviteId]);
    const worker = await startWorker();
    try {
      // What pg-boss's schedule sends every minute, sent now, twice.
      await w.boss.send(INVITE_EXPIRY_QUEUE, {});
      await w.boss.send(INVITE_EXPIRY_QUEUE, {});
      const got = await waitFor("the invite.expired webhook", () =>
        on("/expired").find((r) => bodyOf(r).data.subject.id === inviteId),
      );
      expect(bodyOf(got).type).toBe("invite.expired");
      await waitFor("both expiry jobs to finish", async () => {
        const { rows } = await w.db.query(
          "select count(*) as n from pgboss.job where name = $1 and state in ('created', 'active', 'retry')",
          [INVITE_EXPIRY_QUEUE],
        );
        return Number(rows[0].n) === 0;
      });
      const events = await t.client.audit.list.query({ types: ["invite.expired"] });
      expect(events.items.map((e) => e.subject.id)).toEqual([inviteId]);
      expect((await t.client.invites.get.query({ inviteId })).status).toBe("expired");
    } finally {
      await worker.stop();
    }
  });
});

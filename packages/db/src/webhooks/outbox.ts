import { createHash } from "node:crypto";
import type { EventRecord } from "@admit/domain";
import { sql } from "kysely";
import { fromKysely, type KyselyTransactionLike, type PgBoss } from "pg-boss";
import { EVENT_ROW_COLUMNS, eventRecord } from "../adapters/EventLogPostgres.ts";
import { kyselyOf, type Sql, uuids } from "../kysely.ts";
import type { Orm } from "../orm.ts";
import type { TokenSealer } from "../sealing.ts";

/** One job per (event, endpoint, attempt); a queue of its own, so webhooks never hold up emails. */
export const WEBHOOK_QUEUE = "webhook-delivery";

export interface WebhookJob {
  readonly eventId: string;
  readonly webhookId: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/**
 * Seconds to wait after each failed attempt: 8 attempts over about 28 hours
 * (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
 */
export const WEBHOOK_RETRY_SCHEDULE_SECONDS: ReadonlyArray<number> = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/** An endpoint whose attempts have all failed for this long is disabled. */
export const WEBHOOK_DISABLE_AFTER_MS = 5 * 24 * 3_600_000;

/**
 * The job id of one attempt, derived from what it delivers: a job written twice (a worker killed
 * after recording an attempt but before settling its job) is written once.
 */
export const webhookJobId = (job: WebhookJob): string => {
  const h = createHash("sha256").update(`${job.eventId}:${job.webhookId}:${job.attempt}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** Runs `f` in one transaction, on its Kysely instance and pg-boss's view of the same connection. */
const inTransaction = async <A>(orm: Orm, f: (db: Sql, jobs: ReturnType<typeof fromKysely>) => Promise<A>) => {
  const em = orm.em.fork();
  await em.begin();
  try {
    const jobs = fromKysely(em.getTransactionContext() as unknown as KyselyTransactionLike);
    const result = await f(kyselyOf(em), jobs);
    await em.commit();
    return result;
  } catch (error) {
    await em.rollback().catch(() => {});
    throw error;
  }
};

/**
 * Hands up to `limit` undispatched events to the endpoints that want them: in one transaction,
 * the events are marked dispatched and one job per (event, endpoint) is queued, so a worker
 * killed half way leaves the events undispatched for the next one. Events locked by another
 * worker's fan-out are skipped. Answers how many events it took.
 */
export const fanOutEvents = (orm: Orm, boss: PgBoss, limit: number): Promise<number> =>
  inTransaction(orm, async (db, jobs) => {
    const taken = await db
      .with("batch", (db) =>
        db
          .selectFrom("events")
          .select("id")
          .where("dispatched_at", "is", null)
          .orderBy("occurred_at")
          .orderBy("id")
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .updateTable("events")
      .set({ dispatched_at: sql<Date>`now()` })
      .from("batch")
      .whereRef("events.id", "=", "batch.id")
      .returning("events.id")
      .execute();
    if (taken.length === 0) return 0;
    // An organization's endpoint gets that organization's events; one without organization gets
    // every event. A webhook.test event goes only to the endpoint it tests.
    const pairs = await db
      .selectFrom("events as e")
      .innerJoin("webhook_endpoints as w", (join) =>
        join
          .on("w.enabled", "=", true)
          .on((eb) =>
            eb.or([eb("w.organization_id", "is", null), eb("w.organization_id", "=", eb.ref("e.organization_id"))]),
          )
          .on(
            (eb) =>
              sql<boolean>`case when ${eb.ref("e.type")} = 'webhook.test'
                then ${eb.ref("w.id")}::text = ${eb.ref("e.data")}->>'webhookId'
                else cardinality(${eb.ref("w.event_types")}) = 0 or ${eb.ref("e.type")} = any(${eb.ref("w.event_types")}) end`,
          ),
      )
      .select(["e.id as eventId", "w.id as webhookId"])
      .where((eb) => eb("e.id", "=", eb.fn.any(uuids(taken.map((r) => r.id)))))
      .execute();
    if (pairs.length > 0) {
      await boss.insert(
        WEBHOOK_QUEUE,
        pairs.map(({ eventId, webhookId }) => {
          const data: WebhookJob = { eventId, webhookId, attempt: 1 };
          return { id: webhookJobId(data), data };
        }),
        { db: jobs },
      );
    }
    return taken.length;
  });

export interface WebhookDelivery {
  readonly url: string;
  readonly enabled: boolean;
  /** The current secret, and the previous one while it is still valid: both sign. */
  readonly secrets: ReadonlyArray<string>;
  readonly event: EventRecord;
}

/** What one attempt needs: the endpoint's URL and secrets in clear, and the event. Null when either is gone. */
export const loadWebhookDelivery = async (
  orm: Orm,
  sealer: TokenSealer,
  job: WebhookJob,
): Promise<WebhookDelivery | null> => {
  const db = kyselyOf(orm.em.fork());
  const endpoint = await db
    .selectFrom("webhook_endpoints")
    .select((eb) => [
      "url",
      "enabled",
      "secret_sealed as secret",
      eb
        .case()
        .when("previous_secret_expires_at", ">", sql<Date>`now()`)
        .then(eb.ref("previous_secret_sealed"))
        .end()
        .as("previous"),
    ])
    .where("id", "=", job.webhookId)
    .executeTakeFirst();
  const event = await db
    .selectFrom("events")
    .select(EVENT_ROW_COLUMNS)
    .where("id", "=", job.eventId)
    .executeTakeFirst();
  if (endpoint === undefined || event === undefined) return null;
  const secrets = endpoint.previous === null ? [endpoint.secret] : [endpoint.secret, endpoint.previous];
  return {
    url: endpoint.url,
    enabled: endpoint.enabled,
    secrets: secrets.map((s) => sealer.open(s)),
    event: eventRecord(event),
  };
};

export interface AttemptOutcome {
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly responseBody: string | null;
  readonly durationMs: number;
}

/**
 * Records one attempt and, when it failed and the schedule allows, queues the next one, in one
 * transaction. Answers since when the endpoint has been failing (null after a success).
 */
export const recordWebhookAttempt = (
  orm: Orm,
  boss: PgBoss,
  job: WebhookJob,
  eventType: string,
  outcome: AttemptOutcome,
  scheduleSeconds: ReadonlyArray<number>,
): Promise<{ failingSince: Date | null; retryInSeconds: number | null }> =>
  inTransaction(orm, async (db, jobs) => {
    const endpoint = await db
      .with("attempt", (db) =>
        db.insertInto("webhook_attempts").values({
          id: crypto.randomUUID(),
          webhook_id: job.webhookId,
          event_id: job.eventId,
          event_type: eventType,
          attempt: job.attempt,
          status_code: outcome.statusCode,
          error: outcome.error?.slice(0, 1000) ?? null,
          response_body: outcome.responseBody,
          duration_ms: Math.round(outcome.durationMs),
        }),
      )
      .updateTable("webhook_endpoints")
      .set((eb) => ({ failing_since: outcome.ok ? null : eb.fn.coalesce("failing_since", sql<Date>`now()`) }))
      .where("id", "=", job.webhookId)
      .returning("failing_since as failingSince")
      .executeTakeFirst();
    const failingSince = endpoint?.failingSince ?? null;
    const delay = outcome.ok ? undefined : scheduleSeconds[job.attempt - 1];
    if (endpoint === undefined || delay === undefined) return { failingSince, retryInSeconds: null };
    const next: WebhookJob = { ...job, attempt: job.attempt + 1 };
    await boss.insert(WEBHOOK_QUEUE, [{ id: webhookJobId(next), data: next, startAfter: delay }], { db: jobs });
    return { failingSince, retryInSeconds: delay };
  });

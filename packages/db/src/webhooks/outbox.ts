import { createHash } from "node:crypto";
import type { EventRecord } from "@admit/domain";
import type { EntityManager } from "@mikro-orm/postgresql";
import { fromKysely, type KyselyTransactionLike, type PgBoss } from "pg-boss";
import { EVENT_COLUMNS, eventRecord } from "../adapters/EventLogPostgres.ts";
import type { Orm } from "../orm.ts";
import type { TokenSealer } from "../sealing.ts";
import { date, pgArray, type Row } from "../sql.ts";

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

const inTransaction = async <A>(orm: Orm, f: (em: EntityManager, db: ReturnType<typeof fromKysely>) => Promise<A>) => {
  const em = orm.em.fork();
  await em.begin();
  try {
    const db = fromKysely(em.getTransactionContext() as unknown as KyselyTransactionLike);
    const result = await f(em, db);
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
  inTransaction(orm, async (em, db) => {
    const taken = await em.execute<Row[]>(
      `with batch as (
         select id from events where dispatched_at is null order by occurred_at, id limit ? for update skip locked
       )
       update events e set dispatched_at = now() from batch where e.id = batch.id returning e.id`,
      [limit],
    );
    if (taken.length === 0) return 0;
    // An organization's endpoint gets that organization's events; one without organization gets
    // every event. A webhook.test event goes only to the endpoint it tests.
    const pairs = await em.execute<Row[]>(
      `select e.id as "eventId", w.id as "webhookId"
       from events e join webhook_endpoints w on w.enabled
         and (w.organization_id is null or w.organization_id = e.organization_id)
         and case when e.type = 'webhook.test' then w.id::text = e.data->>'webhookId'
                  else cardinality(w.event_types) = 0 or e.type = any(w.event_types) end
       where e.id = any(?::uuid[])`,
      [pgArray(taken.map((r) => String(r.id)))],
    );
    if (pairs.length > 0) {
      await boss.insert(
        WEBHOOK_QUEUE,
        pairs.map((p) => {
          const data: WebhookJob = { eventId: String(p.eventId), webhookId: String(p.webhookId), attempt: 1 };
          return { id: webhookJobId(data), data };
        }),
        { db },
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
  const em = orm.em.fork();
  const [endpoint] = await em.execute<Row[]>(
    `select url, enabled, secret_sealed as "secret",
            case when previous_secret_expires_at > now() then previous_secret_sealed end as "previous"
     from webhook_endpoints where id = ?::uuid`,
    [job.webhookId],
  );
  const [event] = await em.execute<Row[]>(`select ${EVENT_COLUMNS} from events where id = ?::uuid`, [job.eventId]);
  if (endpoint === undefined || event === undefined) return null;
  const secrets = [String(endpoint.secret), ...(endpoint.previous === null ? [] : [String(endpoint.previous)])];
  return {
    url: String(endpoint.url),
    enabled: Boolean(endpoint.enabled),
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
  inTransaction(orm, async (em, db) => {
    const [endpoint] = await em.execute<Row[]>(
      `with attempt as (
         insert into webhook_attempts (id, webhook_id, event_id, event_type, attempt, status_code, error, response_body,
                                       duration_ms)
         values (?::uuid, ?::uuid, ?::uuid, ?, ?, ?, ?, ?, ?)
       )
       update webhook_endpoints set failing_since = case when ?::boolean then null else coalesce(failing_since, now()) end
       where id = ?::uuid returning failing_since as "failingSince"`,
      [
        crypto.randomUUID(),
        job.webhookId,
        job.eventId,
        eventType,
        job.attempt,
        outcome.statusCode,
        outcome.error?.slice(0, 1000) ?? null,
        outcome.responseBody,
        Math.round(outcome.durationMs),
        outcome.ok,
        job.webhookId,
      ],
    );
    const failingSince = endpoint?.failingSince == null ? null : date(endpoint.failingSince);
    const delay = outcome.ok ? undefined : scheduleSeconds[job.attempt - 1];
    if (endpoint === undefined || delay === undefined) return { failingSince, retryInSeconds: null };
    const next: WebhookJob = { ...job, attempt: job.attempt + 1 };
    await boss.insert(WEBHOOK_QUEUE, [{ id: webhookJobId(next), data: next, startAfter: delay }], { db });
    return { failingSince, retryInSeconds: delay };
  });

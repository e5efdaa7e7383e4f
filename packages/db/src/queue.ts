import type { EntityManager } from "@mikro-orm/postgresql";
import { type RawBuilder, sql } from "kysely";
import { fromKysely, type KyselyTransactionLike, PgBoss, type Queue, type QueueResult } from "pg-boss";
// pg-boss's own statement builders, the ones its `send` runs (the package exports no map, so its
// modules are reachable by path).
import { insertJobs, notifyChannelSql } from "pg-boss/dist/plans.js";
import type { Orm } from "./orm.ts";
import { WEBHOOK_QUEUE } from "./webhooks/outbox.ts";

/** The queue of invitation emails: one job per delivery, whose data is the delivery id only. */
export const DELIVERY_QUEUE = "invite-delivery";
/**
 * Where a delivery job goes once its quick retries are used up: the same work, retried slowly. A
 * queue of its own because pg-boss has one backoff curve per queue, and delivery wants two.
 */
export const DELIVERY_RETRY_QUEUE = "invite-delivery-retry";
/** Where a delivery job lands once its slow retries are used up too, so that the delivery is marked failed. */
export const DELIVERY_DEAD_LETTER_QUEUE = "invite-delivery-dead";

/** A scheduled job that deletes expired idempotency keys (every worker handles it; one run at a time). */
export const IDEMPOTENCY_CLEANUP_QUEUE = "idempotency-cleanup";
/** Every 15 minutes: keys live 24 hours, so an expired key waits at most that long to go. */
export const IDEMPOTENCY_CLEANUP_CRON = "*/15 * * * *";
/** A scheduled job, every minute: records `invite.expired` for invites past their expiry. */
export const INVITE_EXPIRY_QUEUE = "invite-expiry";

/** pg-boss's schema (its default, which every process here uses). */
export const QUEUE_SCHEMA = "pgboss";

export interface DeliveryJob {
  readonly deliveryId: string;
}

export type DeliveryQueuePhase = Required<
  Pick<Queue, "retryLimit" | "retryDelay" | "retryDelayMax" | "heartbeatSeconds" | "expireInSeconds">
>;

export interface DeliveryQueueSettings {
  /** `DELIVERY_QUEUE`: the first send and the quick retries that ride out a short outage. */
  readonly quick: DeliveryQueuePhase;
  /** `DELIVERY_RETRY_QUEUE`: the slow retries that ride out a long one. */
  readonly slow: DeliveryQueuePhase;
}

/**
 * pg-boss waits `retryDelay × 2^n × (1 + random)` seconds before retry n (from 0), capped at
 * `retryDelayMax`. Quick phase: 1–2 s, 2–4 s, 4–6 s, then every 6 s, 12 retries (about a minute):
 * a due retry waits at most for the next poll (2 s), so a provider or SMTP server that comes back
 * is used again within about 8 s. Slow phase:
 * 30–60 s, doubling, 6 retries (one to two hours). pg-boss does not copy a dead-letter queue's own
 * cap and dead letter onto the jobs it receives, so the slow phase has no cap and the worker gives a
 * delivery up itself after its last slow retry. A job whose worker stopped
 * sending heartbeats for 10 s (pg-boss's minimum) goes back to the queue; no send may hold a job
 * for more than 5 minutes.
 */
export const DEFAULT_DELIVERY_QUEUE_SETTINGS: DeliveryQueueSettings = {
  quick: { retryLimit: 12, retryDelay: 1, retryDelayMax: 6, heartbeatSeconds: 10, expireInSeconds: 300 },
  slow: { retryLimit: 6, retryDelay: 30, retryDelayMax: 900, heartbeatSeconds: 10, expireInSeconds: 300 },
};

const queueOptions = (phase: DeliveryQueuePhase, deadLetter: string) => ({
  ...phase,
  retryBackoff: true,
  notify: true,
  deadLetter,
});

const reportErrors = (boss: PgBoss, label: string) =>
  boss.on("error", (error) => console.error(`[${label}] queue error:`, error));

/**
 * Installs (or upgrades) pg-boss's schema and creates the delivery queues with `settings`. Run by
 * `migrate()`, so it happens with the migrations, before any API or worker starts; pg-boss takes
 * an advisory lock, so concurrent runs are safe. Deliveries still queued when the queue is first
 * created (written before the queue existed) get their job then.
 */
export async function installDeliveryQueue(
  databaseUrl: string,
  settings: DeliveryQueueSettings = DEFAULT_DELIVERY_QUEUE_SETTINGS,
): Promise<void> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    max: 2,
    migrate: true,
    supervise: false,
    schedule: false,
    application_name: "admit-migrate",
  });
  reportErrors(boss, "migrate");
  await boss.start();
  try {
    await boss.createQueue(DELIVERY_DEAD_LETTER_QUEUE, { retryLimit: 5, retryDelay: 30, retryBackoff: true });
    const slow = queueOptions(settings.slow, DELIVERY_DEAD_LETTER_QUEUE);
    await boss.createQueue(DELIVERY_RETRY_QUEUE, slow);
    await boss.updateQueue(DELIVERY_RETRY_QUEUE, slow);
    const existed = (await boss.getQueue(DELIVERY_QUEUE)) !== null;
    const quick = queueOptions(settings.quick, DELIVERY_RETRY_QUEUE);
    await boss.createQueue(DELIVERY_QUEUE, quick);
    await boss.updateQueue(DELIVERY_QUEUE, quick);
    // A singleton policy: a run still going when the next is due is not doubled.
    await boss.createQueue(IDEMPOTENCY_CLEANUP_QUEUE, { policy: "singleton", retryLimit: 2, expireInSeconds: 600 });
    await boss.schedule(IDEMPOTENCY_CLEANUP_QUEUE, IDEMPOTENCY_CLEANUP_CRON);
    // Webhook attempts: the retry schedule is the worker's (each attempt queues the next), so
    // pg-boss retries only a job whose handler crashed or whose worker died.
    const webhookOptions = {
      retryLimit: 3,
      retryDelay: 30,
      retryBackoff: true,
      heartbeatSeconds: settings.quick.heartbeatSeconds,
      expireInSeconds: 120,
      notify: true,
    };
    await boss.createQueue(WEBHOOK_QUEUE, webhookOptions);
    await boss.updateQueue(WEBHOOK_QUEUE, webhookOptions);
    await boss.createQueue(INVITE_EXPIRY_QUEUE, { retryLimit: 1, expireInSeconds: 300 });
    await boss.schedule(INVITE_EXPIRY_QUEUE, "* * * * *");
    if (!existed) {
      const { rows } = await boss
        .getDb()
        .executeSql("select id from deliveries where status = 'queued' and token_sealed is not null");
      if (rows.length > 0) {
        await boss.insert(
          DELIVERY_QUEUE,
          rows.map((r: { id: string }) => ({ data: { deliveryId: r.id } satisfies DeliveryJob })),
        );
      }
    }
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

/**
 * A pg-boss instance that only sends jobs, for the API: no maintenance, no workers. Its own reads
 * (the queue lookup at start) use a small pool of its own rather than MikroORM's, so that a burst
 * of transactions holding every MikroORM connection cannot starve it; the jobs themselves are
 * written on each transaction's connection.
 */
export async function startDeliveryProducer(orm: Orm): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: orm.config.get("clientUrl"),
    schema: QUEUE_SCHEMA,
    max: 2,
    migrate: false,
    supervise: false,
    schedule: false,
    application_name: "admit-api-queue",
  });
  reportErrors(boss, "api");
  await boss.start();
  return boss;
}

/** Sends the delivery's job on the connection of `em`'s transaction: it exists exactly when the transaction commits. */
export async function sendDeliveryJob(
  boss: PgBoss,
  em: EntityManager,
  deliveryId: string,
  startAfter?: Date,
): Promise<void> {
  const trx = em.getTransactionContext();
  if (trx === undefined) throw new Error("a delivery job must be sent inside the transaction that writes the delivery");
  const job: DeliveryJob = { deliveryId };
  await boss.send(DELIVERY_QUEUE, job, {
    db: fromKysely(trx as unknown as KyselyTransactionLike),
    ...(startAfter ? { startAfter } : {}),
  });
}

/**
 * A delivery's job as two parts of a caller's statement (data-modifying CTEs, so the job is written
 * by the statement that writes the delivery, in the same round trip): `insert`, pg-boss's own
 * `INSERT … SELECT … FROM json_to_recordset(…) JOIN queue` (what `send` runs, `RETURNING id`), and
 * `notify`, when the queue wakes its workers, a `SELECT pg_notify(…)` over the CTE named `job`
 * holding `insert` (the NOTIFY is transactional: it is sent on commit). A job not before
 * `startAfter` is left to the workers' polling, as pg-boss does.
 */
export interface DeliveryJobInsert<S> {
  readonly insert: S;
  /** `insert`, inserting the job only where `when` (an expression of the statement it is part of) holds. */
  readonly insertIf: (when: S) => S;
  readonly notify: S | null;
  /** What decides the text of `insert` and `notify` (the queue's table, whether it notifies). */
  readonly shape: string;
  /** Every value `insert` and `notify` send as parameters, as the very values they hold (see `compiledOnce`). */
  readonly values: ReadonlyArray<unknown>;
}

/** The queue (its table and notify setting), looked up once per producer through pg-boss. */
const queues = new WeakMap<PgBoss, Promise<QueueResult>>();

export const deliveryQueue = (boss: PgBoss): Promise<QueueResult> => {
  let queue = queues.get(boss);
  if (queue === undefined) {
    queue = boss.getQueue(DELIVERY_QUEUE).then((found) => {
      if (found === null) throw new Error(`queue ${DELIVERY_QUEUE} does not exist`);
      return found;
    });
    queue.catch(() => queues.delete(boss));
    queues.set(boss, queue);
  }
  return queue;
};

/** pg-boss's job insert of a queue's table, split around its one parameter (built once per table). */
const insertTexts = new Map<string, { before: RawBuilder<unknown>; after: RawBuilder<unknown> }>();

const insertText = (table: string) => {
  let text = insertTexts.get(table);
  if (text === undefined) {
    const [before, after, ...rest] = insertJobs(QUEUE_SCHEMA, {
      table,
      name: DELIVERY_QUEUE,
      returnId: true,
      notify: false,
    }).split("$1");
    if (before === undefined || after === undefined || rest.length > 0) {
      throw new Error("pg-boss's job insert no longer takes its jobs as its only parameter");
    }
    text = { before: sql.raw(before), after: sql.raw(after) };
    insertTexts.set(table, text);
  }
  return text;
};

const NOTIFY_CHANNEL = sql.raw(notifyChannelSql(QUEUE_SCHEMA));

export type DeliveryQueue = Pick<QueueResult, "table" | "notify">;

/** A delivery's job as parts of a statement (`DeliveryJobInsert`), for the queue found by `deliveryQueue`. */
export function deliveryJobInsert(
  { table, notify }: DeliveryQueue,
  deliveryId: string,
  startAfter?: Date,
): DeliveryJobInsert<RawBuilder<unknown>> {
  const { before, after } = insertText(table);
  const job: DeliveryJob = { deliveryId };
  const jobs = JSON.stringify([{ data: job, ...(startAfter ? { startAfter: startAfter.toISOString() } : {}) }]);
  const notifies = notify && startAfter === undefined;
  return {
    insert: sql`${before}${jobs}${after}`,
    insertIf: (when) => sql`${before}(case when ${when} then ${jobs} else '[]' end)${after}`,
    notify: notifies ? sql`select pg_notify(${NOTIFY_CHANNEL}, ${DELIVERY_QUEUE}) from job limit 1` : null,
    shape: `${table}:${notifies}`,
    values: notifies ? [jobs, DELIVERY_QUEUE] : [jobs],
  };
}

import {
  DELIVERY_DEAD_LETTER_QUEUE,
  DELIVERY_QUEUE,
  DELIVERY_RETRY_QUEUE,
  type DeliveryJob,
  layer as dbLayer,
  deleteExpiredIdempotencyKeys,
  IDEMPOTENCY_CLEANUP_QUEUE,
  initOrm,
  makeTokenSealer,
  type Orm,
  WebhookUrlPolicyDns,
} from "@admit/db";
import { abandonDelivery, type DeliveryOutcome, deliverInvitations, type OutgoingDelivery } from "@admit/domain";
import { Cause, Exit, Layer, ManagedRuntime } from "effect";
import { type Job, type JobResult, PgBoss } from "pg-boss";
import type { WorkerConfig } from "./config.ts";
import { renderInvitation } from "./email/invitation.ts";
import { mailerLayer } from "./mailers/index.ts";
import { startWebhookDispatcher, type WebhookDispatcher } from "./webhooks/dispatcher.ts";

export interface WorkerOptions {
  readonly log?: (line: string) => void;
  /** How long SIGTERM waits for deliveries in flight before giving up on them (default: the config's). */
  readonly drainTimeoutMs?: number;
}

export interface RunningWorker {
  readonly orm: Orm;
  /** Stops taking jobs, finishes the deliveries in flight, then releases every connection. */
  stop(): Promise<void>;
}

/** Fetch loops per queue: each holds at most one batch (and one database connection) at a time. */
const FETCH_LOOPS = 2;

const describe = (id: string, o: DeliveryOutcome): string => {
  switch (o._tag) {
    case "Sent":
      return `delivery ${id} sent${o.messageId ? ` (${o.messageId})` : ""}`;
    case "Skipped":
      return `delivery ${id} skipped: ${o.reason}`;
    case "Failed":
      return `delivery ${id} failed: ${o.reason}`;
    case "Retry":
      return `delivery ${id} will be retried: ${o.reason}`;
  }
};

/**
 * Sends queued invitation emails. Any number of workers share the queue: each fetches a batch,
 * keeps it alive with heartbeats while sending, and settles every job on its own. A job whose
 * worker died (no heartbeat) goes back to the queue for another worker; a temporary failure is
 * retried with backoff; a job out of retries is dead-lettered and its delivery marked failed.
 */
export const startWorker = async (config: WorkerConfig, options: WorkerOptions = {}): Promise<RunningWorker> => {
  const log = options.log ?? ((line: string) => console.log(line));
  // One connection per batch being sent (its rows stay locked while the provider answers).
  const orm = await initOrm({ databaseUrl: config.databaseUrl, poolSize: FETCH_LOOPS * 2 + 2 });
  // Webhook work has a pool of its own: a slow receiver never takes a connection an email needs.
  const webhookOrm = await initOrm({
    databaseUrl: config.databaseUrl,
    poolSize: config.webhooks.concurrency + 2,
  });
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      dbLayer(orm, { tokenKey: config.tokenEncryptionKey }),
      mailerLayer(config),
      WebhookUrlPolicyDns(config.webhooks),
    ),
  );
  // The supervisor and the monitor run every `maintenanceSeconds`: together with a 10 s heartbeat
  // and a heartbeat refreshed every 3 s, a killed worker's jobs are free again within about 15 s.
  const boss = new PgBoss({
    connectionString: config.databaseUrl,
    max: 4,
    migrate: false,
    // Workers keep the schedules (invite expiry, the cleanup of expired idempotency keys); pg-boss
    // lets one process fire each.
    schedule: true,
    supervise: true,
    superviseIntervalSeconds: config.maintenanceSeconds,
    monitorIntervalSeconds: config.maintenanceSeconds,
    useListenNotify: true,
    application_name: "admit-worker",
  });
  boss.on("error", (error) => log(`[worker] queue error: ${error instanceof Error ? error.message : String(error)}`));

  const render = (delivery: OutgoingDelivery) => renderInvitation(delivery, { publicUrl: config.publicUrl });
  let webhooks: WebhookDispatcher | undefined;

  // The whole batch goes through one use case: one transaction, one provider call (Postmark's
  // batch endpoint, or the SMTP pool), one statement recording every outcome. Each job is then
  // settled on its own: a temporary failure retries that job only.
  const handle = async (jobs: ReadonlyArray<Job<DeliveryJob> & { retryLimit?: number }>): Promise<JobResult[]> => {
    const ids = jobs.map((job) => job.data.deliveryId);
    const exit = await runtime.runPromiseExit(deliverInvitations(ids, render));
    if (Exit.isFailure(exit)) {
      const cause = Cause.pretty(exit.cause);
      log(`[worker] ${jobs.length} deliveries could not be processed, will be retried: ${cause}`);
      return jobs.map((job) => ({ id: job.id, status: "failed", output: { error: cause.slice(0, 2000) } }));
    }
    const results: JobResult[] = [];
    for (const job of jobs) {
      const deliveryId = job.data.deliveryId;
      const outcome = exit.value.get(deliveryId) ?? { _tag: "Skipped", reason: "missing" };
      log(`[worker] ${describe(deliveryId, outcome)}`);
      if (outcome._tag !== "Retry") {
        results.push({ id: job.id, status: "completed", output: { outcome: outcome._tag } });
      } else if (job.retryLimit !== undefined && job.retryCount >= job.retryLimit) {
        // The last slow retry: pg-boss does not pass a dead letter on from a dead-letter queue,
        // so the delivery is given up here.
        await giveUp(deliveryId);
        results.push({ id: job.id, status: "completed", output: { outcome: "RetriesExhausted" } });
      } else {
        results.push({ id: job.id, status: "failed", output: { reason: outcome.reason } });
      }
    }
    return results;
  };

  const giveUp = async (deliveryId: string) => {
    if (await runtime.runPromise(abandonDelivery(deliveryId))) {
      log(`[worker] delivery ${deliveryId} failed: retries exhausted`);
    }
  };

  try {
    await boss.start();
    // Two fetch loops per queue, so that one slow batch does not hold up every other delivery; a
    // full batch means more are waiting, so fetching goes on at once.
    const work = {
      batchSize: config.batchSize,
      localConcurrency: FETCH_LOOPS,
      perJobResults: true,
      burstWhenBatchFull: config.batchSize > 1,
      heartbeatRefreshSeconds: 3,
      pollingIntervalSeconds: config.pollSeconds,
      notifyPollingIntervalSeconds: config.pollSeconds,
    } as const;
    await boss.work<DeliveryJob>(DELIVERY_QUEUE, work, handle);
    await boss.work<DeliveryJob>(DELIVERY_RETRY_QUEUE, { ...work, includeMetadata: true }, handle);
    await boss.work<DeliveryJob>(
      DELIVERY_DEAD_LETTER_QUEUE,
      { batchSize: 10, pollingIntervalSeconds: config.pollSeconds },
      async (jobs) => {
        for (const job of jobs) await giveUp(job.data.deliveryId);
      },
    );
    await boss.work(IDEMPOTENCY_CLEANUP_QUEUE, { pollingIntervalSeconds: 60 }, async () => {
      const deleted = await deleteExpiredIdempotencyKeys(orm);
      if (deleted > 0) log(`[worker] deleted ${deleted} expired idempotency keys`);
    });
    webhooks = await startWebhookDispatcher({
      databaseUrl: config.databaseUrl,
      orm: webhookOrm,
      boss,
      sealer: makeTokenSealer(config.tokenEncryptionKey),
      runtime,
      settings: config.webhooks,
      pollSeconds: config.pollSeconds,
      log,
    });
  } catch (error) {
    await webhooks?.stop().catch(() => {});
    await boss.stop({ graceful: false, close: true }).catch(() => {});
    await runtime.dispose();
    await orm.close();
    await webhookOrm.close();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Deliveries still running at the deadline are failed back to the queue by pg-boss (another
      // worker retries them after the queue's retry delay) and their handlers aborted. A second
      // before the process deadline, so that releasing them and closing connections fits in it.
      const deadline = options.drainTimeoutMs ?? config.shutdownTimeoutMs;
      await webhooks?.stop();
      await boss.stop({ graceful: true, close: true, timeout: Math.max(1_000, deadline - 1_000) });
      await runtime.dispose();
      await orm.close();
      await webhookOrm.close();
    })();
    return stopping;
  };
  return { orm, stop };
};

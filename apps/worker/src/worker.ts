import {
  DELIVERY_DEAD_LETTER_QUEUE,
  DELIVERY_QUEUE,
  type DeliveryJob,
  layer as dbLayer,
  deleteExpiredIdempotencyKeys,
  IDEMPOTENCY_CLEANUP_QUEUE,
  initOrm,
  makeTokenSealer,
  type Orm,
  WebhookUrlPolicyDns,
} from "@admit/db";
import { abandonDelivery, type DeliveryOutcome, deliverInvitation, type OutgoingDelivery } from "@admit/domain";
import { Cause, Exit, Layer, ManagedRuntime } from "effect";
import { type JobResult, PgBoss } from "pg-boss";
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
  // One connection per delivery being sent (its row stays locked while the provider answers).
  const orm = await initOrm({ databaseUrl: config.databaseUrl, poolSize: config.concurrency + 2 });
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

  try {
    await boss.start();
    // Two fetch loops, each taking up to half the concurrency, so that one slow send does not hold
    // up every other delivery; a full batch means more are waiting, so fetching goes on at once.
    const batchSize = Math.max(1, Math.ceil(config.concurrency / 2));
    await boss.work<DeliveryJob>(
      DELIVERY_QUEUE,
      {
        batchSize,
        localConcurrency: config.concurrency > 1 ? 2 : 1,
        perJobResults: true,
        burstWhenBatchFull: batchSize > 1,
        pollingIntervalSeconds: config.pollSeconds,
        notifyPollingIntervalSeconds: config.pollSeconds,
      },
      (jobs) =>
        Promise.all(
          jobs.map(async (job): Promise<JobResult> => {
            const deliveryId = job.data.deliveryId;
            const exit = await runtime.runPromiseExit(deliverInvitation(deliveryId, render), { signal: job.signal });
            if (Exit.isSuccess(exit)) {
              log(`[worker] ${describe(deliveryId, exit.value)}`);
              return exit.value._tag === "Retry"
                ? { id: job.id, status: "failed", output: { reason: exit.value.reason } }
                : { id: job.id, status: "completed", output: { outcome: exit.value._tag } };
            }
            const cause = Cause.pretty(exit.cause);
            log(`[worker] delivery ${deliveryId} could not be processed, will be retried: ${cause}`);
            return { id: job.id, status: "failed", output: { error: cause.slice(0, 2000) } };
          }),
        ),
    );
    await boss.work<DeliveryJob>(
      DELIVERY_DEAD_LETTER_QUEUE,
      { batchSize: 10, pollingIntervalSeconds: config.pollSeconds },
      async (jobs) => {
        for (const job of jobs) {
          if (await runtime.runPromise(abandonDelivery(job.data.deliveryId))) {
            log(`[worker] delivery ${job.data.deliveryId} failed: retries exhausted`);
          }
        }
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

import {
  fanOutEvents,
  INVITE_EXPIRY_QUEUE,
  listenForEvents,
  loadWebhookDelivery,
  type Orm,
  recordWebhookAttempt,
  type TokenSealer,
  WEBHOOK_QUEUE,
  type WebhookHostRules,
  type WebhookJob,
} from "@admit/db";
import { disableWebhook, type EventRecord, expireInvites } from "@admit/domain";
import type { ManagedRuntime } from "effect";
import type { JobResult, PgBoss } from "pg-boss";
import { Webhook } from "standardwebhooks";
import { postWebhook, WEBHOOK_TIMEOUT_MS } from "./send.ts";

export interface WebhookSettings extends WebhookHostRules {
  /** Webhook attempts one process makes at once: a budget of their own, apart from emails. */
  readonly concurrency: number;
  /** Seconds to wait after each failed attempt; its length is the number of retries. */
  readonly retryScheduleSeconds: ReadonlyArray<number>;
  /** An endpoint failing for this long is disabled. */
  readonly disableAfterMs: number;
  readonly timeoutMs?: number;
}

/** The body of a webhook, as the Standard Webhooks specification shapes it. */
export const webhookBody = (event: EventRecord): string =>
  JSON.stringify({
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    data: {
      id: event.id,
      type: event.type,
      organizationId: event.organizationId,
      actor: event.actor,
      subject: event.subject,
      data: event.data,
      occurredAt: event.occurredAt.toISOString(),
    },
  });

/** The Standard Webhooks headers; one `v1,` signature per secret still valid, space-separated. */
export const signWebhook = (eventId: string, body: string, secrets: ReadonlyArray<string>, at = new Date()) => ({
  "webhook-id": eventId,
  "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
  "webhook-signature": secrets.map((s) => new Webhook(s).sign(eventId, at, body)).join(" "),
});

const FAN_OUT_BATCH = 500;

export interface WebhookDispatcher {
  stop(): Promise<void>;
}

/**
 * Runs the fan-out (woken by the events trigger, and every `pollSeconds` in case a notification
 * was missed), the webhook attempts, and the invite expiry job. Their database work uses `orm`,
 * a pool apart from the email deliveries', so slow receivers never hold up invitation emails.
 */
export const startWebhookDispatcher = async (options: {
  readonly databaseUrl: string;
  readonly orm: Orm;
  readonly boss: PgBoss;
  readonly sealer: TokenSealer;
  readonly runtime: ManagedRuntime.ManagedRuntime<any, any>;
  readonly settings: WebhookSettings;
  readonly pollSeconds: number;
  readonly log: (line: string) => void;
}): Promise<WebhookDispatcher> => {
  const { orm, boss, sealer, runtime, settings, log } = options;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  const fanOut = () => {
    if (stopped) return;
    if (running !== null) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        do {
          again = false;
          while (!stopped && (await fanOutEvents(orm, boss, FAN_OUT_BATCH)) === FAN_OUT_BATCH) {}
        } while (again && !stopped);
      } catch (error) {
        log(`[worker] webhook fan-out failed, will retry: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        running = null;
      }
    })();
  };
  const unlisten = listenForEvents(options.databaseUrl, fanOut, (error) =>
    log(`[worker] events listener: ${error.message}`),
  );
  const poll = setInterval(fanOut, options.pollSeconds * 1000);

  const attempt = async (job: WebhookJob): Promise<string> => {
    const delivery = await loadWebhookDelivery(orm, sealer, job);
    if (delivery === null) return "skipped: endpoint or event gone";
    if (!delivery.enabled) return "skipped: endpoint disabled";
    const body = webhookBody(delivery.event);
    const headers = signWebhook(delivery.event.id, body, delivery.secrets);
    const outcome = await postWebhook(delivery.url, body, headers, settings, settings.timeoutMs ?? WEBHOOK_TIMEOUT_MS);
    const recorded = await recordWebhookAttempt(
      orm,
      boss,
      job,
      delivery.event.type,
      outcome,
      settings.retryScheduleSeconds,
    );
    if (outcome.ok) return `delivered (${outcome.statusCode})`;
    if (recorded.failingSince !== null && Date.now() - recorded.failingSince.getTime() >= settings.disableAfterMs) {
      const reason = `every attempt failed since ${recorded.failingSince.toISOString()}`;
      if (await runtime.runPromise(disableWebhook(job.webhookId, reason))) {
        log(`[worker] webhook ${job.webhookId} disabled: ${reason}`);
      }
    }
    return recorded.retryInSeconds === null
      ? `failed for good: ${outcome.error}`
      : `failed (${outcome.error}), retry in ${recorded.retryInSeconds} s`;
  };

  const batchSize = Math.max(1, Math.ceil(settings.concurrency / 2));
  await boss.work<WebhookJob>(
    WEBHOOK_QUEUE,
    {
      batchSize,
      localConcurrency: settings.concurrency > 1 ? 2 : 1,
      perJobResults: true,
      burstWhenBatchFull: batchSize > 1,
      pollingIntervalSeconds: options.pollSeconds,
      notifyPollingIntervalSeconds: options.pollSeconds,
    },
    (jobs) =>
      Promise.all(
        jobs.map(async (job): Promise<JobResult> => {
          try {
            const what = await attempt(job.data);
            log(`[worker] webhook ${job.data.eventId} → ${job.data.webhookId} #${job.data.attempt}: ${what}`);
            return { id: job.id, status: "completed" };
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            log(`[worker] webhook ${job.data.eventId} → ${job.data.webhookId} could not be processed: ${message}`);
            return { id: job.id, status: "failed", output: { error: message.slice(0, 2000) } };
          }
        }),
      ),
  );

  await boss.work(INVITE_EXPIRY_QUEUE, { batchSize: 1, pollingIntervalSeconds: options.pollSeconds }, async () => {
    let total = 0;
    for (;;) {
      const n = await runtime.runPromise(expireInvites(500));
      total += n;
      if (n < 500) break;
    }
    if (total > 0) log(`[worker] recorded ${total} invite expiries`);
  });

  fanOut();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(poll);
      await unlisten();
      await running;
    },
  };
};

import { isPostgresUrl, parseAllowedHosts, WEBHOOK_DISABLE_AFTER_MS, WEBHOOK_RETRY_SCHEDULE_SECONDS } from "@admit/db";
import { parseEmail } from "@admit/domain";
import { ConfigError, httpUrl } from "./env.ts";
import { type MailTransportConfig, TRANSPORTS } from "./mailers/registry.ts";
import type { WebhookSettings } from "./webhooks/dispatcher.ts";

export type { MailTransportConfig };
export { ConfigError };

export interface MailFrom {
  readonly name: string | null;
  readonly address: string;
}

export interface WorkerConfig {
  readonly databaseUrl: string;
  readonly publicUrl: string;
  /** Opens the sealed accept tokens; the same secret as the API's. */
  readonly tokenEncryptionKey: string;
  readonly mail: MailTransportConfig;
  readonly from: MailFrom;
  /** SMTP connections one process keeps open (the pool a batch is spread over). */
  readonly concurrency: number;
  /** Deliveries taken from the queue and sent as one batch (Postmark's batch call takes up to 500). */
  readonly batchSize: number;
  /** How often to look for due retries (new jobs wake the worker at once). */
  readonly pollSeconds: number;
  /** How often this process looks for jobs of workers that died (missed heartbeats, expired sends). */
  readonly maintenanceSeconds: number;
  /** SIGTERM waits this long for deliveries in flight; what is still running then goes back to the queue. */
  readonly shutdownTimeoutMs: number;
  readonly webhooks: WebhookSettings;
}

const DEFAULT_FROM = "Admit <invites@admit.localhost>";

const number = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
};

// A display name is kept only when it is plain text: no quotes, angle brackets, backslashes or
// control characters, so that it cannot change the address or add a header.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what it refuses.
const DISPLAY_NAME = /^[^"<>\\\u0000-\u001f\u007f\u0080-\u009f\u2028\u2029]{1,100}$/;

/** `MAIL_FROM`: `invites@example.com` or `Example <invites@example.com>`. */
export const parseMailFrom = (raw: string): MailFrom => {
  const value = raw.trim();
  const bad = (why: string) =>
    new ConfigError(`MAIL_FROM must be "address@example.com" or "Name <address@example.com>": ${why} (got "${raw}")`);
  const match = /^(.*?)\s*<([^<>]*)>$/s.exec(value);
  const name = match ? (match[1] ?? "").trim() : null;
  const address = match ? (match[2] ?? "") : value;
  if (name !== null && name !== "" && !DISPLAY_NAME.test(name)) {
    throw bad("the name may not contain quotes, angle brackets, backslashes or control characters");
  }
  const parsed = parseEmail(address);
  if (!parsed.ok) throw bad(parsed.message.toLowerCase());
  return { name: name || null, address: parsed.email };
};

const transportNames = (): string => {
  const ids = TRANSPORTS.map((t) => t.id);
  return ids.length > 1 ? `${ids.slice(0, -1).join(", ")} or ${ids.at(-1)}` : ids.join("");
};

const mailTransport = (env: NodeJS.ProcessEnv): MailTransportConfig => {
  const id = env.MAIL_TRANSPORT?.trim();
  if (!id) throw new ConfigError(`MAIL_TRANSPORT is required: ${transportNames()}`);
  const transport = TRANSPORTS.find((t) => t.id === id);
  if (transport === undefined) throw new ConfigError(`MAIL_TRANSPORT must be ${transportNames()} (got "${id}")`);
  return { transport: transport.id, ...transport.configure(env) } as MailTransportConfig;
};

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** `WEBHOOK_RETRY_SCHEDULE`: the waits after each failed attempt, e.g. `5s,5m,30m,2h,5h,10h,10h`. */
export const parseRetrySchedule = (raw: string | undefined): ReadonlyArray<number> => {
  if (raw === undefined || raw.trim() === "") return WEBHOOK_RETRY_SCHEDULE_SECONDS;
  const steps = raw.split(",").map((part) => {
    const match = DURATION.exec(part.trim());
    const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] ?? "s"] ?? 1) : Number.NaN;
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 7 * 86_400) {
      throw new ConfigError(
        `WEBHOOK_RETRY_SCHEDULE must be a comma-separated list of durations such as 5s,5m,30m,2h (got "${raw}")`,
      );
    }
    return seconds;
  });
  if (steps.length > 20) throw new ConfigError("WEBHOOK_RETRY_SCHEDULE may list at most 20 retries");
  return steps;
};

/** Reads and validates the worker's environment; every problem names its variable. */
export const loadWorkerConfig = (env: NodeJS.ProcessEnv = process.env): WorkerConfig => {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) throw new ConfigError("DATABASE_URL is required");
  if (!isPostgresUrl(databaseUrl)) throw new ConfigError("DATABASE_URL must be a postgres:// URL");
  const tokenEncryptionKey = env.TOKEN_ENCRYPTION_KEY?.trim() ?? "";
  if (tokenEncryptionKey.length < 32) {
    throw new ConfigError(
      "TOKEN_ENCRYPTION_KEY is required: a random secret of at least 32 characters, the same for API and worker",
    );
  }
  const mail = mailTransport(env);
  const rawFrom = env.MAIL_FROM?.trim();
  const requiresFrom = TRANSPORTS.find((t) => t.id === mail.transport)?.requiresFrom;
  if (!rawFrom && requiresFrom !== undefined) {
    throw new ConfigError(`MAIL_FROM is required when MAIL_TRANSPORT is ${mail.transport}: ${requiresFrom}`);
  }
  return {
    databaseUrl,
    tokenEncryptionKey,
    publicUrl: httpUrl("PUBLIC_URL", env.PUBLIC_URL ?? `http://localhost:${env.PORT ?? "3000"}`),
    mail,
    from: parseMailFrom(rawFrom || DEFAULT_FROM),
    concurrency: Math.floor(number("WORKER_CONCURRENCY", env.WORKER_CONCURRENCY, 10, 1, 100)),
    batchSize: Math.floor(
      number("WORKER_BATCH_SIZE", env.WORKER_BATCH_SIZE, mail.transport === "postmark" ? 500 : 50, 1, 500),
    ),
    pollSeconds: number("WORKER_POLL_SECONDS", env.WORKER_POLL_SECONDS, 2, 0.5, 300),
    maintenanceSeconds: Math.ceil(number("WORKER_MAINTENANCE_SECONDS", env.WORKER_MAINTENANCE_SECONDS, 5, 1, 3600)),
    shutdownTimeoutMs: Math.round(number("SHUTDOWN_TIMEOUT", env.SHUTDOWN_TIMEOUT, 10, 1, 3600) * 1000),
    webhooks: {
      allowedHosts: parseAllowedHosts(env.WEBHOOK_ALLOWED_HOSTS),
      concurrency: Math.floor(number("WEBHOOK_CONCURRENCY", env.WEBHOOK_CONCURRENCY, 10, 1, 100)),
      retryScheduleSeconds: parseRetrySchedule(env.WEBHOOK_RETRY_SCHEDULE),
      disableAfterMs: WEBHOOK_DISABLE_AFTER_MS,
    },
  };
};

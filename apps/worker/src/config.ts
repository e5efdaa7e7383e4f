import { parseEmail } from "@admit/domain";

export interface MailFrom {
  readonly name: string | null;
  readonly address: string;
}

export type MailTransportConfig =
  | { readonly transport: "log" }
  | { readonly transport: "smtp"; readonly url: string }
  | {
      readonly transport: "postmark";
      readonly serverToken: string;
      readonly messageStream: string;
      /** Where the Postmark API lives; a local stand-in in tests. */
      readonly apiUrl: string;
    };

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
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const DEFAULT_FROM = "Admit <invites@admit.localhost>";

const httpUrl = (name: string, raw: string): string => {
  try {
    const url = new URL(raw);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
    return url.toString().replace(/\/$/, "");
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL (got "${raw}")`);
  }
};

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

const mailTransport = (env: NodeJS.ProcessEnv): MailTransportConfig => {
  const transport = env.MAIL_TRANSPORT?.trim();
  switch (transport) {
    case "log":
      return { transport };
    case "smtp": {
      const url = env.SMTP_URL?.trim();
      if (!url)
        throw new ConfigError("SMTP_URL is required when MAIL_TRANSPORT is smtp (e.g. smtp://user:pass@host:587)");
      let protocol: string;
      try {
        protocol = new URL(url).protocol;
      } catch {
        throw new ConfigError("SMTP_URL must be an smtp:// or smtps:// URL");
      }
      if (protocol !== "smtp:" && protocol !== "smtps:")
        throw new ConfigError("SMTP_URL must be an smtp:// or smtps:// URL");
      return { transport, url };
    }
    case "postmark": {
      const serverToken = env.POSTMARK_SERVER_TOKEN?.trim();
      if (!serverToken) throw new ConfigError("POSTMARK_SERVER_TOKEN is required when MAIL_TRANSPORT is postmark");
      const messageStream = env.POSTMARK_MESSAGE_STREAM?.trim() || "outbound";
      if (!/^[a-z0-9-_]{1,30}$/i.test(messageStream)) {
        throw new ConfigError(`POSTMARK_MESSAGE_STREAM must be a message stream id (got "${messageStream}")`);
      }
      const apiUrl = httpUrl("POSTMARK_API_URL", env.POSTMARK_API_URL?.trim() || "https://api.postmarkapp.com");
      return { transport, serverToken, messageStream, apiUrl };
    }
    case undefined:
    case "":
      throw new ConfigError("MAIL_TRANSPORT is required: postmark, smtp or log");
    default:
      throw new ConfigError(`MAIL_TRANSPORT must be postmark, smtp or log (got "${transport}")`);
  }
};

/** Reads and validates the worker's environment; every problem names its variable. */
export const loadWorkerConfig = (env: NodeJS.ProcessEnv = process.env): WorkerConfig => {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) throw new ConfigError("DATABASE_URL is required");
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError("DATABASE_URL must be a postgres:// URL");
  const tokenEncryptionKey = env.TOKEN_ENCRYPTION_KEY?.trim() ?? "";
  if (tokenEncryptionKey.length < 32) {
    throw new ConfigError(
      "TOKEN_ENCRYPTION_KEY is required: a random secret of at least 32 characters, the same for API and worker",
    );
  }
  const mail = mailTransport(env);
  const rawFrom = env.MAIL_FROM?.trim();
  if (!rawFrom && mail.transport === "postmark") {
    throw new ConfigError("MAIL_FROM is required when MAIL_TRANSPORT is postmark: a confirmed sender signature");
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
  };
};

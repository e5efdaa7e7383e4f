import { isPostgresUrl, parseAllowedHosts } from "@admit/db";
import { DEFAULT_EMAIL_INVITES_PER_HOUR, DEFAULT_INVITE_TTL_MS } from "@admit/domain";

export interface ApiConfig {
  readonly databaseUrl: string;
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string;
  readonly rootKey: string | null;
  readonly inviteTtlMs: number;
  /** Invitation emails an organization may send per hour, unless it has its own limit. */
  readonly emailInvitesPerHour: number;
  /** Seals accept tokens for the mail worker; the API and the worker must share it. */
  readonly tokenEncryptionKey: string;
  /** How long SIGTERM waits for requests in flight before cutting their connections. */
  readonly shutdownTimeoutMs: number;
  /** Basic-auth pair of Postmark's webhooks (`POST /hooks/postmark`); null refuses every report. */
  readonly postmarkWebhook: { readonly username: string; readonly password: string } | null;
  /** Hosts webhooks may reach over plain http or at private addresses (`WEBHOOK_ALLOWED_HOSTS`). */
  readonly webhookAllowedHosts: ReadonlySet<string>;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export class ConfigError extends Error {
  override name = "ConfigError";
}

const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `INVITE_TTL`: a number of seconds, or a number with a unit (`90m`, `48h`, `7d`). */
export const parseDuration = (name: string, raw: string): number => {
  const match = DURATION.exec(raw.trim());
  if (!match) throw new ConfigError(`${name} must be a duration such as 3600, 90m, 48h or 7d (got "${raw}")`);
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 1000);
  if (ms <= 0) throw new ConfigError(`${name} must be positive`);
  return ms;
};

/** `SHUTDOWN_TIMEOUT`: seconds, 1 to 3600 (the worker reads the same variable the same way). */
export const parseShutdownTimeout = (raw: string | undefined): number => {
  if (raw === undefined || raw.trim() === "") return DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
    throw new ConfigError(`SHUTDOWN_TIMEOUT must be a number of seconds from 1 to 3600 (got "${raw}")`);
  }
  return Math.round(seconds * 1000);
};

const parsePort = (raw: string): number => {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`PORT must be a port number (got "${raw}")`);
  return port;
};

const parseUrl = (name: string, raw: string): string => {
  try {
    const url = new URL(raw);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
    return url.toString().replace(/\/$/, "");
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL (got "${raw}")`);
  }
};

const parseCount = (name: string, raw: string): number => {
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError(`${name} must be a whole number of at least 1 (got "${raw}")`);
  }
  return n;
};

/** Reads and validates the API's environment; every problem names its variable. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): ApiConfig => {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl)
    throw new ConfigError("DATABASE_URL is required (pnpm dev starts an embedded PostgreSQL and sets it)");
  if (!isPostgresUrl(databaseUrl)) throw new ConfigError("DATABASE_URL must be a postgres:// URL");
  const port = parsePort(env.PORT ?? "3000");
  const rootKey = env.ADMIT_ROOT_KEY?.trim() || null;
  if (rootKey !== null && rootKey.length < 32) {
    throw new ConfigError("ADMIT_ROOT_KEY must be at least 32 characters (use a random secret of 128 bits or more)");
  }
  const tokenEncryptionKey = env.TOKEN_ENCRYPTION_KEY?.trim() ?? "";
  if (tokenEncryptionKey.length < 32) {
    throw new ConfigError(
      "TOKEN_ENCRYPTION_KEY is required: a random secret of at least 32 characters, the same for API and worker",
    );
  }
  const webhookUser = env.POSTMARK_WEBHOOK_USERNAME ?? "";
  const webhookPassword = env.POSTMARK_WEBHOOK_PASSWORD ?? "";
  if ((webhookUser === "") !== (webhookPassword === "")) {
    throw new ConfigError("POSTMARK_WEBHOOK_USERNAME and POSTMARK_WEBHOOK_PASSWORD must be set together");
  }
  if (webhookUser.includes(":")) throw new ConfigError("POSTMARK_WEBHOOK_USERNAME may not contain ':'");
  if (webhookPassword !== "" && webhookPassword.length < 16) {
    throw new ConfigError("POSTMARK_WEBHOOK_PASSWORD must be at least 16 characters (use a random secret)");
  }
  return {
    databaseUrl,
    tokenEncryptionKey,
    postmarkWebhook: webhookUser === "" ? null : { username: webhookUser, password: webhookPassword },
    port,
    // Every interface, as a service in a container needs; `pnpm dev` sets 127.0.0.1.
    host: env.HOST ?? "0.0.0.0",
    publicUrl: parseUrl("PUBLIC_URL", env.PUBLIC_URL ?? `http://localhost:${port}`),
    rootKey,
    inviteTtlMs: env.INVITE_TTL ? parseDuration("INVITE_TTL", env.INVITE_TTL) : DEFAULT_INVITE_TTL_MS,
    shutdownTimeoutMs: parseShutdownTimeout(env.SHUTDOWN_TIMEOUT),
    emailInvitesPerHour: env.EMAIL_INVITES_PER_HOUR
      ? parseCount("EMAIL_INVITES_PER_HOUR", env.EMAIL_INVITES_PER_HOUR)
      : DEFAULT_EMAIL_INVITES_PER_HOUR,
    webhookAllowedHosts: parseAllowedHosts(env.WEBHOOK_ALLOWED_HOSTS),
  };
};

import { describe, expect, it } from "vitest";
import { ConfigError, loadWorkerConfig, parseMailFrom } from "./config.ts";

const base = {
  DATABASE_URL: "postgres://admit:admit@127.0.0.1:5432/admit",
  TOKEN_ENCRYPTION_KEY: "k".repeat(32),
  MAIL_TRANSPORT: "log",
};

const failure = (env: Record<string, string>) => {
  try {
    loadWorkerConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a configuration error");
};

describe("worker configuration", () => {
  it("needs the database, the token key and a transport, each named when missing", () => {
    expect(failure({ ...base, DATABASE_URL: "" })).toMatch(/^DATABASE_URL is required/);
    expect(failure({ ...base, DATABASE_URL: "mysql://x" })).toMatch(/^DATABASE_URL must be a postgres/);
    for (const unusable of ["postgres://u:p@127.0.0.1:99999/admit", "postgres://u:p@db:port/admit"]) {
      expect(failure({ ...base, DATABASE_URL: unusable })).toMatch(/^DATABASE_URL must be a postgres/);
    }
    for (const usable of ["postgresql://u:p w@db/admit", "postgres://u@/admit?host=/var/run/postgresql"]) {
      expect(loadWorkerConfig({ ...base, DATABASE_URL: usable }).databaseUrl).toBe(usable);
    }
    expect(failure({ ...base, TOKEN_ENCRYPTION_KEY: "short" })).toMatch(/^TOKEN_ENCRYPTION_KEY is required/);
    expect(failure({ ...base, MAIL_TRANSPORT: "" })).toBe("MAIL_TRANSPORT is required: postmark, smtp or log");
    expect(failure({ ...base, MAIL_TRANSPORT: "sendgrid" })).toMatch(/^MAIL_TRANSPORT must be postmark, smtp or log/);
  });

  it("needs the chosen transport's own settings", () => {
    expect(failure({ ...base, MAIL_TRANSPORT: "smtp" })).toMatch(/^SMTP_URL is required when MAIL_TRANSPORT is smtp/);
    expect(failure({ ...base, MAIL_TRANSPORT: "smtp", SMTP_URL: "http://mail" })).toMatch(/^SMTP_URL must be/);
    for (const hostless of ["smtps://", "smtp:///", "smtp://?pool=true"]) {
      expect(failure({ ...base, MAIL_TRANSPORT: "smtp", SMTP_URL: hostless })).toMatch(
        /^SMTP_URL must name the server/,
      );
    }
    expect(failure({ ...base, MAIL_TRANSPORT: "postmark", MAIL_FROM: "a@example.com" })).toMatch(
      /^POSTMARK_SERVER_TOKEN is required/,
    );
    expect(failure({ ...base, MAIL_TRANSPORT: "postmark", POSTMARK_SERVER_TOKEN: "t" })).toMatch(
      /^MAIL_FROM is required when MAIL_TRANSPORT is postmark/,
    );
    const postmark = loadWorkerConfig({
      ...base,
      MAIL_TRANSPORT: "postmark",
      POSTMARK_SERVER_TOKEN: " token ",
      MAIL_FROM: "Acme <invites@acme.example>",
    });
    expect(postmark.mail).toEqual({
      transport: "postmark",
      serverToken: "token",
      messageStream: "outbound",
      apiUrl: "https://api.postmarkapp.com",
    });
    expect(loadWorkerConfig({ ...base, MAIL_TRANSPORT: "smtp", SMTP_URL: "smtps://u:p@mail:465" }).mail).toEqual({
      transport: "smtp",
      url: "smtps://u:p@mail:465",
    });
  });

  it("checks the tuning knobs and the public URL", () => {
    expect(failure({ ...base, WORKER_CONCURRENCY: "0" })).toMatch(/^WORKER_CONCURRENCY must be a number from 1/);
    expect(failure({ ...base, WORKER_POLL_SECONDS: "soon" })).toMatch(/^WORKER_POLL_SECONDS must be/);
    expect(failure({ ...base, PUBLIC_URL: "ftp://x" })).toMatch(/^PUBLIC_URL must be an http\(s\) URL/);
    const config = loadWorkerConfig(base);
    expect(failure({ ...base, SHUTDOWN_TIMEOUT: "0" })).toMatch(/^SHUTDOWN_TIMEOUT must be a number from 1 to 3600/);
    expect(failure({ ...base, SHUTDOWN_TIMEOUT: "10s" })).toMatch(/^SHUTDOWN_TIMEOUT must be/);
    expect(loadWorkerConfig({ ...base, SHUTDOWN_TIMEOUT: "2.5" }).shutdownTimeoutMs).toBe(2_500);
    expect(config).toMatchObject({
      concurrency: 10,
      batchSize: 50,
      pollSeconds: 2,
      maintenanceSeconds: 5,
      shutdownTimeoutMs: 10_000,
    });
    expect(config.publicUrl).toBe("http://localhost:3000");
  });
});

describe("MAIL_FROM", () => {
  it("is an address, or a plain name and an address", () => {
    expect(parseMailFrom("invites@acme.example")).toEqual({ name: null, address: "invites@acme.example" });
    expect(parseMailFrom(" Acme Invitations <Invites@Acme.example> ")).toEqual({
      name: "Acme Invitations",
      address: "invites@acme.example",
    });
  });

  it.each([
    "Acme <not an address>",
    'Acme "Team" <invites@acme.example>',
    "Acme\r\nBcc: x@evil.example <invites@acme.example>",
    "<a@acme.example>, <b@acme.example>",
    "invites@acme.example, other@acme.example",
    "Acme <invites@acme.example",
  ])("refuses %j, naming MAIL_FROM", (value) => {
    expect(() => parseMailFrom(value)).toThrow(/^MAIL_FROM must be/);
  });

  it("retries webhooks for about a day on the production schedule unless told otherwise", () => {
    const { webhooks } = loadWorkerConfig(base);
    expect(webhooks.retryScheduleSeconds).toEqual([5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]);
    const hours = webhooks.retryScheduleSeconds.reduce((a, b) => a + b, 0) / 3600;
    expect(hours).toBeGreaterThan(24);
    expect(hours).toBeLessThan(30);
    expect(webhooks.disableAfterMs).toBe(5 * 24 * 3_600_000);
    expect(webhooks.concurrency).toBe(10);
    expect(webhooks.allowedHosts.size).toBe(0);
    const tuned = loadWorkerConfig({
      ...base,
      WEBHOOK_RETRY_SCHEDULE: "1s, 500ms,2m,1h",
      WEBHOOK_ALLOWED_HOSTS: "Localhost, 127.0.0.1,[::1]",
    });
    expect(tuned.webhooks.retryScheduleSeconds).toEqual([1, 0.5, 120, 3600]);
    expect([...tuned.webhooks.allowedHosts]).toEqual(["localhost", "127.0.0.1", "::1"]);
    expect(failure({ ...base, WEBHOOK_RETRY_SCHEDULE: "5s,soon" })).toMatch(/^WEBHOOK_RETRY_SCHEDULE must be/);
    expect(failure({ ...base, WEBHOOK_CONCURRENCY: "0" })).toMatch(/^WEBHOOK_CONCURRENCY must be a number/);
  });
});

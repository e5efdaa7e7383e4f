import {
  type MailError,
  Mailer,
  type MailMessage,
  type MailReceipt,
  permanentMailError,
  temporaryMailError,
} from "@admit/domain";
import { Effect, Layer } from "effect";
import nodemailer from "nodemailer";
import type { MailFrom } from "../config.ts";
import { ConfigError } from "../env.ts";
import { oneLine } from "./common.ts";
import { defineTransport, withRecipientCheck } from "./transport.ts";

export interface SmtpOptions {
  /** `smtp://user:pass@host:587` or `smtps://…`. */
  readonly url: string;
  /** Connections kept open to the server; one message goes over a connection at a time. */
  readonly maxConnections: number;
}

// A 5xx answer to the recipient or to the message itself is the server's final word on this
// message. A 5xx to the login or to the sender concerns every message: a configuration problem,
// retried like a temporary failure until it is fixed.
const PERMANENT_COMMANDS = new Set(["RCPT TO", "DATA"]);

export const classifySmtpError = (error: unknown): MailError => {
  const e = (error ?? {}) as { responseCode?: number; code?: string; command?: string; response?: string };
  const message = error instanceof Error ? error.message : String(error);
  if (typeof e.responseCode === "number") {
    const reason = `smtp ${e.responseCode}: ${oneLine(e.response || message)}`;
    return e.responseCode >= 500 && e.responseCode < 600 && PERMANENT_COMMANDS.has(e.command ?? "")
      ? permanentMailError(reason)
      : temporaryMailError(reason);
  }
  return temporaryMailError(`smtp ${e.code ?? "error"}: ${oneLine(message)}`);
};

/** Sends over SMTP with nodemailer, through a small pool of connections. */
const smtpTransportLayer = (options: SmtpOptions, from: MailFrom) =>
  Layer.effect(
    Mailer,
    Effect.acquireRelease(
      Effect.sync(() =>
        nodemailer.createTransport({
          url: options.url,
          pool: true,
          maxConnections: options.maxConnections,
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 30_000,
        }),
      ),
      (transport) => Effect.sync(() => transport.close()),
    ).pipe(
      Effect.map((transport) => {
        const domain = from.address.slice(from.address.lastIndexOf("@") + 1);
        const send = (message: MailMessage): Effect.Effect<MailReceipt, MailError> =>
          Effect.tryPromise({
            try: () =>
              transport.sendMail({
                // Addresses as objects: nodemailer then takes them as they are, parsing nothing.
                from: { name: from.name ?? "", address: from.address },
                to: { name: "", address: message.to },
                subject: message.subject,
                text: message.text,
                html: message.html,
                messageId: `<${message.deliveryId}@${domain}>`,
                headers: { "X-Admit-Delivery": message.deliveryId, "X-Admit-Tag": message.tag },
                disableFileAccess: true,
                disableUrlAccess: true,
              }),
            catch: classifySmtpError,
          }).pipe(Effect.map((info) => ({ messageId: info.messageId ?? null })));
        return Mailer.of({
          send,
          // Every message at once: the pool spreads them over its open connections.
          sendBatch: (messages) =>
            Effect.forEach(messages, (m) => Effect.result(send(m)), { concurrency: "unbounded" }),
        });
      }),
    ),
  );

export const smtpTransport = defineTransport({
  id: "smtp",
  configure: (env) => {
    const url = env.SMTP_URL?.trim();
    if (!url)
      throw new ConfigError("SMTP_URL is required when MAIL_TRANSPORT is smtp (e.g. smtp://user:pass@host:587)");
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError("SMTP_URL must be an smtp:// or smtps:// URL");
    }
    if (parsed.protocol !== "smtp:" && parsed.protocol !== "smtps:")
      throw new ConfigError("SMTP_URL must be an smtp:// or smtps:// URL");
    // Without a host the SMTP client would quietly try localhost.
    if (!parsed.hostname) throw new ConfigError("SMTP_URL must name the server (e.g. smtp://user:pass@host:587)");
    return { url };
  },
  layer: ({ url }, { from, concurrency }) => smtpTransportLayer({ url, maxConnections: concurrency }, from),
});

/** Sends over SMTP, recipients checked. */
export const MailerSmtp = (options: SmtpOptions, from: MailFrom) =>
  withRecipientCheck(smtpTransportLayer(options, from));

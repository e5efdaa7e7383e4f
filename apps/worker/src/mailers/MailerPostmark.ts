import { type MailError, Mailer, permanentMailError, temporaryMailError } from "@admit/domain";
import { Effect, Layer } from "effect";
import { Errors, Models, ServerClient } from "postmark";
import type { MailFrom } from "../config.ts";
import { ConfigError, httpUrl } from "../env.ts";
import { fromHeader, oneLine } from "./common.ts";
import { defineTransport, withRecipientCheck } from "./transport.ts";

export interface PostmarkOptions {
  readonly serverToken: string;
  readonly messageStream: string;
  /** `https://api.postmarkapp.com`, or a local stand-in. */
  readonly apiUrl: string;
  readonly timeoutSeconds?: number;
}

/** Postmark's API error codes that say the recipient cannot be mailed: sending again fails again. */
const PERMANENT_CODES = new Set([
  300, // invalid email request (an invalid address among them)
  406, // inactive recipient (hard bounce, spam complaint or manual suppression)
]);

/**
 * Network errors, throttling (429) and Postmark's own errors (5xx) are temporary; so are the other
 * API errors (a wrong token, an unconfirmed sender, a missing stream), which concern every message
 * and are fixed in configuration, after which the retries go through.
 */
export const classifyPostmarkError = (error: unknown): MailError => {
  if (error instanceof Errors.PostmarkError) {
    const message = oneLine(error.message);
    if (error.statusCode === 0) return temporaryMailError(`postmark network error: ${message}`);
    if (error.statusCode === 422 && PERMANENT_CODES.has(error.code)) {
      return permanentMailError(`postmark error ${error.code}: ${message}`);
    }
    const code = error.code ? ` error ${error.code}` : "";
    return temporaryMailError(`postmark http ${error.statusCode}${code}: ${message}`);
  }
  return temporaryMailError(`postmark: ${oneLine(error instanceof Error ? error.message : error)}`);
};

/** Sends through Postmark's official client, on the configured message stream. */
const postmarkTransportLayer = (options: PostmarkOptions, from: MailFrom) =>
  Layer.sync(Mailer, () => {
    const api = new URL(options.apiUrl);
    const client = new ServerClient(options.serverToken, {
      requestHost: `${api.host}${api.pathname.replace(/\/$/, "")}`,
      useHttps: api.protocol === "https:",
      timeout: options.timeoutSeconds ?? 30,
    });
    return Mailer.of({
      send: (message) =>
        Effect.tryPromise({
          try: () =>
            client.sendEmail({
              From: fromHeader(from),
              To: message.to,
              Subject: message.subject,
              TextBody: message.text,
              HtmlBody: message.html,
              MessageStream: options.messageStream,
              // The tag groups the provider's statistics by kind; the delivery itself is named in the
              // metadata, which Postmark returns with bounce and delivery webhooks.
              Tag: message.tag,
              Metadata: { delivery_id: message.deliveryId },
              // Tracking would rewrite the accept link through Postmark's redirector.
              TrackLinks: Models.LinkTrackingOptions.None,
              TrackOpens: false,
            }),
          catch: classifyPostmarkError,
        }).pipe(Effect.map((response) => ({ messageId: response.MessageID ?? null }))),
    });
  });

export const postmarkTransport = defineTransport({
  id: "postmark",
  configure: (env) => {
    const serverToken = env.POSTMARK_SERVER_TOKEN?.trim();
    if (!serverToken) throw new ConfigError("POSTMARK_SERVER_TOKEN is required when MAIL_TRANSPORT is postmark");
    const messageStream = env.POSTMARK_MESSAGE_STREAM?.trim() || "outbound";
    if (!/^[a-z0-9-_]{1,30}$/i.test(messageStream)) {
      throw new ConfigError(`POSTMARK_MESSAGE_STREAM must be a message stream id (got "${messageStream}")`);
    }
    const apiUrl = httpUrl("POSTMARK_API_URL", env.POSTMARK_API_URL?.trim() || "https://api.postmarkapp.com");
    return { serverToken, messageStream, apiUrl };
  },
  requiresFrom: "a confirmed sender signature",
  layer: (settings, { from }) => postmarkTransportLayer(settings, from),
});

/** Sends through Postmark, recipients checked. */
export const MailerPostmark = (options: PostmarkOptions, from: MailFrom) =>
  withRecipientCheck(postmarkTransportLayer(options, from));

import {
  type BatchResult,
  type MailError,
  Mailer,
  type MailMessage,
  permanentMailError,
  temporaryMailError,
} from "@admit/domain";
import { Effect, Layer, Result } from "effect";
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

/** Postmark's batch endpoint takes at most this many messages per call. */
export const POSTMARK_BATCH_LIMIT = 500;

/** One message's answer inside a batch response: `ErrorCode` 0 is accepted, anything else refused. */
export const classifyBatchEntry = (entry: Models.MessageSendingResponse | undefined): BatchResult => {
  if (entry === undefined) return Result.fail(temporaryMailError("postmark: no answer for this message in the batch"));
  if (entry.ErrorCode === 0) return Result.succeed({ messageId: entry.MessageID ?? null });
  const message = oneLine(entry.Message);
  return Result.fail(
    PERMANENT_CODES.has(entry.ErrorCode)
      ? permanentMailError(`postmark error ${entry.ErrorCode}: ${message}`)
      : temporaryMailError(`postmark error ${entry.ErrorCode}: ${message}`),
  );
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
    const toPostmark = (message: MailMessage): Models.Message => ({
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
    });
    // One call per chunk of up to 500; a failure of the call (network, 429, 5xx) is every
    // message's temporary failure, while a refusal of one message (406, 300) is its own.
    const sendChunk = (messages: ReadonlyArray<MailMessage>): Effect.Effect<ReadonlyArray<BatchResult>> =>
      Effect.tryPromise({
        try: () => client.sendEmailBatch(messages.map(toPostmark)),
        catch: classifyPostmarkError,
      }).pipe(
        Effect.map((answers) => messages.map((_, i) => classifyBatchEntry(answers[i]))),
        Effect.catch((error: MailError) => Effect.succeed(messages.map(() => Result.fail(error) as BatchResult))),
      );
    return Mailer.of({
      send: (message) =>
        Effect.tryPromise({
          try: () => client.sendEmail(toPostmark(message)),
          catch: classifyPostmarkError,
        }).pipe(Effect.map((response) => ({ messageId: response.MessageID ?? null }))),
      sendBatch: (messages) => {
        const chunks: Array<ReadonlyArray<MailMessage>> = [];
        for (let i = 0; i < messages.length; i += POSTMARK_BATCH_LIMIT) {
          chunks.push(messages.slice(i, i + POSTMARK_BATCH_LIMIT));
        }
        return Effect.forEach(chunks, sendChunk, { concurrency: 4 }).pipe(Effect.map((parts) => parts.flat()));
      },
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

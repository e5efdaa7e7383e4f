import { Context, type Effect, type Result, Schema } from "effect";

/** One email to one recipient. Every field is already safe to hand to a transport. */
export interface MailMessage {
  /** One bare address (no display name). */
  readonly to: string;
  /** One line: no control characters. */
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The delivery the message carries, passed to the provider so that its records can be matched to ours. */
  readonly deliveryId: string;
  /** A category for the provider's statistics, e.g. `invitation`. */
  readonly tag: string;
}

export interface MailReceipt {
  /** The provider's id for the accepted message, when it gives one. */
  readonly messageId: string | null;
}

/**
 * A message the transport did not accept. `permanent` failures (an invalid or inactive recipient,
 * a 5xx rejection) will fail the same way again and are not retried; temporary ones (network,
 * throttling, the provider's own errors) are retried with backoff. `reason` is kept on the delivery
 * and shown to callers, so it names the provider's answer and nothing secret.
 */
export class MailError extends Schema.TaggedError<MailError>()("MailError", {
  permanent: Schema.Boolean,
  reason: Schema.String,
}) {}

export const permanentMailError = (reason: string) => new MailError({ permanent: true, reason });
export const temporaryMailError = (reason: string) => new MailError({ permanent: false, reason });

/** One message's answer within a batch: accepted, or refused on its own. */
export type BatchResult = Result.Result<MailReceipt, MailError>;

export class Mailer extends Context.Service<
  Mailer,
  {
    send(message: MailMessage): Effect.Effect<MailReceipt, MailError>;
    /**
     * Sends several messages at once (the provider's batch call, or a pool of connections) and
     * answers one result per message, in order: one refused recipient never fails the others. A
     * failure of the whole call (network, throttling) is every message's temporary failure.
     */
    sendBatch(messages: ReadonlyArray<MailMessage>): Effect.Effect<ReadonlyArray<BatchResult>>;
  }
>()("@admit/domain/Mailer") {}

import { Effect, Result } from "effect";
import { type EventType, type NewEvent, SYSTEM_ACTOR } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import { Transactor } from "../shared/Transactor.ts";
import { DeliveryOutbox, type OutgoingDelivery } from "./DeliveryOutbox.ts";
import { Mailer, type MailMessage } from "./Mailer.ts";

/** Why a delivery was closed without an email: kept in `deliveries.last_error`. */
export const NOT_SENT_REASONS = {
  /** No invite points at the delivery any more: a newer invite or a resend replaced it. */
  superseded: "superseded",
  /** Its invites were revoked, answered or expired before the email went out. */
  noPendingInvites: "no_pending_invites",
  /** The token is no longer stored, so no working link can be sent. */
  tokenMissing: "token_missing",
} as const;

export type DeliveryOutcome =
  | { readonly _tag: "Sent"; readonly messageId: string | null }
  /** Another attempt already settled it, or it does not exist: nothing to do. */
  | { readonly _tag: "Skipped"; readonly reason: "missing" | "already_sent" | "already_failed" }
  /** Marked failed; never retried. */
  | { readonly _tag: "Failed"; readonly reason: string }
  /** A temporary failure, recorded on the delivery; the caller retries later. */
  | { readonly _tag: "Retry"; readonly reason: string };

const outcome = (o: DeliveryOutcome): DeliveryOutcome => o;

/** One event per organization the delivery's invites belong to, so each organization hears of its own. */
const deliveryEvents = (
  type: EventType,
  delivery: OutgoingDelivery,
  extra: Readonly<Record<string, unknown>> = {},
): ReadonlyArray<NewEvent> =>
  [...new Set(delivery.organizationIds)].map((organizationId) => ({
    type,
    organizationId,
    actor: SYSTEM_ACTOR,
    subject: { type: "delivery", id: delivery.id },
    data: { deliveryId: delivery.id, email: delivery.email, kind: delivery.kind, ...extra },
  }));

/**
 * Sends one queued delivery. The delivery stays locked from the check to the record of the
 * outcome, so a delivery recorded as sent is never sent again, and two workers that hold the same
 * job send it once. Only the invites still pending are listed; a delivery with none left is closed
 * without an email.
 */
export const deliverInvitation = Effect.fn("Deliveries.deliver")(function* (
  deliveryId: string,
  render: (delivery: OutgoingDelivery) => MailMessage,
) {
  const outbox = yield* DeliveryOutbox;
  const mailer = yield* Mailer;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const claimed = yield* outbox.claim(deliveryId);
      if (claimed._tag === "Missing") return outcome({ _tag: "Skipped", reason: "missing" });
      if (claimed._tag === "Settled") {
        return outcome({ _tag: "Skipped", reason: claimed.status === "sent" ? "already_sent" : "already_failed" });
      }
      const delivery = claimed.delivery;
      const notSent =
        delivery.targets.length === 0
          ? delivery.referenced
            ? NOT_SENT_REASONS.noPendingInvites
            : NOT_SENT_REASONS.superseded
          : delivery.token === null
            ? NOT_SENT_REASONS.tokenMissing
            : null;
      if (notSent !== null) {
        yield* outbox.markFailed(deliveryId, notSent);
        yield* emit(deliveryEvents("delivery.failed", delivery, { status: "failed", reason: notSent }));
        return outcome({ _tag: "Failed", reason: notSent });
      }
      const sent = yield* Effect.result(mailer.send(render(delivery)));
      if (Result.isSuccess(sent)) {
        yield* outbox.markSent(deliveryId);
        yield* emit(deliveryEvents("delivery.sent", delivery, { status: "sent" }));
        return outcome({ _tag: "Sent", messageId: sent.success.messageId });
      }
      const error = sent.failure;
      if (error.permanent) {
        yield* outbox.markFailed(deliveryId, error.reason);
        yield* emit(deliveryEvents("delivery.failed", delivery, { status: "failed", reason: error.reason }));
        return outcome({ _tag: "Failed", reason: error.reason });
      }
      yield* outbox.recordAttempt(deliveryId, error.reason);
      return outcome({ _tag: "Retry", reason: error.reason });
    }),
  );
});

/** After the last retry: the delivery is marked failed with the last attempt's reason. */
export const abandonDelivery = Effect.fn("Deliveries.abandon")(function* (deliveryId: string) {
  const outbox = yield* DeliveryOutbox;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const claimed = yield* outbox.claim(deliveryId);
      if (claimed._tag !== "Queued") return false;
      const gaveUp = yield* outbox.giveUp(deliveryId);
      if (gaveUp) {
        yield* emit(
          deliveryEvents("delivery.failed", claimed.delivery, { status: "failed", reason: "retries_exhausted" }),
        );
      }
      return gaveUp;
    }),
  );
});

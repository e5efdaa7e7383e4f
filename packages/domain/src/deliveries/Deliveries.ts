import { Effect, Result } from "effect";
import { type EventType, type NewEvent, SYSTEM_ACTOR } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import { Transactor } from "../shared/Transactor.ts";
import { DeliveryOutbox, type DeliveryRecord, type OutgoingDelivery } from "./DeliveryOutbox.ts";
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

const notSentReason = (delivery: OutgoingDelivery): string | null =>
  delivery.targets.length === 0
    ? delivery.referenced
      ? NOT_SENT_REASONS.noPendingInvites
      : NOT_SENT_REASONS.superseded
    : delivery.token === null
      ? NOT_SENT_REASONS.tokenMissing
      : null;

/** One event per organization the delivery's invites belong to, so each organization hears of its own. */
export const deliveryEvents = (
  type: EventType,
  delivery: Pick<OutgoingDelivery, "id" | "email" | "kind" | "organizationIds">,
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
 * Sends queued deliveries as one batch. The deliveries stay locked from the check to the record of
 * the outcomes, so a delivery recorded as sent is never sent again, and two workers that hold the
 * same job send it once. Only the invites still pending are listed; a delivery with none left is
 * closed without an email. Each delivery gets its own outcome: one refused recipient does not fail
 * the others. Answers one outcome per distinct id.
 */
export const deliverInvitations = Effect.fn("Deliveries.deliverMany")(function* (
  deliveryIds: ReadonlyArray<string>,
  render: (delivery: OutgoingDelivery) => MailMessage,
) {
  const outbox = yield* DeliveryOutbox;
  const mailer = yield* Mailer;
  const ids = [...new Set(deliveryIds)];
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const claimed = yield* outbox.claim(ids);
      const outcomes = new Map<string, DeliveryOutcome>();
      const records: DeliveryRecord[] = [];
      const due: OutgoingDelivery[] = [];
      const events: NewEvent[] = [];
      for (const id of ids) {
        const c = claimed.get(id) ?? { _tag: "Missing" };
        if (c._tag === "Missing") outcomes.set(id, { _tag: "Skipped", reason: "missing" });
        else if (c._tag === "Settled") {
          outcomes.set(id, { _tag: "Skipped", reason: c.status === "sent" ? "already_sent" : "already_failed" });
        } else {
          const notSent = notSentReason(c.delivery);
          if (notSent === null) due.push(c.delivery);
          else {
            records.push({ _tag: "Failed", id, reason: notSent });
            outcomes.set(id, { _tag: "Failed", reason: notSent });
            events.push(...deliveryEvents("delivery.failed", c.delivery, { status: "failed", reason: notSent }));
          }
        }
      }
      const results = due.length > 0 ? yield* mailer.sendBatch(due.map(render)) : [];
      due.forEach((delivery, i) => {
        const result = results[i];
        const id = delivery.id;
        if (result === undefined) {
          const reason = "the mailer gave no answer for this message";
          records.push({ _tag: "Attempted", id, reason });
          outcomes.set(id, { _tag: "Retry", reason });
        } else if (Result.isSuccess(result)) {
          records.push({ _tag: "Sent", id, messageId: result.success.messageId });
          outcomes.set(id, { _tag: "Sent", messageId: result.success.messageId });
          events.push(...deliveryEvents("delivery.sent", delivery, { status: "sent" }));
        } else if (result.failure.permanent) {
          records.push({ _tag: "Failed", id, reason: result.failure.reason });
          outcomes.set(id, { _tag: "Failed", reason: result.failure.reason });
          events.push(
            ...deliveryEvents("delivery.failed", delivery, { status: "failed", reason: result.failure.reason }),
          );
        } else {
          records.push({ _tag: "Attempted", id, reason: result.failure.reason });
          outcomes.set(id, { _tag: "Retry", reason: result.failure.reason });
        }
      });
      if (records.length > 0) yield* outbox.record(records);
      yield* emit(events);
      return outcomes as ReadonlyMap<string, DeliveryOutcome>;
    }),
  );
});

/** Sends one queued delivery (a batch of one). */
export const deliverInvitation = Effect.fn("Deliveries.deliver")(function* (
  deliveryId: string,
  render: (delivery: OutgoingDelivery) => MailMessage,
) {
  const outcomes = yield* deliverInvitations([deliveryId], render);
  return outcomes.get(deliveryId) ?? ({ _tag: "Skipped", reason: "missing" } satisfies DeliveryOutcome);
});

/** After the last retry: the delivery is marked failed with the last attempt's reason. */
export const abandonDelivery = Effect.fn("Deliveries.abandon")(function* (deliveryId: string) {
  const outbox = yield* DeliveryOutbox;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const claimed = (yield* outbox.claim([deliveryId])).get(deliveryId);
      if (claimed?._tag !== "Queued") return false;
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

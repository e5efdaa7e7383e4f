import { Context, type Effect } from "effect";
import type { Role } from "../access/Role.ts";
import type { RepositoryError } from "../errors/Errors.ts";
import type { TargetType } from "../targets/Target.ts";

/** One target an email lists: what the recipient is invited to, named for people. */
export interface InvitedTarget {
  readonly type: TargetType;
  readonly id: string;
  readonly name: string;
  /** The organization that owns it; none for a group. */
  readonly organizationName: string | null;
  readonly role: Role;
  readonly expiresAt: Date;
}

/** A queued delivery as the mailer needs it. */
export interface OutgoingDelivery {
  readonly id: string;
  readonly email: string;
  /** The accept token in clear; null when it is no longer stored. */
  readonly token: string | null;
  readonly inviterName: string;
  readonly kind: "invite" | "resend";
  readonly attempts: number;
  /** The still-pending, unexpired invites that point at this delivery, in a stable order. */
  readonly targets: ReadonlyArray<InvitedTarget>;
  /** Whether any invite, in whatever state, still points at this delivery. */
  readonly referenced: boolean;
  /** The organizations of every invite that points at this delivery (null for a group), for its events. */
  readonly organizationIds: ReadonlyArray<string | null>;
}

export type ClaimedDelivery =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Settled"; readonly status: "sent" | "failed" }
  | { readonly _tag: "Queued"; readonly delivery: OutgoingDelivery };

/**
 * The worker's side of deliveries. Every method runs in the caller's transaction; `claim` locks
 * the delivery until that transaction ends, so that two workers holding the same job send once.
 */
export class DeliveryOutbox extends Context.Service<
  DeliveryOutbox,
  {
    claim(deliveryId: string): Effect.Effect<ClaimedDelivery, RepositoryError>;
    /** Records the send and wipes the stored token. */
    markSent(deliveryId: string): Effect.Effect<void, RepositoryError>;
    /** Gives up on a delivery with its reason and wipes the stored token. */
    markFailed(deliveryId: string, reason: string): Effect.Effect<void, RepositoryError>;
    /** Counts a failed attempt that will be retried; the delivery stays queued. */
    recordAttempt(deliveryId: string, reason: string): Effect.Effect<void, RepositoryError>;
    /**
     * Marks a still-queued delivery failed once its retries are used up, keeping the last attempt's
     * reason. Answers whether it was still queued.
     */
    giveUp(deliveryId: string): Effect.Effect<boolean, RepositoryError>;
  }
>()("@admit/domain/DeliveryOutbox") {}

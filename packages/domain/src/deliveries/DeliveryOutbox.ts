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

/** How the inviting organization presents itself in the email. */
export interface SenderBrand {
  /** Its display name, else its name. */
  readonly name: string;
  readonly logoUrl: string | null;
  readonly primaryColor: string | null;
  readonly supportEmail: string | null;
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
  /** The recipient's first name, when the inviter gave one. */
  readonly firstName: string | null;
  /** The invite's language, else its organization's; null leaves the choice to the renderer. */
  readonly locale: string | null;
  /** The organization the email speaks for; null for an invite to groups only. */
  readonly brand: SenderBrand | null;
  /** The organizations of every invite that points at this delivery (null for a group), for its events. */
  readonly organizationIds: ReadonlyArray<string | null>;
}

export type ClaimedDelivery =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Settled"; readonly status: "sent" | "failed" }
  | { readonly _tag: "Queued"; readonly delivery: OutgoingDelivery };

/** What a send attempt leaves on a delivery. */
export type DeliveryRecord =
  /** Sent: the provider's message id is kept (reports are matched by it) and the token wiped. */
  | { readonly _tag: "Sent"; readonly id: string; readonly messageId: string | null }
  /** Given up with its reason; the token is wiped. */
  | { readonly _tag: "Failed"; readonly id: string; readonly reason: string }
  /** A failed attempt that will be retried; the delivery stays queued. */
  | { readonly _tag: "Attempted"; readonly id: string; readonly reason: string };

/**
 * The worker's side of deliveries. Every method runs in the caller's transaction; `claim` locks
 * the deliveries until that transaction ends, so that two workers holding the same job send once.
 */
export class DeliveryOutbox extends Context.Service<
  DeliveryOutbox,
  {
    /** Locks and reads the deliveries (in id order, so that two claims never deadlock); absent ids are `Missing`. */
    claim(deliveryIds: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, ClaimedDelivery>, RepositoryError>;
    /** Records the outcome of each attempt; only deliveries still queued change. */
    record(records: ReadonlyArray<DeliveryRecord>): Effect.Effect<void, RepositoryError>;
    /**
     * Marks a still-queued delivery failed once its retries are used up, keeping the last attempt's
     * reason. Answers whether it was still queued.
     */
    giveUp(deliveryId: string): Effect.Effect<boolean, RepositoryError>;
  }
>()("@admit/domain/DeliveryOutbox") {}

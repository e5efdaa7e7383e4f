import { Context, type Effect } from "effect";
import type { NewDelivery } from "../deliveries/DeliveryRepository.ts";
import type { RepositoryError } from "../errors/Errors.ts";
import type { NewEvent } from "../events/Event.ts";
import type { HeldRole } from "../members/MembershipRepository.ts";
import type { EmailQuotaUsage } from "../quotas/EmailQuotaCounter.ts";
import type { ResolvedTarget, Target } from "../targets/Target.ts";
import type { DeliveryStatus } from "./Invite.ts";
import type { NewInvite } from "./InviteRepository.ts";

/** What an email invite (one target or a bulk of them) reads before deciding. */
export interface EmailInviteQuery {
  /** The recipient, normalized. */
  readonly email: string;
  /** The targets to look up (those `targetsToResolve` keeps). */
  readonly targets: ReadonlyArray<Target>;
  /** A user principal: its own memberships on the targets and their organizations are read too. */
  readonly roleHolder: string | null;
}

/** A pending invite of the recipient to one of the targets, and the delivery it points at. */
export interface PendingInvite {
  readonly target: Target;
  readonly inviteId: string;
  readonly delivery: { readonly id: string; readonly status: DeliveryStatus; readonly sentAt: Date | null };
}

/** Everything the rules of an email invite need, read at once. */
export interface EmailInviteState {
  /** The targets that exist. */
  readonly resolved: ReadonlyArray<ResolvedTarget>;
  /** The role holder's memberships on `rolesToRead(resolved)`; empty without a role holder. */
  readonly holderRoles: ReadonlyArray<HeldRole>;
  /** The targets (among those asked) where the recipient is already a member. */
  readonly memberOf: ReadonlyArray<Target>;
  /** The recipient's pending invites to the targets; they stay as read until the transaction ends. */
  readonly pending: ReadonlyArray<PendingInvite>;
  /** The redirect origins each organization of the resolved targets allows. */
  readonly organizations: ReadonlyArray<{
    readonly id: string;
    readonly allowedRedirectOrigins: ReadonlyArray<string>;
  }>;
}

/** The email that carries the invites: a new one, a queued one with a new token, or one just sent. */
export type PlannedDelivery =
  /** Queued now (with its job), not before `startAfter` when given. */
  | { readonly _tag: "New"; readonly delivery: NewDelivery }
  /** Still queued: it gets a new token (the old one stops working) and nothing new is queued. */
  | { readonly _tag: "Renew"; readonly id: string; readonly token: { readonly token: string; readonly hash: string } }
  /** Sent moments ago: the invites ride on it and nothing is sent. */
  | { readonly _tag: "Reuse"; readonly id: string };

/** What the rules decided an email invite writes. */
export interface EmailInvitePlan {
  readonly delivery: PlannedDelivery;
  /** Pending invites to create, or to replace in place (a pending invite's own id). */
  readonly invites: ReadonlyArray<NewInvite>;
  readonly events: ReadonlyArray<NewEvent>;
  /**
   * The organizations whose hourly email count this email adds one to, and the hourly limit of
   * those without one of their own: an email that would take any of them past its limit is not
   * counted, nor is anything else written (`OverQuota`).
   */
  readonly quota: {
    readonly organizationIds: ReadonlyArray<string>;
    readonly now: Date;
    readonly windowMs: number;
    readonly limit: number;
  };
}

export type EmailInviteWritten =
  /** Written, this email counted against each organization's quota. */
  | { readonly _tag: "Written" }
  /** The delivery to renew was no longer queued (a worker took it): nothing was written. */
  | { readonly _tag: "Stale" }
  /**
   * Counting this email would take an organization past its limit: nothing else was written (an
   * email counted against several organizations may have been counted by those within their
   * limits, so the caller fails, and the transaction rolls back). Each organization's count in
   * its window with this email counted, at least one past its limit.
   */
  | { readonly _tag: "OverQuota"; readonly usage: ReadonlyArray<EmailQuotaUsage> };

/**
 * What email invites to one recipient take turns on (`Transactor`'s `serializeOn`), so that
 * concurrent invites to one person are decided one after the other, each seeing what the previous
 * one committed.
 */
export const recipientLock = (email: string): string => `invite:${email}`;

/**
 * Email invites, inside a transaction serialized on `recipientLock`: `read` answers what the rules
 * need and locks the recipient's pending invites to the targets; then one `write` applies the
 * decision: the delivery, its queue job, the invites, their events and the email quota count.
 * The write of a new or reused delivery (not `Renew`, which may find it `Stale`) counted against
 * at most one organization is all or nothing, and is the last statement of its transaction: the
 * adapter may commit the transaction with it, in the same round trip, so that the quota's row is
 * not held across a round trip (nothing may be written after it).
 */
export class EmailInviteStore extends Context.Service<
  EmailInviteStore,
  {
    read(query: EmailInviteQuery): Effect.Effect<EmailInviteState, RepositoryError>;
    write(plan: EmailInvitePlan): Effect.Effect<EmailInviteWritten, RepositoryError>;
  }
>()("@admit/domain/EmailInviteStore") {}

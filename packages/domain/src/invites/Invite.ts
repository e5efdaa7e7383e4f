import type { InviterKind } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import type { ResolvedTarget, Target } from "../targets/Target.ts";

/** Stored states; `expired` is never stored: a pending invite past its expiry reads as expired. */
export type StoredInviteStatus = "pending" | "accepted" | "declined" | "revoked";
export type InviteStatus = StoredInviteStatus | "expired";
export const INVITE_STATUSES = ["pending", "accepted", "declined", "revoked", "expired"] as const;

/** `queued`, then `sent` or `failed` by the worker; then, from the provider's reports, `delivered`, `bounced` or `complained`. */
export type DeliveryStatus = "queued" | "sent" | "failed" | "delivered" | "bounced" | "complained";
export const DELIVERY_STATUSES = ["queued", "sent", "failed", "delivered", "bounced", "complained"] as const;

/** A bounce as the provider reported it. */
export interface DeliveryBounce {
  /** The provider's bounce type, e.g. Postmark's `HardBounce`, `SoftBounce`, `Transient`. */
  readonly type: string;
  readonly description: string;
  /** The address cannot be mailed again (a hard bounce, or the provider deactivated it). */
  readonly permanent: boolean;
}

/** What callers see of an invite's delivery. */
export interface DeliveryView {
  readonly id: string;
  readonly status: DeliveryStatus;
  readonly lastError: string | null;
  /** The last bounce reported, if any. */
  readonly bounce: DeliveryBounce | null;
}

/** An invite as stored, with what the lifecycle rules need to know. */
export interface InviteRecord {
  readonly id: string;
  readonly email: string;
  readonly target: ResolvedTarget;
  readonly role: Role;
  readonly status: StoredInviteStatus;
  readonly expiresAt: Date;
  readonly createdAt: Date;
  readonly inviter: { readonly kind: InviterKind; readonly id: string | null; readonly name: string };
  readonly delivery: DeliveryView;
  readonly redirectUrl: string | null;
  readonly locale: string | null;
}

/** What callers see of an invite. */
export interface InviteView {
  readonly id: string;
  readonly email: string;
  readonly target: Target;
  readonly organizationId: string | null;
  readonly role: Role;
  readonly status: InviteStatus;
  readonly expiresAt: Date;
  readonly createdAt: Date;
  readonly invitedBy: { readonly kind: InviterKind; readonly id: string | null; readonly name: string };
  readonly delivery: DeliveryView;
  readonly redirectUrl: string | null;
  readonly locale: string | null;
}

export const statusAt = (invite: Pick<InviteRecord, "status" | "expiresAt">, now: number): InviteStatus =>
  invite.status === "pending" && invite.expiresAt.getTime() <= now ? "expired" : invite.status;

export const toInviteView = (invite: InviteRecord, now: number): InviteView => ({
  id: invite.id,
  email: invite.email,
  target: { type: invite.target.type, id: invite.target.id },
  organizationId: invite.target.organizationId,
  role: invite.role,
  status: statusAt(invite, now),
  expiresAt: invite.expiresAt,
  createdAt: invite.createdAt,
  invitedBy: invite.inviter,
  delivery: invite.delivery,
  redirectUrl: invite.redirectUrl,
  locale: invite.locale,
});

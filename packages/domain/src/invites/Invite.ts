import type { InviterKind } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import type { ResolvedTarget, Target } from "../targets/Target.ts";

/** Stored states; `expired` is never stored: a pending invite past its expiry reads as expired. */
export type StoredInviteStatus = "pending" | "accepted" | "declined" | "revoked";
export type InviteStatus = StoredInviteStatus | "expired";
export const INVITE_STATUSES = ["pending", "accepted", "declined", "revoked", "expired"] as const;

export type DeliveryStatus = "queued" | "sent" | "failed";

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
  readonly delivery: { readonly id: string; readonly status: DeliveryStatus; readonly lastError: string | null };
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
  readonly delivery: { readonly id: string; readonly status: DeliveryStatus; readonly lastError: string | null };
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

import type { Principal } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import type { ResolvedTarget, Target } from "../targets/Target.ts";

/**
 * Every kind of event Admit records. Adding a kind means adding it here: the audit filter, the
 * webhook endpoint filter and the input schemas all read this list.
 */
export const EVENT_TYPES = [
  "invite.created",
  "invite.resent",
  "invite.revoked",
  "invite.accepted",
  "invite.declined",
  "invite.expired",
  "delivery.sent",
  "delivery.failed",
  "delivery.delivered",
  "delivery.bounced",
  "member.added",
  "member.role_changed",
  "member.removed",
  "link_invite.created",
  "link_invite.updated",
  "link_invite.revoked",
  "link_invite.joined",
  "organization.updated",
  "api_key.created",
  "api_key.revoked",
  "webhook.created",
  "webhook.updated",
  "webhook.deleted",
  "webhook.secret_rotated",
  "webhook.disabled",
  "webhook.test",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (value: string): value is EventType =>
  (EVENT_TYPES as ReadonlyArray<string>).includes(value);

export type ActorKind = "api_key" | "root" | "user" | "invitee" | "system";

export interface Actor {
  readonly kind: ActorKind;
  readonly id: string | null;
}

export interface EventSubject {
  readonly type: string;
  readonly id: string;
}

/** What a use case records; the log gives it an id and the time it is written. */
export interface NewEvent {
  readonly type: EventType;
  readonly organizationId: string | null;
  readonly actor: Actor;
  readonly subject: EventSubject;
  /** What a receiver needs to act on; never a secret or a token. */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * An event planned together with the change it records. With `whenAdded`, it records a membership
 * the change adds only if missing: it is written exactly when that membership is added.
 */
export interface PlannedEvent {
  readonly event: NewEvent;
  readonly whenAdded?: Target | undefined;
}

export interface EventRecord extends NewEvent {
  readonly id: string;
  readonly occurredAt: Date;
}

export const SYSTEM_ACTOR: Actor = { kind: "system", id: null };

export const actorOf = (principal: Principal): Actor => {
  switch (principal.kind) {
    case "global":
      return principal.apiKeyId === null ? { kind: "root", id: null } : { kind: "api_key", id: principal.apiKeyId };
    case "organization":
      return { kind: "api_key", id: principal.apiKeyId };
    case "user":
      return { kind: "user", id: principal.userId };
  }
};

const targetData = (t: ResolvedTarget) => ({ type: t.type, id: t.id });

/** An event about one invite; `data` carries the invite's email, target and role plus `extra`. */
export const inviteEvent = (
  type: EventType,
  actor: Actor,
  invite: { readonly id: string; readonly email: string; readonly target: ResolvedTarget; readonly role: Role },
  extra: Readonly<Record<string, unknown>> = {},
): NewEvent => ({
  type,
  organizationId: invite.target.organizationId,
  actor,
  subject: { type: "invite", id: invite.id },
  data: { inviteId: invite.id, email: invite.email, target: targetData(invite.target), role: invite.role, ...extra },
});

/** An event about one membership (a user on a target). */
export const memberEvent = (
  type: EventType,
  actor: Actor,
  member: { readonly userId: string; readonly target: ResolvedTarget; readonly role: Role },
  extra: Readonly<Record<string, unknown>> = {},
): NewEvent => ({
  type,
  organizationId: member.target.organizationId,
  actor,
  subject: { type: "user", id: member.userId },
  data: { userId: member.userId, target: targetData(member.target), role: member.role, ...extra },
});

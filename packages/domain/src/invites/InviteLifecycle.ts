import { Clock, Effect } from "effect";
import { authorizedGrants, checkTargets } from "../access/Access.ts";
import type { Principal } from "../access/Principal.ts";
import { DeliveryRepository } from "../deliveries/DeliveryRepository.ts";
import { Conflict, Forbidden, NotFound, RepositoryError, TooManyRequests } from "../errors/Errors.ts";
import type { ConflictReason } from "../errors/Reasons.ts";
import { actorOf, inviteEvent, memberEvent, SYSTEM_ACTOR } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import type { PageRequest } from "../members/MembershipRepository.ts";
import { chargeEmailQuota } from "../quotas/EmailQuota.ts";
import { normalizeEmail } from "../shared/Email.ts";
import { IdGenerator } from "../shared/IdGenerator.ts";
import { TokenGenerator } from "../shared/TokenGenerator.ts";
import { Transactor } from "../shared/Transactor.ts";
import { targetKey } from "../targets/Target.ts";
import { TargetRepository } from "../targets/TargetRepository.ts";
import { TenancyRepository } from "../tenancy/TenancyRepository.ts";
import { type DeliveryStatus, type InviteRecord, type InviteStatus, statusAt, toInviteView } from "./Invite.ts";
import { type AnswerableInvite, InviteAnswerStore } from "./InviteAnswerStore.ts";
import { type InviteFilter, InviteRepository } from "./InviteRepository.ts";
import { InviteSettings } from "./InviteSettings.ts";
import { EMAIL_INTERVAL_MS, queueDelivery } from "./Invites.ts";

const inviteNotFound = () => new NotFound({ reason: "invite_not_found" });

/** Who may read an invite: the platform, the invite's organization, or the person it is addressed to. */
const canRead = (principal: Principal, invite: InviteRecord): boolean => {
  switch (principal.kind) {
    case "global":
      return true;
    case "organization":
      return invite.target.organizationId === principal.organizationId;
    case "user":
      return invite.email === principal.email;
  }
};

/** Who may revoke or resend: the platform, the organization, or a user who could have sent it. */
const canManage = Effect.fn("Invites.canManage")(function* (principal: Principal, invite: InviteRecord) {
  if (principal.kind !== "user") return canRead(principal, invite);
  const [access] = yield* checkTargets(principal, [invite.target], invite.role);
  return access?._tag === "Allowed";
});

/**
 * The invite a caller may revoke or resend. One it cannot read does not exist for it; one it can
 * read but not manage (a user's own invitation) is forbidden, as the caller knows it exists.
 */
const manageable = Effect.fn("Invites.manageable")(function* (principal: Principal, invite: InviteRecord | null) {
  if (invite === null) return yield* inviteNotFound();
  if (yield* canManage(principal, invite)) return invite;
  if (canRead(principal, invite)) return yield* new Forbidden({ reason: "insufficient_role" });
  return yield* inviteNotFound();
});

const CLOSED_REASON: Record<Exclude<InviteStatus, "pending">, ConflictReason> = {
  accepted: "invite_already_accepted",
  declined: "invite_declined",
  revoked: "invite_revoked",
  expired: "invite_expired",
};

export const getInvite = Effect.fn("Invites.get")(function* (principal: Principal, input: { inviteId: string }) {
  const invite = yield* (yield* InviteRepository).get(input.inviteId);
  if (invite === null || !canRead(principal, invite)) return yield* inviteNotFound();
  return toInviteView(invite, yield* Clock.currentTimeMillis);
});

export interface ListInvitesInput extends PageRequest {
  readonly organizationId?: string | undefined;
  readonly websiteId?: string | undefined;
  readonly groupId?: string | undefined;
  readonly status?: InviteStatus | undefined;
  readonly deliveryStatus?: DeliveryStatus | undefined;
  readonly email?: string | undefined;
}

/** `invites.list`. Untraced, as `createInvite` is: a hot path pays `Effect.fn`'s stack capture for no tracer. */
export const listInvites = Effect.fnUntraced(function* (principal: Principal, input: ListInvitesInput) {
  const now = yield* Clock.currentTimeMillis;
  const filter: { -readonly [K in keyof InviteFilter]: InviteFilter[K] } = {
    organizationId: input.organizationId,
    websiteId: input.websiteId,
    groupId: input.groupId,
    status: input.status,
    deliveryStatus: input.deliveryStatus,
    email: input.email === undefined ? undefined : normalizeEmail(input.email),
    now: new Date(now),
  };
  if (principal.kind === "organization") {
    if (input.organizationId !== undefined && input.organizationId !== principal.organizationId) {
      return yield* new NotFound({ reason: "organization_not_found" });
    }
    filter.organizationId = principal.organizationId;
  } else if (principal.kind === "user") {
    if (filter.email !== undefined && filter.email !== principal.email) return { items: [], nextCursor: null };
    filter.email = principal.email;
  }
  const page = yield* (yield* InviteRepository).list(filter, input);
  return { items: page.items.map((i) => toInviteView(i, now)), nextCursor: page.nextCursor };
});

/** `invites.revoke`: idempotent; an invite already answered cannot be revoked. */
export const revokeInvite = Effect.fn("Invites.revoke")(function* (principal: Principal, input: { inviteId: string }) {
  const invites = yield* InviteRepository;
  const now = yield* Clock.currentTimeMillis;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const invite = yield* manageable(principal, yield* invites.get(input.inviteId, { lock: true }));
      if (invite.status === "accepted" || invite.status === "declined") {
        return yield* new Conflict({ reason: CLOSED_REASON[invite.status] });
      }
      if (invite.status === "pending") {
        yield* invites.respond([invite.id], "revoked", null);
        yield* emit([inviteEvent("invite.revoked", actorOf(principal), invite)]);
      }
      return toInviteView({ ...invite, status: "revoked" }, now);
    }),
  );
});

/** `invites.resend`: a new token, a new expiry and a new email; throttled per recipient. */
export const resendInvite = Effect.fn("Invites.resend")(function* (principal: Principal, input: { inviteId: string }) {
  const invites = yield* InviteRepository;
  const deliveries = yield* DeliveryRepository;
  const settings = yield* InviteSettings;
  const now = yield* Clock.currentTimeMillis;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const invite = yield* manageable(principal, yield* invites.get(input.inviteId, { lock: true }));
      if (invite.status !== "pending") return yield* new Conflict({ reason: CLOSED_REASON[invite.status] });
      const recent = yield* deliveries.countResends(invite.email, new Date(now - 3_600_000));
      if (recent >= settings.resendsPerRecipientPerHour)
        return yield* new TooManyRequests({ reason: "resend_throttled" });
      // A resend is an explicit request for a new email (and is throttled per hour); after an
      // email for this invite it waits until a minute has passed.
      const [current] = yield* deliveries.current(invite.email, [invite.target]);
      const sentAt = current?.sentAt ?? null;
      const { id: deliveryId } = yield* queueDelivery(
        invite.email,
        invite.inviter.name,
        "resend",
        sentAt !== null && now - sentAt.getTime() < EMAIL_INTERVAL_MS
          ? new Date(sentAt.getTime() + EMAIL_INTERVAL_MS)
          : undefined,
      );
      const expiresAt = new Date(now + settings.inviteTtlMs);
      yield* invites.redeliver(invite.id, deliveryId, expiresAt);
      yield* chargeEmailQuota(invite.target.organizationId === null ? [] : [invite.target.organizationId]);
      yield* emit([inviteEvent("invite.resent", actorOf(principal), invite, { expiresAt: expiresAt.toISOString() })]);
      return toInviteView(
        { ...invite, expiresAt, delivery: { id: deliveryId, status: "queued", lastError: null, bounce: null } },
        now,
      );
    }),
  );
});

/**
 * The still-pending invites behind an accept token, from what was read: a token that reaches
 * nothing is `NOT_FOUND`; one whose invites were all answered, revoked, replaced or expired is
 * `CONFLICT` with the reason.
 */
const openedAt = <I extends Pick<InviteRecord, "status" | "expiresAt">>(
  found: { readonly email: string; readonly invites: ReadonlyArray<I> } | null,
  now: number,
): Effect.Effect<{ readonly email: string; readonly pending: ReadonlyArray<I> }, NotFound | Conflict> => {
  if (found === null) return Effect.fail(inviteNotFound());
  if (found.invites.length === 0) return Effect.fail(new Conflict({ reason: "invite_superseded" }));
  const pending = found.invites.filter((i) => statusAt(i, now) === "pending");
  if (pending.length === 0) {
    const statuses = new Set(found.invites.map((i) => statusAt(i, now)));
    const first = (["accepted", "declined", "revoked", "expired"] as const).find((s) => statuses.has(s)) ?? "expired";
    return Effect.fail(new Conflict({ reason: CLOSED_REASON[first] }));
  }
  return Effect.succeed({ email: found.email, pending });
};

/** The still-pending invites behind an accept token (see `openedAt`). */
const openToken = Effect.fn("Invites.openToken")(function* (token: string, lock: boolean) {
  const tokens = yield* TokenGenerator;
  const found = yield* (yield* InviteRepository).findByTokenHash(tokens.hash(token), { lock });
  return yield* openedAt(found, yield* Clock.currentTimeMillis);
});

/**
 * Where the person goes after accepting: the invite's `redirectUrl` (checked when it was
 * created), else the app URL of the organization it grants access to, else nowhere.
 */
const continueTo = (
  invites: ReadonlyArray<Pick<InviteRecord, "redirectUrl" | "target">>,
  organizations: ReadonlyArray<{ readonly id: string; readonly appUrl: string | null }>,
): string | null => {
  const chosen = invites.find((i) => i.redirectUrl !== null)?.redirectUrl;
  if (chosen) return chosen;
  const orgIds = [
    ...new Set(invites.flatMap((i) => (i.target.organizationId === null ? [] : [i.target.organizationId]))),
  ];
  for (const id of orgIds) {
    const appUrl = organizations.find((o) => o.id === id)?.appUrl;
    if (appUrl) return appUrl;
  }
  return null;
};

/** How many times an accept decides again after its write found the invites changed. */
const ACCEPT_ATTEMPTS = 3;

export interface AcceptInviteInput {
  readonly token: string;
  readonly firstName?: string | undefined;
  readonly lastName?: string | undefined;
}

/**
 * `invites.accept`: turns every still-pending invite of the token's delivery into a membership,
 * at once. One read of everything the rules look at (the invites, the recipient's account, the
 * inviters' authority, the organizations' app URLs), the rules, then one write of their decision,
 * which applies only if every invite it answers is still pending as read. Of concurrent accepts of
 * one token exactly one writes; the others decide again on a fresh read and find the token used.
 * Untraced, as `createInvite` is: a hot path pays `Effect.fn`'s stack capture for no tracer.
 */
export const acceptInvite = Effect.fnUntraced(function* (input: AcceptInviteInput) {
  const store = yield* InviteAnswerStore;
  const ids = yield* IdGenerator;
  const tokenHash = (yield* TokenGenerator).hash(input.token);
  for (let attempt = 1; ; attempt++) {
    const state = yield* store.read(tokenHash);
    if (state === null) return yield* inviteNotFound();
    const opened = yield* openedAt(state, yield* Clock.currentTimeMillis);
    const still = authorizedGrants(opened.pending, state.grantors);
    const honoured = opened.pending.filter((_, i) => still[i]);
    if (honoured.length === 0) return yield* new Forbidden({ reason: "inviter_lost_authority" });
    // The token works once: invites of this delivery that could not be honoured are closed too.
    const dropped = opened.pending.filter((_, i) => !still[i]);
    const existing = state.user;
    const userId = existing?.id ?? (yield* ids.next);
    const invitee = { kind: "invitee", id: userId } as const;
    const written = yield* store.write({
      user: {
        id: userId,
        email: opened.email,
        firstName: input.firstName?.trim() || null,
        lastName: input.lastName?.trim() || null,
        existing: existing !== null,
      },
      answers: [
        ...honoured.map((i) => ({ id: i.id, version: i.version, status: "accepted" as const })),
        ...dropped.map((i) => ({ id: i.id, version: i.version, status: "revoked" as const })),
      ],
      grants: honoured.map((i) => ({ target: i.target, role: i.role })),
      events: [
        ...honoured.map((i) => ({ event: inviteEvent("invite.accepted", invitee, i, { userId }) })),
        ...honoured.map((i) => ({
          event: memberEvent(
            "member.added",
            invitee,
            { userId, target: i.target, role: i.role },
            { email: opened.email },
          ),
          whenAdded: i.target,
        })),
        ...dropped.map((i) => ({
          event: inviteEvent("invite.revoked", SYSTEM_ACTOR, i, { reason: "inviter_lost_authority" }),
        })),
      ],
    });
    if (written) {
      // A membership the person already had keeps its role: the answer says which role they hold.
      const kept = (t: AnswerableInvite["target"]) =>
        state.recipientRoles.find((m) => m.target.type === t.type && m.target.id === t.id)?.role;
      return {
        userId,
        memberships: honoured.map((i) => ({
          target: { type: i.target.type, id: i.target.id },
          role: kept(i.target) ?? i.role,
        })),
        redirectUrl: continueTo(honoured, state.organizations),
      };
    }
    if (attempt >= ACCEPT_ATTEMPTS) {
      return yield* new RepositoryError({ cause: new Error("an accept kept being overtaken by concurrent changes") });
    }
  }
});

/**
 * `invites.decline`: closes every still-pending invite of the token's delivery. One read, the
 * rules, one write that applies only if every one of them is still pending as read (else it
 * decides again on a fresh read).
 */
export const declineInvite = Effect.fn("Invites.decline")(function* (input: { token: string }) {
  const store = yield* InviteAnswerStore;
  const tokenHash = (yield* TokenGenerator).hash(input.token);
  for (let attempt = 1; ; attempt++) {
    const state = yield* store.read(tokenHash);
    const opened = yield* openedAt(state, yield* Clock.currentTimeMillis);
    const written = yield* store.write({
      user: null,
      answers: opened.pending.map((i) => ({ id: i.id, version: i.version, status: "declined" as const })),
      grants: [],
      events: opened.pending.map((i) => ({ event: inviteEvent("invite.declined", { kind: "invitee", id: null }, i) })),
    });
    if (written) return { success: true as const, declined: opened.pending.length };
    if (attempt >= ACCEPT_ATTEMPTS) {
      return yield* new RepositoryError({ cause: new Error("a decline kept being overtaken by concurrent changes") });
    }
  }
});

/** `invites.preview`: what the invite is for, from whom, until when. Read-only: it never consumes the token. */
export const previewInvite = Effect.fn("Invites.preview")(function* (input: { token: string }) {
  const opened = yield* openToken(input.token, false);
  const names = yield* (yield* TargetRepository).describe(opened.pending.map((i) => i.target));
  const first = opened.pending[0] as InviteRecord;
  const orgId = opened.pending.find((i) => i.target.organizationId !== null)?.target.organizationId ?? null;
  const [org] = orgId === null ? [] : yield* (yield* TenancyRepository).getOrganizations([orgId]);
  return {
    invitedBy: first.inviter.name,
    /** The invite's language, else its organization's; the page falls back to the browser's. */
    locale: opened.pending.find((i) => i.locale !== null)?.locale ?? org?.locale ?? null,
    /** How the inviting organization presents itself (none for a group invite). */
    organization:
      org === undefined
        ? null
        : {
            id: org.id,
            name: org.displayName ?? org.name,
            logoUrl: org.logoUrl,
            primaryColor: org.primaryColor,
            supportEmail: org.supportEmail,
          },
    expiresAt: new Date(Math.min(...opened.pending.map((i) => i.expiresAt.getTime()))),
    targets: opened.pending.map((i) => {
      const d = names.get(targetKey(i.target));
      return {
        type: i.target.type,
        id: i.target.id,
        name: d?.name ?? "",
        organization: d?.organization ?? null,
        role: i.role,
      };
    }),
  };
});

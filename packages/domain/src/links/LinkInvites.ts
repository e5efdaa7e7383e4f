import { Clock, Effect } from "effect";
import { requireTarget, stillAuthorized } from "../access/Access.ts";
import { inviterOf, type Principal } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import { AlreadyMember, Conflict, Forbidden, InvalidInput, NotFound } from "../errors/Errors.ts";
import { type Actor, actorOf, type EventType, memberEvent, type NewEvent } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import { MembershipRepository, type PageRequest } from "../members/MembershipRepository.ts";
import { emailDomain } from "../shared/Email.ts";
import { IdGenerator } from "../shared/IdGenerator.ts";
import { TokenGenerator } from "../shared/TokenGenerator.ts";
import { Transactor } from "../shared/Transactor.ts";
import { TenancyRepository } from "../tenancy/TenancyRepository.ts";
import { UserRepository } from "../users/UserRepository.ts";
import { type LinkInviteChanges, type LinkInviteRecord, LinkInviteRepository } from "./LinkInviteRepository.ts";

export const LINK_CODE_PREFIX = "lnk";

const linkNotFound = () => new NotFound({ reason: "link_invite_not_found" });

/** An event about a link; never its join code. */
const linkEvent = (
  type: EventType,
  actor: Actor,
  link: LinkInviteRecord,
  extra: Readonly<Record<string, unknown>> = {},
): NewEvent => ({
  type,
  organizationId: link.organizationId,
  actor,
  subject: { type: "link_invite", id: link.id },
  data: {
    linkInviteId: link.id,
    role: link.role,
    sso: link.sso,
    expiresAt: link.expiresAt?.toISOString() ?? null,
    maxUses: link.maxUses,
    uses: link.uses,
    disabled: link.disabled,
    ...extra,
  },
});

/**
 * Managing links: organization admins (user tokens), keys of that organization, global keys.
 * `role` is what the link would grant, so a user can never make a link above their own role.
 */
const requireManager = Effect.fn("LinkInvites.requireManager")(function* (
  principal: Principal,
  organizationId: string,
  role: Role,
) {
  return yield* requireTarget(principal, { type: "organization", id: organizationId }, role);
});

/** Email domains are compared lower-case, without a leading `@`. */
export const normalizeDomains = (domains: ReadonlyArray<string>): string[] => [
  ...new Set(domains.map((d) => d.trim().toLowerCase().replace(/^@/, ""))),
];

export interface CreateLinkInviteInput {
  readonly organizationId: string;
  readonly role: Role;
  readonly sso: boolean;
  readonly expiresAt?: Date | undefined;
  readonly maxUses?: number | undefined;
  readonly allowedEmailDomains?: ReadonlyArray<string> | undefined;
}

/** Creates a link; its join code is stored hashed for lookups and sealed for managers to read again. */
export const createLinkInvite = Effect.fn("LinkInvites.create")(function* (
  principal: Principal,
  input: CreateLinkInviteInput,
) {
  yield* requireManager(principal, input.organizationId, input.role);
  const now = yield* Clock.currentTimeMillis;
  if (input.expiresAt !== undefined && input.expiresAt.getTime() <= now) {
    return yield* new InvalidInput({ message: "Invalid input", fieldErrors: { expiresAt: ["Must be in the future"] } });
  }
  const code = yield* (yield* TokenGenerator).next(LINK_CODE_PREFIX);
  const id = yield* (yield* IdGenerator).next;
  const links = yield* LinkInviteRepository;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const link = yield* links.create({
        id,
        organizationId: input.organizationId,
        role: input.role,
        sso: input.sso,
        expiresAt: input.expiresAt ?? null,
        maxUses: input.maxUses ?? null,
        allowedEmailDomains: normalizeDomains(input.allowedEmailDomains ?? []),
        createdBy: inviterOf(principal),
        code: code.token,
        codeHash: code.hash,
      });
      yield* emit([linkEvent("link_invite.created", actorOf(principal), link)]);
      return { link, code: code.token };
    }),
  );
});

export const getLinkInvite = Effect.fn("LinkInvites.get")(function* (
  principal: Principal,
  input: { organizationId: string; inviteId: string },
) {
  yield* requireManager(principal, input.organizationId, "read");
  const link = yield* (yield* LinkInviteRepository).get(input.organizationId, input.inviteId);
  if (link === null) return yield* linkNotFound();
  return link;
});

export const listLinkInvites = Effect.fn("LinkInvites.list")(function* (
  principal: Principal,
  input: { organizationId: string } & PageRequest,
) {
  yield* requireManager(principal, input.organizationId, "read");
  return yield* (yield* LinkInviteRepository).list(input.organizationId, input);
});

export const updateLinkInvite = Effect.fn("LinkInvites.update")(function* (
  principal: Principal,
  input: { organizationId: string; inviteId: string } & LinkInviteChanges,
) {
  yield* requireManager(principal, input.organizationId, input.role ?? "read");
  const links = yield* LinkInviteRepository;
  const now = yield* Clock.currentTimeMillis;
  if (input.expiresAt !== undefined && input.expiresAt !== null && input.expiresAt.getTime() <= now) {
    return yield* new InvalidInput({ message: "Invalid input", fieldErrors: { expiresAt: ["Must be in the future"] } });
  }
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const link = yield* links.get(input.organizationId, input.inviteId, { lock: true });
      if (link === null) return yield* linkNotFound();
      if (input.maxUses !== undefined && input.maxUses !== null && input.maxUses < link.uses) {
        return yield* new InvalidInput({
          message: "Invalid input",
          fieldErrors: { maxUses: [`Already used ${link.uses} times`] },
        });
      }
      const updated = yield* links.update(input.organizationId, input.inviteId, {
        role: input.role,
        expiresAt: input.expiresAt,
        maxUses: input.maxUses,
        disabled: input.disabled,
      });
      yield* emit([linkEvent("link_invite.updated", actorOf(principal), updated ?? link)]);
      return updated ?? link;
    }),
  );
});

export const revokeLinkInvite = Effect.fn("LinkInvites.revoke")(function* (
  principal: Principal,
  input: { organizationId: string; inviteId: string },
) {
  yield* requireManager(principal, input.organizationId, "read");
  const links = yield* LinkInviteRepository;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const link = yield* links.get(input.organizationId, input.inviteId, { lock: true });
      if (link === null || !(yield* links.revoke(input.organizationId, input.inviteId))) return yield* linkNotFound();
      yield* emit([linkEvent("link_invite.revoked", actorOf(principal), link)]);
      return { success: true as const };
    }),
  );
});

/** Why a link cannot be used now, if it cannot; without an email, whoever would use it is not checked. */
export const linkRefusal = (
  link: LinkInviteRecord,
  email: string | null,
  now: number,
): "link_invite_disabled" | "email_domain_not_allowed" | "link_invite_expired" | "link_invite_used_up" | null => {
  if (link.disabled) return "link_invite_disabled";
  if (link.expiresAt !== null && link.expiresAt.getTime() <= now) return "link_invite_expired";
  if (link.maxUses !== null && link.uses >= link.maxUses) return "link_invite_used_up";
  if (email === null) return null;
  if (link.allowedEmailDomains.length > 0 && !link.allowedEmailDomains.includes(emailDomain(email))) {
    return "email_domain_not_allowed";
  }
  return null;
};

/**
 * `linkInvites.join` (user token): adds an organization membership with the link's role. The link
 * row is locked while the use is counted, so `maxUses` holds under any number of concurrent joins;
 * joining twice is `already_member` and counts no use.
 */
export const joinLinkInvite = Effect.fn("LinkInvites.join")(function* (
  principal: Principal,
  input: { organizationId: string; inviteId: string },
) {
  if (principal.kind !== "user") return yield* new Forbidden({ reason: "user_token_required" });
  const links = yield* LinkInviteRepository;
  const memberships = yield* MembershipRepository;
  const tokens = yield* TokenGenerator;
  const now = yield* Clock.currentTimeMillis;
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      const link = yield* links.lockByCodeHash(input.organizationId, tokens.hash(input.inviteId));
      if (link === null) return yield* linkNotFound();
      const refusal = linkRefusal(link, principal.email, now);
      if (refusal === "email_domain_not_allowed" || refusal === "link_invite_disabled") {
        return yield* new Forbidden({ reason: refusal });
      }
      if (refusal !== null) return yield* new Conflict({ reason: refusal });
      const target = { type: "organization" as const, id: link.organizationId, organizationId: link.organizationId };
      const [still] = yield* stillAuthorized([{ inviter: link.createdBy, target, role: link.role }]);
      if (!still) return yield* new Forbidden({ reason: "inviter_lost_authority" });
      // An SSO member belongs to one organization only, as with organizations.inviteUsers. The
      // user's row is locked first (as inviteUsers' upsert locks it), so that two SSO joins or an
      // SSO join and an SSO inviteUsers of one user in two organizations cannot both see none.
      if (link.sso) yield* (yield* UserRepository).lock(principal.userId);
      const elsewhere =
        link.sso && (yield* memberships.inOtherOrganizations([principal.userId], link.organizationId)).length > 0;
      const sso = link.sso && !elsewhere;
      const added = yield* memberships.addUsers(target, [{ userId: principal.userId, role: link.role, sso }]);
      if (added.length === 0) return yield* new AlreadyMember();
      yield* links.countUse(link.id);
      const actor = actorOf(principal);
      yield* emit([
        linkEvent("link_invite.joined", actor, { ...link, uses: link.uses + 1 }, { userId: principal.userId }),
        memberEvent(
          "member.added",
          actor,
          { userId: principal.userId, target, role: link.role },
          {
            email: principal.email,
            sso,
            linkInviteId: link.id,
          },
        ),
      ]);
      return { organizationId: link.organizationId, userId: principal.userId, role: link.role, sso };
    }),
  );
});

/**
 * `linkInvites.preview` (public): what a link's page shows before anyone signs in. Read-only: it
 * locks nothing and never counts a use. An unknown code, a revoked link and another
 * organization's link all answer the same `link_invite_not_found`.
 */
export const previewLinkInvite = Effect.fn("LinkInvites.preview")(function* (input: {
  organizationId: string;
  code: string;
}) {
  const tokens = yield* TokenGenerator;
  const link = yield* (yield* LinkInviteRepository).findByCodeHash(input.organizationId, tokens.hash(input.code));
  if (link === null) return yield* linkNotFound();
  const org = yield* (yield* TenancyRepository).getOrganization(link.organizationId);
  if (org === null) return yield* linkNotFound();
  const now = yield* Clock.currentTimeMillis;
  const refusal = linkRefusal(link, null, now);
  return {
    organization: {
      id: org.id,
      name: org.displayName ?? org.name,
      logoUrl: org.logoUrl,
      primaryColor: org.primaryColor,
      supportEmail: org.supportEmail,
      locale: org.locale,
      appUrl: org.appUrl,
    },
    role: link.role,
    expiresAt: link.expiresAt,
    remainingUses: link.maxUses === null ? null : Math.max(0, link.maxUses - link.uses),
    allowedEmailDomains: link.allowedEmailDomains,
    usable: refusal === null,
    reason: refusal,
  };
});

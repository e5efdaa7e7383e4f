import { Clock, Effect } from "effect";
import { decideAccess, type TargetAccess, targetsToResolve } from "../access/Access.ts";
import { effectiveRolesFrom } from "../access/EffectiveRoles.ts";
import { inviterOf, type Principal } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import { DeliveryRepository, type NewDelivery } from "../deliveries/DeliveryRepository.ts";
import { AlreadyMember, Forbidden, InvalidInput, NotFound, RepositoryError } from "../errors/Errors.ts";
import type { RefusalReason } from "../errors/Reasons.ts";
import { actorOf, inviteEvent, memberEvent } from "../events/Event.ts";
import type { HeldRole } from "../members/MembershipRepository.ts";
import { checkRedirectUrl, parseLocale } from "../organizations/OrganizationSettings.ts";
import { EMAIL_QUOTA_WINDOW_MS, quotaRefusal } from "../quotas/EmailQuota.ts";
import { parseEmail } from "../shared/Email.ts";
import { IdGenerator } from "../shared/IdGenerator.ts";
import { TokenGenerator } from "../shared/TokenGenerator.ts";
import { Transactor } from "../shared/Transactor.ts";
import {
  type ResolvedTarget,
  TARGET_TYPES,
  TARGETS,
  type Target,
  type TargetType,
  targetKey,
} from "../targets/Target.ts";
import { DirectInviteStore } from "./DirectInviteStore.ts";
import { EmailInviteStore, type PendingInvite, recipientLock } from "./EmailInviteStore.ts";
import type { NewInvite } from "./InviteRepository.ts";
import { InviteSettings } from "./InviteSettings.ts";

export type InviteMethod = "direct" | "email";

export interface CreateInviteInput {
  readonly type: TargetType;
  readonly method: InviteMethod;
  readonly email: string;
  readonly role: Role;
  readonly organizationId?: string | undefined;
  readonly websiteId?: string | undefined;
  readonly groupId?: string | undefined;
  readonly firstName?: string | undefined;
  readonly lastName?: string | undefined;
  readonly redirectUrl?: string | undefined;
  readonly locale?: string | undefined;
}

export type CreateInviteResult =
  | { readonly success: true; readonly message: string; readonly userId: string }
  | { readonly success: true; readonly message: string; readonly inviteId: string };

const ID_FIELD: Record<TargetType, "organizationId" | "websiteId" | "groupId"> = {
  organization: "organizationId",
  website: "websiteId",
  group: "groupId",
};

/**
 * The target named by an input: the id field of its type is required (an organization key may
 * leave `organizationId` out: it means its own organization), the others must be absent.
 */
export const targetOf = (
  principal: Principal,
  input: Pick<CreateInviteInput, "type" | "organizationId" | "websiteId" | "groupId">,
): { ok: true; target: Target } | { ok: false; error: InvalidInput } => {
  const fieldErrors: Record<string, string[]> = {};
  const own = ID_FIELD[input.type];
  for (const field of Object.values(ID_FIELD)) {
    if (field !== own && input[field] !== undefined) {
      fieldErrors[field] = [`Not allowed when type is "${input.type}"`];
    }
  }
  let id = input[own];
  if (id === undefined && input.type === "organization" && principal.kind === "organization") {
    id = principal.organizationId;
  }
  if (id === undefined) fieldErrors[own] = [`Required when type is "${input.type}"`];
  if (Object.keys(fieldErrors).length > 0 || id === undefined) {
    return { ok: false, error: new InvalidInput({ message: "Invalid input", fieldErrors }) };
  }
  return { ok: true, target: { type: input.type, id } };
};

const validEmail = (raw: string) => {
  const parsed = parseEmail(raw);
  return parsed.ok
    ? Effect.succeed(parsed.email)
    : Effect.fail(new InvalidInput({ message: "Invalid input", fieldErrors: { email: [parsed.message] } }));
};

const nameOrNull = (value: string | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

/** The invite's language, checked before anything else is looked up. */
const localeOf = (raw: string | undefined): { ok: true; locale: string | null } | { ok: false; message: string } => {
  if (raw === undefined) return { ok: true, locale: null };
  const parsed = parseLocale(raw);
  return parsed.ok ? { ok: true, locale: parsed.value } : { ok: false, message: parsed.message };
};

/** `redirectUrl` and `locale` shape an email and what follows it: a direct invite has neither. */
const emailOnlyFields = (input: {
  method: InviteMethod;
  redirectUrl?: string | undefined;
  locale?: string | undefined;
}): Record<string, string[]> | null => {
  if (input.method === "email") return null;
  const errors: Record<string, string[]> = {};
  if (input.redirectUrl !== undefined) errors.redirectUrl = ['Only for method "email"'];
  if (input.locale !== undefined) errors.locale = ['Only for method "email"'];
  return Object.keys(errors).length > 0 ? errors : null;
};

/**
 * Where the person goes after accepting: `redirectUrl` must lead to an origin that the
 * organization of every invited target allows (`organizations` holds their settings as read). A
 * group has no organization, so no settings to allow one: group invites go on to nothing but the
 * organizations' app URLs.
 */
export const checkInviteRedirect = (
  raw: string | undefined,
  targets: ReadonlyArray<ResolvedTarget>,
  organizations: ReadonlyArray<{ readonly id: string; readonly allowedRedirectOrigins: ReadonlyArray<string> }>,
): Effect.Effect<string | null, InvalidInput> => {
  if (raw === undefined || targets.length === 0) return Effect.succeed(null);
  const fail = (message: string) =>
    Effect.fail(new InvalidInput({ message: "Invalid input: redirectUrl", fieldErrors: { redirectUrl: [message] } }));
  if (targets.some((t) => t.organizationId === null)) {
    return fail("Not available for group invites: a group has no organization to allow redirect origins");
  }
  let checked: string | null = null;
  for (const id of new Set(targets.map((t) => t.organizationId as string))) {
    const result = checkRedirectUrl(raw, organizations.find((o) => o.id === id)?.allowedRedirectOrigins ?? []);
    if (!result.ok) return fail(result.message);
    checked = result.value;
  }
  return Effect.succeed(checked);
};

/** Queues one email to `email` carrying a fresh accept token; answers the delivery queued. */
export const queueDelivery = Effect.fn("Invites.queueDelivery")(function* (
  email: string,
  inviterName: string,
  kind: "invite" | "resend",
  startAfter?: Date,
) {
  const id = yield* (yield* IdGenerator).next;
  const token = yield* (yield* TokenGenerator).next("inv");
  const delivery: NewDelivery = { id, email, token: token.token, tokenHash: token.hash, inviterName, kind, startAfter };
  yield* (yield* DeliveryRepository).enqueue(delivery);
  return delivery;
});

/** A recipient gets at most one email per invite in this time. */
export const EMAIL_INTERVAL_MS = 60_000;

const recentlySent = (d: { readonly sentAt: Date | null }, now: number) =>
  d.sentAt !== null && now - d.sentAt.getTime() < EMAIL_INTERVAL_MS;

/**
 * The delivery that carries a new email invite (or a replacement) of `email` to `targets`, from
 * the recipient's pending invites as read, so that a burst of identical invites sends one email:
 * - every target already pending on one delivery that is still queued: that delivery is reused
 *   with a new token (the invite gets a new expiry); nothing new is queued;
 * - that delivery was sent less than a minute ago: the replacement rides on it (the link just
 *   emailed stays valid, with the new role and expiry) and nothing is sent;
 * - otherwise a new delivery, held back until a minute after the last email for these invites.
 *
 * Untraced, as `createInvite` (see there).
 */
export const chooseDelivery = Effect.fnUntraced(function* (
  email: string,
  inviterName: string,
  targets: ReadonlyArray<ResolvedTarget>,
  pending: ReadonlyArray<PendingInvite>,
  now: number,
) {
  const wanted = new Set(targets.map(targetKey));
  const current = pending.filter((p) => wanted.has(targetKey(p.target)));
  const only = current[0]?.delivery;
  const tokens = yield* TokenGenerator;
  if (only !== undefined && current.length === targets.length && current.every((c) => c.delivery.id === only.id)) {
    if (only.status === "queued") return { _tag: "Renew", id: only.id, token: yield* tokens.next("inv") } as const;
    if ((only.status === "sent" || only.status === "delivered") && recentlySent(only, now)) {
      return { _tag: "Reuse", id: only.id } as const;
    }
  }
  const last = Math.max(
    0,
    ...current.flatMap((c) => (c.delivery.sentAt === null ? [] : [c.delivery.sentAt.getTime()])),
  );
  const token = yield* tokens.next("inv");
  const delivery: NewDelivery = {
    id: yield* (yield* IdGenerator).next,
    email,
    token: token.token,
    tokenHash: token.hash,
    inviterName,
    kind: "invite",
    startAfter: now - last < EMAIL_INTERVAL_MS ? new Date(last + EMAIL_INTERVAL_MS) : undefined,
  };
  return { _tag: "New", delivery } as const;
});

/** What one invite request asks (email or direct), its fields checked. */
interface InviteRequest {
  readonly email: string;
  readonly targets: ReadonlyArray<Target>;
  readonly role: Role;
  readonly firstName: string | null;
  readonly lastName: string | null;
  /** A refusal or an existing membership fails the whole request. */
  readonly single: boolean;
}

/** What an invite store reads for a request of `principal` to `email`: the targets to look up, and the principal's own roles if it is a user. */
const readQuery = (principal: Principal, email: string, targets: ReadonlyArray<Target>) => ({
  email,
  targets,
  roleHolder: principal.kind === "user" ? principal.userId : null,
});

/**
 * The rules' verdict on each target of a request, from what its store read (`null`: no target
 * needed looking up), and the targets allowed; with `single`, a refusal fails the request.
 */
const decide = Effect.fnUntraced(function* (
  principal: Principal,
  input: InviteRequest,
  state: { readonly resolved: ReadonlyArray<ResolvedTarget>; readonly holderRoles: ReadonlyArray<HeldRole> } | null,
) {
  const resolved = state?.resolved ?? [];
  const roles =
    state !== null && principal.kind === "user" ? effectiveRolesFrom(state.holderRoles, resolved) : new Map();
  const access = decideAccess(principal, input.targets, input.role, resolved, roles);
  if (input.single) yield* refuseFirst(access);
  return { access, allowed: access.flatMap((a) => (a._tag === "Allowed" ? [a.target] : [])) };
});

/** How many times an email invite decides again after its delivery was taken by a worker meanwhile. */
const EMAIL_ATTEMPTS = 3;

/**
 * Invites `email` by email to the targets the principal may grant `role` on, in one transaction
 * serialized on the recipient: one read of everything the rules look at, the rules, then one write
 * of their decision (the delivery and its job, the invites, their events, the quota count), which
 * writes nothing past the quota. With `single`, a refusal or an existing membership fails
 * the whole request.
 */
const inviteByEmail = Effect.fnUntraced(function* (
  principal: Principal,
  input: InviteRequest & { readonly redirectUrl: string | undefined; readonly locale: string | null },
) {
  const store = yield* EmailInviteStore;
  const settings = yield* InviteSettings;
  const ids = yield* IdGenerator;
  const inviter = inviterOf(principal);
  const actor = actorOf(principal);
  const { email, role } = input;
  const lookup = targetsToResolve(principal, input.targets);
  const nothing = { members: new Set<string>(), invited: new Map<string, string>() };
  if (lookup.length === 0) return { access: (yield* decide(principal, input, null)).access, ...nothing };
  return yield* (yield* Transactor).withTransaction(
    Effect.gen(function* () {
      for (let attempt = 1; ; attempt++) {
        const state = yield* store.read(readQuery(principal, email, lookup));
        const { access, allowed } = yield* decide(principal, input, state);
        const redirectUrl = yield* checkInviteRedirect(input.redirectUrl, allowed, state.organizations);
        const members = new Set(state.memberOf.map(targetKey));
        const invitable = allowed.filter((t) => !members.has(targetKey(t)));
        if (input.single && invitable.length === 0) return yield* new AlreadyMember();
        if (invitable.length === 0) return { access, members, invited: new Map<string, string>() };
        const now = yield* Clock.currentTimeMillis;
        const delivery = yield* chooseDelivery(email, inviter.name, invitable, state.pending, now);
        const deliveryId = delivery._tag === "New" ? delivery.delivery.id : delivery.id;
        const expiresAt = new Date(now + settings.inviteTtlMs);
        // A pending invite to a target is replaced in place: it keeps its id.
        const pendingIds = new Map(state.pending.map((p) => [targetKey(p.target), p.inviteId]));
        const invites: NewInvite[] = [];
        for (const target of invitable) {
          invites.push({
            id: pendingIds.get(targetKey(target)) ?? (yield* ids.next),
            email,
            target,
            role,
            deliveryId,
            inviter,
            firstName: input.firstName,
            lastName: input.lastName,
            expiresAt,
            redirectUrl,
            locale: input.locale,
          });
        }
        const written = yield* store.write({
          delivery,
          invites,
          events: invites.map((i) => inviteEvent("invite.created", actor, i, { expiresAt: expiresAt.toISOString() })),
          // One consolidated email, counted once against every organization it invites to.
          quota: {
            organizationIds: [
              ...new Set(invitable.flatMap((t) => (t.organizationId === null ? [] : [t.organizationId]))),
            ],
            now: new Date(now),
            windowMs: EMAIL_QUOTA_WINDOW_MS,
            limit: settings.emailInvitesPerHour,
          },
        });
        if (written._tag === "Written") {
          return { access, members, invited: new Map(invites.map((i) => [targetKey(i.target), i.id])) };
        }
        if (written._tag === "OverQuota") {
          const refusal = quotaRefusal(written.usage, settings.emailInvitesPerHour, yield* Clock.currentTimeMillis);
          return yield* refusal ?? new RepositoryError({ cause: new Error("a count within the limit was refused") });
        }
        if (attempt >= EMAIL_ATTEMPTS) {
          return yield* new RepositoryError({
            cause: new Error("an email invite kept losing its delivery to workers"),
          });
        }
      }
    }),
    { serializeOn: recipientLock(email) },
  );
});

/** A single-target request fails with its target's refusal. */
const refuseFirst = (access: ReadonlyArray<TargetAccess>): Effect.Effect<void, NotFound | Forbidden> => {
  const [only] = access;
  if (only?._tag !== "Refused") return Effect.void;
  return only.status === "forbidden"
    ? Effect.fail(new Forbidden({ reason: only.reason }))
    : Effect.fail(new NotFound({ reason: only.reason }));
};

/** How many times a direct invite decides again after its write found the world changed. */
const DIRECT_ATTEMPTS = 3;

/**
 * Adds `email` to the targets the principal may grant `role` on, now: one read of everything the
 * rules look at, the rules, then one write of their decision. A write overtaken by a concurrent
 * change writes nothing; the invite is then decided again on a fresh read (where the concurrent
 * change shows: the user now exists, or is a member already). With `single`, a refusal or an
 * existing membership fails the whole request and nothing is written.
 */
const inviteDirectly = Effect.fnUntraced(function* (principal: Principal, input: InviteRequest) {
  const store = yield* DirectInviteStore;
  const ids = yield* IdGenerator;
  const actor = actorOf(principal);
  const { email, role } = input;
  const lookup = targetsToResolve(principal, input.targets);
  if (lookup.length === 0) {
    return { access: (yield* decide(principal, input, null)).access, userId: undefined, added: new Set<string>() };
  }
  for (let attempt = 1; ; attempt++) {
    const state = yield* store.read(readQuery(principal, email, lookup));
    const { access, allowed } = yield* decide(principal, input, state);
    if (allowed.length === 0) return { access, userId: undefined, added: new Set<string>() };
    const members = new Set(state.memberOf.map(targetKey));
    const userId = state.invitee?.id ?? (yield* ids.next);
    const grants = allowed
      .filter((t) => !members.has(targetKey(t)))
      .map((target) => ({ target, event: memberEvent("member.added", actor, { userId, target, role }, { email }) }));
    if (input.single && grants.length === 0) return yield* new AlreadyMember();
    const existing = state.invitee !== null;
    // An existing member everywhere with no names to fill in: there is nothing to write.
    if (grants.length === 0 && existing && input.firstName === null && input.lastName === null) {
      return { access, userId, added: new Set<string>() };
    }
    const written = yield* store.write({
      user: { id: userId, email, firstName: input.firstName, lastName: input.lastName, existing },
      role,
      grants,
      requireGrant: input.single,
    });
    if (written._tag === "Written") return { access, userId, added: new Set(written.added.map(targetKey)) };
    if (attempt >= DIRECT_ATTEMPTS) {
      return yield* new RepositoryError({
        cause: new Error("a direct invite kept being overtaken by concurrent changes"),
      });
    }
  }
});

/**
 * `invites.create`: one email, one target, added now (`direct`) or invited by email.
 *
 * Untraced (`Effect.fnUntraced`, not `Effect.fn`): `Effect.fn` captures an `Error` at every call
 * for its stack frame and provides that frame to the body, which measured about a tenth of the
 * API's CPU per email invite for its three calls (this, `chooseDelivery`, `authenticate`), with no
 * tracer installed to read anything of it.
 */
export const createInvite = Effect.fnUntraced(function* (principal: Principal, input: CreateInviteInput) {
  const named = targetOf(principal, input);
  const parsed = parseEmail(input.email);
  const locale = localeOf(input.locale);
  const emailOnly = emailOnlyFields(input);
  if (!named.ok || !parsed.ok || !locale.ok || emailOnly !== null) {
    const fieldErrors = {
      ...(named.ok ? {} : named.error.fieldErrors),
      ...(parsed.ok ? {} : { email: [parsed.message] }),
      ...(locale.ok ? {} : { locale: [locale.message] }),
      ...emailOnly,
    };
    return yield* new InvalidInput({ message: "Invalid input", fieldErrors });
  }
  const email = parsed.email;

  const firstName = nameOrNull(input.firstName);
  const lastName = nameOrNull(input.lastName);
  if (input.method === "direct") {
    const { userId } = yield* inviteDirectly(principal, {
      email,
      targets: [named.target],
      role: input.role,
      firstName,
      lastName,
      single: true,
    });
    return { success: true, message: "User added", userId: userId as string } as CreateInviteResult;
  }

  const { invited } = yield* inviteByEmail(principal, {
    email,
    targets: [named.target],
    role: input.role,
    firstName,
    lastName,
    redirectUrl: input.redirectUrl,
    locale: locale.locale,
    single: true,
  });
  const inviteId = invited.get(targetKey(named.target)) as string;
  return { success: true, message: "Invitation sent", inviteId } as CreateInviteResult;
});

export const MAX_BULK_TARGETS = 50;

export interface CreateBulkInviteInput {
  readonly method: InviteMethod;
  readonly email: string;
  readonly role: Role;
  readonly websiteIds?: ReadonlyArray<string> | undefined;
  readonly groupIds?: ReadonlyArray<string> | undefined;
  readonly firstName?: string | undefined;
  readonly lastName?: string | undefined;
  readonly redirectUrl?: string | undefined;
  readonly locale?: string | undefined;
}

export type BulkStatus = "added" | "invited" | "already_member" | "not_found" | "forbidden" | "failed";

export interface BulkTargetResult {
  readonly target: Target;
  readonly status: BulkStatus;
  readonly inviteId?: string;
  /** Why a target was not invited: a refusal's reason, `already_member`, or `not_processed`. */
  readonly reason?: RefusalReason | "already_member" | "not_processed";
}

export interface CreateBulkInviteResult {
  readonly success: true;
  readonly message: "Bulk invite processed";
  readonly userId?: string;
  readonly results: ReadonlyArray<BulkTargetResult>;
}

/** Exactly one of `websiteIds` and `groupIds`, with 1 to 50 distinct ids. */
export const bulkTargetsOf = (
  input: Pick<CreateBulkInviteInput, "websiteIds" | "groupIds">,
): { ok: true; targets: ReadonlyArray<Target> } | { ok: false; error: InvalidInput } => {
  const fail = (fieldErrors: Record<string, string[]>) => ({
    ok: false as const,
    error: new InvalidInput({ message: "Invalid input", fieldErrors }),
  });
  const { websiteIds, groupIds } = input;
  if (websiteIds !== undefined && groupIds !== undefined) {
    const message = "Give exactly one of websiteIds and groupIds";
    return fail({ websiteIds: [message], groupIds: [message] });
  }
  const field = websiteIds !== undefined ? "websiteIds" : "groupIds";
  const ids = websiteIds ?? groupIds;
  if (ids === undefined) {
    const message = "One of websiteIds and groupIds is required";
    return fail({ websiteIds: [message], groupIds: [message] });
  }
  if (ids.length < 1 || ids.length > MAX_BULK_TARGETS) {
    return fail({ [field]: [`Between 1 and ${MAX_BULK_TARGETS} ids`] });
  }
  if (new Set(ids).size !== ids.length) return fail({ [field]: ["Ids must be distinct"] });
  const type = TARGET_TYPES.find((t) => TARGETS[t].idsField === field) as TargetType;
  return { ok: true, targets: ids.map((id) => ({ type, id })) };
};

/**
 * `invites.createBulk`: every target gets its own outcome, in input order; a refusal of one never
 * undoes another's success. The number of database round trips does not depend on the number of
 * targets: one lookup per kind, then one statement per kind of write.
 */
export const createBulkInvite = Effect.fn("Invites.createBulk")(function* (
  principal: Principal,
  input: CreateBulkInviteInput,
) {
  const named = bulkTargetsOf(input);
  if (!named.ok) return yield* named.error;
  const email = yield* validEmail(input.email);
  const locale = localeOf(input.locale);
  const emailOnly = emailOnlyFields(input);
  if (!locale.ok || emailOnly !== null) {
    const fieldErrors = { ...(locale.ok ? {} : { locale: [locale.message] }), ...emailOnly };
    return yield* new InvalidInput({ message: "Invalid input", fieldErrors });
  }
  const firstName = nameOrNull(input.firstName);
  const lastName = nameOrNull(input.lastName);
  const outcome = new Map<string, { status: BulkStatus; inviteId?: string }>();
  let userId: string | undefined;
  let access: ReadonlyArray<TargetAccess>;

  if (input.method === "direct") {
    const direct = yield* inviteDirectly(principal, {
      email,
      targets: named.targets,
      role: input.role,
      firstName,
      lastName,
      single: false,
    });
    access = direct.access;
    userId = direct.userId;
    for (const a of access) {
      if (a._tag === "Allowed") {
        outcome.set(targetKey(a.target), {
          status: direct.added.has(targetKey(a.target)) ? "added" : "already_member",
        });
      }
    }
  } else {
    const byEmail = yield* inviteByEmail(principal, {
      email,
      targets: named.targets,
      role: input.role,
      firstName,
      lastName,
      redirectUrl: input.redirectUrl,
      locale: locale.locale,
      single: false,
    });
    access = byEmail.access;
    for (const a of access) {
      if (a._tag !== "Allowed") continue;
      const key = targetKey(a.target);
      const inviteId = byEmail.invited.get(key);
      if (byEmail.members.has(key)) outcome.set(key, { status: "already_member" });
      else if (inviteId !== undefined) outcome.set(key, { status: "invited", inviteId });
    }
  }

  const results = named.targets.map((target, i): BulkTargetResult => {
    const a = access[i];
    if (a === undefined) return { target, status: "failed", reason: "not_processed" };
    if (a._tag === "Refused") return { target, status: a.status, reason: a.reason };
    const o = outcome.get(targetKey(target));
    if (o === undefined) return { target, status: "failed", reason: "not_processed" };
    if (o.status === "already_member") return { target, status: o.status, reason: "already_member" };
    return o.inviteId === undefined ? { target, status: o.status } : { target, status: o.status, inviteId: o.inviteId };
  });
  const result: CreateBulkInviteResult = {
    success: true,
    message: "Bulk invite processed",
    ...(input.method === "direct" && userId !== undefined ? { userId } : {}),
    results,
  };
  return result;
});

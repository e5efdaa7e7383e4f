import { Clock, Effect } from "effect";
import { checkTargets, decideAccess, requireTarget, type TargetAccess, targetsToResolve } from "../access/Access.ts";
import { effectiveRolesFrom } from "../access/EffectiveRoles.ts";
import { inviterOf, type Principal } from "../access/Principal.ts";
import type { Role } from "../access/Role.ts";
import { type CurrentDelivery, DeliveryRepository } from "../deliveries/DeliveryRepository.ts";
import { AlreadyMember, Forbidden, InvalidInput, NotFound, RepositoryError } from "../errors/Errors.ts";
import type { RefusalReason } from "../errors/Reasons.ts";
import { actorOf, inviteEvent, memberEvent } from "../events/Event.ts";
import { emit } from "../events/Events.ts";
import { MembershipRepository } from "../members/MembershipRepository.ts";
import { checkRedirectUrl, parseLocale } from "../organizations/OrganizationSettings.ts";
import { chargeEmailQuota } from "../quotas/EmailQuota.ts";
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
import { TenancyRepository } from "../tenancy/TenancyRepository.ts";
import { DirectInviteStore } from "./DirectInviteStore.ts";
import { InviteRepository, type NewInvite } from "./InviteRepository.ts";
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
 * organization of every invited target allows. A group has no organization, so no settings to
 * allow one: group invites go on to nothing but the organizations' app URLs.
 */
export const checkInviteRedirect = Effect.fn("Invites.checkRedirect")(function* (
  raw: string | undefined,
  targets: ReadonlyArray<ResolvedTarget>,
) {
  if (raw === undefined || targets.length === 0) return null;
  const fail = (message: string) =>
    new InvalidInput({ message: "Invalid input: redirectUrl", fieldErrors: { redirectUrl: [message] } });
  if (targets.some((t) => t.organizationId === null)) {
    return yield* fail("Not available for group invites: a group has no organization to allow redirect origins");
  }
  const orgIds = [...new Set(targets.map((t) => t.organizationId as string))];
  const orgs = yield* (yield* TenancyRepository).getOrganizations(orgIds);
  let checked: string | null = null;
  for (const id of orgIds) {
    const result = checkRedirectUrl(raw, orgs.find((o) => o.id === id)?.allowedRedirectOrigins ?? []);
    if (!result.ok) return yield* fail(result.message);
    checked = result.value;
  }
  return checked;
});

/** Queues one email to `email` carrying a fresh accept token; answers the delivery's id. */
export const queueDelivery = Effect.fn("Invites.queueDelivery")(function* (
  email: string,
  inviterName: string,
  kind: "invite" | "resend",
  startAfter?: Date,
) {
  const id = yield* (yield* IdGenerator).next;
  const token = yield* (yield* TokenGenerator).next("inv");
  yield* (yield* DeliveryRepository).enqueue({
    id,
    email,
    token: token.token,
    tokenHash: token.hash,
    inviterName,
    kind,
    startAfter,
  });
  return id;
});

/** A recipient gets at most one email per invite in this time. */
export const EMAIL_INTERVAL_MS = 60_000;

const recentlySent = (d: Pick<CurrentDelivery, "sentAt">, now: number) =>
  d.sentAt !== null && now - d.sentAt.getTime() < EMAIL_INTERVAL_MS;

/**
 * The delivery that carries a new email invite (or a replacement) of `email` to `targets`, so that
 * a burst of identical invites sends one email:
 * - every target already pending on one delivery that is still queued: that delivery is reused
 *   with a new token (the invite gets a new expiry from the caller); nothing new is queued;
 * - that delivery was sent less than a minute ago: the replacement rides on it (the link just
 *   emailed stays valid, with the new role and expiry) and nothing is sent;
 * - otherwise a new delivery, held back until a minute after the last email for these invites.
 */
export const deliveryForInvites = Effect.fn("Invites.deliveryFor")(function* (
  email: string,
  inviterName: string,
  targets: ReadonlyArray<ResolvedTarget>,
) {
  const deliveries = yield* DeliveryRepository;
  const current = yield* deliveries.current(email, targets);
  const now = yield* Clock.currentTimeMillis;
  const only = current[0];
  if (
    only !== undefined &&
    current.length === targets.length &&
    current.every((c) => c.deliveryId === only.deliveryId)
  ) {
    let state: Pick<CurrentDelivery, "status" | "sentAt"> = only;
    if (state.status === "queued") {
      const renewal = yield* deliveries.renew(only.deliveryId, yield* (yield* TokenGenerator).next("inv"));
      if (renewal.renewed) return only.deliveryId;
      state = renewal;
    }
    if ((state.status === "sent" || state.status === "delivered") && recentlySent(state, now)) return only.deliveryId;
  }
  const last = Math.max(0, ...current.flatMap((c) => (c.sentAt === null ? [] : [c.sentAt.getTime()])));
  return yield* queueDelivery(
    email,
    inviterName,
    "invite",
    now - last < EMAIL_INTERVAL_MS ? new Date(last + EMAIL_INTERVAL_MS) : undefined,
  );
});

/** One pending invite per target, all alike but for the target, in one write; their ids in order. */
const writePendingInvites = Effect.fnUntraced(function* (
  targets: ReadonlyArray<ResolvedTarget>,
  invite: Omit<NewInvite, "id" | "target">,
) {
  const ids = yield* IdGenerator;
  const rows: NewInvite[] = [];
  for (const target of targets) rows.push({ ...invite, id: yield* ids.next, target });
  return yield* (yield* InviteRepository).upsertPending(rows);
});

/** How many times a direct invite decides again after its write found the world changed. */
const DIRECT_ATTEMPTS = 3;

/**
 * Adds `email` to the targets the principal may grant `role` on, now: one read of everything the
 * rules look at, the rules, then one write of their decision. A write overtaken by a concurrent
 * change writes nothing; the invite is then decided again on a fresh read (where the concurrent
 * change shows: the user now exists, or is a member already). With `single`, a refusal or an
 * existing membership fails the whole request and nothing is written.
 */
const inviteDirectly = Effect.fnUntraced(function* (
  principal: Principal,
  input: {
    readonly email: string;
    readonly targets: ReadonlyArray<Target>;
    readonly role: Role;
    readonly firstName: string | null;
    readonly lastName: string | null;
    readonly single: boolean;
  },
) {
  const store = yield* DirectInviteStore;
  const ids = yield* IdGenerator;
  const actor = actorOf(principal);
  const { email, role } = input;
  for (let attempt = 1; ; attempt++) {
    const state = yield* store.read({
      email,
      targets: targetsToResolve(principal, input.targets),
      roleHolder: principal.kind === "user" ? principal.userId : null,
    });
    const roles = principal.kind === "user" ? effectiveRolesFrom(state.holderRoles, state.resolved) : new Map();
    const access = decideAccess(principal, input.targets, role, state.resolved, roles);
    if (input.single) {
      const [only] = access;
      if (only?._tag === "Refused") {
        return only.status === "forbidden"
          ? yield* new Forbidden({ reason: only.reason })
          : yield* new NotFound({ reason: only.reason });
      }
    }
    const allowed = access.flatMap((a) => (a._tag === "Allowed" ? [a.target] : []));
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

/** `invites.create`: one email, one target, added now (`direct`) or invited by email. */
export const createInvite = Effect.fn("Invites.create")(function* (principal: Principal, input: CreateInviteInput) {
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

  const target = yield* requireTarget(principal, named.target, input.role);
  const redirectUrl = yield* checkInviteRedirect(input.redirectUrl, [target]);
  const transactor = yield* Transactor;
  const memberships = yield* MembershipRepository;
  const settings = yield* InviteSettings;
  const now = yield* Clock.currentTimeMillis;
  const inviter = inviterOf(principal);
  return yield* transactor.withTransaction(
    Effect.gen(function* () {
      const already = yield* memberships.memberTargetsByEmail(email, [target]);
      if (already.length > 0) return yield* new AlreadyMember();
      const deliveryId = yield* deliveryForInvites(email, inviter.name, [target]);
      const expiresAt = new Date(now + settings.inviteTtlMs);
      const [inviteId] = yield* writePendingInvites([target], {
        email,
        role: input.role,
        deliveryId,
        inviter,
        firstName,
        lastName,
        expiresAt,
        redirectUrl,
        locale: locale.locale,
      });
      yield* emit([
        inviteEvent(
          "invite.created",
          actorOf(principal),
          { id: inviteId as string, email, target, role: input.role },
          {
            expiresAt: expiresAt.toISOString(),
          },
        ),
      ]);
      yield* chargeEmailQuota(target.organizationId === null ? [] : [target.organizationId]);
      return { success: true, message: "Invitation sent", inviteId: inviteId as string } as CreateInviteResult;
    }),
  );
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
    access = yield* checkTargets(principal, named.targets, input.role);
  }
  const allowed = access.flatMap((a) => (a._tag === "Allowed" ? [a.target] : []));
  const redirectUrl = input.method === "email" ? yield* checkInviteRedirect(input.redirectUrl, allowed) : null;
  const transactor = yield* Transactor;
  const memberships = yield* MembershipRepository;

  if (input.method === "email" && allowed.length > 0) {
    const settings = yield* InviteSettings;
    const now = yield* Clock.currentTimeMillis;
    const inviter = inviterOf(principal);
    yield* transactor.withTransaction(
      Effect.gen(function* () {
        const members = new Set((yield* memberships.memberTargetsByEmail(email, allowed)).map(targetKey));
        const invitable = allowed.filter((t) => !members.has(targetKey(t)));
        for (const t of allowed) if (members.has(targetKey(t))) outcome.set(targetKey(t), { status: "already_member" });
        if (invitable.length === 0) return;
        const deliveryId = yield* deliveryForInvites(email, inviter.name, invitable);
        const expiresAt = new Date(now + settings.inviteTtlMs);
        const inviteIds = yield* writePendingInvites(invitable, {
          email,
          role: input.role,
          deliveryId,
          inviter,
          firstName,
          lastName,
          expiresAt,
          redirectUrl,
          locale: locale.locale,
        });
        // One consolidated email, counted once against every organization it invites to.
        yield* chargeEmailQuota(invitable.flatMap((t) => (t.organizationId === null ? [] : [t.organizationId])));
        invitable.forEach((t, i) => {
          outcome.set(targetKey(t), { status: "invited", inviteId: inviteIds[i] as string });
        });
        const actor = actorOf(principal);
        yield* emit(
          invitable.map((target, i) =>
            inviteEvent(
              "invite.created",
              actor,
              { id: inviteIds[i] as string, email, target, role: input.role },
              {
                expiresAt: expiresAt.toISOString(),
              },
            ),
          ),
        );
      }),
    );
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

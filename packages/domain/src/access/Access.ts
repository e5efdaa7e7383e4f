import { Effect } from "effect";
import { Forbidden, NotFound, type RepositoryError } from "../errors/Errors.ts";
import type { ForbiddenReason, NotFoundReason } from "../errors/Reasons.ts";
import { type HeldRole, MembershipRepository } from "../members/MembershipRepository.ts";
import { notFoundReason, type ResolvedTarget, TARGETS, type Target, targetKey } from "../targets/Target.ts";
import { TargetRepository } from "../targets/TargetRepository.ts";
import { ApiKeyRepository, type ApiKeyView } from "../tenancy/ApiKeyRepository.ts";
import { effectiveRoles, effectiveRolesFrom, rolesToRead } from "./EffectiveRoles.ts";
import type { Inviter, Principal } from "./Principal.ts";
import { type Role, roleAtLeast } from "./Role.ts";

/** What a principal may do with one target when granting `role` on it. */
export type TargetAccess =
  | { readonly _tag: "Allowed"; readonly target: ResolvedTarget }
  | { readonly _tag: "Refused"; readonly status: "not_found"; readonly reason: NotFoundReason }
  | { readonly _tag: "Refused"; readonly status: "forbidden"; readonly reason: ForbiddenReason };

const refused = (
  ...[status, reason]: readonly ["not_found", NotFoundReason] | readonly ["forbidden", ForbiddenReason]
): TargetAccess => (status === "not_found" ? { _tag: "Refused", status, reason } : { _tag: "Refused", status, reason });

/** The targets `checkTargets` looks up: a group is refused to any principal but a global key unread. */
export const targetsToResolve = (principal: Principal, targets: ReadonlyArray<Target>): ReadonlyArray<Target> =>
  targets.filter((t) => !TARGETS[t.type].globalKeyOnly || principal.kind === "global");

/**
 * The access decision over what was read: `resolved` holds the targets that exist (among
 * `targetsToResolve`), `userRoles` a user principal's effective roles on them. A target outside an
 * organization key's tenant answers exactly like one that does not exist, so keys cannot probe
 * other tenants.
 */
export const decideAccess = (
  principal: Principal,
  targets: ReadonlyArray<Target>,
  role: Role,
  resolved: ReadonlyArray<ResolvedTarget>,
  userRoles: ReadonlyMap<string, Role>,
): ReadonlyArray<TargetAccess> => {
  const byKey = new Map(resolved.map((t) => [targetKey(t), t]));
  return targets.map((target): TargetAccess => {
    if (TARGETS[target.type].globalKeyOnly && principal.kind !== "global")
      return refused("forbidden", "group_requires_global_key");
    const found = byKey.get(targetKey(target));
    if (found === undefined) return refused("not_found", notFoundReason(target.type));
    if (principal.kind === "global") return { _tag: "Allowed", target: found };
    if (principal.kind === "organization") {
      return found.organizationId === principal.organizationId
        ? { _tag: "Allowed", target: found }
        : refused("not_found", notFoundReason(target.type));
    }
    const own = userRoles.get(targetKey(found));
    if (own === undefined) return refused("not_found", notFoundReason(target.type));
    if (own !== "admin") return refused("forbidden", "insufficient_role");
    if (!roleAtLeast(own, role)) return refused("forbidden", "role_above_own");
    return { _tag: "Allowed", target: found };
  });
};

/**
 * Decides, for every target at once (one lookup per kind, whatever the count), whether the
 * principal may grant `role` on it (see `decideAccess`).
 */
export const checkTargets = Effect.fn("Access.checkTargets")(function* (
  principal: Principal,
  targets: ReadonlyArray<Target>,
  role: Role,
): Effect.fn.Return<ReadonlyArray<TargetAccess>, RepositoryError, TargetRepository | MembershipRepository> {
  const lookup = targetsToResolve(principal, targets);
  const resolved = lookup.length === 0 ? [] : yield* (yield* TargetRepository).resolve(lookup);
  let userRoles: ReadonlyMap<string, Role> = new Map();
  if (principal.kind === "user" && resolved.length > 0) {
    userRoles = yield* effectiveRoles(principal.userId, resolved);
  }
  return decideAccess(principal, targets, role, resolved, userRoles);
});

export interface Grant {
  readonly inviter: Pick<Inviter, "kind" | "id">;
  readonly target: ResolvedTarget;
  readonly role: Role;
}

/** What `authorizedGrants` needs to know of the grants' creators, as read. */
export interface GrantorState {
  /** The API keys among the creators (missing: deleted). */
  readonly keys: ReadonlyArray<Pick<ApiKeyView, "id" | "kind" | "organizationId" | "revokedAt">>;
  /** The memberships of the users among the creators, at least on `rolesToRead` of their grants' targets. */
  readonly userRoles: ReadonlyArray<{ readonly userId: string } & HeldRole>;
}

/**
 * Whether whoever created each grant (an invite, a join link) may still grant that role on that
 * target: its key unrevoked and still covering the target, or, for a user, still admin there.
 * Checked again when the grant is used.
 */
export const authorizedGrants = (grants: ReadonlyArray<Grant>, state: GrantorState): ReadonlyArray<boolean> =>
  grants.map((g) => {
    const { inviter, target } = g;
    if (inviter.kind === "root") return true;
    if (inviter.kind === "api_key" && inviter.id !== null) {
      const key = state.keys.find((k) => k.id === inviter.id);
      return (
        key !== undefined &&
        key.revokedAt === null &&
        (key.kind === "global" || (!TARGETS[target.type].globalKeyOnly && key.organizationId === target.organizationId))
      );
    }
    if (inviter.kind === "user" && inviter.id !== null) {
      const held = state.userRoles.filter((m) => m.userId === inviter.id);
      const own = effectiveRolesFrom(held, [target]).get(targetKey(target));
      return own === "admin" && roleAtLeast(own, g.role);
    }
    return false;
  });

/** `authorizedGrants`, reading what it needs: one lookup per distinct creator. */
export const stillAuthorized = Effect.fn("Access.stillAuthorized")(function* (grants: ReadonlyArray<Grant>) {
  const keys = yield* ApiKeyRepository;
  const state: { keys: Array<GrantorState["keys"][number]>; userRoles: Array<GrantorState["userRoles"][number]> } = {
    keys: [],
    userRoles: [],
  };
  const byInviter = new Map<string, Grant[]>();
  for (const g of grants) {
    const k = `${g.inviter.kind}:${g.inviter.id}`;
    byInviter.set(k, [...(byInviter.get(k) ?? []), g]);
  }
  for (const same of byInviter.values()) {
    const inviter = (same[0] as Grant).inviter;
    if (inviter.kind === "api_key" && inviter.id !== null) {
      const key = yield* keys.get(inviter.id);
      if (key !== null) state.keys.push(key);
    } else if (inviter.kind === "user" && inviter.id !== null) {
      const userId = inviter.id;
      const held = yield* (yield* MembershipRepository).rolesOn(userId, rolesToRead(same.map((g) => g.target)));
      state.userRoles.push(...held.map((m) => ({ userId, ...m })));
    }
  }
  return authorizedGrants(grants, state);
});

/** Like `checkTargets` for one target, failing with the refusal (`NotFound` or `Forbidden`). */
export const requireTarget = Effect.fn("Access.requireTarget")(function* (
  principal: Principal,
  target: Target,
  role: Role,
) {
  const [access] = yield* checkTargets(principal, [target], role);
  if (access === undefined || access._tag === "Refused") {
    if (access?.status === "forbidden") return yield* new Forbidden({ reason: access.reason });
    return yield* new NotFound({ reason: access?.reason ?? notFoundReason(target.type) });
  }
  return access.target;
});

/** True when the principal may act on the organization itself (read it, manage its websites and keys). */
export const canActInOrganization = (principal: Principal, organizationId: string): boolean =>
  principal.kind === "global" || (principal.kind === "organization" && principal.organizationId === organizationId);

import { Effect } from "effect";
import { Forbidden, NotFound, type RepositoryError } from "../errors/Errors.ts";
import type { ForbiddenReason, NotFoundReason } from "../errors/Reasons.ts";
import { MembershipRepository } from "../members/MembershipRepository.ts";
import { notFoundReason, type ResolvedTarget, TARGETS, type Target, targetKey } from "../targets/Target.ts";
import { TargetRepository } from "../targets/TargetRepository.ts";
import { ApiKeyRepository } from "../tenancy/ApiKeyRepository.ts";
import { effectiveRoles } from "./EffectiveRoles.ts";
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

/**
 * Decides, for every target at once (one lookup per kind, whatever the count), whether the
 * principal may grant `role` on it. A target outside an organization key's tenant answers
 * exactly like one that does not exist, so keys cannot probe other tenants.
 */
export const checkTargets = Effect.fn("Access.checkTargets")(function* (
  principal: Principal,
  targets: ReadonlyArray<Target>,
  role: Role,
): Effect.fn.Return<ReadonlyArray<TargetAccess>, RepositoryError, TargetRepository | MembershipRepository> {
  const lookup = targets.filter((t) => !TARGETS[t.type].globalKeyOnly || principal.kind === "global");
  const resolved = lookup.length === 0 ? [] : yield* (yield* TargetRepository).resolve(lookup);
  const byKey = new Map(resolved.map((t) => [targetKey(t), t]));

  let userRoles: ReadonlyMap<string, Role> = new Map();
  if (principal.kind === "user" && resolved.length > 0) {
    userRoles = yield* effectiveRoles(principal.userId, resolved);
  }

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
});

export interface Grant {
  readonly inviter: Inviter;
  readonly target: ResolvedTarget;
  readonly role: Role;
}

/**
 * Whether whoever created each grant (an invite, a join link) may still grant that role on that
 * target: its key unrevoked and still covering the target, or, for a user, still admin there.
 * Checked again when the grant is used. One lookup per distinct creator.
 */
export const stillAuthorized = Effect.fn("Access.stillAuthorized")(function* (grants: ReadonlyArray<Grant>) {
  const keys = yield* ApiKeyRepository;
  const _memberships = yield* MembershipRepository;
  const ok: boolean[] = grants.map(() => false);
  const byInviter = new Map<string, number[]>();
  grants.forEach((g, i) => {
    const k = `${g.inviter.kind}:${g.inviter.id}`;
    byInviter.set(k, [...(byInviter.get(k) ?? []), i]);
  });
  for (const indexes of byInviter.values()) {
    const inviter = (grants[indexes[0] as number] as Grant).inviter;
    if (inviter.kind === "root") {
      for (const i of indexes) ok[i] = true;
    } else if (inviter.kind === "api_key" && inviter.id !== null) {
      const key = yield* keys.get(inviter.id);
      for (const i of indexes) {
        const { target } = grants[i] as Grant;
        ok[i] =
          key !== null &&
          key.revokedAt === null &&
          (key.kind === "global" ||
            (!TARGETS[target.type].globalKeyOnly && key.organizationId === target.organizationId));
      }
    } else if (inviter.kind === "user" && inviter.id !== null) {
      const roles = yield* effectiveRoles(
        inviter.id,
        indexes.map((i) => (grants[i] as Grant).target),
      );
      for (const i of indexes) {
        const g = grants[i] as Grant;
        const own = roles.get(targetKey(g.target));
        ok[i] = own === "admin" && roleAtLeast(own, g.role);
      }
    }
  }
  return ok;
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

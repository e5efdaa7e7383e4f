import { Effect } from "effect";
import { type HeldRole, MembershipRepository } from "../members/MembershipRepository.ts";
import { type ResolvedTarget, TARGETS, type Target, targetKey } from "../targets/Target.ts";
import { highestRole, type Role } from "./Role.ts";

const ownerOf = (t: ResolvedTarget): Target | null =>
  TARGETS[t.type].owner === "organization" && t.organizationId !== null
    ? { type: "organization", id: t.organizationId }
    : null;

/** The memberships `effectiveRolesFrom` needs to see: each target's own and its owning organization's. */
export const rolesToRead = (targets: ReadonlyArray<ResolvedTarget>): ReadonlyArray<Target> => {
  const wanted = new Map<string, Target>();
  for (const t of targets) {
    wanted.set(targetKey(t), { type: t.type, id: t.id });
    const o = ownerOf(t);
    if (o !== null) wanted.set(targetKey(o), o);
  }
  return [...wanted.values()];
};

/**
 * The effective role on each target from the user's memberships as stored (at least those on
 * `rolesToRead(targets)`): its own membership, or for a website the membership on the organization
 * that owns it, whichever is higher; missing when neither exists.
 */
export const effectiveRolesFrom = (
  held: ReadonlyArray<HeldRole>,
  targets: ReadonlyArray<ResolvedTarget>,
): ReadonlyMap<string, Role> => {
  const own = new Map(held.map((m) => [targetKey(m.target), m.role]));
  const effective = new Map<string, Role>();
  for (const t of targets) {
    const o = ownerOf(t);
    const roles = [own.get(targetKey(t)), o === null ? undefined : own.get(targetKey(o))];
    const best = highestRole(roles.filter((r): r is Role => r !== undefined));
    if (best !== null) effective.set(targetKey(t), best);
  }
  return effective;
};

/**
 * The user's effective role on each target (see `effectiveRolesFrom`). One lookup of the user's
 * memberships on the targets and their organizations.
 */
export const effectiveRoles = Effect.fn("Access.effectiveRoles")(function* (
  userId: string,
  targets: ReadonlyArray<ResolvedTarget>,
) {
  const wanted = rolesToRead(targets);
  const held = wanted.length === 0 ? [] : yield* (yield* MembershipRepository).rolesOn(userId, wanted);
  return effectiveRolesFrom(held, targets);
});

import { Effect } from "effect";
import { MembershipRepository } from "../members/MembershipRepository.ts";
import { type ResolvedTarget, TARGETS, type Target, targetKey } from "../targets/Target.ts";
import { highestRole, type Role } from "./Role.ts";

/**
 * The user's effective role on each target: its own membership, or for a website the membership
 * on the organization that owns it, whichever is higher; missing when neither exists. One lookup
 * of the user's memberships on the targets and their organizations.
 */
export const effectiveRoles = Effect.fn("Access.effectiveRoles")(function* (
  userId: string,
  targets: ReadonlyArray<ResolvedTarget>,
) {
  const owner = (t: ResolvedTarget): Target | null =>
    TARGETS[t.type].owner === "organization" && t.organizationId !== null
      ? { type: "organization", id: t.organizationId }
      : null;
  const wanted = new Map<string, Target>();
  for (const t of targets) {
    wanted.set(targetKey(t), { type: t.type, id: t.id });
    const o = owner(t);
    if (o !== null) wanted.set(targetKey(o), o);
  }
  const held = wanted.size === 0 ? [] : yield* (yield* MembershipRepository).rolesOn(userId, [...wanted.values()]);
  const own = new Map(held.map((m) => [targetKey(m.target), m.role]));
  const effective = new Map<string, Role>();
  for (const t of targets) {
    const o = owner(t);
    const roles = [own.get(targetKey(t)), o === null ? undefined : own.get(targetKey(o))];
    const best = highestRole(roles.filter((r): r is Role => r !== undefined));
    if (best !== null) effective.set(targetKey(t), best);
  }
  return effective as ReadonlyMap<string, Role>;
});

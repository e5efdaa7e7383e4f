import { rolesToRead } from "../../access/EffectiveRoles.ts";
import type { HeldRole } from "../../members/MembershipRepository.ts";
import type { ResolvedTarget, Target } from "../../targets/Target.ts";
import type { PlannedUser } from "../../users/UserRepository.ts";
import { normalizedEmail, ownerOf, type StoreState, sameTarget } from "./Store.ts";

/** What the invite stores read alike, shared by their in-memory adapters. */

/**
 * The targets among `targets` that exist, and the memberships of `roleHolder` (if any) on those
 * the rules read for them (`rolesToRead`).
 */
export const resolvedWithRoles = (
  s: StoreState,
  targets: ReadonlyArray<Target>,
  roleHolder: string | null,
): { readonly resolved: ReadonlyArray<ResolvedTarget>; readonly holderRoles: ReadonlyArray<HeldRole> } => {
  const resolved = targets.flatMap((t): ResolvedTarget[] => {
    const organizationId = ownerOf(s, t);
    return organizationId === undefined ? [] : [{ type: t.type, id: t.id, organizationId }];
  });
  const holderRoles =
    roleHolder === null
      ? []
      : rolesToRead(resolved).flatMap((t) => {
          const m = s.memberships.find((x) => x.userId === roleHolder && sameTarget(x.target, t));
          return m ? [{ target: { type: t.type, id: t.id }, role: m.role }] : [];
        });
  return { resolved, holderRoles };
};

/** The targets among `targets` where the user is a member (none without a user). */
export const memberTargets = (s: StoreState, userId: string | undefined, targets: ReadonlyArray<Target>) =>
  userId === undefined
    ? []
    : targets.filter((t) => s.memberships.some((m) => m.userId === userId && sameTarget(m.target, t)));

/**
 * `s` with the new user a plan decided on, as the `users` table takes it: `null` when a user has
 * its email by now (the plan is stale).
 */
export const withNewUser = (s: StoreState, user: PlannedUser, emailVerified: boolean, at: Date): StoreState | null => {
  if (s.users.some((u) => u.email === user.email)) return null;
  if (s.users.some((u) => u.id === user.id)) throw new Error(`users.id: duplicate ${user.id}`);
  const created = {
    id: user.id,
    email: normalizedEmail(user.email),
    firstName: user.firstName,
    lastName: user.lastName,
    emailVerified,
    createdAt: at,
  };
  return { ...s, users: [...s.users, created] };
};

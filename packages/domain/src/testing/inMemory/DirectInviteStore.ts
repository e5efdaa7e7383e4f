import { rolesToRead } from "../../access/EffectiveRoles.ts";
import { DirectInviteStore, type DirectInviteWritten } from "../../invites/DirectInviteStore.ts";
import type { ResolvedTarget } from "../../targets/Target.ts";
import { withEvents } from "./EventLog.ts";
import {
  type MembershipRow,
  normalizedEmail,
  ownerOf,
  type StoreState,
  sameTarget,
  storeAdapter,
  uniqueTargets,
  withNames,
} from "./Store.ts";

/** The write is one atomic update of the store, as the PostgreSQL adapter's is one statement. */
export const DirectInviteStoreTest = storeAdapter(DirectInviteStore, ({ r, w }) =>
  DirectInviteStore.of({
    read: (query) =>
      r("DirectInviteStore.read", (s) => {
        const resolved = uniqueTargets(query.targets).flatMap((t): ResolvedTarget[] => {
          const organizationId = ownerOf(s, t);
          return organizationId === undefined ? [] : [{ type: t.type, id: t.id, organizationId }];
        });
        const holder = query.roleHolder;
        const holderRoles =
          holder === null
            ? []
            : rolesToRead(resolved).flatMap((t) => {
                const m = s.memberships.find((x) => x.userId === holder && sameTarget(x.target, t));
                return m ? [{ target: { type: t.type, id: t.id }, role: m.role }] : [];
              });
        const invitee = s.users.find((u) => u.email === query.email);
        return {
          resolved,
          holderRoles,
          invitee: invitee ? { id: invitee.id } : null,
          memberOf:
            invitee === undefined
              ? []
              : uniqueTargets(query.targets).filter((t) =>
                  s.memberships.some((m) => m.userId === invitee.id && sameTarget(m.target, t)),
                ),
        };
      }),
    write: (plan) =>
      w("DirectInviteStore.write", (before, at): readonly [DirectInviteWritten, StoreState] => {
        const stale = [{ _tag: "Stale" }, before] as const;
        const { user } = plan;
        let s = before;
        if (!user.existing) {
          if (s.users.some((u) => u.email === user.email)) return stale;
          if (s.users.some((u) => u.id === user.id)) throw new Error(`users.id: duplicate ${user.id}`);
          const created = {
            id: user.id,
            email: normalizedEmail(user.email),
            firstName: user.firstName,
            lastName: user.lastName,
            emailVerified: false,
            createdAt: at,
          };
          s = { ...s, users: [...s.users, created] };
        }
        const row = s.users.find((u) => u.id === user.id);
        if (row === undefined) throw new Error(`memberships.user_id: no user ${user.id}`);
        const added = plan.grants.filter(
          (g, i) =>
            !s.memberships.some((m) => m.userId === user.id && sameTarget(m.target, g.target)) &&
            plan.grants.findIndex((o) => sameTarget(o.target, g.target)) === i,
        );
        if (plan.requireGrant && added.length === 0) return stale;
        if (user.existing) s = withNames(s, row, user);
        const rows = added.map(
          (g): MembershipRow => ({
            userId: user.id,
            target: { type: g.target.type, id: g.target.id },
            role: plan.role,
            sso: false,
            createdAt: at,
          }),
        );
        s = withEvents(
          { ...s, memberships: [...s.memberships, ...rows] },
          added.map((g) => g.event),
          at,
        );
        return [{ _tag: "Written", added: added.map((g) => ({ type: g.target.type, id: g.target.id })) }, s];
      }),
  }),
);

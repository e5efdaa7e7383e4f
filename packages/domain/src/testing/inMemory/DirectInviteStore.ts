import { DirectInviteStore, type DirectInviteWritten } from "../../invites/DirectInviteStore.ts";
import { withEvents } from "./EventLog.ts";
import { memberTargets, resolvedWithRoles, withNewUser } from "./inviteStores.ts";
import { type MembershipRow, type StoreState, sameTarget, storeAdapter, uniqueTargets, withNames } from "./Store.ts";

/** The write is one atomic update of the store, as the PostgreSQL adapter's is one statement. */
export const DirectInviteStoreTest = storeAdapter(DirectInviteStore, ({ r, w }) =>
  DirectInviteStore.of({
    read: (query) =>
      r("DirectInviteStore.read", (s) => {
        const targets = uniqueTargets(query.targets);
        const invitee = s.users.find((u) => u.email === query.email);
        return {
          ...resolvedWithRoles(s, targets, query.roleHolder),
          invitee: invitee ? { id: invitee.id } : null,
          memberOf: memberTargets(s, invitee?.id, targets),
        };
      }),
    write: (plan) =>
      w("DirectInviteStore.write", (before, at): readonly [DirectInviteWritten, StoreState] => {
        const stale = [{ _tag: "Stale" }, before] as const;
        const { user } = plan;
        let s = before;
        if (!user.existing) {
          const created = withNewUser(s, user, false, at);
          if (created === null) return stale;
          s = created;
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

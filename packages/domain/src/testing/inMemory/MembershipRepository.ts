import { MembershipRepository } from "../../members/MembershipRepository.ts";
import {
  type MembershipRow,
  memberView,
  paginateNewestFirst,
  sameTarget,
  storeAdapter,
  uniqueTargets,
} from "./Store.ts";

export const MembershipRepositoryTest = storeAdapter(MembershipRepository, ({ r, w }) =>
  MembershipRepository.of({
    addMany: (userId, targets, role, sso) =>
      w("MembershipRepository.addMany", (s, at) => {
        if (!s.users.some((u) => u.id === userId)) throw new Error(`memberships.user_id: no user ${userId}`);
        const added = uniqueTargets(targets).filter(
          (t) => !s.memberships.some((m) => m.userId === userId && sameTarget(m.target, t)),
        );
        const rows = added.map((target): MembershipRow => ({ userId, target, role, sso, createdAt: at }));
        return [added, { ...s, memberships: [...s.memberships, ...rows] }];
      }),
    addUsers: (target, members) =>
      w("MembershipRepository.addUsers", (s, at) => {
        const missing = members.filter((m) => !s.users.some((u) => u.id === m.userId));
        if (missing.length > 0) {
          throw new Error(`memberships.user_id: no user ${missing.map((m) => m.userId).join(", ")}`);
        }
        const rows: MembershipRow[] = [];
        for (const m of members) {
          const taken = [...s.memberships, ...rows].some((x) => x.userId === m.userId && sameTarget(x.target, target));
          if (!taken) {
            rows.push({
              userId: m.userId,
              target: { type: target.type, id: target.id },
              role: m.role,
              sso: m.sso,
              createdAt: at,
            });
          }
        }
        return [rows.map((m) => m.userId), { ...s, memberships: [...s.memberships, ...rows] }];
      }),
    inOtherOrganizations: (userIds, organizationId) =>
      r("MembershipRepository.inOtherOrganizations", (s) =>
        [...new Set(userIds)].filter((userId) =>
          s.memberships.some(
            (m) => m.userId === userId && m.target.type === "organization" && m.target.id !== organizationId,
          ),
        ),
      ),
    memberTargetsByEmail: (email, targets) =>
      r("MembershipRepository.memberTargetsByEmail", (s) => {
        const user = s.users.find((u) => u.email === email);
        if (!user) return [];
        return uniqueTargets(targets).filter((t) =>
          s.memberships.some((m) => m.userId === user.id && sameTarget(m.target, t)),
        );
      }),
    rolesOn: (userId, targets) =>
      r("MembershipRepository.rolesOn", (s) =>
        uniqueTargets(targets).flatMap((t) => {
          const m = s.memberships.find((x) => x.userId === userId && sameTarget(x.target, t));
          return m ? [{ target: { type: t.type, id: t.id }, role: m.role }] : [];
        }),
      ),
    list: (target, page) =>
      r("MembershipRepository.list", (s) => {
        const members = s.memberships
          .filter((m) => sameTarget(m.target, target))
          .flatMap((m) => {
            const view = memberView(s, m);
            return view ? [{ id: view.userId, createdAt: view.createdAt, view }] : [];
          });
        const p = paginateNewestFirst(members, page);
        return { items: p.items.map((m) => m.view), nextCursor: p.nextCursor };
      }),
    // Row locks are not modelled: transactions already run one at a time.
    roleOf: (target, userId) =>
      r(
        "MembershipRepository.roleOf",
        (s) => s.memberships.find((m) => m.userId === userId && sameTarget(m.target, target))?.role ?? null,
      ),
    updateRole: (target, userId, role) =>
      w("MembershipRepository.updateRole", (s) => {
        const existing = s.memberships.find((m) => m.userId === userId && sameTarget(m.target, target));
        if (!existing) return [null, s];
        const updated = { ...existing, role };
        const next = { ...s, memberships: s.memberships.map((m) => (m === existing ? updated : m)) };
        return [memberView(next, updated), next];
      }),
    remove: (target, userId) =>
      w("MembershipRepository.remove", (s) => {
        const existing = s.memberships.find((m) => m.userId === userId && sameTarget(m.target, target));
        if (!existing) return [null, s];
        return [memberView(s, existing), { ...s, memberships: s.memberships.filter((m) => m !== existing) }];
      }),
  }),
);

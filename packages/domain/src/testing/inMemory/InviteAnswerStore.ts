import { rolesToRead } from "../../access/EffectiveRoles.ts";
import { type AnswerableInvite, InviteAnswerStore } from "../../invites/InviteAnswerStore.ts";
import { withEvents } from "./EventLog.ts";
import { withNewUser } from "./inviteStores.ts";
import { type InviteRow, type MembershipRow, type StoreState, sameTarget, storeAdapter, withNames } from "./Store.ts";

/** An invite row's version: its whole content, so that any change to the invite changes it. */
const versionOf = (row: InviteRow): string => JSON.stringify(row);

/** The write is one atomic update of the store, as the PostgreSQL adapter's is one statement. */
export const InviteAnswerStoreTest = storeAdapter(InviteAnswerStore, ({ r, w }) =>
  InviteAnswerStore.of({
    read: (tokenHash) =>
      r("InviteAnswerStore.read", (s) => {
        const delivery = s.deliveries.find((d) => d.tokenHash === tokenHash);
        if (delivery === undefined) return null;
        const rows = s.invites.filter((i) => i.deliveryId === delivery.id);
        const invites = rows.map(
          (i): AnswerableInvite => ({
            id: i.id,
            email: i.email,
            target: i.target,
            role: i.role,
            status: i.status,
            expiresAt: i.expiresAt,
            redirectUrl: i.redirectUrl,
            inviter: { kind: i.inviter.kind, id: i.inviter.id },
            version: versionOf(i),
          }),
        );
        const keyIds = new Set(rows.flatMap((i) => (i.inviter.kind === "api_key" ? [i.inviter.id] : [])));
        const userRoles = rows.flatMap((i) => {
          const userId = i.inviter.id;
          if (i.inviter.kind !== "user" || userId === null) return [];
          return rolesToRead([i.target]).flatMap((t) => {
            const m = s.memberships.find((x) => x.userId === userId && sameTarget(x.target, t));
            return m ? [{ userId, target: { type: t.type, id: t.id }, role: m.role }] : [];
          });
        });
        const orgIds = new Set(rows.map((i) => i.target.organizationId));
        const user = s.users.find((u) => u.email === delivery.email);
        const recipientRoles = s.memberships.flatMap((m) =>
          m.userId === user?.id && rows.some((i) => sameTarget(i.target, m.target))
            ? [{ target: { type: m.target.type, id: m.target.id }, role: m.role }]
            : [],
        );
        return {
          email: delivery.email,
          invites,
          user: user ? { id: user.id } : null,
          recipientRoles,
          grantors: { keys: s.apiKeys.filter((k) => keyIds.has(k.id)), userRoles },
          organizations: s.organizations.filter((o) => orgIds.has(o.id)).map((o) => ({ id: o.id, appUrl: o.appUrl })),
        };
      }),
    write: (plan) =>
      w("InviteAnswerStore.write", (before, at): readonly [boolean, StoreState] => {
        const stale = [false, before] as const;
        const changed = plan.answers.some((a) => {
          const row = before.invites.find((i) => i.id === a.id);
          return row === undefined || row.status !== "pending" || versionOf(row) !== a.version;
        });
        if (changed) return stale;
        const { user } = plan;
        let s = before;
        if (user?.existing) {
          const row = s.users.find((u) => u.id === user.id);
          if (row === undefined) return stale;
          const verified = { ...row, emailVerified: true };
          s = withNames({ ...s, users: s.users.map((u) => (u.id === row.id ? verified : u)) }, verified, user);
        } else if (user !== null) {
          const created = withNewUser(s, user, true, at);
          if (created === null) return stale;
          s = created;
        }
        const answers = new Map(plan.answers.map((a) => [a.id, a.status]));
        const invites = s.invites.map((i) => {
          const status = answers.get(i.id);
          return status === undefined
            ? i
            : { ...i, status, respondedBy: status === "accepted" ? (user?.id ?? null) : null, updatedAt: at };
        });
        const added: MembershipRow[] = [];
        const userId = user?.id ?? "";
        for (const g of user === null ? [] : plan.grants) {
          const taken = [...s.memberships, ...added].some((m) => m.userId === userId && sameTarget(m.target, g.target));
          if (!taken) {
            const target = { type: g.target.type, id: g.target.id };
            added.push({ userId, target, role: g.role, sso: false, createdAt: at });
          }
        }
        const events = plan.events.flatMap((e) =>
          e.whenAdded === undefined || added.some((m) => sameTarget(m.target, e.whenAdded as typeof m.target))
            ? [e.event]
            : [],
        );
        s = withEvents({ ...s, invites, memberships: [...s.memberships, ...added] }, events, at);
        return [true, s];
      }),
  }),
);

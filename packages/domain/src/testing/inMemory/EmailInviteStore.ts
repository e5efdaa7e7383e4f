import { EmailInviteStore, type EmailInviteWritten } from "../../invites/EmailInviteStore.ts";
import { overLimit } from "../../quotas/EmailQuota.ts";
import { withDelivery, withRenewal } from "./DeliveryRepository.ts";
import { withEmailCounted } from "./EmailQuotaCounter.ts";
import { withEvents } from "./EventLog.ts";
import { withPendingInvites } from "./InviteRepository.ts";
import { memberTargets, resolvedWithRoles } from "./inviteStores.ts";
import { type StoreState, sameTarget, storeAdapter, uniqueTargets } from "./Store.ts";

/**
 * The write is one atomic update of the store, as the PostgreSQL adapter's is one statement (plus
 * the delivery's job). Transactions run one at a time here, so the recipient's lock is implicit.
 */
export const EmailInviteStoreTest = storeAdapter(EmailInviteStore, ({ r, w }) =>
  EmailInviteStore.of({
    read: (query) =>
      r("EmailInviteStore.read", (s) => {
        const targets = uniqueTargets(query.targets);
        const { resolved, holderRoles } = resolvedWithRoles(s, targets, query.roleHolder);
        const memberOf = memberTargets(s, s.users.find((u) => u.email === query.email)?.id, targets);
        const pending = s.invites.flatMap((i) => {
          const target = targets.find((t) => sameTarget(t, i.target));
          const d = s.deliveries.find((x) => x.id === i.deliveryId);
          return i.status === "pending" && i.email === query.email && target !== undefined && d !== undefined
            ? [{ target, inviteId: i.id, delivery: { id: d.id, status: d.status, sentAt: d.sentAt ?? null } }]
            : [];
        });
        const orgIds = new Set(resolved.map((t) => t.organizationId));
        const organizations = s.organizations
          .filter((o) => orgIds.has(o.id))
          .map((o) => ({ id: o.id, allowedRedirectOrigins: o.allowedRedirectOrigins }));
        return { resolved, holderRoles, memberOf, pending, organizations };
      }),
    write: (plan) =>
      w("EmailInviteStore.write", (before, at): readonly [EmailInviteWritten, StoreState] => {
        let s = before;
        if (plan.delivery._tag === "New") s = withDelivery(s, plan.delivery.delivery, at);
        else if (plan.delivery._tag === "Renew") {
          const [renewal, renewed] = withRenewal(s, plan.delivery.id, plan.delivery.token);
          if (!renewal) return [{ _tag: "Stale" }, before];
          s = renewed;
        }
        const [ids, invited] = withPendingInvites(s, plan.invites, at);
        if (ids.some((id, i) => id !== plan.invites[i]?.id))
          throw new Error("invites: a pending invite moved meanwhile");
        const [usage, counted] = withEmailCounted(
          withEvents(invited, plan.events, at),
          plan.quota.organizationIds,
          plan.quota.now,
          plan.quota.windowMs,
        );
        // Past an organization's limit, nothing of the write stays.
        if (usage.some((u) => overLimit(u, plan.quota.limit))) return [{ _tag: "OverQuota", usage }, before];
        return [{ _tag: "Written" }, counted];
      }),
  }),
);

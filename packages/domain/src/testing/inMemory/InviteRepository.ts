import { InviteRepository, type NewInvite } from "../../invites/InviteRepository.ts";
import {
  inviteRecord,
  matchesFilter,
  paginateNewestFirst,
  type StoreState,
  sameTarget,
  storeAdapter,
} from "./Store.ts";

/**
 * The store with these pending invites created, or replacing in place the pending invite of the
 * same email and target (which keeps its id); answers the invite id of each, in order.
 */
export const withPendingInvites = (
  s: StoreState,
  invites: ReadonlyArray<NewInvite>,
  at: Date,
): readonly [ReadonlyArray<string>, StoreState] => {
  let rows = [...s.invites];
  const ids = invites.map((invite) => {
    const email = invite.email;
    const index = rows.findIndex(
      (row) => row.status === "pending" && row.email === email && sameTarget(row.target, invite.target),
    );
    const fields = {
      role: invite.role,
      deliveryId: invite.deliveryId,
      inviter: invite.inviter,
      firstName: invite.firstName,
      lastName: invite.lastName,
      expiresAt: invite.expiresAt,
      redirectUrl: invite.redirectUrl,
      locale: invite.locale,
      updatedAt: at,
    };
    const existing = rows[index];
    if (existing !== undefined) {
      rows = rows.map((row, i) => (i === index ? { ...existing, ...fields } : row));
      return existing.id;
    }
    if (rows.some((row) => row.id === invite.id)) throw new Error(`invites.id: duplicate ${invite.id}`);
    rows = [
      ...rows,
      { id: invite.id, email, target: invite.target, status: "pending", respondedBy: null, createdAt: at, ...fields },
    ];
    return invite.id;
  });
  return [ids, { ...s, invites: rows }];
};

export const InviteRepositoryTest = storeAdapter(InviteRepository, ({ r, w }) =>
  InviteRepository.of({
    upsertPending: (invites) => w("InviteRepository.upsertPending", (s, at) => withPendingInvites(s, invites, at)),
    get: (id) =>
      r("InviteRepository.get", (s) => {
        const row = s.invites.find((i) => i.id === id);
        return row ? inviteRecord(s, row) : null;
      }),
    list: (filter, page) =>
      r("InviteRepository.list", (s) => {
        const p = paginateNewestFirst(
          s.invites.filter((row) => matchesFilter(s, row, filter)),
          page,
        );
        return { items: p.items.map((row) => inviteRecord(s, row)), nextCursor: p.nextCursor };
      }),
    findByTokenHash: (tokenHash) =>
      r("InviteRepository.findByTokenHash", (s) => {
        const delivery = s.deliveries.find((d) => d.tokenHash === tokenHash);
        if (!delivery) return null;
        const invites = s.invites.filter((i) => i.deliveryId === delivery.id).map((row) => inviteRecord(s, row));
        return { email: delivery.email, invites };
      }),
    respond: (ids, status, userId) =>
      w("InviteRepository.respond", (s, at) => [
        undefined,
        {
          ...s,
          invites: s.invites.map((i) =>
            ids.includes(i.id) && i.status === "pending" ? { ...i, status, respondedBy: userId, updatedAt: at } : i,
          ),
        },
      ]),
    redeliver: (id, deliveryId, expiresAt) =>
      w("InviteRepository.redeliver", (s, at) => [
        undefined,
        {
          ...s,
          invites: s.invites.map((i) => (i.id === id ? { ...i, deliveryId, expiresAt, updatedAt: at } : i)),
        },
      ]),
  }),
);

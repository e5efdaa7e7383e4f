import { Effect } from "effect";
import {
  type ClaimedDelivery,
  DeliveryOutbox,
  type DeliveryRecord,
  type InvitedTarget,
  type OutgoingDelivery,
} from "../../deliveries/DeliveryOutbox.ts";
import { TARGETS } from "../../targets/Target.ts";
import {
  type DeliveryRow,
  type InviteRow,
  now,
  organizationsOf,
  rowsOf,
  type StoreState,
  storeAdapter,
} from "./Store.ts";

/** Text orders as the database's does for the names used here: by code unit. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The pending, unexpired invites' targets, named as the email shows them: by kind, then name, then invite id. */
const invitedTargets = (s: StoreState, pending: ReadonlyArray<InviteRow>, at: Date): ReadonlyArray<InvitedTarget> =>
  pending
    .filter((i) => i.expiresAt.getTime() > at.getTime())
    .map((i) => ({
      inviteId: i.id,
      target: {
        type: i.target.type,
        id: i.target.id,
        name: rowsOf(s, i.target.type).find((x) => x.id === i.target.id)?.name ?? "",
        organizationName:
          TARGETS[i.target.type].owner === "none"
            ? null
            : (s.organizations.find((o) => o.id === i.target.organizationId)?.name ?? null),
        role: i.role,
        expiresAt: i.expiresAt,
      },
    }))
    .sort(
      (a, b) =>
        byText(a.target.type, b.target.type) || byText(a.target.name, b.target.name) || byText(a.inviteId, b.inviteId),
    )
    .map((t) => t.target);

/** A queued delivery as the mailer needs it: who it is to, on whose behalf, and what it invites to. */
const outgoing = (s: StoreState, d: DeliveryRow, at: Date): OutgoingDelivery => {
  // The first of the pending invites (by creation) to name something decides it, as in the SQL.
  const pending = s.invites
    .filter((i) => i.deliveryId === d.id && i.status === "pending")
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const orgs = pending.flatMap((i) => s.organizations.filter((o) => o.id === i.target.organizationId));
  const brand = orgs[0];
  return {
    id: d.id,
    email: d.email,
    token: d.token,
    inviterName: d.inviterName,
    kind: d.kind,
    attempts: d.attempts ?? 0,
    targets: invitedTargets(s, pending, at),
    referenced: s.invites.some((i) => i.deliveryId === d.id),
    firstName: pending.find((i) => i.firstName !== null)?.firstName ?? null,
    locale: pending.find((i) => i.locale !== null)?.locale ?? orgs.find((o) => o.locale !== null)?.locale ?? null,
    brand:
      brand === undefined
        ? null
        : {
            name: brand.displayName ?? brand.name,
            logoUrl: brand.logoUrl,
            primaryColor: brand.primaryColor,
            supportEmail: brand.supportEmail,
          },
    organizationIds: organizationsOf(s, d.id),
  };
};

/** What one record leaves on a still-queued delivery. */
const recorded = (d: DeliveryRow, record: DeliveryRecord, at: Date): DeliveryRow => {
  const attempts = (d.attempts ?? 0) + 1;
  switch (record._tag) {
    case "Sent":
      return {
        ...d,
        status: "sent",
        sentAt: at,
        providerMessageId: record.messageId,
        token: null,
        attempts,
        lastError: null,
      };
    case "Failed":
      return { ...d, status: "failed", token: null, attempts, lastError: record.reason.slice(0, 1000) };
    case "Attempted":
      return { ...d, attempts, lastError: record.reason.slice(0, 1000) };
  }
};

/**
 * The worker's side of deliveries over the store. Row locks are not modelled: transactions already
 * run one at a time. A provider's message id names one delivery, as the unique index has it.
 */
export const DeliveryOutboxTest = storeAdapter(DeliveryOutbox, ({ r, w }) =>
  DeliveryOutbox.of({
    claim: (deliveryIds) =>
      Effect.flatMap(now, (at) =>
        r("DeliveryOutbox.claim", (s) => {
          const claims = new Map<string, ClaimedDelivery>();
          for (const id of [...new Set(deliveryIds)].sort(byText)) {
            const d = s.deliveries.find((x) => x.id === id);
            claims.set(
              id,
              d === undefined
                ? { _tag: "Missing" }
                : d.status !== "queued"
                  ? // Reported states come after sending: for the worker they are all "sent".
                    { _tag: "Settled", status: d.status === "failed" ? "failed" : "sent" }
                  : { _tag: "Queued", delivery: outgoing(s, d, at) },
            );
          }
          return claims;
        }),
      ),
    record: (records) =>
      w("DeliveryOutbox.record", (s, at) => {
        const deliveries = s.deliveries.map((d) => {
          const record = records.find((x) => x.id === d.id);
          return record === undefined || d.status !== "queued" ? d : recorded(d, record, at);
        });
        for (const d of deliveries) {
          const id = d.providerMessageId ?? null;
          if (id !== null && deliveries.some((x) => x !== d && x.providerMessageId === id)) {
            throw new Error("deliveries.provider_message_id: duplicate");
          }
        }
        return [undefined, { ...s, deliveries }];
      }),
    giveUp: (deliveryId) =>
      w("DeliveryOutbox.giveUp", (s) => {
        const d = s.deliveries.find((x) => x.id === deliveryId && x.status === "queued");
        if (d === undefined) return [false, s];
        const failed: DeliveryRow = {
          ...d,
          status: "failed",
          token: null,
          lastError: `retries_exhausted: ${d.lastError ?? "the worker could not process it (see its log)"}`,
        };
        return [true, { ...s, deliveries: s.deliveries.map((x) => (x.id === deliveryId ? failed : x)) }];
      }),
  }),
);

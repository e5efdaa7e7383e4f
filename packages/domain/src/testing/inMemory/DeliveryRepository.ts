import { DeliveryRepository, type NewDelivery } from "../../deliveries/DeliveryRepository.ts";
import { type DeliveryRow, type StoreState, sameTarget, storeAdapter } from "./Store.ts";

/** The store with a queued delivery added. */
export const withDelivery = (s: StoreState, delivery: NewDelivery, at: Date): StoreState => {
  if (s.deliveries.some((d) => d.id === delivery.id)) throw new Error(`deliveries.id: duplicate ${delivery.id}`);
  if (s.deliveries.some((d) => d.tokenHash === delivery.tokenHash)) throw new Error("deliveries.token_hash: duplicate");
  const row: DeliveryRow = { ...delivery, email: delivery.email, status: "queued", lastError: null, createdAt: at };
  return { ...s, deliveries: [...s.deliveries, row] };
};

/**
 * A still-queued delivery renewed with a new token (false, nothing changed: it is not queued). The old token's hash stays
 * on a closed row that no invite points at: the old token reads as superseded. The renewed
 * delivery moves last, as a new one would be.
 */
export const withRenewal = (
  s: StoreState,
  deliveryId: string,
  token: { readonly token: string; readonly hash: string },
): readonly [boolean, StoreState] => {
  const d = s.deliveries.find((x) => x.id === deliveryId);
  if (d === undefined) throw new Error(`deliveries: no ${deliveryId}`);
  if (d.status !== "queued") return [false, s];
  if (s.deliveries.some((x) => x.tokenHash === token.hash)) throw new Error("deliveries.token_hash: duplicate");
  const renewed = { ...d, token: token.token, tokenHash: token.hash };
  const closed: DeliveryRow = {
    ...d,
    id: `${d.id}:superseded:${d.tokenHash}`,
    token: null,
    kind: "invite",
    status: "failed",
    lastError: "superseded",
  };
  return [true, { ...s, deliveries: [...s.deliveries.filter((x) => x.id !== deliveryId), closed, renewed] }];
};

export const DeliveryRepositoryTest = storeAdapter(DeliveryRepository, ({ r, w }) =>
  DeliveryRepository.of({
    enqueue: (delivery) => w("DeliveryRepository.enqueue", (s, at) => [undefined, withDelivery(s, delivery, at)]),
    current: (email, targets) =>
      r("DeliveryRepository.current", (s) =>
        s.invites.flatMap((i) => {
          const target = targets.find((t) => sameTarget(t, i.target));
          const d = s.deliveries.find((x) => x.id === i.deliveryId);
          return i.status === "pending" && i.email === email && target !== undefined && d !== undefined
            ? [{ target, deliveryId: d.id, status: d.status, sentAt: d.sentAt ?? null }]
            : [];
        }),
      ),
    countResends: (email, since) =>
      r(
        "DeliveryRepository.countResends",
        (s) =>
          s.deliveries.filter(
            (d) => d.kind === "resend" && d.email === email && d.createdAt.getTime() >= since.getTime(),
          ).length,
      ),
  }),
);

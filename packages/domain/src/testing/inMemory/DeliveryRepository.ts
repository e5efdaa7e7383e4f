import { DeliveryRepository } from "../../deliveries/DeliveryRepository.ts";
import { type DeliveryRow, storeAdapter } from "./Store.ts";

export const DeliveryRepositoryTest = storeAdapter(DeliveryRepository, ({ r, w }) =>
  DeliveryRepository.of({
    enqueue: (delivery) =>
      w("DeliveryRepository.enqueue", (s, at) => {
        if (s.deliveries.some((d) => d.id === delivery.id)) {
          throw new Error(`deliveries.id: duplicate ${delivery.id}`);
        }
        if (s.deliveries.some((d) => d.tokenHash === delivery.tokenHash)) {
          throw new Error("deliveries.token_hash: duplicate");
        }
        const row: DeliveryRow = {
          ...delivery,
          email: delivery.email,
          status: "queued",
          lastError: null,
          createdAt: at,
        };
        return [undefined, { ...s, deliveries: [...s.deliveries, row] }];
      }),
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
